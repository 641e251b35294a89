//! Scheduled jobs, run by one instance only: every `interval` each instance tries to take
//! each job's lease (`lease.rs`); the one that gets it runs the job for that period. The jobs
//! are also idempotent (conditional updates, one alert row per due time), so even a run that
//! outlasts its lease cannot close a ticket or send an alert twice.

pub mod lease;
mod tasks;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::{JobsConfig, PrivacySettings};
use crate::db::{Db, DbConn, LONG_HOLD};
use crate::error::ServiceError;

pub use tasks::{auto_close, expire_guests, sla_risk, BATCH};

/// What the jobs need besides a connection.
#[derive(Clone)]
pub struct JobContext {
    pub base_url: String,
    pub config: JobsConfig,
    /// The attachment files, for the sweep of unreferenced ones (`None`: no sweep).
    pub files: Option<crate::files::FileStore>,
    /// How long the access log is kept.
    pub privacy: PrivacySettings,
    /// How many newest documents PostgreSQL's search keeps apart.
    pub search: crate::tickets::search_index::Ranking,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    AutoClose,
    ExpireGuests,
    SlaRisk,
    /// The deadline-aware SLA: priority rises as a linked procedure's window closes.
    DeadlinePriority,
    /// SQLite's planner statistics kept current as the tables grow, one index a batch.
    Statistics,
    /// Files no attachment refers to, one of the 256 folders a run.
    SweepFiles,
    /// Staff reads older than `HELPDESK_ACCESS_LOG_DAYS` leave the access log.
    PurgeAccessLog,
    /// Closed tickets past their category's retention anonymised, identity documents past
    /// theirs deleted.
    Retention,
    /// Idempotency keys past their lifetime.
    ForgetIdempotencyKeys,
    /// PostgreSQL's search: the newest tickets' documents kept to their number.
    SearchNewest,
}

impl Job {
    pub const ALL: [Job; 10] = [
        Job::AutoClose,
        Job::ExpireGuests,
        Job::SlaRisk,
        Job::DeadlinePriority,
        Job::Statistics,
        Job::SweepFiles,
        Job::PurgeAccessLog,
        Job::Retention,
        Job::ForgetIdempotencyKeys,
        Job::SearchNewest,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::AutoClose => "auto_close",
            Job::ExpireGuests => "expire_guests",
            Job::SlaRisk => "sla_risk",
            Job::DeadlinePriority => "deadline_priority",
            Job::Statistics => "statistics",
            Job::SweepFiles => "sweep_files",
            Job::PurgeAccessLog => "purge_access_log",
            Job::Retention => "retention",
            Job::ForgetIdempotencyKeys => "forget_idempotency_keys",
            Job::SearchNewest => "search_newest",
        }
    }

    /// One batch of the job's work; answers how many items it looked at (see `may_have_more`).
    pub fn run(
        self,
        conn: &mut DbConn,
        ctx: &JobContext,
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError> {
        match self {
            Job::AutoClose => auto_close(conn, ctx, now),
            Job::ExpireGuests => expire_guests(conn, ctx, now),
            Job::SlaRisk => sla_risk(conn, ctx, now),
            Job::DeadlinePriority => crate::career::changes::escalate_deadlines(conn, now.naive_utc(), BATCH as i64),
            // One step a batch (see db::statistics): 1 while there may be more.
            Job::Statistics => crate::db::statistics::refresh_step(conn).map(usize::from).map_err(ServiceError::from),
            Job::SweepFiles => match &ctx.files {
                // A different folder each minute: every file is looked at every 256 minutes.
                Some(files) => files.sweep(conn, &format!("{:02x}", (now.timestamp() / 60) % 256), SWEEP_GRACE).map(|_| 0),
                None => Ok(0),
            },
            // One statement, however many rows: nothing to batch.
            Job::PurgeAccessLog => {
                crate::privacy::access::purge(conn, ctx.privacy.access_log_days, now.naive_utc()).map(|_| 0).map_err(ServiceError::from)
            }
            Job::Retention => {
                use crate::privacy::retention::{self, Run};
                let run = Run { now: now.naive_utc(), closed_before: None, dry_run: false, limit: BATCH };
                retention::run(conn, ctx.files.as_ref(), run).map(|report| report.anonymised.len())
            }
            Job::ForgetIdempotencyKeys => {
                let cutoff = now.naive_utc() - chrono::Duration::hours(crate::db::idempotency::KEPT_HOURS);
                Ok(crate::db::idempotency::sweep(conn, cutoff, BATCH as i64)?)
            }
            Job::SearchNewest => crate::tickets::search_index::prune_newest(conn, ctx.search),
        }
    }
}

/// A stored file is swept only this long after it was written: the request that stored it has
/// long committed (or failed) by then.
const SWEEP_GRACE: Duration = Duration::from_secs(3600);

