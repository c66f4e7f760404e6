//! `/api/v1/profile` (critical systems, contacts, technologies in use) and
//! `/api/v1/register` (the risk register, 様式６): the caller's organisation only.

use actix_web::{web, HttpRequest, HttpResponse};
use isacx_schemas::advisory as adv;
use isacx_schemas::error::{ErrorCode, ProblemDetails};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Authorized, Operators};
use crate::error::ApiError;
use crate::profiles::{self, register};


#[utoipa::path(get, path = "/api/v1/profile", tag = "profile",
    responses((status = 200, body = adv::MemberProfile)), security(("bearer" = []), ("api_key" = [])))]
pub async fn get(state: web::Data<AppState>, who: Authorized<Operators>) -> Result<web::Json<adv::MemberProfile>, ApiError> {
    let principal = who.principal;
    Ok(web::Json(blocking!(state, |s| profiles::get(&s.db, &principal))?))
}

/// Set the critical systems and the reassessment contacts.
#[utoipa::path(put, path = "/api/v1/profile", tag = "profile", request_body = adv::ProfileUpdate,
    responses((status = 200, body = adv::MemberProfile), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    who: Authorized<Operators>,
    body: web::Json<adv::ProfileUpdate>,
) -> Result<web::Json<adv::MemberProfile>, ApiError> {
    let principal = who.principal;
    Ok(web::Json(blocking!(state, |s| profiles::update(&s.db, &principal, body.into_inner()))?))
}

#[utoipa::path(get, path = "/api/v1/profile/technologies", tag = "profile",
    responses((status = 200, body = Vec<adv::Technology>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn technologies(state: web::Data<AppState>, who: Authorized<Operators>) -> Result<web::Json<Vec<adv::Technology>>, ApiError> {
    let principal = who.principal;
    Ok(web::Json(blocking!(state, |s| { profiles::list_technologies(&s.db, &principal) })?))
}

/// Add a technology in use: CPE 2.3 or vendor:product[:version].
#[utoipa::path(post, path = "/api/v1/profile/technologies", tag = "profile", request_body = adv::NewTechnology,
    responses((status = 201, body = adv::Technology), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn add_technology(state: web::Data<AppState>, who: Authorized<Operators>, body: web::Json<adv::NewTechnology>) -> Result<HttpResponse, ApiError> {
    let principal = who.principal;
    let added = blocking!(state, |s| profiles::add_technology(&s.db, &principal, body.into_inner()))?;
    Ok(HttpResponse::Created().json(added))
}

#[utoipa::path(delete, path = "/api/v1/profile/technologies/{id}", tag = "profile", params(("id" = Uuid, Path)),
    responses((status = 200, body = adv::Technology), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn remove_technology(state: web::Data<AppState>, who: Authorized<Operators>, id: web::Path<Uuid>) -> Result<web::Json<adv::Technology>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| { profiles::remove_technology(&s.db, &principal, id) })?))
}

#[utoipa::path(get, path = "/api/v1/register", tag = "register",
    responses((status = 200, body = Vec<adv::RegisterEntry>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn list(state: web::Data<AppState>, who: Authorized<Operators>) -> Result<web::Json<Vec<adv::RegisterEntry>>, ApiError> {
    let principal = who.principal;
    Ok(web::Json(blocking!(state, |s| register::list(&s.db, &principal))?))
}

#[utoipa::path(post, path = "/api/v1/register", tag = "register", request_body = adv::NewRegisterEntry,
    responses((status = 201, body = adv::RegisterEntry), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn create(state: web::Data<AppState>, who: Authorized<Operators>, body: web::Json<adv::NewRegisterEntry>) -> Result<HttpResponse, ApiError> {
    let principal = who.principal;
    let created = blocking!(state, |s| register::create(&s.db, &principal, body.into_inner()))?;
    Ok(HttpResponse::Created().json(created))
}

#[utoipa::path(get, path = "/api/v1/register/{id}", tag = "register", params(("id" = Uuid, Path)),
    responses((status = 200, body = adv::RegisterEntry), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn get_entry(state: web::Data<AppState>, who: Authorized<Operators>, id: web::Path<Uuid>) -> Result<web::Json<adv::RegisterEntry>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| register::get(&s.db, &principal, id))?))
}

#[utoipa::path(put, path = "/api/v1/register/{id}", tag = "register", params(("id" = Uuid, Path)), request_body = adv::NewRegisterEntry,
    responses((status = 200, body = adv::RegisterEntry), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn update_entry(
    state: web::Data<AppState>,
    who: Authorized<Operators>,
    id: web::Path<Uuid>,
    body: web::Json<adv::NewRegisterEntry>,
) -> Result<web::Json<adv::RegisterEntry>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| register::update(&s.db, &principal, id, body.into_inner()))?))
}

#[utoipa::path(delete, path = "/api/v1/register/{id}", tag = "register", params(("id" = Uuid, Path)),
    responses((status = 200, body = adv::RegisterEntry), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn delete_entry(state: web::Data<AppState>, who: Authorized<Operators>, id: web::Path<Uuid>) -> Result<web::Json<adv::RegisterEntry>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| register::delete(&s.db, &principal, id))?))
}

/// Every past residual value of an entry and what changed it.
#[utoipa::path(get, path = "/api/v1/register/{id}/history", tag = "register", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<adv::RegisterHistory>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn history(state: web::Data<AppState>, who: Authorized<Operators>, id: web::Path<Uuid>) -> Result<web::Json<Vec<adv::RegisterHistory>>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| register::entry_history(&s.db, &principal, id))?))
}

/// The register as CSV (UTF-8, header row).
#[utoipa::path(get, path = "/api/v1/register/export", tag = "register",
    responses((status = 200, content_type = "text/csv", body = String)), security(("bearer" = []), ("api_key" = [])))]
pub async fn export(state: web::Data<AppState>, who: Authorized<Operators>) -> Result<HttpResponse, ApiError> {
    let principal = who.principal;
    let csv = blocking!(state, |s| register::export_csv(&s.db, &principal))?;
    Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(csv))
}

/// Import a CSV register (Content-Type text/csv): all rows or none; each
/// problem is named by line and column.
#[utoipa::path(post, path = "/api/v1/register/import", tag = "register", request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = adv::ImportSummary), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn import(
    state: web::Data<AppState>,
    who: Authorized<Operators>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<adv::ImportSummary>, ApiError> {
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("text/csv") {
        return Err(ApiError::new(ErrorCode::UnsupportedMediaType, "send the register as Content-Type: text/csv"));
    }
    let text = String::from_utf8(body.to_vec()).map_err(|e| ApiError::malformed(format!("the CSV is not UTF-8: {e}")))?;
    let principal = who.principal;
    Ok(web::Json(blocking!(state, |s| register::import_csv(&s.db, &principal, &text))?))
}
