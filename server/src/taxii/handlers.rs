//! TAXII 2.1 endpoints.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use base64::Engine;
use isacx_schemas::api::Role;
use isacx_schemas::stix::{object_from_json, StixObject};
use isacx_schemas::taxii::{
    self, ApiRoot, Collection, Collections, Discovery, ManifestRecord, Status, StatusDetails, StatusKind, TaxiiTimestamp,
    Versions, STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE,
};
use isacx_schemas::tlp::Tlp;
use serde_json::Value;
use uuid::Uuid;

use super::collections::{self, CollectionDef, Kind};
use super::error::TaxiiApiError;
use crate::app::AppState;
use crate::auth::Principal;
use crate::policy::{Access, Audience, Viewer, ALL_SECTORS, SCOPE_EXTENSION_ID};
use crate::store::{self, Incoming, Outcome, Query, VersionFilter};

type Result<T> = std::result::Result<T, TaxiiApiError>;

/// The caller: anonymous when no credentials are sent (the public
/// collection), else the authenticated principal — bad credentials are refused.
pub struct Caller {
    pub viewer: Viewer,
    pub principal: Option<Principal>,
}

impl FromRequest for Caller {
    type Error = TaxiiApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Peers (token or client certificate) read as the peer principal.
        if let Some(credential) = crate::federation::auth::peer_credential(req) {
            let state = req.app_data::<web::Data<AppState>>().cloned();
            return Box::pin(async move {
                let viewer = crate::federation::auth::peer_viewer(state, credential).await.map_err(TaxiiApiError::from)?;
                Ok(Caller { viewer, principal: None })
            });
        }
        let has_credentials =
            req.headers().contains_key(header::AUTHORIZATION) || req.headers().contains_key(crate::auth::API_KEY_HEADER);
        let principal = has_credentials.then(|| Principal::from_request(req, payload));
        Box::pin(async move {
            match principal {
                None => Ok(Caller { viewer: Viewer::Anonymous, principal: None }),
                Some(fut) => {
                    let p = fut.await.map_err(TaxiiApiError::from)?;
                    Ok(Caller { viewer: Viewer::from_principal(&p), principal: Some(p) })
                }
            }
        })
    }
}

fn check_accept(req: &HttpRequest) -> Result<()> {
    match req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()) {
        None => Ok(()),
        Some(accept) if taxii::is_acceptable_taxii_media_type(accept) => Ok(()),
        // Generic browsers and curl: answer with TAXII anyway.
        Some(accept) if accept.split(',').any(|a| matches!(a.split(';').next().map(str::trim), Some("*/*" | "application/*"))) => Ok(()),
        Some(_) => Err(TaxiiApiError::not_acceptable()),
    }
}

fn unauthenticated() -> TaxiiApiError {
    TaxiiApiError { code: Some(isacx_schemas::error::ErrorCode::Unauthenticated), ..TaxiiApiError::new(401, "Unauthorized", "send credentials (HTTP Basic, a bearer token or an API key)") }
}

fn taxii_json<T: serde::Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok().content_type(TAXII_MEDIA_TYPE).body(serde_json::to_string(body).unwrap_or_default())
}

fn layout(state: &AppState) -> Vec<CollectionDef> {
    collections::layout(&state.sectors, state.settings.taxii.public_collection)
}

/// The collection, if the caller may read it; otherwise 404 for the
/// anonymous (a 401 would confirm it exists), 403 for the authenticated.
fn readable_collection(state: &AppState, caller: &Caller, cid: &str) -> Result<CollectionDef> {
    let defs = layout(state);
    let def = defs.into_iter().find(|d| d.id == cid || d.alias == cid);
    match def {
        Some(d) if d.can_read(&caller.viewer) => Ok(d),
        Some(_) if caller.principal.is_none() => Err(unauthenticated()),
        Some(_) => Err(TaxiiApiError::forbidden("you may not read this collection")),
        None => Err(TaxiiApiError::not_found("no such collection")),
    }
}

