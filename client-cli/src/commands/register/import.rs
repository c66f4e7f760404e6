//! `isacx register import`: send a CSV register; all rows or none.

use std::path::PathBuf;

use isacx_schemas::advisory::ImportSummary;

use crate::commands::advisories::msg::AdvMsg;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// Import a risk register from CSV (all rows or none)
///
/// Columns (header row, UTF-8): id, resource, outcome, threat_event,
/// risk_source, impact, likelihood, residual_impact, residual_likelihood,
/// criterion, owner, measures, technology. resource, outcome, threat_event,
/// impact and likelihood are required; a row with an id updates that entry,
/// a row without one adds an entry. inherent_risk and residual_risk (as
/// exported) are computed and ignored. Any bad cell rejects the whole file,
/// each problem named by line and column (exit 6).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The CSV file
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&args.file).map_err(|e| CliError::InputUnreadable {
        path: args.file.clone(),
        detail: e.to_string(),
    })?;
    let (api, _) = ctx.authed_api()?;
    let summary: ImportSummary = api
        .post_text("/api/v1/register/import", "text/csv; charset=utf-8", text)
        .await?;
    if ctx.json() {
        return output::json(&summary);
    }
    output::stdout(
        &AdvMsg::Imported {
            created: summary.created,
            updated: summary.updated,
        }
        .text(ctx.lang),
    );
    Ok(())
}
