//! End-to-end test harness: the real server on a loopback port over TLS,
//! against a temporary SQLite file or a fresh PostgreSQL schema.
//!
//! PostgreSQL tests run when `ISACX_TEST_POSTGRES_URL` is set (CI sets it);
//! otherwise they are reported as skipped on the terminal, once per process.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use isacx_schemas::api::{self, Role};
use isacx_server::app::AppState;
use isacx_server::audit::Actor;
use isacx_server::config::Settings;
use isacx_server::db::Database;
use isacx_server::members;

pub mod cli;
pub mod python;
pub mod reports;
pub mod smtp;
pub mod webhook;

pub const POSTGRES_ENV: &str = "ISACX_TEST_POSTGRES_URL";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const USER_PASSWORD: &str = "user-password-for-tests";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Bypass the test harness's output capture so a skip is seen, not buried.
pub fn notice(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// SQLite always; PostgreSQL when its URL is configured.
pub fn backends() -> Vec<Backend> {
    static NOTICE: OnceLock<()> = OnceLock::new();
    if std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty()) {
        vec![Backend::Sqlite, Backend::Postgres]
    } else {
        NOTICE.get_or_init(|| {
            notice(&format!("NOTE: PostgreSQL variants of the storage tests were SKIPPED: {POSTGRES_ENV} is not set"));
        });
        vec![Backend::Sqlite]
    }
}

/// A PostgreSQL schema of its own for one test, dropped afterwards.
pub struct PgSchema {
    base_url: String,
    pub name: String,
    pub url: String,
}

