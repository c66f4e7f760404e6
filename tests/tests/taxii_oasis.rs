//! Issue 4: the OASIS TAXII 2.1 client (`taxii2-client`) works against our
//! server over TLS: discovery, collections, POST with status, paging 10,000
//! objects with `next` and with `added_after`, every `match` filter,
//! manifest, versions, single objects and DELETE — and every object it
//! receives passes the OASIS `stix2-validator`. The checks themselves are in
//! `tests/python/taxii_interop.py`; this test starts the server on each
//! backend and runs the script with the venv's python.
//!
//! Needs python3 (the venv comes from `tests/python/ensure-venv.sh`). Without
//! python3 the test says it is skipped, except under CI=true where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::process::Command;
use std::time::Instant;

use isacx_schemas::api::Role;
use isacx_tests::python::{oasis_python, python_dir};
use isacx_tests::{backends, TestApp, ADMIN_PASSWORD, USER_PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oasis_client_interoperates() {
    let Some(python) = oasis_python("taxii_oasis").unwrap() else { return };
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        app.create_user(&admin, "interop-analyst", Role::Analyst, None).await.unwrap();

        let started = Instant::now();
        // The script blocks: run it off the runtime so the in-process server keeps serving.
        let (url, ca) = (app.base_url.clone(), app.ca_pem.clone());
        let python = python.clone();
        // 10,000 as issue 4 asks; a smaller count only to iterate on the script.
        let count = std::env::var("ISACX_TAXII_INTEROP_COUNT").unwrap_or_else(|_| "10000".to_owned());
        let output = tokio::task::spawn_blocking(move || {
            Command::new(&python)
                .arg(python_dir().join("taxii_interop.py"))
                .args(["--url", &url])
                .arg("--ca")
                .arg(&ca)
                .args(["--user", "interop-analyst", "--password", USER_PASSWORD])
                .args(["--admin-user", "admin", "--admin-password", ADMIN_PASSWORD])
                .args(["--count", &count])
                .env("REQUESTS_CA_BUNDLE", &ca)
                .env("PYTHONUNBUFFERED", "1")
                .output()
        })
        .await
        .unwrap()
        .expect("run taxii_interop.py");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "taxii_interop.py failed on {backend:?} ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            output.status
        );
        assert!(stdout.contains("ok: all checks passed"), "taxii_interop.py ended early on {backend:?}:\n{stdout}\n{stderr}");
        println!("{backend:?} ({:.0} s):\n{stdout}", started.elapsed().as_secs_f64());
        app.stop().await;
    }
}
