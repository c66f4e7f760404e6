//! TAXII endpoints answer errors with TAXII's error resource (§3.6.1), not
//! problem details.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use isacx_schemas::error::ErrorCode;
use isacx_schemas::taxii::{TaxiiError, TAXII_MEDIA_TYPE};

use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct TaxiiApiError {
    pub status: u16,
    pub title: String,
    pub description: String,
    pub code: Option<ErrorCode>,
}

impl TaxiiApiError {
    pub fn new(status: u16, title: &str, description: impl Into<String>) -> TaxiiApiError {
        TaxiiApiError { status, title: title.to_owned(), description: description.into(), code: None }
    }
    pub fn bad_request(description: impl Into<String>) -> TaxiiApiError {
        TaxiiApiError::new(400, "Bad request", description)
    }
    pub fn not_found(description: impl Into<String>) -> TaxiiApiError {
        TaxiiApiError::new(404, "Not found", description)
    }
    pub fn forbidden(description: impl Into<String>) -> TaxiiApiError {
        TaxiiApiError::new(403, "Forbidden", description)
    }
    pub fn not_acceptable() -> TaxiiApiError {
        TaxiiApiError::new(406, "Not acceptable", "send Accept: application/taxii+json;version=2.1")
    }
    pub fn unsupported_media_type() -> TaxiiApiError {
        TaxiiApiError::new(415, "Unsupported media type", "send Content-Type: application/taxii+json;version=2.1")
    }
    pub fn unprocessable(description: impl Into<String>) -> TaxiiApiError {
        TaxiiApiError::new(422, "Unprocessable entity", description)
    }
}

impl std::fmt::Display for TaxiiApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.title, self.description)
    }
}

impl From<ApiError> for TaxiiApiError {
    fn from(e: ApiError) -> TaxiiApiError {
        TaxiiApiError { status: e.code.http_status(), title: e.code.title().to_owned(), description: e.detail, code: Some(e.code) }
    }
}

impl ResponseError for TaxiiApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = TaxiiError::new(self.status, self.title.clone());
        body.description = Some(self.description.clone());
        body.error_code = self.code.map(|c| c.as_str().to_owned());
        body.error_id = crate::telemetry::current_request_id();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(TAXII_MEDIA_TYPE)));
        if self.status == 401 {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"isacx TAXII\", Bearer")));
        }
        response.body(serde_json::to_string(&body).unwrap_or_default())
    }
}
