//! Notifications end to end: events enqueued through the server library
//! (real database, the real server's delivery workers) reach a real SMTP
//! listener in the user's language, a real webhook receiver that verifies the
//! signature, and the user's event stream; a receiver that is down or
//! answers 500 gets the delivery once it is back, exactly once; filters and
//! thresholds keep events away from those who asked not to get them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use isacx_schemas::api::{self, Role};
use isacx_schemas::notify::{
    Channel, CreatedWebhook, Delivery, DeliveryState, EventKind, LocalisedText, Notification,
    Urgency, Webhook,
};
use isacx_schemas::tlp::Tlp;
use isacx_server::config::Settings;
use isacx_server::notify::{self, Event};
use isacx_server::policy::Access;
use isacx_tests::smtp::SmtpListener;
use isacx_tests::webhook::WebhookReceiver;
use isacx_tests::{backends, TestApp, USER_PASSWORD};
use serde_json::json;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(20);

fn fast(settings: &mut Settings) {
    settings.notify.poll_interval_ms = 100;
    settings.notify.retry_base_ms = 200;
    settings.notify.retry_max_ms = 800;
    settings.notify.max_attempts = 50;
    settings.notify.webhook_allow_http = true;
    settings.notify.stream_keepalive_secs = 1;
}

fn event(key: &str, urgency: Urgency, sectors: &[&str]) -> Event {
    Event {
        kind: EventKind::AdvisoryPublished,
        dedupe_key: format!("advisory:{key}:published"),
        object_id: format!("report--{}", Uuid::new_v4()),
        urgency,
        sectors: sectors.iter().map(|s| s.to_string()).collect(),
        products: vec!["cpe:2.3:a:acme:vpn_gateway:9.1:*:*:*:*:*:*:*".to_owned()],
        tags: vec!["ransomware".to_owned()],
        title: LocalisedText {
            en: format!("VPN gateway exploited ({key})"),
            ja: format!("VPN装置の脆弱性が悪用されています({key})"),
        },
        summary: LocalisedText {
            en: "Patch the VPN gateway now.".to_owned(),
            ja: "直ちにVPN装置を更新してください。".to_owned(),
        },
        deadline: None,
        payload: json!({ "key": key }),
    }
}

fn amber(sectors: &[&str]) -> Access {
    Access {
        sectors: sectors.iter().map(|s| s.to_string()).collect(),
        ..Access::published(Tlp::Amber)
    }
}

async fn enqueue(app: &TestApp, event: Event, access: Access, users: Vec<Uuid>) -> usize {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        db.write(|conn| notify::enqueue(conn, &event, &access, &users))
    })
    .await
    .unwrap()
    .unwrap()
}

async fn organisation(app: &TestApp, admin: &str, en: &str, sector: &str) -> api::Organisation {
    app.create_organisation(
        admin,
        json!({ "name": { "ja": format!("{en}株式会社"), "en": en }, "sectors": [sector] }),
    )
    .await
    .unwrap()
}

