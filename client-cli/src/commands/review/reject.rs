//! `isacx review reject`: send a report back with a reason.

use isacx_schemas::api::{RejectRequest, ReportSummary};
use uuid::Uuid;

use crate::commands::report::text::Text;
use crate::commands::report::view;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// Reject a report with a reason the submitter sees (analysts)
///
/// Nothing of it is shared. The submitter may amend it and so send it back
/// to review. Only a received or in-review report can be rejected (exit 6).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report's id on the server
    #[arg(value_name = "ID")]
    pub id: Uuid,

    /// Why, in words the submitter can act on
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _cred) = ctx.authed_api()?;
    let summary: ReportSummary = api
        .post(
            &format!("{}/{}/reject", super::PATH, args.id),
            &RejectRequest {
                reason: args.reason,
            },
        )
        .await?;
    if ctx.json() {
        return output::json(&summary);
    }
    view::say(
        ctx,
        &Text::Rejected {
            id: summary.id.to_string(),
        },
    );
    output::stdout(&view::summary(ctx.lang, &summary));
    Ok(())
}
