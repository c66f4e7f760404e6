//! Pull and push cursors per peer collection, and each peer's sync state.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use isacx_schemas::api;

use crate::db::models::PeerRow;
use crate::db::schema::{peer_cursors, peer_state, peers};
use crate::db::{now, to_utc, DbConnection};
use crate::error::ApiError;

/// Cursor key of pushes into a peer collection (pulls use the collection id).
pub fn push_key(collection: &str) -> String {
    format!("push:{collection}")
}

pub fn cursor(
    conn: &mut DbConnection,
    peer_id: &str,
    collection: &str,
) -> Result<Option<String>, ApiError> {
    Ok(peer_cursors::table
        .filter(peer_cursors::peer_id.eq(peer_id))
        .filter(peer_cursors::collection.eq(collection))
        .select(peer_cursors::position)
        .first(conn)
        .optional()?)
}

/// Move a cursor; called in the transaction that stored what it covers.
pub fn set_cursor(
    conn: &mut DbConnection,
    peer_id: &str,
    collection: &str,
    position: &str,
) -> Result<(), ApiError> {
    let updated = diesel::update(
        peer_cursors::table
            .filter(peer_cursors::peer_id.eq(peer_id))
            .filter(peer_cursors::collection.eq(collection)),
    )
    .set((
        peer_cursors::position.eq(position),
        peer_cursors::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(peer_cursors::table)
            .values((
                peer_cursors::peer_id.eq(peer_id),
                peer_cursors::collection.eq(collection),
                peer_cursors::position.eq(position),
                peer_cursors::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = peer_state)]
pub struct StateRow {
    pub peer_id: String,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_success_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub consecutive_failures: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub objects_received: i64,
    pub objects_sent: i64,
    pub bytes_received: i64,
}

fn ensure_row(conn: &mut DbConnection, peer_id: &str) -> Result<(), ApiError> {
    let exists: i64 = peer_state::table
        .filter(peer_state::peer_id.eq(peer_id))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(peer_state::table)
            .values(peer_state::peer_id.eq(peer_id))
            .execute(conn)?;
    }
    Ok(())
}

pub fn get(conn: &mut DbConnection, peer_id: &str) -> Result<Option<StateRow>, ApiError> {
    Ok(peer_state::table
        .filter(peer_state::peer_id.eq(peer_id))
        .select(StateRow::as_select())
        .first(conn)
        .optional()?)
}

/// Add what a stored page brought (in the page's transaction).
pub fn count_received(
    conn: &mut DbConnection,
    peer_id: &str,
    objects: i64,
    bytes: i64,
) -> Result<(), ApiError> {
    ensure_row(conn, peer_id)?;
    diesel::update(peer_state::table.find(peer_id))
        .set((
            peer_state::objects_received.eq(peer_state::objects_received + objects),
            peer_state::bytes_received.eq(peer_state::bytes_received + bytes),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn count_sent(conn: &mut DbConnection, peer_id: &str, objects: i64) -> Result<(), ApiError> {
    ensure_row(conn, peer_id)?;
    diesel::update(peer_state::table.find(peer_id))
        .set(peer_state::objects_sent.eq(peer_state::objects_sent + objects))
        .execute(conn)?;
    Ok(())
}

pub fn record_success(
    conn: &mut DbConnection,
    peer_id: &str,
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    ensure_row(conn, peer_id)?;
    diesel::update(peer_state::table.find(peer_id))
        .set((
            peer_state::last_attempt_at.eq(Some(at)),
            peer_state::last_success_at.eq(Some(at)),
            peer_state::last_error.eq(None::<String>),
            peer_state::consecutive_failures.eq(0),
            peer_state::next_attempt_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// A failed sync: the error, and when to try again (doubling from `base_secs` up to `max_secs`).
pub fn record_failure(
    conn: &mut DbConnection,
    peer_id: &str,
    at: NaiveDateTime,
    error: &str,
    base_secs: u64,
    max_secs: u64,
) -> Result<NaiveDateTime, ApiError> {
    ensure_row(conn, peer_id)?;
    let failures = get(conn, peer_id)?
        .map(|s| s.consecutive_failures)
        .unwrap_or(0)
        .saturating_add(1);
    let delay = base_secs
        .saturating_mul(1_u64 << (failures.clamp(1, 30) - 1) as u32)
        .min(max_secs.max(base_secs));
    let next = at + chrono::Duration::seconds(i64::try_from(delay).unwrap_or(i64::MAX / 2));
    diesel::update(peer_state::table.find(peer_id))
        .set((
            peer_state::last_attempt_at.eq(Some(at)),
            peer_state::last_error.eq(Some(error.chars().take(1000).collect::<String>())),
            peer_state::consecutive_failures.eq(failures),
            peer_state::next_attempt_at.eq(Some(next)),
        ))
        .execute(conn)?;
    Ok(next)
}

/// Every peer with its state, for REST and the CLI.
pub fn statuses(conn: &mut DbConnection) -> Result<Vec<api::PeerStatus>, ApiError> {
    let rows: Vec<PeerRow> = peers::table
        .select(PeerRow::as_select())
        .order(peers::name.asc())
        .load(conn)?;
    let states: Vec<StateRow> = peer_state::table.select(StateRow::as_select()).load(conn)?;
    let now = Utc::now();
    Ok(rows
        .iter()
        .map(|p| {
            let s = states.iter().find(|s| s.peer_id == p.id);
            let last_success_at = s.and_then(|s| s.last_success_at).map(to_utc);
            api::PeerStatus {
                id: uuid::Uuid::parse_str(&p.id).unwrap_or_default(),
                name: p.name.clone(),
                direction: p.direction(),
                schedule: p.schedule.clone(),
                last_attempt_at: s.and_then(|s| s.last_attempt_at).map(to_utc),
                last_success_at,
                lag_seconds: last_success_at.map(|t| (now - t).num_seconds().max(0)),
                last_error: s.and_then(|s| s.last_error.clone()),
                consecutive_failures: s.map(|s| s.consecutive_failures).unwrap_or(0),
                next_attempt_at: s.and_then(|s| s.next_attempt_at).map(to_utc),
                objects_received: s.map(|s| s.objects_received).unwrap_or(0),
                objects_sent: s.map(|s| s.objects_sent).unwrap_or(0),
                bytes_received: s.map(|s| s.bytes_received).unwrap_or(0),
            }
        })
        .collect())
}
