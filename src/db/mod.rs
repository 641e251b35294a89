//! The database: one connection type over SQLite or PostgreSQL, chosen at run time from the URL.
//! Handlers and services never see which backend runs; the few dialect differences live here.

mod fts5_rank;
pub mod counters;
pub mod outbox;
pub mod schema;
mod writer;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database connection: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("the blocking task was cancelled")]
    Cancelled,
    #[error("starting the writer: {0}")]
    Io(String),
}

/// Opens connections of the right backend, with the per-connection settings SQLite needs.
#[derive(Debug, Clone)]
pub struct Manager {
    backend: Backend,
    target: String,
}

impl Manager {
    pub fn new(database_url: &str) -> Self {
        match database_url.split_once("://") {
            Some(("postgres" | "postgresql", _)) => Self { backend: Backend::Postgres, target: database_url.to_owned() },
            Some(("sqlite", path)) => Self { backend: Backend::Sqlite, target: path.to_owned() },
            _ => Self { backend: Backend::Sqlite, target: database_url.to_owned() },
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.target)
                .map(DbConn::Pg)
                .map_err(diesel::r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                fts5_rank::register();
                let mut conn = diesel::SqliteConnection::establish(&self.target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // busy_timeout first: it makes every later statement (switching to WAL
                // included) wait for another connection's lock instead of failing. WAL lets
                // readers run beside the one writer.
                // temp_store in memory: the writer's per-job savepoints would otherwise open,
                // write and unlink a statement-journal file each time. A 1 MiB page cache per
                // connection (default 2 MiB): with ten connections it kept peak RSS ~18 MB higher
                // for no measurable speed.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -1024;",
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1").map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

type DbPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

/// Pools for one database. On SQLite every write goes through a single writer connection
/// (one writer at a time is all SQLite allows; queuing in-process beats busy-timeout sleeps);
/// on PostgreSQL readers and writers share one pool.
#[derive(Clone)]
pub struct Db {
    /// Connections for commands and jobs outside requests (and all writes on PostgreSQL).
    writer: DbPool,
    reader: DbPool,
    /// SQLite only: the thread that runs request writes in group-committed batches.
    batcher: Option<writer::Writer>,
}

impl Db {
    pub fn connect(database_url: &str, pool_size: u32) -> Result<Self, DbError> {
        let manager = Manager::new(database_url);
        let build = |size: u32| {
            Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                // A broken connection fails its query and is replaced; a ping per checkout
                // would cost a round trip on every request.
                .test_on_check_out(false)
                .connection_timeout(Duration::from_secs(30))
                .build(manager.clone())
        };
        let (writer, reader, batcher) = match manager.backend {
            Backend::Sqlite => {
                let conn = manager.connect().map_err(|e| match e {
                    diesel::r2d2::Error::ConnectionError(e) => DbError::Connection(e),
                    diesel::r2d2::Error::QueryError(e) => DbError::Query(e),
                })?;
                let batcher = writer::Writer::start(conn).map_err(|e| DbError::Io(e.to_string()))?;
                (build(1)?, build(pool_size.max(2))?, Some(batcher))
            }
            Backend::Postgres => {
                let pool = build(pool_size.max(4))?;
                (pool.clone(), pool, None)
            }
        };
        Ok(Self { writer, reader, batcher })
    }

    /// A connection for work outside a request (migrations, commands, jobs).
    pub fn get_writer(&self) -> Result<PooledConn, DbError> {
        Ok(self.writer.get()?)
    }

    /// Runs `f` where writes go: SQLite's writer thread (batched, answered after commit), or
    /// a pooled PostgreSQL connection on the blocking thread pool.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        match &self.batcher {
            Some(batcher) => batcher.run(f).await,
            None => run(self.writer.clone(), f).await,
        }
    }

    /// Runs `f` on a reader connection on the blocking thread pool.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        run(self.reader.clone(), f).await
    }

    /// Applies pending migrations; on PostgreSQL under an advisory lock, so that several
    /// instances starting together do not race.
    pub fn migrate(&self) -> anyhow::Result<()> {
        let mut conn = self.get_writer()?;
        match &mut *conn {
            DbConn::Sqlite(c) => {
                c.run_pending_migrations(SQLITE_MIGRATIONS).map_err(|e| anyhow::anyhow!(e))?;
                // Ticket search stems are computed in Rust: index what the migration marked.
                let indexed = crate::console::search::backfill(&mut conn)?;
                if indexed > 0 {
                    tracing::info!(indexed, "ticket search: backfilled");
                }
                refresh_statistics(&mut conn)?;
            }
            DbConn::Pg(c) => {
                c.batch_execute("SELECT pg_advisory_lock(724201)")?;
                let result = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
                c.batch_execute("SELECT pg_advisory_unlock(724201)")?;
                result.map_err(|e| anyhow::anyhow!(e))?;
            }
        }
        Ok(())
    }
}

/// SQLite's planner statistics, refreshed where the tables grew or new indexes have none (a
/// sampled ANALYZE: about a second at a million tickets). Without them SQLite guesses, and at a
/// million tickets it read the unassigned queue from an index that needed a sort (10 ms, not
/// 0.04). Run at start and by the `statistics` job; PostgreSQL's autovacuum does its own.
pub fn refresh_statistics(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        DbConn::Sqlite(c) => c.batch_execute("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;"),
        DbConn::Pg(_) => Ok(()),
    }
}

async fn run<T, E, F>(pool: DbPool, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || {
        let _entered = span.enter();
        let mut conn = pool.get().map_err(DbError::from)?;
        f(&mut conn)
    })
    .await
    .map_err(|_| E::from(DbError::Cancelled))?
}

/// A write transaction. On SQLite it is `BEGIN IMMEDIATE`, so the write lock is taken up front
/// (other processes wait on busy_timeout rather than failing to upgrade a read lock).
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Pg(_) => conn.transaction(f),
        DbConn::Sqlite(_) if writer::in_batch() => writer::savepoint(conn, f),
        DbConn::Sqlite(_) => {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(value) => match conn.batch_execute("COMMIT") {
                    Ok(()) => Ok(value),
                    Err(e) => {
                        let _ = conn.batch_execute("ROLLBACK");
                        Err(e.into())
                    }
                },
                Err(e) => {
                    // The original error matters more than a failed rollback.
                    let _ = conn.batch_execute("ROLLBACK");
                    Err(e)
                }
            }
        }
    }
}
