//! SQLite's planner statistics (`sqlite_stat1`), kept current as the tables grow. Without them
//! SQLite guesses, and at a million tickets it read the unassigned queue from an index that
//! needed a sort (10 ms, not 0.04). PostgreSQL's autovacuum keeps its own.
//!
//! ANALYZE samples at most `analysis_limit` entries of an index for its averages, but it still
//! counts every entry (SQLite 3.46 counts exactly), and it holds the write lock meanwhile: a
//! table's indexes all at once took 0.2 s at a million tickets and 2–5 s at 2.3 million, every
//! request's write waiting behind it. So at start, before the desk serves, `refresh_all` runs
//! `PRAGMA optimize` whole; the `statistics` job then goes one index per writer slot
//! (`refresh_step`): with nothing left to do it asks `PRAGMA optimize` which tables are due (grew
//! or shrank tenfold, or have an index without statistics) and lists their indexes; each later
//! step analyses one of them. The list is a TEMP table of the writer's connection: nothing of it
//! reaches the file, and a reopened connection starts afresh.
//!
//! Before each step the job reads that index's pages on a reader (`warm`): the count walks every
//! page, and once the file outgrows the OS cache the writer would wait for the disk.
//!
//! SQLite reads the statistics with the schema, and ANALYZE leaves the schema's version as it
//! was: a connection opened before it (every reader of the pool) kept planning with what it had
//! read, none at all on a new desk, for as long as it lived (the console benchmark's first run at
//! a million tickets: the agent's counts 71 ms median instead of 6). So each round ends by
//! changing the schema's version (`publish`), and every connection reloads both at its next
//! statement, in this process and any other.
//!
//! FTS5's shadow tables are analysed too: its own statements plan by their statistics. With
//! those of an empty index, its `DELETE FROM …_data WHERE id >= ? AND id <= ?` after a merge
//! scans the whole data table instead of the range (EXPLAIN QUERY PLAN), and the writer's move of
//! the recent documents into the index took 50 to 900 ms dozens of times a minute as the index
//! grew (BENCHMARKS.md).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::DbConn;

/// Entries of an index sampled for its averages (the count is exact whatever this says).
const SAMPLE: &str = "PRAGMA analysis_limit = 1000;";

/// Every due table at once (`PRAGMA optimize`, all tables): at start, before the desk serves.
pub fn refresh_all(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Sqlite(c) = conn {
        c.batch_execute(&format!("{SAMPLE} PRAGMA optimize = 0x10002;"))?;
    }
    publish(conn)
}

/// Makes every open connection plan with the statistics now in the file: creating and dropping
/// a view changes the schema's version (a view has no pages to write), and each connection
/// reloads its schema, statistics included, at its next statement. PostgreSQL shares its own.
pub fn publish(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        DbConn::Sqlite(c) => publish_sqlite(c),
        DbConn::Pg(_) => Ok(()),
    }
}

