//! Incident reports end to end: intake with statutory check and idempotency,
//! the private raw store, anonymised review, publication into the shared
//! store, and the submitter following the state.

use isacx_schemas::api::{self, ReportState, Role};
use isacx_schemas::taxii::TAXII_MEDIA_TYPE;
use isacx_tests::reports::{fixture, member};
use isacx_tests::{backends, TestApp, USER_PASSWORD};
use serde_json::{json, Value};

#[tokio::test]
async fn report_lifecycle() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let (toto, _) = member(&app, &admin, "toto", "東都通信株式会社", "toto-tsushin.example", "information_communications").await;
        let (other_telecom, _) = member(&app, &admin, "nishi", "西日本回線株式会社", "nishi.example", "information_communications").await;
        let (bank, _) = member(&app, &admin, "bank", "中央銀行株式会社", "chuo-bank.example", "finance").await;
        app.create_user(&admin, "analyst", Role::Analyst, None).await.unwrap();
        let analyst = app.login("analyst", USER_PASSWORD).await.unwrap();
        let url = |p: &str| app.url(p);

        // Intake: durable receipt, statutory check at once, idempotent retry.
        let report = fixture();
        let submit = |token: &str, key: &str, body: &Value| {
            app.client.post(url("/api/v1/reports")).bearer_auth(token).header("idempotency-key", key).json(body).send()
        };
        let first = submit(&toto, "retry-1", &report).await.unwrap();
        assert_eq!(first.status(), 201);
        let receipt: api::ReportReceipt = first.json().await.unwrap();
        assert_eq!(receipt.state, ReportState::Received);
        assert!(receipt.statutory_reportable);
        assert!(receipt.statutory.iter().any(|h| h.laws.iter().any(|l| l.contains("電気通信事業法"))), "{:?}", receipt.statutory);
        assert!(receipt.redactions >= 3, "{receipt:?}");
        let again = submit(&toto, "retry-1", &report).await.unwrap();
        assert_eq!(again.status(), 200);
        assert_eq!(again.json::<api::ReportReceipt>().await.unwrap().id, receipt.id);

        // Bad input is named field by field; analysts and liaisons cannot submit.
        let mut broken = fixture();
        broken["times"]["recovered"] = json!("2020-01-01T00:00:00Z");
        broken["sector"] = json!("space");
        let r = submit(&toto, "bad-1", &broken).await.unwrap();
        assert_eq!(r.status(), 422);
        let problem: isacx_schemas::error::ProblemDetails = r.json().await.unwrap();
        let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"sector") && fields.iter().any(|f| f.starts_with("times")), "{fields:?}");
        assert_eq!(submit(&analyst, "x", &fixture()).await.unwrap().status(), 403);
        let r = app.client.post(url("/api/v1/reports")).bearer_auth(&toto).header("content-type", "application/json").body("{").send().await.unwrap();
        assert_eq!(r.status(), 400);

        // The raw report is private to its organisation and the analysts.
        let path = format!("/api/v1/reports/{}", receipt.id);
        assert_eq!(app.client.get(url(&path)).bearer_auth(&other_telecom).send().await.unwrap().status(), 404);
        let theirs: Vec<api::ReportSummary> = app.client.get(url("/api/v1/reports")).bearer_auth(&bank).send().await.unwrap().json().await.unwrap();
        assert!(theirs.is_empty());
        let mine: api::ReportDetail = app.client.get(url(&path)).bearer_auth(&toto).send().await.unwrap().json().await.unwrap();
        assert_eq!(mine.summary.state, ReportState::Received);
        assert!(mine.sanitised.is_null(), "the submitter does not need the redaction preview");

        // Review: raw and sanitised side by side with the redaction list.
        let queue: Vec<api::ReportSummary> = app.client.get(url("/api/v1/review?state=received")).bearer_auth(&analyst).send().await.unwrap().json().await.unwrap();
        assert_eq!(queue.len(), 1);
        let review: api::ReportDetail =
            app.client.get(url(&format!("/api/v1/review/{}", receipt.id))).bearer_auth(&analyst).send().await.unwrap().json().await.unwrap();
        assert_eq!(review.summary.state, ReportState::InReview);
        let sanitised = review.sanitised.to_string();
        for secret in ["東都通信", "toto-tsushin", "10.20.3.4", "03-1234-5678", "山田"] {
            assert!(review.raw.to_string().contains(secret) || secret == "山田", "fixture lost {secret}");
            assert!(!sanitised.contains(secret), "{secret} leaked into the sanitised copy: {sanitised}");
        }
        assert!(sanitised.contains("198.51.100.7"), "the attacker address must stay");
        let rules: Vec<&str> = review.redactions.iter().filter_map(|r| r["rule"].as_str()).collect();
        for rule in ["member_name", "member_domain", "internal_address", "phone_number"] {
            assert!(rules.contains(&rule), "{rule} missing from {rules:?}");
        }

        // Publication: never below the submitter's TLP.
        let publish = |body: Value| app.client.post(url(&format!("/api/v1/review/{}/publish", receipt.id))).bearer_auth(&analyst).json(&body).send();
        let lower = publish(json!({ "tlp": "green" })).await.unwrap();
        assert_eq!(lower.status(), 422);
        let bad_scope = publish(json!({ "sectors": ["space"], "audiences": ["aliens"] })).await.unwrap();
        assert_eq!(bad_scope.status(), 422);
        let done = publish(json!({ "tlp": "amber", "sectors": ["information_communications"] })).await.unwrap();
        assert_eq!(done.status(), 200, "{}", done.text().await.unwrap());
        let mine: api::ReportDetail = app.client.get(url(&path)).bearer_auth(&toto).send().await.unwrap().json().await.unwrap();
        assert_eq!(mine.summary.state, ReportState::Published);

        // The shared copy reaches members in scope through TAXII, authored by the sharing body.
        let pull = |token: String| {
            let app = &app;
            async move {
                let r = app
                    .client
                    .get(app.url("/taxii2/api/collections/all-sectors/objects/?match[type]=incident,indicator,relationship,report"))
                    .bearer_auth(token)
                    .header("accept", TAXII_MEDIA_TYPE)
                    .send()
                    .await
                    .unwrap();
                r.text().await.unwrap()
            }
        };
        let telecom_view = pull(other_telecom.clone()).await;
        let envelope: Value = serde_json::from_str(&telecom_view).unwrap();
        let objects = envelope["objects"].as_array().cloned().unwrap_or_default();
        let incident = objects.iter().find(|o| o["type"] == "incident").expect("incident shared with the sector");
        assert!(objects.iter().any(|o| o["type"] == "report"));
        assert!(objects.iter().any(|o| o["type"] == "indicator" && o["pattern"].as_str().unwrap_or("").contains("198.51.100.7")));
        assert!(incident["created_by_ref"].as_str().unwrap().starts_with("identity--"));
        assert!(objects.iter().all(|o| o.get("object_marking_refs").is_none() || o["object_marking_refs"][0] == "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"));
        for secret in ["東都通信", "toto-tsushin", "10.20.3.4", "山田", "Toto", receipt.report_id.to_string().as_str()] {
            assert!(!telecom_view.contains(secret), "{secret} reached another member");
        }
        let bank_view: Value = serde_json::from_str(&pull(bank.clone()).await).unwrap();
        assert!(bank_view.get("objects").is_none(), "an AMBER telecom report reached finance: {bank_view}");

        // After publication the report is closed to amendment.
        let amend = app.client.put(url(&path)).bearer_auth(&toto).json(&report).send().await.unwrap();
        assert_eq!(amend.status(), 409);

        // Amend, reject with a reason the submitter sees, withdraw.
        let second = fixture();
        let receipt2: api::ReportReceipt = submit(&toto, "second", &second).await.unwrap().json().await.unwrap();
        let mut amended = second.clone();
        amended["modified"] = json!("2026-11-21T00:00:00.000Z");
        amended["title"] = json!("改訂: 接続サービスの停止");
        let r = app.client.put(url(&format!("/api/v1/reports/{}", receipt2.id))).bearer_auth(&toto).json(&amended).send().await.unwrap();
        assert_eq!(r.json::<api::ReportReceipt>().await.unwrap().revision, 2);
        let empty_reason = app.client.post(url(&format!("/api/v1/review/{}/reject", receipt2.id))).bearer_auth(&analyst).json(&json!({ "reason": " " })).send().await.unwrap();
        assert_eq!(empty_reason.status(), 422);
        let rejected = app.client.post(url(&format!("/api/v1/review/{}/reject", receipt2.id))).bearer_auth(&analyst).json(&json!({ "reason": "重複した報告です" })).send().await.unwrap();
        assert_eq!(rejected.status(), 200);
        let seen: api::ReportDetail = app.client.get(url(&format!("/api/v1/reports/{}", receipt2.id))).bearer_auth(&toto).send().await.unwrap().json().await.unwrap();
        assert_eq!((seen.summary.state, seen.summary.reason.as_deref()), (ReportState::Rejected, Some("重複した報告です")));
        let third: api::ReportReceipt = submit(&toto, "third", &fixture()).await.unwrap().json().await.unwrap();
        let withdrawn = app.client.post(url(&format!("/api/v1/reports/{}/withdraw", third.id))).bearer_auth(&toto).send().await.unwrap();
        assert_eq!(withdrawn.json::<api::ReportSummary>().await.unwrap().state, ReportState::Withdrawn);
        let other = app.client.post(url(&format!("/api/v1/reports/{}/withdraw", third.id))).bearer_auth(&other_telecom).send().await.unwrap();
        assert_eq!(other.status(), 404);

        // The same report posted over TAXII as STIX goes to intake too.
        let stix_report: isacx_schemas::report::Report = serde_json::from_value(fixture()).unwrap();
        let objects = stix_report.to_stix_objects().unwrap();
        let r = app
            .client
            .post(url("/taxii2/api/collections/sector-information_communications/objects/"))
            .bearer_auth(&toto)
            .header("accept", TAXII_MEDIA_TYPE)
            .header("content-type", TAXII_MEDIA_TYPE)
            .body(json!({ "objects": objects }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let status: Value = r.json().await.unwrap();
        assert_eq!(status["failure_count"], 0, "{status}");
        assert!(status["successes"][0]["message"].as_str().unwrap().contains("received for review"));
        let listed: Vec<api::ReportSummary> = app.client.get(url("/api/v1/reports")).bearer_auth(&toto).send().await.unwrap().json().await.unwrap();
        assert!(listed.iter().any(|r| r.report_id == stix_report.id && r.state == ReportState::Received));
        // Nothing of it is in the shared store before review.
        let shared = pull(other_telecom.clone()).await;
        assert!(!shared.contains(&stix_report.incident_id().to_string()));

        // Every step is in the audit chain, and the chain holds.
        let verdict = app.db.read(|conn| isacx_server::audit::verify(conn)).unwrap();
        assert!(matches!(verdict, isacx_server::audit::Verification::Intact { .. }));
        app.stop().await;
    }
}
