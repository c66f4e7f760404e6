//! `isacx advisories|register|profile-tech` — the real binary against the
//! real server on both backends: technologies in use, a register imported
//! from CSV (a bad file rejected whole, by line and column), an urgent
//! advisory shown with the flagged entry, ack and reassess through the CLI
//! updating the register, export reflecting it, and exit codes.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use isacx_schemas::api::Role;
use isacx_tests::cli::Cli;
use isacx_tests::{backends, TestApp, USER_PASSWORD};
use serde_json::{json, Value};

#[tokio::test]
async fn register_technologies_ack_and_reassess_through_the_cli() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        app.create_user(&admin, "analyst", Role::Analyst, None).await.unwrap();
        let analyst = app.login("analyst", USER_PASSWORD).await.unwrap();
        let org = app
            .create_organisation(
                &admin,
                json!({ "name": { "ja": "東都電力株式会社", "en": "Toto Electric Power" }, "sectors": ["electricity"] }),
            )
            .await
            .unwrap();
        app.create_user(&admin, "toto", Role::Operator, Some(org.id)).await.unwrap();
        let cli = Cli::new();
        cli.login(&app, "toto");

        // Technologies in use.
        let run = cli.run(&["profile-tech", "add", "fortinet:fortios:7.2.4", "--note", "本社 VPN"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("cpe:2.3:*:fortinet:fortios:7.2.4:*:*:*:*:*:*:*"), "{run:?}");
        let run = cli.run(&["profile-tech", "add", "fortios"]);
        assert_eq!(run.code, 6, "{run:?}");
        assert!(run.stderr.contains("product"), "{run:?}");
        let run = cli.run(&["profile-tech", "add", "ivanti:connect_secure"]);
        assert_eq!(run.code, 0);
        let listed = cli.run(&["profile-tech", "list", "--json"]).json();
        assert_eq!(listed.as_array().unwrap().len(), 2);
        let ivanti = listed[1]["id"].as_str().unwrap().to_owned();
        let run = cli.run(&["--lang", "ja", "profile-tech", "remove", &ivanti]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("利用技術から"), "{run:?}");
        let run = cli.run(&["profile-tech", "remove", &ivanti]);
        assert_eq!(run.code, 5, "gone: {run:?}");
        let run = cli.run(&["profile-tech", "list"]);
        assert!(run.stdout.contains("fortinet:fortios:7.2.4") && !run.stdout.contains("ivanti"), "{run:?}");

        // A bad register file is refused whole, by line and column.
        std::fs::write(
            cli.path("bad.csv"),
            "resource,outcome,threat_event,impact,likelihood\n制御系 VPN,停止,targeted_attack,4,3\n会計,停止,nonsense,4,9\n",
        )
        .unwrap();
        let run = cli.run(&["register", "import", cli.path("bad.csv").to_str().unwrap()]);
        assert_eq!(run.code, 6, "{run:?}");
        assert!(
            run.stderr.contains("line 3, column threat_event") && run.stderr.contains("line 3, column likelihood"),
            "{run:?}"
        );
        assert_eq!(cli.run(&["register", "export"]).stdout.lines().count(), 1, "header only: nothing was stored");
        let run = cli.run(&["register", "import", cli.path("missing.csv").to_str().unwrap()]);
        assert_eq!(run.code, 6);

        std::fs::write(
            cli.path("register.csv"),
            "resource,outcome,threat_event,risk_source,impact,likelihood,residual_impact,residual_likelihood,owner\n\
             制御系 VPN,制御停止,targeted_attack_supply_chain,,4,3,3,2,制御部\n\
             会計システム,帳票改ざん,malware,inadequate_data_backup,3,2,2,2,経理部\n",
        )
        .unwrap();
        let run = cli.run(&["--json", "register", "import", cli.path("register.csv").to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.json(), json!({ "created": 2, "updated": 0 }));

        // An urgent advisory concerning the VPN entry, written and published by an analyst through the CLI.
        let staff = Cli::new();
        staff.login(&app, "analyst");
        std::fs::write(
            staff.path("advisory.yaml"),
            "title: { en: Supply-chain attack on VPN appliances, ja: VPN 機器へのサプライチェーン攻撃 }\n\
             summary: { en: Update the firmware., ja: ファームウェアを更新してください。 }\n\
             urgency: urgent\ntlp: amber\nscope_sectors: [electricity]\nthreat_events: [targeted_attack_supply_chain]\n\
             products: ['fortinet:fortios']\nrecommended_actions:\n  - { en: Apply the patch., ja: 修正を適用する。 }\n",
        )
        .unwrap();
        std::fs::write(
            staff.path("bad.yaml"),
            "title: { en: x, ja: y }\nsummary: { en: x, ja: y }\nthreat_events: [alien_invasion]\n",
        )
        .unwrap();
        let run = staff.run(&["advisories", "create", staff.path("bad.yaml").to_str().unwrap()]);
        assert_eq!(run.code, 6, "{run:?}");
        assert!(run.stderr.contains("threat_events[0]"), "{run:?}");
        let run = cli.run(&["advisories", "create", staff.path("advisory.yaml").to_str().unwrap()]);
        assert_eq!(run.code, 4, "operators do not write advisories: {run:?}");
        let created = staff
            .run(&["--json", "advisories", "create", staff.path("advisory.yaml").to_str().unwrap()])
            .json();
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["state"], "draft");
        let run = staff.run(&["advisories", "publish", &id]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("published (version 1)"), "{run:?}");

        let run = cli.run(&["advisories", "list"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.contains("Supply-chain attack on VPN appliances") && run.stdout.contains("urgent"),
            "{run:?}"
        );
        let run = cli.run(&["--lang", "ja", "advisories", "show", &id]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.contains("VPN 機器へのサプライチェーン攻撃") && run.stdout.contains("制御系 VPN") && run.stdout.contains("requested"),
            "{run:?}"
        );
        assert!(!run.stdout.contains("会計システム"), "the unrelated entry is not flagged: {run:?}");
        let shown = cli.run(&["advisories", "show", &id, "--json"]).json();
        let entry = shown["task"]["entries"][0]["entry_id"].as_str().unwrap().to_owned();
        assert_eq!(shown["task"]["entries"].as_array().unwrap().len(), 1);

        let run = cli.run(&["advisories", "ack", &id]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("Acknowledged"), "{run:?}");
        let run = cli.run(&["advisories", "reassess", &id, "--entry", &format!("{entry}:9:1:reduce")]);
        assert_eq!(run.code, 2, "a bad spec is a usage error: {run:?}");
        let run = cli.run(&["advisories", "reassess", &id]);
        assert_eq!(run.code, 6, "every flagged entry needs an answer: {run:?}");
        let run = cli.run(&["advisories", "reassess", &id, "--entry", &format!("{entry}:3:1:reduce:ファームウェア更新済み")]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("1 register entr"), "{run:?}");
        let run = cli.run(&["advisories", "reassess", &id, "--entry", &format!("{entry}:3:1:reduce")]);
        assert_eq!(run.code, 6, "already reassessed (conflict): {run:?}");

        // The register shows the new residual values.
        let exported = cli.path("out.csv");
        let run = cli.run(&["register", "export", "-o", exported.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        let csv = std::fs::read_to_string(&exported).unwrap();
        let vpn = csv.lines().find(|l| l.contains("制御系 VPN")).unwrap();
        assert!(vpn.contains(",4,3,3,1,12,3,5,"), "impact 4 × likelihood 3 before, 3 × 1 = 3 after: {vpn}");
        let board: Value = app
            .client
            .get(app.url(&format!("/api/v1/advisories/{id}/board")))
            .bearer_auth(&analyst)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(board["reassessed"], 1);

        let run = staff.run(&["--lang", "ja", "advisories", "withdraw", &id, "--reason", "誤報"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("withdrawn"), "{run:?}");
        let _ = &analyst;

        // Someone else's advisory id: not found.
        let run = cli.run(&["advisories", "ack", &uuid::Uuid::new_v4().to_string()]);
        assert_eq!(run.code, 5, "{run:?}");
        app.stop().await;
    }
}
