//! SQLite's index of the tickets' documents (`ticket_fts`) lives in a file of its own beside
//! the database (`helpdesk.db` → `helpdesk.db.fts`), so that its upkeep never holds the desk's
//! one writer. FTS5 merges a term's whole list of documents in one step: with a term found in
//! most documents, a step over a large level held the writer 50–100 ms, and every creation
//! queued behind it waited as long (BENCHMARKS.md). In its own file a merge takes that file's
//! lock, never the database's.
//!
//! - The writer thread writes every document into the recent ones (`ticket_fts_recent`, in the
//!   database), as before, and once a second moves them (`Mover::tidy`): into the index first,
//!   in a transaction of the index file on a connection that never waits (while a merge step
//!   holds the file the writer goes on with its batches and tries again after the next one),
//!   then it empties the recent ones. It holds the database's write lock throughout: several
//!   processes may share a database, and another's writer must not add a document in between.
//! - Between those two transactions (or after a crash between them) a document is in both:
//!   a search skips the index's copy of any document among the recent ones, and a move first
//!   deletes the index's older copy of each document it moves (`ticket_fts_ids` says which
//!   documents the index holds), so moving again is harmless.
//! - The merger thread merges the index's segments a step at a time, and waits while a move
//!   wants the file.
//! - Readers attach the file as `fts` (`Manager`); the writer's connections never do (a
//!   `BEGIN IMMEDIATE` would lock every attached file). The index's own connections attach the
//!   database as `desk`, so their `ANALYZE` and checkpoints name `main`: without a schema they
//!   reach every attached file.
//! - The file is derived data: a backup (`VACUUM INTO`) does not hold it. At start `check`
//!   empties a file that is not this database's (another desk's, or one newer than a restored
//!   copy) and marks every document for the backfill.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::DbConn;

/// The index file of the database at `main`.
pub fn path_beside(main: &str) -> String {
    format!("{main}.fts")
}

/// The index's tables, created at start if the file has none.
const SCHEMA: &str = "CREATE VIRTUAL TABLE IF NOT EXISTS ticket_fts USING fts5( \
       number, subject, body, notes, requester, \
       content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'); \
     CREATE TABLE IF NOT EXISTS ticket_fts_ids (id INTEGER PRIMARY KEY); \
     CREATE TABLE IF NOT EXISTS ticket_fts_owner (token TEXT NOT NULL); \
     INSERT INTO ticket_fts (ticket_fts, rank) VALUES ('automerge', 0);";

/// Who works on an index connection, and so how durably it commits and whether it waits for
/// the file's lock: a move must be on disk before the recent documents are emptied (a merge
/// step lost to a power cut is only done again), and the writer's never waits.
#[derive(Clone, Copy)]
enum Role {
    Writer,
    Backfill,
    Merger,
}

/// A connection to the index file of the database at `main`, which is attached as `desk` (a
/// move reads its recent documents). The mover's never waits for the file's lock.
/// Small page caches: SQLite's caches share one pool as large as all of them together, which
/// the index's writers fill (see `upkeep`).
fn open(main: &str, role: Role) -> ConnectionResult<SqliteConnection> {
    super::fts5_rank::register();
    let mut conn = SqliteConnection::establish(&path_beside(main))?;
    let (busy, synchronous) = match role {
        Role::Writer => (0, "FULL"),
        Role::Backfill => (10_000, "FULL"),
        Role::Merger => (10_000, "NORMAL"),
    };
    let setup = format!(
        "PRAGMA busy_timeout = {busy}; PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
         PRAGMA temp_store = MEMORY; PRAGMA cache_size = -256; PRAGMA wal_autocheckpoint = 0; \
         PRAGMA journal_size_limit = 67108864;"
    );
    // The database is only read once a move, its recent documents: a small cache of its own.
    let attached = conn.batch_execute(&setup).and_then(|()| attach(&mut conn, main, "desk")).and_then(|()| conn.batch_execute("PRAGMA desk.cache_size = -64"));
    attached.map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

/// Attaches the database file at `path` as `name`.
pub fn attach(conn: &mut SqliteConnection, path: &str, name: &str) -> QueryResult<()> {
    diesel::sql_query(format!("ATTACH DATABASE ? AS {name}")).bind::<Text, _>(path).execute(conn).map(|_| ())
}

/// Creates the index's tables if the file has none: before any reader attaches it.
pub fn prepare(main: &str) -> ConnectionResult<()> {
    let mut conn = open(main, Role::Merger)?;
    conn.batch_execute(SCHEMA).map_err(|e| ConnectionError::BadConnection(e.to_string()))
}

/// The path of `conn`'s database file.
fn main_path(conn: &mut SqliteConnection) -> QueryResult<String> {
    #[derive(QueryableByName)]
    struct File {
        #[diesel(sql_type = Text)]
        file: String,
    }
    let row: File = diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'").get_result(conn)?;
    Ok(row.file)
}

/// An index connection for work outside the writer (the backfill, `check`): it waits.
fn open_for(conn: &mut SqliteConnection) -> QueryResult<SqliteConnection> {
    let main = main_path(conn)?;
    open(&main, Role::Backfill).map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))
}

