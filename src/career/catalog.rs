//! The catalog of career-action types: names, the guide section, windows, fees, documents and
//! form fields, as data (seeds/career_actions.json, then edited by admins). Which window a date
//! falls in is a pure function, unit-tested here.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::ids::now;
use crate::categories::form::{FormField, Text};
use crate::db::schema::career_action_types;
use crate::db::{write_tx, DbConn};
use crate::domain::Locale;
use crate::error::{FieldErrors, ServiceError};

const SEED: &str = include_str!("../../seeds/career_actions.json");

pub use super::calendar::{Window, WindowKind};
pub use super::money::Euros;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    pub label: Text,
    pub eur: Euros,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub key: String,
    pub label: Text,
}

/// Which computed rule of `rules.rs` gives the procedure's amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FeeRule {
    CorsiSingoli,
    AdmissionYear,
    Rinuncia,
    PartTime,
    /// € 95 + € 16 of stamp duty (riconoscimento titolo estero).
    ApplicationFee,
    /// € 52 per master's course, at most two.
    PreEnrolment,
    /// Extra-curricular exams and their CFU in the degree average.
    ExtraExams,
    /// Enrolment: the TOLC's validity and deadline.
    Enrolment,
    /// Passaggio di corso: not into a first year of a programmed-access course, the TOLC.
    CourseChange,
    /// Outgoing transfer: not after enrolling in the first year of a programmed-access course.
    OutgoingTransfer,
}

/// One type as the seed file, the admin API and `GET /career-action-types` write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CareerActionType {
    pub slug: String,
    pub name: Text,
    pub guide_section: String,
    /// The ticket category a request about it goes to.
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub position: i32,
    #[serde(default)]
    pub fee_rule: Option<FeeRule>,
    /// The windows of one academic year (they live in the calendar, `calendar.rs`): on reading,
    /// the year asked about; on writing (admins), they replace that year's windows of the type.
    #[serde(default)]
    pub windows: Vec<Window>,
    /// Charged for a request outside the regular windows ("istanza fuori termine").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_fee_eur: Option<Euros>,
    #[serde(default)]
    pub fees: Vec<Fee>,
    #[serde(default)]
    pub required_documents: Vec<Document>,
    #[serde(default)]
    pub fields: Vec<FormField>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// What is stored in `definition`: everything but the columns of their own.
#[derive(Serialize, Deserialize)]
struct Definition {
    late_fee_eur: Option<Euros>,
    fees: Vec<Fee>,
    required_documents: Vec<Document>,
    fields: Vec<FormField>,
}

impl CareerActionType {
    pub fn name(&self, locale: Locale) -> &str {
        self.name.get(locale)
    }

    /// Checks an admin's edit: slug, names, windows in order, fields well formed.
    pub fn check(&self) -> Result<(), ServiceError> {
        let mut errors = FieldErrors::default();
        let slug_ok = !self.slug.is_empty()
            && self.slug.len() <= 60
            && self.slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !slug_ok {
            errors.add("slug", "use 1-60 lowercase letters, digits and dashes");
        }
        for (field, text) in [("name.it", &self.name.it), ("name.en", &self.name.en), ("guide_section", &self.guide_section)] {
            if text.trim().is_empty() || text.chars().count() > 200 {
                errors.add(field, "is required, at most 200 characters");
            }
        }
        for (i, w) in self.windows.iter().enumerate() {
            if w.from.is_some_and(|from| from > w.to) {
                errors.add(format!("windows[{i}].to"), "is before from");
            }
        }
        let mut keys = std::collections::HashSet::new();
        for (i, f) in self.fields.iter().enumerate() {
            if !keys.insert(f.key.as_str()) {
                errors.add(format!("fields[{i}].key"), "is repeated");
            }
        }
        errors.into_result()
    }

    fn definition(&self) -> Result<String, ServiceError> {
        let definition = Definition {
            late_fee_eur: self.late_fee_eur,
            fees: self.fees.clone(),
            required_documents: self.required_documents.clone(),
            fields: self.fields.clone(),
        };
        serde_json::to_string(&definition).map_err(|e| ServiceError::Internal(e.to_string()))
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = career_action_types)]
struct TypeRow {
    slug: String,
    position: i32,
    name_it: String,
    name_en: String,
    guide_section: String,
    category_slug: Option<String>,
    fee_rule: Option<String>,
    definition: String,
    active: bool,
}

impl TypeRow {
    fn into_type(self) -> Result<CareerActionType, ServiceError> {
        let broken = |e: String| ServiceError::Internal(format!("career-action type {}: {e}", self.slug));
        let d: Definition = serde_json::from_str(&self.definition).map_err(|e| broken(e.to_string()))?;
        let fee_rule = match &self.fee_rule {
            Some(rule) => {
                Some(serde_json::from_value(serde_json::Value::String(rule.clone())).map_err(|e| broken(e.to_string()))?)
            }
            None => None,
        };
        Ok(CareerActionType {
            slug: self.slug,
            name: Text { it: self.name_it, en: self.name_en },
            guide_section: self.guide_section,
            category: self.category_slug,
            position: self.position,
            fee_rule,
            windows: Vec::new(),
            late_fee_eur: d.late_fee_eur,
            fees: d.fees,
            required_documents: d.required_documents,
            fields: d.fields,
            active: self.active,
        })
    }
}

