//! How a peer proves who it is to this server: a peer token (issued when the
//! peer is registered, stored only as a hash) or a TLS client certificate
//! whose SHA-256 is registered with the peer (mutual TLS). Either maps the
//! request to the [`Viewer::Peer`] principal, so the peer's TAXII reads and
//! writes run through the same policy as everyone else's.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest};
use diesel::prelude::*;
use isacx_schemas::tlp::Tlp;
use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::models::PeerRow;
use crate::db::schema::peers;
use crate::db::{parse_list, Database};
use crate::error::ApiError;
use crate::policy::Viewer;

/// Prefix of peer tokens. Unlike API keys (`isacx_`), a peer token names a
/// server, not a user.
pub const PEER_TOKEN_PREFIX: &str = "isacxpeer_";

pub fn new_peer_token() -> String {
    format!(
        "{PEER_TOKEN_PREFIX}{}",
        Alphanumeric.sample_string(&mut rand::rng(), 43)
    )
}

/// Lower-case hex without separators; refuses anything but 32 bytes.
pub fn normalise_fingerprint(text: &str) -> Result<String, String> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' '))
        .collect::<String>()
        .to_ascii_lowercase();
    if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err("must be the SHA-256 of the certificate (DER) as 64 hex digits".to_owned())
    }
}

/// SHA-256 (hex) of a DER certificate.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// The TLS client certificate the connection presented, put there by the
/// server's `on_connect` hook (see [`crate::federation::tls`]).
#[derive(Debug, Clone)]
pub struct ClientCertificate {
    pub sha256: String,
}

/// The peer token on a request, if it carries one.
pub fn peer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && rest.starts_with(PEER_TOKEN_PREFIX))
        .then(|| rest.to_owned())
}

/// How the request claims to be a peer: a token, or else a client certificate
/// (a request with other credentials is a user's, whatever certificate it has).
pub enum PeerCredential {
    Token(String),
    Certificate(String),
}

pub fn peer_credential(req: &HttpRequest) -> Option<PeerCredential> {
    if let Some(token) = peer_token(req) {
        return Some(PeerCredential::Token(token));
    }
    if req.headers().contains_key(header::AUTHORIZATION)
        || req.headers().contains_key(crate::auth::API_KEY_HEADER)
    {
        return None;
    }
    req.conn_data::<ClientCertificate>()
        .map(|c| PeerCredential::Certificate(c.sha256.clone()))
        .or_else(|| {
            req.extensions()
                .get::<ClientCertificate>()
                .map(|c| PeerCredential::Certificate(c.sha256.clone()))
        })
}

/// The peer these credentials belong to; a token or certificate that names
/// no peer is refused.
pub fn find_peer(db: &Database, credential: &PeerCredential) -> Result<PeerRow, ApiError> {
    db.read(|conn| {
        let found: Option<PeerRow> = match credential {
            PeerCredential::Token(token) => peers::table
                .filter(peers::inbound_token_hash.eq(crate::auth::hash_api_key(token)))
                .select(PeerRow::as_select())
                .first(conn)
                .optional()?,
            PeerCredential::Certificate(sha256) => peers::table
                .filter(peers::client_cert_sha256.eq(sha256))
                .select(PeerRow::as_select())
                .first(conn)
                .optional()?,
        };
        found.ok_or_else(|| {
            ApiError::new(
                isacx_schemas::error::ErrorCode::InvalidToken,
                "the peer credentials name no registered peer",
            )
        })
    })
}

/// The viewer a request with peer credentials reads as. A registered token
/// or certificate gives its peer; an unknown token is refused; an unknown
/// certificate (with no other credentials) reads as anonymous, so clients
/// that happen to present one still see the public collection.
pub async fn peer_viewer(
    state: Option<actix_web::web::Data<crate::app::AppState>>,
    credential: PeerCredential,
) -> Result<Viewer, ApiError> {
    let state = state
        .ok_or_else(|| ApiError::internal("application state missing"))?
        .into_inner();
    let is_certificate = matches!(credential, PeerCredential::Certificate(_));
    match crate::db::blocking(move || find_peer(&state.db, &credential)).await {
        Ok(peer) => Ok(viewer(&peer)),
        Err(e) if is_certificate && e.code == isacx_schemas::error::ErrorCode::InvalidToken => {
            Ok(Viewer::Anonymous)
        }
        Err(e) => Err(e),
    }
}

/// The policy principal of a peer.
pub fn viewer(peer: &PeerRow) -> Viewer {
    Viewer::Peer {
        id: Uuid::parse_str(&peer.id).unwrap_or_default(),
        // An unreadable ceiling is the lowest, never the highest.
        max_tlp: peer.max_tlp.parse().unwrap_or(Tlp::Clear),
        sectors: parse_list(&peer.sectors).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_normalised() {
        let hex = "AB:".repeat(31) + "AB";
        assert_eq!(normalise_fingerprint(&hex).unwrap(), "ab".repeat(32));
        assert!(normalise_fingerprint("abcd").is_err());
        assert!(new_peer_token().starts_with(PEER_TOKEN_PREFIX));
        assert!(
            !new_peer_token().starts_with(crate::auth::API_KEY_PREFIX),
            "API-key parsing must not claim peer tokens"
        );
    }
}
