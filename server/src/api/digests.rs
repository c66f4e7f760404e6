//! `/api/v1/digests`: the liaison digests — the archive of scheduled ones and
//! an on-demand digest for any period — as JSON, CSV or a printable HTML page.
//!
//! Liaisons, analysts and admins only. A liaison's scope is its
//! organisation's sectors (all when it names none): it reads archived digests
//! within that scope and asks for no sector outside it (403 naming the
//! sector). Whoever asks, a digest is counted for a liaison viewer, so an
//! analyst previews exactly what liaisons receive.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use isacx_schemas::api::Role;
use isacx_schemas::digest::{Digest, DigestSummary, PeriodKind};
use isacx_schemas::error::{FieldError, ProblemDetails};
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Allowed, Authorized, Principal};
use crate::db::schema::users;
use crate::digest::{self, render, Options, Scope};
use crate::error::ApiError;

/// Who reads digests: liaisons, and the sharing body's staff.
pub struct DigestReaders;
impl Allowed for DigestReaders {
    const ROLES: &'static [Role] = &[Role::Liaison, Role::Analyst, Role::Admin];
}


/// The sectors a caller may ask about.
fn caller_scope(principal: &Principal) -> Scope {
    match principal.role {
        Role::Liaison => Scope::of_organisation(&principal.organisation_sectors()),
        _ => Scope::all(),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Only digests of this period: daily or weekly.
    pub period: Option<String>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RenderQuery {
    /// json (default), csv or html; also chosen by `Accept: text/csv` or `text/html`.
    pub format: Option<String>,
    /// Language of the HTML page: ja or en (default: the caller's locale).
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PreviewQuery {
    /// daily or weekly (the period up to `to`, default daily), or custom with `from` and `to`.
    pub period: Option<String>,
    /// Start of a custom period (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// End of the period (RFC 3339); default now.
    pub to: Option<DateTime<Utc>>,
    /// Comma-separated sector ids within the caller's scope; default the whole scope.
    pub sectors: Option<String>,
    /// json (default), csv or html; also chosen by `Accept`.
    pub format: Option<String>,
    /// Language of the HTML page: ja or en (default: the caller's locale).
    pub lang: Option<String>,
}

fn parse_period(text: &str) -> Result<PeriodKind, ApiError> {
    text.parse::<PeriodKind>().map_err(|m| ApiError::field("period", m))
}

/// Archived digests the caller may read, newest period first.
#[utoipa::path(get, path = "/api/v1/digests", tag = "digests", params(ListQuery),
    responses((status = 200, body = Vec<DigestSummary>), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn list(state: web::Data<AppState>, who: Authorized<DigestReaders>, query: web::Query<ListQuery>) -> Result<web::Json<Vec<DigestSummary>>, ApiError> {
    let period = query.period.as_deref().map(parse_period).transpose()?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field("limit", "between 1 and 500"));
    }
    let scope = caller_scope(&who.principal);
    let rows = blocking!(state, |s| s.db.read(|conn| digest::list(conn, period, 10_000)))?;
    let mut out = Vec::new();
    for row in rows.into_iter().filter(|r| scope.covers(&r.scope())) {
        if let Some(summary) = row.digest()?.summary() {
            out.push(summary);
        }
        if out.len() as i64 >= limit {
            break;
        }
    }
    Ok(web::Json(out))
}

/// One archived digest, as JSON, CSV or a printable HTML page.
#[utoipa::path(get, path = "/api/v1/digests/{id}", tag = "digests", params(("id" = Uuid, Path), RenderQuery),
    responses(
        (status = 200, body = Digest),
        (status = 200, content_type = "text/csv", body = String),
        (status = 200, content_type = "text/html", body = String),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    who: Authorized<DigestReaders>,
    id: web::Path<Uuid>,
    query: web::Query<RenderQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let format = Format::chosen(query.format.as_deref(), &req)?;
    let principal = who.principal;
    let scope = caller_scope(&principal);
    let id = id.into_inner();
    let row = blocking!(state, |s| s.db.read(|conn| digest::load(conn, id)))?;
    // A digest outside the caller's scope is "not found", like any object it may not read.
    let Some(row) = row.filter(|r| scope.covers(&r.scope())) else {
        return Err(ApiError::not_found(format!("no digest {id}")));
    };
    let digest = row.digest()?;
    respond(&state, &principal, digest, format, query.lang.as_deref()).await
}

/// An on-demand digest for any period (not archived): `period=daily|weekly`
/// for the period up to `to` (default now), or `from` and `to` for any other.
#[utoipa::path(get, path = "/api/v1/digests/preview", tag = "digests", params(PreviewQuery),
    responses(
        (status = 200, body = Digest),
        (status = 200, content_type = "text/csv", body = String),
        (status = 200, content_type = "text/html", body = String),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn preview(state: web::Data<AppState>, who: Authorized<DigestReaders>, query: web::Query<PreviewQuery>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let format = Format::chosen(query.format.as_deref(), &req)?;
    let principal = who.principal;
    let query = query.into_inner();
    let (period, from, to) = requested_period(&query)?;
    let scope = requested_scope(&state, &principal, query.sectors.as_deref())?;
    let options = Options::from_state(&state);
    let digest = blocking!(state, |s| s.db.read(|conn| digest::compute(conn, options, period, from, to, &scope)))?;
    respond(&state, &principal, digest, format, query.lang.as_deref()).await
}

/// The period a preview asks for.
fn requested_period(query: &PreviewQuery) -> Result<(PeriodKind, DateTime<Utc>, DateTime<Utc>), ApiError> {
    let period = query.period.as_deref().map(parse_period).transpose()?;
    match (query.from, query.to) {
        (Some(from), Some(to)) => {
            if period.is_some_and(|p| p != PeriodKind::Custom) {
                return Err(ApiError::field("period", "with `from` and `to` the period is custom; leave `period` out or give `custom`"));
            }
            digest::check_period(from, to)?;
            Ok((PeriodKind::Custom, from, to))
        }
        (Some(_), None) => Err(ApiError::field("to", "a custom period needs `to` as well as `from`")),
        (None, to) => {
            let period = period.unwrap_or(PeriodKind::Daily);
            let to = to.unwrap_or_else(|| crate::jobs::tick_of(Utc::now()).and_utc());
            match digest::scheduled_period(period, to) {
                Some((from, to)) => Ok((period, from, to)),
                None => Err(ApiError::field("from", "a custom period needs `from` and `to`")),
            }
        }
    }
}

/// The sectors a preview asks for: known ids, each within the caller's scope.
fn requested_scope(state: &AppState, principal: &Principal, sectors: Option<&str>) -> Result<Scope, ApiError> {
    let allowed = caller_scope(principal);
    let wanted: Vec<String> = sectors.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if wanted.is_empty() {
        return Ok(allowed);
    }
    let unknown: Vec<FieldError> = wanted
        .iter()
        .filter(|s| s.as_str() != crate::policy::ALL_SECTORS && !state.sector_ids.contains(s))
        .map(|s| FieldError { field: "sectors".to_owned(), message: format!("unknown sector `{s}`") })
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::validation(unknown));
    }
    let requested = Scope::of(wanted.iter().cloned());
    if !allowed.covers(&requested) {
        let outside: Vec<&str> = if requested.is_all() {
            vec![crate::policy::ALL_SECTORS]
        } else {
            wanted.iter().map(String::as_str).filter(|s| !allowed.contains(s)).collect()
        };
        return Err(ApiError::forbidden(format!(
            "sector `{}` is outside your scope ({})",
            outside.join("`, `"),
            allowed.list().join(", ")
        )));
    }
    Ok(requested)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Html,
}

impl Format {
    /// `format=` wins; else the Accept header; else JSON.
    fn chosen(format: Option<&str>, req: &HttpRequest) -> Result<Format, ApiError> {
        if let Some(format) = format {
            return match format {
                "json" => Ok(Format::Json),
                "csv" => Ok(Format::Csv),
                "html" => Ok(Format::Html),
                other => Err(ApiError::field("format", format!("`{other}` is not json, csv or html"))),
            };
        }
        let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        Ok(if accept.contains("text/csv") {
            Format::Csv
        } else if accept.contains("text/html") {
            Format::Html
        } else {
            Format::Json
        })
    }
}

async fn respond(state: &web::Data<AppState>, principal: &Principal, digest: Digest, format: Format, lang: Option<&str>) -> Result<HttpResponse, ApiError> {
    match format {
        Format::Json => Ok(HttpResponse::Ok().json(digest)),
        Format::Csv => {
            let csv = render::csv(&digest).map_err(ApiError::internal)?;
            Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(csv))
        }
        Format::Html => {
            let lang = match lang {
                Some("ja") => render::Lang::Ja,
                Some("en") => render::Lang::En,
                Some(other) => return Err(ApiError::field("lang", format!("`{other}` is not ja or en"))),
                None => {
                    let user_id = principal.user_id.to_string();
                    let locale: Option<String> = blocking!(state, |s| s.db.read(|conn| Ok(users::table
                        .find(&user_id)
                        .select(users::locale)
                        .first::<String>(conn)
                        .optional()?)))?;
                    render::Lang::from_locale(locale.as_deref().unwrap_or("ja"))
                }
            };
            let identity = &state.settings.identity;
            let body = if lang == render::Lang::Ja { &identity.name_ja } else { &identity.name_en };
            Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(render::html(&digest, lang, body)))
        }
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    use actix_web::middleware::from_fn;
    cfg.service(
        web::scope("/digests")
            .wrap(from_fn(crate::auth::require_role::<DigestReaders>))
            .route("", web::get().to(list))
            .route("/preview", web::get().to(preview))
            .route("/{id}", web::get().to(get)),
    );
}
