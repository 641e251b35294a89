//! Statements run on the connection's own backend rather than through `DbConn`.
//!
//! Why: diesel's `MultiConnection` wraps every statement in a `SerializedQuery` whose AST pass
//! renders the statement's whole SQL text, and a statement takes three passes (is it safe to
//! cache, its cache key, its binds). On ticket creation that was a fifth of SQLite's writer
//! time (BENCHMARKS.md, issue 15). On the connection's own backend a statement whose type says
//! it all is found in the statement cache by its type and its binds are collected in one pass.
//! The hot paths (opening a ticket, indexing it, queueing its mail) use these; the rest of the
//! desk goes through `DbConn` as usual. Same SQL, same results: only the dispatch differs.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::query_dsl::methods::LoadQuery;
use diesel::sqlite::Sqlite;
use diesel::{Connection, PgConnection, QueryResult, RunQueryDsl, SqliteConnection};

use super::DbConn;

/// `query.execute(conn)`.
pub fn execute<Q: Statement>(conn: &mut DbConn, query: Q) -> QueryResult<usize> {
    match conn {
        DbConn::Sqlite(c) => c.execute_returning_count(&query),
        DbConn::Pg(c) => c.execute_returning_count(&query),
    }
}

/// `query.load(conn)`.
pub fn load<'q, Q, U>(conn: &mut DbConn, query: Q) -> QueryResult<Vec<U>>
where
    Q: RunQueryDsl<SqliteConnection> + LoadQuery<'q, SqliteConnection, U> + RunQueryDsl<PgConnection> + LoadQuery<'q, PgConnection, U>,
{
    match conn {
        DbConn::Sqlite(c) => RunQueryDsl::<SqliteConnection>::load(query, c),
        DbConn::Pg(c) => RunQueryDsl::<PgConnection>::load(query, c),
    }
}

/// A statement both backends can run from their own connection.
pub trait Statement: QueryFragment<Sqlite> + QueryFragment<Pg> + QueryId {}
impl<T: QueryFragment<Sqlite> + QueryFragment<Pg> + QueryId> Statement for T {}

/// Inserts written together, inside the caller's transaction. SQLite runs each as it is
/// pushed (its writer is in the process: a statement costs no round trip). PostgreSQL keeps
/// them and `finish` sends them as one statement, the first ones as data-modifying `WITH`
/// parts of the last: one round trip instead of one each (a ticket's creation went from nine
/// to four). The parts share one snapshot and cannot read one another's rows, but foreign keys
/// are checked at the statement's end, so a row may name one inserted by another part.
/// Reads may go to `conn` meanwhile; a write that needs the kept rows comes after `finish`.
#[must_use = "on PostgreSQL nothing is written before `finish`"]
pub struct Batch<'c, 'q> {
    conn: &'c mut DbConn,
    kept: Vec<Box<dyn QueryFragment<Pg> + 'q>>,
    last: usize,
}

impl<'c, 'q> Batch<'c, 'q> {
    pub fn new(conn: &'c mut DbConn) -> Self {
        Batch { conn, kept: Vec::new(), last: 0 }
    }

    /// The connection, for reads.
    pub fn conn(&mut self) -> &mut DbConn {
        self.conn
    }

    pub fn push<Q: Statement + 'q>(&mut self, query: Q) -> QueryResult<()> {
        match self.conn {
            DbConn::Sqlite(c) => self.last = c.execute_returning_count(&query)?,
            DbConn::Pg(_) => self.kept.push(Box::new(query)),
        }
        Ok(())
    }

    /// A statement only PostgreSQL has (the caller checked the backend).
    pub fn push_pg<Q: QueryFragment<Pg> + 'q>(&mut self, query: Q) -> QueryResult<()> {
        self.kept.push(Box::new(query));
        Ok(())
    }

    /// Writes what PostgreSQL kept; answers the row count of the last statement pushed.
    pub fn finish(mut self) -> QueryResult<usize> {
        let kept = std::mem::take(&mut self.kept);
        match &mut self.conn {
            DbConn::Pg(c) if !kept.is_empty() => c.execute_returning_count(&Together(kept)),
            _ => Ok(self.last),
        }
    }
}

/// PostgreSQL's statements of a batch as one: `WITH part0 AS (…), part1 AS (…) <last>`.
struct Together<'q>(Vec<Box<dyn QueryFragment<Pg> + 'q>>);

impl QueryId for Together<'_> {
    type QueryId = ();
    // Cached by its SQL text (the same for every batch of the same statements).
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for Together<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let Some((last, first)) = self.0.split_last() else { return Ok(()) };
        for (i, part) in first.iter().enumerate() {
            out.push_sql(if i == 0 { "WITH " } else { ", " });
            out.push_sql(&format!("part{i} AS ("));
            part.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        if !first.is_empty() {
            out.push_sql(" ");
        }
        last.walk_ast(out.reborrow())
    }
}

/// A raw SQLite statement whose `?`s take `binds` in order, as text: prepared once per
/// connection and then found in diesel's statement cache by its SQL, where diesel prepares
/// every `sql_query` anew (on the writer's path of each batch's search documents that was
/// a thirtieth of its time). The SQL holds no other `?`.
pub struct CachedSql<'a> {
    pub sql: &'static str,
    pub binds: &'a [&'a str],
}

impl CachedSql<'_> {
    pub fn execute(&self, conn: &mut SqliteConnection) -> QueryResult<usize> {
        conn.execute_returning_count(self)
    }
}

impl QueryId for CachedSql<'_> {
    type QueryId = ();
    // Cached by its SQL text (see `Together`).
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Sqlite> for CachedSql<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        let mut parts = self.sql.split('?');
        out.push_sql(parts.next().unwrap_or_default());
        for (i, part) in parts.enumerate() {
            let bind = self.binds.get(i).ok_or_else(|| diesel::result::Error::QueryBuilderError(format!("no bind for ? number {}", i + 1).into()))?;
            out.push_bind_param::<diesel::sql_types::Text, _>(bind)?;
            out.push_sql(part);
        }
        Ok(())
    }
}
