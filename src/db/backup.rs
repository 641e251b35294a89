//! A consistent copy of an SQLite database while the desk runs (`VACUUM INTO`: one read
//! transaction, so the copy is the database at one instant; WAL contents included).

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::DbConn;

/// Writes the database into `dest` (a new file). `Ok(false)` on PostgreSQL, which is copied
/// with `pg_dump` instead.
pub fn copy_sqlite_to(conn: &mut DbConn, dest: &Path) -> QueryResult<bool> {
    match conn {
        DbConn::Sqlite(_) => {
            diesel::sql_query("VACUUM INTO ?").bind::<Text, _>(dest.to_string_lossy().into_owned()).execute(conn)?;
            Ok(true)
        }
        DbConn::Pg(_) => Ok(false),
    }
}
