//! The one settings struct.
//!
//! Read from an optional TOML file (`--config`) and then from environment
//! variables `ISACX_SERVER_<SECTION>__<KEY>` (e.g.
//! `ISACX_SERVER_STORAGE__DATABASE_URL`), which override the file. Unknown keys
//! in either are rejected with the key's name, so a typo never silently falls
//! back to a default. `config/defaults.toml` is generated from this struct
//! (`isacx-server print-default-config`); a test fails when it is stale.

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Prefix of the environment overrides. Distinct from the client's `ISACX_*`
/// variables so that a shell set up for `isacx` never reconfigures the server.
pub const ENV_PREFIX: &str = "ISACX_SERVER_";

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// HTTP listener.
    pub http: HttpSettings,
    /// Transport security. TLS is on unless explicitly switched off.
    pub tls: TlsSettings,
    /// Where data is kept.
    pub storage: StorageSettings,
    /// Logins, tokens, lockout.
    pub auth: AuthSettings,
    /// Logging.
    pub log: LogSettings,
    /// Identity of this sharing body, the author of everything it redistributes.
    pub identity: IdentitySettings,
    /// TAXII 2.1 service.
    pub taxii: TaxiiSettings,
    /// Sharing policy defaults.
    pub sharing: SharingSettings,
    /// Federation with other sharing bodies' servers (peers are configured through the admin API).
    pub federation: FederationSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FederationSettings {
    /// An object that has passed through this many servers is not taken in (and so not passed on).
    pub hop_limit: usize,
    /// Objects asked for per TAXII page when pulling, and sent per envelope when pushing.
    pub page_size: usize,
    /// Seconds a request to a peer may take.
    pub timeout_secs: u64,
    /// First retry delay after a peer failed, in seconds; doubles per failure.
    pub retry_base_secs: u64,
    /// Longest retry delay, in seconds.
    pub retry_max_secs: u64,
    /// PEM file of the CA(s) that sign peers' TLS client certificates. When set,
    /// the server asks every client for a certificate (optional: users still log in
    /// as before) and maps a registered certificate to its peer.
    pub client_ca_file: String,
}

