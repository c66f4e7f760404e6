//! Liaison digests end to end, on both backends: a seeded exchange (member
//! organisations in a large and a small sector and outside the liaison's
//! scope; reports of every kind, published at several TLPs or still in
//! review, one statutory; advisories of each urgency; reassessment tasks
//! acknowledged, done and overdue; indicators of several types at several
//! TLPs) is summarised on a shortened schedule; the digests mailed over real
//! SMTP (multipart, in each liaison's language) and served over REST (JSON,
//! CSV, HTML) carry exactly the figures this test computes on its own from
//! the seed, and never a member's name, alias or domain; the HTML matches a
//! snapshot. Two servers on one database issue and mail each digest once.
//! Bad input gets problem details, and `isacx digest` works end to end.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use isacx_schemas::api::{self, Role};
use isacx_schemas::digest::{Digest, PeriodKind, Totals};
use isacx_server::config::Settings;
use isacx_tests::cli::Cli;
use isacx_tests::smtp::{ReceivedMail, SmtpListener};
use isacx_tests::{backends, TestApp, USER_PASSWORD};
use serde_json::{json, Value};

const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const SCOPE_EXT: &str = "extension-definition--54ddad55-7735-496a-a5d5-c73f546650b2";
const TAXII: &str = "application/taxii+json;version=2.1";
const ICT: &str = "information_communications";

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

