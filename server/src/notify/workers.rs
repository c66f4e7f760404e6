//! Delivery workers: one loop per channel, one task per delivery.
//!
//! A loop claims due rows (reserving them for this server), hands each to
//! its own task, and waits for a wake-up, a freed slot or the poll
//! interval. A slow or dead receiver therefore holds one slot for at most
//! its timeout, and its rows back off, while other deliveries go on; e-mail
//! and webhooks never share a loop.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use diesel::prelude::*;
use isacx_schemas::notify::Channel;
use tokio::sync::{Notify, Semaphore};

use crate::app::AppState;
use crate::db::blocking;
use crate::db::schema::users;

use super::outbox::{self, OutboxRow};
use super::{email, settings, webhook};

/// Deliveries in flight per channel and server.
const CONCURRENCY: usize = 32;

enum Sender {
    Email(Option<email::Mailer>),
    Webhook(reqwest::Client),
}

/// Start the e-mail and webhook workers on the current runtime.
pub fn spawn(state: web::Data<AppState>) -> anyhow::Result<()> {
    let mailer = email::mailer(&state.settings.notify)?;
    let client = webhook::client(state.settings.notify.webhook_timeout_secs)?;
    for (channel, sender) in [
        (Channel::Email, Sender::Email(mailer)),
        (Channel::Webhook, Sender::Webhook(client)),
    ] {
        let state = state.clone();
        tokio::spawn(run(state, channel, Arc::new(sender)));
    }
    Ok(())
}

