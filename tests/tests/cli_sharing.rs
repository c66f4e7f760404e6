//! Issue 5's "done when", through the real `isacx` and the real server on
//! both backends: an operator submits a Japanese report full of identifying
//! details; an analyst reviews and publishes it at GREEN; an operator of
//! another sector pulls in every format and finds no trace of the submitter
//! while every attacker indicator is intact; a second report published at
//! AMBER to one sector reaches nobody outside it. And an analyst (or
//! operator) of another server is refused by this server's intake and review.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use isacx_schemas::api::{self, Role};
use isacx_schemas::error::ProblemDetails;
use isacx_tests::cli::Cli;
use isacx_tests::reports::{fixture, member, member_with};
use isacx_tests::{backends, TestApp, USER_PASSWORD};
use serde_json::{json, Value};

const EPOCH: &str = "2000-01-01T00:00:00Z";
const FORMATS: [&str; 7] = ["stix", "jsonl", "csv", "ip", "domain", "url", "hash"];
const SHA256: &str = "5f2b8a6d0c1e9f3a7b4c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a";

fn indicator(pattern: &str, name: Option<&str>) -> Value {
    let mut i = json!({
        "type": "indicator", "spec_version": "2.1", "id": format!("indicator--{}", uuid::Uuid::new_v4()),
        "created": "2026-11-20T03:00:00.000Z", "modified": "2026-11-20T03:00:00.000Z",
        "indicator_types": ["malicious-activity"], "pattern": pattern, "pattern_type": "stix",
        "valid_from": "2026-11-20T01:00:00.000Z"
    });
    if let Some(n) = name {
        i["name"] = json!(n);
    }
    i
}

/// The attacker's indicators: these must arrive exactly as submitted.
fn attacker_patterns() -> Vec<String> {
    vec![
        "[ipv4-addr:value = '198.51.100.7']".to_owned(),
        "[ipv4-addr:value = '203.0.113.0/24']".to_owned(),
        "[domain-name:value = 'evil-c2.example']".to_owned(),
        "[url:value = 'http://evil-c2.example/payload.bin']".to_owned(),
        format!("[file:hashes.'SHA-256' = '{SHA256}']"),
    ]
}

/// A Japanese report whose every free-text field names the submitter in
/// several forms, with its hosts, internal addresses, staff, e-mails and phones.
fn identifying_report() -> Value {
    let mut r = fixture();
    r["tlp"] = json!("green");
    r["title"] = json!("東都通信におけるDDoS攻撃によるTOTO-NET接続サービスの停止");
    r["affected_service"] = json!("TOTO-NET 光インターネット接続サービス(東都通信)");
    r["description"] = json!(
        "東都通信株式会社(略称: 東都通信、英文社名 Toto Tsushin Co., Ltd.、ブランド名 TOTO-NET、通称 トウトツウシン)の\
         インターネット接続サービスで障害が発生。(株)東都通信の社内監視サーバ 10.20.3.4 と認証基盤 172.16.40.12 が、\
         攻撃元 198.51.100.7 と C2 サーバ evil-c2.example(http://evil-c2.example/payload.bin)からの通信を検知した。\
         社内ポータル https://portal.toto-tsushin.example/login、メールサーバ mail.toto-tsushin.example、\
         VPN 装置 vpn.toto-net.example にも不審なアクセスがあった。\
         情報システム部の山田太郎様と佐藤課長が対応中。連絡先: yamada@toto-tsushin.example、soc-team@toto-net.example、\
         担当者の個人アドレス taro.yamada@freemail.example、\
         電話 03-1234-5678、携帯 090-8765-4321。"
    );
    r["follow_up_contact"] = json!({
        "name": "山田 太郎", "organization": "東都通信株式会社 セキュリティ統括部",
        "email": "yamada@toto-tsushin.example", "phone": "03-1234-5678"
    });
    let patterns = attacker_patterns();
    r["indicators"] = json!([
        indicator(&patterns[0], Some("東都通信の監視で検知した攻撃元")),
        indicator(&patterns[1], None),
        indicator(&patterns[2], Some("C2 ドメイン")),
        indicator(&patterns[3], None),
        indicator(&patterns[4], Some("ペイロード")),
        // Victim side: the member's own monitor and mail host.
        indicator("[ipv4-addr:value = '10.20.3.4']", Some("社内監視サーバ")),
        indicator("[domain-name:value = 'mail.toto-tsushin.example']", None),
    ]);
    r
}

