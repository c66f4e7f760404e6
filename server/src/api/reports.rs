//! `/api/v1/reports` (members' submissions) and `/api/v1/review` (analysts).

use actix_web::{web, HttpRequest, HttpResponse};
use isacx_schemas::api::{self, ReportState};
use isacx_schemas::error::ProblemDetails;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Authorized, Curators, Operators, ReportHandlers};
use crate::error::ApiError;
use crate::intake;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StateFilter {
    /// received, in_review, published, rejected or withdrawn.
    pub state: Option<String>,
}

impl StateFilter {
    fn parse(&self) -> Result<Option<ReportState>, ApiError> {
        self.state.as_deref().map(|s| s.parse().map_err(|m: String| ApiError::field("state", m))).transpose()
    }
}


/// Submit an incident report (情報連絡). Durable before the answer; an
/// `Idempotency-Key` header makes a retry safe. The answer says at once
/// whether a statutory reporting threshold is crossed, and which law sets it.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", request_body(content = Object, description = "schemas/json/incident-report.schema.json"),
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = api::ReportReceipt), (status = 200, description = "a replay of an earlier submission", body = api::ReportReceipt),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn submit(state: web::Data<AppState>, who: Authorized<Operators>, req: HttpRequest, body: web::Json<serde_json::Value>) -> Result<HttpResponse, ApiError> {
    let key = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if key.as_ref().is_some_and(|k| k.len() > 200) {
        return Err(ApiError::field("Idempotency-Key", "at most 200 characters"));
    }
    let principal = who.principal;
    let (receipt, created) = blocking!(state, |s| intake::submit(&s, &principal, body.into_inner(), key))?;
    Ok(if created { HttpResponse::Created().json(receipt) } else { HttpResponse::Ok().json(receipt) })
}

/// Reports the caller may see: its organisation's; all of them for analysts.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(StateFilter),
    responses((status = 200, body = Vec<api::ReportSummary>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn list(state: web::Data<AppState>, who: Authorized<ReportHandlers>, filter: web::Query<StateFilter>) -> Result<web::Json<Vec<api::ReportSummary>>, ApiError> {
    let wanted = filter.parse()?;
    let principal = who.principal;
    Ok(web::Json(blocking!(state, |s| intake::list(&s, &principal, wanted))?))
}

#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 200, body = api::ReportDetail), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn get(state: web::Data<AppState>, who: Authorized<ReportHandlers>, id: web::Path<Uuid>) -> Result<web::Json<api::ReportDetail>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| intake::get(&s, &principal, id))?))
}

/// Amend a report not yet published: a new revision, back to review.
#[utoipa::path(put, path = "/api/v1/reports/{id}", tag = "reports", params(("id" = Uuid, Path)), request_body = Object,
    responses((status = 200, body = api::ReportReceipt), (status = 409, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn amend(state: web::Data<AppState>, who: Authorized<Operators>, id: web::Path<Uuid>, body: web::Json<serde_json::Value>) -> Result<web::Json<api::ReportReceipt>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| intake::amend(&s, &principal, id, body.into_inner()))?))
}

#[utoipa::path(post, path = "/api/v1/reports/{id}/withdraw", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 200, body = api::ReportSummary), (status = 409, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn withdraw(state: web::Data<AppState>, who: Authorized<Operators>, id: web::Path<Uuid>) -> Result<web::Json<api::ReportSummary>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| intake::withdraw(&s, &principal, id))?))
}

/// The review queue.
#[utoipa::path(get, path = "/api/v1/review", tag = "review", params(StateFilter),
    responses((status = 200, body = Vec<api::ReportSummary>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn queue(state: web::Data<AppState>, who: Authorized<Curators>, filter: web::Query<StateFilter>) -> Result<web::Json<Vec<api::ReportSummary>>, ApiError> {
    let wanted = filter.parse()?;
    let principal = who.principal;
    Ok(web::Json(blocking!(state, |s| intake::list(&s, &principal, wanted))?))
}

/// Open a report for review: raw and sanitised side by side, with every redaction.
#[utoipa::path(get, path = "/api/v1/review/{id}", tag = "review", params(("id" = Uuid, Path)),
    responses((status = 200, body = api::ReportDetail)), security(("bearer" = []), ("api_key" = [])))]
pub async fn open(state: web::Data<AppState>, who: Authorized<Curators>, id: web::Path<Uuid>) -> Result<web::Json<api::ReportDetail>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| intake::open_for_review(&s, &principal, id))?))
}

/// Replace the sanitised copy with the analyst's edit.
#[utoipa::path(put, path = "/api/v1/review/{id}/sanitised", tag = "review", params(("id" = Uuid, Path)), request_body = Object,
    responses((status = 200, body = api::ReportDetail), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn edit(state: web::Data<AppState>, who: Authorized<Curators>, id: web::Path<Uuid>, body: web::Json<serde_json::Value>) -> Result<web::Json<api::ReportDetail>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| intake::edit_sanitised(&s, &principal, id, body.into_inner()))?))
}

/// Publish the sanitised copy with a TLP (never below the submitter's) and scope.
#[utoipa::path(post, path = "/api/v1/review/{id}/publish", tag = "review", params(("id" = Uuid, Path)), request_body = api::PublishRequest,
    responses((status = 200, body = api::ReportSummary), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn publish(state: web::Data<AppState>, who: Authorized<Curators>, id: web::Path<Uuid>, body: web::Json<api::PublishRequest>) -> Result<web::Json<api::ReportSummary>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| intake::publish(&s, &principal, id, body.into_inner()))?))
}

/// Reject with a reason the submitter sees.
#[utoipa::path(post, path = "/api/v1/review/{id}/reject", tag = "review", params(("id" = Uuid, Path)), request_body = api::RejectRequest,
    responses((status = 200, body = api::ReportSummary)), security(("bearer" = []), ("api_key" = [])))]
pub async fn reject(state: web::Data<AppState>, who: Authorized<Curators>, id: web::Path<Uuid>, body: web::Json<api::RejectRequest>) -> Result<web::Json<api::ReportSummary>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| intake::reject(&s, &principal, id, &body.reason))?))
}
