//! The generic STIX object (dispatching on `type`) and the bundle.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::meta::MarkingDefinition;
use super::sco::*;
use super::sdo::*;
use super::{CommonProperties, ScoCommon, StixId, StixTimestamp};

/// Which family of STIX object a type belongs to; decides which common
/// properties and id rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// STIX Domain Object (§4).
    Domain,
    /// STIX Relationship Object (§5).
    Relationship,
    /// STIX Cyber-observable Object (§6).
    CyberObservable,
    /// STIX Meta Object (§7): marking definitions here.
    Meta,
}

macro_rules! stix_objects {
    ($( $variant:ident ( $ty:ident ) = $name:literal, $kind:ident; )*) => {
        /// Any STIX object. Known types are typed; everything else is kept
        /// verbatim in [`StixObject::Unknown`] so a server can pass on what
        /// it does not understand.
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)] // objects are moved rarely; boxing would burden every match
        pub enum StixObject {
            $( #[doc = concat!("`", $name, "`")] $variant($ty), )*
            /// An object of a type we do not model (or a custom object), as JSON.
            Unknown(Map<String, Value>),
        }

        $(
            impl From<$ty> for StixObject {
                fn from(object: $ty) -> Self {
                    StixObject::$variant(object)
                }
            }
        )*

        impl StixObject {
            /// The STIX types modelled as typed variants.
            pub const KNOWN_TYPES: &'static [&'static str] = &[$($name),*];

            /// The family a known type belongs to; `None` for unknown types.
            pub fn kind_of_type(type_name: &str) -> Option<ObjectKind> {
                match type_name {
                    $( $name => Some(ObjectKind::$kind), )*
                    _ => None,
                }
            }

            /// The object's `type` property.
            pub fn type_name(&self) -> &str {
                match self {
                    $( StixObject::$variant(_) => $name, )*
                    StixObject::Unknown(map) => map.get("type").and_then(Value::as_str).unwrap_or(""),
                }
            }

            /// Builds the typed variant from a JSON object, or `Unknown` when
            /// the type is not modelled. Fails when a known type's
            /// properties do not fit the model.
            pub fn from_map(map: Map<String, Value>) -> Result<Self, serde_json::Error> {
                let type_name = map.get("type").and_then(Value::as_str).unwrap_or("");
                Ok(match type_name {
                    $( $name => StixObject::$variant(serde_json::from_value(Value::Object(map))?), )*
                    _ => StixObject::Unknown(map),
                })
            }

            fn serialize_inner<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( StixObject::$variant(object) => object.serialize(serializer), )*
                    StixObject::Unknown(map) => map.serialize(serializer),
                }
            }
        }
    };
}

stix_objects! {
    AttackPattern(AttackPattern) = "attack-pattern", Domain;
    Campaign(Campaign) = "campaign", Domain;
    CourseOfAction(CourseOfAction) = "course-of-action", Domain;
    Identity(Identity) = "identity", Domain;
    Incident(Incident) = "incident", Domain;
    Indicator(Indicator) = "indicator", Domain;
    Infrastructure(Infrastructure) = "infrastructure", Domain;
    Malware(Malware) = "malware", Domain;
    Note(Note) = "note", Domain;
    ObservedData(ObservedData) = "observed-data", Domain;
    Report(Report) = "report", Domain;
    ThreatActor(ThreatActor) = "threat-actor", Domain;
    Tool(Tool) = "tool", Domain;
    Vulnerability(Vulnerability) = "vulnerability", Domain;
    Relationship(Relationship) = "relationship", Relationship;
    Sighting(Sighting) = "sighting", Relationship;
    MarkingDefinition(MarkingDefinition) = "marking-definition", Meta;
    Ipv4Addr(Ipv4Addr) = "ipv4-addr", CyberObservable;
    Ipv6Addr(Ipv6Addr) = "ipv6-addr", CyberObservable;
    DomainName(DomainName) = "domain-name", CyberObservable;
    Url(Url) = "url", CyberObservable;
    EmailAddr(EmailAddr) = "email-addr", CyberObservable;
    MacAddr(MacAddr) = "mac-addr", CyberObservable;
    File(File) = "file", CyberObservable;
    NetworkTraffic(NetworkTraffic) = "network-traffic", CyberObservable;
    AutonomousSystem(AutonomousSystem) = "autonomous-system", CyberObservable;
    X509Certificate(X509Certificate) = "x509-certificate", CyberObservable;
}