fn describe(def: &CollectionDef, viewer: &Viewer) -> Collection {
    Collection {
        id: def.id.clone(),
        title: def.title.clone(),
        description: Some(def.description.clone()),
        alias: Some(def.alias.clone()),
        can_read: def.can_read(viewer),
        can_write: def.can_write(viewer),
        media_types: vec![STIX_MEDIA_TYPE.to_owned()],
    }
}

pub async fn discovery(req: HttpRequest, state: web::Data<AppState>, _caller: Caller) -> Result<HttpResponse> {
    check_accept(&req)?;
    let info = req.connection_info();
    let root = format!("{}://{}{}", info.scheme(), info.host(), super::API_ROOT_PATH);
    Ok(taxii_json(&Discovery {
        title: format!("{} TAXII", state.settings.identity.name_en),
        description: Some(format!("{} / {}", state.settings.identity.name_en, state.settings.identity.name_ja)),
        contact: None,
        default: Some(root.clone()),
        api_roots: vec![root],
    }))
}

pub async fn api_root(req: HttpRequest, state: web::Data<AppState>, _caller: Caller) -> Result<HttpResponse> {
    check_accept(&req)?;
    Ok(taxii_json(&ApiRoot {
        title: format!("{} intelligence", state.settings.identity.name_en),
        description: Some("STIX 2.1 objects shared under TLP 2.0 by sector.".to_owned()),
        versions: vec![TAXII_MEDIA_TYPE.to_owned()],
        max_content_length: state.settings.taxii.max_content_length as u64,
    }))
}

pub async fn collections(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse> {
    check_accept(&req)?;
    let listed: Vec<Collection> =
        layout(&state).iter().filter(|d| d.can_read(&caller.viewer)).map(|d| describe(d, &caller.viewer)).collect();
    Ok(taxii_json(&Collections { collections: listed }))
}

pub async fn collection(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse> {
    check_accept(&req)?;
    let def = readable_collection(&state, &caller, &path)?;
    Ok(taxii_json(&describe(&def, &caller.viewer)))
}

/// Query parameters common to the read endpoints (§3.4).
fn parse_query(req: &HttpRequest, state: &AppState, allow_type_and_id: bool) -> Result<Query> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| TaxiiApiError::bad_request(format!("malformed query string: {e}")))?;
    let mut q = Query { limit: state.settings.taxii.default_page_size, ..Query::default() };
    let mut version_seen = false;
    for (key, value) in pairs {
        let values = || value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        match key.as_str() {
            "added_after" => {
                let t = TaxiiTimestamp::parse(&value).map_err(|e| TaxiiApiError::bad_request(format!("added_after: {e}")))?;
                q.after = Some(q.after.unwrap_or(i64::MIN).max(store::micros(t.as_datetime())));
            }
            "limit" => {
                let n: i64 = value.parse().map_err(|_| TaxiiApiError::bad_request("limit must be a positive integer"))?;
                if n <= 0 {
                    return Err(TaxiiApiError::bad_request("limit must be a positive integer"));
                }
                q.limit = (n as usize).min(state.settings.taxii.max_page_size);
            }
            "next" => {
                let cursor = decode_next(&value).ok_or_else(|| TaxiiApiError::bad_request("next is not a cursor this server issued"))?;
                q.after = Some(q.after.unwrap_or(i64::MIN).max(cursor));
            }
            "match[id]" if allow_type_and_id => q.ids.extend(values()),
            "match[type]" if allow_type_and_id => q.types.extend(values()),
            "match[spec_version]" => q.spec_versions.extend(values()),
            "match[version]" => {
                if !version_seen {
                    q.versions = VersionFilter { all: false, first: false, last: false, exact: Vec::new() };
                    version_seen = true;
                }
                for v in values() {
                    match v.as_str() {
                        "all" => q.versions.all = true,
                        "first" => q.versions.first = true,
                        "last" => q.versions.last = true,
                        other => q.versions.exact.push(
                            store::parse_version(other)
                                .ok_or_else(|| TaxiiApiError::bad_request(format!("match[version]: `{other}` is not first, last, all or a timestamp")))?,
                        ),
                    }
                }
            }
            // Unknown parameters and match fields MAY be ignored (§3.4.1).
            _ => {}
        }
    }
    Ok(q)
}

