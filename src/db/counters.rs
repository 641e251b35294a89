//! Per-year ticket numbers, allocated inside the ticket's own transaction.
//! SQLite: one more than the year's highest number, read through the `(year, seq)` unique
//! index (the one writer holds the write lock, so nobody else can take the same number; a
//! rolled back insert gives its number back; tickets are never deleted). A plain `SELECT` is
//! cached as a prepared statement, where the old counter row's upsert was prepared anew on
//! every creation (8 % of the writer's time). PostgreSQL: a sequence per year
//! (`next_ticket_seq`, see the migration), so concurrent creations on any number of instances
//! never wait on each other.

use diesel::dsl::max;
use diesel::prelude::*;
use diesel::sql_types::Integer;

use super::schema::tickets;
use super::DbConn;

diesel::define_sql_function! {
    /// The migration's per-year sequence (PostgreSQL).
    #[sql_name = "next_ticket_seq"]
    fn pg_next_ticket_seq(year: Integer) -> BigInt;
}

/// The next sequence number of `year`. Call inside the write transaction of the insert.
pub fn next_ticket_seq(conn: &mut DbConn, year: i32) -> QueryResult<i64> {
    match conn {
        // Typed, so the statement is prepared once per connection.
        DbConn::Pg(c) => diesel::select(pg_next_ticket_seq(year)).get_result(c),
        DbConn::Sqlite(c) => {
            let highest: Option<i64> = tickets::table.filter(tickets::year.eq(year)).select(max(tickets::seq)).first(c)?;
            Ok(highest.unwrap_or(0) + 1)
        }
    }
}
