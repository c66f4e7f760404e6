//! The committed taxonomy: shape, lookups, cross-checks of overrides, and
//! the statutory-threshold evaluation.

// Helpers of an integration test: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use isacx_schemas::report::{Report, ReportKind};
use isacx_schemas::taxonomy::{Metric, Taxonomy, TaxonomyError, ThreatLevel};

fn builtin() -> Taxonomy {
    Taxonomy::builtin().unwrap()
}

fn fixture(name: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_thirteen_sectors() {
    let t = builtin();
    let ids: Vec<&str> = t.sectors.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "information_communications",
            "finance",
            "aviation",
            "railway",
            "electricity",
            "gas",
            "government",
            "medical",
            "water",
            "logistics",
            "chemical",
            "credit",
            "petroleum"
        ]
    );
    assert!(t.sectors.iter().all(|s| !s.critical_systems.is_empty()));
    assert_eq!(
        t.sector("government").unwrap().ja,
        "政府・行政サービス（地方公共団体を含む）"
    );
}

#[test]
fn lookups() {
    let t = builtin();
    let (sector, system) = t.critical_system("gas_plant_control").unwrap();
    assert_eq!(
        (sector.id.as_str(), system.ja.as_str()),
        ("gas", "プラント制御システム")
    );
    assert_eq!(
        t.critical_system("chemical_plant_control").unwrap().0.id,
        "chemical"
    );

    let path: Vec<&str> = t
        .threat_event_path("denial_of_service_distributed")
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(
        path,
        [
            "denial_of_service_distributed",
            "denial_of_service",
            "external_fraud",
            "attack"
        ]
    );
    assert_eq!(
        t.threat_event("human").unwrap().level,
        ThreatLevel::Category
    );
    let roots: Vec<&str> = t
        .threat_event_children(None)
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(roots, ["attack", "non_attack", "human"]);
    assert_eq!(t.threat_event_children(Some("insider_fraud")).count(), 4);

    let leak = t.outcome("data_leaked").unwrap();
    assert!(leak.confidentiality && !leak.integrity && !leak.availability);
    let stopped = t.outcome("system_stopped").unwrap();
    assert_eq!(stopped.resources.len(), t.resources.len());

    let usb = t.risk_source("removable_media_connectable").unwrap();
    assert_eq!(
        usb.threat_events,
        ["malware", "unauthorized_use", "unauthorized_removal"]
    );
    assert!(!usb.inferred);
    for r in &t.risk_sources {
        for e in &r.threat_events {
            assert_eq!(
                t.threat_event(e).unwrap().level,
                ThreatLevel::Event,
                "{}",
                r.id
            );
        }
    }
    assert!(t.services_of("finance").count() >= 10);
}

/// The numeric thresholds the seed gives (guideline 別紙２), as data.
#[test]
fn numeric_thresholds_are_the_seeds() {
    let t = builtin();
    let numeric: Vec<(&str, Vec<(Metric, f64)>)> = t
        .thresholds
        .iter()
        .filter(|th| !th.is_text_only())
        .map(|th| {
            (
                th.id.as_str(),
                th.all.iter().map(|c| (c.metric, c.at_least)).collect(),
            )
        })
        .collect();
    use Metric::*;
    assert_eq!(
        numeric,
        [
            (
                "telecom_30000_users_2h",
                vec![(UsersAffected, 30000.0), (DurationMinutes, 120.0)]
            ),
            (
                "broadcast_core_equipment_15min",
                vec![(DurationMinutes, 15.0)]
            ),
            (
                "broadcast_specified_terrestrial_15min",
                vec![(DurationMinutes, 15.0)]
            ),
            ("broadcast_relay_station_2h", vec![(DurationMinutes, 120.0)]),
            (
                "cable_tv_30000_users_2h",
                vec![(UsersAffected, 30000.0), (DurationMinutes, 120.0)]
            ),
            (
                "electricity_100000kw_10min",
                vec![(SupplyLossKw, 100000.0), (DurationMinutes, 10.0)]
            ),
            ("gas_30_households", vec![(HouseholdsAffected, 30.0)]),
        ]
    );
    // Every service is covered by a numeric or a text-only level.
    for s in &t.services {
        assert!(
            t.thresholds_for(&s.sector, Some(&s.id)).next().is_some(),
            "service {} has no service-maintenance level",
            s.id
        );
    }
}

fn incident(sector: &str, service: Option<&str>) -> Report {
    let mut r = fixture("ja-telecom-ddos.json");
    r.sector = sector.to_owned();
    r.service = service.map(str::to_owned);
    r.critical_system = None;
    r.service_impact = Default::default();
    r.statutory = None;
    r
}

