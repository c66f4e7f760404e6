//! `isacx indicators pull|push` — the real binary against the real server:
//! every output format with exact content, the cursor (a second pull gets
//! only what is new), --since, resuming after the client is killed mid-pull,
//! push from a bundle and from CSV, and each bad input with its exit code.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use isacx_schemas::api::Role;
use isacx_schemas::taxii::TAXII_MEDIA_TYPE;
use isacx_tests::{backends, Backend, TestApp, USER_PASSWORD};
use serde_json::{json, Value};

const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const EPOCH: &str = "2000-01-01T00:00:00Z";

struct Cli {
    exe: PathBuf,
    dir: tempfile::TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

impl Cli {
    fn new() -> Cli {
        Cli { exe: isacx_tests::binary("isacx").unwrap(), dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn state(&self) -> PathBuf {
        self.path("isacx/state.toml")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("--config").arg(self.path("isacx/config.toml")).args(args);
        for k in ["ISACX_PROFILE", "ISACX_SERVER", "ISACX_CA_FILE", "ISACX_CONFIG", "LC_ALL", "LC_MESSAGES", "LANG"] {
            cmd.env_remove(k);
        }
        cmd.env("HOME", self.dir.path()).env("TZ", "UTC");
        cmd
    }

    fn run_in(&self, args: &[&str], stdin: Option<&str>) -> Run {
        use std::io::Write;
        let mut cmd = self.command(args);
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_in(args, None)
    }

    fn login(&self, app: &TestApp, ca: &Path, user: &str) {
        let run = self.run_in(
            &["--server", &app.base_url, "--ca-file", ca.to_str().unwrap(), "login", "-u", user, "--password-stdin"],
            Some(&format!("{USER_PASSWORD}\n")),
        );
        assert_eq!(run.code, 0, "{run:?}");
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

async fn analyst(app: &TestApp, name: &str) {
    let admin = app.admin_token().await.unwrap();
    app.create_user(&admin, name, Role::Analyst, None).await.unwrap();
}

async fn operator(app: &TestApp, name: &str) {
    let admin = app.admin_token().await.unwrap();
    let org = app
        .create_organisation(&admin, json!({ "name": { "ja": "東都電力株式会社", "en": "Toto Electric Power" }, "sectors": ["electricity"] }))
        .await
        .unwrap();
    app.create_user(&admin, name, Role::Operator, Some(org.id)).await.unwrap();
}

/// Publishes as an analyst over TAXII with Basic auth, as `taxii.rs` does.
async fn publish(app: &TestApp, user: &str, objects: &[Value]) {
    for chunk in objects.chunks(500) {
        let r = app
            .client
            .post(app.url("/taxii2/api/collections/all-sectors/objects/"))
            .basic_auth(user, Some(USER_PASSWORD))
            .header("accept", TAXII_MEDIA_TYPE)
            .header("content-type", TAXII_MEDIA_TYPE)
            .body(json!({ "objects": chunk }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let st: Value = r.json().await.unwrap();
        assert_eq!(st["failure_count"], 0, "{st}");
    }
}

fn indicator(pattern: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{}", uuid::Uuid::new_v4()),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        "labels": ["phishing"],
        "object_marking_refs": [GREEN]
    })
}

fn ids(objects: &[Value]) -> Vec<String> {
    objects.iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect()
}

fn jsonl(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Indicators and observables of every kind a list format takes, plus what
/// the lists must leave out: a revoked and an expired indicator, an AND
/// pattern, an identity, a repeated value.
fn first_set() -> (Vec<Value>, Vec<Value>) {
    let ip = indicator("[ipv4-addr:value = '198.51.100.1']");
    let ip6 = indicator("[ipv6-addr:value = '2001:db8::7' OR ipv4-addr:value = '198.51.100.1']");
    let domain = indicator("[domain-name:value = 'Evil.Example']");
    let url = indicator("[url:value = 'http://evil.example/a']");
    let hash = indicator("[file:hashes.'SHA-256' = 'AA11223344556677889900AABBCCDDEEFF00112233445566778899AABBCCDDEE']");
    let mut revoked = indicator("[ipv4-addr:value = '198.51.100.99']");
    revoked["revoked"] = json!(true);
    let mut expired = indicator("[ipv4-addr:value = '198.51.100.98']");
    expired["valid_until"] = json!("2026-01-02T00:00:00Z");
    let and = indicator("[ipv4-addr:value = '198.51.100.50' AND ipv4-addr:value = '198.51.100.51']");
    let sco = json!({ "type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--826fe3cb-56b0-5620-9d30-4c17ed7b24e3", "value": "203.0.113.5", "object_marking_refs": [GREEN] });
    let identity = json!({ "type": "identity", "spec_version": "2.1", "id": format!("identity--{}", uuid::Uuid::new_v4()),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "name": "ISAC", "identity_class": "organization",
        "object_marking_refs": [GREEN] });
    let all = vec![ip, ip6, domain, url, hash, revoked, expired.clone(), and, sco, identity];
    // What the server serves: everything but the expired indicator.
    let served = all.iter().filter(|o| o["id"] != expired["id"]).cloned().collect();
    (all, served)
}

#[tokio::test]
async fn pull_formats_cursor_and_since() {
    for backend in backends() {
        let cli = Cli::new();
        let app = TestApp::spawn(backend).await.unwrap();
        analyst(&app, "analyst").await;
        cli.login(&app, &app.ca_pem, "analyst");
        let (all, served) = first_set();
        publish(&app, "analyst", &all).await;

        // The first pull starts at the beginning: JSON lines, exact objects in order.
        let run = cli.run(&["indicators", "pull", "--format", "jsonl", "-o", cli.path("a.jsonl").to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stderr.contains("Pulled 9 object(s) in 1 page(s) from `all-sectors`"), "{run:?}");
        let pulled = jsonl(&cli.read("a.jsonl"));
        assert_eq!(ids(&pulled), ids(&served));
        assert_eq!(pulled[0]["pattern"], served[0]["pattern"]);
        let state = std::fs::read_to_string(cli.state()).unwrap();
        assert!(state.contains("[profiles.default.collections.all-sectors]"), "{state}");

        // Nothing new: the second pull writes an empty bundle and keeps the cursor.
        let run = cli.run(&["indicators", "pull"]);
        assert_eq!(run.code, 0, "{run:?}");
        let bundle: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(bundle["objects"], json!([]));
        assert!(run.stderr.contains("Nothing new"), "{run:?}");
        assert_eq!(std::fs::read_to_string(cli.state()).unwrap(), state);

        // Only what was added since comes next, in pages.
        let second: Vec<Value> = (0..25).map(|n| indicator(&format!("[ipv4-addr:value = '192.0.2.{n}']"))).collect();
        publish(&app, "analyst", &second).await;
        let run = cli.run(&["--json", "indicators", "pull", "--format", "jsonl", "--limit", "10", "-o", cli.path("b.jsonl").to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(ids(&jsonl(&cli.read("b.jsonl"))), ids(&second));
        let summary = run.json();
        assert_eq!((summary["objects"].as_u64(), summary["pages"].as_u64()), (Some(25), Some(3)));

        // --since ignores the cursor: a STIX bundle of everything.
        let run = cli.run(&["indicators", "pull", "--since", EPOCH, "--format", "stix"]);
        assert_eq!(run.code, 0, "{run:?}");
        let bundle: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(bundle["type"], "bundle");
        assert!(uuid::Uuid::parse_str(bundle["id"].as_str().unwrap().strip_prefix("bundle--").unwrap()).is_ok());
        let every: Vec<Value> = served.iter().chain(second.iter()).cloned().collect();
        assert_eq!(ids(bundle["objects"].as_array().unwrap()), ids(&every));
        // --since a time after everything: nothing.
        let run = cli.run(&["indicators", "pull", "--since", "2999-01-01T00:00:00Z", "--format", "jsonl"]);
        assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run:?}");

        // Plain lists, one value per line, no repeats, nothing revoked, expired or ANDed.
        let list = |format: &str| {
            let run = cli.run(&["indicators", "pull", "--since", EPOCH, "--format", format, "--type", "indicator,ipv4-addr,identity", "--limit", "3"]);
            assert_eq!(run.code, 0, "{run:?}");
            run.stdout
        };
        let second_ips: String = (0..25).map(|n| format!("192.0.2.{n}\n")).collect();
        assert_eq!(list("ip"), format!("198.51.100.1\n2001:db8::7\n203.0.113.5\n{second_ips}"));
        assert_eq!(list("domain"), "evil.example\n");
        assert_eq!(list("url"), "http://evil.example/a\n");
        assert_eq!(list("hash"), "aa11223344556677889900aabbccddeeff00112233445566778899aabbccddee\n");

        // CSV: a header and one row per indicator or observable.
        let run = cli.run(&["indicators", "pull", "--since", EPOCH, "--format", "csv", "--type", "indicator,ipv4-addr"]);
        assert_eq!(run.code, 0, "{run:?}");
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines[0], "id,type,pattern_or_value,valid_from,valid_until,labels,tlp");
        assert_eq!(lines.len(), 1 + 8 + 25, "{}", run.stdout);
        let first = &pulled[0];
        assert_eq!(
            lines[1],
            format!("{},indicator,[ipv4-addr:value = '198.51.100.1'],{},,phishing,TLP:GREEN", first["id"].as_str().unwrap(), first["valid_from"].as_str().unwrap())
        );
        assert_eq!(lines[8], "ipv4-addr--826fe3cb-56b0-5620-9d30-4c17ed7b24e3,ipv4-addr,203.0.113.5,,,,TLP:GREEN");

        // --type filters on the server.
        let run = cli.run(&["indicators", "pull", "--since", EPOCH, "--format", "jsonl", "--type", "identity"]);
        assert_eq!(jsonl(&run.stdout).len(), 1, "{run:?}");
        app.stop().await;
    }
}

/// Waits until `ready` holds or the child ends; true when it was ready.
fn wait_for(child: &mut Child, ready: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if ready() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

#[tokio::test]
async fn interrupted_pull_resumes_without_gaps_or_duplicates() {
    let cli = Cli::new();
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    analyst(&app, "analyst").await;
    cli.login(&app, &app.ca_pem, "analyst");
    let objects: Vec<Value> = (0..1500).map(|n| indicator(&format!("[ipv4-addr:value = '10.{}.{}.{}']", n / 65536, (n / 256) % 256, n % 256))).collect();
    publish(&app, "analyst", &objects).await;
    let expected = ids(&objects);

    // To a file: killed mid-way, nothing is left behind and the cursor stays.
    let out = cli.path("pull").join("all.jsonl");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let mut child = cli
        .command(&["indicators", "pull", "--format", "jsonl", "--limit", "5", "-o", out.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let dir = out.parent().unwrap().to_path_buf();
    let temp_has_data = || {
        std::fs::read_dir(&dir).unwrap().flatten().any(|e| e.file_name().to_string_lossy().ends_with(".tmp") && e.metadata().is_ok_and(|m| m.len() > 0))
    };
    assert!(wait_for(&mut child, temp_has_data), "the pull ended before it could be interrupted");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.exists(), "a partial file was left");
    assert!(!cli.state().exists() || !std::fs::read_to_string(cli.state()).unwrap().contains("all-sectors"));
    let run = cli.run(&["indicators", "pull", "--format", "jsonl", "--limit", "50", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(ids(&jsonl(&std::fs::read_to_string(&out).unwrap())), expected);

    // To standard output: each flushed page moves the cursor, so the next
    // pull continues where the killed one stopped.
    let more: Vec<Value> = (0..600).map(|n| indicator(&format!("[ipv4-addr:value = '172.16.{}.{}']", n / 256, n % 256))).collect();
    publish(&app, "analyst", &more).await;
    let first_out = cli.path("first.jsonl");
    let mut child = cli
        .command(&["indicators", "pull", "--format", "jsonl", "--limit", "5"])
        .stdout(std::fs::File::create(&first_out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = || std::fs::read_to_string(&first_out).unwrap_or_default().lines().count();
    assert!(wait_for(&mut child, || lines() >= 100), "the pull ended before it could be interrupted");
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&first_out).unwrap();
    // Whole lines only (a kill may cut the last one short).
    let got_first: Vec<String> = text.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).map(|o| o["id"].as_str().unwrap().to_owned()).collect();
    assert!(got_first.len() < more.len(), "killed too late");
    let run = cli.run(&["indicators", "pull", "--format", "jsonl", "--limit", "5"]);
    assert_eq!(run.code, 0, "{run:?}");
    let got_second = ids(&jsonl(&run.stdout));
    // No gap: together they are every object, in order. A page may repeat
    // only if the kill fell between its flush and the cursor's save.
    let mut seen = HashMap::new();
    for id in got_first.iter().chain(got_second.iter()) {
        *seen.entry(id.clone()).or_insert(0) += 1;
    }
    assert_eq!(seen.keys().cloned().collect::<BTreeSet<_>>(), ids(&more).into_iter().collect::<BTreeSet<_>>());
    let repeated = seen.values().filter(|n| **n > 1).count();
    assert!(repeated <= 5, "{repeated} objects repeated");
    let overlap = got_first.len() + got_second.len() - more.len();
    assert_eq!(overlap, repeated);
    app.stop().await;
}

#[tokio::test]
async fn push_bundle_and_csv_then_pull_them_back() {
    for backend in backends() {
        let cli = Cli::new();
        let app = TestApp::spawn(backend).await.unwrap();
        analyst(&app, "analyst").await;
        cli.login(&app, &app.ca_pem, "analyst");

        std::fs::write(cli.path("list.csv"), "type,value,tlp\nipv4,198.51.100.20\ndomain,Bad.Example,amber\nsha256,00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\nurl,https://bad.example/x\n").unwrap();
        let run = cli.run(&["--json", "indicators", "push", cli.path("list.csv").to_str().unwrap(), "--tlp", "green"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!((run.json()["total"].as_u64(), run.json()["success"].as_u64(), run.json()["failure"].as_u64()), (Some(4), Some(4), Some(0)));

        let bundle = json!({ "type": "bundle", "id": format!("bundle--{}", uuid::Uuid::new_v4()), "objects": [
            indicator("[ipv4-addr:value = '198.51.100.21']"),
            indicator("[domain-name:value = 'other.example']"),
        ]});
        std::fs::write(cli.path("bundle.json"), bundle.to_string()).unwrap();
        let run = cli.run(&["indicators", "push", cli.path("bundle.json").to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout.trim(), "Pushed 2 of 2 object(s) to `all-sectors`.");

        let run = cli.run(&["indicators", "pull", "--format", "csv"]);
        assert_eq!(run.code, 0, "{run:?}");
        let rows: Vec<Vec<String>> = run.stdout.lines().skip(1).map(|l| l.split(',').map(str::to_owned).collect()).collect();
        let got: Vec<(&str, &str)> = rows.iter().map(|r| (r[2].as_str(), r[6].as_str())).collect();
        assert_eq!(
            got,
            [
                ("[ipv4-addr:value = '198.51.100.20']", "TLP:GREEN"),
                ("[domain-name:value = 'bad.example']", "TLP:AMBER"),
                ("[file:hashes.'SHA-256' = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff']", "TLP:GREEN"),
                ("[url:value = 'https://bad.example/x']", "TLP:GREEN"),
                ("[ipv4-addr:value = '198.51.100.21']", "TLP:GREEN"),
                ("[domain-name:value = 'other.example']", "TLP:GREEN"),
            ]
        );
        let run = cli.run(&["indicators", "pull", "--since", EPOCH, "--format", "domain"]);
        assert_eq!(run.stdout, "bad.example\nother.example\n", "{run:?}");
        // Pushing the same bundle again is harmless.
        let run = cli.run(&["indicators", "push", cli.path("bundle.json").to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn bad_inputs_say_what_and_exit_with_the_documented_code() {
    let cli = Cli::new();
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    analyst(&app, "analyst").await;
    operator(&app, "operator1").await;
    let ca = cli.path("ca.pem");
    std::fs::copy(&app.ca_pem, &ca).unwrap();
    cli.login(&app, &ca, "analyst");

    // A file that is not there.
    let run = cli.run(&["indicators", "push", cli.path("nope.csv").to_str().unwrap()]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("Could not read") && run.stderr.contains("nope.csv"), "{run:?}");

    // A bad CSV row: nothing is sent, the line is named.
    std::fs::write(cli.path("bad.csv"), "ipv4,198.51.100.1\nipv4,999.1.1.1\nfoo,bar\n").unwrap();
    let run = cli.run(&["indicators", "push", cli.path("bad.csv").to_str().unwrap()]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("line 2: \"999.1.1.1\" is not an IPv4 address"), "{run:?}");
    assert!(run.stderr.contains("line 3: unknown type \"foo\""), "{run:?}");
    assert!(run.stderr.contains("Nothing was sent"), "{run:?}");
    let run = cli.run(&["--json", "--lang", "ja", "indicators", "push", cli.path("bad.csv").to_str().unwrap()]);
    assert_eq!(run.code, 6);
    assert_eq!(run.json()["error"]["code"], "input_invalid");
    assert_eq!(run.json()["error"]["details"].as_array().unwrap().len(), 2);
    assert!(run.stderr.contains("正しくありません"), "{run:?}");

    // Invalid STIX.
    let mut broken = indicator("[ipv4-addr:value = ");
    broken["valid_from"] = json!("yesterday");
    std::fs::write(cli.path("bad.json"), json!({ "type": "bundle", "id": "bundle--6a8e2b4c-1c5e-4a5e-9f5c-2b7f6c2b1a10", "objects": [broken] }).to_string()).unwrap();
    let run = cli.run(&["indicators", "push", cli.path("bad.json").to_str().unwrap()]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("objects[0]."), "{run:?}");
    std::fs::write(cli.path("notjson.json"), "{\"type\": \"bundle\",").unwrap();
    let run = cli.run(&["indicators", "push", cli.path("notjson.json").to_str().unwrap()]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("not JSON"), "{run:?}");

    // Bad flags are usage errors.
    assert_eq!(cli.run(&["indicators", "pull", "--since", "yesterday"]).code, 2);
    assert_eq!(cli.run(&["indicators", "pull", "--format", "xml"]).code, 2);
    assert_eq!(cli.run(&["indicators", "pull", "--collection", "../admin"]).code, 2);

    // An unknown collection, and an output file that cannot be written.
    let run = cli.run(&["indicators", "pull", "--collection", "no-such"]);
    assert_eq!(run.code, 5, "{run:?}");
    let run = cli.run(&["indicators", "pull", "-o", cli.path("missing-dir/x.json").to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("Could not write"), "{run:?}");

    // An operator may pull, but what it posts goes to intake as a report:
    // loose indicators are refused, and nothing reaches the shared store.
    let op = Cli::new();
    op.login(&app, &ca, "operator1");
    std::fs::write(op.path("ok.csv"), "ipv4,198.51.100.1\n").unwrap();
    let run = op.run(&["indicators", "push", op.path("ok.csv").to_str().unwrap()]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("not an isacx incident report"), "{run:?}");
    assert_eq!(op.run(&["indicators", "pull", "--format", "ip"]).code, 0);

    // Not logged in, and an expired session.
    let nobody = Cli::new();
    let run = nobody.run(&["--server", &app.base_url, "--ca-file", ca.to_str().unwrap(), "indicators", "pull"]);
    assert_eq!(run.code, 3, "{run:?}");
    let creds = op.path("isacx/credentials.toml");
    let text = std::fs::read_to_string(&creds).unwrap();
    let line = text.lines().find(|l| l.starts_with("secret = ")).unwrap();
    let token = line.trim_start_matches("secret = ").trim_matches('"').to_owned();
    std::fs::write(&creds, text.replace(&token, &expired_copy_of(&app, &token))).unwrap();
    let run = op.run(&["indicators", "pull"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("Your session has expired."), "{run:?}");

    // Server down: exit 7, and the cursor does not move.
    let run = cli.run(&["indicators", "pull", "--format", "ip"]);
    assert_eq!(run.code, 0, "{run:?}");
    let state = std::fs::read_to_string(cli.state()).unwrap_or_default();
    let base_url = app.base_url.clone();
    app.stop().await;
    let run = cli.run(&["indicators", "pull"]);
    assert_eq!(run.code, 7, "{run:?}");
    assert!(run.stderr.contains(&format!("Is the server running at {base_url}?")), "{run:?}");
    assert_eq!(std::fs::read_to_string(cli.state()).unwrap_or_default(), state);
    let run = cli.run(&["indicators", "push", cli.path("list.csv").to_str().unwrap()]);
    assert_eq!(run.code, 6, "a missing file is found before the server is asked: {run:?}");
}

/// A token the server itself signed, but whose expiry has passed.
fn expired_copy_of(app: &TestApp, token: &str) -> String {
    use base64::Engine;
    let secret: String = app
        .db
        .read(|conn| {
            use diesel::prelude::*;
            use isacx_server::db::schema::server_secrets;
            Ok(server_secrets::table.filter(server_secrets::name.eq("jwt_hs256")).select(server_secrets::value).first(conn)?)
        })
        .unwrap();
    let key = base64::engine::general_purpose::STANDARD.decode(secret).unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let mut claims: Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["iat"] = json!(1);
    claims["exp"] = json!(1000);
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &jsonwebtoken::EncodingKey::from_secret(&key)).unwrap()
}
