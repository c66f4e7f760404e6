//! Issue 8, interop: we pull from the OASIS reference TAXII 2.1 server,
//! medallion (PyPI, from the venv of `tests/python/ensure-venv.sh`), started
//! here on a loopback port with a memory-backend data file and HTTP Basic
//! users. The peer is registered with Basic credentials and plain HTTP (which
//! is allowed only for loopback hosts); a sync stores what the policy lets
//! in, members read it per TLP, and a second sync fetches nothing new.
//!
//! Needs python3. Without it the test says it is skipped, except under
//! CI=true where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use isacx_schemas::api::{self, Role};
use isacx_schemas::taxii::TAXII_MEDIA_TYPE;
use isacx_server::db::schema::stix_objects;
use isacx_tests::python::oasis_python;
use isacx_tests::{backends, TestApp, USER_PASSWORD};
use serde_json::{json, Value};

const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
const COLLECTION: &str = "365fed99-08fa-fdcd-a1b3-fb247eb41d01";
const MEDALLION_USER: &str = "isac-puller";
const MEDALLION_PASSWORD: &str = "medallion-password-for-tests";

fn indicator(n: u32, marking: Option<&str>) -> Value {
    let mut o = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{}", uuid::Uuid::new_v4()),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("C2 server {n}"),
        "pattern": format!("[ipv4-addr:value = '203.0.113.{n}']"),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
    });
    if let Some(m) = marking {
        o["object_marking_refs"] = json!([m]);
    }
    o
}

