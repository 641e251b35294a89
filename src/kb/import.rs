//! Guides into articles: one per section (see `split`), language from the file name
//! (`*.it.txt`, `*.en.txt`; guessed from the words when the name does not say). Idempotent:
//! a re-import replaces each article by its slug (keeping its id) and removes the sections a
//! guide no longer has.

use std::path::Path;

use diesel::prelude::*;

use super::split::split;
use super::text::{self, slugify};
use super::Article;
use crate::ids::{new_id, now};
use crate::db::schema::kb_articles;
use crate::db::{write_tx, DbConn};
use crate::domain::Locale;

/// The guides shipped in the binary: the files of `seeds/guides/`.
#[derive(rust_embed::Embed)]
#[folder = "seeds/guides/"]
#[include = "*.txt"]
struct Shipped;

/// One guide file: its name and its text.
#[derive(Debug, Clone)]
pub struct Guide {
    pub file_name: String,
    pub text: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub guides: usize,
    pub articles: usize,
    pub removed: usize,
}

impl Guide {
    /// The guides of `seeds/guides/`, embedded at build time.
    pub fn shipped() -> Vec<Guide> {
        let mut names: Vec<String> = Shipped::iter().map(|n| n.into_owned()).collect();
        names.sort();
        names
            .into_iter()
            .filter_map(|name| {
                let file = Shipped::get(&name)?;
                let text = String::from_utf8_lossy(&file.data).into_owned();
                Some(Guide { file_name: name, text })
            })
            .collect()
    }

    /// The `*.txt` files of a folder, by name.
    pub fn read_dir(dir: &Path) -> std::io::Result<Vec<Guide>> {
        let mut guides = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "txt") {
                let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                guides.push(Guide { file_name, text: std::fs::read_to_string(&path)? });
            }
        }
        guides.sort_by(|a, b| a.file_name.cmp(&b.file_name));
        Ok(guides)
    }

    /// `name.it.txt` → Italian, `name.en.txt` → English; else the language whose common words
    /// the text uses more.
    pub fn locale(&self) -> Locale {
        let stem = self.file_name.trim_end_matches(".txt");
        if stem.ends_with(".en") {
            return Locale::En;
        }
        if stem.ends_with(".it") {
            return Locale::It;
        }
        let count = |list: &[&str]| text::words(&self.text).filter(|(_, w)| list.contains(&w.to_lowercase().as_str())).count();
        if count(&["the", "and", "you", "your", "of", "to"]) > count(&["il", "la", "di", "e", "per", "che"]) {
            Locale::En
        } else {
            Locale::It
        }
    }

    /// The guide's name in slugs: the file name without language and extension.
    pub fn source(&self) -> String {
        let stem = self.file_name.trim_end_matches(".txt");
        let stem = stem.strip_suffix(".it").or_else(|| stem.strip_suffix(".en")).unwrap_or(stem);
        slugify(stem)
    }

    /// The guide's articles, in order, with unique slugs.
    pub fn articles(&self) -> Vec<Article> {
        let locale = self.locale();
        let source = self.source();
        let created_at = now();
        let mut slugs: Vec<String> = Vec::new();
        let sections = split(&self.text, locale);
        // The newest academic year a chapter names ("… a.a. 2025-2026"); chapters naming an
        // older one are about a past year.
        let newest = sections.iter().filter_map(|s| academic_year_in(&s.chapter)).max();
        sections
            .into_iter()
            .enumerate()
            .map(|(i, section)| {
                let base = match slugify(&section.title) {
                    s if s.is_empty() => format!("{source}-{}", i + 1),
                    s => format!("{source}-{s}"),
                };
                let mut slug = base.clone();
                let mut n = 2;
                while slugs.contains(&slug) {
                    slug = format!("{base}-{n}");
                    n += 1;
                }
                slugs.push(slug.clone());
                Article {
                    id: new_id(),
                    slug,
                    locale: locale.as_str().to_owned(),
                    title: section.title,
                    body: section.body.trim().to_owned(),
                    source: source.clone(),
                    past_year: academic_year_in(&section.chapter).zip(newest).is_some_and(|(year, newest)| year < newest),
                    section: section.chapter,
                    position: i32::try_from(i).unwrap_or(i32::MAX),
                    created_at,
                }
            })
            .collect()
    }
}

/// The first year of "a.a. 2024-2025" (or "2024/2025") in a title.
fn academic_year_in(title: &str) -> Option<i32> {
    let lower = title.to_lowercase();
    let at = lower.find("a.a. ")? + "a.a. ".len();
    let rest = &lower[at..];
    let first: i32 = rest.get(..4)?.parse().ok()?;
    let second: i32 = rest.get(5..9)?.parse().ok()?;
    (second == first + 1).then_some(first)
}

