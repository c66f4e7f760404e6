//! Table tests: Japanese and English reports, every rule, with the exact
//! redaction entries (rule, field, character offsets, matched text).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

#[path = "fixtures/anonymise/support.rs"]
mod support;

use isacx_server::anonymise::{anonymise, Action, RuleId, TimeGranularity, GENERALISED_SECTOR};
use serde_json::Value;
use support::*;

type Row = (String, Option<usize>, Option<usize>, String);
type Entry = (RuleId, Action, Option<usize>, Option<usize>, String);

fn row(rule: &str, text: &str, needle: &str) -> Row {
    let (start, end) = span(text, needle);
    (rule.to_owned(), Some(start), Some(end), needle.to_owned())
}

const JA_TITLE: &str = "アクメ電力(株)制御系ネットワークへの不正アクセス";
const JA_DESCRIPTION: &str = "ＡＣＭＥ－Ｐ（アクメ電力株式会社）の制御系ネットワークで不審な通信を検知しました。\
㈱アクメ の portal.acme-power.example から 10.20.3.4 および fe80::1 へ接続があり、攻撃元は 203.0.113.50 と evil.example です。\
担当: 山田 太郎（taro.yamada@acme-power.example、03-1234-5678）。\
現地では鈴木部長と高橋様が対応。本社: 〒100-0001 東京都千代田区千代田1-2-3。\
外部窓口 ０１２０－１２３－４５６、携帯 090-1234-5678、代表 (03)1234-5678。";

#[test]
fn japanese_report_every_rule() {
    let report = report("ja", JA_TITLE, JA_DESCRIPTION);
    let result = anonymise(&report, &member(), &options(10)).expect("anonymise");
    let d = JA_DESCRIPTION;
    assert_eq!(
        in_field(&result.redactions, "title"),
        vec![row("member_name", JA_TITLE, "アクメ電力(株)")]
    );
    assert_eq!(
        in_field(&result.redactions, "description"),
        vec![
            row("member_alias", d, "ＡＣＭＥ－Ｐ"),
            row("member_name", d, "アクメ電力株式会社"),
            row("member_alias", d, "㈱アクメ"),
            row("member_domain", d, "portal.acme-power.example"),
            row("internal_address", d, "10.20.3.4"),
            row("link_local_address", d, "fe80::1"),
            row("personal_name", d, "山田 太郎"),
            row("member_domain", d, "taro.yamada@acme-power.example"),
            row("phone_number", d, "03-1234-5678"),
            row("personal_name", d, "鈴木"),
            row("personal_name", d, "高橋"),
            row("postal_address", d, "〒100-0001 東京都千代田区千代田1-2-3"),
            row("phone_number", d, "０１２０－１２３－４５６"),
            row("phone_number", d, "090-1234-5678"),
            row("phone_number", d, "(03)1234-5678"),
        ]
    );
    assert_eq!(
        result.report.title,
        "[組織名]制御系ネットワークへの不正アクセス"
    );
    assert_eq!(
        result.report.description,
        "[組織名]（[組織名]）の制御系ネットワークで不審な通信を検知しました。\
[組織名] の [ドメイン] から [内部アドレス] および [内部アドレス] へ接続があり、攻撃元は 203.0.113.50 と evil.example です。\
担当: [氏名]（[メールアドレス]、[電話番号]）。\
現地では[氏名]部長と[氏名]様が対応。本社: [住所]。\
外部窓口 [電話番号]、携帯 [電話番号]、代表 [電話番号]。"
    );
    // The follow-up contact is removed, each part listed.
    assert!(result.report.follow_up_contact.is_none());
    let contact: Vec<Row> = ["name", "organization", "email", "phone"]
        .iter()
        .flat_map(|f| in_field(&result.redactions, &format!("follow_up_contact.{f}")))
        .collect();
    assert_eq!(
        contact,
        vec![
            ("contact_removed".into(), None, None, "佐藤 花子".into()),
            ("contact_removed".into(), None, None, "アクメ電力".into()),
            (
                "contact_removed".into(),
                None,
                None,
                "hanako.sato@acme-power.example".into()
            ),
            ("contact_removed".into(), None, None, "03-9876-5432".into()),
        ]
    );
}

