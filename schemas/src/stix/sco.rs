//! STIX Cyber-observable Objects (STIX 2.1 §6) that isacx exchanges.
//!
//! Each struct flattens [`ScoCommon`] and keeps unmodelled properties in
//! `extra`. SCO ids are deterministic (see [`super::deterministic_sco_id`]).
//!
//! SCO timestamps are kept as the exact text received, not as
//! [`super::StixTimestamp`]: some contribute to the deterministic id, which
//! the producer computed over its own text (`…:00Z` and `…:00.000Z` give
//! different ids). Validation still checks that they are STIX timestamps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{ScoCommon, StixId};

/// IPv4 address or CIDR block (STIX 2.1 §6.8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ipv4Addr {
    #[serde(flatten)]
    pub common: ScoCommon,
    pub value: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolves_to_refs: Vec<StixId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub belongs_to_refs: Vec<StixId>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// IPv6 address or CIDR block (STIX 2.1 §6.9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ipv6Addr {
    #[serde(flatten)]
    pub common: ScoCommon,
    pub value: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolves_to_refs: Vec<StixId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub belongs_to_refs: Vec<StixId>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Domain name (STIX 2.1 §6.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainName {
    #[serde(flatten)]
    pub common: ScoCommon,
    pub value: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolves_to_refs: Vec<StixId>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// URL (STIX 2.1 §6.15).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Url {
    #[serde(flatten)]
    pub common: ScoCommon,
    pub value: String,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// E-mail address (STIX 2.1 §6.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailAddr {
    #[serde(flatten)]
    pub common: ScoCommon,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub belongs_to_ref: Option<StixId>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// MAC address (STIX 2.1 §6.10), lower-case colon-separated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MacAddr {
    #[serde(flatten)]
    pub common: ScoCommon,
    pub value: String,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// File (STIX 2.1 §6.7); needs `hashes` or `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct File {
    #[serde(flatten)]
    pub common: ScoCommon,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_enc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub magic_number_hex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_directory_ref: Option<StixId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contains_refs: Vec<StixId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_ref: Option<StixId>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Network traffic (STIX 2.1 §6.12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkTraffic {
    #[serde(flatten)]
    pub common: ScoCommon,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_ref: Option<StixId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_ref: Option<StixId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_port: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_port: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protocols: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_byte_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_byte_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_packets: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_packets: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipfix: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_payload_ref: Option<StixId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_payload_ref: Option<StixId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encapsulates_refs: Vec<StixId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encapsulated_by_ref: Option<StixId>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Autonomous system (STIX 2.1 §6.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutonomousSystem {
    #[serde(flatten)]
    pub common: ScoCommon,
    pub number: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rir: Option<String>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// X.509 certificate (STIX 2.1 §6.17).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct X509Certificate {
    #[serde(flatten)]
    pub common: ScoCommon,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_self_signed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_not_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_not_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_public_key_algorithm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_public_key_modulus: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_public_key_exponent: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_v3_extensions: Option<Map<String, Value>>,
    /// Properties we do not model (custom `x_…` ones included), passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
