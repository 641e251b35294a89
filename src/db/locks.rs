//! Row locks for read-then-write transactions.

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::DbConn;

/// Holds the row `id` of `table` until the transaction ends: on PostgreSQL its row is locked
/// (`FOR UPDATE`); on SQLite every write already runs on the one writer connection, in order.
/// `table` is a name from the code, never from a request.
pub fn hold_row(conn: &mut DbConn, table: &'static str, id: &str) -> QueryResult<()> {
    if let DbConn::Pg(_) = conn {
        diesel::sql_query(format!("SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE")).bind::<Text, _>(id).execute(conn)?;
    }
    Ok(())
}
