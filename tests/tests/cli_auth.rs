//! The real `isacx` binary against the real server over TLS: log in, who am I,
//! log out, and every way that goes wrong as an operator meets it — wrong
//! password, locked or disabled account, expired or revoked session, server
//! down, wrong CA. Asserts what a person reads and the exit code a script sees.
//!
//! These are about the client, not storage, so they run on SQLite only.

// Helpers below are test code too: a failure should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use isacx_schemas::api::{self, Role};
use isacx_tests::{Backend, TestApp, USER_PASSWORD};
use serde_json::json;

/// One isolated client: its own config directory, no inherited settings.
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
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not the expected JSON ({e}): {self:?}"))
    }
}

impl Cli {
    fn new() -> Cli {
        Cli {
            exe: isacx_tests::binary("isacx").unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("isacx/config.toml")
    }

    fn credentials(&self) -> PathBuf {
        self.dir.path().join("isacx/credentials.toml")
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        self.run_env(args, stdin, &[])
    }

    fn run_env(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
        use std::io::Write;
        let mut cmd = Command::new(&self.exe);
        cmd.arg("--config").arg(self.config()).args(args);
        for k in [
            "ISACX_PROFILE",
            "ISACX_SERVER",
            "ISACX_CA_FILE",
            "ISACX_CONFIG",
            "LC_ALL",
            "LC_MESSAGES",
            "LANG",
        ] {
            cmd.env_remove(k);
        }
        cmd.env("HOME", self.dir.path())
            .env("TZ", "UTC")
            .envs(env.iter().copied());
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `isacx --server … --ca-file … login -u USER --password-stdin`.
    fn login(&self, app: &TestApp, username: &str, password: &str) -> Run {
        self.login_with_ca(app, &app.ca_pem, username, password)
    }

    fn login_with_ca(&self, app: &TestApp, ca: &Path, username: &str, password: &str) -> Run {
        self.run(
            &[
                "--server",
                &app.base_url,
                "--ca-file",
                ca.to_str().unwrap(),
                "login",
                "-u",
                username,
                "--password-stdin",
            ],
            Some(&format!("{password}\n")),
        )
    }

    /// The stored token of the default profile (what `login` wrote).
    fn stored_token(&self) -> String {
        let text = std::fs::read_to_string(self.credentials()).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("secret = "))
            .unwrap_or_else(|| panic!("no secret in {text}"));
        line.trim_start_matches("secret = ")
            .trim_matches('"')
            .to_owned()
    }

    fn replace_token(&self, new: &str) {
        let old = self.stored_token();
        let text = std::fs::read_to_string(self.credentials())
            .unwrap()
            .replace(&old, new);
        std::fs::write(self.credentials(), text).unwrap();
    }
}

/// An operator of a member organisation, created through the admin API.
async fn operator(app: &TestApp, username: &str) -> api::User {
    let admin = app.admin_token().await.unwrap();
    let org = app
        .create_organisation(
            &admin,
            json!({ "name": { "ja": "東都電力株式会社", "en": "Toto Electric Power Co., Inc." }, "sectors": ["electricity"] }),
        )
        .await
        .unwrap();
    app.create_user(&admin, username, Role::Operator, Some(org.id))
        .await
        .unwrap()
}

#[tokio::test]
async fn login_whoami_logout() {
    // First: the first call may build the binary, which takes a while.
    let cli = Cli::new();
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    operator(&app, "operator1").await;

    let run = cli.login(&app, "operator1", USER_PASSWORD);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("Logged in to {} as operator1", app.base_url)),
        "{run:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cli.credentials())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(!std::fs::read_to_string(cli.config())
        .unwrap()
        .contains(&cli.stored_token()));

    // The profile was saved with the server, CA and user: no flags from now on.
    let run = cli.run(&["whoami"], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("operator1") && run.stdout.contains("Toto Electric Power"),
        "{run:?}"
    );
    let me: api::WhoAmI = cli.run(&["whoami", "--json"], None).json();
    assert_eq!(
        (me.username.as_str(), me.role, me.auth_method),
        ("operator1", Role::Operator, api::AuthMethod::Session)
    );
    let run = cli.run(&["--lang", "ja", "whoami"], None);
    assert!(
        run.stdout
            .contains("東都電力株式会社 (Toto Electric Power Co., Inc.)"),
        "{run:?}"
    );

    let token = cli.stored_token();
    let run = cli.run(&["logout", "--json"], None);
    assert_eq!(run.code, 0, "{run:?}");
    let out: serde_json::Value = run.json();
    assert_eq!(out["revoked_on_server"], true, "{run:?}");
    // The server really ended the session.
    let r = app
        .client
        .get(app.url("/api/v1/auth/whoami"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let run = cli.run(&["whoami"], None);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("You are not logged in") && run.stderr.contains("isacx login"),
        "{run:?}"
    );

    // A token ended elsewhere (another logout, an admin) reads as such.
    assert_eq!(cli.login(&app, "operator1", USER_PASSWORD).code, 0);
    cli.replace_token(&token);
    let run = cli.run(&["whoami"], None);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("Your session has ended")
            && run.stderr.contains("Run `isacx login` again."),
        "{run:?}"
    );
    let run = cli.run(&["--lang", "ja", "whoami"], None);
    assert!(run.stderr.contains("セッションは終了しています"), "{run:?}");
    app.stop().await;
}

