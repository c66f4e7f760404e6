//! Profiles (`config.toml`) and the secrets that go with them (`credentials.toml`).
//!
//! Two files so that the config can be shown, copied and versioned while the
//! tokens stay in a file only its owner can read (0600, re-tightened when found
//! looser). Both are written atomically (temp file in the same directory, then
//! rename), so a crash or a full disk never leaves half a file behind.
//!
//! ```toml
//! # config.toml
//! current_profile = "prod"
//!
//! [profiles.prod]
//! server = "https://isac.example.jp:8443"
//! ca_file = "/etc/isacx/ca.pem"
//! username = "alice"
//! output = "table"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::CliError;

/// Name of the profile used when none is chosen and none is current.
pub const DEFAULT_PROFILE: &str = "default";

/// Where the two files live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl Paths {
    /// `--config` / `ISACX_CONFIG`, else `<config dir>/isacx/config.toml`;
    /// credentials always sit beside the config file.
    pub fn resolve(flag: Option<&Path>) -> Result<Paths, CliError> {
        let config = match flag {
            Some(p) => p.to_path_buf(),
            None => dirs::config_dir()
                .ok_or(CliError::NoConfigDir)?
                .join("isacx")
                .join("config.toml"),
        };
        let credentials = config
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("credentials.toml");
        Ok(Paths {
            config,
            credentials,
        })
    }
}

/// How a command prints by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    Table,
    Json,
}

/// `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Used when neither `--profile` nor `ISACX_PROFILE` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One server and how to reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Base URL, `https://host[:port]`.
    pub server: String,
    /// PEM file of extra trust roots (the server's own CA), on top of the system's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Remembered for `login`, so it need not be typed every time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputFormat>,
}

/// A string that never shows up in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// What kind of secret a profile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// From `isacx login`: a bearer token backed by a revocable session.
    Session,
    /// Issued by an administrator; sent as `X-Api-Key`.
    ApiKey,
}

/// `credentials.toml`: one entry per profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    #[serde(default)]
    pub profiles: BTreeMap<String, Credential>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// The server the secret was issued by: it is only ever sent there, even if
    /// the profile is later pointed elsewhere.
    pub server: String,
    pub kind: CredentialKind,
    pub secret: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

impl Credential {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// Profile names end up in file keys and command lines; keep them plain.
pub fn validate_profile_name(name: &str) -> Result<(), CliError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(CliError::InvalidProfileName {
            name: name.to_owned(),
        })
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, CliError> {
        load_toml(path)
    }

    pub fn save(&self, path: &Path) -> Result<(), CliError> {
        write_toml(path, self, 0o644)
    }
}

impl Credentials {
    /// Loads, and first tightens the file to 0600 if anyone else could read it.
    /// Returns whether permissions had to be fixed, so the caller can say so.
    pub fn load(path: &Path) -> Result<(Credentials, bool), CliError> {
        let fixed = tighten_permissions(path)?;
        Ok((load_toml(path)?, fixed))
    }

    pub fn save(&self, path: &Path) -> Result<(), CliError> {
        write_toml(path, self, 0o600)
    }
}

pub(crate) fn load_toml<T: Default + for<'de> Deserialize<'de>>(
    path: &Path,
) -> Result<T, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
        Err(e) => {
            return Err(CliError::ConfigUnreadable {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })
        }
    };
    toml::from_str(&text).map_err(|e| CliError::ConfigInvalid {
        path: path.to_path_buf(),
        detail: e.message().to_owned(),
    })
}

#[cfg(unix)]
fn tighten_permissions(path: &Path) -> Result<bool, CliError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            return Err(CliError::ConfigUnreadable {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })
        }
    };
    if meta.permissions().mode() & 0o077 == 0 {
        return Ok(false);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
        CliError::ConfigWriteFailed {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    })?;
    Ok(true)
}

#[cfg(not(unix))]
fn tighten_permissions(_path: &Path) -> Result<bool, CliError> {
    Ok(false)
}

