//! Signed webhooks.
//!
//! Each request carries `X-Isacx-Timestamp` (Unix seconds) and
//! `X-Isacx-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
//! A receiver recomputes the HMAC over the raw body, compares in constant
//! time, and refuses timestamps outside its replay window (five minutes is
//! the recommendation); `X-Isacx-Delivery` is the same on every retry of one
//! delivery, so a receiver drops repeats by it. Retries are signed afresh
//! with a new timestamp.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use isacx_schemas::notify::{
    WEBHOOK_DELIVERY_HEADER, WEBHOOK_EVENT_HEADER, WEBHOOK_SIGNATURE_HEADER,
    WEBHOOK_TIMESTAMP_HEADER,
};
use sha2::Sha256;

/// `v1=<hex>` for `timestamp` and `body`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // An HMAC key may have any length: new_from_slice cannot fail for HMAC.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The HTTP client webhooks go out with: rustls, the system's roots, a timeout, no redirects.
pub fn client(timeout_secs: u64) -> anyhow::Result<reqwest::Client> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .timeout(Duration::from_secs(timeout_secs.max(1)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("isacx-webhook/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// POST one signed delivery; any 2xx is success.
pub async fn send(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    delivery_id: &str,
    kind: &str,
    body: String,
) -> Result<(), String> {
    let timestamp = chrono::Utc::now().timestamp();
    let signature = signature(secret, timestamp, body.as_bytes());
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(WEBHOOK_TIMESTAMP_HEADER, timestamp.to_string())
        .header(WEBHOOK_SIGNATURE_HEADER, signature)
        .header(WEBHOOK_DELIVERY_HEADER, delivery_id)
        .header(WEBHOOK_EVENT_HEADER, kind)
        .body(body)
        .send()
        .await
        .map_err(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered HTTP {}", status.as_u16()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_of_timestamp_dot_body() {
        // Independent check value: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        let sig = signature("whsec_test", 1_700_000_000, br#"{"a":1}"#);
        assert_eq!(
            sig,
            "v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
        assert_ne!(
            sig,
            signature("whsec_test", 1_700_000_001, br#"{"a":1}"#),
            "the timestamp is signed"
        );
        assert_ne!(sig, signature("whsec_other", 1_700_000_000, br#"{"a":1}"#));
    }
}