/// Stores the guides' articles in one write transaction.
#[tracing::instrument(skip_all, fields(guides = guides.len()))]
pub fn import_guides(conn: &mut DbConn, guides: &[Guide]) -> QueryResult<ImportReport> {
    write_tx(conn, |conn| {
        let mut report = ImportReport { guides: guides.len(), ..ImportReport::default() };
        for guide in guides {
            let articles = guide.articles();
            let source = guide.source();
            let slugs: Vec<String> = articles.iter().map(|a| a.slug.clone()).collect();
            report.removed += diesel::delete(
                kb_articles::table.filter(kb_articles::source.eq(&source)).filter(kb_articles::slug.ne_all(&slugs)),
            )
            .execute(conn)?;
            for mut article in articles {
                let existing: Option<String> =
                    kb_articles::table.filter(kb_articles::slug.eq(&article.slug)).select(kb_articles::id).first(conn).optional()?;
                match existing {
                    Some(id) => {
                        article.id = id;
                        diesel::update(kb_articles::table.find(&article.id))
                            .set((
                                kb_articles::locale.eq(&article.locale),
                                kb_articles::title.eq(&article.title),
                                kb_articles::body.eq(&article.body),
                                kb_articles::source.eq(&article.source),
                                kb_articles::section.eq(&article.section),
                                kb_articles::position.eq(article.position),
                                kb_articles::past_year.eq(article.past_year),
                            ))
                            .execute(conn)?;
                    }
                    None => {
                        diesel::insert_into(kb_articles::table).values(&article).execute(conn)?;
                    }
                }
                index(conn, &article)?;
                report.articles += 1;
            }
        }
        crate::db::kb_search::prune(conn)?;
        Ok(report)
    })
}

/// The article's entry in the search index (SQLite keeps its stems).
fn index(conn: &mut DbConn, article: &Article) -> QueryResult<()> {
    let locale = Locale::from_db(&article.locale);
    crate::db::kb_search::write_document(conn, &article.id, &article.title, &article.body, &|t| text::stemmed(t, locale))
}

/// At start: the shipped guides, when the knowledge base is empty (so a fresh desk has one).
pub fn import_if_empty(conn: &mut DbConn) -> QueryResult<Option<ImportReport>> {
    let count: i64 = kb_articles::table.count().get_result(conn)?;
    if count > 0 {
        return Ok(None);
    }
    import_guides(conn, &Guide::shipped()).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_and_source_come_from_the_file_name() {
        let g = |name: &str, text: &str| Guide { file_name: name.into(), text: text.into() };
        assert_eq!(g("unibo-credentials.en.txt", "").locale(), Locale::En);
        assert_eq!(g("unibg-guida-2025-2026.it.txt", "").source(), "unibg-guida-2025-2026");
        assert_eq!(g("000_0e29.txt", "If you can't remember your password you can reset it.").locale(), Locale::En);
        assert_eq!(g("003_b0.txt", "La domanda di rinuncia agli studi si presenta online e per").locale(), Locale::It);
    }

    #[test]
    fn the_shipped_guides_make_unique_slugs() {
        let guides = Guide::shipped();
        assert_eq!(guides.len(), 2);
        let articles: Vec<Article> = guides.iter().flat_map(Guide::articles).collect();
        let mut slugs: Vec<&str> = articles.iter().map(|a| a.slug.as_str()).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), articles.len());
        assert!(articles.iter().any(|a| a.slug.starts_with("unibo-credentials-can-t-remember")), "{slugs:?}");
    }

    /// "8. ISCRIZIONE A CORSI SINGOLI a.a. 2024-2025" is a past year beside "9. … a.a. 2025-2026".
    #[test]
    fn the_past_years_chapter_is_marked_and_articles_are_section_sized() {
        let articles: Vec<Article> = Guide::shipped().iter().flat_map(Guide::articles).collect();
        let past: Vec<&str> = articles.iter().filter(|a| a.past_year).map(|a| a.section.as_str()).collect();
        assert!(!past.is_empty() && past.iter().all(|s| s.contains("2024-2025")), "{past:?}");
        assert!(articles.iter().any(|a| a.section.contains("2025-2026") && a.title.contains("CORSI SINGOLI") && !a.past_year));
        let longest = articles.iter().map(|a| (a.body.split_whitespace().count(), a.title.as_str())).max();
        assert!(longest.is_some_and(|(words, _)| words <= super::super::split::MAX_ARTICLE_WORDS), "{longest:?}");
        assert_eq!(academic_year_in("ISCRIZIONE A CORSI SINGOLI a.a. 2024-2025"), Some(2024));
        assert_eq!(academic_year_in("RINUNCIA AGLI STUDI"), None);
    }
}
