//! `POST /api/v1/career-actions/quote`: the rules of `rules.rs` for one procedure type, from
//! the JSON a client sends, with per-field errors.

use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::part_time;
use super::rules::{self, CapException, Course, Programme, Reduction, RuleError};
use crate::error::ServiceError;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = Object)]
    pub data: Value,
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
    #[serde(default)]
    passed_exam_in_jan_feb_2026: bool,
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

pub fn quote(request: QuoteRequest) -> Result<Value, ServiceError> {
    match request.kind.as_str() {
        "corsi-singoli" => {
            let input: CorsiSingoli = data(request.data)?;
            let q = rules::corsi_singoli(&input.courses, input.reduction, input.cap_exception)
                .map_err(|e| rule_error("data.courses", e))?;
            Ok(json!({
                "type": "corsi-singoli",
                "total_cfu": q.total_cfu,
                "fee_eur": euro(q.fee_cents),
                "stamp_duty_eur": euro(q.stamp_duty_cents),
                "total_eur": euro(q.total_cents),
                "due_within_days": q.due_within_days,
                "warnings": q.warnings,
            }))
        }
        kind if ADMISSION_TYPES.contains(&kind) => {
            let input: Admission = data(request.data)?;
            let year = rules::admission_year(input.programme, input.recognised_cfu)
                .map_err(|e| rule_error("data.recognised_cfu", e))?;
            Ok(json!({"type": kind, "admission_year": year, "late_application_fee_eur": euro(rules::LATE_APPLICATION_FEE)}))
        }
        "rinuncia-agli-studi" => {
            let input: Rinuncia = data(request.data)?;
            let today = Utc::now().with_timezone(&chrono_tz::Europe::Rome).date_naive();
            let q = rules::rinuncia(input.submitted_on.unwrap_or(today), input.passed_exam_in_jan_feb_2026);
            Ok(json!({
                "type": "rinuncia-agli-studi",
                "stamp_duty_eur": euro(q.stamp_duty_cents),
                "pay_by": q.pay_by,
                "first_instalment": q.first_instalment,
                "second_instalment": q.second_instalment,
                "warnings": q.warnings,
            }))
        }
        "variazione-part-time" => {
            let input: PartTime = data(request.data)?;
            let check =
                part_time::part_time(input.enrolment == Enrolment::InCorso, &input.conditions, input.changed_status_before);
            let mut value = serde_json::to_value(check).map_err(|e| ServiceError::Internal(e.to_string()))?;
            if let Some(map) = value.as_object_mut() {
                map.insert("type".into(), json!("variazione-part-time"));
            }
            Ok(value)
        }
        other => Err(ServiceError::field("type", format!("no computed rules for '{other}'"))),
    }
}
