//! The one error type of the REST API.
//!
//! Handlers return `Result<_, ApiError>`; every error leaves the server as an
//! RFC 9457 problem-details body with a stable [`ErrorCode`] from `schemas`.
//! Internal causes are logged with the request id and never sent to clients.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use chrono::{DateTime, Utc};
use isacx_schemas::error::{ErrorCode, FieldError, ProblemDetails, PROBLEM_JSON};

use crate::db::DbError;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub locked_until: Option<DateTime<Utc>>,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        ApiError { code, detail: detail.into(), errors: Vec::new(), locked_until: None, retry_after_secs: None }
    }

    pub fn malformed(detail: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::MalformedRequest, detail)
    }

    pub fn validation(errors: Vec<FieldError>) -> ApiError {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        ApiError { errors, ..ApiError::new(ErrorCode::ValidationFailed, detail) }
    }

    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::validation(vec![FieldError { field: field.to_owned(), message: message.into() }])
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::NotFound, what)
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Forbidden, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Conflict, detail)
    }

    /// A server fault: the cause is logged, the client sees only the request id.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(cause = %cause, "internal error");
        ApiError::new(ErrorCode::Internal, "the server could not complete the request; quote the request id to the operator")
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(cause = %cause, "service unavailable");
        ApiError::new(ErrorCode::ServiceUnavailable, "the database is unavailable; try again shortly")
    }

    pub fn problem(&self) -> ProblemDetails {
        let mut p = ProblemDetails::new(self.code, self.detail.clone());
        p.errors = self.errors.clone();
        p.locked_until = self.locked_until;
        p.request_id = crate::telemetry::current_request_id();
        p
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if matches!(
            self.code,
            ErrorCode::Unauthenticated | ErrorCode::InvalidToken | ErrorCode::TokenExpired | ErrorCode::TokenRevoked
        ) {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"isacx\"")));
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> ApiError {
        match e {
            DbError::Query(q) => q.into(),
            DbError::Pool(_) | DbError::Connect(_) => ApiError::unavailable(e),
            other => ApiError::internal(other),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => ApiError::not_found("no such record"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::debug!(message = info.message(), "unique violation");
                ApiError::conflict("a record with this name or key already exists")
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                ApiError::malformed("the request refers to a record that does not exist")
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> ApiError {
        ApiError::unavailable(e)
    }
}
