//! The database: one connection type over SQLite or PostgreSQL, chosen at run time from the URL.
//! Handlers and services never see which backend runs; the few dialect differences live here.

mod fts5_rank;
pub mod backup;
mod checkpoint;
pub mod counters;
pub mod direct;
pub mod idempotency;
pub mod kb_search;
pub mod locks;
pub mod outbox;
pub mod privacy_schema;
pub mod schema;
pub mod search_file;
pub mod search_newest;
pub mod statistics;
pub mod ticket_rows;
pub mod ticket_search;
mod writer;

pub use writer::{Deferral, DeferredRun};
pub(crate) use writer::before_commit;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use crate::config::{DbOptions, Synchronous};
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
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

/// A write that holds SQLite's one writer this long is logged, and the jobs' steps that took
/// this long leave the rest for later: every request's write queued behind it waited as long.
pub const LONG_HOLD: Duration = Duration::from_millis(50);

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
    /// SQLite: more writes are waiting than `HELPDESK_WRITE_QUEUE` allows.
    #[error("the write queue is full")]
    QueueFull,
    /// The database refused to begin or commit (SQLite's writer), or cannot be reached.
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

impl DbError {
    /// `Some(seconds)` when the failure is passing (the database is busy, restarting or
    /// unreachable): the request should be answered 503 with this `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        use diesel::result::{DatabaseErrorKind as Kind, Error as E};
        match self {
            DbError::QueueFull => Some(1),
            DbError::Query(E::DatabaseError(_, info)) if info.message().contains("database is locked") => Some(1),
            DbError::Pool(_) | DbError::Connection(_) | DbError::Unavailable(_) => Some(UNREACHABLE_RETRY_SECS),
            DbError::Query(E::DatabaseError(Kind::ClosedConnection | Kind::UnableToSendCommand, _)) => Some(UNREACHABLE_RETRY_SECS),
            DbError::Query(E::BrokenTransactionManager) => Some(UNREACHABLE_RETRY_SECS),
            _ => None,
        }
    }
}

/// What a client is told to wait while the database is away: a restart takes a few seconds.
const UNREACHABLE_RETRY_SECS: u64 = 5;

/// Opens connections of the right backend, with the per-connection settings SQLite needs.
#[derive(Debug, Clone)]
pub struct Manager {
    backend: Backend,
    target: String,
    synchronous: Synchronous,
    /// SQLite's readers attach the search index's file (`search_file`); writers never do.
    reads_index: bool,
}

impl Manager {
    pub fn new(database_url: &str) -> Self {
        Self::with_synchronous(database_url, Synchronous::default())
    }

    pub fn with_synchronous(database_url: &str, synchronous: Synchronous) -> Self {
        let (backend, target) = match database_url.split_once("://") {
            Some(("postgres" | "postgresql", _)) => (Backend::Postgres, database_url.to_owned()),
            Some(("sqlite", path)) => (Backend::Sqlite, path.to_owned()),
            _ => (Backend::Sqlite, database_url.to_owned()),
        };
        Self { backend, target, synchronous, reads_index: false }
    }

    /// The same, for connections that attach the search index's file.
    fn reading_index(&self) -> Self {
        Self { reads_index: true, ..self.clone() }
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
                // synchronous: see `Synchronous` (HELPDESK_SQLITE_SYNCHRONOUS).
                // wal_autocheckpoint: the writer copies the log into the database every 10,000
                // pages (~40 MB) rather than 1,000: a page the inserts keep changing (the last
                // leaf of each index) is copied once per checkpoint, so fewer checkpoints copy
                // less (they were 10 % of the writer's time on ticket creation); the log is cut
                // back to 64 MB after each.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = {}; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -1024; \
                     PRAGMA wal_autocheckpoint = 10000; PRAGMA journal_size_limit = 67108864;",
                    match self.synchronous {
                        Synchronous::Full => "FULL",
                        Synchronous::Normal => "NORMAL",
                    }
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                if self.reads_index {
                    // Each attached file has a cache of its own, 2 MB unless told: a small one
                    // (see `search_file::open`; a search reads few of its pages).
                    search_file::attach(&mut conn, &search_file::path_beside(&self.target), "fts")
                        .and_then(|()| conn.batch_execute("PRAGMA fts.cache_size = -128"))
                        .map_err(diesel::r2d2::Error::QueryError)?;
                }
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1").map_err(diesel::r2d2::Error::QueryError)
    }

