//! The SQLite writer: one thread owns the one write connection and runs queued jobs in
//! batches, each batch one `BEGIN IMMEDIATE … COMMIT` (group commit) and each job inside its
//! own savepoint, so a failing job rolls back alone. A job's answer is released only after
//! its batch committed: nobody hears "done" for data that is not committed (on disk too with
//! `HELPDESK_SQLITE_SYNCHRONOUS=full`; see README, Durability).

use std::cell::{Cell, RefCell};
use std::sync::mpsc;

use diesel::connection::SimpleConnection;

use super::{DbConn, DbError};

/// Runs a job and returns what to do once the batch's fate is known.
type Finish = Box<dyn FnOnce(Result<(), DbError>) + Send>;
type Job = Box<dyn FnOnce(&mut DbConn) -> Finish + Send>;

const MAX_BATCH: usize = 64;

/// Writes of one kind left to the end of the batch: done together by `run`, once per key.
type Deferred = (&'static str, Deferral, DeferredRun);

/// Does the deferred writes of one kind (in the order they were asked).
pub type DeferredRun = fn(&mut DbConn, Vec<Deferral>) -> diesel::QueryResult<()>;

/// One deferred write: its key, and what the caller already computed for it off the writer
/// thread, if anything (`run` knows its type). Dropped when the key is deferred again in the
/// batch: `run` then reads the data as the batch left it.
pub struct Deferral {
    pub key: String,
    pub prepared: Option<Box<dyn std::any::Any>>,
}

/// Work the writer does for the search index between batches, in transactions of its own:
/// the move of the recent documents into the index file (`search_file::Mover::tidy`), every
/// `TIDY_EVERY` while there are writes. `Ok(false)`: not now (a merge holds the index file),
/// so it is tried again after the next batch, or after `RETRY` if none comes.
pub type Tidy = Box<dyn FnMut(&mut DbConn) -> diesel::QueryResult<bool> + Send>;

/// How often `Tidy` runs: each move makes a segment, so once a second (fewer segments to
/// merge than every 250 ms, for a move that costs about the same).
const TIDY_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// How soon a move the index file refused is tried again when no batch comes first: a merge
/// step takes a few milliseconds, rarely a hundred.
const RETRY: std::time::Duration = std::time::Duration::from_millis(5);

thread_local! {
    /// Savepoint depth while the writer thread runs a batch; 0 elsewhere.
    static BATCH_DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Writes deferred to the end of the running batch (`before_commit`).
    static DEFERRED: RefCell<Vec<Deferred>> = const { RefCell::new(Vec::new()) };
}

/// Leaves a write of kind `kind` for `key` to just before the batch commits, where `run` does
/// all of that kind at once (reading the data as the batch left it), or does it now outside a
/// batch. Dropped when the job that asked rolls back. Why: FTS5 flushes its pending terms
/// into a new segment whenever a statement opens a savepoint, so indexing in each job wrote a
/// segment per ticket (and merged them), a quarter of the writer's time at 8 connections;
/// all of a batch's documents written together make one segment per batch.
pub(crate) fn before_commit(conn: &mut DbConn, kind: &'static str, deferral: Deferral, run: DeferredRun) -> diesel::QueryResult<()> {
    if !in_batch() {
        return run(conn, vec![deferral]);
    }
    DEFERRED.with(|d| {
        let mut deferred = d.borrow_mut();
        match deferred.iter_mut().find(|(k, earlier, _)| *k == kind && earlier.key == deferral.key) {
            // What was computed for the first may be stale now.
            Some((_, earlier, _)) => earlier.prepared = None,
            None => deferred.push((kind, deferral, run)),
        }
    });
    Ok(())
}

/// Runs what the batch deferred, one `run` per kind.
fn run_deferred(conn: &mut DbConn) -> diesel::QueryResult<()> {
    let mut deferred = take_deferred();
    while let Some((kind, run)) = deferred.first().map(|(kind, _, run)| (*kind, *run)) {
        let (this, rest): (Vec<Deferred>, Vec<Deferred>) = deferred.into_iter().partition(|(k, _, _)| *k == kind);
        deferred = rest;
        run(conn, this.into_iter().map(|(_, deferral, _)| deferral).collect())?;
    }
    Ok(())
}

fn deferred_len() -> usize {
    DEFERRED.with(|d| d.borrow().len())
}

/// Forgets what a rolled back job deferred.
fn forget_deferred_from(mark: usize) {
    DEFERRED.with(|d| d.borrow_mut().truncate(mark));
}

fn take_deferred() -> Vec<Deferred> {
    DEFERRED.with(|d| std::mem::take(&mut *d.borrow_mut()))
}

/// Inside a batch, `write_tx` nests as a savepoint instead of beginning a transaction.
pub(super) fn in_batch() -> bool {
    BATCH_DEPTH.with(|d| d.get() > 0)
}

pub(super) fn savepoint<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let depth = BATCH_DEPTH.with(|d| {
        let n = d.get() + 1;
        d.set(n);
        n
    });
    let name = format!("sp{depth}");
    let mark = deferred_len();
    let result = conn.batch_execute(&format!("SAVEPOINT {name}")).map_err(E::from).and_then(|()| f(conn));
    let closed = match &result {
        Ok(_) => conn.batch_execute(&format!("RELEASE {name}")),
        Err(_) => {
            forget_deferred_from(mark);
            conn.batch_execute(&format!("ROLLBACK TO {name}; RELEASE {name}"))
        }
    };
    BATCH_DEPTH.with(|d| d.set(depth - 1));
    match (result, closed) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), _) => Err(e),
    }
}

