//! Per-year ticket numbers, allocated inside the ticket's own transaction.
//! SQLite: a row counter (the one writer holds the write lock anyway; a rolled back insert
//! gives its number back). PostgreSQL: a sequence per year (`next_ticket_seq`, see the
//! migration), so concurrent creations on any number of instances never wait on each other.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use super::DbConn;

#[derive(QueryableByName)]
struct Next {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// The next sequence number of `year`. Call inside the write transaction of the insert.
pub fn next_ticket_seq(conn: &mut DbConn, year: i32) -> QueryResult<i64> {
    let sql = match conn {
        DbConn::Pg(_) => "SELECT next_ticket_seq($1) AS seq",
        DbConn::Sqlite(_) => {
            "INSERT INTO ticket_counters (year, last) VALUES ($1, 1) \
             ON CONFLICT (year) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last AS seq"
        }
    };
    diesel::sql_query(sql).bind::<Integer, _>(year).get_result::<Next>(conn).map(|row| row.seq)
}
