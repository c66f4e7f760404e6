//! TAXII 2.1 resources (OASIS TAXII 2.1 §3–§5) and the media-type rules both
//! the server and the client need.
//!
//! Resource structs serialise exactly as the specification's examples;
//! optional lists are omitted when empty because TAXII forbids empty lists.

use std::fmt;

use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::stix::{StixId, StixObject, StixTimestamp};

/// Media type of TAXII 2.1 resources (§1.6.8).
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
/// Media type of STIX 2.1 content in a collection (§5.2.1).
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";
/// Version string an api-root lists in `versions` (§4.2.1).
pub const TAXII_VERSION: &str = TAXII_MEDIA_TYPE;

fn is_false(value: &bool) -> bool {
    !*value
}

/// Which TAXII-related media type a header must name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// `application/taxii+json` (TAXII resources).
    Taxii,
    /// `application/stix+json` (objects in a collection).
    Stix,
}

impl MediaKind {
    fn essence(self) -> &'static str {
        match self {
            MediaKind::Taxii => "application/taxii+json",
            MediaKind::Stix => "application/stix+json",
        }
    }
}

/// Whether a single media type (a Content-Type value, or one entry of an
/// Accept list) is `kind` at version 2.1.
///
/// Tolerant as HTTP requires: case-insensitive type and parameter names,
/// whitespace around `;` and `=`, quoted values, parameters in any order,
/// unknown parameters ignored. A missing `version` means "latest", which
/// is 2.1 here (§1.6.8); any other version is refused. `q=0` refuses.
pub fn media_type_matches(value: &str, kind: MediaKind) -> bool {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case(kind.essence()) {
        return false;
    }
    for parameter in parts {
        let parameter = parameter.trim();
        if parameter.is_empty() {
            continue;
        }
        let Some((name, raw_value)) = parameter.split_once('=') else {
            return false;
        };
        let name = name.trim();
        let raw_value = raw_value.trim();
        let parameter_value = raw_value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(raw_value);
        if name.eq_ignore_ascii_case("version") && parameter_value != "2.1" {
            return false;
        }
        if name.eq_ignore_ascii_case("q") && parameter_value.parse::<f32>().is_ok_and(|q| q <= 0.0)
        {
            return false;
        }
    }
    true
}

/// Whether an Accept or Content-Type header value is acceptable TAXII 2.1
/// (`application/taxii+json` at version 2.1); in an Accept list any one
/// acceptable entry suffices.
pub fn is_acceptable_taxii_media_type(header: &str) -> bool {
    header
        .split(',')
        .any(|entry| media_type_matches(entry, MediaKind::Taxii))
}

/// Whether an Accept or Content-Type header value is acceptable STIX 2.1
/// content (`application/stix+json` at version 2.1).
pub fn is_acceptable_stix_media_type(header: &str) -> bool {
    header
        .split(',')
        .any(|entry| media_type_matches(entry, MediaKind::Stix))
}

/// A TAXII timestamp: RFC 3339 UTC always written with microseconds
/// (`2024-01-02T03:04:05.123456Z`, TAXII §2), as in `date_added` and the
/// `X-TAXII-Date-Added-*` headers. Parsing accepts any STIX timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaxiiTimestamp(DateTime<Utc>);

impl TaxiiTimestamp {
    /// Now, truncated to microseconds so the value survives a round-trip.
    pub fn now() -> Self {
        Self::from_datetime(Utc::now())
    }

    /// Truncates to microseconds, the precision TAXII carries.
    pub fn from_datetime(instant: DateTime<Utc>) -> Self {
        let micros = instant.nanosecond() / 1_000 * 1_000;
        Self(instant.with_nanosecond(micros).unwrap_or(instant))
    }

    /// Parses `added_after` and header values (any STIX timestamp form).
    pub fn parse(text: &str) -> Result<Self, crate::stix::TimestampError> {
        StixTimestamp::parse(text).map(|t| Self::from_datetime(t.as_datetime()))
    }

