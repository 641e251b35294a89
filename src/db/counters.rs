//! Per-year ticket counters. The upsert takes the row lock (PostgreSQL) or the write lock
//! (SQLite) inside the ticket's own transaction, so numbers never collide and a rolled back
//! insert gives its number back instead of leaving a hole.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use super::DbConn;

#[derive(QueryableByName)]
struct Last {
    #[diesel(sql_type = BigInt)]
    last: i64,
}

/// The next sequence number of `year`. Call inside a write transaction.
pub fn next_ticket_seq(conn: &mut DbConn, year: i32) -> QueryResult<i64> {
    // The same statement is valid on both backends (SQLite ≥ 3.35 has RETURNING).
    diesel::sql_query(
        "INSERT INTO ticket_counters (year, last) VALUES ($1, 1) \
         ON CONFLICT (year) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last",
    )
    .bind::<Integer, _>(year)
    .get_result::<Last>(conn)
    .map(|row| row.last)
}
