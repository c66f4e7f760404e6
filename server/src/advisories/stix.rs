//! An advisory as STIX 2.1: a `report` (report_types `threat-report`)
//! authored by the sharing body, English name and description with the
//! Japanese in our property extension beside urgency, affected sectors,
//! threat events, risk sources, products, recommended actions and the
//! reassessment deadline. Each publication, amendment and withdrawal is a
//! version of the same report id; a withdrawal is `revoked: true`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use isacx_schemas::advisory::{AdvisoryDraft, Urgency, ADVISORY_EXTENSION_ID};
use isacx_schemas::stix::{Identity, StixObject};
use isacx_schemas::tlp::Tlp;
use serde_json::json;

use super::AdvisoryRow;
use crate::app::AppState;
use crate::db::schema::reports;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::policy::{Access, ALL_SECTORS};
use crate::store::Incoming;

/// STIX timestamp text with millisecond precision (what validators want).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// What the report refers to: the incidents of the reports it is made from,
/// the indicators, or — made from scratch — the sharing body itself
/// (`object_refs` must not be empty).
pub fn object_refs(conn: &mut DbConnection, draft: &AdvisoryDraft, identity_id: &str) -> Result<Vec<String>, ApiError> {
    let mut refs = Vec::new();
    for id in &draft.reports {
        let stix: Option<String> = reports::table.find(id.to_string()).select(reports::sanitised_stix).first(conn).optional()?;
        let objects: Vec<serde_json::Value> = stix.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
        refs.extend(
            objects
                .iter()
                .filter(|o| o["type"] == "incident")
                .filter_map(|o| o["id"].as_str().map(str::to_owned)),
        );
    }
    refs.extend(draft.indicators.iter().cloned());
    if refs.is_empty() {
        refs.push(identity_id.to_owned());
    }
    refs.dedup();
    Ok(refs)
}

/// The extension definition of the advisory extension (CLEAR, fixed).
fn extension_definition() -> Result<StixObject, ApiError> {
    let created = "2026-12-03T00:00:00.000Z";
    let value = json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": ADVISORY_EXTENSION_ID,
        "created_by_ref": isacx_schemas::report::stix::ISACX_IDENTITY_ID,
        "created": created,
        "modified": created,
        "name": "isacx advisory",
        "description": "Fields of an isacx advisory (情報提供) beyond the STIX report: urgency, title and summary in English and Japanese, affected sectors, threat events and risk sources (ids of the isacx taxonomy), affected products (CPE 2.3 or vendor:product), recommended actions, and the reassessment deadline of an urgent advisory.",
        "schema": "https://isacx.example/schemas/advisory-extension.json",
        "version": "1.0.0",
        "extension_types": ["property-extension"]
    });
    isacx_schemas::stix::object_from_json(value).map_err(|e| ApiError::internal(format!("advisory extension definition: {e:?}")))
}

/// The objects of one version, with the access each is stored under.
#[allow(clippy::too_many_arguments)]
pub fn versions(
    state: &AppState,
    row: &AdvisoryRow,
    draft: &AdvisoryDraft,
    access: &Access,
    tlp: Tlp,
    refs: Vec<String>,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
    withdrawn: Option<&str>,
    identity: Identity,
) -> Result<Vec<Incoming>, ApiError> {
    let urgency = draft.urgency.unwrap_or(Urgency::Info);
    let deadline = if urgency == Urgency::Urgent {
        Some(draft.reassessment_deadline.unwrap_or_else(|| super::tasks::default_deadline(state, created)))
    } else {
        None
    };
    let mut extension = json!({
        "extension_type": "property-extension",
        "urgency": urgency,
        "title": draft.title,
        "summary": draft.summary,
        "affected_sectors": draft.affected_sectors,
        "threat_events": draft.threat_events,
        "risk_sources": draft.risk_sources,
        "products": draft.products,
        "recommended_actions": draft.recommended_actions,
        "reassessment_requested": urgency == Urgency::Urgent,
        "version": row.version + 1,
    });
    if let Some(d) = deadline {
        extension["reassessment_deadline"] = json!(timestamp(d));
    }
    if let Some(reason) = withdrawn {
        extension["withdrawn_reason"] = json!(reason);
    }
    // STIX forbids empty lists: a property with nothing in it is left out.
    if let Some(map) = extension.as_object_mut() {
        map.retain(|_, v| !v.as_array().is_some_and(Vec::is_empty));
    }
    let mut report = json!({
        "type": "report",
        "spec_version": "2.1",
        "id": row.stix_id,
        "created_by_ref": identity.common.id.to_string(),
        "created": timestamp(created),
        "modified": timestamp(modified),
        "published": timestamp(created),
        "name": draft.title.en,
        "description": draft.summary.en,
        "lang": "en",
        "report_types": ["threat-report"],
        "labels": [format!("urgency:{}", urgency.as_str())],
        "object_refs": refs,
        "object_marking_refs": [tlp.marking_id()],
        "extensions": { ADVISORY_EXTENSION_ID: extension },
    });
    if withdrawn.is_some() {
        report["revoked"] = json!(true);
    }
    let report = isacx_schemas::stix::object_from_json(report).map_err(|e| ApiError::internal(format!("advisory report: {e:?}")))?;
    let mut clear = Access::published(Tlp::Clear);
    clear.sectors = std::collections::BTreeSet::from([ALL_SECTORS.to_owned()]);
    let shared = |object: StixObject| Incoming { object, access: clear.clone() };
    Ok(vec![
        shared(StixObject::Identity(identity)),
        shared(StixObject::Identity(isacx_schemas::report::stix::isacx_identity())),
        shared(extension_definition()?),
        Incoming { object: report, access: access.clone() },
    ])
}
