//! Advisories from peers. A STIX `report` carrying our advisory extension
//! that arrives by federation (pulled or pushed) becomes a local advisory
//! row, so matching, reassessment tasks and notifications run for this
//! server's members exactly as for a local publication. The row names its
//! origin (the server it was published on, from the provenance extension);
//! only that origin changes it: a newer version from it amends the
//! advisory, a revoked one withdraws it, and a local amendment or withdrawal
//! is refused (409).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use isacx_schemas::advisory::{AdvisoryDraft, AdvisoryState, LocalisedText, Urgency, ADVISORY_EXTENSION_ID};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::{content_json, load_by_stix_id, matching, notify_concerned, tasks, AdvisoryRow};
use crate::app::AppState;
use crate::audit::{self, Actor, Entry};
use crate::db::schema::advisories;
use crate::db::{now, DbConnection};
use crate::error::ApiError;
use crate::notify;
use crate::policy::{Access, ALL_SECTORS};

/// The advisory extension as published by [`super::stix::versions`]; fields
/// this server does not know are ignored (a newer peer may add some).
#[derive(Debug, Deserialize)]
struct Extension {
    #[serde(default)]
    urgency: Urgency,
    title: LocalisedText,
    summary: LocalisedText,
    #[serde(default)]
    affected_sectors: Vec<String>,
    #[serde(default)]
    threat_events: Vec<String>,
    #[serde(default)]
    risk_sources: Vec<String>,
    #[serde(default)]
    products: Vec<String>,
    #[serde(default)]
    recommended_actions: Vec<LocalisedText>,
    #[serde(default)]
    reassessment_deadline: Option<DateTime<Utc>>,
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    withdrawn_reason: Option<String>,
}

/// An advisory as a peer sent it, checked and mapped to this server's sectors.
#[derive(Debug, Clone)]
pub struct Imported {
    pub stix_id: String,
    pub modified: String,
    pub revoked: bool,
    pub published: Option<DateTime<Utc>>,
    pub draft: AdvisoryDraft,
    pub urgency: Urgency,
    pub version: Option<u32>,
    pub withdrawn_reason: Option<String>,
    /// Server id of the server it was published on.
    pub origin: String,
}

/// Whether a raw STIX object is an advisory report (a `report` with our advisory extension).
pub fn is_advisory(object: &Value) -> bool {
    object.get("type").and_then(Value::as_str) == Some("report")
        && object
            .get("extensions")
            .and_then(|e| e.get(ADVISORY_EXTENSION_ID))
            .is_some_and(Value::is_object)
}

/// The advisory an incoming report carries, given the access ingress gave
/// it (TLP and scope kept, sectors mapped) and its provenance origin.
pub fn parse(object: &Value, access: &Access, origin: &str, sector_map: &BTreeMap<String, String>) -> Result<Imported, String> {
    let extension = object
        .get("extensions")
        .and_then(|e| e.get(ADVISORY_EXTENSION_ID))
        .cloned()
        .ok_or_else(|| "not an advisory report".to_owned())?;
    let ext: Extension =
        serde_json::from_value(extension).map_err(|e| format!("extensions.{ADVISORY_EXTENSION_ID}: {e}"))?;
    if ext.title.en.trim().is_empty() && ext.title.ja.trim().is_empty() {
        return Err(format!("extensions.{ADVISORY_EXTENSION_ID}.title: an advisory needs a title"));
    }
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
    let stix_id = text("id").ok_or_else(|| "the report has no id".to_owned())?;
    let modified = text("modified").ok_or_else(|| "the report has no modified".to_owned())?;
    let published = text("published")
        .and_then(|p| DateTime::parse_from_rfc3339(&p).ok())
        .map(|p| p.with_timezone(&Utc));
    let map = |sectors: Vec<String>| -> Vec<String> {
        sectors.into_iter().map(|s| sector_map.get(&s).cloned().unwrap_or(s)).collect()
    };
    let indicators = object
        .get("object_refs")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .filter_map(Value::as_str)
                .filter(|r| r.starts_with("indicator--"))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let draft = AdvisoryDraft {
        title: ext.title,
        summary: ext.summary,
        urgency: Some(ext.urgency),
        tlp: Some(access.tlp.as_str().to_owned()),
        scope_sectors: access.sectors.iter().filter(|s| s.as_str() != ALL_SECTORS).cloned().collect(),
        audiences: access
            .audiences
            .iter()
            .filter_map(|a| serde_json::to_value(a).ok().and_then(|v| v.as_str().map(str::to_owned)))
            .collect(),
        // RED never travels between servers, so an import names no recipients.
        recipients: Vec::new(),
        affected_sectors: map(ext.affected_sectors),
        threat_events: ext.threat_events,
        risk_sources: ext.risk_sources,
        products: ext.products,
        recommended_actions: ext.recommended_actions,
        reassessment_deadline: if ext.urgency == Urgency::Urgent { ext.reassessment_deadline } else { None },
        // The raw reports it was made from never leave their server.
        reports: Vec::new(),
        indicators,
    };
    Ok(Imported {
        stix_id,
        modified,
        revoked: object.get("revoked").and_then(Value::as_bool).unwrap_or(false),
        published,
        draft,
        urgency: ext.urgency,
        version: ext.version,
        withdrawn_reason: ext.withdrawn_reason,
        origin: origin.to_owned(),
    })
}