/// medallion on a loopback port, stopped when dropped.
struct Medallion {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Medallion {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Start medallion serving `objects` in one collection (two objects a page,
/// so a sync pages through it), Basic users only.
async fn medallion(python: &Path, objects: &[Value], client: &reqwest::Client) -> Medallion {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let started = chrono::Utc::now();
    let manifest: Vec<Value> = objects
        .iter()
        .enumerate()
        .map(|(k, o)| {
            json!({
                "id": o["id"],
                "date_added": (started + chrono::Duration::milliseconds(k as i64)).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
                "version": o["modified"],
                "media_type": "application/stix+json;version=2.1",
            })
        })
        .collect();
    let data = json!({
        "/discovery": { "title": "medallion (interop test)", "default": format!("{base}/trustgroup1/"), "api_roots": [format!("{base}/trustgroup1/")] },
        "trustgroup1": {
            "information": { "title": "trust group 1", "versions": ["application/taxii+json;version=2.1"], "max_content_length": 10_485_760 },
            "status": [],
            "collections": [{
                "id": COLLECTION, "title": "indicators", "can_read": true, "can_write": false,
                "media_types": ["application/stix+json;version=2.1"],
                "objects": objects, "manifest": manifest,
            }],
        },
    });
    let data_file = dir.path().join("data.json");
    std::fs::write(&data_file, data.to_string()).unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        json!({
            "backend": { "module": "medallion.backends.memory_backend", "module_class": "MemoryBackend", "filename": data_file },
            "users": { MEDALLION_USER: MEDALLION_PASSWORD },
            "taxii": { "max_page_size": 2 },
        })
        .to_string(),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("medallion.log")).unwrap();
    let child = Command::new(python)
        .args(["-m", "medallion.scripts.run", "--host", "127.0.0.1", "--port", &port.to_string(), "--log-level", "WARN"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start medallion");
    let mut server = Medallion { child, port, _dir: dir };
    // Up when discovery answers an authenticated request.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = client
            .get(format!("{base}/taxii2/"))
            .basic_auth(MEDALLION_USER, Some(MEDALLION_PASSWORD))
            .header("accept", TAXII_MEDIA_TYPE)
            .send()
            .await;
        if r.is_ok_and(|r| r.status() == 200) {
            return server;
        }
        let log = std::fs::read_to_string(server._dir.path().join("medallion.log")).unwrap_or_default();
        let exited = server.child.try_wait().unwrap();
        assert!(exited.is_none() && Instant::now() < deadline, "medallion did not start on port {port} ({exited:?}):\n{log}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn admin_post(app: &TestApp, admin: &str, path: &str, body: Value) -> (u16, Value) {
    app.post_json(admin, path, body).await.unwrap()
}

fn stored_ids(app: &TestApp) -> Vec<String> {
    app.db
        .read(|conn| Ok(stix_objects::table.select(stix_objects::object_id).order(stix_objects::object_id.asc()).load(conn)?))
        .unwrap()
}

/// Ids `username` (a new operator of a `sector` organisation) reads from all-sectors.
async fn member_reads(app: &TestApp, admin: &str, username: &str, sector: &str) -> Vec<String> {
    let org = app
        .create_organisation(admin, json!({ "name": { "ja": format!("{username}株式会社"), "en": format!("{username} Corp") }, "sectors": [sector] }))
        .await
        .unwrap();
    app.create_user(admin, username, Role::Operator, Some(org.id)).await.unwrap();
    let r = app
        .client
        .get(app.url("/taxii2/api/collections/all-sectors/objects/?limit=1000"))
        .basic_auth(username, Some(USER_PASSWORD))
        .header("accept", TAXII_MEDIA_TYPE)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["objects"].as_array().cloned().unwrap_or_default().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect()
}

fn peer_body(port: u16, password: &str) -> Value {
    json!({
        "name": format!("medallion-{password}"), "server_id": "medallion-reference",
        "api_root": format!("http://127.0.0.1:{port}/trustgroup1/"), "direction": "pull",
        "collections": [COLLECTION],
        "basic_username": MEDALLION_USER, "basic_password": password, "allow_insecure_http": true,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_pull_from_the_oasis_reference_server_medallion() {
    let Some(python) = oasis_python("federation_medallion").unwrap() else { return };
    let python: PathBuf = python;
    let green = indicator(1, Some(GREEN));
    let amber = indicator(2, Some(AMBER));
    let unmarked = indicator(3, None);
    let red = indicator(4, Some(RED));
    let objects = vec![green.clone(), amber.clone(), unmarked.clone(), red.clone()];
    let id = |o: &Value| o["id"].as_str().unwrap().to_owned();

    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let medallion = medallion(&python, &objects, &app.client).await;
        let admin = app.admin_token().await.unwrap();

        // Plain HTTP is refused unless asked for, and then only on loopback.
        let mut no_flag = peer_body(medallion.port, MEDALLION_PASSWORD);
        no_flag["allow_insecure_http"] = json!(false);
        let (status, problem) = admin_post(&app, &admin, "/api/v1/admin/peers", no_flag).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "api_root", "{problem}");
        let mut remote = peer_body(medallion.port, MEDALLION_PASSWORD);
        remote["api_root"] = json!("http://taxii.example.org/trustgroup1/");
        let (status, problem) = admin_post(&app, &admin, "/api/v1/admin/peers", remote).await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("loopback"), "{problem}");
        let mut half = peer_body(medallion.port, MEDALLION_PASSWORD);
        half["basic_password"] = json!("");
        let (status, _) = admin_post(&app, &admin, "/api/v1/admin/peers", half).await;
        assert_eq!(status, 422, "a Basic user name without a password");

        // A wrong password: medallion says 401, the sync says so.
        let (status, wrong) = admin_post(&app, &admin, "/api/v1/admin/peers", peer_body(medallion.port, "not-the-password")).await;
        assert_eq!(status, 201, "{wrong}");
        let report: api::SyncReport = {
            let (status, body) = admin_post(&app, &admin, &format!("/api/v1/admin/peers/{}/sync", wrong["id"].as_str().unwrap()), json!({})).await;
            assert_eq!(status, 200, "{body}");
            serde_json::from_value(body).unwrap()
        };
        assert!(report.error.as_deref().is_some_and(|e| e.contains("401")), "{report:?}");

        let (status, peer) = admin_post(&app, &admin, "/api/v1/admin/peers", peer_body(medallion.port, MEDALLION_PASSWORD)).await;
        assert_eq!(status, 201, "{peer}");
        assert_eq!((peer["basic_username"].as_str(), peer["has_basic_password"].as_bool(), peer["allow_insecure_http"].as_bool()), (Some(MEDALLION_USER), Some(true), Some(true)));
        assert!(peer.get("basic_password").is_none(), "the password is never shown back: {peer}");
        let sync_path = format!("/api/v1/admin/peers/{}/sync", peer["id"].as_str().unwrap());

        let (status, first) = admin_post(&app, &admin, &sync_path, json!({})).await;
        assert_eq!(status, 200, "{first}");
        let first: api::SyncReport = serde_json::from_value(first).unwrap();
        assert_eq!((first.received, first.refused, first.error.clone()), (3, 1, None), "RED never comes in: {first:?}");
        let mut expected = vec![id(&green), id(&amber), id(&unmarked)];
        expected.sort();
        assert_eq!(stored_ids(&app), expected, "stored once each, RED not at all");
        // Provenance names medallion as the origin.
        let body: String = app
            .db
            .read({
                let green = id(&green);
                move |conn| Ok(stix_objects::table.filter(stix_objects::object_id.eq(&green)).select(stix_objects::body).first(conn)?)
            })
            .unwrap();
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["extensions"][isacx_server::federation::provenance::PROVENANCE_EXTENSION_ID]["origin"], "medallion-reference");

        // Members read them per policy: GREEN, AMBER (no scope named: all
        // sectors) and the unmarked one at the default TLP (AMBER).
        let seen = member_reads(&app, &admin, "kita-denryoku", "electricity").await;
        for o in [&green, &amber, &unmarked] {
            assert!(seen.contains(&id(o)), "{seen:?}");
        }
        assert!(!seen.contains(&id(&red)));
        let liaison_org = app.create_organisation(&admin, json!({ "name": { "ja": "所管省庁", "en": "Ministry" }, "sectors": [] })).await.unwrap();
        app.create_user(&admin, "liaison", Role::Liaison, Some(liaison_org.id)).await.unwrap();
        let r = app
            .client
            .get(app.url("/taxii2/api/collections/all-sectors/objects/?limit=1000"))
            .basic_auth("liaison", Some(USER_PASSWORD))
            .header("accept", TAXII_MEDIA_TYPE)
            .send()
            .await
            .unwrap();
        let liaison: Value = r.json().await.unwrap();
        let liaison: Vec<&str> = liaison["objects"].as_array().map(|a| a.iter().map(|o| o["id"].as_str().unwrap()).collect()).unwrap_or_default();
        assert_eq!(liaison, vec![id(&green).as_str()], "a liaison sees GREEN, not AMBER it is not named for");

        // A second sync fetches nothing new: the cursor holds.
        let (status, second) = admin_post(&app, &admin, &sync_path, json!({})).await;
        assert_eq!(status, 200, "{second}");
        let second: api::SyncReport = serde_json::from_value(second).unwrap();
        assert_eq!((second.received, second.duplicates, second.refused, second.error.clone()), (0, 0, 0, None), "{second:?}");
        assert_eq!(stored_ids(&app).len(), 3);
        app.stop().await;
        drop(medallion);
    }
}