/// Everything that would identify the submitter, in every form it took.
fn submitter_traces(report: &Value, org: &api::Organisation, server_id: &str) -> Vec<String> {
    let mut t: Vec<String> = [
        "東都通信",
        "東都",
        "toto",
        "トウトツウシン",
        "toto-tsushin",
        "toto-net",
        "portal.",
        "mail.toto",
        "vpn.",
        "10.20.3.4",
        "172.16.40.12",
        "yamada",
        "soc-team",
        "03-1234-5678",
        "090-8765-4321",
        "8765-4321",
        "1234-5678",
        "山田",
        "太郎",
        "佐藤",
        "セキュリティ統括部",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    t.push(org.id.to_string());
    t.push(server_id.to_owned());
    t.push(report["id"].as_str().unwrap().to_owned());
    for i in report["indicators"].as_array().unwrap() {
        // The submitter's own STIX ids would link back to the raw report.
        t.push(
            i["id"]
                .as_str()
                .unwrap()
                .trim_start_matches("indicator--")
                .to_owned(),
        );
    }
    t
}

fn assert_no_trace(what: &str, text: &str, traces: &[String]) {
    let lower = text.to_lowercase();
    for trace in traces {
        assert!(
            !lower.contains(&trace.to_lowercase()),
            "{trace:?} reached the other member in {what}:\n{text}"
        );
    }
}

fn pull(cli: &Cli, format: &str, collection: &str) -> isacx_tests::cli::Run {
    cli.run(&[
        "indicators",
        "pull",
        "--format",
        format,
        "--since",
        EPOCH,
        "--collection",
        collection,
    ])
}

#[tokio::test]
async fn published_reports_carry_no_trace_of_the_submitter() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let (_, toto_org) = member_with(
            &app,
            &admin,
            "toto",
            json!({
                "name": { "ja": "東都通信株式会社", "en": "Toto Tsushin Co., Ltd." },
                "aliases": ["東都通信", "TOTO-NET", "トウトツウシン"],
                "domains": ["toto-tsushin.example", "toto-net.example"],
                "sectors": ["information_communications"],
                "internal_ranges": ["10.20.0.0/16", "172.16.40.0/24"]
            }),
        )
        .await;
        member(
            &app,
            &admin,
            "nishi",
            "西日本回線株式会社",
            "nishi.example",
            "information_communications",
        )
        .await;
        member(
            &app,
            &admin,
            "bank",
            "中央銀行株式会社",
            "chuo-bank.example",
            "finance",
        )
        .await;
        app.create_user(&admin, "analyst", Role::Analyst, None)
            .await
            .unwrap();
        let (toto, nishi, bank, analyst) = (Cli::new(), Cli::new(), Cli::new(), Cli::new());
        toto.login(&app, "toto");
        nishi.login(&app, "nishi");
        bank.login(&app, "bank");
        analyst.login(&app, "analyst");

        // The operator submits the Japanese report.
        let report = identifying_report();
        let file = toto.write(
            "report.json",
            &serde_json::to_string_pretty(&report).unwrap(),
        );
        let run = toto.run(&["--lang", "ja", "--json", "report", "submit", &file]);
        run.expect(0);
        let id = run.json()["id"].as_str().unwrap().to_owned();
        let traces = submitter_traces(&report, &toto_org, &id);

        // The analyst reviews it: raw and sanitised side by side, each redaction with its rule.
        let review = analyst.run(&["review", "show", &id]);
        review.expect(0);
        for rule in [
            "member_name",
            "member_alias",
            "member_domain",
            "internal_address",
            "email_address",
            "phone_number",
            "personal_name",
            "contact_removed",
        ] {
            assert!(
                review.stdout.contains(rule),
                "no {rule} redaction shown:\n{}",
                review.stdout
            );
        }
        let detail = analyst.run(&["--json", "review", "show", &id]).json();
        assert_no_trace(
            "the sanitised preview",
            &detail["sanitised"].to_string(),
            &traces,
        );
        analyst
            .run(&["review", "publish", &id, "--tlp", "green"])
            .expect(0);

        // An operator of another sector pulls: every format, every object, every field.
        let mut stix = None;
        for format in FORMATS {
            let run = pull(&bank, format, "all-sectors");
            run.expect(0);
            assert_no_trace(&format!("--format {format}"), &run.stdout, &traces);
            if format == "stix" {
                stix = Some(run.json());
            }
            let expected: &[&str] = match format {
                "ip" => &["198.51.100.7", "203.0.113.0/24"],
                "domain" => &["evil-c2.example"],
                "url" => &["http://evil-c2.example/payload.bin"],
                "hash" => &[SHA256],
                _ => &["198.51.100.7", "evil-c2.example", SHA256],
            };
            for value in expected {
                assert!(
                    run.stdout.to_lowercase().contains(value),
                    "{value} missing from --format {format}:\n{}",
                    run.stdout
                );
            }
        }
        let bundle = stix.unwrap();
        let objects = bundle["objects"].as_array().unwrap();
        let patterns: Vec<&str> = objects
            .iter()
            .filter(|o| o["type"] == "indicator")
            .filter_map(|o| o["pattern"].as_str())
            .collect();
        let mut want = attacker_patterns();
        want.sort();
        let mut got: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        got.sort();
        assert_eq!(
            got, want,
            "exactly the attacker's indicators, intact; the victim's own dropped"
        );
        for kind in ["incident", "report", "identity", "relationship"] {
            assert!(
                objects.iter().any(|o| o["type"] == kind),
                "no {kind} shared: {bundle}"
            );
        }
        let body = objects.iter().find(|o| o["type"] == "identity").unwrap()["id"].clone();
        for o in objects.iter().filter(|o| o.get("created_by_ref").is_some()) {
            assert_eq!(
                o["created_by_ref"], body,
                "authored by the sharing body: {o}"
            );
        }
        let incident = objects.iter().find(|o| o["type"] == "incident").unwrap();
        assert!(
            incident["description"]
                .as_str()
                .unwrap()
                .contains("198.51.100.7"),
            "the attacker stays in the text: {incident}"
        );

        // A second report, AMBER and scoped to telecom: nothing of it reaches finance.
        let mut second = fixture();
        second["title"] = json!("第二波の攻撃について");
        second["description"] =
            json!("第二波の攻撃を 198.51.100.200 と second-wave.example から検知。");
        second["indicators"] = json!([
            indicator("[ipv4-addr:value = '198.51.100.200']", None),
            indicator("[domain-name:value = 'second-wave.example']", None),
        ]);
        let run = toto.run(&[
            "--json",
            "report",
            "submit",
            &toto.write("second.json", &second.to_string()),
        ]);
        run.expect(0);
        let second_id = run.json()["id"].as_str().unwrap().to_owned();
        analyst.run(&["review", "show", &second_id]).expect(0);
        analyst
            .run(&[
                "review",
                "publish",
                &second_id,
                "--tlp",
                "amber",
                "--sectors",
                "information_communications",
            ])
            .expect(0);
        let second_marks = ["198.51.100.200", "second-wave", "第二波"];
        for format in FORMATS {
            for collection in ["all-sectors", "sector-finance"] {
                let run = pull(&bank, format, collection);
                for mark in second_marks {
                    assert!(
                        !run.stdout.contains(mark),
                        "{mark} reached finance via {collection} --format {format}: {run:?}"
                    );
                }
            }
            let run = pull(&bank, format, "sector-information_communications");
            assert!(
                second_marks.iter().all(|m| !run.stdout.contains(m)),
                "{run:?}"
            );
        }
        // The scope is real: the other telecom member receives it, and no trace of the submitter with it.
        let run = pull(&nishi, "stix", "all-sectors");
        run.expect(0);
        assert!(
            run.stdout.contains("198.51.100.200") && run.stdout.contains("second-wave.example"),
            "{run:?}"
        );
        assert_no_trace(
            "the in-sector pull",
            &run.stdout,
            &submitter_traces(&second, &toto_org, &second_id),
        );
        assert_no_trace("the in-sector pull", &run.stdout, &traces);
        app.stop().await;
    }
}

