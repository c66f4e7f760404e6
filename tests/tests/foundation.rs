//! Issue 2 end to end: login, tokens, API keys, admin API, lockout, audit,
//! and every route answering bad input with problem details.

use diesel::connection::SimpleConnection;
use isacx_schemas::api::{self, Role};
use isacx_schemas::error::{ErrorCode, ProblemDetails};
use isacx_tests::{backends, Backend, TestApp, ADMIN_PASSWORD, USER_PASSWORD};
use serde_json::json;

/// Assert a problem-details answer with this status and code, and return it.
async fn problem(response: reqwest::Response, code: ErrorCode) -> ProblemDetails {
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let text = response.text().await.unwrap();
    assert_eq!(content_type, "application/problem+json", "body: {text}");
    let body: ProblemDetails = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not problem details ({e}): {text}"));
    assert_eq!((status, body.code), (code.http_status(), code), "body: {text}");
    assert_eq!(body.status, status);
    assert!(body.request_id.is_some(), "problem without request id: {text}");
    body
}

async fn sample_org(app: &TestApp, admin: &str) -> api::Organisation {
    app.create_organisation(
        admin,
        json!({
            "name": { "ja": "東都電力株式会社", "en": "Toto Electric Power Co., Inc." },
            "aliases": ["東都電力", "TEPCO-X"],
            "domains": ["toto-denryoku.example"],
            "sectors": ["electricity"],
            "internal_ranges": ["10.20.0.0/16"]
        }),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn login_whoami_logout() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let token = app.admin_token().await.unwrap();
        let me: api::WhoAmI =
            app.client.get(app.url("/api/v1/auth/whoami")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!((me.username.as_str(), me.role, me.auth_method), ("admin", Role::Admin, api::AuthMethod::Session));
        assert!(me.expires_at.unwrap() > chrono::Utc::now());

        let out = app.client.post(app.url("/api/v1/auth/logout")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(out.status(), 204);
        let after = app.client.get(app.url("/api/v1/auth/whoami")).bearer_auth(&token).send().await.unwrap();
        problem(after, ErrorCode::TokenRevoked).await;
        app.stop().await;
    }
}

#[tokio::test]
async fn health_and_readiness() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let response = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(response.headers()[isacx_schemas::API_VERSION_HEADER], isacx_schemas::API_VERSION);
        let health: api::Health = response.json().await.unwrap();
        assert_eq!(health.status, "ok");
        let ready: api::Health = app.client.get(app.url("/readyz")).send().await.unwrap().json().await.unwrap();
        assert_eq!(ready.database.as_deref(), Some(if backend == Backend::Sqlite { "sqlite" } else { "postgres" }));
        app.stop().await;
    }
}

#[tokio::test]
async fn bad_tokens_are_refused_with_problem_details() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let whoami = app.url("/api/v1/auth/whoami");

        let missing = app.client.get(&whoami).send().await.unwrap();
        assert!(missing.headers().get("www-authenticate").is_some());
        problem(missing, ErrorCode::Unauthenticated).await;

        let garbage = app.client.get(&whoami).bearer_auth("not-a-jwt").send().await.unwrap();
        problem(garbage, ErrorCode::InvalidToken).await;

        // A token signed with another key.
        let token = app.admin_token().await.unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[2] = "c2lnbmF0dXJlLWZyb20tc29tZW9uZS1lbHNl".to_owned();
        let forged = app.client.get(&whoami).bearer_auth(parts.join(".")).send().await.unwrap();
        problem(forged, ErrorCode::InvalidToken).await;

        // Claims edited to say admin without re-signing.
        let operator_claims = base64_url(r#"{"sub":"x","sid":"y","role":"admin","iss":"isacx-local","iat":1,"exp":9999999999}"#);
        let tampered = format!("{}.{}.{}", parts[0], operator_claims, token.split('.').nth(2).unwrap());
        problem(app.client.get(&whoami).bearer_auth(tampered).send().await.unwrap(), ErrorCode::InvalidToken).await;

        let basic_garbage = app.client.get(&whoami).header("authorization", "Basic !!!").send().await.unwrap();
        problem(basic_garbage, ErrorCode::InvalidToken).await;
        let odd_scheme = app.client.get(&whoami).header("authorization", "Digest abc").send().await.unwrap();
        problem(odd_scheme, ErrorCode::InvalidToken).await;

        // Expired: the session row says so even though the JWT is still in date.
        let token = app.admin_token().await.unwrap();
        app.db
            .read(|conn| {
                conn.batch_execute("UPDATE sessions SET expires_at = '2000-01-01 00:00:00'")?;
                Ok(())
            })
            .unwrap();
        problem(app.client.get(&whoami).bearer_auth(&token).send().await.unwrap(), ErrorCode::TokenExpired).await;
        app.stop().await;
    }
}

