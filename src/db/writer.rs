//! The SQLite writer: one thread owns the one write connection and runs queued jobs in
//! batches, each batch one `BEGIN IMMEDIATE … COMMIT` (group commit) and each job inside its
//! own savepoint, so a failing job rolls back alone. A job's answer is released only after
//! its batch committed: nobody hears "done" for data that is not durable.

use std::cell::Cell;
use std::sync::mpsc;

use diesel::connection::SimpleConnection;

use super::{DbConn, DbError};

/// Runs a job and returns what to do once the batch's fate is known.
type Finish = Box<dyn FnOnce(Result<(), DbError>) + Send>;
type Job = Box<dyn FnOnce(&mut DbConn) -> Finish + Send>;

const MAX_BATCH: usize = 64;

thread_local! {
    /// Savepoint depth while the writer thread runs a batch; 0 elsewhere.
    static BATCH_DEPTH: Cell<u32> = const { Cell::new(0) };
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
    let result = conn.batch_execute(&format!("SAVEPOINT {name}")).map_err(E::from).and_then(|()| f(conn));
    let closed = match &result {
        Ok(_) => conn.batch_execute(&format!("RELEASE {name}")),
        Err(_) => conn.batch_execute(&format!("ROLLBACK TO {name}; RELEASE {name}")),
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
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    pub fn start(mut conn: DbConn) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new().name("sqlite-writer".into()).spawn(move || {
            while let Ok(first) = queue.recv() {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                run_batch(&mut conn, batch);
            }
        })?;
        Ok(Self { jobs })
    }

    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
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
        self.jobs.send(job).map_err(|_| E::from(DbError::Cancelled))?;
        answered.await.map_err(|_| E::from(DbError::Cancelled))?
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

fn run_batch(conn: &mut DbConn, batch: Vec<Job>) {
    if let Err(e) = conn.batch_execute("BEGIN IMMEDIATE") {
        let message = e.to_string();
        for job in batch {
            // Not run: tell each caller the database refused.
            let finish = job_not_run(job);
            finish(Err(DbError::Query(diesel::result::Error::QueryBuilderError(message.clone().into()))));
        }
        return;
    }
    let finishers: Vec<Finish> = batch.into_iter().map(|job| run_guarded(conn, job)).collect();
    let committed = conn.batch_execute("COMMIT").map_err(DbError::Query);
    if committed.is_err() {
        let _ = conn.batch_execute("ROLLBACK");
    }
    for finish in finishers {
        let outcome = match &committed {
            Ok(()) => Ok(()),
            Err(e) => Err(DbError::Query(diesel::result::Error::QueryBuilderError(e.to_string().into()))),
        };
        finish(outcome);
    }
}

/// Runs a job; a panic rolls back that job's savepoint and drops its caller's answer
/// (they see `Cancelled`), so one bad job neither kills the writer nor taints the batch.
fn run_guarded(conn: &mut DbConn, job: Job) -> Finish {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(conn))) {
        Ok(finish) => finish,
        Err(_) => {
            tracing::error!("a write job panicked; its changes were rolled back");
            BATCH_DEPTH.with(|d| d.set(0));
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
