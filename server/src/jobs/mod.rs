//! Scheduled jobs on tokio-cron-scheduler, one runner per tick.
//!
//! Every server runs the scheduler; when several share one PostgreSQL, each
//! tick of each job is run by exactly one of them. At a tick, a server takes
//! the job's [`Lease`]: a single conditional UPDATE of the job's row in
//! `job_leases` that succeeds only if the row's `last_tick` is older than
//! this tick and no one holds it. Both backends apply that UPDATE atomically
//! (PostgreSQL re-checks the condition after a competing update commits), so
//! the first server wins and the others skip the tick. A server that dies
//! while holding a lease frees it when `held_until` passes (`jobs.lease_secs`).
//! Ticks are named by their scheduled second, so servers whose clocks fire a
//! few milliseconds apart agree on the tick.
//!
//! Cron strings come from config (six fields, seconds first); an empty
//! string disables the job.

use std::sync::Arc;

use actix_web::web;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use tokio_cron_scheduler::{Job, JobScheduler};
use uuid::Uuid;

use crate::app::AppState;
use crate::db::schema::{job_leases, job_runs};
use crate::db::{blocking, now, DbConnection};
use crate::error::ApiError;

/// Is `expr` a cron string the scheduler accepts?
pub fn check_cron(expr: &str) -> Result<(), String> {
    Job::new(expr, |_, _| {}).map(|_| ()).map_err(|e| {
        format!("`{expr}` is not a cron schedule (sec min hour day month weekday): {e:?}")
    })
}

/// The right to run one tick of one job.
#[derive(Debug)]
pub struct Lease {
    pub job: String,
    pub holder: String,
    pub tick: NaiveDateTime,
    run_id: String,
}

impl Lease {
    /// Take the lease for `tick`, or `None` if another server has (or had) this tick.
    pub fn acquire(
        conn: &mut DbConnection,
        job: &str,
        holder: &str,
        tick: NaiveDateTime,
        lease_secs: u64,
    ) -> Result<Option<Lease>, ApiError> {
        let exists: i64 = job_leases::table
            .filter(job_leases::job.eq(job))
            .count()
            .get_result(conn)?;
        if exists == 0 {
            let epoch = chrono::DateTime::UNIX_EPOCH.naive_utc();
            let inserted = diesel::insert_into(job_leases::table)
                .values((job_leases::job.eq(job), job_leases::last_tick.eq(epoch)))
                .execute(conn);
            match inserted {
                Ok(_) => {}
                // Another server created the row first: fine.
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let at = now();
        let until = at + chrono::Duration::seconds(lease_secs.max(1) as i64);
        let taken = diesel::update(
            job_leases::table
                .filter(job_leases::job.eq(job))
                .filter(job_leases::last_tick.lt(tick))
                .filter(
                    job_leases::held_until
                        .is_null()
                        .or(job_leases::held_until.lt(at)),
                ),
        )
        .set((
            job_leases::holder.eq(holder),
            job_leases::last_tick.eq(tick),
            job_leases::held_until.eq(Some(until)),
        ))
        .execute(conn)?;
        if taken == 0 {
            return Ok(None);
        }
        let run_id = Uuid::new_v4().to_string();
        diesel::insert_into(job_runs::table)
            .values((
                job_runs::id.eq(&run_id),
                job_runs::job.eq(job),
                job_runs::tick.eq(tick),
                job_runs::holder.eq(holder),
                job_runs::started_at.eq(at),
            ))
            .execute(conn)?;
        Ok(Some(Lease {
            job: job.to_owned(),
            holder: holder.to_owned(),
            tick,
            run_id,
        }))
    }

    /// Hold the lease of `job` (taken by `holder`) for `lease_secs` more
    /// from now: a long run keeps it, so no other server starts the same work.
    pub fn renew(conn: &mut DbConnection, job: &str, holder: &str, lease_secs: u64) -> Result<(), ApiError> {
        let until = now() + chrono::Duration::seconds(lease_secs.max(1) as i64);
        diesel::update(
            job_leases::table
                .filter(job_leases::job.eq(job))
                .filter(job_leases::holder.eq(holder))
                .filter(job_leases::held_until.is_not_null()),
        )
        .set(job_leases::held_until.eq(Some(until)))
        .execute(conn)?;
        Ok(())
    }

    /// Record how the run ended and free the lease for the next tick.
    pub fn release(self, conn: &mut DbConnection, outcome: &str) -> Result<(), ApiError> {
        let outcome: String = outcome.chars().take(500).collect();
        diesel::update(job_runs::table.find(&self.run_id))
            .set((
                job_runs::finished_at.eq(Some(now())),
                job_runs::outcome.eq(Some(outcome)),
            ))
            .execute(conn)?;
        diesel::update(
            job_leases::table
                .filter(job_leases::job.eq(&self.job))
                .filter(job_leases::holder.eq(&self.holder)),
        )
        .set(job_leases::held_until.eq(None::<NaiveDateTime>))
        .execute(conn)?;
        Ok(())
    }
}

/// The tick a firing belongs to: the scheduled second, i.e. now rounded to the nearest second.
pub fn tick_of(at: chrono::DateTime<chrono::Utc>) -> NaiveDateTime {
    let secs = (at.timestamp_millis() + 500).div_euclid(1000);
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or(at)
        .naive_utc()
}

/// A job: the work of one tick (run on the blocking pool), given the tick it runs for.
pub type JobFn = fn(&AppState, NaiveDateTime) -> Result<(), ApiError>;

/// A job that starts work of its own (tasks on the runtime), so it is given the shared state.
pub type SpawningJobFn = fn(&Arc<AppState>, NaiveDateTime) -> Result<(), ApiError>;

#[derive(Clone, Copy)]
enum Work {
    Run(JobFn),
    Spawn(SpawningJobFn),
}

/// The jobs this server knows, with their configured schedules.
fn registered(state: &AppState) -> Vec<(&'static str, String, Work)> {
    let jobs = &state.settings.jobs;
    vec![
        ("outbox_sweep", jobs.outbox_sweep.clone(), Work::Run(|s, _| outbox_sweep(s))),
        (
            "reassessment_sweep",
            jobs.reassessment_sweep.clone(),
            Work::Run(|s, _| crate::advisories::reassessment_sweep(s)),
        ),
        // The tick names the digest's period, so every server agrees on it.
        ("digest_daily", jobs.digest_daily.clone(), Work::Run(crate::digest::deliver::daily)),
        ("digest_weekly", jobs.digest_weekly.clone(), Work::Run(crate::digest::deliver::weekly)),
        // Each due peer is synced under a lease of its own (`federation:<peer id>`).
        ("federation_sync", jobs.federation_sync.clone(), Work::Spawn(crate::federation::dispatch)),
    ]
}

/// Start the scheduler with every enabled job, on the current runtime.
pub fn spawn(state: web::Data<AppState>) {
    // Digests whose tick passed while no server ran.
    if state.settings.jobs.digest_catch_up_periods > 0 {
        let state = state.clone();
        tokio::spawn(async move {
            let result = blocking(move || crate::digest::deliver::catch_up(&state, chrono::Utc::now())).await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "catching up missed digests failed; the next digest tick or start tries again");
            }
        });
    }
    let jobs: Vec<_> = registered(&state)
        .into_iter()
        .filter(|(_, cron, _)| !cron.trim().is_empty())
        .collect();
    if jobs.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let scheduler = match JobScheduler::new().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = ?e, "the job scheduler did not start");
                return;
            }
        };
        for (name, cron, work) in jobs {
            let state = state.clone();
            let job = Job::new_async(cron.as_str(), move |_, _| {
                let state = state.clone();
                Box::pin(async move { run_tick(state, name, work).await })
            });
            match job {
                Ok(job) => {
                    if let Err(e) = scheduler.add(job).await {
                        tracing::error!(job = name, error = ?e, "could not schedule job");
                    } else {
                        tracing::info!(job = name, cron = %cron, "job scheduled");
                    }
                }
                Err(e) => tracing::error!(job = name, error = ?e, "invalid schedule"),
            }
        }
        if let Err(e) = scheduler.start().await {
            tracing::error!(error = ?e, "the job scheduler did not start");
            return;
        }
        // Keep the scheduler alive as long as the server runs.
        let _keep = Arc::new(scheduler);
        std::future::pending::<()>().await;
    });
}

