//! Marking definitions (STIX 2.1 §7.2): the one STIX Meta Object isacx models.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{ExternalReference, GranularMarking, StixId, StixTimestamp};

/// A marking definition (STIX 2.1 §7.2.1). TLP 1.0 uses `definition_type` +
/// `definition`; TLP 2.0 uses a property extension instead (see
/// [`crate::tlp`]). Marking definitions are never versioned, so there is no
/// `modified`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkingDefinition {
    #[serde(rename = "type")]
    pub type_name: String,
    pub spec_version: String,
    pub id: StixId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_ref: Option<StixId>,
    pub created: StixTimestamp,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_marking_refs: Vec<StixId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub granular_markings: Vec<GranularMarking>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Map<String, Value>>,
    /// Properties we do not model, passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
