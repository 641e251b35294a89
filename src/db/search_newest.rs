//! PostgreSQL's documents of the newest tickets (migration 000850): a table of their own with
//! its own GIN index, where a search reads its ranked window (`ticket_search::candidates`).
//! Each document is in one table: a new ticket's among the newest, moved to the whole index
//! (`ticket_search`) by `prune` once more than `keep` newer ones follow it. Every document at or
//! above the edge is among the newest. Nothing of this exists on SQLite, whose index is another
//! design (see `ticket_search`).

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::DbConn;

/// Keeps the `keep` newest documents (at least one) apart, moving at most `batch` older ones
/// to the whole index; answers how many it moved. The edge rises to the oldest one kept, in
/// the same statement, so a search never counts on one moved.
pub fn prune(conn: &mut DbConn, keep: i64, batch: i64) -> QueryResult<usize> {
    let DbConn::Pg(conn) = conn else { return Ok(0) };
    // `kept`: the oldest of the `keep` newest; `step`: how far `batch` moves reach. A rewrite
    // of a document being moved waits for the move (`write_document`).
    diesel::sql_query(
        "WITH kept AS (SELECT ticket_id COLLATE \"C\" AS id FROM ticket_search_newest \
                       ORDER BY ticket_id COLLATE \"C\" DESC OFFSET $1 - 1 LIMIT 1), \
              step AS (SELECT ticket_id COLLATE \"C\" AS id FROM ticket_search_newest \
                       ORDER BY ticket_id COLLATE \"C\" OFFSET $2 LIMIT 1), \
              raised AS (UPDATE ticket_search_newest_edge \
                         SET edge = greatest(edge, least((SELECT id FROM kept), coalesce((SELECT id FROM step), (SELECT id FROM kept)))) \
                         WHERE EXISTS (SELECT 1 FROM kept) RETURNING edge), \
              moved AS (DELETE FROM ticket_search_newest WHERE ticket_id COLLATE \"C\" < (SELECT edge FROM raised) \
                        RETURNING ticket_id, document) \
         INSERT INTO ticket_search (ticket_id, document) SELECT ticket_id, document FROM moved \
         ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document",
    )
    .bind::<BigInt, _>(keep.max(1))
    .bind::<BigInt, _>(batch.max(1))
    .execute(conn)
}

/// Moves the `keep` newest documents of the whole index among the newest, as the migration
/// did: for documents written there in bulk (the console benchmark's seeding).
pub fn split(conn: &mut DbConn, keep: i64) -> QueryResult<()> {
    let DbConn::Pg(conn) = conn else { return Ok(()) };
    conn.transaction(|conn| {
        diesel::sql_query(
            "UPDATE ticket_search_newest_edge SET edge = coalesce((SELECT ticket_id COLLATE \"C\" FROM ticket_search \
             ORDER BY ticket_id COLLATE \"C\" DESC OFFSET $1 - 1 LIMIT 1), '')",
        )
        .bind::<BigInt, _>(keep.max(1))
        .execute(conn)?;
        diesel::sql_query(
            "WITH moved AS (DELETE FROM ticket_search WHERE ticket_id COLLATE \"C\" >= (SELECT edge FROM ticket_search_newest_edge) \
                            RETURNING ticket_id, document) \
             INSERT INTO ticket_search_newest (ticket_id, document) SELECT ticket_id, document FROM moved",
        )
        .execute(conn)?;
        Ok(())
    })
}
