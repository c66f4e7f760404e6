//! The shared store: every version of every STIX object, and the queries the
//! read paths page through. Reads return candidate rows; the caller keeps
//! only what [`crate::policy::may_read`] allows — [`page`] does that itself so
//! no read path can forget.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use isacx_schemas::stix::{StixObject, StixTimestamp};
use isacx_schemas::tlp::Tlp;
use uuid::Uuid;

use crate::db::schema::{collection_members, stix_objects};
use crate::db::{DbConnection, MultiBackend};
use crate::error::ApiError;
use crate::policy::{self, Access, Audience, Viewer};

/// A validated object ready to store, with its sharing scope.
pub struct Incoming {
    pub object: StixObject,
    pub access: Access,
    /// Collections it belongs to.
    pub collections: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Added { date_added: i64 },
    /// Same id and version already stored: success, nothing written.
    Duplicate,
    Rejected(String),
}

/// Fixed-width text of a timestamp, so versions sort and compare as strings.
pub fn version_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

fn tlp_rank(t: Tlp) -> i32 {
    match t {
        Tlp::Clear => 0,
        Tlp::Green => 1,
        Tlp::Amber => 2,
        Tlp::AmberStrict => 3,
        Tlp::Red => 4,
    }
}

fn list_json<T: serde::Serialize>(items: impl IntoIterator<Item = T>) -> String {
    serde_json::to_string(&items.into_iter().collect::<Vec<T>>()).unwrap_or_else(|_| "[]".to_owned())
}

/// Serialise appends of the shared store across servers sharing a database,
/// so `date_added` follows commit order.
fn lock_ingest(conn: &mut DbConnection) -> Result<(), ApiError> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(7201000002)").execute(pg)?;
    }
    Ok(())
}

/// Store a batch in one transaction (the caller's). Durable when it commits.
pub fn ingest(conn: &mut DbConnection, items: Vec<Incoming>) -> Result<Vec<Outcome>, ApiError> {
    lock_ingest(conn)?;
    let last: Option<i64> = stix_objects::table.select(diesel::dsl::max(stix_objects::date_added)).first(conn)?;
    let mut next_added = micros(Utc::now()).max(last.unwrap_or(0) + 1);
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        let object_id = item.object.id_str().to_owned();
        let sco = item.object.created().is_none() && item.object.modified().is_none();
        let existing: Vec<(String, i32, bool, bool)> = stix_objects::table
            .filter(stix_objects::object_id.eq(&object_id))
            .select((stix_objects::version, stix_objects::tlp_rank, stix_objects::is_latest, stix_objects::is_first))
            .load(conn)?;
        let date_added = next_added;
        let version = match item.object.modified().or_else(|| item.object.created()) {
            Some(t) => version_text(t.as_datetime()),
            // Unversioned (SCOs): one version, dated when first added.
            None => version_text(from_micros(date_added)),
        };
        if (sco && !existing.is_empty()) || existing.iter().any(|(v, ..)| *v == version) {
            outcomes.push(Outcome::Duplicate);
            continue;
        }
        let rank = tlp_rank(item.access.tlp);
        if let Some((_, stored, ..)) = existing.iter().max_by_key(|(_, r, ..)| *r) {
            if *stored > rank {
                outcomes.push(Outcome::Rejected(format!(
                    "the stored versions of {object_id} are marked higher than {}; a TLP is never lowered",
                    item.access.tlp.marking_name()
                )));
                continue;
            }
        }
        let latest = existing.iter().find(|(_, _, l, _)| *l).map(|(v, ..)| v.clone());
        let first = existing.iter().find(|(_, _, _, f)| *f).map(|(v, ..)| v.clone());
        let is_latest = latest.as_ref().is_none_or(|l| version > *l);
        let is_first = first.as_ref().is_none_or(|f| version < *f);
        if is_latest {
            if let Some(l) = &latest {
                diesel::update(stix_objects::table.filter(stix_objects::object_id.eq(&object_id)).filter(stix_objects::version.eq(l)))
                    .set(stix_objects::is_latest.eq(false))
                    .execute(conn)?;
            }
        }
        if is_first {
            if let Some(f) = &first {
                diesel::update(stix_objects::table.filter(stix_objects::object_id.eq(&object_id)).filter(stix_objects::version.eq(f)))
                    .set(stix_objects::is_first.eq(false))
                    .execute(conn)?;
            }
        }
        let valid_until = match &item.object {
            StixObject::Indicator(i) => i.valid_until.as_ref().map(|t| micros(t.as_datetime())),
            _ => None,
        };
        let body = serde_json::to_string(&item.object).map_err(ApiError::internal)?;
        let access = &item.access;
        diesel::insert_into(stix_objects::table)
            .values((
                stix_objects::date_added.eq(date_added),
                stix_objects::object_id.eq(&object_id),
                stix_objects::object_type.eq(item.object.type_name()),
                stix_objects::spec_version.eq(item.object.spec_version().unwrap_or("2.1")),
                stix_objects::version.eq(&version),
                stix_objects::is_latest.eq(is_latest),
                stix_objects::is_first.eq(is_first),
                stix_objects::revoked.eq(item.object.is_revoked()),
                stix_objects::valid_until.eq(valid_until),
                stix_objects::tlp.eq(access.tlp.as_str()),
                stix_objects::tlp_rank.eq(rank),
                stix_objects::sectors.eq(list_json(&access.sectors)),
                stix_objects::audiences.eq(list_json(&access.audiences)),
                stix_objects::recipients.eq(list_json(&access.recipients)),
                stix_objects::published.eq(access.published),
                stix_objects::submitter_org.eq(access.submitter.map(|u| u.to_string())),
                stix_objects::hops.eq(list_json(&access.hops)),
                stix_objects::body.eq(&body),
            ))
            .execute(conn)?;
        // One row at a time: multi-row VALUES is not portable through MultiConnection.
        for collection in &item.collections {
            diesel::insert_into(collection_members::table)
                .values((collection_members::collection_id.eq(collection.as_str()), collection_members::date_added.eq(date_added)))
                .execute(conn)?;
        }
        next_added += 1;
        outcomes.push(Outcome::Added { date_added });
    }
    Ok(outcomes)
}

