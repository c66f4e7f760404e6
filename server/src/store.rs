//! The shared store: every version of every STIX object, and the queries the
//! read paths page through. Reads return candidate rows; the caller keeps
//! only what [`crate::policy::may_read`] allows — [`page`] does that itself so
//! no read path can forget.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use isacx_schemas::stix::{StixObject, StixTimestamp};
use isacx_schemas::tlp::Tlp;
use uuid::Uuid;

use crate::db::schema::stix_objects;
use crate::db::{DbConnection, MultiBackend};
use crate::error::ApiError;
use crate::policy::{self, Access, Audience, Viewer, ALL_SECTORS};
use crate::taxii::collections::Kind;

/// A validated object ready to store, with its sharing scope. The
/// collections it appears in follow from the scope (see
/// [`crate::taxii::collections::Kind::contains`]).
pub struct Incoming {
    pub object: StixObject,
    pub access: Access,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Added {
        date_added: i64,
    },
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
    serde_json::to_string(&items.into_iter().collect::<Vec<T>>())
        .unwrap_or_else(|_| "[]".to_owned())
}

/// Serialise appends of the shared store across servers sharing a database,
/// so `date_added` follows commit order.
fn lock_ingest(conn: &mut DbConnection) -> Result<(), ApiError> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(7201000002)").execute(pg)?;
    }
    Ok(())
}

/// One row of `stix_objects` about to be written.
#[derive(Insertable)]
#[diesel(table_name = stix_objects)]
#[diesel(treat_none_as_default_value = false)]
struct NewObject {
    date_added: i64,
    object_id: String,
    object_type: String,
    spec_version: String,
    version: String,
    is_latest: bool,
    is_first: bool,
    revoked: bool,
    valid_until: Option<i64>,
    tlp: String,
    tlp_rank: i32,
    sectors: String,
    audiences: String,
    recipients: String,
    published: bool,
    submitter_org: Option<String>,
    hops: String,
    body: String,
}

/// A version of an object known to the batch: stored before, or written by
/// it (`pending`: its index among the rows to insert).
struct KnownVersion {
    version: String,
    rank: i32,
    is_latest: bool,
    is_first: bool,
    pending: Option<usize>,
}

/// Rows per multi-row statement: 18 binds each stays far below SQLite's
/// 32,766 and PostgreSQL's 65,535 bind limits.
const INSERT_CHUNK: usize = 500;

