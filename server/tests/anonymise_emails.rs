//! E-mail addresses in free text: kept when the report's own indicators
//! name the address as a sender (`email-addr:value`,
//! `email-message:from_ref.value`) and it is not under the member's
//! domains; every other address is redacted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

#[path = "fixtures/anonymise/support.rs"]
mod support;

use isacx_schemas::report::Report;
use isacx_server::anonymise::{anonymise, CompiledProfile, ProfileCache};
use serde_json::{json, Value};
use support::*;

fn indicator(n: usize, pattern: &str) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--6f1c2d3e-4b5a-4c6d-8e7f-00000000000{n}"),
        "created": "2026-11-20T03:20:00.000Z",
        "modified": "2026-11-20T03:20:00.000Z",
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-11-20T01:00:00.000Z"
    })
}

fn with_indicators(description: &str, patterns: &[&str]) -> Report {
    let mut value = serde_json::to_value(report("ja", "フィッシングメール", description)).unwrap();
    value["indicators"] = Value::Array(
        patterns
            .iter()
            .enumerate()
            .map(|(n, p)| indicator(n, p))
            .collect(),
    );
    serde_json::from_value(value).unwrap()
}

const DESCRIPTION: &str = "送信元 Billing@Evil-Invoice.example（本文では billing[@]evil-invoice[.]example とも表記）から \
請求書を装うメール。返信先 reply@evil-invoice.example は指標にない。受信者 keiri@gmail.example、\
当社窓口 soc@acme-power.example、否定条件 notme@evil.example、ransom@onion.example。";

#[test]
fn senders_named_by_the_reports_indicators_stay() {
    let report = with_indicators(
        DESCRIPTION,
        &[
            "[email-message:from_ref.value = 'billing@evil-invoice.example' AND email-message:to_refs[*].value = 'keiri@gmail.example']",
            "[email-addr:value IN ('ransom@onion.example', 'soc@acme-power.example')]",
            "[email-addr:value != 'notme@evil.example']",
        ],
    );
    let result = anonymise(&report, &member(), &options(10)).unwrap();
    let text = &result.report.description;
    // Named as senders by the indicators: kept, in any spelling.
    assert!(text.contains("Billing@Evil-Invoice.example"), "{text}");
    assert!(text.contains("billing[@]evil-invoice[.]example"), "{text}");
    assert!(text.contains("ransom@onion.example"), "{text}");
    // Not in the indicators, a recipient, negated, or under the member's
    // domains: redacted.
    for gone in [
        "reply@evil-invoice.example",
        "keiri@gmail.example",
        "soc@acme-power.example",
        "notme@evil.example",
    ] {
        assert!(!text.contains(gone), "{gone} stayed: {text}");
    }
    let rules: Vec<(&str, &str)> = result
        .redactions
        .iter()
        .filter(|r| r.field == "description")
        .map(|r| (r.rule.as_str(), r.original.as_str()))
        .collect();
    assert!(rules.contains(&("email_address", "reply@evil-invoice.example")));
    assert!(rules.contains(&("member_domain", "soc@acme-power.example")));
    assert!(
        !rules
            .iter()
            .any(|(_, o)| o.to_lowercase().starts_with("billing")),
        "{rules:?}"
    );
    // The recipient comparison is taken out of the shared indicator; the
    // sender stays.
    let shared = serde_json::to_string(&result.stix).unwrap();
    assert!(shared.contains("billing@evil-invoice.example"));
    assert!(!shared.contains("keiri@gmail.example"));
    assert!(!shared.contains("soc@acme-power.example"));
}

#[test]
fn without_indicators_every_address_goes() {
    let report = with_indicators(DESCRIPTION, &[]);
    let result = anonymise(&report, &member(), &options(10)).unwrap();
    assert!(
        !result.report.description.contains('@'),
        "{}",
        result.report.description
    );
}

#[test]
fn the_follow_up_contact_is_never_kept_even_as_an_indicator() {
    // The support report's contact is hanako.sato@acme-power.example; an
    // indicator naming a contact-like address outside the member's domains
    // is still the victim's when it is the contact's.
    let mut value = serde_json::to_value(report(
        "en",
        "Phish",
        "Reply to h.sato@freemail.example or x@bad.example",
    ))
    .unwrap();
    value["follow_up_contact"]["email"] = json!("h.sato@freemail.example");
    value["indicators"] = json!([indicator(
        0,
        "[email-addr:value IN ('h.sato@freemail.example', 'x@bad.example')]"
    )]);
    let report: Report = serde_json::from_value(value).unwrap();
    let result = anonymise(&report, &member(), &options(10)).unwrap();
    assert!(
        !result
            .report
            .description
            .contains("h.sato@freemail.example"),
        "{}",
        result.report.description
    );
    assert!(
        result.report.description.contains("x@bad.example"),
        "{}",
        result.report.description
    );
}

#[test]
fn a_compiled_profile_gives_the_same_copy() {
    let report = with_indicators(
        DESCRIPTION,
        &["[email-addr:value = 'ransom@onion.example']"],
    );
    let fresh = anonymise(&report, &member(), &options(10)).unwrap();
    let compiled = CompiledProfile::new(member()).unwrap();
    let once =
        isacx_server::anonymise::anonymise_compiled(&report, &compiled, &options(10)).unwrap();
    let cache = ProfileCache::default();
    let cached = cache.get("acme", member()).unwrap();
    let twice =
        isacx_server::anonymise::anonymise_compiled(&report, &cached, &options(10)).unwrap();
    assert_eq!(fresh, once);
    assert_eq!(fresh, twice);
}
