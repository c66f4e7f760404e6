//! Objects coming in from a peer, pulled or pushed: provenance, loop and hop
//! checks, TLP and scope, sector mapping, then the shared store.

use std::collections::BTreeMap;

use actix_web::guard::{Guard, GuardContext};
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use isacx_schemas::stix::{object_from_json, StixId};
use isacx_schemas::taxii::{
    self, Status, StatusDetails, StatusKind, TaxiiTimestamp, TAXII_MEDIA_TYPE,
};
use isacx_schemas::tlp::Tlp;
use serde_json::Value;
use uuid::Uuid;

use super::provenance::{self, Provenance};
use super::{actor, auth, peers_on, state, PageCounts};
use crate::advisories::import;
use crate::app::AppState;
use crate::audit::{self, Entry};
use crate::db::models::PeerRow;
use crate::error::ApiError;
use crate::policy::SCOPE_EXTENSION_ID;
use crate::store::{self, Incoming, Outcome};
use crate::taxii::collections::{self, Kind};
use crate::taxii::error::TaxiiApiError;

/// Why an object from a peer was not taken in.
fn refusal(
    object: &mut Value,
    own: &str,
    sender: &str,
    hop_limit: usize,
    sector_map: &BTreeMap<String, String>,
) -> Result<Provenance, String> {
    let carried = provenance::read(object);
    if carried
        .as_ref()
        .is_some_and(|p| p.origin == own || p.hops.iter().any(|h| h == own))
    {
        return Err(
            "this server is already on the object's hop list: it came round a cycle".to_owned(),
        );
    }
    let provenance = provenance::received_from(carried, sender);
    if provenance.hops.len() > hop_limit {
        return Err(format!(
            "the object has passed through {} servers; the hop limit is {hop_limit}",
            provenance.hops.len()
        ));
    }
    if !sector_map.is_empty() {
        if let Some(sectors) = object
            .pointer_mut(&format!("/extensions/{SCOPE_EXTENSION_ID}/sectors"))
            .and_then(Value::as_array_mut)
        {
            for s in sectors.iter_mut() {
                if let Some(ours) = s.as_str().and_then(|theirs| sector_map.get(theirs)) {
                    *s = Value::String(ours.clone());
                }
            }
        }
    }
    provenance::stamp(object, &provenance);
    Ok(provenance)
}

/// Check, convert and store objects from `peer` in one transaction; with a
/// cursor, move it in the same transaction (durable together or not at all).
pub fn store_page(
    state: &AppState,
    peer: &PeerRow,
    objects: Vec<Value>,
    cursor: Option<(&str, &str)>,
    bytes: u64,
) -> Result<PageCounts, ApiError> {
    let (counts, _) = store_objects(state, peer, objects, cursor, bytes)?;
    Ok(counts)
}

type Detail = (String, String, Option<String>);
/// An object that passed the checks: (id, version, what to store, hops, the advisory it carries).
type Accepted = (String, String, Incoming, Vec<String>, Option<import::Imported>);
/// Per object: (id, version, message) of what was stored and what was refused.
type Details = (Vec<Detail>, Vec<Detail>);

