//! The real `isacx` binary against a canned HTTPS server: what operators and
//! their scripts see — messages, JSON, exit codes and files on disk.

mod support;

use serde_json::json;
use support::{closed_port, FakeServer, Isacx, Pki, Request, Response};

const USER_ID: &str = "7b0c1f0e-2f55-4a4e-9d1a-3c1c2f1b0a01";
const SESSION_ID: &str = "5f2a0b8e-1b7e-4a53-8d0c-0d6b1c9e2f11";

fn whoami_body(method: &str) -> serde_json::Value {
    json!({
        "user_id": USER_ID,
        "username": "alice",
        "display_name": "Alice Sato",
        "role": "operator",
        "organisation": {"id": USER_ID, "name": {"ja": "東日本電力", "en": "East Japan Power"}},
        "auth_method": method,
        "expires_at": "2099-01-01T00:00:00Z",
    })
}

/// A server that knows alice/correct-horse and the token it hands out.
fn happy_server(pki: &Pki) -> FakeServer {
    FakeServer::start(pki, |req: &Request| {
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/api/v1/auth/login") => {
                let body = req.json();
                if body["username"] == "alice" && body["password"] == "correct horse" {
                    Response::json(
                        200,
                        json!({"token": "tok-abc", "token_type": "Bearer", "expires_at": "2099-01-01T00:00:00Z", "session_id": SESSION_ID}),
                    )
                } else {
                    Response::problem("invalid_credentials", 401)
                }
            }
            ("GET", "/api/v1/auth/whoami") => {
                match (req.header("authorization"), req.header("x-api-key")) {
                    (Some("Bearer tok-abc"), _) => Response::json(200, whoami_body("session")),
                    (_, Some("key-123")) => Response::json(200, whoami_body("api_key")),
                    _ => Response::problem("unauthenticated", 401),
                }
            }
            ("POST", "/api/v1/auth/logout") => Response::empty(204),
            _ => Response::problem("not_found", 404),
        }
    })
}

fn login(isacx: &Isacx, server: &FakeServer, ca: &str) -> support::Run {
    isacx.run_with(
        &[
            "--server",
            &server.url,
            "--ca-file",
            ca,
            "login",
            "--username",
            "alice",
            "--password-stdin",
        ],
        Some("correct horse\n"),
        &[],
    )
}

