//! A real HTTP webhook receiver (actix-web on loopback) that verifies the
//! isacx signature the way the README tells members to: HMAC-SHA256 over
//! `<timestamp>.<raw body>`, compared in constant time, timestamp within a
//! five-minute replay window. It can answer 500 for a while, to test retries.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context;
use hmac::{Hmac, Mac};
use isacx_schemas::notify::{
    WEBHOOK_DELIVERY_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER,
};
use sha2::Sha256;

pub const REPLAY_WINDOW_SECS: i64 = 300;

/// One accepted, correctly signed request.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub delivery_id: String,
    pub body: serde_json::Value,
}

#[derive(Default)]
pub struct ReceiverState {
    secret: Mutex<Option<String>>,
    /// Answer 500 to this many more (correctly signed) requests.
    pub fail_next: AtomicUsize,
    pub answered_500: AtomicUsize,
    pub bad_signatures: AtomicUsize,
    accepted: Mutex<Vec<Accepted>>,
}

/// Is `signature` (`v1=<hex>`) the HMAC of `timestamp.body` under `secret`, and the timestamp fresh?
pub fn verify(secret: &str, timestamp: &str, signature: &str, body: &[u8], now: i64) -> bool {
    let Ok(ts) = timestamp.parse::<i64>() else {
        return false;
    };
    if (now - ts).abs() > REPLAY_WINDOW_SECS {
        return false;
    }
    let Some(hex_sig) = signature.strip_prefix("v1=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

async fn receive(
    state: web::Data<ReceiverState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let secret = state
        .secret
        .lock()
        .ok()
        .and_then(|s| s.clone())
        .unwrap_or_default();
    let ok = !secret.is_empty()
        && verify(
            &secret,
            &header(WEBHOOK_TIMESTAMP_HEADER),
            &header(WEBHOOK_SIGNATURE_HEADER),
            &body,
            chrono::Utc::now().timestamp(),
        );
    if !ok {
        state.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return HttpResponse::Unauthorized().finish();
    }
    if state.fail_next.load(Ordering::SeqCst) > 0 {
        state.fail_next.fetch_sub(1, Ordering::SeqCst);
        state.answered_500.fetch_add(1, Ordering::SeqCst);
        return HttpResponse::InternalServerError().finish();
    }
    let parsed = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    if let Ok(mut all) = state.accepted.lock() {
        all.push(Accepted {
            delivery_id: header(WEBHOOK_DELIVERY_HEADER),
            body: parsed,
        });
    }
    HttpResponse::NoContent().finish()
}

pub struct WebhookReceiver {
    pub url: String,
    pub state: web::Data<ReceiverState>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WebhookReceiver {
    pub fn start() -> anyhow::Result<WebhookReceiver> {
        let state = web::Data::new(ReceiverState::default());
        let shared = state.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(shared.clone())
                        .route("/hook", web::post().to(receive))
                })
                .workers(2)
                .bind("127.0.0.1:0");
                match server {
                    Ok(server) => {
                        let addr = server.addrs().first().copied();
                        let running = server.run();
                        let _ = tx.send(addr.map(|a| (a, running.handle())));
                        let _ = running.await;
                    }
                    Err(_) => {
                        let _ = tx.send(None);
                    }
                }
            });
        });
        let (addr, handle) = rx.recv()?.context("the webhook receiver did not bind")?;
        Ok(WebhookReceiver {
            url: format!("http://127.0.0.1:{}/hook", addr.port()),
            state,
            handle,
            thread: Some(thread),
        })
    }

    pub fn set_secret(&self, secret: &str) {
        if let Ok(mut s) = self.state.secret.lock() {
            *s = Some(secret.to_owned());
        }
    }

    pub fn accepted(&self) -> Vec<Accepted> {
        self.state
            .accepted
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default()
    }

    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Accepted> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.accepted();
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn stop(mut self) {
        self.handle.stop(false).await;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
