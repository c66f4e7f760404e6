//! Who is calling: passwords, login tokens, API keys, and the principal
//! every handler receives.
//!
//! Login tokens are short-lived JWTs naming a session row; the row makes them
//! revocable (logout, admin action). API keys are random, stored only as a
//! SHA-256 hash (they carry 256 bits of entropy, so a slow hash adds nothing),
//! bound to a role no higher than their user's.

use std::future::Future;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use isacx_schemas::api::{AuthMethod, Role};
use isacx_schemas::error::ErrorCode;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::Actor;
use crate::db::models::{ApiKeyRow, OrganisationRow, UserRow};
use crate::db::schema::{api_keys, organisations, server_secrets, sessions, users};
use crate::db::{now, parse_list, Database, DbConnection};
use crate::error::ApiError;

/// Prefix of every API key, so secret scanners and people recognise one.
pub const API_KEY_PREFIX: &str = "isacx_";
pub const API_KEY_HEADER: &str = "x-api-key";

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(ApiError::internal)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Burn the same time for an unknown user as for a wrong password, so a
/// login's timing does not reveal which usernames exist.
fn dummy_verify(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default());
    let _ = verify_password(password, hash);
}

pub fn check_password_strength(password: &str, min_len: usize) -> Result<(), ApiError> {
    if password.chars().count() < min_len {
        return Err(ApiError::field("password", format!("must be at least {min_len} characters")));
    }
    Ok(())
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    sid: String,
    role: Role,
    iss: String,
    iat: i64,
    exp: i64,
}

/// Signing keys for login tokens, shared by every server on one database.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
}

impl TokenKeys {
    /// Load the signing secret from the database, creating it on first start.
    pub fn load_or_create(db: &Database, issuer: &str) -> Result<TokenKeys, ApiError> {
        let secret = server_secret(db, "jwt_hs256")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(secret).map_err(ApiError::internal)?;
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(&bytes),
            decoding: DecodingKey::from_secret(&bytes),
            issuer: issuer.to_owned(),
        })
    }

    fn issue(&self, user: &UserRow, session_id: Uuid, expires_at: DateTime<Utc>) -> Result<String, ApiError> {
        let claims = Claims {
            sub: user.id.clone(),
            sid: session_id.to_string(),
            role: user.role(),
            iss: self.issuer.clone(),
            iat: Utc::now().timestamp(),
            exp: expires_at.timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(ApiError::internal)
    }

    fn decode(&self, token: &str) -> Result<Claims, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map(|d| d.claims).map_err(|e| {
            match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    ApiError::new(ErrorCode::TokenExpired, "the login token has expired; log in again")
                }
                _ => ApiError::new(ErrorCode::InvalidToken, "the token is not valid"),
            }
        })
    }
}

/// A random 256-bit secret shared by every server on the database, created
/// on first use (token signing key, anonymisation id namespace).
pub fn server_secret(db: &Database, name: &str) -> Result<String, ApiError> {
    db.write(|conn| {
        let existing: Option<String> =
            server_secrets::table.filter(server_secrets::name.eq(name)).select(server_secrets::value).first(conn).optional()?;
        if let Some(value) = existing {
            return Ok(value);
        }
        let mut bytes = [0_u8; 32];
        rand::fill(&mut bytes);
        let value = base64::engine::general_purpose::STANDARD.encode(bytes);
        diesel::insert_into(server_secrets::table)
            .values((server_secrets::name.eq(name), server_secrets::value.eq(&value), server_secrets::created_at.eq(now())))
            .execute(conn)?;
        Ok(value)
    })
}

/// Per-address login throttle, in front of the per-account lockout.
pub struct LoginThrottle {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginThrottle {
    pub fn per_minute(n: u32) -> LoginThrottle {
        let quota = Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        LoginThrottle { limiter: RateLimiter::keyed(quota) }
    }

    pub fn check(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            ApiError {
                retry_after_secs: Some(wait.as_secs().max(1)),
                ..ApiError::new(ErrorCode::RateLimited, "too many login attempts from this address; wait and retry")
            }
        })
    }
}

/// When this process last wrote each API key's `last_used_at`. A key is
/// written at most once per [`LastUsedWrites::INTERVAL`]: a committed write
/// (an fsync on SQLite) on every authenticated read would cost more than the
/// read, and "last used" to the minute is what an administrator needs.
#[derive(Default)]
pub struct LastUsedWrites {
    written: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

impl LastUsedWrites {
    pub const INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);
    const MAX: usize = 10_000;

