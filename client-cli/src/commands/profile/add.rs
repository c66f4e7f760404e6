//! `isacx profile add NAME --server URL [--ca-file PATH]`.
//!
//! The server and CA file come from the global `--server` / `--ca-file`, so
//! the same flags mean the same thing everywhere.

use serde_json::json;

use crate::client::{read_ca_file, server_key};
use crate::config::{
    validate_profile_name, Credential, CredentialKind, OutputFormat, Profile, Secret,
};
use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::Msg;
use crate::output;

/// Add a profile for a server (--server, and --ca-file if its CA is private)
///
/// The first profile added becomes the current one. With --api-key-stdin, an
/// API key read from standard input becomes the profile's credential (sent as
/// X-Api-Key), so scripts need no login. The CA file is checked and stored
/// with its absolute path.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  isacx profile add prod --server https://isac.example.jp:8443 --ca-file ./ca.pem --username alice"
)]
pub struct Args {
    /// Profile name (letters, digits, `-`, `_`, `.`)
    pub name: String,

    /// User name to log in with
    #[arg(long, short = 'u', value_name = "NAME")]
    pub username: Option<String>,

    /// Default output of commands run with this profile
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,

    /// Read an API key from the first line of standard input and store it as the credential
    #[arg(long)]
    pub api_key_stdin: bool,

    /// Replace the settings of an existing profile
    #[arg(long)]
    pub force: bool,

    /// Also make it the current profile
    #[arg(long = "use")]
    pub make_current: bool,
}

pub fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    validate_profile_name(&args.name)?;
    let server = ctx.global.server.clone().ok_or(CliError::ServerRequired)?;
    let server = server_key(&server);
    let ca_file = match &ctx.global.ca_file {
        Some(path) => {
            read_ca_file(path)?;
            Some(std::path::absolute(path).unwrap_or_else(|_| path.clone()))
        }
        None => None,
    };
    let existed = ctx.config.profiles.contains_key(&args.name);
    if existed && !args.force {
        return Err(CliError::ProfileExists { name: args.name });
    }
    let api_key = if args.api_key_stdin {
        let key = super::super::read_stdin_line()?.trim().to_owned();
        if key.is_empty() {
            return Err(CliError::EmptyApiKey);
        }
        Some(key)
    } else {
        None
    };

    let mut creds = ctx.credentials()?;
    let mut creds_changed = false;
    if let Some(key) = api_key {
        creds.profiles.insert(
            args.name.clone(),
            Credential {
                server: server.clone(),
                kind: CredentialKind::ApiKey,
                secret: Secret::new(key),
                expires_at: None,
                session_id: None,
                username: args.username.clone(),
            },
        );
        creds_changed = true;
    } else if creds
        .profiles
        .get(&args.name)
        .is_some_and(|c| c.server != server)
    {
        // A credential is only good for the server that issued it.
        creds.profiles.remove(&args.name);
        creds_changed = true;
    }

    ctx.config.profiles.insert(
        args.name.clone(),
        Profile {
            server: server.clone(),
            ca_file,
            username: args.username.clone(),
            output: args.output,
        },
    );
    let became_current = args.make_current || ctx.config.current_profile.is_none();
    if became_current {
        ctx.config.current_profile = Some(args.name.clone());
    }
    ctx.save_config()?;
    if creds_changed {
        ctx.save_credentials(&creds)?;
    }

    let is_current = ctx.config.current_profile.as_deref() == Some(args.name.as_str());
    if ctx.json() {
        let profile = ctx.config.profiles.get(&args.name);
        let value = profile
            .map(|p| super::profile_json(&args.name, p, creds.profiles.get(&args.name), is_current))
            .unwrap_or_else(|| json!({}));
        return output::json(&value);
    }
    let msg = if existed {
        Msg::ProfileReplaced {
            name: args.name.clone(),
        }
    } else {
        Msg::ProfileAdded {
            name: args.name.clone(),
        }
    };
    output::stdout(&msg.text(ctx.lang));
    if args.api_key_stdin {
        output::stdout(
            &Msg::ApiKeySaved {
                name: args.name.clone(),
            }
            .text(ctx.lang),
        );
    }
    if became_current {
        output::stdout(&Msg::ProfileIsCurrent { name: args.name }.text(ctx.lang));
    }
    Ok(())
}
