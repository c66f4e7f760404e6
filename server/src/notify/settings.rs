//! Per-user channels and filters, per-organisation thresholds, and the
//! organisations' webhook endpoints with their signing secrets.

use std::collections::HashMap;

use base64::Engine;
use diesel::prelude::*;
use isacx_schemas::notify::{
    CreatedWebhook, NewWebhook, NotificationSettings, OrganisationNotifySettings, Urgency, Webhook,
};
use uuid::Uuid;

use crate::audit::{self, Actor, Entry};
use crate::db::models::parse_uuid;
use crate::db::schema::{notification_settings, organisation_notify_settings, webhook_endpoints};
use crate::db::{json_list, now, parse_list, to_utc, DbConnection, IN_LIST_CHUNK};
use crate::error::ApiError;

/// A user's settings, or the defaults (every channel on, no filter) when never set.
type SettingsRow = (String, bool, bool, String, String, String, String);

fn settings_of((_, email, stream, min_urgency, sectors, products, tags): SettingsRow) -> NotificationSettings {
    NotificationSettings {
        email,
        stream,
        min_urgency: min_urgency.parse().unwrap_or_default(),
        sectors: parse_list(&sectors),
        products: parse_list(&products),
        tags: parse_list(&tags),
    }
}

macro_rules! settings_columns {
    () => {
        (
            notification_settings::user_id,
            notification_settings::email_enabled,
            notification_settings::stream_enabled,
            notification_settings::min_urgency,
            notification_settings::sectors,
            notification_settings::products,
            notification_settings::tags,
        )
    };
}

pub fn user_settings(
    conn: &mut DbConnection,
    user_id: &str,
) -> Result<NotificationSettings, ApiError> {
    let row: Option<SettingsRow> = notification_settings::table
        .find(user_id)
        .select(settings_columns!())
        .first(conn)
        .optional()?;
    Ok(row.map(settings_of).unwrap_or_default())
}

/// The settings of many users at once; users without a row are absent
/// (their settings are the defaults).
pub fn user_settings_many(
    conn: &mut DbConnection,
    user_ids: &[&str],
) -> Result<HashMap<String, NotificationSettings>, ApiError> {
    let mut out = HashMap::new();
    for chunk in user_ids.chunks(IN_LIST_CHUNK) {
        let rows: Vec<SettingsRow> = notification_settings::table
            .filter(notification_settings::user_id.eq_any(chunk))
            .select(settings_columns!())
            .load(conn)?;
        out.extend(rows.into_iter().map(|row| (row.0.clone(), settings_of(row))));
    }
    Ok(out)
}

fn clean(list: &[String]) -> Vec<String> {
    let mut v: Vec<String> = list
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    v.sort();
    v.dedup();
    v
}

