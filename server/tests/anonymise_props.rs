//! Property tests: whatever form the member's names, aliases, domains and
//! addresses take and wherever they sit, none survives; attacker
//! indicators do; and no input makes the anonymiser panic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

#[path = "fixtures/anonymise/support.rs"]
mod support;

use isacx_schemas::report::Attribution;
use isacx_schemas::stix::StixObject;
use isacx_server::anonymise::{anonymise, MemberProfile};
use proptest::prelude::*;
use serde_json::{json, Value};
use support::*;

/// Full-width form of printable ASCII (space becomes the ideographic space).
fn full_width(c: char) -> char {
    match c {
        ' ' => '\u{3000}',
        '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

fn half_width_katakana(text: &str) -> String {
    text.replace('ア', "ｱ")
        .replace('ク', "ｸ")
        .replace('メ', "ﾒ")
}

/// One way of writing `text`: case, width and spacing chosen per character.
fn styled(text: &'static str) -> impl Strategy<Value = String> {
    (
        proptest::collection::vec((any::<bool>(), any::<bool>()), text.chars().count()),
        any::<bool>(),
        0usize..3,
    )
        .prop_map(move |(flags, half, extra_spaces)| {
            let mut out: String = text
                .chars()
                .zip(flags)
                .map(|(c, (upper, wide))| {
                    let c = if upper {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    };
                    if wide {
                        full_width(c)
                    } else {
                        c
                    }
                })
                .collect();
            if half {
                out = half_width_katakana(&out);
            }
            if extra_spaces > 0 {
                out = out.replacen(' ', &" ".repeat(extra_spaces + 1), 1);
            }
            out
        })
}

/// A name or alias with or without a company-form marker.
fn member_mention() -> impl Strategy<Value = String> {
    let ja_markers = prop::sample::select(vec!["", "株式会社", "(株)", "㈱", "（株）", "有限会社"]);
    let en_markers = prop::sample::select(vec![
        "",
        " Co., Ltd.",
        " Inc.",
        " K.K.",
        " Corporation",
        ", Ltd.",
    ]);
    prop_oneof![
        (styled("アクメ電力"), ja_markers.clone(), any::<bool>()).prop_map(|(n, m, before)| {
            if before {
                format!("{m}{n}")
            } else {
                format!("{n}{m}")
            }
        }),
        (styled("アクメ"), ja_markers).prop_map(|(n, m)| format!("{m}{n}")),
        (styled("Acme Power"), en_markers).prop_map(|(n, m)| format!("{n}{m}")),
        styled("ACME-P"),
        styled("Acme Power Co., Ltd."),
        ("[a-z]{1,8}", styled("acme-power.example")).prop_map(|(s, d)| format!("{s}.{d}")),
        styled("acme-power.example"),
        ("[a-z]{1,8}(\\.[a-z]{1,5})?", "([a-z]{1,6}\\.)?")
            .prop_map(|(local, sub)| format!("{local}@{sub}acme-power.example")),
        ("[a-z]{1,8}", "[a-z0-9/]{0,12}")
            .prop_map(|(sub, path)| format!("https://{sub}.acme-power.example/{path}")),
        ("[a-z]{1,8}", "[a-z]{1,8}").prop_map(|(sub, _)| format!("{sub}[.]acme-power[.]example")),
    ]
}

fn filler() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "不審な通信を検知しました。",
        "The attacker used a web shell. ",
        " and then ",
        "。",
        "、",
        "調査中です",
        "scanning was observed",
        "",
        "\n",
    ])
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![" ", "、", "。", "(", ")", "「", "」", "\n", ": "])
}

/// A text with mentions placed among filler.
fn text_with_mentions() -> impl Strategy<Value = (String, Vec<String>)> {
    proptest::collection::vec((filler(), separator(), member_mention(), separator()), 1..6)
        .prop_map(|parts| {
            let mut text = String::new();
            let mut mentions = Vec::new();
            for (fill, before, mention, after) in parts {
                text.push_str(fill);
                text.push_str(before);
                text.push_str(&mention);
                text.push_str(after);
                mentions.push(mention);
            }
            (text, mentions)
        })
}

fn attacker_ip() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u8..=255).prop_map(|d| format!("198.51.100.{d}")),
        (0u8..=255).prop_map(|d| format!("203.0.113.{d}")),
        (0u8..=255, 0u8..=255).prop_map(|(c, d)| format!("45.76.{c}.{d}")),
    ]
}

fn attacker_domain() -> impl Strategy<Value = String> {
    (
        "[a-z]{3,10}",
        prop::sample::select(vec!["com", "net", "xyz"]),
    )
        .prop_filter("not a member look-alike", |(name, _)| {
            !name.contains("acme")
        })
        .prop_map(|(name, tld)| format!("{name}.{tld}"))
}

