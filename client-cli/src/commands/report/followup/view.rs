//! How follow-up threads read in a terminal.

use isacx_schemas::followup::{FollowupThread, Sighting};

use super::text::FText;
use crate::commands::report::view::{keep_whole, sized, table};
use crate::i18n::{fmt_time, Lang};
use crate::output;

pub fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}

/// A sighting's count, times and values as lines.
pub fn sighting(lang: Lang, s: &Sighting) -> Vec<String> {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(fmt_time).unwrap_or_else(|| "?".to_owned());
    let mut out = vec![FText::Seen { count: s.count.map(|c| c.to_string()).unwrap_or_else(|| "?".to_owned()), first: time(s.first_seen), last: time(s.last_seen) }.text(lang)];
    if s.observables.is_empty() {
        out.push(FText::ObservedNone.text(lang));
    } else {
        let values: Vec<String> = s.observables.iter().map(|o| format!("{}:{}", o.kind, o.value)).collect();
        out.push(FText::Observed { values: values.join(", ") }.text(lang));
    }
    out
}

/// The counterpart as the viewer knows it.
fn counterpart(lang: Lang, t: &FollowupThread) -> String {
    use isacx_schemas::followup::FollowupSide;
    match t.side {
        Some(FollowupSide::Asker) => FText::From { from: t.submitter.clone() }.text(lang),
        Some(FollowupSide::Submitter) => t.asker.clone(),
        None => match (&t.asker_identity, &t.submitter_identity) {
            (Some(a), Some(s)) => format!("{} → {}", a.organisation_name.en, s.organisation_name.en),
            _ => t.asker.clone(),
        },
    }
}

/// A listing of threads, newest change first. The shared report id and the
/// times are in `show` and `--json`; the table keeps to what fits 120 columns.
pub fn threads(lang: Lang, list: &[FollowupThread]) -> String {
    let t = |x: FText| x.text(lang);
    let header = vec![t(FText::ColThread), t(FText::ColSide), t(FText::ColCounterpart), t(FText::ColMessages), t(FText::ColTitle)];
    let rows = list
        .iter()
        .map(|th| {
            let last = th.last_kind.map(|k| format!(" ({})", FText::Kind(k).text(lang))).unwrap_or_default();
            vec![
                th.id.to_string(),
                th.side.map(|s| FText::YouAre(s).text(lang)).unwrap_or_else(|| "-".to_owned()),
                counterpart(lang, th),
                format!("{}{last}", th.message_count),
                th.title.clone(),
            ]
        })
        .collect();
    let mut table = table(header, rows);
    keep_whole(&mut table, &[0, 1, 2, 3]);
    sized(table)
}

/// One thread: who is who (as the viewer may know it), then every message.
pub fn thread(lang: Lang, th: &FollowupThread) -> String {
    let t = |x: FText| x.text(lang);
    let mut rows = vec![(t(FText::LabelThread), th.id.to_string()), (t(FText::LabelReport), th.report.clone()), (t(FText::LabelTitle), th.title.clone())];
    if let Some(side) = th.side {
        rows.push((t(FText::LabelYou), FText::YouAre(side).text(lang)));
    }
    let asker = match &th.asker_identity {
        Some(id) => format!("{} ({} / {})", th.asker, id.organisation_name.ja, id.organisation_id),
        None => th.asker.clone(),
    };
    rows.push((t(FText::LabelAsker), asker));
    if let Some(id) = &th.submitter_identity {
        rows.push((t(FText::LabelSubmitter), format!("{} / {}", id.organisation_name.ja, id.organisation_id)));
    }
    if let Some(row) = th.report_row {
        let label = if th.side.is_some() { FText::LabelYourReport } else { FText::LabelRawReport };
        rows.push((t(label), row.to_string()));
    }
    let mut out = vec![output::record(rows)];
    for m in &th.messages {
        let mut from = FText::From { from: m.from.clone() }.text(lang);
        if let Some(author) = &m.author {
            from = format!("{from} [{} / {}]", author.username.clone().unwrap_or_default(), author.organisation_name.ja);
        }
        out.push(String::new());
        out.push(format!("#{} {} · {} · {}", m.seq, from, FText::Kind(m.kind).text(lang), fmt_time(m.created_at)));
        if !m.text.trim().is_empty() {
            out.push(indent(&m.text));
        }
        if let Some(s) = &m.sighting {
            out.extend(sighting(lang, s));
        }
        let text_changed = m.shared_text.as_ref().is_some_and(|s| *s != m.text);
        let sighting_changed = m.shared_sighting.is_some() && m.shared_sighting != m.sighting;
        if text_changed || sighting_changed {
            out.push(FText::SharedAs.text(lang));
            if let Some(shared) = m.shared_text.as_ref().filter(|s| !s.trim().is_empty()) {
                out.push(indent(shared));
            }
            if let Some(s) = m.shared_sighting.as_ref().filter(|_| sighting_changed) {
                out.extend(sighting(lang, s));
            }
        }
        if !m.redactions.is_empty() {
            out.push(FText::Removed { count: m.redactions.len() }.text(lang));
        }
    }
    out.join("\n")
}
