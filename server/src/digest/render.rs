//! A digest as plain text, printable HTML (Japanese or English) and CSV.
//!
//! Labels come from the taxonomy (sectors, threat events, laws); times are
//! shown in Japan time (JST, UTC+9), the liaisons' own. Everything rendered
//! comes from the digest's figures, which hold no member identity.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, Utc};
use isacx_schemas::advisory::Urgency;
use isacx_schemas::digest::{Digest, PeriodKind, Totals, OTHER_SECTORS};
use isacx_schemas::taxonomy::Taxonomy;

/// The language of a rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    /// `ja` (any `ja-*`) is Japanese; everything else English.
    pub fn from_locale(locale: &str) -> Lang {
        if locale == "ja" || locale.starts_with("ja-") || locale.starts_with("ja_") {
            Lang::Ja
        } else {
            Lang::En
        }
    }

    fn pick<'a>(self, en: &'a str, ja: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

fn jst(t: DateTime<Utc>) -> String {
    match FixedOffset::east_opt(9 * 3600) {
        Some(offset) => t.with_timezone(&offset).format("%Y-%m-%d %H:%M JST").to_string(),
        None => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

fn taxonomy() -> Option<&'static Taxonomy> {
    Taxonomy::builtin_shared().ok()
}

fn sector_name(id: &str, lang: Lang) -> String {
    if id == OTHER_SECTORS {
        return lang.pick("Other sectors (fewer members than k, generalised)", "その他の分野(会員数が k 未満のため一般化)").to_owned();
    }
    if id == "*" {
        return lang.pick("All sectors", "全分野").to_owned();
    }
    taxonomy()
        .and_then(|t| t.sector(id))
        .map(|s| lang.pick(&s.en, &s.ja).to_owned())
        .unwrap_or_else(|| id.to_owned())
}

fn threat_name(id: &str, lang: Lang) -> String {
    if id == "unspecified" {
        return lang.pick("unspecified", "未指定").to_owned();
    }
    taxonomy()
        .and_then(|t| t.threat_event(id))
        .map(|e| lang.pick(&e.en, &e.ja).to_owned())
        .unwrap_or_else(|| id.to_owned())
}

fn kind_name(kind: &str, lang: Lang) -> String {
    match kind {
        "incident" => lang.pick("incident", "障害"),
        "precursor" => lang.pick("precursor", "予兆"),
        "near_miss" => lang.pick("near miss", "ヒヤリハット"),
        other => other,
    }
    .to_owned()
}

/// A law's name in `lang` (laws are stored by their Japanese names).
fn law_name(ja: &str, lang: Lang) -> String {
    match lang {
        Lang::Ja => ja.to_owned(),
        Lang::En => taxonomy()
            .and_then(|t| t.regulations.iter().find(|r| r.ja == ja))
            .map(|r| r.en.clone())
            .unwrap_or_else(|| ja.to_owned()),
    }
}

fn urgency_name(u: Urgency, lang: Lang) -> &'static str {
    match (u, lang) {
        (Urgency::Info, Lang::En) => "info",
        (Urgency::Info, Lang::Ja) => "情報",
        (Urgency::Warning, Lang::En) => "warning",
        (Urgency::Warning, Lang::Ja) => "警戒",
        (Urgency::Urgent, Lang::En) => "urgent",
        (Urgency::Urgent, Lang::Ja) => "緊急",
    }
}

fn period_name(p: PeriodKind, lang: Lang) -> &'static str {
    match (p, lang) {
        (PeriodKind::Daily, Lang::En) => "Daily",
        (PeriodKind::Daily, Lang::Ja) => "日次",
        (PeriodKind::Weekly, Lang::En) => "Weekly",
        (PeriodKind::Weekly, Lang::Ja) => "週次",
        (PeriodKind::Custom, Lang::En) => "On-demand",
        (PeriodKind::Custom, Lang::Ja) => "指定期間",
    }
}

/// `+3`, `-1`, `±0`.
fn change(now: u64, before: u64) -> String {
    match now.cmp(&before) {
        std::cmp::Ordering::Greater => format!("+{}", now - before),
        std::cmp::Ordering::Less => format!("-{}", before - now),
        std::cmp::Ordering::Equal => "±0".to_owned(),
    }
}

