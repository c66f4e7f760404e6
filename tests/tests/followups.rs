//! Pseudonymous follow-up on published reports, end to end: a member of
//! another sector asks the submitter of a GREEN report a question and adds a
//! sighting, the submitter answers, and neither side learns who the other
//! is — not in REST answers, not in the outbox (stream and webhook bodies),
//! not in the mails the real SMTP listener receives. Analysts see both.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use isacx_schemas::api::{self, Role};
use isacx_schemas::error::ProblemDetails;
use isacx_schemas::followup::{FollowupKind, FollowupSide, FollowupThread};
use isacx_schemas::taxii::TAXII_MEDIA_TYPE;
use isacx_tests::reports::fixture;
use isacx_tests::smtp::SmtpListener;
use isacx_tests::webhook::WebhookReceiver;
use isacx_tests::{backends, TestApp, USER_PASSWORD};
use serde_json::{json, Value};

/// A member organisation with one operator who has a display name, an
/// e-mail address and a language; answers the operator's token, the
/// organisation and the user.
async fn member(app: &TestApp, admin: &str, org: Value, username: &str, display: &str, email: &str, locale: &str) -> (String, api::Organisation, api::User) {
    let org = app.create_organisation(admin, org).await.unwrap();
    let r = app
        .client
        .post(app.url("/api/v1/admin/users"))
        .bearer_auth(admin)
        .json(&json!({
            "username": username, "display_name": display, "email": email, "password": USER_PASSWORD,
            "role": "operator", "organisation_id": org.id, "locale": locale,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let user: api::User = r.json().await.unwrap();
    (app.login(username, USER_PASSWORD).await.unwrap(), org, user)
}

/// Every string in `text` that would tell who someone is; none may appear.
#[track_caller]
fn assert_none_of(text: &str, secrets: &[String], what: &str) {
    for secret in secrets {
        assert!(!text.contains(secret.as_str()), "{what} reveals `{secret}`:\n{text}");
    }
}

/// The outbox rows of follow-up events: (kind, target user, body).
fn followup_outbox(app: &TestApp) -> Vec<(String, Option<String>, String)> {
    app.db
        .read(|conn| {
            use diesel::prelude::*;
            use isacx_server::db::schema::outbox;
            Ok(outbox::table
                .filter(outbox::kind.like("followup_%"))
                .select((outbox::kind, outbox::user_id, outbox::body))
                .order(outbox::seq.asc())
                .load(conn)?)
        })
        .unwrap()
}

#[tokio::test]
async fn question_sighting_and_answer_without_either_side_learning_the_other() {
    for backend in backends() {
        let smtp = SmtpListener::start().unwrap();
        let port = smtp.addr.port();
        let receiver = WebhookReceiver::start().unwrap();
        let app = TestApp::builder(backend)
            .settings(move |s| {
                s.notify.poll_interval_ms = 100;
                s.notify.retry_base_ms = 200;
                s.notify.smtp_host = "127.0.0.1".to_owned();
                s.notify.smtp_port = port;
                s.notify.smtp_tls = "none".to_owned();
                s.notify.smtp_from = "ISAC <isac@isac.example>".to_owned();
                s.intake.max_description_chars = 2_000;
                s.notify.webhook_allow_http = true;
                s.sharing.coarsen_times = "hour".to_owned();
            })
            .start()
            .await
            .unwrap();
        let admin = app.admin_token().await.unwrap();
        let (toto, toto_org, toto_user) = member(
            &app,
            &admin,
            json!({ "name": { "ja": "東都通信株式会社", "en": "Toto Tsushin Inc." }, "aliases": ["東都通信"], "domains": ["toto-tsushin.example"],
                    "sectors": ["information_communications"], "internal_ranges": ["10.20.0.0/16"] }),
            "toto-ops",
            "Yamada Taro",
            "ops@toto-tsushin.example",
            "ja",
        )
        .await;
        let (bank, bank_org, bank_user) = member(
            &app,
            &admin,
            json!({ "name": { "ja": "中央銀行株式会社", "en": "Chuo Bank Inc." }, "aliases": ["中央銀行"], "domains": ["chuo-bank.example"],
                    "sectors": ["finance"], "internal_ranges": ["172.30.0.0/16"] }),
            "sato-h",
            "Hanako Sato",
            "hanako.sato@chuo-bank.example",
            "en",
        )
        .await;
        let (outsider, _, _) = member(
            &app,
            &admin,
            json!({ "name": { "ja": "北海ガス株式会社", "en": "Hokkai Gas Inc." }, "domains": ["hokkai-gas.example"], "sectors": ["gas"] }),
            "hokkai",
            "Kita Jiro",
            "jiro@hokkai-gas.example",
            "en",
        )
        .await;
        app.create_user(&admin, "analyst", Role::Analyst, None).await.unwrap();
        let analyst = app.login("analyst", USER_PASSWORD).await.unwrap();
        app.create_user(&admin, "liaison", Role::Liaison, None).await.unwrap();
        let liaison = app.login("liaison", USER_PASSWORD).await.unwrap();
        let url = |p: &str| app.url(p);
        // The submitter's organisation takes its notifications by webhook too.
        let r = app.client.post(url("/api/v1/notifications/webhooks")).bearer_auth(&toto).json(&json!({ "url": receiver.url })).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let hook: isacx_schemas::notify::CreatedWebhook = r.json().await.unwrap();
        receiver.set_secret(&hook.secret);

        // What identifies each side to the other.
        let toto_secrets: Vec<String> = ["東都通信", "toto-tsushin", "Toto", "toto-ops", "Yamada", "山田", "10.20.3.4"]
            .iter()
            .map(|s| s.to_string())
            .chain([toto_org.id.to_string(), toto_user.id.to_string()])
            .collect();
        let bank_secrets: Vec<String> = ["中央銀行", "chuo-bank", "Chuo", "sato-h", "Hanako", "Sato", "172.30.9.9"]
            .iter()
            .map(|s| s.to_string())
            .chain([bank_org.id.to_string(), bank_user.id.to_string()])
            .collect();

        // Toto submits a GREEN report; a second one is published AMBER to its own sector only.
        let submit = |body: Value| app.client.post(url("/api/v1/reports")).bearer_auth(&toto).json(&body).send();
        let mut green = fixture();
        green["tlp"] = json!("green");
        let receipt: api::ReportReceipt = submit(green).await.unwrap().json().await.unwrap();
        let amber_receipt: api::ReportReceipt = submit(fixture()).await.unwrap().json().await.unwrap();
        let unpublished: api::ReportReceipt = submit(fixture()).await.unwrap().json().await.unwrap();
        for (id, body) in [(receipt.id, json!({})), (amber_receipt.id, json!({ "tlp": "amber", "sectors": ["information_communications"] }))] {
            let r = app.client.post(url(&format!("/api/v1/review/{id}/publish"))).bearer_auth(&analyst).json(&body).send().await.unwrap();
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        }

        // The bank finds the shared ids the way members do: over TAXII.
        let shared = |token: String| {
            let app = &app;
            async move {
                let r = app
                    .client
                    .get(app.url("/taxii2/api/collections/all-sectors/objects/?match[type]=report,incident"))
                    .bearer_auth(token)
                    .header("accept", TAXII_MEDIA_TYPE)
                    .send()
                    .await
                    .unwrap();
                r.json::<Value>().await.unwrap()["objects"].as_array().cloned().unwrap_or_default()
            }
        };
        let bank_view = shared(bank.clone()).await;
        let report_ref = bank_view.iter().find(|o| o["type"] == "report").expect("the GREEN report reaches finance")["id"].as_str().unwrap().to_owned();
        let incident_ref = bank_view.iter().find(|o| o["type"] == "incident").unwrap()["id"].as_str().unwrap().to_owned();
        let toto_view = shared(toto.clone()).await;
        let amber_ref = toto_view
            .iter()
            .filter(|o| o["type"] == "report")
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .find(|id| *id != report_ref)
            .expect("the AMBER report");
        assert!(!bank_view.iter().any(|o| o["id"] == amber_ref.as_str()), "AMBER telecom reached finance");

        let ask = |token: &str, body: Value| app.client.post(url("/api/v1/followups")).bearer_auth(token).json(&body).send();
        let problem = |r: reqwest::Response| async move {
            let status = r.status().as_u16();
            let p: ProblemDetails = r.json().await.unwrap();
            (status, p.errors.iter().map(|e| e.field.clone()).collect::<Vec<_>>())
        };

        // The bank asks, naming itself, its host, its person and its internal address.
        let question = "中央銀行株式会社の www.chuo-bank.example でも 198.51.100.7 からの通信を 172.30.9.9 で確認しました。\
                        担当 Hanako Sato (hanako.sato@chuo-bank.example) まで。同じ攻撃でしょうか。";
        let r = ask(&bank, json!({ "report": report_ref, "kind": "question", "text": question })).await.unwrap();
        assert_eq!(r.status(), 201);
        let text = r.text().await.unwrap();
        assert_none_of(&text, &toto_secrets, "the asker's view");
        assert!(!text.contains(&receipt.id.to_string()) && !text.contains(&receipt.report_id.to_string()), "the raw report id reached the asker");
        let asked: FollowupThread = serde_json::from_str(&text).unwrap();
        assert_eq!(asked.side, Some(FollowupSide::Asker));
        assert_eq!(asked.report_row, None);
        assert!(asked.asker.starts_with("member-"));
        let mine = &asked.messages[0];
        assert_eq!((mine.from.as_str(), mine.kind), ("you", FollowupKind::Question));
        assert_eq!(mine.text, question, "the asker sees its own words");
        let shared_copy = mine.shared_text.clone().unwrap();
        assert_none_of(&shared_copy, &bank_secrets, "the shared copy of the question");
        assert!(shared_copy.contains("198.51.100.7"), "the attacker's address stays: {shared_copy}");

        // A sighting: the victim-side values are left out of the shared copy.
        let sighting = json!({ "kind": "sighting", "text": "", "sighting": {
            "count": 12, "first_seen": "2026-11-20T01:17:00Z", "last_seen": "2026-11-20T02:40:00Z",
            "observables": [
                { "type": "ipv4-addr", "value": "198.51.100.7" },
                { "type": "ipv4-addr", "value": "172.30.9.9" },
                { "type": "domain-name", "value": "mail.chuo-bank.example" },
            ] } });
        let messages_url = url(&format!("/api/v1/followups/{}/messages", asked.id));
        let r = app.client.post(&messages_url).bearer_auth(&bank).json(&sighting).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let after: FollowupThread = r.json().await.unwrap();
        let sighted = after.messages[1].shared_sighting.clone().unwrap();
        assert_eq!(sighted.count, Some(12));
        assert_eq!(
            (sighted.first_seen.unwrap().to_rfc3339(), sighted.last_seen.unwrap().to_rfc3339()),
            ("2026-11-20T01:00:00+00:00".to_owned(), "2026-11-20T03:00:00+00:00".to_owned()),
            "times coarsened to the hour, outward"
        );
        assert_eq!(sighted.observables.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(), ["198.51.100.7"]);

        // Asking again, by the incident id, continues the same thread under the same pseudonym.
        let r = ask(&bank, json!({ "report": incident_ref, "kind": "question", "text": "追加の質問です。復旧までの時間は?" })).await.unwrap();
        assert_eq!(r.status(), 201);
        let again: FollowupThread = r.json().await.unwrap();
        assert_eq!((again.id, again.asker.as_str(), again.message_count), (asked.id, asked.asker.as_str(), 3));

        // The submitter sees the thread under the pseudonym, with the shared copy only.
        let r = app.client.get(url("/api/v1/followups")).bearer_auth(&toto).send().await.unwrap();
        let text = r.text().await.unwrap();
        assert_none_of(&text, &bank_secrets, "the submitter's list");
        let listed: Vec<FollowupThread> = serde_json::from_str(&text).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].side, listed[0].report_row), (Some(FollowupSide::Submitter), Some(receipt.id)));
        let thread_url = url(&format!("/api/v1/followups/{}", asked.id));
        let text = app.client.get(&thread_url).bearer_auth(&toto).send().await.unwrap().text().await.unwrap();
        assert_none_of(&text, &bank_secrets, "the submitter's view of the thread");
        let seen: FollowupThread = serde_json::from_str(&text).unwrap();
        assert_eq!(seen.messages.len(), 3);
        assert!(seen.messages.iter().all(|m| m.from == asked.asker && m.author.is_none() && m.redactions.is_empty() && m.shared_text.is_none()));
        assert_eq!(seen.messages[0].text, shared_copy);
        assert!(seen.messages[0].text.contains("[組織名]"), "{}", seen.messages[0].text);

        // The submitter answers, naming itself in turn; it cannot ask on its own report.
        let answer = "東都通信株式会社 担当: 山田 です。監視サーバ 10.20.3.4 でも同じ攻撃元 198.51.100.7 を確認。詳細は ops@toto-tsushin.example へ。";
        let r = app.client.post(&messages_url).bearer_auth(&toto).json(&json!({ "kind": "question", "text": "?" })).send().await.unwrap();
        assert_eq!(problem(r).await, (422, vec!["kind".to_owned()]));
        let r = app.client.post(&messages_url).bearer_auth(&toto).json(&json!({ "kind": "answer", "text": answer })).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let answered: FollowupThread = r.json().await.unwrap();
        assert_eq!(answered.messages[3].text, answer);
        assert_eq!(ask(&toto, json!({ "report": report_ref, "kind": "question", "text": "自社の報告" })).await.unwrap().status(), 403);
        let r = app.client.post(&messages_url).bearer_auth(&bank).json(&json!({ "kind": "answer", "text": "x" })).send().await.unwrap();
        assert_eq!(problem(r).await, (422, vec!["kind".to_owned()]));

        // The asker sees the answer anonymised, from "submitter".
        let text = app.client.get(&thread_url).bearer_auth(&bank).send().await.unwrap().text().await.unwrap();
        assert_none_of(&text, &toto_secrets, "the asker's view of the answer");
        let view: FollowupThread = serde_json::from_str(&text).unwrap();
        let reply = &view.messages[3];
        assert_eq!((reply.from.as_str(), reply.side, reply.kind), ("submitter", FollowupSide::Submitter, FollowupKind::Answer));
        assert!(reply.text.contains("198.51.100.7") && reply.text.contains("[組織名]"), "{}", reply.text);
        assert_eq!(view.last_kind, Some(FollowupKind::Answer));

        // Analysts see both sides, raw and shared, with real identities.
        let text = app.client.get(&thread_url).bearer_auth(&analyst).send().await.unwrap().text().await.unwrap();
        let full: FollowupThread = serde_json::from_str(&text).unwrap();
        assert_eq!(full.asker_identity.as_ref().unwrap().organisation_id, bank_org.id);
        assert_eq!(full.submitter_identity.as_ref().unwrap().organisation_id, toto_org.id);
        assert_eq!(full.messages[0].author.as_ref().unwrap().username.as_deref(), Some("sato-h"));
        assert_eq!(full.messages[3].author.as_ref().unwrap().username.as_deref(), Some("toto-ops"));
        assert_eq!(full.messages[0].text, question);
        assert!(full.messages[0].redactions.iter().any(|r| r["rule"] == "member_name"));
        assert_eq!(full.report_row, Some(receipt.id));
        let all: Vec<FollowupThread> = app.client.get(url("/api/v1/followups")).bearer_auth(&analyst).send().await.unwrap().json().await.unwrap();
        assert_eq!(all.len(), 1);
        let r = app.client.post(&messages_url).bearer_auth(&analyst).json(&json!({ "kind": "answer", "text": "x" })).send().await.unwrap();
        assert_eq!(r.status(), 403, "analysts read threads, members write them");

        // Notifications: the submitter heard of 3 messages, the asker of 1, on the stream and by mail — without identities.
        let rows = followup_outbox(&app);
        let to_toto: Vec<_> = rows.iter().filter(|(k, u, _)| k == "followup_question" && u.as_deref() == Some(toto_user.id.to_string().as_str())).collect();
        let to_bank: Vec<_> = rows.iter().filter(|(k, u, _)| k == "followup_answer" && u.as_deref() == Some(bank_user.id.to_string().as_str())).collect();
        assert_eq!((to_toto.len(), to_bank.len()), (6, 2), "e-mail and stream each: {rows:?}");
        let hooks: Vec<_> = rows.iter().filter(|(k, u, _)| k == "followup_question" && u.is_none()).collect();
        assert_eq!((hooks.len(), rows.len()), (3, 11), "nobody else is told: {rows:?}");
        let delivered = receiver.wait_for(3, Duration::from_secs(20)).await;
        assert_eq!(delivered.len(), 3);
        for hook in &delivered {
            assert_eq!(hook.body["kind"], "followup_question");
            assert_none_of(&hook.body.to_string(), &bank_secrets, "a webhook to the submitter");
        }
        for (_, _, body) in to_toto.iter().chain(&hooks) {
            assert_none_of(body, &bank_secrets, "a notification to the submitter");
            assert!(body.contains(&asked.asker), "{body}");
        }
        for (_, _, body) in &to_bank {
            assert_none_of(body, &toto_secrets, "a notification to the asker");
        }
        let mails = smtp.wait_for(4, Duration::from_secs(20)).await;
        assert_eq!(mails.len(), 4, "{mails:?}");
        for mail in &mails {
            let text = format!("{}\n{}", mail.subject(), mail.body());
            if mail.to.iter().any(|t| t.contains("toto-tsushin")) {
                assert_none_of(&text, &bank_secrets, "a mail to the submitter");
                assert!(mail.subject().contains("報告への"), "the submitter reads Japanese: {}", mail.subject());
            } else {
                assert!(mail.to.iter().any(|t| t.contains("chuo-bank")), "{:?}", mail.to);
                assert_none_of(&text, &toto_secrets, "a mail to the asker");
                assert!(mail.subject().contains("Answer"), "{}", mail.subject());
            }
        }

        // Out of scope, unknown, unpublished, raw ids: all "not found".
        for reference in [amber_ref.clone(), "report--00000000-0000-4000-8000-000000000000".to_owned(), receipt.id.to_string(), unpublished.report_id.to_string()] {
            let r = ask(&bank, json!({ "report": reference, "kind": "question", "text": "?" })).await.unwrap();
            assert_eq!(r.status(), 404, "{reference}");
        }
        assert_eq!(app.client.get(&thread_url).bearer_auth(&outsider).send().await.unwrap().status(), 404);
        assert_eq!(app.client.post(&messages_url).bearer_auth(&outsider).json(&json!({ "kind": "question", "text": "?" })).send().await.unwrap().status(), 404);
        let none: Vec<FollowupThread> = app.client.get(url("/api/v1/followups")).bearer_auth(&outsider).send().await.unwrap().json().await.unwrap();
        assert!(none.is_empty());

        // Liaisons and analysts do not ask; bad input is named field by field.
        assert_eq!(ask(&liaison, json!({ "report": report_ref, "kind": "question", "text": "?" })).await.unwrap().status(), 403);
        assert_eq!(ask(&analyst, json!({ "report": report_ref, "kind": "question", "text": "?" })).await.unwrap().status(), 403);
        assert_eq!(app.client.get(&thread_url).bearer_auth(&liaison).send().await.unwrap().status(), 403);
        // A peer server, by its token, takes no part either.
        let r = app
            .client
            .post(url("/api/v1/admin/peers"))
            .bearer_auth(&admin)
            .json(&json!({ "name": "other-isac", "api_root": "https://127.0.0.1:9/taxii2/api/", "direction": "both", "server_id": "other-isac" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let peer_token = r.json::<Value>().await.unwrap()["inbound_token"].as_str().unwrap().to_owned();
        let r = ask(&peer_token, json!({ "report": report_ref, "kind": "question", "text": "?" })).await.unwrap();
        assert_eq!(problem(r).await.0, 403);
        assert_eq!(app.client.get(&thread_url).bearer_auth(&peer_token).send().await.unwrap().status(), 403);
        assert_eq!(problem(ask(&bank, json!({ "report": report_ref, "kind": "question", "text": "  " })).await.unwrap()).await, (422, vec!["text".to_owned()]));
        let long = "あ".repeat(2_001);
        assert_eq!(problem(ask(&bank, json!({ "report": report_ref, "kind": "question", "text": long })).await.unwrap()).await, (422, vec!["text".to_owned()]));
        let bad = json!({ "report": report_ref, "kind": "sighting", "sighting": { "count": 0, "observables": [{ "type": "mac-addr", "value": "x" }] } });
        assert_eq!(problem(ask(&bank, bad).await.unwrap()).await, (422, vec!["sighting.count".to_owned(), "sighting.observables[0].type".to_owned()]));
        assert_eq!(problem(ask(&bank, json!({ "report": report_ref, "kind": "answer", "text": "x" })).await.unwrap()).await, (422, vec!["kind".to_owned()]));
        let r = app.client.post(url("/api/v1/followups")).bearer_auth(&bank).header("content-type", "application/json").body("{").send().await.unwrap();
        assert_eq!(r.status(), 400);

        // Every message is audited, and the chain holds.
        let actions: Vec<String> = app
            .db
            .read(|conn| {
                use diesel::prelude::*;
                use isacx_server::db::schema::audit_log;
                Ok(audit_log::table.filter(audit_log::action.like("followup.%")).select(audit_log::action).order(audit_log::seq.asc()).load(conn)?)
            })
            .unwrap();
        assert_eq!(actions, ["followup.ask", "followup.sighting", "followup.ask", "followup.answer"]);
        let verdict = app.db.read(isacx_server::audit::verify).unwrap();
        assert!(matches!(verdict, isacx_server::audit::Verification::Intact { .. }));
        app.stop().await;
    }
}
