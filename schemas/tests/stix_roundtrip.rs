//! Known and unknown STIX objects survive JSON round-trips unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use isacx_schemas::stix::{Bundle, Indicator, StixObject};
use serde_json::{json, Value};

fn round_trip(value: &Value) -> Value {
    let object: StixObject = serde_json::from_value(value.clone()).unwrap();
    serde_json::to_value(&object).unwrap()
}

#[test]
fn indicator_with_custom_properties_and_extensions_round_trips() {
    let value = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2016-04-06T20:03:48.000Z",
        "modified": "2016-04-06T20:03:48.123456Z",
        "indicator_types": ["malicious-activity"],
        "pattern": "[ipv4-addr:value = '198.51.100.3']",
        "pattern_type": "stix",
        "valid_from": "2016-01-01T00:00:00.000Z",
        "x_isacx_sector": {"name": "electricity", "k": [1, 2.5, null]},
        "extensions": {"extension-definition--ef765651-680c-498d-9894-99799f2fa126": {
            "extension_type": "property-extension", "determination": "suspected"}}
    });
    let object: StixObject = serde_json::from_value(value.clone()).unwrap();
    assert!(matches!(object, StixObject::Indicator(_)));
    assert_eq!(serde_json::to_value(&object).unwrap(), value);
}

#[test]
fn unknown_object_type_round_trips() {
    let value = json!({
        "type": "x-isacx-advisory",
        "spec_version": "2.1",
        "id": "x-isacx-advisory--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2016-04-06T20:03:48.000Z",
        "modified": "2016-04-06T20:03:48.000Z",
        "urgency": "urgent"
    });
    assert_eq!(round_trip(&value), value);
    let object: StixObject = serde_json::from_value(value).unwrap();
    assert_eq!(object.type_name(), "x-isacx-advisory");
    assert!(object.modified().is_some());
}

#[test]
fn constructed_indicator_round_trips_in_a_bundle() {
    let bundle = Bundle::new(vec![Indicator::for_ipv4("198.51.100.3").into()]);
    let text = serde_json::to_string(&bundle).unwrap();
    assert_eq!(Bundle::from_json(&text).unwrap(), bundle);
}

mod stix_support;

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Every modelled type, with random custom properties and extensions,
    /// survives JSON → model → JSON unchanged, and stays valid.
    #[test]
    fn modelled_objects_round_trip_losslessly(value in stix_support::arb_valid_object()) {
        let object = isacx_schemas::stix::object_from_json(value.clone())
            .map_err(|errors| TestCaseError::fail(format!("{errors:?}\n{value}")))?;
        prop_assert!(!matches!(object, StixObject::Unknown(_)) || object.type_name().starts_with("x-"));
        prop_assert_eq!(serde_json::to_value(&object).unwrap(), value);
    }

    /// Objects of types nobody models pass through byte-for-byte equal JSON.
    #[test]
    fn unknown_objects_round_trip_losslessly(value in stix_support::arb_unknown_object()) {
        let object: StixObject = serde_json::from_value(value.clone()).unwrap();
        prop_assert!(matches!(object, StixObject::Unknown(_)));
        prop_assert_eq!(round_trip(&value), value);
    }

    /// A bundle mixing both, through text.
    #[test]
    fn bundles_round_trip_losslessly(
        known in prop::collection::vec(stix_support::arb_valid_object(), 0..6),
        unknown in prop::collection::vec(stix_support::arb_unknown_object(), 0..3),
    ) {
        let mut objects = known;
        objects.extend(unknown);
        let value = json!({
            "type": "bundle",
            "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
            "objects": objects,
            "x_isacx_batch": 7,
        });
        let text = serde_json::to_string(&value).unwrap();
        let bundle = Bundle::from_json(&text).unwrap();
        let back: Value = serde_json::from_str(&serde_json::to_string(&bundle).unwrap()).unwrap();
        if objects_are_empty(&value) {
            prop_assert_eq!(back.get("objects"), None);
        } else {
            prop_assert_eq!(back, value);
        }
    }

    /// Arbitrary JSON never panics the parser or the validator.
    #[test]
    fn arbitrary_json_never_panics(value in stix_support::arb_json()) {
        let _ = isacx_schemas::stix::object_from_json(value.clone());
        let _ = isacx_schemas::stix::bundle_from_json(json!({"type": "bundle", "id": "bundle--x", "objects": [value]}));
    }
}

fn objects_are_empty(value: &Value) -> bool {
    value["objects"].as_array().is_some_and(Vec::is_empty)
}
