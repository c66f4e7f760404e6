//! `isacx report submit|list|show|amend|withdraw` and `isacx review
//! list|show|edit|publish|reject` — the real binary against the real server
//! on both backends: the happy path of each command, and its bad inputs
//! (wrong file, invalid report, no permission, a revoked session, the server
//! down) with their documented exit codes.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use isacx_schemas::api::Role;
use isacx_tests::cli::{Cli, Run};
use isacx_tests::reports::{fixture, member};
use isacx_tests::{backends, TestApp};
use serde_json::{json, Value};

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

/// 1-based line of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?} in\n{text}"))
        + 1
}

fn id_of(run: &Run) -> String {
    run.json()["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {run:?}"))
        .to_owned()
}

/// Logs the user out on the server from a copy of its credentials, then puts
/// the (now revoked) token back: the next request meets a revoked session.
fn revoke_session(cli: &Cli) {
    let saved = std::fs::read_to_string(cli.credentials()).unwrap();
    cli.run(&["logout"]).expect(0);
    std::fs::write(cli.credentials(), saved).unwrap();
}

#[tokio::test]
async fn report_commands() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        member(
            &app,
            &admin,
            "toto",
            "東都通信株式会社",
            "toto-tsushin.example",
            "information_communications",
        )
        .await;
        member(
            &app,
            &admin,
            "bank",
            "中央銀行株式会社",
            "chuo-bank.example",
            "finance",
        )
        .await;
        app.create_user(&admin, "analyst", Role::Analyst, None)
            .await
            .unwrap();
        let (op, bank, analyst) = (Cli::new(), Cli::new(), Cli::new());
        op.login(&app, "toto");
        bank.login(&app, "bank");
        analyst.login(&app, "analyst");

        // Submit: checked locally, then sent; the receipt names the statutory threshold and its law.
        let report = fixture();
        let file = op.write("report.json", &pretty(&report));
        let run = op.run(&["report", "submit", &file]);
        run.expect(0);
        assert!(run.stdout.contains("Report received: "), "{run:?}");
        assert!(run.stdout.contains("Statutory reportable: YES"), "{run:?}");
        assert!(
            run.stdout.contains("telecom_30000_users_2h") && run.stdout.contains("電気通信事業法"),
            "{run:?}"
        );
        assert!(
            run.stdout
                .contains("Redactions in the anonymised preview: "),
            "{run:?}"
        );
        // A retry of the same file is recognised: same report, stored once.
        let again = op.run(&["--json", "report", "submit", &file]);
        again.expect(0);
        let receipt = again.json();
        assert_eq!(receipt["replayed"], true, "{again:?}");
        assert_eq!(receipt["statutory_reportable"], true);
        let id = id_of(&again);
        assert!(run.stdout.contains(&id), "{run:?}");
        let ja = op.run(&["--lang", "ja", "report", "submit", &file]);
        ja.expect(0);
        assert!(
            ja.stdout.contains("この報告は受付済みです")
                && ja.stdout.contains("法令上の報告対象: はい"),
            "{ja:?}"
        );
        assert!(ja.stdout.contains("根拠法令: 電気通信事業法"), "{ja:?}");

        // The template as `report new` writes it submits as is (the README's first example).
        let template = op.arg("template.yaml");
        op.run(&["--lang", "ja", "report", "new", "-o", &template])
            .expect(0);
        let run = op.run(&["--json", "report", "submit", &template]);
        run.expect(0);
        assert_eq!(run.json()["replayed"], false, "{run:?}");
        let template_id = id_of(&run);
        op.run(&["report", "withdraw", &template_id]).expect(0);

        // Invalid report: the same line-and-field errors as `report validate`, nothing sent.
        let mut broken = fixture();
        broken["sector"] = json!("space");
        broken["times"]["recovered"] = json!("2020-01-01T00:00:00Z");
        let text = pretty(&broken);
        let bad = op.write("broken.json", &text);
        let run = op.run(&["report", "submit", &bad]);
        run.expect(6);
        assert!(
            run.stderr
                .contains(&format!("line {}: sector: ", line_of(&text, "\"sector\""))),
            "{run:?}"
        );
        assert!(
            run.stderr.contains(&format!(
                "line {}: times.recovered: ",
                line_of(&text, "\"recovered\"")
            )),
            "{run:?}"
        );
        assert_eq!(
            op.run(&["report", "validate", &bad])
                .stderr
                .lines()
                .filter(|l| l.contains("line "))
                .count(),
            run.stderr.lines().filter(|l| l.contains("line ")).count()
        );
        let run = op.run(&["report", "submit", &op.arg("missing.yaml")]);
        run.expect(6);
        assert!(run.stderr.contains("Could not read"), "{run:?}");
        std::fs::write(op.path("notyaml.yaml"), "title: [unclosed\n").unwrap();
        op.run(&["report", "submit", &op.arg("notyaml.yaml")])
            .expect(6);

        // List: one report, filtered by state on the server.
        let listed = op.run(&["--json", "report", "list", "--state", "received"]);
        listed.expect(0);
        assert_eq!(
            listed.json().as_array().unwrap().len(),
            1,
            "the invalid and repeated submits stored nothing: {listed:?}"
        );
        let all = op.run(&["--json", "report", "list"]).json();
        assert_eq!(all.as_array().unwrap().len(), 2, "the report and the withdrawn template: {all}");
        let table = op.run(&["report", "list", "--state", "received"]);
        table.expect(0);
        assert!(
            table.stdout.contains(&id) && table.stdout.contains("received"),
            "{table:?}"
        );
        let none = op.run(&["report", "list", "--state", "rejected"]);
        none.expect(0);
        assert!(none.stdout.contains("No reports."), "{none:?}");
        op.run(&["report", "list", "--state", "lost"]).expect(2);
        let theirs = bank.run(&["--json", "report", "list"]);
        assert_eq!(
            theirs.json(),
            json!([]),
            "another member sees nothing of it"
        );

        // Show: state, statutory check and the report as submitted.
        let shown = op.run(&["report", "show", &id]);
        shown.expect(0);
        assert!(
            shown.stdout.contains("分散型サービス妨害攻撃")
                && shown.stdout.contains("電気通信事業法"),
            "{shown:?}"
        );
        assert!(
            shown.stdout.contains("Report as submitted:") && shown.stdout.contains("description:"),
            "{shown:?}"
        );
        let detail = op.run(&["--json", "report", "show", &id]).json();
        assert_eq!(detail["raw"]["id"], report["id"]);
        assert!(
            detail["sanitised"].is_null(),
            "the submitter gets no redaction preview"
        );
        bank.run(&["report", "show", &id]).expect(5);
        let unknown = op.run(&["report", "show", &uuid::Uuid::new_v4().to_string()]);
        unknown.expect(5);
        assert!(
            unknown.stderr.contains("Check the name or id"),
            "{unknown:?}"
        );
        op.run(&["report", "show", "not-a-uuid"]).expect(2);

        // Amend: a new revision; the id must stay; invalid files are stopped locally.
        let mut amended = report.clone();
        amended["modified"] = json!("2026-11-21T00:00:00.000Z");
        amended["title"] = json!("改訂: 接続サービスの停止");
        let amended_file = op.write("amended.json", &pretty(&amended));
        let run = op.run(&["report", "amend", &id, &amended_file]);
        run.expect(0);
        assert!(run.stdout.contains("revision 2"), "{run:?}");
        let mut other_id = amended.clone();
        other_id["id"] = json!(uuid::Uuid::new_v4());
        let run = op.run(&[
            "report",
            "amend",
            &id,
            &op.write("other.json", &pretty(&other_id)),
        ]);
        run.expect(6);
        assert!(
            run.stderr
                .contains("id: an amendment keeps the report's id"),
            "{run:?}"
        );
        op.run(&["report", "amend", &id, &bad]).expect(6);
        op.run(&[
            "report",
            "amend",
            &uuid::Uuid::new_v4().to_string(),
            &amended_file,
        ])
        .expect(5);
        let run = analyst.run(&["report", "amend", &id, &amended_file]);
        run.expect(4);
        assert!(run.stderr.contains("isacx whoami"), "{run:?}");

        // Withdraw, and a second withdrawal is a conflict with the server's words.
        let run = op.run(&["report", "withdraw", &id]);
        run.expect(0);
        assert!(
            run.stdout.contains(&format!("Report {id} withdrawn."))
                && run.stdout.contains("withdrawn"),
            "{run:?}"
        );
        let run = op.run(&["report", "withdraw", &id]);
        run.expect(6);
        assert!(run.stderr.contains("already withdrawn"), "{run:?}");
        bank.run(&["report", "withdraw", &id]).expect(5);
        let ja = op.run(&["--lang", "ja", "report", "list"]);
        assert!(ja.stdout.contains("取り下げ"), "{ja:?}");

        // No permission: analysts do not submit.
        let run = analyst.run(&["report", "submit", &file]);
        run.expect(4);
        assert!(run.stderr.contains("operator"), "{run:?}");

        // A revoked session: exit 3 and the advice to log in again.
        revoke_session(&bank);
        let run = bank.run(&["report", "submit", &file]);
        run.expect(3);
        assert!(run.stderr.contains("isacx login"), "{run:?}");
        let nobody = Cli::new();
        let run = nobody.run(&[
            "--server",
            &app.base_url,
            "--ca-file",
            app.ca_pem.to_str().unwrap(),
            "report",
            "list",
        ]);
        run.expect(3);

        // Server down: exit 7, with a question worth asking.
        let base_url = app.base_url.clone();
        app.stop().await;
        let mut fresh = fixture();
        fresh["title"] = json!("停止中に送った報告");
        let run = op.run(&["report", "submit", &op.write("fresh.json", &pretty(&fresh))]);
        run.expect(7);
        assert!(
            run.stderr
                .contains(&format!("Is the server running at {base_url}?")),
            "{run:?}"
        );
        op.run(&["report", "list"]).expect(7);
        op.run(&["--json", "report", "show", &id]).expect(7);
    }
}

