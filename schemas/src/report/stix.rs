//! A report as STIX 2.1 and back, losslessly.
//!
//! The report becomes an `incident` whose STIX properties carry what STIX
//! has a place for (title → name, description, lang, created, modified,
//! TLP → object_marking_refs), the Incident Core community extension carries
//! its coarse STIX-world reading (determination, status, impacted counts),
//! and our own property extension carries every other field, so
//! [`Report::from_stix`] rebuilds exactly the report that went in. Each
//! indicator is emitted as is, linked to the incident by an `indicates`
//! relationship (`related-to` for observables) whose id is derived from both
//! ends, so converting twice yields the same objects.

use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::{
    Attribution, CiaImpact, Contact, Report, ReportKind, ReportTimes, ServiceImpact,
    StatutoryAssessment, REPORT_SCHEMA_URL,
};
use crate::stix::{
    Bundle, CommonProperties, Identity, Incident, Relationship, StixId, StixObject, StixTimestamp,
    SPEC_VERSION,
};
use crate::tlp::Tlp;

/// Our extension definition: carries the report fields STIX has no place for.
pub const REPORT_EXTENSION_ID: &str = "extension-definition--2d47e858-876d-4d2a-95c3-0d99ee420ee1";
/// The isacx project identity that authors [`extension_definition`].
pub const ISACX_IDENTITY_ID: &str = "identity--e78533ee-6dfc-4cf4-977c-b686b2923680";
/// Incident Core community extension (OASIS cti-stix-common-objects).
pub const INCIDENT_CORE_EXTENSION_ID: &str =
    "extension-definition--ef765651-680c-498d-9894-99799f2fa126";
/// `created`/`modified` of the fixed objects above; bump `modified` (and
/// `version`) if the extension ever changes.
const FIXED_OBJECTS_CREATED: &str = "2026-11-25T00:00:00.000Z";
const EXTENSION_VERSION: &str = "1.0.0";

/// Why STIX objects could not be read as a report.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StixMappingError {
    #[error("no incident carrying the isacx report extension {REPORT_EXTENSION_ID}")]
    NoReport,
    #[error("several incidents carry the isacx report extension: {0:?}; pass one at a time")]
    SeveralReports(Vec<String>),
    #[error("incident id {0:?} is not incident--<uuid>")]
    BadIncidentId(String),
    #[error("the incident carries no TLP marking")]
    NoTlp,
    #[error("the isacx report extension is malformed: {0}")]
    BadExtension(String),
    #[error("indicator {0} named by the report is not among the objects")]
    MissingIndicator(String),
    #[error("cannot serialise the report extension: {0}")]
    Serialise(String),
}

/// The property-extension body: every report field without a STIX home.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ReportExtension {
    extension_type: String,
    kind: ReportKind,
    sector: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    affected_service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    critical_system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
    #[serde(default, skip_serializing_if = "CiaImpact::is_none")]
    cia_impact: CiaImpact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    threat_event: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    risk_sources: Vec<String>,
    times: ReportTimes,
    #[serde(default, skip_serializing_if = "ServiceImpact::is_empty")]
    service_impact: ServiceImpact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    statutory: Option<StatutoryAssessment>,
    attribution: Attribution,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    follow_up_contact: Option<Contact>,
    /// The report's indicator ids, in order (relationships are unordered).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    indicator_refs: Vec<String>,
    /// The report's title and description were empty / absent: STIX needs a
    /// name, so an empty title travels as this flag.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    empty_title: bool,
}

fn fixed_timestamp() -> StixTimestamp {
    StixTimestamp::parse(FIXED_OBJECTS_CREATED)
        .unwrap_or_else(|_| StixTimestamp::from_datetime_millis(DateTime::UNIX_EPOCH))
}

/// Keeps every digit the instant has, but no more than STIX needs.
fn timestamp(instant: DateTime<Utc>) -> StixTimestamp {
    if instant.nanosecond().is_multiple_of(1_000_000) {
        StixTimestamp::from_datetime_millis(instant)
    } else {
        StixTimestamp::from_datetime_nanos(instant)
    }
}

/// The isacx identity that authors our extension definition.
pub fn isacx_identity() -> Identity {
    let mut identity = Identity::new("isacx", "system");
    identity.common.id = StixId::from(ISACX_IDENTITY_ID);
    identity.common.created = fixed_timestamp();
    identity.common.modified = fixed_timestamp();
    identity.description = Some(
        "The isacx information-sharing exchange software (author of its STIX extensions)."
            .to_owned(),
    );
    identity
}