async fn run(state: web::Data<AppState>, channel: Channel, sender: Arc<Sender>) {
    let mut wake = super::subscribe();
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    let freed = Arc::new(Notify::new());
    let poll = Duration::from_millis(state.settings.notify.poll_interval_ms);
    loop {
        let want = slots
            .available_permits()
            .min(state.settings.notify.batch_size as usize);
        let mut full = false;
        if want > 0 {
            let s = state.clone();
            let claimed = blocking(move || {
                let mut conn = s.db.get()?;
                // One transaction per batch: one commit (one fsync on SQLite), not one per row.
                crate::db::write_tx(&mut conn, |c| {
                    outbox::claim(
                        c,
                        channel,
                        &s.instance_id,
                        want as i64,
                        s.settings.notify.claim_secs,
                    )
                })
            })
            .await;
            match claimed {
                Ok(rows) => {
                    full = rows.len() == want;
                    for row in rows {
                        let Ok(permit) = slots.clone().acquire_owned().await else {
                            return;
                        };
                        let (state, sender, freed) = (state.clone(), sender.clone(), freed.clone());
                        tokio::spawn(async move {
                            deliver(&state, &sender, row).await;
                            drop(permit);
                            freed.notify_one();
                        });
                    }
                }
                Err(e) => {
                    tracing::warn!(channel = channel.as_str(), error = %e, "could not claim deliveries")
                }
            }
        }
        if full && slots.available_permits() > 0 {
            continue;
        }
        tokio::select! {
            changed = wake.changed() => if changed.is_err() { return },
            _ = freed.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

enum Outcome {
    Delivered,
    Skipped(String),
    Failed(String),
}

async fn deliver(state: &web::Data<AppState>, sender: &Sender, row: OutboxRow) {
    let outcome = match sender {
        Sender::Email(mailer) => deliver_email(state, mailer.as_ref(), &row).await,
        Sender::Webhook(client) => deliver_webhook(state, client, &row).await,
    };
    let s = state.clone();
    let seq = row.seq;
    let channel = row.channel.clone();
    let id = row.id.clone();
    let result = blocking(move || {
        let mut conn = s.db.get()?;
        let holder = &s.instance_id;
        match &outcome {
            Outcome::Delivered => outbox::mark_delivered(&mut conn, seq, holder).map(|_| "delivered"),
            Outcome::Skipped(reason) => outbox::mark_skipped(&mut conn, seq, holder, reason).map(|_| "skipped"),
            Outcome::Failed(error) => {
                tracing::warn!(delivery = %row.id, channel = %row.channel, attempt = row.attempts + 1, error = %error, "delivery failed");
                crate::db::write_tx(&mut conn, |c| outbox::mark_failed(c, &row, holder, error, &s.settings.notify)).map(|st| st.as_str())
            }
        }
    })
    .await;
    match result {
        Ok(state) => {
            tracing::debug!(delivery = %id, channel = %channel, state, "delivery attempt recorded")
        }
        Err(e) => {
            tracing::error!(delivery = %id, error = %e, "could not record a delivery attempt; it will be retried when its claim runs out")
        }
    }
}

async fn deliver_email(
    state: &web::Data<AppState>,
    mailer: Option<&email::Mailer>,
    row: &OutboxRow,
) -> Outcome {
    let Some(mailer) = mailer else {
        return Outcome::Skipped("e-mail is not configured (notify.smtp_host)".to_owned());
    };
    let notification = match row.notification() {
        Ok(n) => n,
        Err(e) => return Outcome::Skipped(format!("unreadable outbox body: {e}")),
    };
    let s = state.clone();
    let user_id = row.target.clone();
    let recipient = blocking(move || {
        let mut conn = s.db.get()?;
        Ok(users::table
            .find(&user_id)
            .select((users::email, users::locale, users::disabled))
            .first::<(Option<String>, String, bool)>(&mut conn)
            .optional()?)
    })
    .await;
    let (address, locale) = match recipient {
        Ok(Some((Some(address), locale, false))) => (address, locale),
        Ok(Some((_, _, true))) => return Outcome::Skipped("the user is disabled".to_owned()),
        Ok(Some((None, _, _))) | Ok(None) => {
            return Outcome::Skipped("the user has no e-mail address".to_owned())
        }
        Err(e) => return Outcome::Failed(format!("database: {e}")),
    };
    let built = if notification.kind == isacx_schemas::notify::EventKind::DigestIssued {
        match stored_digest(state, &notification).await {
            Ok(Some(digest)) => email::digest_message(&notification, &digest, &address, &locale, &state.settings.notify, &state.settings.identity),
            Ok(None) => return Outcome::Skipped("the digest is no longer in the archive".to_owned()),
            Err(e) => return Outcome::Failed(format!("database: {e}")),
        }
    } else {
        email::message(&notification, &address, &locale, &state.settings.notify, &state.settings.identity)
    };
    let message = match built {
        Ok(m) => m,
        Err(e) => return Outcome::Skipped(e),
    };
    match email::send(mailer, message).await {
        Ok(()) => Outcome::Delivered,
        Err(e) => Outcome::Failed(e),
    }
}

/// The archived digest a digest notification names.
async fn stored_digest(
    state: &web::Data<AppState>,
    notification: &isacx_schemas::notify::Notification,
) -> Result<Option<isacx_schemas::digest::Digest>, crate::error::ApiError> {
    let Some(id) = notification.payload.get("digest_id").and_then(|v| v.as_str()).and_then(|s| uuid::Uuid::parse_str(s).ok()) else {
        return Ok(None);
    };
    let s = state.clone();
    blocking(move || {
        let mut conn = s.db.get()?;
        crate::digest::load(&mut conn, id)?.map(|row| row.digest()).transpose()
    })
    .await
}

async fn deliver_webhook(
    state: &web::Data<AppState>,
    client: &reqwest::Client,
    row: &OutboxRow,
) -> Outcome {
    let s = state.clone();
    let endpoint = row.target.clone();
    let target = blocking(move || {
        let mut conn = s.db.get()?;
        settings::webhook_target(&mut conn, &endpoint)
    })
    .await;
    let (url, secret) = match target {
        Ok(Some(t)) => t,
        Ok(None) => return Outcome::Skipped("the webhook endpoint is disabled".to_owned()),
        Err(e) => return Outcome::Failed(format!("database: {e}")),
    };
    let body = match row.delivered_body() {
        Ok(body) => body,
        Err(e) => return Outcome::Skipped(format!("unreadable outbox body: {e}")),
    };
    match webhook::send(client, &url, &secret, &row.id, &row.kind, body).await {
        Ok(()) => Outcome::Delivered,
        Err(e) => Outcome::Failed(e),
    }
}