/// Temp file in the target's directory (same file system, so the rename is
/// atomic), permissions set before any byte is written, fsync, rename.
pub(crate) fn write_toml<T: Serialize>(path: &Path, value: &T, mode: u32) -> Result<(), CliError> {
    let fail = |e: &dyn fmt::Display| CliError::ConfigWriteFailed {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let text = toml::to_string_pretty(value).map_err(|e| fail(&e))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir).map_err(|e| fail(&e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".isacx-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| fail(&e))?;
    set_mode(tmp.as_file(), mode).map_err(|e| fail(&e))?;
    tmp.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
    tmp.as_file().sync_all().map_err(|e| fail(&e))?;
    tmp.persist(path).map_err(|e| fail(&e.error))?;
    Ok(())
}

#[cfg(unix)]
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_credential() -> Credential {
        Credential {
            server: "https://isac.example.jp:8443".into(),
            kind: CredentialKind::Session,
            secret: Secret::new("tok-123".into()),
            expires_at: Some(Utc::now()),
            session_id: Some(Uuid::nil()),
            username: Some("alice".into()),
        }
    }

    #[test]
    fn credentials_beside_config() {
        let p = Paths::resolve(Some(Path::new("/x/y/my.toml"))).unwrap();
        assert_eq!(p.credentials, PathBuf::from("/x/y/credentials.toml"));
        let p = Paths::resolve(None).unwrap();
        assert!(p.config.ends_with("isacx/config.toml"));
        assert!(p.credentials.ends_with("isacx/credentials.toml"));
    }

    #[test]
    fn missing_files_are_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Config::load(&dir.path().join("nope.toml")).unwrap(),
            Config::default()
        );
        let (c, fixed) = Credentials::load(&dir.path().join("nope.toml")).unwrap();
        assert_eq!(c, Credentials::default());
        assert!(!fixed);
    }

    #[test]
    fn config_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("config.toml");
        let mut cfg = Config {
            current_profile: Some("prod".into()),
            ..Config::default()
        };
        cfg.profiles.insert(
            "prod".into(),
            Profile {
                server: "https://isac.example.jp:8443".into(),
                ca_file: Some("/etc/isacx/ca.pem".into()),
                username: Some("alice".into()),
                output: Some(OutputFormat::Json),
            },
        );
        cfg.save(&path).unwrap();
        assert_eq!(Config::load(&path).unwrap(), cfg);
        // No temp files left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("config.toml")]);
        insta::assert_snapshot!(std::fs::read_to_string(&path).unwrap());
    }

    #[test]
    fn unknown_keys_are_rejected_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[profiles.a]\nserver = \"https://a\"\nsevrer = 1\n").unwrap();
        match Config::load(&path) {
            Err(CliError::ConfigInvalid { path: p, detail }) => {
                assert_eq!(p, path);
                assert!(detail.contains("sevrer"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn secret_is_hidden_from_debug() {
        let c = sample_credential();
        assert!(!format!("{c:?}").contains("tok-123"));
    }

    #[cfg(unix)]
    #[test]
    fn credentials_are_0600_and_retightened() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.toml");
        let mut creds = Credentials::default();
        creds.profiles.insert("prod".into(), sample_credential());
        creds.save(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (loaded, fixed) = Credentials::load(&path).unwrap();
        assert!(fixed);
        assert_eq!(loaded, creds);
        assert_eq!(mode(&path), 0o600);
        let (_, fixed_again) = Credentials::load(&path).unwrap();
        assert!(!fixed_again);

        // Saving over a loose file leaves it tight too.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        creds.save(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn new_config_dir_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("isacx");
        Credentials::default()
            .save(&sub.join("credentials.toml"))
            .unwrap();
        assert_eq!(
            std::fs::metadata(&sub).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }

    #[test]
    fn profile_names() {
        for ok in ["prod", "isac-ict_2", "a.b", "x"] {
            assert!(validate_profile_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "ä", "a/b", "[x]", &"x".repeat(65)] {
            assert!(validate_profile_name(bad).is_err(), "{bad}");
        }
    }
}
