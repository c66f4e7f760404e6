//! HTTPS to the isacx server: TLS set-up, requests, and turning every failure
//! into a [`CliError`] a person can act on.
//!
//! Trust is the system's roots plus the profile's CA file (a sharing body's
//! server often has its own CA). There is deliberately no way to switch
//! certificate verification off: a client that can be told to trust anything
//! will be, during an incident, by someone in a hurry.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use isacx_schemas::error::{ErrorCode, ProblemDetails};
use isacx_schemas::taxii::{TaxiiError, TAXII_MEDIA_TYPE};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::{CredentialKind, Secret};
use crate::error::{CliError, ReqCtx, TransportKind};

/// Base path of the REST API.
pub const API_BASE: &str = "/api/v1";
const API_KEY_HEADER: &str = "x-api-key";
const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// Checks a server address: absolute, `https`, no query or fragment. Returns it
/// without a trailing slash so paths join predictably.
pub fn parse_server_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s.trim()).map_err(|e| e.to_string())?;
    if url.scheme() != "https" {
        return Err("the scheme must be https".to_owned());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("it has no host".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("it must not have a query or fragment".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it must not contain a user name or password".to_owned());
    }
    Ok(url)
}

/// The canonical text of a server address, as stored in profiles and compared
/// when deciding whether a credential may be sent.
pub fn server_key(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// How a request proves who it is.
#[derive(Debug, Clone)]
pub struct Auth {
    pub kind: CredentialKind,
    pub secret: Secret,
}

/// A client bound to one server.
pub struct Api {
    http: reqwest::Client,
    base: Url,
    ctx: ReqCtx,
    auth: Option<Auth>,
}

impl Api {
    pub fn new(server: &Url, ca_file: Option<&Path>, cmd: String) -> Result<Api, CliError> {
        let tls = tls_config(ca_file)?;
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/json, application/problem+json"),
        );
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(true)
            .default_headers(headers)
            .user_agent(concat!("isacx/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| CliError::TlsSetup {
                detail: e.to_string(),
            })?;
        Ok(Api {
            http,
            base: server.clone(),
            ctx: ReqCtx {
                server: server_key(server),
                cmd,
                api_key: false,
            },
            auth: None,
        })
    }

    pub fn with_auth(mut self, auth: Auth) -> Api {
        self.ctx.api_key = auth.kind == CredentialKind::ApiKey;
        self.auth = Some(auth);
        self
    }

    pub fn ctx(&self) -> &ReqCtx {
        &self.ctx
    }

    fn url(&self, path: &str) -> Result<Url, CliError> {
        let joined = format!("{}{path}", server_key(&self.base));
        Url::parse(&joined).map_err(|e| CliError::Internal {
            detail: format!("bad URL {joined}: {e}"),
        })
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<reqwest::Response, CliError> {
        let mut req = self.authorise(self.http.request(method, self.url(path)?));
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.map_err(|e| classify(&e, &self.ctx))?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(self.error_from(resp).await)
        }
    }

    async fn error_from(&self, resp: reqwest::Response) -> CliError {
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = resp.bytes().await.unwrap_or_default();
        match serde_json::from_slice::<ProblemDetails>(&bytes) {
            Ok(problem) => CliError::Problem {
                problem: Box::new(problem),
                retry_after,
                ctx: self.ctx.clone(),
            },
            Err(_) => CliError::UnexpectedStatus {
                status: status.as_u16(),
                ctx: self.ctx.clone(),
            },
        }
    }

    async fn json<T: DeserializeOwned>(&self, resp: reqwest::Response) -> Result<T, CliError> {
        let bytes = resp.bytes().await.map_err(|e| classify(&e, &self.ctx))?;
        serde_json::from_slice(&bytes).map_err(|e| CliError::UnreadableAnswer {
            detail: e.to_string(),
            ctx: self.ctx.clone(),
        })
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CliError> {
        let resp = self.send(Method::GET, path, None::<&()>).await?;
        self.json(resp).await
    }

    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CliError> {
        let resp = self.send(Method::POST, path, Some(body)).await?;
        self.json(resp).await
    }

    fn authorise(&self, mut req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some(auth) = &self.auth {
            req = match auth.kind {
                CredentialKind::Session => {
                    req.header(AUTHORIZATION, format!("Bearer {}", auth.secret.expose()))
                }
                CredentialKind::ApiKey => req.header(API_KEY_HEADER, auth.secret.expose()),
            };
        }
        req
    }

    /// A TAXII 2.1 GET (Accept: the TAXII media type). `query` is appended as is.
    pub async fn taxii_get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<reqwest::Response, CliError> {
        let req = self
            .http
            .get(self.url(path)?)
            .query(query)
            .header(ACCEPT, TAXII_MEDIA_TYPE);
        let resp = self
            .authorise(req)
            .send()
            .await
            .map_err(|e| classify(&e, &self.ctx))?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(self.taxii_error_from(resp).await)
        }
    }

    /// A TAXII 2.1 POST of an envelope; answers the status resource.
    pub async fn taxii_post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: String,
    ) -> Result<T, CliError> {
        let req = self
            .http
            .post(self.url(path)?)
            .header(ACCEPT, TAXII_MEDIA_TYPE)
            .header(CONTENT_TYPE, TAXII_MEDIA_TYPE)
            .body(body);
        let resp = self
            .authorise(req)
            .send()
            .await
            .map_err(|e| classify(&e, &self.ctx))?;
        if resp.status().is_success() {
            self.json(resp).await
        } else {
            Err(self.taxii_error_from(resp).await)
        }
    }

    /// Reads a whole body, naming a broken connection as a transport error.
    pub async fn body_bytes(&self, resp: reqwest::Response) -> Result<Vec<u8>, CliError> {
        resp.bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(|e| classify(&e, &self.ctx))
    }

    /// TAXII answers errors with its own resource (§3.6.1), carrying our
    /// error code when there is one; it becomes the same [`CliError::Problem`]
    /// a REST error would, so messages and exit codes do not depend on the API.
    async fn taxii_error_from(&self, resp: reqwest::Response) -> CliError {
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = resp.bytes().await.unwrap_or_default();
        let Ok(err) = serde_json::from_slice::<TaxiiError>(&bytes) else {
            return CliError::UnexpectedStatus {
                status,
                ctx: self.ctx.clone(),
            };
        };
        let code = err
            .error_code
            .as_deref()
            .and_then(|c| ErrorCode::ALL.iter().copied().find(|k| k.as_str() == c))
            .or_else(|| error_code_for_status(status));
        let Some(code) = code else {
            return CliError::UnexpectedStatus {
                status,
                ctx: self.ctx.clone(),
            };
        };
        let mut problem =
            ProblemDetails::new(code, err.description.clone().unwrap_or(err.title.clone()));
        problem.status = status;
        problem.request_id = err.error_id.clone();
        CliError::Problem {
            problem: Box::new(problem),
            retry_after,
            ctx: self.ctx.clone(),
        }
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, CliError> {
        let resp = self.send(Method::DELETE, path, None::<&()>).await?;
        self.json(resp).await
    }

    pub async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CliError> {
        let resp = self.send(Method::PUT, path, Some(body)).await?;
        self.json(resp).await
    }

    /// A POST carrying an `Idempotency-Key`; answers the body with whether the
    /// server created something (201) or replayed an earlier answer (200).
    pub async fn post_idempotent<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        key: &str,
    ) -> Result<(T, bool), CliError> {
        let req = self
            .authorise(self.http.post(self.url(path)?))
            .header(IDEMPOTENCY_KEY_HEADER, key)
            .json(body);
        let resp = req.send().await.map_err(|e| classify(&e, &self.ctx))?;
        if !resp.status().is_success() {
            return Err(self.error_from(resp).await);
        }
        let created = resp.status() == StatusCode::CREATED;
        Ok((self.json(resp).await?, created))
    }

    /// A GET whose answer is text (CSV exports).
    pub async fn get_text(&self, path: &str) -> Result<String, CliError> {
        let resp = self.send(Method::GET, path, None::<&()>).await?;
        let bytes = self.body_bytes(resp).await?;
        String::from_utf8(bytes).map_err(|e| CliError::UnreadableAnswer {
            detail: e.to_string(),
            ctx: self.ctx.clone(),
        })
    }

    /// A POST of a text body with its media type (CSV imports); answers JSON.
    pub async fn post_text<T: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Result<T, CliError> {
        let req = self
            .http
            .post(self.url(path)?)
            .header(CONTENT_TYPE, content_type)
            .body(body);
        let resp = self
            .authorise(req)
            .send()
            .await
            .map_err(|e| classify(&e, &self.ctx))?;
        if resp.status().is_success() {
            self.json(resp).await
        } else {
            Err(self.error_from(resp).await)
        }
    }

    /// Open a server-sent-events stream: no overall timeout (the server sends
    /// keep-alives; the caller watches for silence), resuming after `last_event_id`.
    pub async fn event_stream(
        &self,
        path: &str,
        last_event_id: Option<&str>,
    ) -> Result<reqwest::Response, CliError> {
        let mut req = self
            .authorise(self.http.get(self.url(path)?))
            .header(ACCEPT, "text/event-stream")
            .timeout(Duration::from_secs(365 * 24 * 3600));
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let resp = req.send().await.map_err(|e| classify(&e, &self.ctx))?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(self.error_from(resp).await)
        }
    }

    /// Name a failure while reading a response body.
    pub fn transport_error(&self, e: &reqwest::Error) -> CliError {
        classify(e, &self.ctx)
    }

    /// A POST whose success has no body (204).
    pub async fn post_empty(&self, path: &str) -> Result<StatusCode, CliError> {
        let resp = self.send(Method::POST, path, None::<&()>).await?;
        Ok(resp.status())
    }
}

