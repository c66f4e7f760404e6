//! `isacx report withdraw`: take back a report not yet published.

use isacx_schemas::api::ReportSummary;
use uuid::Uuid;

use super::text::Text;
use super::view;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// Withdraw a report that has not been published
///
/// It leaves the review queue and is never shared. A published or already
/// withdrawn report cannot be withdrawn (exit 6).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report's id on the server
    #[arg(value_name = "ID")]
    pub id: Uuid,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _cred) = ctx.authed_api()?;
    let summary: ReportSummary = api
        .post(
            &format!("{}/{}/withdraw", super::submit::PATH, args.id),
            &serde_json::json!({}),
        )
        .await?;
    if ctx.json() {
        return output::json(&summary);
    }
    view::say(
        ctx,
        &Text::Withdrawn {
            id: summary.id.to_string(),
        },
    );
    output::stdout(&view::summary(ctx.lang, &summary));
    Ok(())
}