    /// Whether the use of this key should be written now; if so it counts as written.
    fn due(&self, key_id: &str) -> bool {
        let Ok(mut written) = self.written.lock() else {
            return true;
        };
        if written.get(key_id).is_some_and(|at| at.elapsed() < Self::INTERVAL) {
            return false;
        }
        if written.len() >= Self::MAX {
            written.retain(|_, at| at.elapsed() < Self::INTERVAL);
        }
        written.insert(key_id.to_owned(), std::time::Instant::now());
        true
    }
}

/// Recently verified HTTP Basic credentials, so a paging TAXII client does
/// not pay for an Argon2 check on every request. Keyed by a hash of user name
/// and password; entries live [`BasicCache::TTL`]. Account state (disabled)
/// is still read from the database on every request.
pub struct BasicCache {
    entries: std::sync::Mutex<std::collections::HashMap<[u8; 32], (UserRow, std::time::Instant)>>,
    salt: [u8; 32],
}

impl Default for BasicCache {
    fn default() -> Self {
        let mut salt = [0_u8; 32];
        rand::fill(&mut salt);
        BasicCache { entries: Default::default(), salt }
    }
}

impl BasicCache {
    const TTL: std::time::Duration = std::time::Duration::from_secs(60);
    const MAX: usize = 10_000;

    fn key(&self, username: &str, password: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.salt);
        hasher.update(username.as_bytes());
        hasher.update([0]);
        hasher.update(password.as_bytes());
        hasher.finalize().into()
    }

    fn get(&self, key: &[u8; 32]) -> Option<UserRow> {
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|(_, at)| at.elapsed() < Self::TTL).map(|(user, _)| user.clone())
    }

    fn put(&self, key: [u8; 32], user: UserRow) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::MAX {
                entries.retain(|_, (_, at)| at.elapsed() < Self::TTL);
            }
            entries.insert(key, (user, std::time::Instant::now()));
        }
    }
}

/// The authenticated caller, as every handler sees it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    /// Effective role: the user's, or the API key's (never higher).
    pub role: Role,
    pub organisation: Option<OrganisationRow>,
    pub method: AuthMethod,
    pub session_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    pub expires_at: Option<DateTime<Utc>>,
    pub client_ip: Option<String>,
}

impl Principal {
    /// The role check every route makes.
    pub fn require(&self, allowed: &[Role]) -> Result<(), ApiError> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
            Err(ApiError::forbidden(format!("this needs the role {}; you are {}", names.join(" or "), self.role)))
        }
    }

    pub fn actor(&self) -> Actor {
        Actor { label: format!("user:{}:{}", self.user_id, self.username), source_ip: self.client_ip.clone() }
    }

    pub fn organisation_sectors(&self) -> Vec<String> {
        self.organisation.as_ref().map(|o| parse_list(&o.sectors)).unwrap_or_default()
    }
}

/// Credentials found on a request.
enum Credentials {
    Bearer(String),
    ApiKey(String),
    Basic { username: String, password: String },
}

fn credentials(req: &HttpRequest) -> Result<Option<Credentials>, ApiError> {
    if let Some(key) = req.headers().get(API_KEY_HEADER) {
        let key = key.to_str().map_err(|_| ApiError::new(ErrorCode::InvalidToken, "the API key header is not ASCII"))?;
        return Ok(Some(Credentials::ApiKey(key.trim().to_owned())));
    }
    let Some(value) = req.headers().get(header::AUTHORIZATION) else { return Ok(None) };
    let value = value.to_str().map_err(|_| ApiError::new(ErrorCode::InvalidToken, "the Authorization header is not ASCII"))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        if rest.starts_with(API_KEY_PREFIX) {
            return Ok(Some(Credentials::ApiKey(rest.to_owned())));
        }
        return Ok(Some(Credentials::Bearer(rest.to_owned())));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidToken, "the Basic credentials are not valid base64 UTF-8"))?;
        let (username, password) = decoded
            .split_once(':')
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidToken, "the Basic credentials lack a colon"))?;
        return Ok(Some(Credentials::Basic { username: username.to_owned(), password: password.to_owned() }));
    }
    Err(ApiError::new(ErrorCode::InvalidToken, format!("unsupported authorization scheme `{scheme}`")))
}

pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|a| a.ip())
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Principal, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let creds = credentials(req);
        let ip = client_ip(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let creds = creds?.ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "log in or send an API key"))?;
            authenticate(state.into_inner(), creds, ip).await
        })
    }
}