/// The error code a bare TAXII status stands for, when its body names none.
fn error_code_for_status(status: u16) -> Option<ErrorCode> {
    Some(match status {
        400 | 406 => ErrorCode::MalformedRequest,
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        422 => ErrorCode::ValidationFailed,
        429 => ErrorCode::RateLimited,
        503 => ErrorCode::ServiceUnavailable,
        500..=599 => ErrorCode::Internal,
        _ => return None,
    })
}

/// Reads the PEM certificates of a CA file; the file must hold at least one.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::CaFileUnreadable {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(CliError::CaFileNoCerts {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// TLS 1.2 and 1.3 with the ring provider; roots = the system's plus the CA file.
fn tls_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, CliError> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = ca_file {
        for cert in read_ca_file(path)? {
            roots.add(cert).map_err(|e| CliError::CaFileUnreadable {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })?;
        }
    }
    // The system store is a convenience for servers with public certificates;
    // unreadable entries there are skipped rather than fatal.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| CliError::TlsSetup {
            detail: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Names the cause of a failed request by walking the error's sources down to
/// the rustls or I/O error underneath.
fn classify(err: &reqwest::Error, ctx: &ReqCtx) -> CliError {
    let mut kind = if err.is_timeout() {
        TransportKind::Timeout
    } else {
        TransportKind::Other
    };
    let mut detail = err.to_string();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(tls) = find_rustls(e) {
            kind = tls_kind(tls);
            detail = tls.to_string();
            break;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    kind = TransportKind::Refused;
                    detail = io.to_string();
                }
                std::io::ErrorKind::TimedOut => kind = TransportKind::Timeout,
                _ => {}
            }
        }
        let text = e.to_string();
        if kind == TransportKind::Other
            && (text.contains("dns error") || text.contains("failed to lookup address"))
        {
            kind = TransportKind::HostNotFound;
        }
        source = e.source();
    }
    CliError::Transport {
        kind,
        detail,
        ctx: ctx.clone(),
    }
}

