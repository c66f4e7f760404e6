//! The report template `isacx report new` writes: every field of the report
//! with a valid sample value, and in YAML a comment per field explaining it
//! and listing the values the taxonomy allows. The explanations are document
//! content rather than messages, so they live here as English/Japanese pairs.

use chrono::{SecondsFormat, Utc};
use isacx_schemas::taxonomy::Taxonomy;
use serde_json::{json, Map, Value};

use crate::i18n::Lang;

/// One top-level field: its explanation (en, ja), and the allowed values.
struct Field {
    key: &'static str,
    en: &'static str,
    ja: &'static str,
    allowed: Vec<String>,
}

fn pick<'a>(lang: Lang, en: &'a str, ja: &'a str) -> &'a str {
    match lang {
        Lang::En => en,
        Lang::Ja => ja,
    }
}

/// A valid sample report: the values the template starts from.
pub fn sample(lang: Lang, taxonomy: &Taxonomy) -> Value {
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let outcome = taxonomy
        .outcome("system_stopped")
        .or_else(|| taxonomy.outcomes.first());
    let mut cia = Map::new();
    if let Some(o) = outcome {
        for (name, set) in [
            ("confidentiality", o.confidentiality),
            ("integrity", o.integrity),
            ("availability", o.availability),
        ] {
            if set {
                cia.insert(name.to_owned(), Value::Bool(true));
            }
        }
    }
    let (title, description, affected, contact_name) = match lang {
        Lang::Ja => (
            "(件名)制御系端末を狙った標的型メール",
            "(何が起きたか、どう対応したかを記入)",
            "(影響を受けた自社サービス名)",
            "(担当者名)",
        ),
        Lang::En => (
            "(Title) Spear-phishing aimed at control-room engineers",
            "(What happened and what you did about it)",
            "(Your name for the affected service)",
            "(Contact name)",
        ),
    };
    let mut report = json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "created": now,
        "modified": now,
        "kind": "incident",
        "lang": match lang { Lang::Ja => "ja", Lang::En => "en" },
        "title": title,
        "description": description,
        "sector": "electricity",
        "service": "power_transmission_distribution",
        "affected_service": affected,
        "critical_system": "electricity_power_control",
        "outcome": outcome.map(|o| o.id.clone()),
        "cia_impact": cia,
        "threat_event": "malware_email_attachment",
        "risk_sources": ["lack_of_security_awareness"],
        "times": { "occurred": now, "detected": now },
        "service_impact": { "users_affected": 0, "duration_minutes": 0 },
        "statutory": { "reportable": false, "thresholds": [] },
        "indicators": [],
        "tlp": "amber",
        "attribution": "anonymous",
        "follow_up_contact": {
            "name": contact_name,
            "email": "soc@example.jp",
        },
    });
    if outcome.is_none() {
        if let Some(m) = report.as_object_mut() {
            m.remove("outcome");
            m.remove("cia_impact");
        }
    }
    report
}