async fn get_text(app: &TestApp, token: &str, path: &str, accept: Option<&str>) -> (u16, String, String) {
    let mut r = app.client.get(app.url(path)).bearer_auth(token);
    if let Some(a) = accept {
        r = r.header("accept", a);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let content_type = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    (status, content_type, r.text().await.unwrap())
}

async fn user(app: &TestApp, admin: &str, name: &str, role: Role, org: Option<uuid::Uuid>, locale: &str) -> String {
    let (s, body) = post(
        app,
        admin,
        "/api/v1/admin/users",
        json!({ "username": name, "password": USER_PASSWORD, "role": role, "organisation_id": org,
                "email": format!("{name}@gov.example"), "locale": locale }),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    app.login(name, USER_PASSWORD).await.unwrap()
}

/// A member organisation: its names, alias and domain must never reach a digest.
struct Member {
    token: String,
    identity: Vec<String>,
}

/// `names`: Japanese and English names, alias, domain.
async fn member(app: &TestApp, admin: &str, login: &str, names: [&str; 4], sector: &str) -> Member {
    let [ja, en, alias, domain] = names;
    let org = app
        .create_organisation(admin, json!({ "name": { "ja": ja, "en": en }, "aliases": [alias], "domains": [domain], "sectors": [sector] }))
        .await
        .unwrap();
    let token = user(app, admin, login, Role::Operator, Some(org.id), "ja").await;
    Member { token, identity: vec![ja.to_owned(), en.to_owned(), alias.to_owned(), domain.to_owned(), org.id.to_string()] }
}

/// The seed of one report and what the test knows of it.
struct SeedReport {
    sector: &'static str,
    kind: &'static str,
    threat_event: &'static str,
    /// None: left in review.
    published_tlp: Option<&'static str>,
    /// Liaisons named as an audience when published.
    for_liaisons: bool,
    /// Threshold, level, laws (as the receipt says).
    statutory: Option<(String, api::LocalisedName, Vec<String>)>,
}

fn telecom(kind: &str, threat_event: &str, tlp: &str) -> Value {
    let text = include_str!("../../schemas/tests/fixtures/reports/ja-telecom-ddos.json");
    let mut r: Value = serde_json::from_str(text).unwrap();
    r["id"] = json!(uuid::Uuid::new_v4());
    r["kind"] = json!(kind);
    r["threat_event"] = json!(threat_event);
    r["tlp"] = json!(tlp);
    r["indicators"] = json!([]);
    if kind != "incident" {
        let o = r.as_object_mut().unwrap();
        for field in ["outcome", "cia_impact", "service_impact", "statutory"] {
            o.remove(field);
        }
        r["times"] = json!({ "detected": "2026-11-20T01:05:00Z" });
    }
    r
}

fn fixture(name: &str) -> Value {
    let text = match name {
        "gas" => include_str!("../../schemas/tests/fixtures/reports/en-gas-near-miss.json"),
        _ => include_str!("../../schemas/tests/fixtures/reports/en-finance-ransomware.json"),
    };
    let mut r: Value = serde_json::from_str(text).unwrap();
    r["id"] = json!(uuid::Uuid::new_v4());
    r["indicators"] = json!([]);
    r
}

fn indicator(pattern: &str, marking: &str, scope: Option<Value>) -> Value {
    let mut o = json!({
        "type": "indicator", "spec_version": "2.1", "id": format!("indicator--{}", uuid::Uuid::new_v4()),
        "created": "2026-12-01T00:00:00.000Z", "modified": "2026-12-01T00:00:00.000Z",
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-12-01T00:00:00Z",
        "object_marking_refs": [marking]
    });
    if let Some(scope) = scope {
        o["extensions"] = json!({ SCOPE_EXT: scope });
    }
    o
}

/// One seeded indicator: type, TLP, liaison audience named, sectors (empty = all).
struct SeedIndicator {
    kind: &'static str,
    tlp: &'static str,
    for_liaisons: bool,
    sectors: &'static [&'static str],
}

/// One seeded advisory: urgency, TLP, scope sectors, and its tasks: (sector, acknowledged, done, deadline passed).
struct SeedAdvisory {
    urgency: &'static str,
    tlp: &'static str,
    scope: &'static [&'static str],
    tasks: Vec<(&'static str, bool, bool, bool)>,
}

/// Everything the test seeded, and the members per sector.
struct Seed {
    reports: Vec<SeedReport>,
    advisories: Vec<SeedAdvisory>,
    indicators: Vec<SeedIndicator>,
    members: BTreeMap<&'static str, usize>,
    identities: Vec<String>,
}

/// What a liaison of `scope` (empty = all) may read, figured from TLP 2.0 as
/// the README states it: CLEAR anyone; GREEN and AMBER liaisons when they are
/// an audience (GREEN names them by default); nothing above.
fn liaison_reads(tlp: &str, for_liaisons: bool) -> bool {
    match tlp {
        "clear" => true,
        "green" => true,
        "amber" => for_liaisons,
        _ => false,
    }
}

/// The digest a liaison of `scope` should get, computed from the seed alone.
fn expected(seed: &Seed, scope: &[&str], k: usize) -> Expected {
    let in_scope = |s: &str| scope.is_empty() || scope.contains(&s);
    let touches = |sectors: &[&str]| scope.is_empty() || sectors.is_empty() || sectors.iter().any(|s| scope.contains(s));
    let bucket = |s: &str| if seed.members.get(s).copied().unwrap_or(0) >= k { s.to_owned() } else { "other".to_owned() };
    let mut e = Expected::default();
    for r in seed.reports.iter().filter(|r| in_scope(r.sector)) {
        match r.published_tlp {
            None => e.totals.reports_in_review += 1,
            Some(tlp) if !liaison_reads(tlp, r.for_liaisons) => e.totals.reports_withheld += 1,
            Some(_) => {
                e.totals.reports += 1;
                *e.reports.entry((bucket(r.sector), r.kind.to_owned(), r.threat_event.to_owned())).or_default() += 1;
                if let Some((threshold, _, laws)) = &r.statutory {
                    e.totals.statutory += 1;
                    let key = if bucket(r.sector) == "other" { ("other".to_owned(), String::new(), Vec::new()) } else { (bucket(r.sector), threshold.clone(), laws.clone()) };
                    *e.statutory.entry(key).or_default() += 1;
                }
            }
        }
    }
    for a in seed.advisories.iter().filter(|a| touches(a.scope)) {
        if !liaison_reads(a.tlp, false) {
            e.totals.advisories_withheld += 1;
            continue;
        }
        e.totals.advisories += 1;
        *e.advisories.entry(a.urgency.to_owned()).or_default() += 1;
        for (sector, acked, done, late) in a.tasks.iter().filter(|t| in_scope(t.0)) {
            e.totals.tasks_requested += 1;
            e.totals.tasks_done += u64::from(*done);
            e.totals.tasks_overdue += u64::from(*late && !done);
            let c = e.compliance.entry(bucket(sector)).or_default();
            c[0] += 1;
            c[1] += u64::from(*acked || *done);
            c[2] += u64::from(*done);
            c[3] += u64::from(*late && !done);
        }
    }
    for i in seed.indicators.iter().filter(|i| touches(i.sectors)) {
        if liaison_reads(i.tlp, i.for_liaisons) {
            e.totals.indicators += 1;
            *e.indicators.entry(i.kind.to_owned()).or_default() += 1;
        } else {
            e.totals.indicators_withheld += 1;
        }
    }
    e
}

#[derive(Debug, Default, PartialEq)]
struct Expected {
    totals: Totals,
    reports: BTreeMap<(String, String, String), u64>,
    statutory: BTreeMap<(String, String, Vec<String>), u64>,
    advisories: BTreeMap<String, u64>,
    /// requested, acknowledged, done, overdue
    compliance: BTreeMap<String, [u64; 4]>,
    indicators: BTreeMap<String, u64>,
}

impl Expected {
    fn of(d: &Digest) -> Expected {
        Expected {
            totals: d.totals.clone(),
            reports: d.reports.iter().map(|r| ((r.sector.clone(), r.kind.clone(), r.threat_event.clone()), r.count)).collect(),
            statutory: d.statutory.iter().map(|s| ((s.sector.clone(), s.threshold.clone(), s.laws.clone()), s.count)).collect(),
            advisories: d.advisories.iter().map(|a| (a.urgency.as_str().to_owned(), a.count)).collect(),
            compliance: d.compliance.iter().map(|c| (c.sector.clone(), [c.requested, c.acknowledged, c.done, c.overdue])).collect(),
            indicators: d.indicators.iter().map(|i| (i.indicator_type.clone(), i.count)).collect(),
        }
    }
}

fn smtp_settings(s: &mut Settings, port: u16) {
    s.notify.poll_interval_ms = 100;
    s.notify.smtp_host = "127.0.0.1".to_owned();
    s.notify.smtp_port = port;
    s.notify.smtp_tls = "none".to_owned();
    s.notify.smtp_from = "Tsushin ISAC <isac@isac.example>".to_owned();
    s.identity.name_en = "Tsushin ISAC".to_owned();
    s.identity.name_ja = "通信ISAC".to_owned();
    // Off while seeding; the test turns the schedule on afterwards.
    s.jobs.digest_daily = String::new();
    s.jobs.digest_weekly = String::new();
}

/// Every decoded text of a mail: headers' subject and each part's body.
fn mail_texts(mail: &ReceivedMail) -> (String, Vec<(String, String)>) {
    let parsed = mailparse::parse_mail(&mail.data).unwrap();
    let mut parts = Vec::new();
    fn walk(p: &mailparse::ParsedMail<'_>, out: &mut Vec<(String, String)>) {
        if p.subparts.is_empty() {
            out.push((p.ctype.mimetype.clone(), p.get_body().unwrap_or_default()));
        }
        for s in &p.subparts {
            walk(s, out);
        }
    }
    walk(&parsed, &mut parts);
    (mail.subject(), parts)
}

fn message_id(mail: &ReceivedMail) -> String {
    let id = mail.header("Message-ID").unwrap_or_default();
    id.trim_matches(['<', '>']).split('@').next().unwrap_or("").to_owned()
}

/// E-mail rows of digest notifications (only delivered ones, or all): delivery id → (digest object id, user id).
async fn digest_mail_rows_in(app: &TestApp, delivered_only: bool) -> BTreeMap<String, (String, String)> {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        use isacx_server::db::schema::outbox;
        db.read(|c| {
            let mut q = outbox::table
                .filter(outbox::kind.eq("digest_issued"))
                .filter(outbox::channel.eq("email"))
                .select((outbox::id, outbox::object_id, outbox::target))
                .into_boxed();
            if delivered_only {
                q = q.filter(outbox::state.eq("delivered"));
            }
            Ok(q.load::<(String, String, String)>(c)?)
        })
    })
    .await
    .unwrap()
    .unwrap()
    .into_iter()
    .map(|(id, object, target)| (id, (object, target)))
    .collect()
}