/// Which versions a read returns (TAXII `match[version]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFilter {
    pub all: bool,
    pub first: bool,
    pub last: bool,
    /// Exact versions as [`version_text`].
    pub exact: Vec<String>,
}

impl Default for VersionFilter {
    fn default() -> Self {
        VersionFilter { all: false, first: false, last: true, exact: Vec::new() }
    }
}

impl VersionFilter {
    pub fn all() -> VersionFilter {
        VersionFilter { all: true, first: false, last: false, exact: Vec::new() }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Query {
    pub collection: Option<String>,
    /// Only rows added after this (microseconds): `added_after` or a `next` cursor.
    pub after: Option<i64>,
    pub ids: Vec<String>,
    pub types: Vec<String>,
    pub versions: VersionFilter,
    pub spec_versions: Vec<String>,
    pub limit: usize,
}

/// One stored object version, as read.
#[derive(Debug, Clone, Queryable)]
pub struct StoredRow {
    pub date_added: i64,
    pub object_id: String,
    pub version: String,
    pub tlp: String,
    pub sectors: String,
    pub audiences: String,
    pub recipients: String,
    pub published: bool,
    pub submitter_org: Option<String>,
    pub hops: String,
    pub body: String,
}

impl StoredRow {
    pub fn access(&self) -> Access {
        let strings = |text: &str| serde_json::from_str::<BTreeSet<String>>(text).unwrap_or_default();
        Access {
            tlp: self.tlp.parse().unwrap_or(Tlp::Red),
            sectors: strings(&self.sectors),
            audiences: serde_json::from_str::<BTreeSet<Audience>>(&self.audiences).unwrap_or_default(),
            recipients: serde_json::from_str::<BTreeSet<Uuid>>(&self.recipients).unwrap_or_default(),
            published: self.published,
            submitter: self.submitter_org.as_deref().and_then(|s| Uuid::parse_str(s).ok()),
            hops: serde_json::from_str::<BTreeSet<Uuid>>(&self.hops).unwrap_or_default(),
        }
    }
}

pub struct Page {
    pub rows: Vec<StoredRow>,
    /// True only when at least one more row this viewer may see exists.
    pub more: bool,
}

type Selection = (
    stix_objects::date_added,
    stix_objects::object_id,
    stix_objects::version,
    stix_objects::tlp,
    stix_objects::sectors,
    stix_objects::audiences,
    stix_objects::recipients,
    stix_objects::published,
    stix_objects::submitter_org,
    stix_objects::hops,
    stix_objects::body,
);

const SELECTION: Selection = (
    stix_objects::date_added,
    stix_objects::object_id,
    stix_objects::version,
    stix_objects::tlp,
    stix_objects::sectors,
    stix_objects::audiences,
    stix_objects::recipients,
    stix_objects::published,
    stix_objects::submitter_org,
    stix_objects::hops,
    stix_objects::body,
);

fn candidates(conn: &mut DbConnection, q: &Query, after: i64, batch: i64) -> Result<Vec<StoredRow>, ApiError> {
    let now = micros(Utc::now());
    let mut query = stix_objects::table
        .select(SELECTION)
        .filter(stix_objects::date_added.gt(after))
        .filter(stix_objects::valid_until.is_null().or(stix_objects::valid_until.gt(now)))
        .order(stix_objects::date_added.asc())
        .limit(batch)
        .into_boxed::<MultiBackend>();
    if let Some(collection) = &q.collection {
        // Correlated through the (collection_id, date_added) key: one index probe per candidate.
        query = query.filter(diesel::dsl::exists(
            collection_members::table
                .filter(collection_members::collection_id.eq(collection.clone()))
                .filter(collection_members::date_added.eq(stix_objects::date_added)),
        ));
    }
    if !q.ids.is_empty() {
        query = query.filter(stix_objects::object_id.eq_any(q.ids.clone()));
    }
    if !q.types.is_empty() {
        query = query.filter(stix_objects::object_type.eq_any(q.types.clone()));
    }
    if !q.spec_versions.is_empty() {
        query = query.filter(stix_objects::spec_version.eq_any(q.spec_versions.clone()));
    }
    let v = &q.versions;
    if !v.all {
        let exact = v.exact.clone();
        query = match (v.first, v.last, exact.is_empty()) {
            (false, true, true) => query.filter(stix_objects::is_latest.eq(true)),
            (true, false, true) => query.filter(stix_objects::is_first.eq(true)),
            (true, true, true) => query.filter(stix_objects::is_latest.eq(true).or(stix_objects::is_first.eq(true))),
            (false, false, false) => query.filter(stix_objects::version.eq_any(exact)),
            (false, true, false) => query.filter(stix_objects::is_latest.eq(true).or(stix_objects::version.eq_any(exact))),
            (true, false, false) => query.filter(stix_objects::is_first.eq(true).or(stix_objects::version.eq_any(exact))),
            (true, true, false) => query.filter(
                stix_objects::is_latest.eq(true).or(stix_objects::is_first.eq(true)).or(stix_objects::version.eq_any(exact)),
            ),
            (false, false, true) => query.filter(stix_objects::is_latest.eq(true)),
        };
    }
    Ok(query.load::<StoredRow>(conn)?)
}

/// Up to `q.limit` rows the viewer may see, in `date_added` order, and
/// whether more exist. Rows the policy denies are skipped without trace.
pub fn page(conn: &mut DbConnection, q: &Query, viewer: &Viewer) -> Result<Page, ApiError> {
    let limit = q.limit.max(1);
    let batch = (limit as i64 * 2).clamp(100, 5000);
    let mut after = q.after.unwrap_or(i64::MIN);
    let mut rows = Vec::with_capacity(limit.min(5000));
    loop {
        let found = candidates(conn, q, after, batch)?;
        let exhausted = (found.len() as i64) < batch;
        for row in found {
            after = row.date_added;
            if !policy::may_read(viewer, &row.access()) {
                continue;
            }
            if rows.len() == limit {
                return Ok(Page { rows, more: true });
            }
            rows.push(row);
        }
        if exhausted {
            return Ok(Page { rows, more: false });
        }
    }
}

/// Delete an object (all versions, or the listed ones). Returns the number of rows removed.
pub fn delete(conn: &mut DbConnection, object_id: &str, versions: &VersionFilter) -> Result<usize, ApiError> {
    lock_ingest(conn)?;
    let doomed: Vec<(i64, String)> = {
        let q = Query { ids: vec![object_id.to_owned()], versions: versions.clone(), limit: usize::MAX, ..Query::default() };
        candidates(conn, &q, i64::MIN, i64::MAX)?.into_iter().map(|r| (r.date_added, r.version)).collect()
    };
    if doomed.is_empty() {
        return Ok(0);
    }
    let keys: Vec<i64> = doomed.iter().map(|(d, _)| *d).collect();
    diesel::delete(collection_members::table.filter(collection_members::date_added.eq_any(keys.clone()))).execute(conn)?;
    diesel::delete(stix_objects::table.filter(stix_objects::date_added.eq_any(keys))).execute(conn)?;
    // The remaining versions get their first/latest marks back.
    let remaining: Vec<String> =
        stix_objects::table.filter(stix_objects::object_id.eq(object_id)).select(stix_objects::version).order(stix_objects::version.asc()).load(conn)?;
    if let (Some(first), Some(last)) = (remaining.first(), remaining.last()) {
        diesel::update(stix_objects::table.filter(stix_objects::object_id.eq(object_id)))
            .set((stix_objects::is_first.eq(false), stix_objects::is_latest.eq(false)))
            .execute(conn)?;
        diesel::update(stix_objects::table.filter(stix_objects::object_id.eq(object_id)).filter(stix_objects::version.eq(first)))
            .set(stix_objects::is_first.eq(true))
            .execute(conn)?;
        diesel::update(stix_objects::table.filter(stix_objects::object_id.eq(object_id)).filter(stix_objects::version.eq(last)))
            .set(stix_objects::is_latest.eq(true))
            .execute(conn)?;
    }
    Ok(doomed.len())
}

/// Parse a TAXII/STIX timestamp into the store's version text.
pub fn parse_version(text: &str) -> Option<String> {
    StixTimestamp::parse(text).ok().map(|t| version_text(t.as_datetime()))
}
