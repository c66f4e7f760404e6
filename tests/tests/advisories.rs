//! Advisories end to end on both backends: an urgent advisory is published
//! into the shared store and read over TAXII by members in scope only;
//! matching picks the members and register entries each criterion names
//! (sector, product, threat event, risk source) and leaves out members the
//! policy denies; the board shows who has acted; a member never sees
//! another's task; amend and withdraw are new STIX versions; the sweep
//! reminds and escalates at shortened timings; bad input gets problem
//! details; CSV imports are all or nothing.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use isacx_schemas::advisory::{self as adv, EscalationStep, MatchReason, TaskState};
use isacx_schemas::api::{self, Role};
use isacx_schemas::error::ProblemDetails;
use isacx_schemas::taxii::TAXII_MEDIA_TYPE;
use isacx_tests::{backends, TestApp, USER_PASSWORD};
use serde_json::{json, Value};

struct Member {
    token: String,
    org: api::Organisation,
}

async fn member(app: &TestApp, admin: &str, name: &str, sector: &str) -> Member {
    let org = app
        .create_organisation(
            admin,
            json!({ "name": { "ja": format!("{name}株式会社"), "en": format!("{name} Ltd") }, "sectors": [sector] }),
        )
        .await
        .unwrap();
    app.create_user(admin, name, Role::Operator, Some(org.id)).await.unwrap();
    Member {
        token: app.login(name, USER_PASSWORD).await.unwrap(),
        org,
    }
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let r = app.client.post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn entry(app: &TestApp, m: &Member, body: Value) -> adv::RegisterEntry {
    let (status, body) = post(app, &m.token, "/api/v1/register", body).await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_value(body).unwrap()
}

fn register_row(resource: &str, threat_event: &str, risk_source: Option<&str>) -> Value {
    json!({ "resource": resource, "outcome": "業務停止", "threat_event": threat_event, "risk_source": risk_source, "impact": 4, "likelihood": 3, "residual_impact": 3, "residual_likelihood": 2, "owner": "情報システム部" })
}

fn urgent_draft() -> Value {
    json!({
        "title": { "en": "FortiOS SSL-VPN flaw exploited against power utilities", "ja": "電力事業者を狙う FortiOS SSL-VPN の脆弱性悪用" },
        "summary": { "en": "Targeted attacks exploit an unpatched VPN flaw.", "ja": "未対策の VPN 脆弱性を悪用した標的型攻撃が発生。" },
        "urgency": "urgent",
        "tlp": "amber",
        "scope_sectors": ["electricity", "gas"],
        "affected_sectors": ["electricity"],
        "threat_events": ["targeted_attack"],
        "risk_sources": ["patches_not_applied"],
        "products": ["fortinet:fortios:7.2.*"],
        "recommended_actions": [{ "en": "Apply the vendor patch.", "ja": "ベンダーの修正を適用する。" }],
    })
}

async fn taxii_reports(app: &TestApp, user: &str) -> Vec<Value> {
    let r = app
        .client
        .get(app.url("/taxii2/api/collections/all-sectors/objects/?match[type]=report&match[version]=all"))
        .basic_auth(user, Some(USER_PASSWORD))
        .header("accept", TAXII_MEDIA_TYPE)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let envelope: Value = r.json().await.unwrap();
    envelope["objects"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn urgent_advisory_publication_matching_and_tasks() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        app.create_user(&admin, "analyst", Role::Analyst, None).await.unwrap();
        let analyst = app.login("analyst", USER_PASSWORD).await.unwrap();
        // Sector only; sector + product + threat event; product only; risk source only; out of scope.
        let sector_only = member(&app, &admin, "kita-denryoku", "electricity").await;
        let elec = member(&app, &admin, "toto-denryoku", "electricity").await;
        let product_only = member(&app, &admin, "tokyo-gas", "gas").await;
        let source_only = member(&app, &admin, "osaka-gas", "gas").await;
        let bank = member(&app, &admin, "chuo-bank", "finance").await;
        // A ministry's liaison organisation lists the sector too, but has no operators.
        let ministry = app
            .create_organisation(&admin, json!({ "name": { "ja": "経済産業省", "en": "METI" }, "sectors": ["electricity"] }))
            .await
            .unwrap();
        app.create_user(&admin, "meti-liaison", Role::Liaison, Some(ministry.id)).await.unwrap();

        let (s, _) = post(
            &app,
            &elec.token,
            "/api/v1/profile/technologies",
            json!({ "product": "cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*", "note": "本社 VPN" }),
        )
        .await;
        assert_eq!(s, 201);
        let (s, _) = post(
            &app,
            &elec.token,
            "/api/v1/profile/technologies",
            json!({ "product": "CPE:2.3:o:Fortinet:FortiOS:7.2.4:*:*:*:*:*:*:*" }),
        )
        .await;
        assert_eq!(s, 409, "the same technology twice");
        let (s, p) = post(&app, &elec.token, "/api/v1/profile/technologies", json!({ "product": "fortios" })).await;
        assert_eq!((s, p["errors"][0]["field"].as_str()), (422, Some("product")), "{p}");
        for m in [&product_only, &bank] {
            let (s, _) = post(&app, &m.token, "/api/v1/profile/technologies", json!({ "product": "Fortinet:FortiOS:7.2.7" })).await;
            assert_eq!(s, 201);
        }
        let (s, _) = post(
            &app,
            &sector_only.token,
            "/api/v1/profile/technologies",
            json!({ "product": "fortinet:fortios:7.4.1" }),
        )
        .await;
        assert_eq!(s, 201);
        let supply_chain = entry(&app, &elec, register_row("制御系 VPN", "targeted_attack_supply_chain", None)).await;
        let unrelated = entry(&app, &elec, register_row("会計システム", "malware", Some("inadequate_data_backup"))).await;
        let patched = entry(&app, &source_only, register_row("ガス導管監視", "malware", Some("patches_not_applied"))).await;
        let bank_entry = entry(&app, &bank, register_row("勘定系", "targeted_attack", Some("patches_not_applied"))).await;
        assert_eq!(
            (
                supply_chain.inherent_risk,
                supply_chain.residual_risk,
                supply_chain.criterion,
                supply_chain.exceeds_criterion
            ),
            (12, 6, 5, true)
        );

        // Only analysts write advisories; bad drafts are named field by field.
        let (s, _) = post(&app, &elec.token, "/api/v1/advisories", urgent_draft()).await;
        assert_eq!(s, 403);
        let mut bad = urgent_draft();
        bad["title"]["ja"] = json!(" ");
        bad["threat_events"] = json!(["targeted_attack", "alien_invasion"]);
        bad["risk_sources"] = json!(["bad_luck"]);
        bad["products"] = json!(["fortinet:fortios", "cpe:2.3:a:x"]);
        bad["affected_sectors"] = json!(["space"]);
        bad["tlp"] = json!("purple");
        let (s, p) = post(&app, &analyst, "/api/v1/advisories", bad).await;
        assert_eq!(s, 422);
        let problem: ProblemDetails = serde_json::from_value(p).unwrap();
        let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["title.ja", "threat_events[1]", "risk_sources[0]", "products[1]", "affected_sectors[0]", "tlp"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        assert!(!fields.contains(&"products[0]") && !fields.contains(&"threat_events[0]"), "{fields:?}");
        let r = app
            .client
            .post(app.url("/api/v1/advisories"))
            .bearer_auth(&analyst)
            .header("content-type", "application/json")
            .body("{\"title\":")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["content-type"], "application/problem+json");

        // A draft is the analysts' alone.
        let (s, draft) = post(&app, &analyst, "/api/v1/advisories", urgent_draft()).await;
        assert_eq!(s, 201, "{draft}");
        let draft: adv::Advisory = serde_json::from_value(draft).unwrap();
        assert_eq!((draft.state, draft.version, draft.reassessment_requested), (adv::AdvisoryState::Draft, 0, true));
        let (s, _) = get(&app, &elec.token, &format!("/api/v1/advisories/{}", draft.id)).await;
        assert_eq!(s, 404);
        assert!(taxii_reports(&app, "toto-denryoku").await.is_empty());

        // Publish: the STIX report in the shared store, for readers in scope only.
        let (s, published) = post(&app, &analyst, &format!("/api/v1/advisories/{}/publish", draft.id), json!({})).await;
        assert_eq!(s, 200, "{published}");
        let (s, _) = post(&app, &analyst, &format!("/api/v1/advisories/{}/publish", draft.id), json!({})).await;
        assert_eq!(s, 409, "published once");
        let seen = taxii_reports(&app, "toto-denryoku").await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        let report = &seen[0];
        assert_eq!(report["id"], draft.stix_id);
        assert_eq!(report["object_marking_refs"][0], "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421");
        let ext = &report["extensions"][adv::ADVISORY_EXTENSION_ID];
        assert_eq!(ext["urgency"], "urgent");
        assert_eq!(ext["title"]["ja"], "電力事業者を狙う FortiOS SSL-VPN の脆弱性悪用");
        assert!(ext["reassessment_deadline"].is_string());
        assert_eq!(taxii_reports(&app, "tokyo-gas").await.len(), 1, "gas is in scope");
        assert!(taxii_reports(&app, "chuo-bank").await.is_empty(), "finance is out of scope");
        let (s, _) = get(&app, &bank.token, &format!("/api/v1/advisories/{}", draft.id)).await;
        assert_eq!(s, 404);
        let (_, listed) = get(&app, &bank.token, "/api/v1/advisories").await;
        assert_eq!(listed, json!([]));

        // Matching: each criterion, and no member the policy denies.
        let (s, matches) = get(&app, &analyst, &format!("/api/v1/advisories/{}/matches", draft.id)).await;
        assert_eq!(s, 200);
        let matches: Vec<adv::MemberMatch> = serde_json::from_value(matches).unwrap();
        let of = |m: &Member| matches.iter().find(|x| x.organisation_id == m.org.id).cloned();
        assert!(of(&bank).is_none(), "the bank's technology and entry match, but it may not read the advisory");
        assert!(
            !matches.iter().any(|x| x.organisation_id == ministry.id),
            "a liaison organisation in an affected sector is not a member to reassess"
        );
        let s_only = of(&sector_only).expect("sector in scope");
        assert_eq!(s_only.reasons, vec![MatchReason::Sector { sector: "electricity".into() }], "7.4.1 is not 7.2.*");
        assert!(s_only.entries.is_empty());
        let e = of(&elec).unwrap();
        assert!(e.reasons.contains(&MatchReason::Sector { sector: "electricity".into() }));
        assert!(e.reasons.iter().any(|r| matches!(r, MatchReason::Product { .. })), "{:?}", e.reasons);
        assert_eq!(e.entries.len(), 1, "{:?}", e.entries);
        assert_eq!(e.entries[0].entry_id, supply_chain.id);
        assert_eq!(
            e.entries[0].reasons,
            vec![MatchReason::ThreatEvent {
                advisory_threat_event: "targeted_attack".into(),
                entry_threat_event: "targeted_attack_supply_chain".into()
            }]
        );
        assert!(!e.entries.iter().any(|x| x.entry_id == unrelated.id));
        let p = of(&product_only).unwrap();
        assert_eq!(
            p.reasons,
            vec![MatchReason::Product {
                advisory_product: "fortinet:fortios:7.2.*".into(),
                technology: "Fortinet:FortiOS:7.2.7".into()
            }]
        );
        let r = of(&source_only).unwrap();
        assert_eq!(r.entries.len(), 1);
        assert_eq!(
            (r.entries[0].entry_id, r.entries[0].reasons.clone()),
            (
                patched.id,
                vec![MatchReason::RiskSource {
                    risk_source: "patches_not_applied".into()
                }]
            )
        );
        assert_eq!(matches.len(), 4);
        let _ = bank_entry;

        // Tasks: one per concerned member; the board shows who acted.
        let (_, board) = get(&app, &analyst, &format!("/api/v1/advisories/{}/board", draft.id)).await;
        let board: adv::Board = serde_json::from_value(board).unwrap();
        assert_eq!(
            (board.requested, board.acknowledged, board.reassessed, board.overdue, board.rows.len()),
            (4, 0, 0, 0, 4)
        );
        let (s, mine) = get(&app, &elec.token, &format!("/api/v1/reassessments?advisory={}", draft.id)).await;
        assert_eq!(s, 200);
        let mine: Vec<adv::ReassessmentTask> = serde_json::from_value(mine).unwrap();
        assert_eq!(mine.len(), 1);
        let task = &mine[0];
        assert_eq!((task.state, task.entries.len()), (TaskState::Requested, 1));
        assert_eq!(task.entries[0].entry.as_ref().unwrap().resource, "制御系 VPN");
        // Private to the member and the analysts.
        let (s, _) = get(&app, &source_only.token, &format!("/api/v1/reassessments/{}", task.id)).await;
        assert_eq!(s, 404);
        let (s, _) = post(&app, &source_only.token, &format!("/api/v1/reassessments/{}/ack", task.id), json!({})).await;
        assert_eq!(s, 404);
        let (_, theirs) = get(&app, &source_only.token, "/api/v1/reassessments").await;
        assert_eq!(theirs.as_array().unwrap().len(), 1);
        assert_ne!(theirs[0]["id"], json!(task.id));
        let (s, _) = get(&app, &bank.token, &format!("/api/v1/reassessments/{}", task.id)).await;
        assert_eq!(s, 404);
        let (s, _) = get(&app, &analyst, &format!("/api/v1/reassessments/{}", task.id)).await;
        assert_eq!(s, 200);

        // Ack, then reassess: bad answers are named, good ones update the register with history.
        let (s, acked) = post(&app, &elec.token, &format!("/api/v1/reassessments/{}/ack", task.id), json!({})).await;
        assert_eq!((s, acked["state"].as_str()), (200, Some("acknowledged")));
        let (s, p) = post(
            &app,
            &elec.token,
            &format!("/api/v1/reassessments/{}/reassess", task.id),
            json!({ "entries": [
            { "entry_id": unrelated.id, "impact": 9, "likelihood": 2, "decision": "reduce" }
        ] }),
        )
        .await;
        assert_eq!(s, 422);
        let fields: Vec<String> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            fields.contains(&"entries[0].entry_id".to_owned()) && fields.contains(&"entries[0].impact".to_owned()) && fields.contains(&"entries".to_owned()),
            "{fields:?}"
        );
        let (s, p) = post(
            &app,
            &elec.token,
            &format!("/api/v1/reassessments/{}/reassess", task.id),
            json!({ "entries": [
            { "entry_id": supply_chain.id, "impact": 4, "likelihood": 1, "decision": "maybe" }
        ] }),
        )
        .await;
        assert_eq!(s, 400, "{p}");
        let (s, done) = post(
            &app,
            &elec.token,
            &format!("/api/v1/reassessments/{}/reassess", task.id),
            json!({ "entries": [
            { "entry_id": supply_chain.id, "impact": 4, "likelihood": 1, "decision": "reduce", "note": "VPN を更新" }
        ] }),
        )
        .await;
        assert_eq!(s, 200, "{done}");
        assert_eq!(done["state"], "reassessed");
        let (_, updated) = get(&app, &elec.token, &format!("/api/v1/register/{}", supply_chain.id)).await;
        assert_eq!(
            (
                updated["residual_impact"].as_u64(),
                updated["residual_likelihood"].as_u64(),
                updated["residual_risk"].as_u64()
            ),
            (Some(4), Some(1), Some(4))
        );
        assert_eq!(updated["impact"], 4, "the inherent values stay");
        let (_, history) = get(&app, &elec.token, &format!("/api/v1/register/{}/history", supply_chain.id)).await;
        let history: Vec<adv::RegisterHistory> = serde_json::from_value(history).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!((history[0].residual_risk, history[1].residual_risk), (6, 4));
        assert_eq!(history[1].cause, format!("reassessment:{}", task.id));
        assert_eq!(history[1].decision, Some(adv::Decision::Reduce));
        let (s, _) = post(
            &app,
            &elec.token,
            &format!("/api/v1/reassessments/{}/reassess", task.id),
            json!({ "note": "again" }),
        )
        .await;
        assert_eq!(s, 409);
        let (_, board) = get(&app, &analyst, &format!("/api/v1/advisories/{}/board", draft.id)).await;
        let board: adv::Board = serde_json::from_value(board).unwrap();
        assert_eq!((board.requested, board.reassessed), (3, 1));
        assert_eq!(
            board.rows.iter().find(|r| r.organisation_id == elec.org.id).unwrap().state,
            TaskState::Reassessed
        );

        // Amend: a new STIX version; widening the scope to finance concerns the bank too.
        let mut amended = urgent_draft();
        amended["scope_sectors"] = json!(["electricity", "gas", "finance"]);
        amended["summary"]["en"] = json!("Targeted attacks exploit an unpatched VPN flaw; finance too.");
        let (s, a) = post(&app, &analyst, &format!("/api/v1/advisories/{}/amend", draft.id), amended.clone()).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["version"], 2);
        let mut lower = amended.clone();
        lower["tlp"] = json!("green");
        let (s, p) = post(&app, &analyst, &format!("/api/v1/advisories/{}/amend", draft.id), lower).await;
        assert_eq!((s, p["errors"][0]["field"].as_str()), (422, Some("tlp")));
        let versions = taxii_reports(&app, "chuo-bank").await;
        assert_eq!(
            versions.len(),
            1,
            "the bank reads the new version, not the first (each version keeps its own scope)"
        );
        assert_eq!(versions[0]["description"], "Targeted attacks exploit an unpatched VPN flaw; finance too.");
        assert_eq!(taxii_reports(&app, "toto-denryoku").await.len(), 2);
        let (_, board) = get(&app, &analyst, &format!("/api/v1/advisories/{}/board", draft.id)).await;
        assert_eq!(board["rows"].as_array().unwrap().len(), 5, "{board}");

        // Withdraw: a revoked version; open tasks are cancelled.
        let (s, p) = post(&app, &analyst, &format!("/api/v1/advisories/{}/withdraw", draft.id), json!({ "reason": "" })).await;
        assert_eq!((s, p["errors"][0]["field"].as_str()), (422, Some("reason")));
        let (s, w) = post(
            &app,
            &analyst,
            &format!("/api/v1/advisories/{}/withdraw", draft.id),
            json!({ "reason": "誤報 / false alarm" }),
        )
        .await;
        assert_eq!((s, w["state"].as_str()), (200, Some("withdrawn")));
        let versions = taxii_reports(&app, "toto-denryoku").await;
        assert_eq!(versions.len(), 3);
        assert!(!versions.iter().take(2).any(|v| v["revoked"] == true));
        assert!(versions.iter().any(|v| v["revoked"] == true));
        let (_, board) = get(&app, &analyst, &format!("/api/v1/advisories/{}/board", draft.id)).await;
        let board: adv::Board = serde_json::from_value(board).unwrap();
        assert_eq!((board.requested, board.reassessed), (0, 1));
        assert_eq!(board.rows.iter().filter(|r| r.state == TaskState::Cancelled).count(), 4);

        // Every change is in the audit chain.
        let audit: Vec<String> = {
            use diesel::prelude::*;
            use isacx_server::db::schema::audit_log;
            let mut conn = app.db.get().unwrap();
            audit_log::table.select(audit_log::action).load(&mut *conn).unwrap()
        };
        for action in [
            "advisory.create",
            "advisory.publish",
            "advisory.amend",
            "advisory.withdraw",
            "reassessment.acknowledge",
            "reassessment.complete",
            "register.create",
            "technology.add",
        ] {
            assert!(audit.iter().any(|a| a == action), "{action} not audited");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn advisory_from_reports_keeps_their_tlp_and_fills_the_taxonomy() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        app.create_user(&admin, "analyst", Role::Analyst, None).await.unwrap();
        let analyst = app.login("analyst", USER_PASSWORD).await.unwrap();
        let telecom = member(&app, &admin, "toto-tsushin", "information_communications").await;
        let mut report: Value = serde_json::from_str(include_str!("../../schemas/tests/fixtures/reports/ja-telecom-ddos.json")).unwrap();
        report["id"] = json!(uuid::Uuid::new_v4());
        let (s, receipt) = post(&app, &telecom.token, "/api/v1/reports", report.clone()).await;
        assert_eq!(s, 201, "{receipt}");
        let id = receipt["id"].as_str().unwrap().to_owned();
        let mut draft =
            json!({ "title": { "en": "DDoS wave", "ja": "DDoS 攻撃の波" }, "summary": { "en": "s", "ja": "概要" }, "urgency": "warning", "reports": [id] });
        let (s, p) = post(&app, &analyst, "/api/v1/advisories", draft.clone()).await;
        assert_eq!((s, p["errors"][0]["field"].as_str()), (422, Some("reports[0]")), "not published yet: {p}");
        let (s, p) = post(&app, &analyst, &format!("/api/v1/review/{id}/publish"), json!({ "tlp": "amber" })).await;
        assert_eq!(s, 200, "{p}");
        draft["tlp"] = json!("green");
        let (s, p) = post(&app, &analyst, "/api/v1/advisories", draft.clone()).await;
        assert_eq!((s, p["errors"][0]["field"].as_str()), (422, Some("tlp")), "never below the report's AMBER: {p}");
        draft.as_object_mut().unwrap().remove("tlp");
        let (s, created) = post(&app, &analyst, "/api/v1/advisories", draft).await;
        assert_eq!(s, 201, "{created}");
        let created: adv::Advisory = serde_json::from_value(created).unwrap();
        assert_eq!(created.tlp, "amber");
        assert_eq!(created.content.threat_events, vec![report["threat_event"].as_str().unwrap().to_owned()]);
        let (s, _) = post(&app, &analyst, &format!("/api/v1/advisories/{}/publish", created.id), json!({})).await;
        assert_eq!(s, 200);
        let objects = taxii_reports(&app, "analyst").await;
        let advisory = objects.iter().find(|o| o["id"] == created.stix_id).unwrap();
        assert!(
            advisory["object_refs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r.as_str().unwrap().starts_with("incident--")),
            "{advisory}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn register_csv_import_is_all_or_nothing_and_round_trips() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let m = member(&app, &admin, "toto-denryoku", "electricity").await;
        let import = |body: &'static str, content_type: &'static str| {
            app.client
                .post(app.url("/api/v1/register/import"))
                .bearer_auth(&m.token)
                .header("content-type", content_type)
                .body(body)
                .send()
        };
        let bad = "resource,outcome,threat_event,risk_source,impact,likelihood,criterion\n\
                   契約DB,契約情報の流出,insider_fraud,,3,2,\n\
                   制御系,停止,targeted_attack,moon_phase,6,x,5\n";
        let r = import(bad, "text/csv").await.unwrap();
        assert_eq!(r.status(), 422);
        let problem: ProblemDetails = r.json().await.unwrap();
        let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields.len(), 3, "{fields:?}");
        for f in ["line 3, column risk_source", "line 3, column impact", "line 3, column likelihood"] {
            assert!(fields.contains(&f), "{f}: {fields:?}");
        }
        let (_, listed) = get(&app, &m.token, "/api/v1/register").await;
        assert_eq!(listed, json!([]), "nothing of a bad file is stored");
        assert_eq!(import("resource\n", "application/json").await.unwrap().status(), 415);

        let good = "resource,outcome,threat_event,risk_source,impact,likelihood,residual_impact,residual_likelihood,owner\n\
                    契約DB,契約情報の流出,insider_fraud,open_access,3,3,2,2,総務部\n\
                    制御系,停止,targeted_attack,patches_not_applied,4,4,3,3,制御部\n";
        let r = import(good, "text/csv").await.unwrap();
        assert_eq!(r.status(), 200);
        let summary: adv::ImportSummary = r.json().await.unwrap();
        assert_eq!((summary.created, summary.updated), (2, 0));
        let r = app.client.get(app.url("/api/v1/register/export")).bearer_auth(&m.token).send().await.unwrap();
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let exported = r.text().await.unwrap();
        let lines: Vec<&str> = exported.lines().collect();
        assert_eq!(lines[0], "id,resource,outcome,threat_event,risk_source,impact,likelihood,residual_impact,residual_likelihood,inherent_risk,residual_risk,criterion,owner,measures,technology");
        assert!(
            lines[1].contains(",契約DB,契約情報の流出,insider_fraud,open_access,3,3,2,2,9,4,5,総務部,,"),
            "{exported}"
        );
        // Export, edit one value, import: an update, not a new entry; an unknown id is refused whole.
        let edited = exported.replacen(",3,3,2,2,9,4,5,総務部", ",3,3,1,2,9,2,5,総務部", 1);
        let r = app
            .client
            .post(app.url("/api/v1/register/import"))
            .bearer_auth(&m.token)
            .header("content-type", "text/csv")
            .body(edited.clone())
            .send()
            .await
            .unwrap();
        let summary: adv::ImportSummary = r.json().await.unwrap();
        assert_eq!((summary.created, summary.updated), (0, 2));
        let (_, listed) = get(&app, &m.token, "/api/v1/register").await;
        assert_eq!(listed.as_array().unwrap().len(), 2);
        assert_eq!(listed[0]["residual_risk"], 2);
        let stranger = format!("{edited}{},x,y,malware,,1,1,,,,,,,,\n", uuid::Uuid::new_v4());
        let r = app
            .client
            .post(app.url("/api/v1/register/import"))
            .bearer_auth(&m.token)
            .header("content-type", "text/csv")
            .body(stranger)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let problem: ProblemDetails = r.json().await.unwrap();
        assert_eq!(problem.errors[0].field, "line 4, column id");
        let (_, after) = get(&app, &m.token, "/api/v1/register").await;
        assert_eq!(after, listed, "the refused import changed nothing");
        app.stop().await;
    }
}

#[tokio::test]
async fn sweep_reminds_then_escalates_at_shortened_timings() {
    for backend in backends() {
        let app = TestApp::builder(backend)
            .settings(|s| {
                s.advisories.reminder_after_secs = 2;
                s.advisories.escalate_member_after_deadline_secs = 1;
                s.advisories.escalate_analysts_after_deadline_secs = 3;
            })
            .start()
            .await
            .unwrap();
        let admin = app.admin_token().await.unwrap();
        let analyst_user = app.create_user(&admin, "analyst", Role::Analyst, None).await.unwrap();
        let analyst = app.login("analyst", USER_PASSWORD).await.unwrap();
        let m = member(&app, &admin, "toto-denryoku", "electricity").await;
        let deputy = app.create_user(&admin, "toto-deputy", Role::Operator, Some(m.org.id)).await.unwrap();
        let contact = app.create_user(&admin, "toto-ciso", Role::Operator, Some(m.org.id)).await.unwrap();
        let r = app
            .client
            .put(app.url("/api/v1/profile"))
            .bearer_auth(&m.token)
            .json(&json!({ "critical_systems": [], "contacts": [contact.id] }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let slow = member(&app, &admin, "kita-denryoku", "electricity").await;

        let deadline = Utc::now() + Duration::seconds(30);
        let mut draft = urgent_draft();
        draft["reassessment_deadline"] = json!(deadline);
        let (_, created) = post(&app, &analyst, "/api/v1/advisories", draft).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let (s, _) = post(&app, &analyst, &format!("/api/v1/advisories/{id}/publish"), json!({})).await;
        assert_eq!(s, 200);
        let (_, tasks) = get(&app, &analyst, &format!("/api/v1/reassessments?advisory={id}")).await;
        let tasks: Vec<adv::ReassessmentTask> = serde_json::from_value(tasks).unwrap();
        assert_eq!(tasks.len(), 2);
        let task_of = |org: uuid::Uuid| tasks.iter().find(|t| t.organisation_id == org).unwrap().clone();
        let (mine, theirs) = (task_of(m.org.id), task_of(slow.org.id));
        assert_eq!(mine.deadline.timestamp(), deadline.timestamp());

        // The sweep, run directly, as the job runner will.
        let state = isacx_server::app::AppState::init(app.settings.clone()).unwrap();
        let sweep = |at| isacx_server::advisories::reassessment_sweep_at(&state, at).unwrap();
        let requested = mine.requested_at;
        assert!(sweep(requested + Duration::milliseconds(1500)).is_empty(), "nothing is due yet");
        let steps = sweep(requested + Duration::milliseconds(2500));
        assert_eq!(steps.len(), 2, "{steps:?}");
        let reminder = steps.iter().find(|s| s.task_id == mine.id).unwrap();
        assert_eq!(
            (reminder.step, reminder.recipients.clone()),
            (EscalationStep::Reminder, vec![contact.id]),
            "the named contact first"
        );
        let theirs_reminder = steps.iter().find(|s| s.task_id == theirs.id).unwrap();
        assert_eq!(theirs_reminder.recipients.len(), 1, "no contact named: every operator");
        assert!(sweep(requested + Duration::seconds(3)).is_empty(), "each step once");

        // The member acts before the deadline; the slow one does not.
        let (s, _) = post(
            &app,
            &m.token,
            &format!("/api/v1/reassessments/{}/reassess", mine.id),
            json!({ "note": "該当なし / not affected" }),
        )
        .await;
        assert_eq!(s, 200);
        let past = deadline + Duration::milliseconds(1500);
        let steps = sweep(past);
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert_eq!((steps[0].task_id, steps[0].step), (theirs.id, EscalationStep::EscalatedToMember));
        let steps = sweep(deadline + Duration::seconds(4));
        assert_eq!(steps.len(), 1);
        assert_eq!(
            (steps[0].step, steps[0].recipients.clone()),
            (EscalationStep::EscalatedToAnalysts, vec![analyst_user.id])
        );
        assert!(sweep(deadline + Duration::seconds(60)).is_empty());
        let _ = deputy;

        // The board and the member's task carry the steps.
        let (_, board) = get(&app, &analyst, &format!("/api/v1/advisories/{id}/board")).await;
        let board: adv::Board = serde_json::from_value(board).unwrap();
        let row = board.rows.iter().find(|r| r.task_id == theirs.id).unwrap();
        assert_eq!((row.state, row.last_step), (TaskState::Requested, Some(EscalationStep::EscalatedToAnalysts)));
        let (_, task) = get(&app, &slow.token, &format!("/api/v1/reassessments/{}", theirs.id)).await;
        let task: adv::ReassessmentTask = serde_json::from_value(task).unwrap();
        assert_eq!(task.steps.iter().map(|s| s.step).collect::<Vec<_>>(), EscalationStep::ALL.to_vec());
        app.stop().await;
    }
}