#[tokio::test]
async fn wrong_password_then_locked() {
    // First: the first call may build the binary, which takes a while.
    let cli = Cli::new();
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    operator(&app, "operator1").await;
    let threshold = app.settings.auth.lockout_threshold;
    for _ in 1..threshold {
        let run = cli.login(&app, "operator1", "not-the-password");
        assert_eq!(run.code, 3, "{run:?}");
        assert!(
            run.stderr.contains("error: Wrong user name or password."),
            "{run:?}"
        );
        assert!(
            run.stderr.contains("repeated failures lock the account"),
            "{run:?}"
        );
    }
    let run = cli.login(&app, "operator1", "not-the-password");
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .contains("Your account is locked after too many failed logins, until 20"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("ask an administrator to unlock"),
        "{run:?}"
    );

    // The right password does not get through; the same advice in Japanese, and as JSON.
    let run = cli.run_env(
        &[
            "--server",
            &app.base_url,
            "--ca-file",
            app.ca_pem.to_str().unwrap(),
            "login",
            "-u",
            "operator1",
            "--password-stdin",
        ],
        Some(&format!("{USER_PASSWORD}\n")),
        &[("LANG", "ja_JP.UTF-8")],
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("までロックされています"), "{run:?}");
    let run = cli.run(
        &[
            "--json",
            "--server",
            &app.base_url,
            "--ca-file",
            app.ca_pem.to_str().unwrap(),
            "login",
            "-u",
            "operator1",
            "--password-stdin",
        ],
        Some(&format!("{USER_PASSWORD}\n")),
    );
    let out: serde_json::Value = run.json();
    assert_eq!(out["error"]["code"], "account_locked");
    assert_eq!(out["error"]["exit_code"], 3);
    assert!(
        out["error"]["problem"]["locked_until"].is_string(),
        "{run:?}"
    );
    assert!(!cli.credentials().exists());
    app.stop().await;
}

#[tokio::test]
async fn disabled_account() {
    // First: the first call may build the binary, which takes a while.
    let cli = Cli::new();
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let user = operator(&app, "operator1").await;
    let admin = app.admin_token().await.unwrap();
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/admin/users/{}", user.id)))
        .bearer_auth(&admin)
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let run = cli.login(&app, "operator1", USER_PASSWORD);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("Your account is disabled") && run.stderr.contains("administrator"),
        "{run:?}"
    );
    app.stop().await;
}

/// A token the server itself signed, but whose expiry has passed.
async fn expired_copy_of(app: &TestApp, token: &str) -> String {
    use base64::Engine;
    let secret: String = app
        .db
        .read(|conn| {
            use diesel::prelude::*;
            use isacx_server::db::schema::server_secrets;
            Ok(server_secrets::table
                .filter(server_secrets::name.eq("jwt_hs256"))
                .select(server_secrets::value)
                .first(conn)?)
        })
        .unwrap();
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret)
        .unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let mut claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["iat"] = json!(1);
    claims["exp"] = json!(1000);
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&key),
    )
    .unwrap()
}

