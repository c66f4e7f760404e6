//! Hand-written fixtures: every valid one parses, validates and round-trips;
//! every broken one is rejected with an error naming the expected field.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod stix_support;

use isacx_schemas::stix::{bundle_from_json, object_from_json, Bundle, StixObject};
use serde_json::{json, Value};
use stix_support::{fixtures_dir, valid_fixture, valid_fixtures};

#[test]
fn valid_fixtures_cover_every_type_validate_and_round_trip() {
    let mut seen = std::collections::BTreeSet::new();
    for (name, value) in valid_fixtures() {
        let object =
            object_from_json(value.clone()).unwrap_or_else(|errors| panic!("{name}: {errors:#?}"));
        assert_eq!(serde_json::to_value(&object).unwrap(), value, "{name}");
        seen.insert(object.type_name().to_owned());
    }
    for known in StixObject::KNOWN_TYPES {
        assert!(seen.contains(*known), "no valid fixture of type {known}");
    }
    assert!(
        seen.iter().any(|t| StixObject::kind_of_type(t).is_none()),
        "no unknown-type fixture"
    );
}

#[derive(serde::Deserialize)]
struct BrokenCase {
    description: String,
    base: String,
    expect_path: String,
    #[serde(default)]
    set: serde_json::Map<String, Value>,
    #[serde(default)]
    remove: Vec<String>,
}

#[test]
fn broken_fixtures_are_rejected_naming_the_field() {
    let text = std::fs::read_to_string(fixtures_dir().join("invalid/cases.json")).unwrap();
    let cases: Vec<BrokenCase> = serde_json::from_str(&text).unwrap();
    assert!(cases.len() >= 50);
    let mut failures = Vec::new();
    for case in cases {
        let mut value = valid_fixture(&case.base);
        let map = value.as_object_mut().unwrap();
        for key in &case.remove {
            assert!(
                map.remove(key).is_some(),
                "{}: nothing to remove",
                case.description
            );
        }
        map.extend(case.set.clone());
        match object_from_json(value) {
            Ok(_) => failures.push(format!("{}: accepted", case.description)),
            Err(errors) if !errors.iter().any(|e| e.path == case.expect_path) => {
                failures.push(format!(
                    "{}: expected an error at {:?}, got {errors:?}",
                    case.description, case.expect_path
                ))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn pattern_errors_carry_the_position() {
    let mut value = valid_fixture("indicator");
    value["pattern"] = json!("[ipv4-addr:value = '198.51.100.3' AND]");
    let errors = object_from_json(value).unwrap_err();
    assert_eq!(errors[0].path, "pattern");
    assert!(
        errors[0].message.contains("column 38 (byte 37)"),
        "{}",
        errors[0].message
    );
}

#[test]
fn bundle_errors_are_prefixed_with_the_object_index() {
    let mut broken = valid_fixture("indicator");
    broken["valid_until"] = json!("2000-01-01T00:00:00.000Z");
    let bundle = json!({
        "type": "bundle",
        "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": [valid_fixture("identity"), broken, {"type": "url"}]
    });
    let errors = bundle_from_json(bundle).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert!(paths.contains(&"objects[1].valid_until"), "{paths:?}");
    assert!(paths.contains(&"objects[2].id"), "{paths:?}");
    assert!(paths.contains(&"objects[2].value"), "{paths:?}");
}

#[test]
fn valid_bundle_of_all_fixtures_round_trips() {
    let objects: Vec<Value> = valid_fixtures().into_iter().map(|(_, v)| v).collect();
    let value = json!({
        "type": "bundle",
        "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": objects,
    });
    let bundle: Bundle = bundle_from_json(value.clone()).unwrap();
    assert!(bundle.validate().is_empty());
    assert_eq!(serde_json::to_value(&bundle).unwrap(), value);
}

#[test]
fn constructed_objects_validate() {
    use isacx_schemas::stix::*;
    use isacx_schemas::tlp::Tlp;
    let mut objects: Vec<StixObject> = vec![
        Indicator::for_ipv4("198.51.100.3").into(),
        Indicator::for_ipv6("2001:db8::1").into(),
        Indicator::for_domain("c2.example.com").into(),
        Indicator::for_url("https://c2.example.com/it's").into(),
        Indicator::for_email("attacker@example.com").into(),
        Indicator::for_file_hash("SHA-256", &"ab".repeat(32)).into(),
        Incident::new("Outage").into(),
        Identity::new("Example ISAC", "organization").into(),
        Ipv4Addr::new("198.51.100.3").into(),
        Ipv6Addr::new("2001:db8::1").into(),
        DomainName::new("example.com").into(),
        Url::new("https://example.com/").into(),
        EmailAddr::new("jdoe@example.com").into(),
        MacAddr::new("d2:fb:49:24:37:18").into(),
        File::with_hash("MD5", "cead3f77f6cda6ec00f57d76c9a6879f").into(),
        AutonomousSystem::new(64496).into(),
    ];
    let ip = Ipv4Addr::new("198.51.100.3");
    objects.push(NetworkTraffic::new(Some(ip.common.id.clone()), None, vec!["tcp".into()]).into());
    let indicator_id = objects[0].id();
    let incident_id = objects[6].id();
    objects.push(Relationship::new("indicates", indicator_id.clone(), incident_id.clone()).into());
    objects.push(Sighting::new(indicator_id.clone()).into());
    objects.push(Report::new("Summary", vec![indicator_id, incident_id]).into());
    objects.extend(Tlp::ALL.map(|level| StixObject::from(level.marking_definition())));
    for object in &objects {
        assert_eq!(
            object.validate(),
            vec![],
            "{}",
            serde_json::to_string(object).unwrap()
        );
    }
    assert_eq!(
        Ipv4Addr::new("198.51.100.3").common.id.as_str(),
        "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"
    );
}
