//! The `isacx-server` binary as a newcomer runs it: first start on SQLite
//! creates its CA, admin bootstrap through the CLI, JSON logs with request
//! ids, and a graceful stop on SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use isacx_tests::{binary, client_trusting};

#[tokio::test]
async fn first_start_bootstrap_json_logs_and_sigterm() {
    let server = binary("isacx-server").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let envs = [
        ("ISACX_SERVER_STORAGE__DATABASE_URL", format!("sqlite://{}/isacx.db", dir.path().display())),
        ("ISACX_SERVER_STORAGE__DATA_DIR", dir.path().join("data").display().to_string()),
        ("ISACX_SERVER_HTTP__BIND", "127.0.0.1:0".to_owned()),
        ("ISACX_SERVER_LOG__FORMAT", "json".to_owned()),
    ];

    let mut admin = Command::new(&server).args(["admin", "create-admin", "--username", "admin"]).envs(envs.clone()).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    admin.stdin.take().unwrap().write_all(b"a-long-admin-password\n").unwrap();
    let out = admin.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("created admin `admin`"));

    // A short password is refused with the field named, and nothing is created.
    let mut weak = Command::new(&server).args(["admin", "create-admin", "--username", "admin2"]).envs(envs.clone()).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    weak.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = weak.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"), "{}", String::from_utf8_lossy(&out.stderr));

    let mut child = Command::new(&server).arg("serve").envs(envs.clone()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let mut port = None;
    while port.is_none() {
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("server printed nothing");
        if let Some(rest) = line.strip_prefix("isacx-server listening on https://127.0.0.1:") {
            port = rest.split_whitespace().next().and_then(|p| p.parse::<u16>().ok());
        }
        lines.push(line);
    }
    let ca = dir.path().join("data/tls/ca.pem");
    assert!(lines.iter().any(|l| l.contains("--ca-file") && l.contains("ca.pem")), "{lines:?}");
    let client = client_trusting(&ca).unwrap();
    let base = format!("https://localhost:{}", port.unwrap());
    let ready: serde_json::Value = client.get(format!("{base}/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["database"], "sqlite");
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .header("x-request-id", "walkthrough-1")
        .json(&serde_json::json!({ "username": "admin", "password": "a-long-admin-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["x-request-id"], "walkthrough-1");

    // SIGTERM: drain and exit cleanly.
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "server exited with {exit}");
    lines.extend(rx.try_iter());
    // JSON logs: every tracing line parses, and the request's lines carry its id.
    let json_lines: Vec<serde_json::Value> = lines.iter().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(json_lines.iter().any(|l| l.to_string().contains("walkthrough-1") && l["message"] == "served"), "{lines:#?}");
    // The password never reaches the logs.
    assert!(!lines.iter().any(|l| l.contains("a-long-admin-password")));
}