async fn authenticate(state: Arc<AppState>, creds: Credentials, ip: Option<IpAddr>) -> Result<Principal, ApiError> {
    let client_ip = ip.map(|i| i.to_string());
    let mut principal = match creds {
        Credentials::Bearer(token) => {
            let claims = state.tokens.decode(&token)?;
            let db = state.db.clone();
            crate::db::blocking(move || db.read(|conn| principal_from_session(conn, &claims))).await?
        }
        Credentials::ApiKey(key) => {
            let state = state.clone();
            crate::db::blocking(move || state.db.read(|conn| principal_from_api_key(conn, &key, &state.api_key_last_used))).await?
        }
        Credentials::Basic { username, password } => {
            if password.starts_with(API_KEY_PREFIX) {
                // TAXII clients can only send Basic: the key may stand in for the password.
                let state = state.clone();
                let p = crate::db::blocking(move || state.db.read(|conn| principal_from_api_key(conn, &password, &state.api_key_last_used)))
                    .await?;
                if p.username != username {
                    return Err(ApiError::new(ErrorCode::InvalidCredentials, "user name or password is wrong"));
                }
                p
            } else {
                // TAXII clients send Basic on every request: verified logins are
                // remembered briefly, and only failures count against the
                // address's login budget (the account lockout still applies).
                let cache_key = state.basic_cache.key(&username, &password);
                let user = match state.basic_cache.get(&cache_key) {
                    Some(user) => user,
                    None => match verify_login(state.clone(), username, password, client_ip.clone()).await {
                        Ok((user, ())) => {
                            state.basic_cache.put(cache_key, user.clone());
                            user
                        }
                        Err(e) => {
                            if let Some(ip) = ip {
                                state.login_throttle.check(ip)?;
                            }
                            return Err(e);
                        }
                    },
                };
                let db = state.db.clone();
                crate::db::blocking(move || {
                    db.read(|conn| {
                        let fresh: UserRow = users::table.find(&user.id).select(UserRow::as_select()).first(conn)?;
                        principal_for_user(conn, fresh, AuthMethod::Session, None, None, None)
                    })
                })
                .await?
            }
        }
    };
    principal.client_ip = client_ip;
    Ok(principal)
}

fn load_org(conn: &mut DbConnection, id: Option<&str>) -> Result<Option<OrganisationRow>, ApiError> {
    match id {
        Some(id) => {
            Ok(organisations::table.find(id).select(OrganisationRow::as_select()).first(conn).optional()?)
        }
        None => Ok(None),
    }
}

