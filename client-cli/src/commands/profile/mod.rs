//! `isacx profile …`: the servers this machine knows, one module per action.
//!
//! Profiles are local: nothing here talks to a server.

pub mod add;
pub mod list;
pub mod remove;
pub mod show;
pub mod r#use;

use chrono::Utc;
use serde_json::{json, Value};

use crate::config::{Credential, CredentialKind, Profile};
use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::{Lang, Msg};

/// Manage profiles (a server, its CA file, a user name and stored credentials)
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    List(list::Args),
    Show(show::Args),
    Add(add::Args),
    Use(r#use::Args),
    Remove(remove::Args),
}

pub fn run(cmd: Command, ctx: &mut Ctx) -> Result<(), CliError> {
    match cmd {
        Command::List(args) => list::run(args, ctx),
        Command::Show(args) => show::run(args, ctx),
        Command::Add(args) => add::run(args, ctx),
        Command::Use(args) => r#use::run(args, ctx),
        Command::Remove(args) => remove::run(args, ctx),
    }
}

/// A profile as scripts see it; never the secret.
pub(crate) fn profile_json(
    name: &str,
    p: &Profile,
    cred: Option<&Credential>,
    current: bool,
) -> Value {
    json!({
        "name": name,
        "current": current,
        "server": p.server,
        "ca_file": p.ca_file,
        "username": p.username,
        "output": p.output,
        "credentials": cred.map(|c| json!({
            "kind": c.kind,
            "server": c.server,
            "expires_at": c.expires_at,
            "expired": c.is_expired(Utc::now()),
        })),
    })
}

/// The credentials cell of a profile as people see it.
pub(crate) fn credential_text(cred: Option<&Credential>, lang: Lang) -> String {
    let msg = match cred {
        None => Msg::CredNone,
        Some(c) if c.kind == CredentialKind::ApiKey => Msg::CredApiKey,
        Some(c) => match c.expires_at {
            Some(at) if c.is_expired(Utc::now()) => Msg::CredSessionExpired { at },
            Some(at) => Msg::CredSession { until: at },
            None => Msg::CredNone,
        },
    };
    msg.text(lang)
}