fn find_rustls<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    // rustls errors reach hyper wrapped in an io::Error, sometimes twice; and
    // io::Error::source() skips the wrapped error itself, so look inside.
    let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    find_rustls(inner)
}

fn tls_kind(e: &rustls::Error) -> TransportKind {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature | C::UnhandledCriticalExtension => {
                TransportKind::TlsUnknownIssuer
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => TransportKind::TlsBadName,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => TransportKind::TlsExpired,
            _ => TransportKind::Tls,
        },
        _ => TransportKind::Tls,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls() {
        assert_eq!(
            server_key(&parse_server_url("https://isac.example.jp:8443/").unwrap()),
            "https://isac.example.jp:8443"
        );
        assert_eq!(
            server_key(&parse_server_url("https://isac.example.jp").unwrap()),
            "https://isac.example.jp"
        );
        assert_eq!(
            server_key(&parse_server_url("https://h/isacx/").unwrap()),
            "https://h/isacx"
        );
        assert!(parse_server_url("http://isac.example.jp").is_err());
        assert!(parse_server_url("isac.example.jp").is_err());
        assert!(parse_server_url("https://u:p@h").is_err());
        assert!(parse_server_url("https://h/?x=1").is_err());
    }

    #[test]
    fn ca_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        assert!(matches!(
            read_ca_file(&empty),
            Err(CliError::CaFileNoCerts { .. })
        ));
        assert!(matches!(
            read_ca_file(&dir.path().join("missing.pem")),
            Err(CliError::CaFileUnreadable { .. })
        ));

        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let good = dir.path().join("ca.pem");
        std::fs::write(&good, cert.pem()).unwrap();
        assert_eq!(read_ca_file(&good).unwrap().len(), 1);
        assert!(tls_config(Some(&good)).is_ok());
    }

    #[test]
    fn tls_errors_are_named() {
        use rustls::CertificateError as C;
        assert_eq!(
            tls_kind(&rustls::Error::InvalidCertificate(C::UnknownIssuer)),
            TransportKind::TlsUnknownIssuer
        );
        assert_eq!(
            tls_kind(&rustls::Error::InvalidCertificate(C::NotValidForName)),
            TransportKind::TlsBadName
        );
        assert_eq!(
            tls_kind(&rustls::Error::InvalidCertificate(C::Expired)),
            TransportKind::TlsExpired
        );
        let wrapped = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(C::UnknownIssuer),
        ));
        assert!(find_rustls(&wrapped).is_some());
    }
}