fn indicator(n: usize, pattern: &str) -> StixObject {
    serde_json::from_value(json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--0a3a1b9e-4c1d-4f6a-9a0e-{n:012}"),
        "created": "2026-11-20T03:14:15.926Z", "modified": "2026-11-20T03:14:15.926Z",
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-11-20T03:14:15.926Z"
    }))
    .expect("indicator")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn member_identifiers_never_survive(
        (title, title_mentions) in text_with_mentions(),
        (description, mentions) in text_with_mentions(),
        lang in prop::sample::select(vec!["ja", "en"]),
        ips in proptest::collection::vec(attacker_ip(), 1..4),
        domains in proptest::collection::vec(attacker_domain(), 1..4),
        (value_mention, _) in text_with_mentions(),
    ) {
        let mut report = report(lang, &title, &description);
        report.affected_service = Some(value_mention.clone());
        let mut objects = Vec::new();
        for ip in &ips {
            objects.push(indicator(objects.len(), &format!("[ipv4-addr:value = '{ip}']")));
            // Mixed with an internal address: the attacker side must stay.
            objects.push(indicator(
                objects.len(),
                &format!("[ipv4-addr:value = '{ip}' OR ipv4-addr:value = '10.20.1.2']"),
            ));
        }
        for domain in &domains {
            objects.push(indicator(objects.len(), &format!("[domain-name:value = '{domain}']")));
            objects.push(indicator(
                objects.len(),
                &format!("[domain-name:value = '{domain}' OR domain-name:value = 'www.acme-power.example']"),
            ));
        }
        report.indicators = objects;
        let result = anonymise(&report, &member(), &options(10)).expect("anonymise");
        let output = json!({
            "report": serde_json::to_value(&result.report).expect("report"),
            "stix": serde_json::to_value(&result.stix).expect("stix"),
        });
        let haystack = folded(&output);
        for secret in ["アクメ", "acme-p", "acmepower", "acme-power.example", "acmepowerco"] {
            prop_assert!(
                !haystack.contains(&fold(secret)),
                "{secret:?} leaked from {title_mentions:?} / {mentions:?} / {value_mention:?}: {}",
                serde_json::to_string(&result.report).unwrap_or_default()
            );
        }
        let patterns: Vec<String> = result
            .report
            .indicators
            .iter()
            .filter_map(|o| o.to_value().ok())
            .filter_map(|v| v["pattern"].as_str().map(str::to_owned))
            .collect();
        for value in ips.iter().chain(&domains) {
            let wanted = format!("'{value}'");
            prop_assert_eq!(
                patterns.iter().filter(|p| p.contains(&wanted)).count(),
                2 * ips.iter().chain(&domains).filter(|v| *v == value).count(),
                "attacker value {} lost: {:?}", value, patterns
            );
        }
    }

    #[test]
    fn no_panic_on_any_text(
        title in any::<String>(),
        description in "\\PC{0,200}",
        affected in any::<String>(),
        pattern in "\\PC{0,80}",
        name in any::<String>(),
        alias in "\\PC{0,12}",
        domain in "\\PC{0,20}",
        lang in any::<String>(),
        named in any::<bool>(),
    ) {
        let mut report = report("ja", "t", "");
        report.lang = lang;
        report.title = title;
        report.description = description;
        report.affected_service = Some(affected);
        report.attribution = if named { Attribution::Named } else { Attribution::Anonymous };
        report.indicators = vec![indicator(0, &pattern)];
        let mut profile: MemberProfile = member();
        profile.names.push(name);
        profile.aliases.push(alias);
        profile.domains.push(domain);
        let _ = anonymise(&report, &profile, &options(1));
    }

    #[test]
    fn no_panic_on_any_pattern_shape(
        left in "[a-z\\-]{1,12}:[a-z_\\.\\[\\]\\*0-9]{1,20}",
        op in prop::sample::select(vec!["=", "!=", "LIKE", "MATCHES", "ISSUBSET", "IN", "<", "NOT ="]),
        value in "'[\\PC&&[^'\\\\]]{0,30}'|\\([^)]{0,30}\\)|[0-9]{1,5}",
        joiner in prop::sample::select(vec![" AND ", " OR ", "] AND [", "] OR [", "] FOLLOWEDBY [", "] WITHIN 5 SECONDS AND ["]),
    ) {
        let pattern = format!("[{left} {op} {value}{joiner}ipv4-addr:value = '10.0.0.1']");
        let mut report = report("en", "t", "");
        report.indicators = vec![indicator(0, &pattern)];
        let result = anonymise(&report, &member(), &options(5));
        prop_assert!(result.is_ok(), "{pattern}: {result:?}");
        if let Ok(result) = result {
            let text = folded(&Value::from(serde_json::to_string(&result.report).unwrap_or_default()));
            prop_assert!(!text.contains("10.0.0.1"), "{}", text);
        }
    }
}