pub fn put_user_settings(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: &str,
    sector_ids: &[String],
    new: NotificationSettings,
) -> Result<NotificationSettings, ApiError> {
    let mut errors = Vec::new();
    for (i, s) in new.sectors.iter().enumerate() {
        if !sector_ids.iter().any(|k| k == s.trim()) {
            errors.push(isacx_schemas::error::FieldError {
                field: format!("sectors[{i}]"),
                message: format!("unknown sector `{s}`"),
            });
        }
    }
    for (field, list) in [("products", &new.products), ("tags", &new.tags)] {
        if list.len() > 200 {
            errors.push(isacx_schemas::error::FieldError {
                field: field.to_owned(),
                message: "at most 200 entries".to_owned(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let settings = NotificationSettings {
        sectors: clean(&new.sectors),
        products: clean(&new.products),
        tags: clean(&new.tags),
        ..new
    };
    let values = (
        notification_settings::email_enabled.eq(settings.email),
        notification_settings::stream_enabled.eq(settings.stream),
        notification_settings::min_urgency.eq(settings.min_urgency.as_str()),
        notification_settings::sectors.eq(json_list(&settings.sectors)),
        notification_settings::products.eq(json_list(&settings.products)),
        notification_settings::tags.eq(json_list(&settings.tags)),
        notification_settings::updated_at.eq(now()),
    );
    let updated = diesel::update(notification_settings::table.find(user_id))
        .set(values.clone())
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(notification_settings::table)
            .values((notification_settings::user_id.eq(user_id), values))
            .execute(conn)?;
    }
    audit::append(
        conn,
        actor,
        Entry {
            action: "notify.settings.update",
            target: format!("user:{user_id}"),
            detail: serde_json::to_value(&settings).unwrap_or_default(),
        },
    )?;
    Ok(settings)
}

/// The organisation's least urgency; `info` (everything) unless set.
pub fn organisation_threshold(
    conn: &mut DbConnection,
    organisation_id: &str,
) -> Result<Urgency, ApiError> {
    let value: Option<String> = organisation_notify_settings::table
        .find(organisation_id)
        .select(organisation_notify_settings::min_urgency)
        .first(conn)
        .optional()?;
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or_default())
}

/// The thresholds of many organisations at once; those not set are absent (`info`).
pub fn organisation_thresholds(
    conn: &mut DbConnection,
    organisation_ids: &[&str],
) -> Result<HashMap<String, Urgency>, ApiError> {
    let mut out = HashMap::new();
    for chunk in organisation_ids.chunks(IN_LIST_CHUNK) {
        let rows: Vec<(String, String)> = organisation_notify_settings::table
            .filter(organisation_notify_settings::organisation_id.eq_any(chunk))
            .select((organisation_notify_settings::organisation_id, organisation_notify_settings::min_urgency))
            .load(conn)?;
        out.extend(rows.into_iter().map(|(id, v)| (id, v.parse().unwrap_or_default())));
    }
    Ok(out)
}

pub fn put_organisation_threshold(
    conn: &mut DbConnection,
    actor: &Actor,
    organisation_id: &str,
    new: OrganisationNotifySettings,
) -> Result<OrganisationNotifySettings, ApiError> {
    let values = (
        organisation_notify_settings::min_urgency.eq(new.min_urgency.as_str()),
        organisation_notify_settings::updated_at.eq(now()),
    );
    let updated = diesel::update(organisation_notify_settings::table.find(organisation_id))
        .set(values)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(organisation_notify_settings::table)
            .values((
                organisation_notify_settings::organisation_id.eq(organisation_id),
                values,
            ))
            .execute(conn)?;
    }
    audit::append(
        conn,
        actor,
        Entry {
            action: "notify.organisation_threshold.update",
            target: format!("organisation:{organisation_id}"),
            detail: serde_json::json!({ "min_urgency": new.min_urgency }),
        },
    )?;
    Ok(new)
}

type WebhookRow = (String, String, String, bool, chrono::NaiveDateTime);

fn to_webhook((id, url, label, enabled, created_at): WebhookRow) -> Webhook {
    Webhook {
        id: parse_uuid(&id),
        url,
        label,
        enabled,
        created_at: to_utc(created_at),
    }
}

fn check_url(url: &str, allow_http: bool) -> Result<reqwest::Url, ApiError> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| ApiError::field("url", format!("not a URL: {e}")))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => return Err(ApiError::field("url", "webhooks must use https://")),
        other => {
            return Err(ApiError::field(
                "url",
                format!("unsupported scheme `{other}`; use https://"),
            ))
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(ApiError::field("url", "the URL names no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ApiError::field(
            "url",
            "put no credentials in the URL; the request is signed instead",
        ));
    }
    Ok(parsed)
}