/// The index file as the backfill writes it, before the desk serves (nothing on PostgreSQL).
pub struct Backfill(Option<SqliteConnection>);

impl Backfill {
    /// Opens the file and checks it is this database's (`check`).
    pub fn open(conn: &mut DbConn) -> QueryResult<Self> {
        let DbConn::Sqlite(main) = conn else { return Ok(Self(None)) };
        let mut index = open_for(main)?;
        check(main, &mut index)?;
        Ok(Self(Some(index)))
    }

    /// Moves the recent documents (a batch the backfill wrote: one segment) into the index and
    /// does every merge that calls for at once.
    pub fn take(&mut self, conn: &mut DbConn) -> QueryResult<()> {
        let (Some(index), DbConn::Sqlite(main)) = (self.0.as_mut(), conn) else { return Ok(()) };
        if !move_recent(main, index)? {
            return Err(diesel::result::Error::QueryBuilderError("the search index's file stayed locked".into()));
        }
        merge_all(index)
    }

    /// The index's statistics, once it is written.
    pub fn finish(self) -> QueryResult<()> {
        self.0.map_or(Ok(()), |mut index| analyse(&mut index))
    }
}

fn number(conn: &mut SqliteConnection, sql: &str) -> QueryResult<Option<i64>> {
    diesel::select(diesel::dsl::sql::<Nullable<BigInt>>(sql)).get_result(conn)
}

fn text(conn: &mut SqliteConnection, sql: &str) -> QueryResult<Option<String>> {
    diesel::select(diesel::dsl::sql::<Nullable<Text>>(sql)).get_result(conn)
}

/// At start, before the desk serves: if the index file is not this database's (its owner's
/// token differs: a new file, another desk's) or holds documents the database never numbered
/// (a database restored from an older copy, whose next documents would reuse those numbers),
/// empties it and marks every document for the backfill. Whether it did.
fn check(main: &mut SqliteConnection, index: &mut SqliteConnection) -> QueryResult<bool> {
    let token = text(main, "(SELECT token FROM ticket_fts_file)")?;
    let owner = text(index, "(SELECT token FROM ticket_fts_owner)")?;
    // The index first: another process sharing the database may be creating and moving
    // documents meanwhile, and any the index held was numbered before the database is read.
    let held = number(index, "(SELECT max(id) FROM ticket_fts_ids)")?.unwrap_or(0);
    let numbered = number(main, "(SELECT max(id) FROM ticket_search_docs)")?.unwrap_or(0);
    if token.is_some() && owner == token && held <= numbered {
        return Ok(false);
    }
    match owner {
        // A new file (a new desk, an upgrade, a backup restored without it): nothing is wrong.
        None => tracing::info!(numbered, "ticket search: a new index file; indexing every ticket"),
        Some(_) => tracing::warn!(owner_matches = owner == token, held, numbered, "ticket search: the index file is not this database's; rebuilding it"),
    }
    index.transaction(|index| {
        index.batch_execute(
            "INSERT INTO ticket_fts (ticket_fts) VALUES ('delete-all'); DELETE FROM ticket_fts_ids; DELETE FROM ticket_fts_owner;",
        )?;
        diesel::sql_query("INSERT INTO ticket_fts_owner (token) VALUES (?)").bind::<Nullable<Text>, _>(&token).execute(index)
    })?;
    diesel::sql_query("UPDATE ticket_search_docs SET indexed = FALSE WHERE indexed").execute(main)?;
    Ok(true)
}