#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::SyncSender<Job>,
    /// The checkpoint thread runs while the writer does.
    _checkpoint: super::checkpoint::Alive,
}

/// After a failed reopen, the writer waits this long before trying again with the next batch.
const REOPEN_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);

impl Writer {
    /// Starts the writer thread on `conn`; `reopen` opens a new connection when it broke.
    /// At most `queue` writes wait (at least one). See `Tidy` for what runs between batches.
    pub fn start<O>(conn: DbConn, reopen: O, queue: usize, mut tidy: Tidy) -> std::io::Result<Self>
    where
        O: Fn() -> Result<DbConn, DbError> + Clone + Send + 'static,
    {
        let checkpoint = super::checkpoint::start(reopen.clone())?;
        let (jobs, waiting) = mpsc::sync_channel::<Job>(queue.max(1));
        std::thread::Builder::new().name("sqlite-writer".into()).spawn(move || {
            let mut conn = Some(conn);
            let mut untidy = false;
            let mut due = std::time::Instant::now() + TIDY_EVERY;
            loop {
                if untidy && std::time::Instant::now() >= due {
                    if let Some(c) = conn.as_mut() {
                        let done = run_tidy(c, &mut tidy);
                        untidy = !done;
                        due = std::time::Instant::now() + if done { TIDY_EVERY } else { RETRY };
                    }
                }
                let wait = if untidy { due.saturating_duration_since(std::time::Instant::now()) } else { TIDY_EVERY };
                let first = match waiting.recv_timeout(wait) {
                    Ok(job) => job,
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                };
                untidy = true;
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match waiting.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                if conn.is_none() {
                    conn = match reopen() {
                        Ok(fresh) => {
                            tracing::info!("sqlite writer: connection reopened");
                            Some(fresh)
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "sqlite writer: reopening the connection failed");
                            refuse(batch, &e.to_string());
                            std::thread::sleep(REOPEN_PAUSE);
                            continue;
                        }
                    };
                }
                if let Some(c) = conn.as_mut() {
                    if let Err(e) = run_batch(c, batch) {
                        tracing::error!(error = %e, "sqlite writer: the batch could not begin or commit; reopening the connection");
                        conn = None;
                    }
                }
            }
        })?;
        Ok(Self { jobs, _checkpoint: checkpoint })
    }

    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let answered = self.submit(f).map_err(E::from)?;
        answered.await.map_err(|_| E::from(DbError::Cancelled))?
    }

    /// Queues `f` without waiting for it: `QueueFull` when the queue is full.
    fn submit<T, E, F>(&self, f: F) -> Result<tokio::sync::oneshot::Receiver<Result<T, E>>, DbError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let span = tracing::Span::current();
        let job: Job = Box::new(move |conn| {
            let _entered = span.enter();
            let result = savepoint(conn, |conn| f(conn).map_err(Failed::Job)).map_err(|e| match e {
                Failed::Job(e) => e,
                Failed::Db(e) => E::from(DbError::Query(e)),
            });
            Box::new(move |committed: Result<(), DbError>| {
                let outcome = match (result, committed) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(e)) => Err(E::from(e)),
                    (Err(e), _) => Err(e),
                };
                // The caller may have gone (client disconnected): nothing to tell.
                let _ = answer.send(outcome);
            })
        });
        match self.jobs.try_send(job) {
            Ok(()) => Ok(answered),
            Err(mpsc::TrySendError::Full(_)) => Err(DbError::QueueFull),
            Err(mpsc::TrySendError::Disconnected(_)) => Err(DbError::Cancelled),
        }
    }
}

