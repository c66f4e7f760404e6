//! How reports, receipts and the statutory check read in a terminal; shared
//! by `isacx report …` and `isacx review …`.

use std::io::IsTerminal;

use comfy_table::{presets, ColumnConstraint, ContentArrangement, Table};
use isacx_schemas::api::{ReportReceipt, ReportState, ReportSummary, StatutoryHit};

use super::text::Text;
use crate::context::Ctx;
use crate::i18n::{fmt_time, Lang};
use crate::output;

/// Prints a human message on stdout, unless the output is JSON.
pub fn say(ctx: &Ctx, text: &Text) {
    if !ctx.json() {
        output::stdout(&text.text(ctx.lang));
    }
}

pub fn state(lang: Lang, s: ReportState) -> String {
    Text::StateName(s).text(lang)
}

fn yes_no(lang: Lang, b: bool) -> String {
    if b { Text::Yes } else { Text::No }.text(lang)
}

/// Whether the report is statutory-reportable and, for each threshold
/// crossed, the service-maintenance level and the law that sets it.
pub fn statutory(lang: Lang, hits: &[StatutoryHit]) -> Vec<String> {
    let mut lines = vec![if hits.is_empty() {
        Text::StatutoryNo
    } else {
        Text::StatutoryYes
    }
    .text(lang)];
    for h in hits {
        lines.push(
            Text::StatutoryHit {
                level_ja: h.level.ja.clone(),
                level_en: h.level.en.clone(),
                threshold: h.threshold.clone(),
            }
            .text(lang),
        );
        if !h.laws.is_empty() {
            let sep = if lang == Lang::Ja { "、" } else { ", " };
            lines.push(
                Text::StatutoryLaws {
                    laws: h.laws.join(sep),
                }
                .text(lang),
            );
        }
        if h.assumed {
            lines.push(Text::StatutoryAssumed.text(lang));
        }
    }
    lines
}

/// The answer to a submission or amendment, as a person reads it.
pub fn receipt(lang: Lang, r: &ReportReceipt, headline: &Text, cmd: &str) -> String {
    let mut lines = vec![headline.text(lang)];
    lines.push(output::record(vec![
        (Text::ColId.text(lang), r.id.to_string()),
        (Text::ColReportId.text(lang), r.report_id.to_string()),
        (Text::ColState.text(lang), state(lang, r.state)),
        (Text::ColRevision.text(lang), r.revision.to_string()),
    ]));
    lines.extend(statutory(lang, &r.statutory));
    lines.push(
        Text::Redactions {
            count: r.redactions,
        }
        .text(lang),
    );
    lines.push(
        Text::FollowUp {
            cmd: cmd.to_owned(),
            id: r.id.to_string(),
        }
        .text(lang),
    );
    lines.join("\n")
}

/// A listing of reports, newest change first (the server's order).
pub fn summaries(lang: Lang, list: &[ReportSummary]) -> String {
    let t = |x: Text| x.text(lang);
    let header = vec![
        t(Text::ColId),
        t(Text::ColState),
        t(Text::ColRevision),
        t(Text::ColKind),
        t(Text::ColSector),
        t(Text::ColTlp),
        t(Text::ColStatutory),
        t(Text::ColTitle),
        t(Text::ColUpdated),
    ];
    let rows = list
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                state(lang, s.state),
                s.revision.to_string(),
                s.kind.clone(),
                s.sector.clone(),
                s.tlp.to_ascii_uppercase(),
                yes_no(lang, s.statutory_reportable),
                s.title.clone(),
                fmt_time(s.updated_at),
            ]
        })
        .collect();
    let mut t = table(header, rows);
    // Ids are copied into the next command, times read at a glance: never wrapped.
    keep_whole(&mut t, &[0, 1, 2, 5, 6, 8]);
    sized(t)
}

/// Columns whose cells are never wrapped; the others share what is left.
pub fn keep_whole(t: &mut Table, columns: &[usize]) {
    for &i in columns {
        if let Some(c) = t.column_mut(i) {
            c.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
}

/// One report's summary as `label  value` lines.
pub fn summary(lang: Lang, s: &ReportSummary) -> String {
    let t = |x: Text| x.text(lang);
    let mut rows = vec![
        (t(Text::ColId), s.id.to_string()),
        (t(Text::ColReportId), s.report_id.to_string()),
        (t(Text::ColOrganisation), s.organisation_id.to_string()),
        (t(Text::ColState), state(lang, s.state)),
        (t(Text::ColRevision), s.revision.to_string()),
        (t(Text::ColKind), s.kind.clone()),
        (t(Text::ColSector), s.sector.clone()),
        (t(Text::ColTlp), s.tlp.to_ascii_uppercase()),
        (t(Text::ColTitle), s.title.clone()),
        (t(Text::ColCreated), fmt_time(s.created_at)),
        (t(Text::ColUpdated), fmt_time(s.updated_at)),
    ];
    if let Some(reason) = &s.reason {
        rows.push((t(Text::ColReason), reason.clone()));
    }
    output::record(rows)
}

/// A bordered table whose long cells wrap.
pub fn table(header: Vec<String>, rows: Vec<Vec<String>>) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    for row in rows {
        t.add_row(row);
    }
    t
}

/// Fits a table to the terminal: its width on a terminal, `COLUMNS` when
/// set, else 120 columns so piped output still wraps long text.
pub fn sized(mut t: Table) -> String {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|c| *c >= 40);
    match columns {
        Some(c) => {
            t.set_width(c);
        }
        None if !std::io::stdout().is_terminal() => {
            t.set_width(120);
        }
        None => {}
    }
    t.to_string()
}
