//! Properties shared by STIX objects (STIX 2.1 §3.2) and the small nested
//! types they use (§2.5 external-reference, §2.8 kill-chain-phase, §7.2.3
//! granular-marking).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{StixId, StixTimestamp};

/// The STIX version every object we create carries.
pub const SPEC_VERSION: &str = "2.1";

/// Common properties of SDOs and SROs (STIX 2.1 §3.2), flattened into each.
///
/// `type` lives here so that a single typed object serialises completely on
/// its own; the object enum checks it matches the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommonProperties {
    #[serde(rename = "type")]
    pub type_name: String,
    pub spec_version: String,
    pub id: StixId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_ref: Option<StixId>,
    pub created: StixTimestamp,
    pub modified: StixTimestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// 0–100 (STIX §3.2); kept wide so an out-of-range value is reported by
    /// validation with its field name instead of failing deserialisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_marking_refs: Vec<StixId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub granular_markings: Vec<GranularMarking>,
    /// Extension-definition id (or predefined extension name) → extension
    /// body; kept as JSON so extensions we do not know pass through intact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Map<String, Value>>,
}

impl CommonProperties {
    /// First version of a new object of `type_name`: random id, created ==
    /// modified == now, spec_version 2.1.
    pub fn new(type_name: &str) -> Self {
        let now = StixTimestamp::now();
        Self {
            type_name: type_name.to_owned(),
            spec_version: SPEC_VERSION.to_owned(),
            id: StixId::new_v4(type_name),
            created_by_ref: None,
            created: now,
            modified: now,
            revoked: None,
            labels: Vec::new(),
            confidence: None,
            lang: None,
            external_references: Vec::new(),
            object_marking_refs: Vec::new(),
            granular_markings: Vec::new(),
            extensions: None,
        }
    }
}

/// Common properties of SCOs (STIX 2.1 §3.2): no created/modified, SCOs are
/// not versioned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoCommon {
    #[serde(rename = "type")]
    pub type_name: String,
    pub id: StixId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_marking_refs: Vec<StixId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub granular_markings: Vec<GranularMarking>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defanged: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Map<String, Value>>,
}

impl ScoCommon {
    /// Common properties for a new SCO; the id is filled in by the caller
    /// once the id-contributing properties are known.
    pub(crate) fn placeholder(type_name: &str) -> Self {
        Self {
            type_name: type_name.to_owned(),
            id: StixId::new_v4(type_name),
            spec_version: Some(SPEC_VERSION.to_owned()),
            object_marking_refs: Vec::new(),
            granular_markings: Vec::new(),
            defanged: None,
            extensions: None,
        }
    }
}

/// A pointer to a non-STIX source (STIX 2.1 §2.5), e.g. a CVE or an advisory URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalReference {
    pub source_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A kill-chain phase (STIX 2.1 §2.8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KillChainPhase {
    pub kill_chain_name: String,
    pub phase_name: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A marking that applies to selected properties only (STIX 2.1 §7.2.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GranularMarking {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marking_ref: Option<StixId>,
    pub selectors: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
