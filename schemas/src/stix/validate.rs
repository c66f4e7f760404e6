//! Validation of STIX objects beyond what deserialisation checks (STIX 2.1
//! MUSTs, plus the id conventions isacx relies on). Every error names the
//! property at fault as a path from the object or bundle root.

use std::fmt;

use serde_json::{Map, Value};

use super::object::ObjectKind;
use super::*;
use crate::pattern::{parse_pattern, Constant, PathStep};

/// One rule an object breaks, naming the property at fault.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ValidationError {
    /// Path of the offending property from the root of what was validated,
    /// e.g. `valid_until` or `objects[3].external_references[0].source_name`.
    /// Empty when the whole value is at fault.
    pub path: String,
    /// What is wrong, for a human.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Knobs for rules the specification only recommends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidationOptions {
    /// Require UUIDv4 ids for SDOs, SROs, marking definitions and bundles,
    /// and the deterministic UUIDv5 for SCOs (STIX §2.9 says SHOULD). Some
    /// platforms mint UUIDv5 SDO ids; federation ingress may relax this.
    pub require_recommended_id_versions: bool,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        Self {
            require_recommended_id_versions: true,
        }
    }
}

/// The JSON shape a modelled property must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Text,
    TextList,
    Id,
    IdList,
    Timestamp,
    KillChainPhases,
    Integer,
    Boolean,
    Object,
    Hashes,
    ExternalReferences,
    GranularMarkings,
}

/// Type-specific properties we model: (name, JSON shape, required).
pub(crate) fn specific_properties(type_name: &str) -> &'static [(&'static str, Shape, bool)] {
    match type_name {
        "attack-pattern" => &[
            ("name", Shape::Text, true),
            ("description", Shape::Text, false),
            ("aliases", Shape::TextList, false),
            ("kill_chain_phases", Shape::KillChainPhases, false),
        ],
        "campaign" => &[
            ("name", Shape::Text, true),
            ("description", Shape::Text, false),
            ("aliases", Shape::TextList, false),
            ("first_seen", Shape::Timestamp, false),
            ("last_seen", Shape::Timestamp, false),
            ("objective", Shape::Text, false),
        ],
        "course-of-action" => &[
            ("name", Shape::Text, true),
            ("description", Shape::Text, false),
        ],
        "identity" => &[
            ("name", Shape::Text, true),
            ("description", Shape::Text, false),
            ("roles", Shape::TextList, false),
            ("identity_class", Shape::Text, false),
            ("sectors", Shape::TextList, false),
            ("contact_information", Shape::Text, false),
        ],
        "incident" => &[
            ("name", Shape::Text, true),
            ("description", Shape::Text, false),
            ("kill_chain_phases", Shape::KillChainPhases, false),
        ],
        "indicator" => &[
            ("name", Shape::Text, false),
            ("description", Shape::Text, false),
            ("indicator_types", Shape::TextList, false),
            ("pattern", Shape::Text, true),
            ("pattern_type", Shape::Text, true),
            ("pattern_version", Shape::Text, false),
            ("valid_from", Shape::Timestamp, true),
            ("valid_until", Shape::Timestamp, false),
            ("kill_chain_phases", Shape::KillChainPhases, false),
        ],
        "infrastructure" => &[
            ("name", Shape::Text, true),
            ("description", Shape::Text, false),
            ("infrastructure_types", Shape::TextList, false),
            ("aliases", Shape::TextList, false),
            ("kill_chain_phases", Shape::KillChainPhases, false),
            ("first_seen", Shape::Timestamp, false),
            ("last_seen", Shape::Timestamp, false),
        ],
        "malware" => &[
            ("name", Shape::Text, false),
            ("description", Shape::Text, false),
            ("malware_types", Shape::TextList, false),
            ("is_family", Shape::Boolean, true),
            ("aliases", Shape::TextList, false),
            ("kill_chain_phases", Shape::KillChainPhases, false),
            ("first_seen", Shape::Timestamp, false),
            ("last_seen", Shape::Timestamp, false),
            ("operating_system_refs", Shape::IdList, false),
            ("architecture_execution_envs", Shape::TextList, false),
            ("implementation_languages", Shape::TextList, false),
            ("capabilities", Shape::TextList, false),
            ("sample_refs", Shape::IdList, false),
        ],
        "note" => &[
            ("abstract", Shape::Text, false),
            ("content", Shape::Text, true),
            ("authors", Shape::TextList, false),
            ("object_refs", Shape::IdList, false),
        ],
        "observed-data" => &[
            ("first_observed", Shape::Timestamp, true),
            ("last_observed", Shape::Timestamp, true),
            ("number_observed", Shape::Integer, true),
            ("objects", Shape::Object, false),
            ("object_refs", Shape::IdList, false),
        ],
        "report" => &[
            ("name", Shape::Text, true),
            ("description", Shape::Text, false),
            ("report_types", Shape::TextList, false),
            ("published", Shape::Timestamp, true),
            ("object_refs", Shape::IdList, false),
        ],
        "threat-actor" => &[
            ("name", Shape::Text, true),
            ("description", Shape::Text, false),
            ("threat_actor_types", Shape::TextList, false),
            ("aliases", Shape::TextList, false),
            ("first_seen", Shape::Timestamp, false),
            ("last_seen", Shape::Timestamp, false),
            ("roles", Shape::TextList, false),
            ("goals", Shape::TextList, false),
            ("sophistication", Shape::Text, false),
            ("resource_level", Shape::Text, false),
            ("primary_motivation", Shape::Text, false),
            ("secondary_motivations", Shape::TextList, false),
            ("personal_motivations", Shape::TextList, false),
        ],
        "tool" => &[
            ("name", Shape::Text, true),
            ("description", Shape::Text, false),
            ("tool_types", Shape::TextList, false),
            ("aliases", Shape::TextList, false),
            ("kill_chain_phases", Shape::KillChainPhases, false),
            ("tool_version", Shape::Text, false),
        ],
        "vulnerability" => &[
            ("name", Shape::Text, true),
            ("description", Shape::Text, false),
        ],
        "relationship" => &[
            ("relationship_type", Shape::Text, true),
            ("description", Shape::Text, false),
            ("source_ref", Shape::Id, true),
            ("target_ref", Shape::Id, true),
            ("start_time", Shape::Timestamp, false),
            ("stop_time", Shape::Timestamp, false),
        ],
        "sighting" => &[
            ("description", Shape::Text, false),
            ("first_seen", Shape::Timestamp, false),
            ("last_seen", Shape::Timestamp, false),
            ("count", Shape::Integer, false),
            ("sighting_of_ref", Shape::Id, true),
            ("observed_data_refs", Shape::IdList, false),
            ("where_sighted_refs", Shape::IdList, false),
            ("summary", Shape::Boolean, false),
        ],
        "ipv4-addr" => &[
            ("value", Shape::Text, true),
            ("resolves_to_refs", Shape::IdList, false),
            ("belongs_to_refs", Shape::IdList, false),
        ],
        "ipv6-addr" => &[
            ("value", Shape::Text, true),
            ("resolves_to_refs", Shape::IdList, false),
            ("belongs_to_refs", Shape::IdList, false),
        ],
        "domain-name" => &[
            ("value", Shape::Text, true),
            ("resolves_to_refs", Shape::IdList, false),
        ],
        "url" => &[("value", Shape::Text, true)],
        "email-addr" => &[
            ("value", Shape::Text, true),
            ("display_name", Shape::Text, false),
            ("belongs_to_ref", Shape::Id, false),
        ],
        "mac-addr" => &[("value", Shape::Text, true)],
        "file" => &[
            ("hashes", Shape::Hashes, false),
            ("size", Shape::Integer, false),
            ("name", Shape::Text, false),
            ("name_enc", Shape::Text, false),
            ("magic_number_hex", Shape::Text, false),
            ("mime_type", Shape::Text, false),
            ("ctime", Shape::Timestamp, false),
            ("mtime", Shape::Timestamp, false),
            ("atime", Shape::Timestamp, false),
            ("parent_directory_ref", Shape::Id, false),
            ("contains_refs", Shape::IdList, false),
            ("content_ref", Shape::Id, false),
        ],
        "network-traffic" => &[
            ("start", Shape::Timestamp, false),
            ("end", Shape::Timestamp, false),
            ("is_active", Shape::Boolean, false),
            ("src_ref", Shape::Id, false),
            ("dst_ref", Shape::Id, false),
            ("src_port", Shape::Integer, false),
            ("dst_port", Shape::Integer, false),
            ("protocols", Shape::TextList, false),
            ("src_byte_count", Shape::Integer, false),
            ("dst_byte_count", Shape::Integer, false),
            ("src_packets", Shape::Integer, false),
            ("dst_packets", Shape::Integer, false),
            ("ipfix", Shape::Object, false),
            ("src_payload_ref", Shape::Id, false),
            ("dst_payload_ref", Shape::Id, false),
            ("encapsulates_refs", Shape::IdList, false),
            ("encapsulated_by_ref", Shape::Id, false),
        ],
        "autonomous-system" => &[
            ("number", Shape::Integer, true),
            ("name", Shape::Text, false),
            ("rir", Shape::Text, false),
        ],
        "x509-certificate" => &[
            ("is_self_signed", Shape::Boolean, false),
            ("hashes", Shape::Hashes, false),
            ("version", Shape::Text, false),
            ("serial_number", Shape::Text, false),
            ("signature_algorithm", Shape::Text, false),
            ("issuer", Shape::Text, false),
            ("validity_not_before", Shape::Timestamp, false),
            ("validity_not_after", Shape::Timestamp, false),
            ("subject", Shape::Text, false),
            ("subject_public_key_algorithm", Shape::Text, false),
            ("subject_public_key_modulus", Shape::Text, false),
            ("subject_public_key_exponent", Shape::Integer, false),
            ("x509_v3_extensions", Shape::Object, false),
        ],
        _ => &[],
    }
}

