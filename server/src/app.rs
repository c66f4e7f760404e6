//! Builds and runs the server, so the binary and the tests start the same thing.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Server, ServerHandle, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{from_fn, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, App, HttpServer};
use isacx_schemas::api::Sector;
use isacx_schemas::error::{ErrorCode, PROBLEM_JSON};

use crate::auth::{LoginThrottle, TokenKeys};
use crate::config::Settings;
use crate::db::Database;
use crate::error::ApiError;
use crate::members::Rules;

/// What every handler can reach.
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Database,
    pub tokens: TokenKeys,
    pub login_throttle: LoginThrottle,
    pub basic_cache: crate::auth::BasicCache,
    pub api_key_last_used: crate::auth::LastUsedWrites,
    pub sectors: Vec<Sector>,
    pub sector_ids: Vec<String>,
    /// Secret namespace for the ids of sanitised copies, so a raw id does not reveal the shared one.
    pub anonymise_namespace: uuid::Uuid,
    /// Members' compiled anonymiser patterns, rebuilt when a profile changes.
    pub profiles: crate::anonymise::ProfileCache,
    /// This process among the servers sharing the database: holder of outbox claims and job leases.
    pub instance_id: String,
}

impl AppState {
    /// Connect, migrate, and load the signing keys.
    pub fn init(settings: Settings) -> anyhow::Result<AppState> {
        let db = Database::connect(&settings.storage.database_url, settings.storage.pool_size)?;
        let applied = db.migrate()?;
        for name in &applied {
            tracing::info!(migration = %name, "applied migration");
        }
        let tokens = TokenKeys::load_or_create(&db, &settings.identity.server_id).map_err(|e| anyhow::anyhow!("{e}"))?;
        let sectors = crate::sectors::configured()?;
        let namespace_secret = crate::auth::server_secret(&db, "anonymise_namespace").map_err(|e| anyhow::anyhow!("{e}"))?;
        let anonymise_namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, namespace_secret.as_bytes());
        let sector_ids = sectors.iter().map(|s| s.id.clone()).collect();
        let instance_id = format!("{}/{}", settings.identity.server_id, uuid::Uuid::new_v4().simple());
        Ok(AppState {
            login_throttle: LoginThrottle::per_minute(settings.auth.login_attempts_per_minute),
            basic_cache: crate::auth::BasicCache::default(),
            api_key_last_used: crate::auth::LastUsedWrites::default(),
            settings: Arc::new(settings),
            db,
            tokens,
            sectors,
            sector_ids,
            anonymise_namespace,
            profiles: crate::anonymise::ProfileCache::default(),
            instance_id,
        })
    }

    pub fn member_rules(&self) -> Rules<'_> {
        Rules { sector_ids: &self.sector_ids, min_password_length: self.settings.auth.min_password_length }
    }
}

/// A bound, not yet awaited server.
pub struct Running {
    pub server: Server,
    pub handle: ServerHandle,
    pub addr: SocketAddr,
    pub scheme: &'static str,
}

/// Bind the listener (TLS unless switched off) and build the server.
pub fn start(state: AppState) -> anyhow::Result<Running> {
    let settings = state.settings.clone();
    let data_dir = settings.data_dir();
    let state = web::Data::new(state);
    let app_state = state.clone();
    let max_body = settings.http.max_body_bytes;
    let max_content = settings.taxii.max_content_length;
    let factory = move || {
        App::new()
            .app_data(app_state.clone())
            .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
            .wrap(actix_web::middleware::DefaultHeaders::new().add((isacx_schemas::API_VERSION_HEADER, isacx_schemas::API_VERSION)))
            .wrap(from_fn(crate::telemetry::request_id_middleware))
            .wrap(from_fn(crate::federation::tls::client_certificate_middleware))
            .configure(|cfg| crate::api::configure(cfg, max_body))
            .configure(|cfg| crate::federation::ingress::configure(cfg, max_content))
            .configure(|cfg| crate::taxii::configure(cfg, max_content))
            .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(ApiError::not_found("no such endpoint")) }))
    };
    let mut server = HttpServer::new(factory)
        .shutdown_timeout(settings.http.shutdown_timeout_secs)
        .on_connect(crate::federation::tls::note_client_certificate);
    if settings.http.workers > 0 {
        server = server.workers(settings.http.workers);
    }
    let (server, scheme) = if settings.tls.enabled {
        if settings.tls.cert_file.is_empty() && crate::tls::ensure_local_ca(&data_dir, &settings.tls.extra_names)? {
            let ca = crate::tls::LocalCa::in_dir(&data_dir).ca_cert;
            let ca = std::fs::canonicalize(&ca).unwrap_or(ca);
            eprintln!("Created a local certificate authority. Clients trust this server with: --ca-file {}", ca.display());
        }
        let tls = crate::federation::tls::server_config(&settings, &data_dir)?;
        (server.bind_rustls_0_23(&settings.http.bind, tls)?, "https")
    } else {
        tracing::warn!("TLS is switched off: run this only behind a TLS-terminating proxy");
        (server.bind(&settings.http.bind)?, "http")
    };
    let addr = server.addrs().first().copied().ok_or_else(|| anyhow::anyhow!("the server bound no address"))?;
    let server = server.run();
    let handle = server.handle();
    // Background work runs beside the HTTP server, on the same runtime.
    crate::notify::workers::spawn(state.clone())?;
    crate::jobs::spawn(state.clone());
    if let crate::db::Backend::Postgres(url) = state.db.backend() {
        crate::notify::listen::spawn(&state.clone().into_inner(), url.clone())?;
    }
    Ok(Running { server, handle, addr, scheme })
}

/// actix answers some errors itself (405, bodies it could not read) with an
/// empty or plain-text body; give those a problem-details body too.
fn problem_for_bare_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON) || v.starts_with("application/taxii+json"));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let code = match status.as_u16() {
        400 => ErrorCode::MalformedRequest,
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::Forbidden,
        404 | 405 => ErrorCode::NotFound,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        429 => ErrorCode::RateLimited,
        503 => ErrorCode::ServiceUnavailable,
        s if s < 500 => ErrorCode::MalformedRequest,
        _ => ErrorCode::Internal,
    };
    let detail = if status.as_u16() == 405 {
        "this endpoint does not support that method".to_owned()
    } else {
        status.canonical_reason().unwrap_or("error").to_owned()
    };
    let mut problem = ApiError::new(code, detail).problem();
    problem.status = status.as_u16();
    let (req, res) = res.into_parts();
    let mut builder = actix_web::HttpResponse::build(status);
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.insert_header((name.clone(), value.clone()));
        }
    }
    let response = builder
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .body(BoxBody::new(serde_json::to_string(&problem).unwrap_or_default()));
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}
