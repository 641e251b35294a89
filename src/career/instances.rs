//! A student's concrete procedures: created by the student (API or a ticket's form), linked to
//! tickets, moved through their statuses by staff (with a note) or by the career system.

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::calendar::{self, AcademicYear, Calendar, Cohort, WindowStatus};
use super::catalog::{self, CareerActionType, FeeRule};
use super::quote::{self, QuoteContext, QuoteRequest};
use super::status::CareerStatus;
use crate::accounts::User;
use crate::ids::{new_id, now, to_utc};
use crate::db::schema::{career_action_history, career_actions, ticket_career_actions, tickets};
use crate::db::DbConn;
use crate::domain::{Locale, Role};
use crate::error::{FieldErrors, ServiceError};
use crate::auth::ticket_access::can_see;
use crate::db::ticket_rows::TicketRow;

/// A procedure's data stays small: it is what the form asked, not documents.
pub const MAX_DATA_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = career_actions)]
pub struct ActionRow {
    pub id: String,
    pub type_slug: String,
    pub student_id: String,
    pub external_ref: Option<String>,
    pub status: String,
    pub data: String,
    pub amounts: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The Italian day the application was submitted (ISO): its lateness is judged on it.
    pub submitted_on: String,
}

impl ActionRow {
    pub fn status(&self) -> Result<CareerStatus, ServiceError> {
        CareerStatus::parse(&self.status).map_err(ServiceError::Internal)
    }

    pub fn submitted_on(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.submitted_on, "%Y-%m-%d")
            .unwrap_or_else(|_| to_utc(self.created_at).with_timezone(&chrono_tz::Europe::Rome).date_naive())
    }

    /// The cohort the procedure's data names (a value that is not one is ignored here: the
    /// data was checked when it was written).
    pub fn cohort(&self) -> Cohort {
        Cohort::from_data(&mut FieldErrors::default(), "", &parse_json(&self.data))
    }

    /// Where the submission day fell in the window of the procedure's cohort: for ever.
    pub fn window(&self, calendar: &Calendar) -> WindowStatus {
        calendar.status(&self.type_slug, self.submitted_on(), &self.cohort())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = career_action_history)]
struct HistoryRow {
    id: String,
    career_action_id: String,
    actor_id: Option<String>,
    source: String,
    from_status: Option<String>,
    to_status: String,
    note: String,
    created_at: NaiveDateTime,
}

/// A request for a procedure, from the API or inside a new ticket (`career_action`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCareerAction {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Option<Value>,
    #[serde(default)]
    pub external_ref: Option<String>,
}

/// Who changes a procedure's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Student,
    Staff,
    Integration,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Student => "student",
            Source::Staff => "staff",
            Source::Integration => "integration",
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryView {
    pub from: Option<CareerStatus>,
    pub to: CareerStatus,
    pub note: String,
    pub source: String,
    pub created_at: chrono::DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CareerActionView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub guide_section: String,
    pub status: CareerStatus,
    pub external_ref: Option<String>,
    #[schema(value_type = Object)]
    pub data: Value,
    /// The amounts the guide's rules give for the data (fee, stamp duty, admission year…).
    #[schema(value_type = Object)]
    pub amounts: Option<Value>,
    /// The Italian day the application was submitted.
    pub submitted_on: NaiveDate,
    /// Where the submission day fell in the window of the procedure's cohort.
    pub window: WindowStatus,
    /// Shown to the student when that day was outside the regular window.
    pub warning: Option<String>,
    /// Numbers of the linked tickets the viewer may see.
    pub tickets: Vec<String>,
    pub history: Vec<HistoryView>,
    pub version: i32,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

/// The short form in a ticket's `career_actions`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkedAction {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub status: CareerStatus,
    pub external_ref: Option<String>,
    pub submitted_on: NaiveDate,
    /// The amounts the guide's rules give for its data.
    #[schema(value_type = Object)]
    pub amounts: Option<Value>,
    pub window: WindowStatus,
    pub warning: Option<String>,
}

pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Europe::Rome).date_naive()
}

fn active_type(conn: &mut DbConn, slug: &str, field: &str) -> Result<CareerActionType, ServiceError> {
    match catalog::by_slug(conn, slug.trim())? {
        Some(t) if t.active => Ok(t),
        _ => Err(ServiceError::field(field, format!("unknown career-action type '{slug}'"))),
    }
}

/// `external_ref`: the career system's application number: 1-64 letters, digits, `-_/.`.
pub fn check_external_ref(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<String> {
    let value = raw?.trim();
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'));
    if !ok {
        errors.add(field, "use 1-64 letters, digits and - _ / .");
        return None;
    }
    Some(value.to_owned())
}

fn check_data(errors: &mut FieldErrors, field: &str, data: Option<Value>) -> Value {
    match data {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(Value::Object(map)) => {
            let data = Value::Object(map);
            if data.to_string().len() > MAX_DATA_BYTES {
                errors.add(field, format!("must be at most {MAX_DATA_BYTES} bytes"));
            }
            data
        }
        Some(_) => {
            errors.add(field, "must be an object");
            Value::Null
        }
    }
}

/// The inputs of a computed rule: which keys it reads, and which of them it cannot do without.
fn rule_inputs(rule: FeeRule) -> (&'static [&'static str], &'static [&'static str]) {
    match rule {
        FeeRule::CorsiSingoli => (&["courses", "reduction", "cap_exception", "exam_date"], &["courses"]),
        FeeRule::AdmissionYear => (&["programme", "recognised_cfu"], &["programme"]),
        FeeRule::Rinuncia => (&["submitted_on", "passed_exam_in_winter_session", "passed_exam_in_jan_feb_2026"], &[]),
        FeeRule::PartTime => (&["enrolment", "conditions", "changed_status_before"], &["enrolment", "conditions"]),
        FeeRule::ApplicationFee => (&[], &[]),
        FeeRule::PreEnrolment => (&["courses", "course", "second_course"], &[]),
        FeeRule::ExtraExams => (&["programme", "courses"], &["programme", "courses"]),
        FeeRule::Enrolment => (&["tolc_taken_on"], &[]),
        FeeRule::CourseChange => (&["to_year", "access", "tolc_taken_on"], &[]),
        FeeRule::OutgoingTransfer => (&["access", "year"], &[]),
    }
}

/// The amounts of the type's computed rule, when the data carries what the rule needs. The
/// data may hold more (the form's other answers); numbers typed in text fields count.
fn amounts(t: &CareerActionType, data: &Value, ctx: &QuoteContext) -> Result<Option<Value>, ServiceError> {
    let (Some(rule), Some(map)) = (t.fee_rule, data.as_object()) else {
        return Ok(None);
    };
    let (reads, needs) = rule_inputs(rule);
    if !needs.iter().all(|k| map.get(*k).is_some_and(|v| !v.is_null() && v != "")) {
        return Ok(None);
    }
    let mut input = serde_json::Map::new();
    for k in reads {
        let Some(v) = map.get(*k).filter(|v| !v.is_null() && *v != "") else { continue };
        let v = match (*k, v.as_str()) {
            // A form's text area: one course a line.
            ("courses", Some(text)) => serde_json::to_value(
                super::rules::parse_course_lines(text).map_err(|e| ServiceError::field("data.courses", e.to_string()))?,
            )
            .map_err(|e| ServiceError::Internal(e.to_string()))?,
            (_, Some(text)) => match text.trim().parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => v.clone(),
            },
            _ => v.clone(),
        };
        input.insert((*k).to_owned(), v);
    }
    quote::quote(QuoteRequest { kind: t.slug.clone(), data: Value::Object(input), submitted_on: None }, ctx)
}

