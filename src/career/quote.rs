//! `POST /api/v1/career-actions/quote`: the rules of `rules.rs` for one procedure type, from
//! the JSON a client sends, with per-field errors.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};

use super::calendar::{self, AcademicYear, Access, Cohort, Level, YearDates};
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

/// The cohort keys a type's rule reads itself; the others only pick the window.
fn cohort_keys_read(kind: &str) -> &'static [&'static str] {
    match kind {
        k if ADMISSION_TYPES.contains(&k) => &["programme"],
        "esami-soprannumerari" => &["programme"],
        "passaggio-di-corso" => &["access"],
        "trasferimento-in-uscita" => &["access", "year"],
        _ => &[],
    }
}

fn without_cohort(kind: &str, data: Value) -> Value {
    match data {
        Value::Object(mut map) => {
            for key in ["programme", "year", "access"] {
                if !cohort_keys_read(kind).contains(&key) {
                    map.remove(key);
                }
            }
            Value::Object(map)
        }
        other => other,
    }
}

/// "… la tassa regionale per il Diritto allo Studio Universitario e l'imposta di bollo assolta in
/// modo virtuale per un totale di 156,00 euro" (cap. 4).
#[allow(clippy::inconsistent_digit_grouping)]
const ENROLMENT_FEE: i64 = 156_00;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreEnrolment {
    #[serde(default)]
    courses: Option<Vec<String>>,
    #[serde(default)]
    course: Option<String>,
    #[serde(default)]
    second_course: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtraExamsInput {
    programme: String,
    courses: Vec<Course>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrolmentInput {
    #[serde(default)]
    tolc_taken_on: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseChange {
    /// The year of course asked for in the new programme.
    #[serde(default)]
    to_year: Option<u8>,
    #[serde(default)]
    access: Option<Access>,
    #[serde(default)]
    tolc_taken_on: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutgoingTransfer {
    #[serde(default)]
    access: Option<Access>,
    #[serde(default)]
    year: Option<u8>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Instalment {
    Renewal,
    First,
    Second,
}

/// `contribuzione`: a yearly instalment paid on a day, and its surcharge.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Contribution {
    instalment: Instalment,
    #[serde(default)]
    paid_on: Option<NaiveDate>,
}

fn fee_json(kind: &str) -> Value {
    let f = rules::application_fee();
    json!({"type": kind, "fee_eur": euro(f.fee_cents), "stamp_duty_eur": euro(f.stamp_duty_cents), "total_eur": euro(f.total_cents)})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorsiSingoli {
    courses: Vec<Course>,
    /// The first exam the student means to take: the payment is due 15 working days before.
    #[serde(default)]
    exam_date: Option<NaiveDate>,
    #[serde(default)]
    reduction: Option<Reduction>,
    #[serde(default)]
    cap_exception: Option<CapException>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Admission {
    programme: Programme,
    #[serde(default)]
    recognised_cfu: Option<i64>,
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
                "pay_by_for_exam": input.exam_date.map(rules::corsi_singoli_pay_by),
                "warnings": q.warnings,
            })
        }
        kind if ADMISSION_TYPES.contains(&kind) => {
            let input: Admission = data(request.data)?;
            let year = input
                .recognised_cfu
                .map(|cfu| rules::admission_year(input.programme, cfu))
                .transpose()
                .map_err(|e| rule_error("data.recognised_cfu", e))?;
            let mut value = json!({"type": kind, "admission_year": year, "late_application_fee_eur": euro(rules::LATE_APPLICATION_FEE)});
            if let Some(map) = value.as_object_mut() {
                if kind == "trasferimento-in-ingresso" {
                    // "… il contributo di 95,00 euro per la valutazione della carriera pregressa".
                    map.insert("fee_eur".into(), json!(euro(rules::APPLICATION_FEE)));
                    map.insert("total_eur".into(), json!(euro(rules::APPLICATION_FEE)));
                } else if let Some(fees) = fee_json(kind).as_object() {
                    map.extend(fees.clone());
                }
            }
            value
        }
        "riconoscimento-titolo-estero" => fee_json("riconoscimento-titolo-estero"),
        "preiscrizione-laurea-magistrale" => {
            let input: PreEnrolment = data(request.data)?;
            let courses: Vec<String> = match input.courses {
                Some(list) => list,
                None => [input.course, input.second_course].into_iter().flatten().collect(),
            };
            let courses: Vec<String> = courses.into_iter().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect();
            let total = rules::pre_enrolment(courses.len()).map_err(|e| rule_error("data.courses", e))?;
            json!({"type": "preiscrizione-laurea-magistrale", "courses": courses, "fee_per_course_eur": euro(rules::PRE_ENROLMENT_FEE),
                   "total_eur": euro(total), "max_courses": rules::PRE_ENROLMENT_MAX_COURSES})
        }
        "esami-soprannumerari" => {
            let input: ExtraExamsInput = data(request.data)?;
            let level = Level::parse(&input.programme).map_err(|e| ServiceError::field("data.programme", e))?;
            let q = rules::extra_exams(level, &input.courses).map_err(|e| rule_error("data.courses", e))?;
            serde_json::to_value(q).map_err(|e| ServiceError::Internal(e.to_string()))?
        }
        "immatricolazione" => {
            let input: EnrolmentInput = data(request.data)?;
            let dates = ctx.dates;
            let regular_due = dates.and_then(|d| d.tolc_due);
            // In the late period the TOLC may be taken until the late deadline.
            let due = match (regular_due, dates.and_then(|d| d.tolc_late_due)) {
                (Some(regular), Some(late)) if ctx.submitted_on > regular => Some(late),
                (regular, _) => regular,
            };
            let warnings = rules::tolc_problems(input.tolc_taken_on, dates.and_then(|d| d.tolc_valid_from), due);
            json!({"type": "immatricolazione", "fee_eur": euro(ENROLMENT_FEE), "tolc_due_by": due, "warnings": warnings})
        }
        "passaggio-di-corso" => {
            let input: CourseChange = data(request.data)?;
            if input.to_year == Some(1) && input.access == Some(Access::Programmato) {
                // Cap. 4, corsi ad accesso programmato: "Non sono consentiti i passaggi di corso al primo anno".
                return Err(ServiceError::field("data.to_year", "no change of programme into the first year of a programmed-access course"));
            }
            let dates = ctx.dates;
            // "… salvo che tu lo abbia già sostenuto in data successiva al 1° gennaio 2024".
            let warnings = rules::tolc_problems(input.tolc_taken_on, dates.and_then(|d| d.tolc_valid_from), None);
            json!({"type": "passaggio-di-corso", "late_application_fee_eur": euro(rules::LATE_APPLICATION_FEE), "warnings": warnings})
        }
        "trasferimento-in-uscita" => {
            let input: OutgoingTransfer = data(request.data)?;
            let mut problems = Vec::new();
            if input.access == Some(Access::Programmato) && input.year == Some(1) {
                problems.push("after enrolling in the first year of a programmed-access course, no transfer to another university".to_owned());
            }
            json!({"type": "trasferimento-in-uscita", "eligible": problems.is_empty(), "problems": problems,
                   "late_application_fee_eur": euro(rules::LATE_APPLICATION_FEE)})
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

/// Quotes that are not procedures: a yearly instalment's surcharge, the ISEEU attestation.
pub const QUOTE_ONLY: [&str; 2] = ["contribuzione", "attestazione-iseeu"];

fn quote_only(kind: &str, input: Value, ctx: &QuoteContext) -> Result<Value, ServiceError> {
    let unpublished = || ServiceError::field("submitted_on", "the calendar of that academic year is not published yet");
    let dates = ctx.dates.ok_or_else(unpublished)?;
    match kind {
        "contribuzione" => {
            let input: Contribution = data(input)?;
            let due = match input.instalment {
                Instalment::Renewal => dates.renewal_due,
                Instalment::First => dates.first_instalment_due,
                Instalment::Second => dates.second_instalment_due,
            }
            .ok_or_else(unpublished)?;
            let paid_on = input.paid_on.unwrap_or(ctx.submitted_on);
            let surcharge = rules::instalment_surcharge(due, paid_on);
            Ok(json!({"type": kind, "due_on": due, "paid_on": paid_on, "days_late": (paid_on - due).num_days().max(0),
                      "surcharge_eur": euro(surcharge)}))
        }
        _ => {
            let (Some(due), Some(until)) = (dates.iseeu_due, dates.iseeu_late_until) else {
                return Err(unpublished());
            };
            let q = rules::iseeu(ctx.submitted_on, due, until);
            Ok(json!({"type": kind, "due_on": due, "late_until": until, "late_fee_eur": euro(q.late_fee_cents), "band": q.band}))
        }
    }
}

/// `POST /career-actions/quote`: the type's amounts (when it has computed rules) and where the
/// submission day falls in the window of the cohort the data names, with what to tell.
pub fn quote_with_window(conn: &mut DbConn, request: QuoteRequest, today: NaiveDate, locale: Locale) -> Result<Value, ServiceError> {
    if let Some(kind) = QUOTE_ONLY.iter().find(|k| **k == request.kind.trim()) {
        let calendar = calendar::load(conn)?;
        let submitted_on = request.submitted_on.unwrap_or(today);
        let ctx = QuoteContext { submitted_on, dates: calendar.dates(AcademicYear::of(submitted_on)) };
        let data = if request.data.is_null() { json!({}) } else { request.data };
        return quote_only(kind, data, &ctx);
    }
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
