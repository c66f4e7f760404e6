//! `isacx review edit`: replace the sanitised copy with the analyst's edit.

use std::path::PathBuf;

use isacx_schemas::api::ReportDetail;
use uuid::Uuid;

use crate::commands::report::text::Text;
use crate::commands::report::{load, view};
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// Replace a report's sanitised copy with your edit of it (analysts)
///
/// Start from `isacx review show ID --save-sanitised FILE`, edit the file,
/// and send it back. The server validates it like a submission (a sector
/// generalised for k-anonymity is allowed) and names each rejected field
/// (exit 6). The edited copy is what `isacx review publish` shares.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report's id on the server
    #[arg(value_name = "ID")]
    pub id: Uuid,

    /// The edited sanitised copy (.yaml, .yml or .json)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let copy = load::parsed(&args.file)?;
    let (api, _cred) = ctx.authed_api()?;
    let detail: ReportDetail = api
        .put(&format!("{}/{}/sanitised", super::PATH, args.id), &copy)
        .await?;
    if ctx.json() {
        return output::json(&detail);
    }
    view::say(
        ctx,
        &Text::SanitisedReplaced {
            id: detail.summary.id.to_string(),
        },
    );
    output::stdout(&view::summary(ctx.lang, &detail.summary));
    Ok(())
}
