//! The incident report (情報連絡) a member submits: incident (障害), precursor
//! (予兆) or near miss (ヒヤリハット).
//!
//! Enumerated fields (sector, service, critical system, outcome, threat
//! event, risk sources, thresholds) hold taxonomy ids as strings, because the
//! taxonomy is data a deployment may extend; [`Report::validate`] checks them
//! against the [`Taxonomy`] in force, and the committed JSON Schema lists the
//! built-in ids. The report maps to STIX losslessly ([`stix`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::FieldError;
use crate::stix::StixObject;
use crate::taxonomy::{self, Taxonomy};
use crate::tlp::Tlp;

pub mod stix;
mod validate;

pub use stix::{
    extension_definition, isacx_identity, StixMappingError, INCIDENT_CORE_EXTENSION_ID,
    ISACX_IDENTITY_ID, REPORT_EXTENSION_ID,
};

/// Where the generated JSON Schema of [`Report`] is committed, relative to
/// the repository root.
pub const REPORT_SCHEMA_PATH: &str = "schemas/json/incident-report.schema.json";
/// `$id` of that schema and the `schema` of our STIX extension definition.
pub const REPORT_SCHEMA_URL: &str =
    "https://isacx.example/schemas/json/incident-report.schema.json";

/// What kind of 情報連絡 this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// 障害: an outage or security incident that happened.
    Incident,
    /// 予兆: signs that one may happen.
    Precursor,
    /// ヒヤリハット: it nearly happened and was averted.
    NearMiss,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Incident => "incident",
            ReportKind::Precursor => "precursor",
            ReportKind::NearMiss => "near_miss",
        }
    }
}

/// How far the submitter may be named in what is shared (DESIGN.md:
/// attribution is opt-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    /// Neither the member nor its sector is shown.
    Anonymous,
    /// The sector may be shown, the member not.
    SectorOnly,
    /// The member may be named.
    Named,
}

/// Which of confidentiality, integrity and availability the event impaired.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct CiaImpact {
    #[serde(default)]
    pub confidentiality: bool,
    #[serde(default)]
    pub integrity: bool,
    #[serde(default)]
    pub availability: bool,
}

impl CiaImpact {
    /// Nothing impaired (the default, omitted on the wire).
    pub fn is_none(&self) -> bool {
        !(self.confidentiality || self.integrity || self.availability)
    }
}

/// When things happened. Detection is always known; the rest may be
/// unknown or not yet reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportTimes {
    /// When it began (発生), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred: Option<DateTime<Utc>>,
    /// When the member noticed it (検知).
    pub detected: DateTime<Utc>,
    /// When it was contained (封じ込め).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contained: Option<DateTime<Utc>>,
    /// When service was restored (復旧).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered: Option<DateTime<Utc>>,
}

/// Measured impact on the service, in the units the statutory thresholds
/// use. Numbers are signed so that a negative one is reported by
/// [`Report::validate`] with its field name rather than as a parse error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceImpact {
    /// Users whose service stopped or degraded (利用者の数).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub users_affected: Option<i64>,
    /// How long the stop or degradation lasted, in minutes; when absent, the
    /// span from occurrence (or detection) to recovery is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub duration_minutes: Option<i64>,
    /// Supply lost, in kW (供給支障電力).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub supply_loss_kw: Option<f64>,
    /// Households whose supply was cut (供給支障戸数).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub households_affected: Option<i64>,
    /// The equipment that failed, when a threshold depends on it (e.g.
    /// `relay_station_radio_equipment` for broadcasting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "taxonomy::schema::facility")]
    pub facility: Option<String>,
}

impl ServiceImpact {
    pub fn is_empty(&self) -> bool {
        self == &ServiceImpact::default()
    }
}

/// Whether the report is 報告を要する重大な事故 and under which thresholds.
/// The submitter states it; the server recomputes it with
/// [`Taxonomy::evaluate_thresholds`] and shows both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatutoryAssessment {
    pub reportable: bool,
    /// Ids of the thresholds crossed (text-only ones included).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "taxonomy::schema::thresholds")]
    pub thresholds: Vec<String>,
}