/// The stored versions of these objects, by object id: one query per chunk
/// instead of one per object.
fn stored_versions(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<HashMap<String, Vec<KnownVersion>>, ApiError> {
    let mut known: HashMap<String, Vec<KnownVersion>> = HashMap::new();
    for chunk in ids.chunks(INSERT_CHUNK) {
        let rows: Vec<(String, String, i32, bool, bool)> = stix_objects::table
            .filter(stix_objects::object_id.eq_any(chunk))
            .select((
                stix_objects::object_id,
                stix_objects::version,
                stix_objects::tlp_rank,
                stix_objects::is_latest,
                stix_objects::is_first,
            ))
            .load(conn)?;
        for (object_id, version, rank, is_latest, is_first) in rows {
            known.entry(object_id).or_default().push(KnownVersion {
                version,
                rank,
                is_latest,
                is_first,
                pending: None,
            });
        }
    }
    Ok(known)
}

fn insert_rows(conn: &mut DbConnection, rows: &[NewObject]) -> Result<(), ApiError> {
    match conn {
        // In-process: one cached single-row statement executed per row costs
        // less than parsing a 9,000-parameter statement for every chunk.
        DbConnection::Sqlite(c) => {
            for row in rows {
                diesel::insert_into(stix_objects::table).values(row).execute(c)?;
            }
        }
        // A round trip per statement: multi-row VALUES (not available through
        // MultiConnection, hence the connection of the dialect).
        DbConnection::Postgres(c) => {
            for chunk in rows.chunks(INSERT_CHUNK) {
                diesel::insert_into(stix_objects::table).values(chunk).execute(c)?;
            }
        }
    }
    Ok(())
}

/// Store a batch in one transaction (the caller's). Durable when it commits.
/// Reads the stored versions of the whole batch at once and writes its new
/// rows with multi-row statements: a handful of statements per batch, not
/// several per object.
pub fn ingest(conn: &mut DbConnection, items: Vec<Incoming>) -> Result<Vec<Outcome>, ApiError> {
    lock_ingest(conn)?;
    let last: Option<i64> = stix_objects::table
        .select(diesel::dsl::max(stix_objects::date_added))
        .first(conn)?;
    let mut next_added = micros(Utc::now()).max(last.unwrap_or(0) + 1);
    let ids: Vec<String> = items
        .iter()
        .map(|i| i.object.id_str().to_owned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut known = stored_versions(conn, &ids)?;
    let mut rows: Vec<NewObject> = Vec::with_capacity(items.len());
    // Stored versions that lose their latest / first mark to a new one.
    let mut no_longer_latest: Vec<(String, String)> = Vec::new();
    let mut no_longer_first: Vec<(String, String)> = Vec::new();
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        let object_id = item.object.id_str().to_owned();
        let sco = item.object.created().is_none() && item.object.modified().is_none();
        let versions = known.entry(object_id.clone()).or_default();
        let date_added = next_added;
        let version = match item.object.modified().or_else(|| item.object.created()) {
            Some(t) => version_text(t.as_datetime()),
            // Unversioned (SCOs): one version, dated when first added.
            None => version_text(from_micros(date_added)),
        };
        if (sco && !versions.is_empty()) || versions.iter().any(|k| k.version == version) {
            outcomes.push(Outcome::Duplicate);
            continue;
        }
        let rank = tlp_rank(item.access.tlp);
        if versions
            .iter()
            .map(|k| k.rank)
            .max()
            .is_some_and(|stored| stored > rank)
        {
            outcomes.push(Outcome::Rejected(format!(
                "the stored versions of {object_id} are marked higher than {}; a TLP is never lowered",
                item.access.tlp.marking_name()
            )));
            continue;
        }
        let latest = versions.iter().position(|k| k.is_latest);
        let first = versions.iter().position(|k| k.is_first);
        let is_latest = latest.is_none_or(|i| version > versions[i].version);
        let is_first = first.is_none_or(|i| version < versions[i].version);
        if let Some(i) = latest.filter(|_| is_latest) {
            let old = &mut versions[i];
            old.is_latest = false;
            match old.pending {
                Some(row) => rows[row].is_latest = false,
                None => no_longer_latest.push((object_id.clone(), old.version.clone())),
            }
        }
        if let Some(i) = first.filter(|_| is_first) {
            let old = &mut versions[i];
            old.is_first = false;
            match old.pending {
                Some(row) => rows[row].is_first = false,
                None => no_longer_first.push((object_id.clone(), old.version.clone())),
            }
        }
        versions.push(KnownVersion {
            version: version.clone(),
            rank,
            is_latest,
            is_first,
            pending: Some(rows.len()),
        });
        let valid_until = match &item.object {
            StixObject::Indicator(i) => i.valid_until.as_ref().map(|t| micros(t.as_datetime())),
            _ => None,
        };
        let access = &item.access;
        rows.push(NewObject {
            date_added,
            object_type: item.object.type_name().to_owned(),
            spec_version: item.object.spec_version().unwrap_or("2.1").to_owned(),
            version,
            is_latest,
            is_first,
            revoked: item.object.is_revoked(),
            valid_until,
            tlp: access.tlp.as_str().to_owned(),
            tlp_rank: rank,
            sectors: list_json(&access.sectors),
            audiences: list_json(&access.audiences),
            recipients: list_json(&access.recipients),
            published: access.published,
            submitter_org: access.submitter.map(|u| u.to_string()),
            hops: list_json(&access.hops),
            body: serde_json::to_string(&item.object).map_err(ApiError::internal)?,
            object_id,
        });
        next_added += 1;
        outcomes.push(Outcome::Added { date_added });
    }
    for (object_id, version) in &no_longer_latest {
        diesel::update(
            stix_objects::table
                .filter(stix_objects::object_id.eq(object_id))
                .filter(stix_objects::version.eq(version)),
        )
        .set(stix_objects::is_latest.eq(false))
        .execute(conn)?;
    }
    for (object_id, version) in &no_longer_first {
        diesel::update(
            stix_objects::table
                .filter(stix_objects::object_id.eq(object_id))
                .filter(stix_objects::version.eq(version)),
        )
        .set(stix_objects::is_first.eq(false))
        .execute(conn)?;
    }
    insert_rows(conn, &rows)?;
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
        VersionFilter {
            all: false,
            first: false,
            last: true,
            exact: Vec::new(),
        }
    }
}

