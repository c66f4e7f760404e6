//! Auto-publish rules end to end: an admin lets a trusted member's
//! indicator-only precursors publish without review when the anonymiser
//! found nothing; a matching submission reaches another member over TAXII
//! through the analysts' publish path (audited as the rule, never below the
//! submitter's TLP), and every non-matching one stays in review.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use isacx_schemas::api::{self, ReportState, Role};
use isacx_schemas::taxii::TAXII_MEDIA_TYPE;
use isacx_tests::{backends, TestApp, USER_PASSWORD};
use serde_json::{json, Value};

async fn member(
    app: &TestApp,
    admin: &str,
    name: &str,
    ja: &str,
    domain: &str,
) -> (String, api::Organisation) {
    let org = app
        .create_organisation(
            admin,
            json!({ "name": { "ja": ja, "en": format!("{name} Networks Inc.") }, "domains": [domain], "sectors": ["information_communications"], "internal_ranges": ["10.20.0.0/16"] }),
        )
        .await
        .unwrap();
    app.create_user(admin, name, Role::Operator, Some(org.id))
        .await
        .unwrap();
    (app.login(name, USER_PASSWORD).await.unwrap(), org)
}

/// A precursor report whose text names nothing the anonymiser redacts,
/// with one attacker address as indicator unless `ip` is `None`.
fn submission(kind: &str, tlp: &str, description: &str, ip: Option<&str>) -> Value {
    let indicators: Vec<Value> = ip
        .map(|ip| {
            json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--{}", uuid::Uuid::new_v4()),
                "created": "2026-11-22T00:15:00.000Z", "modified": "2026-11-22T00:15:00.000Z",
                "name": "Scanner", "indicator_types": ["malicious-activity"],
                "pattern": format!("[ipv4-addr:value = '{ip}']"), "pattern_type": "stix",
                "valid_from": "2026-11-21T23:40:00.000Z"
            })
        })
        .into_iter()
        .collect();
    json!({
        "id": uuid::Uuid::new_v4(),
        "created": "2026-11-22T00:15:00.000Z",
        "modified": "2026-11-22T00:15:00.000Z",
        "kind": kind,
        "lang": "en",
        "title": "Scanning of remote-access portals",
        "description": description,
        "sector": "information_communications",
        "times": { "detected": "2026-11-21T23:40:00Z" },
        "indicators": indicators,
        "tlp": tlp,
        "attribution": "sector_only"
    })
}

const CLEAN: &str =
    "Repeated scanning of remote-access portals using known exploit paths; no intrusion.";

