//! Liaison digests: scheduled, anonymised summaries for the government
//! liaison (NISC and the sector ministries) of what happened where, how bad,
//! and whether operators acted.
//!
//! A digest is a read path (DESIGN rule 2): every object counted in detail
//! passed [`policy::may_read`] for a liaison viewer of the digest's scope;
//! objects the liaison may not read are counted only as `withheld` totals.
//! It is anonymised by construction: it holds figures, never a member's
//! name, alias, domain or id, and a sector that fewer than
//! `sharing.k_anonymity` member organisations share is generalised into
//! [`OTHER_SECTORS`] (the same count the anonymiser uses,
//! [`crate::members::members_per_sector`]); the statutory threshold and law of
//! a generalised sector are withheld too, since they would name it.
//!
//! What is counted, for the period `[from, to)`:
//! - reports published in it, by sector × kind × threat event, and the
//!   statutory thresholds they cross with the laws that apply; reports
//!   received in it and still in review, as a total;
//! - advisories published in it, by urgency;
//! - reassessment tasks requested in it, per sector of the member, as they
//!   stood at `to`: requested, acknowledged, done, overdue;
//! - indicators first shared in it, by observable type;
//! - the same totals for the period of equal length just before.
//!
//! [`compute`] is pure over the database: the same data, period and scope
//! give the same figures. [`deliver`] runs the schedule and mails digests
//! through the notify outbox; [`render`] turns one into text, HTML or CSV.

pub mod deliver;
pub mod render;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use isacx_schemas::advisory::{AdvisoryState, TaskState, Urgency};
use isacx_schemas::api::{self, ReportState, Role, StatutoryHit};
use isacx_schemas::digest::{
    AdvisoryCount, ComplianceCount, Digest, IndicatorCount, PeriodKind, ReportCount, StatutoryCount, Totals, OTHER_SECTORS,
};
use isacx_schemas::error::FieldError;
use uuid::Uuid;

use crate::app::AppState;
use crate::db::models::parse_uuid;
use crate::db::schema::{advisories, digests, organisations, reassessment_tasks, reports, stix_objects};
use crate::db::{parse_list, to_utc, DbConnection};
use crate::error::ApiError;
use crate::policy::{self, Viewer, ALL_SECTORS};
use crate::store::micros;

/// The longest period an on-demand digest may cover.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// The sectors a digest covers: every sector (`*`) or a set of sector ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope(BTreeSet<String>);

impl Scope {
    pub fn all() -> Scope {
        Scope(BTreeSet::from([ALL_SECTORS.to_owned()]))
    }

    /// A set of sectors; empty (or naming `*`) means all.
    pub fn of(sectors: impl IntoIterator<Item = String>) -> Scope {
        let set: BTreeSet<String> = sectors.into_iter().filter(|s| !s.trim().is_empty()).collect();
        if set.is_empty() || set.contains(ALL_SECTORS) {
            Scope::all()
        } else {
            Scope(set)
        }
    }

    /// The scope of a liaison: its organisation's sectors (all when it names none).
    pub fn of_organisation(sectors: &[String]) -> Scope {
        Scope::of(sectors.iter().cloned())
    }

    pub fn is_all(&self) -> bool {
        self.0.contains(ALL_SECTORS)
    }

    pub fn contains(&self, sector: &str) -> bool {
        self.is_all() || self.0.contains(sector)
    }

    /// Does an object scoped to `sectors` concern this scope?
    pub fn touches(&self, sectors: &BTreeSet<String>) -> bool {
        self.is_all() || sectors.contains(ALL_SECTORS) || !self.0.is_disjoint(sectors)
    }

    /// Is every sector of `other` within this scope?
    pub fn covers(&self, other: &Scope) -> bool {
        self.is_all() || (!other.is_all() && other.0.is_subset(&self.0))
    }

    /// The stored key: `*` or the sorted ids joined by commas.
    pub fn key(&self) -> String {
        self.list().join(",")
    }

    pub fn from_key(key: &str) -> Scope {
        Scope::of(key.split(',').map(str::to_owned))
    }

    pub fn list(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }

    /// The viewer a digest is counted for: a liaison of this scope. The same
    /// whoever asks, so analysts preview exactly what liaisons get.
    pub fn viewer(&self) -> Viewer {
        Viewer::User { role: Role::Liaison, organisation: None, sectors: self.0.clone() }
    }
}