const EN_DESCRIPTION: &str = "Acme Power Co., Ltd. (ACME-P) detected scanning from 198.51.100.7 and evil.example. \
Contact Mr. John Smith at +81 3 1234 5678 or soc@acme-power.example; the vendor is jane.doe@gmail.com. \
Affected hosts: 192.168.1.10, 169.254.10.1, 127.0.0.1, fd00::5 and 192.0.2.44; see https://intranet.acme-power.example/ticket/42. \
Yamada-san and Dr. Hanako Sato were informed; the contact 佐藤 花子 (hanako.sato@acme-power.example, 03 9876 5432) follows up. \
Office: 1-2-3 Otemachi, Chiyoda-ku, Tokyo 100-0004.";

#[test]
fn english_report_every_rule() {
    let title = "Intrusion at ACME Power";
    let report = report("en", title, EN_DESCRIPTION);
    let result = anonymise(&report, &member(), &options(10)).expect("anonymise");
    let d = EN_DESCRIPTION;
    assert_eq!(
        in_field(&result.redactions, "title"),
        vec![row("member_name", title, "ACME Power")]
    );
    assert_eq!(
        in_field(&result.redactions, "description"),
        vec![
            row("member_name", d, "Acme Power Co., Ltd."),
            row("member_alias", d, "ACME-P"),
            row("personal_name", d, "John Smith"),
            row("phone_number", d, "+81 3 1234 5678"),
            row("member_domain", d, "soc@acme-power.example"),
            row("email_address", d, "jane.doe@gmail.com"),
            row("private_address", d, "192.168.1.10"),
            row("link_local_address", d, "169.254.10.1"),
            row("loopback_address", d, "127.0.0.1"),
            row("private_address", d, "fd00::5"),
            row("internal_address", d, "192.0.2.44"),
            row(
                "member_domain",
                d,
                "https://intranet.acme-power.example/ticket/42"
            ),
            row("personal_name", d, "Yamada"),
            row("personal_name", d, "Hanako Sato"),
            row("personal_name", d, "佐藤 花子"),
            row("member_domain", d, "hanako.sato@acme-power.example"),
            row("phone_number", d, "03 9876 5432"),
            row(
                "postal_address",
                d,
                "1-2-3 Otemachi, Chiyoda-ku, Tokyo 100-0004"
            ),
        ]
    );
    assert_eq!(
        result.report.description,
        "[ORGANISATION] ([ORGANISATION]) detected scanning from 198.51.100.7 and evil.example. \
Contact Mr. [PERSON] at [PHONE] or [EMAIL]; the vendor is [EMAIL]. \
Affected hosts: [INTERNAL-ADDRESS], [INTERNAL-ADDRESS], [INTERNAL-ADDRESS], [INTERNAL-ADDRESS] and [INTERNAL-ADDRESS]; see [URL]. \
[PERSON]-san and Dr. [PERSON] were informed; the contact [PERSON] ([EMAIL], [PHONE]) follows up. \
Office: [ADDRESS]."
    );
}

