//! The outbox table: every delivery, its state and its attempts.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use isacx_schemas::notify::{Channel, Delivery, DeliveryState, Notification};
use uuid::Uuid;

use crate::audit::{self, Actor, Entry};
use crate::db::models::parse_uuid;
use crate::db::schema::outbox;
use crate::db::{now, to_utc, DbConnection};
use crate::error::ApiError;

use super::Event;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub seq: i64,
    pub id: String,
    pub channel: String,
    pub target: String,
    pub user_id: Option<String>,
    pub organisation_id: Option<String>,
    pub dedupe_key: String,
    pub kind: String,
    pub object_id: String,
    pub body: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

impl OutboxRow {
    /// The notification as delivered. The stored body is shared by every
    /// row of one event (written once, not once per recipient), so the
    /// row's own id and time are put in here.
    pub fn notification(&self) -> Result<Notification, ApiError> {
        let mut notification: Notification = serde_json::from_str(&self.body).map_err(ApiError::internal)?;
        notification.delivery_id = parse_uuid(&self.id);
        notification.created = to_utc(self.created_at);
        Ok(notification)
    }

    /// The JSON a webhook or a stream carries: [`Self::notification`], serialised.
    pub fn delivered_body(&self) -> Result<String, ApiError> {
        serde_json::to_string(&self.notification()?).map_err(ApiError::internal)
    }

    pub fn to_api(&self) -> Delivery {
        Delivery {
            id: parse_uuid(&self.id),
            seq: self.seq,
            channel: self.channel.parse().unwrap_or(Channel::Stream),
            target: self.target.clone(),
            user_id: self.user_id.as_deref().map(parse_uuid),
            organisation_id: self.organisation_id.as_deref().map(parse_uuid),
            kind: self
                .kind
                .parse()
                .unwrap_or(isacx_schemas::notify::EventKind::AdvisoryPublished),
            object_id: self.object_id.clone(),
            state: self.state.parse().unwrap_or(DeliveryState::Pending),
            attempts: self.attempts,
            next_attempt_at: to_utc(self.next_attempt_at),
            last_error: self.last_error.clone(),
            created_at: to_utc(self.created_at),
            delivered_at: self.delivered_at.map(to_utc),
        }
    }
}

/// Where one delivery of an event goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Address {
    pub channel: Channel,
    pub target: String,
    pub user_id: Option<String>,
    pub organisation_id: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewDelivery<'a> {
    id: String,
    channel: &'a str,
    target: &'a str,
    user_id: Option<&'a str>,
    organisation_id: Option<&'a str>,
    dedupe_key: &'a str,
    kind: &'a str,
    object_id: &'a str,
    body: &'a str,
    state: &'a str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
    delivered_at: Option<NaiveDateTime>,
}

/// Rows per multi-row INSERT on PostgreSQL.
const ROWS_PER_INSERT: usize = 500;

/// Write one row per address, skipping addresses the same event already
/// reached on that channel (`(channel, target, dedupe_key)` is unique).
/// Returns the rows written.
pub(super) fn insert_many(conn: &mut DbConnection, event: &Event, addresses: &[Address]) -> Result<usize, ApiError> {
    if addresses.is_empty() {
        return Ok(0);
    }
    audit::serialise_writers(conn)?;
    let at = now();
    // One body for the whole event; each row's id and time are its own columns.
    let body = serde_json::to_string(&event.notification(Uuid::nil(), to_utc(at))).map_err(ApiError::internal)?;
    let mut written = 0;
    for chunk in addresses.chunks(ROWS_PER_INSERT) {
        let rows: Vec<NewDelivery<'_>> = chunk
            .iter()
            .map(|a| {
                // The stream reads its events straight from the outbox: stored is delivered.
                let (state, delivered_at) = match a.channel {
                    Channel::Stream => (DeliveryState::Delivered, Some(at)),
                    Channel::Email | Channel::Webhook => (DeliveryState::Pending, None),
                };
                NewDelivery {
                    id: Uuid::new_v4().to_string(),
                    channel: a.channel.as_str(),
                    target: &a.target,
                    user_id: a.user_id.as_deref(),
                    organisation_id: a.organisation_id.as_deref(),
                    dedupe_key: &event.dedupe_key,
                    kind: event.kind.as_str(),
                    object_id: &event.object_id,
                    body: &body,
                    state: state.as_str(),
                    attempts: 0,
                    next_attempt_at: at,
                    created_at: at,
                    delivered_at,
                }
            })
            .collect();
        written += match conn {
            // SQLite: one cached prepared statement per row, inside the
            // caller's transaction (diesel's SQLite batch insert would open a
            // transaction of its own); PostgreSQL: one multi-row statement.
            DbConnection::Sqlite(c) => {
                let mut n = 0;
                for row in &rows {
                    n += diesel::insert_into(outbox::table).values(row).on_conflict_do_nothing().execute(c)?;
                }
                n
            }
            DbConnection::Postgres(c) => diesel::insert_into(outbox::table).values(&rows).on_conflict_do_nothing().execute(c)?,
        };
    }
    Ok(written)
}

