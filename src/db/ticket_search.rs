//! The two dialects of the tickets' full-text index: how a document is written and how the
//! ranked candidates of a search are read. What a document holds and how a query is parsed is
//! `tickets::search_index`'s business; this module only speaks SQL.
//!
//! - SQLite: a contentless FTS5 table (`ticket_fts`) of terms the caller computes (Snowball
//!   stems), one row per ticket whose rowid `ticket_search_docs` gives; ranked by `ticket_rank`
//!   (src/db/fts5_rank.rs), in a file of its own (`db::search_file`). New documents go first to
//!   a small table of recent ones in the database, moved into `ticket_fts` by the writer once a
//!   second; a search reads both, the recent copy of a document before the index's.
//! - PostgreSQL: a tsvector per ticket written by the migration's `ticket_search_document`
//!   function, GIN-indexed; ranked by `ts_rank`. New tickets' documents go to a table of the
//!   newest (`ticket_search_newest`), moved into `ticket_search` by the `search_newest` job
//!   (`db::search_newest`); a search reads its window among the newest alone when they hold
//!   it, and both tables otherwise.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Double, Nullable, Text, Timestamp};

use super::direct::{Batch, CachedSql};
use super::{DbConn, Deferral, DeferredRun};
use crate::db::schema::{messages, tickets, users};

/// PostgreSQL's table of new documents (see `db::search_newest`), for the query builder: a
/// plain insert of a new ticket's document is a statement prepared once per connection (an
/// upsert, or a raw query, is prepared anew every time: two round trips instead of one), and
/// its document is made by `ticket_search_text_document` (migration 000710), which PostgreSQL
/// inlines.
mod pg_tables {
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "tsvector"))]
    pub struct TsVector;

    diesel::table! {
        use diesel::sql_types::Text;
        use super::TsVector;

        ticket_search_newest (ticket_id) {
            ticket_id -> Text,
            document -> TsVector,
        }
    }

    diesel::define_sql_function! {
        /// The migration's document of a ticket's texts.
        #[allow(clippy::too_many_arguments)]
        fn ticket_search_text_document(
            number: diesel::sql_types::Text,
            subject: diesel::sql_types::Text,
            email: diesel::sql_types::Text,
            matricola: diesel::sql_types::Nullable<diesel::sql_types::Text>,
            public_text: diesel::sql_types::Text,
            internal_text: diesel::sql_types::Text,
        ) -> TsVector;
    }
}

/// What a new ticket's document is made of.
pub struct NewDocument<'a> {
    pub ticket_id: &'a str,
    pub number: &'a str,
    pub subject: &'a str,
    pub requester_email: &'a str,
    pub fields: &'a str,
    /// The first message.
    pub body: &'a str,
    /// SQLite's terms of the texts above, if the caller computed them before the write.
    pub stemmed: Option<&'a Stemmed>,
}

/// SQLite's terms (what the index stores of a text) of a new ticket's subject, first
/// message and requester (e-mail address and matricola), computed before the write: on
/// SQLite's one writer thread stemming was a sixteenth of a creation's time.
#[derive(Clone)]
pub struct Stemmed {
    pub subject: String,
    pub body: String,
    pub requester: String,
}

/// A new ticket's document as the writer's batch gets it (`Deferral::prepared`).
struct Prepared {
    number: String,
    stemmed: Stemmed,
}

/// Writes the document of a ticket created in this transaction (it has none yet): on
/// PostgreSQL from the texts given, with the rest of `batch`; on SQLite at the writer's batch's
/// end like any other.
pub fn write_new_document<'q>(batch: &mut Batch<'_, 'q>, doc: &NewDocument<'q>, sqlite: DeferredRun) -> QueryResult<()> {
    use pg_tables::{ticket_search_newest as ts, ticket_search_text_document};
    if let DbConn::Pg(_) = batch.conn() {
        let document = ticket_search_text_document(doc.number, doc.subject, doc.requester_email, matricola(doc.fields), doc.body, "");
        return batch.push_pg(diesel::insert_into(ts::table).values((ts::ticket_id.eq(doc.ticket_id), ts::document.eq(document))));
    }
    let prepared = doc.stemmed.map(|stemmed| Box::new(Prepared { number: doc.number.to_owned(), stemmed: stemmed.clone() }) as Box<dyn std::any::Any>);
    super::before_commit(batch.conn(), FTS5_WRITE, Deferral { key: doc.ticket_id.to_owned(), prepared }, sqlite)
}

