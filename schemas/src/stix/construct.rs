//! Constructors for the objects isacx itself creates, so callers never
//! hand-assemble ids, timestamps or pattern syntax.

use serde::Serialize;
use serde_json::{Map, Value};

use super::sco::*;
use super::sdo::*;
use super::{deterministic_sco_id, CommonProperties, ScoCommon, StixId};

/// Quotes text as a STIX pattern string literal (STIX 2.1 §9.3: `'` and `\`
/// are escaped with a backslash).
pub fn pattern_string_literal(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        if c == '\'' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

impl Indicator {
    /// An indicator valid from now, with a fresh id and no indicator types.
    pub fn new(pattern: impl Into<String>, pattern_type: impl Into<String>) -> Self {
        let common = CommonProperties::new("indicator");
        Self {
            valid_from: common.created,
            common,
            name: None,
            description: None,
            indicator_types: Vec::new(),
            pattern: pattern.into(),
            pattern_type: pattern_type.into(),
            pattern_version: None,
            valid_until: None,
            kill_chain_phases: Vec::new(),
            extra: Map::new(),
        }
    }

    /// A STIX-pattern indicator matching one observable property, e.g.
    /// `for_observable("ipv4-addr", "value", "198.51.100.3")` gives
    /// `[ipv4-addr:value = '198.51.100.3']`. `property` is an object path
    /// such as `value` or `hashes.'SHA-256'`, written as STIX pattern syntax.
    pub fn for_observable(object_type: &str, property: &str, value: &str) -> Self {
        let pattern = format!(
            "[{object_type}:{property} = {}]",
            pattern_string_literal(value)
        );
        let mut indicator = Self::new(pattern, "stix");
        indicator.name = Some(format!("{object_type} {value}"));
        indicator.indicator_types = vec!["malicious-activity".to_owned()];
        indicator
    }

    /// Indicator for an IPv4 address or CIDR block.
    pub fn for_ipv4(address: &str) -> Self {
        Self::for_observable("ipv4-addr", "value", address)
    }

    /// Indicator for an IPv6 address or CIDR block.
    pub fn for_ipv6(address: &str) -> Self {
        Self::for_observable("ipv6-addr", "value", address)
    }

    /// Indicator for a domain name.
    pub fn for_domain(domain: &str) -> Self {
        Self::for_observable("domain-name", "value", domain)
    }

    /// Indicator for a URL.
    pub fn for_url(url: &str) -> Self {
        Self::for_observable("url", "value", url)
    }

    /// Indicator for an e-mail address.
    pub fn for_email(address: &str) -> Self {
        Self::for_observable("email-addr", "value", address)
    }

    /// Indicator for a file hash; `algorithm` as STIX names it (`SHA-256`, `MD5`, …).
    pub fn for_file_hash(algorithm: &str, hash: &str) -> Self {
        let property = format!("hashes.{}", pattern_string_literal(algorithm));
        Self::for_observable("file", &property, hash)
    }
}

impl Incident {
    /// A new incident with only a name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            common: CommonProperties::new("incident"),
            name: name.into(),
            description: None,
            kill_chain_phases: Vec::new(),
            extra: Map::new(),
        }
    }
}

impl Identity {
    /// A new identity, e.g. `Identity::new("Example ISAC", "organization")`.
    pub fn new(name: impl Into<String>, identity_class: impl Into<String>) -> Self {
        Self {
            common: CommonProperties::new("identity"),
            name: name.into(),
            description: None,
            roles: Vec::new(),
            identity_class: Some(identity_class.into()),
            sectors: Vec::new(),
            contact_information: None,
            extra: Map::new(),
        }
    }
}

impl Report {
    /// A report published now over `object_refs` (must not be empty).
    pub fn new(name: impl Into<String>, object_refs: Vec<StixId>) -> Self {
        let common = CommonProperties::new("report");
        Self {
            published: common.created,
            common,
            name: name.into(),
            description: None,
            report_types: Vec::new(),
            object_refs,
            extra: Map::new(),
        }
    }
}

impl Relationship {
    /// `source —relationship_type→ target`, e.g. `indicates`.
    pub fn new(
        relationship_type: impl Into<String>,
        source_ref: StixId,
        target_ref: StixId,
    ) -> Self {
        Self {
            common: CommonProperties::new("relationship"),
            relationship_type: relationship_type.into(),
            description: None,
            source_ref,
            target_ref,
            start_time: None,
            stop_time: None,
            extra: Map::new(),
        }
    }
}