fn base64_url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[tokio::test]
async fn expired_jwt_is_refused() {
    let app = TestApp::builder(Backend::Sqlite).start().await.unwrap();
    // Sign with the server's own key but an expiry in the past.
    let secret: String = app
        .db
        .read(|conn| {
            use diesel::prelude::*;
            use isacx_server::db::schema::server_secrets;
            Ok(server_secrets::table.filter(server_secrets::name.eq("jwt_hs256")).select(server_secrets::value).first(conn)?)
        })
        .unwrap();
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD.decode(secret).unwrap();
    let claims = json!({ "sub": "u", "sid": "s", "role": "admin", "iss": "isacx-local", "iat": 1, "exp": 1000 });
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&key),
    )
    .unwrap();
    let response = app.client.get(app.url("/api/v1/auth/whoami")).bearer_auth(token).send().await.unwrap();
    problem(response, ErrorCode::TokenExpired).await;
    app.stop().await;
}

#[tokio::test]
async fn login_bad_input() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let login = app.url("/api/v1/auth/login");
        let malformed = app.client.post(&login).header("content-type", "application/json").body("{\"username\":").send().await.unwrap();
        problem(malformed, ErrorCode::MalformedRequest).await;
        let wrong_type = app.client.post(&login).json(&json!({ "username": 7, "password": [] })).send().await.unwrap();
        let p = problem(wrong_type, ErrorCode::MalformedRequest).await;
        assert!(p.detail.unwrap().contains("invalid type"));
        let unknown_field = app.client.post(&login).json(&json!({ "username": "a", "password": "b", "otp": 1 })).send().await.unwrap();
        problem(unknown_field, ErrorCode::MalformedRequest).await;
        let not_json = app.client.post(&login).header("content-type", "text/plain").body("username=admin").send().await.unwrap();
        problem(not_json, ErrorCode::UnsupportedMediaType).await;
        let huge = "x".repeat(2 * 1024 * 1024);
        let oversize = app.client.post(&login).json(&json!({ "username": huge, "password": "p" })).send().await.unwrap();
        problem(oversize, ErrorCode::PayloadTooLarge).await;
        let wrong = app.client.post(&login).json(&json!({ "username": "admin", "password": "nope" })).send().await.unwrap();
        problem(wrong, ErrorCode::InvalidCredentials).await;
        let nobody = app.client.post(&login).json(&json!({ "username": "nobody", "password": "nope" })).send().await.unwrap();
        problem(nobody, ErrorCode::InvalidCredentials).await;
        let wrong_method = app.client.get(&login).send().await.unwrap();
        problem(wrong_method, ErrorCode::NotFound).await;
        let nowhere = app.client.get(app.url("/api/v1/nowhere")).send().await.unwrap();
        problem(nowhere, ErrorCode::NotFound).await;
        app.stop().await;
    }
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_admin_unlocks() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let org = sample_org(&app, &admin).await;
        let user = app.create_user(&admin, "operator1", Role::Operator, Some(org.id)).await.unwrap();
        let login = app.url("/api/v1/auth/login");
        let threshold = app.settings.auth.lockout_threshold;
        for _ in 1..threshold {
            let r = app.client.post(&login).json(&json!({ "username": "operator1", "password": "wrong" })).send().await.unwrap();
            problem(r, ErrorCode::InvalidCredentials).await;
        }
        let r = app.client.post(&login).json(&json!({ "username": "operator1", "password": "wrong" })).send().await.unwrap();
        let locked = problem(r, ErrorCode::AccountLocked).await;
        assert!(locked.locked_until.unwrap() > chrono::Utc::now());
        // The right password does not get through a lock.
        let r = app.client.post(&login).json(&json!({ "username": "operator1", "password": USER_PASSWORD })).send().await.unwrap();
        problem(r, ErrorCode::AccountLocked).await;

        let unlock = app
            .client
            .patch(app.url(&format!("/api/v1/admin/users/{}", user.id)))
            .bearer_auth(&admin)
            .json(&json!({ "unlock": true }))
            .send()
            .await
            .unwrap();
        assert_eq!(unlock.status(), 200);
        app.login("operator1", USER_PASSWORD).await.unwrap();

        // Disabled accounts cannot log in, and their live tokens stop working.
        let token = app.login("operator1", USER_PASSWORD).await.unwrap();
        let disable = app
            .client
            .patch(app.url(&format!("/api/v1/admin/users/{}", user.id)))
            .bearer_auth(&admin)
            .json(&json!({ "disabled": true }))
            .send()
            .await
            .unwrap();
        assert_eq!(disable.status(), 200);
        let r = app.client.post(&login).json(&json!({ "username": "operator1", "password": USER_PASSWORD })).send().await.unwrap();
        problem(r, ErrorCode::AccountDisabled).await;
        let r = app.client.get(app.url("/api/v1/auth/whoami")).bearer_auth(&token).send().await.unwrap();
        problem(r, ErrorCode::AccountDisabled).await;
        app.stop().await;
    }
}