fn hit_ids(t: &Taxonomy, r: &Report) -> Vec<String> {
    t.evaluate_thresholds(r)
        .into_iter()
        .map(|h| h.threshold)
        .collect()
}

#[test]
fn telecom_threshold() {
    let t = builtin();
    let r = fixture("ja-telecom-ddos.json");
    let hits = t.evaluate_thresholds(&r);
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(hit.threshold, "telecom_30000_users_2h");
    assert!(!hit.service_assumed && !hit.facility_assumed);
    let laws: Vec<&str> = hit.regulations.iter().map(|r| r.ja.as_str()).collect();
    assert_eq!(
        laws,
        [
            "電気通信事業法（業務停止等の報告）第28条",
            "電気通信事業法施行規則（報告を要する重大な事故）第58条"
        ]
    );

    let mut r = incident("information_communications", Some("telecommunications"));
    r.service_impact.users_affected = Some(30_000);
    r.service_impact.duration_minutes = Some(120); // 以上: the bounds are inclusive
    assert_eq!(hit_ids(&t, &r), ["telecom_30000_users_2h"]);
    r.service_impact.users_affected = Some(29_999);
    assert!(hit_ids(&t, &r).is_empty());
    r.service_impact.users_affected = Some(30_000);
    r.service_impact.duration_minutes = Some(119);
    assert!(hit_ids(&t, &r).is_empty());
}

#[test]
fn duration_defaults_to_occurrence_until_recovery() {
    let t = builtin();
    let mut r = incident("information_communications", Some("telecommunications"));
    r.service_impact.users_affected = Some(40_000);
    // The fixture's times: occurred 01:00, recovered 04:00 → 180 minutes.
    assert_eq!(hit_ids(&t, &r), ["telecom_30000_users_2h"]);
    r.times.recovered = None;
    assert!(
        hit_ids(&t, &r).is_empty(),
        "no recovery, no stated duration: not crossed"
    );
}

#[test]
fn electricity_and_gas_thresholds() {
    let t = builtin();
    let mut r = incident("electricity", Some("power_generation"));
    r.service_impact.supply_loss_kw = Some(100_000.0);
    r.service_impact.duration_minutes = Some(10);
    let hits = t.evaluate_thresholds(&r);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].threshold, "electricity_100000kw_10min");
    assert_eq!(
        hits[0].regulations[0].ja,
        "電気関係報告規則（事故報告）第３条"
    );
    r.service_impact.supply_loss_kw = Some(99_999.5);
    assert!(hit_ids(&t, &r).is_empty());

    let mut r = incident("gas", None);
    r.service_impact.households_affected = Some(30);
    assert_eq!(hit_ids(&t, &r), ["gas_30_households"]);
    r.service_impact.households_affected = Some(29);
    assert!(hit_ids(&t, &r).is_empty());
}

#[test]
fn broadcasting_facility_decides_the_level() {
    let t = builtin();
    // The relay-station fixture: 150 minutes of stop (from its times).
    let r = fixture("ja-broadcast-relay-station.json");
    assert_eq!(hit_ids(&t, &r), ["broadcast_relay_station_2h"]);

    let mut r = incident("information_communications", Some("broadcasting"));
    r.service_impact.duration_minutes = Some(20);
    r.service_impact.facility = Some("relay_station_radio_equipment".to_owned());
    assert!(
        hit_ids(&t, &r).is_empty(),
        "relay stations: 2 h, not 15 min"
    );

    r.service_impact.facility = None;
    let hits = t.evaluate_thresholds(&r);
    let ids: Vec<&str> = hits.iter().map(|h| h.threshold.as_str()).collect();
    assert_eq!(
        ids,
        [
            "broadcast_core_equipment_15min",
            "broadcast_specified_terrestrial_15min"
        ]
    );
    assert!(hits.iter().all(|h| h.facility_assumed));
}

#[test]
fn unnamed_service_is_assumed_and_flagged() {
    let t = builtin();
    let mut r = incident("information_communications", None);
    r.service_impact.users_affected = Some(50_000);
    r.service_impact.duration_minutes = Some(240);
    let hits = t.evaluate_thresholds(&r);
    let ids: Vec<&str> = hits.iter().map(|h| h.threshold.as_str()).collect();
    assert!(ids.contains(&"telecom_30000_users_2h") && ids.contains(&"cable_tv_30000_users_2h"));
    assert!(hits.iter().all(|h| h.service_assumed));
}

