//! Notifications: events become outbox rows, delivery workers send them.
//!
//! An [`Event`] is written to the durable outbox by [`enqueue`] inside the
//! caller's transaction, one row per recipient and channel: e-mail (to the
//! user's address, in the user's language), webhook (per organisation
//! endpoint, HMAC-signed) and stream (the user's server-sent-events stream,
//! which replays from the outbox). Delivery workers ([`workers`]) claim due
//! rows, retry with exponential backoff and mark a row dead after the
//! configured number of attempts; each channel has its own worker, and each
//! delivery its own task, so one dead channel or endpoint never holds the
//! others. `(channel, target, dedupe_key)` is unique, so a repeated event
//! reaches nobody twice.
//!
//! Wake-ups: in one process a [`watch`](tokio::sync::watch) channel wakes the
//! workers and streams; on PostgreSQL `enqueue` also sends `NOTIFY
//! isacx_outbox`, delivered at commit to every server sharing the database
//! ([`listen`]), so a stream held open on another server sees the event at
//! once. The outbox table stays the source of truth; the wake-up only says
//! "look again", and a poll interval covers a lost one.

pub mod email;
pub mod listen;
pub mod outbox;
pub mod settings;
pub mod webhook;
pub mod workers;

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use isacx_schemas::api::Role;
pub use isacx_schemas::notify::{Channel, EventKind, LocalisedText, Notification, Urgency};
use uuid::Uuid;

use crate::db::models::{OrganisationRow, UserRow};
use crate::db::schema::{organisations, users, webhook_endpoints};
use crate::db::{parse_list, DbConnection, IN_LIST_CHUNK};
use crate::error::ApiError;
use crate::policy::{self, Access, Viewer};

/// Channel name of PostgreSQL's LISTEN/NOTIFY wake-up.
pub const PG_CHANNEL: &str = "isacx_outbox";

/// Something members should hear about.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    /// Same key + same target + same channel → one delivery, e.g. `advisory:<id>:<modified>:published`.
    pub dedupe_key: String,
    /// The STIX id the event is about.
    pub object_id: String,
    pub urgency: Urgency,
    pub sectors: Vec<String>,
    /// CPE 2.3 or `vendor:product`.
    pub products: Vec<String>,
    pub tags: Vec<String>,
    pub title: LocalisedText,
    pub summary: LocalisedText,
    pub deadline: Option<DateTime<Utc>>,
    /// The JSON delivered to webhooks and the stream (the object as members may see it).
    pub payload: serde_json::Value,
}

impl Event {
    fn notification(&self, delivery_id: Uuid, created: DateTime<Utc>) -> Notification {
        Notification {
            delivery_id,
            kind: self.kind,
            object_id: self.object_id.clone(),
            urgency: self.urgency,
            sectors: self.sectors.clone(),
            products: self.products.clone(),
            tags: self.tags.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            deadline: self.deadline,
            payload: self.payload.clone(),
            created,
        }
    }
}

/// Does a user's filter let the event through?
pub fn filter_matches(
    settings: &isacx_schemas::notify::NotificationSettings,
    event: &Event,
) -> bool {
    fn any_common(wanted: &[String], have: &[String]) -> bool {
        wanted.is_empty()
            || wanted
                .iter()
                .any(|w| have.iter().any(|h| h.eq_ignore_ascii_case(w)))
    }
    let sector_ok = settings.sectors.is_empty()
        || event.sectors.iter().any(|s| s == policy::ALL_SECTORS)
        || any_common(&settings.sectors, &event.sectors);
    event.urgency >= settings.min_urgency
        && sector_ok
        && any_common(&settings.products, &event.products)
        && any_common(&settings.tags, &event.tags)
}

