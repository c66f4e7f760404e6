//! Append-only, hash-chained audit log: one row per state change.
//!
//! Each row's hash covers the previous row's hash and the row's own content,
//! so editing or deleting any row breaks the chain from there on; sequence
//! numbers are consecutive, so a missing row shows as a gap. The tables also
//! carry triggers refusing UPDATE and DELETE; the chain catches what a
//! database administrator could still do by dropping them.

use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::models::AuditRow;
use crate::db::schema::audit_log;
use crate::db::{now, DbConnection};
use crate::error::ApiError;

/// Hash the chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did it, for the `actor` column.
#[derive(Debug, Clone)]
pub struct Actor {
    pub label: String,
    pub source_ip: Option<String>,
}

impl Actor {
    pub fn system(label: &str) -> Actor {
        Actor { label: label.to_owned(), source_ip: None }
    }
}

/// A state change to record.
pub struct Entry<'a> {
    pub action: &'a str,
    pub target: String,
    pub detail: serde_json::Value,
}

#[derive(Serialize)]
struct Canonical<'a> {
    seq: i64,
    at: String,
    actor: &'a str,
    action: &'a str,
    target: &'a str,
    detail: &'a str,
    source_ip: Option<&'a str>,
}

fn row_hash(prev_hash: &str, row: &Canonical<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(serde_json::to_vec(row).unwrap_or_default());
    hex::encode(hasher.finalize())
}

fn canonical(row: &AuditRow) -> Canonical<'_> {
    Canonical {
        seq: row.seq,
        at: row.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        actor: &row.actor,
        action: &row.action,
        target: &row.target,
        detail: &row.detail,
        source_ip: row.source_ip.as_deref(),
    }
}

/// On PostgreSQL, wait for the database-wide writer lock, held until this
/// transaction ends. Audit appends take it (one chain head), and so do
/// outbox inserts, so outbox sequence numbers are handed out in commit
/// order and a stream reading "after seq N" never passes over a row that
/// commits later with a smaller number. Re-entrant within a transaction.
/// SQLite serialises every write transaction already.
pub fn serialise_writers(conn: &mut DbConnection) -> Result<(), ApiError> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(7201000001)").execute(pg)?;
    }
    Ok(())
}

/// Append one row. Must run inside a write transaction (`Database::write`),
/// so the row commits or rolls back with the change it records.
pub fn append(conn: &mut DbConnection, actor: &Actor, entry: Entry<'_>) -> Result<(), ApiError> {
    // Serialise appends across servers sharing the database: two
    // transactions must never both extend the same chain head.
    serialise_writers(conn)?;
    let last: Option<(i64, String)> =
        audit_log::table.select((audit_log::seq, audit_log::hash)).order(audit_log::seq.desc()).first(conn).optional()?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let mut row = AuditRow {
        seq,
        at: now(),
        actor: actor.label.clone(),
        action: entry.action.to_owned(),
        target: entry.target,
        detail: entry.detail.to_string(),
        source_ip: actor.source_ip.clone(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = row_hash(&row.prev_hash, &canonical(&row));
    diesel::insert_into(audit_log::table).values(&row).execute(conn)?;
    tracing::info!(audit_seq = seq, action = entry.action, target = %row.target, actor = %row.actor, "audit");
    Ok(())
}

/// Outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Verification {
    Intact { rows: u64 },
    /// The first row that does not check out, and why.
    Broken { seq: i64, reason: String },
}

/// Walk the chain from the first row, in pages, and report the first
/// tampered or missing row.
pub fn verify(conn: &mut DbConnection) -> Result<Verification, ApiError> {
    const PAGE: i64 = 1000;
    let mut expected_seq = 1_i64;
    let mut prev_hash = GENESIS.to_owned();
    loop {
        let rows: Vec<AuditRow> = audit_log::table
            .select(AuditRow::as_select())
            .filter(audit_log::seq.ge(expected_seq))
            .order(audit_log::seq.asc())
            .limit(PAGE)
            .load(conn)?;
        if rows.is_empty() {
            return Ok(Verification::Intact { rows: (expected_seq - 1) as u64 });
        }
        for row in &rows {
            if row.seq != expected_seq {
                return Ok(Verification::Broken {
                    seq: expected_seq,
                    reason: format!("row {expected_seq} is missing (next row is {})", row.seq),
                });
            }
            if row.prev_hash != prev_hash {
                return Ok(Verification::Broken { seq: row.seq, reason: "prev_hash does not match the previous row".to_owned() });
            }
            let recomputed = row_hash(&row.prev_hash, &canonical(row));
            if recomputed != row.hash {
                return Ok(Verification::Broken { seq: row.seq, reason: "content does not match its hash".to_owned() });
            }
            prev_hash = row.hash.clone();
            expected_seq += 1;
        }
    }
}
