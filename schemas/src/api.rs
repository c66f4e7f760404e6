//! REST request and response bodies of `/api/v1`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// What a user may do. Checked on every route.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A member organisation's staff: submits reports, pulls indicators.
    Operator,
    /// Sharing-body staff: reviews and publishes.
    Analyst,
    /// Government liaison: receives summaries.
    Liaison,
    /// Manages members, keys, peers and configuration.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Operator, Role::Analyst, Role::Liaison, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Analyst => "analyst",
            Role::Liaison => "liaison",
            Role::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role `{s}` (expected operator, analyst, liaison or admin)")
            })
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// A short-lived bearer token backed by a revocable session.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginResponse {
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_at: DateTime<Utc>,
    pub session_id: Uuid,
}

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    Session,
    ApiKey,
}

/// `GET /api/v1/auth/whoami`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WhoAmI {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub organisation: Option<OrganisationSummary>,
    pub auth_method: AuthMethod,
    /// When the current token stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A name in Japanese and in Latin script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LocalisedName {
    pub ja: String,
    pub en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrganisationSummary {
    pub id: Uuid,
    pub name: LocalisedName,
}

/// `POST /api/v1/admin/organisations`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    pub name: LocalisedName,
    /// Other names the member is known by, in any script (略称, brand names, romanisations).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// DNS domains the member owns; hosts and URLs under them are redacted.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Sector ids from the configured sector list.
    #[serde(default)]
    pub sectors: Vec<String>,
    /// The member's internal address ranges (CIDR); dropped from shared observables.
    #[serde(default)]
    pub internal_ranges: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Organisation {
    pub id: Uuid,
    pub name: LocalisedName,
    pub aliases: Vec<String>,
    pub domains: Vec<String>,
    pub sectors: Vec<String>,
    pub internal_ranges: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/admin/users`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub password: String,
    pub role: Role,
    /// Required for operators; analysts, liaisons and admins may have none.
    #[serde(default)]
    pub organisation_id: Option<Uuid>,
    /// `ja` or `en`; mails and digests use it.
    #[serde(default)]
    pub locale: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub organisation_id: Option<Uuid>,
    pub locale: String,
    pub disabled: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// `PATCH /api/v1/admin/users/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[serde(default)]
    pub disabled: Option<bool>,
    /// `true` lifts a lockout and resets the failure count.
    #[serde(default)]
    pub unlock: Option<bool>,
    #[serde(default)]
    pub password: Option<String>,
}

/// `POST /api/v1/admin/api-keys`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// The user the key acts for; its organisation applies.
    pub user_id: Uuid,
    /// The key's role: at most the user's own.
    pub role: Role,
    pub label: String,
    /// Days until the key expires; none = no expiry.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiKey {
    pub id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub label: String,
    /// The first characters of the key, to recognise it; never the key.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Answer to creating a key: the secret is shown this once and never again.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreatedApiKey {
    pub key: ApiKey,
    pub secret: String,
}

/// Which way a peer exchanges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PeerDirection {
    Pull,
    Push,
    Both,
}

