//! `isacx profile-tech add`.

use isacx_schemas::advisory::{NewTechnology, Technology};

use crate::commands::advisories::msg::AdvMsg;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// Add a technology in use: a CPE 2.3 name or vendor:product[:version]
#[derive(Debug, clap::Args)]
pub struct Args {
    /// e.g. cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:* or fortinet:fortios:7.2.4
    #[arg(value_name = "PRODUCT")]
    pub product: String,

    /// Where or how it is used
    #[arg(long, default_value = "")]
    pub note: String,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _) = ctx.authed_api()?;
    let tech: Technology = api
        .post(
            super::PATH,
            &NewTechnology {
                product: args.product,
                note: args.note,
            },
        )
        .await?;
    if ctx.json() {
        return output::json(&tech);
    }
    output::stdout(&AdvMsg::TechAdded { cpe: tech.cpe }.text(ctx.lang));
    Ok(())
}
