//! `isacx profile-tech list`.

use isacx_schemas::advisory::Technology;

use crate::commands::advisories::msg::AdvMsg;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// List the technologies your organisation uses
#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _) = ctx.authed_api()?;
    let techs: Vec<Technology> = api.get(super::PATH).await?;
    if ctx.json() {
        return output::json(&techs);
    }
    if techs.is_empty() {
        output::stdout(&AdvMsg::NoTechnologies.text(ctx.lang));
        return Ok(());
    }
    let t = |m: AdvMsg| m.text(ctx.lang);
    output::stdout(&output::table(
        vec![
            t(AdvMsg::ColId),
            t(AdvMsg::ColProduct),
            t(AdvMsg::ColCpe),
            t(AdvMsg::ColNote),
        ],
        techs
            .iter()
            .map(|x| {
                vec![
                    x.id.to_string(),
                    x.product.clone(),
                    x.cpe.clone(),
                    x.note.clone(),
                ]
            })
            .collect(),
    ));
    Ok(())
}
