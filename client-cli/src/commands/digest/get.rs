//! `isacx digest get`: one digest as JSON, CSV or a printable HTML page — an
//! archived one (by id, or the latest), or one computed on demand for a
//! scheduled period up to now or for any `--from`/`--to`.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use isacx_schemas::error::{ErrorCode, ProblemDetails};
use uuid::Uuid;

use super::msg::DigestMsg;
use super::Period;
use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::Lang;
use crate::output;

/// Output format of a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Html,
}

/// Get one digest: archived (ID or --latest) or on demand (--period, or --from and --to)
///
/// Without ID, --latest, --period or --from, the latest archived digest.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// An archived digest's id (see `isacx digest list`)
    #[arg(conflicts_with_all = ["latest", "from", "to"])]
    pub id: Option<Uuid>,
    /// The newest archived digest (of --period, if given)
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub latest: bool,
    /// daily or weekly: with --latest the newest archived one, else computed now for the period up to now
    #[arg(long, value_enum)]
    pub period: Option<Period>,
    /// Start of a period computed on demand (RFC 3339, e.g. 2026-12-01T00:00:00+09:00)
    #[arg(long, requires = "to", conflicts_with = "period")]
    pub from: Option<DateTime<Utc>>,
    /// End of a period computed on demand (RFC 3339)
    #[arg(long, requires = "from")]
    pub to: Option<DateTime<Utc>>,
    /// Only these sectors (comma-separated ids) in an on-demand digest; default your whole scope
    #[arg(long, value_delimiter = ',')]
    pub sectors: Vec<String>,
    /// json, csv or html (a printable page in the --lang language)
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Write to this file instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn query_format(format: Format, lang: Lang) -> String {
    match format {
        Format::Json => "format=json".to_owned(),
        Format::Csv => "format=csv".to_owned(),
        Format::Html => format!("format=html&lang={}", if lang == Lang::Ja { "ja" } else { "en" }),
    }
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _) = ctx.authed_api()?;
    let format = query_format(args.format, ctx.lang);
    let on_demand = args.from.is_some() || (args.period.is_some() && !args.latest);
    let path = if let Some(id) = args.id {
        format!("/api/v1/digests/{id}?{format}")
    } else if on_demand {
        let mut query = vec![format];
        match (args.from, args.to) {
            (Some(from), Some(to)) => {
                query.push(format!("from={}", urlencode(&from.to_rfc3339())));
                query.push(format!("to={}", urlencode(&to.to_rfc3339())));
            }
            _ => query.push(format!("period={}", args.period.map(Period::as_str).unwrap_or("daily"))),
        }
        if !args.sectors.is_empty() {
            query.push(format!("sectors={}", urlencode(&args.sectors.join(","))));
        }
        format!("/api/v1/digests/preview?{}", query.join("&"))
    } else {
        let latest = super::list::fetch(&api, args.period, 1).await?;
        let Some(first) = latest.first() else {
            let period = args.period.map(Period::as_str).unwrap_or("daily/weekly").to_owned();
            return Err(CliError::Problem {
                problem: Box::new(ProblemDetails::new(ErrorCode::NotFound, DigestMsg::NoneArchived { period }.text(ctx.lang))),
                retry_after: None,
                ctx: api.ctx().clone(),
            });
        };
        format!("/api/v1/digests/{}?{format}", first.id)
    };
    let body = api.get_text(&path).await?;
    let body = if args.format == Format::Json {
        // Pretty, like every other --json output.
        let value: serde_json::Value = serde_json::from_str(&body).map_err(|e| CliError::Internal { detail: e.to_string() })?;
        serde_json::to_string_pretty(&value).map_err(|e| CliError::Internal { detail: e.to_string() })?
    } else {
        body
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, body.as_bytes()).map_err(|e| CliError::OutputFailed {
                path: path.display().to_string(),
                detail: e.to_string(),
            })?;
            let target = path.display().to_string();
            if ctx.json() {
                return output::json(&serde_json::json!({ "file": target }));
            }
            output::stderr(&DigestMsg::Written { target }.text(ctx.lang));
        }
        // The digest is the data: it goes out as is, with or without --json.
        None => output::stdout(body.trim_end_matches('\n')),
    }
    Ok(())
}

/// Percent-encode a query value (RFC 3339 times carry `+` and `:`).
fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(urlencode("2026-12-01T00:00:00+09:00"), "2026-12-01T00%3A00%3A00%2B09%3A00");
        assert_eq!(query_format(Format::Html, Lang::Ja), "format=html&lang=ja");
    }
}