impl Default for FederationSettings {
    fn default() -> Self {
        FederationSettings { hop_limit: 4, page_size: 1000, timeout_secs: 30, retry_base_secs: 5, retry_max_secs: 600, client_ca_file: String::new() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TaxiiSettings {
    /// Serve the CLEAR-only public collection, readable without credentials.
    pub public_collection: bool,
    /// Largest POST body (an envelope) in bytes; announced as the API root's max_content_length.
    pub max_content_length: usize,
    /// Most objects one page returns, whatever `limit` asks.
    pub max_page_size: usize,
    /// Page size when the client gives no `limit`.
    pub default_page_size: usize,
}

impl Default for TaxiiSettings {
    fn default() -> Self {
        TaxiiSettings { public_collection: true, max_content_length: 100 * 1024 * 1024, max_page_size: 10_000, default_page_size: 1_000 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SharingSettings {
    /// TLP given to objects that carry no TLP marking: clear, green, amber, amber+strict or red.
    pub default_tlp: String,
    /// A report's sector is shown only if at least this many member organisations share it (or the submitter consented).
    pub k_anonymity: usize,
    /// Coarsen the times of shared reports: none, hour or day.
    pub coarsen_times: String,
}

impl Default for SharingSettings {
    fn default() -> Self {
        SharingSettings { default_tlp: "amber".to_owned(), k_anonymity: 3, coarsen_times: "none".to_owned() }
    }
}

impl SharingSettings {
    pub fn default_tlp(&self) -> isacx_schemas::tlp::Tlp {
        self.default_tlp.parse().unwrap_or(isacx_schemas::tlp::Tlp::Amber)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Address and port to listen on.
    pub bind: String,
    /// Worker threads; 0 = one per core.
    pub workers: usize,
    /// Largest JSON body the REST API accepts, in bytes.
    pub max_body_bytes: usize,
    /// Seconds in-flight requests get to finish on SIGTERM.
    pub shutdown_timeout_secs: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            bind: "127.0.0.1:8443".to_owned(),
            workers: 0,
            max_body_bytes: 1024 * 1024,
            shutdown_timeout_secs: 30,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TlsSettings {
    /// Serve HTTPS. Switching it off is for running behind a TLS-terminating proxy only.
    pub enabled: bool,
    /// PEM certificate chain. Empty: a local CA and server certificate are created under `<data_dir>/tls/`.
    pub cert_file: String,
    /// PEM private key of `cert_file`.
    pub key_file: String,
    /// Extra DNS names or IP addresses for the generated server certificate (localhost, 127.0.0.1 and ::1 are always in it).
    pub extra_names: Vec<String>,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings { enabled: true, cert_file: String::new(), key_file: String::new(), extra_names: Vec::new() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// `sqlite://path/to/file.db` (embedded default, created on first start) or `postgres://user@host/db`.
    pub database_url: String,
    /// Folder for generated certificates and other local state.
    pub data_dir: String,
    /// Connections in the pool.
    pub pool_size: u32,
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings { database_url: "sqlite://data/isacx.db".to_owned(), data_dir: "data".to_owned(), pool_size: 8 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Lifetime of a login token, in minutes. Kept short: the CLI logs in again.
    pub token_ttl_minutes: u32,
    /// Failed logins in a row that lock an account.
    pub lockout_threshold: u32,
    /// How long a locked account stays locked, in minutes.
    pub lockout_minutes: u32,
    /// Login attempts allowed per client address per minute.
    pub login_attempts_per_minute: u32,
    /// Shortest password accepted.
    pub min_password_length: usize,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            token_ttl_minutes: 30,
            lockout_threshold: 5,
            lockout_minutes: 15,
            login_attempts_per_minute: 20,
            min_password_length: 12,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` for people, `json` for log shippers.
    pub format: LogFormat,
    /// tracing filter, e.g. `info` or `isacx_server=debug,info`; `RUST_LOG` wins when set.
    pub filter: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings { format: LogFormat::Text, filter: "info".to_owned() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IdentitySettings {
    /// Short stable id of this server among its peers.
    pub server_id: String,
    /// Name of the sharing body in Japanese.
    pub name_ja: String,
    /// Name of the sharing body in English.
    pub name_en: String,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        IdentitySettings {
            server_id: "isacx-local".to_owned(),
            name_ja: "情報共有機関".to_owned(),
            name_en: "Information Sharing Body".to_owned(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {path} not found")]
    Missing { path: PathBuf },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Defaults, then the file if given, then `ISACX_SERVER_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        Self::load_with_env(file, Env::prefixed(ENV_PREFIX).split("__"))
    }

    fn load_with_env(file: Option<&Path>, env: Env) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Missing { path: path.to_owned() });
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let settings: Settings = figment.merge(env).extract().map_err(|e| ConfigError::Invalid(describe(e)))?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        crate::db::Backend::from_url(&self.storage.database_url).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if self.tls.cert_file.is_empty() != self.tls.key_file.is_empty() {
            return Err(ConfigError::Invalid("tls.cert_file and tls.key_file must be set together".to_owned()));
        }
        if self.sharing.default_tlp.parse::<isacx_schemas::tlp::Tlp>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "sharing.default_tlp: `{}` is not a TLP (clear, green, amber, amber+strict, red)",
                self.sharing.default_tlp
            )));
        }
        if !matches!(self.sharing.coarsen_times.as_str(), "none" | "hour" | "day") {
            return Err(ConfigError::Invalid(format!("sharing.coarsen_times: `{}` is not none, hour or day", self.sharing.coarsen_times)));
        }
        if self.taxii.max_page_size == 0 || self.taxii.default_page_size == 0 {
            return Err(ConfigError::Invalid("taxii page sizes must be at least 1".to_owned()));
        }
        if self.auth.token_ttl_minutes == 0 {
            return Err(ConfigError::Invalid("auth.token_ttl_minutes must be at least 1".to_owned()));
        }
        Ok(())
    }

    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(&self.storage.data_dir)
    }

    /// The committed `config/defaults.toml`: every key with its default and its doc comment.
    pub fn defaults_toml() -> String {
        render_defaults_toml()
    }
}

/// figment errors name the key already; keep every one of them, not only the first.
fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let path = e.path.join(".");
            let source = e.metadata.as_ref().map(|m| m.name.to_string()).unwrap_or_default();
            if path.is_empty() {
                format!("{} ({source})", e.kind)
            } else {
                format!("{path}: {} ({source})", e.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn render_defaults_toml() -> String {
    let schema = schemars::schema_for!(Settings);
    let root = schema.as_value();
    let defaults = match toml::Value::try_from(Settings::default()) {
        Ok(toml::Value::Table(t)) => t,
        _ => toml::Table::new(),
    };
    let mut out = String::from(
        "# isacx-server configuration: every key with its default.\n\
         # Generated by `isacx-server print-default-config`; do not edit by hand.\n\
         # Each key can be overridden by the environment variable\n\
         # ISACX_SERVER_<SECTION>__<KEY>, e.g. ISACX_SERVER_STORAGE__DATABASE_URL.\n",
    );
    let definitions = root.get("$defs");
    let top_props = root.get("properties").and_then(|p| p.as_object());
    for (section, value) in &defaults {
        let section_schema = top_props.and_then(|p| p.get(section));
        out.push('\n');
        if let Some(doc) = section_schema.and_then(|s| s.get("description")).and_then(|d| d.as_str()) {
            push_comment(&mut out, doc);
        }
        out.push_str(&format!("[{section}]\n"));
        let props = section_schema
            .and_then(|s| resolve(s, definitions))
            .and_then(|s| s.get("properties"))
            .and_then(|p| p.as_object());
        if let toml::Value::Table(fields) = value {
            for (key, field) in fields {
                if let Some(doc) = props.and_then(|p| p.get(key)).and_then(|f| f.get("description")).and_then(|d| d.as_str()) {
                    push_comment(&mut out, doc);
                }
                let mut one = toml::Table::new();
                one.insert(key.clone(), field.clone());
                out.push_str(&toml::to_string(&one).unwrap_or_default());
            }
        }
    }
    out
}

fn resolve<'a>(schema: &'a serde_json::Value, defs: Option<&'a serde_json::Value>) -> Option<&'a serde_json::Value> {
    let reference = schema.get("$ref").and_then(|r| r.as_str());
    match reference {
        Some(r) => defs?.get(r.trim_start_matches("#/$defs/")),
        None => Some(schema),
    }
}

fn push_comment(out: &mut String, doc: &str) {
    for line in doc.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with(vars: &[(&str, &str)]) -> Env {
        let owned: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        // Env reads the process environment; tests must not race on it, so
        // we give figment a fixed map through a custom filter_map over a
        // prefix that no real variable carries.
        let prefix = format!("ISACX_TEST_{}_", uuid::Uuid::new_v4().simple());
        for (k, v) in &owned {
            // SAFETY-free: set_var is safe in edition 2021.
            std::env::set_var(format!("{prefix}{k}"), v);
        }
        Env::prefixed(&prefix).split("__")
    }

    #[test]
    fn committed_defaults_are_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/defaults.toml");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let current = Settings::defaults_toml();
        if std::env::var_os("ISACX_UPDATE_CONFIG").is_some() {
            std::fs::write(&path, &current).unwrap();
            return;
        }
        assert!(
            committed == current,
            "config/defaults.toml is stale: run `ISACX_UPDATE_CONFIG=1 cargo test -p isacx-server committed_defaults` \
             or `cargo run -p isacx-server -- print-default-config > config/defaults.toml`"
        );
    }

    #[test]
    fn defaults_file_parses_back_to_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, Settings::defaults_toml()).unwrap();
        let loaded = Settings::load_with_env(Some(&file), env_with(&[])).unwrap();
        assert_eq!(toml::to_string(&loaded).unwrap(), toml::to_string(&Settings::default()).unwrap());
    }

    #[test]
    fn unknown_file_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[storage]\ndatabse_url = \"sqlite://x.db\"\n").unwrap();
        let err = Settings::load_with_env(Some(&file), env_with(&[])).unwrap_err().to_string();
        assert!(err.contains("databse_url"), "{err}");
    }

    #[test]
    fn unknown_section_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[htp]\nbind = \"x\"\n").unwrap();
        let err = Settings::load_with_env(Some(&file), env_with(&[])).unwrap_err().to_string();
        assert!(err.contains("htp"), "{err}");
    }

    #[test]
    fn environment_overrides_file_and_unknown_env_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[http]\nbind = \"127.0.0.1:1\"\n").unwrap();
        let loaded = Settings::load_with_env(Some(&file), env_with(&[("HTTP__BIND", "127.0.0.1:2")])).unwrap();
        assert_eq!(loaded.http.bind, "127.0.0.1:2");
        let err = Settings::load_with_env(Some(&file), env_with(&[("HTTP__BIMD", "x")])).unwrap_err().to_string();
        assert!(err.contains("bimd"), "{err}");
    }

    #[test]
    fn bad_database_url_is_rejected() {
        let err = Settings::load_with_env(None, env_with(&[("STORAGE__DATABASE_URL", "mysql://x")])).unwrap_err().to_string();
        assert!(err.contains("mysql"), "{err}");
    }

    #[test]
    fn missing_file_is_an_error() {
        let err = Settings::load_with_env(Some(Path::new("/nonexistent/isacx.toml")), env_with(&[])).unwrap_err();
        assert!(matches!(err, ConfigError::Missing { .. }));
    }
}