impl Job {
    /// Whether the job writes nothing to the database: the sweep of files on disk only lists
    /// a folder, asks which files are unreferenced and deletes those (the database store's
    /// sweep deletes rows).
    fn reads_only(self, ctx: &JobContext) -> bool {
        self == Job::SweepFiles && ctx.files.as_ref().is_some_and(|files| !files.in_database())
    }

    /// Whether another batch follows one that looked at `seen` items in `took`: after a full
    /// batch; for the statistics (one index a batch) after any step, unless it held the writer
    /// long — the next then waits for the next period, so one long hold a minute at most
    /// (back to back, three steps of 0.25-0.5 s at 2.4 M tickets made that window's p99 0.4 s).
    fn may_have_more(self, seen: usize, took: Duration) -> bool {
        match self {
            Job::Statistics => seen > 0 && took < LONG_HOLD,
            Job::SearchNewest => seen as i64 >= crate::tickets::search_index::NEWEST_BATCH,
            _ => seen >= BATCH,
        }
    }
}


/// At most this many batches a run; the rest waits for the next period.
const MAX_BATCHES: usize = 50;

/// Runs `job` if this instance gets its lease: `Ok(None)` when another instance holds it.
pub async fn run_once(
    db: &Db,
    job: Job,
    holder: &str,
    ctx: &JobContext,
) -> Result<Option<usize>, ServiceError> {
    let now = Utc::now();
    // A little shorter than the period, so the holder's next tick finds it free again.
    let lease = chrono::Duration::from_std(ctx.config.interval.mul_f64(0.9)).unwrap_or_default();
    let owner = holder.to_owned();
    let taken = db
        .write(move |conn| {
            Ok::<_, ServiceError>(lease::acquire(conn, job.name(), &owner, now, now + lease)?)
        })
        .await?;
    if !taken {
        return Ok(None);
    }
    let mut total = 0;
    let mut outcome = Ok(());
    for _ in 0..MAX_BATCHES {
        if job == Job::Statistics {
            warm_next_index(db).await;
        }
        let reads_only = job.reads_only(ctx);
        let ctx = ctx.clone();
        let run = move |conn: &mut DbConn| job.run(conn, &ctx, now);
        // SQLite has one writer: a job that only reads (and touches files) stays off it.
        let started = std::time::Instant::now();
        let seen = if reads_only { db.read(run).await } else { db.write(run).await };
        // On SQLite a batch holds the one writer: every request's write waits behind it.
        let took = started.elapsed();
        if took >= LONG_HOLD {
            tracing::info!(job = job.name(), ms = took.as_millis() as u64, "a job's batch took long");
        }
        match seen {
            Ok(seen) => {
                total += seen;
                if !job.may_have_more(seen, took) {
                    break;
                }
            }
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    let error = outcome.as_ref().err().map(|e| e.to_string());
    db.write(move |conn| Ok::<_, ServiceError>(lease::finish(conn, job.name(), error.as_deref())?))
        .await?;
    outcome.map(|()| Some(total))
}

/// Reads the pages of the index the next statistics step will analyse on a reader, off the
/// writer, so that the step finds them cached (db::statistics::warm). Best effort: the step
/// works without it, only slower.
async fn warm_next_index(db: &Db) {
    let Ok(Some(name)) = db.write(|conn| Ok::<_, ServiceError>(crate::db::statistics::next_pending(conn)?)).await else {
        return;
    };
    let started = std::time::Instant::now();
    match db.read(move |conn| Ok::<_, ServiceError>(crate::db::statistics::warm(conn, &name)?)).await {
        Ok(pages) => {
            let took = started.elapsed();
            if took >= LONG_HOLD {
                tracing::info!(pages, ms = took.as_millis() as u64, "statistics: the next index warmed on a reader");
            }
        }
        Err(e) => tracing::warn!(error = %e, "statistics: warming the next index failed"),
    }
}

/// Starts this instance's job runner (none when the interval is zero).
pub fn spawn(db: Db, ctx: JobContext) {
    if ctx.config.interval.is_zero() {
        return;
    }
    let holder = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
    tokio::spawn(async move {
        tracing::info!(%holder, interval_secs = ctx.config.interval.as_secs_f64(), "job runner started");
        let mut ticker = tokio::time::interval(ctx.config.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            for job in Job::ALL {
                match run_once(&db, job, &holder, &ctx).await {
                    Ok(Some(n)) if n > 0 => tracing::info!(job = job.name(), items = n, "job ran"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(job = job.name(), error = %e, "job failed"),
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_batch_asks_for_another_and_a_long_statistics_step_waits_for_the_next_period() {
        let (quick, long) = (Duration::from_millis(5), LONG_HOLD);
        assert!(Job::AutoClose.may_have_more(BATCH, long), "a full batch, however long");
        assert!(!Job::AutoClose.may_have_more(BATCH - 1, quick));
        assert!(Job::Statistics.may_have_more(1, quick), "one index done, more may wait");
        assert!(!Job::Statistics.may_have_more(1, long), "it held the writer: the rest next minute");
        assert!(!Job::Statistics.may_have_more(0, quick), "nothing due");
    }
}
