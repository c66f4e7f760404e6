//! `isacx report followup ask|sighting|answer|list|show` — the real binary
//! against the real server on both backends: a member of another sector asks
//! the submitter of a GREEN report through the shared id it pulled, adds a
//! sighting, the submitter answers, and neither sees the other's identity;
//! the analyst sees both. Bad inputs end with their documented exit codes.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use isacx_schemas::api::Role;
use isacx_tests::cli::Cli;
use isacx_tests::reports::{fixture, member};
use isacx_tests::{backends, TestApp};
use serde_json::{json, Value};

#[track_caller]
fn assert_none_of(text: &str, secrets: &[&str], what: &str) {
    for secret in secrets {
        assert!(!text.contains(secret), "{what} reveals `{secret}`:\n{text}");
    }
}

#[tokio::test]
async fn followup_commands() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let (_, toto_org) = member(&app, &admin, "toto", "東都通信株式会社", "toto-tsushin.example", "information_communications").await;
        let (_, bank_org) = member(&app, &admin, "bank", "中央銀行株式会社", "chuo-bank.example", "finance").await;
        member(&app, &admin, "gas", "北海ガス株式会社", "hokkai-gas.example", "gas").await;
        app.create_user(&admin, "analyst", Role::Analyst, None).await.unwrap();
        app.create_user(&admin, "liaison", Role::Liaison, None).await.unwrap();
        let (toto, bank, gas, analyst, liaison) = (Cli::new(), Cli::new(), Cli::new(), Cli::new(), Cli::new());
        toto.login(&app, "toto");
        bank.login(&app, "bank");
        gas.login(&app, "gas");
        analyst.login(&app, "analyst");
        liaison.login(&app, "liaison");
        let toto_id = toto_org.id.to_string();
        let bank_id = bank_org.id.to_string();
        let toto_secrets = ["東都通信", "toto-tsushin", "Toto", "10.20.3.4", toto_id.as_str()];
        let bank_secrets = ["中央銀行", "chuo-bank", "Chuo", "10.20.9.9", bank_id.as_str()];

        // A GREEN report, submitted and published with the commands people use.
        let mut report = fixture();
        report["tlp"] = json!("green");
        let file = toto.write("report.json", &serde_json::to_string_pretty(&report).unwrap());
        let receipt = toto.run(&["--json", "report", "submit", &file]).expect(0).json();
        let raw_id = receipt["id"].as_str().unwrap().to_owned();
        analyst.run(&["review", "publish", &raw_id]).expect(0);

        // The bank pulls what it may read and takes the report's shared id from it.
        let bundle = bank.arg("all.json");
        bank.run(&["indicators", "pull", "--format", "stix", "-o", &bundle, "--since", "2000-01-01T00:00:00Z"]).expect(0);
        let pulled: Value = serde_json::from_str(&bank.read("all.json")).unwrap();
        let shared_id = pulled["objects"].as_array().unwrap().iter().find(|o| o["type"] == "report").expect("the GREEN report")["id"].as_str().unwrap().to_owned();

        // Ask: the answer shows what the submitter will see, the member's names gone.
        let question = "中央銀行株式会社の portal.chuo-bank.example でも 198.51.100.7 を確認。同じ攻撃ですか?";
        let run = bank.run(&["report", "followup", "ask", &shared_id, question]);
        run.expect(0);
        assert!(run.stdout.contains("Sent to the submitter") && run.stdout.contains("member-"), "{run:?}");
        let shared_part = run.stdout.split("What the other side sees").nth(1).unwrap();
        assert_none_of(shared_part, &bank_secrets, "the shared copy shown to the asker");
        assert!(shared_part.contains("[組織名]") && shared_part.contains("198.51.100.7"), "{run:?}");
        assert_none_of(&run.stdout, &toto_secrets, "the asker's output");

        // A sighting from a file of observables given on the command line; --json prints the thread.
        let note = bank.write("note.txt", "社内 10.20.9.9 で 5 回検知。");
        let run = bank.run(&[
            "--json", "report", "followup", "sighting", &shared_id, "--text-file", &note, "--count", "5",
            "--first-seen", "2026-11-20T01:00:00Z", "--last-seen", "2026-11-20T02:00:00Z",
            "--observable", "ipv4-addr:198.51.100.7", "--observable", "ipv4-addr:10.20.9.9",
        ]);
        let thread = run.expect(0).json();
        let thread_id = thread["id"].as_str().unwrap().to_owned();
        assert_eq!(thread["message_count"], 2);
        assert_eq!(thread["messages"][1]["shared_sighting"]["observables"], json!([{ "type": "ipv4-addr", "value": "198.51.100.7" }]));
        assert_none_of(&run.stdout, &toto_secrets, "the asker's JSON");

        // The submitter lists and reads the thread in Japanese: the pseudonym, never the bank.
        let run = toto.run(&["report", "followup", "list"]);
        run.expect(0);
        assert!(run.stdout.contains(&thread_id) && run.stdout.contains("member-"), "{run:?}");
        assert_none_of(&run.stdout, &bank_secrets, "the submitter's list");
        let listed = toto.run(&["--json", "report", "followup", "list", "--report", &raw_id]).expect(0).json();
        assert_eq!(listed.as_array().unwrap().len(), 1, "the submitter may filter by its own report id");
        let run = toto.run(&["--lang", "ja", "report", "followup", "show", &thread_id]);
        run.expect(0);
        assert!(run.stdout.contains("質問") && run.stdout.contains("観測情報") && run.stdout.contains("(会員)"), "{run:?}");
        assert_none_of(&run.stdout, &bank_secrets, "the submitter's view");

        // The submitter answers, naming itself; the asker reads it anonymised.
        let run = toto.run(&["report", "followup", "answer", &thread_id, "東都通信株式会社の監視サーバ 10.20.3.4 でも同じ送信元 198.51.100.7 です。"]);
        run.expect(0);
        assert!(run.stdout.contains("Answer sent"), "{run:?}");
        let run = bank.run(&["report", "followup", "show", &thread_id]);
        run.expect(0);
        assert!(run.stdout.contains("submitter · answer") && run.stdout.contains("198.51.100.7"), "{run:?}");
        assert_none_of(&run.stdout, &toto_secrets, "the asker's view of the answer");

        // The analyst sees who is who.
        let run = analyst.run(&["report", "followup", "show", &thread_id]);
        run.expect(0);
        assert!(run.stdout.contains("中央銀行株式会社") && run.stdout.contains("東都通信株式会社") && run.stdout.contains(&bank_id), "{run:?}");

        // Exit codes: 5 not found (unknown, out of reach), 4 wrong role, 6 invalid, 2 usage.
        bank.run(&["report", "followup", "ask", "report--00000000-0000-4000-8000-000000000000", "?"]).expect(5);
        bank.run(&["report", "followup", "ask", &raw_id, "?"]).expect(5);
        gas.run(&["report", "followup", "show", &thread_id]).expect(5);
        liaison.run(&["report", "followup", "ask", &shared_id, "?"]).expect(4);
        toto.run(&["report", "followup", "ask", &shared_id, "自社の報告"]).expect(4);
        let run = bank.run(&["--json", "report", "followup", "ask", &shared_id, "   "]);
        run.expect(6);
        assert!(run.stdout.contains("text"), "{run:?}");
        bank.run(&["report", "followup", "answer", &thread_id, "x"]).expect(6);
        bank.run(&["report", "followup", "ask", &shared_id, "--text-file", &bank.arg("missing.txt")]).expect(6);
        bank.run(&["report", "followup", "sighting", &shared_id, "--observable", "mac-addr:00:11"]).expect(2);
        app.stop().await;
    }
}