const SDO_COMMON: &[(&str, Shape, bool)] = &[
    ("type", Shape::Text, true),
    ("spec_version", Shape::Text, true),
    ("id", Shape::Id, true),
    ("created_by_ref", Shape::Id, false),
    ("created", Shape::Timestamp, true),
    ("modified", Shape::Timestamp, true),
    ("revoked", Shape::Boolean, false),
    ("labels", Shape::TextList, false),
    ("confidence", Shape::Integer, false),
    ("lang", Shape::Text, false),
    ("external_references", Shape::ExternalReferences, false),
    ("object_marking_refs", Shape::IdList, false),
    ("granular_markings", Shape::GranularMarkings, false),
    ("extensions", Shape::Object, false),
];

const SCO_COMMON: &[(&str, Shape, bool)] = &[
    ("type", Shape::Text, true),
    ("id", Shape::Id, true),
    ("spec_version", Shape::Text, false),
    ("object_marking_refs", Shape::IdList, false),
    ("granular_markings", Shape::GranularMarkings, false),
    ("defanged", Shape::Boolean, false),
    ("extensions", Shape::Object, false),
];

const MARKING_PROPERTIES: &[(&str, Shape, bool)] = &[
    ("type", Shape::Text, true),
    ("spec_version", Shape::Text, true),
    ("id", Shape::Id, true),
    ("created_by_ref", Shape::Id, false),
    ("created", Shape::Timestamp, true),
    ("external_references", Shape::ExternalReferences, false),
    ("object_marking_refs", Shape::IdList, false),
    ("granular_markings", Shape::GranularMarkings, false),
    ("name", Shape::Text, false),
    ("definition_type", Shape::Text, false),
    ("definition", Shape::Object, false),
    ("extensions", Shape::Object, false),
];

/// Collects errors under a path prefix.
struct Errors<'a> {
    prefix: &'a str,
    list: &'a mut Vec<ValidationError>,
}

fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else if field.is_empty() {
        prefix.to_owned()
    } else if field.starts_with('[') {
        format!("{prefix}{field}")
    } else {
        format!("{prefix}.{field}")
    }
}

impl Errors<'_> {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.list.push(ValidationError {
            path: join(self.prefix, field),
            message: message.into(),
        });
    }
}

