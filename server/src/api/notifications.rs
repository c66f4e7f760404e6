//! `/api/v1/notifications`: a user's own channels and filters, the
//! organisation's threshold and webhooks, and the event stream;
//! `/api/v1/admin/deliveries`: the outbox as admins see it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use isacx_schemas::error::ProblemDetails;
use isacx_schemas::notify::{
    CreatedWebhook, Delivery, DeliveryState, NewWebhook, NotificationSettings,
    OrganisationNotifySettings, Webhook,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{AdminOnly, AnyRole, Authorized, Operators, Principal};
use crate::db::blocking;
use crate::error::ApiError;
use crate::notify::outbox::{self, OutboxRow};
use crate::notify::settings;

fn organisation_of(principal: &Principal) -> Result<String, ApiError> {
    principal
        .organisation
        .as_ref()
        .map(|o| o.id.clone())
        .ok_or_else(|| ApiError::forbidden("you belong to no member organisation"))
}

/// Your channels and filters.
#[utoipa::path(get, path = "/api/v1/notifications/settings", tag = "notifications",
    responses((status = 200, body = NotificationSettings)), security(("bearer" = []), ("api_key" = [])))]
pub async fn get_settings(
    state: web::Data<AppState>,
    principal: Authorized<AnyRole>,
) -> Result<web::Json<NotificationSettings>, ApiError> {
    let user = principal.user_id.to_string();
    let s = state.into_inner();
    Ok(web::Json(
        blocking(move || s.db.read(|c| settings::user_settings(c, &user))).await?,
    ))
}

/// Replace your channels and filters (empty lists: no filter).
#[utoipa::path(put, path = "/api/v1/notifications/settings", tag = "notifications", request_body = NotificationSettings,
    responses((status = 200, body = NotificationSettings), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn put_settings(
    state: web::Data<AppState>,
    principal: Authorized<AnyRole>,
    body: web::Json<NotificationSettings>,
) -> Result<web::Json<NotificationSettings>, ApiError> {
    let s = state.into_inner();
    Ok(web::Json(
        blocking(move || {
            let user = principal.user_id.to_string();
            s.db.write(|c| {
                settings::put_user_settings(
                    c,
                    &principal.actor(),
                    &user,
                    &s.sector_ids,
                    body.into_inner(),
                )
            })
        })
        .await?,
    ))
}

/// Your organisation's threshold.
#[utoipa::path(get, path = "/api/v1/notifications/organisation", tag = "notifications",
    responses((status = 200, body = OrganisationNotifySettings)), security(("bearer" = []), ("api_key" = [])))]
pub async fn get_organisation(
    state: web::Data<AppState>,
    principal: Authorized<Operators>,
) -> Result<web::Json<OrganisationNotifySettings>, ApiError> {
    let org = organisation_of(&principal)?;
    let s = state.into_inner();
    let min_urgency =
        blocking(move || s.db.read(|c| settings::organisation_threshold(c, &org))).await?;
    Ok(web::Json(OrganisationNotifySettings { min_urgency }))
}

/// Set your organisation's threshold: nothing less urgent reaches its users or webhooks.
#[utoipa::path(put, path = "/api/v1/notifications/organisation", tag = "notifications", request_body = OrganisationNotifySettings,
    responses((status = 200, body = OrganisationNotifySettings)), security(("bearer" = []), ("api_key" = [])))]
pub async fn put_organisation(
    state: web::Data<AppState>,
    principal: Authorized<Operators>,
    body: web::Json<OrganisationNotifySettings>,
) -> Result<web::Json<OrganisationNotifySettings>, ApiError> {
    let org = organisation_of(&principal)?;
    let s = state.into_inner();
    Ok(web::Json(
        blocking(move || {
            s.db.write(|c| {
                settings::put_organisation_threshold(c, &principal.actor(), &org, body.into_inner())
            })
        })
        .await?,
    ))
}