fn fee_rule_name(rule: Option<FeeRule>) -> Option<String> {
    rule.and_then(|r| serde_json::to_value(r).ok()).and_then(|v| v.as_str().map(str::to_owned))
}

/// Every type, in catalog order; `all` includes the retired ones.
pub fn list(conn: &mut DbConn, all: bool) -> Result<Vec<CareerActionType>, ServiceError> {
    let mut query = career_action_types::table.select(TypeRow::as_select()).into_boxed();
    if !all {
        query = query.filter(career_action_types::active.eq(true));
    }
    let rows: Vec<TypeRow> = query.order((career_action_types::position, career_action_types::slug)).load(conn)?;
    rows.into_iter().map(TypeRow::into_type).collect()
}

pub fn by_slug(conn: &mut DbConn, slug: &str) -> Result<Option<CareerActionType>, ServiceError> {
    let row: Option<TypeRow> = career_action_types::table.find(slug).select(TypeRow::as_select()).first(conn).optional()?;
    row.map(TypeRow::into_type).transpose()
}

/// Inserts or replaces one type (admins, `import-catalog`). Call inside a write transaction.
pub fn upsert(conn: &mut DbConn, t: &CareerActionType) -> Result<(), ServiceError> {
    t.check()?;
    let values = (
        career_action_types::position.eq(t.position),
        career_action_types::name_it.eq(&t.name.it),
        career_action_types::name_en.eq(&t.name.en),
        career_action_types::guide_section.eq(&t.guide_section),
        career_action_types::category_slug.eq(&t.category),
        career_action_types::fee_rule.eq(fee_rule_name(t.fee_rule)),
        career_action_types::definition.eq(t.definition()?),
        career_action_types::active.eq(t.active),
        career_action_types::updated_at.eq(now()),
    );
    let updated = diesel::update(career_action_types::table.find(&t.slug)).set(values.clone()).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(career_action_types::table).values((career_action_types::slug.eq(&t.slug), values)).execute(conn)?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct Seed {
    types: Vec<CareerActionType>,
}

/// The catalog shipped with the desk (or another file in the same shape).
pub fn parse_catalog(json: &str) -> Result<Vec<CareerActionType>, ServiceError> {
    let seed: Seed = serde_json::from_str(json).map_err(|e| ServiceError::field("catalog", e.to_string()))?;
    Ok(seed.types)
}

/// At start: the shipped types the desk does not have yet (all of them on the first start; a
/// type added to the shipped catalog later, like the outgoing transfer). Types the desk has are
/// left as admins edited them (types are retired, never deleted).
pub fn seed(conn: &mut DbConn) -> Result<(), ServiceError> {
    let existing: Vec<String> = career_action_types::table.select(career_action_types::slug).load(conn)?;
    let missing: Vec<CareerActionType> = parse_catalog(SEED)?.into_iter().filter(|t| !existing.contains(&t.slug)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    import(conn, &missing)
}

/// `helpdesk import-catalog [FILE]`: every type of the file inserted or replaced.
pub fn import(conn: &mut DbConn, types: &[CareerActionType]) -> Result<(), ServiceError> {
    write_tx(conn, |conn| types.iter().try_for_each(|t| upsert(conn, t)))
}

pub fn shipped_catalog() -> &'static str {
    SEED
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn catalog() -> Vec<CareerActionType> {
        parse_catalog(SEED).unwrap()
    }

    fn kind(slug: &str) -> CareerActionType {
        catalog().into_iter().find(|t| t.slug == slug).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_shipped_catalog_has_the_types_of_the_spec_and_the_outgoing_transfer_and_each_checks() {
        let slugs: Vec<String> = catalog().iter().map(|t| t.slug.clone()).collect();
        for slug in [
            "immatricolazione",
            "trasferimento-in-ingresso",
            "passaggio-di-corso",
            "seconda-laurea",
            "abbreviazione-di-corso",
            "re-immatricolazione",
            "riconoscimento-titolo-estero",
            "corsi-singoli",
            "piano-di-studio",
            "esami-soprannumerari",
            "variazione-part-time",
            "rinuncia-agli-studi",
            "preiscrizione-laurea-magistrale",
            "test-ita-l2",
            "trasferimento-in-uscita",
        ] {
            assert!(slugs.iter().any(|s| s == slug), "{slug} missing");
        }
        assert_eq!(slugs.len(), 15);
        for t in catalog() {
            t.check().unwrap();
        }
    }

    #[test]
    fn an_edit_with_a_window_ending_before_it_starts_is_refused() {
        let mut t = kind("corsi-singoli");
        t.windows = vec![Window {
            from: Some(day(2025, 8, 1)),
            to: day(2025, 7, 1),
            kind: WindowKind::Regular,
            late_fee_eur: None,
            cohort: Default::default(),
            after_close: Default::default(),
            note: None,
        }];
        assert!(t.check().is_err());
        t = kind("corsi-singoli");
        t.slug = "Corsi Singoli".into();
        assert!(t.check().is_err());
    }

    #[test]
    fn amounts_in_euros_round_trip_as_cents() {
        let e: Euros = serde_json::from_str("95").unwrap();
        assert_eq!(e, Euros(95_00));
        assert_eq!(serde_json::to_string(&Euros(16_50)).unwrap(), "16.5");
        assert!(serde_json::from_str::<Euros>("-1").is_err());
    }
}