/// Rewrites a ticket's document. PostgreSQL computes it in SQL. On SQLite the write waits for
/// the end of the writer's batch (`before_commit`), where `sqlite` (the caller's, which calls
/// `write_fts5` with its stems) writes the batch's documents together, still inside the
/// transaction, so a search after the answer finds the ticket.
pub fn write_document(conn: &mut DbConn, ticket_id: &str, sqlite: DeferredRun) -> QueryResult<()> {
    if let DbConn::Pg(conn) = conn {
        // Where the document is: among the newest, or else in the whole index (moved there by
        // `search_newest::prune` meanwhile, the update waiting for it: the insert's conflict
        // then finds it and updates it).
        diesel::sql_query(
            "WITH n AS (UPDATE ticket_search_newest SET document = ticket_search_document($1) WHERE ticket_id = $1 RETURNING 1) \
             INSERT INTO ticket_search (ticket_id, document) SELECT $1, ticket_search_document($1) WHERE NOT EXISTS (SELECT 1 FROM n) \
             ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document",
        )
        .bind::<Text, _>(ticket_id)
        .execute(conn)?;
        return Ok(());
    }
    super::before_commit(conn, FTS5_WRITE, Deferral { key: ticket_id.to_owned(), prepared: None }, sqlite)
}

/// SQLite: the ticket's document is written with the rest of the batch's, just before it
/// commits (`sqlite` writes them; see `write_fts5`).
const FTS5_WRITE: &str = "ticket_fts";

/// One document as SQLite's index stores it.
type Fts5Row = (i64, String, String, String, String, String);

/// SQLite's documents of a writer batch's tickets (`terms`: what the index stores of a text),
/// written to the recent documents (`ticket_fts_recent`, see migration 000800): first every
/// read and `ticket_search_docs` row, then the inserts, each statement prepared once, the
/// index's in one statement, so FTS5 writes one segment for all of them. A new ticket's texts
/// come stemmed (`Prepared`); the others are read and stemmed here. A document already among
/// the recent ones is replaced there; one already moved stays in `ticket_fts` until the next
/// move replaces it, unread by searches meanwhile (`db::search_file`).
pub fn write_fts5(conn: &mut DbConn, deferred: Vec<Deferral>, terms: fn(&str) -> String) -> QueryResult<()> {
    // SQLite's own connection: statements cached by type (see `db::direct`).
    let DbConn::Sqlite(conn) = conn else { return Ok(()) };
    let mut rows: Vec<Fts5Row> = Vec::with_capacity(deferred.len());
    for Deferral { key: ticket_id, prepared } in deferred {
        let doc = document_id(conn, &ticket_id)?;
        if !doc.fresh {
            forget_recent(conn, doc.id)?;
        }
        rows.push(match prepared.and_then(|p| p.downcast::<Prepared>().ok()) {
            Some(new) => {
                let Prepared { number, stemmed: Stemmed { subject, body, requester } } = *new;
                (doc.id, terms(&number), subject, body, String::new(), requester)
            }
            None => stem_stored(conn, doc.id, &ticket_id, terms)?,
        });
    }
    // Row by row: a one-row insert is prepared once and cached (a many-row one is prepared
    // anew for each batch, and one from JSON parses each row again).
    let ids = serde_json::Value::from(rows.iter().map(|row| row.0).collect::<Vec<_>>()).to_string();
    for (id, number, subject, body, notes, requester) in &rows {
        diesel::insert_into(recent::ticket_fts_recent_rows)
            .values((recent::id.eq(id), recent::number.eq(number), recent::subject.eq(subject), recent::body.eq(body), recent::notes.eq(notes), recent::requester.eq(requester)))
            .execute(conn)?;
    }
    // The index of the rows just written (external content: told what to index), in one
    // statement: one FTS5 segment.
    CachedSql {
        sql: "INSERT INTO ticket_fts_recent (rowid, number, subject, body, notes, requester) \
              SELECT id, number, subject, body, notes, requester FROM ticket_fts_recent_rows \
              WHERE id IN (SELECT value FROM json_each(?))",
        binds: &[&ids],
    }
    .execute(conn)?;
    Ok(())
}