#[tokio::test]
async fn review_commands() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        member(
            &app,
            &admin,
            "toto",
            "東都通信株式会社",
            "toto-tsushin.example",
            "information_communications",
        )
        .await;
        app.create_user(&admin, "analyst", Role::Analyst, None)
            .await
            .unwrap();
        let (op, analyst) = (Cli::new(), Cli::new());
        op.login(&app, "toto");
        analyst.login(&app, "analyst");
        let first = id_of(&op.run(&[
            "--json",
            "report",
            "submit",
            &op.write("a.json", &pretty(&fixture())),
        ]));
        let mut quiet = fixture();
        quiet["service_impact"] = json!({ "users_affected": 10, "duration_minutes": 5 });
        quiet["statutory"] = json!({ "reportable": false });
        let second_run = op.run(&[
            "--json",
            "report",
            "submit",
            &op.write("b.json", &pretty(&quiet)),
        ]);
        second_run.expect(0);
        let second = id_of(&second_run);

        // The queue, with the server's and the client's filters.
        let run = analyst.run(&["review", "list", "--open"]);
        run.expect(0);
        assert!(
            run.stdout.contains(&first) && run.stdout.contains(&second),
            "{run:?}"
        );
        let statutory = analyst
            .run(&["--json", "review", "list", "--statutory"])
            .json();
        let ids: Vec<&str> = statutory
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert!(
            ids.contains(&first.as_str()) && !ids.contains(&second.as_str()),
            "{statutory}"
        );
        let run = analyst.run(&["review", "list", "--sector", "finance"]);
        run.expect(0);
        assert!(
            run.stdout.contains("No reports.") && !run.stdout.contains(&first),
            "{run:?}"
        );
        assert_eq!(
            analyst
                .run(&["--json", "review", "list", "--state", "in_review"])
                .json(),
            json!([])
        );
        analyst
            .run(&["review", "list", "--state", "received", "--open"])
            .expect(2);

        // Show: raw beside sanitised, and each redaction with what, where and which rule.
        let run = analyst.run(&[
            "review",
            "show",
            &first,
            "--save-sanitised",
            &analyst.arg("s.yaml"),
        ]);
        run.expect(0);
        for rule in [
            "member_name",
            "member_domain",
            "internal_address",
            "phone_number",
            "contact_removed",
        ] {
            assert!(run.stdout.contains(rule), "{rule} not shown: {run:?}");
        }
        assert!(
            run.stdout.contains("Raw (private)") && run.stdout.contains("Sanitised (shared)"),
            "{run:?}"
        );
        assert!(
            run.stdout.contains("description [0..8]"),
            "the place of the member's name: {run:?}"
        );
        assert!(
            run.stdout.contains("東都通信株式会社") && run.stdout.contains("10.20.3.4"),
            "the analyst sees the raw text: {run:?}"
        );
        assert!(
            run.stdout.contains("in review"),
            "opening moves it to review: {run:?}"
        );
        assert!(run.stderr.contains("Sanitised copy written to"), "{run:?}");
        let changed = analyst.run(&["review", "show", &first, "--changed-only"]);
        assert!(
            changed.stdout.lines().count() < run.stdout.lines().count(),
            "{changed:?}"
        );
        assert!(
            run.stdout.contains("┆ kind ") && !changed.stdout.contains("┆ kind "),
            "an unchanged field is left out: {changed:?}"
        );
        let ja = analyst.run(&["--lang", "ja", "review", "show", &first]);
        assert!(
            ja.stdout.contains("原文(非公開)") && ja.stdout.contains("秘匿の一覧"),
            "{ja:?}"
        );
        let detail = analyst.run(&["--json", "review", "show", &first]).json();
        assert!(detail["raw"]["description"]
            .as_str()
            .unwrap()
            .contains("東都通信"));
        assert!(!detail["sanitised"]["description"]
            .as_str()
            .unwrap()
            .contains("東都通信"));
        assert!(
            detail["redactions"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["rule"].is_string() && r["field"].is_string()),
            "{detail}"
        );
        assert_eq!(detail["summary"]["state"], "in_review");
        let saved = analyst.read("s.yaml");
        assert!(
            saved.contains("description:") && !saved.contains("東都通信"),
            "{saved}"
        );
        analyst
            .run(&["review", "show", &uuid::Uuid::new_v4().to_string()])
            .expect(5);

        // Edit: the analyst's copy replaces the sanitised one; broken copies are refused.
        let edited = saved
            .lines()
            .map(|l| {
                if l.starts_with("title:") {
                    "title: \"[編集済み] 接続サービスの停止\""
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(edited.contains("[編集済み]"), "{edited}");
        let run = analyst.run(&[
            "review",
            "edit",
            &first,
            &analyst.write("edited.yaml", &edited),
        ]);
        run.expect(0);
        assert!(run.stdout.contains("was replaced"), "{run:?}");
        let detail = analyst.run(&["--json", "review", "show", &first]).json();
        assert_eq!(
            detail["sanitised"]["title"],
            "[編集済み] 接続サービスの停止"
        );
        let run = analyst.run(&[
            "review",
            "edit",
            &first,
            &analyst.write("bad.yaml", "title: [unclosed\n"),
        ]);
        run.expect(6);
        assert!(run.stderr.contains("line 1"), "{run:?}");
        let mut invalid: Value = detail["sanitised"].clone();
        invalid["times"]["detected"] = json!("1999-01-01T00:00:00Z");
        let run = analyst.run(&[
            "review",
            "edit",
            &first,
            &analyst.write("invalid.json", &pretty(&invalid)),
        ]);
        run.expect(6);
        assert!(run.stderr.contains("times.detected"), "{run:?}");
        analyst
            .run(&["review", "edit", &first, &analyst.arg("missing.yaml")])
            .expect(6);

        // Publish: never below the submitter's TLP — the server refuses, the CLI says why.
        let run = analyst.run(&["review", "publish", &first, "--tlp", "green"]);
        run.expect(6);
        assert!(
            run.stderr.contains(
                "tlp: the submitter marked it TLP:AMBER; the exchange never lowers a TLP"
            ),
            "{run:?}"
        );
        let ja = analyst.run(&[
            "--lang", "ja", "review", "publish", &first, "--tlp", "clear",
        ]);
        ja.expect(6);
        assert!(
            ja.stderr.contains("上記の項目を修正して") && ja.stderr.contains("never lowers a TLP"),
            "{ja:?}"
        );
        let run = analyst.run(&[
            "review",
            "publish",
            &first,
            "--sectors",
            "space",
            "--audiences",
            "aliens",
        ]);
        run.expect(6);
        assert!(
            run.stderr.contains("sectors[0]: unknown sector `space`")
                && run.stderr.contains("audiences[0]"),
            "{run:?}"
        );
        analyst
            .run(&["review", "publish", &first, "--tlp", "purple"])
            .expect(2);
        let run = op.run(&["review", "publish", &first, "--tlp", "red"]);
        run.expect(4);
        let run = analyst.run(&[
            "review",
            "publish",
            &first,
            "--tlp",
            "amber",
            "--sectors",
            "information_communications",
        ]);
        run.expect(0);
        assert!(
            run.stdout.contains("published at TLP:AMBER") && run.stdout.contains("published"),
            "{run:?}"
        );
        let mine = op.run(&["--json", "report", "show", &first]).json();
        assert_eq!(mine["summary"]["state"], "published");
        let run = analyst.run(&["review", "publish", &first, "--tlp", "red"]);
        run.expect(6);
        assert!(run.stderr.contains("the report is published"), "{run:?}");

        // Reject with a reason the submitter sees.
        analyst
            .run(&["review", "reject", &second, "--reason", " "])
            .expect(6);
        analyst.run(&["review", "reject", &second]).expect(2);
        let run = analyst.run(&[
            "--json",
            "review",
            "reject",
            &second,
            "--reason",
            "重複した報告です",
        ]);
        run.expect(0);
        assert_eq!(run.json()["state"], "rejected");
        let seen = op.run(&["report", "show", &second]);
        assert!(
            seen.stdout.contains("重複した報告です") && seen.stdout.contains("rejected"),
            "{seen:?}"
        );
        let run = analyst.run(&["review", "reject", &second, "--reason", "again"]);
        run.expect(6);
        analyst
            .run(&["review", "edit", &second, &analyst.arg("edited.yaml")])
            .expect(6);

        // Operators do not review; a revoked session and a stopped server exit as documented.
        let run = op.run(&["review", "list"]);
        run.expect(4);
        op.run(&["review", "show", &first]).expect(4);
        revoke_session(&analyst);
        let run = analyst.run(&["review", "list"]);
        run.expect(3);
        analyst.login(&app, "analyst");
        analyst.run(&["review", "list"]).expect(0);
        app.stop().await;
        analyst.run(&["review", "list"]).expect(7);
        analyst.run(&["review", "show", &first]).expect(7);
        analyst
            .run(&["review", "reject", &first, "--reason", "x"])
            .expect(7);
    }
}