#[test]
fn indicators_victim_side_dropped_attacker_kept() {
    let mut report = report("ja", "件名", "");
    report.indicators = indicators();
    let result = anonymise(&report, &member(), &options(10)).expect("anonymise");
    let r = &result.redactions;
    let entries = |field: &str| -> Vec<Entry> {
        r.iter()
            .filter(|x| x.field == field)
            .map(|x| (x.rule, x.action, x.start, x.end, x.original.clone()))
            .collect()
    };
    // Only an internal address: dropped.
    assert_eq!(
        entries("indicators[0].pattern"),
        vec![(
            RuleId::InternalAddress,
            Action::Dropped,
            Some(20),
            Some(29),
            "10.20.3.4".into()
        )]
    );
    // Mixed OR: the private comparison goes, the attacker's stays.
    assert_eq!(
        entries("indicators[1].pattern"),
        vec![(
            RuleId::PrivateAddress,
            Action::Removed,
            Some(56),
            Some(68),
            "192.168.1.10".into()
        )]
    );
    // The member's own host: dropped.
    assert_eq!(
        entries("indicators[2].pattern"),
        vec![(
            RuleId::MemberDomain,
            Action::Dropped,
            Some(22),
            Some(45),
            "mail.acme-power.example".into()
        )]
    );
    // The member's identity as author is replaced.
    assert_eq!(
        entries("indicators[3].created_by_ref"),
        vec![(
            RuleId::AuthorReplaced,
            Action::Replaced,
            None,
            None,
            "identity--1d0c2f60-0b4b-4a44-8bd4-5b6c1f3a9f10".into()
        )]
    );
    // An internal observable is dropped whole.
    assert_eq!(
        entries("indicators[4].value"),
        vec![(
            RuleId::InternalAddress,
            Action::Dropped,
            None,
            None,
            "10.20.9.9".into()
        )]
    );
    // AND with an internal side: the anchored attacker side stays.
    assert_eq!(
        entries("indicators[6].pattern"),
        vec![(
            RuleId::InternalAddress,
            Action::Removed,
            Some(85),
            Some(94),
            "10.20.3.4".into()
        )]
    );
    // Free text inside an indicator is redacted in place.
    assert_eq!(
        entries("indicators[7].description"),
        vec![
            (
                RuleId::PersonalName,
                Action::Replaced,
                Some(0),
                Some(2),
                "山田".into()
            ),
            (
                RuleId::MemberAlias,
                Action::Replaced,
                Some(5),
                Some(8),
                "アクメ".into()
            ),
        ]
    );
    // The member's identity object is left out.
    assert_eq!(
        entries("indicators[9].id"),
        vec![(
            RuleId::AuthorReplaced,
            Action::Dropped,
            None,
            None,
            "identity--1d0c2f60-0b4b-4a44-8bd4-5b6c1f3a9f10".into()
        )]
    );

    let kept: Vec<Value> = result
        .report
        .indicators
        .iter()
        .map(|o| o.to_value().expect("json"))
        .collect();
    let patterns: Vec<&str> = kept.iter().filter_map(|o| o["pattern"].as_str()).collect();
    assert_eq!(
        patterns,
        vec![
            "[ipv4-addr:value = '203.0.113.50']",
            "[url:value = 'https://evil.example/login']",
            "[network-traffic:src_ref.value = '198.51.100.7']",
            "[domain-name:value = 'c2.evil.example']",
        ]
    );
    let types: Vec<&str> = kept.iter().filter_map(|o| o["type"].as_str()).collect();
    assert_eq!(
        types,
        vec![
            "indicator",
            "indicator",
            "domain-name",
            "indicator",
            "indicator",
            "observed-data"
        ]
    );
    for object in &kept {
        if object.get("created").is_some() {
            assert_eq!(object["created_by_ref"], BODY_ID, "{object}");
            // New ids: the raw ids are not shared.
            assert!(!object["id"]
                .as_str()
                .unwrap_or("")
                .ends_with("2b8f0c6d1e01"));
        }
    }
    // The observed-data lost its internal observable but kept the attacker's.
    let observed = kept
        .iter()
        .find(|o| o["type"] == "observed-data")
        .expect("observed");
    assert_eq!(
        observed["object_refs"],
        serde_json::json!(["domain-name--6d2f1e8a-8b8e-5c1e-9f3a-7d6e5f4a3b22"])
    );
    // The STIX copy is authored by the sharing body.
    for object in &result.stix {
        if let Some(common) = object.sdo_common() {
            assert_eq!(
                common.created_by_ref.as_ref().map(|i| i.as_str()),
                Some(BODY_ID)
            );
        }
    }
}

#[test]
fn patterns_that_cannot_be_rewritten_safely_are_dropped() {
    let mut report = report("en", "t", "");
    let base = indicators().remove(0);
    let patterns = [
        // Only a port would remain: not anchored on an attacker value.
        "[network-traffic:dst_ref.value = '10.20.3.4' AND network-traffic:dst_port = 445]",
        // A sequence losing a step changes meaning.
        "[ipv4-addr:value = '198.51.100.7'] FOLLOWEDBY [ipv4-addr:value = '10.0.0.1']",
        // Recipients are victims.
        "[email-message:to_refs[*].value = 'someone@example.net']",
        // A member look-alike in a regular expression.
        "[domain-name:value MATCHES '^login\\\\.acme-power\\\\.example$']",
        // Not a STIX pattern, but naming the victim.
        "alert tcp 10.20.0.5 any -> any 445",
    ];
    report.indicators = patterns
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let mut value = base.to_value().expect("json");
            value["pattern"] = Value::from(*p);
            value["id"] = Value::from(format!("indicator--0a3a1b9e-4c1d-4f6a-9a0e-2b8f0c6d1f0{n}"));
            if n == 4 {
                value["pattern_type"] = Value::from("snort");
            }
            serde_json::from_value(value).expect("indicator")
        })
        .collect();
    let result = anonymise(&report, &member(), &options(10)).expect("anonymise");
    assert!(
        result.report.indicators.is_empty(),
        "{:?}",
        result.report.indicators
    );
    let rules: Vec<(String, RuleId, Action)> = result
        .redactions
        .iter()
        .filter(|r| r.field.starts_with("indicators"))
        .map(|r| (r.field.clone(), r.rule, r.action))
        .collect();
    assert_eq!(
        rules,
        vec![
            (
                "indicators[0].pattern".into(),
                RuleId::InternalAddress,
                Action::Dropped
            ),
            (
                "indicators[1].pattern".into(),
                RuleId::PrivateAddress,
                Action::Dropped
            ),
            (
                "indicators[2].pattern".into(),
                RuleId::EmailAddress,
                Action::Dropped
            ),
            (
                "indicators[3].pattern".into(),
                RuleId::MemberName,
                Action::Dropped
            ),
            (
                "indicators[4].pattern".into(),
                RuleId::InternalAddress,
                Action::Dropped
            ),
        ]
    );
}