/// Write the outbox rows for `event`. Call it INSIDE the caller's
/// transaction, so the change and its notifications commit together.
///
/// Each recipient (a user id) is checked again with the sharing policy
/// against `access` (the object's); users denied, disabled or unknown are
/// dropped. Then the member organisation's threshold and the user's own
/// filters apply, and one row is written per enabled channel: e-mail and
/// stream for the user, and one per enabled webhook endpoint of each
/// organisation with at least one recipient. Returns the rows written
/// (repeats of an earlier event with the same `dedupe_key` write nothing).
///
/// Users, organisations, thresholds, settings and endpoints are read in a
/// few queries for all recipients and the rows inserted many at a time: an
/// advisory to 10,000 members stays one short transaction.
pub fn enqueue(
    conn: &mut DbConnection,
    event: &Event,
    access: &Access,
    recipients: &[Uuid],
) -> Result<usize, ApiError> {
    check_dedupe_key(event)?;
    let users = enabled_users(conn, recipients)?;
    let org_ids: Vec<&str> = users.iter().filter_map(|u| u.organisation_id.as_deref()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut orgs: HashMap<String, OrganisationRow> = HashMap::with_capacity(org_ids.len());
    for chunk in org_ids.chunks(IN_LIST_CHUNK) {
        let rows: Vec<OrganisationRow> = organisations::table
            .filter(organisations::id.eq_any(chunk))
            .select(OrganisationRow::as_select())
            .load(conn)?;
        orgs.extend(rows.into_iter().map(|o| (o.id.clone(), o)));
    }
    let thresholds = settings::organisation_thresholds(conn, &org_ids)?;
    let user_ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let prefs = settings::user_settings_many(conn, &user_ids)?;
    let defaults = isacx_schemas::notify::NotificationSettings::default();

    let mut addresses = Vec::new();
    let mut webhook_orgs = BTreeSet::new();
    for user in &users {
        let org = user.organisation_id.as_ref().and_then(|id| orgs.get(id));
        let viewer = Viewer::User {
            role: user.role(),
            organisation: org.and_then(|o| Uuid::parse_str(&o.id).ok()),
            sectors: org.map(|o| parse_list(&o.sectors).into_iter().collect()).unwrap_or_default(),
        };
        if !policy::may_read(&viewer, access) {
            tracing::debug!(user = %user.id, object = %event.object_id, "notification dropped: the policy denies this user");
            continue;
        }
        if let Some(org) = org {
            if event.urgency < thresholds.get(&org.id).copied().unwrap_or_default() {
                continue;
            }
            if user.role() == Role::Operator {
                webhook_orgs.insert(org.id.as_str());
            }
        }
        let prefs = prefs.get(&user.id).unwrap_or(&defaults);
        if !filter_matches(prefs, event) {
            continue;
        }
        push_user_channels(&mut addresses, user, prefs);
    }
    let webhook_orgs: Vec<&str> = webhook_orgs.into_iter().collect();
    for chunk in webhook_orgs.chunks(IN_LIST_CHUNK) {
        let endpoints: Vec<(String, String)> = webhook_endpoints::table
            .filter(webhook_endpoints::organisation_id.eq_any(chunk))
            .filter(webhook_endpoints::enabled.eq(true))
            .select((webhook_endpoints::id, webhook_endpoints::organisation_id))
            .order(webhook_endpoints::id.asc())
            .load(conn)?;
        addresses.extend(endpoints.into_iter().map(|(endpoint, org)| outbox::Address {
            channel: Channel::Webhook,
            target: endpoint,
            user_id: None,
            organisation_id: Some(org),
        }));
    }
    let written = outbox::insert_many(conn, event, &addresses)?;
    announce(conn, written)?;
    Ok(written)
}

/// Write the outbox rows of an event addressed to named users rather than
/// to the readers of a shared object (a liaison digest): e-mail and stream,
/// as each user's channel settings allow. The caller has already decided
/// what each user may see (a digest is computed for the recipients' scope);
/// disabled users are dropped. Call it inside the caller's transaction.
pub fn enqueue_to_users(conn: &mut DbConnection, event: &Event, recipients: &[Uuid]) -> Result<usize, ApiError> {
    check_dedupe_key(event)?;
    let users = enabled_users(conn, recipients)?;
    let user_ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let prefs = settings::user_settings_many(conn, &user_ids)?;
    let defaults = isacx_schemas::notify::NotificationSettings::default();
    let mut addresses = Vec::new();
    for user in &users {
        push_user_channels(&mut addresses, user, prefs.get(&user.id).unwrap_or(&defaults));
    }
    let written = outbox::insert_many(conn, event, &addresses)?;
    announce(conn, written)?;
    Ok(written)
}

fn check_dedupe_key(event: &Event) -> Result<(), ApiError> {
    if event.dedupe_key.trim().is_empty() {
        return Err(ApiError::internal("notify: an event needs a dedupe_key"));
    }
    Ok(())
}

/// The recipients that exist and are not disabled, once each, in id order.
fn enabled_users(conn: &mut DbConnection, recipients: &[Uuid]) -> Result<Vec<UserRow>, ApiError> {
    let ids: Vec<String> = recipients.iter().collect::<BTreeSet<_>>().into_iter().map(Uuid::to_string).collect();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let rows: Vec<UserRow> = users::table
            .filter(users::id.eq_any(chunk))
            .filter(users::disabled.eq(false))
            .select(UserRow::as_select())
            .load(conn)?;
        out.extend(rows);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The user's e-mail and stream deliveries, as the user's settings enable them.
fn push_user_channels(addresses: &mut Vec<outbox::Address>, user: &UserRow, prefs: &isacx_schemas::notify::NotificationSettings) {
    for (enabled, channel) in [(prefs.email, Channel::Email), (prefs.stream, Channel::Stream)] {
        if enabled {
            addresses.push(outbox::Address {
                channel,
                target: user.id.clone(),
                user_id: Some(user.id.clone()),
                organisation_id: user.organisation_id.clone(),
            });
        }
    }
}

/// Wake the workers and streams (here, and on PostgreSQL every server at commit).
fn announce(conn: &mut DbConnection, written: usize) -> Result<(), ApiError> {
    if written > 0 {
        if let DbConnection::Postgres(pg) = conn {
            // Delivered at commit, to every server listening on this database.
            diesel::sql_query(format!("NOTIFY {PG_CHANNEL}")).execute(pg)?;
        }
        wake();
    }
    Ok(())
}

fn hub() -> &'static tokio::sync::watch::Sender<u64> {
    static HUB: OnceLock<tokio::sync::watch::Sender<u64>> = OnceLock::new();
    HUB.get_or_init(|| tokio::sync::watch::channel(0).0)
}

/// Tell this process's workers and streams to look at the outbox again.
pub fn wake() {
    hub().send_modify(|n| *n = n.wrapping_add(1));
}

/// A receiver that changes whenever [`wake`] is called.
pub fn subscribe() -> tokio::sync::watch::Receiver<u64> {
    hub().subscribe()
}

#[cfg(test)]
mod tests {
    use super::*;
    use isacx_schemas::notify::NotificationSettings;

    fn event(urgency: Urgency) -> Event {
        Event {
            kind: EventKind::AdvisoryPublished,
            dedupe_key: "k".into(),
            object_id: "report--x".into(),
            urgency,
            sectors: vec!["electricity".into()],
            products: vec!["cpe:2.3:a:acme:vpn:1.0:*:*:*:*:*:*:*".into()],
            tags: vec!["ransomware".into()],
            title: LocalisedText::default(),
            summary: LocalisedText::default(),
            deadline: None,
            payload: serde_json::json!({}),
        }
    }

    #[test]
    fn filters() {
        let all = NotificationSettings::default();
        assert!(filter_matches(&all, &event(Urgency::Info)));
        let urgent_only = NotificationSettings {
            min_urgency: Urgency::Urgent,
            ..all.clone()
        };
        assert!(!filter_matches(&urgent_only, &event(Urgency::Warning)));
        assert!(filter_matches(&urgent_only, &event(Urgency::Urgent)));
        let finance = NotificationSettings {
            sectors: vec!["finance".into()],
            ..all.clone()
        };
        assert!(!filter_matches(&finance, &event(Urgency::Urgent)));
        let mut everywhere = event(Urgency::Info);
        everywhere.sectors = vec!["*".into()];
        assert!(
            filter_matches(&finance, &everywhere),
            "an event for all sectors reaches every sector filter"
        );
        let tagged = NotificationSettings {
            tags: vec!["RANSOMWARE".into()],
            ..all.clone()
        };
        assert!(filter_matches(&tagged, &event(Urgency::Info)));
        let other_product = NotificationSettings {
            products: vec!["vendor:other".into()],
            ..all
        };
        assert!(!filter_matches(&other_product, &event(Urgency::Info)));
    }
}
