//! `isacx peers status` — the real binary against real servers on both
//! backends: a server pulling from a live peer and from one that is down
//! shows, per peer, the last success, the lag, the consecutive failures, the
//! next retry and the last error, in English and Japanese and as JSON; a
//! non-admin is refused with the permission exit code. `isacx peers sync`
//! syncs one peer now and says what moved, or why it failed.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use isacx_schemas::api::Role;
use isacx_schemas::taxii::TAXII_MEDIA_TYPE;
use isacx_tests::cli::Cli;
use isacx_tests::{backends, TestApp};
use serde_json::{json, Value};

async fn admin_post(app: &TestApp, admin: &str, path: &str, body: Value) -> Value {
    let (status, body) = app.post_json(admin, path, body).await.unwrap();
    assert!((200..300).contains(&status), "{path}: {status} {body}");
    body
}

fn server(backend: isacx_tests::Backend, server_id: &'static str) -> isacx_tests::TestAppBuilder {
    TestApp::builder(backend).settings(move |s| {
        s.identity.server_id = server_id.to_owned();
        // Long enough that the retry time is still ahead when the CLI shows it.
        s.federation.retry_base_secs = 300;
    })
}

/// Publish one TLP:GREEN indicator on `app` over TAXII.
async fn post_green(app: &TestApp, token: &str, ip: &str) {
    let r = app
        .client
        .post(app.url("/taxii2/api/collections/all-sectors/objects/"))
        .bearer_auth(token)
        .header("accept", TAXII_MEDIA_TYPE)
        .header("content-type", TAXII_MEDIA_TYPE)
        .body(
            json!({ "objects": [{
                "type": "indicator", "spec_version": "2.1", "id": format!("indicator--{}", uuid::Uuid::new_v4()),
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "pattern": format!("[ipv4-addr:value = '{ip}']"), "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
                "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
            }] })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
}

/// The row of the table that names `peer`, split into cells.
fn row<'a>(table: &'a str, peer: &str) -> Vec<&'a str> {
    let line = table
        .lines()
        .find(|l| l.split(['│', '┆']).any(|c| c.trim() == peer))
        .unwrap_or_else(|| panic!("no row for {peer}:\n{table}"));
    line.split(['│', '┆']).map(str::trim).filter(|c| !c.is_empty()).collect()
}