    /// The instant.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }
}

impl fmt::Display for TaxiiTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%S%.6fZ"))
    }
}

impl std::str::FromStr for TaxiiTimestamp {
    type Err = crate::stix::TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<DateTime<Utc>> for TaxiiTimestamp {
    fn from(instant: DateTime<Utc>) -> Self {
        Self::from_datetime(instant)
    }
}

impl Serialize for TaxiiTimestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TaxiiTimestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Server discovery (§4.1.1), served at `/taxii2/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// One of `api_roots`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// HTTPS URLs or `/`-relative paths of the api roots.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_roots: Vec<String>,
}

/// API root information (§4.2.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiRoot {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Must include [`TAXII_VERSION`].
    pub versions: Vec<String>,
    /// Largest request body accepted, in octets; larger ones get 413.
    pub max_content_length: u64,
}

/// The collections of an api root (§5.1.1); `{}` when there are none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Collections {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<Collection>,
}

/// One collection (§5.2.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    /// A UUIDv4 (kept as text so that a client can list a peer whose ids
    /// are not).
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    pub can_read: bool,
    pub can_write: bool,
    /// Absent means `["application/stix+json"]` (§5.2.1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media_types: Vec<String>,
}

/// The manifest of a collection (§5.3.1): one record per object version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(default, skip_serializing_if = "is_false")]
    pub more: bool,
    /// Not in the §5.3.1 table, but the endpoint accepts `next` and servers
    /// (medallion) send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<ManifestRecord>,
}

/// One object version in a manifest (§5.3.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestRecord {
    pub id: StixId,
    pub date_added: TaxiiTimestamp,
    /// The object's `modified` (or `created` / `date_added` when unversioned).
    pub version: StixTimestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// The envelope that carries objects (§3.7): responses of the objects
/// endpoints and the body of a POST. No results serialise as `{}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Absent means false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub more: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<StixObject>,
}

/// The versions of one object (§5.8.1), as STIX timestamps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Versions {
    #[serde(default, skip_serializing_if = "is_false")]
    pub more: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<StixTimestamp>,
}

/// Whether a POST has been fully processed (§4.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusKind {
    Complete,
    Pending,
}

/// The status of a POST to a collection (§4.3.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// UUIDv4 identifying this status resource.
    pub id: String,
    pub status: StatusKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timestamp: Option<TaxiiTimestamp>,
    pub total_count: u64,
    pub success_count: u64,
    pub failure_count: u64,
    pub pending_count: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub successes: Vec<StatusDetails>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<StatusDetails>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pendings: Vec<StatusDetails>,
}

/// The outcome for one object of a POST (§4.3.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusDetails {
    pub id: StixId,
    /// The object's `modified` (or `created`), as sent.
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The TAXII error message (§3.6.1), the body of every TAXII 4xx/5xx.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaxiiError {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The HTTP status code as a string, e.g. `"404"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_details: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Map<String, Value>>,
}

impl TaxiiError {
    /// An error with a title and its HTTP status.
    pub fn new(http_status: u16, title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            description: None,
            error_id: None,
            error_code: None,
            http_status: Some(http_status.to_string()),
            external_details: None,
            details: None,
        }
    }
}

impl Status {
    /// A completed status for a POST, counting successes and failures.
    pub fn complete(
        id: impl Into<String>,
        request_timestamp: TaxiiTimestamp,
        successes: Vec<StatusDetails>,
        failures: Vec<StatusDetails>,
    ) -> Self {
        let success_count = successes.len() as u64;
        let failure_count = failures.len() as u64;
        Self {
            id: id.into(),
            status: StatusKind::Complete,
            request_timestamp: Some(request_timestamp),
            total_count: success_count + failure_count,
            success_count,
            failure_count,
            pending_count: 0,
            successes,
            failures,
            pendings: Vec::new(),
        }
    }
}
