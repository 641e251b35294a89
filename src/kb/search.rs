//! Ranked search over the articles, with a highlighted snippet.
//! SQLite: FTS5 over the stored Snowball stems, any query term (OR), bm25 with the title
//! weighing more; the snippet is cut from the original text around the matching words.
//! PostgreSQL: the article's language picks the text-search configuration (italian or english
//! stemmer and stop-words), the query's terms are OR-ed, `ts_rank` orders and `ts_headline` cuts.
//! Snippets are safe HTML: the text escaped, the matching words in `<mark>`.

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::Serialize;

use super::text::{self, fts5_match, query_terms};
use super::Article;
use crate::db::schema::{kb_articles, kb_deflections};
use crate::db::kb_search::{self, Snippets};
use crate::db::DbConn;
use crate::domain::Locale;
use crate::error::ServiceError;

/// Longer queries are refused (422): a question, not a document.
pub const MAX_QUERY_CHARS: usize = 200;
const SNIPPET_WORDS: usize = 30;

/// A query worth searching: trimmed, not blank, not longer than `MAX_QUERY_CHARS`.
pub fn checked_query(q: Option<&str>) -> Result<String, ServiceError> {
    let q = q.unwrap_or("").trim();
    if q.is_empty() {
        return Err(ServiceError::field("q", "must not be empty"));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ServiceError::field("q", format!("must be at most {MAX_QUERY_CHARS} characters")));
    }
    Ok(q.to_owned())
}

/// One search result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KbHit {
    pub id: String,
    pub title: String,
    /// Safe HTML: the text around the matching words, which are in `<mark>`.
    pub snippet: String,
    /// The article's page, `/kb/{slug}`.
    pub url: String,
}


/// The articles best matching `query`, in `locale` or in both languages; those of a past
/// academic year after the others.
#[tracing::instrument(skip(conn))]
pub fn search(conn: &mut DbConn, query: &str, locale: Option<Locale>, limit: i64) -> QueryResult<Vec<KbHit>> {
    search_preferring(conn, query, locale, None, limit)
}

/// `search`, with both languages: those in the query's own language first, and when the
/// query's words do not tell, those in `reader`'s language (the page's), if given.
pub fn search_preferring(
    conn: &mut DbConn,
    query: &str,
    locale: Option<Locale>,
    reader: Option<Locale>,
    limit: i64,
) -> QueryResult<Vec<KbHit>> {
    let limit = limit.clamp(1, 50);
    let wanted = locale.map(Locale::as_str);
    let preferred = locale.or_else(|| text::guess_locale(query)).or(reader).map(Locale::as_str);
    let locales: &[Locale] = match locale {
        Some(Locale::It) => &[Locale::It],
        Some(Locale::En) => &[Locale::En],
        None => &[Locale::It, Locale::En],
    };
    let fts5 = fts5_match(&query_terms(query, locales));
    let Some((rows, snippets)) = kb_search::search(conn, query, fts5, wanted, preferred, limit)? else {
        return Ok(Vec::new());
    };
    let hits = rows
        .into_iter()
        .map(|row| {
            let snippet = match snippets {
                Snippets::Text => {
                    let article_locale = Locale::from_db(&row.locale);
                    let terms = query_terms(query, &[article_locale]);
                    text::snippet(&row.snippet, article_locale, &terms, SNIPPET_WORDS)
                }
                Snippets::Marked => text::marked_to_html(&row.snippet),
            };
            KbHit { url: format!("/kb/{}", row.slug), id: row.id, title: row.title, snippet }
        })
        .collect();
    Ok(hits)
}

pub fn article_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Article>> {
    kb_articles::table.filter(kb_articles::slug.eq(slug)).select(Article::as_select()).first(conn).optional()
}

/// One more view of an article reached from the new-ticket page's suggestions.
pub fn count_deflection(conn: &mut DbConn, article_id: &str) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO kb_deflections (article_id, views) VALUES ($1, 1) \
         ON CONFLICT (article_id) DO UPDATE SET views = kb_deflections.views + 1",
    )
    .bind::<Text, _>(article_id)
    .execute(conn)?;
    Ok(())
}

/// Views from the new-ticket suggestions, by article id.
pub fn deflections(conn: &mut DbConn, article_id: &str) -> QueryResult<i32> {
    kb_deflections::table
        .find(article_id)
        .select(kb_deflections::views)
        .first(conn)
        .optional()
        .map(|v| v.unwrap_or(0))
}
