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
    let sqlite = match conn {
        DbConn::Pg(_) => {
            return diesel::sql_query("SELECT next_ticket_seq($1) AS seq").bind::<Integer, _>(year).get_result::<Next>(conn).map(|row| row.seq);
        }
        DbConn::Sqlite(c) => c,
    };
    // The query builder's statement is prepared once and cached; a raw query is prepared anew
    // every time (5 % of the writer's time at 8 connections).
    use super::schema::ticket_counters::dsl::{last, ticket_counters, year as year_col};
    diesel::insert_into(ticket_counters)
        .values((year_col.eq(year), last.eq(1_i64)))
        .on_conflict(year_col)
        .do_update()
        .set(last.eq(last + 1_i64))
        .returning(last)
        .get_result(sqlite)
}
