//! The REST API, wired in one place.

/// Run `$body` on the blocking pool with the app state as `$s`: handlers
/// never touch the database on an actix worker.
macro_rules! blocking {
    ($state:ident, |$s:ident| $body:expr) => {{
        let $s = $state.clone().into_inner();
        crate::db::blocking(move || $body).await
    }};
}

pub mod admin;
pub mod advisories;
pub mod auth;
pub mod digests;
pub mod followups;
pub mod meta;
pub mod notifications;
pub mod peers;
pub mod policy;
pub mod profile;
pub mod reports;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpRequest};
use isacx_schemas::error::ErrorCode;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(title = "isacx", description = "REST API of the isacx information-sharing exchange. Errors are RFC 9457 problem details with a stable `code`."),
    paths(
        meta::healthz, meta::readyz, meta::sectors,
        auth::login, auth::logout, auth::whoami,
        admin::create_organisation, admin::list_organisations, admin::get_organisation,
        admin::create_user, admin::list_users, admin::update_user,
        admin::create_api_key, admin::list_api_keys, admin::revoke_api_key,
        admin::create_peer, admin::list_peers, peers::status, peers::sync, peers::update,
        admin::create_auto_publish_rule, admin::list_auto_publish_rules, admin::delete_auto_publish_rule,
        policy::where_will_it_go,
        reports::submit, reports::list, reports::get, reports::amend, reports::withdraw,
        reports::queue, reports::open, reports::edit, reports::publish, reports::reject,
        followups::ask, followups::list, followups::get, followups::post,
        advisories::create, advisories::list, advisories::get, advisories::edit, advisories::publish,
        advisories::amend, advisories::withdraw, advisories::matches, advisories::board,
        advisories::tasks_list, advisories::task_get, advisories::task_ack, advisories::task_reassess,
        profile::get, profile::update, profile::technologies, profile::add_technology, profile::remove_technology,
        profile::list, profile::create, profile::get_entry, profile::update_entry, profile::delete_entry,
        profile::history, profile::export, profile::import,
        notifications::get_settings, notifications::put_settings, notifications::get_organisation, notifications::put_organisation,
        notifications::list_webhooks, notifications::create_webhook, notifications::disable_webhook, notifications::stream,
        notifications::list_deliveries, notifications::retry_delivery,
        digests::list, digests::get, digests::preview,
    ),
    components(schemas(isacx_schemas::error::ErrorCode, isacx_schemas::error::FieldError)),
    modifiers(&SecuritySchemes),
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()));
        components.add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))));
    }
}

/// The OpenAPI 3.1 document, pretty-printed as committed under `schemas/openapi.json`.
pub fn openapi_json() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.to_pretty_json().unwrap_or_default() + "\n"
}

