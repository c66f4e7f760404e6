//! Report → STIX → report is the identity, for the examples and for
//! generated reports; the STIX side has the shape the brief promises.

// Helpers of an integration test: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use isacx_schemas::report::{
    extension_definition, isacx_identity, Attribution, CiaImpact, Contact, Report, ReportKind,
    ReportTimes, ServiceImpact, StatutoryAssessment, StixMappingError, INCIDENT_CORE_EXTENSION_ID,
    ISACX_IDENTITY_ID, REPORT_EXTENSION_ID, REPORT_SCHEMA_URL,
};
use isacx_schemas::stix::{Bundle, Indicator, StixObject};
use isacx_schemas::tlp::Tlp;
use proptest::prelude::*;
use serde_json::Value;

fn fixture(name: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const EXAMPLES: &[&str] = &[
    "ja-telecom-ddos.json",
    "ja-broadcast-relay-station.json",
    "en-electricity-precursor.json",
    "en-finance-ransomware.json",
    "en-gas-near-miss.json",
];

/// Through the wire: objects → bundle JSON text → parsed bundle → report.
fn round_trip(report: &Report) -> Report {
    let bundle = report.to_stix_bundle().unwrap();
    let text = serde_json::to_string(&bundle).unwrap();
    let parsed = Bundle::from_json(&text).unwrap();
    Report::from_stix(&parsed.objects).unwrap()
}

#[test]
fn examples_round_trip() {
    for name in EXAMPLES {
        let report = fixture(name);
        assert_eq!(round_trip(&report), report, "{name}");
    }
}

#[test]
fn incident_shape() {
    let report = fixture("ja-telecom-ddos.json");
    let objects = report.to_stix_objects().unwrap();
    let json: Vec<Value> = objects
        .iter()
        .map(|o| serde_json::to_value(o).unwrap())
        .collect();
    let incident = &json[0];
    assert_eq!(incident["type"], "incident");
    assert_eq!(
        incident["id"],
        "incident--5b084eed-60f7-4940-9a4c-e92d63617d2d"
    );
    assert_eq!(incident["name"], report.title);
    assert_eq!(incident["description"], report.description);
    assert_eq!(incident["created"], "2026-11-20T03:00:00.000Z");
    assert_eq!(incident["modified"], "2026-11-20T06:30:00.000Z");
    assert_eq!(incident["lang"], "ja");
    assert_eq!(incident["object_marking_refs"][0], Tlp::Amber.marking_id());
    let core = &incident["extensions"][INCIDENT_CORE_EXTENSION_ID];
    assert_eq!(core["extension_type"], "property-extension");
    assert_eq!(core["determination"], "successful-attempt");
    assert_eq!(core["investigation_status"], "closed");
    assert_eq!(core["impacted_entity_counts"]["users"], 35000);
    let ours = &incident["extensions"][REPORT_EXTENSION_ID];
    assert_eq!(ours["extension_type"], "property-extension");
    assert_eq!(ours["sector"], "information_communications");
    assert_eq!(ours["statutory"]["thresholds"][0], "telecom_30000_users_2h");
    assert!(
        ours.get("title").is_none() && ours.get("tlp").is_none(),
        "STIX-native fields are not duplicated"
    );

    // Two indicators, two `indicates` relationships to the incident.
    let rels: Vec<&Value> = json
        .iter()
        .filter(|o| o["type"] == "relationship")
        .collect();
    assert_eq!(rels.len(), 2);
    for (rel, ind) in rels.iter().zip(&report.indicators) {
        assert_eq!(rel["relationship_type"], "indicates");
        assert_eq!(rel["source_ref"], ind.id_str());
        assert_eq!(rel["target_ref"], incident["id"]);
        assert_eq!(rel["object_marking_refs"][0], Tlp::Amber.marking_id());
    }
    // Converting again gives the same objects (relationship ids are derived).
    assert_eq!(report.to_stix_objects().unwrap(), objects);

    // Observables are linked with related-to.
    let json: Vec<Value> = fixture("en-electricity-precursor.json")
        .to_stix_objects()
        .unwrap()
        .iter()
        .map(|o| serde_json::to_value(o).unwrap())
        .collect();
    let types: Vec<&str> = json
        .iter()
        .filter(|o| o["type"] == "relationship")
        .map(|o| o["relationship_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["indicates", "related-to"]);
    assert_eq!(
        json[0]["extensions"][INCIDENT_CORE_EXTENSION_ID]["determination"],
        "suspected"
    );
}

#[test]
fn extension_definition_and_identity() {
    let def = serde_json::to_value(extension_definition()).unwrap();
    assert_eq!(def["type"], "extension-definition");
    assert_eq!(def["id"], REPORT_EXTENSION_ID);
    assert_eq!(def["spec_version"], "2.1");
    assert_eq!(def["name"], "isacx incident report");
    assert_eq!(
        def["extension_types"],
        serde_json::json!(["property-extension"])
    );
    assert_eq!(def["schema"], REPORT_SCHEMA_URL);
    assert_eq!(def["created_by_ref"], ISACX_IDENTITY_ID);
    assert!(def["created"].as_str().unwrap().ends_with(".000Z"));
    assert!(def["version"].is_string());
    let identity = serde_json::to_value(isacx_identity()).unwrap();
    assert_eq!(identity["id"], ISACX_IDENTITY_ID);
    assert_eq!(identity["identity_class"], "system");

    let bundle =
        serde_json::to_value(fixture("en-gas-near-miss.json").to_stix_bundle().unwrap()).unwrap();
    let ids: Vec<&str> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&REPORT_EXTENSION_ID) && ids.contains(&ISACX_IDENTITY_ID));
    assert!(ids.contains(&Tlp::Clear.marking_id()));
}

#[test]
fn from_stix_errors() {
    assert_eq!(Report::from_stix(&[]), Err(StixMappingError::NoReport));

    let report = fixture("ja-telecom-ddos.json");
    let mut objects = report.to_stix_objects().unwrap();
    let without_indicator: Vec<StixObject> = objects
        .iter()
        .filter(|o| o.type_name() != "indicator")
        .cloned()
        .collect();
    assert!(matches!(
        Report::from_stix(&without_indicator),
        Err(StixMappingError::MissingIndicator(_))
    ));

    let mut other = fixture("en-gas-near-miss.json");
    other.title = "another".into();
    objects.extend(other.to_stix_objects().unwrap());
    assert!(
        matches!(Report::from_stix(&objects), Err(StixMappingError::SeveralReports(ids)) if ids.len() == 2)
    );

    let mut bare = fixture("en-gas-near-miss.json").to_stix_objects().unwrap();
    if let StixObject::Incident(i) = &mut bare[0] {
        i.common.object_marking_refs.clear();
    }
    assert_eq!(Report::from_stix(&bare), Err(StixMappingError::NoTlp));

    let mut broken = fixture("en-gas-near-miss.json").to_stix_objects().unwrap();
    if let StixObject::Incident(i) = &mut broken[0] {
        if let Some(ext) = i.common.extensions.as_mut() {
            ext.insert(REPORT_EXTENSION_ID.into(), serde_json::json!({"kind": 7}));
        }
    }
    assert!(matches!(
        Report::from_stix(&broken),
        Err(StixMappingError::BadExtension(_))
    ));
}

// ---- generated reports ------------------------------------------------------

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    // 1970–2100, any nanosecond: the mapping must keep every digit.
    (0i64..4_102_444_800, 0u32..1_000_000_000, any::<bool>()).prop_map(
        |(secs, nanos, millis_only)| {
            let nanos = if millis_only {
                nanos / 1_000_000 * 1_000_000
            } else {
                nanos
            };
            Utc.timestamp_opt(secs, nanos).single().unwrap_or_default()
        },
    )
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9 ]{1,20}",
        "\\PC{1,30}",
        Just("障害の報告：\"引用\"\n改行".to_owned())
    ]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn id_list() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("[a-z][a-z0-9_]{0,12}", 0..4)
}

