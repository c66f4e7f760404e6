//! TLS: rustls only, TLS 1.2 and 1.3.
//!
//! Without a configured certificate, the first start creates a local CA and a
//! server certificate under `<data_dir>/tls/`. Clients trust the CA file
//! (`isacx --ca-file`); nothing here or in the client switches verification off.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

use crate::config::TlsSettings;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("TLS configuration rejected: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Where the generated material lives.
pub struct LocalCa {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

impl LocalCa {
    pub fn in_dir(data_dir: &Path) -> LocalCa {
        let dir = data_dir.join("tls");
        LocalCa { ca_cert: dir.join("ca.pem"), server_cert: dir.join("server.pem"), server_key: dir.join("server.key") }
    }
}

/// The process-wide crypto provider; one place so client and server agree.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Create the local CA and server certificate unless they exist. Returns true
/// when it created them (the caller prints where the CA file is).
pub fn ensure_local_ca(data_dir: &Path, extra_names: &[String]) -> Result<bool, TlsError> {
    let files = LocalCa::in_dir(data_dir);
    if files.ca_cert.exists() && files.server_cert.exists() && files.server_key.exists() {
        return Ok(false);
    }
    let dir = data_dir.join("tls");
    std::fs::create_dir_all(&dir).map_err(|e| TlsError::File { path: dir.clone(), message: e.to_string() })?;

    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    let mut ca_dn = DistinguishedName::new();
    ca_dn.push(DnType::CommonName, "isacx local CA");
    ca_dn.push(DnType::OrganizationName, "isacx");
    ca_params.distinguished_name = ca_dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    ca_params.not_after = rcgen::date_time_ymd(2036, 1, 1);
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);

    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    names.extend(extra_names.iter().cloned());
    let mut params = CertificateParams::default();
    params.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => n.clone().try_into().map(SanType::DnsName),
        })
        .collect::<Result<_, _>>()?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "isacx server");
    params.distinguished_name = dn;
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2036, 1, 1);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let server_key = KeyPair::generate()?;
    let server_cert = params.signed_by(&server_key, &issuer)?;

    write_file(&files.ca_cert, ca_cert.pem().as_bytes(), false)?;
    write_file(&files.server_key, server_key.serialize_pem().as_bytes(), true)?;
    write_file(&files.server_cert, server_cert.pem().as_bytes(), false)?;
    Ok(true)
}

fn write_file(path: &Path, bytes: &[u8], secret: bool) -> Result<(), TlsError> {
    let err = |e: std::io::Error| TlsError::File { path: path.to_owned(), message: e.to_string() };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(err)?;
    file.write_all(bytes).map_err(err)?;
    file.sync_all().map_err(err)
}

pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| TlsError::File { path: path.to_owned(), message: e.to_string() })?
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::File { path: path.to_owned(), message: e.to_string() })?;
    if certs.is_empty() {
        return Err(TlsError::File { path: path.to_owned(), message: "no certificate in file".to_owned() });
    }
    Ok(certs)
}

pub fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::File { path: path.to_owned(), message: e.to_string() })
}

/// The rustls server configuration: TLS 1.2+, no 0-RTT, HTTP/1.1 (and h2 by ALPN).
pub fn server_config(settings: &TlsSettings, data_dir: &Path) -> Result<ServerConfig, TlsError> {
    let (cert_path, key_path) = if settings.cert_file.is_empty() {
        let files = LocalCa::in_dir(data_dir);
        (files.server_cert, files.server_key)
    } else {
        (PathBuf::from(&settings.cert_file), PathBuf::from(&settings.key_file))
    };
    let certs = read_certs(&cert_path)?;
    let key = read_key(&key_path)?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.max_early_data_size = 0;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ensure_local_ca(dir.path(), &["isac.example".to_owned()]).unwrap());
        let before = std::fs::read(LocalCa::in_dir(dir.path()).ca_cert).unwrap();
        assert!(!ensure_local_ca(dir.path(), &[]).unwrap());
        assert_eq!(before, std::fs::read(LocalCa::in_dir(dir.path()).ca_cert).unwrap());
        server_config(&TlsSettings::default(), dir.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(LocalCa::in_dir(dir.path()).server_key).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "server key must not be readable by others");
        }
    }

    #[test]
    fn missing_certificate_file_is_named() {
        let settings = TlsSettings {
            cert_file: "/nonexistent/cert.pem".to_owned(),
            key_file: "/nonexistent/key.pem".to_owned(),
            ..TlsSettings::default()
        };
        let err = server_config(&settings, Path::new("/tmp")).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/cert.pem"), "{err}");
    }
}