/// Your organisation's webhook endpoints (secrets are never listed).
#[utoipa::path(get, path = "/api/v1/notifications/webhooks", tag = "notifications",
    responses((status = 200, body = Vec<Webhook>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    principal: Authorized<Operators>,
) -> Result<web::Json<Vec<Webhook>>, ApiError> {
    let org = organisation_of(&principal)?;
    let s = state.into_inner();
    Ok(web::Json(
        blocking(move || s.db.read(|c| settings::list_webhooks(c, &org))).await?,
    ))
}

/// Register a webhook endpoint; the signing secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/notifications/webhooks", tag = "notifications", request_body = NewWebhook,
    responses((status = 201, body = CreatedWebhook), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn create_webhook(
    state: web::Data<AppState>,
    principal: Authorized<Operators>,
    body: web::Json<NewWebhook>,
) -> Result<HttpResponse, ApiError> {
    let org = organisation_of(&principal)?;
    let s = state.into_inner();
    let created = blocking(move || {
        let allow_http = s.settings.notify.webhook_allow_http;
        s.db.write(|c| {
            settings::create_webhook(c, &principal.actor(), &org, allow_http, body.into_inner())
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("cache-control", "no-store"))
        .json(created))
}

/// Switch a webhook endpoint off.
#[utoipa::path(delete, path = "/api/v1/notifications/webhooks/{id}", tag = "notifications", params(("id" = Uuid, Path)),
    responses((status = 200, body = Webhook), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn disable_webhook(
    state: web::Data<AppState>,
    principal: Authorized<Operators>,
    id: web::Path<Uuid>,
) -> Result<web::Json<Webhook>, ApiError> {
    let org = organisation_of(&principal)?;
    let id = id.into_inner();
    let s = state.into_inner();
    Ok(web::Json(
        blocking(move || {
            s.db.write(|c| settings::disable_webhook(c, &principal.actor(), &org, id))
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StreamQuery {
    /// Resume after this event id (as the `Last-Event-ID` header does; the header wins).
    pub last_event_id: Option<i64>,
}

fn sse_event(row: &OutboxRow) -> Bytes {
    // The body is one line of JSON, so one `data:` line carries it.
    Bytes::from(format!(
        "id: {}\nevent: {}\ndata: {}\n\n",
        row.seq,
        row.kind,
        row.delivered_body().unwrap_or_else(|_| row.body.clone())
    ))
}

/// Your notifications as server-sent events. Each event's `id` is its place in
/// the outbox: reconnect with `Last-Event-ID` to get what you missed. Without
/// it the stream starts with what comes next.
#[utoipa::path(get, path = "/api/v1/notifications/stream", tag = "notifications", params(StreamQuery),
    responses((status = 200, description = "text/event-stream of notifications", content_type = "text/event-stream")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn stream(
    state: web::Data<AppState>,
    principal: Authorized<AnyRole>,
    req: HttpRequest,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    let header = match req.headers().get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|t| t.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::malformed("Last-Event-ID must be an event id from this stream")
                })?,
        ),
        None => None,
    };
    let user = principal.user_id.to_string();
    let s = state.clone().into_inner();
    let cursor = match header.or(query.last_event_id) {
        Some(n) => n,
        None => {
            let user = user.clone();
            blocking(move || s.db.read(|c| outbox::stream_head(c, &user))).await?
        }
    };
    let keepalive = Duration::from_secs(state.settings.notify.stream_keepalive_secs.max(1));
    let poll = Duration::from_millis(state.settings.notify.poll_interval_ms);
    let max_age = Duration::from_secs(state.settings.notify.stream_max_secs.max(1));
    let opened = Instant::now();
    struct Cursor {
        state: web::Data<AppState>,
        user: String,
        after: i64,
        buffer: VecDeque<OutboxRow>,
        wake: tokio::sync::watch::Receiver<u64>,
        last_sent: Instant,
        greeted: bool,
    }
    let start = Cursor {
        state,
        user,
        after: cursor,
        buffer: VecDeque::new(),
        wake: crate::notify::subscribe(),
        last_sent: Instant::now(),
        greeted: false,
    };
    let body = futures_util::stream::unfold(start, move |mut c| async move {
        if !c.greeted {
            c.greeted = true;
            // Tell EventSource clients how soon to reconnect.
            return Some((
                Ok::<_, actix_web::Error>(Bytes::from_static(b"retry: 2000\n\n")),
                c,
            ));
        }
        loop {
            if opened.elapsed() >= max_age {
                // The client reconnects with Last-Event-ID and misses nothing.
                return None;
            }
            if let Some(row) = c.buffer.pop_front() {
                c.after = row.seq;
                c.last_sent = Instant::now();
                return Some((Ok(sse_event(&row)), c));
            }
            let (s, user, after) = (c.state.clone(), c.user.clone(), c.after);
            match blocking(move || {
                s.db.read(|conn| outbox::stream_since(conn, &user, after, 100))
            })
            .await
            {
                Ok(rows) if !rows.is_empty() => {
                    c.buffer.extend(rows);
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "event stream ended: the outbox could not be read");
                    return None;
                }
            }
            let until_keepalive = keepalive.saturating_sub(c.last_sent.elapsed());
            if until_keepalive.is_zero() {
                c.last_sent = Instant::now();
                return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), c));
            }
            tokio::select! {
                changed = c.wake.changed() => {
                    if changed.is_err() { return None; }
                    // A wake-up may come just before its transaction commits.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                _ = tokio::time::sleep(poll.min(until_keepalive)) => {}
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DeliveriesQuery {
    /// Only deliveries in this state: pending, delivered, dead or skipped.
    pub state: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// The outbox: deliveries, their attempts and last errors.
#[utoipa::path(get, path = "/api/v1/admin/deliveries", tag = "admin", params(DeliveriesQuery),
    responses((status = 200, body = Vec<Delivery>), (status = 400, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    _admin: Authorized<AdminOnly>,
    query: web::Query<DeliveriesQuery>,
) -> Result<web::Json<Vec<Delivery>>, ApiError> {
    let wanted = match &query.state {
        Some(s) => Some(s.parse::<DeliveryState>().map_err(ApiError::malformed)?),
        None => None,
    };
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let s = state.into_inner();
    Ok(web::Json(
        blocking(move || s.db.read(|c| outbox::list(c, wanted, limit))).await?,
    ))
}

/// Give a dead delivery a fresh set of attempts.
#[utoipa::path(post, path = "/api/v1/admin/deliveries/{id}/retry", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = Delivery), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn retry_delivery(
    state: web::Data<AppState>,
    admin: Authorized<AdminOnly>,
    id: web::Path<Uuid>,
) -> Result<web::Json<Delivery>, ApiError> {
    let id = id.into_inner();
    let s = state.into_inner();
    Ok(web::Json(
        blocking(move || s.db.write(|c| outbox::retry(c, &admin.actor(), id))).await?,
    ))
}
