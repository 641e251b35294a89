//! A category's privacy notice (it/en), versioned as its form is: an edit retires the current
//! text and adds the next version, so a ticket's acknowledged version always names the text
//! its requester read. No current version: the category shows no notice and asks for none.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::form::Text;
use crate::db::privacy_schema::{category_notices, category_retention};
use crate::db::schema::categories;
use crate::db::{write_tx, DbConn};
use crate::domain::{Locale, NoticeVersion};
use crate::error::{Code, FieldErrors, ServiceError};
use crate::ids::{new_id, now};

/// Long enough for a full notice; more is a paste gone wrong.
pub const MAX_NOTICE: usize = 20_000;

/// The current notice of a category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: String,
    pub version: NoticeVersion,
    pub text: Text,
}

/// What the API shows of a notice: its version and text (in the asked language, and both).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeView {
    pub version: NoticeVersion,
    pub text: String,
    pub texts: Text,
}

impl Notice {
    pub fn view(&self, locale: Locale) -> NoticeView {
        NoticeView { version: self.version, text: self.text.get(locale).to_owned(), texts: self.text.clone() }
    }
}

/// The current notices by category id (the newest version not retired).
pub fn current_by_category(conn: &mut DbConn) -> QueryResult<HashMap<String, Notice>> {
    let rows: Vec<(String, String, i32, String, String)> = category_notices::table
        .filter(category_notices::retired.eq(false))
        .order(category_notices::version.asc())
        .select((category_notices::id, category_notices::category_id, category_notices::version, category_notices::text_it, category_notices::text_en))
        .load(conn)?;
    // Ascending: a later (newer) version replaces an older one left unretired.
    Ok(rows
        .into_iter()
        .map(|(id, category, version, it, en)| (category, Notice { id, version: NoticeVersion::stored(version), text: Text { it, en } }))
        .collect())
}

/// An admin's notice: both languages, or neither (no notice).
pub fn check(text: &Text, errors: &mut FieldErrors) {
    let (it, en) = (text.it.trim(), text.en.trim());
    if it.is_empty() != en.is_empty() {
        let missing = if it.is_empty() { "privacy_notice.it" } else { "privacy_notice.en" };
        errors.reject(missing, Code::Required);
    }
    for (field, value) in [("privacy_notice.it", it), ("privacy_notice.en", en)] {
        if value.chars().count() > MAX_NOTICE {
            errors.reject(field, Code::TooLong { max: MAX_NOTICE });
        }
    }
}

/// Sets a category's notice: a changed text becomes the next version, an empty one retires the
/// current (no notice); the same text changes nothing. Answers the current notice.
pub fn set(conn: &mut DbConn, slug: &str, text: &Text) -> Result<Option<Notice>, ServiceError> {
    let mut errors = FieldErrors::default();
    check(text, &mut errors);
    errors.into_result()?;
    // Browsers post a textarea's lines with CRLF: the same text saved again is no new version.
    let same_lines = |t: &str| t.replace("\r\n", "\n").trim().to_owned();
    let text = Text { it: same_lines(&text.it), en: same_lines(&text.en) };
    write_tx(conn, |conn| {
        let category_id: String = categories::table.filter(categories::slug.eq(slug)).select(categories::id).first(conn)?;
        let current = current_by_category(conn)?.remove(&category_id);
        if current.as_ref().map(|n| &n.text) == Some(&text) || (current.is_none() && text.it.is_empty()) {
            return Ok(current);
        }
        diesel::update(category_notices::table.filter(category_notices::category_id.eq(&category_id)))
            .set(category_notices::retired.eq(true))
            .execute(conn)?;
        if text.it.is_empty() {
            return Ok(None);
        }
        insert_version(conn, &category_id, text).map(Some)
    })
}

