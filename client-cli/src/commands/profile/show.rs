//! `isacx profile show [NAME]`.

use crate::config::OutputFormat;
use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::Msg;
use crate::output;

/// Show one profile [default: the one in use]
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Profile name [default: --profile, else the current profile]
    pub name: Option<String>,
}

pub fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let name = args.name.unwrap_or_else(|| ctx.profile_name());
    let profile = ctx
        .config
        .profiles
        .get(&name)
        .ok_or_else(|| CliError::ProfileNotFound { name: name.clone() })?;
    let creds = ctx.credentials()?;
    let cred = creds.profiles.get(&name);
    let current = ctx.config.current_profile.as_deref() == Some(name.as_str());
    if ctx.json() {
        return output::json(&super::profile_json(&name, profile, cred, current));
    }
    let t = |m: Msg| m.text(ctx.lang);
    let output_format = match profile.output {
        Some(OutputFormat::Json) => "json".to_owned(),
        Some(OutputFormat::Table) => "table".to_owned(),
        None => t(Msg::NoValue),
    };
    output::stdout(&output::record(vec![
        (t(Msg::ColProfile), name.clone()),
        (
            t(Msg::ColCurrent),
            if current {
                "*".to_owned()
            } else {
                t(Msg::NoValue)
            },
        ),
        (t(Msg::ColServer), profile.server.clone()),
        (
            t(Msg::ColCaFile),
            profile
                .ca_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| t(Msg::SystemRootsOnly)),
        ),
        (
            t(Msg::ColUsername),
            profile.username.clone().unwrap_or_else(|| t(Msg::NoValue)),
        ),
        (t(Msg::ColOutput), output_format),
        (
            t(Msg::ColCredentials),
            super::credential_text(cred, ctx.lang),
        ),
    ]));
    Ok(())
}