/// What a digest needs from the settings.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Least members a sector needs to be named.
    pub k: usize,
    /// The deployment secret published report ids derive from ([`crate::intake::report_object_id`]).
    pub namespace: Uuid,
}

impl Options {
    pub fn from_state(state: &AppState) -> Options {
        Options { k: state.settings.sharing.k_anonymity.max(1), namespace: state.anonymise_namespace }
    }
}

/// Check a requested period: `from` before `to`, not longer than [`MAX_PERIOD_DAYS`].
pub fn check_period(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), ApiError> {
    if from >= to {
        return Err(ApiError::validation(vec![FieldError {
            field: "from".to_owned(),
            message: format!("the period must start before it ends ({} is not before {})", from.to_rfc3339(), to.to_rfc3339()),
        }]));
    }
    if to - from > chrono::Duration::days(MAX_PERIOD_DAYS) {
        return Err(ApiError::field("to", format!("a digest covers at most {MAX_PERIOD_DAYS} days")));
    }
    Ok(())
}

/// Compute the digest of `[from, to)` for `scope`, with the previous period's totals.
pub fn compute(
    conn: &mut DbConnection,
    options: Options,
    period: PeriodKind,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: &Scope,
) -> Result<Digest, ApiError> {
    let members = crate::members::members_per_sector(conn)?;
    let buckets = Buckets { members, k: options.k, namespace: options.namespace };
    let current = figures(conn, &buckets, from, to, scope)?;
    let previous = figures(conn, &buckets, from - (to - from), from, scope)?;
    let mut shown: BTreeSet<String> = BTreeSet::new();
    for sector in current.reports.keys().map(|k| &k.0).chain(current.statutory.keys().map(|k| &k.0)).chain(current.compliance.keys()) {
        if sector != OTHER_SECTORS {
            shown.insert(sector.clone());
        }
    }
    Ok(Digest {
        id: None,
        period,
        from,
        to,
        scope: scope.list(),
        k: options.k as u64,
        sectors: shown.into_iter().collect(),
        generated_at: crate::db::to_utc(crate::db::now()),
        totals: current.totals.clone(),
        previous: previous.totals,
        reports: current
            .reports
            .into_iter()
            .map(|((sector, kind, threat_event), count)| ReportCount { sector, kind, threat_event, count })
            .collect(),
        statutory: current
            .statutory
            .into_iter()
            .map(|((sector, threshold, laws), (level, count))| StatutoryCount { sector, threshold, level, laws, count })
            .collect(),
        advisories: current.advisories.into_iter().map(|(urgency, count)| AdvisoryCount { urgency, count }).collect(),
        compliance: current.compliance.into_values().collect(),
        indicators: current.indicators.into_iter().map(|(indicator_type, count)| IndicatorCount { indicator_type, count }).collect(),
    })
}

/// Sector generalisation: a sector fewer than `k` members share becomes `other`.
struct Buckets {
    members: BTreeMap<String, usize>,
    k: usize,
    namespace: Uuid,
}

impl Buckets {
    fn of(&self, sector: &str) -> String {
        if self.members.get(sector).copied().unwrap_or(0) >= self.k {
            sector.to_owned()
        } else {
            OTHER_SECTORS.to_owned()
        }
    }
}

type StatutoryKey = (String, String, Vec<String>);

#[derive(Default)]
struct Figures {
    totals: Totals,
    reports: BTreeMap<(String, String, String), u64>,
    statutory: BTreeMap<StatutoryKey, (api::LocalisedName, u64)>,
    advisories: BTreeMap<Urgency, u64>,
    compliance: BTreeMap<String, ComplianceCount>,
    indicators: BTreeMap<String, u64>,
}

fn figures(conn: &mut DbConnection, buckets: &Buckets, from: DateTime<Utc>, to: DateTime<Utc>, scope: &Scope) -> Result<Figures, ApiError> {
    let viewer = scope.viewer();
    let mut f = Figures::default();
    count_reports(conn, buckets, from, to, scope, &viewer, &mut f)?;
    count_advisories(conn, from, to, scope, &viewer, &mut f)?;
    count_tasks(conn, buckets, from, to, scope, &viewer, &mut f)?;
    count_indicators(conn, from, to, scope, &viewer, &mut f)?;
    Ok(f)
}

/// The latest stored version of a STIX object, as the policy sees it.
fn latest_access(conn: &mut DbConnection, object_id: &str) -> Result<Option<policy::Access>, ApiError> {
    Ok(crate::store::latest(conn, object_id)?.map(|(row, _revoked)| row.access()))
}

