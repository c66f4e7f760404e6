//! Webhook delivery rate: N events for one member organisation with one
//! webhook endpoint, written to the outbox in one transaction; the real
//! server's delivery workers sign and POST them to a real receiver on
//! loopback that verifies every signature. Prints deliveries per second from
//! the commit to the last accepted delivery. Run through bench/notify-webhook-rate.sh.

use std::time::{Duration, Instant};

use isacx_schemas::api::Role;
use isacx_schemas::notify::{CreatedWebhook, EventKind, LocalisedText, Urgency};
use isacx_schemas::tlp::Tlp;
use isacx_server::notify::{self, Event};
use isacx_server::policy::Access;
use isacx_tests::webhook::WebhookReceiver;
use isacx_tests::{Backend, TestApp, USER_PASSWORD};
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut events = 2000_usize;
    let mut backend = Backend::Sqlite;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--events" => events = args.next().unwrap_or_default().parse()?,
            "--backend" => {
                backend = match args.next().as_deref() {
                    Some("postgres") => Backend::Postgres,
                    Some("sqlite") => Backend::Sqlite,
                    other => anyhow::bail!("--backend sqlite|postgres, not {other:?}"),
                }
            }
            other => anyhow::bail!("unknown argument {other}; use --events N --backend sqlite|postgres"),
        }
    }
    anyhow::ensure!(events > 0 && events <= 100_000, "--events between 1 and 100000");
    let receiver = WebhookReceiver::start()?;
    let app = TestApp::builder(backend).settings(|s| s.notify.webhook_allow_http = true).start().await?;
    let admin = app.admin_token().await?;
    let org = app.create_organisation(&admin, json!({ "name": { "ja": "東都電力", "en": "Toto Electric" }, "sectors": ["electricity"] })).await?;
    let user = app.create_user(&admin, "bench", Role::Operator, Some(org.id)).await?;
    let token = app.login("bench", USER_PASSWORD).await?;
    // Only the webhook channel: no e-mail, no stream rows.
    let r = app
        .client
        .put(app.url("/api/v1/notifications/settings"))
        .bearer_auth(&token)
        .json(&json!({ "email": false, "stream": false, "min_urgency": "info" }))
        .send()
        .await?;
    anyhow::ensure!(r.status() == 200, "settings: {}", r.text().await?);
    let r = app.client.post(app.url("/api/v1/notifications/webhooks")).bearer_auth(&token).json(&json!({ "url": receiver.url })).send().await?;
    anyhow::ensure!(r.status() == 201, "webhook: {}", r.text().await?);
    let created: CreatedWebhook = r.json().await?;
    receiver.set_secret(&created.secret);

    let db = app.db.clone();
    let user_id = user.id;
    let written = tokio::task::spawn_blocking(move || {
        db.write(|conn| {
            let mut n = 0;
            for i in 0..events {
                let event = Event {
                    kind: EventKind::AdvisoryPublished,
                    dedupe_key: format!("bench:{i}"),
                    object_id: format!("report--{}", uuid::Uuid::new_v4()),
                    urgency: Urgency::Warning,
                    sectors: vec!["electricity".to_owned()],
                    products: vec![],
                    tags: vec![],
                    title: LocalisedText { en: format!("Advisory {i}"), ja: format!("情報提供 {i}") },
                    summary: LocalisedText::default(),
                    deadline: None,
                    payload: json!({ "n": i }),
                };
                n += notify::enqueue(conn, &event, &Access::published(Tlp::Green), &[user_id])?;
            }
            Ok(n)
        })
    })
    .await?
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(written == events, "{written} rows for {events} events");
    let start = Instant::now();
    let accepted = receiver.wait_for(events, Duration::from_secs(600)).await;
    let elapsed = start.elapsed();
    anyhow::ensure!(accepted.len() == events, "only {} of {events} delivered in time", accepted.len());
    let bad = receiver.state.bad_signatures.load(std::sync::atomic::Ordering::SeqCst);
    anyhow::ensure!(bad == 0, "{bad} deliveries had bad signatures");
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    println!(
        "webhook delivery ({backend:?}, {profile} build): {events} signed deliveries verified in {:.2} s = {:.0} deliveries/s",
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64()
    );
    app.stop().await;
    receiver.stop().await;
    Ok(())
}