impl Sighting {
    /// A sighting of `sighting_of_ref` (an SDO id).
    pub fn new(sighting_of_ref: StixId) -> Self {
        Self {
            common: CommonProperties::new("sighting"),
            description: None,
            first_seen: None,
            last_seen: None,
            count: None,
            sighting_of_ref,
            observed_data_refs: Vec::new(),
            where_sighted_refs: Vec::new(),
            summary: None,
            extra: Map::new(),
        }
    }
}

/// Recomputes an SCO's deterministic id from its current properties; call
/// after changing an id-contributing property.
pub trait DeterministicId: Serialize {
    /// The SCO's common properties.
    fn sco_common_mut(&mut self) -> &mut ScoCommon;

    /// Sets `id` to the UUIDv5 the id-contributing properties call for
    /// (left unchanged when none is present).
    fn assign_deterministic_id(&mut self) {
        let Ok(Value::Object(properties)) = serde_json::to_value(&*self) else {
            return;
        };
        let type_name = self.sco_common_mut().type_name.clone();
        if let Some(id) = deterministic_sco_id(&type_name, &properties) {
            self.sco_common_mut().id = id;
        }
    }
}

macro_rules! value_sco {
    ($ty:ident, $type_name:literal, { $($field:ident: $init:expr),* }) => {
        impl $ty {
            #[doc = concat!("A `", $type_name, "` with its deterministic id.")]
            pub fn new(value: impl Into<String>) -> Self {
                let mut object = Self {
                    common: ScoCommon::placeholder($type_name),
                    value: value.into(),
                    $($field: $init,)*
                    extra: Map::new(),
                };
                object.assign_deterministic_id();
                object
            }
        }
    };
}

value_sco!(Ipv4Addr, "ipv4-addr", { resolves_to_refs: Vec::new(), belongs_to_refs: Vec::new() });
value_sco!(Ipv6Addr, "ipv6-addr", { resolves_to_refs: Vec::new(), belongs_to_refs: Vec::new() });
value_sco!(DomainName, "domain-name", { resolves_to_refs: Vec::new() });
value_sco!(Url, "url", {});
value_sco!(EmailAddr, "email-addr", { display_name: None, belongs_to_ref: None });
value_sco!(MacAddr, "mac-addr", {});

macro_rules! impl_deterministic_id {
    ($($ty:ident),*) => {
        $(impl DeterministicId for $ty {
            fn sco_common_mut(&mut self) -> &mut ScoCommon {
                &mut self.common
            }
        })*
    };
}

impl_deterministic_id!(
    Ipv4Addr,
    Ipv6Addr,
    DomainName,
    Url,
    EmailAddr,
    MacAddr,
    File,
    NetworkTraffic,
    AutonomousSystem,
    X509Certificate
);

impl File {
    /// A file known by one hash, with its deterministic id.
    pub fn with_hash(algorithm: impl Into<String>, hash: impl Into<String>) -> Self {
        let mut object = Self {
            common: ScoCommon::placeholder("file"),
            hashes: Some([(algorithm.into(), hash.into())].into_iter().collect()),
            size: None,
            name: None,
            name_enc: None,
            magic_number_hex: None,
            mime_type: None,
            ctime: None,
            mtime: None,
            atime: None,
            parent_directory_ref: None,
            contains_refs: Vec::new(),
            content_ref: None,
            extra: Map::new(),
        };
        object.assign_deterministic_id();
        object
    }
}

impl AutonomousSystem {
    /// An autonomous system by number, with its deterministic id.
    pub fn new(number: i64) -> Self {
        let mut object = Self {
            common: ScoCommon::placeholder("autonomous-system"),
            number,
            name: None,
            rir: None,
            extra: Map::new(),
        };
        object.assign_deterministic_id();
        object
    }
}

impl NetworkTraffic {
    /// Traffic between two address SCOs over `protocols` (e.g. `["ipv4", "tcp"]`).
    pub fn new(src_ref: Option<StixId>, dst_ref: Option<StixId>, protocols: Vec<String>) -> Self {
        let mut object = Self {
            common: ScoCommon::placeholder("network-traffic"),
            start: None,
            end: None,
            is_active: None,
            src_ref,
            dst_ref,
            src_port: None,
            dst_port: None,
            protocols,
            src_byte_count: None,
            dst_byte_count: None,
            src_packets: None,
            dst_packets: None,
            ipfix: None,
            src_payload_ref: None,
            dst_payload_ref: None,
            encapsulates_refs: Vec::new(),
            encapsulated_by_ref: None,
            extra: Map::new(),
        };
        object.assign_deterministic_id();
        object
    }
}