/// Pulls `common` out of whichever SDO/SRO variant `$self` is.
macro_rules! sdo_common {
    ($self:expr, |$o:ident| $body:expr) => {
        match $self {
            StixObject::AttackPattern($o) => Some($body),
            StixObject::Campaign($o) => Some($body),
            StixObject::CourseOfAction($o) => Some($body),
            StixObject::Identity($o) => Some($body),
            StixObject::Incident($o) => Some($body),
            StixObject::Indicator($o) => Some($body),
            StixObject::Infrastructure($o) => Some($body),
            StixObject::Malware($o) => Some($body),
            StixObject::Note($o) => Some($body),
            StixObject::ObservedData($o) => Some($body),
            StixObject::Report($o) => Some($body),
            StixObject::ThreatActor($o) => Some($body),
            StixObject::Tool($o) => Some($body),
            StixObject::Vulnerability($o) => Some($body),
            StixObject::Relationship($o) => Some($body),
            StixObject::Sighting($o) => Some($body),
            _ => None,
        }
    };
}

/// Pulls `common` out of whichever SCO variant `$self` is.
macro_rules! sco_common {
    ($self:expr, |$o:ident| $body:expr) => {
        match $self {
            StixObject::Ipv4Addr($o) => Some($body),
            StixObject::Ipv6Addr($o) => Some($body),
            StixObject::DomainName($o) => Some($body),
            StixObject::Url($o) => Some($body),
            StixObject::EmailAddr($o) => Some($body),
            StixObject::MacAddr($o) => Some($body),
            StixObject::File($o) => Some($body),
            StixObject::NetworkTraffic($o) => Some($body),
            StixObject::AutonomousSystem($o) => Some($body),
            StixObject::X509Certificate($o) => Some($body),
            _ => None,
        }
    };
}

/// Identifies one version of an object: STIX §3.6 versions by (`id`,
/// `modified`); unversioned objects use `created`, SCOs have neither.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VersionKey {
    pub id: StixId,
    pub version: Option<StixTimestamp>,
}

fn timestamp_in(map: &Map<String, Value>, key: &str) -> Option<StixTimestamp> {
    map.get(key)
        .and_then(Value::as_str)
        .and_then(|text| StixTimestamp::parse(text).ok())
}

impl StixObject {
    /// Parses any STIX object from JSON text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The family of this object; `None` for unknown types.
    pub fn kind(&self) -> Option<ObjectKind> {
        Self::kind_of_type(self.type_name())
    }

    /// Common properties when this is a typed SDO or SRO.
    pub fn sdo_common(&self) -> Option<&CommonProperties> {
        sdo_common!(self, |o| &o.common)
    }

    /// Mutable common properties when this is a typed SDO or SRO (e.g. to
    /// add a marking or bump `modified`).
    pub fn sdo_common_mut(&mut self) -> Option<&mut CommonProperties> {
        sdo_common!(self, |o| &mut o.common)
    }

    /// Common properties when this is a typed SCO.
    pub fn sco_common(&self) -> Option<&ScoCommon> {
        sco_common!(self, |o| &o.common)
    }

    /// Mutable common properties when this is a typed SCO.
    pub fn sco_common_mut(&mut self) -> Option<&mut ScoCommon> {
        sco_common!(self, |o| &mut o.common)
    }

    /// The object's `id`. Empty for an unknown object without one (which
    /// validation reports).
    pub fn id(&self) -> StixId {
        self.id_str().into()
    }

    /// The object's `id` as text, without allocating.
    pub fn id_str(&self) -> &str {
        if let Some(common) = self.sdo_common() {
            return common.id.as_str();
        }
        if let Some(common) = self.sco_common() {
            return common.id.as_str();
        }
        match self {
            StixObject::MarkingDefinition(o) => o.id.as_str(),
            StixObject::Unknown(map) => map.get("id").and_then(Value::as_str).unwrap_or(""),
            _ => "",
        }
    }