/// Our `extension-definition` object (STIX 2.1 §7.3); not modelled by the
/// stix module, so it is built as JSON.
pub fn extension_definition() -> StixObject {
    let created = fixed_timestamp().to_string();
    let value = json!({
        "type": "extension-definition",
        "spec_version": SPEC_VERSION,
        "id": REPORT_EXTENSION_ID,
        "created_by_ref": ISACX_IDENTITY_ID,
        "created": created,
        "modified": created,
        "name": "isacx incident report",
        "description": "Fields of an isacx incident report (情報連絡) that STIX 2.1 has no property for: kind, sector, service, critical system, outcome and CIA impact, threat event, risk sources, times, service impact, statutory assessment, attribution consent and follow-up contact. Property names and values are those of the report schema.",
        "schema": REPORT_SCHEMA_URL,
        "version": EXTENSION_VERSION,
        "extension_types": ["property-extension"]
    });
    match value {
        Value::Object(map) => StixObject::Unknown(map),
        _ => StixObject::Unknown(Map::new()),
    }
}

/// Deterministic id of the relationship from an indicator to the incident.
fn relationship_id(incident: &str, relationship_type: &str, source: &str) -> StixId {
    let namespace = REPORT_EXTENSION_ID
        .strip_prefix("extension-definition--")
        .and_then(|u| Uuid::parse_str(u).ok())
        .unwrap_or(Uuid::nil());
    let name = format!("{source}|{relationship_type}|{incident}");
    // Hash-derived but shaped as v4: STIX wants UUIDv4 for SROs, we want
    // the same id every time the report is converted.
    let bytes = Uuid::new_v5(&namespace, name.as_bytes()).into_bytes();
    StixId::from_parts(
        "relationship",
        uuid::Builder::from_random_bytes(bytes).into_uuid(),
    )
}

fn incident_core(report: &Report) -> Value {
    let determination = match report.kind {
        ReportKind::Incident => "successful-attempt",
        ReportKind::Precursor => "suspected",
        ReportKind::NearMiss => "blocked",
    };
    let status = if report.times.recovered.is_some() {
        "closed"
    } else {
        "open"
    };
    let mut core = Map::new();
    core.insert("extension_type".into(), "property-extension".into());
    core.insert("determination".into(), determination.into());
    core.insert("investigation_status".into(), status.into());
    let mut counts = Map::new();
    if let Some(n) = report.service_impact.users_affected.filter(|n| *n >= 0) {
        counts.insert("users".into(), n.into());
    }
    if let Some(n) = report
        .service_impact
        .households_affected
        .filter(|n| *n >= 0)
    {
        counts.insert("households".into(), n.into());
    }
    if !counts.is_empty() {
        core.insert("impacted_entity_counts".into(), Value::Object(counts));
    }
    Value::Object(core)
}

impl Report {
    /// The STIX id of the incident this report becomes.
    pub fn incident_id(&self) -> StixId {
        StixId::from_parts("incident", self.id)
    }

    /// The incident, the indicators as given, and one relationship per
    /// indicator. Marking definitions and the extension definition are not
    /// included; [`Report::to_stix_bundle`] adds them.
    pub fn to_stix_objects(&self) -> Result<Vec<StixObject>, StixMappingError> {
        let incident_id = self.incident_id();
        let ext = ReportExtension {
            extension_type: "property-extension".to_owned(),
            kind: self.kind,
            sector: self.sector.clone(),
            service: self.service.clone(),
            affected_service: self.affected_service.clone(),
            critical_system: self.critical_system.clone(),
            outcome: self.outcome.clone(),
            cia_impact: self.cia_impact,
            threat_event: self.threat_event.clone(),
            risk_sources: self.risk_sources.clone(),
            times: self.times.clone(),
            service_impact: self.service_impact.clone(),
            statutory: self.statutory.clone(),
            attribution: self.attribution,
            follow_up_contact: self.follow_up_contact.clone(),
            indicator_refs: self
                .indicators
                .iter()
                .map(|o| o.id_str().to_owned())
                .collect(),
            empty_title: self.title.is_empty(),
        };
        let ext =
            serde_json::to_value(&ext).map_err(|e| StixMappingError::Serialise(e.to_string()))?;
        let mut extensions = Map::new();
        extensions.insert(INCIDENT_CORE_EXTENSION_ID.to_owned(), incident_core(self));
        extensions.insert(REPORT_EXTENSION_ID.to_owned(), ext);

        let mut common = CommonProperties::new("incident");
        common.id = incident_id.clone();
        common.created = timestamp(self.created);
        common.modified = timestamp(self.modified);
        common.lang = Some(self.lang.clone());
        common.object_marking_refs = vec![StixId::from(self.tlp.marking_id())];
        common.extensions = Some(extensions);
        let mut incident = Incident::new(if self.title.is_empty() {
            "(untitled)".to_owned()
        } else {
            self.title.clone()
        });
        incident.common = common;
        incident.description = (!self.description.is_empty()).then(|| self.description.clone());

        let mut objects = Vec::with_capacity(1 + 2 * self.indicators.len());
        objects.push(StixObject::from(incident));
        objects.extend(self.indicators.iter().cloned());
        for indicator in &self.indicators {
            let relationship_type = if indicator.type_name() == "indicator" {
                "indicates"
            } else {
                "related-to"
            };
            let source = indicator.id();
            let mut rel = Relationship::new(relationship_type, source.clone(), incident_id.clone());
            rel.common.id =
                relationship_id(incident_id.as_str(), relationship_type, source.as_str());
            rel.common.created = timestamp(self.modified);
            rel.common.modified = timestamp(self.modified);
            rel.common.object_marking_refs = vec![StixId::from(self.tlp.marking_id())];
            objects.push(StixObject::from(rel));
        }
        Ok(objects)
    }

