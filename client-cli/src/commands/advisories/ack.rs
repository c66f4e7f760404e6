//! `isacx advisories ack`: acknowledge an urgent reassessment request.

use isacx_schemas::advisory::ReassessmentTask;
use uuid::Uuid;

use super::msg::AdvMsg;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// Acknowledge the reassessment an urgent advisory requests of your organisation
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The advisory's id
    #[arg(value_name = "ID")]
    pub id: Uuid,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _) = ctx.authed_api()?;
    let task = super::own_task(&api, args.id)
        .await?
        .ok_or_else(|| super::no_task(&api, args.id))?;
    let task: ReassessmentTask = api
        .post(
            &format!("/api/v1/reassessments/{}/ack", task.id),
            &serde_json::json!({}),
        )
        .await?;
    if ctx.json() {
        return output::json(&task);
    }
    output::stdout(
        &AdvMsg::Acknowledged {
            advisory: args.id.to_string(),
        }
        .text(ctx.lang),
    );
    Ok(())
}