type ReportFields = (String, String, String, String, String, String, Option<chrono::NaiveDateTime>, chrono::NaiveDateTime);

fn count_reports(
    conn: &mut DbConnection,
    buckets: &Buckets,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: &Scope,
    viewer: &Viewer,
    f: &mut Figures,
) -> Result<(), ApiError> {
    let (start, end) = (from.naive_utc(), to.naive_utc());
    let rows: Vec<ReportFields> = reports::table
        .filter(
            reports::published_at
                .ge(start)
                .and(reports::published_at.lt(end))
                .or(reports::created_at.ge(start).and(reports::created_at.lt(end))),
        )
        .select((
            reports::id,
            reports::state,
            reports::kind,
            reports::sector,
            reports::sanitised,
            reports::thresholds,
            reports::published_at,
            reports::created_at,
        ))
        .order(reports::created_at.asc())
        .load(conn)?;
    for (id, state, kind, sector, sanitised, thresholds, published_at, created_at) in rows {
        if !scope.contains(&sector) {
            continue;
        }
        let published_in_period = published_at.is_some_and(|p| p >= start && p < end);
        if published_in_period && state == ReportState::Published.as_str() {
            let access = latest_access(conn, &crate::intake::report_object_id(&buckets.namespace, &id))?;
            if !access.is_some_and(|a| policy::may_read(viewer, &a)) {
                f.totals.reports_withheld += 1;
                continue;
            }
            f.totals.reports += 1;
            let bucket = buckets.of(&sector);
            let threat_event = serde_json::from_str::<serde_json::Value>(&sanitised)
                .ok()
                .and_then(|v| v.get("threat_event").and_then(|t| t.as_str()).map(str::to_owned))
                .unwrap_or_else(|| "unspecified".to_owned());
            *f.reports.entry((bucket.clone(), kind, threat_event)).or_insert(0) += 1;
            let hits: Vec<StatutoryHit> = serde_json::from_str(&thresholds).unwrap_or_default();
            if !hits.is_empty() {
                f.totals.statutory += 1;
            }
            for hit in hits {
                let (key, level) = if bucket == OTHER_SECTORS {
                    ((bucket.clone(), String::new(), Vec::new()), api::LocalisedName { ja: String::new(), en: String::new() })
                } else {
                    ((bucket.clone(), hit.threshold, hit.laws), hit.level)
                };
                f.statutory.entry(key).or_insert((level, 0)).1 += 1;
            }
        } else if created_at >= start
            && created_at < end
            && (state == ReportState::Received.as_str() || state == ReportState::InReview.as_str())
        {
            f.totals.reports_in_review += 1;
        }
    }
    Ok(())
}

fn count_advisories(
    conn: &mut DbConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: &Scope,
    viewer: &Viewer,
    f: &mut Figures,
) -> Result<(), ApiError> {
    let rows: Vec<crate::advisories::AdvisoryRow> = advisories::table
        .filter(advisories::published_at.ge(from.naive_utc()))
        .filter(advisories::published_at.lt(to.naive_utc()))
        .filter(advisories::state.ne(AdvisoryState::Draft.as_str()))
        .select(crate::advisories::AdvisoryRow::as_select())
        .load(conn)?;
    for row in rows {
        let access = row.access();
        if !scope.touches(&access.sectors) {
            continue;
        }
        if policy::may_read(viewer, &access) {
            f.totals.advisories += 1;
            *f.advisories.entry(row.urgency()).or_insert(0) += 1;
        } else {
            f.totals.advisories_withheld += 1;
        }
    }
    Ok(())
}