#[test]
fn only_incidents_are_evaluated_and_text_only_never_hit() {
    let t = builtin();
    let mut r = fixture("ja-telecom-ddos.json");
    r.kind = ReportKind::NearMiss;
    assert!(t.evaluate_thresholds(&r).is_empty());

    let mut r = incident("finance", Some("bank_exchange"));
    r.service_impact.users_affected = Some(1_000_000);
    r.service_impact.duration_minutes = Some(10_000);
    assert!(t.evaluate_thresholds(&r).is_empty());
    let text_only: Vec<&str> = t
        .thresholds_for("finance", Some("bank_exchange"))
        .map(|th| th.id.as_str())
        .collect();
    assert_eq!(text_only, ["bank_exchange_no_outage"]);
}

#[test]
fn apply_threshold_evaluation_sets_statutory() {
    let t = builtin();
    let mut r = fixture("ja-telecom-ddos.json");
    r.statutory = None;
    r.apply_threshold_evaluation(&t);
    let s = r.statutory.clone().unwrap();
    assert!(s.reportable);
    assert_eq!(s.thresholds, ["telecom_30000_users_2h"]);
    r.validate(&t).unwrap();
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn override_directory_replaces_only_the_files_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let builtin_sectors = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/taxonomy/sectors.toml"),
    )
    .unwrap();
    write(
        dir.path(),
        "sectors.toml",
        &format!(
            "{builtin_sectors}\n[[sector]]\nid = \"airports\"\nja = \"空港\"\nen = \"Airports\"\n\n[[sector.critical_system]]\nid = \"airport_baggage\"\nja = \"手荷物処理システム\"\nen = \"Baggage handling\"\n"
        ),
    );
    let t = Taxonomy::load(dir.path()).unwrap();
    assert_eq!(t.sectors.len(), 14);
    assert_eq!(
        t.critical_system("airport_baggage").unwrap().0.id,
        "airports"
    );
    assert_eq!(t.thresholds, builtin().thresholds);
}

fn problems(dir: &Path) -> Vec<String> {
    match Taxonomy::load(dir) {
        Err(TaxonomyError::Invalid { problems }) => problems,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn cross_references_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "risk_sources.toml",
        "[[class]]\nid = \"rules\"\nja = \"ルール\"\nen = \"Rules\"\n\n\
         [[risk_source]]\nid = \"x\"\nclass = \"rules\"\nja = \"施錠未実施\"\nen = \"x\"\nthreat_events = [\"alien_invasion\"]\n\n\
         [[risk_source]]\nid = \"x\"\nclass = \"nope\"\nja = \"施錠未実施\"\nen = \"x\"\nthreat_events = [\"malware\"]\n",
    );
    let p = problems(dir.path());
    assert!(
        p.iter()
            .any(|m| m.contains("unknown threat event \"alien_invasion\"")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|m| m.contains("risk source id \"x\" is used 2 times")),
        "{p:#?}"
    );
    assert!(
        p.iter().any(|m| m.contains("unknown class \"nope\"")),
        "{p:#?}"
    );

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "service_levels.toml",
        "[[regulation]]\nid = \"law\"\nkind = \"law\"\nja = \"法\"\nen = \"Law\"\n\n\
         [[threshold]]\nid = \"t\"\nsector = \"nuclear\"\nregulations = [\"law\", \"missing_law\"]\nja = \"x\"\nen = \"x\"\n\
         all = [{ metric = \"users_affected\", at_least = -1 }]\n",
    );
    let p = problems(dir.path());
    assert!(
        p.iter()
            .any(|m| m.contains("threshold \"t\" has unknown sector \"nuclear\"")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|m| m.contains("unknown regulation \"missing_law\"")),
        "{p:#?}"
    );
    assert!(p.iter().any(|m| m.contains("non-negative")), "{p:#?}");

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "threat_events.toml",
        "[[threat_event]]\nid = \"Bad-Id\"\nlevel = \"event\"\nja = \"x\"\nen = \"x\"\n",
    );
    let p = problems(dir.path());
    assert!(p.iter().any(|m| m.contains("not snake_case")), "{p:#?}");
    assert!(p.iter().any(|m| m.contains("without a parent")), "{p:#?}");
}

#[test]
fn unreadable_or_malformed_files_are_errors_not_panics() {
    assert!(matches!(
        Taxonomy::load(Path::new("/nonexistent/isacx-taxonomy")),
        Err(TaxonomyError::Io { .. })
    ));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "outcomes.toml", "[[outcome]]\nid = 1\n");
    assert!(matches!(
        Taxonomy::load(dir.path()),
        Err(TaxonomyError::Parse { .. })
    ));
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "sectors.toml",
        "[[sector]]\nid = \"a\"\nja = \"a\"\nen = \"a\"\nunknown_key = 1\n",
    );
    assert!(matches!(
        Taxonomy::load(dir.path()),
        Err(TaxonomyError::Parse { .. })
    ));
}
