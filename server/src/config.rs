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
    /// Limits on what one report may carry, checked before anything is stored.
    pub intake: IntakeSettings,
    /// Advisories and urgent reassessment: deadlines, reminders, escalation.
    pub advisories: AdvisorySettings,
    /// Notification delivery: e-mail, webhooks, event stream, retries.
    pub notify: NotifySettings,
    /// Scheduled jobs (cron strings with seconds; an empty string disables a job).
    pub jobs: JobsSettings,
    /// Federation with other sharing bodies' servers (peers are configured through the admin API).
    pub federation: FederationSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IntakeSettings {
    /// Longest report title, in characters.
    pub max_title_chars: usize,
    /// Longest report description, in characters.
    pub max_description_chars: usize,
    /// Longest other free-text field (affected_service, lang, service_impact.facility, each follow_up_contact field), in characters.
    pub max_text_chars: usize,
    /// Most indicators (STIX objects) in one report.
    pub max_indicators: usize,
    /// Largest single indicator (STIX object as JSON), in bytes.
    pub max_indicator_bytes: usize,
    /// Most entries in a list field (risk_sources, statutory.thresholds).
    pub max_list_items: usize,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        IntakeSettings {
            max_title_chars: 500,
            max_description_chars: 100_000,
            max_text_chars: 1_000,
            max_indicators: 1_000,
            max_indicator_bytes: 64 * 1024,
            max_list_items: 100,
        }
    }
}


/// A secret from the configuration: never printed, never logged, never
/// written back out (it serialises as an empty string).
#[derive(Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "Secret(empty)" } else { "Secret(***)" })
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AdvisorySettings {
    /// Reassessment deadline of an urgent advisory that names none, in seconds after publication.
    pub default_deadline_secs: u64,
    /// First reminder to the member's reassessment contacts, in seconds after the request, while not reassessed.
    pub reminder_after_secs: u64,
    /// Escalation to the member's other operators, in seconds after the deadline.
    pub escalate_member_after_deadline_secs: u64,
    /// Escalation to the sharing body's analysts, in seconds after the deadline.
    pub escalate_analysts_after_deadline_secs: u64,
}

