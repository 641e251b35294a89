//! The catalog of career-action types: names, the guide section, windows, fees, documents and
//! form fields, as data (seeds/career_actions.json, then edited by admins). Which window a date
//! falls in is a pure function, unit-tested here.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Europe::Rome;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::now;
use crate::categories::form::{FormField, Text};
use crate::db::schema::career_action_types;
use crate::db::{write_tx, DbConn};
use crate::domain::Locale;
use crate::error::{FieldErrors, ServiceError};

const SEED: &str = include_str!("../../seeds/career_actions.json");

/// Euro amounts as the guide writes them (95, 16, 111): whole cents, shown as euros.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(into = "f64", try_from = "f64")]
#[schema(value_type = f64)]
pub struct Euros(pub i64);

impl From<Euros> for f64 {
    fn from(e: Euros) -> f64 {
        e.0 as f64 / 100.0
    }
}

impl TryFrom<f64> for Euros {
    type Error = String;
    fn try_from(v: f64) -> Result<Self, String> {
        if v.is_finite() && (0.0..=100_000.0).contains(&v) {
            Ok(Euros((v * 100.0).round() as i64))
        } else {
            Err(format!("{v} is not an amount in euros between 0 and 100000"))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    Regular,
    Late,
}

/// A period in which the procedure is accepted; both days included (Italian dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// None: the guide gives only the end ("entro il 3 ottobre 2025").
    #[serde(default)]
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
    pub kind: WindowKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_fee_eur: Option<Euros>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

impl Window {
    fn contains(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|from| from <= day) && day <= self.to
    }

    /// The last instant of the window: the end of its last day in Rome.
    pub fn closes_at(&self) -> NaiveDateTime {
        let end = self.to.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN));
        Rome.from_local_datetime(&end).earliest().map(|t| t.naive_utc()).unwrap_or(end)
    }
}

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
    windows: Vec<Window>,
    late_fee_eur: Option<Euros>,
    fees: Vec<Fee>,
    required_documents: Vec<Document>,
    fields: Vec<FormField>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WindowState {
    /// The procedure has no windows: accepted any time.
    Always,
    Open,
    Late,
    Closed,
}

/// Where a day falls in a type's windows, and what the student must be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WindowCheck {
    pub state: WindowState,
    /// The last day of the window the day is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closes_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_opens_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_fee_eur: Option<Euros>,
    #[serde(skip_serializing)]
    pub closes_at: Option<NaiveDateTime>,
}

impl CareerActionType {
    pub fn name(&self, locale: Locale) -> &str {
        self.name.get(locale)
    }

    /// The window `day` is in; a regular window wins over a late one on the same day, and of
    /// two regular windows the one closing last.
    pub fn window_on(&self, day: NaiveDate) -> WindowCheck {
        let pick = |kind| self.windows.iter().filter(|w| w.kind == kind && w.contains(day)).max_by_key(|w| w.to);
        let next_opens_on = self.windows.iter().filter_map(|w| w.from).filter(|from| *from > day).min();
        let (state, window) = if self.windows.is_empty() {
            (WindowState::Always, None)
        } else if let Some(w) = pick(WindowKind::Regular) {
            (WindowState::Open, Some(w))
        } else if let Some(w) = pick(WindowKind::Late) {
            (WindowState::Late, Some(w))
        } else {
            (WindowState::Closed, None)
        };
        let late_fee_eur = match state {
            WindowState::Late => window.and_then(|w| w.late_fee_eur).or(self.late_fee_eur),
            WindowState::Closed => self.late_fee_eur,
            WindowState::Always | WindowState::Open => None,
        };
        WindowCheck {
            state,
            closes_on: window.map(|w| w.to),
            next_opens_on: if state == WindowState::Open { None } else { next_opens_on },
            late_fee_eur,
            closes_at: window.map(Window::closes_at),
        }
    }

    /// The warning a request on `day` gets, in the student's language; None inside a regular
    /// window.
    pub fn warning_on(&self, day: NaiveDate, locale: Locale) -> Option<String> {
        let check = self.window_on(day);
        let name = self.name(locale);
        let fee = check.late_fee_eur.map(|f| format!("{:.2}", f64::from(f)).replace('.', ","));
        let text = match (check.state, locale, fee) {
            (WindowState::Always | WindowState::Open, _, _) => return None,
            (WindowState::Late, Locale::It, Some(fee)) => format!(
                "{name}: sei nel periodo tardivo (fino al {}). La richiesta è accettata con un contributo aggiuntivo di € {fee} per istanza fuori termine.",
                check.closes_on.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default()
            ),
            (WindowState::Late, Locale::En, Some(fee)) => format!(
                "{name}: this is the late period (until {}). The request is accepted with an extra fee of €{fee} for a late application.",
                check.closes_on.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default()
            ),
            (WindowState::Late, Locale::It, None) => format!("{name}: sei nel periodo tardivo; la richiesta è accettata."),
            (WindowState::Late, Locale::En, None) => format!("{name}: this is the late period; the request is accepted."),
            (WindowState::Closed, Locale::It, Some(fee)) => format!(
                "{name}: il periodo per presentare la domanda è chiuso. Puoi comunque scriverci; se la domanda sarà accolta fuori termine è previsto un contributo aggiuntivo di € {fee}."
            ),
            (WindowState::Closed, Locale::En, Some(fee)) => format!(
                "{name}: the application period is closed. You may still write to us; if the application is accepted late, an extra fee of €{fee} applies."
            ),
            (WindowState::Closed, Locale::It, None) => {
                format!("{name}: il periodo per presentare la domanda è chiuso. Puoi comunque scriverci.")
            }
            (WindowState::Closed, Locale::En, None) => format!("{name}: the application period is closed. You may still write to us."),
        };
        Some(text)
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
            windows: self.windows.clone(),
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
            windows: d.windows,
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

/// First start: the shipped catalog, unless types exist already (admins' edits are kept).
pub fn seed(conn: &mut DbConn) -> Result<(), ServiceError> {
    let existing: i64 = career_action_types::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(());
    }
    import(conn, &parse_catalog(SEED)?)
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
    fn the_shipped_catalog_has_the_fourteen_types_of_the_spec_and_each_checks() {
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
        ] {
            assert!(slugs.iter().any(|s| s == slug), "{slug} missing");
        }
        assert_eq!(slugs.len(), 14);
        for t in catalog() {
            t.check().unwrap();
        }
    }

