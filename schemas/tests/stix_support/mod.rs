//! Fixtures and proptest strategies shared by the STIX tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use isacx_schemas::stix::deterministic_sco_id;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stix")
}

/// The hand-written valid objects, by file stem, sorted.
pub fn valid_fixtures() -> Vec<(String, Value)> {
    let mut fixtures: Vec<(String, Value)> = std::fs::read_dir(fixtures_dir().join("valid"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (stem, value)
        })
        .collect();
    fixtures.sort_by(|a, b| a.0.cmp(&b.0));
    fixtures
}

pub fn valid_fixture(name: &str) -> Value {
    valid_fixtures()
        .into_iter()
        .find(|(stem, _)| stem == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
        .1
}

/// Arbitrary JSON, as custom properties may hold anything.
pub fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1.0e12f64..1.0e12).prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// JSON a property may hold: STIX forbids null and empty lists at the top
/// level of a property (deeper inside they are allowed).
pub fn arb_property_value() -> impl Strategy<Value = Value> {
    arb_json().prop_filter("null or empty list", |value| {
        !value.is_null() && value.as_array().is_none_or(|items| !items.is_empty())
    })
}

fn custom_property_name() -> impl Strategy<Value = String> {
    "x_[a-z][a-z0-9_]{2,12}"
}

fn timestamp() -> impl Strategy<Value = String> {
    (
        2000u32..2030,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
        prop_oneof![Just(3usize), Just(6usize), Just(9usize)],
        0u32..1_000_000_000,
    )
        .prop_map(|(y, mo, d, h, mi, s, digits, nanos)| {
            let fraction = format!("{nanos:09}");
            format!(
                "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{}Z",
                &fraction[..digits]
            )
        })
}

fn uuid4() -> impl Strategy<Value = String> {
    any::<u128>().prop_map(|bits| {
        uuid::Builder::from_random_bytes(bits.to_be_bytes())
            .into_uuid()
            .to_string()
    })
}

/// Random additions that keep an object valid: custom `x_` properties,
/// property extensions, and (for SDOs/SROs) labels, confidence and a
/// fresh `modified`.
#[derive(Debug, Clone)]
pub struct Additions {
    custom: Vec<(String, Value)>,
    extension: Option<(String, Value)>,
    labels: Vec<String>,
    confidence: Option<i64>,
    modified: String,
}

fn additions() -> impl Strategy<Value = Additions> {
    (
        prop::collection::vec((custom_property_name(), arb_property_value()), 0..4),
        prop::option::of((
            uuid4(),
            prop::collection::btree_map("[a-z][a-z_]{2,10}", arb_property_value(), 1..4),
        )),
        prop::collection::vec("[a-z][a-z0-9-]{0,15}", 0..3),
        prop::option::of(0i64..=100),
        timestamp(),
    )
        .prop_map(
            |(custom, extension, labels, confidence, modified)| Additions {
                custom,
                extension: extension.map(|(uuid, body)| {
                    let mut body: Map<String, Value> = body.into_iter().collect();
                    body.insert("extension_type".into(), json!("property-extension"));
                    (format!("extension-definition--{uuid}"), Value::Object(body))
                }),
                labels,
                confidence,
                modified,
            },
        )
}

fn apply(mut object: Value, additions: &Additions) -> Value {
    let map = object.as_object_mut().unwrap();
    if map["type"] == "marking-definition" {
        // TLP markings are fixed objects; altering them makes them invalid.
        return object;
    }
    for (name, value) in &additions.custom {
        if !map.contains_key(name) {
            map.insert(name.clone(), value.clone());
        }
    }
    if let Some((key, body)) = &additions.extension {
        let extensions = map
            .entry("extensions")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .unwrap();
        extensions.insert(key.clone(), body.clone());
    }
    let type_name = map["type"].as_str().unwrap().to_owned();
    let versioned = map.contains_key("modified");
    if versioned && map["type"] != "marking-definition" {
        if !additions.labels.is_empty() {
            map.insert("labels".into(), json!(additions.labels));
        }
        if let Some(confidence) = additions.confidence {
            map.insert("confidence".into(), json!(confidence));
        }
        // modified must not precede created: keep the later of the two.
        let created = map["created"].as_str().unwrap().to_owned();
        if additions.modified.as_str() > created.as_str() {
            map.insert("modified".into(), json!(additions.modified));
        }
    }
    if let Some(id) = deterministic_sco_id(&type_name, map) {
        map.insert("id".into(), json!(id.as_str()));
    }
    object
}

/// A valid object of any modelled type (or the custom object fixture) with
/// random custom properties and extensions.
pub fn arb_valid_object() -> impl Strategy<Value = Value> {
    let fixtures: Vec<Value> = valid_fixtures().into_iter().map(|(_, v)| v).collect();
    (prop::sample::select(fixtures), additions())
        .prop_map(|(base, additions)| apply(base, &additions))
}

/// An object of a type nobody models, with arbitrary properties.
pub fn arb_unknown_object() -> impl Strategy<Value = Value> {
    (
        "x-[a-z]{3,8}-[a-z]{3,8}",
        uuid4(),
        prop::collection::vec((custom_property_name(), arb_property_value()), 0..5),
        prop::option::of((timestamp(), timestamp())),
    )
        .prop_map(|(type_name, uuid, properties, times)| {
            let mut map = Map::new();
            map.insert("type".into(), json!(type_name));
            map.insert("spec_version".into(), json!("2.1"));
            map.insert("id".into(), json!(format!("{type_name}--{uuid}")));
            if let Some((a, b)) = times {
                let (created, modified) = if a <= b { (a, b) } else { (b, a) };
                map.insert("created".into(), json!(created));
                map.insert("modified".into(), json!(modified));
            }
            for (name, value) in properties {
                map.insert(name, value);
            }
            Value::Object(map)
        })
}
