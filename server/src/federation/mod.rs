//! Federation between sharing bodies over TAXII 2.1.
//!
//! - Pull: for each peer collection, ask for objects `added_after` the
//!   cursor; store a page and move the cursor in one transaction, so a sync
//!   cut short resumes where the last stored page ended (no gap), and a page
//!   fetched twice is deduplicated on id + version (no duplicate).
//! - Push: page through our store as the peer principal (the one policy
//!   check decides what leaves), POST envelopes, move the push cursor after
//!   the peer answered.
//! - Ingress (pulled or pushed): provenance appended ([`provenance`]),
//!   cycles and over-long hop lists refused, RED and AMBER+STRICT refused,
//!   TLP and scope kept, sectors mapped, hops recorded so egress never sends
//!   an object back to a server it came through.
//! - Each peer's last success, last error and backoff ([`state`]); one peer's
//!   failure never stops the others.

pub mod auth;
pub mod client;
pub mod ingress;
pub mod provenance;
pub mod scope;
pub mod schedule;
pub mod state;
pub mod tls;

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use diesel::prelude::*;
use isacx_schemas::api::SyncReport;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Actor, Entry};
use crate::db::models::PeerRow;
use crate::db::schema::peers;
use crate::db::{blocking, now};
use crate::error::ApiError;
use crate::store::{self, Query};
use client::{ClientError, PeerClient};

fn actor(peer: &PeerRow) -> Actor {
    Actor::system(&format!("federation:{}", peer.name))
}

/// Peers being synced by this process: a second sync of the same peer waits its turn by being skipped.
fn in_flight() -> &'static Mutex<HashSet<String>> {
    static SET: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    SET.get_or_init(Default::default)
}

struct InFlight(String);

impl InFlight {
    fn claim(peer_id: &str) -> Option<InFlight> {
        let mut set = in_flight().lock().ok()?;
        set.insert(peer_id.to_owned())
            .then(|| InFlight(peer_id.to_owned()))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut set) = in_flight().lock() {
            set.remove(&self.0);
        }
    }
}

pub fn load_peer(state: &AppState, peer_id: Uuid) -> Result<PeerRow, ApiError> {
    state.db.read(|conn| {
        peers::table
            .find(peer_id.to_string())
            .select(PeerRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found(format!("no peer {peer_id}")))
    })
}

/// Sync one peer now: pull, then push, as its direction says. A failure of
/// the peer is in the report (and the peer's state), not an `Err`: `Err`
/// means this server could not record what happened.
pub async fn sync_peer(state: &Arc<AppState>, peer_id: Uuid) -> Result<SyncReport, ApiError> {
    let peer = {
        let state = state.clone();
        blocking(move || load_peer(&state, peer_id)).await?
    };
    let Some(_claim) = InFlight::claim(&peer.id) else {
        return Ok(SyncReport {
            error: Some("a sync of this peer is already running".to_owned()),
            ..SyncReport::default()
        });
    };
    let mut report = SyncReport::default();
    let outcome = run(state, &peer, &mut report).await;
    let peer_id = peer.id.clone();
    let settings = state.settings.federation.clone();
    let db = state.db.clone();
    match outcome {
        Ok(()) => {
            blocking(move || db.write(|conn| state::record_success(conn, &peer_id, now()))).await?;
        }
        Err(e) => {
            let message = e.to_string();
            tracing::warn!(peer = %peer.name, error = %message, "federation sync failed");
            report.error = Some(message.clone());
            blocking(move || {
                db.write(|conn| {
                    state::record_failure(
                        conn,
                        &peer_id,
                        now(),
                        &message,
                        settings.retry_base_secs,
                        settings.retry_max_secs,
                    )
                })
            })
            .await?;
        }
    }
    Ok(report)
}

/// Sync every peer, each on its own: a peer that is down does not hold up the others.
pub async fn sync_all(state: &Arc<AppState>) -> Result<Vec<(Uuid, SyncReport)>, ApiError> {
    let ids: Vec<String> = {
        let state = state.clone();
        blocking(move || {
            state.db.read(|conn| {
                Ok(peers::table
                    .select(peers::id)
                    .order(peers::name.asc())
                    .load(conn)?)
            })
        })
        .await?
    };
    let runs = ids
        .iter()
        .filter_map(|id| Uuid::parse_str(id).ok())
        .map(|id| async move { (id, sync_peer(state, id).await) });
    let mut reports = Vec::new();
    for (id, result) in futures_util::future::join_all(runs).await {
        reports.push((id, result?));
    }
    Ok(reports)
}