#[test]
fn login_whoami_logout() {
    let pki = Pki::new();
    let server = happy_server(&pki);
    let isacx = Isacx::new();
    let ca = pki.write_ca(isacx.dir.path(), "ca.pem");
    let ca = ca.to_str().unwrap();

    let run = login(&isacx, &server, ca);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("Logged in to"), "{run:?}");
    assert!(!run.stdout.contains("tok-abc") && !run.stderr.contains("tok-abc"));

    // The first login created the profile, made it current and remembered the user.
    let config = std::fs::read_to_string(isacx.config()).unwrap();
    assert!(config.contains("current_profile = \"default\""), "{config}");
    assert!(config.contains("username = \"alice\""), "{config}");
    assert!(
        !config.contains("tok-abc"),
        "the token must not be in config.toml"
    );
    let creds = std::fs::read_to_string(isacx.credentials()).unwrap();
    assert!(creds.contains("tok-abc"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(isacx.credentials())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }

    // Now no flags are needed.
    let run = isacx.run(&["whoami"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("Alice Sato") && run.stdout.contains("operator"),
        "{run:?}"
    );
    let run = isacx.run(&["whoami", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["username"], "alice");
    let run = isacx.run(&["--lang", "ja", "whoami"]);
    assert!(
        run.stdout.contains("ロール") && run.stdout.contains("東日本電力 (East Japan Power)"),
        "{run:?}"
    );

    // Logging in again ends the session the old token belonged to.
    let run = isacx.run_with(&["login", "--password-stdin"], Some("correct horse\n"), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let logouts = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/auth/logout")
        .count();
    assert_eq!(logouts, 1);

    let run = isacx.run(&["logout", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.json(),
        json!({"profile": "default", "forgotten": true, "revoked_on_server": true, "warning": null})
    );
    let logout = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/v1/auth/logout")
        .unwrap();
    assert_eq!(logout.header("authorization"), Some("Bearer tok-abc"));
    assert!(!std::fs::read_to_string(isacx.credentials())
        .unwrap()
        .contains("tok-abc"));

    let run = isacx.run(&["whoami"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("You are not logged in") && run.stderr.contains("`isacx login`"),
        "{run:?}"
    );

    let run = isacx.run(&["logout"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("nothing to do"), "{run:?}");
}

#[test]
fn wrong_password_in_both_languages() {
    let pki = Pki::new();
    let server = happy_server(&pki);
    let isacx = Isacx::new();
    let ca = pki.write_ca(isacx.dir.path(), "ca.pem");
    let args = [
        "--server",
        &server.url,
        "--ca-file",
        ca.to_str().unwrap(),
        "login",
        "-u",
        "alice",
        "--password-stdin",
    ];

    let run = isacx.run_with(&args, Some("wrong\n"), &[]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("error: Wrong user name or password."),
        "{run:?}"
    );
    assert!(run.stderr.contains("hint: "), "{run:?}");
    assert!(
        !run.stderr.contains("Problem") && !run.stderr.contains("panicked"),
        "{run:?}"
    );
    assert!(!isacx.credentials().exists());

    let run = isacx.run_with(&args, Some("wrong\n"), &[("LANG", "ja_JP.UTF-8")]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .contains("エラー: ユーザー名またはパスワードが正しくありません。"),
        "{run:?}"
    );

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let run = isacx.run_with(&json_args, Some("wrong\n"), &[]);
    assert_eq!(run.code, 3, "{run:?}");
    let v = run.json();
    assert_eq!(v["error"]["code"], "invalid_credentials");
    assert_eq!(v["error"]["exit_code"], 3);
    assert_eq!(v["error"]["problem"]["status"], 401);
}

#[test]
fn server_errors_map_to_advice_and_exit_codes() {
    let pki = Pki::new();
    let server = FakeServer::start(&pki, |req: &Request| match req.header("x-api-key") {
        Some("locked") => Response::problem_with(
            "account_locked",
            403,
            json!({"locked_until": "2099-01-01T00:00:00Z"}),
        ),
        Some("slow") => Response::problem("rate_limited", 429).with_header("Retry-After", "42"),
        Some("expired") => Response::problem("token_expired", 401),
        Some("revoked") => Response::problem("token_revoked", 401),
        Some("forbidden") => Response::problem("forbidden", 403),
        Some("broken") => Response::problem_with("internal", 500, json!({"request_id": "req-77"})),
        _ => Response {
            status: 502,
            content_type: "text/html",
            headers: vec![],
            body: "<html>bad gateway</html>".into(),
        },
    });
    let isacx = Isacx::new();
    let ca = pki.write_ca(isacx.dir.path(), "ca.pem");
    let ca = ca.to_str().unwrap();
    let cases: &[(&str, i32, &str)] = &[
        (
            "locked",
            3,
            "locked after too many failed logins, until 2099-01-01 00:00:00 +00:00",
        ),
        ("slow", 1, "wait 42 seconds"),
        ("expired", 3, "ask an administrator for a new API key"),
        ("revoked", 3, "Your session has ended"),
        ("forbidden", 4, "Your role does not allow this"),
        ("broken", 8, "req-77"),
        ("proxy", 8, "HTTP status 502"),
    ];
    for (key, code, needle) in cases {
        let add = isacx.run_with(
            &[
                "--server",
                &server.url,
                "--ca-file",
                ca,
                "profile",
                "add",
                key,
                "--api-key-stdin",
            ],
            Some(key),
            &[],
        );
        assert_eq!(add.code, 0, "{add:?}");
        let run = isacx.run(&["--profile", key, "whoami"]);
        assert_eq!(run.code, *code, "{key}: {run:?}");
        assert!(
            run.stderr.to_lowercase().contains(&needle.to_lowercase()),
            "{key}: {run:?}"
        );
    }
}

#[test]
fn server_side_expiry_says_log_in_again() {
    let pki = Pki::new();
    let server = FakeServer::start(&pki, |req: &Request| match req.path.as_str() {
        "/api/v1/auth/login" => Response::json(
            200,
            json!({"token": "t", "token_type": "Bearer", "expires_at": "2099-01-01T00:00:00Z", "session_id": SESSION_ID}),
        ),
        _ => Response::problem("token_expired", 401),
    });
    let isacx = Isacx::new();
    let ca = pki.write_ca(isacx.dir.path(), "ca.pem");
    let run = login(&isacx, &server, ca.to_str().unwrap());
    assert_eq!(run.code, 0, "{run:?}");
    let run = isacx.run(&["whoami"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .contains("Your session has expired.\nhint: Run `isacx login` again."),
        "{run:?}"
    );
    // Logging out of an already-dead session still cleans up, without a warning.
    let run = isacx.run(&["logout"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("already ended") && run.stderr.is_empty(),
        "{run:?}"
    );
}

#[test]
fn locally_expired_session_is_not_sent() {
    let pki = Pki::new();
    let server = happy_server(&pki);
    let isacx = Isacx::new();
    let ca = pki.write_ca(isacx.dir.path(), "ca.pem");
    assert_eq!(login(&isacx, &server, ca.to_str().unwrap()).code, 0);
    let creds = std::fs::read_to_string(isacx.credentials())
        .unwrap()
        .replace("2099-01-01", "2000-01-01");
    std::fs::write(isacx.credentials(), creds).unwrap();
    let before = server.requests().len();
    let run = isacx.run(&["whoami"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("Your session expired at 2000-01-01"),
        "{run:?}"
    );
    assert_eq!(server.requests().len(), before);
}

#[test]
fn server_down() {
    let isacx = Isacx::new();
    let url = format!("https://127.0.0.1:{}", closed_port());
    let run = isacx.run_with(
        &["--server", &url, "login", "-u", "alice", "--password-stdin"],
        Some("pw\n"),
        &[],
    );
    assert_eq!(run.code, 7, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("Is the server running at {url}?")),
        "{run:?}"
    );
    let run = isacx.run_with(
        &[
            "--server",
            &url,
            "--lang",
            "ja",
            "login",
            "-u",
            "alice",
            "--password-stdin",
        ],
        Some("pw\n"),
        &[],
    );
    assert!(run.stderr.contains("サーバーは起動していますか"), "{run:?}");
}

#[test]
fn logout_while_server_down_forgets_and_warns() {
    let pki = Pki::new();
    let server = happy_server(&pki);
    let isacx = Isacx::new();
    let ca = pki.write_ca(isacx.dir.path(), "ca.pem");
    assert_eq!(login(&isacx, &server, ca.to_str().unwrap()).code, 0);
    drop(server);
    let run = isacx.run(&["logout"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.starts_with("warning: Could not end the session"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("stays valid on the server until"),
        "{run:?}"
    );
    assert!(!std::fs::read_to_string(isacx.credentials())
        .unwrap()
        .contains("tok-abc"));
}

#[test]
fn unknown_ca_suggests_ca_file() {
    let pki = Pki::new();
    let other = Pki::new();
    let server = happy_server(&pki);
    let isacx = Isacx::new();
    let wrong = other.write_ca(isacx.dir.path(), "other.pem");
    for ca in [Some(wrong.to_str().unwrap()), None] {
        let mut args = vec!["--server", &server.url];
        if let Some(ca) = ca {
            args.extend(["--ca-file", ca]);
        }
        args.extend(["login", "-u", "alice", "--password-stdin"]);
        let run = isacx.run_with(&args, Some("correct horse\n"), &[]);
        assert_eq!(run.code, 7, "{run:?}");
        assert!(
            run.stderr
                .contains("not signed by a CA this machine trusts"),
            "{run:?}"
        );
        assert!(run.stderr.contains("--ca-file"), "{run:?}");
    }
    // The password never reached the server.
    assert!(server.requests().is_empty());
}

#[test]
fn wrong_host_name() {
    // The certificate names only localhost; the client is pointed at 127.0.0.1.
    let pki = Pki::for_names(&["localhost"]);
    let server = happy_server(&pki);
    let isacx = Isacx::new();
    let ca = pki.write_ca(isacx.dir.path(), "ca.pem");
    let url = server.url.replace("localhost", "127.0.0.1");
    let run = isacx.run_with(
        &[
            "--server",
            &url,
            "--ca-file",
            ca.to_str().unwrap(),
            "login",
            "-u",
            "alice",
            "--password-stdin",
        ],
        Some("correct horse\n"),
        &[],
    );
    assert_eq!(run.code, 7, "{run:?}");
    assert!(
        run.stderr.contains("not valid for this host name"),
        "{run:?}"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn profiles_lifecycle() {
    let pki = Pki::new();
    let isacx = Isacx::new();
    let ca = pki.write_ca(isacx.dir.path(), "ca.pem");
    let ca = ca.to_str().unwrap();

    let run = isacx.run(&["profile", "list"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("No profiles yet"), "{run:?}");
    assert_eq!(isacx.run(&["profile", "list", "--json"]).json(), json!([]));

    let run = isacx.run(&[
        "--server",
        "https://isac.example.jp:8443/",
        "--ca-file",
        ca,
        "profile",
        "add",
        "prod",
        "-u",
        "alice",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("Added profile `prod`")
            && run.stdout.contains("now the current profile"),
        "{run:?}"
    );
    let run = isacx.run(&[
        "--server",
        "https://ceptoar.example.jp",
        "profile",
        "add",
        "staging",
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        !run.stdout.contains("current"),
        "only the first profile becomes current: {run:?}"
    );

    let run = isacx.run(&["--server", "https://x.example.jp", "profile", "add", "prod"]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("--force"), "{run:?}");

    let list = isacx.run(&["profile", "list", "--json"]).json();
    assert_eq!(list[0]["name"], "prod");
    assert_eq!(list[0]["current"], true);
    assert_eq!(list[0]["server"], "https://isac.example.jp:8443");
    assert_eq!(list[0]["ca_file"], ca);
    assert_eq!(list[0]["credentials"], serde_json::Value::Null);
    assert_eq!(list[1]["name"], "staging");
    let run = isacx.run(&["profile", "list"]);
    assert!(
        run.stdout.contains("prod") && run.stdout.contains("not logged in"),
        "{run:?}"
    );

    // A profile's default output applies when it is in use.
    let run = isacx.run(&["--profile", "staging", "profile", "show"]);
    assert_eq!(run.json()["name"], "staging");

    let run = isacx.run(&["profile", "use", "staging"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json(), json!({"current_profile": "staging"}));
    let run = isacx.run(&["profile", "use", "nope"]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stderr.contains("There is no profile `nope`"), "{run:?}");

    let run = isacx.run(&["--json", "profile", "remove", "staging"]);
    assert_eq!(run.code, 0, "{run:?}");
    let config = std::fs::read_to_string(isacx.config()).unwrap();
    assert!(
        !config.contains("staging") && !config.contains("current_profile"),
        "{config}"
    );
    let run = isacx.run(&["profile", "show", "prod", "--lang", "ja"]);
    assert!(
        run.stdout.contains("サーバー") && run.stdout.contains("https://isac.example.jp:8443"),
        "{run:?}"
    );
}

#[test]
fn login_remembers_a_working_ca_file() {
    let pki = Pki::new();
    let server = happy_server(&pki);
    let isacx = Isacx::new();
    let ca = pki.write_ca(isacx.dir.path(), "ca.pem");
    // A profile made without the CA: the server is not trusted yet.
    assert_eq!(
        isacx
            .run(&[
                "--server",
                &server.url,
                "profile",
                "add",
                "prod",
                "-u",
                "alice"
            ])
            .code,
        0
    );
    assert_eq!(isacx.run(&["whoami"]).code, 3);
    let run = isacx.run_with(
        &[
            "--ca-file",
            ca.to_str().unwrap(),
            "login",
            "--password-stdin",
        ],
        Some("correct horse\n"),
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let run = isacx.run(&["whoami"]);
    assert_eq!(run.code, 0, "{run:?}");
    let shown = isacx.run(&["profile", "show", "--json"]).json();
    assert_eq!(shown["ca_file"], ca.to_str().unwrap());
    assert_eq!(shown["credentials"]["kind"], "session");
}

#[test]
fn profile_input_is_checked() {
    let isacx = Isacx::new();
    let bad_ca = isacx.dir.path().join("bad.pem");
    std::fs::write(&bad_ca, "hello").unwrap();
    let run = isacx.run(&[
        "--server",
        "https://a.example",
        "--ca-file",
        bad_ca.to_str().unwrap(),
        "profile",
        "add",
        "a",
    ]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(
        run.stderr.contains("holds no PEM certificate") && run.stderr.contains("tls/ca.pem"),
        "{run:?}"
    );
    let run = isacx.run(&["profile", "add", "a"]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("--server"), "{run:?}");
    let run = isacx.run(&["--server", "https://a.example", "profile", "add", "a b"]);
    assert_eq!(run.code, 6, "{run:?}");
    let run = isacx.run(&["--server", "http://a.example", "profile", "add", "a"]);
    assert_eq!(run.code, 2, "{run:?}");
    let run = isacx.run(&[
        "--server",
        "https://a.example",
        "profile",
        "add",
        "a",
        "--api-key-stdin",
    ]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("API key"), "{run:?}");
    let run = isacx.run(&["whoami"]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("No server is configured"), "{run:?}");
    let run = isacx.run(&["--server", "https://a.example", "login"]);
    assert_eq!(run.code, 6, "no user name and no terminal: {run:?}");
    assert!(run.stderr.contains("--username"), "{run:?}");
}

#[test]
fn broken_config_names_the_file() {
    let isacx = Isacx::new();
    std::fs::create_dir_all(isacx.config().parent().unwrap()).unwrap();
    std::fs::write(
        isacx.config(),
        "[profiles.a]\nserver = \"https://a\"\nsevrer = 1\n",
    )
    .unwrap();
    let run = isacx.run(&["profile", "list"]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(
        run.stderr.contains(&isacx.config().display().to_string()) && run.stderr.contains("sevrer"),
        "{run:?}"
    );
    // Completions still work with a broken config.
    assert_eq!(isacx.run(&["completions", "bash"]).code, 0);
}

#[test]
fn api_key_profile_and_other_server_guard() {
    let pki = Pki::new();
    let server = happy_server(&pki);
    let isacx = Isacx::new();
    let ca = pki.write_ca(isacx.dir.path(), "ca.pem");
    let ca = ca.to_str().unwrap();
    let run = isacx.run_with(
        &[
            "--server",
            &server.url,
            "--ca-file",
            ca,
            "profile",
            "add",
            "bot",
            "--api-key-stdin",
        ],
        Some("key-123\n"),
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!std::fs::read_to_string(isacx.config())
        .unwrap()
        .contains("key-123"));
    let run = isacx.run(&["whoami", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["auth_method"], "api_key");
    assert_eq!(
        server.requests().last().unwrap().header("x-api-key"),
        Some("key-123")
    );

    // Pointing the profile at another server for one command does not send the key there.
    let other = happy_server(&pki);
    let run = isacx.run(&["--server", &other.url, "whoami"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("holds credentials for"), "{run:?}");
    assert!(other.requests().is_empty());

    let run = isacx.run(&["logout"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("stays valid until an administrator revokes it"),
        "{run:?}"
    );
}

#[cfg(unix)]
#[test]
fn loose_credentials_are_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let pki = Pki::new();
    let server = happy_server(&pki);
    let isacx = Isacx::new();
    let ca = pki.write_ca(isacx.dir.path(), "ca.pem");
    assert_eq!(login(&isacx, &server, ca.to_str().unwrap()).code, 0);
    std::fs::set_permissions(isacx.credentials(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = isacx.run(&["whoami"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("permissions were reset to 0600"),
        "{run:?}"
    );
    let mode = std::fs::metadata(isacx.credentials())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn help_version_completions_and_usage_errors() {
    let isacx = Isacx::new();
    let run = isacx.run(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Exit codes:"), "{run:?}");
    assert_eq!(isacx.run(&["--version"]).code, 0);
    let run = isacx.run(&["completions", "zsh"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("#compdef isacx"), "{run:?}");
    assert_eq!(isacx.run(&["frobnicate"]).code, 2);
    assert_eq!(isacx.run(&["login", "--bogus"]).code, 2);
}
