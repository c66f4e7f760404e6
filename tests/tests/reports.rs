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
        let verdict = app.db.read(isacx_server::audit::verify).unwrap();
        assert!(matches!(verdict, isacx_server::audit::Verification::Intact { .. }));
        app.stop().await;
    }
}

/// Per-field limits (`intake.*`): an oversize field gets a 422 problem
/// naming the field, on submission and amendment alike, and nothing is
/// stored — no report row, no revision.
#[tokio::test]
async fn oversize_fields_are_refused_before_anything_is_stored() {
    use isacx_schemas::error::ProblemDetails;
    for backend in backends() {
        let app = TestApp::builder(backend)
            .settings(|s| {
                s.intake.max_title_chars = 80;
                s.intake.max_indicators = 2;
                s.intake.max_indicator_bytes = 4 * 1024;
                s.intake.max_list_items = 3;
            })
            .start()
            .await
            .unwrap();
        let admin = app.admin_token().await.unwrap();
        let (toto, _) = member(&app, &admin, "toto", "東都通信株式会社", "toto-tsushin.example", "information_communications").await;
        let rows = || {
            app.db
                .read(|conn| {
                    use diesel::prelude::*;
                    use isacx_server::db::schema::{report_revisions, reports};
                    Ok((reports::table.count().get_result::<i64>(conn)?, report_revisions::table.count().get_result::<i64>(conn)?))
                })
                .unwrap()
        };
        let submit = |body: Value| app.client.post(app.url("/api/v1/reports")).bearer_auth(&toto).json(&body).send();
        let refused = |response: reqwest::Response| async move {
            assert_eq!(response.status(), 422);
            let problem: ProblemDetails = response.json().await.unwrap();
            problem.errors.iter().map(|e| (e.field.clone(), e.message.clone())).collect::<Vec<_>>()
        };

        let mut long_title = fixture();
        long_title["title"] = json!("障".repeat(81));
        let errors = refused(submit(long_title).await.unwrap()).await;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, "title");
        assert!(errors[0].1.contains("80") && errors[0].1.contains("81"), "{errors:?}");

        // The default description limit (100 000 characters) within the body limit.
        let mut long_description = fixture();
        long_description["description"] = json!("a".repeat(100_001));
        assert_eq!(refused(submit(long_description).await.unwrap()).await[0].0, "description");

        // Several at once, each by its path.
        let mut many = fixture();
        many["affected_service"] = json!("x".repeat(1_001));
        many["follow_up_contact"] = json!({ "name": "n".repeat(1_001) });
        many["risk_sources"] = json!(["a", "b", "c", "d"]);
        let mut big = many["indicators"][0].clone();
        big["description"] = json!("d".repeat(5_000));
        many["indicators"] = json!([many["indicators"][0].clone(), big]);
        let fields: Vec<String> = refused(submit(many.clone()).await.unwrap()).await.into_iter().map(|(f, _)| f).collect();
        for field in ["affected_service", "follow_up_contact.name", "risk_sources", "indicators[1]"] {
            assert!(fields.iter().any(|f| f == field), "{field} not in {fields:?}");
        }
        let mut too_many = fixture();
        let one = too_many["indicators"][0].clone();
        too_many["indicators"] = json!([one.clone(), one.clone(), one]);
        assert_eq!(refused(submit(too_many).await.unwrap()).await[0].0, "indicators");
        // Invalid STIX and unknown taxonomy codes are refused too, as before.
        let mut invalid_stix = fixture();
        invalid_stix["indicators"][0]["pattern"] = json!("[ipv4-addr:value = ");
        let r = submit(invalid_stix).await.unwrap();
        assert!(matches!(r.status().as_u16(), 400 | 422), "{}", r.status());
        let mut unknown_code = fixture();
        unknown_code["threat_event"] = json!("alien_invasion");
        assert!(refused(submit(unknown_code).await.unwrap()).await.iter().any(|(f, _)| f == "threat_event"));
        assert_eq!(rows(), (0, 0), "a refused submission left rows behind");

        // Over TAXII too: the envelope is refused, nothing stored.
        let mut stix_report = fixture();
        stix_report["title"] = json!("t".repeat(81));
        let report: isacx_schemas::report::Report = serde_json::from_value(stix_report).unwrap();
        let objects = report.to_stix_objects().unwrap();
        let r = app
            .client
            .post(app.url("/taxii2/api/collections/all-sectors/objects/"))
            .bearer_auth(&toto)
            .header("content-type", TAXII_MEDIA_TYPE)
            .header("accept", TAXII_MEDIA_TYPE)
            .json(&json!({ "objects": objects }))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert!(status == 422 || (status == 202 && body.contains("title")), "{status} {body}");
        assert_eq!(rows(), (0, 0));

        // An amendment is held to the same limits and changes nothing.
        let good = fixture();
        let first = submit(good.clone()).await.unwrap();
        assert_eq!(first.status(), 201);
        let receipt: api::ReportReceipt = first.json().await.unwrap();
        assert_eq!(rows(), (1, 1));
        let mut amended = good;
        amended["modified"] = json!("2026-11-21T00:00:00Z");
        amended["title"] = json!("改".repeat(81));
        let r = app.client.put(app.url(&format!("/api/v1/reports/{}", receipt.id))).bearer_auth(&toto).json(&amended).send().await.unwrap();
        assert_eq!(refused(r).await[0].0, "title");
        assert_eq!(rows(), (1, 1));
        app.stop().await;
    }
}
