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

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
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

use super::{compute, is_stored, render, scheduled_period_at, store, Options, Scope};

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
            // Checked first so a period already issued costs no computation.
            if is_stored(conn, kind, from, &scope)? {
                return Ok(false);
            }
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

/// The job entry points (see [`crate::jobs`]): this tick's digests, then any
/// of the periods before it that are missing.
pub fn daily(state: &AppState, tick: NaiveDateTime) -> Result<(), ApiError> {
    run_scheduled(state, PeriodKind::Daily, tick)?;
    catch_up_kind(state, PeriodKind::Daily, before(tick)).map(|_| ())
}

pub fn weekly(state: &AppState, tick: NaiveDateTime) -> Result<(), ApiError> {
    run_scheduled(state, PeriodKind::Weekly, tick)?;
    catch_up_kind(state, PeriodKind::Weekly, before(tick)).map(|_| ())
}

/// Just before this tick: the periods a tick catches up on are the earlier ones.
fn before(tick: NaiveDateTime) -> DateTime<Utc> {
    tick.and_utc() - chrono::Duration::seconds(1)
}

/// The `count` most recent ticks of `cron` at or before `now`, oldest first.
pub fn recent_ticks(cron: &str, now: DateTime<Utc>, count: u32) -> Vec<NaiveDateTime> {
    let Ok(schedule) = cron.trim().parse::<croner::Cron>() else {
        return Vec::new();
    };
    // Whole seconds: croner carries the reference's fraction into the ticks it finds.
    let reference = now.with_nanosecond(0).unwrap_or(now) + chrono::Duration::seconds(1);
    let mut ticks: Vec<NaiveDateTime> = schedule
        .iter_before(reference)
        .take(count as usize)
        .map(crate::jobs::tick_of)
        .collect();
    ticks.reverse();
    ticks
}

fn schedule_of(state: &AppState, kind: PeriodKind) -> &str {
    match kind {
        PeriodKind::Daily => &state.settings.jobs.digest_daily,
        PeriodKind::Weekly => &state.settings.jobs.digest_weekly,
        PeriodKind::Custom => "",
    }
}

/// Issue the digests of the last `jobs.digest_catch_up_periods` scheduled
/// periods of `kind` up to `now` that the archive does not hold. Safe to run
/// on every server at once: the archive's unique key lets one digest per
/// period and scope through, and only its transaction queues the mail.
pub fn catch_up_kind(state: &AppState, kind: PeriodKind, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let periods = state.settings.jobs.digest_catch_up_periods;
    let cron = schedule_of(state, kind);
    if periods == 0 || cron.trim().is_empty() {
        return Ok(0);
    }
    let mut issued = 0;
    for tick in recent_ticks(cron, now, periods) {
        issued += run_scheduled(state, kind, tick)?;
    }
    if issued > 0 {
        tracing::info!(period = kind.as_str(), issued, "missed liaison digests issued");
    }
    Ok(issued)
}

/// At start: the missed digests of both schedules.
pub fn catch_up(state: &AppState, now: DateTime<Utc>) -> Result<usize, ApiError> {
    Ok(catch_up_kind(state, PeriodKind::Daily, now)? + catch_up_kind(state, PeriodKind::Weekly, now)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_ticks_are_whole_seconds_oldest_first_and_include_now() {
        let now = "2026-12-05T08:30:00.750Z".parse::<DateTime<Utc>>().unwrap();
        let ticks = recent_ticks("0 0 22 * * *", now, 2);
        let want: Vec<NaiveDateTime> = ["2026-12-03T22:00:00", "2026-12-04T22:00:00"].iter().map(|t| t.parse().unwrap()).collect();
        assert_eq!(ticks, want);
        let on_tick = "2026-12-04T22:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(recent_ticks("0 0 22 * * *", on_tick, 1), want[1..].to_vec(), "a tick at `now` counts");
        assert!(recent_ticks("not a schedule", now, 3).is_empty());
        assert!(recent_ticks("0 0 22 * * *", now, 0).is_empty());
    }
}