/// A ticket's document from what is stored of it: its texts read and stemmed.
fn stem_stored(conn: &mut diesel::SqliteConnection, id: i64, ticket_id: &str, terms: fn(&str) -> String) -> QueryResult<Fts5Row> {
    let (number, subject, fields, requester_id): (String, String, String, String) = tickets::table
        .find(ticket_id)
        .select((tickets::number, tickets::subject, tickets::fields, tickets::requester_id))
        .first(conn)?;
    let email: String = users::table.find(&requester_id).select(users::email).first(conn)?;
    let thread: Vec<(String, String)> = messages::table
        .filter(messages::ticket_id.eq(ticket_id))
        .filter(messages::kind.ne("system"))
        .order(messages::id.asc())
        .select((messages::kind, messages::body))
        .load(conn)?;
    let of_kind = |kind: &str| thread.iter().filter(|(k, _)| k == kind).map(|(_, b)| terms(b)).collect::<Vec<_>>().join(" ");
    let requester = requester_terms(&email, matricola(&fields), terms);
    Ok((id, terms(&number), terms(&subject), of_kind("public"), of_kind("internal"), requester))
}

/// The requester's part of a document: their e-mail address and the form's matricola.
pub fn requester_terms(email: &str, matricola: Option<String>, terms: fn(&str) -> String) -> String {
    terms(&format!("{email} {}", matricola.unwrap_or_default()))
}