pub fn configure(cfg: &mut web::ServiceConfig, max_body_bytes: usize) {
    cfg.app_data(json_config(max_body_bytes))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .route("/healthz", web::get().to(meta::healthz))
        .route("/readyz", web::get().to(meta::readyz))
        .service(
            web::scope("/api/v1")
                .route("/openapi.json", web::get().to(meta::openapi))
                .route("/sectors", web::get().to(meta::sectors))
                .service(
                    web::scope("/reports")
                        .wrap(actix_web::middleware::from_fn(crate::auth::require_role::<crate::auth::ReportHandlers>))
                        .service(web::resource("").route(web::post().to(reports::submit)).route(web::get().to(reports::list)))
                        .service(web::resource("/{id}").route(web::get().to(reports::get)).route(web::put().to(reports::amend)))
                        .route("/{id}/withdraw", web::post().to(reports::withdraw)),
                )
                .service(
                    web::scope("/followups")
                        .wrap(actix_web::middleware::from_fn(crate::auth::require_role::<crate::auth::ReportHandlers>))
                        // Runs first (wrapped last): peers are told no before user authentication.
                        .wrap(actix_web::middleware::from_fn(followups::refuse_peers))
                        .service(web::resource("").route(web::post().to(followups::ask)).route(web::get().to(followups::list)))
                        .route("/{id}", web::get().to(followups::get))
                        .route("/{id}/messages", web::post().to(followups::post)),
                )
                .service(
                    web::scope("/review")
                        .wrap(actix_web::middleware::from_fn(crate::auth::require_role::<crate::auth::Curators>))
                        .route("", web::get().to(reports::queue))
                        .route("/{id}", web::get().to(reports::open))
                        .route("/{id}/sanitised", web::put().to(reports::edit))
                        .route("/{id}/publish", web::post().to(reports::publish))
                        .route("/{id}/reject", web::post().to(reports::reject)),
                )
                .configure(crate::api::advisories::routes)
                .configure(crate::api::digests::routes)
                .service(
                    web::scope("/policy")
                        .wrap(actix_web::middleware::from_fn(crate::auth::require_role::<crate::auth::Curators>))
                        .route("/where", web::post().to(policy::where_will_it_go)),
                )
                .service(
                    web::scope("/notifications")
                        .service(
                            web::resource("/settings")
                                .route(web::get().to(notifications::get_settings))
                                .route(web::put().to(notifications::put_settings)),
                        )
                        .service(
                            web::resource("/organisation")
                                .route(web::get().to(notifications::get_organisation))
                                .route(web::put().to(notifications::put_organisation)),
                        )
                        .service(
                            web::resource("/webhooks")
                                .route(web::get().to(notifications::list_webhooks))
                                .route(web::post().to(notifications::create_webhook)),
                        )
                        .route("/webhooks/{id}", web::delete().to(notifications::disable_webhook))
                        .route("/stream", web::get().to(notifications::stream)),
                )
                .service(
                    web::scope("/auth")
                        .route("/login", web::post().to(auth::login))
                        .route("/logout", web::post().to(auth::logout))
                        .route("/whoami", web::get().to(auth::whoami)),
                )
                .service(
                    web::scope("/admin")
                        .wrap(actix_web::middleware::from_fn(crate::auth::require_role::<crate::auth::AdminOnly>))
                        .service(
                            web::resource("/organisations")
                                .route(web::post().to(admin::create_organisation))
                                .route(web::get().to(admin::list_organisations)),
                        )
                        .route("/organisations/{id}", web::get().to(admin::get_organisation))
                        .service(web::resource("/users").route(web::post().to(admin::create_user)).route(web::get().to(admin::list_users)))
                        .route("/users/{id}", web::patch().to(admin::update_user))
                        .service(
                            web::resource("/api-keys").route(web::post().to(admin::create_api_key)).route(web::get().to(admin::list_api_keys)),
                        )
                        .route("/api-keys/{id}", web::delete().to(admin::revoke_api_key))
                        .route("/deliveries", web::get().to(notifications::list_deliveries))
                        .route("/deliveries/{id}/retry", web::post().to(notifications::retry_delivery))
                        .service(web::resource("/peers").route(web::post().to(admin::create_peer)).route(web::get().to(admin::list_peers)))
                        .route("/peers/status", web::get().to(peers::status))
                        .route("/peers/{id}", web::patch().to(peers::update))
                        .route("/peers/{id}/sync", web::post().to(peers::sync))
                        .service(
                            web::resource("/auto-publish-rules")
                                .route(web::post().to(admin::create_auto_publish_rule))
                                .route(web::get().to(admin::list_auto_publish_rules)),
                        )
                        .route("/auto-publish-rules/{id}", web::delete().to(admin::delete_auto_publish_rule)),
                ),
        );
}

fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(|err, _req: &HttpRequest| {
        let api = match &err {
            JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
                ApiError::new(ErrorCode::PayloadTooLarge, format!("the body is larger than {limit} bytes"))
            }
            JsonPayloadError::ContentType => {
                ApiError::new(ErrorCode::UnsupportedMediaType, "send the body as Content-Type: application/json")
            }
            JsonPayloadError::Deserialize(e) => ApiError::malformed(format!("the JSON body does not match: {e}")),
            JsonPayloadError::Serialize(e) => ApiError::internal(e),
            other => ApiError::malformed(format!("the body could not be read: {other}")),
        };
        api.into()
    })
}

fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::not_found(format!("no such resource: {err}")).into()
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::malformed(format!("invalid query string: {err}")).into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_openapi_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/openapi.json");
        let current = super::openapi_json();
        if std::env::var_os("ISACX_UPDATE_SCHEMAS").is_some() {
            std::fs::write(&path, &current).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == current,
            "schemas/openapi.json is stale: run `ISACX_UPDATE_SCHEMAS=1 cargo test -p isacx-server committed_openapi`"
        );
        let doc: serde_json::Value = serde_json::from_str(&current).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
