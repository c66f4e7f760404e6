//! Mutual TLS for peers. With `federation.client_ca_file` set, the server
//! asks every client for a certificate signed by that CA, but does not
//! require one (users still log in with passwords, tokens and keys). The
//! SHA-256 of a presented certificate is kept with the connection; a
//! certificate registered with a peer (`client_cert_sha256`) makes the
//! request that peer's (see [`super::auth`]).

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use rustls::server::WebPkiClientVerifier;
use rustls::ServerConfig;

use super::auth::{fingerprint, ClientCertificate};
use crate::config::Settings;
use crate::tls::{read_certs, read_key, LocalCa, TlsError};

/// The server's TLS configuration: as [`crate::tls::server_config`], plus an
/// optional client-certificate request when a client CA is configured.
pub fn server_config(settings: &Settings, data_dir: &Path) -> Result<ServerConfig, TlsError> {
    let client_ca = settings.federation.client_ca_file.trim();
    if client_ca.is_empty() {
        return crate::tls::server_config(&settings.tls, data_dir);
    }
    let (cert_path, key_path) = if settings.tls.cert_file.is_empty() {
        let files = LocalCa::in_dir(data_dir);
        (files.server_cert, files.server_key)
    } else {
        (
            PathBuf::from(&settings.tls.cert_file),
            PathBuf::from(&settings.tls.key_file),
        )
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in read_certs(Path::new(client_ca))? {
        roots.add(cert).map_err(|e| TlsError::File {
            path: PathBuf::from(client_ca),
            message: e.to_string(),
        })?;
    }
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), crate::tls::provider())
            .allow_unauthenticated()
            .build()
            .map_err(|e| TlsError::File {
                path: PathBuf::from(client_ca),
                message: e.to_string(),
            })?;
    let mut config = ServerConfig::builder_with_provider(crate::tls::provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(read_certs(&cert_path)?, read_key(&key_path)?)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.max_early_data_size = 0;
    Ok(config)
}

/// `HttpServer::on_connect`: keep the fingerprint of a verified client certificate with the connection.
pub fn note_client_certificate(connection: &dyn Any, data: &mut Extensions) {
    use actix_tls::accept::rustls_0_23::TlsStream;
    let Some(tls) = connection.downcast_ref::<TlsStream<actix_web::rt::net::TcpStream>>() else {
        return;
    };
    let (_, session) = tls.get_ref();
    if let Some(first) = session.peer_certificates().and_then(|c| c.first()) {
        data.insert(ClientCertificate {
            sha256: fingerprint(first.as_ref()),
        });
    }
}

/// Copy the connection's client certificate into the request, where route guards can see it.
pub async fn client_certificate_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(cert) = req.conn_data::<ClientCertificate>().cloned() {
        req.extensions_mut().insert(cert);
    }
    next.call(req).await
}