async fn run_tick(state: web::Data<AppState>, name: &'static str, work: Work) {
    let tick = tick_of(chrono::Utc::now());
    let result = blocking(move || {
        let mut conn = state.db.get()?;
        let Some(lease) = Lease::acquire(
            &mut conn,
            name,
            &state.instance_id,
            tick,
            state.settings.jobs.lease_secs,
        )?
        else {
            return Ok(false);
        };
        drop(conn);
        let done = match work {
            Work::Run(f) => f(&state, tick),
            Work::Spawn(f) => f(&state.clone().into_inner(), tick),
        };
        let outcome = match done {
            Ok(()) => "ok".to_owned(),
            Err(e) => format!("error: {e}"),
        };
        let mut conn = state.db.get()?;
        lease.release(&mut conn, &outcome)?;
        Ok(true)
    })
    .await;
    match result {
        Ok(true) => tracing::debug!(job = name, %tick, "job tick ran here"),
        Ok(false) => tracing::debug!(job = name, %tick, "job tick taken by another server"),
        Err(e) => tracing::warn!(job = name, %tick, error = %e, "job tick failed"),
    }
}

/// Free deliveries claimed by servers that went away, prune old rows and job history, report dead deliveries.
pub fn outbox_sweep(state: &AppState) -> Result<(), ApiError> {
    let (freed, pruned, dead) = state
        .db
        .write(|conn| crate::notify::outbox::sweep(conn, state.settings.notify.retention_days))?;
    let cutoff = now() - chrono::Duration::days(i64::from(state.settings.notify.retention_days));
    state.db.write(|conn| {
        Ok(
            diesel::delete(job_runs::table.filter(job_runs::started_at.lt(cutoff)))
                .execute(conn)?,
        )
    })?;
    if freed > 0 {
        crate::notify::wake();
    }
    if dead > 0 {
        tracing::warn!(
            dead,
            "notification deliveries are dead; see GET /api/v1/admin/deliveries?state=dead"
        );
    }
    tracing::debug!(freed, pruned, dead, "outbox sweep");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_strings_are_checked() {
        assert!(check_cron("0 */5 * * * *").is_ok());
        assert!(check_cron("every minute").is_err());
        let defaults = crate::config::JobsSettings::default();
        assert!(check_cron(&defaults.digest_daily).is_ok());
        assert!(check_cron(&defaults.digest_weekly).is_ok());
    }

    #[test]
    fn ticks_round_to_the_scheduled_second() {
        let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap();
        assert_eq!(tick_of(at(10_000)), tick_of(at(10_400)));
        assert_eq!(tick_of(at(10_000)), tick_of(at(9_700)));
        assert_ne!(tick_of(at(10_000)), tick_of(at(11_000)));
    }
}