fn fields(lang: Lang, t: &Taxonomy) -> Vec<Field> {
    let name = |en: &str, ja: &str| pick(lang, en, ja).to_owned();
    let sectors = t
        .sectors
        .iter()
        .map(|s| format!("{}: {}", s.id, name(&s.en, &s.ja)))
        .collect();
    let services = t
        .services
        .iter()
        .map(|s| format!("{} [{}]: {}", s.id, s.sector, name(&s.en, &s.ja)))
        .collect();
    let systems = t
        .sectors
        .iter()
        .flat_map(|s| s.critical_systems.iter().map(move |c| (s.id.clone(), c)))
        .map(|(sector, c)| format!("{} [{sector}]: {}", c.id, name(&c.en, &c.ja)))
        .collect();
    let outcomes = t
        .outcomes
        .iter()
        .map(|o| {
            let cia: String = [
                (o.confidentiality, 'C'),
                (o.integrity, 'I'),
                (o.availability, 'A'),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, c)| *c)
            .collect();
            format!("{} ({cia}): {}", o.id, name(&o.en, &o.ja))
        })
        .collect();
    let threats = t
        .threat_events
        .iter()
        .map(|e| {
            let depth = {
                let mut d = 0;
                let mut p = e.parent.clone();
                while let Some(id) = p {
                    d += 1;
                    p = t.threat_event(&id).and_then(|x| x.parent.clone());
                    if d > 8 {
                        break;
                    }
                }
                d
            };
            format!("{}{}: {}", "  ".repeat(depth), e.id, name(&e.en, &e.ja))
        })
        .collect();
    let risks = t
        .risk_sources
        .iter()
        .map(|r| format!("{}: {}", r.id, name(&r.en, &r.ja)))
        .collect();
    let thresholds = t
        .thresholds
        .iter()
        .map(|th| format!("{} [{}]: {}", th.id, th.sector, name(&th.en, &th.ja)))
        .collect();
    let none = Vec::new;
    vec![
        Field { key: "id", en: "Report id: a random UUID (version 4). Keep it when you revise the report.", ja: "報告 ID: ランダムな UUID(バージョン 4)。報告を修正するときは変えないでください。", allowed: none() },
        Field { key: "created", en: "When the report was first written (RFC 3339, e.g. 2026-11-25T09:00:00Z).", ja: "報告の作成日時(RFC 3339 形式、例 2026-11-25T09:00:00Z)。", allowed: none() },
        Field { key: "modified", en: "When it was last changed; not before `created`.", ja: "最終更新日時。`created` より前にはできません。", allowed: none() },
        Field { key: "kind", en: "What kind of report this is.", ja: "報告の種類。", allowed: vec![name("incident: an outage or security incident that happened", "incident: 障害(発生した事象)"), name("precursor: signs that one may happen", "precursor: 予兆"), name("near_miss: it nearly happened and was averted", "near_miss: ヒヤリハット")] },
        Field { key: "lang", en: "Language of the free text: ja or en.", ja: "自由記述の言語: ja または en。", allowed: none() },
        Field { key: "title", en: "A short title (1 to 512 characters).", ja: "件名(1〜512 文字)。", allowed: none() },
        Field { key: "description", en: "What happened and what was done, in prose (optional).", ja: "事象の内容と対応(任意)。", allowed: none() },
        Field { key: "sector", en: "Your sector (required).", ja: "重要インフラ分野(必須)。", allowed: sectors },
        Field { key: "service", en: "The affected critical-infrastructure service; must belong to `sector` (optional).", ja: "影響を受けた重要インフラサービス。`sector` に属するもの(任意)。", allowed: services },
        Field { key: "affected_service", en: "Your own name for the affected service (optional).", ja: "影響を受けた自社のサービス名(任意)。", allowed: none() },
        Field { key: "critical_system", en: "The critical system (重要システム) involved; must belong to `sector` (optional).", ja: "関係する重要システム。`sector` に属するもの(任意)。", allowed: systems },
        Field { key: "outcome", en: "The outcome (事象の結果); C/I/A are the impacts it implies (optional).", ja: "事象の結果。C/I/A はその結果が意味する機密性・完全性・可用性への影響(任意)。", allowed: outcomes },
        Field { key: "cia_impact", en: "Impaired: confidentiality, integrity, availability (true/false); must include the outcome's.", ja: "損なわれたもの: confidentiality(機密性)、integrity(完全性)、availability(可用性)を true/false で。`outcome` の影響を含めてください。", allowed: none() },
        Field { key: "threat_event", en: "The threat event (結果を生じ得る事象), at any level; more specific is better (optional).", ja: "結果を生じ得る事象(脅威)。どの階層でも可、より具体的なものが望ましい(任意)。", allowed: threats },
        Field { key: "risk_sources", en: "Risk sources (リスク源), a list (optional).", ja: "リスク源(リスト、任意)。", allowed: risks },
        Field { key: "times", en: "Times in order: occurred (optional) <= detected (required) <= contained <= recovered (optional).", ja: "日時(この順): occurred 発生(任意) <= detected 検知(必須) <= contained 封じ込め <= recovered 復旧(任意)。", allowed: none() },
        Field { key: "service_impact", en: "Impact in the units of the statutory thresholds: users_affected, duration_minutes, supply_loss_kw, households_affected, facility (all optional, not negative).", ja: "法令の基準の単位での影響: users_affected 利用者数、duration_minutes 継続時間(分)、supply_loss_kw 供給支障電力、households_affected 供給支障戸数、facility 設備(すべて任意、負の値は不可)。", allowed: none() },
        Field { key: "statutory", en: "Whether this is a statutory reportable accident (報告を要する重大な事故) and which thresholds it crosses.", ja: "報告を要する重大な事故に当たるか、どの基準を超えたか。", allowed: thresholds },
        Field { key: "indicators", en: "STIX 2.1 indicators or observables seen (optional), e.g. {type: indicator, spec_version: '2.1', id: indicator--<uuid>, created: ..., modified: ..., pattern: \"[ipv4-addr:value = '198.51.100.7']\", pattern_type: stix, valid_from: ...}.", ja: "確認された STIX 2.1 のインジケーターや観測値(任意)。例: {type: indicator, spec_version: '2.1', id: indicator--<uuid>, created: ..., modified: ..., pattern: \"[ipv4-addr:value = '198.51.100.7']\", pattern_type: stix, valid_from: ...}。", allowed: none() },
        Field { key: "tlp", en: "TLP 2.0 of the report (required).", ja: "報告の TLP 2.0(必須)。", allowed: vec!["clear".into(), "green".into(), "amber".into(), "amber+strict".into(), "red".into()] },
        Field { key: "attribution", en: "How far you may be named in what is shared (required).", ja: "共有時に提出者をどこまで示すか(必須)。", allowed: vec![name("anonymous: neither you nor your sector", "anonymous: 組織名も分野も示さない"), name("sector_only: your sector, not you", "sector_only: 分野のみ示す"), name("named: you may be named", "named: 組織名を示してよい")] },
        Field { key: "follow_up_contact", en: "Who the analysts may contact: name, organization, email, phone; an email or a phone is needed (optional).", ja: "分析担当からの問い合わせ先: name, organization, email, phone。email か phone のどちらかが必要(任意)。", allowed: none() },
    ]
}