// ---- structural checks on raw JSON -------------------------------------

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn check_shape(errors: &mut Errors<'_>, field: &str, value: &Value, shape: Shape) {
    let wrong = |errors: &mut Errors<'_>, expected: &str| {
        errors.add(
            field,
            format!("must be {expected}, found {}", json_kind(value)),
        )
    };
    let list_of = |errors: &mut Errors<'_>, item_shape: Shape, expected: &str| match value {
        Value::Array(items) if items.is_empty() => errors.add(field, "must not be an empty list"),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                check_shape(errors, &format!("{field}[{index}]"), item, item_shape);
            }
        }
        _ => wrong(errors, expected),
    };
    match shape {
        Shape::Text | Shape::Id => {
            if !value.is_string() {
                wrong(errors, "a string");
            }
        }
        Shape::Timestamp => match value.as_str() {
            Some(text) => {
                if let Err(error) = StixTimestamp::parse(text) {
                    errors.add(field, error.to_string());
                }
            }
            None => wrong(errors, "a timestamp string"),
        },
        Shape::Integer => {
            if value.as_i64().is_none() {
                wrong(errors, "an integer");
            }
        }
        Shape::Boolean => {
            if !value.is_boolean() {
                wrong(errors, "a boolean");
            }
        }
        Shape::Object => {
            if !value.is_object() {
                wrong(errors, "an object");
            }
        }
        Shape::Hashes => match value.as_object() {
            Some(hashes) if hashes.is_empty() => errors.add(field, "must not be empty"),
            Some(hashes) => {
                for (algorithm, hash) in hashes {
                    if !hash.is_string() {
                        errors.add(&format!("{field}.{algorithm}"), "must be a string");
                    }
                }
            }
            None => wrong(errors, "an object of hash algorithm to value"),
        },
        Shape::TextList => list_of(errors, Shape::Text, "a list of strings"),
        Shape::IdList => list_of(errors, Shape::Id, "a list of identifiers"),
        Shape::KillChainPhases => check_list_of_objects(
            errors,
            field,
            value,
            &[
                ("kill_chain_name", Shape::Text, true),
                ("phase_name", Shape::Text, true),
            ],
        ),
        Shape::ExternalReferences => check_list_of_objects(
            errors,
            field,
            value,
            &[
                ("source_name", Shape::Text, true),
                ("description", Shape::Text, false),
                ("url", Shape::Text, false),
                ("hashes", Shape::Hashes, false),
                ("external_id", Shape::Text, false),
            ],
        ),
        Shape::GranularMarkings => check_list_of_objects(
            errors,
            field,
            value,
            &[
                ("lang", Shape::Text, false),
                ("marking_ref", Shape::Id, false),
                ("selectors", Shape::TextList, true),
            ],
        ),
    }
}

fn check_list_of_objects(
    errors: &mut Errors<'_>,
    field: &str,
    value: &Value,
    properties: &[(&str, Shape, bool)],
) {
    let Some(items) = value.as_array() else {
        errors.add(field, format!("must be a list, found {}", json_kind(value)));
        return;
    };
    if items.is_empty() {
        errors.add(field, "must not be an empty list");
    }
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{field}[{index}]");
        match item.as_object() {
            Some(map) => check_properties(errors, &item_path, map, properties),
            None => errors.add(
                &item_path,
                format!("must be an object, found {}", json_kind(item)),
            ),
        }
    }
}

fn check_properties(
    errors: &mut Errors<'_>,
    prefix: &str,
    map: &Map<String, Value>,
    properties: &[(&str, Shape, bool)],
) {
    for (name, shape, required) in properties {
        let field = join(prefix, name);
        match map.get(*name) {
            None if *required => errors.add(&field, "is required"),
            None => {}
            Some(Value::Null) => errors.add(&field, "must not be null"),
            Some(value) => check_shape(errors, &field, value, *shape),
        }
    }
}

/// Parses and validates one STIX object given as JSON: shape of every
/// modelled property, then the specification's rules. Unknown object types
/// are accepted when their common properties are sound.
pub fn object_from_json(value: Value) -> Result<StixObject, Vec<ValidationError>> {
    object_from_json_at(value, "", ValidationOptions::default())
}

/// [`object_from_json`] with explicit options.
pub fn object_from_json_with(
    value: Value,
    options: ValidationOptions,
) -> Result<StixObject, Vec<ValidationError>> {
    object_from_json_at(value, "", options)
}

fn object_from_json_at(
    value: Value,
    prefix: &str,
    options: ValidationOptions,
) -> Result<StixObject, Vec<ValidationError>> {
    let mut list = Vec::new();
    let mut errors = Errors {
        prefix,
        list: &mut list,
    };
    let Value::Object(map) = value else {
        errors.add(
            "",
            format!("must be a JSON object, found {}", json_kind(&value)),
        );
        return Err(list);
    };
    let Some(type_name) = map.get("type").and_then(Value::as_str).map(str::to_owned) else {
        errors.add("type", "is required and must be a string");
        return Err(list);
    };
    match StixObject::kind_of_type(&type_name) {
        Some(ObjectKind::CyberObservable) => check_properties(&mut errors, "", &map, SCO_COMMON),
        Some(ObjectKind::Meta) => check_properties(&mut errors, "", &map, MARKING_PROPERTIES),
        Some(_) => check_properties(&mut errors, "", &map, SDO_COMMON),
        None => {}
    }
    check_properties(&mut errors, "", &map, specific_properties(&type_name));
    if !list.is_empty() {
        return Err(list);
    }
    let object = StixObject::from_map(map).map_err(|error| {
        vec![ValidationError {
            path: prefix.to_owned(),
            message: error.to_string(),
        }]
    })?;
    object.validate_into(prefix, options, &mut list);
    if list.is_empty() {
        Ok(object)
    } else {
        Err(list)
    }
}

/// Parses and validates a bundle given as JSON; errors in its objects carry
/// paths such as `objects[3].valid_until`.
pub fn bundle_from_json(value: Value) -> Result<Bundle, Vec<ValidationError>> {
    bundle_from_json_with(value, ValidationOptions::default())
}