fn principal_for_user(
    conn: &mut DbConnection,
    user: UserRow,
    method: AuthMethod,
    session_id: Option<Uuid>,
    api_key: Option<&ApiKeyRow>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Principal, ApiError> {
    if user.disabled {
        return Err(ApiError::new(ErrorCode::AccountDisabled, "this account is disabled"));
    }
    let organisation = load_org(conn, user.organisation_id.as_deref())?;
    // An API key never grants more than its user has now.
    let role = match api_key {
        Some(key) if key.role() <= user.role() || user.role() == Role::Admin => key.role(),
        Some(_) => user.role().min(Role::Operator),
        None => user.role(),
    };
    Ok(Principal {
        user_id: crate::db::models::parse_uuid(&user.id),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role,
        organisation,
        method,
        session_id,
        api_key_id: api_key.map(|k| crate::db::models::parse_uuid(&k.id)),
        expires_at,
        client_ip: None,
    })
}

fn principal_from_session(conn: &mut DbConnection, claims: &Claims) -> Result<Principal, ApiError> {
    let session: Option<(String, Option<chrono::NaiveDateTime>, chrono::NaiveDateTime)> = sessions::table
        .find(&claims.sid)
        .select((sessions::user_id, sessions::revoked_at, sessions::expires_at))
        .first(conn)
        .optional()?;
    let Some((user_id, revoked_at, expires_at)) = session else {
        return Err(ApiError::new(ErrorCode::InvalidToken, "the token names no session"));
    };
    if user_id != claims.sub {
        return Err(ApiError::new(ErrorCode::InvalidToken, "the token does not match its session"));
    }
    if revoked_at.is_some() {
        return Err(ApiError::new(ErrorCode::TokenRevoked, "this session was ended; log in again"));
    }
    if expires_at <= now() {
        return Err(ApiError::new(ErrorCode::TokenExpired, "the login token has expired; log in again"));
    }
    let user: UserRow = users::table.find(&user_id).select(UserRow::as_select()).first(conn)?;
    let session_id = Uuid::parse_str(&claims.sid).ok();
    principal_for_user(conn, user, AuthMethod::Session, session_id, None, Some(expires_at.and_utc()))
}

pub fn hash_api_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn new_api_key_secret() -> String {
    format!("{API_KEY_PREFIX}{}", Alphanumeric.sample_string(&mut rand::rng(), 43))
}

fn principal_from_api_key(conn: &mut DbConnection, secret: &str, last_used: &LastUsedWrites) -> Result<Principal, ApiError> {
    let hash = hash_api_key(secret);
    let key: Option<ApiKeyRow> =
        api_keys::table.filter(api_keys::key_hash.eq(&hash)).select(ApiKeyRow::as_select()).first(conn).optional()?;
    let Some(key) = key else {
        return Err(ApiError::new(ErrorCode::InvalidToken, "unknown API key"));
    };
    if key.revoked_at.is_some() {
        return Err(ApiError::new(ErrorCode::TokenRevoked, "this API key was revoked"));
    }
    if key.expires_at.is_some_and(|t| t <= now()) {
        return Err(ApiError::new(ErrorCode::TokenExpired, "this API key has expired"));
    }
    let user: UserRow = users::table.find(&key.user_id).select(UserRow::as_select()).first(conn)?;
    if last_used.due(&key.id) {
        // Best effort: a failed timestamp update must not fail the request.
        let _ = diesel::update(api_keys::table.find(&key.id)).set(api_keys::last_used_at.eq(now())).execute(conn);
    }
    let expires_at = key.expires_at.map(|t| t.and_utc());
    principal_for_user(conn, user, AuthMethod::ApiKey, None, Some(&key), expires_at)
}

/// Check a username and password, applying lockout. Returns the user and
/// whether the account was just locked.
pub async fn verify_login(
    state: Arc<AppState>,
    username: String,
    password: String,
    client_ip: Option<String>,
) -> Result<(UserRow, ()), ApiError> {
    let db = state.db.clone();
    let auth = state.settings.auth.clone();
    crate::db::blocking(move || {
        let user: Option<UserRow> = db.read(|conn| {
            Ok(users::table.filter(users::username.eq(&username)).select(UserRow::as_select()).first(conn).optional()?)
        })?;
        let Some(user) = user else {
            dummy_verify(&password);
            return Err(ApiError::new(ErrorCode::InvalidCredentials, "user name or password is wrong"));
        };
        if let Some(until) = user.locked_until.filter(|t| *t > now()) {
            return Err(ApiError {
                locked_until: Some(until.and_utc()),
                ..ApiError::new(ErrorCode::AccountLocked, "too many failed logins; the account is locked for now")
            });
        }
        if verify_password(&password, &user.password_hash) {
            if user.disabled {
                return Err(ApiError::new(ErrorCode::AccountDisabled, "this account is disabled"));
            }
            if user.failed_logins != 0 || user.locked_until.is_some() {
                db.write(|conn| {
                    diesel::update(users::table.find(&user.id))
                        .set((users::failed_logins.eq(0), users::locked_until.eq(None::<chrono::NaiveDateTime>)))
                        .execute(conn)?;
                    Ok(())
                })?;
            }
            return Ok((user, ()));
        }
        let actor = Actor { label: format!("login:{}", user.username), source_ip: client_ip };
        let locked = db.write(|conn| {
            let failures: i32 = users::table.find(&user.id).select(users::failed_logins).first(conn)?;
            let failures = failures + 1;
            if failures as u32 >= auth.lockout_threshold {
                let until = now() + Duration::minutes(i64::from(auth.lockout_minutes));
                diesel::update(users::table.find(&user.id))
                    .set((users::failed_logins.eq(0), users::locked_until.eq(Some(until))))
                    .execute(conn)?;
                crate::audit::append(
                    conn,
                    &actor,
                    crate::audit::Entry {
                        action: "user.locked",
                        target: format!("user:{}", user.id),
                        detail: serde_json::json!({ "failed_logins": failures, "locked_until": until.and_utc() }),
                    },
                )?;
                Ok(Some(until))
            } else {
                diesel::update(users::table.find(&user.id)).set(users::failed_logins.eq(failures)).execute(conn)?;
                Ok(None)
            }
        })?;
        match locked {
            Some(until) => Err(ApiError {
                locked_until: Some(until.and_utc()),
                ..ApiError::new(ErrorCode::AccountLocked, "too many failed logins; the account is now locked")
            }),
            None => Err(ApiError::new(ErrorCode::InvalidCredentials, "user name or password is wrong")),
        }
    })
    .await
}

/// Create a session row and its token.
pub fn open_session(
    db: &Database,
    tokens: &TokenKeys,
    user: &UserRow,
    ttl_minutes: u32,
    client_ip: Option<String>,
) -> Result<(String, Uuid, DateTime<Utc>), ApiError> {
    let session_id = Uuid::new_v4();
    let created = now();
    let expires = created + Duration::minutes(i64::from(ttl_minutes));
    let actor = Actor { label: format!("user:{}:{}", user.id, user.username), source_ip: client_ip.clone() };
    db.write(|conn| {
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(session_id.to_string()),
                sessions::user_id.eq(&user.id),
                sessions::created_at.eq(created),
                sessions::expires_at.eq(expires),
                sessions::client_ip.eq(&client_ip),
            ))
            .execute(conn)?;
        crate::audit::append(
            conn,
            &actor,
            crate::audit::Entry {
                action: "session.open",
                target: format!("session:{session_id}"),
                detail: serde_json::json!({ "expires_at": expires.and_utc() }),
            },
        )
    })?;
    let token = tokens.issue(user, session_id, expires.and_utc())?;
    Ok((token, session_id, expires.and_utc()))
}