    /// `created`, for objects that have one (not SCOs).
    pub fn created(&self) -> Option<StixTimestamp> {
        if let Some(common) = self.sdo_common() {
            return Some(common.created);
        }
        match self {
            StixObject::MarkingDefinition(o) => Some(o.created),
            StixObject::Unknown(map) => timestamp_in(map, "created"),
            _ => None,
        }
    }

    /// `modified`, for versioned objects (SDOs, SROs, custom objects that carry it).
    pub fn modified(&self) -> Option<StixTimestamp> {
        if let Some(common) = self.sdo_common() {
            return Some(common.modified);
        }
        match self {
            StixObject::Unknown(map) => timestamp_in(map, "modified"),
            _ => None,
        }
    }

    /// The version key: `modified`, else `created` (TAXII §3.4.1 for
    /// unversioned objects), else none (SCOs).
    pub fn version_key(&self) -> VersionKey {
        VersionKey {
            id: self.id(),
            version: self.modified().or_else(|| self.created()),
        }
    }

    /// `spec_version`, if present.
    pub fn spec_version(&self) -> Option<&str> {
        if let Some(common) = self.sdo_common() {
            return Some(&common.spec_version);
        }
        if let Some(common) = self.sco_common() {
            return common.spec_version.as_deref();
        }
        match self {
            StixObject::MarkingDefinition(o) => Some(&o.spec_version),
            StixObject::Unknown(map) => map.get("spec_version").and_then(Value::as_str),
            _ => None,
        }
    }

    /// `created_by_ref`, if present.
    pub fn created_by_ref(&self) -> Option<&str> {
        if let Some(common) = self.sdo_common() {
            return common.created_by_ref.as_ref().map(StixId::as_str);
        }
        match self {
            StixObject::MarkingDefinition(o) => o.created_by_ref.as_ref().map(StixId::as_str),
            StixObject::Unknown(map) => map.get("created_by_ref").and_then(Value::as_str),
            _ => None,
        }
    }

    /// Ids of the marking definitions that apply to the whole object (TLP,
    /// statements); the policy layer reads handling rules from these.
    pub fn object_marking_refs(&self) -> Vec<&str> {
        if let Some(common) = self.sdo_common() {
            return common
                .object_marking_refs
                .iter()
                .map(StixId::as_str)
                .collect();
        }
        if let Some(common) = self.sco_common() {
            return common
                .object_marking_refs
                .iter()
                .map(StixId::as_str)
                .collect();
        }
        match self {
            StixObject::MarkingDefinition(o) => {
                o.object_marking_refs.iter().map(StixId::as_str).collect()
            }
            StixObject::Unknown(map) => map
                .get("object_marking_refs")
                .and_then(Value::as_array)
                .map(|refs| refs.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Whether the producer has revoked this object (STIX §3.6); revoked
    /// objects must no longer be used.
    pub fn is_revoked(&self) -> bool {
        if let Some(common) = self.sdo_common() {
            return common.revoked == Some(true);
        }
        match self {
            StixObject::Unknown(map) => map.get("revoked").and_then(Value::as_bool) == Some(true),
            _ => false,
        }
    }

    /// The object as a JSON value.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

impl Serialize for StixObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize_inner(serializer)
    }
}

impl<'de> Deserialize<'de> for StixObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        let label = format!(
            "{} {}",
            map.get("type").and_then(Value::as_str).unwrap_or("object"),
            map.get("id").and_then(Value::as_str).unwrap_or("(no id)")
        );
        StixObject::from_map(map).map_err(|error| D::Error::custom(format!("{label}: {error}")))
    }
}

/// A STIX bundle (STIX 2.1 §8): a wrapper for moving objects; not itself
/// versioned and without `spec_version` in 2.1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    #[serde(rename = "type")]
    pub type_name: String,
    pub id: StixId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<StixObject>,
    /// Properties we do not model, passed on unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Bundle {
    /// A bundle with a fresh id around `objects`.
    pub fn new(objects: Vec<StixObject>) -> Self {
        Self {
            type_name: "bundle".to_owned(),
            id: StixId::new_v4("bundle"),
            objects,
            extra: Map::new(),
        }
    }

    /// Parses a bundle from JSON text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}