/// `method` on `path` with the given credential header, on a connection of
/// its own: the server may close a connection after refusing a request whose
/// body it did not read, and a pooled client would then reuse a dead socket.
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    auth: (&str, &str),
    body: Option<Value>,
) -> reqwest::Response {
    let client = isacx_tests::client_trusting(&app.ca_pem).unwrap();
    let mut req = client.request(method, app.url(path)).header(auth.0, auth.1);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn api_key(app: &TestApp, admin: &str, user: &api::User, role: Role) -> String {
    let r = app
        .client
        .post(app.url("/api/v1/admin/api-keys"))
        .bearer_auth(admin)
        .json(&json!({ "user_id": user.id, "role": role, "label": "other-server" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<api::CreatedApiKey>().await.unwrap().secret
}

#[tokio::test]
async fn credentials_of_another_server_are_refused() {
    for backend in backends() {
        let a = TestApp::spawn(backend).await.unwrap();
        let b = TestApp::builder(backend)
            .settings(|s| s.identity.server_id = "isacx-b".to_owned())
            .start()
            .await
            .unwrap();
        // The same people exist on both servers, with the same passwords.
        let mut users = Vec::new();
        for app in [&a, &b] {
            let admin = app.admin_token().await.unwrap();
            let (token, org) = member(
                app,
                &admin,
                "toto",
                "東都通信株式会社",
                "toto-tsushin.example",
                "information_communications",
            )
            .await;
            let analyst = app
                .create_user(&admin, "analyst", Role::Analyst, None)
                .await
                .unwrap();
            users.push((admin, token, org, analyst));
        }
        let (a_operator, a_analyst) = (
            users[0].1.clone(),
            a.login("analyst", USER_PASSWORD).await.unwrap(),
        );
        let (b_admin, b_operator) = (users[1].0.clone(), users[1].1.clone());
        let b_analyst = b.login("analyst", USER_PASSWORD).await.unwrap();
        let b_operator_user: Vec<api::User> = b
            .client
            .get(b.url("/api/v1/admin/users"))
            .bearer_auth(&b_admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let b_operator_user = b_operator_user
            .into_iter()
            .find(|u| u.username == "toto")
            .unwrap();
        let b_operator_key = api_key(&b, &b_admin, &b_operator_user, Role::Operator).await;
        let b_analyst_key = api_key(&b, &b_admin, &users[1].3, Role::Analyst).await;

        // A report on A, for the review endpoints to aim at.
        let r = a
            .client
            .post(a.url("/api/v1/reports"))
            .bearer_auth(&a_operator)
            .json(&fixture())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let receipt: api::ReportReceipt = r.json().await.unwrap();
        let id = receipt.id;

        let bearer_operator = format!("Bearer {b_operator}");
        let bearer_analyst = format!("Bearer {b_analyst}");
        let credentials = [
            ("authorization", bearer_operator.as_str()),
            ("authorization", bearer_analyst.as_str()),
            ("x-api-key", b_operator_key.as_str()),
            ("x-api-key", b_analyst_key.as_str()),
        ];
        use reqwest::Method;
        let mut new_report = fixture();
        new_report["title"] = json!("他サーバーの資格情報で送った報告");
        let requests = [
            (
                Method::POST,
                "/api/v1/reports".to_owned(),
                Some(new_report.clone()),
            ),
            (Method::GET, "/api/v1/reports".to_owned(), None),
            (Method::GET, format!("/api/v1/reports/{id}"), None),
            (
                Method::PUT,
                format!("/api/v1/reports/{id}"),
                Some(new_report.clone()),
            ),
            (Method::POST, format!("/api/v1/reports/{id}/withdraw"), None),
            (Method::GET, "/api/v1/review".to_owned(), None),
            (Method::GET, format!("/api/v1/review/{id}"), None),
            (
                Method::PUT,
                format!("/api/v1/review/{id}/sanitised"),
                Some(new_report.clone()),
            ),
            (
                Method::POST,
                format!("/api/v1/review/{id}/publish"),
                Some(json!({ "tlp": "amber" })),
            ),
            (
                Method::POST,
                format!("/api/v1/review/{id}/reject"),
                Some(json!({ "reason": "不要" })),
            ),
        ];
        for auth in credentials {
            for (method, path, body) in &requests {
                let r = call(&a, method.clone(), path, auth, body.clone()).await;
                assert_eq!(r.status(), 401, "{method} {path} with B's {}", auth.0);
                let ct = r
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                assert!(
                    ct.starts_with("application/problem+json"),
                    "{method} {path}: {ct}"
                );
                let problem: ProblemDetails = r.json().await.unwrap();
                assert_eq!(problem.status, 401, "{problem:?}");
            }
        }
        // The same through the CLI: B's API key stored in a profile for A.
        let cli = Cli::new();
        std::fs::copy(&a.ca_pem, cli.path("ca.pem")).unwrap();
        let add = cli.run_in(
            &[
                "--server",
                &a.base_url,
                "--ca-file",
                &cli.arg("ca.pem"),
                "profile",
                "add",
                "a",
                "--api-key-stdin",
            ],
            Some(&format!("{b_analyst_key}\n")),
        );
        add.expect(0);
        let run = cli.run(&["review", "list"]);
        run.expect(3);
        assert!(run.stderr.contains("API key"), "{run:?}");
        cli.run(&["review", "publish", &id.to_string(), "--tlp", "amber"])
            .expect(3);
        cli.run(&["review", "reject", &id.to_string(), "--reason", "不要"])
            .expect(3);
        let add = cli.run_in(
            &[
                "--server",
                &a.base_url,
                "--ca-file",
                &cli.arg("ca.pem"),
                "profile",
                "add",
                "a",
                "--force",
                "--api-key-stdin",
            ],
            Some(&format!("{b_operator_key}\n")),
        );
        add.expect(0);
        let file = cli.write("r.json", &new_report.to_string());
        let run = cli.run(&["--json", "report", "submit", &file]);
        run.expect(3);
        assert_eq!(run.json()["error"]["problem"]["status"], 401, "{run:?}");

        // Nothing was stored or changed on A: one report, untouched, nothing shared.
        let fresh = isacx_tests::client_trusting(&a.ca_pem).unwrap();
        let listed: Vec<api::ReportSummary> = fresh
            .get(a.url("/api/v1/reports"))
            .bearer_auth(&a_operator)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(
            (listed[0].id, listed[0].state, listed[0].revision),
            (id, api::ReportState::Received, 1)
        );
        let queue: Vec<api::ReportSummary> = fresh
            .get(a.url("/api/v1/review"))
            .bearer_auth(&a_analyst)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(queue.len(), 1);
        let reports_on_a: i64 =
            a.db.read(|conn| {
                use diesel::prelude::*;
                Ok(isacx_server::db::schema::reports::table
                    .count()
                    .get_result(conn)?)
            })
            .unwrap();
        assert_eq!(reports_on_a, 1);
        let verdict = a.db.read(isacx_server::audit::verify).unwrap();
        assert!(matches!(
            verdict,
            isacx_server::audit::Verification::Intact { .. }
        ));
        a.stop().await;
        b.stop().await;
    }
}
