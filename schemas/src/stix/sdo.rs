//! STIX Domain Objects (STIX 2.1 §4) and Relationship Objects (§5).
//!
//! Each struct flattens [`CommonProperties`] and keeps every property it does
//! not model in `extra`, so objects from peers pass through unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{CommonProperties, KillChainPhase, StixId, StixTimestamp};

/// Attack Pattern (STIX 2.1 §4.1): a TTP adversaries use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttackPattern {
    #[serde(flatten)]
    pub common: CommonProperties,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kill_chain_phases: Vec<KillChainPhase>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Campaign (STIX 2.1 §4.2): grouped adversary activity over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    #[serde(flatten)]
    pub common: CommonProperties,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<StixTimestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<StixTimestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<String>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Course of Action (STIX 2.1 §4.3): a recommended response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourseOfAction {
    #[serde(flatten)]
    pub common: CommonProperties,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Identity (STIX 2.1 §4.5): an organisation, sector or individual, e.g. the sharing body that authors objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    #[serde(flatten)]
    pub common: CommonProperties,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// identity-class-ov (§10.8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_class: Option<String>,
    /// industry-sector-ov (§10.11).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sectors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_information: Option<String>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Incident (STIX 2.1 §4.6): a security incident; details travel in the incident-core extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    #[serde(flatten)]
    pub common: CommonProperties,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kill_chain_phases: Vec<KillChainPhase>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Indicator (STIX 2.1 §4.7): a detection pattern for suspicious activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    #[serde(flatten)]
    pub common: CommonProperties,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// indicator-type-ov (§10.10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicator_types: Vec<String>,
    pub pattern: String,
    /// pattern-type-ov (§10.19); only `stix` patterns are parsed.
    pub pattern_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_version: Option<String>,
    pub valid_from: StixTimestamp,
    /// Must be later than `valid_from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<StixTimestamp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kill_chain_phases: Vec<KillChainPhase>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Infrastructure (STIX 2.1 §4.8): systems used in attack or defence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Infrastructure {
    #[serde(flatten)]
    pub common: CommonProperties,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub infrastructure_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kill_chain_phases: Vec<KillChainPhase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<StixTimestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<StixTimestamp>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Malware (STIX 2.1 §4.12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Malware {
    #[serde(flatten)]
    pub common: CommonProperties,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub malware_types: Vec<String>,
    /// Whether this describes a family rather than one instance.
    pub is_family: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kill_chain_phases: Vec<KillChainPhase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<StixTimestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<StixTimestamp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operating_system_refs: Vec<StixId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub architecture_execution_envs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub implementation_languages: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample_refs: Vec<StixId>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Note (STIX 2.1 §4.13): analyst commentary on other objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    #[serde(flatten)]
    pub common: CommonProperties,
    #[serde(rename = "abstract", default, skip_serializing_if = "Option::is_none")]
    pub abstract_: Option<String>,
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_refs: Vec<StixId>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Observed Data (STIX 2.1 §4.14): raw sightings of cyber observables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservedData {
    #[serde(flatten)]
    pub common: CommonProperties,
    pub first_observed: StixTimestamp,
    pub last_observed: StixTimestamp,
    /// 1–999,999,999.
    pub number_observed: i64,
    /// Deprecated embedded observables; kept for round-trips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_refs: Vec<StixId>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Report (STIX 2.1 §4.16): a published collection of threat intelligence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    #[serde(flatten)]
    pub common: CommonProperties,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub report_types: Vec<String>,
    pub published: StixTimestamp,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_refs: Vec<StixId>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Threat Actor (STIX 2.1 §4.17).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreatActor {
    #[serde(flatten)]
    pub common: CommonProperties,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threat_actor_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<StixTimestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<StixTimestamp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub goals: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sophistication: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_motivation: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_motivations: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub personal_motivations: Vec<String>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Tool (STIX 2.1 §4.18): legitimate software adversaries use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    #[serde(flatten)]
    pub common: CommonProperties,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kill_chain_phases: Vec<KillChainPhase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Vulnerability (STIX 2.1 §4.19), e.g. a CVE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    #[serde(flatten)]
    pub common: CommonProperties,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Relationship (STIX 2.1 §5.1): a typed link between two objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relationship {
    #[serde(flatten)]
    pub common: CommonProperties,
    /// Matches `^[a-z0-9-]+$`.
    pub relationship_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub source_ref: StixId,
    pub target_ref: StixId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<StixTimestamp>,
    /// Must be later than `start_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_time: Option<StixTimestamp>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Sighting (STIX 2.1 §5.2): someone saw the referenced object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sighting {
    #[serde(flatten)]
    pub common: CommonProperties,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<StixTimestamp>,
    /// Not earlier than `first_seen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<StixTimestamp>,
    /// 0–999,999,999.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    pub sighting_of_ref: StixId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed_data_refs: Vec<StixId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub where_sighted_refs: Vec<StixId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<bool>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