impl VersionFilter {
    pub fn all() -> VersionFilter {
        VersionFilter {
            all: true,
            first: false,
            last: false,
            exact: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only objects in a collection of this kind.
    pub collection: Option<Kind>,
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
        let strings =
            |text: &str| serde_json::from_str::<BTreeSet<String>>(text).unwrap_or_default();
        Access {
            tlp: self.tlp.parse().unwrap_or(Tlp::Red),
            sectors: strings(&self.sectors),
            audiences: serde_json::from_str::<BTreeSet<Audience>>(&self.audiences)
                .unwrap_or_default(),
            recipients: serde_json::from_str::<BTreeSet<Uuid>>(&self.recipients)
                .unwrap_or_default(),
            published: self.published,
            submitter: self
                .submitter_org
                .as_deref()
                .and_then(|s| Uuid::parse_str(s).ok()),
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

/// The newest stored version of one object, and whether it is revoked; the
/// caller decides with [`crate::policy::may_read`] whether its viewer may see it.
pub fn latest(conn: &mut DbConnection, object_id: &str) -> Result<Option<(StoredRow, bool)>, ApiError> {
    let row: Option<StoredRow> = stix_objects::table
        .select(SELECTION)
        .filter(stix_objects::object_id.eq(object_id))
        .filter(stix_objects::is_latest.eq(true))
        .order(stix_objects::date_added.desc())
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let revoked: bool = stix_objects::table
        .filter(stix_objects::date_added.eq(row.date_added))
        .select(stix_objects::revoked)
        .first(conn)?;
    Ok(Some((row, revoked)))
}

fn candidates(
    conn: &mut DbConnection,
    q: &Query,
    after: i64,
    batch: i64,
) -> Result<Vec<StoredRow>, ApiError> {
    let now = micros(Utc::now());
    let mut query = stix_objects::table
        .select(SELECTION)
        .filter(stix_objects::date_added.gt(after))
        .filter(
            stix_objects::valid_until
                .is_null()
                .or(stix_objects::valid_until.gt(now)),
        )
        .order(stix_objects::date_added.asc())
        .limit(batch)
        .into_boxed::<MultiBackend>();
    // A superset of the collection's members, narrowed in SQL where an index
    // or a cheap test can; `page` checks membership exactly on every row.
    match &q.collection {
        None | Some(Kind::AllSectors) => {}
        Some(Kind::Public) => {
            query = query
                .filter(stix_objects::tlp.eq(Tlp::Clear.as_str()))
                .filter(stix_objects::published.eq(true));
        }
        Some(Kind::Sector(sector)) => {
            // `sectors` is a JSON list of strings: an object in scope holds
            // `"*"` or the sector's JSON string. LIKE's wildcards only widen
            // the match; a backslash (an escape for PostgreSQL's LIKE) could
            // narrow it, so such an id is left to the exact check alone.
            let quoted = serde_json::to_string(sector).unwrap_or_default();
            if !quoted.contains('\\') {
                query = query.filter(
                    stix_objects::sectors
                        .like(format!(
                            "%{}%",
                            serde_json::to_string(ALL_SECTORS).unwrap_or_default()
                        ))
                        .or(stix_objects::sectors.like(format!("%{quoted}%"))),
                );
            }
        }
    }
    // One id (a single-object GET) as `=`: a statement with `IN` is never
    // cached by diesel, so it would be parsed and planned on every request.
    match q.ids.as_slice() {
        [] => {}
        [id] => query = query.filter(stix_objects::object_id.eq(id.clone())),
        ids => query = query.filter(stix_objects::object_id.eq_any(ids.to_vec())),
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
            (true, true, true) => query.filter(
                stix_objects::is_latest
                    .eq(true)
                    .or(stix_objects::is_first.eq(true)),
            ),
            (false, false, false) => query.filter(stix_objects::version.eq_any(exact)),
            (false, true, false) => query.filter(
                stix_objects::is_latest
                    .eq(true)
                    .or(stix_objects::version.eq_any(exact)),
            ),
            (true, false, false) => query.filter(
                stix_objects::is_first
                    .eq(true)
                    .or(stix_objects::version.eq_any(exact)),
            ),
            (true, true, false) => query.filter(
                stix_objects::is_latest
                    .eq(true)
                    .or(stix_objects::is_first.eq(true))
                    .or(stix_objects::version.eq_any(exact)),
            ),
            (false, false, true) => query.filter(stix_objects::is_latest.eq(true)),
        };
    }
    Ok(query.load::<StoredRow>(conn)?)
}

/// The scope columns of a row, as stored.
#[derive(PartialEq, Eq)]
struct ScopeColumns {
    tlp: String,
    sectors: String,
    audiences: String,
    recipients: String,
    published: bool,
    submitter_org: Option<String>,
    hops: String,
}

impl ScopeColumns {
    fn of(row: &StoredRow) -> ScopeColumns {
        ScopeColumns {
            tlp: row.tlp.clone(),
            sectors: row.sectors.clone(),
            audiences: row.audiences.clone(),
            recipients: row.recipients.clone(),
            published: row.published,
            submitter_org: row.submitter_org.clone(),
            hops: row.hops.clone(),
        }
    }

    fn matches(&self, row: &StoredRow) -> bool {
        self.tlp == row.tlp
            && self.sectors == row.sectors
            && self.audiences == row.audiences
            && self.recipients == row.recipients
            && self.published == row.published
            && self.submitter_org == row.submitter_org
            && self.hops == row.hops
    }
}

/// The access of the rows of one read, parsed once per run of rows with the
/// same scope columns (an envelope's objects share theirs) instead of once
/// per row.
struct ScopeCache {
    columns: Option<ScopeColumns>,
    /// The access of `columns`; meaningless while `columns` is None.
    access: Access,
}

impl ScopeCache {
    fn new() -> ScopeCache {
        ScopeCache {
            columns: None,
            access: Access::published(Tlp::Red),
        }
    }

    fn access(&mut self, row: &StoredRow) -> &Access {
        if !self.columns.as_ref().is_some_and(|c| c.matches(row)) {
            self.columns = Some(ScopeColumns::of(row));
            self.access = row.access();
        }
        &self.access
    }
}

/// Up to `q.limit` rows the viewer may see, in `date_added` order, and
/// whether more exist. Rows outside the collection or denied by the policy
/// are skipped without trace.
pub fn page(conn: &mut DbConnection, q: &Query, viewer: &Viewer) -> Result<Page, ApiError> {
    let limit = q.limit.max(1);
    // One more than the page tells whether more exist when nothing is
    // filtered out (a curator's read); later batches are larger.
    let mut batch = (limit as i64).saturating_add(1).min(5000);
    let mut after = q.after.unwrap_or(i64::MIN);
    let mut rows = Vec::with_capacity(limit.min(5000));
    let mut scopes = ScopeCache::new();
    loop {
        let found = candidates(conn, q, after, batch)?;
        let exhausted = (found.len() as i64) < batch;
        for row in found {
            after = row.date_added;
            let access = scopes.access(&row);
            if !q
                .collection
                .as_ref()
                .is_none_or(|kind| kind.contains(access))
                || !policy::may_read(viewer, access)
            {
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
        batch = (limit as i64 * 2).clamp(100, 5000);
    }
}

/// Delete an object (all versions, or the listed ones). Returns the number of rows removed.
pub fn delete(
    conn: &mut DbConnection,
    object_id: &str,
    versions: &VersionFilter,
) -> Result<usize, ApiError> {
    lock_ingest(conn)?;
    let doomed: Vec<(i64, String)> = {
        let q = Query {
            ids: vec![object_id.to_owned()],
            versions: versions.clone(),
            limit: usize::MAX,
            ..Query::default()
        };
        candidates(conn, &q, i64::MIN, i64::MAX)?
            .into_iter()
            .map(|r| (r.date_added, r.version))
            .collect()
    };
    if doomed.is_empty() {
        return Ok(0);
    }
    let keys: Vec<i64> = doomed.iter().map(|(d, _)| *d).collect();
    diesel::delete(stix_objects::table.filter(stix_objects::date_added.eq_any(keys)))
        .execute(conn)?;
    // The remaining versions get their first/latest marks back.
    let remaining: Vec<String> = stix_objects::table
        .filter(stix_objects::object_id.eq(object_id))
        .select(stix_objects::version)
        .order(stix_objects::version.asc())
        .load(conn)?;
    if let (Some(first), Some(last)) = (remaining.first(), remaining.last()) {
        diesel::update(stix_objects::table.filter(stix_objects::object_id.eq(object_id)))
            .set((
                stix_objects::is_first.eq(false),
                stix_objects::is_latest.eq(false),
            ))
            .execute(conn)?;
        diesel::update(
            stix_objects::table
                .filter(stix_objects::object_id.eq(object_id))
                .filter(stix_objects::version.eq(first)),
        )
        .set(stix_objects::is_first.eq(true))
        .execute(conn)?;
        diesel::update(
            stix_objects::table
                .filter(stix_objects::object_id.eq(object_id))
                .filter(stix_objects::version.eq(last)),
        )
        .set(stix_objects::is_latest.eq(true))
        .execute(conn)?;
    }
    Ok(doomed.len())
}

/// Parse a TAXII/STIX timestamp into the store's version text.
pub fn parse_version(text: &str) -> Option<String> {
    StixTimestamp::parse(text)
        .ok()
        .map(|t| version_text(t.as_datetime()))
}