/// Moves the recent documents into the index (`index`: a connection of `open`), then empties
/// them. `Ok(false)`: the index file was busy (a merge step) and nothing changed.
///
/// The database's write lock is taken first and held until the recent documents are emptied:
/// several processes may share one database, and another's writer adding a document between
/// the copy and the emptying would lose it from the search for good.
pub fn move_recent(main: &mut SqliteConnection, index: &mut SqliteConnection) -> QueryResult<bool> {
    if number(main, "(SELECT 1 FROM ticket_fts_recent_rows LIMIT 1)")?.is_none() {
        return Ok(true);
    }
    main.immediate_transaction(|main| {
        if !copy_recent(index)? {
            return Ok(false);
        }
        main.batch_execute("INSERT INTO ticket_fts_recent (ticket_fts_recent) VALUES ('delete-all'); DELETE FROM ticket_fts_recent_rows;")?;
        Ok(true)
    })
}

/// The index's copies of the recent documents, deleted before their new copies go in. CROSS
/// JOIN keeps SQLite's order: the few recent documents, each looked up among the index's ids.
/// With a plain JOIN the planner went by the ids' statistics, taken while the index was small,
/// and read every id in every move (the writer's move grew with the index: p99 17 → 148 ms in
/// six minutes of creations).
const DELETE_OLDER_COPIES: &str =
    "DELETE FROM ticket_fts WHERE rowid IN (SELECT r.id FROM desk.ticket_fts_recent_rows r CROSS JOIN ticket_fts_ids i ON i.id = r.id)";

/// The first half of a move: the recent documents written into the index, each replacing the
/// index's copy if it has one. `Ok(false)`: the file was busy.
fn copy_recent(index: &mut SqliteConnection) -> QueryResult<bool> {
    let moved = index.batch_execute(&format!(
        "BEGIN; {DELETE_OLDER_COPIES}; \
         INSERT INTO ticket_fts (rowid, number, subject, body, notes, requester) \
           SELECT id, number, subject, body, notes, requester FROM desk.ticket_fts_recent_rows ORDER BY id; \
         INSERT OR IGNORE INTO ticket_fts_ids (id) SELECT id FROM desk.ticket_fts_recent_rows; \
         COMMIT;"
    ));
    if let Err(e) = moved {
        let _ = index.batch_execute("ROLLBACK");
        return if super::writer::is_busy(&e) { Ok(false) } else { Err(e) };
    }
    Ok(true)
}

/// Leaf pages one merge step writes (about 4 MB): FTS5's own unit of merge work. Each step
/// starts again from where the last stopped (reading its place back in every segment it
/// merges), so small steps cost more in all; they were small (64) while the writer ran them
/// between its batches. A step stops only between terms: a term found in most documents is
/// merged whole in one step. Moves wait for the step to end (the writer does not).
const MERGE_PAGES: i32 = 1024;

/// Does one step of merging the index's segments (4 of a level into one of the next, as FTS5's
/// automerge would, which is off) and says whether there was any to do.
pub fn merge_step(index: &mut SqliteConnection) -> QueryResult<bool> {
    merge(index, MERGE_PAGES)
}

/// Does every merge the index's segments call for, in one go: for the backfill (in steps of
/// `MERGE_PAGES` each would trim the segments it reads, and a million tickets took 60 % longer
/// to index).
pub fn merge_all(index: &mut SqliteConnection) -> QueryResult<()> {
    merge(index, i32::MAX).map(|_| ())
}

fn merge(index: &mut SqliteConnection, pages: i32) -> QueryResult<bool> {
    let changes = |conn: &mut SqliteConnection| diesel::select(diesel::dsl::sql::<BigInt>("total_changes()")).get_result::<i64>(conn);
    let before = changes(index)?;
    index.batch_execute(&format!("INSERT INTO ticket_fts (ticket_fts, rank) VALUES ('merge', {pages})"))?;
    // FTS5's documented tell: a step that merged wrote two rows or more (a page and the
    // index's structure); one that found nothing to merge wrote none.
    Ok(changes(index)? - before >= 2)
}

/// The planner's statistics of the index's tables: FTS5's own statements plan by them (with
/// those of an empty index, its delete of merged pages scanned the whole data table).
pub fn analyse(index: &mut SqliteConnection) -> QueryResult<()> {
    // `main` only: a bare ANALYZE analyses every attached file, the database's too (`desk`),
    // which would take its write lock from the writer.
    index.batch_execute("PRAGMA analysis_limit = 1000; ANALYZE main;")
}