#[derive(Debug, thiserror::Error)]
enum SyncError {
    #[error(transparent)]
    Peer(#[from] ClientError),
    #[error("{0}")]
    Local(String),
}

impl From<ApiError> for SyncError {
    fn from(e: ApiError) -> SyncError {
        SyncError::Local(format!("storing what the peer sent: {}", e.detail))
    }
}

async fn run(
    state: &Arc<AppState>,
    peer: &PeerRow,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let client = PeerClient::for_peer(
        peer,
        Duration::from_secs(state.settings.federation.timeout_secs.max(1)),
    )?;
    if peer.pulls() {
        for collection in pull_collections(peer, &client).await? {
            pull_collection(state, peer, &client, &collection, report).await?;
        }
    }
    if peer.pushes() && !peer.push_collection.is_empty() {
        push(state, peer, &client, report).await?;
    }
    Ok(())
}

/// The configured collections; else the peer's `all-sectors` collection if it
/// has one (it holds every sector's objects, so pulling the others too would
/// only download copies); else every collection it lets us read.
async fn pull_collections(peer: &PeerRow, client: &PeerClient) -> Result<Vec<String>, ClientError> {
    let configured = crate::db::parse_list(&peer.collections);
    if !configured.is_empty() {
        return Ok(configured);
    }
    let listed = client.collections().await?.collections;
    if let Some(all) = listed
        .iter()
        .find(|c| c.alias.as_deref() == Some("all-sectors") && c.can_read)
    {
        return Ok(vec![all.id.clone()]);
    }
    Ok(listed
        .into_iter()
        .filter(|c| c.can_read)
        .map(|c| c.id)
        .collect())
}

async fn pull_collection(
    state: &Arc<AppState>,
    peer: &PeerRow,
    client: &PeerClient,
    collection: &str,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let page_size = state.settings.federation.page_size.max(1);
    loop {
        let position = {
            let (state, peer_id, collection) =
                (state.clone(), peer.id.clone(), collection.to_owned());
            blocking(move || {
                state
                    .db
                    .read(|conn| state::cursor(conn, &peer_id, &collection))
            })
            .await?
        };
        let page = client
            .objects(collection, position.as_deref(), None, page_size)
            .await?;
        report.bytes_received += page.bytes;
        if page.objects.is_empty() {
            return Ok(());
        }
        let Some(last) = page.date_added_last.clone() else {
            return Err(SyncError::Local("the peer sent objects without X-TAXII-Date-Added-Last, so there is no cursor to resume from".to_owned()));
        };
        if position.as_deref() == Some(last.as_str()) {
            // The peer ignored added_after: stop rather than loop.
            return Ok(());
        }
        let counts = {
            let (state, peer, collection) = (state.clone(), peer.clone(), collection.to_owned());
            blocking(move || {
                ingress::store_page(
                    &state,
                    &peer,
                    page.objects,
                    Some((&collection, &last)),
                    page.bytes,
                )
            })
            .await?
        };
        report.received += counts.added;
        report.duplicates += counts.duplicates;
        report.refused += counts.refused;
        if !page.more {
            return Ok(());
        }
    }
}

async fn push(
    state: &Arc<AppState>,
    peer: &PeerRow,
    client: &PeerClient,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let key = state::push_key(&peer.push_collection);
    let viewer = auth::viewer(peer);
    let page_size = state.settings.federation.page_size.max(1);
    loop {
        let page = {
            let (state, peer_id, key, viewer) =
                (state.clone(), peer.id.clone(), key.clone(), viewer.clone());
            blocking(move || {
                state.db.read(|conn| {
                    let after =
                        state::cursor(conn, &peer_id, &key)?.and_then(|p| p.parse::<i64>().ok());
                    let q = Query {
                        after,
                        limit: page_size,
                        ..Query::default()
                    };
                    store::page(conn, &q, &viewer)
                })
            })
            .await?
        };
        let Some(last) = page.rows.last().map(|r| r.date_added) else {
            return Ok(());
        };
        let bodies: Vec<std::borrow::Cow<'_, str>> = page.rows.iter().map(scope::body_for_peer).collect();
        let envelope = format!("{{\"objects\":[{}]}}", bodies.join(","));
        let status = client.add_objects(&peer.push_collection, envelope).await?;
        let sent = page.rows.len() as i64;
        report.sent += sent as u64;
        {
            let (state, peer, key) = (state.clone(), peer.clone(), key.clone());
            let detail = serde_json::json!({ "collection": peer.push_collection, "sent": sent, "peer_success": status.success_count, "peer_failure": status.failure_count });
            blocking(move || {
                state.db.write(|conn| {
                    state::set_cursor(conn, &peer.id, &key, &last.to_string())?;
                    state::count_sent(conn, &peer.id, sent)?;
                    audit::append(
                        conn,
                        &actor(&peer),
                        Entry {
                            action: "federation.push",
                            target: format!("peer:{}", peer.id),
                            detail,
                        },
                    )
                })
            })
            .await?;
        }
        if !page.more {
            return Ok(());
        }
    }
}

/// What a stored page did.
#[derive(Debug, Default, Clone, Copy)]
pub struct PageCounts {
    pub added: u64,
    pub duplicates: u64,
    pub refused: u64,
}

/// The peers (ours) whose servers appear on a hop list: egress never sends
/// an object to one of them.
fn peers_on(
    conn: &mut crate::db::DbConnection,
    hops: &[String],
) -> Result<BTreeSet<Uuid>, ApiError> {
    let ids: Vec<String> = peers::table
        .filter(peers::server_id.eq_any(hops))
        .filter(peers::server_id.ne(""))
        .select(peers::id)
        .load(conn)?;
    Ok(ids.iter().filter_map(|i| Uuid::parse_str(i).ok()).collect())
}

/// Spawn the simple per-peer schedule loop (until the shared job runner takes
/// it over): once a second, peers whose cron string is due and whose backoff
/// has passed are synced, each in its own task.
pub fn start_scheduler(state: Arc<AppState>) {
    actix_web::rt::spawn(async move {
        let mut due: std::collections::HashMap<String, (String, chrono::DateTime<chrono::Utc>)> =
            Default::default();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let rows = {
                let state = state.clone();
                blocking(move || {
                    state.db.read(|conn| {
                        Ok(peers::table
                            .filter(peers::schedule.ne(""))
                            .select(PeerRow::as_select())
                            .load(conn)?)
                    })
                })
                .await
            };
            let Ok(rows) = rows else { continue };
            let now = chrono::Utc::now();
            due.retain(|id, _| rows.iter().any(|r| &r.id == id));
            for peer in rows {
                let entry = due.entry(peer.id.clone()).or_insert_with(|| {
                    (
                        peer.schedule.clone(),
                        schedule::next_after(&peer.schedule, now)
                            .unwrap_or(now + chrono::Duration::days(3650)),
                    )
                });
                if entry.0 != peer.schedule {
                    *entry = (
                        peer.schedule.clone(),
                        schedule::next_after(&peer.schedule, now)
                            .unwrap_or(now + chrono::Duration::days(3650)),
                    );
                }
                if entry.1 > now {
                    continue;
                }
                entry.1 = schedule::next_after(&peer.schedule, now)
                    .unwrap_or(now + chrono::Duration::days(3650));
                let Ok(id) = Uuid::parse_str(&peer.id) else {
                    continue;
                };
                let state = state.clone();
                actix_web::rt::spawn(async move {
                    let backoff = {
                        let state = state.clone();
                        let key = peer.id.clone();
                        blocking(move || state.db.read(|conn| state::get(conn, &key))).await
                    };
                    if let Ok(Some(s)) = backoff {
                        if s.next_attempt_at
                            .is_some_and(|t| crate::db::to_utc(t) > chrono::Utc::now())
                        {
                            return;
                        }
                    }
                    if let Err(e) = sync_peer(&state, id).await {
                        tracing::error!(peer = %peer.name, error = %e.detail, "federation sync could not be recorded");
                    }
                });
            }
        }
    });
}