/// A fresh signing secret: 256 random bits, URL-safe base64, prefixed so scanners spot it.
fn new_secret() -> String {
    let mut bytes = [0_u8; 32];
    rand::fill(&mut bytes);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

pub fn create_webhook(
    conn: &mut DbConnection,
    actor: &Actor,
    organisation_id: &str,
    allow_http: bool,
    new: NewWebhook,
) -> Result<CreatedWebhook, ApiError> {
    let url = check_url(&new.url, allow_http)?;
    let label = new.label.trim().to_owned();
    if label.chars().count() > 200 {
        return Err(ApiError::field("label", "at most 200 characters"));
    }
    let existing: i64 = webhook_endpoints::table
        .filter(webhook_endpoints::organisation_id.eq(organisation_id))
        .count()
        .get_result(conn)?;
    if existing >= 20 {
        return Err(ApiError::conflict(
            "an organisation may register at most 20 webhook endpoints",
        ));
    }
    let id = Uuid::new_v4().to_string();
    let secret = new_secret();
    let created_at = now();
    diesel::insert_into(webhook_endpoints::table)
        .values((
            webhook_endpoints::id.eq(&id),
            webhook_endpoints::organisation_id.eq(organisation_id),
            webhook_endpoints::url.eq(url.as_str()),
            webhook_endpoints::secret.eq(&secret),
            webhook_endpoints::label.eq(&label),
            webhook_endpoints::enabled.eq(true),
            webhook_endpoints::created_by.eq(&actor.label),
            webhook_endpoints::created_at.eq(created_at),
        ))
        .execute(conn)?;
    // The secret is deliberately not in the audit detail.
    audit::append(
        conn,
        actor,
        Entry {
            action: "notify.webhook.create",
            target: format!("webhook:{id}"),
            detail: serde_json::json!({ "organisation_id": organisation_id, "url": url.as_str(), "label": label }),
        },
    )?;
    Ok(CreatedWebhook {
        webhook: to_webhook((id, url.to_string(), label, true, created_at)),
        secret,
    })
}

pub fn list_webhooks(
    conn: &mut DbConnection,
    organisation_id: &str,
) -> Result<Vec<Webhook>, ApiError> {
    let rows: Vec<WebhookRow> = webhook_endpoints::table
        .filter(webhook_endpoints::organisation_id.eq(organisation_id))
        .select((
            webhook_endpoints::id,
            webhook_endpoints::url,
            webhook_endpoints::label,
            webhook_endpoints::enabled,
            webhook_endpoints::created_at,
        ))
        .order(webhook_endpoints::created_at.asc())
        .load(conn)?;
    Ok(rows.into_iter().map(to_webhook).collect())
}

/// Switch an endpoint off; its pending deliveries are then skipped. Kept (disabled) so the outbox still names it.
pub fn disable_webhook(
    conn: &mut DbConnection,
    actor: &Actor,
    organisation_id: &str,
    id: Uuid,
) -> Result<Webhook, ApiError> {
    let key = id.to_string();
    let updated = diesel::update(
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(&key))
            .filter(webhook_endpoints::organisation_id.eq(organisation_id)),
    )
    .set(webhook_endpoints::enabled.eq(false))
    .execute(conn)?;
    if updated == 0 {
        return Err(ApiError::not_found(format!(
            "no webhook {id} in your organisation"
        )));
    }
    audit::append(
        conn,
        actor,
        Entry {
            action: "notify.webhook.disable",
            target: format!("webhook:{key}"),
            detail: serde_json::json!({}),
        },
    )?;
    let row: WebhookRow = webhook_endpoints::table
        .find(&key)
        .select((
            webhook_endpoints::id,
            webhook_endpoints::url,
            webhook_endpoints::label,
            webhook_endpoints::enabled,
            webhook_endpoints::created_at,
        ))
        .first(conn)?;
    Ok(to_webhook(row))
}

/// URL and secret of an enabled endpoint, for the webhook worker.
pub fn webhook_target(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<(String, String)>, ApiError> {
    Ok(webhook_endpoints::table
        .find(id)
        .filter(webhook_endpoints::enabled.eq(true))
        .select((webhook_endpoints::url, webhook_endpoints::secret))
        .first(conn)
        .optional()?)
}
