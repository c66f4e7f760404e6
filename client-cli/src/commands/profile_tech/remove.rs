//! `isacx profile-tech remove`.

use isacx_schemas::advisory::Technology;
use uuid::Uuid;

use crate::commands::advisories::msg::AdvMsg;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// Remove a technology (by the id `isacx profile-tech list` shows)
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_name = "ID")]
    pub id: Uuid,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _) = ctx.authed_api()?;
    let tech: Technology = api.delete(&format!("{}/{}", super::PATH, args.id)).await?;
    if ctx.json() {
        return output::json(&tech);
    }
    output::stdout(&AdvMsg::TechRemoved { cpe: tech.cpe }.text(ctx.lang));
    Ok(())
}