/// `POST /api/v1/admin/peers`: another sharing body's server, with how to
/// reach it and how it proves who it is.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPeer {
    pub name: String,
    /// TAXII 2.1 API root of the peer, `https://…/taxii2/…/`.
    pub api_root: String,
    /// Which way objects flow: `pull` (from the peer to us: we pull, or it
    /// pushes), `push` (from us to the peer: we push to `push_collection`, or
    /// it pulls from us), `both`.
    pub direction: PeerDirection,
    /// Highest TLP the peer may receive: `clear`, `green` or `amber`.
    #[serde(default = "default_peer_tlp")]
    pub max_tlp: String,
    /// Sector ids whose objects this peer may receive; empty = all.
    #[serde(default)]
    pub sectors: Vec<String>,
    /// The peer's own server id (its `identity.server_id`), as it appears in
    /// provenance hop lists. Required for an isacx peer; for any other TAXII
    /// server a name of your choice.
    #[serde(default)]
    pub server_id: String,
    /// Collection ids (or aliases) to pull; empty = the peer's `all-sectors`
    /// collection if it has one, else every collection it lets us read.
    #[serde(default)]
    pub collections: Vec<String>,
    /// Collection id (or alias) on the peer that pushes go to; empty = we do
    /// not push (the peer pulls from us).
    #[serde(default)]
    pub push_collection: String,
    /// Cron string (`sec min hour day month weekday`) for syncing; empty disables.
    #[serde(default)]
    pub schedule: String,
    /// The peer's sector ids mapped to ours, for objects received from it.
    #[serde(default)]
    pub sector_map: std::collections::BTreeMap<String, String>,
    /// PEM file of the CA that signs the peer's server certificate; empty = system roots.
    #[serde(default)]
    pub ca_file: String,
    /// PEM files of this server's TLS client certificate and key, presented to the peer (mutual TLS).
    #[serde(default)]
    pub client_cert_file: String,
    #[serde(default)]
    pub client_key_file: String,
    /// Token this server presents to the peer (issued by the peer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// SHA-256 (hex) of the TLS client certificate the peer presents to this server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert_sha256: Option<String>,
    /// HTTP Basic user name this server presents to the peer (a TAXII server
    /// such as medallion that takes Basic authentication); with `basic_password`.
    #[serde(default)]
    pub basic_username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_password: Option<String>,
    /// Allow a plain `http://` API root. Only for a peer on a loopback address
    /// (127.0.0.0/8, ::1, localhost), e.g. a reference server run beside this one.
    #[serde(default)]
    pub allow_insecure_http: bool,
}

fn default_peer_tlp() -> String {
    "green".to_owned()
}

/// `PATCH /api/v1/admin/peers/{id}`: fields left out stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PeerUpdate {
    /// Token this server presents to the peer; empty removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collections: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert_sha256: Option<String>,
    /// HTTP Basic password presented to the peer; empty removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_password: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Peer {
    pub id: Uuid,
    pub name: String,
    pub api_root: String,
    pub direction: PeerDirection,
    pub max_tlp: String,
    pub sectors: Vec<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub server_id: String,
    #[serde(default)]
    pub collections: Vec<String>,
    #[serde(default)]
    pub push_collection: String,
    #[serde(default)]
    pub schedule: String,
    #[serde(default)]
    pub sector_map: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub ca_file: String,
    #[serde(default)]
    pub client_cert_file: String,
    /// Whether a token to present to the peer is set (the token itself is never shown).
    #[serde(default)]
    pub has_token: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert_sha256: Option<String>,
    /// The token the peer presents to this server: shown once, when the peer is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_token: Option<String>,
    /// HTTP Basic user name presented to the peer (empty: none).
    #[serde(default)]
    pub basic_username: String,
    /// Whether a Basic password is set (the password itself is never shown).
    #[serde(default)]
    pub has_basic_password: bool,
    #[serde(default)]
    pub allow_insecure_http: bool,
}

/// Sync state of one peer (`GET /api/v1/admin/peers/status`, `isacx peers status`).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PeerStatus {
    pub id: Uuid,
    pub name: String,
    pub direction: PeerDirection,
    pub schedule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success_at: Option<DateTime<Utc>>,
    /// Seconds since the last successful sync; absent before the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub consecutive_failures: i32,
    /// When a failing peer is tried again (backoff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub objects_received: i64,
    pub objects_sent: i64,
    pub bytes_received: i64,
}

/// What one sync of a peer did (`POST /api/v1/admin/peers/{id}/sync`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SyncReport {
    /// Objects received and stored (new versions).
    pub received: u64,
    /// Objects received that were already stored (same id and version).
    pub duplicates: u64,
    /// Objects refused: loops, hop limit, TLP that may not travel, invalid.
    pub refused: u64,
    /// Objects pushed to the peer.
    pub sent: u64,
    /// Bytes of TAXII responses read from the peer.
    pub bytes_received: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `POST /api/v1/admin/auto-publish-rules`: a member organisation's