/// The headline rows: label, this period, previous period.
fn total_rows(t: &Totals, p: &Totals, lang: Lang) -> Vec<(&'static str, u64, u64)> {
    let l = |en: &'static str, ja: &'static str| if lang == Lang::Ja { ja } else { en };
    vec![
        (l("Reports published", "公開された情報連絡"), t.reports, p.reports),
        (l("Reports withheld (TLP/audience)", "非開示の情報連絡(TLP・対象)"), t.reports_withheld, p.reports_withheld),
        (l("Reports in review", "審査中の情報連絡"), t.reports_in_review, p.reports_in_review),
        (l("Statutory-threshold breaches", "報告を要する重大な事故"), t.statutory, p.statutory),
        (l("Advisories issued", "発出した情報提供"), t.advisories, p.advisories),
        (l("Advisories withheld", "非開示の情報提供"), t.advisories_withheld, p.advisories_withheld),
        (l("Reassessments requested", "要請した緊急リスク再評価"), t.tasks_requested, p.tasks_requested),
        (l("Reassessments done", "完了したリスク再評価"), t.tasks_done, p.tasks_done),
        (l("Reassessments overdue", "期限超過のリスク再評価"), t.tasks_overdue, p.tasks_overdue),
        (l("New indicators", "新しい指標"), t.indicators, p.indicators),
        (l("Indicators withheld", "非開示の指標"), t.indicators_withheld, p.indicators_withheld),
    ]
}

fn scope_text(d: &Digest, lang: Lang) -> String {
    d.scope.iter().map(|s| sector_name(s, lang)).collect::<Vec<_>>().join(", ")
}

/// Mail subject.
pub fn subject(d: &Digest, lang: Lang, sharing_body: &str) -> String {
    match lang {
        Lang::Ja => format!("【isacx】{}サマリー {} 〜 {}({sharing_body})", period_name(d.period, lang), jst(d.from), jst(d.to)),
        Lang::En => format!("[isacx] {} digest {} to {} ({sharing_body})", period_name(d.period, lang), jst(d.from), jst(d.to)),
    }
}

