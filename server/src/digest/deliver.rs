//! The digest schedule: at each tick of `jobs.digest_daily` /
//! `jobs.digest_weekly` (one server runs it, under the job lease), one digest
//! per recipient scope — the sectors of the liaison organisations, `*` for a
//! liaison without sectors — is computed for the period up to the tick,
//! stored in the archive and handed to the notify outbox for each liaison of
//! that scope, all in one transaction. The archive's unique key (period kind,
//! period start, scope) makes a second attempt at the same period a no-op,
//! so a digest is stored and mailed once even if two servers raced past the
//! lease. Mail goes through the outbox (DESIGN rule 5): the e-mail worker
//! renders the stored digest in the recipient's language, HTML and text.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use isacx_schemas::api::Role;
use isacx_schemas::digest::PeriodKind;
use isacx_schemas::error::ErrorCode;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Actor, Entry};
use crate::db::schema::{organisations, users};
use crate::db::{parse_list, DbConnection};
use crate::error::ApiError;
use crate::notify::{self, EventKind, LocalisedText, Urgency};

use super::{compute, render, scheduled_period_at, store, Options, Scope};

/// Liaison users by the scope of their organisation.
pub fn liaisons_by_scope(conn: &mut DbConnection) -> Result<BTreeMap<String, Vec<Uuid>>, ApiError> {
    let rows: Vec<(String, Option<String>)> = users::table
        .left_join(organisations::table)
        .filter(users::role.eq(Role::Liaison.as_str()))
        .filter(users::disabled.eq(false))
        .select((users::id, organisations::sectors.nullable()))
        .load(conn)?;
    let mut by_scope: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
    for (id, sectors) in rows {
        let scope = Scope::of_organisation(&sectors.map(|s| parse_list(&s)).unwrap_or_default());
        if let Ok(id) = Uuid::parse_str(&id) {
            by_scope.entry(scope.key()).or_default().push(id);
        }
    }
    Ok(by_scope)
}

/// The job: the digests of `kind` for the period ending at `tick`; returns how many were issued here.
pub fn run_scheduled(state: &AppState, kind: PeriodKind, tick: NaiveDateTime) -> Result<usize, ApiError> {
    let Some((from, to)) = scheduled_period_at(kind, tick) else {
        return Err(ApiError::internal("a scheduled digest needs a daily or weekly period"));
    };
    let scopes = state.db.read(liaisons_by_scope)?;
    let options = Options::from_state(state);
    let mut issued = 0;
    for (key, recipients) in scopes {
        let scope = Scope::from_key(&key);
        let result = state.db.write(|conn| {
            let digest = compute(conn, options, kind, from, to, &scope)?;
            let Some(id) = store(conn, &digest, &state.instance_id)? else {
                return Ok(false);
            };
            let event = digest_event(state, id, &digest);
            let queued = notify::enqueue_to_users(conn, &event, &recipients)?;
            audit::append(
                conn,
                &Actor::system("job:digest"),
                Entry {
                    action: "digest.issue",
                    target: format!("digest:{id}"),
                    detail: serde_json::json!({ "period": kind.as_str(), "from": from, "to": to, "scope": key, "deliveries": queued }),
                },
            )?;
            Ok(true)
        });
        match result {
            Ok(true) => issued += 1,
            Ok(false) => tracing::debug!(scope = %key, period = kind.as_str(), "digest already issued"),
            // Another server stored the same period and scope first: its digest stands.
            Err(e) if e.code == ErrorCode::Conflict => tracing::debug!(scope = %key, "digest issued by another server"),
            Err(e) => return Err(e),
        }
    }
    if issued > 0 {
        tracing::info!(period = kind.as_str(), %from, %to, issued, "liaison digests issued");
    }
    Ok(issued)
}

/// The notification a digest becomes: the mail is rendered from the stored digest at delivery.
fn digest_event(state: &AppState, id: Uuid, digest: &isacx_schemas::digest::Digest) -> notify::Event {
    let identity = &state.settings.identity;
    notify::Event {
        kind: EventKind::DigestIssued,
        dedupe_key: format!("digest:{id}"),
        object_id: format!("digest:{id}"),
        urgency: Urgency::Info,
        sectors: digest.scope.clone(),
        products: Vec::new(),
        tags: Vec::new(),
        title: LocalisedText {
            en: render::subject(digest, render::Lang::En, &identity.name_en),
            ja: render::subject(digest, render::Lang::Ja, &identity.name_ja),
        },
        summary: LocalisedText {
            en: format!("{} reports, {} advisories, {} new indicators.", digest.totals.reports, digest.totals.advisories, digest.totals.indicators),
            ja: format!("情報連絡 {} 件、情報提供 {} 件、新しい指標 {} 件。", digest.totals.reports, digest.totals.advisories, digest.totals.indicators),
        },
        deadline: None,
        payload: serde_json::json!({ "digest_id": id, "period": digest.period, "from": digest.from, "to": digest.to, "totals": digest.totals }),
    }
}

/// The job entry points (see [`crate::jobs`]).
pub fn daily(state: &AppState, tick: NaiveDateTime) -> Result<(), ApiError> {
    run_scheduled(state, PeriodKind::Daily, tick).map(|_| ())
}

pub fn weekly(state: &AppState, tick: NaiveDateTime) -> Result<(), ApiError> {
    run_scheduled(state, PeriodKind::Weekly, tick).map(|_| ())
}
