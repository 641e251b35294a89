//! The knowledge base: the guides' sections as searchable articles (Italian and English).
//! `import` splits the guides into articles and stores them; `search` ranks them for a query
//! (SQLite FTS5 over Snowball stems, PostgreSQL tsvector with the article's language).

pub mod import;
pub mod search;
pub mod split;
pub mod text;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::kb_articles;
use crate::domain::Locale;

pub use import::{import_guides, import_if_empty, Guide, ImportReport};
pub use search::{article_by_slug, checked_query, count_deflection, search, search_preferring, KbHit, MAX_QUERY_CHARS};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = kb_articles)]
pub struct Article {
    pub id: String,
    pub slug: String,
    pub locale: Locale,
    pub title: String,
    pub body: String,
    /// The guide it comes from (its file name without language and extension).
    pub source: String,
    /// The chapter of the guide it belongs to.
    pub section: String,
    pub position: i32,
    pub created_at: NaiveDateTime,
    /// A section about an academic year before the guide's own (its 2024-2025 single
    /// courses): shown as such and ranked after the current ones.
    pub past_year: bool,
}

impl Article {
    pub fn url(&self) -> String {
        format!("/kb/{}", self.slug)
    }
}