/// A job's own error, or the database's while opening/closing its savepoint.
enum Failed<E> {
    Job(E),
    Db(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for Failed<E> {
    fn from(e: diesel::result::Error) -> Self {
        Failed::Db(e)
    }
}

/// Jobs that were not run: each caller hears the database refused.
fn refuse(batch: Vec<Job>, message: &str) {
    for job in batch {
        let finish = job_not_run(job);
        finish(Err(DbError::Unavailable(message.to_owned())));
    }
}

/// Logs what held the writer `LONG_HOLD` or longer: every write queued behind it waited as long.
fn log_slow(what: &'static str, started: std::time::Instant) {
    let took = started.elapsed();
    if took >= super::LONG_HOLD {
        tracing::info!(what, ms = took.as_millis() as u64, "sqlite writer: took long");
    }
}

/// Runs one batch; `Err` when the connection could not begin or commit (its callers have
/// been answered; the connection should be reopened unless SQLite was only busy).
fn run_batch(conn: &mut DbConn, batch: Vec<Job>) -> Result<(), String> {
    let (started, jobs) = (std::time::Instant::now(), batch.len());
    if let Err(e) = conn.batch_execute("BEGIN IMMEDIATE") {
        let message = e.to_string();
        refuse(batch, &message);
        return if is_busy(&e) { Ok(()) } else { Err(message) };
    }
    let finishers: Vec<Finish> = batch.into_iter().map(|job| run_guarded(conn, job)).collect();
    let ran = started.elapsed();
    let deferred = run_deferred(conn);
    let written = started.elapsed();
    let committed = deferred.and_then(|()| conn.batch_execute("COMMIT"));
    // Which part held the writer: the jobs, the deferred index writes, or the commit (with
    // the checkpoint it may run).
    let total = started.elapsed();
    if total >= super::LONG_HOLD {
        let ms = |d: std::time::Duration| d.as_millis() as u64;
        let commit = total - written;
        tracing::info!(what = "a batch", jobs, ms = ms(total), jobs_ms = ms(ran), deferred_ms = ms(written - ran), commit_ms = ms(commit), "sqlite writer: took long");
    }
    let outcome = match &committed {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = conn.batch_execute("ROLLBACK");
            if is_busy(e) { Ok(()) } else { Err(e.to_string()) }
        }
    };
    for finish in finishers {
        finish(committed.as_ref().map(|_| ()).map_err(|e| DbError::Unavailable(e.to_string())));
    }
    outcome
}

/// Runs `tidy`: a failure is logged (the next round tries again), never seen by a job. Whether
/// it is done (failed included), or the index file was busy.
fn run_tidy(conn: &mut DbConn, tidy: &mut Tidy) -> bool {
    let started = std::time::Instant::now();
    let done = tidy(conn);
    log_slow("moving the recent documents", started);
    match done {
        Ok(done) => done,
        Err(e) => {
            tracing::warn!(error = %e, "sqlite writer: moving the recent documents failed");
            true
        }
    }
}

/// Another connection held the lock past busy_timeout: the connection itself is fine.
pub(super) fn is_busy(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(_, info) if info.message().contains("database is locked"))
}

/// Runs a job; a panic rolls back that job's savepoint and drops its caller's answer
/// (they see `Cancelled`), so one bad job neither kills the writer nor taints the batch.
fn run_guarded(conn: &mut DbConn, job: Job) -> Finish {
    let mark = deferred_len();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(conn))) {
        Ok(finish) => finish,
        Err(_) => {
            tracing::error!("a write job panicked; its changes were rolled back");
            BATCH_DEPTH.with(|d| d.set(0));
            forget_deferred_from(mark);
            let _ = conn.batch_execute("ROLLBACK TO sp1; RELEASE sp1");
            Box::new(|_| {})
        }
    }
}

