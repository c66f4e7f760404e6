//! Stable error codes and the RFC 9457 problem-details body.
//!
//! The server answers every REST error with a [`ProblemDetails`] whose `code`
//! is one of [`ErrorCode`]; the client matches on the code, never on text.
//! Codes are part of the API: rename one and clients break.

use serde::{Deserialize, Serialize};

/// Media type of a problem-details body (RFC 9457 §3).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every error the REST API can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body is not well-formed JSON or does not match the expected shape.
    MalformedRequest,
    /// The request is well-formed but a field is invalid; `errors` names each field.
    ValidationFailed,
    /// The body is larger than the server accepts.
    PayloadTooLarge,
    /// The `Content-Type` is not one the endpoint accepts.
    UnsupportedMediaType,
    /// No credentials were sent.
    Unauthenticated,
    /// User name or password wrong (deliberately not saying which).
    InvalidCredentials,
    /// The token's signature or shape is wrong.
    InvalidToken,
    /// The token has expired; log in again.
    TokenExpired,
    /// The session or API key was revoked.
    TokenRevoked,
    /// Too many failed logins: the account is locked until `locked_until`.
    AccountLocked,
    /// The account is disabled by an administrator.
    AccountDisabled,
    /// Too many requests from this address; retry after the `Retry-After` delay.
    RateLimited,
    /// Authenticated, but the role does not allow this.
    Forbidden,
    /// Nothing here (or nothing this principal may see).
    NotFound,
    /// The request conflicts with existing state (e.g. a name already taken).
    Conflict,
    /// The database is unreachable or the server is shutting down.
    ServiceUnavailable,
    /// A fault on the server; the request id in the body helps the operator find it.
    Internal,
}

impl ErrorCode {
    /// Every code, for documentation and for the test that checks each is used.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::MalformedRequest,
        ErrorCode::ValidationFailed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Unauthenticated,
        ErrorCode::InvalidCredentials,
        ErrorCode::InvalidToken,
        ErrorCode::TokenExpired,
        ErrorCode::TokenRevoked,
        ErrorCode::AccountLocked,
        ErrorCode::AccountDisabled,
        ErrorCode::RateLimited,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::ServiceUnavailable,
        ErrorCode::Internal,
    ];

    /// HTTP status the code is answered with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::MalformedRequest => 400,
            ErrorCode::ValidationFailed => 422,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::Unauthenticated
            | ErrorCode::InvalidCredentials
            | ErrorCode::InvalidToken
            | ErrorCode::TokenExpired
            | ErrorCode::TokenRevoked => 401,
            ErrorCode::AccountLocked | ErrorCode::AccountDisabled | ErrorCode::Forbidden => 403,
            ErrorCode::RateLimited => 429,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::ServiceUnavailable => 503,
            ErrorCode::Internal => 500,
        }
    }

    /// The snake_case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::TokenRevoked => "token_revoked",
            ErrorCode::AccountLocked => "account_locked",
            ErrorCode::AccountDisabled => "account_disabled",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// Short English title for the problem-details `title` member.
    pub fn title(self) -> &'static str {
        match self {
            ErrorCode::MalformedRequest => "Malformed request",
            ErrorCode::ValidationFailed => "Validation failed",
            ErrorCode::PayloadTooLarge => "Payload too large",
            ErrorCode::UnsupportedMediaType => "Unsupported media type",
            ErrorCode::Unauthenticated => "Authentication required",
            ErrorCode::InvalidCredentials => "Invalid credentials",
            ErrorCode::InvalidToken => "Invalid token",
            ErrorCode::TokenExpired => "Token expired",
            ErrorCode::TokenRevoked => "Token revoked",
            ErrorCode::AccountLocked => "Account locked",
            ErrorCode::AccountDisabled => "Account disabled",
            ErrorCode::RateLimited => "Too many requests",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::NotFound => "Not found",
            ErrorCode::Conflict => "Conflict",
            ErrorCode::ServiceUnavailable => "Service unavailable",
            ErrorCode::Internal => "Internal server error",
        }
    }

    /// The problem `type` URI (RFC 9457 §3.1.1): a URN, so nothing depends on a host.
    pub fn type_uri(self) -> String {
        format!("urn:isacx:problem:{}", self.as_str())
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One invalid field in a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// JSON pointer-like path of the field, e.g. `service_impact.users_affected`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// RFC 9457 problem details, with the isacx extension members `code`,
/// `errors`, `request_id` and, for a locked account, `locked_until`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProblemDetails {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    pub code: ErrorCode,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
}

impl ProblemDetails {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        ProblemDetails {
            type_uri: code.type_uri(),
            title: code.title().to_owned(),
            status: code.http_status(),
            detail: Some(detail.into()),
            instance: None,
            code,
            errors: Vec::new(),
            request_id: None,
            locked_until: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap_or_default();
            assert_eq!(json.as_str(), Some(code.as_str()), "{code:?}");
            assert_eq!(
                code.type_uri(),
                format!("urn:isacx:problem:{}", code.as_str())
            );
        }
    }

    #[test]
    fn statuses_are_errors() {
        for code in ErrorCode::ALL {
            assert!((400..600).contains(&code.http_status()), "{code:?}");
        }
    }
}