/// [`bundle_from_json`] with explicit options.
pub fn bundle_from_json_with(
    value: Value,
    options: ValidationOptions,
) -> Result<Bundle, Vec<ValidationError>> {
    let mut list = Vec::new();
    let Value::Object(mut map) = value else {
        list.push(ValidationError {
            path: String::new(),
            message: format!(
                "a bundle must be a JSON object, found {}",
                json_kind(&value)
            ),
        });
        return Err(list);
    };
    let mut errors = Errors {
        prefix: "",
        list: &mut list,
    };
    check_properties(
        &mut errors,
        "",
        &map,
        &[("type", Shape::Text, true), ("id", Shape::Id, true)],
    );
    let objects = match map.remove("objects") {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            errors.add(
                "objects",
                format!("must be a list, found {}", json_kind(&other)),
            );
            Vec::new()
        }
    };
    let mut parsed = Vec::with_capacity(objects.len());
    for (index, item) in objects.into_iter().enumerate() {
        match object_from_json_at(item, &format!("objects[{index}]"), options) {
            Ok(object) => parsed.push(object),
            Err(mut object_errors) => list.append(&mut object_errors),
        }
    }
    if !list.is_empty() {
        return Err(list);
    }
    let bundle: Bundle = serde_json::from_value(Value::Object(map)).map_err(|error| {
        vec![ValidationError {
            path: String::new(),
            message: error.to_string(),
        }]
    })?;
    let bundle = Bundle {
        objects: parsed,
        ..bundle
    };
    bundle.validate_header(options, &mut list);
    if list.is_empty() {
        Ok(bundle)
    } else {
        Err(list)
    }
}

/// Parses and validates a bundle from JSON text.
pub fn bundle_from_str(text: &str) -> Result<Bundle, Vec<ValidationError>> {
    let value: Value = serde_json::from_str(text).map_err(|error| {
        vec![ValidationError {
            path: String::new(),
            message: format!("not JSON: {error}"),
        }]
    })?;
    bundle_from_json(value)
}

// ---- rules on typed objects --------------------------------------------

/// An SCO timestamp kept as text; its syntax was checked with the shape.
fn parsed(text: &Option<String>) -> Option<StixTimestamp> {
    text.as_deref()
        .and_then(|text| StixTimestamp::parse(text).ok())
}

/// Object types that may not be the source or target of a relationship.
const NOT_RELATABLE: &[&str] = &[
    "relationship",
    "sighting",
    "bundle",
    "marking-definition",
    "language-content",
    "extension-definition",
];

const MAX_COUNT: i64 = 999_999_999;

impl Errors<'_> {
    /// Id syntax, optional expected type prefix(es) and UUID version.
    fn id(&mut self, field: &str, id: &StixId, expected_types: &[&str], version: Option<usize>) {
        match id.parse_parts() {
            Err(message) => self.add(field, message),
            Ok((prefix, uuid)) => {
                if !expected_types.is_empty() && !expected_types.contains(&prefix) {
                    self.add(
                        field,
                        format!(
                            "must reference a {}, not a {prefix}",
                            expected_types.join(" or ")
                        ),
                    );
                }
                if let Some(version) = version {
                    if uuid.get_version_num() != version {
                        self.add(
                            field,
                            format!(
                                "must use a UUIDv{version}, found UUIDv{}",
                                uuid.get_version_num()
                            ),
                        );
                    }
                }
            }
        }
    }

    fn refs(&mut self, field: &str, ids: &[StixId], expected_types: &[&str]) {
        for (index, id) in ids.iter().enumerate() {
            self.id(&format!("{field}[{index}]"), id, expected_types, None);
        }
    }

    fn not_before(
        &mut self,
        later_field: &str,
        earlier: Option<&StixTimestamp>,
        later: Option<&StixTimestamp>,
        earlier_field: &str,
        strictly: bool,
    ) {
        if let (Some(earlier), Some(later)) = (earlier, later) {
            if later < earlier || (strictly && later == earlier) {
                let relation = if strictly {
                    "later than"
                } else {
                    "at or after"
                };
                self.add(
                    later_field,
                    format!("must be {relation} {earlier_field} ({earlier})"),
                );
            }
        }
    }

    fn range(&mut self, field: &str, value: Option<i64>, min: i64, max: i64) {
        if let Some(value) = value {
            if !(min..=max).contains(&value) {
                self.add(
                    field,
                    format!("must be between {min} and {max}, found {value}"),
                );
            }
        }
    }

    fn millisecond_precision(&mut self, field: &str, timestamp: &StixTimestamp) {
        if !timestamp.had_millisecond_precision() {
            self.add(field, "must have at least millisecond precision (…SS.sssZ)");
        }
    }

    fn spec_version(&mut self, version: &str) {
        if version != SPEC_VERSION {
            self.add(
                "spec_version",
                format!("must be \"2.1\", found {version:?}"),
            );
        }
    }

    /// Unmodelled properties: 2.1 property-name syntax, and no null or
    /// empty-list values (STIX §3.1 forbids both for every property).
    fn custom_properties(&mut self, extra: &Map<String, Value>) {
        for (name, value) in extra {
            let well_formed = (3..=250).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !well_formed {
                self.add(
                    name,
                    "property names must be 3–250 characters of a–z, 0–9 and _",
                );
            }
            self.not_null_or_empty(name, value);
        }
    }

    fn not_null_or_empty(&mut self, field: &str, value: &Value) {
        match value {
            Value::Null => self.add(field, "must not be null"),
            Value::Array(items) if items.is_empty() => self.add(field, "must not be an empty list"),
            _ => {}
        }
    }

    /// At most one TLP marking may apply to an object, or its handling is
    /// ambiguous (the OASIS schemas enforce this for TLP 1.0).
    fn single_tlp(&mut self, refs: &[StixId]) {
        let tlp_count = refs
            .iter()
            .filter(|id| crate::tlp::Tlp::from_marking_ref(id.as_str()).is_some())
            .count();
        if tlp_count > 1 {
            self.add(
                "object_marking_refs",
                "must contain at most one TLP marking",
            );
        }
    }

    fn extensions(&mut self, extensions: Option<&Map<String, Value>>) {
        let Some(extensions) = extensions else {
            return;
        };
        if extensions.is_empty() {
            self.add("extensions", "must not be empty");
        }
        for (key, body) in extensions {
            let field = format!("extensions.{key}");
            if key.starts_with("extension-definition--") {
                if let Err(message) = StixId::from(key.as_str()).parse_parts() {
                    self.add(&field, message);
                }
            } else if !(key.ends_with("-ext") && is_valid_type_name(key)) {
                self.add(
                    &field,
                    "extension keys must be an extension-definition id or a predefined `…-ext` name",
                );
            }
            match body.as_object() {
                None => self.add(&field, "must be an object"),
                Some(body) if body.is_empty() => self.add(&field, "must not be empty"),
                Some(body) => {
                    for (name, value) in body {
                        self.not_null_or_empty(&format!("{field}.{name}"), value);
                    }
                }
            }
        }
    }

    fn external_references(&mut self, references: &[ExternalReference]) {
        for (index, reference) in references.iter().enumerate() {
            let field = format!("external_references[{index}]");
            if reference.description.is_none()
                && reference.url.is_none()
                && reference.external_id.is_none()
            {
                self.add(
                    &field,
                    "needs description, url or external_id besides source_name",
                );
            }
        }
    }

    fn granular_markings(&mut self, markings: &[GranularMarking]) {
        for (index, marking) in markings.iter().enumerate() {
            let field = format!("granular_markings[{index}]");
            match (&marking.marking_ref, &marking.lang) {
                (Some(_), Some(_)) => self.add(&field, "must have marking_ref or lang, not both"),
                (None, None) => self.add(&field, "must have marking_ref or lang"),
                (Some(marking_ref), None) => self.id(
                    &format!("{field}.marking_ref"),
                    marking_ref,
                    &["marking-definition"],
                    None,
                ),
                (None, Some(_)) => {}
            }
            for (position, selector) in marking.selectors.iter().enumerate() {
                if !is_valid_selector(selector) {
                    self.add(
                        &format!("{field}.selectors[{position}]"),
                        format!("{selector:?} is not a valid selector"),
                    );
                }
            }
        }
    }

    fn hashes(&mut self, field: &str, hashes: Option<&std::collections::BTreeMap<String, String>>) {
        for (algorithm, value) in hashes.into_iter().flatten() {
            if let Some(problem) = hash_problem(algorithm, value) {
                self.add(&format!("{field}.{algorithm}"), problem);
            }
        }
    }
}