fn count_tasks(
    conn: &mut DbConnection,
    buckets: &Buckets,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: &Scope,
    viewer: &Viewer,
    f: &mut Figures,
) -> Result<(), ApiError> {
    let (start, end) = (from.naive_utc(), to.naive_utc());
    let rows: Vec<(crate::advisories::tasks::TaskRow, String)> = reassessment_tasks::table
        .inner_join(organisations::table)
        .filter(reassessment_tasks::requested_at.ge(start))
        .filter(reassessment_tasks::requested_at.lt(end))
        .filter(reassessment_tasks::state.ne(TaskState::Cancelled.as_str()))
        .select((crate::advisories::tasks::TaskRow::as_select(), organisations::sectors))
        .load(conn)?;
    // Compliance is the operators' (a liaison organisation naming sectors may be matched too).
    let members = crate::members::member_organisations(conn)?;
    let mut advisory_access: BTreeMap<String, Option<policy::Access>> = BTreeMap::new();
    for (task, org_sectors) in rows {
        if !members.contains(&task.organisation_id) {
            continue;
        }
        let access = match advisory_access.get(&task.advisory_id) {
            Some(a) => a.clone(),
            None => {
                let a = advisories::table
                    .find(&task.advisory_id)
                    .select(crate::advisories::AdvisoryRow::as_select())
                    .first(conn)
                    .optional()?
                    .map(|r| r.access());
                advisory_access.insert(task.advisory_id.clone(), a.clone());
                a
            }
        };
        if !access.is_some_and(|a| policy::may_read(viewer, &a)) {
            continue;
        }
        let sectors: BTreeSet<String> = parse_list(&org_sectors).into_iter().filter(|s| scope.contains(s)).map(|s| buckets.of(&s)).collect();
        if sectors.is_empty() {
            continue;
        }
        let done = task.reassessed_at.is_some_and(|t| t < end);
        let acknowledged = done || task.acknowledged_at.is_some_and(|t| t < end);
        let overdue = !done && task.deadline < end;
        f.totals.tasks_requested += 1;
        f.totals.tasks_done += u64::from(done);
        f.totals.tasks_overdue += u64::from(overdue);
        for sector in sectors {
            let c = f.compliance.entry(sector.clone()).or_insert_with(|| ComplianceCount { sector, ..ComplianceCount::default() });
            c.requested += 1;
            c.acknowledged += u64::from(acknowledged);
            c.done += u64::from(done);
            c.overdue += u64::from(overdue);
        }
    }
    Ok(())
}

/// The observable type an indicator's pattern looks at first (`ipv4-addr`, `url` …).
pub fn indicator_type(body: &str) -> String {
    let pattern = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("pattern").and_then(|p| p.as_str()).map(str::to_owned));
    pattern
        .and_then(|p| isacx_schemas::pattern::parse_pattern(&p).ok())
        .and_then(|p| p.comparisons().first().map(|c| c.path.object_type.clone()))
        .unwrap_or_else(|| "other".to_owned())
}

fn count_indicators(
    conn: &mut DbConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: &Scope,
    viewer: &Viewer,
    f: &mut Figures,
) -> Result<(), ApiError> {
    let firsts: Vec<(String, bool, String)> = stix_objects::table
        .filter(stix_objects::object_type.eq("indicator"))
        .filter(stix_objects::is_first.eq(true))
        .filter(stix_objects::date_added.ge(micros(from)))
        .filter(stix_objects::date_added.lt(micros(to)))
        .select((stix_objects::object_id, stix_objects::is_latest, stix_objects::body))
        .load(conn)?;
    for (object_id, _, body) in firsts {
        let Some(access) = latest_access(conn, &object_id)? else {
            continue;
        };
        if !scope.touches(&access.sectors) {
            continue;
        }
        if policy::may_read(viewer, &access) {
            f.totals.indicators += 1;
            *f.indicators.entry(indicator_type(&body)).or_insert(0) += 1;
        } else {
            f.totals.indicators_withheld += 1;
        }
    }
    Ok(())
}

/// One archived digest row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = digests)]
pub struct DigestRow {
    pub id: String,
    pub period: String,
    pub period_start: chrono::NaiveDateTime,
    pub period_end: chrono::NaiveDateTime,
    pub scope: String,
    pub body: String,
    pub created_by: String,
    pub created_at: chrono::NaiveDateTime,
}

impl DigestRow {
    pub fn digest(&self) -> Result<Digest, ApiError> {
        let mut digest: Digest = serde_json::from_str(&self.body).map_err(ApiError::internal)?;
        digest.id = Some(parse_uuid(&self.id));
        Ok(digest)
    }

    pub fn scope(&self) -> Scope {
        Scope::from_key(&self.scope)
    }
}

/// Whether the archive holds the digest of this period kind, start and scope.
pub fn is_stored(conn: &mut DbConnection, period: PeriodKind, from: DateTime<Utc>, scope: &Scope) -> Result<bool, ApiError> {
    let exists: i64 = digests::table
        .filter(digests::period.eq(period.as_str()))
        .filter(digests::period_start.eq(from.naive_utc()))
        .filter(digests::scope.eq(scope.key()))
        .count()
        .get_result(conn)?;
    Ok(exists > 0)
}

