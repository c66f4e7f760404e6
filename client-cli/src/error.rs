//! The one error type of the client, and how it is told to a person or a script.
//!
//! Every failure a user can cause or meet is a variant here, carrying what the
//! message needs; rendering is separate (see [`CliError::render`]) so the same
//! error prints in English, Japanese or JSON. Nothing here prints `Debug`.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use isacx_schemas::error::{ErrorCode, ProblemDetails};
use serde_json::{json, Value};

use crate::exit::{self, Exit};
use crate::i18n::{Lang, Msg};

/// Who was being talked to, so a message can name the server and the exact
/// command to run next.
#[derive(Debug, Clone, PartialEq)]
pub struct ReqCtx {
    pub server: String,
    /// `isacx` plus `--profile NAME` when the profile was chosen explicitly.
    pub cmd: String,
    /// Whether the request carried an API key (their expiry needs an admin, not a login).
    pub api_key: bool,
}

/// Why the server could not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    Refused,
    HostNotFound,
    Timeout,
    TlsUnknownIssuer,
    TlsBadName,
    TlsExpired,
    Tls,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CliError {
    /// The server answered with RFC 9457 problem details.
    Problem {
        problem: Box<ProblemDetails>,
        retry_after: Option<u64>,
        ctx: ReqCtx,
    },
    /// An error status without problem details (a proxy, another service).
    UnexpectedStatus {
        status: u16,
        ctx: ReqCtx,
    },
    /// A success status whose body did not parse.
    UnreadableAnswer {
        detail: String,
        ctx: ReqCtx,
    },
    Transport {
        kind: TransportKind,
        detail: String,
        ctx: ReqCtx,
    },
    NotLoggedIn {
        profile: String,
        server: String,
        cmd: String,
    },
    CredentialsForOtherServer {
        profile: String,
        stored: String,
        server: String,
        cmd: String,
    },
    SessionExpiredLocally {
        at: DateTime<Utc>,
        cmd: String,
    },
    NoServer {
        profile: String,
    },
    ServerRequired,
    InvalidServerUrl {
        url: String,
        reason: String,
    },
    ProfileNotFound {
        name: String,
    },
    ProfileExists {
        name: String,
    },
    InvalidProfileName {
        name: String,
    },
    CaFileUnreadable {
        path: PathBuf,
        detail: String,
    },
    CaFileNoCerts {
        path: PathBuf,
    },
    ConfigUnreadable {
        path: PathBuf,
        detail: String,
    },
    ConfigInvalid {
        path: PathBuf,
        detail: String,
    },
    ConfigWriteFailed {
        path: PathBuf,
        detail: String,
    },
    NoConfigDir,
    NoTerminal,
    EmptyPassword,
    NoUsername,
    EmptyApiKey,
    StdinFailed {
        detail: String,
    },
    TlsSetup {
        detail: String,
    },
    Internal {
        detail: String,
    },
    /// An input file (indicators, report) could not be read at all.
    InputUnreadable {
        path: PathBuf,
        detail: String,
    },
    /// An input file was read but is not valid; each problem is one line,
    /// starting with where it is (`line 3: …`).
    InputInvalid {
        path: PathBuf,
        kind: InputKind,
        problems: Vec<String>,
    },
    /// The output file (or standard output) could not be written.
    OutputFailed {
        path: String,
        detail: String,
    },
    /// The server stored only part of what was pushed.
    PushRejected {
        failed: u64,
        total: u64,
        failures: Vec<String>,
    },
    /// No peer has this name or id.
    PeerNotFound {
        peer: String,
    },
    /// Our server answered, but syncing with the peer failed.
    PeerSyncFailed {
        peer: String,
        error: String,
    },
}

/// What kind of input file was invalid, for the hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    IndicatorsCsv,
    StixBundle,
    Report,
}

/// An error made ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub message: String,
    pub hint: Option<String>,
    /// Extra lines: rejected fields, the server's own words, the request id.
    pub details: Vec<String>,
}

