//! `/api/v1/followups`: pseudonymous follow-up on published reports.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use isacx_schemas::error::ProblemDetails;
use isacx_schemas::followup::{FollowupThread, NewFollowup, NewFollowupMessage};
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Authorized, Operators, ReportHandlers};
use crate::error::ApiError;
use crate::followup;
use crate::policy::Viewer;

/// Scope guard: a peer server (by its token or client certificate) takes no
/// part in follow-ups, which are between member organisations; it gets a
/// 403 rather than the 401 of an unknown credential.
pub async fn refuse_peers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    if let Some(credential) = crate::federation::auth::peer_credential(req.request()) {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        if let Ok(Viewer::Peer { .. }) = crate::federation::auth::peer_viewer(state, credential).await {
            let refused = ApiError::forbidden("follow-ups are between member organisations; a peer server takes no part in them");
            return Ok(req.error_response(refused).map_into_right_body());
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportFilter {
    /// Only threads on this shared report id (`report--…` or `incident--…`;
    /// the submitter may also give its own report id).
    pub report: Option<String>,
}


/// Ask the submitter of a published report a question, or report a
/// sighting, by the shared id you received. Your text is anonymised with
/// your organisation's profile; the submitter sees you only as the
/// thread's pseudonym. A report you may not read is "not found".
#[utoipa::path(post, path = "/api/v1/followups", tag = "followups", request_body = NewFollowup,
    responses((status = 201, body = FollowupThread),
        (status = 403, description = "not an operator, or your own report", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn ask(state: web::Data<AppState>, who: Authorized<Operators>, body: web::Json<NewFollowup>) -> Result<HttpResponse, ApiError> {
    let principal = who.principal;
    let thread = blocking!(state, |s| followup::ask(&s, &principal, body.into_inner()))?;
    Ok(HttpResponse::Created().json(thread))
}

/// Threads you take part in, as asker or as submitter (analysts: all), newest first, without their messages.
#[utoipa::path(get, path = "/api/v1/followups", tag = "followups", params(ReportFilter),
    responses((status = 200, body = Vec<FollowupThread>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn list(state: web::Data<AppState>, who: Authorized<ReportHandlers>, filter: web::Query<ReportFilter>) -> Result<web::Json<Vec<FollowupThread>>, ApiError> {
    let principal = who.principal;
    let wanted = filter.into_inner().report;
    Ok(web::Json(blocking!(state, |s| followup::list(&s, &principal, wanted.as_deref()))?))
}

/// One thread with its messages: each side sees its own words and the
/// other side's anonymised copy; analysts see both identities and texts.
#[utoipa::path(get, path = "/api/v1/followups/{id}", tag = "followups", params(("id" = Uuid, Path)),
    responses((status = 200, body = FollowupThread), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn get(state: web::Data<AppState>, who: Authorized<ReportHandlers>, id: web::Path<Uuid>) -> Result<web::Json<FollowupThread>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| followup::get(&s, &principal, id))?))
}

/// Add to a thread: the asker another question or sighting, the submitter an answer.
#[utoipa::path(post, path = "/api/v1/followups/{id}/messages", tag = "followups", params(("id" = Uuid, Path)), request_body = NewFollowupMessage,
    responses((status = 201, body = FollowupThread),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn post(state: web::Data<AppState>, who: Authorized<Operators>, id: web::Path<Uuid>, body: web::Json<NewFollowupMessage>) -> Result<HttpResponse, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    let thread = blocking!(state, |s| followup::post(&s, &principal, id, body.into_inner()))?;
    Ok(HttpResponse::Created().json(thread))
}