fn encode_next(date_added: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("v1:{date_added}"))
}

fn decode_next(text: &str) -> Option<i64> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?;
    String::from_utf8(raw).ok()?.strip_prefix("v1:")?.parse().ok()
}

fn date_added_headers(response: &mut actix_web::HttpResponseBuilder, rows: &[store::StoredRow]) {
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        response.insert_header(("X-TAXII-Date-Added-First", TaxiiTimestamp::from_datetime(store::from_micros(first.date_added)).to_string()));
        response.insert_header(("X-TAXII-Date-Added-Last", TaxiiTimestamp::from_datetime(store::from_micros(last.date_added)).to_string()));
    }
}

async fn read_page(state: &web::Data<AppState>, viewer: Viewer, q: Query) -> Result<store::Page> {
    let state = state.clone().into_inner();
    crate::db::blocking(move || state.db.read(|conn| store::page(conn, &q, &viewer))).await.map_err(TaxiiApiError::from)
}

/// The envelope is written from the stored JSON directly: no re-parse on the
/// hot path. A peer gets each object's scope in our scope extension
/// ([`crate::federation::scope`]).
fn envelope(page: &store::Page, viewer: &Viewer) -> HttpResponse {
    let for_peer = matches!(viewer, Viewer::Peer { .. });
    let mut response = HttpResponse::Ok();
    response.content_type(TAXII_MEDIA_TYPE);
    date_added_headers(&mut response, &page.rows);
    if page.rows.is_empty() {
        return response.body("{}");
    }
    let mut body = String::with_capacity(page.rows.iter().map(|r| r.body.len() + 1).sum::<usize>() + 64);
    body.push('{');
    if page.more {
        if let Some(last) = page.rows.last() {
            body.push_str(&format!("\"more\":true,\"next\":\"{}\",", encode_next(last.date_added)));
        }
    }
    body.push_str("\"objects\":[");
    for (i, row) in page.rows.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        if for_peer {
            body.push_str(&crate::federation::scope::body_for_peer(row));
        } else {
            body.push_str(&row.body);
        }
    }
    body.push_str("]}");
    response.body(body)
}