fn indicator() -> impl Strategy<Value = StixObject> {
    (0u8..=255, 0u8..=255, prop::bool::ANY).prop_map(|(a, b, with_name)| {
        let mut ind = Indicator::for_ipv4(&format!("198.51.{a}.{b}"));
        if with_name {
            ind.name = Some(format!("host {a}.{b}"));
        }
        StixObject::from(ind)
    })
}

prop_compose! {
    fn times()(occurred in proptest::option::of(time()), detected in time(),
               contained in proptest::option::of(time()), recovered in proptest::option::of(time()))
               -> ReportTimes {
        ReportTimes { occurred, detected, contained, recovered }
    }
}

prop_compose! {
    fn impact()(users in proptest::option::of(any::<i64>()), minutes in proptest::option::of(any::<i64>()),
                kw in proptest::option::of(-1e12f64..1e12), households in proptest::option::of(any::<i64>()),
                facility in proptest::option::of("[a-z_]{1,20}")) -> ServiceImpact {
        ServiceImpact { users_affected: users, duration_minutes: minutes, supply_loss_kw: kw,
                        households_affected: households, facility }
    }
}

prop_compose! {
    fn contact()(name in opt_text(), organization in opt_text(), email in opt_text(), phone in opt_text()) -> Contact {
        Contact { name, organization, email, phone }
    }
}

