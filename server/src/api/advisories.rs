//! `/api/v1/advisories` (analysts write, members read what the policy
//! allows) and `/api/v1/reassessments` (each member its own tasks).

use actix_web::{web, HttpResponse};
use isacx_schemas::advisory::{self as adv, AdvisoryState};
use isacx_schemas::error::ProblemDetails;
use serde::Deserialize;
use uuid::Uuid;

use crate::advisories::{self, tasks};
use crate::app::AppState;
use crate::auth::{AnyRole, Authorized, Curators, ReportHandlers};
use crate::error::ApiError;
use crate::policy::Viewer;


#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AdvisoryFilter {
    /// draft, published or withdrawn.
    pub state: Option<String>,
}

/// Write a draft advisory (情報提供), from published reports and indicators or from scratch.
#[utoipa::path(post, path = "/api/v1/advisories", tag = "advisories", request_body = adv::AdvisoryDraft,
    responses((status = 201, body = adv::Advisory), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn create(state: web::Data<AppState>, who: Authorized<Curators>, body: web::Json<adv::AdvisoryDraft>) -> Result<HttpResponse, ApiError> {
    let principal = who.principal;
    let created = blocking!(state, |s| advisories::create(&s, &principal, body.into_inner()))?;
    Ok(HttpResponse::Created().json(created))
}

/// Advisories the caller may read: all for analysts, published ones the policy allows for others.
#[utoipa::path(get, path = "/api/v1/advisories", tag = "advisories", params(AdvisoryFilter),
    responses((status = 200, body = Vec<adv::Advisory>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn list(state: web::Data<AppState>, who: Authorized<AnyRole>, filter: web::Query<AdvisoryFilter>) -> Result<web::Json<Vec<adv::Advisory>>, ApiError> {
    let wanted = filter
        .state
        .as_deref()
        .map(|s| s.parse::<AdvisoryState>().map_err(|m| ApiError::field("state", m)))
        .transpose()?;
    let principal = who.principal;
    Ok(web::Json(blocking!(state, |s| advisories::list(&s, &principal, wanted))?))
}

#[utoipa::path(get, path = "/api/v1/advisories/{id}", tag = "advisories", params(("id" = Uuid, Path)),
    responses((status = 200, body = adv::Advisory), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn get(state: web::Data<AppState>, who: Authorized<AnyRole>, id: web::Path<Uuid>) -> Result<web::Json<adv::Advisory>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| advisories::get(&s, &principal, id))?))
}

/// Replace a draft.
#[utoipa::path(put, path = "/api/v1/advisories/{id}", tag = "advisories", params(("id" = Uuid, Path)), request_body = adv::AdvisoryDraft,
    responses((status = 200, body = adv::Advisory), (status = 409, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn edit(
    state: web::Data<AppState>,
    who: Authorized<Curators>,
    id: web::Path<Uuid>,
    body: web::Json<adv::AdvisoryDraft>,
) -> Result<web::Json<adv::Advisory>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| advisories::update_draft(
        &s,
        &principal,
        id,
        body.into_inner()
    ))?))
}

/// Publish: into the shared store as a STIX report, matched, and — when urgent — a reassessment task per concerned member.
#[utoipa::path(post, path = "/api/v1/advisories/{id}/publish", tag = "advisories", params(("id" = Uuid, Path)),
    responses((status = 200, body = adv::Advisory), (status = 409, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn publish(state: web::Data<AppState>, who: Authorized<Curators>, id: web::Path<Uuid>) -> Result<web::Json<adv::Advisory>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| advisories::publish(
        &s,
        &principal.actor(),
        &Viewer::from_principal(&principal),
        id
    ))?))
}

/// Amend a published advisory: a new STIX version.
#[utoipa::path(post, path = "/api/v1/advisories/{id}/amend", tag = "advisories", params(("id" = Uuid, Path)), request_body = adv::AdvisoryDraft,
    responses((status = 200, body = adv::Advisory), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn amend(
    state: web::Data<AppState>,
    who: Authorized<Curators>,
    id: web::Path<Uuid>,
    body: web::Json<adv::AdvisoryDraft>,
) -> Result<web::Json<adv::Advisory>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| advisories::amend(&s, &principal, id, body.into_inner()))?))
}

/// Withdraw: a revoked STIX version; open reassessment tasks are cancelled.
#[utoipa::path(post, path = "/api/v1/advisories/{id}/withdraw", tag = "advisories", params(("id" = Uuid, Path)), request_body = adv::WithdrawRequest,
    responses((status = 200, body = adv::Advisory), (status = 409, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn withdraw(
    state: web::Data<AppState>,
    who: Authorized<Curators>,
    id: web::Path<Uuid>,
    body: web::Json<adv::WithdrawRequest>,
) -> Result<web::Json<adv::Advisory>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| advisories::withdraw(&s, &principal, id, &body.reason))?))
}

/// The members it concerns and the register entries to reassess, with the reasons.
#[utoipa::path(get, path = "/api/v1/advisories/{id}/matches", tag = "advisories", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<adv::MemberMatch>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn matches(state: web::Data<AppState>, who: Authorized<Curators>, id: web::Path<Uuid>) -> Result<web::Json<Vec<adv::MemberMatch>>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| advisories::matches(&s, &principal, id))?))
}