#[tokio::test]
async fn expired_session() {
    // First: the first call may build the binary, which takes a while.
    let cli = Cli::new();
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    operator(&app, "operator1").await;
    assert_eq!(cli.login(&app, "operator1", USER_PASSWORD).code, 0);
    let expired = expired_copy_of(&app, &cli.stored_token()).await;
    cli.replace_token(&expired);

    let run = cli.run(&["whoami"], None);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .contains("error: Your session has expired.\nhint: Run `isacx login` again."),
        "{run:?}"
    );
    let run = cli.run(&["--lang", "ja", "whoami"], None);
    assert!(
        run.stderr.contains("セッションの有効期限が切れました。"),
        "{run:?}"
    );
    // Logging out of an expired session cleans up without alarming anyone.
    let run = cli.run(&["logout"], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("already ended") && run.stderr.is_empty(),
        "{run:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn server_down() {
    // First: the first call may build the binary, which takes a while.
    let cli = Cli::new();
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    operator(&app, "operator1").await;
    // Stopping the app removes its directory; keep the CA as an operator would.
    let ca = cli.dir.path().join("ca.pem");
    std::fs::copy(&app.ca_pem, &ca).unwrap();
    assert_eq!(
        cli.login_with_ca(&app, &ca, "operator1", USER_PASSWORD)
            .code,
        0
    );
    let base_url = app.base_url.clone();
    app.stop().await;

    let run = cli.run(&["whoami"], None);
    assert_eq!(run.code, 7, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("Is the server running at {base_url}?")),
        "{run:?}"
    );

    // Logout still forgets the token, and says the session lives on.
    let run = cli.run(&["logout"], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("Could not end the session")
            && run.stderr.contains("stays valid on the server until"),
        "{run:?}"
    );
    assert!(!std::fs::read_to_string(cli.credentials())
        .unwrap()
        .contains("secret"));
}

#[tokio::test]
async fn wrong_or_missing_ca_file() {
    // First: the first call may build the binary, which takes a while.
    let cli = Cli::new();
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    operator(&app, "operator1").await;
    // Another server's CA, made the way every isacx server makes its own.
    let other = tempfile::tempdir().unwrap();
    isacx_server::tls::ensure_local_ca(other.path(), &[]).unwrap();
    let other_ca = isacx_server::tls::LocalCa::in_dir(other.path()).ca_cert;

    let run = cli.login_with_ca(&app, &other_ca, "operator1", USER_PASSWORD);
    assert_eq!(run.code, 7, "{run:?}");
    assert!(
        run.stderr
            .contains("not signed by a CA this machine trusts")
            && run.stderr.contains("--ca-file"),
        "{run:?}"
    );

    let run = cli.run(
        &[
            "--server",
            &app.base_url,
            "login",
            "-u",
            "operator1",
            "--password-stdin",
        ],
        Some(&format!("{USER_PASSWORD}\n")),
    );
    assert_eq!(run.code, 7, "{run:?}");
    assert!(
        run.stderr.contains("tls/ca.pem"),
        "the hint says where a self-generated CA lives: {run:?}"
    );

    let run = cli.login_with_ca(
        &app,
        &app.dir.path().join("missing.pem"),
        "operator1",
        USER_PASSWORD,
    );
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("Cannot read the CA file"), "{run:?}");
    assert!(!cli.credentials().exists());
    app.stop().await;
}

#[tokio::test]
async fn rate_limited_login() {
    // First: the first call may build the binary, which takes a while.
    let cli = Cli::new();
    let app = TestApp::builder(Backend::Sqlite)
        .settings(|s| s.auth.login_attempts_per_minute = 2)
        .start()
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(cli.login(&app, "nobody", "nothing").code, 3);
    }
    let run = cli.login(&app, "nobody", "nothing");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("Too many requests; the server asks to wait"),
        "{run:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn api_key_profile() {
    // First: the first call may build the binary, which takes a while.
    let cli = Cli::new();
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let user = operator(&app, "feed-bot").await;
    let admin = app.admin_token().await.unwrap();
    let created: api::CreatedApiKey = app
        .client
        .post(app.url("/api/v1/admin/api-keys"))
        .bearer_auth(&admin)
        .json(&json!({ "user_id": user.id, "role": "operator", "label": "SIEM pull" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let run = cli.run(
        &[
            "--server",
            &app.base_url,
            "--ca-file",
            app.ca_pem.to_str().unwrap(),
            "profile",
            "add",
            "siem",
            "--api-key-stdin",
        ],
        Some(&format!("{}\n", created.secret)),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!std::fs::read_to_string(cli.config())
        .unwrap()
        .contains(&created.secret));
    let me: api::WhoAmI = cli.run(&["whoami", "--json"], None).json();
    assert_eq!(
        (me.username.as_str(), me.auth_method),
        ("feed-bot", api::AuthMethod::ApiKey)
    );

    // Revoked by an administrator: the advice is a new key, not a login.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/admin/api-keys/{}", created.key.id)))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let run = cli.run(&["whoami"], None);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .contains("Ask an administrator for a new API key"),
        "{run:?}"
    );
    app.stop().await;
}
