//! `isacx profile remove NAME`.

use chrono::Utc;
use serde_json::json;

use crate::config::CredentialKind;
use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::Msg;
use crate::output;

/// Remove a profile and its stored credentials
///
/// Does not contact the server: run `isacx logout` first to end a session there.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Profile name
    pub name: String,
}

pub fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let name = args.name;
    let json = ctx.json();
    if ctx.config.profiles.remove(&name).is_none() {
        return Err(CliError::ProfileNotFound { name });
    }
    if ctx.config.current_profile.as_deref() == Some(name.as_str()) {
        ctx.config.current_profile = None;
    }
    let mut creds = ctx.credentials()?;
    let removed = creds.profiles.remove(&name);
    // Credentials first: a profile gone with its token left behind is the worse half-state.
    ctx.save_credentials(&creds)?;
    ctx.save_config()?;

    let session_left =
        removed.is_some_and(|c| c.kind == CredentialKind::Session && !c.is_expired(Utc::now()));
    if json {
        return output::json(&json!({ "removed": name, "session_left_on_server": session_left }));
    }
    output::stdout(&Msg::ProfileRemoved { name }.text(ctx.lang));
    if session_left {
        output::warn(ctx.lang, &Msg::ProfileRemovedSessionLeft);
    }
    Ok(())
}
