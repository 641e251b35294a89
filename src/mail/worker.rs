//! Outbox workers: claim due notifications, send them outside any request, record the outcome.
//! Failures retry with exponential backoff and jitter for up to 24 hours, then dead-letter.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use futures_util::StreamExt;
use rand::Rng;

use super::mailer::{Mailer, SendError};
use super::outbox::redact_payload;
use crate::db::outbox::{claim, OutboxRow};
use crate::db::schema::outbox;
use crate::db::{write_tx, Db};
use crate::config::WorkerConfig;
use crate::error::ServiceError;

/// `base · 2^attempts`, capped, with ±25 % jitter so retries of a burst do not stampede.
pub fn backoff(cfg: &WorkerConfig, attempts: i32) -> Duration {
    let exp = 2u32.saturating_pow(attempts.clamp(0, 30) as u32);
    let delay = cfg.retry_base.saturating_mul(exp).min(cfg.retry_max);
    let factor = rand::thread_rng().gen_range(0.75..1.25);
    delay.mul_f64(factor)
}

/// While the outbox cannot be reached: 1 s, 2 s, 4 s, then every 8 s, so a database that is
/// away for long is neither hammered nor waited for long once it is back.
fn outage_backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(3))
}

/// How long a worker keeps trying to record mails it has sent: beyond the lease they would be
/// claimed and sent again anyway.
fn record_patience(cfg: &WorkerConfig) -> Duration {
    cfg.lease / 2
}

/// Starts `cfg.workers` workers (0: none; another instance sends).
pub fn spawn(db: Db, mailer: Arc<Mailer>, cfg: WorkerConfig) {
    for n in 0..cfg.workers {
        let (db, mailer, cfg) = (db.clone(), mailer.clone(), cfg.clone());
        tokio::spawn(async move {
            tracing::info!(worker = n, transport = %mailer.describe(), "mail worker started");
            let mut failures = 0u32;
            loop {
                match tick(&db, &mailer, &cfg).await {
                    Ok(handled) => {
                        if failures > 0 {
                            tracing::info!(worker = n, failures, "mail worker reached the outbox again");
                            failures = 0;
                        }
                        if handled == 0 {
                            tokio::time::sleep(cfg.idle_poll).await;
                        }
                    }
                    Err(e) => {
                        failures += 1;
                        let wait = outage_backoff(failures);
                        tracing::warn!(worker = n, failures, retry_in_ms = wait.as_millis() as u64, error = %e, "mail worker could not reach the outbox");
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        });
    }
}

/// One round: claim, send, record. Returns how many notifications it handled.
pub async fn tick(db: &Db, mailer: &Mailer, cfg: &WorkerConfig) -> Result<usize, ServiceError> {
    let now = Utc::now().naive_utc();
    let lease_until = now + chrono::Duration::from_std(cfg.lease).unwrap_or_default();
    let batch = cfg.batch;
    let rows = db.write(move |conn| Ok::<_, ServiceError>(claim(conn, now, lease_until, batch)?)).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let results: Vec<(OutboxRow, Result<(), SendError>)> = futures_util::stream::iter(rows)
        .map(|row| async move {
            let result = mailer.send(&row).await;
            (row, result)
        })
        .buffer_unordered(batch.max(1) as usize)
        .collect()
        .await;
    let handled = results.len();
    // The mails are out: a database that went away now would have them sent twice once the
    // lease ends, so recording is retried while the database is only briefly away.
    let results = Arc::new(results);
    let deadline = tokio::time::Instant::now() + record_patience(cfg);
    let mut wait = Duration::from_millis(250);
    loop {
        let (these, cfg) = (results.clone(), cfg.clone());
        match db.write(move |conn| record(conn, &these, &cfg)).await {
            Ok(()) => return Ok(handled),
            Err(ServiceError::Db(e)) if e.retry_after().is_some() && tokio::time::Instant::now() + wait < deadline => {
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "mails sent but not recorded yet; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(4));
            }
            Err(e) => return Err(e),
        }
    }
}

fn record(conn: &mut crate::db::DbConn, results: &[(OutboxRow, Result<(), SendError>)], cfg: &WorkerConfig) -> Result<(), ServiceError> {
    let now = Utc::now().naive_utc();
    let sent: Vec<&str> = results.iter().filter(|(_, result)| result.is_ok()).map(|(row, _)| row.id.as_str()).collect();
    write_tx(conn, |conn| -> Result<(), ServiceError> {
        // The sent ones in one statement: on PostgreSQL one round trip instead of one a mail.
        if !sent.is_empty() {
            diesel::update(outbox::table.filter(outbox::id.eq_any(&sent)))
                .set((outbox::status.eq("sent"), outbox::sent_at.eq(Some(now)), outbox::locked_until.eq(None::<NaiveDateTime>), outbox::last_error.eq(None::<String>)))
                .execute(conn)?;
        }
        for (row, result) in results {
            let target = outbox::table.find(&row.id);
            match result {
                // Sent: the link's secret has done its job and is not kept.
                Ok(()) => {
                    if let Some(clean) = redact_payload(&row.payload) {
                        diesel::update(target).set(outbox::payload.eq(clean)).execute(conn)?;
                    }
                }
                Err(e) => {
                    let attempts = row.attempts + 1;
                    let window_start = row.requeued_at.unwrap_or(row.created_at);
                    let expired = (now - window_start).to_std().unwrap_or_default() >= cfg.give_up_after;
                    let dead = matches!(e, SendError::Permanent(_)) || expired;
                    let next = now + chrono::Duration::from_std(backoff(cfg, row.attempts)).unwrap_or_default();
                    if dead {
                        tracing::error!(id = %row.id, kind = %row.kind, attempts, error = %e, "mail dead-lettered");
                    } else {
                        tracing::warn!(id = %row.id, kind = %row.kind, attempts, error = %e, "mail send failed; will retry");
                    }
                    // A dead letter keeps no secret either (a retry still needs it).
                    let payload = if dead { redact_payload(&row.payload) } else { None };
                    diesel::update(target)
                        .set((
                            outbox::payload.eq(payload.unwrap_or_else(|| row.payload.clone())),
                            outbox::status.eq(if dead { "dead" } else { "pending" }),
                            outbox::attempts.eq(attempts),
                            outbox::next_attempt_at.eq(next),
                            outbox::locked_until.eq(None::<NaiveDateTime>),
                            outbox::last_error.eq(Some(e.to_string())),
                        ))
                        .execute(conn)?;
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> WorkerConfig {
        WorkerConfig {
            workers: 1,
            batch: 10,
            lease: Duration::from_secs(60),
            idle_poll: Duration::from_millis(100),
            retry_base: Duration::from_secs(60),
            retry_max: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let cfg = cfg();
        for attempts in 0..6 {
            let expected = 60.0 * 2f64.powi(attempts);
            let got = backoff(&cfg, attempts).as_secs_f64();
            assert!(got >= expected * 0.75 && got <= expected * 1.25, "attempt {attempts}: {got}");
        }
        assert!(backoff(&cfg, 40).as_secs_f64() <= 3600.0 * 1.25);
    }

    #[test]
    fn an_unreachable_outbox_is_retried_ever_more_slowly_up_to_eight_seconds() {
        let waits: Vec<u64> = (1..=6).map(|n| outage_backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 8, 8]);
    }
}