/// What the writer's moves and the merger thread share.
struct Shared {
    /// A move waits for the file: the merger stops after its current step.
    paused: AtomicBool,
    wake: Mutex<Wake>,
    woken: Condvar,
}

#[derive(Default)]
struct Wake {
    /// A move made a segment: there may be merging to do.
    moved: bool,
    stop: bool,
}

impl Shared {
    fn wake(&self, f: impl FnOnce(&mut Wake)) {
        if let Ok(mut wake) = self.wake.lock() {
            f(&mut wake);
        }
        self.woken.notify_all();
    }
}

/// How long the merger sleeps when nothing wakes it (then it checkpoints the file's log).
const IDLE: Duration = Duration::from_secs(1);
/// How often the merger refreshes the index's statistics.
const ANALYSE_EVERY: Duration = Duration::from_secs(600);

/// The writer thread's side: moves the recent documents, and owns the merger thread (stopped
/// when this is dropped, with the writer).
pub struct Mover {
    main: String,
    conn: Option<SqliteConnection>,
    shared: Arc<Shared>,
}

impl Mover {
    /// For the database at `main` (whose index file `prepare` made); starts the merger thread.
    pub fn start(main: &str) -> std::io::Result<Self> {
        let shared = Arc::new(Shared { paused: AtomicBool::new(false), wake: Mutex::new(Wake::default()), woken: Condvar::new() });
        let (merger, path) = (shared.clone(), main.to_owned());
        std::thread::Builder::new().name("sqlite-fts-merger".into()).spawn(move || run_merger(&path, &merger))?;
        // Opened now, before the desk serves: what a connection keeps is then allocated with
        // the rest at start, not in the middle of a load where it would keep the heap from
        // shrinking back.
        let conn = open(main, Role::Writer).map_err(|e| tracing::warn!(error = %e, "ticket search: cannot open the index file")).ok();
        Ok(Self { main: main.to_owned(), conn, shared })
    }

    /// The writer's move, outside a batch: `Ok(false)` when the merger holds the file (it
    /// stops after its step; try again after the next batch).
    pub fn tidy(&mut self, main: &mut DbConn) -> QueryResult<bool> {
        let DbConn::Sqlite(main) = main else { return Ok(true) };
        if self.conn.is_none() {
            self.conn = Some(open(&self.main, Role::Writer).map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?);
        }
        let Some(index) = self.conn.as_mut() else { return Ok(true) };
        self.shared.paused.store(true, Ordering::SeqCst);
        let moved = move_recent(main, index);
        if !matches!(moved, Ok(false)) {
            self.shared.paused.store(false, Ordering::SeqCst);
            self.shared.wake(|w| w.moved = true);
        }
        if moved.is_err() {
            self.conn = None;
        }
        moved
    }
}

impl Drop for Mover {
    fn drop(&mut self) {
        self.shared.wake(|w| w.stop = true);
    }
}

/// The merger thread: after each move (or each second), merge steps until there is nothing to
/// merge or a move waits; then a checkpoint of the file's log (no connection of the index
/// checkpoints on commit: the writer's move must not copy the log).
fn run_merger(main: &str, shared: &Shared) {
    let mut conn: Option<SqliteConnection> = None;
    let mut analysed: Option<Instant> = None;
    loop {
        {
            let Ok(mut wake) = shared.wake.lock() else { return };
            if !wake.moved && !wake.stop {
                wake = match shared.woken.wait_timeout(wake, IDLE) {
                    Ok((wake, _)) => wake,
                    Err(_) => return,
                };
            }
            if wake.stop {
                return;
            }
            wake.moved = false;
        }
        if conn.is_none() {
            conn = open(main, Role::Merger).map_err(|e| tracing::warn!(error = %e, "ticket search: cannot open the index file")).ok();
        }
        let Some(index) = conn.as_mut() else { continue };
        if let Err(e) = upkeep(index, shared, &mut analysed) {
            tracing::warn!(error = %e, "ticket search: merging the index failed");
            conn = None;
        }
    }
}

/// Merge steps between two checkpoints of the file's log: a long run of merging would
/// otherwise grow it by everything it writes (200 MB in a reproduction), and every page read
/// looks the log up first.
const CHECKPOINT_EVERY: u32 = 4;