/// A checked request, ready to be written.
pub struct Checked {
    pub kind: CareerActionType,
    pub data: Value,
    pub external_ref: Option<String>,
    pub amounts: Option<Value>,
    pub submitted_on: NaiveDate,
}

/// Checks a request for `field` (`career_action` in a ticket, the body on its own route),
/// submitted on `submitted_on` (today, unless the career system says otherwise).
pub fn check(conn: &mut DbConn, input: NewCareerAction, field: &str, submitted_on: NaiveDate) -> Result<Checked, ServiceError> {
    let mut errors = FieldErrors::default();
    let sub = |name: &str| {
        if field.is_empty() {
            name.to_owned()
        } else {
            format!("{field}.{name}")
        }
    };
    let kind = active_type(conn, &input.kind, &sub("type"))?;
    let data = check_data(&mut errors, &sub("data"), input.data);
    let external_ref = check_external_ref(&mut errors, &sub("external_ref"), input.external_ref.as_deref());
    Cohort::from_data(&mut errors, &sub("data."), &data);
    errors.into_result()?;
    let calendar = calendar::load(conn)?;
    let ctx = QuoteContext { submitted_on, dates: calendar.dates(AcademicYear::of(submitted_on)) };
    let amounts = amounts(&kind, &data, &ctx)?;
    Ok(Checked { kind, data, external_ref, amounts, submitted_on })
}

pub(crate) fn write_history(
    conn: &mut DbConn,
    action_id: &str,
    actor: Option<&str>,
    source: Source,
    from: Option<CareerStatus>,
    to: CareerStatus,
    note: &str,
) -> QueryResult<()> {
    let row = HistoryRow {
        id: new_id(),
        career_action_id: action_id.to_owned(),
        actor_id: actor.map(str::to_owned),
        source: source.as_str().to_owned(),
        from_status: from.map(|s| s.as_str().to_owned()),
        to_status: to.as_str().to_owned(),
        note: note.to_owned(),
        created_at: now(),
    };
    diesel::insert_into(career_action_history::table).values(&row).execute(conn).map(|_| ())
}

pub fn by_external_ref(conn: &mut DbConn, external_ref: &str) -> QueryResult<Option<ActionRow>> {
    career_actions::table
        .filter(career_actions::external_ref.eq(external_ref))
        .select(ActionRow::as_select())
        .first(conn)
        .optional()
}

/// Single courses are requested once a year: "Potrai formulare istanza di corsi singoli una sola
/// volta nell'arco di tempo previsto" (cap. 9). The student's application of the same academic
/// year (not cancelled nor rejected), if any.
pub fn same_year_application(conn: &mut DbConn, student_id: &str, checked: &Checked) -> Result<Option<ActionRow>, ServiceError> {
    if checked.kind.fee_rule != Some(FeeRule::CorsiSingoli) {
        return Ok(None);
    }
    let dropped = [CareerStatus::Rejected, CareerStatus::Cancelled].map(CareerStatus::as_str);
    let rows: Vec<ActionRow> = career_actions::table
        .filter(career_actions::student_id.eq(student_id))
        .filter(career_actions::type_slug.eq(&checked.kind.slug))
        .filter(career_actions::status.ne_all(dropped))
        .select(ActionRow::as_select())
        .order(career_actions::id.desc())
        .load(conn)?;
    let year = AcademicYear::of(checked.submitted_on);
    Ok(rows.into_iter().find(|r| AcademicYear::of(r.submitted_on()) == year))
}

