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
use diesel::query_builder::{QueryFragment, QueryId};
use diesel::query_dsl::methods::LoadQuery;
use diesel::sqlite::Sqlite;
use diesel::{Connection, PgConnection, QueryResult, RunQueryDsl, SqliteConnection};

use super::DbConn;

/// `query.execute(conn)`.
pub fn execute<Q>(conn: &mut DbConn, query: Q) -> QueryResult<usize>
where
    Q: QueryFragment<Sqlite> + QueryFragment<Pg> + QueryId,
{
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