fn store_objects(
    state: &AppState,
    peer: &PeerRow,
    objects: Vec<Value>,
    cursor: Option<(&str, &str)>,
    bytes: u64,
) -> Result<(PageCounts, Details), ApiError> {
    let settings = &state.settings;
    let own = settings.identity.server_id.as_str();
    let sender = if peer.server_id.is_empty() {
        peer.name.as_str()
    } else {
        peer.server_id.as_str()
    };
    let sector_map: BTreeMap<String, String> =
        serde_json::from_str(&peer.sector_map).unwrap_or_default();
    let all_sectors = collections::layout(&state.sectors, false)
        .into_iter()
        .find(|d| d.kind == Kind::AllSectors)
        .ok_or_else(|| {
            ApiError::internal("the all-sectors collection is missing from the layout")
        })?;
    let default_tlp = settings.sharing.default_tlp();
    let peer_id = Uuid::parse_str(&peer.id).unwrap_or_default();
    let mut counts = PageCounts::default();
    let mut failures: Vec<Detail> = Vec::new();
    let mut accepted: Vec<Accepted> = Vec::new();
    for (i, mut raw) in objects.into_iter().enumerate() {
        let id = raw
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let version = raw
            .get("modified")
            .or_else(|| raw.get("created"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let checked = refusal(
            &mut raw,
            own,
            sender,
            settings.federation.hop_limit,
            &sector_map,
        )
        .and_then(|provenance| {
            // An advisory report is kept as JSON too, to become a local advisory once stored.
            let advisory_json = import::is_advisory(&raw).then(|| raw.clone());
            let object = object_from_json(raw).map_err(|errors| {
                format!(
                    "objects[{i}]: {}",
                    errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?;
            if object.spec_version().is_some_and(|v| v != "2.1") {
                return Err("only STIX 2.1 is accepted".to_owned());
            }
            if matches!(Tlp::of_object(&object), Some(Tlp::AmberStrict | Tlp::Red)) {
                return Err(
                    "TLP:RED and TLP:AMBER+STRICT never travel between servers; refused".to_owned(),
                );
            }
            let access =
                crate::taxii::handlers::incoming_access(&object, &all_sectors, default_tlp)?;
            let advisory = advisory_json
                .map(|json| import::parse(&json, &access, &provenance.origin, &sector_map))
                .transpose()?;
            Ok((Incoming { object, access }, provenance.hops, advisory))
        });
        match checked {
            Ok((item, hops, advisory)) => accepted.push((id, version, item, hops, advisory)),
            Err(message) => failures.push((id, version, Some(message))),
        }
    }
    counts.refused = failures.len() as u64;
    let mut successes: Vec<Detail> = Vec::new();
    state.db.write(|conn| {
        let mut items = Vec::with_capacity(accepted.len());
        let mut keys = Vec::with_capacity(accepted.len());
        let mut known: BTreeMap<Vec<String>, std::collections::BTreeSet<Uuid>> = BTreeMap::new();
        let mut advisories = Vec::with_capacity(accepted.len());
        for (id, version, mut item, hops, advisory) in accepted {
            if let Some(imported) = &advisory {
                if let Err(message) = import::check_owner(conn, &imported.stix_id, &imported.origin)? {
                    counts.refused += 1;
                    failures.push((id, version, Some(message)));
                    continue;
                }
            }
            let on = match known.get(&hops) {
                Some(set) => set.clone(),
                None => {
                    let set = peers_on(conn, &hops)?;
                    known.insert(hops.clone(), set.clone());
                    set
                }
            };
            item.access.hops.extend(on);
            item.access.hops.insert(peer_id);
            keys.push((id, version));
            items.push(item);
            advisories.push(advisory);
        }
        let outcomes = store::ingest(conn, items)?;
        for (((id, version), outcome), advisory) in keys.into_iter().zip(outcomes).zip(advisories) {
            match outcome {
                Outcome::Added { .. } => {
                    if let Some(imported) = advisory {
                        // Matched, tasks opened and members notified in this transaction, as for a local publication.
                        import::apply(state, conn, &actor(peer), imported)?;
                    }
                    counts.added += 1;
                    successes.push((id, version, None));
                }
                Outcome::Duplicate => {
                    counts.duplicates += 1;
                    successes.push((id, version, Some("already stored".to_owned())));
                }
                Outcome::Rejected(message) => {
                    counts.refused += 1;
                    failures.push((id, version, Some(message)));
                }
            }
        }
        if let Some((collection, position)) = cursor {
            state::set_cursor(conn, &peer.id, collection, position)?;
        }
        state::count_received(conn, &peer.id, counts.added as i64, bytes as i64)?;
        audit::append(
            conn,
            &actor(peer),
            Entry {
                action: if cursor.is_some() { "federation.pull" } else { "federation.receive" },
                target: format!("peer:{}", peer.id),
                detail: serde_json::json!({
                    "collection": cursor.map(|c| c.0),
                    "added": counts.added, "duplicates": counts.duplicates, "refused": counts.refused,
                }),
            },
        )
    })?;
    Ok((counts, (successes, failures)))
}

/// Matches requests that carry peer credentials (a peer token, or a client
/// certificate with no other credentials), so peers' POSTs reach
/// [`receive`] and everyone else's go to the TAXII handlers.
pub struct PeerCredentials;

impl Guard for PeerCredentials {
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        let head = ctx.head();
        let bearer_peer = head
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .is_some_and(|(scheme, rest)| {
                scheme.eq_ignore_ascii_case("bearer")
                    && rest.trim().starts_with(auth::PEER_TOKEN_PREFIX)
            });
        let other_credentials = head.headers().contains_key(header::AUTHORIZATION)
            || head.headers().contains_key(crate::auth::API_KEY_HEADER);
        bearer_peer
            || (!other_credentials && ctx.req_data().get::<auth::ClientCertificate>().is_some())
    }
}

/// The peer calling, from its token or client certificate.
pub struct CallingPeer(pub PeerRow);

impl FromRequest for CallingPeer {
    type Error = TaxiiApiError;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<CallingPeer, TaxiiApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        let credential = auth::peer_credential(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(credential), Some(state)) = (credential, state) else {
                return Err(TaxiiApiError::from(ApiError::new(
                    isacx_schemas::error::ErrorCode::Unauthenticated,
                    "peer credentials are required",
                )));
            };
            let state = state.into_inner();
            let peer = crate::db::blocking(move || auth::find_peer(&state.db, &credential))
                .await
                .map_err(TaxiiApiError::from)?;
            Ok(CallingPeer(peer))
        })
    }
}

/// `POST …/collections/{id}/objects/` from a peer: a push. The peer's
/// objects go through [`store_objects`] like pulled ones; the answer is a
/// complete TAXII status (nothing is left pending).
pub async fn receive(
    req: HttpRequest,
    state: web::Data<AppState>,
    peer: CallingPeer,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, TaxiiApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !taxii::is_acceptable_taxii_media_type(content_type) {
        return Err(TaxiiApiError::unsupported_media_type());
    }
    let cid = path.into_inner();
    let defs = collections::layout(&state.sectors, state.settings.taxii.public_collection);
    if !defs
        .iter()
        .any(|d| (d.id == cid || d.alias == cid) && d.kind != Kind::Public)
    {
        return Err(TaxiiApiError::not_found(
            "no such collection (peers push to a sector collection or all-sectors)",
        ));
    }
    let state = state.into_inner();
    let peer = peer.0;
    let bytes = body.len() as u64;
    let status = crate::db::blocking(move || {
        let envelope: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::field("body", format!("not JSON: {e}")))?;
        let objects = match envelope.get("objects") {
            Some(Value::Array(items)) if !items.is_empty() => items.clone(),
            _ => {
                return Err(ApiError::field(
                    "objects",
                    "an envelope with a non-empty `objects` list is required",
                ))
            }
        };
        let total = objects.len() as u64;
        let (_, (successes, failures)) = store_objects(&state, &peer, objects, None, bytes)?;
        let details = |list: &[Detail]| -> Vec<StatusDetails> {
            list.iter()
                .map(|(id, v, m)| StatusDetails {
                    id: StixId::from(id.as_str()),
                    version: v.clone(),
                    message: m.clone(),
                })
                .collect()
        };
        Ok(Status {
            id: Uuid::new_v4().to_string(),
            status: StatusKind::Complete,
            request_timestamp: Some(TaxiiTimestamp::now()),
            total_count: total,
            success_count: successes.len() as u64,
            failure_count: failures.len() as u64,
            pending_count: 0,
            successes: details(&successes),
            failures: details(&failures),
            pendings: Vec::new(),
        })
    })
    .await
    .map_err(|e| match e.code {
        isacx_schemas::error::ErrorCode::ValidationFailed => TaxiiApiError::unprocessable(e.detail),
        _ => TaxiiApiError::from(e),
    })?;
    Ok(HttpResponse::Accepted()
        .content_type(TAXII_MEDIA_TYPE)
        .body(serde_json::to_string(&status).unwrap_or_default()))
}

/// Mount the peer push route ahead of the TAXII service.
pub fn configure(cfg: &mut web::ServiceConfig, max_content_length: usize) {
    cfg.service(
        web::resource("/taxii2/api/collections/{cid}/objects/")
            .guard(actix_web::guard::Post())
            .guard(PeerCredentials)
            .app_data(web::PayloadConfig::new(max_content_length))
            .route(web::post().to(receive)),
    );
}