/// Writes a new procedure for `student_id`, or returns theirs with the same external reference.
/// A student's second single-courses application of a year is refused (409). Call inside a
/// write transaction.
pub fn insert(
    conn: &mut DbConn,
    student_id: &str,
    checked: &Checked,
    status: CareerStatus,
    source: Source,
    actor: Option<&str>,
) -> Result<ActionRow, ServiceError> {
    if let Some(external_ref) = &checked.external_ref {
        if let Some(existing) = by_external_ref(conn, external_ref)? {
            if existing.student_id != student_id || existing.type_slug != checked.kind.slug {
                return Err(ServiceError::Conflict(format!("the application {external_ref} belongs to another procedure")));
            }
            return Ok(existing);
        }
    }
    if source == Source::Student && same_year_application(conn, student_id, checked)?.is_some() {
        return Err(ServiceError::Conflict(
            "single courses are requested once a year (\"una sola volta nell'arco di tempo previsto\"): write on the ticket of your application".into(),
        ));
    }
    let now = now();
    let row = ActionRow {
        id: new_id(),
        type_slug: checked.kind.slug.clone(),
        student_id: student_id.to_owned(),
        external_ref: checked.external_ref.clone(),
        status: status.as_str().to_owned(),
        data: checked.data.to_string(),
        amounts: checked.amounts.as_ref().map(Value::to_string),
        version: 1,
        created_at: now,
        updated_at: now,
        submitted_on: checked.submitted_on.to_string(),
    };
    diesel::insert_into(career_actions::table).values(&row).execute(conn)?;
    write_history(conn, &row.id, actor, source, None, status, "")?;
    Ok(row)
}

/// The procedure if `user` may see it: the student their own; an agent those of a student
/// with a ticket the agent can see; supervisors and admins every one.
pub fn visible(conn: &mut DbConn, user: &User, id: &str) -> Result<ActionRow, ServiceError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ServiceError::NotFound);
    }
    let row: ActionRow =
        career_actions::table.find(id).select(ActionRow::as_select()).first(conn).optional()?.ok_or(ServiceError::NotFound)?;
    if !may_see_student(conn, user, &row.student_id)? {
        return Err(ServiceError::NotFound);
    }
    Ok(row)
}

/// A student's procedures as `user` sees them; an agent who may not see that student's
/// procedures gets a 404, as for a ticket they may not see.
pub fn views_for(conn: &mut DbConn, user: &User, student_id: &str) -> Result<Vec<CareerActionView>, ServiceError> {
    if !may_see_student(conn, user, student_id)? {
        return Err(ServiceError::NotFound);
    }
    for_student(conn, student_id)?.iter().map(|row| view(conn, user, row)).collect()
}

/// Whether `user` may see a student's procedures: the student themselves; an agent only
/// through a ticket of that student the agent can see (their teams' or assigned to them);
/// supervisors and admins always.
pub fn may_see_student(conn: &mut DbConn, user: &User, student_id: &str) -> Result<bool, ServiceError> {
    match user.role {
        Role::Student => Ok(user.id == student_id),
        Role::Supervisor | Role::Admin => Ok(true),
        Role::Agent => {
            let seen: i64 = tickets::table
                .filter(tickets::requester_id.eq(student_id))
                .filter(tickets::team_id.eq_any(&user.team_ids).or(tickets::assignee_id.eq(&user.id)))
                .count()
                .get_result(conn)?;
            Ok(seen > 0)
        }
    }
}

fn parse_json(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or(Value::Null)
}

/// The full view: data, amounts, window, linked tickets the viewer may see, history.
pub fn view(conn: &mut DbConn, user: &User, row: &ActionRow) -> Result<CareerActionView, ServiceError> {
    view_with(conn, row, user.locale, |t| can_see(user, t))
}

