//! The two dialects of the knowledge base's full-text search.
//! SQLite: FTS5 over stored Snowball stems (the caller's), any query term (OR), bm25 with the
//! title weighing more. PostgreSQL: the article's language picks the text-search configuration,
//! the query's terms are OR-ed, `ts_rank` orders and `ts_headline` cuts the snippet.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::DbConn;

/// An article found: the snippet is its whole body (SQLite: the caller cuts it) or PostgreSQL's
/// headline with the matches between \u{2} and \u{3} (`Snippets` says which).
#[derive(QueryableByName)]
pub struct Row {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub locale: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub snippet: String,
}

// Numbered `?N` parameters: SQLite numbers `$N` ones by first appearance, not by N.
const SQLITE_SEARCH: &str = "SELECT a.id, a.slug, a.locale, a.title, a.body AS snippet \
     FROM kb_fts JOIN kb_articles a ON a.id = kb_fts.article_id \
     WHERE kb_fts MATCH ?1 AND (?2 IS NULL OR a.locale = ?2) \
     ORDER BY a.locale = ?4 DESC, a.past_year, bm25(kb_fts, 0.0, 4.0, 1.0), a.position LIMIT ?3";

// The WHERE expression is the migration's index expression, so the GIN index serves it.
const PG_SEARCH: &str = "WITH q AS ( \
       SELECT replace(plainto_tsquery('italian', $1)::text, '&', '|')::tsquery AS it, \
              replace(plainto_tsquery('english', $1)::text, '&', '|')::tsquery AS en) \
     SELECT a.id, a.slug, a.locale, a.title, \
            ts_headline(c.cfg, a.body, c.q, \
              'MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=\" … \", StartSel=' || chr(2) || ', StopSel=' || chr(3)) AS snippet \
     FROM kb_articles a CROSS JOIN q \
     CROSS JOIN LATERAL (SELECT \
         CASE a.locale WHEN 'it' THEN 'italian'::regconfig ELSE 'english'::regconfig END AS cfg, \
         CASE a.locale WHEN 'it' THEN q.it ELSE q.en END AS q) c \
     WHERE to_tsvector(CASE a.locale WHEN 'it' THEN 'italian'::regconfig ELSE 'english'::regconfig END, a.title || ' ' || a.body) @@ c.q \
       AND ($2::text IS NULL OR a.locale = $2) \
     ORDER BY a.locale = $4::text DESC NULLS LAST, a.past_year, ts_rank(setweight(to_tsvector(c.cfg, a.title), 'A') || to_tsvector(c.cfg, a.body), c.q) DESC, a.position \
     LIMIT $3";

/// What the rows' snippets hold.
pub enum Snippets {
    /// The article's text, to cut around the matches.
    Text,
    /// A cut with the matches marked between \u{2} and \u{3}.
    Marked,
}

/// The best `limit` articles for `query` (`fts5`: its terms as an FTS5 expression; none: no
/// term to look for on SQLite), of locale `wanted` if given, `preferred`'s first, past academic
/// years last. `None` when there is nothing to search for.
pub fn search(
    conn: &mut DbConn,
    query: &str,
    fts5: Option<String>,
    wanted: Option<&str>,
    preferred: Option<&str>,
    limit: i64,
) -> QueryResult<Option<(Vec<Row>, Snippets)>> {
    let (sql, matched, snippets) = match conn {
        DbConn::Sqlite(_) => match fts5 {
            Some(expression) => (SQLITE_SEARCH, expression, Snippets::Text),
            None => return Ok(None),
        },
        DbConn::Pg(_) => (PG_SEARCH, query.to_owned(), Snippets::Marked),
    };
    let rows = diesel::sql_query(sql)
        .bind::<Text, _>(matched)
        .bind::<Nullable<Text>, _>(wanted)
        .bind::<BigInt, _>(limit)
        .bind::<Nullable<Text>, _>(preferred)
        .load(conn)?;
    Ok(Some((rows, snippets)))
}

/// Rewrites an article's entry in SQLite's index (`terms`: the caller's stems of a text);
/// PostgreSQL's expression index needs nothing.
pub fn write_document(conn: &mut DbConn, article_id: &str, title: &str, body: &str, terms: &dyn Fn(&str) -> String) -> QueryResult<()> {
    if let DbConn::Sqlite(_) = conn {
        diesel::sql_query("DELETE FROM kb_fts WHERE article_id = $1").bind::<Text, _>(article_id).execute(conn)?;
        diesel::sql_query("INSERT INTO kb_fts (article_id, title, body) VALUES ($1, $2, $3)")
            .bind::<Text, _>(article_id)
            .bind::<Text, _>(terms(title))
            .bind::<Text, _>(terms(body))
            .execute(conn)?;
    }
    Ok(())
}

/// Drops SQLite's index entries of articles that are gone.
pub fn prune(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Sqlite(_) = conn {
        diesel::sql_query("DELETE FROM kb_fts WHERE article_id NOT IN (SELECT id FROM kb_articles)").execute(conn)?;
    }
    Ok(())
}