pub async fn get_objects(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse> {
    check_accept(&req)?;
    let def = readable_collection(&state, &caller, &path)?;
    let mut q = parse_query(&req, &state, true)?;
    q.collection = Some(def.kind);
    let page = read_page(&state, caller.viewer.clone(), q).await?;
    Ok(envelope(&page, &caller.viewer))
}

pub async fn manifest(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse> {
    check_accept(&req)?;
    let def = readable_collection(&state, &caller, &path)?;
    let mut q = parse_query(&req, &state, true)?;
    q.collection = Some(def.kind);
    let page = read_page(&state, caller.viewer, q).await?;
    let objects = page
        .rows
        .iter()
        .filter_map(|r| {
            Some(ManifestRecord {
                id: isacx_schemas::stix::StixId::from(r.object_id.as_str()),
                date_added: TaxiiTimestamp::from_datetime(store::from_micros(r.date_added)),
                version: isacx_schemas::stix::StixTimestamp::parse(&object_version(r)).ok()?,
                media_type: Some(STIX_MEDIA_TYPE.to_owned()),
            })
        })
        .collect();
    let body = taxii::Manifest { more: page.more, next: page.more.then(|| page.rows.last().map(|r| encode_next(r.date_added))).flatten(), objects };
    let mut response = HttpResponse::Ok();
    response.content_type(TAXII_MEDIA_TYPE);
    date_added_headers(&mut response, &page.rows);
    Ok(response.body(serde_json::to_string(&body).unwrap_or_default()))
}

pub async fn get_object(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<(String, String)>) -> Result<HttpResponse> {
    check_accept(&req)?;
    let (cid, oid) = path.into_inner();
    let def = readable_collection(&state, &caller, &cid)?;
    let mut q = parse_query(&req, &state, false)?;
    q.collection = Some(def.kind);
    q.ids = vec![oid];
    let page = read_page(&state, caller.viewer.clone(), q).await?;
    if page.rows.is_empty() {
        return Err(TaxiiApiError::not_found("no such object in this collection"));
    }
    Ok(envelope(&page, &caller.viewer))
}

pub async fn versions(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<(String, String)>) -> Result<HttpResponse> {
    check_accept(&req)?;
    let (cid, oid) = path.into_inner();
    let def = readable_collection(&state, &caller, &cid)?;
    let mut q = parse_query(&req, &state, false)?;
    q.collection = Some(def.kind);
    q.ids = vec![oid];
    q.versions = VersionFilter::all();
    let page = read_page(&state, caller.viewer, q).await?;
    if page.rows.is_empty() {
        return Err(TaxiiApiError::not_found("no such object in this collection"));
    }
    let versions = page.rows.iter().filter_map(|r| isacx_schemas::stix::StixTimestamp::parse(&object_version(r)).ok()).collect();
    let body = Versions { more: page.more, next: page.more.then(|| page.rows.last().map(|r| encode_next(r.date_added))).flatten(), versions };
    let mut response = HttpResponse::Ok();
    response.content_type(TAXII_MEDIA_TYPE);
    date_added_headers(&mut response, &page.rows);
    Ok(response.body(serde_json::to_string(&body).unwrap_or_default()))
}

pub async fn delete_object(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<(String, String)>) -> Result<HttpResponse> {
    check_accept(&req)?;
    let (cid, oid) = path.into_inner();
    let def = readable_collection(&state, &caller, &cid)?;
    let principal = caller.principal.clone().ok_or_else(unauthenticated)?;
    let mut q = parse_query(&req, &state, false)?;
    q.collection = Some(def.kind.clone());
    q.ids = vec![oid.clone()];
    let version_given = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .map(|pairs| pairs.iter().any(|(k, _)| k == "match[version]"))
        .unwrap_or(false);
    if !version_given {
        // DELETE without match[version] removes every version (§5.7).
        q.versions = VersionFilter::all();
    }
    let visible = read_page(&state, caller.viewer.clone(), Query { limit: 1, ..q.clone() }).await?;
    if visible.rows.is_empty() {
        return Err(TaxiiApiError::not_found("no such object in this collection"));
    }
    if principal.role != Role::Admin {
        return Err(TaxiiApiError::forbidden("only administrators delete objects"));
    }
    let versions = q.versions.clone();
    let state = state.into_inner();
    let actor = principal.actor();
    let removed = crate::db::blocking(move || {
        state.db.write(|conn| {
            let removed = store::delete(conn, &oid, &versions)?;
            crate::audit::append(
                conn,
                &actor,
                crate::audit::Entry {
                    action: "stix_object.delete",
                    target: format!("stix:{oid}"),
                    detail: serde_json::json!({ "versions_removed": removed, "collection": def.alias }),
                },
            )?;
            Ok(removed)
        })
    })
    .await
    .map_err(TaxiiApiError::from)?;
    tracing::info!(removed, "deleted object versions");
    Ok(HttpResponse::Ok().content_type(TAXII_MEDIA_TYPE).finish())
}

/// Our scope extension on an object, read from its typed common properties:
/// serialising every incoming object back to JSON just to look for it cost
/// more than storing the object.
fn scope_extension(object: &StixObject) -> std::result::Result<Option<Value>, String> {
    let extensions = if let Some(common) = object.sdo_common() {
        common.extensions.as_ref()
    } else if let Some(common) = object.sco_common() {
        common.extensions.as_ref()
    } else {
        match object {
            StixObject::MarkingDefinition(o) => o.extensions.as_ref(),
            StixObject::Unknown(map) => map.get("extensions").and_then(Value::as_object),
            other => {
                let value = other.to_value().map_err(|e| e.to_string())?;
                return Ok(value.get("extensions").and_then(|e| e.get(SCOPE_EXTENSION_ID)).cloned());
            }
        }
    };
    Ok(extensions.and_then(|e| e.get(SCOPE_EXTENSION_ID)).cloned())
}

/// The sharing scope an incoming object asks for through our extension,
/// else the collection's.
pub fn incoming_access(object: &StixObject, def: &CollectionDef, default_tlp: Tlp) -> std::result::Result<Access, String> {
    let tlp = Tlp::of_object(object).unwrap_or(default_tlp);
    let mut access = Access::published(tlp);
    access.sectors = def.default_sectors().into_iter().collect();
    if let Some(scope) = scope_extension(object)? {
        let scope = &scope;
        if let Some(sectors) = scope.get("sectors").and_then(Value::as_array) {
            access.sectors = sectors.iter().filter_map(Value::as_str).map(str::to_owned).collect();
            if access.sectors.is_empty() {
                access.sectors.insert(ALL_SECTORS.to_owned());
            }
        }
        if let Some(audiences) = scope.get("audiences") {
            access.audiences = serde_json::from_value::<BTreeSet<Audience>>(audiences.clone())
                .map_err(|e| format!("extensions.{SCOPE_EXTENSION_ID}.audiences: {e}"))?;
        }
        if let Some(recipients) = scope.get("recipients") {
            access.recipients = serde_json::from_value::<BTreeSet<Uuid>>(recipients.clone())
                .map_err(|e| format!("extensions.{SCOPE_EXTENSION_ID}.recipients: {e}"))?;
        }
    }
    if def.kind == Kind::Public && tlp != Tlp::Clear {
        return Err(format!("the public collection takes TLP:CLEAR only; this object is {}", tlp.marking_name()));
    }
    Ok(access)
}

pub async fn add_objects(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse> {
    check_accept(&req)?;
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !taxii::is_acceptable_taxii_media_type(content_type) {
        return Err(TaxiiApiError::unsupported_media_type());
    }
    let principal = caller.principal.clone().ok_or_else(unauthenticated)?;
    let def = readable_collection(&state, &caller, &path)?;
    if !def.can_write(&caller.viewer) {
        return Err(TaxiiApiError::forbidden("you may not add objects to this collection"));
    }
    let state = state.into_inner();
    if principal.role == Role::Operator {
        return submit_report_objects(state, principal, body).await;
    }
    let default_tlp = state.settings.sharing.default_tlp();
    let user_id = principal.user_id.to_string();
    let actor = principal.actor();
    // Parsing, validation and storage run on the blocking pool, not the HTTP worker.
    let status = crate::db::blocking(move || {
        let objects = envelope_objects(&body)?;
        let request_timestamp = chrono::Utc::now();
        let mut failures = Vec::new();
        let mut accepted = Vec::new();
        for (i, raw) in objects.into_iter().enumerate() {
            let id = raw.get("id").and_then(Value::as_str).unwrap_or("").to_owned();
            let version = raw.get("modified").or_else(|| raw.get("created")).and_then(Value::as_str).unwrap_or("").to_owned();
            match object_from_json(raw) {
                Err(errors) => {
                    let message = errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ");
                    failures.push((id, version, format!("objects[{i}]: {message}")));
                }
                Ok(object) if object.spec_version().is_some_and(|v| v != "2.1") => {
                    failures.push((id, version, "only STIX 2.1 is accepted".to_owned()));
                }
                Ok(object) => match incoming_access(&object, &def, default_tlp) {
                    Ok(access) => accepted.push((id, version, Incoming { object, access })),
                    Err(message) => failures.push((id, version, message)),
                },
            }
        }
        let status_id = Uuid::new_v4().to_string();
        let total = failures.len() + accepted.len();
        state.db.write(|conn| {
            let keys: Vec<(String, String)> = accepted.iter().map(|(i, v, _)| (i.clone(), v.clone())).collect();
            let outcomes = store::ingest(conn, accepted.into_iter().map(|(_, _, item)| item).collect())?;
            let mut successes = Vec::new();
            for ((id, version), outcome) in keys.into_iter().zip(outcomes) {
                match outcome {
                    Outcome::Added { .. } | Outcome::Duplicate => successes.push((id, version, None)),
                    Outcome::Rejected(message) => failures.push((id, version, message)),
                }
            }
            let detail = |list: &[(String, String, Option<String>)]| -> Vec<StatusDetails> {
                list.iter()
                    .map(|(id, v, m)| StatusDetails { id: isacx_schemas::stix::StixId::from(id.as_str()), version: v.clone(), message: m.clone() })
                    .collect()
            };
            let failure_list: Vec<(String, String, Option<String>)> = failures.iter().map(|(i, v, m)| (i.clone(), v.clone(), Some(m.clone()))).collect();
            let status = Status {
                id: status_id.clone(),
                status: StatusKind::Complete,
                request_timestamp: Some(TaxiiTimestamp::from_datetime(request_timestamp)),
                total_count: total as u64,
                success_count: successes.len() as u64,
                failure_count: failure_list.len() as u64,
                pending_count: 0,
                successes: detail(&successes),
                failures: detail(&failure_list),
                pendings: Vec::new(),
            };
            let body = crate::taxii::handlers::save_status(conn, &status, &user_id)?;
            crate::audit::append(
                conn,
                &actor,
                crate::audit::Entry {
                    action: "taxii.add_objects",
                    target: format!("taxii_status:{status_id}"),
                    detail: serde_json::json!({ "collection": def.alias, "success": status.success_count, "failure": status.failure_count }),
                },
            )?;
            Ok(body)
        })
    })
    .await
    .map_err(|e| match e.code {
        isacx_schemas::error::ErrorCode::ValidationFailed => TaxiiApiError::unprocessable(e.detail),
        _ => TaxiiApiError::from(e),
    })?;
    Ok(HttpResponse::Accepted().content_type(TAXII_MEDIA_TYPE).body(status))
}

/// Store a status resource; returns it as JSON, the body of the 202 too.
pub fn save_status(conn: &mut crate::db::DbConnection, status: &Status, user_id: &str) -> std::result::Result<String, crate::error::ApiError> {
    let details = serde_json::to_string(status).map_err(crate::error::ApiError::internal)?;
    use crate::db::schema::taxii_status;
    use diesel::prelude::*;
    diesel::insert_into(taxii_status::table)
        .values((
            taxii_status::id.eq(&status.id),
            taxii_status::user_id.eq(user_id),
            taxii_status::request_timestamp.eq(status.request_timestamp.as_ref().map(|t| store::micros(t.as_datetime())).unwrap_or(0)),
            taxii_status::total_count.eq(status.total_count as i32),
            taxii_status::success_count.eq(status.success_count as i32),
            taxii_status::failure_count.eq(status.failure_count as i32),
            taxii_status::pending_count.eq(status.pending_count as i32),
            taxii_status::details.eq(&details),
        ))
        .execute(conn)?;
    Ok(details)
}

/// A status is shown only to the user who posted: it lists object ids.
pub async fn status(req: HttpRequest, state: web::Data<AppState>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse> {
    check_accept(&req)?;
    let principal = caller.principal.ok_or_else(unauthenticated)?;
    let id = path.into_inner();
    let user_id = principal.user_id.to_string();
    let state = state.into_inner();
    let details: Option<String> = crate::db::blocking(move || {
        state.db.read(|conn| {
            use crate::db::schema::taxii_status;
            use diesel::prelude::*;
            Ok(taxii_status::table
                .filter(taxii_status::id.eq(&id))
                .filter(taxii_status::user_id.eq(&user_id))
                .select(taxii_status::details)
                .first(conn)
                .optional()?)
        })
    })
    .await
    .map_err(TaxiiApiError::from)?;
    let details = details.ok_or_else(|| TaxiiApiError::not_found("no such status"))?;
    Ok(HttpResponse::Ok().content_type(TAXII_MEDIA_TYPE).body(details))
}

pub async fn not_found() -> Result<HttpResponse> {
    Err(TaxiiApiError::not_found("no such TAXII endpoint"))
}

/// An operator's envelope is an incident report in STIX form (an incident
/// with the isacx report extension, its indicators and relationships): it is
/// converted and sent through intake, like `POST /api/v1/reports`.
async fn submit_report_objects(state: std::sync::Arc<AppState>, principal: Principal, body: web::Bytes) -> Result<HttpResponse> {
    let status = crate::db::blocking(move || {
        let raw = envelope_objects(&body)?;
        let keys: Vec<(String, String)> = raw
            .iter()
            .map(|o| {
                let id = o.get("id").and_then(Value::as_str).unwrap_or("").to_owned();
                let version = o.get("modified").or_else(|| o.get("created")).and_then(Value::as_str).unwrap_or("").to_owned();
                (id, version)
            })
            .collect();
        let mut objects = Vec::new();
        let mut problems = Vec::new();
        for (i, value) in raw.into_iter().enumerate() {
            match object_from_json(value) {
                Ok(o) => objects.push(o),
                Err(errors) => problems.push(format!("objects[{i}]: {}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))),
            }
        }
        let outcome = if problems.is_empty() {
            isacx_schemas::report::Report::from_stix(&objects)
                .map_err(|e| format!("not an isacx incident report: {e}"))
                .and_then(|report| serde_json::to_value(report).map_err(|e| e.to_string()))
                .and_then(|value| {
                    crate::intake::submit(&state, &principal, value, None)
                        .map(|(receipt, _)| receipt)
                        .map_err(|e| std::iter::once(e.detail).chain(e.errors.iter().map(|f| format!("{}: {}", f.field, f.message))).collect::<Vec<_>>().join("; "))
                })
        } else {
            Err(problems.join("; "))
        };
        let details = |message: &str| -> Vec<StatusDetails> {
            keys.iter().map(|(id, v)| StatusDetails { id: isacx_schemas::stix::StixId::from(id.as_str()), version: v.clone(), message: Some(message.to_owned()) }).collect()
        };
        let (successes, failures) = match &outcome {
            Ok(receipt) => (details(&format!("received for review as report {}", receipt.id)), Vec::new()),
            Err(message) => (Vec::new(), details(message)),
        };
        let status = Status {
            id: Uuid::new_v4().to_string(),
            status: StatusKind::Complete,
            request_timestamp: Some(TaxiiTimestamp::now()),
            total_count: keys.len() as u64,
            success_count: successes.len() as u64,
            failure_count: failures.len() as u64,
            pending_count: 0,
            successes,
            failures,
            pendings: Vec::new(),
        };
        let user_id = principal.user_id.to_string();
        state.db.write(|conn| save_status(conn, &status, &user_id))?;
        Ok(status)
    })
    .await
    .map_err(|e| match e.code {
        isacx_schemas::error::ErrorCode::ValidationFailed => TaxiiApiError::unprocessable(e.detail),
        _ => TaxiiApiError::from(e),
    })?;
    Ok(HttpResponse::Accepted().content_type(TAXII_MEDIA_TYPE).body(serde_json::to_string(&status).unwrap_or_default()))
}

/// The objects of a POSTed envelope (§3.7): JSON with a non-empty `objects` list.
fn envelope_objects(body: &[u8]) -> std::result::Result<Vec<Value>, crate::error::ApiError> {
    let envelope: Value = serde_json::from_slice(body).map_err(|e| crate::error::ApiError::field("body", format!("not JSON: {e}")))?;
    match envelope {
        Value::Object(mut map) => match map.remove("objects") {
            Some(Value::Array(items)) if !items.is_empty() => Ok(items),
            _ => Err(crate::error::ApiError::field("objects", "an envelope with a non-empty `objects` list is required")),
        },
        _ => Err(crate::error::ApiError::field("body", "an envelope is a JSON object")),
    }
}

/// The version as the object itself spells it (`modified`, else `created`),
/// so clients comparing strings match; the store keeps a fixed-width form for ordering.
fn object_version(row: &store::StoredRow) -> String {
    #[derive(serde::Deserialize)]
    struct Stamps {
        modified: Option<String>,
        created: Option<String>,
    }
    serde_json::from_str::<Stamps>(&row.body).ok().and_then(|s| s.modified.or(s.created)).unwrap_or_else(|| row.version.clone())
}
