//! Leases of scheduled jobs: a row per job in `job_leases`. Whoever moves `locked_until`
//! forward with a conditional UPDATE (only if it has passed) runs the job for that period;
//! every other instance sees the lease held and skips it. The same SQL works on both
//! backends: PostgreSQL re-checks the condition after waiting for a concurrent update of the
//! row, and SQLite writes one at a time.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use crate::db::schema::job_leases;
use crate::db::{write_tx, DbConn};

/// Takes the lease of `name` until `until` if nobody holds it at `now`. True: run the job.
pub fn acquire(
    conn: &mut DbConn,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> QueryResult<bool> {
    let now = now.naive_utc();
    write_tx(conn, |conn| {
        diesel::sql_query(
            "INSERT INTO job_leases (name, holder, locked_until, runs) VALUES ($1, '', $2, 0) ON CONFLICT (name) DO NOTHING",
        )
        .bind::<Text, _>(name)
        .bind::<Timestamp, _>(chrono::DateTime::UNIX_EPOCH.naive_utc())
        .execute(conn)?;
        let taken = diesel::update(
            job_leases::table
                .filter(job_leases::name.eq(name))
                .filter(job_leases::locked_until.le(now)),
        )
        .set((
            job_leases::holder.eq(holder),
            job_leases::locked_until.eq(until.naive_utc()),
            job_leases::last_started_at.eq(Some(now)),
        ))
        .execute(conn)?;
        Ok(taken == 1)
    })
}

/// Records the end of a run and its error, if any: `runs` counts the runs that finished
/// (whoever ran them), so it tells how often a job really ran.
pub fn finish(conn: &mut DbConn, name: &str, error: Option<&str>) -> QueryResult<()> {
    diesel::update(job_leases::table.filter(job_leases::name.eq(name)))
        .set((
            job_leases::runs.eq(job_leases::runs + 1),
            job_leases::last_finished_at.eq(Some(Utc::now().naive_utc())),
            job_leases::last_error.eq(error),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A job's lease as stored: holder, end of the lease, runs so far.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = job_leases)]
pub struct LeaseRow {
    pub name: String,
    pub holder: String,
    pub locked_until: chrono::NaiveDateTime,
    pub runs: i64,
    pub last_started_at: Option<chrono::NaiveDateTime>,
    pub last_finished_at: Option<chrono::NaiveDateTime>,
    pub last_error: Option<String>,
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<LeaseRow>> {
    job_leases::table
        .order(job_leases::name)
        .select(LeaseRow::as_select())
        .load(conn)
}