/// Reserve up to `limit` due deliveries of `channel` for `holder`. Safe when
/// several servers claim at once: a row is taken only by the update that
/// finds it still free, and PostgreSQL re-checks that condition after a
/// competing update commits.
pub fn claim(
    conn: &mut DbConnection,
    channel: Channel,
    holder: &str,
    limit: i64,
    claim_secs: u64,
) -> Result<Vec<OutboxRow>, ApiError> {
    let at = now();
    let until = at + chrono::Duration::seconds(claim_secs as i64);
    let free = outbox::claimed_until
        .is_null()
        .or(outbox::claimed_until.lt(at));
    let candidates: Vec<i64> = outbox::table
        .filter(outbox::channel.eq(channel.as_str()))
        .filter(outbox::state.eq(DeliveryState::Pending.as_str()))
        .filter(outbox::next_attempt_at.le(at))
        .filter(free)
        .order((outbox::next_attempt_at.asc(), outbox::seq.asc()))
        .select(outbox::seq)
        .limit(limit)
        .load(conn)?;
    let mut claimed = Vec::new();
    for seq in candidates {
        let free = outbox::claimed_until
            .is_null()
            .or(outbox::claimed_until.lt(at));
        let n = diesel::update(
            outbox::table
                .filter(outbox::seq.eq(seq))
                .filter(outbox::state.eq(DeliveryState::Pending.as_str()))
                .filter(free),
        )
        .set((
            outbox::claimed_by.eq(holder),
            outbox::claimed_until.eq(until),
        ))
        .execute(conn)?;
        if n == 1 {
            claimed.push(seq);
        }
    }
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    Ok(outbox::table
        .filter(outbox::seq.eq_any(&claimed))
        .order(outbox::seq.asc())
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// The next attempt after `attempts` failures: base · 2^(attempts−1), capped, with up to 10 % jitter
/// so deliveries that failed together do not all come back together.
pub fn backoff(attempts: u32, base_ms: u64, max_ms: u64) -> std::time::Duration {
    let exp = attempts.saturating_sub(1).min(40);
    let raw = base_ms.saturating_mul(1_u64 << exp).min(max_ms);
    let jitter = if raw >= 10 {
        rand::random_range(0..=raw / 10)
    } else {
        0
    };
    std::time::Duration::from_millis(raw.saturating_add(jitter).min(max_ms.max(base_ms)))
}

pub fn mark_delivered(conn: &mut DbConnection, seq: i64, holder: &str) -> Result<(), ApiError> {
    diesel::update(
        outbox::table
            .filter(outbox::seq.eq(seq))
            .filter(outbox::claimed_by.eq(holder)),
    )
    .set((
        outbox::state.eq(DeliveryState::Delivered.as_str()),
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::delivered_at.eq(Some(now())),
        outbox::claimed_by.eq(None::<String>),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn mark_skipped(
    conn: &mut DbConnection,
    seq: i64,
    holder: &str,
    reason: &str,
) -> Result<(), ApiError> {
    diesel::update(
        outbox::table
            .filter(outbox::seq.eq(seq))
            .filter(outbox::claimed_by.eq(holder)),
    )
    .set((
        outbox::state.eq(DeliveryState::Skipped.as_str()),
        outbox::claimed_by.eq(None::<String>),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(Some(reason)),
    ))
    .execute(conn)?;
    Ok(())
}

/// Record a failed attempt: schedule the next one, or mark the row dead
/// after `max_attempts` (written to the audit log so admins see it).
pub fn mark_failed(
    conn: &mut DbConnection,
    row: &OutboxRow,
    holder: &str,
    error: &str,
    settings: &crate::config::NotifySettings,
) -> Result<DeliveryState, ApiError> {
    let attempts = row.attempts + 1;
    let error: String = error.chars().take(500).collect();
    let dead = attempts as u32 >= settings.max_attempts;
    let next = now()
        + chrono::Duration::from_std(backoff(
            attempts as u32,
            settings.retry_base_ms,
            settings.retry_max_ms,
        ))
        .unwrap_or_default();
    let state = if dead {
        DeliveryState::Dead
    } else {
        DeliveryState::Pending
    };
    diesel::update(
        outbox::table
            .filter(outbox::seq.eq(row.seq))
            .filter(outbox::claimed_by.eq(holder)),
    )
    .set((
        outbox::state.eq(state.as_str()),
        outbox::attempts.eq(attempts),
        outbox::next_attempt_at.eq(next),
        outbox::claimed_by.eq(None::<String>),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(Some(&error)),
    ))
    .execute(conn)?;
    if dead {
        audit::append(
            conn,
            &Actor::system("notify"),
            Entry {
                action: "notify.delivery.dead",
                target: format!("delivery:{}", row.id),
                detail: serde_json::json!({ "channel": row.channel, "target": row.target, "attempts": attempts, "last_error": error }),
            },
        )?;
    }
    Ok(state)
}

/// Deliveries for admins, newest first, optionally in one state.
pub fn list(
    conn: &mut DbConnection,
    state: Option<DeliveryState>,
    limit: i64,
) -> Result<Vec<Delivery>, ApiError> {
    let mut query = outbox::table
        .select(OutboxRow::as_select())
        .order(outbox::seq.desc())
        .limit(limit)
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(outbox::state.eq(state.as_str()));
    }
    let rows: Vec<OutboxRow> = query.load(conn)?;
    Ok(rows.iter().map(OutboxRow::to_api).collect())
}

/// Give a dead delivery a fresh set of attempts, due now.
pub fn retry(conn: &mut DbConnection, actor: &Actor, id: Uuid) -> Result<Delivery, ApiError> {
    let key = id.to_string();
    let n = diesel::update(
        outbox::table
            .filter(outbox::id.eq(&key))
            .filter(outbox::state.eq(DeliveryState::Dead.as_str())),
    )
    .set((
        outbox::state.eq(DeliveryState::Pending.as_str()),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now()),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(ApiError::not_found(format!("no dead delivery {id}")));
    }
    audit::append(
        conn,
        actor,
        Entry {
            action: "notify.delivery.retry",
            target: format!("delivery:{key}"),
            detail: serde_json::json!({}),
        },
    )?;
    let row: OutboxRow = outbox::table
        .filter(outbox::id.eq(&key))
        .select(OutboxRow::as_select())
        .first(conn)?;
    super::wake();
    Ok(row.to_api())
}

/// A user's stream events after `after` (a `seq`), oldest first.
pub fn stream_since(
    conn: &mut DbConnection,
    user_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<OutboxRow>, ApiError> {
    Ok(outbox::table
        .filter(outbox::target.eq(user_id))
        .filter(outbox::channel.eq(Channel::Stream.as_str()))
        .filter(outbox::seq.gt(after))
        .order(outbox::seq.asc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// The newest stream `seq` of a user (where a stream without Last-Event-ID starts).
pub fn stream_head(conn: &mut DbConnection, user_id: &str) -> Result<i64, ApiError> {
    let max: Option<i64> = outbox::table
        .filter(outbox::target.eq(user_id))
        .filter(outbox::channel.eq(Channel::Stream.as_str()))
        .select(diesel::dsl::max(outbox::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0))
}

/// Sweep: free rows whose claim ran out (their server went away), prune old
/// finished rows; returns (freed, pruned, dead).
pub fn sweep(
    conn: &mut DbConnection,
    retention_days: u32,
) -> Result<(usize, usize, i64), ApiError> {
    let at = now();
    let freed = diesel::update(outbox::table.filter(outbox::claimed_until.lt(at)))
        .set((
            outbox::claimed_by.eq(None::<String>),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    let cutoff = at - chrono::Duration::days(i64::from(retention_days));
    let pruned = diesel::delete(
        outbox::table
            .filter(outbox::state.eq_any([
                DeliveryState::Delivered.as_str(),
                DeliveryState::Skipped.as_str(),
            ]))
            .filter(outbox::created_at.lt(cutoff)),
    )
    .execute(conn)?;
    let dead: i64 = outbox::table
        .filter(outbox::state.eq(DeliveryState::Dead.as_str()))
        .count()
        .get_result(conn)?;
    Ok((freed, pruned, dead))
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_and_caps() {
        let ms = |n| backoff(n, 1000, 60_000).as_millis() as u64;
        assert!((1000..=1100).contains(&ms(1)), "{}", ms(1));
        assert!((2000..=2200).contains(&ms(2)), "{}", ms(2));
        assert!((8000..=8800).contains(&ms(4)), "{}", ms(4));
        assert_eq!(ms(30), 60_000);
        assert_eq!(ms(200), 60_000, "no overflow on absurd attempt counts");
    }
}