/// Store a digest in the archive unless one for the same period kind, start
/// and scope is there already; returns the new id, or `None` if it was.
pub fn store(conn: &mut DbConnection, digest: &Digest, created_by: &str) -> Result<Option<Uuid>, ApiError> {
    let scope = Scope::of(digest.scope.iter().cloned()).key();
    if is_stored(conn, digest.period, digest.from, &Scope::from_key(&scope))? {
        return Ok(None);
    }
    let id = Uuid::new_v4();
    let mut stored = digest.clone();
    stored.id = None;
    diesel::insert_into(digests::table)
        .values((
            digests::id.eq(id.to_string()),
            digests::period.eq(digest.period.as_str()),
            digests::period_start.eq(digest.from.naive_utc()),
            digests::period_end.eq(digest.to.naive_utc()),
            digests::scope.eq(&scope),
            digests::body.eq(serde_json::to_string(&stored).map_err(ApiError::internal)?),
            digests::created_by.eq(created_by),
            digests::created_at.eq(crate::db::now()),
        ))
        .execute(conn)?;
    Ok(Some(id))
}

/// An archived digest by id.
pub fn load(conn: &mut DbConnection, id: Uuid) -> Result<Option<DigestRow>, ApiError> {
    Ok(digests::table.find(id.to_string()).select(DigestRow::as_select()).first(conn).optional()?)
}

/// Archived digests, newest period first, optionally of one kind.
pub fn list(conn: &mut DbConnection, period: Option<PeriodKind>, limit: i64) -> Result<Vec<DigestRow>, ApiError> {
    let mut query = digests::table
        .select(DigestRow::as_select())
        .order((digests::period_start.desc(), digests::created_at.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(period) = period {
        query = query.filter(digests::period.eq(period.as_str()));
    }
    Ok(query.load(conn)?)
}

/// Period of a scheduled digest whose tick is `tick`: the length of `kind` up to the tick.
pub fn scheduled_period(kind: PeriodKind, tick: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    kind.length().map(|len| (tick - len, tick))
}

/// Convenience for callers holding a NaiveDateTime tick.
pub fn scheduled_period_at(kind: PeriodKind, tick: chrono::NaiveDateTime) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    scheduled_period(kind, to_utc(tick))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        let all = Scope::of(Vec::new());
        assert!(all.is_all());
        assert_eq!(all.key(), "*");
        let energy = Scope::of(["gas".to_owned(), "electricity".to_owned()]);
        assert_eq!(energy.key(), "electricity,gas");
        assert_eq!(Scope::from_key("electricity,gas"), energy);
        assert!(energy.contains("gas") && !energy.contains("finance"));
        assert!(all.covers(&energy) && !energy.covers(&all));
        assert!(energy.covers(&Scope::of(["gas".to_owned()])));
        assert!(energy.touches(&BTreeSet::from(["*".to_owned()])));
        assert!(!energy.touches(&BTreeSet::from(["finance".to_owned()])));
    }

    #[test]
    fn periods_are_checked() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(check_period(t("2026-12-01T00:00:00Z"), t("2026-12-02T00:00:00Z")).is_ok());
        assert!(check_period(t("2026-12-02T00:00:00Z"), t("2026-12-01T00:00:00Z")).is_err());
        assert!(check_period(t("2026-12-01T00:00:00Z"), t("2026-12-01T00:00:00Z")).is_err());
        assert!(check_period(t("2024-01-01T00:00:00Z"), t("2026-01-01T00:00:00Z")).is_err());
        let (from, to) = scheduled_period(PeriodKind::Weekly, t("2026-12-06T22:00:00Z")).unwrap();
        assert_eq!((to - from).num_days(), 7);
        assert!(scheduled_period(PeriodKind::Custom, to).is_none());
    }

    #[test]
    fn indicator_types_come_from_the_pattern() {
        let body = |p: &str| serde_json::json!({ "type": "indicator", "pattern": p }).to_string();
        assert_eq!(indicator_type(&body("[ipv4-addr:value = '198.51.100.7']")), "ipv4-addr");
        assert_eq!(indicator_type(&body("[file:hashes.'SHA-256' = 'aa'] OR [url:value = 'http://x']")), "file");
        assert_eq!(indicator_type("{}"), "other");
    }
}
