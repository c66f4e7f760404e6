//! `/api/v1/auth`: log in, log out, who am I.

use actix_web::{web, HttpRequest, HttpResponse};
use isacx_schemas::api::{LoginRequest, LoginResponse, WhoAmI};
use isacx_schemas::error::ProblemDetails;

use crate::app::AppState;
use crate::auth::{self, AnyRole, Authorized};
use crate::error::ApiError;

/// Exchange a user name and password for a short-lived bearer token.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "invalid_credentials", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "account_locked or account_disabled", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "rate_limited", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
pub async fn login(state: web::Data<AppState>, req: HttpRequest, body: web::Json<LoginRequest>) -> Result<web::Json<LoginResponse>, ApiError> {
    let ip = auth::client_ip(&req);
    if let Some(ip) = ip {
        state.login_throttle.check(ip)?;
    }
    let LoginRequest { username, password } = body.into_inner();
    if username.is_empty() || password.is_empty() {
        return Err(ApiError::new(isacx_schemas::error::ErrorCode::InvalidCredentials, "user name or password is wrong"));
    }
    let state = state.into_inner();
    let client_ip = ip.map(|i| i.to_string());
    let (user, ()) = auth::verify_login(state.clone(), username, password, client_ip.clone()).await?;
    let ttl = state.settings.auth.token_ttl_minutes;
    let (token, session_id, expires_at) = crate::db::blocking({
        let state = state.clone();
        move || auth::open_session(&state.db, &state.tokens, &user, ttl, client_ip)
    })
    .await?;
    Ok(web::Json(LoginResponse { token, token_type: "Bearer".to_owned(), expires_at, session_id }))
}

/// End the current login session; its token stops working at once.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn logout(state: web::Data<AppState>, principal: Authorized<AnyRole>) -> Result<HttpResponse, ApiError> {
    let state = state.into_inner();
    crate::db::blocking(move || auth::revoke_session(&state.db, &principal.principal)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's identity, role and organisation.
#[utoipa::path(
    get, path = "/api/v1/auth/whoami", tag = "auth",
    responses((status = 200, body = WhoAmI), (status = 401, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn whoami(principal: Authorized<AnyRole>) -> Result<web::Json<WhoAmI>, ApiError> {
    Ok(web::Json(WhoAmI {
        user_id: principal.user_id,
        username: principal.username.clone(),
        display_name: principal.display_name.clone(),
        role: principal.role,
        organisation: principal.organisation.as_ref().map(|o| o.summary()),
        auth_method: principal.method,
        expires_at: principal.expires_at,
    }))
}