#[test]
fn times_coarsened_to_the_hour_and_day() {
    let mut report = report("en", "t", "");
    report.indicators = indicators();
    let mut opts = options(10);
    opts.coarsen_times = TimeGranularity::Hour;
    let result = anonymise(&report, &member(), &opts).expect("anonymise");
    let times: Vec<(String, String, Option<String>)> = result
        .redactions
        .iter()
        .filter(|r| r.rule == RuleId::TimeCoarsened && !r.field.starts_with("indicators"))
        .map(|r| (r.field.clone(), r.original.clone(), r.replacement.clone()))
        .collect();
    assert_eq!(
        times,
        vec![
            (
                "created".into(),
                "2026-11-20T03:20:00.123Z".into(),
                Some("2026-11-20T03:00:00Z".into())
            ),
            (
                "times.occurred".into(),
                "2026-11-20T01:23:45Z".into(),
                Some("2026-11-20T01:00:00Z".into())
            ),
            (
                "times.detected".into(),
                "2026-11-20T02:34:56Z".into(),
                Some("2026-11-20T02:00:00Z".into())
            ),
        ]
    );
    let indicator = result.report.indicators[0].to_value().expect("json");
    assert_eq!(indicator["valid_from"], "2026-11-20T03:00:00.000Z");
    assert_eq!(indicator["modified"], "2026-11-20T04:00:00.000Z");

    opts.coarsen_times = TimeGranularity::Day;
    let result = anonymise(&report, &member(), &opts).expect("anonymise");
    assert_eq!(
        result.report.times.detected.to_rfc3339(),
        "2026-11-20T00:00:00+00:00"
    );
    assert_eq!(
        result.report.times.recovered.map(|t| t.to_rfc3339()),
        Some("2026-11-21T00:00:00+00:00".into())
    );
    let observed = result
        .report
        .indicators
        .iter()
        .map(|o| o.to_value().expect("json"))
        .find(|o| o["type"] == "observed-data")
        .expect("observed");
    assert_eq!(observed["first_observed"], "2026-11-20T00:00:00.000Z");
    assert_eq!(observed["last_observed"], "2026-11-21T00:00:00.000Z");
}

#[test]
fn sector_generalised_with_what_reveals_it() {
    let mut report = report("ja", "t", "");
    report.service = Some("electricity_supply".into());
    report.critical_system = Some("electricity_control".into());
    report.service_impact.supply_loss_kw = Some(120_000.0);
    let result = anonymise(&report, &member(), &options(2)).expect("anonymise");
    assert!(!result.sector_shown);
    assert_eq!(result.report.sector, GENERALISED_SECTOR);
    assert_eq!(result.report.service, None);
    assert_eq!(result.report.critical_system, None);
    assert_eq!(result.report.service_impact.supply_loss_kw, None);
    let generalised: Vec<(String, String)> = result
        .redactions
        .iter()
        .filter(|r| r.rule == RuleId::SectorGeneralised)
        .map(|r| (r.field.clone(), r.original.clone()))
        .collect();
    assert_eq!(
        generalised,
        vec![
            ("sector".into(), "electricity".into()),
            ("service".into(), "electricity_supply".into()),
            ("critical_system".into(), "electricity_control".into()),
            ("service_impact.supply_loss_kw".into(), "120000".into()),
        ]
    );
}

