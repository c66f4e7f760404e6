//! Members and access: organisations, users, API keys, peers.
//!
//! The admin REST API and `isacx-server admin …` both call these, so a rule
//! (validation, audit row) holds whichever door a change comes through.

use diesel::prelude::*;
use isacx_schemas::api::{self, Role};
use isacx_schemas::error::FieldError;
use uuid::Uuid;

use crate::audit::{self, Actor, Entry};
use crate::auth;
use crate::db::models::{ApiKeyRow, OrganisationRow, PeerRow, UserRow};
use crate::db::schema::{api_keys, organisations, peers, users};
use crate::db::{json_list, now, Database};
use crate::error::ApiError;

/// What member validation needs to know about the configured world.
pub struct Rules<'a> {
    pub sector_ids: &'a [String],
    pub min_password_length: usize,
}

fn push(errors: &mut Vec<FieldError>, field: impl Into<String>, message: impl Into<String>) {
    errors.push(FieldError { field: field.into(), message: message.into() });
}

fn check_sectors(errors: &mut Vec<FieldError>, sectors: &[String], known: &[String]) {
    for (i, s) in sectors.iter().enumerate() {
        if !known.iter().any(|k| k == s) {
            push(errors, format!("sectors[{i}]"), format!("unknown sector `{s}`; known: {}", known.join(", ")));
        }
    }
}

