//! A TAXII 2.1 client for one peer: reqwest over rustls, trusting the peer's
//! CA file (or the system roots), presenting this server's client
//! certificate when one is configured (mutual TLS) and the peer token when
//! one is set.

use std::path::Path;
use std::time::Duration;

use isacx_schemas::taxii::{Collections, Status, TAXII_MEDIA_TYPE};
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;

use crate::db::models::PeerRow;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("TLS set-up: {0}")]
    Tls(String),
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    #[error("{url}: HTTP {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("{url}: not a TAXII answer: {message}")]
    Body { url: String, message: String },
}

pub struct PeerClient {
    http: reqwest::Client,
    api_root: String,
    token: Option<String>,
    basic: Option<(String, String)>,
}

/// One page of a collection's objects, kept as JSON so provenance can be
/// stamped before the objects are parsed.
pub struct ObjectsPage {
    pub objects: Vec<Value>,
    pub more: bool,
    pub next: Option<String>,
    /// `X-TAXII-Date-Added-Last`: where the next page starts.
    pub date_added_last: Option<String>,
    pub bytes: u64,
}

fn read_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let err = |m: String| ClientError::File {
        path: path.to_owned(),
        message: m,
    };
    let certs: Vec<_> = CertificateDer::pem_file_iter(Path::new(path))
        .map_err(|e| err(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(e.to_string()))?;
    if certs.is_empty() {
        return Err(err("no certificate in file".to_owned()));
    }
    Ok(certs)
}

fn tls_config(peer: &PeerRow) -> Result<rustls::ClientConfig, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    if peer.ca_file.is_empty() {
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
    } else {
        for cert in read_certs(&peer.ca_file)? {
            roots.add(cert).map_err(|e| ClientError::File {
                path: peer.ca_file.clone(),
                message: e.to_string(),
            })?;
        }
    }
    let builder = rustls::ClientConfig::builder_with_provider(crate::tls::provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ClientError::Tls(e.to_string()))?
        .with_root_certificates(roots);
    let mut config = if peer.client_cert_file.is_empty() {
        builder.with_no_client_auth()
    } else {
        let certs = read_certs(&peer.client_cert_file)?;
        let key = PrivateKeyDer::from_pem_file(Path::new(&peer.client_key_file)).map_err(|e| {
            ClientError::File {
                path: peer.client_key_file.clone(),
                message: e.to_string(),
            }
        })?;
        builder
            .with_client_auth_cert(certs, key)
            .map_err(|e| ClientError::Tls(e.to_string()))?
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

impl PeerClient {
    pub fn for_peer(peer: &PeerRow, timeout: Duration) -> Result<PeerClient, ClientError> {
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls_config(peer)?)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("isacx-federation/", env!("CARGO_PKG_VERSION")))
            // Plain HTTP only for a peer registered with allow_insecure_http (loopback hosts).
            .https_only(!peer.allow_insecure_http)
            .build()
            .map_err(|e| ClientError::Tls(e.to_string()))?;
        Ok(PeerClient {
            http,
            api_root: peer.api_root.clone(),
            token: peer.outbound_token.clone(),
            basic: match (&peer.basic_username, &peer.basic_password) {
                (user, Some(password)) if !user.is_empty() => Some((user.clone(), password.clone())),
                _ => None,
            },
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.api_root, path)
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let mut r = self
            .http
            .request(method, url)
            .header(ACCEPT, TAXII_MEDIA_TYPE);
        if let Some((user, password)) = &self.basic {
            r = r.basic_auth(user, Some(password));
        } else if let Some(token) = &self.token {
            r = r.bearer_auth(token);
        }
        r
    }

    async fn send(
        &self,
        url: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<(HeaderMap, actix_web::web::Bytes), ClientError> {
        let response = request.send().await.map_err(|e| ClientError::Transport {
            url: url.to_owned(),
            message: error_chain(&e),
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| ClientError::Transport {
            url: url.to_owned(),
            message: error_chain(&e),
        })?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body).chars().take(300).collect();
            return Err(ClientError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
                body: text,
            });
        }
        Ok((headers, body))
    }

    pub async fn collections(&self) -> Result<Collections, ClientError> {
        let url = self.url("collections/");
        let (_, body) = self
            .send(&url, self.request(reqwest::Method::GET, &url))
            .await?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Body {
            url,
            message: e.to_string(),
        })
    }

    /// A page of objects added after `added_after` (or continuing `next`).
    pub async fn objects(
        &self,
        collection: &str,
        added_after: Option<&str>,
        next: Option<&str>,
        limit: usize,
    ) -> Result<ObjectsPage, ClientError> {
        let url = self.url(&format!("collections/{collection}/objects/"));
        let mut query: Vec<(&str, String)> = vec![("limit", limit.to_string())];
        if let Some(after) = added_after {
            query.push(("added_after", after.to_owned()));
        }
        if let Some(next) = next {
            query.push(("next", next.to_owned()));
        }
        let (headers, body) = self
            .send(&url, self.request(reqwest::Method::GET, &url).query(&query))
            .await?;
        #[derive(serde::Deserialize)]
        struct RawEnvelope {
            #[serde(default)]
            more: bool,
            #[serde(default)]
            next: Option<Value>,
            #[serde(default)]
            objects: Vec<Value>,
        }
        let envelope: RawEnvelope =
            serde_json::from_slice(&body).map_err(|e| ClientError::Body {
                url: url.clone(),
                message: e.to_string(),
            })?;
        let next = envelope.next.map(|n| match n {
            Value::String(s) => s,
            other => other.to_string(),
        });
        Ok(ObjectsPage {
            objects: envelope.objects,
            more: envelope.more,
            next,
            date_added_last: headers
                .get("X-TAXII-Date-Added-Last")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            bytes: body.len() as u64,
        })
    }

    /// POST an envelope; the peer's status resource says what it stored.
    pub async fn add_objects(&self, collection: &str, body: String) -> Result<Status, ClientError> {
        let url = self.url(&format!("collections/{collection}/objects/"));
        let request = self
            .request(reqwest::Method::POST, &url)
            .header(CONTENT_TYPE, TAXII_MEDIA_TYPE)
            .body(body);
        let (_, body) = self.send(&url, request).await?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Body {
            url,
            message: e.to_string(),
        })
    }
}

/// The error with its causes ("connection refused", the TLS alert …).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
