//! `isacx digest list`: the archive of scheduled digests you may read, newest first.

use isacx_schemas::digest::DigestSummary;

use super::msg::DigestMsg;
use super::Period;
use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::{fmt_time, Lang};
use crate::output;

/// List archived digests, newest period first
///
/// Liaisons see the digests of their organisation's sectors; analysts all.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only daily or only weekly digests
    #[arg(long, value_enum)]
    pub period: Option<Period>,
    /// At most this many
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: u32,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _) = ctx.authed_api()?;
    let digests = fetch(&api, args.period, args.limit).await?;
    if ctx.json() {
        return output::json(&digests);
    }
    output::stdout(&render(&digests, ctx.lang));
    Ok(())
}

pub async fn fetch(api: &crate::client::Api, period: Option<Period>, limit: u32) -> Result<Vec<DigestSummary>, CliError> {
    let mut path = format!("/api/v1/digests?limit={limit}");
    if let Some(p) = period {
        path.push_str(&format!("&period={}", p.as_str()));
    }
    api.get(&path).await
}

fn render(digests: &[DigestSummary], lang: Lang) -> String {
    let t = |m: DigestMsg| m.text(lang);
    if digests.is_empty() {
        return t(DigestMsg::NoDigests);
    }
    let header = vec![
        t(DigestMsg::ColId),
        t(DigestMsg::ColPeriod),
        t(DigestMsg::ColFrom),
        t(DigestMsg::ColTo),
        t(DigestMsg::ColScope),
        t(DigestMsg::ColReports),
        t(DigestMsg::ColStatutory),
        t(DigestMsg::ColAdvisories),
        t(DigestMsg::ColReassessed),
        t(DigestMsg::ColIndicators),
    ];
    let rows = digests
        .iter()
        .map(|d| {
            vec![
                d.id.to_string(),
                d.period.as_str().to_owned(),
                fmt_time(d.from),
                fmt_time(d.to),
                d.scope.join(", "),
                d.totals.reports.to_string(),
                d.totals.statutory.to_string(),
                d.totals.advisories.to_string(),
                format!("{}/{}", d.totals.tasks_done, d.totals.tasks_requested),
                d.totals.indicators.to_string(),
            ]
        })
        .collect();
    output::table(header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use isacx_schemas::digest::{PeriodKind, Totals};

    #[test]
    fn human_form() {
        let t = chrono::DateTime::from_timestamp(1_764_800_000, 0).unwrap();
        let d = DigestSummary {
            id: uuid::Uuid::nil(),
            period: PeriodKind::Weekly,
            from: t,
            to: t,
            scope: vec!["electricity".into(), "gas".into()],
            generated_at: t,
            totals: Totals { reports: 4, tasks_requested: 3, tasks_done: 1, ..Totals::default() },
        };
        let en = render(std::slice::from_ref(&d), Lang::En);
        assert!(en.contains("weekly") && en.contains("electricity, gas") && en.contains("1/3"), "{en}");
        assert!(render(&[d], Lang::Ja).contains("情報連絡"));
        assert_eq!(render(&[], Lang::En), "No digests in the archive.");
    }
}