/// Granular-marking selector syntax (STIX 2.1 §7.2.3.1).
fn is_valid_selector(selector: &str) -> bool {
    if selector == "id" {
        return true;
    }
    let name_chars = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    };
    let mut parts = selector.split('.');
    let first_ok = parts
        .next()
        .is_some_and(|first| (3..=249).contains(&first.len()) && name_chars(first));
    first_ok
        && parts.all(|part| {
            let index = part
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .is_some_and(|digits| {
                    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
                });
            index || ((1..=250).contains(&part.len()) && name_chars(part))
        })
}

/// Length of the hex digest for hash algorithms whose format is fixed.
fn expected_hex_length(algorithm: &str) -> Option<usize> {
    let normalized: String = algorithm
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .collect::<String>()
        .to_ascii_uppercase();
    Some(match normalized.as_str() {
        "MD5" => 32,
        "SHA1" | "RIPEMD160" => 40,
        "SHA224" | "SHA3224" => 56,
        "SHA256" | "SHA3256" => 64,
        "SHA384" | "SHA3384" => 96,
        "SHA512" | "SHA3512" | "WHIRLPOOL" => 128,
        _ => return None,
    })
}

/// Why `value` is not a well-formed hash for `algorithm`, if it is not.
fn hash_problem(algorithm: &str, value: &str) -> Option<String> {
    let length = expected_hex_length(algorithm)?;
    (value.len() != length || !value.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("{value:?} is not a valid {algorithm} hash ({length} hex digits)"))
}

fn is_ip_with_optional_prefix<T: std::str::FromStr>(value: &str, max_prefix: u8) -> bool {
    match value.split_once('/') {
        Some((address, prefix)) => {
            address.parse::<T>().is_ok()
                && !prefix.starts_with('+')
                && prefix.parse::<u8>().is_ok_and(|bits| bits <= max_prefix)
        }
        None => value.parse::<T>().is_ok(),
    }
}