/// Who the analysts may contact with questions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// An incident report (情報連絡).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "isacx incident report (情報連絡)",
    description = "An incident, precursor or near-miss report from a critical-infrastructure operator. Enumerations come from the isacx taxonomy (config/taxonomy/)."
)]
pub struct Report {
    /// Chosen by the submitter; the STIX incident id is `incident--<id>`,
    /// and a resubmission with the same id and `modified` is a duplicate.
    pub id: Uuid,
    pub created: DateTime<Utc>,
    /// Changes with every revision; never before `created`.
    pub modified: DateTime<Utc>,
    pub kind: ReportKind,
    /// Language of the free text, a BCP 47 tag such as `ja` or `en`.
    #[schemars(pattern(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"))]
    pub lang: String,
    #[schemars(length(min = 1, max = 512))]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[schemars(schema_with = "taxonomy::schema::sector")]
    pub sector: String,
    /// The taxonomy's service (重要インフラサービス) that was affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "taxonomy::schema::service")]
    pub service: Option<String>,
    /// The member's own name for the affected service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected_service: Option<String>,
    /// 重要システム; must belong to `sector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "taxonomy::schema::critical_system")]
    pub critical_system: Option<String>,
    /// 事象の結果 (handbook 別紙１).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "taxonomy::schema::outcome")]
    pub outcome: Option<String>,
    /// Must include the flags the taxonomy sets for `outcome`.
    #[serde(default, skip_serializing_if = "CiaImpact::is_none")]
    pub cia_impact: CiaImpact,
    /// 結果を生じ得る事象 (handbook 別紙２), at any level of the tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "taxonomy::schema::threat_event")]
    pub threat_event: Option<String>,
    /// リスク源 (handbook 別紙４).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "taxonomy::schema::risk_sources")]
    pub risk_sources: Vec<String>,
    pub times: ReportTimes,
    #[serde(default, skip_serializing_if = "ServiceImpact::is_empty")]
    pub service_impact: ServiceImpact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statutory: Option<StatutoryAssessment>,
    /// STIX 2.1 indicators (and observables) seen in the event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "stix_objects_schema")]
    pub indicators: Vec<StixObject>,
    pub tlp: Tlp,
    pub attribution: Attribution,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_contact: Option<Contact>,
}

fn stix_objects_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "description": "STIX 2.1 objects: indicators, observables, observed-data.",
        "items": {
            "type": "object",
            "required": ["type", "id"],
            "properties": {
                "type": { "type": "string", "pattern": "^[a-z][a-z0-9-]+[a-z0-9]$" },
                "id": { "type": "string", "pattern": "^[a-z][a-z0-9-]+[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$" }
            },
            "if": { "properties": { "type": { "const": "indicator" } } },
            "then": { "required": ["pattern", "pattern_type", "valid_from", "spec_version", "created", "modified"] }
        }
    })
}

impl Report {
    /// Checks the report against the taxonomy in force. Returns every
    /// problem at once, each with the dotted path of its field.
    pub fn validate(&self, taxonomy: &Taxonomy) -> Result<(), Vec<FieldError>> {
        let errors = validate::check(self, taxonomy);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Sets `statutory` from the thresholds the report crosses, keeping any
    /// text-only thresholds the submitter named (the code cannot judge those).
    pub fn apply_threshold_evaluation(&mut self, taxonomy: &Taxonomy) {
        let hits = taxonomy.evaluate_thresholds(self);
        let mut thresholds: Vec<String> = self
            .statutory
            .as_ref()
            .map(|s| {
                s.thresholds
                    .iter()
                    .filter(|id| taxonomy.threshold(id).is_some_and(|t| t.is_text_only()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for hit in &hits {
            if !hit.service_assumed && !hit.facility_assumed && !thresholds.contains(&hit.threshold)
            {
                thresholds.push(hit.threshold.clone());
            }
        }
        let stated = self.statutory.as_ref().is_some_and(|s| s.reportable);
        self.statutory = Some(StatutoryAssessment {
            reportable: stated || !thresholds.is_empty(),
            thresholds,
        });
    }
}

/// The JSON Schema (draft 2020-12) of [`Report`], with enumerations from
/// the built-in taxonomy. The committed copy is at [`REPORT_SCHEMA_PATH`].
pub fn json_schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Report>();
    schema.insert("$id".to_owned(), serde_json::Value::from(REPORT_SCHEMA_URL));
    schema.to_value()
}