#[tokio::test]
async fn peers_status_shows_last_success_lag_and_last_error_and_sync_runs_one_now() {
    for backend in backends() {
        let source = server(backend, "elec-isac").start().await.unwrap();
        let app = server(backend, "fin-isac").start().await.unwrap();
        let (sa, admin) = (source.admin_token().await.unwrap(), app.admin_token().await.unwrap());

        // A GREEN indicator to pull.
        post_green(&source, &sa, "198.51.100.9").await;

        // elec-isac is up; down-isac listens nowhere.
        let issued = admin_post(
            &source,
            &sa,
            "/api/v1/admin/peers",
            json!({ "name": "fin-isac", "server_id": "fin-isac", "api_root": "https://fin.example/taxii2/api/", "direction": "push", "max_tlp": "green" }),
        )
        .await;
        let up = admin_post(
            &app,
            &admin,
            "/api/v1/admin/peers",
            json!({ "name": "elec-isac", "server_id": "elec-isac", "api_root": source.url("/taxii2/api/"), "direction": "pull",
                    "token": issued["inbound_token"], "ca_file": source.ca_pem.display().to_string(), "schedule": "0 */5 * * * *" }),
        )
        .await;
        let dead_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let down = admin_post(
            &app,
            &admin,
            "/api/v1/admin/peers",
            json!({ "name": "down-isac", "server_id": "down-isac", "api_root": format!("https://localhost:{dead_port}/taxii2/api/"), "direction": "pull" }),
        )
        .await;
        for peer in [&up, &down] {
            admin_post(&app, &admin, &format!("/api/v1/admin/peers/{}/sync", peer["id"].as_str().unwrap()), json!({})).await;
        }

        app.create_user(&admin, "ops-admin", Role::Admin, None).await.unwrap();
        let ops = Cli::new();
        ops.login(&app, "ops-admin");

        // English table.
        let run = ops.run(&["--lang", "en", "peers", "status"]);
        run.expect(0);
        let table = &run.stdout;
        for header in ["Peer", "Last success", "Lag", "Failures", "Next attempt", "Received", "Last error"] {
            assert!(table.contains(header), "{header}:\n{table}");
        }
        let elec = row(table, "elec-isac");
        assert!(elec.iter().any(|c| c.contains("+00:00")), "a last success time: {elec:?}\n{table}");
        assert!(
            elec.iter().any(|c| c.len() >= 2 && c.ends_with(['s', 'm']) && c[..c.len() - 1].parse::<u32>().is_ok()),
            "a lag: {elec:?}"
        );
        assert!(elec.contains(&"0 */5 * * * *") && elec.contains(&"0"), "schedule and no failures: {elec:?}");
        assert!(elec.contains(&"1"), "one object received: {elec:?}");
        let dead = row(table, "down-isac");
        assert!(dead.contains(&"1"), "one failure: {dead:?}");
        assert_eq!(dead.iter().filter(|c| **c == "-").count(), 3, "no schedule, no last success, no lag: {dead:?}\n{table}");
        assert!(table.to_lowercase().contains("refused"), "the last error says why:\n{table}");

        // Japanese.
        let run = ops.run(&["--lang", "ja", "peers", "status"]);
        run.expect(0);
        for header in ["最終成功", "遅延", "連続失敗", "次回再試行", "最新のエラー"] {
            assert!(run.stdout.contains(header), "{header}:\n{}", run.stdout);
        }
        assert!(run.stdout.contains("elec-isac") && run.stdout.contains("down-isac"));

        // JSON for scripts: the server's records.
        let run = ops.run(&["--json", "peers", "status"]);
        run.expect(0);
        let statuses = run.json();
        let by_name = |name: &str| statuses.as_array().unwrap().iter().find(|s| s["name"] == name).cloned().unwrap();
        let elec = by_name("elec-isac");
        assert!(elec["last_success_at"].is_string() && elec.get("last_error").is_none(), "{elec}");
        assert!(elec["lag_seconds"].as_i64().is_some_and(|l| (0..600).contains(&l)), "{elec}");
        assert_eq!(elec["objects_received"], 1);
        let dead = by_name("down-isac");
        assert!(dead.get("last_success_at").is_none() && dead.get("lag_seconds").is_none(), "{dead}");
        assert_eq!(dead["consecutive_failures"], 1);
        assert!(dead["next_attempt_at"].is_string(), "{dead}");
        assert!(dead["last_error"].as_str().unwrap().to_lowercase().contains("refused"), "{dead}");

        // Sync now, by name or id: what moved, in either language; a dead peer or an unknown name fails.
        post_green(&source, &sa, "198.51.100.10").await;
        let run = ops.run(&["--lang", "en", "peers", "sync", "elec-isac"]);
        run.expect(0);
        assert!(run.stdout.contains("Synced with `elec-isac`: received 1 new, 0 already stored, 0 refused"), "{run:?}");
        let run = ops.run(&["--lang", "ja", "peers", "sync", up["id"].as_str().unwrap()]);
        run.expect(0);
        assert!(run.stdout.contains("同期しました: 新規受信 0 件"), "nothing new the second time: {run:?}");
        let run = ops.run(&["--json", "peers", "sync", "elec-isac"]);
        run.expect(0);
        assert_eq!(run.json()["received"], 0);
        let run = ops.run(&["--lang", "en", "peers", "sync", "down-isac"]);
        run.expect(1);
        assert!(run.stderr.contains("The sync with `down-isac` failed") && run.stderr.to_lowercase().contains("refused"), "{run:?}");
        let run = ops.run(&["--json", "peers", "sync", "down-isac"]);
        run.expect(1);
        assert_eq!(run.json()["error"]["code"], "peer_sync_failed");
        let run = ops.run(&["--lang", "ja", "peers", "sync", "no-such-isac"]);
        run.expect(5);
        assert!(run.stderr.contains("`no-such-isac` という名前のピアはありません"), "{run:?}");

        // Members may not see the federation's state.
        let org = app.create_organisation(&admin, json!({ "name": { "ja": "北電", "en": "Hokuden" }, "sectors": ["electricity"] })).await.unwrap();
        app.create_user(&admin, "operator", Role::Operator, Some(org.id)).await.unwrap();
        let member = Cli::new();
        member.login(&app, "operator");
        let run = member.run(&["peers", "status"]);
        run.expect(4);
        let run = member.run(&["peers", "sync", "elec-isac"]);
        run.expect(4);

        app.stop().await;
        source.stop().await;
    }
}