impl CliError {
    /// The exit status. Server codes go through [`exit::for_error_code`].
    pub fn exit(&self) -> Exit {
        use CliError::*;
        match self {
            Problem { problem, .. } => exit::for_error_code(problem.code),
            UnexpectedStatus { status, .. } => exit::for_http_status(*status),
            UnreadableAnswer { .. } => Exit::Server,
            Transport { .. } => Exit::Unreachable,
            NotLoggedIn { .. }
            | CredentialsForOtherServer { .. }
            | SessionExpiredLocally { .. } => Exit::Auth,
            ProfileNotFound { .. } | PeerNotFound { .. } => Exit::NotFound,
            PeerSyncFailed { .. } => Exit::Generic,
            NoServer { .. }
            | ServerRequired
            | InvalidServerUrl { .. }
            | ProfileExists { .. }
            | InvalidProfileName { .. }
            | CaFileUnreadable { .. }
            | CaFileNoCerts { .. }
            | ConfigInvalid { .. }
            | EmptyPassword
            | NoUsername
            | EmptyApiKey
            | InputUnreadable { .. }
            | InputInvalid { .. }
            | PushRejected { .. } => Exit::InvalidInput,
            OutputFailed { .. } => Exit::Generic,
            ConfigUnreadable { .. }
            | ConfigWriteFailed { .. }
            | NoConfigDir
            | NoTerminal
            | StdinFailed { .. }
            | TlsSetup { .. }
            | Internal { .. } => Exit::Generic,
        }
    }