/// Removes a document from the recent ones if it is there (an external-content FTS5 table is
/// told the old terms to delete them).
fn forget_recent(conn: &mut diesel::SqliteConnection, id: i64) -> QueryResult<()> {
    let old: Option<Fts5Row> = recent::ticket_fts_recent_rows.find(id).first(conn).optional()?;
    let Some((id, number, subject, body, notes, requester)) = old else { return Ok(()) };
    diesel::sql_query(
        "INSERT INTO ticket_fts_recent (ticket_fts_recent, rowid, number, subject, body, notes, requester) \
         VALUES ('delete', ?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(number)
    .bind::<Text, _>(subject)
    .bind::<Text, _>(body)
    .bind::<Text, _>(notes)
    .bind::<Text, _>(requester)
    .execute(conn)?;
    diesel::delete(recent::ticket_fts_recent_rows.find(id)).execute(conn)?;
    Ok(())
}

// SQLite's own tables of the index, for the query builder: its statements are prepared once
// and cached (a raw query is prepared anew every time).
mod sqlite_tables {
    diesel::table! {
        ticket_search_docs (id) {
            id -> BigInt,
            ticket_id -> Text,
            indexed -> Bool,
        }
    }
    diesel::table! {
        ticket_fts_recent_rows (id) {
            id -> BigInt,
            number -> Text,
            subject -> Text,
            body -> Text,
            notes -> Text,
            requester -> Text,
        }
    }
}
use sqlite_tables::ticket_fts_recent_rows::dsl as recent;
use sqlite_tables::ticket_search_docs::dsl as docs;

/// The matricola a ticket's form answers carry, if any (PostgreSQL's document reads it too).
pub fn matricola(fields: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(fields).ok()?;
    matricola_of(&value)
}

/// `matricola`, from the answers already parsed.
pub fn matricola_of(value: &serde_json::Value) -> Option<String> {
    match value.get("matricola")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

struct Doc {
    id: i64,
    /// Numbered just now: it has no document anywhere yet.
    fresh: bool,
}

/// The ticket's FTS rowid, marked indexed.
fn document_id(conn: &mut diesel::SqliteConnection, ticket_id: &str) -> QueryResult<Doc> {
    let fresh: Option<i64> = diesel::insert_into(docs::ticket_search_docs)
        .values((docs::ticket_id.eq(ticket_id), docs::indexed.eq(true)))
        .on_conflict(docs::ticket_id)
        .do_nothing()
        .returning(docs::id)
        .get_result(conn)
        .optional()?;
    if let Some(id) = fresh {
        return Ok(Doc { id, fresh: true });
    }
    let (id, indexed): (i64, bool) =
        docs::ticket_search_docs.filter(docs::ticket_id.eq(ticket_id)).select((docs::id, docs::indexed)).first(conn)?;
    if !indexed {
        diesel::update(docs::ticket_search_docs.find(id)).set(docs::indexed.eq(true)).execute(conn)?;
    }
    Ok(Doc { id, fresh: false })
}

#[derive(QueryableByName)]
struct Pending {
    #[diesel(sql_type = Text)]
    ticket_id: String,
}

/// Up to `n` tickets a migration marked for indexing (SQLite); none on PostgreSQL, whose
/// migration fills its index itself.
pub fn pending(conn: &mut DbConn, n: i64) -> QueryResult<Vec<String>> {
    if let DbConn::Pg(_) = conn {
        return Ok(Vec::new());
    }
    let rows: Vec<Pending> = diesel::sql_query("SELECT ticket_id FROM ticket_search_docs WHERE NOT indexed ORDER BY id LIMIT ?1")
        .bind::<BigInt, _>(n)
        .load(conn)?;
    Ok(rows.into_iter().map(|p| p.ticket_id).collect())
}

/// The index query: how it is matched, who asks, the list filters, and the page.
pub struct CandidateQuery<'a> {
    /// SQLite's match: an FTS5 expression of the caller's terms.
    pub fts5: String,
    /// PostgreSQL's: the query's pieces, space-separated, each to match in the italian,
    /// english or simple configuration.
    pub pieces: String,
    /// Supervisors and admins see every ticket; agents their teams' and their own.
    pub every_ticket: bool,
    pub team_ids: &'a [String],
    pub user_id: &'a str,
    /// Empty: any status but `unverified`.
    pub statuses: Vec<&'a str>,
    /// Empty: any.
    pub priorities: Vec<&'a str>,
    pub category_id: Option<&'a str>,
    pub team_id: Option<&'a str>,
    /// `Some("")`: unassigned.
    pub assignee: Option<String>,
    pub created_from: Option<chrono::NaiveDateTime>,
    pub created_to: Option<chrono::NaiveDateTime>,
    /// The previous page's last rank and ticket id.
    pub after: Option<(f64, String)>,
    pub page_rows: i64,
    /// How many ranked candidates to join to their tickets; `None`: all.
    pub take: Option<i64>,
    /// Where the ranked window ends (a cursor's), else the `window` newest matches are ranked.
    pub edge: Option<String>,
    pub window: i64,
}

/// One row of a page: a ticket and its rank (none when no candidate passed the filters), with
/// how many candidates there were, the lowest rank among them and the window's edge.
#[derive(QueryableByName)]
pub struct Candidate {
    #[diesel(sql_type = Nullable<Text>)]
    pub ticket_id: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    pub rank: Option<f64>,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub floor: Option<f64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub edge: Option<String>,
}

// The filters and the keyset. `m` is the ranked match, `t` its ticket. Parameters: 2 every
// ticket, 3 the agent's team ids and 4 their id; 5..=11 the list filters (NULL: not asked; the
// lists as a JSON array on SQLite, an array on PostgreSQL, see `list`); 12 and 13 the cursor;
// 14 the limit. SQLite joins CROSS: in the order written, candidates first (left to itself, it
// may scan the tickets and look each up among the candidates).
const SQLITE_FILTERS: &str = " CROSS JOIN tickets t ON t.id = m.ticket_id \
    WHERE (?2 OR t.team_id IN (SELECT value FROM json_each(?3)) OR t.assignee_id = ?4) \
      AND (CASE WHEN ?5 IS NULL THEN t.status <> 'unverified' ELSE t.status IN (SELECT value FROM json_each(?5)) END) \
      AND (?6 IS NULL OR t.priority IN (SELECT value FROM json_each(?6))) \
      AND (?7 IS NULL OR t.category_id = ?7) \
      AND (?8 IS NULL OR t.team_id = ?8) \
      AND (?9 IS NULL OR (?9 = '' AND t.assignee_id IS NULL) OR t.assignee_id = ?9) \
      AND (?10 IS NULL OR t.created_at >= ?10) \
      AND (?11 IS NULL OR t.created_at < ?11) \
      AND (?12 IS NULL OR m.rank < ?12 OR (m.rank = ?12 AND m.ticket_id > ?13)) \
    ORDER BY m.rank DESC, m.ticket_id LIMIT ?14";

const PG_FILTERS: &str = " JOIN tickets t ON t.id = m.ticket_id \
    WHERE ($2 OR t.team_id = ANY($3) OR t.assignee_id = $4) \
      AND (CASE WHEN $5::text[] IS NULL THEN t.status <> 'unverified' ELSE t.status = ANY($5) END) \
      AND ($6::text[] IS NULL OR t.priority = ANY($6)) \
      AND ($7::text IS NULL OR t.category_id = $7) \
      AND ($8::text IS NULL OR t.team_id = $8) \
      AND ($9::text IS NULL OR ($9 = '' AND t.assignee_id IS NULL) OR t.assignee_id = $9) \
      AND ($10::timestamp IS NULL OR t.created_at >= $10) \
      AND ($11::timestamp IS NULL OR t.created_at < $11) \
      AND ($12::float8 IS NULL OR m.rank < $12 OR (m.rank = $12 AND m.ticket_id > $13)) \
    ORDER BY m.rank DESC, m.ticket_id LIMIT $14";

// The matches in rank order, at most $15 of them (all of them with -1 on SQLite, NULL on
// PostgreSQL), from the cursor's rank ($12) on: `c`. The newest matches (the window: the $17
// newest, or those from the cursor's edge $16 on) are ranked by relevance, rank > 0; the older
// ones follow, newest first, with rank -1, -2, … (SQLite: how far their document id lies below
// the edge). Only the candidates are joined to their tickets and filtered, so a common word
// costs one rank per match in the window, not a ticket lookup per match. `n` and `floor` say
// how many candidates there were and the lowest rank among them; `edge` is where the window
// ends, for the next page's cursor. Each ends with PAGE_JOIN and PAGE_ORDER.
// SQLite ranks with `ticket_rank`, weights in column order: number, subject, body, notes,
// requester.
// SQLite's matches are in two tables, `ticket_fts` and the recent documents: each query of the
// index is the UNION ALL of both, ordered where it is limited (SQLite then merges the two
// ordered scans, reading no more than the limit of either). A document among the recent ones
// is newer than the index's copy, if it has one (`db::search_file`): that copy is skipped.
// PostgreSQL keeps each match's row address (`ctid`) from the index scan, so ranking the window
// reads its documents straight from the table, not through the key's index (−7 % a search at
// 1 M tickets; within one statement the address is that of the row version it read).
const SQLITE_MATCH: &str = "WITH e AS (SELECT coalesce(CAST(?16 AS INTEGER), \
      (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?1 AND rowid NOT IN (SELECT id FROM ticket_fts_recent_rows) \
       UNION ALL SELECT rowid FROM ticket_fts_recent WHERE ticket_fts_recent MATCH ?1 \
       ORDER BY 1 DESC LIMIT 1 OFFSET ?17 - 1), 0) AS edge), \
    c AS ( \
      SELECT doc, rank FROM ( \
        SELECT * FROM (SELECT doc, rank FROM ( \
            SELECT ticket_fts.rowid AS doc, ticket_rank(ticket_fts, 10.0, 10.0, 2.0, 1.0, 5.0) AS rank \
            FROM e, ticket_fts WHERE ticket_fts MATCH ?1 AND ticket_fts.rowid >= e.edge \
              AND ticket_fts.rowid NOT IN (SELECT id FROM ticket_fts_recent_rows) \
            UNION ALL \
            SELECT ticket_fts_recent.rowid, ticket_rank(ticket_fts_recent, 10.0, 10.0, 2.0, 1.0, 5.0) \
            FROM e, ticket_fts_recent WHERE ticket_fts_recent MATCH ?1 AND ticket_fts_recent.rowid >= e.edge) \
          WHERE ?12 IS NULL OR rank <= ?12 ORDER BY rank DESC LIMIT ?15) \
        UNION ALL \
        SELECT * FROM (SELECT ticket_fts.rowid AS doc, ticket_fts.rowid - e.edge AS rank FROM e, ticket_fts \
          WHERE ticket_fts MATCH ?1 AND ticket_fts.rowid < e.edge AND (?12 IS NULL OR ticket_fts.rowid - e.edge <= ?12) \
            AND ticket_fts.rowid NOT IN (SELECT id FROM ticket_fts_recent_rows) \
          UNION ALL \
          SELECT ticket_fts_recent.rowid, ticket_fts_recent.rowid - e.edge FROM e, ticket_fts_recent \
          WHERE ticket_fts_recent MATCH ?1 AND ticket_fts_recent.rowid < e.edge \
            AND (?12 IS NULL OR ticket_fts_recent.rowid - e.edge <= ?12) \
          ORDER BY 1 DESC LIMIT ?15)) \
      ORDER BY rank DESC LIMIT ?15) \
    SELECT p.ticket_id, p.rank, b.n, b.floor, CAST(e.edge AS TEXT) AS edge \
    FROM (SELECT count(*) AS n, min(rank) AS floor FROM c) b CROSS JOIN e \
    LEFT JOIN (SELECT m.ticket_id, m.rank FROM ( \
      SELECT d.ticket_id AS ticket_id, c.rank AS rank \
      FROM c CROSS JOIN ticket_search_docs d ON d.id = c.doc) m";

/// PostgreSQL's match: in both tables of documents (each document is in one), or with
/// `newest_only` in the newest tickets' (`db::search_newest`), where only those at or above the
/// edge count: see `NEWEST_ANSWERS`. `m` keeps which table each match is in, for its rank.
fn pg_match(newest_only: bool) -> String {
    let newest = "SELECT s.document FROM ticket_search_newest s WHERE w.newest AND s.ctid = w.tid";
    let (older, within, ranked) = if newest_only {
        // Filtered once the matches are read (with the index of ids beside the documents',
        // the planner would read the ids of every newest document).
        ("", " AND ticket_id COLLATE \"C\" >= (SELECT edge FROM ticket_search_newest_edge)", newest.to_owned())
    } else {
        (
            "SELECT s.ticket_id, s.ctid AS tid, FALSE AS newest FROM ticket_search s, q WHERE s.document @@ q.q UNION ALL ",
            "",
            format!("SELECT s.document FROM ticket_search s WHERE NOT w.newest AND s.ctid = w.tid UNION ALL {newest}"),
        )
    };
    format!(
        "WITH q AS ( \
      SELECT coalesce(string_agg('(' || w.q::text || ')', ' & '), '')::tsquery AS q FROM ( \
        SELECT plainto_tsquery('italian', word) || plainto_tsquery('english', word) \
               || plainto_tsquery('simple', word) AS q \
        FROM unnest(string_to_array($1, ' ')) AS word) w \
      WHERE numnode(w.q) > 0), \
    m AS MATERIALIZED ({older}SELECT s.ticket_id, s.ctid AS tid, TRUE AS newest FROM ticket_search_newest s, q WHERE s.document @@ q.q), \
    w AS MATERIALIZED (SELECT ticket_id, tid, newest FROM m WHERE ($16::text IS NULL OR ticket_id COLLATE \"C\" >= $16){within} \
      ORDER BY ticket_id COLLATE \"C\" DESC LIMIT CASE WHEN $16::text IS NULL THEN $17 END), \
    e AS (SELECT coalesce($16, (SELECT min(ticket_id COLLATE \"C\") FROM w), '') AS edge), \
    t0 AS MATERIALIZED (SELECT ticket_id, rank FROM ( \
        SELECT w.ticket_id, ts_rank(d.document, q.q)::float8 AS rank \
        FROM w CROSS JOIN LATERAL ({ranked}) d, q) r \
      WHERE $12::float8 IS NULL OR rank <= $12 ORDER BY rank DESC LIMIT $15), \
    c AS MATERIALIZED ( \
      SELECT ticket_id, rank FROM t0 \
      UNION ALL \
      SELECT ticket_id, rank FROM ( \
        SELECT m.ticket_id, -(row_number() OVER (ORDER BY m.ticket_id COLLATE \"C\" DESC))::float8 AS rank FROM m, e \
        WHERE m.ticket_id COLLATE \"C\" < e.edge AND (SELECT count(*) FROM t0) < coalesce($15, 9223372036854775807)) o \
      WHERE $12::float8 IS NULL OR rank <= $12 \
      ORDER BY rank DESC LIMIT $15) \
    SELECT p.ticket_id, p.rank, b.n, b.floor, e.edge \
    FROM (SELECT count(*) AS n, min(rank) AS floor FROM c) b CROSS JOIN e \
    LEFT JOIN (SELECT m.ticket_id, m.rank FROM c m"
    )
}

/// When the newest documents give the same page as the whole index, added to their query
/// (no row otherwise): the window lies among them — the `$17` newest matches with no cursor
/// (any match elsewhere is older than all of them), all those from the cursor's edge on with
/// one at or above their edge — and no older match is needed (`c` takes the older ones only
/// when the window has fewer than `$15` candidates).
const NEWEST_ANSWERS: &str = " WHERE (SELECT count(*) FROM t0) >= coalesce($15, 9223372036854775807) \
      AND CASE WHEN $16::text IS NULL THEN (SELECT count(*) FROM w) >= $17 \
               ELSE $16 >= (SELECT edge FROM ticket_search_newest_edge) END";

const PAGE_JOIN: &str = ") p ON TRUE";
const PAGE_ORDER: &str = " ORDER BY p.rank DESC, p.ticket_id";

/// Binds the parameters after the list ones (7..=17), the same on both backends.
macro_rules! bind_rest {
    ($query:expr, $q:expr, $take:expr) => {
        $query
            .bind::<Nullable<Text>, _>($q.category_id)
            .bind::<Nullable<Text>, _>($q.team_id)
            .bind::<Nullable<Text>, _>($q.assignee.as_deref())
            .bind::<Nullable<Timestamp>, _>($q.created_from)
            .bind::<Nullable<Timestamp>, _>($q.created_to)
            .bind::<Nullable<Double>, _>($q.after.as_ref().map(|a| a.0))
            .bind::<Nullable<Text>, _>($q.after.as_ref().map(|a| a.1.as_str()))
            .bind::<BigInt, _>($q.page_rows)
            .bind::<Nullable<BigInt>, _>($take)
            .bind::<Nullable<Text>, _>($q.edge.as_deref())
            .bind::<BigInt, _>($q.window)
    };
}

/// The page's rows of the best `take` candidates, filtered, in rank order.
pub fn candidates(conn: &mut DbConn, q: &CandidateQuery<'_>) -> QueryResult<Vec<Candidate>> {
    match conn {
        DbConn::Sqlite(conn) => {
            let (statuses, priorities) = (nonempty(&q.statuses), nonempty(&q.priorities));
            let json = |list: Option<Vec<String>>| list.map(|l| serde_json::Value::from(l).to_string());
            let query = diesel::sql_query(format!("{SQLITE_MATCH}{SQLITE_FILTERS}{PAGE_JOIN}{PAGE_ORDER}"))
                .bind::<Text, _>(&q.fts5)
                .bind::<Bool, _>(q.every_ticket)
                .bind::<Text, _>(serde_json::Value::from(q.team_ids.to_vec()).to_string())
                .bind::<Text, _>(q.user_id)
                .bind::<Nullable<Text>, _>(json(statuses))
                .bind::<Nullable<Text>, _>(json(priorities));
            // No limit is -1 on SQLite.
            bind_rest!(query, q, Some(q.take.unwrap_or(-1))).load(conn)
        }
        DbConn::Pg(conn) => {
            // The newest documents first: a fraction of the index, and all that the first pages
            // of a common word's search need. No row: they cannot answer, the whole index does.
            if q.take.is_some() {
                let sql = format!("{}{PG_FILTERS}{PAGE_JOIN}{NEWEST_ANSWERS}{PAGE_ORDER}", pg_match(true));
                let rows = pg_candidates(conn, q, &sql)?;
                if !rows.is_empty() {
                    return Ok(rows);
                }
            }
            let sql = format!("{}{PG_FILTERS}{PAGE_JOIN}{PAGE_ORDER}", pg_match(false));
            pg_candidates(conn, q, &sql)
        }
    }
}

fn pg_candidates(conn: &mut diesel::PgConnection, q: &CandidateQuery<'_>, sql: &str) -> QueryResult<Vec<Candidate>> {
    let (statuses, priorities) = (nonempty(&q.statuses), nonempty(&q.priorities));
    let query = diesel::sql_query(sql)
        .bind::<Text, _>(&q.pieces)
        .bind::<Bool, _>(q.every_ticket)
        .bind::<Array<Text>, _>(q.team_ids)
        .bind::<Text, _>(q.user_id)
        .bind::<Nullable<Array<Text>>, _>(statuses)
        .bind::<Nullable<Array<Text>>, _>(priorities);
    bind_rest!(query, q, q.take).load(conn)
}

/// A list filter as bound: `None` when not asked.
fn nonempty(list: &[&str]) -> Option<Vec<String>> {
    (!list.is_empty()).then(|| list.iter().map(|s| s.to_string()).collect())
}
