//! `POST /api/v1/career-actions/quote`: the rules of `rules.rs` for one procedure type, from
//! the JSON a client sends, with per-field errors.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};

use super::calendar::{self, AcademicYear, Cohort, YearDates};
use super::part_time;
use super::rules::{self, CapException, Course, Programme, Reduction, RuleError};
use crate::db::DbConn;
use crate::domain::Locale;
use crate::error::{FieldErrors, ServiceError};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    #[serde(rename = "type")]
    pub kind: String,
    /// The rule's inputs; `programme`, `year` and `access` name the cohort whose window applies.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Value,
    /// The day the application is (or was) submitted; default today in Rome.
    #[serde(default)]
    pub submitted_on: Option<NaiveDate>,
}

/// What the rules need beyond the data: the day, and the dated rules of its academic year.
pub struct QuoteContext<'a> {
    pub submitted_on: NaiveDate,
    /// None when the year's calendar is not published.
    pub dates: Option<&'a YearDates>,
}

/// The cohort keys, which are not the rules' inputs (the admission rules keep `programme`).
fn without_cohort(kind: &str, data: Value) -> Value {
    match data {
        Value::Object(mut map) => {
            map.remove("year");
            map.remove("access");
            if !ADMISSION_TYPES.contains(&kind) {
                map.remove("programme");
            }
            Value::Object(map)
        }
        other => other,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorsiSingoli {
    courses: Vec<Course>,
    #[serde(default)]
    reduction: Option<Reduction>,
    #[serde(default)]
    cap_exception: Option<CapException>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Admission {
    programme: Programme,
    recognised_cfu: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rinuncia {
    #[serde(default)]
    submitted_on: Option<NaiveDate>,
    /// An exam passed in the January–February session of the year ("sessione di
    /// gennaio-febbraio"); the older name carried the 2025/2026 year.
    #[serde(default, alias = "passed_exam_in_jan_feb_2026")]
    passed_exam_in_winter_session: bool,
}

#[derive(Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Enrolment {
    InCorso,
    FuoriCorso,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartTime {
    enrolment: Enrolment,
    conditions: Vec<part_time::Condition>,
    #[serde(default)]
    changed_status_before: bool,
}

fn euro(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn data<T: for<'de> Deserialize<'de>>(value: Value) -> Result<T, ServiceError> {
    serde_json::from_value(value).map_err(|e| ServiceError::field("data", e.to_string()))
}

fn rule_error(field: &str, e: RuleError) -> ServiceError {
    ServiceError::field(field, e.to_string())
}

/// Types whose admission year follows from the recognised CFU.
const ADMISSION_TYPES: [&str; 4] = ["abbreviazione-di-corso", "trasferimento-in-ingresso", "seconda-laurea", "re-immatricolazione"];

/// The computed amounts of a type's rule; None for a type without computed rules.
pub fn quote(request: QuoteRequest, ctx: &QuoteContext) -> Result<Option<Value>, ServiceError> {
    let request = QuoteRequest { data: without_cohort(&request.kind, request.data), ..request };
    let value = match request.kind.as_str() {
        "corsi-singoli" => {
            let input: CorsiSingoli = data(request.data)?;
            let q = rules::corsi_singoli(&input.courses, input.reduction, input.cap_exception)
                .map_err(|e| rule_error("data.courses", e))?;
            json!({
                "type": "corsi-singoli",
                "total_cfu": q.total_cfu,
                "fee_eur": euro(q.fee_cents),
                "stamp_duty_eur": euro(q.stamp_duty_cents),
                "total_eur": euro(q.total_cents),
                "due_within_days": q.due_within_days,
                "warnings": q.warnings,
            })
        }
        kind if ADMISSION_TYPES.contains(&kind) => {
            let input: Admission = data(request.data)?;
            let year = rules::admission_year(input.programme, input.recognised_cfu)
                .map_err(|e| rule_error("data.recognised_cfu", e))?;
            json!({"type": kind, "admission_year": year, "late_application_fee_eur": euro(rules::LATE_APPLICATION_FEE)})
        }
        "rinuncia-agli-studi" => {
            let input: Rinuncia = data(request.data)?;
            let q = rules::rinuncia(
                input.submitted_on.unwrap_or(ctx.submitted_on),
                input.passed_exam_in_winter_session,
                ctx.dates.and_then(|d| d.first_instalment_due),
                ctx.dates.and_then(|d| d.second_instalment_due),
            );
            json!({
                "type": "rinuncia-agli-studi",
                "stamp_duty_eur": euro(q.stamp_duty_cents),
                "pay_by": q.pay_by,
                "first_instalment": q.first_instalment,
                "second_instalment": q.second_instalment,
                "warnings": q.warnings,
            })
        }
        "variazione-part-time" => {
            let input: PartTime = data(request.data)?;
            let check =
                part_time::part_time(input.enrolment == Enrolment::InCorso, &input.conditions, input.changed_status_before);
            let mut value = serde_json::to_value(check).map_err(|e| ServiceError::Internal(e.to_string()))?;
            if let Some(map) = value.as_object_mut() {
                map.insert("type".into(), json!("variazione-part-time"));
            }
            value
        }
        _ => return Ok(None),
    };
    Ok(Some(value))
}

/// `POST /career-actions/quote`: the type's amounts (when it has computed rules) and where the
/// submission day falls in the window of the cohort the data names, with what to tell.
pub fn quote_with_window(conn: &mut DbConn, request: QuoteRequest, today: NaiveDate, locale: Locale) -> Result<Value, ServiceError> {
    let kind = match super::catalog::by_slug(conn, request.kind.trim())? {
        Some(t) if t.active => t,
        _ => return Err(ServiceError::field("type", format!("unknown career-action type '{}'", request.kind))),
    };
    let mut errors = FieldErrors::default();
    if !request.data.is_object() && !request.data.is_null() {
        errors.add("data", "must be an object");
    }
    let cohort = Cohort::from_data(&mut errors, "data.", &request.data);
    errors.into_result()?;
    let calendar = calendar::load(conn)?;
    // The rinuncia's own `data.submitted_on` (its older input) names the day too.
    let in_data = request.data.get("submitted_on").and_then(Value::as_str).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let submitted_on = request.submitted_on.or(in_data).unwrap_or(today);
    let window = calendar.status(&kind.slug, submitted_on, &cohort);
    let ctx = QuoteContext { submitted_on, dates: calendar.dates(AcademicYear::of(submitted_on)) };
    let data = if request.data.is_null() { json!({}) } else { request.data };
    let amounts = quote(QuoteRequest { kind: kind.slug.clone(), data, submitted_on: None }, &ctx)?;
    let mut answer = amounts.unwrap_or_else(|| json!({"type": kind.slug}));
    if let Some(map) = answer.as_object_mut() {
        map.insert("submitted_on".into(), json!(submitted_on));
        map.insert("warning".into(), json!(window.warning(kind.name(locale), locale)));
        map.insert("window".into(), serde_json::to_value(&window).map_err(|e| ServiceError::Internal(e.to_string()))?);
    }
    Ok(answer)
}

/// A type as it stands on a day for a cohort: the windows of the academic year the day
/// concerns, and where the day falls in them.
pub struct TypeOnDay {
    pub kind: super::catalog::CareerActionType,
    pub window: calendar::WindowStatus,
}

/// The active types on `on` for `cohort` (`GET /career-action-types`).
pub fn types_on(conn: &mut DbConn, on: NaiveDate, cohort: &Cohort) -> Result<Vec<TypeOnDay>, ServiceError> {
    let calendar = calendar::load(conn)?;
    let types = super::catalog::list(conn, false)?;
    Ok(types
        .into_iter()
        .map(|mut kind| {
            let window = calendar.status(&kind.slug, on, cohort);
            kind.windows = calendar.windows(window.academic_year, &kind.slug).to_vec();
            TypeOnDay { kind, window }
        })
        .collect())
}

/// Every type (retired ones too) with its windows of `year`, for editing.
pub fn types_in_year(conn: &mut DbConn, year: AcademicYear) -> Result<Vec<super::catalog::CareerActionType>, ServiceError> {
    let calendar = calendar::load(conn)?;
    let mut types = super::catalog::list(conn, true)?;
    for kind in &mut types {
        kind.windows = calendar.windows(year, &kind.slug).to_vec();
    }
    Ok(types)
}

/// An admin's edit of a type: its definition, and its windows in `year` (a year the desk does
/// not have yet starts as a draft, to be published).
pub fn save_type(conn: &mut DbConn, kind: &super::catalog::CareerActionType, year: AcademicYear) -> Result<(), ServiceError> {
    crate::db::write_tx(conn, |conn| {
        super::catalog::upsert(conn, kind)?;
        calendar::set_type_windows(conn, year, &kind.slug, &kind.windows)
    })
}