/// A job that could not start still owes its caller an answer: dropping it drops the
/// oneshot sender, which the caller sees as `Cancelled`.
fn job_not_run(job: Job) -> Finish {
    drop(job);
    Box::new(|_| {})
}

#[cfg(test)]
mod tests {
    use diesel::{Connection, RunQueryDsl};

    use super::*;

    fn open(path: &std::path::Path) -> Result<DbConn, DbError> {
        let url = path.to_string_lossy().into_owned();
        Ok(DbConn::Sqlite(diesel::SqliteConnection::establish(&url)?))
    }

    fn insert(conn: &mut DbConn) -> Result<usize, DbError> {
        Ok(diesel::sql_query("INSERT INTO t (x) VALUES (1)").execute(conn)?)
    }

    fn no_tidy() -> Tidy {
        Box::new(|_| Ok(true))
    }

    /// A writer on a fresh database with a table `t (x)`; keep the folder while it runs.
    fn writer_on_table_t(queue: usize, tidy: Tidy) -> (tempfile::TempDir, Writer) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let mut conn = open(&path).unwrap();
        conn.batch_execute("CREATE TABLE t (x INTEGER)").unwrap();
        (dir, Writer::start(conn, move || open(&path), queue, tidy).unwrap())
    }

    /// Holds the writer thread inside a job until `release` is sent; the job answers 0.
    async fn hold(writer: &Writer) -> (std::sync::mpsc::Sender<()>, tokio::sync::oneshot::Receiver<Result<usize, DbError>>) {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel::<()>();
        let blocker = writer
            .submit(move |_conn| {
                let _ = started.send(());
                let _ = held.recv();
                Ok::<_, DbError>(0)
            })
            .unwrap();
        running.await.unwrap();
        (release, blocker)
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let (_dir, writer) = writer_on_table_t(2, no_tidy());
        let (release, blocker) = hold(&writer).await;
        let queued: Vec<_> = (0..2).map(|_| writer.submit(insert).unwrap()).collect();
        assert!(matches!(writer.submit(insert), Err(DbError::QueueFull)), "a third waiting write is refused");
        release.send(()).unwrap();
        assert_eq!(blocker.await.unwrap().unwrap(), 0);
        for answer in queued {
            assert_eq!(answer.await.unwrap().unwrap(), 1);
        }
        assert_eq!(writer.run(insert).await.unwrap(), 1, "room again once the writer caught up");
    }

    #[tokio::test]
    async fn a_connection_that_cannot_begin_is_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let mut conn = open(&path).unwrap();
        conn.batch_execute("CREATE TABLE t (x INTEGER)").unwrap();
        // Wedged: a transaction left open, so every BEGIN IMMEDIATE fails.
        conn.batch_execute("BEGIN").unwrap();
        let writer = Writer::start(conn, move || open(&path), 8, no_tidy()).unwrap();
        assert!(writer.run(insert).await.is_err(), "the wedged connection refuses the first batch");
        assert_eq!(writer.run(insert).await.unwrap(), 1, "the reopened connection writes");
    }

    /// Writes each key with the batch's count of keys and what was prepared for it, if anything.
    fn insert_keys(conn: &mut DbConn, deferred: Vec<Deferral>) -> diesel::QueryResult<()> {
        let n = deferred.len();
        let prepared = |d: &Deferral| d.prepared.as_ref().and_then(|p| p.downcast_ref::<i32>()).map(i32::to_string).unwrap_or_default();
        let values = deferred.iter().map(|d| format!("('{}', {n}{})", d.key, prepared(d))).collect::<Vec<_>>().join(", ");
        diesel::sql_query(format!("INSERT INTO d (k, n) VALUES {values}")).execute(conn).map(|_| ())
    }

    fn defer_insert(conn: &mut DbConn, key: &'static str) -> Result<(), DbError> {
        Ok(before_commit(conn, "d", Deferral { key: key.to_owned(), prepared: None }, insert_keys)?)
    }

    fn defer_prepared(conn: &mut DbConn, key: &'static str) -> Result<(), DbError> {
        Ok(before_commit(conn, "d", Deferral { key: key.to_owned(), prepared: Some(Box::new(7_i32)) }, insert_keys)?)
    }

    #[tokio::test]
    async fn deferred_writes_run_once_per_key_at_the_batch_end_and_not_for_a_rolled_back_job() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.db");
        let mut conn = open(&path).unwrap();
        conn.batch_execute("CREATE TABLE t (x INTEGER); CREATE TABLE d (k TEXT, n INTEGER)").unwrap();
        let writer = Writer::start(conn, move || open(&path), 8, no_tidy()).unwrap();
        // Held, so that the three jobs below make one batch.
        let (release, blocker) = hold(&writer).await;
        let first = writer.submit(|conn| defer_insert(conn, "a")).unwrap();
        let again = writer.submit(|conn| defer_insert(conn, "a").and_then(|()| defer_insert(conn, "z"))).unwrap();
        // Prepared, then deferred again: what was prepared is dropped; prepared once: kept.
        let stale = writer.submit(|conn| defer_prepared(conn, "p").and_then(|()| defer_insert(conn, "p"))).unwrap();
        let kept = writer.submit(|conn| defer_prepared(conn, "q")).unwrap();
        let failed = writer
            .submit(|conn| {
                defer_insert(conn, "b")?;
                Err::<(), _>(DbError::Cancelled)
            })
            .unwrap();
        release.send(()).unwrap();
        assert_eq!(blocker.await.unwrap().unwrap(), 0);
        first.await.unwrap().unwrap();
        again.await.unwrap().unwrap();
        stale.await.unwrap().unwrap();
        kept.await.unwrap().unwrap();
        assert!(failed.await.unwrap().is_err());
        let count = writer
            .run(|conn| {
                #[derive(diesel::QueryableByName)]
                struct N {
                    #[diesel(sql_type = diesel::sql_types::Text)]
                    k: String,
                }
                let rows: Vec<N> = diesel::sql_query("SELECT k || n AS k FROM d ORDER BY k").load(conn)?;
                Ok::<_, DbError>(rows.into_iter().map(|n| n.k).collect::<Vec<_>>())
            })
            .await
            .unwrap();
        assert_eq!(count, ["a4", "p4", "q47", "z4"], "one write of every key, each once; never the rolled back job's");
        // Outside a batch the write is done at once.
        let mut direct = open(&dir.path().join("d.db")).unwrap();
        defer_insert(&mut direct, "c").unwrap();
        let n: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM d WHERE k = 'c'").get_result(&mut direct).unwrap();
        assert_eq!(n, 1);
    }

    fn count(conn: &mut DbConn, x: i64) -> diesel::QueryResult<i64> {
        diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!("SELECT count(*) FROM t WHERE x = {x}")).get_result(conn)
    }

    #[tokio::test]
    async fn a_tidy_runs_after_writes_and_one_refused_is_tried_again_soon() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let tries = std::sync::Arc::new(AtomicUsize::new(0));
        let counted = tries.clone();
        // Busy three times (as when a merge step holds the index file), then done: a row x = 2.
        let tidy: Tidy = Box::new(move |conn| {
            if counted.fetch_add(1, SeqCst) < 3 {
                return Ok(false);
            }
            diesel::sql_query("INSERT INTO t (x) VALUES (2)").execute(conn).map(|_| true)
        });
        let (_dir, writer) = writer_on_table_t(8, tidy);
        tokio::time::sleep(TIDY_EVERY * 2).await;
        assert_eq!(tries.load(SeqCst), 0, "nothing written, nothing to tidy");
        assert_eq!(writer.run(insert).await.unwrap(), 1);
        // Due a second after the writer started (past): right after the write, then again
        // every RETRY (5 ms), not a second later each.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(tries.load(SeqCst), 4, "three refusals, then done");
        assert_eq!(writer.run(|conn| Ok::<_, DbError>(count(conn, 2)?)).await.unwrap(), 1);
        tokio::time::sleep(TIDY_EVERY * 2).await;
        // That read was a write job too: one more tidy, then idle.
        assert_eq!(tries.load(SeqCst), 5, "once after writes, then idle");
    }
}