impl Default for AdvisorySettings {
    fn default() -> Self {
        AdvisorySettings {
            default_deadline_secs: 72 * 3600,
            reminder_after_secs: 24 * 3600,
            escalate_member_after_deadline_secs: 0,
            escalate_analysts_after_deadline_secs: 24 * 3600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NotifySettings {
    /// SMTP server for e-mail notifications; empty switches e-mail off (e-mail deliveries are then marked skipped).
    pub smtp_host: String,
    /// SMTP port (587 for STARTTLS, 465 for implicit TLS, 25 for none).
    pub smtp_port: u16,
    /// Transport security to the SMTP server: starttls, tls or none.
    pub smtp_tls: String,
    /// The From address of notification mail.
    pub smtp_from: String,
    /// SMTP user name; empty: no authentication.
    pub smtp_username: String,
    /// SMTP password; set it through ISACX_SERVER_NOTIFY__SMTP_PASSWORD or smtp_password_file, never in a committed file.
    pub smtp_password: Secret,
    /// File holding the SMTP password (used when smtp_password is empty).
    pub smtp_password_file: String,
    /// Seconds one SMTP conversation may take.
    pub smtp_timeout_secs: u64,
    /// Seconds a webhook receiver gets to answer.
    pub webhook_timeout_secs: u64,
    /// Allow plain http:// webhook URLs (for receivers on a trusted network only).
    pub webhook_allow_http: bool,
    /// Attempts before a delivery is marked dead.
    pub max_attempts: u32,
    /// Delay before the first retry, in milliseconds; doubles with each attempt.
    pub retry_base_ms: u64,
    /// Longest delay between two attempts, in milliseconds.
    pub retry_max_ms: u64,
    /// How often delivery workers and streams look at the outbox when nothing wakes them, in milliseconds.
    pub poll_interval_ms: u64,
    /// Deliveries one worker claims at a time.
    pub batch_size: u32,
    /// Seconds a claimed delivery stays reserved for the server that claimed it (then another may take it).
    pub claim_secs: u64,
    /// Seconds between keep-alive comments on an idle event stream.
    pub stream_keepalive_secs: u64,
    /// Seconds after which the server ends an event stream; clients reconnect with Last-Event-ID and miss nothing.
    pub stream_max_secs: u64,
    /// Days delivered and skipped rows are kept in the outbox (and so can be replayed on the stream).
    pub retention_days: u32,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_tls: "starttls".to_owned(),
            smtp_from: "isacx <noreply@isacx.invalid>".to_owned(),
            smtp_username: String::new(),
            smtp_password: Secret::default(),
            smtp_password_file: String::new(),
            smtp_timeout_secs: 30,
            webhook_timeout_secs: 10,
            webhook_allow_http: false,
            max_attempts: 10,
            retry_base_ms: 30_000,
            retry_max_ms: 3_600_000,
            poll_interval_ms: 1_000,
            batch_size: 50,
            claim_secs: 300,
            stream_keepalive_secs: 15,
            stream_max_secs: 3_600,
            retention_days: 30,
        }
    }
}

impl NotifySettings {
    /// The SMTP password from the setting or, failing that, its file.
    pub fn smtp_password(&self) -> Result<Secret, ConfigError> {
        if !self.smtp_password.is_empty() || self.smtp_password_file.is_empty() {
            return Ok(self.smtp_password.clone());
        }
        std::fs::read_to_string(&self.smtp_password_file)
            .map(|s| Secret::new(s.trim_end_matches(['\n', '\r'])))
            .map_err(|e| ConfigError::Invalid(format!("notify.smtp_password_file {}: {e}", self.smtp_password_file)))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct JobsSettings {
    /// Outbox sweep: frees deliveries claimed by a server that went away, prunes old rows, reports dead ones.
    pub outbox_sweep: String,
    /// Reassessment sweep: reminds members of urgent reassessments and escalates missed deadlines (timings in `[advisories]`).
    pub reassessment_sweep: String,
    /// Daily liaison digest, in UTC: covers the 24 hours up to each tick. Default 22:00 UTC = 07:00 JST.
    pub digest_daily: String,
    /// Weekly liaison digest, in UTC: covers the 7 days up to each tick. Default Sunday 22:00 UTC = Monday 07:00 JST.
    pub digest_weekly: String,
    /// At start and at each digest tick, issue the digests of up to this many
    /// most recent scheduled periods that are missing (the servers were down
    /// at their tick, or the run failed). 0 turns catching up off; at most 366.
    pub digest_catch_up_periods: u32,
    /// Federation: how often to look for peers whose own schedule (`schedule` of each peer) is due; each
    /// due peer is synced by one server under its own lease. Empty: no peer syncs by schedule.
    pub federation_sync: String,
    /// Seconds a server holds a job's lease at most; a server that dies mid-run frees it after this.
    pub lease_secs: u64,
}

impl Default for JobsSettings {
    fn default() -> Self {
        JobsSettings {
            outbox_sweep: "0 */5 * * * *".to_owned(),
            reassessment_sweep: "0 */5 * * * *".to_owned(),
            digest_daily: "0 0 22 * * *".to_owned(),
            digest_weekly: "0 0 22 * * Sun".to_owned(),
            digest_catch_up_periods: 1,
            federation_sync: "*/5 * * * * *".to_owned(),
            lease_secs: 600,
        }
    }
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
        if !matches!(self.notify.smtp_tls.as_str(), "starttls" | "tls" | "none") {
            return Err(ConfigError::Invalid(format!("notify.smtp_tls: `{}` is not starttls, tls or none", self.notify.smtp_tls)));
        }
        if self.notify.max_attempts == 0 || self.notify.batch_size == 0 || self.notify.poll_interval_ms == 0 {
            return Err(ConfigError::Invalid("notify.max_attempts, batch_size and poll_interval_ms must be at least 1".to_owned()));
        }
        if !self.notify.smtp_host.is_empty() {
            self.notify.smtp_password()?;
        }
        for (name, cron) in [
            ("outbox_sweep", &self.jobs.outbox_sweep),
            ("reassessment_sweep", &self.jobs.reassessment_sweep),
            ("digest_daily", &self.jobs.digest_daily),
            ("digest_weekly", &self.jobs.digest_weekly),
            ("federation_sync", &self.jobs.federation_sync),
        ] {
            if !cron.trim().is_empty() {
                crate::jobs::check_cron(cron).map_err(|e| ConfigError::Invalid(format!("jobs.{name}: {e}")))?;
            }
        }
        if self.jobs.digest_catch_up_periods > 366 {
            return Err(ConfigError::Invalid("jobs.digest_catch_up_periods must be at most 366".to_owned()));
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
    fn secrets_are_never_printed_or_written_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[notify]\nsmtp_host = \"mail.example\"\nsmtp_password = \"hunter2-very-secret\"\n").unwrap();
        let loaded = Settings::load_with_env(Some(&file), env_with(&[])).unwrap();
        assert_eq!(loaded.notify.smtp_password.expose(), "hunter2-very-secret");
        assert!(!format!("{loaded:?}").contains("hunter2"));
        assert!(!toml::to_string(&loaded).unwrap().contains("hunter2"));
        let from_env = Settings::load_with_env(None, env_with(&[("NOTIFY__SMTP_PASSWORD", "from-env-secret")])).unwrap();
        assert_eq!(from_env.notify.smtp_password().unwrap().expose(), "from-env-secret");
        let secret_file = dir.path().join("smtp-password");
        std::fs::write(&secret_file, "from-file-secret\n").unwrap();
        let from_file = Settings::load_with_env(None, env_with(&[("NOTIFY__SMTP_PASSWORD_FILE", secret_file.to_str().unwrap())])).unwrap();
        assert_eq!(from_file.notify.smtp_password().unwrap().expose(), "from-file-secret");
    }

    #[test]
    fn bad_cron_and_tls_mode_are_named() {
        let err = Settings::load_with_env(None, env_with(&[("JOBS__OUTBOX_SWEEP", "every minute")])).unwrap_err().to_string();
        assert!(err.contains("jobs.outbox_sweep"), "{err}");
        let off = Settings::load_with_env(None, env_with(&[("JOBS__OUTBOX_SWEEP", "")])).unwrap();
        assert!(off.jobs.outbox_sweep.is_empty(), "an empty cron string disables the job");
        let err = Settings::load_with_env(None, env_with(&[("NOTIFY__SMTP_TLS", "ssl")])).unwrap_err().to_string();
        assert!(err.contains("notify.smtp_tls"), "{err}");
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