impl PgSchema {
    pub fn create() -> anyhow::Result<PgSchema> {
        let base_url = std::env::var(POSTGRES_ENV).context("PostgreSQL URL")?;
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = diesel::PgConnection::establish(&base_url)?;
        conn.batch_execute(&format!("CREATE SCHEMA {name}"))?;
        let separator = if base_url.contains('?') { '&' } else { '?' };
        let url = format!("{base_url}{separator}options=-csearch_path%3D{name}");
        Ok(PgSchema { base_url, name, url })
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.base_url) {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

/// Settings for a test server in `dir` on `backend`: loopback, port 0, TLS on.
pub fn test_settings(dir: &Path, database_url: &str) -> Settings {
    let mut settings = Settings::default();
    settings.http.bind = "127.0.0.1:0".to_owned();
    settings.http.workers = 2;
    settings.storage.database_url = database_url.to_owned();
    settings.storage.data_dir = dir.join("data").to_string_lossy().into_owned();
    settings.storage.pool_size = 4;
    settings.auth.login_attempts_per_minute = 10_000;
    // A fresh test database has no missed digests; the digest tests turn catching up on where they test it.
    settings.jobs.digest_catch_up_periods = 0;
    settings
}

pub struct TestApp {
    pub backend: Backend,
    pub base_url: String,
    pub ca_pem: PathBuf,
    pub db: Database,
    pub database_url: String,
    pub settings: Settings,
    pub client: reqwest::Client,
    /// The server's id among servers sharing its database (holder of claims and job leases).
    pub instance_id: String,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    _pg: Option<PgSchema>,
    pub dir: tempfile::TempDir,
}

/// A change to the settings, applied before the server starts.
type SettingsTweak = Box<dyn FnOnce(&mut Settings)>;

pub struct TestAppBuilder {
    backend: Backend,
    tweak: Vec<SettingsTweak>,
    shared_database: Option<String>,
}

impl TestAppBuilder {
    /// Run on another test server's database (several servers sharing one database).
    pub fn sharing_database_of(mut self, other: &TestApp) -> Self {
        self.shared_database = Some(other.database_url.clone());
        self
    }

    pub fn settings(mut self, f: impl FnOnce(&mut Settings) + 'static) -> Self {
        self.tweak.push(Box::new(f));
        self
    }

    pub async fn start(self) -> anyhow::Result<TestApp> {
        let dir = tempfile::tempdir()?;
        let shared = self.shared_database.is_some();
        let (database_url, pg) = match (self.backend, self.shared_database) {
            (_, Some(url)) => (url, None),
            (Backend::Sqlite, None) => (format!("sqlite://{}", dir.path().join("isacx.db").display()), None),
            (Backend::Postgres, None) => {
                let schema = PgSchema::create()?;
                (schema.url.clone(), Some(schema))
            }
        };
        let mut settings = test_settings(dir.path(), &database_url);
        for f in self.tweak {
            f(&mut settings);
        }
        // Server logs only when asked for (`RUST_LOG=error cargo test …`), to read a failure's cause.
        if std::env::var_os("RUST_LOG").is_some() {
            isacx_server::telemetry::init(&settings.log);
        }
        let state = AppState::init(settings.clone())?;
        let db = state.db.clone();
        let instance_id = state.instance_id.clone();
        // A server joining another's database finds the admin there already.
        if !shared {
            members::create_user(
                &db,
                &state.member_rules(),
                &Actor::system("test"),
                api::NewUser {
                    username: "admin".to_owned(),
                    display_name: Some("Test Admin".to_owned()),
                    email: Some("admin@isac.test".to_owned()),
                    password: ADMIN_PASSWORD.to_owned(),
                    role: Role::Admin,
                    organisation_id: None,
                    locale: None,
                },
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let (addr, handle, thread) = serve(state)?;
        let ca_pem = PathBuf::from(&settings.storage.data_dir).join("tls/ca.pem");
        let client = client_trusting(&ca_pem)?;
        Ok(TestApp {
            backend: self.backend,
            base_url: format!("https://localhost:{}", addr.port()),
            ca_pem,
            db,
            database_url,
            settings,
            client,
            instance_id,
            handle,
            thread: Some(thread),
            _pg: pg,
            dir,
        })
    }
}

/// Run the server built from `state` on its own thread and actix system.
type Served = (std::net::SocketAddr, actix_web::dev::ServerHandle, std::thread::JoinHandle<()>);

fn serve(state: AppState) -> anyhow::Result<Served> {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            match isacx_server::app::start(state) {
                Ok(running) => {
                    let _ = tx.send(Ok((running.addr, running.handle.clone())));
                    let _ = running.server.await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
    });
    let (addr, handle) = rx.recv().context("server thread ended")??;
    Ok((addr, handle, thread))
}

/// A reqwest client that trusts exactly the given CA file.
pub fn client_trusting(ca_pem: &Path) -> anyhow::Result<reqwest::Client> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_file_iter(ca_pem)? {
        roots.add(cert?)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // The server closes a connection idle for 5 s (actix's keep-alive); a
    // pooled connection reused just then fails with IncompleteMessage, so the
    // client lets idle connections go well before that.
    Ok(reqwest::Client::builder().use_preconfigured_tls(config).pool_idle_timeout(std::time::Duration::from_secs(2)).build()?)
}

impl TestApp {
    pub fn builder(backend: Backend) -> TestAppBuilder {
        TestAppBuilder { backend, tweak: Vec::new(), shared_database: None }
    }

    pub async fn spawn(backend: Backend) -> anyhow::Result<TestApp> {
        Self::builder(backend).start().await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Log in and return the bearer token.
    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let response = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await?;
        anyhow::ensure!(response.status() == 200, "login as {username} failed: {}", response.text().await?);
        let body: api::LoginResponse = response.json().await?;
        Ok(body.token)
    }

    /// POST `body` as JSON with a bearer token; the status and the JSON answer (null if none).
    pub async fn post_json(&self, token: &str, path: &str, body: serde_json::Value) -> anyhow::Result<(u16, serde_json::Value)> {
        let r = self.client.post(self.url(path)).bearer_auth(token).json(&body).send().await?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(serde_json::Value::Null)))
    }

    pub async fn admin_token(&self) -> anyhow::Result<String> {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// Create an organisation through the admin API and return it.
    pub async fn create_organisation(&self, admin: &str, new: serde_json::Value) -> anyhow::Result<api::Organisation> {
        let response = self.client.post(self.url("/api/v1/admin/organisations")).bearer_auth(admin).json(&new).send().await?;
        anyhow::ensure!(response.status() == 201, "create organisation: {}", response.text().await?);
        Ok(response.json().await?)
    }

    /// Create a user through the admin API (password [`USER_PASSWORD`]) and return it.
    pub async fn create_user(&self, admin: &str, username: &str, role: Role, organisation_id: Option<uuid::Uuid>) -> anyhow::Result<api::User> {
        let response = self
            .client
            .post(self.url("/api/v1/admin/users"))
            .bearer_auth(admin)
            .json(&serde_json::json!({
                "username": username, "password": USER_PASSWORD, "role": role, "organisation_id": organisation_id
            }))
            .send()
            .await?;
        anyhow::ensure!(response.status() == 201, "create user: {}", response.text().await?);
        Ok(response.json().await?)
    }

    /// Stop the server and start it again on the same port, database and data
    /// directory (what a restarted peer looks like from outside).
    pub async fn restart(mut self) -> anyhow::Result<TestApp> {
        self.halt().await;
        self.start_again().await
    }

    /// Stop the server but keep its database and directory (another server may
    /// share them), to start it again with [`TestApp::start_again`].
    pub async fn halt(&mut self) {
        self.handle.stop(true).await;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Start a server stopped with [`TestApp::halt`] again on the same port.
    pub async fn start_again(mut self) -> anyhow::Result<TestApp> {
        let port = self.base_url.rsplit(':').next().unwrap_or("0").to_owned();
        let mut settings = self.settings.clone();
        settings.http.bind = format!("127.0.0.1:{port}");
        // The old port may linger for a moment after the stop.
        let mut tries = 0;
        let ((addr, handle, thread), db, instance_id) = loop {
            let state = AppState::init(settings.clone())?;
            let db = state.db.clone();
            let instance_id = state.instance_id.clone();
            match serve(state) {
                Ok(running) => break (running, db, instance_id),
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e),
            }
        };
        anyhow::ensure!(addr.port().to_string() == port, "restarted on another port");
        Ok(TestApp {
            backend: self.backend,
            base_url: self.base_url.clone(),
            ca_pem: self.ca_pem.clone(),
            db,
            database_url: self.database_url.clone(),
            settings,
            client: self.client.clone(),
            handle,
            instance_id,
            thread: Some(thread),
            _pg: self._pg.take(),
            dir: std::mem::replace(&mut self.dir, tempfile::tempdir()?),
        })
    }

    pub async fn stop(mut self) {
        self.halt().await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Not awaited: stop(true) is best effort when a test fails mid-way.
        drop(self.handle.stop(false));
    }
}

/// Path of a workspace binary, built on first use so `cargo test` alone suffices.
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let exe = std::env::current_exe()?;
    let profile_dir = exe.parent().and_then(Path::parent).context("test binary location")?.to_path_buf();
    let built = BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "--quiet", "-p", "isacx-server", "-p", "isacx", "--bins"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        if let Some(target_dir) = profile_dir.parent() {
            cmd.env("CARGO_TARGET_DIR", target_dir);
        }
        match cmd.status() {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(format!("cargo build exited with {s}")),
            Err(e) => Err(e.to_string()),
        }
    });
    built.clone().map_err(|e| anyhow::anyhow!("building binaries: {e}"))?;
    let path = profile_dir.join(name);
    anyhow::ensure!(path.exists(), "{} not found", path.display());
    Ok(path)
}