pub fn revoke_session(db: &Database, principal: &Principal) -> Result<(), ApiError> {
    let Some(session_id) = principal.session_id else {
        return Err(ApiError::malformed("only a login session can be logged out; revoke API keys through the admin API"));
    };
    let actor = principal.actor();
    db.write(|conn| {
        diesel::update(sessions::table.find(session_id.to_string()))
            .set(sessions::revoked_at.eq(Some(now())))
            .execute(conn)?;
        crate::audit::append(
            conn,
            &actor,
            crate::audit::Entry { action: "session.close", target: format!("session:{session_id}"), detail: serde_json::json!({}) },
        )
    })
}

/// The roles a route admits, as a type, so the check runs while extracting
/// the request — before the body is even parsed.
pub trait Allowed {
    const ROLES: &'static [Role];
}

/// Admins only.
pub struct AdminOnly;
impl Allowed for AdminOnly {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// Analysts and admins: the sharing body's staff.
pub struct Curators;
impl Allowed for Curators {
    const ROLES: &'static [Role] = &[Role::Analyst, Role::Admin];
}

/// Operators of member organisations.
pub struct Operators;
impl Allowed for Operators {
    const ROLES: &'static [Role] = &[Role::Operator];
}

/// Everyone who handles reports: operators, analysts, admins.
pub struct ReportHandlers;
impl Allowed for ReportHandlers {
    const ROLES: &'static [Role] = &[Role::Operator, Role::Analyst, Role::Admin];
}

/// Any authenticated user.
pub struct AnyRole;
impl Allowed for AnyRole {
    const ROLES: &'static [Role] = &Role::ALL;
}

/// A principal whose role the route admits.
pub struct Authorized<A: Allowed> {
    pub principal: Principal,
    _roles: std::marker::PhantomData<A>,
}

impl<A: Allowed> std::ops::Deref for Authorized<A> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<A: Allowed + 'static> FromRequest for Authorized<A> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Authorized<A>, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // A scope guard (`require_role`) may have authenticated already.
        let cached = req.extensions().get::<Principal>().cloned();
        let principal = Principal::from_request(req, payload);
        Box::pin(async move {
            if let Some(principal) = cached {
                principal.require(A::ROLES)?;
                return Ok(Authorized { principal, _roles: std::marker::PhantomData });
            }
            let principal = principal.await?;
            principal.require(A::ROLES)?;
            Ok(Authorized { principal, _roles: std::marker::PhantomData })
        })
    }
}

/// Scope guard: authenticate and check the role before anything else about
/// the request is looked at, so a caller without the role learns nothing
/// from body validation errors.
pub async fn require_role<A: Allowed + 'static>(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody + 'static>, actix_web::Error> {
    let (http, mut payload) = req.into_parts();
    match Authorized::<A>::from_request(&http, &mut payload).await {
        Ok(authorized) => {
            http.extensions_mut().insert(authorized.principal);
            let req = actix_web::dev::ServiceRequest::from_parts(http, payload);
            next.call(req).await.map(actix_web::dev::ServiceResponse::map_into_left_body)
        }
        // Answered here, inside the request-id scope, so the body names the request.
        Err(e) => Ok(actix_web::dev::ServiceResponse::from_err(e, http).map_into_right_body()),
    }
}