fn upkeep(index: &mut SqliteConnection, shared: &Shared, analysed: &mut Option<Instant>) -> QueryResult<()> {
    let mut steps = 0u32;
    while !shared.paused.load(Ordering::SeqCst) {
        if !merge_step(index)? {
            break;
        }
        steps += 1;
        if steps.is_multiple_of(CHECKPOINT_EVERY) {
            checkpoint(index)?;
        }
    }
    if !shared.paused.load(Ordering::SeqCst) && analysed.is_none_or(|at| at.elapsed() >= ANALYSE_EVERY) {
        analyse(index)?;
        *analysed = Some(Instant::now());
    }
    // SQLite's page caches share one pool as large as all of them together (each connection's,
    // and each attached file's): the moves and merges, which touch many pages, filled the
    // pool's slack, 11 MB more than before (`sqlite3_status`), and kept the heap from
    // shrinking back (peak RSS +10 MB). Unused cached pages are given back after each round;
    // those the next round needs are read again from the OS's cache.
    index.batch_execute("PRAGMA shrink_memory")?;
    checkpoint(index)
}

/// Copies the index file's log into it. Busy (a reader holds an old snapshot) is fine: the next
/// round copies. `main` only: without it every attached file is checkpointed, the database's
/// too (`desk`), whose log is the checkpointer's (`db::checkpoint`).
fn checkpoint(index: &mut SqliteConnection) -> QueryResult<()> {
    index.batch_execute("PRAGMA main.wal_checkpoint(PASSIVE)")
}

#[cfg(test)]
mod tests {
    use diesel_migrations::MigrationHarness;

    use super::*;

    /// A migrated database in `dir` and its index file: (the database's path, a connection to
    /// it, one to the index).
    fn desk(dir: &tempfile::TempDir) -> (String, SqliteConnection, SqliteConnection) {
        let path = dir.path().join("helpdesk.db").to_string_lossy().into_owned();
        let mut main = SqliteConnection::establish(&path).unwrap();
        main.run_pending_migrations(crate::db::SQLITE_MIGRATIONS).unwrap();
        prepare(&path).unwrap();
        let index = open(&path, Role::Backfill).unwrap();
        (path, main, index)
    }

    fn count(conn: &mut SqliteConnection, sql: &str) -> i64 {
        number(conn, sql).unwrap().unwrap_or(0)
    }

    /// Matches of an FTS5 query in the index.
    fn matches(index: &mut SqliteConnection, query: &str) -> i64 {
        count(index, &format!("(SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH '{query}')"))
    }

    /// Segments of `ticket_fts`: each has one row or more in FTS5's index of leaves.
    fn segments(index: &mut SqliteConnection) -> i64 {
        count(index, "(SELECT count(DISTINCT segid) FROM ticket_fts_idx)")
    }

    /// New documents `first..=last` among the recent ones, with `body`.
    fn recent(main: &mut SqliteConnection, first: i64, last: i64, body: &str) {
        main.batch_execute(&format!(
            "WITH RECURSIVE n(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
             INSERT INTO ticket_fts_recent_rows (id, number, subject, body, notes, requester) \
             SELECT i, 'n' || i, 'piano studio', '{body} ' || i, '', 'studente' FROM n;"
        ))
        .unwrap();
    }

    /// Moves 200 new documents into the index (a segment), from `first`.
    fn move_200(main: &mut SqliteConnection, index: &mut SqliteConnection, first: i64) {
        recent(main, first, first + 199, "esame");
        assert!(move_recent(main, index).unwrap());
        assert_eq!(count(main, "(SELECT count(*) FROM ticket_fts_recent_rows)"), 0, "moved");
    }

    #[test]
    fn the_index_is_merged_by_steps_and_not_by_the_moves() {
        let dir = tempfile::tempdir().unwrap();
        let (_, mut main, mut index) = desk(&dir);
        assert_eq!(count(&mut index, "(SELECT v FROM ticket_fts_config WHERE k = 'automerge')"), 0);
        // Eight moves of 200 documents: eight segments, none merged by FTS5 itself.
        for round in 0..8i64 {
            move_200(&mut main, &mut index, round * 200 + 1);
        }
        assert_eq!(segments(&mut index), 8);
        let mut steps = 0;
        while merge_step(&mut index).unwrap() {
            steps += 1;
            assert!(steps < 100, "the merge ends");
        }
        assert!(steps >= 1, "there was merging to do");
        assert!(segments(&mut index) < 4, "no level left with four segments: {}", segments(&mut index));
        assert!(!merge_step(&mut index).unwrap(), "nothing more to do, and said so");
        // Every document is still there, once.
        assert_eq!(matches(&mut index, "studio"), 1600);
        assert_eq!(matches(&mut index, "n1234"), 1);

        // The backfill's way: all that is due in one call.
        let before = segments(&mut index);
        for round in 8..12i64 {
            move_200(&mut main, &mut index, round * 200 + 1);
        }
        assert_eq!(segments(&mut index), before + 4);
        merge_all(&mut index).unwrap();
        assert!(segments(&mut index) < 4, "merged in one call: {}", segments(&mut index));
        assert!(!merge_step(&mut index).unwrap(), "nothing left for a step");
        assert_eq!(matches(&mut index, "studio"), 2400);
    }