fn is_mac48(value: &str) -> bool {
    let groups: Vec<&str> = value.split(':').collect();
    groups.len() == 6
        && groups.iter().all(|group| {
            group.len() == 2
                && group
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// Object type names as the OASIS validator accepts them in patterns.
fn is_valid_pattern_type_name(name: &str) -> bool {
    let trimmed = name.strip_prefix('-').unwrap_or(name);
    let trimmed = trimmed.strip_suffix('-').unwrap_or(trimmed);
    (3..=250).contains(&name.len())
        && !trimmed.is_empty()
        && trimmed.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn check_pattern(errors: &mut Errors<'_>, pattern_text: &str) {
    let pattern = match parse_pattern(pattern_text) {
        Ok(pattern) => pattern,
        Err(error) => {
            errors.add(
                "pattern",
                format!(
                    "invalid STIX pattern at line {}, column {} (byte {}): {}",
                    error.line, error.column, error.offset, error.message
                ),
            );
            return;
        }
    };
    for comparison in pattern.comparisons() {
        let path = &comparison.path;
        if !is_valid_pattern_type_name(&path.object_type) {
            errors.add(
                "pattern",
                format!("{:?} is not a valid observable type name", path.object_type),
            );
        }
        if let Some(PathStep::Property(first)) = path.steps.first() {
            let well_formed = (3..=250).contains(&first.len())
                && first
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !well_formed {
                errors.add(
                    "pattern",
                    format!("{first:?} is not a valid observable property name"),
                );
            }
        }
        let is_hash = path
            .steps
            .iter()
            .any(|step| *step == PathStep::Property("hashes".into()));
        if let (true, Some(PathStep::Property(algorithm)), Constant::String(value)) =
            (is_hash, path.steps.last(), &comparison.value)
        {
            if let Some(problem) = hash_problem(algorithm, value) {
                errors.add("pattern", problem);
            }
        }
    }
}

impl StixObject {
    /// Checks the specification's rules; empty when the object is valid.
    pub fn validate(&self) -> Vec<ValidationError> {
        self.validate_with(ValidationOptions::default())
    }

    /// [`StixObject::validate`] with explicit options.
    pub fn validate_with(&self, options: ValidationOptions) -> Vec<ValidationError> {
        let mut list = Vec::new();
        self.validate_into("", options, &mut list);
        list
    }

    fn validate_into(
        &self,
        prefix: &str,
        options: ValidationOptions,
        list: &mut Vec<ValidationError>,
    ) {
        let mut errors = Errors { prefix, list };
        if let Some(common) = self.sdo_common() {
            validate_sdo_common(&mut errors, common, self.type_name(), options);
        }
        if let Some(common) = self.sco_common() {
            validate_sco_common(&mut errors, common, self, options);
        }
        match self {
            StixObject::Indicator(o) => {
                errors.custom_properties(&o.extra);
                if o.pattern_type.is_empty() {
                    errors.add("pattern_type", "must not be empty");
                }
                if o.pattern_type == "stix" {
                    check_pattern(&mut errors, &o.pattern);
                }
                errors.not_before(
                    "valid_until",
                    Some(&o.valid_from),
                    o.valid_until.as_ref(),
                    "valid_from",
                    true,
                );
            }
            StixObject::Incident(o) => errors.custom_properties(&o.extra),
            StixObject::Identity(o) => errors.custom_properties(&o.extra),
            StixObject::AttackPattern(o) => errors.custom_properties(&o.extra),
            StixObject::CourseOfAction(o) => errors.custom_properties(&o.extra),
            StixObject::Vulnerability(o) => errors.custom_properties(&o.extra),
            StixObject::Tool(o) => errors.custom_properties(&o.extra),
            StixObject::Campaign(o) => {
                errors.custom_properties(&o.extra);
                errors.not_before(
                    "last_seen",
                    o.first_seen.as_ref(),
                    o.last_seen.as_ref(),
                    "first_seen",
                    false,
                );
            }
            StixObject::Infrastructure(o) => {
                errors.custom_properties(&o.extra);
                errors.not_before(
                    "last_seen",
                    o.first_seen.as_ref(),
                    o.last_seen.as_ref(),
                    "first_seen",
                    false,
                );
            }
            StixObject::ThreatActor(o) => {
                errors.custom_properties(&o.extra);
                errors.not_before(
                    "last_seen",
                    o.first_seen.as_ref(),
                    o.last_seen.as_ref(),
                    "first_seen",
                    false,
                );
            }
            StixObject::Malware(o) => {
                errors.custom_properties(&o.extra);
                if o.is_family && o.name.is_none() {
                    errors.add("name", "is required when is_family is true");
                }
                errors.not_before(
                    "last_seen",
                    o.first_seen.as_ref(),
                    o.last_seen.as_ref(),
                    "first_seen",
                    false,
                );
                errors.refs(
                    "operating_system_refs",
                    &o.operating_system_refs,
                    &["software"],
                );
                errors.refs("sample_refs", &o.sample_refs, &["file", "artifact"]);
            }
            StixObject::Note(o) => {
                errors.custom_properties(&o.extra);
                if o.object_refs.is_empty() {
                    errors.add("object_refs", "is required and must not be empty");
                }
                errors.refs("object_refs", &o.object_refs, &[]);
            }
            StixObject::Report(o) => {
                errors.custom_properties(&o.extra);
                if o.object_refs.is_empty() {
                    errors.add("object_refs", "is required and must not be empty");
                }
                errors.refs("object_refs", &o.object_refs, &[]);
            }
            StixObject::ObservedData(o) => {
                errors.custom_properties(&o.extra);
                errors.range("number_observed", Some(o.number_observed), 1, MAX_COUNT);
                errors.not_before(
                    "last_observed",
                    Some(&o.first_observed),
                    Some(&o.last_observed),
                    "first_observed",
                    false,
                );
                match (o.object_refs.is_empty(), o.objects.is_some()) {
                    (true, false) => {
                        errors.add("object_refs", "is required (or the deprecated objects)")
                    }
                    (false, true) => {
                        errors.add("objects", "must not be present together with object_refs")
                    }
                    _ => {}
                }
                errors.refs("object_refs", &o.object_refs, &[]);
            }
            StixObject::Relationship(o) => {
                errors.custom_properties(&o.extra);
                let well_formed = !o.relationship_type.is_empty()
                    && o.relationship_type
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if !well_formed {
                    errors.add(
                        "relationship_type",
                        format!("{:?} must match ^[a-z0-9-]+$", o.relationship_type),
                    );
                }
                for (field, id) in [("source_ref", &o.source_ref), ("target_ref", &o.target_ref)] {
                    errors.id(field, id, &[], None);
                    if id
                        .type_prefix()
                        .is_some_and(|prefix| NOT_RELATABLE.contains(&prefix))
                    {
                        errors.add(field, "must reference an SDO or SCO");
                    }
                }
                errors.not_before(
                    "stop_time",
                    o.start_time.as_ref(),
                    o.stop_time.as_ref(),
                    "start_time",
                    true,
                );
            }
            StixObject::Sighting(o) => {
                errors.custom_properties(&o.extra);
                errors.range("count", o.count, 0, MAX_COUNT);
                errors.not_before(
                    "last_seen",
                    o.first_seen.as_ref(),
                    o.last_seen.as_ref(),
                    "first_seen",
                    false,
                );
                errors.id("sighting_of_ref", &o.sighting_of_ref, &[], None);
                if o.sighting_of_ref.type_prefix().is_some_and(|prefix| {
                    NOT_RELATABLE.contains(&prefix)
                        || StixObject::kind_of_type(prefix) == Some(ObjectKind::CyberObservable)
                }) {
                    errors.add("sighting_of_ref", "must reference an SDO");
                }
                errors.refs(
                    "observed_data_refs",
                    &o.observed_data_refs,
                    &["observed-data"],
                );
                errors.refs(
                    "where_sighted_refs",
                    &o.where_sighted_refs,
                    &["identity", "location"],
                );
            }
            StixObject::MarkingDefinition(o) => {
                validate_marking_definition(&mut errors, o, options)
            }
            StixObject::Ipv4Addr(o) => {
                errors.custom_properties(&o.extra);
                if !is_ip_with_optional_prefix::<std::net::Ipv4Addr>(&o.value, 32) {
                    errors.add(
                        "value",
                        format!("{:?} is not an IPv4 address or CIDR block", o.value),
                    );
                }
                errors.refs("resolves_to_refs", &o.resolves_to_refs, &["mac-addr"]);
                errors.refs(
                    "belongs_to_refs",
                    &o.belongs_to_refs,
                    &["autonomous-system"],
                );
            }
            StixObject::Ipv6Addr(o) => {
                errors.custom_properties(&o.extra);
                if !is_ip_with_optional_prefix::<std::net::Ipv6Addr>(&o.value, 128) {
                    errors.add(
                        "value",
                        format!("{:?} is not an IPv6 address or CIDR block", o.value),
                    );
                }
                errors.refs("resolves_to_refs", &o.resolves_to_refs, &["mac-addr"]);
                errors.refs(
                    "belongs_to_refs",
                    &o.belongs_to_refs,
                    &["autonomous-system"],
                );
            }
            StixObject::DomainName(o) => {
                errors.custom_properties(&o.extra);
                if o.value.is_empty() || o.value.chars().any(char::is_whitespace) {
                    errors.add("value", format!("{:?} is not a domain name", o.value));
                }
                errors.refs(
                    "resolves_to_refs",
                    &o.resolves_to_refs,
                    &["ipv4-addr", "ipv6-addr", "domain-name"],
                );
            }
            StixObject::Url(o) => {
                errors.custom_properties(&o.extra);
                if o.value.is_empty() {
                    errors.add("value", "must not be empty");
                }
            }
            StixObject::EmailAddr(o) => {
                errors.custom_properties(&o.extra);
                if !o.value.contains('@') {
                    errors.add("value", format!("{:?} is not an e-mail address", o.value));
                }
                if let Some(account) = &o.belongs_to_ref {
                    errors.id("belongs_to_ref", account, &["user-account"], None);
                }
            }
            StixObject::MacAddr(o) => {
                errors.custom_properties(&o.extra);
                if !is_mac48(&o.value) {
                    errors.add(
                        "value",
                        format!(
                            "{:?} is not a lower-case, colon-separated MAC-48 address",
                            o.value
                        ),
                    );
                }
            }
            StixObject::File(o) => {
                errors.custom_properties(&o.extra);
                if o.hashes.is_none() && o.name.is_none() {
                    errors.add("hashes", "a file needs hashes or name");
                }
                errors.hashes("hashes", o.hashes.as_ref());
                errors.range("size", o.size, 0, i64::MAX);
                if let Some(parent) = &o.parent_directory_ref {
                    errors.id("parent_directory_ref", parent, &["directory"], None);
                }
                if let Some(content) = &o.content_ref {
                    errors.id("content_ref", content, &["artifact"], None);
                }
                errors.refs("contains_refs", &o.contains_refs, &[]);
            }
            StixObject::NetworkTraffic(o) => {
                errors.custom_properties(&o.extra);
                if o.protocols.is_empty() {
                    errors.add("protocols", "is required and must not be empty");
                }
                if o.src_ref.is_none() && o.dst_ref.is_none() {
                    errors.add("src_ref", "network traffic needs src_ref or dst_ref");
                }
                let endpoints = ["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"];
                if let Some(src) = &o.src_ref {
                    errors.id("src_ref", src, &endpoints, None);
                }
                if let Some(dst) = &o.dst_ref {
                    errors.id("dst_ref", dst, &endpoints, None);
                }
                errors.range("src_port", o.src_port, 0, 65535);
                errors.range("dst_port", o.dst_port, 0, 65535);
                for (field, value) in [
                    ("src_byte_count", o.src_byte_count),
                    ("dst_byte_count", o.dst_byte_count),
                    ("src_packets", o.src_packets),
                    ("dst_packets", o.dst_packets),
                ] {
                    errors.range(field, value, 0, i64::MAX);
                }
                errors.not_before(
                    "end",
                    parsed(&o.start).as_ref(),
                    parsed(&o.end).as_ref(),
                    "start",
                    false,
                );
                if o.is_active == Some(true) && o.end.is_some() {
                    errors.add("end", "must not be present while is_active is true");
                }
            }
            StixObject::AutonomousSystem(o) => {
                errors.custom_properties(&o.extra);
                errors.range("number", Some(o.number), 0, i64::from(u32::MAX));
            }
            StixObject::X509Certificate(o) => {
                errors.custom_properties(&o.extra);
                errors.hashes("hashes", o.hashes.as_ref());
                errors.not_before(
                    "validity_not_after",
                    parsed(&o.validity_not_before).as_ref(),
                    parsed(&o.validity_not_after).as_ref(),
                    "validity_not_before",
                    false,
                );
            }
            StixObject::Unknown(map) => validate_unknown(&mut errors, map),
        }
    }
}

fn validate_sdo_common(
    errors: &mut Errors<'_>,
    common: &CommonProperties,
    type_name: &str,
    options: ValidationOptions,
) {
    if common.type_name != type_name {
        errors.add(
            "type",
            format!("must be {type_name:?}, found {:?}", common.type_name),
        );
    }
    errors.spec_version(&common.spec_version);
    let version = options.require_recommended_id_versions.then_some(4);
    errors.id("id", &common.id, &[type_name], version);
    if let Some(creator) = &common.created_by_ref {
        errors.id("created_by_ref", creator, &["identity"], None);
    }
    errors.millisecond_precision("created", &common.created);
    errors.millisecond_precision("modified", &common.modified);
    errors.not_before(
        "modified",
        Some(&common.created),
        Some(&common.modified),
        "created",
        false,
    );
    errors.range("confidence", common.confidence, 0, 100);
    errors.external_references(&common.external_references);
    errors.refs(
        "object_marking_refs",
        &common.object_marking_refs,
        &["marking-definition"],
    );
    errors.single_tlp(&common.object_marking_refs);
    errors.granular_markings(&common.granular_markings);
    errors.extensions(common.extensions.as_ref());
}

fn validate_sco_common(
    errors: &mut Errors<'_>,
    common: &ScoCommon,
    object: &StixObject,
    options: ValidationOptions,
) {
    let type_name = object.type_name();
    if common.type_name != type_name {
        errors.add(
            "type",
            format!("must be {type_name:?}, found {:?}", common.type_name),
        );
    }
    if let Some(version) = &common.spec_version {
        errors.spec_version(version);
    }
    errors.id("id", &common.id, &[type_name], None);
    if options.require_recommended_id_versions {
        let expected = object.to_value().ok().and_then(|value| {
            value
                .as_object()
                .and_then(|map| deterministic_sco_id(type_name, map))
        });
        match expected {
            Some(expected) if expected != common.id => errors.add(
                "id",
                format!("must be the deterministic id {expected} (UUIDv5 of the id-contributing properties)"),
            ),
            Some(_) => {}
            None => {
                if let Ok((_, uuid)) = common.id.parse_parts() {
                    if uuid.get_version_num() != 4 {
                        errors.add("id", "must use a UUIDv4 when no id-contributing property is present");
                    }
                }
            }
        }
    }
    errors.refs(
        "object_marking_refs",
        &common.object_marking_refs,
        &["marking-definition"],
    );
    errors.single_tlp(&common.object_marking_refs);
    errors.granular_markings(&common.granular_markings);
    errors.extensions(common.extensions.as_ref());
}

fn validate_marking_definition(
    errors: &mut Errors<'_>,
    marking: &MarkingDefinition,
    options: ValidationOptions,
) {
    errors.custom_properties(&marking.extra);
    if marking.type_name != "marking-definition" {
        errors.add("type", "must be \"marking-definition\"");
    }
    errors.spec_version(&marking.spec_version);
    let version = options.require_recommended_id_versions.then_some(4);
    errors.id("id", &marking.id, &["marking-definition"], version);
    if let Some(creator) = &marking.created_by_ref {
        errors.id("created_by_ref", creator, &["identity"], None);
    }
    errors.millisecond_precision("created", &marking.created);
    errors.external_references(&marking.external_references);
    errors.refs(
        "object_marking_refs",
        &marking.object_marking_refs,
        &["marking-definition"],
    );
    if marking.object_marking_refs.contains(&marking.id) {
        errors.add(
            "object_marking_refs",
            "a marking definition must not mark itself",
        );
    }
    errors.granular_markings(&marking.granular_markings);
    errors.extensions(marking.extensions.as_ref());
    match (&marking.definition_type, &marking.definition) {
        (Some(_), None) => errors.add("definition", "is required with definition_type"),
        (None, Some(_)) => errors.add("definition_type", "is required with definition"),
        (None, None) if marking.extensions.is_none() => errors.add(
            "definition_type",
            "a marking definition needs definition_type and definition, or extensions",
        ),
        (Some(kind), Some(definition)) if kind == "tlp" => {
            validate_tlp_1_0(errors, marking, definition)
        }
        (Some(kind), Some(definition))
            if kind == "statement"
                && !definition.get("statement").is_some_and(Value::is_string) =>
        {
            errors.add("definition.statement", "is required and must be a string")
        }
        _ => {}
    }
}

/// TLP 1.0 marking definitions are fixed by STIX 2.1 §7.2.1.4: only the
/// four published objects, unchanged, are TLP 1.0 markings.
fn validate_tlp_1_0(
    errors: &mut Errors<'_>,
    marking: &MarkingDefinition,
    definition: &Map<String, Value>,
) {
    let published = [
        (
            "white",
            "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        ),
        (
            "green",
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        ),
        (
            "amber",
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        ),
        (
            "red",
            "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        ),
    ];
    let colour = definition.get("tlp").and_then(Value::as_str).unwrap_or("");
    let Some((colour, id)) = published.iter().find(|(c, _)| *c == colour) else {
        errors.add("definition.tlp", "must be white, green, amber or red");
        return;
    };
    if marking.id != *id {
        errors.add(
            "id",
            format!(
                "the TLP:{} marking definition has id {id}",
                colour.to_ascii_uppercase()
            ),
        );
    }
    if marking.created.to_string() != "2017-01-20T00:00:00.000Z" {
        errors.add(
            "created",
            "TLP 1.0 marking definitions were created 2017-01-20T00:00:00.000Z",
        );
    }
    if definition.len() != 1 {
        errors.add("definition", "a TLP 1.0 definition holds only `tlp`");
    }
    let expected_name = format!("TLP:{}", colour.to_ascii_uppercase());
    if marking
        .name
        .as_ref()
        .is_some_and(|name| *name != expected_name)
    {
        errors.add("name", format!("must be {expected_name:?}"));
    }
    let altered = marking.created_by_ref.is_some()
        || !marking.external_references.is_empty()
        || !marking.object_marking_refs.is_empty()
        || !marking.granular_markings.is_empty()
        || marking.extensions.is_some()
        || !marking.extra.is_empty();
    if altered {
        errors.add(
            "",
            "a TLP 1.0 marking definition must be exactly the one STIX publishes",
        );
    }
}

fn validate_unknown(errors: &mut Errors<'_>, map: &Map<String, Value>) {
    let type_name = map.get("type").and_then(Value::as_str).unwrap_or("");
    if !is_valid_type_name(type_name) {
        errors.add(
            "type",
            format!("{type_name:?} is not a valid STIX type name"),
        );
    }
    match map.get("id").and_then(Value::as_str) {
        None => errors.add("id", "is required and must be a string"),
        Some(id) => errors.id("id", &StixId::from(id), &[type_name], None),
    }
    if let Some(version) = map.get("spec_version") {
        match version.as_str() {
            Some(version) => errors.spec_version(version),
            None => errors.add("spec_version", "must be a string"),
        }
    }
    let mut timestamps = [None, None];
    for (slot, field) in timestamps.iter_mut().zip(["created", "modified"]) {
        if let Some(value) = map.get(field) {
            match value.as_str().map(StixTimestamp::parse) {
                Some(Ok(timestamp)) => {
                    errors.millisecond_precision(field, &timestamp);
                    *slot = Some(timestamp);
                }
                Some(Err(error)) => errors.add(field, error.to_string()),
                None => errors.add(field, "must be a timestamp string"),
            }
        }
    }
    errors.not_before(
        "modified",
        timestamps[0].as_ref(),
        timestamps[1].as_ref(),
        "created",
        false,
    );
    let mut others = map.clone();
    for known in ["type", "id", "spec_version", "created", "modified"] {
        others.remove(known);
    }
    errors.custom_properties(&others);
}

impl Bundle {
    /// Checks the bundle and every object in it; paths of object errors
    /// start with `objects[i]`.
    pub fn validate(&self) -> Vec<ValidationError> {
        self.validate_with(ValidationOptions::default())
    }

    /// [`Bundle::validate`] with explicit options.
    pub fn validate_with(&self, options: ValidationOptions) -> Vec<ValidationError> {
        let mut list = Vec::new();
        self.validate_header(options, &mut list);
        for (index, object) in self.objects.iter().enumerate() {
            object.validate_into(&format!("objects[{index}]"), options, &mut list);
        }
        list
    }

    fn validate_header(&self, options: ValidationOptions, list: &mut Vec<ValidationError>) {
        let mut errors = Errors { prefix: "", list };
        if self.type_name != "bundle" {
            errors.add(
                "type",
                format!("must be \"bundle\", found {:?}", self.type_name),
            );
        }
        let version = options.require_recommended_id_versions.then_some(4);
        errors.id("id", &self.id, &["bundle"], version);
    }
}
