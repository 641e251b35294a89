//! SQLite's checkpoints, mostly off the writer thread. A checkpoint copies the write-ahead
//! log's pages into the database file; done by the writer after a commit (`wal_autocheckpoint`)
//! it stalls every write queued behind it. This thread copies what the log holds every
//! 20 ms (a PASSIVE checkpoint never blocks the writer or readers), so when the writer's own
//! checkpoint comes (every 10,000 pages, see `Manager`) nearly everything is copied already:
//! it only finishes the tail and lets the log start over. (Every 100 ms, the tail made the
//! creations' p99 21–23 ms at 8 connections; every 20 ms, 9–12 ms, at the same rate.)

use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::connection::SimpleConnection;

use super::{DbConn, DbError};

const EVERY: Duration = Duration::from_millis(20);

/// Kept by the writer: the checkpoint thread stops once every copy of it is gone.
#[derive(Clone)]
pub struct Alive(#[allow(dead_code)] Arc<()>);

/// Starts the thread on its own connection from `open`.
pub fn start<O>(open: O) -> std::io::Result<Alive>
where
    O: Fn() -> Result<DbConn, DbError> + Send + 'static,
{
    let alive = Arc::new(());
    let watch: Weak<()> = Arc::downgrade(&alive);
    std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || {
        let mut conn = None;
        while watch.strong_count() > 0 {
            std::thread::sleep(EVERY);
            if conn.is_none() {
                conn = open().map_err(|e| tracing::warn!(error = %e, "sqlite checkpoint: cannot open a connection")).ok();
            }
            let Some(c) = conn.as_mut() else { continue };
            // Busy (another checkpoint running) is fine: the next round copies.
            if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                tracing::debug!(error = %e, "sqlite checkpoint: passive checkpoint failed");
                conn = None;
            }
        }
    })?;
    Ok(Alive(alive))
}

#[cfg(test)]
mod tests {
    use diesel::{Connection, RunQueryDsl};

    use super::*;

    fn open(path: &std::path::Path) -> Result<DbConn, DbError> {
        let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
        // The writer's own checkpoints off, so only this thread's can copy the log.
        conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0")?;
        Ok(DbConn::Sqlite(conn))
    }

    /// Rows in the database file alone, as a copy of it without its log sees them.
    fn rows_in_file(path: &std::path::Path, dir: &std::path::Path) -> i64 {
        let copy = dir.join("copy.db");
        std::fs::copy(path, &copy).unwrap();
        let mut conn = diesel::SqliteConnection::establish(&copy.to_string_lossy()).unwrap();
        diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM t").get_result(&mut conn).unwrap_or(0)
    }

    #[test]
    fn the_log_is_copied_into_the_database_file_in_the_background_and_the_thread_stops_with_its_owner() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut conn = open(&path).unwrap();
        conn.batch_execute("CREATE TABLE t (x INTEGER)").unwrap();
        conn.batch_execute("INSERT INTO t VALUES (1), (2), (3)").unwrap();
        assert_eq!(rows_in_file(&path, dir.path()), 0, "the table and its rows are only in the log so far");
        let alive = start({
            let path = path.clone();
            move || open(&path)
        })
        .unwrap();
        let copied = (0..50).any(|_| {
            std::thread::sleep(Duration::from_millis(50));
            rows_in_file(&path, dir.path()) == 3
        });
        assert!(copied, "the checkpoint thread copied the log into the file");
        let watch = Arc::downgrade(&alive.0);
        drop(alive);
        assert_eq!(watch.strong_count(), 0, "nothing else keeps the thread going");
    }
}
