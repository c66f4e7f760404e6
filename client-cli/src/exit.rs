//! Exit codes of `isacx`.
//!
//! Scripts branch on these, so they are part of the interface: never renumber.
//!
//! | code | meaning |
//! | ---- | ------- |
//! | 0 | success |
//! | 1 | generic error (anything not below, e.g. rate limited, config file unwritable) |
//! | 2 | usage error: unknown flag, missing argument (reported by the argument parser) |
//! | 3 | authentication needed or failed: not logged in, wrong password, session expired or revoked, account locked or disabled |
//! | 4 | permission denied: logged in, but the role does not allow it |
//! | 5 | not found (on the server, or a profile that does not exist) |
//! | 6 | invalid input: rejected request body, bad CA file, bad config, conflicting state |
//! | 7 | server unreachable, or TLS failed (unknown CA, wrong host name, timeout) |
//! | 8 | server error (5xx, service unavailable, unreadable answer) |
//!
//! The mapping from the server's stable [`ErrorCode`] lives in [`for_error_code`] and
//! nowhere else.

use isacx_schemas::error::ErrorCode;

/// The table above, for `isacx --help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  generic error (e.g. rate limited, config file unwritable)
  2  usage error (unknown flag, missing argument)
  3  authentication needed or failed (not logged in, wrong password,
     session expired or revoked, account locked or disabled)
  4  permission denied (the role does not allow it)
  5  not found (on the server, or an unknown profile)
  6  invalid input (rejected request, bad CA file, bad config)
  7  server unreachable or TLS failure (unknown CA, wrong host name)
  8  server error (5xx, service unavailable, unreadable answer)";

/// One documented exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    Ok = 0,
    Generic = 1,
    Usage = 2,
    Auth = 3,
    Permission = 4,
    NotFound = 5,
    InvalidInput = 6,
    Unreachable = 7,
    Server = 8,
}

impl Exit {
    pub const ALL: [Exit; 9] = [
        Exit::Ok,
        Exit::Generic,
        Exit::Usage,
        Exit::Auth,
        Exit::Permission,
        Exit::NotFound,
        Exit::InvalidInput,
        Exit::Unreachable,
        Exit::Server,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

/// The one place a server error code becomes an exit status.
///
/// No wildcard arm: a new code in `isacx-schemas` must be placed here on purpose.
pub fn for_error_code(code: ErrorCode) -> Exit {
    match code {
        ErrorCode::Unauthenticated
        | ErrorCode::InvalidCredentials
        | ErrorCode::InvalidToken
        | ErrorCode::TokenExpired
        | ErrorCode::TokenRevoked
        | ErrorCode::AccountLocked
        | ErrorCode::AccountDisabled => Exit::Auth,
        ErrorCode::Forbidden => Exit::Permission,
        ErrorCode::NotFound => Exit::NotFound,
        ErrorCode::MalformedRequest
        | ErrorCode::ValidationFailed
        | ErrorCode::PayloadTooLarge
        | ErrorCode::UnsupportedMediaType
        | ErrorCode::Conflict => Exit::InvalidInput,
        ErrorCode::RateLimited => Exit::Generic,
        ErrorCode::ServiceUnavailable | ErrorCode::Internal => Exit::Server,
    }
}

/// For answers without a problem-details body (a proxy's HTML page, say).
pub fn for_http_status(status: u16) -> Exit {
    match status {
        401 => Exit::Auth,
        403 => Exit::Permission,
        404 => Exit::NotFound,
        400 | 409 | 413 | 415 | 422 => Exit::InvalidInput,
        500..=599 => Exit::Server,
        _ => Exit::Generic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_numbers() {
        let numbers: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(numbers, (0..=8).collect::<Vec<u8>>());
        for n in 0..=8 {
            assert!(
                EXIT_CODES_HELP.contains(&format!("  {n}  ")),
                "help lacks {n}"
            );
        }
    }

    #[test]
    fn every_error_code_maps() {
        let table: Vec<(&str, u8)> = ErrorCode::ALL
            .iter()
            .map(|c| (c.as_str(), for_error_code(*c).code()))
            .collect();
        insta::assert_debug_snapshot!(table);
    }

    #[test]
    fn error_code_and_http_status_agree() {
        // A problem body and a bare status of the same kind must exit alike,
        // except where the code is finer than the status.
        for code in ErrorCode::ALL {
            let by_code = for_error_code(*code);
            let by_status = for_http_status(code.http_status());
            match code {
                ErrorCode::AccountLocked | ErrorCode::AccountDisabled => {
                    assert_eq!(by_code, Exit::Auth);
                    assert_eq!(by_status, Exit::Permission);
                }
                _ => assert_eq!(by_code, by_status, "{code:?}"),
            }
        }
    }

    #[test]
    fn never_success_or_usage_for_a_server_error() {
        for code in ErrorCode::ALL {
            assert!(!matches!(for_error_code(*code), Exit::Ok | Exit::Usage));
        }
    }
}