#[test]
fn benign_text_is_left_alone() {
    // Words that look like the rules' targets but are not.
    let texts = [
        "お客様と皆様への影響はありません。総務部長が報告を受けました。",
        "The acmetric library and Acmeology are unrelated; version 1.2.3.4 of the tool.",
        "Detected at 2026-11-20 03:14:15 (JST), incident 2026-0042, CVE-2024-12345.",
        "SHA-256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 seen.",
        "攻撃元 203.0.113.50、198.51.100.7 と 2001:db8::5、C2 は evil.example です。",
        "Port 0123 and ratio 0.5; MAC 00:1a:2b:3c:4d:5e; time 12:34:56.",
    ];
    for text in texts {
        let report = report("ja", "件名", text);
        let result = anonymise(&report, &member(), &options(10)).expect("anonymise");
        assert_eq!(result.report.description, text);
        assert_eq!(
            in_field(&result.redactions, "description"),
            vec![],
            "{text}"
        );
    }
}

#[test]
fn named_member_keeps_its_name_but_not_personal_data() {
    let mut report = report(
        "en",
        "Acme Power outage",
        "Acme Power Co., Ltd. asks Ms. Jane Roe (jane@example.org) to call.",
    );
    report.attribution = isacx_schemas::report::Attribution::Named;
    let result = anonymise(&report, &member(), &options(0)).expect("anonymise");
    assert_eq!(result.report.title, "Acme Power outage");
    assert_eq!(
        result.report.description,
        "Acme Power Co., Ltd. asks Ms. [PERSON] ([EMAIL]) to call."
    );
    assert_eq!(result.report.sector, "electricity");
}

#[test]
fn internationalised_domain_in_both_forms_and_partial_sets() {
    let text = "詳細は https://ポータル.アクメ.example/a と mail.xn--cck0a4k.example を参照。";
    let mut report = report("ja", "件名", text);
    let mut object = indicators().remove(0).to_value().expect("json");
    object["pattern"] = Value::from(
        "[ipv4-addr:value IN ('203.0.113.9', '10.0.0.1', '198.51.100.7')] OR [domain-name:value = 'vpn.xn--cck0a4k.example']",
    );
    report.indicators = vec![serde_json::from_value(object).expect("indicator")];
    let result = anonymise(&report, &member(), &options(10)).expect("anonymise");
    assert_eq!(
        in_field(&result.redactions, "description"),
        vec![
            row("member_domain", text, "https://ポータル.アクメ.example/a"),
            row("member_domain", text, "mail.xn--cck0a4k.example"),
        ]
    );
    assert_eq!(
        result.report.description,
        "詳細は [URL] と [ドメイン] を参照。"
    );
    let pattern = result.report.indicators[0].to_value().expect("json")["pattern"].clone();
    assert_eq!(
        pattern,
        "[ipv4-addr:value IN ('203.0.113.9', '198.51.100.7')]"
    );
    let removed: Vec<(RuleId, Action, String)> = result
        .redactions
        .iter()
        .filter(|r| r.field == "indicators[0].pattern")
        .map(|r| (r.rule, r.action, r.original.clone()))
        .collect();
    assert_eq!(
        removed,
        vec![
            (RuleId::PrivateAddress, Action::Removed, "10.0.0.1".into()),
            (
                RuleId::MemberDomain,
                Action::Removed,
                "vpn.xn--cck0a4k.example".into()
            ),
        ]
    );
}

#[test]
fn times_inside_patterns_are_coarsened_too() {
    let mut report = report("en", "t", "");
    let mut object = indicators().remove(0).to_value().expect("json");
    object["pattern"] = Value::from(
        "[ipv4-addr:value = '203.0.113.9'] START t'2026-11-20T03:14:15Z' STOP t'2026-11-20T05:00:01Z'",
    );
    report.indicators = vec![serde_json::from_value(object).expect("indicator")];
    let mut opts = options(10);
    opts.coarsen_times = TimeGranularity::Hour;
    let result = anonymise(&report, &member(), &opts).expect("anonymise");
    let pattern = result.report.indicators[0].to_value().expect("json")["pattern"].clone();
    assert_eq!(
        pattern,
        "[ipv4-addr:value = '203.0.113.9'] START t'2026-11-20T03:00:00.000Z' STOP t'2026-11-20T06:00:00.000Z'"
    );
    let coarsened: Vec<(String, Option<String>)> = result
        .redactions
        .iter()
        .filter(|r| r.field == "indicators[0].pattern")
        .map(|r| (r.original.clone(), r.replacement.clone()))
        .collect();
    assert_eq!(
        coarsened,
        vec![
            (
                "2026-11-20T03:14:15Z".into(),
                Some("2026-11-20T03:00:00.000Z".into())
            ),
            (
                "2026-11-20T05:00:01Z".into(),
                Some("2026-11-20T06:00:00.000Z".into())
            ),
        ]
    );
}