    #[test]
    fn a_move_replaces_the_index_copy_and_moving_again_after_a_crash_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (_, mut main, mut index) = desk(&dir);
        recent(&mut main, 1, 3, "esame");
        assert!(move_recent(&mut main, &mut index).unwrap());
        // Document 2 rewritten (its ticket got a reply): its new copy among the recent ones.
        recent(&mut main, 2, 2, "rinuncia");
        // A crash after the index's half of the move, before the recent ones were emptied …
        assert!(copy_recent(&mut index).unwrap());
        // … and the move done again at the next start.
        assert!(move_recent(&mut main, &mut index).unwrap());
        assert_eq!(matches(&mut index, "studio"), 3, "each document once");
        assert_eq!(matches(&mut index, "rinuncia"), 1);
        assert_eq!(matches(&mut index, "esame"), 2, "document 2's old words are gone");
        assert_eq!(count(&mut index, "(SELECT count(*) FROM ticket_fts_ids)"), 3);
    }

    #[test]
    fn the_writer_never_waits_for_a_merge_holding_the_index_file() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut main, _) = desk(&dir);
        recent(&mut main, 1, 10, "esame");
        // The merger's connection in the middle of a step: the file's write lock held (and not
        // the database's, as `BEGIN IMMEDIATE` would take with it).
        let mut merger = open(&path, Role::Merger).unwrap();
        merger.batch_execute("BEGIN; DELETE FROM ticket_fts_ids WHERE id < 0;").unwrap();
        let mut writer = open(&path, Role::Writer).unwrap();
        let started = Instant::now();
        assert!(!move_recent(&mut main, &mut writer).unwrap(), "busy: not moved");
        assert!(started.elapsed() < Duration::from_secs(5), "and said so at once, not after busy_timeout");
        assert_eq!(count(&mut main, "(SELECT count(*) FROM ticket_fts_recent_rows)"), 10, "the recent documents stay");
        merger.batch_execute("COMMIT").unwrap();
        assert!(move_recent(&mut main, &mut writer).unwrap());
        assert_eq!(matches(&mut writer, "esame"), 10);
        assert_eq!(count(&mut main, "(SELECT count(*) FROM ticket_fts_recent_rows)"), 0);
    }

    #[test]
    fn a_document_another_process_writes_during_a_move_is_not_emptied_unmoved() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut main, _) = desk(&dir);
        recent(&mut main, 1, 10, "esame");
        let mut writer = open(&path, Role::Writer).unwrap();
        // Another process's writer (several may share the database) adding document 11 between
        // the index's half of the move and the emptying of the recent documents: a trigger of
        // the index file's connection stands in for it, right after the copy.
        writer
            .batch_execute(
                "CREATE TEMP TRIGGER meanwhile AFTER INSERT ON main.ticket_fts_ids WHEN NEW.id = 10 BEGIN \
                 INSERT INTO ticket_fts_recent_rows (id, number, subject, body, notes, requester) \
                 VALUES (11, 'n11', 'piano studio', 'esame 11', '', 'studente'); END;",
            )
            .unwrap();
        let moved = move_recent(&mut main, &mut writer).unwrap();
        let recent_ids = count(&mut main, "(SELECT count(*) FROM ticket_fts_recent_rows)");
        let indexed = count(&mut writer, "(SELECT count(*) FROM ticket_fts_ids)");
        // The move holds the database: the other writer waits for it (here: refused, so the
        // move is tried again), and nothing is emptied that the index did not receive.
        assert!(!moved, "the other writer got in during the move");
        assert_eq!((recent_ids, indexed), (10, 0), "nothing moved, nothing lost");
        writer.batch_execute("DROP TRIGGER meanwhile").unwrap();
        recent(&mut main, 11, 11, "esame");
        assert!(move_recent(&mut main, &mut writer).unwrap());
        assert_eq!(matches(&mut writer, "esame"), 11);
        assert_eq!(count(&mut main, "(SELECT count(*) FROM ticket_fts_recent_rows)"), 0);
    }

    #[test]
    fn the_index_statistics_leave_the_database_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut main, _) = desk(&dir);
        move_200(&mut main, &mut open(&path, Role::Writer).unwrap(), 1);
        // The writer in the middle of a batch: the database's write lock held.
        main.batch_execute("BEGIN IMMEDIATE").unwrap();
        let mut merger = open(&path, Role::Writer).unwrap();
        analyse(&mut merger).expect("the index analysed without the database's lock");
        main.batch_execute("COMMIT").unwrap();
        assert!(count(&mut merger, "(SELECT count(*) FROM main.sqlite_stat1 WHERE tbl LIKE 'ticket_fts%')") > 0);
    }

    #[test]
    fn the_index_checkpoint_leaves_the_database_log_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut main, _) = desk(&dir);
        main.batch_execute("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;").unwrap();
        let mut index = open(&path, Role::Merger).unwrap();
        move_200(&mut main, &mut index, 1);
        let read = |file: &str| std::fs::read(file).unwrap();
        let (database, index_file) = (read(&path), read(&path_beside(&path)));
        checkpoint(&mut index).unwrap();
        assert!(read(&path) == database, "the database's log is left to its checkpointer");
        assert!(read(&path_beside(&path)) != index_file, "the index's log copied into its file");
    }

    #[derive(QueryableByName)]
    struct Plan {
        #[diesel(sql_type = Text)]
        detail: String,
    }

    #[test]
    fn a_move_looks_up_the_recent_documents_whatever_the_statistics_say() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut main, _) = desk(&dir);
        let mut index = open(&path, Role::Merger).unwrap();
        // Statistics taken while the index was small (the merger's first), then it grew.
        move_200(&mut main, &mut index, 1);
        analyse(&mut index).unwrap();
        index.batch_execute("WITH RECURSIVE n(i) AS (SELECT 201 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) INSERT INTO ticket_fts_ids SELECT i FROM n").unwrap();
        let plan: Vec<String> =
            diesel::sql_query(format!("EXPLAIN QUERY PLAN {DELETE_OLDER_COPIES}")).load::<Plan>(&mut index).unwrap().into_iter().map(|p| p.detail).collect();
        assert!(plan.iter().any(|d| d.starts_with("SCAN r")), "{plan:?}");
        assert!(plan.iter().any(|d| d.starts_with("SEARCH i")), "each recent document looked up: {plan:?}");
    }

    #[test]
    fn an_index_file_not_of_this_database_is_emptied_and_every_document_marked() {
        let dir = tempfile::tempdir().unwrap();
        let (_, mut main, mut index) = desk(&dir);
        let marked = |main: &mut SqliteConnection| count(main, "(SELECT count(*) FROM ticket_search_docs WHERE NOT indexed)");
        // A new file: made this database's.
        assert!(check(&mut main, &mut index).unwrap());
        assert!(!check(&mut main, &mut index).unwrap(), "then it is this database's");
        main.batch_execute(
            "PRAGMA foreign_keys = OFF; INSERT INTO ticket_search_docs (id, ticket_id, indexed) VALUES (1, 'a', TRUE), (2, 'b', TRUE);",
        )
        .unwrap();
        recent(&mut main, 1, 2, "esame");
        assert!(move_recent(&mut main, &mut index).unwrap());
        assert!(!check(&mut main, &mut index).unwrap(), "documents the database numbered");
        assert_eq!(matches(&mut index, "esame"), 2);
        // The database restored from a copy older than the index: document 3 is the index's
        // only, and the database would number its next ticket's 3.
        recent(&mut main, 3, 3, "esame");
        assert!(move_recent(&mut main, &mut index).unwrap());
        assert!(check(&mut main, &mut index).unwrap());
        assert_eq!(matches(&mut index, "esame"), 0, "emptied");
        assert_eq!(marked(&mut main), 2, "every document marked for the backfill");
        // Another desk's file (its owner is another database).
        main.batch_execute("UPDATE ticket_search_docs SET indexed = TRUE; UPDATE ticket_fts_file SET token = 'another'").unwrap();
        assert!(check(&mut main, &mut index).unwrap());
        assert_eq!(marked(&mut main), 2);
    }
}