fn normalise_domain(d: &str) -> String {
    d.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn valid_domain(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

pub fn create_organisation(db: &Database, rules: &Rules<'_>, actor: &Actor, new: api::NewOrganisation) -> Result<api::Organisation, ApiError> {
    let mut errors = Vec::new();
    if new.name.ja.trim().is_empty() {
        push(&mut errors, "name.ja", "must not be empty");
    }
    if new.name.en.trim().is_empty() {
        push(&mut errors, "name.en", "must not be empty");
    }
    let domains: Vec<String> = new.domains.iter().map(|d| normalise_domain(d)).collect();
    for (i, d) in domains.iter().enumerate() {
        if !valid_domain(d) {
            push(&mut errors, format!("domains[{i}]"), format!("`{d}` is not a DNS domain"));
        }
    }
    check_sectors(&mut errors, &new.sectors, rules.sector_ids);
    let mut ranges = Vec::new();
    for (i, r) in new.internal_ranges.iter().enumerate() {
        match r.trim().parse::<ipnet::IpNet>() {
            Ok(net) => ranges.push(net.trunc().to_string()),
            Err(_) => push(&mut errors, format!("internal_ranges[{i}]"), format!("`{r}` is not a CIDR range such as 10.20.0.0/16")),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let row = OrganisationRow {
        id: Uuid::new_v4().to_string(),
        name_ja: new.name.ja.trim().to_owned(),
        name_en: new.name.en.trim().to_owned(),
        aliases: json_list(&new.aliases.iter().map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect::<Vec<_>>()),
        domains: json_list(&domains),
        sectors: json_list(&new.sectors),
        internal_ranges: json_list(&ranges),
        created_at: now(),
    };
    db.write(|conn| {
        diesel::insert_into(organisations::table).values(&row).execute(conn)?;
        audit::append(
            conn,
            actor,
            Entry { action: "organisation.create", target: format!("organisation:{}", row.id), detail: serde_json::json!({ "name_en": row.name_en }) },
        )
    })?;
    Ok(row.to_api())
}

pub fn list_organisations(db: &Database) -> Result<Vec<api::Organisation>, ApiError> {
    db.read(|conn| {
        let rows: Vec<OrganisationRow> =
            organisations::table.select(OrganisationRow::as_select()).order(organisations::name_en.asc()).load(conn)?;
        Ok(rows.iter().map(OrganisationRow::to_api).collect())
    })
}

pub fn get_organisation(db: &Database, id: Uuid) -> Result<api::Organisation, ApiError> {
    db.read(|conn| {
        let row: Option<OrganisationRow> =
            organisations::table.find(id.to_string()).select(OrganisationRow::as_select()).first(conn).optional()?;
        row.map(|r| r.to_api()).ok_or_else(|| ApiError::not_found(format!("no organisation {id}")))
    })
}

fn valid_username(u: &str) -> bool {
    (2..=64).contains(&u.len()) && u.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

pub fn create_user(db: &Database, rules: &Rules<'_>, actor: &Actor, new: api::NewUser) -> Result<api::User, ApiError> {
    let mut errors = Vec::new();
    if !valid_username(&new.username) {
        push(&mut errors, "username", "2–64 characters: letters, digits, and . _ - @");
    }
    if new.password.chars().count() < rules.min_password_length {
        push(&mut errors, "password", format!("must be at least {} characters", rules.min_password_length));
    }
    if new.role == Role::Operator && new.organisation_id.is_none() {
        push(&mut errors, "organisation_id", "an operator belongs to a member organisation");
    }
    let locale = new.locale.clone().unwrap_or_else(|| "en".to_owned());
    if !matches!(locale.as_str(), "en" | "ja") {
        push(&mut errors, "locale", "must be `ja` or `en`");
    }
    if let Some(email) = &new.email {
        if !email.contains('@') || email.trim().len() < 3 {
            push(&mut errors, "email", "is not an e-mail address");
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let row = UserRow {
        id: Uuid::new_v4().to_string(),
        username: new.username.clone(),
        display_name: new.display_name.clone().unwrap_or_else(|| new.username.clone()),
        email: new.email.clone(),
        password_hash: auth::hash_password(&new.password)?,
        role: new.role.as_str().to_owned(),
        organisation_id: new.organisation_id.map(|id| id.to_string()),
        locale,
        disabled: false,
        failed_logins: 0,
        locked_until: None,
        created_at: now(),
    };
    db.write(|conn| {
        if let Some(org) = &row.organisation_id {
            let exists: i64 = organisations::table.filter(organisations::id.eq(org)).count().get_result(conn)?;
            if exists == 0 {
                return Err(ApiError::field("organisation_id", format!("no organisation {org}")));
            }
        }
        diesel::insert_into(users::table).values(&row).execute(conn)?;
        audit::append(
            conn,
            actor,
            Entry {
                action: "user.create",
                target: format!("user:{}", row.id),
                detail: serde_json::json!({ "username": row.username, "role": row.role, "organisation_id": row.organisation_id }),
            },
        )
    })?;
    Ok(row.to_api())
}

pub fn list_users(db: &Database) -> Result<Vec<api::User>, ApiError> {
    db.read(|conn| {
        let rows: Vec<UserRow> = users::table.select(UserRow::as_select()).order(users::username.asc()).load(conn)?;
        Ok(rows.iter().map(UserRow::to_api).collect())
    })
}

pub fn find_user(db: &Database, id: Uuid) -> Result<UserRow, ApiError> {
    db.read(|conn| {
        users::table
            .find(id.to_string())
            .select(UserRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found(format!("no user {id}")))
    })
}

pub fn find_user_by_name(db: &Database, username: &str) -> Result<UserRow, ApiError> {
    db.read(|conn| {
        users::table
            .filter(users::username.eq(username))
            .select(UserRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found(format!("no user `{username}`")))
    })
}

pub fn update_user(db: &Database, rules: &Rules<'_>, actor: &Actor, id: Uuid, update: api::UserUpdate) -> Result<api::User, ApiError> {
    let password_hash = match &update.password {
        Some(p) => {
            auth::check_password_strength(p, rules.min_password_length)?;
            Some(auth::hash_password(p)?)
        }
        None => None,
    };
    let key = id.to_string();
    db.write(|conn| {
        let exists: i64 = users::table.filter(users::id.eq(&key)).count().get_result(conn)?;
        if exists == 0 {
            return Err(ApiError::not_found(format!("no user {id}")));
        }
        if let Some(disabled) = update.disabled {
            diesel::update(users::table.find(&key)).set(users::disabled.eq(disabled)).execute(conn)?;
        }
        if update.unlock == Some(true) {
            diesel::update(users::table.find(&key))
                .set((users::failed_logins.eq(0), users::locked_until.eq(None::<chrono::NaiveDateTime>)))
                .execute(conn)?;
        }
        if let Some(hash) = &password_hash {
            diesel::update(users::table.find(&key)).set(users::password_hash.eq(hash)).execute(conn)?;
        }
        audit::append(
            conn,
            actor,
            Entry {
                action: "user.update",
                target: format!("user:{key}"),
                detail: serde_json::json!({
                    "disabled": update.disabled,
                    "unlock": update.unlock,
                    "password_changed": password_hash.is_some(),
                }),
            },
        )?;
        let row: UserRow = users::table.find(&key).select(UserRow::as_select()).first(conn)?;
        Ok(row.to_api())
    })
}

pub fn create_api_key(db: &Database, actor: &Actor, new: api::NewApiKey) -> Result<api::CreatedApiKey, ApiError> {
    if new.label.trim().is_empty() {
        return Err(ApiError::field("label", "must not be empty"));
    }
    let user = find_user(db, new.user_id)
        .map_err(|_| ApiError::field("user_id", format!("no user {}", new.user_id)))?;
    if new.role > user.role() && user.role() != Role::Admin {
        return Err(ApiError::field("role", format!("a key cannot have more than its user's role ({})", user.role())));
    }
    let secret = auth::new_api_key_secret();
    let created = now();
    let row = ApiKeyRow {
        id: Uuid::new_v4().to_string(),
        user_id: user.id.clone(),
        role: new.role.as_str().to_owned(),
        label: new.label.trim().to_owned(),
        prefix: secret.chars().take(auth::API_KEY_PREFIX.len() + 6).collect(),
        key_hash: auth::hash_api_key(&secret),
        created_at: created,
        expires_at: new.expires_in_days.map(|d| created + chrono::Duration::days(i64::from(d))),
        revoked_at: None,
        last_used_at: None,
    };
    db.write(|conn| {
        diesel::insert_into(api_keys::table).values(&row).execute(conn)?;
        audit::append(
            conn,
            actor,
            Entry {
                action: "api_key.create",
                target: format!("api_key:{}", row.id),
                detail: serde_json::json!({ "user_id": row.user_id, "role": row.role, "label": row.label, "prefix": row.prefix }),
            },
        )
    })?;
    Ok(api::CreatedApiKey { key: row.to_api(), secret })
}

pub fn list_api_keys(db: &Database) -> Result<Vec<api::ApiKey>, ApiError> {
    db.read(|conn| {
        let rows: Vec<ApiKeyRow> = api_keys::table.select(ApiKeyRow::as_select()).order(api_keys::created_at.asc()).load(conn)?;
        Ok(rows.iter().map(ApiKeyRow::to_api).collect())
    })
}

pub fn revoke_api_key(db: &Database, actor: &Actor, id: Uuid) -> Result<api::ApiKey, ApiError> {
    let key = id.to_string();
    db.write(|conn| {
        let row: Option<ApiKeyRow> = api_keys::table.find(&key).select(ApiKeyRow::as_select()).first(conn).optional()?;
        let Some(row) = row else { return Err(ApiError::not_found(format!("no API key {id}"))) };
        if row.revoked_at.is_none() {
            diesel::update(api_keys::table.find(&key)).set(api_keys::revoked_at.eq(Some(now()))).execute(conn)?;
            audit::append(conn, actor, Entry { action: "api_key.revoke", target: format!("api_key:{key}"), detail: serde_json::json!({}) })?;
        }
        let row: ApiKeyRow = api_keys::table.find(&key).select(ApiKeyRow::as_select()).first(conn)?;
        Ok(row.to_api())
    })
}

/// A peer's API root: an https:// URL ending in `/`; plain http:// only
/// when allowed, and then only to a loopback host (never across a network).
fn check_api_root(api_root: &str, allow_insecure_http: bool) -> Result<(), String> {
    let url = reqwest::Url::parse(api_root).map_err(|e| format!("not a URL: {e}"))?;
    if !api_root.ends_with('/') {
        return Err("must end in `/` (a TAXII 2.1 API root)".to_owned());
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if !allow_insecure_http => Err(
            "must be an https:// URL; plain http:// needs allow_insecure_http, and only for a peer on a loopback address".to_owned(),
        ),
        "http" => {
            let host = url.host_str().unwrap_or("");
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(())
            } else {
                Err("allow_insecure_http is for a peer on a loopback address (127.0.0.0/8, ::1, localhost) only: anything else goes over TLS".to_owned())
            }
        }
        other => Err(format!("`{other}` is not https")),
    }
}

pub fn create_peer(
    db: &Database,
    rules: &Rules<'_>,
    actor: &Actor,
    new: api::NewPeer,
) -> Result<api::Peer, ApiError> {
    let mut errors = Vec::new();
    if new.name.trim().is_empty() {
        push(&mut errors, "name", "must not be empty");
    }
    if let Err(message) = check_api_root(&new.api_root, new.allow_insecure_http) {
        push(&mut errors, "api_root", message);
    }
    let basic_password = new.basic_password.clone().filter(|p| !p.is_empty());
    if new.basic_username.trim().is_empty() != basic_password.is_none() {
        push(&mut errors, "basic_password", "HTTP Basic needs both a user name and a password");
    }
    if !new.basic_username.trim().is_empty() && new.token.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        push(&mut errors, "token", "give a token or HTTP Basic credentials, not both");
    }
    let max_tlp = new.max_tlp.to_ascii_lowercase();
    if !matches!(max_tlp.as_str(), "clear" | "green" | "amber") {
        push(
            &mut errors,
            "max_tlp",
            "must be clear, green or amber: AMBER+STRICT and RED never leave this server",
        );
    }
    check_sectors(&mut errors, &new.sectors, rules.sector_ids);
    for (i, ours) in new.sector_map.values().enumerate() {
        if !rules.sector_ids.iter().any(|k| k == ours) {
            push(
                &mut errors,
                format!("sector_map[{i}]"),
                format!(
                    "unknown sector `{ours}`; known: {}",
                    rules.sector_ids.join(", ")
                ),
            );
        }
    }
    if let Err(message) = crate::federation::schedule::check(&new.schedule) {
        push(&mut errors, "schedule", message);
    }
    if new.client_cert_file.is_empty() != new.client_key_file.is_empty() {
        push(
            &mut errors,
            "client_key_file",
            "a client certificate needs its key, and a key its certificate",
        );
    }
    let fingerprint = match new
        .client_cert_sha256
        .as_deref()
        .map(crate::federation::auth::normalise_fingerprint)
    {
        Some(Ok(f)) => Some(f),
        Some(Err(message)) => {
            push(&mut errors, "client_cert_sha256", message);
            None
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let direction = match new.direction {
        api::PeerDirection::Pull => "pull",
        api::PeerDirection::Push => "push",
        api::PeerDirection::Both => "both",
    };
    let inbound_token = crate::federation::auth::new_peer_token();
    let row = PeerRow {
        id: Uuid::new_v4().to_string(),
        name: new.name.trim().to_owned(),
        api_root: new.api_root.clone(),
        direction: direction.to_owned(),
        max_tlp,
        sectors: json_list(&new.sectors),
        created_at: now(),
        server_id: new.server_id.trim().to_owned(),
        collections: json_list(&new.collections),
        push_collection: new.push_collection.trim().to_owned(),
        schedule: new.schedule.trim().to_owned(),
        sector_map: serde_json::to_string(&new.sector_map).unwrap_or_else(|_| "{}".to_owned()),
        ca_file: new.ca_file.clone(),
        client_cert_file: new.client_cert_file.clone(),
        client_key_file: new.client_key_file.clone(),
        outbound_token: new.token.clone().filter(|t| !t.trim().is_empty()),
        inbound_token_hash: Some(auth::hash_api_key(&inbound_token)),
        client_cert_sha256: fingerprint,
        basic_username: new.basic_username.trim().to_owned(),
        basic_password,
        allow_insecure_http: new.allow_insecure_http,
    };
    db.write(|conn| {
        let taken: i64 = peers::table.filter(peers::name.eq(&row.name)).count().get_result(conn)?;
        if taken > 0 {
            return Err(ApiError::field("name", format!("a peer named `{}` exists", row.name)));
        }
        diesel::insert_into(peers::table).values(&row).execute(conn)?;
        audit::append(
            conn,
            actor,
            Entry {
                action: "peer.create",
                target: format!("peer:{}", row.id),
                detail: serde_json::json!({ "name": row.name, "api_root": row.api_root, "direction": row.direction, "max_tlp": row.max_tlp }),
            },
        )
    })?;
    Ok(api::Peer {
        inbound_token: Some(inbound_token),
        ..row.to_api()
    })
}

pub fn update_peer(
    db: &Database,
    actor: &Actor,
    id: Uuid,
    update: api::PeerUpdate,
) -> Result<api::Peer, ApiError> {
    if let Some(schedule) = &update.schedule {
        crate::federation::schedule::check(schedule).map_err(|m| ApiError::field("schedule", m))?;
    }
    let fingerprint = match update
        .client_cert_sha256
        .as_deref()
        .map(crate::federation::auth::normalise_fingerprint)
    {
        Some(Ok(f)) => Some(f),
        Some(Err(message)) => return Err(ApiError::field("client_cert_sha256", message)),
        None => None,
    };
    let key = id.to_string();
    db.write(|conn| {
        let exists: i64 = peers::table
            .filter(peers::id.eq(&key))
            .count()
            .get_result(conn)?;
        if exists == 0 {
            return Err(ApiError::not_found(format!("no peer {id}")));
        }
        if let Some(token) = &update.token {
            let token = Some(token.clone()).filter(|t| !t.trim().is_empty());
            diesel::update(peers::table.find(&key))
                .set(peers::outbound_token.eq(token))
                .execute(conn)?;
        }
        if let Some(schedule) = &update.schedule {
            diesel::update(peers::table.find(&key))
                .set(peers::schedule.eq(schedule.trim()))
                .execute(conn)?;
        }
        if let Some(collections) = &update.collections {
            diesel::update(peers::table.find(&key))
                .set(peers::collections.eq(json_list(collections)))
                .execute(conn)?;
        }
        if let Some(f) = &fingerprint {
            diesel::update(peers::table.find(&key))
                .set(peers::client_cert_sha256.eq(Some(f)))
                .execute(conn)?;
        }
        if let Some(password) = &update.basic_password {
            let password = Some(password.clone()).filter(|p| !p.is_empty());
            diesel::update(peers::table.find(&key))
                .set(peers::basic_password.eq(password))
                .execute(conn)?;
        }
        audit::append(
            conn,
            actor,
            Entry {
                action: "peer.update",
                target: format!("peer:{key}"),
                detail: serde_json::json!({
                    "token_changed": update.token.is_some(),
                    "schedule": update.schedule,
                    "collections": update.collections,
                    "client_cert_sha256": fingerprint,
                }),
            },
        )?;
        let row: PeerRow = peers::table
            .find(&key)
            .select(PeerRow::as_select())
            .first(conn)?;
        Ok(row.to_api())
    })
}

pub fn list_peers(db: &Database) -> Result<Vec<api::Peer>, ApiError> {
    db.read(|conn| {
        let rows: Vec<PeerRow> = peers::table.select(PeerRow::as_select()).order(peers::name.asc()).load(conn)?;
        Ok(rows.iter().map(PeerRow::to_api).collect())
    })
}

/// How many member organisations share each sector: what k-anonymity counts
/// (a sector is shown only if at least `sharing.k_anonymity` share it). The
/// one count, used by the anonymiser at intake and by the liaison digests.
/// A member organisation is one with an operator: the organisations of
/// liaisons (a ministry names the sectors it oversees) or of staff are not
/// members and would otherwise make a sector look larger than it is.
pub fn members_per_sector(conn: &mut crate::db::DbConnection) -> Result<std::collections::BTreeMap<String, usize>, ApiError> {
    let members = member_organisations(conn)?;
    let lists: Vec<String> = organisations::table
        .filter(organisations::id.eq_any(members))
        .select(organisations::sectors)
        .load(conn)?;
    let mut counts = std::collections::BTreeMap::new();
    for list in lists {
        let sectors: std::collections::BTreeSet<String> = crate::db::parse_list(&list).into_iter().collect();
        for sector in sectors {
            *counts.entry(sector).or_insert(0) += 1;
        }
    }
    Ok(counts)
}

/// Ids of the member organisations: those with at least one operator.
pub fn member_organisations(conn: &mut crate::db::DbConnection) -> Result<std::collections::BTreeSet<String>, ApiError> {
    let ids: Vec<Option<String>> = users::table
        .filter(users::role.eq(Role::Operator.as_str()))
        .filter(users::organisation_id.is_not_null())
        .select(users::organisation_id)
        .distinct()
        .load(conn)?;
    Ok(ids.into_iter().flatten().collect())
}
