//! `isacx report amend`: a new revision of a report not yet published.

use std::path::PathBuf;

use isacx_schemas::api::ReportReceipt;
use uuid::Uuid;

use super::text::Text;
use super::{load, view};
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// Replace a submitted report with a corrected revision
///
/// The file is checked like `isacx report validate` first. The amendment keeps
/// the report's `id` (change `modified`); it becomes a new revision and goes
/// back to the review queue. A published or withdrawn report cannot be amended
/// (exit 6): submit a new one instead.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report's id on the server (from `isacx report submit` or `isacx report list`)
    #[arg(value_name = "ID")]
    pub id: Uuid,

    /// The corrected report (.yaml, .yml or .json)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let report = load::checked(&args.file)?;
    let (api, _cred) = ctx.authed_api()?;
    let receipt: ReportReceipt = api
        .put(&format!("{}/{}", super::submit::PATH, args.id), &report)
        .await?;
    if ctx.json() {
        return output::json(&receipt);
    }
    let headline = Text::Amended {
        id: receipt.id.to_string(),
        revision: receipt.revision,
    };
    output::stdout(&view::receipt(ctx.lang, &receipt, &headline, &ctx.cmd()));
    Ok(())
}
