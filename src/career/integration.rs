//! `PUT /api/v1/integrations/career-actions/{external_ref}`: the career system reports a
//! procedure's state. Idempotent: the same report twice changes nothing the second time.

use serde::Deserialize;
use serde_json::Value;

use super::changes;
use super::instances::{self, ActionRow, NewCareerAction, Source};
use super::status::CareerStatus;
use crate::accounts;
use crate::db::DbConn;
use crate::domain::{Email, Locale};
use crate::error::{Code, FieldErrors, ServiceError};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationReport {
    #[serde(rename = "type")]
    pub kind: String,
    pub student_email: String,
    pub status: String,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Option<Value>,
    /// The student's name, used when the desk does not know them yet.
    #[serde(default)]
    pub student_name: Option<String>,
    /// The Italian day the application was submitted in the career system (default: today);
    /// its lateness is judged on it.
    #[serde(default)]
    pub submitted_on: Option<chrono::NaiveDate>,
}

pub enum Reported {
    Created(ActionRow),
    Changed(ActionRow),
    Unchanged(ActionRow),
}

/// Applies one report inside a write transaction.
pub fn report(conn: &mut DbConn, external_ref: &str, input: IntegrationReport, base_url: &str) -> Result<Reported, ServiceError> {
    let mut errors = FieldErrors::default();
    let external_ref = instances::check_external_ref(&mut errors, "external_ref", Some(external_ref));
    let email = errors.check("student_email", Email::parse(&input.student_email));
    let status = errors.check("status", CareerStatus::parse(input.status.trim()));
    let note = changes::check_note(&mut errors, input.note.as_deref(), false);
    errors.into_result()?;
    let (Some(external_ref), Some(email), Some(status)) = (external_ref, email, status) else {
        return Err(ServiceError::invalid("external_ref", Code::Required));
    };
    let request = NewCareerAction { kind: input.kind, data: input.data, external_ref: Some(external_ref.clone()) };
    let has_data = request.data.is_some();
    let known = instances::by_external_ref(conn, &external_ref)?;
    let submitted_on = input.submitted_on.or(known.as_ref().map(ActionRow::submitted_on)).unwrap_or_else(instances::today);
    let checked = instances::check(conn, request, "", submitted_on)?;

    let Some(existing) = known else {
        let name = input.student_name.as_deref().map(str::trim).filter(|n| !n.is_empty()).unwrap_or(email.as_str()).to_owned();
        let student_id = accounts::guest_account(conn, &email, &name, Locale::It)?;
        let row = instances::insert(conn, &student_id, &checked, status, Source::Integration, None)?;
        return Ok(Reported::Created(row));
    };
    let student_email = accounts::find_user(conn, &existing.student_id)?.email;
    if existing.type_slug != checked.kind.slug || !student_email.eq_ignore_ascii_case(email.as_str()) {
        return Err(ServiceError::Conflict(format!(
            "the application {external_ref} is a {} procedure of another student or type",
            existing.type_slug
        )));
    }
    let same_data = !has_data || serde_json::from_str::<Value>(&existing.data).ok().as_ref() == Some(&checked.data);
    if existing.status()? == status && same_data {
        return Ok(Reported::Unchanged(existing));
    }
    let new_data = (!same_data).then_some((&checked.data, checked.amounts.as_ref()));
    let row = changes::apply(conn, &existing, status, &note, new_data, Source::Integration, None, base_url)?;
    Ok(Reported::Changed(row))
}