#[derive(Debug, Clone)]
struct Head {
    id: uuid::Uuid,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
    kind: ReportKind,
    lang: String,
    title: String,
    description: String,
    sector: String,
    service: Option<String>,
    affected_service: Option<String>,
}

#[derive(Debug, Clone)]
struct Classification {
    critical_system: Option<String>,
    outcome: Option<String>,
    cia_impact: CiaImpact,
    threat_event: Option<String>,
    risk_sources: Vec<String>,
}

#[derive(Debug, Clone)]
struct Tail {
    times: ReportTimes,
    service_impact: ServiceImpact,
    statutory: Option<StatutoryAssessment>,
    indicators: Vec<StixObject>,
    tlp: Tlp,
    attribution: Attribution,
    follow_up_contact: Option<Contact>,
}

prop_compose! {
    fn head()(
        uuid in any::<u128>(), created in time(), modified in time(),
        kind in prop_oneof![Just(ReportKind::Incident), Just(ReportKind::Precursor), Just(ReportKind::NearMiss)],
        lang in prop_oneof![Just("ja".to_owned()), Just("en".to_owned()), "[a-z]{2}-[A-Z]{2}"],
        title in text(), description in text(),
        sector in "[a-z_]{1,20}", service in proptest::option::of("[a-z_]{1,20}"),
        affected_service in opt_text(),
    ) -> Head {
        Head {
            id: uuid::Builder::from_random_bytes(uuid.to_le_bytes()).into_uuid(),
            created, modified, kind, lang, title, description, sector, service, affected_service,
        }
    }
}

prop_compose! {
    fn classification()(
        critical_system in proptest::option::of("[a-z_]{1,20}"),
        outcome in proptest::option::of("[a-z_]{1,20}"),
        cia in (any::<bool>(), any::<bool>(), any::<bool>()),
        threat_event in proptest::option::of("[a-z_]{1,20}"), risk_sources in id_list(),
    ) -> Classification {
        Classification {
            critical_system, outcome,
            cia_impact: CiaImpact { confidentiality: cia.0, integrity: cia.1, availability: cia.2 },
            threat_event, risk_sources,
        }
    }
}

prop_compose! {
    fn tail()(
        times in times(), service_impact in impact(),
        statutory in proptest::option::of((any::<bool>(), id_list())),
        indicators in proptest::collection::vec(indicator(), 0..4),
        tlp in prop::sample::select(Tlp::ALL.to_vec()),
        attribution in prop_oneof![Just(Attribution::Anonymous), Just(Attribution::SectorOnly), Just(Attribution::Named)],
        follow_up_contact in proptest::option::of(contact()),
    ) -> Tail {
        Tail {
            times, service_impact,
            statutory: statutory.map(|(reportable, thresholds)| StatutoryAssessment { reportable, thresholds }),
            indicators, tlp, attribution, follow_up_contact,
        }
    }
}

fn report() -> BoxedStrategy<Report> {
    (head().boxed(), classification().boxed(), tail().boxed())
        .prop_map(|(h, c, t)| Report {
            id: h.id,
            created: h.created,
            modified: h.modified,
            kind: h.kind,
            lang: h.lang,
            title: h.title,
            description: h.description,
            sector: h.sector,
            service: h.service,
            affected_service: h.affected_service,
            critical_system: c.critical_system,
            outcome: c.outcome,
            cia_impact: c.cia_impact,
            threat_event: c.threat_event,
            risk_sources: c.risk_sources,
            times: t.times,
            service_impact: t.service_impact,
            statutory: t.statutory,
            indicators: t.indicators,
            tlp: t.tlp,
            attribution: t.attribution,
            follow_up_contact: t.follow_up_contact,
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn report_stix_report_is_identity(r in report()) {
        prop_assert_eq!(round_trip(&r), r.clone());
        // And the report's own JSON form is lossless too.
        let back: Report = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        prop_assert_eq!(back, r);
    }

    #[test]
    fn validate_and_evaluate_never_panic(r in report()) {
        let t = isacx_schemas::taxonomy::Taxonomy::builtin().unwrap();
        let _ = r.validate(&t);
        let _ = t.evaluate_thresholds(&r);
    }
}

#[test]
fn bundles_pass_the_stix_module_validation() {
    for name in EXAMPLES {
        let bundle = fixture(name).to_stix_bundle().unwrap();
        let errors = bundle.validate();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}
