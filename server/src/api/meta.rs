//! Health, readiness, configured sectors, and the OpenAPI document.

use actix_web::{web, HttpResponse};
use isacx_schemas::api::{Health, Sector};

use crate::app::AppState;
use crate::auth::{AnyRole, Authorized};
use crate::error::ApiError;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, body = Health)))]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok".to_owned(), database: None })
}

/// Readiness: the database answers too.
#[utoipa::path(get, path = "/readyz", tag = "meta", responses((status = 200, body = Health), (status = 503, body = isacx_schemas::error::ProblemDetails, content_type = "application/problem+json")))]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    let state = state.into_inner();
    let backend = state.db.backend().name();
    crate::db::blocking(move || state.db.ping().map_err(ApiError::unavailable)).await?;
    Ok(web::Json(Health { status: "ready".to_owned(), database: Some(backend.to_owned()) }))
}

/// The sectors this exchange serves.
#[utoipa::path(get, path = "/api/v1/sectors", tag = "meta", responses((status = 200, body = Vec<Sector>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn sectors(state: web::Data<AppState>, _principal: Authorized<AnyRole>) -> Result<web::Json<Vec<Sector>>, ApiError> {
    Ok(web::Json(state.sectors.clone()))
}

/// This document.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(super::openapi_json())
}