/// Adds the category's next version (after every version it ever had). Inside a transaction.
fn insert_version(conn: &mut DbConn, category_id: &str, text: Text) -> Result<Notice, ServiceError> {
    let latest: Option<i32> = category_notices::table
        .filter(category_notices::category_id.eq(category_id))
        .select(diesel::dsl::max(category_notices::version))
        .first(conn)?;
    let version = latest.map_or(NoticeVersion::FIRST, |v| NoticeVersion::stored(v).next());
    let notice = Notice { id: new_id(), version, text };
    diesel::insert_into(category_notices::table)
        .values((
            category_notices::id.eq(&notice.id),
            category_notices::category_id.eq(category_id),
            category_notices::version.eq(version.get()),
            category_notices::text_it.eq(&notice.text.it),
            category_notices::text_en.eq(&notice.text.en),
            category_notices::retired.eq(false),
            category_notices::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(notice)
}

#[derive(Deserialize)]
struct Seed {
    /// Who answers for data protection: a placeholder the university fills in (here before the
    /// first start, or on the category's admin page after).
    dpo_contact: Text,
    /// The categories that collect identity documents or career data.
    categories: Vec<String>,
    /// Paragraphs; `{category}`, `{retention}`, `{identity_documents}` and `{dpo}` filled in.
    text: Lines,
}

#[derive(Deserialize)]
struct Lines {
    it: Vec<String>,
    en: Vec<String>,
}

/// "5 anni" / "90 days": a period as the notice says it.
fn period(days: i32, locale: Locale) -> String {
    let (years, unit) = match (days % 365 == 0, locale) {
        (true, Locale::It) => (days / 365, if days == 365 { "anno" } else { "anni" }),
        (true, Locale::En) => (days / 365, if days == 365 { "year" } else { "years" }),
        (false, Locale::It) => (days, if days == 1 { "giorno" } else { "giorni" }),
        (false, Locale::En) => (days, if days == 1 { "day" } else { "days" }),
    };
    format!("{years} {unit}")
}

fn fill(lines: &[String], locale: Locale, name: &str, retention: i32, identity_days: Option<i32>, dpo: &str) -> String {
    let identity = match (identity_days, locale) {
        (Some(days), Locale::It) => format!(" I documenti d'identità allegati sono cancellati {} dopo la chiusura.", period(days, locale)),
        (Some(days), Locale::En) => format!(" Attached identity documents are deleted {} after closing.", period(days, locale)),
        (None, _) => String::new(),
    };
    lines
        .join("\n\n")
        .replace("{category}", name)
        .replace("{retention}", &period(retention, locale))
        .replace("{identity_documents}", &identity)
        .replace("{dpo}", dpo)
}

/// A category the seed writes for: id, Italian and English names, retention and identity
/// documents' days.
type SeedTarget = (String, String, String, Option<i32>, Option<i32>);

/// The default notice (`seeds/privacy_notices.json`) for the listed categories that never had
/// one, with each category's retention. Run after the retention seed; idempotent.
pub fn seed(conn: &mut DbConn) -> Result<(), ServiceError> {
    let seed: Seed = serde_json::from_str(include_str!("../../seeds/privacy_notices.json"))
        .map_err(|e| ServiceError::Internal(format!("privacy notices seed: {e}")))?;
    write_tx(conn, |conn| -> Result<(), ServiceError> {
        for slug in &seed.categories {
            let found: Option<SeedTarget> = categories::table
                .left_join(category_retention::table.on(category_retention::category_id.eq(categories::id)))
                .filter(categories::slug.eq(slug))
                .select((
                    categories::id,
                    categories::name_it,
                    categories::name_en,
                    category_retention::retention_days.nullable(),
                    category_retention::identity_documents_days.nullable(),
                ))
                .first(conn)
                .optional()?;
            let Some((id, name_it, name_en, retention, identity)) = found else { continue };
            let had: i64 = category_notices::table.filter(category_notices::category_id.eq(&id)).count().get_result(conn)?;
            if had > 0 {
                continue;
            }
            let retention = retention.unwrap_or(crate::privacy::retention::DEFAULT_RETENTION_DAYS);
            let text = Text {
                it: fill(&seed.text.it, Locale::It, &name_it, retention, identity, &seed.dpo_contact.it),
                en: fill(&seed.text.en, Locale::En, &name_en, retention, identity, &seed.dpo_contact.en),
            };
            insert_version(conn, &id, text)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(it: &str, en: &str) -> Text {
        Text { it: it.into(), en: en.into() }
    }

    #[test]
    fn a_notice_is_in_both_languages_or_in_neither() {
        for (it, en, fields) in [("a", "b", vec![]), ("", "", vec![]), ("a", " ", vec!["privacy_notice.en"]), ("", "b", vec!["privacy_notice.it"])] {
            let mut errors = FieldErrors::default();
            check(&text(it, en), &mut errors);
            let found: Vec<String> = match errors.into_result() {
                Err(ServiceError::Validation(list)) => list.into_iter().map(|e| e.field).collect(),
                _ => Vec::new(),
            };
            assert_eq!(found, fields, "{it:?} / {en:?}");
        }
    }

    #[test]
    fn periods_read_in_years_when_whole() {
        assert_eq!(period(1825, Locale::It), "5 anni");
        assert_eq!(period(365, Locale::En), "1 year");
        assert_eq!(period(90, Locale::En), "90 days");
        assert_eq!(period(1, Locale::It), "1 giorno");
    }

    #[test]
    fn the_seed_fills_every_placeholder() {
        let lines = vec!["{category}: {retention}.{identity_documents}".to_owned(), "DPO: {dpo}".to_owned()];
        let filled = fill(&lines, Locale::It, "Credenziali", 1825, Some(90), "dpo@uni.it");
        assert_eq!(filled, "Credenziali: 5 anni. I documenti d'identità allegati sono cancellati 90 giorni dopo la chiusura.\n\nDPO: dpo@uni.it");
        assert!(!fill(&lines, Locale::En, "X", 90, None, "d").contains('{'));
    }
}
