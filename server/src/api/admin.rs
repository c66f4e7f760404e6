//! `/api/v1/admin`: organisations, users, API keys, peers. Admins only.

use actix_web::{web, HttpResponse};
use isacx_schemas::api;
use isacx_schemas::error::ProblemDetails;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{AdminOnly, Authorized};
use crate::error::ApiError;
use crate::members;


/// Register a member organisation.
#[utoipa::path(post, path = "/api/v1/admin/organisations", tag = "admin", request_body = api::NewOrganisation,
    responses((status = 201, body = api::Organisation), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn create_organisation(state: web::Data<AppState>, principal: Authorized<AdminOnly>, body: web::Json<api::NewOrganisation>) -> Result<HttpResponse, ApiError> {
    let org = blocking!(state, |s| members::create_organisation(&s.db, &s.member_rules(), &principal.actor(), body.into_inner()))?;
    Ok(HttpResponse::Created().json(org))
}

#[utoipa::path(get, path = "/api/v1/admin/organisations", tag = "admin",
    responses((status = 200, body = Vec<api::Organisation>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn list_organisations(state: web::Data<AppState>, _admin: Authorized<AdminOnly>) -> Result<web::Json<Vec<api::Organisation>>, ApiError> {
    Ok(web::Json(blocking!(state, |s| members::list_organisations(&s.db))?))
}

#[utoipa::path(get, path = "/api/v1/admin/organisations/{id}", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = api::Organisation), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn get_organisation(state: web::Data<AppState>, _admin: Authorized<AdminOnly>, id: web::Path<Uuid>) -> Result<web::Json<api::Organisation>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(blocking!(state, |s| members::get_organisation(&s.db, id))?))
}

/// Create a user; the password is hashed with argon2 and never stored.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", request_body = api::NewUser,
    responses((status = 201, body = api::User), (status = 409, body = ProblemDetails, content_type = "application/problem+json"), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn create_user(state: web::Data<AppState>, principal: Authorized<AdminOnly>, body: web::Json<api::NewUser>) -> Result<HttpResponse, ApiError> {
    let user = blocking!(state, |s| members::create_user(&s.db, &s.member_rules(), &principal.actor(), body.into_inner()))?;
    Ok(HttpResponse::Created().json(user))
}

#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    responses((status = 200, body = Vec<api::User>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn list_users(state: web::Data<AppState>, _admin: Authorized<AdminOnly>) -> Result<web::Json<Vec<api::User>>, ApiError> {
    Ok(web::Json(blocking!(state, |s| members::list_users(&s.db))?))
}

/// Disable or enable a user, lift a lockout, or set a new password.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", params(("id" = Uuid, Path)), request_body = api::UserUpdate,
    responses((status = 200, body = api::User), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn update_user(state: web::Data<AppState>, principal: Authorized<AdminOnly>, id: web::Path<Uuid>, body: web::Json<api::UserUpdate>) -> Result<web::Json<api::User>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(blocking!(state, |s| members::update_user(&s.db, &s.member_rules(), &principal.actor(), id, body.into_inner()))?))
}

/// Create an API key; the secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/admin/api-keys", tag = "admin", request_body = api::NewApiKey,
    responses((status = 201, body = api::CreatedApiKey), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn create_api_key(state: web::Data<AppState>, principal: Authorized<AdminOnly>, body: web::Json<api::NewApiKey>) -> Result<HttpResponse, ApiError> {
    let key = blocking!(state, |s| members::create_api_key(&s.db, &principal.actor(), body.into_inner()))?;
    Ok(HttpResponse::Created().json(key))
}

#[utoipa::path(get, path = "/api/v1/admin/api-keys", tag = "admin",
    responses((status = 200, body = Vec<api::ApiKey>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn list_api_keys(state: web::Data<AppState>, _admin: Authorized<AdminOnly>) -> Result<web::Json<Vec<api::ApiKey>>, ApiError> {
    Ok(web::Json(blocking!(state, |s| members::list_api_keys(&s.db))?))
}

/// Revoke an API key; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/admin/api-keys/{id}", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = api::ApiKey), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn revoke_api_key(state: web::Data<AppState>, principal: Authorized<AdminOnly>, id: web::Path<Uuid>) -> Result<web::Json<api::ApiKey>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(blocking!(state, |s| members::revoke_api_key(&s.db, &principal.actor(), id))?))
}

/// Register another sharing body's server.
#[utoipa::path(post, path = "/api/v1/admin/peers", tag = "admin", request_body = api::NewPeer,
    responses((status = 201, body = api::Peer), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn create_peer(state: web::Data<AppState>, principal: Authorized<AdminOnly>, body: web::Json<api::NewPeer>) -> Result<HttpResponse, ApiError> {
    let peer = blocking!(state, |s| members::create_peer(&s.db, &s.member_rules(), &principal.actor(), body.into_inner()))?;
    Ok(HttpResponse::Created().json(peer))
}

#[utoipa::path(get, path = "/api/v1/admin/peers", tag = "admin",
    responses((status = 200, body = Vec<api::Peer>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn list_peers(state: web::Data<AppState>, _admin: Authorized<AdminOnly>) -> Result<web::Json<Vec<api::Peer>>, ApiError> {
    Ok(web::Json(blocking!(state, |s| members::list_peers(&s.db))?))
}

/// Add an auto-publish rule: the organisation's submissions of the kind are
/// published without review when the anonymiser found nothing in them.
#[utoipa::path(post, path = "/api/v1/admin/auto-publish-rules", tag = "admin", request_body = api::NewAutoPublishRule,
    responses((status = 201, body = api::AutoPublishRule), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn create_auto_publish_rule(state: web::Data<AppState>, principal: Authorized<AdminOnly>, body: web::Json<api::NewAutoPublishRule>) -> Result<HttpResponse, ApiError> {
    let rule = blocking!(state, |s| crate::auto_publish::create(&s.db, &s.member_rules(), &principal.actor(), body.into_inner()))?;
    Ok(HttpResponse::Created().json(rule))
}

#[utoipa::path(get, path = "/api/v1/admin/auto-publish-rules", tag = "admin",
    responses((status = 200, body = Vec<api::AutoPublishRule>)), security(("bearer" = []), ("api_key" = [])))]
pub async fn list_auto_publish_rules(state: web::Data<AppState>, _admin: Authorized<AdminOnly>) -> Result<web::Json<Vec<api::AutoPublishRule>>, ApiError> {
    Ok(web::Json(blocking!(state, |s| crate::auto_publish::list(&s.db))?))
}

/// Remove an auto-publish rule; later submissions go to review again.
#[utoipa::path(delete, path = "/api/v1/admin/auto-publish-rules/{id}", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = api::AutoPublishRule), (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn delete_auto_publish_rule(state: web::Data<AppState>, principal: Authorized<AdminOnly>, id: web::Path<Uuid>) -> Result<web::Json<api::AutoPublishRule>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(blocking!(state, |s| crate::auto_publish::delete(&s.db, &principal.actor(), id))?))
}