fn publish_sqlite(c: &mut diesel::SqliteConnection) -> QueryResult<()> {
    c.batch_execute("CREATE VIEW IF NOT EXISTS statistics_published AS SELECT 1; DROP VIEW statistics_published;")
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Due {
    /// `ANALYZE "main"."table"`, as `PRAGMA optimize` lists what it would run.
    #[diesel(sql_type = Text)]
    optimize: String,
}

/// The index (or table) the next step of the job will analyse, if the list has one.
pub fn next_pending(conn: &mut DbConn) -> QueryResult<Option<String>> {
    let DbConn::Sqlite(c) = conn else { return Ok(None) };
    first_pending(c)
}

fn first_pending(c: &mut diesel::SqliteConnection) -> QueryResult<Option<String>> {
    c.batch_execute(PENDING)?;
    let next = diesel::sql_query("SELECT name FROM temp.statistics_pending ORDER BY name LIMIT 1").get_result::<Name>(c).optional()?;
    Ok(next.map(|n| n.name))
}

#[derive(QueryableByName)]
struct Pages {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pages: i64,
}

/// Reads every page of one index or table, on a reader connection, so that the writer's
/// ANALYZE of it finds them in the OS cache: once the file outgrows the cache the walk read
/// 46-116 MB from the disk while the writer waited (0.6-1.5 s at 2.3 million tickets,
/// BENCHMARKS.md). Answers how many pages it read (`dbstat` reads each to describe it).
pub fn warm(conn: &mut DbConn, name: &str) -> QueryResult<i64> {
    let DbConn::Sqlite(c) = conn else { return Ok(0) };
    let read = diesel::sql_query("SELECT coalesce(sum(pageno), 0) AS pages FROM dbstat('main', 1) WHERE name = ?")
        .bind::<Text, _>(name)
        .get_result::<Pages>(c)?;
    Ok(read.pages)
}

/// The job's list: a TEMP table of the writer's connection.
const PENDING: &str = "CREATE TEMP TABLE IF NOT EXISTS statistics_pending (name TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID";

/// One step of the `statistics` job: analyses the next index on the list, or (the list empty)
/// lists the indexes of the tables due. Answers whether there may be more to do.
pub fn refresh_step(conn: &mut DbConn) -> QueryResult<bool> {
    let DbConn::Sqlite(c) = conn else { return Ok(false) };
    if let Some(name) = first_pending(c)? {
        // Counting reads every page of the index (the job warms them first: `warm`). Not
        // through a memory map, though it is 1.5-4x faster: the mapped pages count in the
        // process's resident memory (peak 328 MB at 200,000 tickets where the target is 60 MB).
        // The name comes from the schema; quoted as an identifier all the same.
        let started = std::time::Instant::now();
        c.batch_execute(&format!("{SAMPLE} ANALYZE main.\"{}\";", name.replace('"', "\"\"")))?;
        let took = started.elapsed();
        if took >= super::LONG_HOLD {
            tracing::info!(%name, ms = took.as_millis() as u64, "statistics: a long step");
        }
        diesel::sql_query("DELETE FROM temp.statistics_pending WHERE name = ?").bind::<Text, _>(&name).execute(c)?;
        if first_pending(c)?.is_none() {
            publish_sqlite(c)?;
        }
        return Ok(true);
    }
    c.batch_execute(SAMPLE)?;
    // 0x10003: every table (0x10000), analysis (0x02), only listed, not run (0x01).
    let due: Vec<String> = diesel::sql_query("PRAGMA optimize = 0x10003").load::<Due>(c)?.into_iter().map(|d| d.optimize).collect();
    if due.is_empty() {
        return Ok(false);
    }
    let tables =
        diesel::sql_query("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'shadow')").load::<Name>(c)?;
    let mut listed = false;
    for Name { name: table } in tables {
        if !due.contains(&format!("ANALYZE \"main\".\"{}\"", table.replace('"', "\"\""))) {
            continue;
        }
        // Each index alone; a table whose indexes are all partial is analysed whole (its own
        // row count is only counted so), which costs no more than its small indexes.
        let query = "INSERT OR IGNORE INTO temp.statistics_pending (name) \
            SELECT CASE WHEN EXISTS (SELECT 1 FROM pragma_index_list(?1) WHERE NOT partial) THEN i.name ELSE ?1 END \
            FROM (SELECT name FROM pragma_index_list(?1) UNION ALL SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM pragma_index_list(?1))) i";
        listed |= diesel::sql_query(query).bind::<Text, _>(&table).execute(c)? > 0;
    }
    Ok(listed)
}

#[cfg(test)]
mod tests {
    use diesel::Connection;

    use super::*;

    fn stat(conn: &mut DbConn, index: &str) -> Option<String> {
        let DbConn::Sqlite(c) = conn else { unreachable!() };
        #[derive(QueryableByName)]
        struct Stat {
            #[diesel(sql_type = Text)]
            stat: String,
        }
        // An index's row, or (named by its table) the row of a table without an index.
        diesel::sql_query("SELECT stat FROM sqlite_stat1 WHERE idx = ?1 OR (idx IS NULL AND tbl = ?1)")
            .bind::<Text, _>(index)
            .get_result::<Stat>(c)
            .optional()
            .unwrap()
            .map(|s| s.stat.split(' ').next().unwrap_or_default().to_owned())
    }

    fn pending(conn: &mut DbConn) -> Vec<String> {
        let DbConn::Sqlite(c) = conn else { unreachable!() };
        diesel::sql_query("SELECT name FROM temp.statistics_pending ORDER BY name")
            .load::<Name>(c)
            .unwrap()
            .into_iter()
            .map(|n| n.name)
            .collect()
    }

    fn rows(conn: &mut DbConn, from: i64, to: i64) {
        let DbConn::Sqlite(c) = conn else { unreachable!() };
        c.batch_execute(&format!(
            "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {to}) \
             INSERT INTO t (a, b) SELECT i % 7, i FROM n; \
             WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {to}) \
             INSERT INTO f (x) SELECT 'word' || i FROM n; \
             WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {to}) \
             INSERT INTO p (c) SELECT CASE WHEN i % 10 = 0 THEN i END FROM n;"
        ))
        .unwrap();
    }

    #[test]
    fn a_table_grown_tenfold_is_analysed_one_index_a_step_and_fts5_shadow_tables_too() {
        let c = diesel::SqliteConnection::establish(":memory:").unwrap();
        let mut conn = DbConn::Sqlite(c);
        let DbConn::Sqlite(c) = &mut conn else { unreachable!() };
        c.batch_execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER); \
             CREATE INDEX t_a ON t (a); CREATE INDEX t_b ON t (b); \
             CREATE VIRTUAL TABLE f USING fts5 (x); \
             CREATE TABLE p (id INTEGER PRIMARY KEY, c INTEGER); CREATE INDEX p_c ON p (c) WHERE c IS NOT NULL;",
        )
        .unwrap();
        rows(&mut conn, 1, 20);
        refresh_all(&mut conn).unwrap();
        assert_eq!((stat(&mut conn, "t_a").as_deref(), stat(&mut conn, "t_b").as_deref()), (Some("20"), Some("20")));
        assert!(!refresh_step(&mut conn).unwrap(), "nothing is due right after a full refresh");

        rows(&mut conn, 21, 400);
        assert!(refresh_step(&mut conn).unwrap(), "the grown tables are listed");
        // t's indexes one by one; p (only a partial index) whole; f's shadow tables too (FTS5's
        // statements plan by them), each whole: they have no index of their own.
        let listed = pending(&mut conn);
        assert_eq!(next_pending(&mut conn).unwrap().as_ref(), listed.first(), "the next step's index, for warming");
        let DbConn::Sqlite(c) = &mut conn else { unreachable!() };
        let t_b = diesel::sql_query("SELECT count(*) AS pages FROM dbstat WHERE name = 't_b'").get_result::<Pages>(c).unwrap().pages;
        assert!(t_b >= 1);
        assert_eq!(warm(&mut conn, "t_b").unwrap(), t_b, "every page of the index is read");
        assert_eq!(warm(&mut conn, "no_such_index").unwrap(), 0);
        assert_eq!(listed.iter().filter(|n| !n.starts_with("f_")).collect::<Vec<_>>(), ["p", "t_a", "t_b"]);
        assert!(listed.contains(&"f_docsize".to_owned()) && listed.contains(&"f_content".to_owned()), "{listed:?}");
        let fts = listed.iter().filter(|n| n.starts_with("f_")).count();
        for _ in 0..fts {
            assert!(refresh_step(&mut conn).unwrap());
        }
        assert_eq!(stat(&mut conn, "f_docsize").as_deref(), Some("400"), "FTS5's table of document sizes");
        assert!(refresh_step(&mut conn).unwrap());
        assert!(refresh_step(&mut conn).unwrap());
        assert_eq!(
            (stat(&mut conn, "t_a").as_deref(), stat(&mut conn, "t_b").as_deref()),
            (Some("400"), Some("20")),
            "one step, one index: the other waits for its own step"
        );
        assert_eq!(stat(&mut conn, "p_c").as_deref(), Some("40"), "the partial index's table was analysed whole");
        assert!(refresh_step(&mut conn).unwrap());
        assert_eq!(stat(&mut conn, "t_b").as_deref(), Some("400"));
        assert!(pending(&mut conn).is_empty());
        assert!(!refresh_step(&mut conn).unwrap(), "with every index analysed, nothing is due");
    }

    /// The plan a connection makes of a count over `table`, after a statement of its own
    /// (SQLite checks the schema's version when a statement runs, not when one is explained).
    fn plan(c: &mut diesel::SqliteConnection, table: &str) -> String {
        c.batch_execute(&format!("SELECT count(*) FROM {table}")).unwrap();
        #[derive(QueryableByName)]
        struct Step {
            #[diesel(sql_type = Text)]
            detail: String,
        }
        let steps = diesel::sql_query(format!("EXPLAIN QUERY PLAN SELECT count(*) FROM {table} WHERE a = 1 AND b > 5")).load::<Step>(c).unwrap();
        steps.into_iter().map(|s| s.detail).collect::<Vec<_>>().join("; ")
    }

    /// A table whose rows all have a = 1: an index on `a` narrows nothing, which only the
    /// statistics can tell the planner.
    fn uniform(c: &mut diesel::SqliteConnection, table: &str) {
        c.batch_execute(&format!(
            "CREATE TABLE {table} (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER); \
             CREATE INDEX {table}_a ON {table} (a); CREATE INDEX {table}_b ON {table} (b); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO {table} (a, b) SELECT 1, i FROM n;"
        ))
        .unwrap();
    }

    #[test]
    fn connections_opened_before_the_analysis_plan_with_its_statistics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stats.db");
        let path = path.to_str().unwrap();
        let mut conn = DbConn::Sqlite(diesel::SqliteConnection::establish(path).unwrap());
        let DbConn::Sqlite(c) = &mut conn else { unreachable!() };
        // sqlite_stat1 made beforehand, as on any desk: its creation alone changes the schema.
        c.batch_execute("PRAGMA journal_mode = WAL; ANALYZE;").unwrap();
        uniform(c, "t");
        let mut reader = diesel::SqliteConnection::establish(path).unwrap();
        let guessed = plan(&mut reader, "t");
        assert!(guessed.contains("INDEX t_a"), "without statistics SQLite guesses the equality narrows: {guessed}");

        // At start: the whole refresh.
        refresh_all(&mut conn).unwrap();
        let DbConn::Sqlite(c) = &mut conn else { unreachable!() };
        let informed = plan(c, "t");
        assert!(!informed.contains("INDEX t_a"), "the writer plans with what it analysed: {informed}");
        assert_eq!(plan(&mut reader, "t"), informed, "and so does the reader opened before");

        // The job's way: a new table is listed, then analysed one index a step; the last
        // step publishes.
        uniform(c, "u");
        let guessed = plan(&mut reader, "u");
        assert!(guessed.contains("INDEX u_a"), "{guessed}");
        while refresh_step(&mut conn).unwrap() {}
        let DbConn::Sqlite(c) = &mut conn else { unreachable!() };
        let informed = plan(c, "u");
        assert!(!informed.contains("INDEX u_a"), "{informed}");
        assert_eq!(plan(&mut reader, "u"), informed, "the job's statistics reach the reader too");
        let views: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>("(SELECT count(*) FROM sqlite_schema WHERE type = 'view')"))
            .get_result(c)
            .unwrap();
        assert_eq!(views, 0, "publishing leaves nothing in the schema");
    }
}
