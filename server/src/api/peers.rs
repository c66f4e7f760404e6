//! `/api/v1/admin/peers/…`: federation state, a sync on demand, peer changes. Admins only.

use actix_web::web;
use isacx_schemas::api;
use isacx_schemas::error::ProblemDetails;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{AdminOnly, Authorized};
use crate::error::ApiError;

/// Every peer's sync state: last success, lag, last error, backoff, counts.
#[utoipa::path(get, path = "/api/v1/admin/peers/status", tag = "admin",
    responses((status = 200, body = Vec<api::PeerStatus>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn status(
    state: web::Data<AppState>,
    _admin: Authorized<AdminOnly>,
) -> Result<web::Json<Vec<api::PeerStatus>>, ApiError> {
    let state = state.into_inner();
    Ok(web::Json(
        crate::db::blocking(move || state.db.read(crate::federation::state::statuses)).await?,
    ))
}

/// Sync one peer now (pull and/or push, as its direction says), whatever its
/// schedule and backoff. A failure of the peer is in the report's `error`.
#[utoipa::path(post, path = "/api/v1/admin/peers/{id}/sync", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = api::SyncReport), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn sync(
    state: web::Data<AppState>,
    _admin: Authorized<AdminOnly>,
    id: web::Path<Uuid>,
) -> Result<web::Json<api::SyncReport>, ApiError> {
    Ok(web::Json(
        crate::federation::sync_peer(&state.into_inner(), id.into_inner()).await?,
    ))
}

/// Change a peer's token, schedule, collections or client certificate.
#[utoipa::path(patch, path = "/api/v1/admin/peers/{id}", tag = "admin", params(("id" = Uuid, Path)), request_body = api::PeerUpdate,
    responses((status = 200, body = api::Peer), (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Authorized<AdminOnly>,
    id: web::Path<Uuid>,
    body: web::Json<api::PeerUpdate>,
) -> Result<web::Json<api::Peer>, ApiError> {
    let state = state.into_inner();
    let (id, update) = (id.into_inner(), body.into_inner());
    Ok(web::Json(
        crate::db::blocking(move || {
            crate::members::update_peer(&state.db, &principal.actor(), id, update)
        })
        .await?,
    ))
}