/// submissions of one kind are published without an analyst's review when
/// the anonymiser found nothing to redact in them.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAutoPublishRule {
    pub organisation_id: Uuid,
    /// Report kind: `incident`, `precursor` or `near_miss`.
    pub kind: String,
    /// TLP to publish at (`clear`, `green`, `amber`, `amber+strict`, `red`);
    /// a submission the member marked higher is published at its own TLP.
    pub tlp: String,
    /// Only submissions that carry at least one indicator (indicator-only
    /// sharing); otherwise any submission of the kind.
    #[serde(default)]
    pub require_indicators: bool,
    /// Sector ids that may see what the rule publishes; empty = all.
    #[serde(default)]
    pub sectors: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AutoPublishRule {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub kind: String,
    pub tlp: String,
    pub require_indicators: bool,
    pub sectors: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// One configured sector, as `GET /api/v1/sectors` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Sector {
    pub id: String,
    pub name: LocalisedName,
}

/// `GET /readyz` and `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Health {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// `POST /api/v1/policy/where`: where would this object go if published?
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WhereRequest {
    /// The STIX 2.1 object, as it would be posted.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub object: serde_json::Value,
    /// Alias of the TAXII collection it would be posted to (default `all-sectors`).
    #[serde(default)]
    pub collection: Option<String>,
}

/// Who would see the object: every organisation, role and peer the sharing policy admits.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WhereResponse {
    /// The TLP the object is handled under (its marking, or the configured default).
    pub tlp: String,
    /// Sector ids in scope; `*` means every sector.
    pub sectors: Vec<String>,
    /// Member organisations whose operators would see it.
    pub organisations: Vec<OrganisationSummary>,
    /// Roles without an organisation (analyst, liaison, admin) that would see it.
    pub roles: Vec<Role>,
    /// Peer servers it would be sent to.
    pub peers: Vec<PeerSummary>,
    /// Whether it would be served without authentication.
    pub public: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PeerSummary {
    pub id: Uuid,
    pub name: String,
}

/// Where a submitted report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    Received,
    InReview,
    Published,
    Rejected,
    Withdrawn,
}

impl ReportState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportState::Received => "received",
            ReportState::InReview => "in_review",
            ReportState::Published => "published",
            ReportState::Rejected => "rejected",
            ReportState::Withdrawn => "withdrawn",
        }
    }
}

impl std::str::FromStr for ReportState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [ReportState::Received, ReportState::InReview, ReportState::Published, ReportState::Rejected, ReportState::Withdrawn]
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown report state `{s}`"))
    }
}

/// A statutory reporting threshold the report crosses (報告を要する重大な事故).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StatutoryHit {
    pub threshold: String,
    /// The service-maintenance level, in Japanese and English.
    pub level: LocalisedName,
    /// The laws that set it, in Japanese.
    pub laws: Vec<String>,
    /// True when the report named no service or facility and the threshold was assumed to apply.
    pub assumed: bool,
}

/// Answer to a submission or amendment.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReportReceipt {
    pub id: Uuid,
    pub report_id: Uuid,
    pub state: ReportState,
    pub revision: u32,
    /// Whether the report is statutory-reportable, and under which law.
    pub statutory_reportable: bool,
    pub statutory: Vec<StatutoryHit>,
    /// How many redactions the anonymiser made in the sanitised preview.
    pub redactions: usize,
}

/// A report as its submitter (or an analyst) sees it in a listing.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReportSummary {
    pub id: Uuid,
    pub report_id: Uuid,
    pub organisation_id: Uuid,
    pub state: ReportState,
    pub revision: u32,
    pub kind: String,
    pub sector: String,
    pub title: String,
    pub tlp: String,
    pub statutory_reportable: bool,
    /// Why an analyst rejected it.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One report in full: raw, and — for analysts — the sanitised copy and its redactions.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReportDetail {
    pub summary: ReportSummary,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub raw: serde_json::Value,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub sanitised: serde_json::Value,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub redactions: Vec<serde_json::Value>,
    pub statutory: Vec<StatutoryHit>,
}

/// `POST /api/v1/review/{id}/publish`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// TLP of the shared copy; never below the submitter's. Default: the submitter's.
    #[serde(default)]
    pub tlp: Option<String>,
    /// Sector ids in scope; empty = all sectors.
    #[serde(default)]
    pub sectors: Vec<String>,
    /// members, analysts, liaisons; empty = the default for the TLP.
    #[serde(default)]
    pub audiences: Vec<String>,
}

/// `POST /api/v1/review/{id}/reject`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// Shown to the submitter.
    pub reason: String,
}
