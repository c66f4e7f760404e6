//! What every command needs: the global flags, the language, the loaded
//! config, and the rules for choosing profile, server and credentials.
//!
//! Loaded once per run so every command resolves the same way and reports a
//! bad config with its path before doing anything else.

use std::path::PathBuf;

use chrono::Utc;
use reqwest::Url;

use crate::cli::GlobalArgs;
use crate::client::{parse_server_url, server_key, Api, Auth};
use crate::config::{
    Config, Credential, Credentials, OutputFormat, Paths, Profile, DEFAULT_PROFILE,
};
use crate::error::CliError;
use crate::i18n::{Lang, Msg};
use crate::output;

pub struct Ctx {
    pub global: GlobalArgs,
    pub lang: Lang,
    pub paths: Paths,
    pub config: Config,
}

/// A server to talk to and the extra CA to trust for it.
#[derive(Debug, Clone)]
pub struct Target {
    pub server: Url,
    pub ca_file: Option<PathBuf>,
}

impl Ctx {
    pub fn load(global: GlobalArgs, lang: Lang) -> Result<Ctx, CliError> {
        let paths = Paths::resolve(global.config.as_deref())?;
        let config = Config::load(&paths.config)?;
        Ok(Ctx {
            global,
            lang,
            paths,
            config,
        })
    }

    /// `--profile` / `ISACX_PROFILE`, else the current profile, else `default`.
    pub fn profile_name(&self) -> String {
        self.global
            .profile
            .clone()
            .or_else(|| self.config.current_profile.clone())
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned())
    }

    pub fn profile(&self) -> Option<&Profile> {
        self.config.profiles.get(&self.profile_name())
    }

    /// The command prefix to suggest in hints: plain `isacx` when the profile
    /// in use is the one `isacx` picks by itself.
    pub fn cmd(&self) -> String {
        let name = self.profile_name();
        let implicit = self
            .config
            .current_profile
            .clone()
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned());
        if name == implicit {
            "isacx".to_owned()
        } else {
            format!("isacx --profile {name}")
        }
    }

    /// `--json`, or the profile's default output.
    pub fn json(&self) -> bool {
        self.global.json || self.profile().and_then(|p| p.output) == Some(OutputFormat::Json)
    }

    /// The server: `--server` over the profile's; the CA file likewise.
    pub fn target(&self) -> Result<Target, CliError> {
        let profile = self.profile();
        let server = match (&self.global.server, profile) {
            (Some(url), _) => url.clone(),
            (None, Some(p)) => {
                parse_server_url(&p.server).map_err(|reason| CliError::InvalidServerUrl {
                    url: p.server.clone(),
                    reason,
                })?
            }
            (None, None) if self.global.profile.is_some() && !self.config.profiles.is_empty() => {
                return Err(CliError::ProfileNotFound {
                    name: self.profile_name(),
                })
            }
            (None, None) => {
                return Err(CliError::NoServer {
                    profile: self.profile_name(),
                })
            }
        };
        let ca_file = self
            .global
            .ca_file
            .clone()
            .or_else(|| profile.and_then(|p| p.ca_file.clone()));
        Ok(Target { server, ca_file })
    }

    pub fn api(&self, target: &Target) -> Result<Api, CliError> {
        Api::new(&target.server, target.ca_file.as_deref(), self.cmd())
    }

    /// Loads the credentials file, saying so if its permissions had to be fixed.
    pub fn credentials(&self) -> Result<Credentials, CliError> {
        let (creds, fixed) = Credentials::load(&self.paths.credentials)?;
        if fixed {
            output::warn(
                self.lang,
                &Msg::CredentialsPermissionsFixed {
                    path: self.paths.credentials.display().to_string(),
                },
            );
        }
        Ok(creds)
    }

    /// A client for the target server carrying this profile's credential, if
    /// the credential was issued by that same server and has not run out.
    pub fn authed_api(&self) -> Result<(Api, Credential), CliError> {
        let target = self.target()?;
        let name = self.profile_name();
        let server = server_key(&target.server);
        let creds = self.credentials()?;
        let Some(cred) = creds.profiles.get(&name).cloned() else {
            return Err(CliError::NotLoggedIn {
                profile: name,
                server,
                cmd: self.cmd(),
            });
        };
        if cred.server != server {
            return Err(CliError::CredentialsForOtherServer {
                profile: name,
                stored: cred.server.clone(),
                server,
                cmd: self.cmd(),
            });
        }
        if let (true, Some(at)) = (cred.is_expired(Utc::now()), cred.expires_at) {
            return Err(CliError::SessionExpiredLocally {
                at,
                cmd: self.cmd(),
            });
        }
        let api = self.api(&target)?.with_auth(Auth {
            kind: cred.kind,
            secret: cred.secret.clone(),
        });
        Ok((api, cred))
    }

    pub fn save_config(&self) -> Result<(), CliError> {
        self.config.save(&self.paths.config)
    }

    pub fn save_credentials(&self, creds: &Credentials) -> Result<(), CliError> {
        creds.save(&self.paths.credentials)
    }

    /// Prints a human message on stdout, unless the output is JSON.
    pub fn say(&self, msg: &Msg) {
        if !self.json() {
            output::stdout(&msg.text(self.lang));
        }
    }
}