    /// diesel's own check, no round trip: after every query it reads libpq's state, and a lost
    /// server connection (or a transaction left open) marks the connection broken. The pool then
    /// drops it instead of handing it to the next request, and opens a fresh one when asked.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || conn.is_broken()
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
    writer: Checkout,
    reader: Checkout,
    /// SQLite only: the thread that runs request writes in group-committed batches.
    batcher: Option<writer::Writer>,
}

/// A pool and how long to wait for it. While the database is known to be unreachable (the last
/// checkout failed and the pool holds no connection) requests wait only briefly, so they are
/// answered 503 at once instead of each sitting out the whole timeout.
#[derive(Clone)]
struct Checkout {
    pool: DbPool,
    timeout: Duration,
    unreachable: Arc<AtomicBool>,
}

/// While unreachable: long enough to pick up a connection the pool's retry (every second at
/// most, see r2d2's `add_connection`) has just opened.
const UNREACHABLE_WAIT: Duration = Duration::from_millis(200);

impl Checkout {
    fn get(&self) -> Result<PooledConn, DbError> {
        let down = self.unreachable.load(Ordering::Relaxed) && self.pool.state().connections == 0;
        let wait = if down { UNREACHABLE_WAIT.min(self.timeout) } else { self.timeout };
        match self.pool.get_timeout(wait) {
            Ok(conn) => {
                if self.unreachable.swap(false, Ordering::Relaxed) {
                    tracing::info!("database reachable again");
                }
                Ok(conn)
            }
            Err(e) => {
                if !self.unreachable.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "database unreachable");
                }
                Err(DbError::Pool(e))
            }
        }
    }

    /// Runs `f` on a pooled connection. When it failed on a broken connection the server may
    /// have restarted: the idle connections are pinged then (never on the hot path) so stale
    /// ones are dropped now instead of failing the next requests one by one.
    fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<DbError>,
    {
        let mut conn = self.get()?;
        let result = f(&mut conn);
        if result.is_err() && conn.is_broken() {
            drop(conn);
            self.sweep();
        }
        result
    }

    fn sweep(&self) {
        let mut checked = Vec::new();
        while let Some(mut conn) = self.pool.try_get() {
            // A failed ping marks the connection broken; it is dropped when put back below.
            let _ = conn.ping();
            checked.push(conn);
        }
        let kept = checked.iter_mut().map(|c| !c.is_broken()).filter(|ok| *ok).count();
        tracing::warn!(checked = checked.len(), kept, "a database connection broke; idle connections checked");
    }
}

impl Db {
    /// `connect_with` and the default options (commands, tests, benches).
    pub fn connect(database_url: &str, pool_size: u32) -> Result<Self, DbError> {
        Self::connect_with(database_url, pool_size, &DbOptions::default())
    }