#[tokio::test]
async fn login_rate_limit_per_address() {
    let app = TestApp::builder(Backend::Sqlite).settings(|s| s.auth.login_attempts_per_minute = 3).start().await.unwrap();
    let login = app.url("/api/v1/auth/login");
    for _ in 0..3 {
        let r = app.client.post(&login).json(&json!({ "username": "x", "password": "y" })).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = app.client.post(&login).json(&json!({ "username": "admin", "password": ADMIN_PASSWORD })).send().await.unwrap();
    let retry_after: u64 = r.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    problem(r, ErrorCode::RateLimited).await;
    app.stop().await;
}

#[tokio::test]
async fn roles_are_checked_on_every_admin_route() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let org = sample_org(&app, &admin).await;
        for (name, role) in [("op", Role::Operator), ("an", Role::Analyst), ("li", Role::Liaison)] {
            let org_id = (role == Role::Operator).then_some(org.id);
            app.create_user(&admin, name, role, org_id).await.unwrap();
            let token = app.login(name, USER_PASSWORD).await.unwrap();
            let id = uuid::Uuid::new_v4();
            let routes: Vec<(reqwest::Method, String)> = vec![
                (reqwest::Method::GET, "/api/v1/admin/organisations".into()),
                (reqwest::Method::POST, "/api/v1/admin/organisations".into()),
                (reqwest::Method::GET, format!("/api/v1/admin/organisations/{id}")),
                (reqwest::Method::GET, "/api/v1/admin/users".into()),
                (reqwest::Method::POST, "/api/v1/admin/users".into()),
                (reqwest::Method::PATCH, format!("/api/v1/admin/users/{id}")),
                (reqwest::Method::GET, "/api/v1/admin/api-keys".into()),
                (reqwest::Method::POST, "/api/v1/admin/api-keys".into()),
                (reqwest::Method::DELETE, format!("/api/v1/admin/api-keys/{id}")),
                (reqwest::Method::GET, "/api/v1/admin/peers".into()),
                (reqwest::Method::POST, "/api/v1/admin/peers".into()),
            ];
            for (method, path) in routes {
                let r = app.client.request(method.clone(), app.url(&path)).bearer_auth(&token).json(&json!({})).send().await.unwrap();
                let p = problem(r, ErrorCode::Forbidden).await;
                assert!(p.detail.unwrap().contains("admin"), "{method} {path}");
                // And without any credentials: 401, not a hint of what is there.
                let r = app.client.request(method.clone(), app.url(&path)).json(&json!({})).send().await.unwrap();
                problem(r, ErrorCode::Unauthenticated).await;
            }
            // Every role may ask who it is and list sectors.
            let me: api::WhoAmI =
                app.client.get(app.url("/api/v1/auth/whoami")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
            assert_eq!(me.role, role);
            assert_eq!(me.organisation.is_some(), role == Role::Operator);
            let sectors: Vec<api::Sector> =
                app.client.get(app.url("/api/v1/sectors")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
            assert_eq!(sectors.len(), 13);
            assert!(sectors.iter().any(|s| s.id == "electricity" && s.name.ja == "電力"));
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn admin_api_validates_members() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let orgs = app.url("/api/v1/admin/organisations");
        let bad = app
            .client
            .post(&orgs)
            .bearer_auth(&admin)
            .json(&json!({
                "name": { "ja": "", "en": "X" },
                "domains": ["not a domain"],
                "sectors": ["space"],
                "internal_ranges": ["10.0.0.0/33"]
            }))
            .send()
            .await
            .unwrap();
        let p = problem(bad, ErrorCode::ValidationFailed).await;
        let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name.ja", "domains[0]", "sectors[0]", "internal_ranges[0]"]);

        let org = sample_org(&app, &admin).await;
        assert_eq!(org.domains, ["toto-denryoku.example"]);
        assert_eq!(org.internal_ranges, ["10.20.0.0/16"]);
        let fetched: api::Organisation = app
            .client
            .get(app.url(&format!("/api/v1/admin/organisations/{}", org.id)))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(fetched.aliases, org.aliases);
        let missing = app.client.get(app.url(&format!("/api/v1/admin/organisations/{}", uuid::Uuid::new_v4()))).bearer_auth(&admin).send().await.unwrap();
        problem(missing, ErrorCode::NotFound).await;
        let not_uuid = app.client.get(app.url("/api/v1/admin/organisations/zzz")).bearer_auth(&admin).send().await.unwrap();
        problem(not_uuid, ErrorCode::NotFound).await;
        let dup = app.client.post(&orgs).bearer_auth(&admin).json(&json!({ "name": { "ja": "別", "en": "Toto Electric Power Co., Inc." } })).send().await.unwrap();
        problem(dup, ErrorCode::Conflict).await;

        let users = app.url("/api/v1/admin/users");
        let no_org = app.client.post(&users).bearer_auth(&admin).json(&json!({ "username": "op", "password": USER_PASSWORD, "role": "operator" })).send().await.unwrap();
        let p = problem(no_org, ErrorCode::ValidationFailed).await;
        assert_eq!(p.errors[0].field, "organisation_id");
        let short = app.client.post(&users).bearer_auth(&admin).json(&json!({ "username": "an", "password": "short", "role": "analyst" })).send().await.unwrap();
        assert_eq!(problem(short, ErrorCode::ValidationFailed).await.errors[0].field, "password");
        let bad_role = app.client.post(&users).bearer_auth(&admin).json(&json!({ "username": "an", "password": USER_PASSWORD, "role": "root" })).send().await.unwrap();
        problem(bad_role, ErrorCode::MalformedRequest).await;
        let ghost_org = app.client.post(&users).bearer_auth(&admin).json(&json!({ "username": "op", "password": USER_PASSWORD, "role": "operator", "organisation_id": uuid::Uuid::new_v4() })).send().await.unwrap();
        assert_eq!(problem(ghost_org, ErrorCode::ValidationFailed).await.errors[0].field, "organisation_id");
        app.create_user(&admin, "op", Role::Operator, Some(org.id)).await.unwrap();
        let again = app.client.post(&users).bearer_auth(&admin).json(&json!({ "username": "op", "password": USER_PASSWORD, "role": "analyst" })).send().await.unwrap();
        problem(again, ErrorCode::Conflict).await;
        let listed: Vec<api::User> = app.client.get(&users).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
        assert_eq!(listed.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["admin", "op"]);
        let patch_missing = app.client.patch(app.url(&format!("/api/v1/admin/users/{}", uuid::Uuid::new_v4()))).bearer_auth(&admin).json(&json!({ "disabled": true })).send().await.unwrap();
        problem(patch_missing, ErrorCode::NotFound).await;

        let peers = app.url("/api/v1/admin/peers");
        let red = app.client.post(&peers).bearer_auth(&admin).json(&json!({ "name": "fin", "api_root": "https://fin.example/taxii2/api/", "direction": "both", "max_tlp": "red" })).send().await.unwrap();
        assert_eq!(problem(red, ErrorCode::ValidationFailed).await.errors[0].field, "max_tlp");
        let plain = app.client.post(&peers).bearer_auth(&admin).json(&json!({ "name": "fin", "api_root": "http://fin.example/taxii2/api/", "direction": "pull" })).send().await.unwrap();
        assert_eq!(problem(plain, ErrorCode::ValidationFailed).await.errors[0].field, "api_root");
        let ok = app.client.post(&peers).bearer_auth(&admin).json(&json!({ "name": "fin", "api_root": "https://fin.example/taxii2/api/", "direction": "pull", "max_tlp": "amber", "sectors": ["finance"] })).send().await.unwrap();
        assert_eq!(ok.status(), 201);
        let listed: Vec<api::Peer> = app.client.get(&peers).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
        assert_eq!(listed[0].max_tlp, "amber");
        app.stop().await;
    }
}

#[tokio::test]
async fn api_keys_authenticate_until_revoked() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let org = sample_org(&app, &admin).await;
        let user = app.create_user(&admin, "feed-bot", Role::Operator, Some(org.id)).await.unwrap();
        let keys = app.url("/api/v1/admin/api-keys");
        let too_high = app.client.post(&keys).bearer_auth(&admin).json(&json!({ "user_id": user.id, "role": "admin", "label": "x" })).send().await.unwrap();
        assert_eq!(problem(too_high, ErrorCode::ValidationFailed).await.errors[0].field, "role");
        let created: api::CreatedApiKey = app
            .client
            .post(&keys)
            .bearer_auth(&admin)
            .json(&json!({ "user_id": user.id, "role": "operator", "label": "SIEM pull", "expires_in_days": 30 }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(created.secret.starts_with("isacx_"));
        assert!(created.secret.starts_with(&created.key.prefix));
        // The listing never shows the secret.
        let listing = app.client.get(&keys).bearer_auth(&admin).send().await.unwrap().text().await.unwrap();
        assert!(!listing.contains(&created.secret));
        // Stored hashed: the secret is nowhere in the database.
        let stored: i64 = app
            .db
            .read(|conn| {
                use diesel::prelude::*;
                use isacx_server::db::schema::api_keys;
                Ok(api_keys::table.filter(api_keys::key_hash.eq(&created.secret)).count().get_result(conn)?)
            })
            .unwrap();
        assert_eq!(stored, 0);

        let whoami = app.url("/api/v1/auth/whoami");
        let me: api::WhoAmI = app.client.get(&whoami).header("x-api-key", &created.secret).send().await.unwrap().json().await.unwrap();
        assert_eq!((me.username.as_str(), me.auth_method), ("feed-bot", api::AuthMethod::ApiKey));
        let me: api::WhoAmI = app.client.get(&whoami).bearer_auth(&created.secret).send().await.unwrap().json().await.unwrap();
        assert_eq!(me.organisation.unwrap().id, org.id);
        let me: api::WhoAmI = app.client.get(&whoami).basic_auth("feed-bot", Some(&created.secret)).send().await.unwrap().json().await.unwrap();
        assert_eq!(me.role, Role::Operator);
        // An operator's key cannot reach admin routes.
        let r = app.client.get(&keys).header("x-api-key", &created.secret).send().await.unwrap();
        problem(r, ErrorCode::Forbidden).await;
        // Logout is for sessions only.
        let r = app.client.post(app.url("/api/v1/auth/logout")).header("x-api-key", &created.secret).send().await.unwrap();
        problem(r, ErrorCode::MalformedRequest).await;

        let unknown = app.client.get(&whoami).header("x-api-key", "isacx_unknown").send().await.unwrap();
        problem(unknown, ErrorCode::InvalidToken).await;
        let revoked = app.client.delete(app.url(&format!("/api/v1/admin/api-keys/{}", created.key.id))).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(revoked.status(), 200);
        let r = app.client.get(&whoami).header("x-api-key", &created.secret).send().await.unwrap();
        problem(r, ErrorCode::TokenRevoked).await;
        app.stop().await;
    }
}

#[tokio::test]
async fn audit_chain_detects_a_tampered_row() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        sample_org(&app, &admin).await;
        app.create_user(&admin, "analyst1", Role::Analyst, None).await.unwrap();
        let verdict = app.db.read(isacx_server::audit::verify).unwrap();
        let isacx_server::audit::Verification::Intact { rows } = verdict else { panic!("chain broken before tampering: {verdict:?}") };
        assert!(rows >= 4, "expected rows for admin creation, login, organisation, user; got {rows}");

        // The triggers refuse edits…
        let refused = app.db.read(|conn| Ok(conn.batch_execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 3")));
        assert!(refused.unwrap().is_err(), "audit_log accepted an UPDATE");
        // …so an attacker with database access drops them first.
        let drop_triggers = match backend {
            Backend::Sqlite => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
            Backend::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log;",
        };
        app.db
            .read(|conn| {
                conn.batch_execute(drop_triggers)?;
                conn.batch_execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 3")?;
                Ok(())
            })
            .unwrap();
        let verdict = app.db.read(isacx_server::audit::verify).unwrap();
        assert_eq!(verdict, isacx_server::audit::Verification::Broken { seq: 3, reason: "content does not match its hash".into() });

        // The command-line check says the same, with a failing exit code.
        let output = std::process::Command::new(isacx_tests::binary("isacx-server").unwrap())
            .args(["audit", "verify"])
            .env("ISACX_SERVER_STORAGE__DATABASE_URL", &app.database_url)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(3), "{stdout}");
        assert!(stdout.contains("row 3"), "{stdout}");

        // A deleted row shows as a gap.
        app.db.read(|conn| Ok(conn.batch_execute("UPDATE audit_log SET actor = (SELECT actor FROM audit_log WHERE seq = 2) WHERE seq = 3")?)).ok();
        app.db.read(|conn| Ok(conn.batch_execute("DELETE FROM audit_log WHERE seq = 2")?)).unwrap();
        let verdict = app.db.read(isacx_server::audit::verify).unwrap();
        assert!(matches!(verdict, isacx_server::audit::Verification::Broken { seq: 2, .. }), "{verdict:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn every_write_route_answers_bad_bodies_with_problem_details() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let admin = app.admin_token().await.unwrap();
    let org = sample_org(&app, &admin).await;
    let user = app.create_user(&admin, "someone", Role::Analyst, None).await.unwrap();
    let routes: Vec<(reqwest::Method, String)> = vec![
        (reqwest::Method::POST, "/api/v1/auth/login".into()),
        (reqwest::Method::POST, "/api/v1/admin/organisations".into()),
        (reqwest::Method::POST, "/api/v1/admin/users".into()),
        (reqwest::Method::PATCH, format!("/api/v1/admin/users/{}", user.id)),
        (reqwest::Method::POST, "/api/v1/admin/api-keys".into()),
        (reqwest::Method::POST, "/api/v1/admin/peers".into()),
        (reqwest::Method::POST, "/api/v1/policy/where".into()),
    ];
    let huge = json!({ "name": "x".repeat(2 * 1024 * 1024) }).to_string();
    for (method, path) in &routes {
        let send = |body: String, content_type: &'static str| {
            app.client.request(method.clone(), app.url(path)).bearer_auth(&admin).header("content-type", content_type).body(body).send()
        };
        problem(send("{\"name\":".into(), "application/json").await.unwrap(), ErrorCode::MalformedRequest).await;
        problem(send("[1, 2, 3]".into(), "application/json").await.unwrap(), ErrorCode::MalformedRequest).await;
        problem(send(huge.clone(), "application/json").await.unwrap(), ErrorCode::PayloadTooLarge).await;
        problem(send("name=x".into(), "application/x-www-form-urlencoded").await.unwrap(), ErrorCode::UnsupportedMediaType).await;
    }
    let wrong_types = app
        .client
        .post(app.url("/api/v1/admin/organisations"))
        .bearer_auth(&admin)
        .json(&json!({ "name": { "ja": 1, "en": true }, "sectors": "electricity" }))
        .send()
        .await
        .unwrap();
    problem(wrong_types, ErrorCode::MalformedRequest).await;
    let _ = org;
    app.stop().await;
}
