//! Claiming outbox rows: the one query whose dialect differs. PostgreSQL skips rows other
//! instances hold (`FOR UPDATE SKIP LOCKED`); on SQLite the write transaction is exclusive.
//! Either way a claim is a lease (`locked_until`): a worker that dies mid-send leaves rows that
//! become claimable again when the lease runs out, so a crash resends and never drops.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use super::schema::outbox;
use super::{write_tx, DbConn};
use crate::domain::Locale;

#[derive(Debug, Clone, QueryableByName, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub locale: Locale,
    pub ticket_id: Option<String>,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub requeued_at: Option<NaiveDateTime>,
}

/// Placeholders are numbered in bind order: $1 now, $2 lease end, $3 limit. SQLite numbers
/// `$N` by first appearance (not by N), so its variant uses `?N`, which it does honour.
const CLAIMABLE: &str = "status = 'pending' AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until < $1)";

/// Leases up to `limit` due notifications until `lease_until`, oldest first.
pub fn claim(conn: &mut DbConn, now: NaiveDateTime, lease_until: NaiveDateTime, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    let sql = match conn {
        DbConn::Pg(_) => format!(
            "UPDATE outbox SET locked_until = $2 WHERE id IN \
             (SELECT id FROM outbox WHERE {CLAIMABLE} ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING *"
        ),
        DbConn::Sqlite(_) => format!(
            "UPDATE outbox SET locked_until = $2 WHERE id IN \
             (SELECT id FROM outbox WHERE {CLAIMABLE} ORDER BY next_attempt_at LIMIT $3) RETURNING *"
        )
        .replace('$', "?"),
    };
    write_tx(conn, |conn| {
        diesel::sql_query(sql)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(lease_until)
            .bind::<BigInt, _>(limit)
            .load::<OutboxRow>(conn)
    })
}