    /// A self-contained bundle: the report's objects plus the TLP marking
    /// definition, our extension definition and its author.
    pub fn to_stix_bundle(&self) -> Result<Bundle, StixMappingError> {
        let mut objects = vec![
            StixObject::from(isacx_identity()),
            extension_definition(),
            StixObject::from(self.tlp.marking_definition()),
        ];
        objects.extend(self.to_stix_objects()?);
        Ok(Bundle::new(objects))
    }

    /// Rebuilds the report from STIX objects (a bundle's `objects`): the one
    /// incident carrying our extension, and the indicators it names.
    pub fn from_stix(objects: &[StixObject]) -> Result<Report, StixMappingError> {
        let mut found = objects.iter().filter_map(|o| match o {
            StixObject::Incident(i)
                if i.common
                    .extensions
                    .as_ref()
                    .is_some_and(|e| e.contains_key(REPORT_EXTENSION_ID)) =>
            {
                Some(i)
            }
            _ => None,
        });
        let incident = found.next().ok_or(StixMappingError::NoReport)?;
        let rest: Vec<&Incident> = found.collect();
        if !rest.is_empty() {
            let mut ids = vec![incident.common.id.to_string()];
            ids.extend(rest.iter().map(|i| i.common.id.to_string()));
            return Err(StixMappingError::SeveralReports(ids));
        }
        Self::from_stix_incident(incident, objects)
    }

    /// Rebuilds the report from one incident; its indicators are looked up
    /// in `objects`.
    pub fn from_stix_incident(
        incident: &Incident,
        objects: &[StixObject],
    ) -> Result<Report, StixMappingError> {
        let id_text = incident.common.id.as_str();
        let id = id_text
            .strip_prefix("incident--")
            .and_then(|u| Uuid::parse_str(u).ok())
            .ok_or_else(|| StixMappingError::BadIncidentId(id_text.to_owned()))?;
        let ext_value = incident
            .common
            .extensions
            .as_ref()
            .and_then(|e| e.get(REPORT_EXTENSION_ID))
            .ok_or(StixMappingError::NoReport)?;
        let ext: ReportExtension = serde_json::from_value(ext_value.clone())
            .map_err(|e| StixMappingError::BadExtension(e.to_string()))?;
        let tlp = Tlp::of_marking_refs(
            incident
                .common
                .object_marking_refs
                .iter()
                .map(StixId::as_str),
        )
        .ok_or(StixMappingError::NoTlp)?;
        let indicators = ext
            .indicator_refs
            .iter()
            .map(|want| {
                objects
                    .iter()
                    .find(|o| o.id_str() == want)
                    .cloned()
                    .ok_or_else(|| StixMappingError::MissingIndicator(want.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Report {
            id,
            created: incident.common.created.as_datetime(),
            modified: incident.common.modified.as_datetime(),
            kind: ext.kind,
            lang: incident.common.lang.clone().unwrap_or_default(),
            title: if ext.empty_title {
                String::new()
            } else {
                incident.name.clone()
            },
            description: incident.description.clone().unwrap_or_default(),
            sector: ext.sector,
            service: ext.service,
            affected_service: ext.affected_service,
            critical_system: ext.critical_system,
            outcome: ext.outcome,
            cia_impact: ext.cia_impact,
            threat_event: ext.threat_event,
            risk_sources: ext.risk_sources,
            times: ext.times,
            service_impact: ext.service_impact,
            statutory: ext.statutory,
            indicators,
            tlp,
            attribution: ext.attribution,
            follow_up_contact: ext.follow_up_contact,
        })
    }
}