    /// Cap. 7: "istanza tardiva di conseguimento seconda laurea dal 4 ottobre al 28 novembre 2025,
    /// con addebito della quota aggiuntiva per istanza fuori termine" (€ 95, cap. 10).
    #[test]
    fn seconda_laurea_is_regular_until_3_october_then_late_with_95_euro_until_28_november() {
        let t = kind("seconda-laurea");
        let open = t.window_on(day(2025, 10, 3));
        assert_eq!((open.state, open.closes_on, open.late_fee_eur), (WindowState::Open, Some(day(2025, 10, 3)), None));
        let late = t.window_on(day(2025, 10, 4));
        assert_eq!(
            (late.state, late.closes_on, late.late_fee_eur),
            (WindowState::Late, Some(day(2025, 11, 28)), Some(Euros(95_00)))
        );
        let closed = t.window_on(day(2025, 11, 29));
        assert_eq!((closed.state, closed.late_fee_eur), (WindowState::Closed, Some(Euros(95_00))));
        let before = t.window_on(day(2025, 8, 5));
        assert_eq!((before.state, before.next_opens_on), (WindowState::Closed, Some(day(2025, 8, 6))));
    }

    /// Cap. 11: "La presentazione del piano di studio oltre le scadenze previste comporterà il
    /// pagamento di una sanzione di euro 50,00"; first-year master's until 21 November 2025.
    #[test]
    fn piano_di_studio_has_two_regular_windows_and_a_50_euro_fee_after_them() {
        let t = kind("piano-di-studio");
        assert_eq!(t.window_on(day(2025, 11, 17)).closes_on, Some(day(2025, 11, 21)));
        assert_eq!(t.window_on(day(2025, 11, 20)).state, WindowState::Open);
        let after = t.window_on(day(2025, 11, 22));
        assert_eq!((after.state, after.late_fee_eur), (WindowState::Closed, Some(Euros(50_00))));
    }

    /// Cap. 9: "Devi presentare la domanda di iscrizione ai corsi singoli nel periodo 1° agosto
    /// 2025 - 15 luglio 2026."
    #[test]
    fn corsi_singoli_window_runs_from_1_august_2025_to_15_july_2026() {
        let t = kind("corsi-singoli");
        assert_eq!(t.window_on(day(2025, 8, 1)).state, WindowState::Open);
        assert_eq!(t.window_on(day(2026, 7, 15)).state, WindowState::Open);
        assert_eq!(t.window_on(day(2026, 7, 16)).state, WindowState::Closed);
        assert_eq!(t.window_on(day(2026, 7, 16)).late_fee_eur, None);
    }

    #[test]
    fn a_type_without_windows_is_always_open_and_never_warns() {
        let t = kind("rinuncia-agli-studi");
        assert_eq!(t.window_on(day(2026, 1, 1)).state, WindowState::Always);
        assert_eq!(t.warning_on(day(2026, 1, 1), Locale::It), None);
    }

    #[test]
    fn warnings_name_the_late_fee_in_the_students_language() {
        let t = kind("trasferimento-in-ingresso");
        let it = t.warning_on(day(2025, 10, 10), Locale::It).unwrap();
        assert!(it.contains("€ 95,00") && it.contains("28/11/2025"), "{it}");
        let en = t.warning_on(day(2025, 12, 1), Locale::En).unwrap();
        assert!(en.contains("closed") && en.contains("€95,00"), "{en}");
        assert_eq!(t.warning_on(day(2025, 9, 1), Locale::En), None);
    }

    #[test]
    fn the_window_closes_at_the_end_of_its_last_day_in_rome() {
        let w = Window { from: None, to: day(2025, 10, 3), kind: WindowKind::Regular, late_fee_eur: None, note: None };
        // 23:59:59 CEST is 21:59:59 UTC.
        assert_eq!(w.closes_at().to_string(), "2025-10-03 21:59:59");
    }

    #[test]
    fn an_edit_with_a_window_ending_before_it_starts_is_refused() {
        let mut t = kind("corsi-singoli");
        t.windows[0].to = day(2025, 7, 1);
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
