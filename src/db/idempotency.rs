//! Idempotency keys as stored: a caller's key, the digest of the request it came with and the
//! first answer. `claim` inserts the key with `ON CONFLICT DO NOTHING`, so between concurrent
//! duplicates the primary key decides (PostgreSQL makes the second insert wait for the first
//! transaction, then finds its row; SQLite writes one at a time). Call both inside the
//! transaction that does the work, so the answer is stored with what it answers.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::schema::idempotency_keys;
use super::DbConn;

/// How long a key is remembered.
pub const KEPT_HOURS: i64 = 24;

/// A key already used within its lifetime: what the first request was and got.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
pub struct StoredAnswer {
    pub request_hash: String,
    pub status: i32,
    pub location: Option<String>,
    pub body: String,
}

/// Takes `key` for `scope`: `None` when it is new (the caller does the work and `complete`s
/// it), else the earlier request's answer. A key older than `expired_before` is forgotten first.
pub fn claim(
    conn: &mut DbConn,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: NaiveDateTime,
    expired_before: NaiveDateTime,
) -> QueryResult<Option<StoredAnswer>> {
    let mine = idempotency_keys::table.filter(idempotency_keys::scope.eq(scope)).filter(idempotency_keys::idem_key.eq(key));
    diesel::delete(mine.filter(idempotency_keys::created_at.lt(expired_before))).execute(conn)?;
    // status 0 and an empty body until `complete`, in the same transaction: nobody else sees them.
    let inserted = diesel::sql_query(
        "INSERT INTO idempotency_keys (scope, idem_key, request_hash, status, location, body, created_at) \
         VALUES ($1, $2, $3, 0, NULL, '', $4) ON CONFLICT (scope, idem_key) DO NOTHING",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(key)
    .bind::<Text, _>(request_hash)
    .bind::<Timestamp, _>(now)
    .execute(conn)?;
    if inserted == 1 {
        return Ok(None);
    }
    mine.select(StoredAnswer::as_select()).first(conn).map(Some)
}

/// Stores the answer of a claimed key.
pub fn complete(conn: &mut DbConn, scope: &str, key: &str, status: u16, location: Option<&str>, body: &str) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.filter(idempotency_keys::scope.eq(scope)).filter(idempotency_keys::idem_key.eq(key)))
        .set((
            idempotency_keys::status.eq(i32::from(status)),
            idempotency_keys::location.eq(location),
            idempotency_keys::body.eq(body),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Forgets at most `limit` keys created before `cutoff`; answers how many.
pub fn sweep(conn: &mut DbConn, cutoff: NaiveDateTime, limit: i64) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM idempotency_keys WHERE (scope, idem_key) IN \
         (SELECT scope, idem_key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2)",
    )
    .bind::<Timestamp, _>(cutoff)
    .bind::<BigInt, _>(limit)
    .execute(conn)
}