async fn digest_mail_rows(app: &TestApp) -> BTreeMap<String, (String, String)> {
    digest_mail_rows_in(app, true).await
}

fn no_identity(what: &str, text: &str, identities: &[String]) {
    for id in identities {
        assert!(!text.to_lowercase().contains(&id.to_lowercase()), "{what} names a member ({id}):\n{text}");
    }
}

#[tokio::test]
async fn scheduled_digests_carry_the_seeded_figures_and_no_member_identity() {
    let times = regex::Regex::new(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} JST").unwrap();
    for backend in backends() {
        let smtp = SmtpListener::start().unwrap();
        let port = smtp.addr.port();
        let mut app = TestApp::builder(backend).settings(move |s| smtp_settings(s, port)).start().await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let analyst = user(&app, &admin, "ana", Role::Analyst, None, "en").await;

        // Members: three in information and communications (shown), one in gas
        // (fewer than k = 3: generalised), one in finance (outside the ministry's scope).
        let tele1 = member(&app, &admin, "tele1", ["星空通信株式会社", "Hoshizora Telecom", "HSZT", "hoshizora-tel.example"], ICT).await;
        let tele2 = member(&app, &admin, "tele2", ["青嵐ネットワーク株式会社", "Seiran Networks", "SRNW", "seiran-net.example"], ICT).await;
        let tele3 = member(&app, &admin, "tele3", ["朝霧テレコム株式会社", "Asagiri Telecom", "ASGT", "asagiri.example"], ICT).await;
        let gas1 = member(&app, &admin, "gas1", ["山吹瓦斯株式会社", "Yamabuki Gas Works", "YMBK", "yamabuki-gas.example"], "gas").await;
        let fin1 = member(&app, &admin, "fin1", ["紅葉銀行", "Momiji Bank", "MMJB", "momiji-bank.example"], "finance").await;
        // The liaisons: a ministry over two sectors (Japanese), NISC over all (English).
        let ministry = app
            .create_organisation(&admin, json!({ "name": { "ja": "総務省", "en": "MIC" }, "sectors": [ICT, "gas"] }))
            .await
            .unwrap();
        let kasumi = user(&app, &admin, "kasumi", Role::Liaison, Some(ministry.id), "ja").await;
        let nisc = user(&app, &admin, "nisc", Role::Liaison, None, "en").await;

        // Reports.
        let mut seeded_reports = Vec::new();
        let submissions = [
            (&tele1, telecom("incident", "denial_of_service_distributed", "amber"), Some("amber"), true),
            (&tele2, telecom("precursor", "malware_email_attachment", "green"), Some("green"), false),
            (&tele3, telecom("near_miss", "unauthorized_device", "amber"), Some("amber"), false),
            (&tele1, telecom("precursor", "malware_email_attachment", "amber"), None, false),
            (&gas1, fixture("gas"), Some("clear"), false),
            (&fin1, fixture("finance"), Some("red"), false),
        ];
        for (who, report, publish_at, for_liaisons) in submissions {
            let (s, receipt) = post(&app, &who.token, "/api/v1/reports", report.clone()).await;
            assert!(s == 201 || s == 200, "{s} {receipt}");
            let receipt: api::ReportReceipt = serde_json::from_value(receipt).unwrap();
            if let Some(tlp) = publish_at {
                let mut body = json!({ "tlp": tlp });
                if for_liaisons {
                    body["audiences"] = json!(["members", "analysts", "liaisons"]);
                }
                if report["sector"] == "finance" {
                    body["sectors"] = json!(["finance"]);
                }
                let (s, p) = post(&app, &analyst, &format!("/api/v1/review/{}/publish", receipt.id), body).await;
                assert_eq!(s, 200, "{p}");
            }
            let sector = match report["sector"].as_str().unwrap() {
                ICT => ICT,
                "gas" => "gas",
                _ => "finance",
            };
            let kind = match report["kind"].as_str().unwrap() {
                "incident" => "incident",
                "precursor" => "precursor",
                _ => "near_miss",
            };
            let threat: &'static str = Box::leak(report["threat_event"].as_str().unwrap().to_owned().into_boxed_str());
            let statutory = receipt.statutory.first().map(|h| (h.threshold.clone(), h.level.clone(), h.laws.clone()));
            seeded_reports.push(SeedReport { sector, kind, threat_event: threat, published_tlp: publish_at, for_liaisons, statutory });
        }
        assert!(seeded_reports[0].statutory.is_some(), "the DDoS report crosses the telecom threshold");

        // Advisories; the urgent ones open reassessment tasks.
        let draft = |urgency: &str, tlp: &str, scope: &[&str], deadline: Option<chrono::DateTime<Utc>>| {
            let mut d = json!({
                "title": { "en": format!("{urgency} advisory"), "ja": format!("{urgency} の情報提供") },
                "summary": { "en": "Apply the vendor patch.", "ja": "修正を適用する。" },
                "urgency": urgency, "tlp": tlp, "scope_sectors": scope, "threat_events": ["targeted_attack"],
            });
            if urgency == "urgent" {
                d["affected_sectors"] = json!(scope);
            }
            if let Some(at) = deadline {
                d["reassessment_deadline"] = json!(at);
            }
            d
        };
        let deadline = Utc::now() + chrono::Duration::seconds(6);
        let mut advisory_ids = Vec::new();
        for d in [
            draft("urgent", "green", &[ICT], Some(deadline)),
            draft("warning", "amber", &[ICT], None),
            draft("info", "clear", &["finance"], None),
            draft("urgent", "green", &["gas"], None),
        ] {
            let (s, a) = post(&app, &analyst, "/api/v1/advisories", d).await;
            assert_eq!(s, 201, "{a}");
            let id = a["id"].as_str().unwrap().to_owned();
            let (s, p) = post(&app, &analyst, &format!("/api/v1/advisories/{id}/publish"), json!({})).await;
            assert_eq!(s, 200, "{p}");
            advisory_ids.push(id);
        }
        let task_of = |tasks: &Value, advisory: &str| {
            tasks.as_array().unwrap().iter().find(|t| t["advisory_id"] == advisory).map(|t| t["id"].as_str().unwrap().to_owned()).unwrap()
        };
        let (_, t1) = get(&app, &tele1.token, "/api/v1/reassessments").await;
        let (s, _) = post(&app, &tele1.token, &format!("/api/v1/reassessments/{}/ack", task_of(&t1, &advisory_ids[0])), json!({})).await;
        assert_eq!(s, 200);
        let (_, t2) = get(&app, &tele2.token, "/api/v1/reassessments").await;
        let t2 = task_of(&t2, &advisory_ids[0]);
        let (s, _) = post(&app, &tele2.token, &format!("/api/v1/reassessments/{t2}/ack"), json!({})).await;
        assert_eq!(s, 200);
        let (s, r) = post(&app, &tele2.token, &format!("/api/v1/reassessments/{t2}/reassess"), json!({ "note": "対策済み" })).await;
        assert_eq!(s, 200, "{r}");
        let (_, t3) = get(&app, &tele3.token, "/api/v1/reassessments").await;
        task_of(&t3, &advisory_ids[0]);
        let (_, g) = get(&app, &gas1.token, "/api/v1/reassessments").await;
        task_of(&g, &advisory_ids[3]);
        let seeded_advisories = vec![
            SeedAdvisory { urgency: "urgent", tlp: "green", scope: &[ICT], tasks: vec![(ICT, true, false, true), (ICT, true, true, true), (ICT, false, false, true)] },
            SeedAdvisory { urgency: "warning", tlp: "amber", scope: &[ICT], tasks: vec![] },
            SeedAdvisory { urgency: "info", tlp: "clear", scope: &["finance"], tasks: vec![] },
            SeedAdvisory { urgency: "urgent", tlp: "green", scope: &["gas"], tasks: vec![("gas", false, false, false)] },
        ];

        // Indicators of several types at several TLPs, straight into the shared store.
        let liaisons_too = json!({ "extension_type": "property-extension", "sectors": [ICT], "audiences": ["members", "analysts", "liaisons"] });
        let finance_only = json!({ "extension_type": "property-extension", "sectors": ["finance"] });
        let objects = vec![
            indicator("[ipv4-addr:value = '198.51.100.7']", GREEN, None),
            indicator("[ipv4-addr:value = '198.51.100.8']", GREEN, None),
            indicator("[domain-name:value = 'evil.example.net']", CLEAR, None),
            indicator("[url:value = 'http://evil.example.net/x']", AMBER, None),
            indicator("[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", AMBER, Some(liaisons_too)),
            indicator("[domain-name:value = 'phish.example.org']", GREEN, Some(finance_only)),
        ];
        let r = app
            .client
            .post(app.url("/taxii2/api/collections/all-sectors/objects/"))
            .bearer_auth(&analyst)
            .header("accept", TAXII)
            .header("content-type", TAXII)
            .body(json!({ "objects": objects }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let status: Value = r.json().await.unwrap();
        assert_eq!(status["success_count"], 6, "{status}");
        let seeded_indicators = vec![
            SeedIndicator { kind: "ipv4-addr", tlp: "green", for_liaisons: false, sectors: &[] },
            SeedIndicator { kind: "ipv4-addr", tlp: "green", for_liaisons: false, sectors: &[] },
            SeedIndicator { kind: "domain-name", tlp: "clear", for_liaisons: false, sectors: &[] },
            SeedIndicator { kind: "url", tlp: "amber", for_liaisons: false, sectors: &[] },
            SeedIndicator { kind: "file", tlp: "amber", for_liaisons: true, sectors: &[ICT] },
            SeedIndicator { kind: "domain-name", tlp: "green", for_liaisons: false, sectors: &["finance"] },
        ];
        let mut identities = Vec::new();
        for m in [&tele1, &tele2, &tele3, &gas1, &fin1] {
            identities.extend(m.identity.clone());
        }
        let seed = Seed {
            reports: seeded_reports,
            advisories: seeded_advisories,
            indicators: seeded_indicators,
            members: BTreeMap::from([(ICT, 3), ("gas", 1), ("finance", 1)]),
            identities,
        };
        let expect_ministry = expected(&seed, &[ICT, "gas"], 3);
        let expect_all = expected(&seed, &[], 3);
        // The figures this seed must give, spelled out once as a check on the computation above.
        assert_eq!(
            (expect_ministry.totals.reports, expect_ministry.totals.reports_withheld, expect_ministry.totals.reports_in_review),
            (3, 1, 1)
        );
        assert_eq!(expect_ministry.compliance.get(ICT), Some(&[3, 2, 1, 2]));
        assert_eq!(expect_ministry.compliance.get("other"), Some(&[1, 0, 0, 0]));
        assert_eq!((expect_all.totals.indicators, expect_all.totals.indicators_withheld), (5, 1));

        // The urgent deadline passes; then the schedule runs every two seconds.
        let wait = deadline - Utc::now() + chrono::Duration::milliseconds(500);
        if let Ok(wait) = wait.to_std() {
            tokio::time::sleep(wait).await;
        }
        app.settings.jobs.digest_daily = "*/2 * * * * *".to_owned();
        app.settings.jobs.digest_weekly = "1/4 * * * * *".to_owned();
        let seeded_at = Utc::now();
        let app = app.restart().await.unwrap();

        // Until each liaison has a daily and a weekly digest (other mail — advisories to operators — is ignored).
        let want: BTreeSet<(String, PeriodKind)> = [("kasumi", PeriodKind::Daily), ("kasumi", PeriodKind::Weekly), ("nisc", PeriodKind::Daily), ("nisc", PeriodKind::Weekly)]
            .into_iter()
            .map(|(u, p)| (u.to_owned(), p))
            .collect();
        let mut checked = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let give_up = tokio::time::Instant::now() + Duration::from_secs(40);
        let users: BTreeMap<String, String> = {
            let db = app.db.clone();
            tokio::task::spawn_blocking(move || {
                use isacx_server::db::schema::users;
                db.read(|c| Ok(users::table.select((users::id, users::username)).load::<(String, String)>(c)?))
            })
            .await
            .unwrap()
            .unwrap()
            .into_iter()
            .collect()
        };
        while checked != want && tokio::time::Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Any state: a mail may arrive before its row is marked delivered.
        let rows = digest_mail_rows_in(&app, false).await;
        for mail in &smtp.received() {
            let delivery = message_id(mail);
            let Some((object, target)) = rows.get(&delivery) else {
                continue;
            };
            if !seen.insert(delivery.clone()) {
                continue;
            }
            let digest_id = object.trim_start_matches("digest:").to_owned();
            let (s, d) = get(&app, &analyst, &format!("/api/v1/digests/{digest_id}")).await;
            assert_eq!(s, 200, "{d}");
            let digest: Digest = serde_json::from_value(d).unwrap();
            assert!(digest.from <= seeded_at - chrono::Duration::days(1) + chrono::Duration::seconds(60));
            assert!(digest.to >= seeded_at, "a digest from after the seed");
            let liaison = users.get(target).unwrap().as_str();
            let (want, lang_ja) = match liaison {
                "kasumi" => (&expect_ministry, true),
                "nisc" => (&expect_all, false),
                other => panic!("a digest mailed to {other}"),
            };
            assert_eq!(&Expected::of(&digest), want, "{liaison} {:?}", digest.period);
            assert_eq!(digest.previous, Totals::default(), "nothing before the seed");
            assert_eq!(digest.sectors, vec![ICT.to_owned()], "gas and finance are generalised or absent");
            assert_eq!(mail.to, vec![format!("{liaison}@gov.example")]);
            let (subject, parts) = mail_texts(mail);
            let types: Vec<&str> = parts.iter().map(|p| p.0.as_str()).collect();
            assert_eq!(types, ["text/plain", "text/html"], "multipart/alternative, text and HTML");
            let text = &parts[0].1;
            if lang_ja {
                assert!(subject.contains("サマリー"), "{subject}");
                assert!(text.contains(&format!("公開された情報連絡: {}", want.totals.reports)), "{text}");
                assert!(text.contains("電気通信事業法") || text.contains("法"), "the law that applies: {text}");
            } else {
                assert!(subject.contains("digest"), "{subject}");
                assert!(text.contains(&format!("Reports published: {}", want.totals.reports)), "{text}");
            }
            assert!(parts[1].1.contains("<table>") && parts[1].1.contains("</html>"));
            for (what, body) in [("subject", subject.clone()), ("text part", parts[0].1.clone()), ("HTML part", parts[1].1.clone())] {
                no_identity(what, &body, &seed.identities);
            }
            checked.insert((liaison.to_owned(), digest.period));
        }
        }
        assert_eq!(checked, want, "each liaison got a daily and a weekly digest");

        // The archive over REST: the ministry sees its own scope only; JSON, CSV, HTML.
        let (s, list) = get(&app, &kasumi, "/api/v1/digests?period=daily").await;
        assert_eq!(s, 200);
        let list = list.as_array().unwrap().clone();
        assert!(!list.is_empty());
        assert!(list.iter().all(|d| d["scope"] == json!(["gas", ICT]) && d["period"] == "daily"), "{list:?}");
        let (_, all_list) = get(&app, &nisc, "/api/v1/digests").await;
        let nisc_digest = all_list.as_array().unwrap().iter().find(|d| d["scope"] == json!(["*"])).unwrap()["id"].as_str().unwrap().to_owned();
        let mine = list[0]["id"].as_str().unwrap().to_owned();
        let (s, ct, csv) = get_text(&app, &kasumi, &format!("/api/v1/digests/{mine}"), Some("text/csv")).await;
        assert_eq!(s, 200);
        assert!(ct.starts_with("text/csv"), "{ct}");
        assert!(csv.starts_with("section,sector,kind,threat_event,urgency,indicator_type,threshold,laws,metric,value\n"), "{csv}");
        for ((sector, kind, threat), n) in &expect_ministry.reports {
            assert!(csv.contains(&format!("reports,{sector},{kind},{threat},,,,,count,{n}\n")), "{csv}");
        }
        assert!(csv.contains(&format!("compliance,{ICT},,,,,,,overdue,2\n")), "{csv}");
        assert!(csv.contains("indicators,,,,,file,,,count,1\n"), "{csv}");
        no_identity("CSV", &csv, &seed.identities);
        let (s, _, json_text) = get_text(&app, &kasumi, &format!("/api/v1/digests/{mine}?format=json"), None).await;
        assert_eq!(s, 200);
        no_identity("JSON", &json_text, &seed.identities);
        let (s, ct, html) = get_text(&app, &kasumi, &format!("/api/v1/digests/{mine}?format=html"), None).await;
        assert_eq!(s, 200);
        assert!(ct.starts_with("text/html"), "{ct}");
        no_identity("HTML", &html, &seed.identities);
        insta::assert_snapshot!("ministry_daily_digest_ja", times.replace_all(&html, "[TIME]"));

        // On demand: any period, any sectors within scope; the figures agree.
        let (s, d) = get(&app, &kasumi, &format!("/api/v1/digests/preview?sectors={ICT}")).await;
        assert_eq!(s, 200, "{d}");
        let only_ict: Digest = serde_json::from_value(d).unwrap();
        assert_eq!(Expected::of(&only_ict), expected(&seed, &[ICT], 3));
        let from = (seeded_at - chrono::Duration::hours(1)).to_rfc3339();
        let to = (Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
        let enc = |t: &str| t.replace('+', "%2B").replace(':', "%3A");
        let (s, d) = get(&app, &analyst, &format!("/api/v1/digests/preview?from={}&to={}", enc(&from), enc(&to))).await;
        assert_eq!(s, 200, "{d}");
        let custom: Digest = serde_json::from_value(d).unwrap();
        assert_eq!(custom.period, PeriodKind::Custom);
        assert_eq!(Expected::of(&custom), expect_all, "an analyst previews what an all-sector liaison gets");

        // Bad input: problem details naming what is wrong.
        let (s, p) = get(&app, &kasumi, "/api/v1/digests/preview?period=hourly").await;
        assert_eq!((s, p["code"].as_str()), (422, Some("validation_failed")), "{p}");
        assert!(p["detail"].as_str().unwrap().contains("hourly"), "{p}");
        let (s, p) = get(&app, &kasumi, &format!("/api/v1/digests/preview?from={}&to={}", enc(&to), enc(&from))).await;
        assert_eq!((s, p["code"].as_str()), (422, Some("validation_failed")), "from after to: {p}");
        let (s, p) = get(&app, &kasumi, "/api/v1/digests/preview?sectors=finance").await;
        assert_eq!((s, p["code"].as_str()), (403, Some("forbidden")), "{p}");
        assert!(p["detail"].as_str().unwrap().contains("finance"), "names the sector: {p}");
        let (s, p) = get(&app, &kasumi, "/api/v1/digests/preview?sectors=nonsense").await;
        assert_eq!(s, 422, "{p}");
        let (s, p) = get(&app, &kasumi, "/api/v1/digests/preview?format=xml").await;
        assert_eq!(s, 422, "{p}");
        let (s, p) = get(&app, &kasumi, "/api/v1/digests?period=monthly").await;
        assert_eq!(s, 422, "{p}");
        let (s, _) = get(&app, &kasumi, &format!("/api/v1/digests/{nisc_digest}")).await;
        assert_eq!(s, 404, "another scope's digest is not found");
        let (s, p) = get(&app, &tele1.token, "/api/v1/digests").await;
        assert_eq!((s, p["code"].as_str()), (403, Some("forbidden")), "members do not read digests: {p}");

        // The command line.
        let cli = Cli::new();
        cli.login(&app, "kasumi");
        let run = cli.run(&["digest", "list", "--json"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.json().as_array().unwrap().iter().all(|d| d["scope"] == json!(["gas", ICT])));
        let out = cli.arg("digest.csv");
        let run = cli.run(&["digest", "get", "--latest", "--period", "daily", "--format", "csv", "-o", &out]);
        assert_eq!(run.code, 0, "{run:?}");
        let csv = cli.read("digest.csv");
        assert!(csv.contains(&format!("reports,{ICT},incident,denial_of_service_distributed,,,,,count,1")), "{csv}");
        let run = cli.run(&["digest", "get", "--period", "weekly"]);
        assert_eq!(run.code, 0, "{run:?}");
        let weekly: Digest = serde_json::from_value(run.json()).unwrap();
        assert_eq!((weekly.period, weekly.id), (PeriodKind::Weekly, None));
        assert_eq!(Expected::of(&weekly), expect_ministry);
        let run = cli.run(&["--lang", "ja", "digest", "get", "--latest", "--format", "html"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("<html lang=\"ja\">") && run.stdout.contains("概要"), "{run:?}");
        let run = cli.run(&["digest", "get", "--period", "daily", "--sectors", "finance"]);
        assert_eq!(run.code, 4, "outside the scope: {run:?}");
        assert!(run.stderr.contains("finance"), "{run:?}");
        let run = cli.run(&["digest", "get", "--from", "2026-12-02T00:00:00Z", "--to", "2026-12-01T00:00:00Z"]);
        assert_eq!(run.code, 6, "from after to: {run:?}");

        // Exactly once: each digest mailed once per recipient, each mail a distinct delivery.
        let mut app = app;
        app.halt().await;
        let liaisons = ["kasumi@gov.example".to_owned(), "nisc@gov.example".to_owned()];
        let mails: Vec<ReceivedMail> = smtp.received().into_iter().filter(|m| m.to.iter().any(|t| liaisons.contains(t))).collect();
        let rows = digest_mail_rows_in(&app, false).await;
        let delivered = digest_mail_rows(&app).await;
        let ids: Vec<String> = mails.iter().map(message_id).collect();
        let distinct: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "no mail twice");
        assert!(ids.iter().all(|id| rows.contains_key(id)), "every mail is an outbox delivery");
        assert!(delivered.keys().all(|id| distinct.contains(id)), "every delivered row arrived");
        let per_digest: BTreeSet<&String> = rows.values().map(|(object, _)| object).collect();
        assert_eq!(per_digest.len(), rows.len(), "each digest is mailed to its one liaison, once");
        app.stop().await;
    }
}

#[tokio::test]
async fn two_servers_on_one_database_issue_and_mail_each_digest_once() {
    for backend in backends() {
        let smtp = SmtpListener::start().unwrap();
        let port = smtp.addr.port();
        let schedule = move |s: &mut Settings| {
            smtp_settings(s, port);
            s.jobs.digest_daily = "* * * * * *".to_owned();
            s.jobs.digest_weekly = "*/2 * * * * *".to_owned();
        };
        let mut first = TestApp::builder(backend).settings(schedule).start().await.unwrap();
        let admin = first.admin_token().await.unwrap();
        let org = first.create_organisation(&admin, json!({ "name": { "ja": "経済産業省", "en": "METI" }, "sectors": ["electricity"] })).await.unwrap();
        user(&first, &admin, "meti", Role::Liaison, Some(org.id), "ja").await;
        let mut second = TestApp::builder(backend).settings(schedule).sharing_database_of(&first).start().await.unwrap();
        tokio::time::sleep(Duration::from_secs(6)).await;
        first.halt().await;
        second.halt().await;
        // A third server without the schedule delivers whatever mail the two left pending.
        let courier = TestApp::builder(backend).settings(move |s| smtp_settings(s, port)).sharing_database_of(&first).start().await.unwrap();
        let issued = {
            let db = courier.db.clone();
            tokio::task::spawn_blocking(move || {
                use isacx_server::db::schema::digests;
                db.read(|c| Ok(digests::table.count().get_result::<i64>(c)?))
            })
            .await
            .unwrap()
            .unwrap() as usize
        };
        // Generous: the loop ends as soon as every mail is out, and a loaded CI machine is slow.
        for _ in 0..600 {
            if digest_mail_rows(&courier).await.len() >= issued {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;

        let db = courier.db.clone();
        let (digests, runs) = tokio::task::spawn_blocking(move || {
            use isacx_server::db::schema::{digests, job_runs};
            db.read(|c| {
                let d = digests::table
                    .select((digests::id, digests::period, digests::period_start, digests::scope))
                    .load::<(String, String, chrono::NaiveDateTime, String)>(c)?;
                let r = job_runs::table
                    .filter(job_runs::job.like("digest_%"))
                    .select((job_runs::job, job_runs::tick, job_runs::outcome))
                    .load::<(String, chrono::NaiveDateTime, Option<String>)>(c)?;
                Ok((d, r))
            })
        })
        .await
        .unwrap()
        .unwrap();
        for period in ["daily", "weekly"] {
            let ticks: Vec<_> = runs.iter().filter(|r| r.0 == format!("digest_{period}") && r.2.as_deref() == Some("ok")).map(|r| r.1).collect();
            let distinct: BTreeSet<_> = ticks.iter().collect();
            assert_eq!(distinct.len(), ticks.len(), "no {period} tick ran twice: {runs:?}");
            let stored: Vec<_> = digests.iter().filter(|d| d.1 == period).collect();
            assert!(!stored.is_empty(), "{period} digests were issued");
            assert_eq!(stored.len(), ticks.len(), "one {period} digest per tick, for the one scope: {stored:?} {ticks:?}");
            let keys: BTreeSet<_> = stored.iter().map(|d| (d.2, d.3.clone())).collect();
            assert_eq!(keys.len(), stored.len());
        }
        let rows = digest_mail_rows(&courier).await;
        let mails = smtp.received();
        let ids: Vec<String> = mails.iter().map(message_id).collect();
        let distinct: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "no mail sent twice");
        assert_eq!(rows.len(), digests.len(), "one mail per digest (one liaison): {rows:?}");
        let mailed: BTreeSet<&String> = rows.values().map(|(object, _)| object).collect();
        assert_eq!(mailed.len(), digests.len(), "every digest mailed, none twice");
        assert_eq!(ids.len(), rows.len(), "every delivery arrived once");
        courier.stop().await;
    }
}

/// Digests whose tick passed while no server ran are issued when a server
/// starts (`jobs.digest_catch_up_periods`), each once and mailed once; a
/// second server starting later issues nothing more.
#[tokio::test]
async fn digests_missed_while_no_server_ran_are_issued_once_at_start() {
    use chrono::{Datelike, Duration as Span, NaiveTime, Weekday};
    for backend in backends() {
        let smtp = SmtpListener::start().unwrap();
        let port = smtp.addr.port();
        let mut first = TestApp::builder(backend).settings(move |s| smtp_settings(s, port)).start().await.unwrap();
        let admin = first.admin_token().await.unwrap();
        let org = first.create_organisation(&admin, json!({ "name": { "ja": "経済産業省", "en": "METI" }, "sectors": ["electricity"] })).await.unwrap();
        user(&first, &admin, "meti", Role::Liaison, Some(org.id), "en").await;
        first.halt().await;

        // The default schedule (22:00 UTC daily, Sunday 22:00 weekly): its recent ticks passed while nothing ran.
        let catching_up = move |s: &mut Settings| {
            smtp_settings(s, port);
            s.jobs.digest_daily = "0 0 22 * * *".to_owned();
            s.jobs.digest_weekly = "0 0 22 * * Sun".to_owned();
            s.jobs.digest_catch_up_periods = 2;
        };
        let started = Utc::now();
        let mut second = TestApp::builder(backend).settings(catching_up).sharing_database_of(&first).start().await.unwrap();
        let stored = |app: &TestApp| {
            let db = app.db.clone();
            async move {
                tokio::task::spawn_blocking(move || {
                    use isacx_server::db::schema::digests;
                    db.read(|c| {
                        Ok(digests::table
                            .select((digests::period, digests::period_end))
                            .order((digests::period.asc(), digests::period_end.asc()))
                            .load::<(String, chrono::NaiveDateTime)>(c)?)
                    })
                })
                .await
                .unwrap()
                .unwrap()
            }
        };
        for _ in 0..200 {
            if stored(&second).await.len() >= 4 && digest_mail_rows(&second).await.len() >= 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let at_22 = NaiveTime::from_hms_opt(22, 0, 0).unwrap();
        let last_daily = {
            let today = started.date_naive().and_time(at_22);
            if today <= started.naive_utc() { today } else { today - Span::days(1) }
        };
        let last_weekly = {
            let mut day = last_daily;
            while day.weekday() != Weekday::Sun {
                day -= Span::days(1);
            }
            day
        };
        let expected = vec![
            ("daily".to_owned(), last_daily - Span::days(1)),
            ("daily".to_owned(), last_daily),
            ("weekly".to_owned(), last_weekly - Span::days(7)),
            ("weekly".to_owned(), last_weekly),
        ];
        assert_eq!(stored(&second).await, expected, "the two most recent periods of each schedule, issued at start");
        assert_eq!(digest_mail_rows(&second).await.len(), 4, "each digest mailed to the one liaison");
        second.halt().await;

        // Another start finds them all issued.
        let third = TestApp::builder(backend).settings(catching_up).sharing_database_of(&first).start().await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(stored(&third).await, expected, "nothing issued twice");
        assert_eq!(digest_mail_rows_in(&third, false).await.len(), 4, "no second mail");
        let ids: Vec<String> = smtp.received().iter().map(message_id).collect();
        let distinct: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "no mail sent twice");
        third.stop().await;
    }
}