#[tokio::test]
async fn auto_publish_rules_fire_only_when_everything_matches() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let (trusted, trusted_org) = member(
            &app,
            &admin,
            "hokusei",
            "北星通信株式会社",
            "hokusei.example",
        )
        .await;
        let (other, _) = member(
            &app,
            &admin,
            "nankai",
            "南海回線株式会社",
            "nankai-kaisen.example",
        )
        .await;
        let (reader, _) = member(
            &app,
            &admin,
            "tozai",
            "東西ネット株式会社",
            "tozai-net.example",
        )
        .await;
        app.create_user(&admin, "analyst", Role::Analyst, None)
            .await
            .unwrap();
        let analyst = app.login("analyst", USER_PASSWORD).await.unwrap();
        let url = |p: &str| app.url(p);
        let rules_url = url("/api/v1/admin/auto-publish-rules");

        // Bad rules are named field by field; only admins manage rules.
        let bad = json!({ "organisation_id": uuid::Uuid::new_v4(), "kind": "outage", "tlp": "grey", "sectors": ["space"] });
        let r = app
            .client
            .post(&rules_url)
            .bearer_auth(&admin)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let problem: isacx_schemas::error::ProblemDetails = r.json().await.unwrap();
        let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        for field in ["kind", "tlp", "sectors[0]", "organisation_id"] {
            assert!(fields.contains(&field), "{field} not in {fields:?}");
        }
        let rule = json!({ "organisation_id": trusted_org.id, "kind": "precursor", "tlp": "green", "require_indicators": true });
        assert_eq!(
            app.client
                .post(&rules_url)
                .bearer_auth(&analyst)
                .json(&rule)
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
        let created = app
            .client
            .post(&rules_url)
            .bearer_auth(&admin)
            .json(&rule)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let rule: api::AutoPublishRule = created.json().await.unwrap();
        let listed: Vec<api::AutoPublishRule> = app
            .client
            .get(&rules_url)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, rule.id);

        let submit = |token: &str, body: Value| {
            app.client
                .post(url("/api/v1/reports"))
                .bearer_auth(token.to_owned())
                .json(&body)
                .send()
        };
        let receipt = |response: reqwest::Response| async move {
            assert_eq!(response.status(), 201);
            response.json::<api::ReportReceipt>().await.unwrap()
        };

        // Matching: the trusted member's clean indicator-only precursor,
        // marked CLEAR, is published at the rule's GREEN.
        let published = receipt(
            submit(
                &trusted,
                submission("precursor", "clear", CLEAN, Some("203.0.113.9")),
            )
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(published.state, ReportState::Published, "{published:?}");
        assert_eq!(published.redactions, 0);

        // Marked AMBER by the submitter: published, at AMBER, never lower.
        let amber = receipt(
            submit(
                &trusted,
                submission("precursor", "amber", CLEAN, Some("203.0.113.10")),
            )
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(amber.state, ReportState::Published);

        // Not matching, each for one reason: stays in review.
        let redacted = receipt(
            submit(
                &trusted,
                submission(
                    "precursor",
                    "clear",
                    "Scanning seen by our monitoring host 10.20.3.4 from outside.",
                    Some("203.0.113.11"),
                ),
            )
            .await
            .unwrap(),
        )
        .await;
        let other_kind = receipt(
            submit(
                &trusted,
                submission("near_miss", "clear", CLEAN, Some("203.0.113.12")),
            )
            .await
            .unwrap(),
        )
        .await;
        let other_member = receipt(
            submit(
                &other,
                submission("precursor", "clear", CLEAN, Some("203.0.113.13")),
            )
            .await
            .unwrap(),
        )
        .await;
        let no_indicator = receipt(
            submit(&trusted, submission("precursor", "clear", CLEAN, None))
                .await
                .unwrap(),
        )
        .await;
        for (why, r) in [
            ("redactions found", &redacted),
            ("another kind", &other_kind),
            ("another member", &other_member),
            ("no indicator", &no_indicator),
        ] {
            assert_eq!(r.state, ReportState::Received, "{why}: {r:?}");
        }
        assert!(redacted.redactions > 0);
        let queue: Vec<api::ReportSummary> = app
            .client
            .get(url("/api/v1/review?state=received"))
            .bearer_auth(&analyst)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut waiting: Vec<_> = queue.iter().map(|s| s.id).collect();
        waiting.sort();
        let mut expected = vec![redacted.id, other_kind.id, other_member.id, no_indicator.id];
        expected.sort();
        assert_eq!(waiting, expected);

        // Another member reads what the rule published over TAXII, and
        // nothing of what waits for review.
        let envelope: Value = app
            .client
            .get(url(
                "/taxii2/api/collections/all-sectors/objects/?match[type]=indicator,report",
            ))
            .bearer_auth(&reader)
            .header("accept", TAXII_MEDIA_TYPE)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let text = envelope.to_string();
        assert!(text.contains("203.0.113.9"), "{text}");
        assert!(text.contains("203.0.113.10"), "{text}");
        for waiting in ["203.0.113.11", "203.0.113.12", "203.0.113.13"] {
            assert!(!text.contains(waiting), "{waiting} was published");
        }
        assert!(
            !text.contains("hokusei") && !text.contains("北星"),
            "{text}"
        );

        // Audited as the rule, with the TLP it published at.
        let publications: Vec<(String, String, String)> = app
            .db
            .read(|conn| {
                use diesel::prelude::*;
                use isacx_server::db::schema::audit_log;
                Ok(audit_log::table
                    .filter(audit_log::action.eq("report.publish"))
                    .select((audit_log::actor, audit_log::target, audit_log::detail))
                    .order(audit_log::seq.asc())
                    .load(conn)?)
            })
            .unwrap();
        assert_eq!(publications.len(), 2, "{publications:?}");
        let actor = format!("rule:auto_publish:{}", rule.id);
        assert!(
            publications.iter().all(|(a, _, _)| *a == actor),
            "{publications:?}"
        );
        let tlp_of = |id: uuid::Uuid| {
            let (_, _, detail) = publications
                .iter()
                .find(|(_, t, _)| *t == format!("report:{id}"))
                .unwrap();
            serde_json::from_str::<Value>(detail).unwrap()["tlp"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(tlp_of(published.id), "green");
        assert_eq!(tlp_of(amber.id), "amber");

        // Without the rule, the same submission waits for an analyst.
        let deleted = app
            .client
            .delete(url(&format!(
                "/api/v1/admin/auto-publish-rules/{}",
                rule.id
            )))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), 200);
        let after = receipt(
            submit(
                &trusted,
                submission("precursor", "clear", CLEAN, Some("203.0.113.14")),
            )
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(after.state, ReportState::Received);
        app.stop().await;
    }
}

/// `isacx-server admin …-auto-publish-rule` manages the same rules as the
/// admin API, with field-named errors.
#[tokio::test]
async fn admin_subcommands_manage_rules() {
    use std::process::Command;
    let server = isacx_tests::binary("isacx-server").unwrap();
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let (_, org) = member(
            &app,
            &admin,
            "hokusei",
            "北星通信株式会社",
            "hokusei.example",
        )
        .await;
        let run = |args: &[&str]| {
            Command::new(&server)
                .arg("admin")
                .args(args)
                .env("ISACX_SERVER_STORAGE__DATABASE_URL", &app.database_url)
                .env(
                    "ISACX_SERVER_STORAGE__DATA_DIR",
                    &app.settings.storage.data_dir,
                )
                .output()
                .unwrap()
        };
        let org_id = org.id.to_string();
        let bad = run(&[
            "create-auto-publish-rule",
            "--organisation",
            &org_id,
            "--kind",
            "outage",
            "--tlp",
            "green",
        ]);
        assert!(!bad.status.success());
        assert!(
            String::from_utf8_lossy(&bad.stderr).contains("kind"),
            "{}",
            String::from_utf8_lossy(&bad.stderr)
        );
        let created = run(&[
            "create-auto-publish-rule",
            "--organisation",
            &org_id,
            "--kind",
            "precursor",
            "--tlp",
            "green",
            "--require-indicators",
            "--sector",
            "information_communications",
        ]);
        assert!(
            created.status.success(),
            "{}",
            String::from_utf8_lossy(&created.stderr)
        );
        let id = String::from_utf8_lossy(&created.stdout).trim().to_owned();
        let listed = run(&["list-auto-publish-rules"]);
        let listing = String::from_utf8_lossy(&listed.stdout).into_owned();
        assert!(
            listing.contains(&id)
                && listing.contains("precursor")
                && listing.contains("indicators required"),
            "{listing}"
        );
        // The server sees the rule the CLI made.
        let rules: Vec<api::AutoPublishRule> = app
            .client
            .get(app.url("/api/v1/admin/auto-publish-rules"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].id.to_string(), id);
        assert_eq!(
            rules[0].sectors,
            vec!["information_communications".to_owned()]
        );
        assert!(run(&["delete-auto-publish-rule", &id]).status.success());
        assert!(!String::from_utf8_lossy(&run(&["list-auto-publish-rules"]).stdout).contains(&id));
        app.stop().await;
    }
}
