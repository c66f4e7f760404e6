//! `isacx watch`, the real binary against the real server: it shows the
//! events of the user's stream, replays from an event id, and after the
//! server ends the stream (as a load balancer or a restart would) it
//! reconnects with Last-Event-ID and neither loses nor repeats an event.
//! Client behaviour, not storage: SQLite only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use isacx_schemas::api::Role;
use isacx_schemas::notify::{EventKind, LocalisedText, Urgency};
use isacx_schemas::tlp::Tlp;
use isacx_server::notify::{self, Event};
use isacx_server::policy::Access;
use isacx_tests::cli::Cli;
use isacx_tests::{Backend, TestApp};
use serde_json::json;
use uuid::Uuid;

fn event(key: &str) -> Event {
    Event {
        kind: EventKind::AdvisoryPublished,
        dedupe_key: format!("advisory:{key}"),
        object_id: format!("report--{}", Uuid::new_v4()),
        urgency: Urgency::Urgent,
        sectors: vec!["electricity".to_owned()],
        products: vec![],
        tags: vec![],
        title: LocalisedText {
            en: format!("Advisory {key}"),
            ja: format!("情報提供 {key}"),
        },
        summary: LocalisedText {
            en: "Act now.".to_owned(),
            ja: "直ちに対応してください。".to_owned(),
        },
        deadline: None,
        payload: json!({}),
    }
}

async fn enqueue(app: &TestApp, event: Event, user: Uuid) {
    let db = app.db.clone();
    let access = Access::published(Tlp::Green);
    let n = tokio::task::spawn_blocking(move || {
        db.write(|c| notify::enqueue(c, &event, &access, &[user]))
    })
    .await
    .unwrap()
    .unwrap();
    assert!(n >= 1);
}

/// Wait for a child with a deadline, so a hanging watch fails the test instead of hanging it.
async fn finish(child: std::process::Child) -> std::process::Output {
    let waiter = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap());
    tokio::time::timeout(Duration::from_secs(60), waiter)
        .await
        .expect("isacx watch ended in time")
        .unwrap()
}

#[tokio::test]
async fn watch_shows_events_and_resumes_after_the_server_ends_the_stream() {
    let cli = Cli::new();
    let app = TestApp::builder(Backend::Sqlite)
        .settings(|s| {
            s.notify.poll_interval_ms = 100;
            s.notify.stream_max_secs = 1;
        })
        .start()
        .await
        .unwrap();
    let admin = app.admin_token().await.unwrap();

    // Not logged in: exit 3.
    let out = finish(
        cli.command(&[
            "--server",
            &app.base_url,
            "--ca-file",
            app.ca_pem.to_str().unwrap(),
            "watch",
        ])
        .spawn()
        .unwrap(),
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let org = app.create_organisation(&admin, json!({ "name": { "ja": "東都電力", "en": "Toto Electric" }, "sectors": ["electricity"] })).await.unwrap();
    let alice = app
        .create_user(&admin, "alice", Role::Operator, Some(org.id))
        .await
        .unwrap();
    cli.login(&app, "alice");

    let first = event("one");
    enqueue(&app, first.clone(), alice.id).await;
    let child = cli
        .command(&["watch", "--json", "--count", "3", "--since", "0"])
        .spawn()
        .unwrap();
    // The server ends each stream after a second: the later events arrive over reconnected streams.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    let second = event("two");
    enqueue(&app, second.clone(), alice.id).await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let third = event("three");
    enqueue(&app, third.clone(), alice.id).await;
    let out = finish(child).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let objects: Vec<&str> = lines
        .iter()
        .map(|l| l["object_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        objects,
        vec![
            first.object_id.as_str(),
            second.object_id.as_str(),
            third.object_id.as_str()
        ],
        "{stdout}"
    );
    let ids: Vec<i64> = lines
        .iter()
        .map(|l| l["event_id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert!(
        stderr.contains("reconnecting"),
        "the stream was resumed: {stderr}"
    );

    // In Japanese, for people, resuming from an id: only what came after it.
    let child = cli
        .command(&[
            "--lang",
            "ja",
            "watch",
            "--count",
            "1",
            "--since",
            &ids[1].to_string(),
        ])
        .spawn()
        .unwrap();
    let out = finish(child).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("【緊急】新しい情報提供: 情報提供 three")
            && stdout.contains("直ちに対応してください。"),
        "{stdout}"
    );
    assert!(!stdout.contains("情報提供 two"), "{stdout}");
    app.stop().await;
}
