//! `isacx profile list`.

use serde_json::Value;

use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::Msg;
use crate::output;

/// List the profiles; `*` marks the current one
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let creds = ctx.credentials()?;
    let current = ctx.config.current_profile.clone();
    let is_current = |name: &str| current.as_deref() == Some(name);
    if ctx.json() {
        let list: Vec<Value> = ctx
            .config
            .profiles
            .iter()
            .map(|(name, p)| {
                super::profile_json(name, p, creds.profiles.get(name), is_current(name))
            })
            .collect();
        return output::json(&list);
    }
    if ctx.config.profiles.is_empty() {
        output::stdout(&Msg::NoProfilesYet.text(ctx.lang));
        return Ok(());
    }
    let t = |m: Msg| m.text(ctx.lang);
    let header = vec![
        t(Msg::ColCurrent),
        t(Msg::ColProfile),
        t(Msg::ColServer),
        t(Msg::ColUsername),
        t(Msg::ColCredentials),
    ];
    let rows = ctx
        .config
        .profiles
        .iter()
        .map(|(name, p)| {
            vec![
                if is_current(name) {
                    "*".to_owned()
                } else {
                    String::new()
                },
                name.clone(),
                p.server.clone(),
                p.username.clone().unwrap_or_else(|| t(Msg::NoValue)),
                super::credential_text(creds.profiles.get(name), ctx.lang),
            ]
        })
        .collect();
    output::stdout(&output::table(header, rows));
    Ok(())
}