    /// A stable, snake_case name for scripts: the server's code when there is
    /// one, else a client-side name.
    pub fn code(&self) -> &'static str {
        use CliError::*;
        match self {
            Problem { problem, .. } => problem.code.as_str(),
            UnexpectedStatus { .. } => "unexpected_status",
            UnreadableAnswer { .. } => "unreadable_answer",
            Transport { kind, .. } => match kind {
                TransportKind::Refused => "connection_refused",
                TransportKind::HostNotFound => "host_not_found",
                TransportKind::Timeout => "timeout",
                TransportKind::TlsUnknownIssuer => "tls_unknown_issuer",
                TransportKind::TlsBadName => "tls_bad_name",
                TransportKind::TlsExpired => "tls_expired",
                TransportKind::Tls => "tls_failed",
                TransportKind::Other => "connect_failed",
            },
            NotLoggedIn { .. } => "not_logged_in",
            CredentialsForOtherServer { .. } => "credentials_for_other_server",
            SessionExpiredLocally { .. } => "token_expired",
            NoServer { .. } => "no_server",
            ServerRequired => "server_required",
            InvalidServerUrl { .. } => "invalid_server_url",
            ProfileNotFound { .. } => "profile_not_found",
            ProfileExists { .. } => "profile_exists",
            InvalidProfileName { .. } => "invalid_profile_name",
            CaFileUnreadable { .. } => "ca_file_unreadable",
            CaFileNoCerts { .. } => "ca_file_no_certs",
            ConfigUnreadable { .. } => "config_unreadable",
            ConfigInvalid { .. } => "config_invalid",
            ConfigWriteFailed { .. } => "config_write_failed",
            NoConfigDir => "no_config_dir",
            NoTerminal => "no_terminal",
            EmptyPassword => "empty_password",
            NoUsername => "no_username",
            EmptyApiKey => "empty_api_key",
            StdinFailed { .. } => "stdin_failed",
            TlsSetup { .. } => "tls_setup_failed",
            Internal { .. } => "internal_client_error",
            InputUnreadable { .. } => "input_unreadable",
            InputInvalid { .. } => "input_invalid",
            OutputFailed { .. } => "output_failed",
            PushRejected { .. } => "push_rejected",
            PeerNotFound { .. } => "peer_not_found",
            PeerSyncFailed { .. } => "peer_sync_failed",
        }
    }

    fn message(&self) -> Msg {
        use CliError as E;
        let path = |p: &PathBuf| p.display().to_string();
        match self {
            E::Problem {
                problem,
                retry_after,
                ..
            } => Msg::Problem {
                code: problem.code,
                locked_until: problem.locked_until,
                retry_after: *retry_after,
            },
            E::UnexpectedStatus { status, ctx } => Msg::UnexpectedAnswer {
                server: ctx.server.clone(),
                status: *status,
            },
            E::UnreadableAnswer { detail, ctx } => Msg::UnreadableAnswer {
                server: ctx.server.clone(),
                detail: detail.clone(),
            },
            E::Transport { kind, detail, ctx } => {
                let server = ctx.server.clone();
                match kind {
                    TransportKind::Refused => Msg::ConnectionRefused { server },
                    TransportKind::HostNotFound => Msg::HostNotFound { server },
                    TransportKind::Timeout => Msg::Timeout { server },
                    TransportKind::TlsUnknownIssuer => Msg::TlsUnknownIssuer { server },
                    TransportKind::TlsBadName => Msg::TlsBadName { server },
                    TransportKind::TlsExpired => Msg::TlsExpired { server },
                    TransportKind::Tls => Msg::TlsOther {
                        server,
                        detail: detail.clone(),
                    },
                    TransportKind::Other => Msg::ConnectFailed {
                        server,
                        detail: detail.clone(),
                    },
                }
            }
            E::NotLoggedIn {
                profile, server, ..
            } => Msg::NotLoggedIn {
                profile: profile.clone(),
                server: server.clone(),
            },
            E::CredentialsForOtherServer {
                profile,
                stored,
                server,
                ..
            } => Msg::CredentialsForOtherServer {
                profile: profile.clone(),
                stored: stored.clone(),
                server: server.clone(),
            },
            E::SessionExpiredLocally { at, .. } => Msg::SessionExpiredLocally { at: *at },
            E::NoServer { profile } => Msg::NoServer {
                profile: profile.clone(),
            },
            E::ServerRequired => Msg::ServerRequired,
            E::InvalidServerUrl { url, reason } => Msg::InvalidServerUrl {
                url: url.clone(),
                reason: reason.clone(),
            },
            E::ProfileNotFound { name } => Msg::ProfileNotFound { name: name.clone() },
            E::ProfileExists { name } => Msg::ProfileExists { name: name.clone() },
            E::InvalidProfileName { name } => Msg::InvalidProfileName { name: name.clone() },
            E::CaFileUnreadable { path: p, detail } => Msg::CaFileUnreadable {
                path: path(p),
                detail: detail.clone(),
            },
            E::CaFileNoCerts { path: p } => Msg::CaFileNoCerts { path: path(p) },
            E::ConfigUnreadable { path: p, detail } => Msg::ConfigUnreadable {
                path: path(p),
                detail: detail.clone(),
            },
            E::ConfigInvalid { path: p, detail } => Msg::ConfigInvalid {
                path: path(p),
                detail: detail.clone(),
            },
            E::ConfigWriteFailed { path: p, detail } => Msg::ConfigWriteFailed {
                path: path(p),
                detail: detail.clone(),
            },
            E::NoConfigDir => Msg::NoConfigDir,
            E::NoTerminal => Msg::NoTerminal,
            E::EmptyPassword => Msg::EmptyPassword,
            E::NoUsername => Msg::NoUsername,
            E::EmptyApiKey => Msg::EmptyApiKey,
            E::StdinFailed { detail } => Msg::StdinFailed {
                detail: detail.clone(),
            },
            E::TlsSetup { detail } => Msg::TlsSetupFailed {
                detail: detail.clone(),
            },
            E::Internal { detail } => Msg::Internal {
                detail: detail.clone(),
            },
            E::InputUnreadable { path: p, detail } => Msg::InputUnreadable {
                path: path(p),
                detail: detail.clone(),
            },
            E::InputInvalid {
                path: p, problems, ..
            } => Msg::InputInvalid {
                path: path(p),
                count: problems.len(),
            },
            E::OutputFailed { path, detail } => Msg::OutputFailed {
                path: path.clone(),
                detail: detail.clone(),
            },
            E::PeerNotFound { peer } => Msg::PeerNotFound { peer: peer.clone() },
            E::PeerSyncFailed { peer, error } => Msg::PeerSyncFailed { peer: peer.clone(), error: error.clone() },
            E::PushRejected { failed, total, .. } => Msg::PushRejected {
                failed: *failed,
                total: *total,
            },
        }
    }

    fn hint(&self) -> Option<Msg> {
        use CliError as E;
        Some(match self {
            E::Problem { problem, ctx, .. } => Msg::ProblemHint {
                code: problem.code,
                cmd: ctx.cmd.clone(),
                api_key: ctx.api_key,
                server: ctx.server.clone(),
            },
            E::UnexpectedStatus { ctx, .. } => Msg::UnexpectedAnswerHint {
                server: ctx.server.clone(),
            },
            E::UnreadableAnswer { .. } => Msg::UnreadableAnswerHint,
            E::Transport { kind, ctx, .. } => match kind {
                TransportKind::Refused => Msg::ConnectionRefusedHint {
                    server: ctx.server.clone(),
                },
                TransportKind::HostNotFound => Msg::HostNotFoundHint,
                TransportKind::Timeout => Msg::TimeoutHint,
                TransportKind::TlsUnknownIssuer => Msg::TlsUnknownIssuerHint,
                TransportKind::TlsBadName => Msg::TlsBadNameHint,
                TransportKind::TlsExpired => Msg::TlsExpiredHint,
                TransportKind::Tls => Msg::TlsOtherHint,
                TransportKind::Other => Msg::ConnectFailedHint,
            },
            E::NotLoggedIn { cmd, .. }
            | E::CredentialsForOtherServer { cmd, .. }
            | E::SessionExpiredLocally { cmd, .. } => Msg::LoginHint { cmd: cmd.clone() },
            E::NoServer { .. } => Msg::NoServerHint,
            E::ServerRequired => Msg::ServerRequiredHint,
            E::InvalidServerUrl { .. } => Msg::InvalidServerUrlHint,
            E::ProfileNotFound { .. } => Msg::ProfileNotFoundHint,
            E::ProfileExists { .. } => Msg::ProfileExistsHint,
            E::InvalidProfileName { .. } => Msg::InvalidProfileNameHint,
            E::CaFileUnreadable { .. } | E::CaFileNoCerts { .. } => Msg::CaFileHint,
            E::ConfigInvalid { .. } => Msg::ConfigInvalidHint,
            E::ConfigWriteFailed { .. } => Msg::ConfigWriteFailedHint,
            E::NoConfigDir => Msg::NoConfigDirHint,
            E::NoTerminal => Msg::NoTerminalHint,
            E::NoUsername => Msg::NoUsernameHint,
            E::EmptyApiKey => Msg::EmptyApiKeyHint,
            E::Internal { .. } | E::TlsSetup { .. } => Msg::InternalHint,
            E::InputUnreadable { .. } => Msg::InputUnreadableHint,
            E::InputInvalid { kind, .. } => Msg::InputInvalidHint { kind: *kind },
            E::OutputFailed { .. } => Msg::OutputFailedHint,
            E::PushRejected { .. } => Msg::PushRejectedHint,
            E::PeerNotFound { .. } => Msg::PeerNotFoundHint,
            E::PeerSyncFailed { .. } => Msg::PeerSyncFailedHint,
            E::ConfigUnreadable { .. } | E::EmptyPassword | E::StdinFailed { .. } => return None,
        })
    }

    fn details(&self, lang: Lang) -> Vec<String> {
        let problem = match self {
            CliError::Problem { problem, .. } => problem,
            CliError::InputInvalid { problems, .. } => {
                return problems.iter().map(|p| format!("  - {p}")).collect()
            }
            CliError::PushRejected { failures, .. } => {
                return failures.iter().map(|p| format!("  - {p}")).collect()
            }
            _ => return Vec::new(),
        };
        let mut lines: Vec<String> = problem
            .errors
            .iter()
            .map(|f| format!("  - {}: {}", f.field, f.message))
            .collect();
        // The server's own sentence adds something only where the code is broad;
        // for the auth codes it would repeat what we already said.
        let detail_helps = matches!(
            problem.code,
            ErrorCode::Forbidden
                | ErrorCode::MalformedRequest
                | ErrorCode::UnsupportedMediaType
                | ErrorCode::PayloadTooLarge
                | ErrorCode::NotFound
                | ErrorCode::Conflict
        ) || (problem.code == ErrorCode::ValidationFailed
            && problem.errors.is_empty());
        if let (true, Some(detail)) = (detail_helps, &problem.detail) {
            lines.push(
                Msg::ServerDetail {
                    detail: detail.clone(),
                }
                .text(lang),
            );
        }
        if let (true, Some(id)) = (problem.status >= 500, &problem.request_id) {
            lines.push(Msg::RequestId { id: id.clone() }.text(lang));
        }
        lines
    }

    pub fn render(&self, lang: Lang) -> Rendered {
        Rendered {
            message: self.message().text(lang),
            hint: self.hint().map(|h| h.text(lang)),
            details: self.details(lang),
        }
    }

    /// What a person reads on stderr.
    pub fn to_human(&self, lang: Lang) -> String {
        let r = self.render(lang);
        let mut out = format!("{}: {}", Msg::LabelError.text(lang), r.message);
        for d in &r.details {
            out.push('\n');
            out.push_str(d);
        }
        if let Some(h) = r.hint {
            out.push('\n');
            out.push_str(&format!("{}: {h}", Msg::LabelHint.text(lang)));
        }
        out
    }

    /// What a script reads on stdout with `--json`.
    pub fn to_json(&self, lang: Lang) -> Value {
        let r = self.render(lang);
        let mut err = json!({
            "code": self.code(),
            "exit_code": self.exit().code(),
            "message": r.message,
            "hint": r.hint,
        });
        if let (CliError::Problem { problem, .. }, Some(obj)) = (self, err.as_object_mut()) {
            obj.insert(
                "problem".into(),
                serde_json::to_value(problem).unwrap_or(Value::Null),
            );
        }
        if let (
            CliError::InputInvalid { problems: list, .. }
            | CliError::PushRejected { failures: list, .. },
            Some(obj),
        ) = (self, err.as_object_mut())
        {
            obj.insert("details".into(), json!(list));
        }
        json!({ "error": err })
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::En).message)
    }
}

