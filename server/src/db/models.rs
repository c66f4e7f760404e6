//! Rows as stored, and their conversion to wire types.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use isacx_schemas::api;
use uuid::Uuid;

use super::schema::*;
use super::{parse_list, to_utc};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organisations)]
pub struct OrganisationRow {
    pub id: String,
    pub name_ja: String,
    pub name_en: String,
    pub aliases: String,
    pub domains: String,
    pub sectors: String,
    pub internal_ranges: String,
    pub created_at: NaiveDateTime,
}

impl OrganisationRow {
    pub fn to_api(&self) -> api::Organisation {
        api::Organisation {
            id: parse_uuid(&self.id),
            name: api::LocalisedName { ja: self.name_ja.clone(), en: self.name_en.clone() },
            aliases: parse_list(&self.aliases),
            domains: parse_list(&self.domains),
            sectors: parse_list(&self.sectors),
            internal_ranges: parse_list(&self.internal_ranges),
            created_at: to_utc(self.created_at),
        }
    }

    pub fn summary(&self) -> api::OrganisationSummary {
        api::OrganisationSummary {
            id: parse_uuid(&self.id),
            name: api::LocalisedName { ja: self.name_ja.clone(), en: self.name_en.clone() },
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub role: String,
    pub organisation_id: Option<String>,
    pub locale: String,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl UserRow {
    pub fn role(&self) -> api::Role {
        // Roles are written only from the enum, so an unknown value means a
        // hand-edited row: treat it as the least privileged role.
        self.role.parse().unwrap_or(api::Role::Operator)
    }

    pub fn to_api(&self) -> api::User {
        api::User {
            id: parse_uuid(&self.id),
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            role: self.role(),
            organisation_id: self.organisation_id.as_deref().map(parse_uuid),
            locale: self.locale.clone(),
            disabled: self.disabled,
            locked_until: self.locked_until.map(to_utc),
            created_at: to_utc(self.created_at),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub client_ip: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: String,
    pub user_id: String,
    pub role: String,
    pub label: String,
    pub prefix: String,
    pub key_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

impl ApiKeyRow {
    pub fn role(&self) -> api::Role {
        self.role.parse().unwrap_or(api::Role::Operator)
    }

    pub fn to_api(&self) -> api::ApiKey {
        api::ApiKey {
            id: parse_uuid(&self.id),
            user_id: parse_uuid(&self.user_id),
            role: self.role(),
            label: self.label.clone(),
            prefix: self.prefix.clone(),
            created_at: to_utc(self.created_at),
            expires_at: self.expires_at.map(to_utc),
            revoked_at: self.revoked_at.map(to_utc),
            last_used_at: self.last_used_at.map(to_utc),
        }
    }
}

/// Debug is written out so the outbound token never reaches a log.
#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = peers)]
pub struct PeerRow {
    pub id: String,
    pub name: String,
    pub api_root: String,
    pub direction: String,
    pub max_tlp: String,
    pub sectors: String,
    pub created_at: NaiveDateTime,
    pub server_id: String,
    pub collections: String,
    pub push_collection: String,
    pub schedule: String,
    pub sector_map: String,
    pub ca_file: String,
    pub client_cert_file: String,
    pub client_key_file: String,
    pub outbound_token: Option<String>,
    pub inbound_token_hash: Option<String>,
    pub client_cert_sha256: Option<String>,
    /// HTTP Basic user name presented to the peer; empty = none.
    pub basic_username: String,
    pub basic_password: Option<String>,
    /// Plain `http://` to the peer (loopback addresses only).
    pub allow_insecure_http: bool,
}

impl std::fmt::Debug for PeerRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerRow")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("api_root", &self.api_root)
            .field("direction", &self.direction)
            .field("server_id", &self.server_id)
            .field("outbound_token", &self.outbound_token.as_ref().map(|_| "<hidden>"))
            .field("basic_username", &self.basic_username)
            .field("basic_password", &self.basic_password.as_ref().map(|_| "<hidden>"))
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish_non_exhaustive()
    }
}

impl PeerRow {
    pub fn to_api(&self) -> api::Peer {
        let direction = match self.direction.as_str() {
            "push" => api::PeerDirection::Push,
            "both" => api::PeerDirection::Both,
            _ => api::PeerDirection::Pull,
        };
        api::Peer {
            id: parse_uuid(&self.id),
            name: self.name.clone(),
            api_root: self.api_root.clone(),
            direction,
            max_tlp: self.max_tlp.clone(),
            sectors: parse_list(&self.sectors),
            created_at: to_utc(self.created_at),
            server_id: self.server_id.clone(),
            collections: parse_list(&self.collections),
            push_collection: self.push_collection.clone(),
            schedule: self.schedule.clone(),
            sector_map: serde_json::from_str(&self.sector_map).unwrap_or_default(),
            ca_file: self.ca_file.clone(),
            client_cert_file: self.client_cert_file.clone(),
            has_token: self.outbound_token.is_some(),
            client_cert_sha256: self.client_cert_sha256.clone(),
            inbound_token: None,
            basic_username: self.basic_username.clone(),
            has_basic_password: self.basic_password.is_some(),
            allow_insecure_http: self.allow_insecure_http,
        }
    }

    pub fn direction(&self) -> api::PeerDirection {
        match self.direction.as_str() {
            "push" => api::PeerDirection::Push,
            "both" => api::PeerDirection::Both,
            _ => api::PeerDirection::Pull,
        }
    }

    /// Objects flow from the peer to us (we pull, or it pushes).
    pub fn pulls(&self) -> bool {
        self.direction != "push"
    }

    /// Objects flow from us to the peer (we push, or it pulls from us).
    pub fn pushes(&self) -> bool {
        self.direction != "pull"
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub source_ip: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Ids are written from `Uuid` only; a malformed one reads as nil rather than failing a whole listing.
pub fn parse_uuid(text: &str) -> Uuid {
    Uuid::parse_str(text).unwrap_or(Uuid::nil())
}