/// Who has and has not acted: per member, state, deadline, overdue.
#[utoipa::path(get, path = "/api/v1/advisories/{id}/board", tag = "advisories", params(("id" = Uuid, Path)),
    responses((status = 200, body = adv::Board)), security(("bearer" = []), ("api_key" = [])))]
pub async fn board(state: web::Data<AppState>, who: Authorized<Curators>, id: web::Path<Uuid>) -> Result<web::Json<adv::Board>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| tasks::board(&s, &principal, id))?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TaskFilter {
    /// Only the tasks of this advisory.
    pub advisory: Option<Uuid>,
}

/// Reassessment tasks: a member's own; all for analysts.
#[utoipa::path(get, path = "/api/v1/reassessments", tag = "reassessments", params(TaskFilter),
    responses((status = 200, body = Vec<adv::ReassessmentTask>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn tasks_list(
    state: web::Data<AppState>,
    who: Authorized<ReportHandlers>,
    filter: web::Query<TaskFilter>,
) -> Result<web::Json<Vec<adv::ReassessmentTask>>, ApiError> {
    let (principal, advisory) = (who.principal, filter.advisory);
    Ok(web::Json(blocking!(state, |s| tasks::list(&s, &principal, advisory))?))
}

#[utoipa::path(get, path = "/api/v1/reassessments/{id}", tag = "reassessments", params(("id" = Uuid, Path)),
    responses((status = 200, body = adv::ReassessmentTask), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn task_get(state: web::Data<AppState>, who: Authorized<ReportHandlers>, id: web::Path<Uuid>) -> Result<web::Json<adv::ReassessmentTask>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| tasks::get(&s, &principal, id))?))
}

/// The member acknowledges the request.
#[utoipa::path(post, path = "/api/v1/reassessments/{id}/ack", tag = "reassessments", params(("id" = Uuid, Path)),
    responses((status = 200, body = adv::ReassessmentTask), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn task_ack(state: web::Data<AppState>, who: Authorized<ReportHandlers>, id: web::Path<Uuid>) -> Result<web::Json<adv::ReassessmentTask>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| tasks::acknowledge(&s, &principal, id))?))
}

/// The member's reassessment: new impact and likelihood, a decision and a note per flagged entry.
#[utoipa::path(post, path = "/api/v1/reassessments/{id}/reassess", tag = "reassessments", params(("id" = Uuid, Path)), request_body = adv::ReassessRequest,
    responses((status = 200, body = adv::ReassessmentTask), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn task_reassess(
    state: web::Data<AppState>,
    who: Authorized<ReportHandlers>,
    id: web::Path<Uuid>,
    body: web::Json<adv::ReassessRequest>,
) -> Result<web::Json<adv::ReassessmentTask>, ApiError> {
    let (principal, id) = (who.principal, id.into_inner());
    Ok(web::Json(blocking!(state, |s| tasks::reassess(&s, &principal, id, body.into_inner()))?))
}

/// The routes of advisories, reassessments, the profile and the register,
/// mounted under `/api/v1` by [`crate::api::configure`].
pub fn routes(cfg: &mut web::ServiceConfig) {
    use crate::api::profile;
    use crate::auth::require_role;
    use actix_web::middleware::from_fn;
    cfg.service(
        web::scope("/advisories")
            .wrap(from_fn(require_role::<AnyRole>))
            .service(web::resource("").route(web::post().to(create)).route(web::get().to(list)))
            .service(web::resource("/{id}").route(web::get().to(get)).route(web::put().to(edit)))
            .route("/{id}/publish", web::post().to(publish))
            .route("/{id}/amend", web::post().to(amend))
            .route("/{id}/withdraw", web::post().to(withdraw))
            .route("/{id}/matches", web::get().to(matches))
            .route("/{id}/board", web::get().to(board)),
    )
    .service(
        web::scope("/reassessments")
            .wrap(from_fn(require_role::<ReportHandlers>))
            .route("", web::get().to(tasks_list))
            .route("/{id}", web::get().to(task_get))
            .route("/{id}/ack", web::post().to(task_ack))
            .route("/{id}/reassess", web::post().to(task_reassess)),
    )
    .service(
        web::scope("/profile")
            .wrap(from_fn(require_role::<crate::auth::Operators>))
            .service(web::resource("").route(web::get().to(profile::get)).route(web::put().to(profile::update)))
            .service(
                web::resource("/technologies")
                    .route(web::get().to(profile::technologies))
                    .route(web::post().to(profile::add_technology)),
            )
            .route("/technologies/{id}", web::delete().to(profile::remove_technology)),
    )
    .service(
        web::scope("/register")
            .wrap(from_fn(require_role::<crate::auth::Operators>))
            .service(web::resource("").route(web::get().to(profile::list)).route(web::post().to(profile::create)))
            .route("/export", web::get().to(profile::export))
            .route("/import", web::post().to(profile::import))
            .service(
                web::resource("/{id}")
                    .route(web::get().to(profile::get_entry))
                    .route(web::put().to(profile::update_entry))
                    .route(web::delete().to(profile::delete_entry)),
            )
            .route("/{id}/history", web::get().to(profile::history)),
    );
}
