//! `isacx logout`: end the session on the server, then forget the token.
//!
//! The token is forgotten locally whatever the server says: someone logging
//! out during an outage still wants it gone from this machine. When the server
//! could not be told, a warning says the session lives on until it expires.

use isacx_schemas::error::ErrorCode;
use serde_json::json;

use crate::client::{parse_server_url, Auth};
use crate::config::CredentialKind;
use crate::context::{Ctx, Target};
use crate::error::CliError;
use crate::i18n::Msg;
use crate::output;

/// End the session and forget its token
///
/// Asks the server to revoke the session, then deletes the token from
/// credentials.toml. The token is deleted even if the server cannot be
/// reached; a warning then says the session stays valid on the server until it
/// expires, and the exit status is still 0. For a profile holding an API key,
/// the key is deleted from this machine (only an administrator can revoke it).
#[derive(Debug, clap::Args)]
pub struct Args {}

pub const PATH: &str = "/api/v1/auth/logout";

pub async fn run(_args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let name = ctx.profile_name();
    let mut creds = ctx.credentials()?;
    let Some(cred) = creds.profiles.remove(&name) else {
        if ctx.json() {
            return output::json(
                &json!({ "profile": name, "forgotten": false, "revoked_on_server": false }),
            );
        }
        ctx.say(&Msg::NothingToLogOut { profile: name });
        return Ok(());
    };

    let outcome = match cred.kind {
        CredentialKind::ApiKey => Outcome::ApiKey,
        CredentialKind::Session => {
            // Revoke at the server that issued the token, whatever the profile says now.
            let result = match parse_server_url(&cred.server) {
                Ok(server) => {
                    let ca_file = ctx
                        .global
                        .ca_file
                        .clone()
                        .or_else(|| ctx.profile().and_then(|p| p.ca_file.clone()));
                    match ctx.api(&Target { server, ca_file }) {
                        Ok(api) => api
                            .with_auth(Auth {
                                kind: cred.kind,
                                secret: cred.secret.clone(),
                            })
                            .post_empty(PATH)
                            .await
                            .map(|_| ()),
                        Err(e) => Err(e),
                    }
                }
                Err(reason) => Err(CliError::InvalidServerUrl {
                    url: cred.server.clone(),
                    reason,
                }),
            };
            match result {
                Ok(()) => Outcome::Revoked,
                Err(CliError::Problem { problem, .. })
                    if matches!(
                        problem.code,
                        ErrorCode::TokenExpired
                            | ErrorCode::TokenRevoked
                            | ErrorCode::InvalidToken
                            | ErrorCode::Unauthenticated
                    ) =>
                {
                    Outcome::AlreadyEnded
                }
                Err(e) => Outcome::NotRevoked(e),
            }
        }
    };

    ctx.save_credentials(&creds)?;

    let warning = match &outcome {
        Outcome::NotRevoked(e) => {
            let msg = Msg::LogoutNotRevoked {
                server: cred.server.clone(),
                reason: e.render(ctx.lang).message,
                expires: cred.expires_at,
            };
            output::warn(ctx.lang, &msg);
            Some(msg.text(ctx.lang))
        }
        _ => None,
    };
    if ctx.json() {
        return output::json(&json!({
            "profile": name,
            "forgotten": true,
            "revoked_on_server": matches!(outcome, Outcome::Revoked | Outcome::AlreadyEnded),
            "warning": warning,
        }));
    }
    match outcome {
        Outcome::Revoked | Outcome::NotRevoked(_) => ctx.say(&Msg::LoggedOut { profile: name }),
        Outcome::AlreadyEnded => ctx.say(&Msg::LoggedOutAlreadyEnded { profile: name }),
        Outcome::ApiKey => ctx.say(&Msg::ApiKeyForgotten { profile: name }),
    }
    Ok(())
}

enum Outcome {
    Revoked,
    AlreadyEnded,
    NotRevoked(CliError),
    ApiKey,
}
