//! Issue 6 end to end with real parts: an analyst publishes an urgent
//! advisory; a real SMTP listener gets the mail in the member's language, a
//! real webhook receiver verifies its signature, and `isacx watch` shows it;
//! the member acknowledges and reassesses through the CLI; a member that does
//! nothing is reminded and then escalated by the scheduled sweep (the test
//! shortens the clock through config); a member outside the advisory's scope
//! gets nothing on any channel. Both backends.
//!
//! Latencies from publication to each channel are printed, not asserted
//! (performance is measured by `cargo bench -p isacx-server --bench advisory_match`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::Utc;
use isacx_schemas::api::{self, Role};
use isacx_schemas::notify::{CreatedWebhook, Delivery};
use isacx_tests::cli::Cli;
use isacx_tests::smtp::{ReceivedMail, SmtpListener};
use isacx_tests::webhook::WebhookReceiver;
use isacx_tests::{backends, notice, TestApp, USER_PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(30);

async fn user(app: &TestApp, admin: &str, name: &str, role: Role, org: Option<Uuid>, locale: &str) -> api::User {
    let r = app
        .client
        .post(app.url("/api/v1/admin/users"))
        .bearer_auth(admin)
        .json(&json!({ "username": name, "password": USER_PASSWORD, "role": role, "organisation_id": org,
                       "email": format!("{name}@member.example"), "locale": locale }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn organisation(app: &TestApp, admin: &str, en: &str, ja: &str, sector: &str) -> api::Organisation {
    app.create_organisation(admin, json!({ "name": { "ja": ja, "en": en }, "sectors": [sector] })).await.unwrap()
}

async fn webhook(app: &TestApp, token: &str, receiver: &WebhookReceiver) {
    let r = app
        .client
        .post(app.url("/api/v1/notifications/webhooks"))
        .bearer_auth(token)
        .json(&json!({ "url": receiver.url, "label": "SOC" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: CreatedWebhook = r.json().await.unwrap();
    receiver.set_secret(&created.secret);
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let r = app.client.post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert!((200..300).contains(&status), "{path}: {status} {body}");
    body
}

/// Mails to `to` whose subject contains `subject`, waited for.
async fn mails_to(smtp: &SmtpListener, to: &str, subject: &str) -> Vec<ReceivedMail> {
    let deadline = Instant::now() + WAIT;
    loop {
        let found: Vec<ReceivedMail> =
            smtp.received().into_iter().filter(|m| m.to == vec![to.to_owned()] && m.subject().contains(subject)).collect();
        if !found.is_empty() || Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn deliveries(app: &TestApp, admin: &str) -> Vec<Delivery> {
    let r = app.client.get(app.url("/api/v1/admin/deliveries?limit=1000")).bearer_auth(admin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn urgent_advisory_reaches_every_channel_and_unanswered_tasks_escalate() {
    for backend in backends() {
        let smtp = SmtpListener::start().unwrap();
        let port = smtp.addr.port();
        let in_scope_hook = WebhookReceiver::start().unwrap();
        let out_of_scope_hook = WebhookReceiver::start().unwrap();
        let app = TestApp::builder(backend)
            .settings(move |s| {
                s.notify.poll_interval_ms = 100;
                s.notify.retry_base_ms = 200;
                s.notify.retry_max_ms = 800;
                s.notify.webhook_allow_http = true;
                s.notify.smtp_host = "127.0.0.1".to_owned();
                s.notify.smtp_port = port;
                s.notify.smtp_tls = "none".to_owned();
                s.notify.smtp_from = "Denki ISAC <isac@isac.example>".to_owned();
                // The clock, shortened: remind after 4 s, escalate 1 s and 2 s after the deadline.
                s.advisories.reminder_after_secs = 4;
                s.advisories.escalate_member_after_deadline_secs = 1;
                s.advisories.escalate_analysts_after_deadline_secs = 2;
                s.jobs.reassessment_sweep = "* * * * * *".to_owned();
            })
            .start()
            .await
            .unwrap();
        let admin = app.admin_token().await.unwrap();
        user(&app, &admin, "ana", Role::Analyst, None, "en").await;
        let analyst = app.login("ana", USER_PASSWORD).await.unwrap();

        let toto = organisation(&app, &admin, "Toto Electric Power", "東都電力株式会社", "electricity").await;
        user(&app, &admin, "taro", Role::Operator, Some(toto.id), "ja").await;
        let taro = app.login("taro", USER_PASSWORD).await.unwrap();
        webhook(&app, &taro, &in_scope_hook).await;
        let entry = post(
            &app,
            &taro,
            "/api/v1/register",
            json!({ "resource": "制御系 VPN", "outcome": "制御停止", "threat_event": "targeted_attack", "impact": 4, "likelihood": 3,
                    "residual_impact": 3, "residual_likelihood": 2, "owner": "制御部" }),
        )
        .await;
        let entry_id = entry["id"].as_str().unwrap().to_owned();

        let kita = organisation(&app, &admin, "Kita Electric", "北電気株式会社", "electricity").await;
        let bob = user(&app, &admin, "bob", Role::Operator, Some(kita.id), "en").await;

        let nishi = organisation(&app, &admin, "Nishi Bank", "西銀行株式会社", "finance").await;
        let carol = user(&app, &admin, "carol", Role::Operator, Some(nishi.id), "en").await;
        let carol_token = app.login("carol", USER_PASSWORD).await.unwrap();
        webhook(&app, &carol_token, &out_of_scope_hook).await;

        // taro follows the stream with `isacx watch`; carol too, to see that nothing comes.
        let cli = Cli::new();
        cli.login(&app, "taro");
        let watch = cli.command(&["watch", "--json", "--count", "1"]).spawn().unwrap();
        let carol_cli = Cli::new();
        carol_cli.login(&app, "carol");
        let carol_watch = carol_cli.command(&["watch", "--json"]).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;

        let deadline = Utc::now() + chrono::Duration::seconds(10);
        let draft = post(
            &app,
            &analyst,
            "/api/v1/advisories",
            json!({
                "title": { "en": "SSL-VPN flaw exploited against power utilities", "ja": "電力事業者を狙う SSL-VPN の脆弱性悪用" },
                "summary": { "en": "Patch the VPN appliances now.", "ja": "直ちに VPN 装置を更新してください。" },
                "urgency": "urgent", "tlp": "amber", "scope_sectors": ["electricity"], "affected_sectors": ["electricity"],
                "threat_events": ["targeted_attack"], "reassessment_deadline": deadline,
            }),
        )
        .await;
        let id = draft["id"].as_str().unwrap().to_owned();
        let published_at = Instant::now();
        let published = post(&app, &analyst, &format!("/api/v1/advisories/{id}/publish"), json!({})).await;
        let stix_id = published["stix_id"].as_str().unwrap().to_owned();

        // E-mail in the member's language.
        let mail = mails_to(&smtp, "taro@member.example", "電力事業者を狙う SSL-VPN の脆弱性悪用").await;
        let mail_latency = published_at.elapsed();
        assert_eq!(mail.len(), 1, "{:?}", smtp.received());
        assert!(mail[0].subject().contains("緊急"), "{}", mail[0].subject());
        assert!(mail[0].body().contains("直ちに VPN 装置を更新してください。") && !mail[0].body().contains("Patch the VPN"));
        // A correctly signed webhook (the receiver accepts only those).
        let hooks = in_scope_hook.wait_for(1, WAIT).await;
        let hook_latency = published_at.elapsed();
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0].body["object_id"], stix_id.as_str(), "{}", hooks[0].body);
        assert_eq!(hooks[0].body["payload"]["content"]["reports"], json!([]), "members never see which raw reports it came from");
        // The event stream, through the real client.
        let waiter = tokio::task::spawn_blocking(move || watch.wait_with_output().unwrap());
        let out = tokio::time::timeout(WAIT, waiter).await.expect("isacx watch showed the event").unwrap();
        let watch_latency = published_at.elapsed();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        let line: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
        assert_eq!(line["object_id"], stix_id.as_str());
        assert_eq!(line["urgency"], "urgent");
        notice(&format!(
            "{backend:?}: publish → e-mail {} ms, webhook {} ms, isacx watch {} ms",
            mail_latency.as_millis(),
            hook_latency.as_millis(),
            watch_latency.as_millis()
        ));

        // taro acknowledges and reassesses through the CLI.
        let run = cli.run(&["advisories", "ack", &id]);
        assert_eq!(run.code, 0, "{run:?}");
        let run = cli.run(&["advisories", "reassess", &id, "--entry", &format!("{entry_id}:2:1:reduce:VPN 更新済み")]);
        assert_eq!(run.code, 0, "{run:?}");

        // bob does nothing: reminded (in English), then escalated to his organisation and to the analysts.
        let reminder = mails_to(&smtp, "bob@member.example", "Reassessment reminder").await;
        assert_eq!(reminder.len(), 1, "{:?}", smtp.received().iter().map(|m| (m.to.clone(), m.subject())).collect::<Vec<_>>());
        let escalated = mails_to(&smtp, "bob@member.example", "Reassessment overdue").await;
        assert_eq!(escalated.len(), 1);
        let to_analyst = mails_to(&smtp, "ana@member.example", "Reassessment overdue").await;
        assert_eq!(to_analyst.len(), 1);
        let board: Value =
            app.client.get(app.url(&format!("/api/v1/advisories/{id}/board"))).bearer_auth(&analyst).send().await.unwrap().json().await.unwrap();
        let rows = board["rows"].as_array().unwrap();
        let state_of = |org: Uuid| rows.iter().find(|r| r["organisation_id"] == org.to_string().as_str()).unwrap()["state"].clone();
        assert_eq!(state_of(toto.id), "reassessed");
        assert_eq!(state_of(kita.id), "requested");
        // Each step once, though the sweep runs every second.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let to_bob: Vec<String> =
            smtp.received().iter().filter(|m| m.to == vec!["bob@member.example".to_owned()]).map(|m| m.subject()).collect();
        assert_eq!(to_bob.len(), 3, "the advisory, one reminder, one escalation: {to_bob:?}");
        assert!(
            !smtp.received().iter().any(|m| m.to == vec!["taro@member.example".to_owned()] && m.subject().contains("overdue")),
            "a member that reassessed is not escalated"
        );

        // The member outside the scope got nothing on any channel.
        assert!(smtp.received().iter().all(|m| m.to != vec!["carol@member.example".to_owned()]));
        assert!(out_of_scope_hook.accepted().is_empty());
        let all = deliveries(&app, &admin).await;
        assert!(all.iter().any(|d| d.user_id == Some(bob.id)), "the outbox holds bob's deliveries");
        assert!(
            all.iter().all(|d| d.user_id != Some(carol.id) && d.organisation_id != Some(nishi.id)),
            "no delivery of any channel for the member outside the scope"
        );
        let mut carol_watch = carol_watch;
        let _ = carol_watch.kill();
        let out = carol_watch.wait_with_output().unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).trim().is_empty(), "carol's stream stayed silent");

        app.stop().await;
        in_scope_hook.stop().await;
        out_of_scope_hook.stop().await;
    }
}