/// The view in `locale`, listing the linked tickets `shown` lets through.
pub fn view_with(
    conn: &mut DbConn,
    row: &ActionRow,
    locale: Locale,
    shown: impl Fn(&TicketRow) -> bool,
) -> Result<CareerActionView, ServiceError> {
    let kind = catalog::by_slug(conn, &row.type_slug)?
        .ok_or_else(|| ServiceError::Internal(format!("type {} is gone", row.type_slug)))?;
    let linked: Vec<TicketRow> = tickets::table
        .inner_join(ticket_career_actions::table)
        .filter(ticket_career_actions::career_action_id.eq(&row.id))
        .select(TicketRow::as_select())
        .order(tickets::id)
        .load(conn)?;
    let history: Vec<HistoryRow> = career_action_history::table
        .filter(career_action_history::career_action_id.eq(&row.id))
        .order(career_action_history::id)
        .select(HistoryRow::as_select())
        .load(conn)?;
    let history = history
        .into_iter()
        .map(|h| {
            Ok(HistoryView {
                from: h.from_status.as_deref().map(CareerStatus::parse).transpose().map_err(ServiceError::Internal)?,
                to: CareerStatus::parse(&h.to_status).map_err(ServiceError::Internal)?,
                note: h.note,
                source: h.source,
                created_at: to_utc(h.created_at),
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    let window = row.window(&calendar::load(conn)?);
    Ok(CareerActionView {
        id: row.id.clone(),
        kind: kind.slug.clone(),
        name: kind.name(locale).to_owned(),
        guide_section: kind.guide_section.clone(),
        status: row.status()?,
        external_ref: row.external_ref.clone(),
        data: parse_json(&row.data),
        amounts: row.amounts.as_deref().map(parse_json),
        submitted_on: row.submitted_on(),
        warning: window.warning(kind.name(locale), locale),
        window,
        tickets: linked.iter().filter(|t| shown(t)).map(|t| t.number.clone()).collect(),
        history,
        version: row.version,
        created_at: to_utc(row.created_at),
        updated_at: to_utc(row.updated_at),
    })
}

/// The procedures linked to a ticket, for its view.
pub fn linked_to_ticket(conn: &mut DbConn, ticket_id: &str, locale: Locale) -> Result<Vec<LinkedAction>, ServiceError> {
    let rows: Vec<ActionRow> = career_actions::table
        .inner_join(ticket_career_actions::table)
        .filter(ticket_career_actions::ticket_id.eq(ticket_id))
        .select(ActionRow::as_select())
        .order(career_actions::id)
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let types = catalog::list(conn, true)?;
    let calendar = calendar::load(conn)?;
    rows.into_iter()
        .map(|row| {
            let name = types.iter().find(|t| t.slug == row.type_slug).map(|k| k.name(locale).to_owned());
            let name = name.unwrap_or_else(|| row.type_slug.clone());
            let window = row.window(&calendar);
            Ok(LinkedAction {
                id: row.id.clone(),
                kind: row.type_slug.clone(),
                status: row.status()?,
                external_ref: row.external_ref.clone(),
                submitted_on: row.submitted_on(),
                amounts: row.amounts.as_deref().map(parse_json),
                warning: window.warning(&name, locale),
                name,
                window,
            })
        })
        .collect()
}

/// The tickets a procedure is linked to.
pub fn linked_tickets(conn: &mut DbConn, action_id: &str) -> QueryResult<Vec<TicketRow>> {
    tickets::table
        .inner_join(ticket_career_actions::table)
        .filter(ticket_career_actions::career_action_id.eq(action_id))
        .select(TicketRow::as_select())
        .order(tickets::id)
        .load(conn)
}

/// The student's procedures, newest first.
pub fn for_student(conn: &mut DbConn, student_id: &str) -> QueryResult<Vec<ActionRow>> {
    career_actions::table
        .filter(career_actions::student_id.eq(student_id))
        .select(ActionRow::as_select())
        .order(career_actions::id.desc())
        .limit(200)
        .load(conn)
}

/// The student's latest procedure of a type that is still going on.
pub fn latest_open(conn: &mut DbConn, student_id: &str, type_slug: &str) -> QueryResult<Option<ActionRow>> {
    let finals = [CareerStatus::Rejected, CareerStatus::Completed, CareerStatus::Cancelled].map(CareerStatus::as_str);
    career_actions::table
        .filter(career_actions::student_id.eq(student_id))
        .filter(career_actions::type_slug.eq(type_slug))
        .filter(career_actions::status.ne_all(finals))
        .select(ActionRow::as_select())
        .order(career_actions::id.desc())
        .first(conn)
        .optional()
}
