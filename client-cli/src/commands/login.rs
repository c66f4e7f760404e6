//! `isacx login`: trade a user name and password for a session token.
//!
//! The password is read without echo from the terminal, or from standard input
//! with `--password-stdin` so scripts never put it on a command line (where
//! `ps` and shell history would show it).

use std::io::{IsTerminal, Write};

use isacx_schemas::api::{LoginRequest, LoginResponse};
use serde_json::json;

use crate::client::{read_ca_file, server_key, Auth};
use crate::config::{Credential, CredentialKind, Profile, Secret};
use crate::context::{Ctx, Target};
use crate::error::CliError;
use crate::i18n::Msg;
use crate::output;

/// Log in and store a session token for the profile
///
/// With no profile yet, `--server` (and `--ca-file`) create it. The user name
/// comes from --username, else the profile, else a prompt; the profile
/// remembers it. The password is prompted for without echo, or read from the
/// first line of standard input with --password-stdin.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// User name [default: the profile's]
    #[arg(long, short = 'u', value_name = "NAME")]
    pub username: Option<String>,

    /// Read the password from the first line of standard input (for scripts)
    #[arg(long)]
    pub password_stdin: bool,
}

pub const PATH: &str = "/api/v1/auth/login";

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let name = ctx.profile_name();
    crate::config::validate_profile_name(&name)?;
    let target = ctx.target()?;
    if let Some(ca) = &target.ca_file {
        read_ca_file(ca)?;
    }
    let server = server_key(&target.server);

    let username = match args
        .username
        .or_else(|| ctx.profile().and_then(|p| p.username.clone()))
    {
        Some(u) if !u.trim().is_empty() => u.trim().to_owned(),
        _ if !args.password_stdin && std::io::stdin().is_terminal() => prompt_username(ctx)?,
        _ => return Err(CliError::NoUsername),
    };
    let password = if args.password_stdin {
        super::read_stdin_line()?
    } else {
        let prompt = Msg::PromptPassword {
            username: username.clone(),
            server: server.clone(),
        }
        .text(ctx.lang);
        rpassword::prompt_password(prompt).map_err(|_| CliError::NoTerminal)?
    };
    if password.is_empty() {
        return Err(CliError::EmptyPassword);
    }

    let api = ctx.api(&target)?;
    let resp: LoginResponse = api
        .post(
            PATH,
            &LoginRequest {
                username: username.clone(),
                password,
            },
        )
        .await?;

    // Remember the profile (created on first login), the user name, and a CA
    // file that just proved to work for the profile's own server, so the next
    // command needs no flags.
    let ca_file = target
        .ca_file
        .as_ref()
        .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()));
    let profile = ctx
        .config
        .profiles
        .entry(name.clone())
        .or_insert_with(|| Profile {
            server: server.clone(),
            ca_file: None,
            username: None,
            output: None,
        });
    if profile.server == server {
        profile.username = Some(username.clone());
        if ca_file.is_some() {
            profile.ca_file = ca_file;
        }
    }
    if ctx.config.current_profile.is_none() {
        ctx.config.current_profile = Some(name.clone());
    }
    ctx.save_config()?;

    let mut creds = ctx.credentials()?;
    let previous = creds.profiles.insert(
        name.clone(),
        Credential {
            server: server.clone(),
            kind: CredentialKind::Session,
            secret: Secret::new(resp.token),
            expires_at: Some(resp.expires_at),
            session_id: Some(resp.session_id),
            username: Some(username.clone()),
        },
    );
    ctx.save_credentials(&creds)?;
    end_previous_session(ctx, &target, &server, previous).await;

    if ctx.json() {
        return output::json(&json!({
            "profile": name,
            "server": server,
            "username": username,
            "session_id": resp.session_id,
            "expires_at": resp.expires_at,
        }));
    }
    ctx.say(&Msg::LoggedIn {
        username,
        server,
        profile: name,
        expires: resp.expires_at,
    });
    Ok(())
}

/// Logging in again replaces the stored token; end the session it belonged
/// to, so it does not linger on the server until it expires. Best effort: the
/// new login has already succeeded, and a failure here changes nothing for the user.
async fn end_previous_session(
    ctx: &Ctx,
    target: &Target,
    server: &str,
    previous: Option<Credential>,
) {
    let Some(old) = previous else { return };
    if old.kind != CredentialKind::Session
        || old.server != server
        || old.is_expired(chrono::Utc::now())
    {
        return;
    }
    if let Ok(api) = ctx.api(target) {
        let _ = api
            .with_auth(Auth {
                kind: old.kind,
                secret: old.secret,
            })
            .post_empty(super::logout::PATH)
            .await;
    }
}

fn prompt_username(ctx: &Ctx) -> Result<String, CliError> {
    let mut err = std::io::stderr();
    let _ = write!(err, "{}", Msg::PromptUsername.text(ctx.lang));
    let _ = err.flush();
    let line = super::read_stdin_line()?;
    let line = line.trim().to_owned();
    if line.is_empty() {
        return Err(CliError::NoUsername);
    }
    Ok(line)
}