/// Plain text, for the mail's text part and terminals.
pub fn text(d: &Digest, lang: Lang, sharing_body: &str) -> String {
    let mut out = String::new();
    let l = |en: &'static str, ja: &'static str| lang.pick(en, ja);
    let _ = writeln!(out, "{}", subject(d, lang, sharing_body));
    let _ = writeln!(out, "{}: {} — {}", l("Period", "期間"), jst(d.from), jst(d.to));
    let _ = writeln!(out, "{}: {}", l("Sectors", "対象分野"), scope_text(d, lang));
    let _ = writeln!(
        out,
        "{}",
        match lang {
            Lang::Ja => format!("会員数が {} 未満の分野は「その他」にまとめています。会員を特定する情報は含みません。", d.k),
            Lang::En => format!("Sectors with fewer than {} members are counted as \"other\". No member is identified.", d.k),
        }
    );
    let _ = writeln!(out, "\n== {} ==", l("Summary (change against the previous period)", "概要(前期間との比較)"));
    for (label, now, before) in total_rows(&d.totals, &d.previous, lang) {
        let _ = writeln!(out, "{label}: {now} ({}; {} {before})", change(now, before), l("previous", "前期間"));
    }
    let _ = writeln!(out, "\n== {} ==", l("Reports by sector, kind and threat event", "分野・種別・脅威別の情報連絡"));
    if d.reports.is_empty() {
        let _ = writeln!(out, "{}", l("(none)", "(なし)"));
    }
    for r in &d.reports {
        let _ = writeln!(out, "{} / {} / {}: {}", sector_name(&r.sector, lang), kind_name(&r.kind, lang), threat_name(&r.threat_event, lang), r.count);
    }
    let _ = writeln!(out, "\n== {} ==", l("Statutory-threshold breaches", "報告を要する重大な事故"));
    if d.statutory.is_empty() {
        let _ = writeln!(out, "{}", l("(none)", "(なし)"));
    }
    for s in &d.statutory {
        if s.threshold.is_empty() {
            let _ = writeln!(out, "{}: {} ({})", sector_name(&s.sector, lang), s.count, l("threshold and law withheld", "基準・法令は非表示"));
        } else {
            let laws = s.laws.iter().map(|x| law_name(x, lang)).collect::<Vec<_>>().join(", ");
            let _ = writeln!(out, "{} / {} / {}: {}", sector_name(&s.sector, lang), lang.pick(&s.level.en, &s.level.ja), laws, s.count);
        }
    }
    let _ = writeln!(out, "\n== {} ==", l("Advisories issued by urgency", "緊急度別の情報提供"));
    if d.advisories.is_empty() {
        let _ = writeln!(out, "{}", l("(none)", "(なし)"));
    }
    for a in &d.advisories {
        let _ = writeln!(out, "{}: {}", urgency_name(a.urgency, lang), a.count);
    }
    let _ = writeln!(out, "\n== {} ==", l("Reassessment compliance by sector", "分野別の緊急リスク再評価の実施状況"));
    if d.compliance.is_empty() {
        let _ = writeln!(out, "{}", l("(none)", "(なし)"));
    }
    for c in &d.compliance {
        let _ = writeln!(
            out,
            "{}: {} {}, {} {}, {} {}, {} {}",
            sector_name(&c.sector, lang),
            l("requested", "要請"),
            c.requested,
            l("acknowledged", "受領"),
            c.acknowledged,
            l("done", "完了"),
            c.done,
            l("overdue", "期限超過"),
            c.overdue
        );
    }
    let _ = writeln!(out, "\n== {} ==", l("New indicators by type", "種類別の新しい指標"));
    if d.indicators.is_empty() {
        let _ = writeln!(out, "{}", l("(none)", "(なし)"));
    }
    for i in &d.indicators {
        let _ = writeln!(out, "{}: {}", i.indicator_type, i.count);
    }
    let _ = writeln!(
        out,
        "\n{}",
        match lang {
            Lang::Ja => format!("{sharing_body}(isacx)作成。過去のサマリーは `isacx digest list` または /api/v1/digests で参照できます。"),
            Lang::En => format!("Prepared by {sharing_body} (isacx). Past digests: `isacx digest list` or /api/v1/digests."),
        }
    );
    out
}