/// A YAML scalar: JSON's quoted strings are valid YAML too.
fn scalar(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn yaml_value(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if m.is_empty() => out.push_str(" {}\n"),
        Value::Object(m) => {
            out.push('\n');
            for (k, v) in m {
                out.push_str(&format!("{pad}{k}:"));
                yaml_value(v, indent + 2, out);
            }
        }
        Value::Array(a) if a.is_empty() => out.push_str(" []\n"),
        Value::Array(a) => {
            out.push('\n');
            for item in a {
                match item {
                    Value::Object(_) | Value::Array(_) => {
                        out.push_str(&format!("{pad}-"));
                        yaml_value(item, indent + 2, out);
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        other => out.push_str(&format!(" {}\n", scalar(other))),
    }
}

/// The commented YAML template.
pub fn yaml(lang: Lang, taxonomy: &Taxonomy) -> String {
    let report = sample(lang, taxonomy);
    let mut out = String::new();
    out.push_str(pick(
        lang,
        "# isacx incident report (情報連絡): fill in the fields, delete the optional ones you do not need,\n# then check it with `isacx report validate FILE`.\n",
        "# isacx 情報連絡(インシデント報告): 各項目を記入し、不要な任意項目は削除してください。\n# 記入後 `isacx report validate ファイル` で確認できます。\n",
    ));
    let Some(map) = report.as_object() else {
        return out;
    };
    for field in fields(lang, taxonomy) {
        let Some(value) = map.get(field.key) else {
            continue;
        };
        out.push('\n');
        out.push_str(&format!("# {}\n", pick(lang, field.en, field.ja)));
        if !field.allowed.is_empty() {
            out.push_str(pick(lang, "# Allowed values:\n", "# 使える値:\n"));
            for a in &field.allowed {
                out.push_str(&format!("#   {a}\n"));
            }
        }
        out.push_str(&format!("{}:", field.key));
        yaml_value(value, 2, &mut out);
    }
    out
}

/// The JSON template (JSON has no comments: the values alone).
pub fn json(lang: Lang, taxonomy: &Taxonomy) -> String {
    let mut text = serde_json::to_string_pretty(&sample(lang, taxonomy)).unwrap_or_default();
    text.push('\n');
    text
}