async fn user(
    app: &TestApp,
    admin: &str,
    name: &str,
    org: Option<Uuid>,
    locale: &str,
) -> api::User {
    let role = if org.is_some() {
        Role::Operator
    } else {
        Role::Analyst
    };
    let response = app
        .client
        .post(app.url("/api/v1/admin/users"))
        .bearer_auth(admin)
        .json(&json!({ "username": name, "password": USER_PASSWORD, "role": role, "organisation_id": org,
                       "email": format!("{name}@member.example"), "locale": locale }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn deliveries(app: &TestApp, admin: &str) -> Vec<Delivery> {
    let response = app
        .client
        .get(app.url("/api/v1/admin/deliveries?limit=1000"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn wait_until<F: FnMut(&[Delivery]) -> bool>(
    app: &TestApp,
    admin: &str,
    mut done: F,
) -> Vec<Delivery> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let all = deliveries(app, admin).await;
        if done(&all) || tokio::time::Instant::now() > deadline {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn email_in_the_users_language_retried_when_the_smtp_server_returns() {
    for backend in backends() {
        let mut smtp = SmtpListener::start().unwrap();
        let port = smtp.addr.port();
        let app = TestApp::builder(backend)
            .settings(move |s| {
                fast(s);
                s.notify.smtp_host = "127.0.0.1".to_owned();
                s.notify.smtp_port = port;
                s.notify.smtp_tls = "none".to_owned();
                s.notify.smtp_from = "Toto ISAC <isac@isac.example>".to_owned();
            })
            .start()
            .await
            .unwrap();
        let admin = app.admin_token().await.unwrap();
        let org = organisation(&app, &admin, "Toto Electric", "electricity").await;
        let en = user(&app, &admin, "alice", Some(org.id), "en").await;
        let ja = user(&app, &admin, "taro", Some(org.id), "ja").await;

        let first = event("one", Urgency::Urgent, &["electricity"]);
        // e-mail and stream for each of the two users.
        assert_eq!(
            enqueue(
                &app,
                first.clone(),
                amber(&["electricity"]),
                vec![en.id, ja.id]
            )
            .await,
            4
        );
        assert_eq!(
            enqueue(&app, first, amber(&["electricity"]), vec![en.id, ja.id]).await,
            0,
            "a repeated event is suppressed"
        );

        let mails = smtp.wait_for(2, WAIT).await;
        assert_eq!(mails.len(), 2, "{mails:?}");
        let to = |addr: &str| {
            mails
                .iter()
                .find(|m| m.to == vec![addr.to_owned()])
                .unwrap_or_else(|| panic!("no mail to {addr}: {mails:?}"))
        };
        let english = to("alice@member.example");
        assert_eq!(english.from, "isac@isac.example");
        assert!(
            english.subject().contains("New advisory") && english.subject().contains("URGENT"),
            "{}",
            english.subject()
        );
        assert!(english.subject().contains("VPN gateway exploited (one)"));
        assert!(
            english.body().contains("Patch the VPN gateway now."),
            "{}",
            english.body()
        );
        let japanese = to("taro@member.example");
        assert!(
            japanese.subject().contains("新しい情報提供") && japanese.subject().contains("緊急"),
            "{}",
            japanese.subject()
        );
        assert!(japanese
            .subject()
            .contains("VPN装置の脆弱性が悪用されています(one)"));
        assert!(
            japanese
                .body()
                .contains("直ちにVPN装置を更新してください。"),
            "{}",
            japanese.body()
        );
        assert!(
            !japanese.body().contains("Patch the VPN"),
            "the Japanese mail is in Japanese only"
        );

        // The mail server goes away: deliveries wait and retry, nothing is lost.
        smtp.stop();
        assert_eq!(
            enqueue(
                &app,
                event("two", Urgency::Warning, &["electricity"]),
                amber(&["electricity"]),
                vec![en.id, ja.id]
            )
            .await,
            4
        );
        let failing = wait_until(&app, &admin, |all| {
            all.iter()
                .filter(|d| {
                    d.channel == Channel::Email
                        && d.state == DeliveryState::Pending
                        && d.attempts >= 2
                })
                .count()
                == 2
        })
        .await;
        let retrying: Vec<&Delivery> = failing
            .iter()
            .filter(|d| d.channel == Channel::Email && d.state == DeliveryState::Pending)
            .collect();
        assert_eq!(retrying.len(), 2, "{failing:?}");
        assert!(
            retrying
                .iter()
                .all(|d| d.attempts >= 2 && d.last_error.is_some()),
            "{retrying:?}"
        );
        smtp.restart().unwrap();
        let mails = smtp.wait_for(4, WAIT).await;
        assert_eq!(mails.len(), 4, "{mails:?}");
        // Give a duplicate every chance to show up.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let mails = smtp.received();
        assert_eq!(mails.len(), 4, "nothing is delivered twice: {mails:?}");
        let ids: HashSet<String> = mails
            .iter()
            .map(|m| m.header("Message-ID").unwrap())
            .collect();
        assert_eq!(ids.len(), 4);
        assert_eq!(smtp.addr.port(), port);
        let all = deliveries(&app, &admin).await;
        assert!(
            all.iter()
                .filter(|d| d.channel == Channel::Email)
                .all(|d| d.state == DeliveryState::Delivered),
            "{all:?}"
        );
        for d in all.iter().filter(|d| d.channel == Channel::Email) {
            assert!(
                ids.iter().any(|m| m.contains(&d.id.to_string())),
                "the Message-ID names the delivery {}",
                d.id
            );
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn webhooks_are_signed_retried_after_500_and_a_dead_endpoint_holds_nothing_up() {
    for backend in backends() {
        let receiver = WebhookReceiver::start().unwrap();
        let app = TestApp::builder(backend)
            .settings(|s| {
                fast(s);
                s.notify.max_attempts = 4;
            })
            .start()
            .await
            .unwrap();
        let admin = app.admin_token().await.unwrap();
        let org = organisation(&app, &admin, "Toto Electric", "electricity").await;
        let alice = user(&app, &admin, "alice", Some(org.id), "en").await;
        let token = app.login("alice", USER_PASSWORD).await.unwrap();
        let hooks = app.url("/api/v1/notifications/webhooks");

        // Plain http is refused unless the server allows it; junk is refused anyway.
        let r = app
            .client
            .post(&hooks)
            .bearer_auth(&token)
            .json(&json!({ "url": "ftp://x.example/" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let r = app
            .client
            .post(&hooks)
            .bearer_auth(&admin)
            .json(&json!({ "url": receiver.url }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "webhooks belong to member organisations");

        let r = app
            .client
            .post(&hooks)
            .bearer_auth(&token)
            .json(&json!({ "url": receiver.url, "label": "SOC" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let created: CreatedWebhook = r.json().await.unwrap();
        assert!(created.secret.starts_with("whsec_") && created.secret.len() > 40);
        receiver.set_secret(&created.secret);
        // A second endpoint whose secret the receiver does not know: every attempt is refused.
        let r = app
            .client
            .post(&hooks)
            .bearer_auth(&token)
            .json(&json!({ "url": receiver.url, "label": "stale" }))
            .send()
            .await
            .unwrap();
        let stale: CreatedWebhook = r.json().await.unwrap();
        let listed: serde_json::Value = app
            .client
            .get(&hooks)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 2);
        assert!(
            !listed.to_string().contains(&created.secret) && !listed.to_string().contains("secret"),
            "secrets are shown once: {listed}"
        );

        receiver.state.fail_next.store(2, Ordering::SeqCst);
        let ev = event("hook", Urgency::Warning, &["electricity"]);
        let object_id = ev.object_id.clone();
        assert_eq!(
            enqueue(&app, ev, amber(&["electricity"]), vec![alice.id]).await,
            4,
            "e-mail, stream, two webhooks"
        );

        let accepted = receiver.wait_for(1, WAIT).await;
        assert_eq!(accepted.len(), 1);
        assert_eq!(
            receiver.state.answered_500.load(Ordering::SeqCst),
            2,
            "two 500s, then success"
        );
        let body: Notification = serde_json::from_value(accepted[0].body.clone()).unwrap();
        assert_eq!(body.object_id, object_id);
        assert_eq!(body.kind, EventKind::AdvisoryPublished);
        assert_eq!(
            body.delivery_id.to_string(),
            accepted[0].delivery_id,
            "the delivery id is the same in header and body"
        );

        // The stale endpoint dies after its attempts; admins see it; the good one was not held up.
        let all = wait_until(&app, &admin, |all| {
            all.iter()
                .any(|d| d.target == stale.webhook.id.to_string() && d.state == DeliveryState::Dead)
        })
        .await;
        let dead = all
            .iter()
            .find(|d| d.target == stale.webhook.id.to_string())
            .unwrap();
        assert_eq!(dead.state, DeliveryState::Dead, "{all:?}");
        assert_eq!(dead.attempts, 4);
        assert!(
            dead.last_error.as_deref().unwrap_or("").contains("401"),
            "{dead:?}"
        );
        let good = all
            .iter()
            .find(|d| d.target == created.webhook.id.to_string())
            .unwrap();
        assert_eq!(good.state, DeliveryState::Delivered);
        assert_eq!(good.attempts, 3);
        let listed: Vec<Delivery> = app
            .client
            .get(app.url("/api/v1/admin/deliveries?state=dead"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            listed.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![dead.id]
        );
        assert!(receiver.state.bad_signatures.load(Ordering::SeqCst) >= 4);
        let r = app
            .client
            .get(app.url("/api/v1/admin/deliveries?state=lost"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);

        // An admin gives it another go once the member fixed its receiver; it arrives once.
        receiver.set_secret(&stale.secret);
        let r = app
            .client
            .post(app.url(&format!("/api/v1/admin/deliveries/{}/retry", dead.id)))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let accepted = receiver.wait_for(2, WAIT).await;
        assert_eq!(accepted.len(), 2);
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let accepted = receiver.accepted();
        let ids: BTreeSet<&str> = accepted.iter().map(|a| a.delivery_id.as_str()).collect();
        assert_eq!(
            (accepted.len(), ids.len()),
            (2, 2),
            "each delivery accepted once: {accepted:?}"
        );

        // A disabled endpoint gets nothing more (the receiver knows the first endpoint's secret again).
        receiver.set_secret(&created.secret);
        let r = app
            .client
            .delete(app.url(&format!(
                "/api/v1/notifications/webhooks/{}",
                stale.webhook.id
            )))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(!r.json::<Webhook>().await.unwrap().enabled);
        assert_eq!(
            enqueue(
                &app,
                event("after", Urgency::Warning, &["electricity"]),
                amber(&["electricity"]),
                vec![alice.id]
            )
            .await,
            3
        );
        assert_eq!(receiver.wait_for(3, WAIT).await.len(), 3);
        let all = deliveries(&app, &admin).await;
        let skipped: Vec<_> = all
            .iter()
            .filter(|d| {
                d.target == stale.webhook.id.to_string() && d.state == DeliveryState::Skipped
            })
            .collect();
        assert!(
            skipped.is_empty(),
            "a disabled endpoint gets no new rows at all: {skipped:?}"
        );
        app.stop().await;
        receiver.stop().await;
    }
}

/// Read `n` events from an open stream.
async fn read_events(
    stream: &mut (impl futures_util::Stream<
        Item = Result<
            eventsource_stream::Event,
            eventsource_stream::EventStreamError<reqwest::Error>,
        >,
    > + Unpin),
    n: usize,
) -> Vec<eventsource_stream::Event> {
    let mut got = Vec::new();
    while got.len() < n {
        let next = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("an event within the wait")
            .expect("the stream stays open")
            .unwrap();
        if next.event == "message" && next.data.is_empty() {
            continue;
        }
        got.push(next);
    }
    got
}

#[tokio::test]
async fn stream_replays_from_last_event_id_and_filters_keep_events_away() {
    use eventsource_stream::Eventsource;
    for backend in backends() {
        let app = TestApp::builder(backend)
            .settings(fast)
            .start()
            .await
            .unwrap();
        let admin = app.admin_token().await.unwrap();
        let power = organisation(&app, &admin, "Toto Electric", "electricity").await;
        let bank = organisation(&app, &admin, "Chuo Bank", "finance").await;
        let alice = user(&app, &admin, "alice", Some(power.id), "en").await;
        let bob = user(&app, &admin, "bob", Some(power.id), "ja").await;
        let carol = user(&app, &admin, "carol", Some(bank.id), "en").await;
        let dave = user(&app, &admin, "dave", Some(power.id), "en").await;
        let alice_token = app.login("alice", USER_PASSWORD).await.unwrap();
        let bob_token = app.login("bob", USER_PASSWORD).await.unwrap();
        let settings_url = app.url("/api/v1/notifications/settings");

        // Bob wants only urgent news about the finance sector and no e-mail.
        let r = app
            .client
            .put(&settings_url)
            .bearer_auth(&bob_token)
            .json(&json!({ "email": false, "stream": true, "min_urgency": "urgent", "sectors": ["finance"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let r = app.client.put(&settings_url).bearer_auth(&bob_token).json(&json!({ "email": true, "stream": true, "min_urgency": "info", "sectors": ["space"] })).send().await.unwrap();
        assert_eq!(r.status(), 422, "unknown sectors are refused");
        let mine: serde_json::Value = app
            .client
            .get(&settings_url)
            .bearer_auth(&bob_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(mine["min_urgency"], "urgent");
        assert_eq!(mine["sectors"], json!(["finance"]));
        // Dave's organisation... is Alice's: an organisation threshold of urgent would silence both, so set it on the bank instead.
        let carol_token = app.login("carol", USER_PASSWORD).await.unwrap();
        let r = app
            .client
            .put(app.url("/api/v1/notifications/organisation"))
            .bearer_auth(&carol_token)
            .json(&json!({ "min_urgency": "urgent" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // Dave turns the stream off.
        let dave_token = app.login("dave", USER_PASSWORD).await.unwrap();
        let r = app
            .client
            .put(&settings_url)
            .bearer_auth(&dave_token)
            .json(&json!({ "email": false, "stream": false, "min_urgency": "info" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);

        let open = |token: String, last: Option<String>| {
            let mut request = app
                .client
                .get(app.url("/api/v1/notifications/stream"))
                .bearer_auth(token);
            if let Some(id) = last {
                request = request.header("last-event-id", id);
            }
            request.send()
        };
        let response = open(alice_token.clone(), None).await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        let mut stream = response.bytes_stream().eventsource();

        // AMBER for electricity, warning: Alice gets it; Bob's filters, Carol's sector and Dave's settings keep it away.
        let first = event("first", Urgency::Warning, &["electricity"]);
        let written = enqueue(
            &app,
            first.clone(),
            amber(&["electricity"]),
            vec![alice.id, bob.id, carol.id, dave.id],
        )
        .await;
        assert_eq!(written, 2, "Alice's e-mail and stream rows only");
        let got = read_events(&mut stream, 1).await;
        assert_eq!(got[0].event, "advisory_published");
        let body: Notification = serde_json::from_str(&got[0].data).unwrap();
        assert_eq!(body.object_id, first.object_id);
        assert_eq!(body.title.ja, first.title.ja);
        let first_id = got[0].id.clone();
        assert!(first_id.parse::<i64>().is_ok(), "{first_id}");
        let all = deliveries(&app, &admin).await;
        for user in [&bob, &carol, &dave] {
            assert!(
                all.iter().all(|d| d.user_id != Some(user.id)),
                "{} got nothing: {all:?}",
                user.username
            );
        }
        // Carol's organisation lets only urgent through, and an urgent GREEN event for all sectors reaches her.
        let everyone = event("everyone", Urgency::Urgent, &["*"]);
        assert_eq!(
            enqueue(
                &app,
                everyone.clone(),
                Access::published(Tlp::Green),
                vec![carol.id, bob.id]
            )
            .await,
            3,
            "Carol's two rows and Bob's stream"
        );

        // Alice drops off; two events come; she reconnects with Last-Event-ID and gets exactly those.
        drop(stream);
        let second = event("second", Urgency::Info, &["electricity"]);
        let third = event("third", Urgency::Urgent, &["electricity"]);
        enqueue(
            &app,
            second.clone(),
            amber(&["electricity"]),
            vec![alice.id],
        )
        .await;
        enqueue(&app, third.clone(), amber(&["electricity"]), vec![alice.id]).await;
        let mut stream = open(alice_token.clone(), Some(first_id.clone()))
            .await
            .unwrap()
            .bytes_stream()
            .eventsource();
        let got = read_events(&mut stream, 2).await;
        let objects: Vec<String> = got
            .iter()
            .map(|e| {
                serde_json::from_str::<Notification>(&e.data)
                    .unwrap()
                    .object_id
            })
            .collect();
        assert_eq!(
            objects,
            vec![second.object_id.clone(), third.object_id.clone()]
        );
        assert!(got[0].id.parse::<i64>().unwrap() > first_id.parse::<i64>().unwrap());

        // Bob's stream holds only the urgent all-sector event.
        let mut bobs = open(bob_token, Some("0".to_owned()))
            .await
            .unwrap()
            .bytes_stream()
            .eventsource();
        let got = read_events(&mut bobs, 1).await;
        assert_eq!(
            serde_json::from_str::<Notification>(&got[0].data)
                .unwrap()
                .object_id,
            everyone.object_id
        );

        // Bad Last-Event-ID; no credentials.
        let r = open(alice_token, Some("abc".to_owned())).await.unwrap();
        assert_eq!(r.status(), 400);
        let r = app
            .client
            .get(app.url("/api/v1/notifications/stream"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        // Open streams would hold a graceful shutdown up until its timeout.
        drop((stream, bobs));
        app.stop().await;
    }
}

#[tokio::test]
async fn one_server_runs_each_job_tick_when_two_share_the_database() {
    for backend in backends() {
        let every_second = |s: &mut Settings| s.jobs.outbox_sweep = "* * * * * *".to_owned();
        let mut first = TestApp::builder(backend)
            .settings(every_second)
            .start()
            .await
            .unwrap();
        let second = TestApp::builder(backend)
            .settings(every_second)
            .sharing_database_of(&first)
            .start()
            .await
            .unwrap();
        assert_ne!(first.instance_id, second.instance_id);
        tokio::time::sleep(Duration::from_millis(4500)).await;
        first.halt().await;
        let stopped_at = isacx_server::db::now();
        tokio::time::sleep(Duration::from_millis(3500)).await;

        let db = second.db.clone();
        let runs: Vec<(chrono::NaiveDateTime, String, Option<String>)> =
            tokio::task::spawn_blocking(move || {
                use diesel::prelude::*;
                use isacx_server::db::schema::job_runs;
                db.read(|c| {
                    Ok(job_runs::table
                        .filter(job_runs::job.eq("outbox_sweep"))
                        .select((job_runs::tick, job_runs::holder, job_runs::outcome))
                        .order(job_runs::tick.asc())
                        .load(c)?)
                })
            })
            .await
            .unwrap()
            .unwrap();
        let ticks: BTreeSet<_> = runs.iter().map(|r| r.0).collect();
        assert_eq!(ticks.len(), runs.len(), "no tick ran twice: {runs:?}");
        assert!(runs.len() >= 6, "a run nearly every second: {runs:?}");
        assert!(
            runs.iter()
                .all(|r| r.1 == first.instance_id || r.1 == second.instance_id),
            "{runs:?}"
        );
        assert!(
            runs.iter().all(|r| r.2.as_deref() == Some("ok")),
            "{runs:?}"
        );
        let after: Vec<_> = runs
            .iter()
            .filter(|r| r.0 > stopped_at + chrono::Duration::seconds(1))
            .collect();
        assert!(
            after.len() >= 2 && after.iter().all(|r| r.1 == second.instance_id),
            "the second server carries on alone: {runs:?}"
        );
        second.stop().await;
        first.stop().await;
    }
}

/// Two server processes on one PostgreSQL: an event written through one
/// reaches a stream held open on the other at once, by LISTEN/NOTIFY (the
/// other's poll interval is a minute, longer than this test waits). The
/// second server's logs never show a webhook secret it handed out.
#[tokio::test]
async fn an_event_reaches_a_stream_on_another_server_through_listen_notify() {
    use eventsource_stream::Eventsource;
    use std::io::BufRead;
    if !backends().contains(&isacx_tests::Backend::Postgres) {
        isacx_tests::notice("NOTE: the LISTEN/NOTIFY test needs PostgreSQL and was SKIPPED (on SQLite one server keeps events in process)");
        return;
    }
    let app = TestApp::spawn(isacx_tests::Backend::Postgres)
        .await
        .unwrap();
    let admin = app.admin_token().await.unwrap();
    let org = organisation(&app, &admin, "Toto Electric", "electricity").await;
    let alice = user(&app, &admin, "alice", Some(org.id), "en").await;

    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(isacx_tests::binary("isacx-server").unwrap())
        .arg("serve")
        .env("ISACX_SERVER_STORAGE__DATABASE_URL", &app.database_url)
        .env("ISACX_SERVER_STORAGE__DATA_DIR", dir.path().join("data"))
        .env("ISACX_SERVER_HTTP__BIND", "127.0.0.1:0")
        .env("ISACX_SERVER_NOTIFY__POLL_INTERVAL_MS", "60000")
        .env("ISACX_SERVER_NOTIFY__STREAM_KEEPALIVE_SECS", "1")
        .env("ISACX_SERVER_NOTIFY__WEBHOOK_ALLOW_HTTP", "true")
        .env("ISACX_SERVER_LOG__FILTER", "debug")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut logs = Vec::new();
    let port = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the second server started");
        let port = line
            .strip_prefix("isacx-server listening on https://127.0.0.1:")
            .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok());
        logs.push(line);
        if let Some(port) = port {
            break port;
        }
    };
    let client = isacx_tests::client_trusting(&dir.path().join("data/tls/ca.pem")).unwrap();
    let other = format!("https://localhost:{port}");
    let login: api::LoginResponse = client
        .post(format!("{other}/api/v1/auth/login"))
        .json(&json!({ "username": "alice", "password": USER_PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response = client
        .get(format!("{other}/api/v1/notifications/stream"))
        .bearer_auth(&login.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream().eventsource();
    // Let the stream read the (empty) outbox and settle into waiting: from now
    // on only a wake-up makes it look again before its minute-long poll.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let ev = event("across", Urgency::Urgent, &["electricity"]);
    enqueue(&app, ev.clone(), amber(&["electricity"]), vec![alice.id]).await;
    let got = read_events(&mut stream, 1).await;
    assert_eq!(
        serde_json::from_str::<Notification>(&got[0].data)
            .unwrap()
            .object_id,
        ev.object_id
    );

    let created: CreatedWebhook = client
        .post(format!("{other}/api/v1/notifications/webhooks"))
        .bearer_auth(&login.token)
        .json(&json!({ "url": "http://127.0.0.1:9/hook" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    drop(stream);
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    logs.extend(rx.try_iter());
    assert!(
        logs.iter().any(|l| l.contains("notify.webhook.create")),
        "the change is logged: {logs:#?}"
    );
    assert!(
        !logs.iter().any(|l| l.contains(&created.secret)),
        "a webhook secret never reaches the logs"
    );
    app.stop().await;
}

/// On PostgreSQL a second outbox writer waits until the first commits before
/// it takes its sequence number, so numbers follow commit order and a live
/// stream that has read past seq N never skips a row committed later with a
/// smaller one.
#[tokio::test]
async fn outbox_sequence_numbers_follow_commit_order_on_postgres() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use isacx_server::db::schema::outbox;
    use isacx_server::db::DbConnection;
    use std::sync::mpsc;

    if !backends().contains(&isacx_tests::Backend::Postgres) {
        isacx_tests::notice("NOTE: the outbox commit-order test needs PostgreSQL and was SKIPPED (SQLite serialises write transactions)");
        return;
    }
    let app = TestApp::spawn(isacx_tests::Backend::Postgres).await.unwrap();
    let admin = app.admin_token().await.unwrap();
    let org = organisation(&app, &admin, "Toto Electric", "electricity").await;
    let alice = user(&app, &admin, "alice", Some(org.id), "en").await;

    let (first_written_tx, first_written) = mpsc::channel::<()>();
    let (commit_tx, commit) = mpsc::channel::<()>();
    let db = app.db.clone();
    let first = std::thread::spawn(move || {
        let mut conn = db.get().unwrap();
        conn.batch_execute("BEGIN").unwrap();
        let n = notify::enqueue(&mut conn, &event("first", Urgency::Urgent, &["electricity"]), &amber(&["electricity"]), &[alice.id]).unwrap();
        assert_eq!(n, 2, "e-mail and stream");
        first_written_tx.send(()).unwrap();
        commit.recv().unwrap();
        conn.batch_execute("COMMIT").unwrap();
    });
    first_written.recv().unwrap();

    let (pid_tx, pid_rx) = mpsc::channel::<i32>();
    let db = app.db.clone();
    let second = std::thread::spawn(move || {
        let mut conn = db.get().unwrap();
        let DbConnection::Postgres(pg) = &mut *conn else { panic!("a PostgreSQL test") };
        #[derive(QueryableByName)]
        struct Pid {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            pid: i32,
        }
        let pid: Pid = diesel::sql_query("SELECT pg_backend_pid() AS pid").get_result(pg).unwrap();
        pid_tx.send(pid.pid).unwrap();
        conn.batch_execute("BEGIN").unwrap();
        notify::enqueue(&mut conn, &event("second", Urgency::Urgent, &["electricity"]), &amber(&["electricity"]), &[alice.id]).unwrap();
        conn.batch_execute("COMMIT").unwrap();
    });
    let second_pid = pid_rx.recv().unwrap();

    // The second writer must be seen waiting on a lock while the first is open.
    let mut watcher = app.db.get().unwrap();
    let DbConnection::Postgres(pg) = &mut *watcher else { panic!("a PostgreSQL test") };
    #[derive(QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut waited = false;
    for _ in 0..200 {
        assert!(!second.is_finished(), "the second writer committed while the first was still open");
        let w: Waiting = diesel::sql_query("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'")
            .bind::<diesel::sql_types::Integer, _>(second_pid)
            .get_result(pg)
            .unwrap();
        if w.n > 0 {
            waited = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(waited, "the second writer never waited for the first");
    commit_tx.send(()).unwrap();
    first.join().unwrap();
    second.join().unwrap();

    let rows: Vec<(i64, String)> = outbox::table
        .select((outbox::seq, outbox::dedupe_key))
        .order(outbox::seq.asc())
        .load(&mut *watcher)
        .unwrap();
    let keys: Vec<&str> = rows.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["advisory:first:published", "advisory:first:published", "advisory:second:published", "advisory:second:published"],
        "sequence numbers in commit order"
    );
}