/// Escape text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn table(out: &mut String, caption: &str, head: &[&str], rows: Vec<Vec<String>>, empty: &str) {
    let _ = writeln!(out, "<h2>{}</h2>", escape(caption));
    if rows.is_empty() {
        let _ = writeln!(out, "<p class=\"none\">{}</p>", escape(empty));
        return;
    }
    out.push_str("<table>\n<thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in &row {
            // Figures right-aligned, words left.
            let figure = !cell.is_empty() && cell.trim_start_matches(['+', '-', '±']).chars().all(|c| c.is_ascii_digit());
            if figure {
                let _ = write!(out, "<td class=\"n\">{}</td>", escape(cell));
            } else {
                let _ = write!(out, "<td>{}</td>", escape(cell));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// A printable HTML page (also the mail's HTML part): self-contained, no scripts, no external resources.
pub fn html(d: &Digest, lang: Lang, sharing_body: &str) -> String {
    let l = |en: &'static str, ja: &'static str| lang.pick(en, ja);
    let none = l("None in this period.", "この期間はありません。");
    let title = subject(d, lang, sharing_body);
    let mut out = String::new();
    let _ = writeln!(out, "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">", l("en", "ja"));
    let _ = writeln!(out, "<title>{}</title>", escape(&title));
    out.push_str(
        "<style>\nbody{font-family:sans-serif;margin:2em;color:#111}\ntable{border-collapse:collapse;margin:0 0 1.5em}\n\
         th,td{border:1px solid #999;padding:.25em .6em;text-align:left}\ntd.n{text-align:right}\nth{background:#eee}\n\
         .none{color:#555}\n@media print{body{margin:0}h2{page-break-after:avoid}table{page-break-inside:avoid}}\n</style>\n</head>\n<body>\n",
    );
    let _ = writeln!(out, "<h1>{}</h1>", escape(&title));
    let _ = writeln!(out, "<p>{}: {} — {}<br>", l("Period", "期間"), escape(&jst(d.from)), escape(&jst(d.to)));
    let _ = writeln!(out, "{}: {}</p>", l("Sectors", "対象分野"), escape(&scope_text(d, lang)));
    let _ = writeln!(
        out,
        "<p>{}</p>",
        escape(&match lang {
            Lang::Ja => format!("会員数が {} 未満の分野は「その他」にまとめています。会員を特定する情報は含みません。閲覧できない TLP・対象の情報は件数のみ示します。", d.k),
            Lang::En => format!("Sectors with fewer than {} members are counted as \"other\". No member is identified. What your TLP and scope do not allow is counted only.", d.k),
        })
    );
    let rows = total_rows(&d.totals, &d.previous, lang)
        .into_iter()
        .map(|(label, now, before)| vec![label.to_owned(), now.to_string(), before.to_string(), change(now, before)])
        .collect();
    table(&mut out, l("Summary", "概要"), &[l("Figure", "項目"), l("This period", "今期間"), l("Previous period", "前期間"), l("Change", "増減")], rows, none);
    let rows = d
        .reports
        .iter()
        .map(|r| vec![sector_name(&r.sector, lang), kind_name(&r.kind, lang), threat_name(&r.threat_event, lang), r.count.to_string()])
        .collect();
    table(
        &mut out,
        l("Reports by sector, kind and threat event", "分野・種別・脅威別の情報連絡"),
        &[l("Sector", "分野"), l("Kind", "種別"), l("Threat event", "結果を生じ得る事象"), l("Reports", "件数")],
        rows,
        none,
    );
    let rows = d
        .statutory
        .iter()
        .map(|s| {
            if s.threshold.is_empty() {
                vec![sector_name(&s.sector, lang), l("(withheld)", "(非表示)").to_owned(), l("(withheld)", "(非表示)").to_owned(), s.count.to_string()]
            } else {
                vec![
                    sector_name(&s.sector, lang),
                    lang.pick(&s.level.en, &s.level.ja).to_owned(),
                    s.laws.iter().map(|x| law_name(x, lang)).collect::<Vec<_>>().join(", "),
                    s.count.to_string(),
                ]
            }
        })
        .collect();
    table(
        &mut out,
        l("Statutory-threshold breaches", "報告を要する重大な事故"),
        &[l("Sector", "分野"), l("Service-maintenance level", "サービス維持レベル"), l("Law", "法令"), l("Reports", "件数")],
        rows,
        none,
    );
    let rows = d.advisories.iter().map(|a| vec![urgency_name(a.urgency, lang).to_owned(), a.count.to_string()]).collect();
    table(&mut out, l("Advisories issued by urgency", "緊急度別の情報提供"), &[l("Urgency", "緊急度"), l("Advisories", "件数")], rows, none);
    let rows = d
        .compliance
        .iter()
        .map(|c| vec![sector_name(&c.sector, lang), c.requested.to_string(), c.acknowledged.to_string(), c.done.to_string(), c.overdue.to_string()])
        .collect();
    table(
        &mut out,
        l("Reassessment compliance by sector", "分野別の緊急リスク再評価の実施状況"),
        &[l("Sector", "分野"), l("Requested", "要請"), l("Acknowledged", "受領"), l("Done", "完了"), l("Overdue", "期限超過")],
        rows,
        none,
    );
    let rows = d.indicators.iter().map(|i| vec![i.indicator_type.clone(), i.count.to_string()]).collect();
    table(&mut out, l("New indicators by type", "種類別の新しい指標"), &[l("Type", "種類"), l("Indicators", "件数")], rows, none);
    let _ = writeln!(
        out,
        "<p class=\"none\">{}</p>\n</body>\n</html>",
        escape(&match lang {
            Lang::Ja => format!("{sharing_body}(isacx)作成 {}", jst(d.generated_at)),
            Lang::En => format!("Prepared by {sharing_body} (isacx), {}", jst(d.generated_at)),
        })
    );
    out
}

/// Column order of the CSV form.
pub const CSV_HEADER: [&str; 10] = ["section", "sector", "kind", "threat_event", "urgency", "indicator_type", "threshold", "laws", "metric", "value"];

/// One CSV table (ids, not labels, so scripts can match on them): every figure a row.
pub fn csv(d: &Digest) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    let mut row = |section: &str, sector: &str, kind: &str, threat: &str, urgency: &str, itype: &str, threshold: &str, laws: &str, metric: &str, value: u64| {
        w.write_record([section, sector, kind, threat, urgency, itype, threshold, laws, metric, &value.to_string()])
    };
    row("period", "", "", "", "", "", "", "", &format!("{}:{}/{}", d.period.as_str(), d.from.to_rfc3339(), d.to.to_rfc3339()), 0)?;
    for (section, t) in [("totals", &d.totals), ("previous", &d.previous)] {
        for (metric, value) in [
            ("reports", t.reports),
            ("reports_withheld", t.reports_withheld),
            ("reports_in_review", t.reports_in_review),
            ("statutory", t.statutory),
            ("advisories", t.advisories),
            ("advisories_withheld", t.advisories_withheld),
            ("tasks_requested", t.tasks_requested),
            ("tasks_done", t.tasks_done),
            ("tasks_overdue", t.tasks_overdue),
            ("indicators", t.indicators),
            ("indicators_withheld", t.indicators_withheld),
        ] {
            row(section, "", "", "", "", "", "", "", metric, value)?;
        }
    }
    for r in &d.reports {
        row("reports", &r.sector, &r.kind, &r.threat_event, "", "", "", "", "count", r.count)?;
    }
    for s in &d.statutory {
        row("statutory", &s.sector, "", "", "", "", &s.threshold, &s.laws.join("; "), "count", s.count)?;
    }
    for a in &d.advisories {
        row("advisories", "", "", "", a.urgency.as_str(), "", "", "", "count", a.count)?;
    }
    for c in &d.compliance {
        for (metric, value) in [("requested", c.requested), ("acknowledged", c.acknowledged), ("done", c.done), ("overdue", c.overdue)] {
            row("compliance", &c.sector, "", "", "", "", "", "", metric, value)?;
        }
    }
    for i in &d.indicators {
        row("indicators", "", "", "", "", &i.indicator_type, "", "", "count", i.count)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use isacx_schemas::digest::{AdvisoryCount, ReportCount};

    fn digest() -> Digest {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        Digest {
            id: None,
            period: PeriodKind::Daily,
            from: t("2026-12-02T22:00:00Z"),
            to: t("2026-12-03T22:00:00Z"),
            scope: vec!["*".into()],
            k: 3,
            sectors: vec!["electricity".into()],
            generated_at: t("2026-12-03T22:00:01Z"),
            totals: Totals { reports: 2, advisories: 1, ..Totals::default() },
            previous: Totals { reports: 3, ..Totals::default() },
            reports: vec![ReportCount { sector: "electricity".into(), kind: "incident".into(), threat_event: "unspecified".into(), count: 2 }],
            statutory: Vec::new(),
            advisories: vec![AdvisoryCount { urgency: Urgency::Urgent, count: 1 }],
            compliance: Vec::new(),
            indicators: Vec::new(),
        }
    }

    #[test]
    fn renders_in_both_languages() {
        let d = digest();
        let ja = text(&d, Lang::Ja, "電力ISAC");
        assert!(ja.contains("2026-12-03 07:00 JST"), "{ja}");
        assert!(ja.contains("公開された情報連絡: 2 (-1;"), "{ja}");
        let en = html(&d, Lang::En, "Denki <ISAC>");
        assert!(en.contains("Denki &lt;ISAC&gt;") && !en.contains("<ISAC>"), "escaped");
        assert!(en.contains("<td class=\"n\">2</td>"));
        let csv = csv(&d).unwrap();
        assert!(csv.starts_with("section,sector,kind"));
        assert!(csv.contains("reports,electricity,incident,unspecified,,,,,count,2"), "{csv}");
        assert!(csv.contains("advisories,,,,urgent,,,,count,1"), "{csv}");
    }

    #[test]
    fn changes() {
        assert_eq!(change(3, 1), "+2");
        assert_eq!(change(1, 3), "-2");
        assert_eq!(change(2, 2), "±0");
    }
}