impl std::error::Error for CliError {}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use isacx_schemas::error::FieldError;

    fn ctx(api_key: bool) -> ReqCtx {
        ReqCtx {
            server: "https://isac.example.jp:8443".into(),
            cmd: "isacx".into(),
            api_key,
        }
    }

    fn problem_error(code: ErrorCode) -> CliError {
        let mut p = ProblemDetails::new(code, "server detail text");
        if code == ErrorCode::AccountLocked {
            // Rendered in local time; pin the zone by rendering a UTC instant
            // and comparing with the same formatter below.
            p.locked_until = Utc.with_ymd_and_hms(2026, 11, 25, 12, 30, 0).single();
        }
        if code == ErrorCode::ValidationFailed {
            p.errors.push(FieldError {
                field: "username".into(),
                message: "must not be empty".into(),
            });
        }
        if code.http_status() >= 500 {
            p.request_id = Some("req-42".into());
        }
        CliError::Problem {
            problem: Box::new(p),
            retry_after: (code == ErrorCode::RateLimited).then_some(30),
            ctx: ctx(false),
        }
    }

    /// Every server error code, in both languages, as the user sees it. The
    /// lock time is rendered in the test machine's zone, so it is masked.
    #[test]
    fn every_error_code_renders_in_both_languages() {
        let mut out = String::new();
        for code in ErrorCode::ALL {
            let e = problem_error(*code);
            for lang in [Lang::En, Lang::Ja] {
                let mut text = e.to_human(lang);
                if let CliError::Problem { problem, .. } = &e {
                    if let Some(at) = problem.locked_until {
                        text = text.replace(&crate::i18n::fmt_time(at), "<TIME>");
                    }
                }
                out.push_str(&format!(
                    "## {} {:?} (exit {})\n{text}\n\n",
                    code.as_str(),
                    lang,
                    e.exit().code()
                ));
                assert!(
                    text.contains(&format!("{}: ", Msg::LabelHint.text(lang))),
                    "{code:?} has no hint"
                );
            }
        }
        insta::assert_snapshot!(out);
    }

    #[test]
    fn the_brief_examples() {
        let e = problem_error(ErrorCode::TokenExpired);
        let r = e.render(Lang::En);
        assert_eq!(r.message, "Your session has expired.");
        assert_eq!(r.hint.as_deref(), Some("Run `isacx login` again."));
        assert_eq!(e.exit(), Exit::Auth);

        let refused = CliError::Transport {
            kind: TransportKind::Refused,
            detail: String::new(),
            ctx: ctx(false),
        };
        assert!(refused
            .to_human(Lang::En)
            .contains("Is the server running at https://isac.example.jp:8443?"));
        assert_eq!(refused.exit(), Exit::Unreachable);

        let tls = CliError::Transport {
            kind: TransportKind::TlsUnknownIssuer,
            detail: String::new(),
            ctx: ctx(false),
        };
        assert!(tls.to_human(Lang::En).contains("--ca-file"));
        assert!(tls.to_human(Lang::Ja).contains("--ca-file"));
    }

    #[test]
    fn api_key_expiry_asks_for_a_new_key_not_a_login() {
        let mut e = problem_error(ErrorCode::TokenExpired);
        if let CliError::Problem { ctx: c, .. } = &mut e {
            c.api_key = true;
        }
        let hint = e.render(Lang::En).hint.unwrap_or_default();
        assert!(hint.contains("API key"), "{hint}");
        assert!(!hint.contains("login"), "{hint}");
    }

    #[test]
    fn json_form_carries_code_exit_and_problem() {
        let v = problem_error(ErrorCode::Forbidden).to_json(Lang::En);
        assert_eq!(v["error"]["code"], "forbidden");
        assert_eq!(v["error"]["exit_code"], 4);
        assert_eq!(v["error"]["problem"]["status"], 403);
        let v = CliError::NoTerminal.to_json(Lang::Ja);
        assert_eq!(v["error"]["code"], "no_terminal");
        assert_eq!(v["error"]["exit_code"], 1);
        assert!(v["error"].get("problem").is_none());
    }

    #[test]
    fn local_errors_render_without_debug_noise() {
        let errs = [
            CliError::NotLoggedIn {
                profile: "p".into(),
                server: "https://s".into(),
                cmd: "isacx --profile p".into(),
            },
            CliError::ProfileNotFound {
                name: "nope".into(),
            },
            CliError::CaFileNoCerts {
                path: "/tmp/x.pem".into(),
            },
            CliError::ConfigInvalid {
                path: "/tmp/c.toml".into(),
                detail: "unknown field".into(),
            },
        ];
        for e in errs {
            for lang in [Lang::En, Lang::Ja] {
                let t = e.to_human(lang);
                assert!(!t.contains("CliError") && !t.contains('{'), "{t}");
            }
        }
        let t = CliError::NotLoggedIn {
            profile: "p".into(),
            server: "https://s".into(),
            cmd: "isacx --profile p".into(),
        }
        .to_human(Lang::En);
        assert!(t.contains("`isacx --profile p login`"), "{t}");
    }
}
