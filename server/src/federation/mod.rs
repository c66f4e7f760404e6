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
//! - Scheduling: the `federation_sync` job ([`dispatch`]) syncs each peer
//!   whose own schedule is due, under the lease `federation:<peer id>`; a
//!   manual sync takes the same lease, so with several servers on one
//!   database a peer is synced by one of them at a time, once per due tick.

pub mod auth;
pub mod client;
pub mod ingress;
pub mod provenance;
pub mod scope;
pub mod schedule;
pub mod state;
pub mod tls;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use isacx_schemas::api::SyncReport;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Actor, Entry};
use crate::db::models::PeerRow;
use crate::db::schema::{job_leases, peers};
use crate::jobs::Lease;
use chrono::NaiveDateTime;
use crate::db::{blocking, now};
use crate::error::ApiError;
use crate::store::{self, Query};
use client::{ClientError, PeerClient};

fn actor(peer: &PeerRow) -> Actor {
    Actor::system(&format!("federation:{}", peer.name))
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

/// Lease name of one peer's sync: scheduled and manual syncs on every
/// server sharing the database take it, so a peer is synced by one of them
/// at a time.
pub fn lease_name(peer_id: &str) -> String {
    format!("federation:{peer_id}")
}

/// Sync one peer now (admin API, CLI): pull, then push, as its direction
/// says, under the peer's lease. A failure of the peer is in the report (and
/// the peer's state), not an `Err`: `Err` means this server could not record
/// what happened.
pub async fn sync_peer(state: &Arc<AppState>, peer_id: Uuid) -> Result<SyncReport, ApiError> {
    let (peer, lease) = {
        let state = state.clone();
        blocking(move || {
            let peer = load_peer(&state, peer_id)?;
            let mut conn = state.db.get()?;
            // A manual sync is not a scheduled tick: its tick is the moment it starts.
            let lease = Lease::acquire(
                &mut conn,
                &lease_name(&peer.id),
                &state.instance_id,
                now(),
                state.settings.jobs.lease_secs,
            )?;
            Ok((peer, lease))
        })
        .await?
    };
    let Some(lease) = lease else {
        return Ok(SyncReport {
            error: Some("a sync of this peer is already running (here or on another server sharing the database)".to_owned()),
            ..SyncReport::default()
        });
    };
    sync_leased(state, peer, lease).await
}

/// Sync a peer whose lease this server holds, then release the lease.
async fn sync_leased(state: &Arc<AppState>, peer: PeerRow, lease: Lease) -> Result<SyncReport, ApiError> {
    let mut report = SyncReport::default();
    let outcome = run(state, &peer, &lease, &mut report).await;
    let peer_id = peer.id.clone();
    let settings = state.settings.federation.clone();
    let db = state.db.clone();
    let recorded = match outcome {
        Ok(()) => {
            let db = db.clone();
            blocking(move || db.write(|conn| state::record_success(conn, &peer_id, now()))).await
        }
        Err(e) => {
            let message = e.to_string();
            tracing::warn!(peer = %peer.name, error = %message, "federation sync failed");
            report.error = Some(message.clone());
            let db = db.clone();
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
                    .map(|_| ())
                })
            })
            .await
        }
    };
    let outcome = match &report.error {
        None => format!("ok: received {}, sent {}", report.received, report.sent),
        Some(e) => format!("error: {e}"),
    };
    let released = blocking(move || {
        let mut conn = db.get()?;
        lease.release(&mut conn, &outcome)
    })
    .await;
    recorded?;
    released?;
    Ok(report)
}

/// The `federation_sync` job: one server per tick (the job's lease) looks
/// at every peer with a schedule; a peer whose schedule has come round since
/// its last sync (the `last_tick` of its lease) and whose backoff has passed
/// is synced, under its own lease `federation:<peer id>` for this tick, in a
/// task of its own: a slow or dead peer holds up no other.
pub fn dispatch(state: &Arc<AppState>, tick: NaiveDateTime) -> Result<(), ApiError> {
    let rows: Vec<PeerRow> = state.db.read(|conn| {
        Ok(peers::table
            .filter(peers::schedule.ne(""))
            .select(PeerRow::as_select())
            .order(peers::name.asc())
            .load(conn)?)
    })?;
    let at = tick.and_utc();
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|e| ApiError::internal(format!("federation sync runs on the server's runtime: {e}")))?;
    let mut conn = state.db.get()?;
    for peer in rows {
        let name = lease_name(&peer.id);
        let last: Option<NaiveDateTime> = job_leases::table
            .filter(job_leases::job.eq(&name))
            .select(job_leases::last_tick)
            .first(&mut conn)
            .optional()?;
        let since = last.map(|t| t.and_utc()).unwrap_or(chrono::DateTime::UNIX_EPOCH);
        if schedule::next_after(&peer.schedule, since).is_none_or(|due| due > at) {
            continue;
        }
        let backoff = state::get(&mut conn, &peer.id)?.and_then(|s| s.next_attempt_at);
        if backoff.is_some_and(|t| t > tick) {
            continue;
        }
        let Some(lease) = Lease::acquire(&mut conn, &name, &state.instance_id, tick, state.settings.jobs.lease_secs)? else {
            continue;
        };
        let state = state.clone();
        runtime.spawn(async move {
            let name = peer.name.clone();
            if let Err(e) = sync_leased(&state, peer, lease).await {
                tracing::error!(peer = %name, error = %e.detail, "federation sync could not be recorded");
            }
        });
    }
    Ok(())
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
    lease: &Lease,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let client = PeerClient::for_peer(
        peer,
        Duration::from_secs(state.settings.federation.timeout_secs.max(1)),
    )?;
    if peer.pulls() {
        for collection in pull_collections(peer, &client).await? {
            pull_collection(state, peer, &client, &collection, lease, report).await?;
        }
    }
    if peer.pushes() && !peer.push_collection.is_empty() {
        push(state, peer, &client, lease, report).await?;
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
    lease: &Lease,
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
            let (job, holder) = (lease.job.clone(), lease.holder.clone());
            blocking(move || {
                let counts = ingress::store_page(
                    &state,
                    &peer,
                    page.objects,
                    Some((&collection, &last)),
                    page.bytes,
                )?;
                // A long sync keeps its lease: another server does not start the same peer.
                state.db.write(|conn| Lease::renew(conn, &job, &holder, state.settings.jobs.lease_secs))?;
                Ok(counts)
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
    lease: &Lease,
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
            let (job, holder) = (lease.job.clone(), lease.holder.clone());
            let detail = serde_json::json!({ "collection": peer.push_collection, "sent": sent, "peer_success": status.success_count, "peer_failure": status.failure_count });
            blocking(move || {
                state.db.write(|conn| {
                    state::set_cursor(conn, &peer.id, &key, &last.to_string())?;
                    state::count_sent(conn, &peer.id, sent)?;
                    Lease::renew(conn, &job, &holder, state.settings.jobs.lease_secs)?;
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