    pub fn connect_with(database_url: &str, pool_size: u32, options: &DbOptions) -> Result<Self, DbError> {
        let manager = Manager::with_synchronous(database_url, options.sqlite_synchronous);
        let build = |manager: &Manager, size: u32| -> Checkout {
            let pool = Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                // No ping per checkout (a round trip on every request): a connection that lost
                // its server is found by `has_broken` after its failed query, and replaced.
                .test_on_check_out(false)
                // Also the cap of the pool's reconnect backoff (half of it): short, so a
                // restarted server is used again within a second or so.
                .connection_timeout(options.checkout_timeout.max(Duration::from_millis(100)))
                // Each failed reconnect would log an error; `Checkout` logs the outage once.
                .error_handler(Box::new(diesel::r2d2::NopErrorHandler))
                .build_unchecked(manager.clone());
            Checkout { pool, timeout: options.checkout_timeout, unreachable: Arc::new(AtomicBool::new(false)) }
        };
        let (writer, reader, batcher) = match manager.backend {
            Backend::Sqlite => {
                let open = {
                    let manager = manager.clone();
                    move || manager.connect().map_err(connect_error)
                };
                let conn = open()?;
                // The index's file has its tables before a reader attaches it.
                search_file::prepare(&manager.target)?;
                let mut mover = search_file::Mover::start(&manager.target).map_err(|e| DbError::Io(e.to_string()))?;
                let tidy: writer::Tidy = Box::new(move |conn| mover.tidy(conn));
                let batcher = writer::Writer::start(conn, open, options.write_queue, tidy).map_err(|e| DbError::Io(e.to_string()))?;
                (build(&manager, 1), build(&manager.reading_index(), pool_size.max(2)), Some(batcher))
            }
            Backend::Postgres => {
                wait_for_server(&manager, START_PATIENCE)?;
                let pool = build(&manager, pool_size.max(4));
                (pool.clone(), pool, None)
            }
        };
        Ok(Self { writer, reader, batcher })
    }

    /// Whether the database is PostgreSQL (where attachments go into the database).
    pub fn is_postgres(&self) -> bool {
        self.batcher.is_none()
    }

    /// Whether a new ticket's search document wants its terms computed in Rust before the
    /// write (`ticket_search::Stemmed`): SQLite's index stores Snowball stems, and its one
    /// writer thread should not compute them; PostgreSQL computes its document in SQL.
    pub fn stems_documents(&self) -> bool {
        !self.is_postgres()
    }

    /// A connection for work outside a request (migrations, commands, jobs).
    pub fn get_writer(&self) -> Result<PooledConn, DbError> {
        self.writer.get()
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
            None => run(&self.writer, f).await,
        }
    }

    /// `write`, with `f` one transaction. SQLite's writer already runs each job in its own
    /// savepoint, so no second one is opened there (two cost 3 % of the writer's time on ticket
    /// creation); PostgreSQL's connection begins and commits around `f`.
    pub async fn write_tx<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        self.write(move |conn| if writer::in_batch() { f(conn) } else { write_tx(conn, f) }).await
    }

    /// Runs `f` on a reader connection on the blocking thread pool.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        run(&self.reader, f).await
    }

    /// Applies pending migrations; on PostgreSQL under an advisory lock, so that several
    /// instances starting together do not race.
    pub fn migrate(&self) -> anyhow::Result<()> {
        let mut conn = self.get_writer()?;
        match &mut *conn {
            DbConn::Sqlite(c) => {
                c.run_pending_migrations(SQLITE_MIGRATIONS).map_err(|e| anyhow::anyhow!(e))?;
                statistics::refresh_all(&mut conn)?;
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

/// How long the desk waits at start for a PostgreSQL server that is itself still starting
/// (as the pool's 30 s timeout used to), before it gives up.
const START_PATIENCE: Duration = Duration::from_secs(30);

fn wait_for_server(manager: &Manager, patience: Duration) -> Result<(), DbError> {
    let deadline = std::time::Instant::now() + patience;
    loop {
        match manager.connect() {
            Ok(_) => return Ok(()),
            Err(e) if std::time::Instant::now() < deadline => {
                tracing::warn!(error = %e, "waiting for the database server");
                std::thread::sleep(Duration::from_secs(1));
            }
            Err(e) => return Err(connect_error(e)),
        }
    }
}

fn connect_error(e: diesel::r2d2::Error) -> DbError {
    match e {
        diesel::r2d2::Error::ConnectionError(e) => DbError::Connection(e),
        diesel::r2d2::Error::QueryError(e) => DbError::Query(e),
    }
}

async fn run<T, E, F>(checkout: &Checkout, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let span = tracing::Span::current();
    let checkout = checkout.clone();
    actix_web::web::block(move || {
        let _entered = span.enter();
        checkout.run(f)
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
