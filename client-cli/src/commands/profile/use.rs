//! `isacx profile use NAME`.

use serde_json::json;

use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::Msg;
use crate::output;

/// Make a profile the current one (used when --profile is not given)
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Profile name
    pub name: String,
}

pub fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    if !ctx.config.profiles.contains_key(&args.name) {
        return Err(CliError::ProfileNotFound { name: args.name });
    }
    ctx.config.current_profile = Some(args.name.clone());
    ctx.save_config()?;
    if ctx.json() {
        return output::json(&json!({ "current_profile": args.name }));
    }
    output::stdout(&Msg::ProfileIsCurrent { name: args.name }.text(ctx.lang));
    Ok(())
}