/// Refuse a version of an advisory that is not the sender's to version: our
/// own advisories, or one imported from another origin.
pub fn check_owner(conn: &mut DbConnection, stix_id: &str, origin: &str) -> Result<Result<(), String>, ApiError> {
    let existing: Option<Option<String>> = advisories::table
        .filter(advisories::stix_id.eq(stix_id))
        .select(advisories::origin)
        .first(conn)
        .optional()?;
    Ok(match existing {
        None => Ok(()),
        Some(Some(o)) if o == origin => Ok(()),
        Some(Some(o)) => Err(format!("advisory {stix_id} was published by `{o}`; only its origin versions it")),
        Some(None) => Err(format!("advisory {stix_id} is this server's own; only this server versions it")),
    })
}

fn newer(candidate: &str, stored: Option<&str>) -> bool {
    let parse = |t: &str| DateTime::parse_from_rfc3339(t).ok().map(|d| d.with_timezone(&Utc));
    match (parse(candidate), stored.and_then(parse)) {
        (Some(c), Some(s)) => c > s,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// Create, amend or withdraw the local advisory for a newly stored version,
/// with matching, tasks and notifications, in the caller's transaction.
/// Returns what happened ("published", "amended", "withdrawn") or None when
/// the version changes nothing (an older one arriving late).
pub fn apply(state: &AppState, conn: &mut DbConnection, actor: &Actor, imported: Imported) -> Result<Option<&'static str>, ApiError> {
    let existing = load_by_stix_id(conn, &imported.stix_id)?;
    let tlp = imported.draft.tlp.clone().unwrap_or_else(|| "red".to_owned());
    let at = now();
    let (row, kind, concerned) = match existing {
        None => {
            let id = Uuid::new_v4();
            let state_now = if imported.revoked { AdvisoryState::Withdrawn } else { AdvisoryState::Published };
            let published_at = imported.published.map(|p| p.naive_utc()).unwrap_or(at);
            diesel::insert_into(advisories::table)
                .values((
                    advisories::id.eq(id.to_string()),
                    advisories::stix_id.eq(&imported.stix_id),
                    advisories::state.eq(state_now.as_str()),
                    advisories::version.eq(imported.version.unwrap_or(1).max(1) as i32),
                    advisories::urgency.eq(imported.urgency.as_str()),
                    advisories::tlp.eq(&tlp),
                    advisories::content.eq(content_json(&imported.draft)?),
                    advisories::stix_modified.eq(Some(&imported.modified)),
                    advisories::created_by.eq(&actor.label),
                    advisories::withdrawn_reason.eq(imported.withdrawn_reason.as_deref()),
                    advisories::created_at.eq(at),
                    advisories::updated_at.eq(at),
                    advisories::published_at.eq(Some(published_at)),
                    advisories::origin.eq(Some(&imported.origin)),
                ))
                .execute(conn)?;
            let row = load_by_stix_id(conn, &imported.stix_id)?.ok_or_else(|| ApiError::internal("advisory vanished"))?;
            if imported.revoked {
                // First seen already withdrawn: on record, nobody to tell.
                audit_import(conn, actor, &row, "withdrawn", 0, 0)?;
                return Ok(Some("withdrawn"));
            }
            let concerned = matching::concerned(conn, &imported.draft, &row.access())?;
            (row, notify::EventKind::AdvisoryPublished, concerned)
        }
        Some(row) => {
            if row.state() == AdvisoryState::Withdrawn || !newer(&imported.modified, row.stix_modified.as_deref()) {
                return Ok(None);
            }
            let version = imported.version.map(|v| v as i32).unwrap_or(row.version + 1).max(row.version + 1);
            if imported.revoked {
                let concerned = matching::concerned(conn, &row.content(), &row.access())?;
                diesel::update(advisories::table.find(&row.id))
                    .set((
                        advisories::state.eq(AdvisoryState::Withdrawn.as_str()),
                        advisories::version.eq(version),
                        advisories::stix_modified.eq(Some(&imported.modified)),
                        advisories::withdrawn_reason.eq(Some(
                            imported.withdrawn_reason.clone().unwrap_or_else(|| format!("withdrawn by {}", imported.origin)),
                        )),
                        advisories::updated_at.eq(at),
                    ))
                    .execute(conn)?;
                let cancelled = tasks::cancel_all(conn, &row.id)?;
                let row = load_by_stix_id(conn, &imported.stix_id)?.ok_or_else(|| ApiError::internal("advisory vanished"))?;
                audit_import(conn, actor, &row, "withdrawn", concerned.len(), cancelled)?;
                notify_concerned(state, conn, &row, notify::EventKind::AdvisoryWithdrawn, &concerned)?;
                return Ok(Some("withdrawn"));
            }
            diesel::update(advisories::table.find(&row.id))
                .set((
                    advisories::version.eq(version),
                    advisories::urgency.eq(imported.urgency.as_str()),
                    advisories::tlp.eq(&tlp),
                    advisories::content.eq(content_json(&imported.draft)?),
                    advisories::stix_modified.eq(Some(&imported.modified)),
                    advisories::updated_at.eq(at),
                ))
                .execute(conn)?;
            let row = load_by_stix_id(conn, &imported.stix_id)?.ok_or_else(|| ApiError::internal("advisory vanished"))?;
            let concerned = matching::concerned(conn, &imported.draft, &row.access())?;
            tasks::cancel_unconcerned(conn, &row, &concerned)?;
            (row, notify::EventKind::AdvisoryAmended, concerned)
        }
    };
    let opened = if row.urgency() == Urgency::Urgent { tasks::open_for(state, conn, &row, &concerned)? } else { 0 };
    let stage = if kind == notify::EventKind::AdvisoryPublished { "published" } else { "amended" };
    audit_import(conn, actor, &row, stage, concerned.len(), opened)?;
    notify_concerned(state, conn, &row, kind, &concerned)?;
    Ok(Some(stage))
}

fn audit_import(conn: &mut DbConnection, actor: &Actor, row: &AdvisoryRow, stage: &str, concerned: usize, tasks: usize) -> Result<(), ApiError> {
    audit::append(
        conn,
        actor,
        Entry {
            action: "advisory.import",
            target: format!("advisory:{}", row.id),
            detail: serde_json::json!({
                "stix_id": row.stix_id, "origin": row.origin, "stage": stage, "modified": row.stix_modified,
                "version": row.version, "tlp": row.tlp, "urgency": row.urgency, "concerned": concerned, "tasks": tasks,
            }),
        },
    )
}
