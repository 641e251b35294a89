//! What happens to tickets when procedures change: linking (with the deadline-aware due time
//! and priority), and status changes by staff or the career system, which reach every linked
//! ticket as a system message and the student as one mail.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use super::calendar;
use super::catalog::{self, CareerActionType};
use super::deadline;
use super::instances::{self, ActionRow, NewCareerAction, Source};
use super::status::CareerStatus;
use crate::accounts::User;
use crate::ids::now;
use crate::db::schema::{career_actions, messages, ticket_career_actions, tickets, users};
use crate::db::DbConn;
use crate::domain::{Locale, Priority, Status, TicketNumber};
use crate::error::{Code, FieldErrors, ServiceError};
use crate::mail::notification::CareerActionUpdate;
use crate::mail::outbox::{self, Mail, Notification};
use crate::auth::ticket_access::visible_ticket;
use crate::db::ticket_rows::{record_event, MessageKind, MessageRow, TicketRow};

pub const MAX_NOTE: usize = 2000;

/// Links a ticket to a procedure (once) and applies the procedure's deadline to the ticket.
/// Call inside a write transaction. Returns false when the link existed already.
pub fn link(
    conn: &mut DbConn,
    ticket: &TicketRow,
    action: &ActionRow,
    kind: &CareerActionType,
    actor: Option<&str>,
) -> Result<bool, ServiceError> {
    let exists: i64 = ticket_career_actions::table
        .filter(ticket_career_actions::ticket_id.eq(&ticket.id))
        .filter(ticket_career_actions::career_action_id.eq(&action.id))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(ticket_career_actions::table)
        .values((
            ticket_career_actions::ticket_id.eq(&ticket.id),
            ticket_career_actions::career_action_id.eq(&action.id),
            ticket_career_actions::created_at.eq(now()),
        ))
        .execute(conn)?;
    record_event(
        conn,
        &ticket.id,
        actor,
        "career_action_linked",
        json!({"career_action": action.id, "type": action.type_slug, "external_ref": action.external_ref}),
    )?;
    apply_deadline(conn, ticket, action, kind, now())?;
    Ok(true)
}

/// A new ticket's `career_action`: the student's ongoing procedure of that type (or the one with
/// that external reference), else a new one; linked. Returns the ticket as it is now.
pub fn attach_to_new_ticket(conn: &mut DbConn, ticket: &TicketRow, request: NewCareerAction) -> Result<TicketRow, ServiceError> {
    let checked = instances::check(conn, request, "career_action", instances::today())?;
    let ongoing = match &checked.external_ref {
        Some(_) => None,
        None => match instances::latest_open(conn, &ticket.requester_id, &checked.kind.slug)? {
            Some(open) => Some(open),
            None => instances::same_year_application(conn, &ticket.requester_id, &checked)?,
        },
    };
    let action = match ongoing {
        Some(action) => action,
        None => instances::insert(
            conn,
            &ticket.requester_id,
            &checked,
            CareerStatus::Submitted,
            Source::Student,
            Some(&ticket.requester_id),
        )?,
    };
    link(conn, ticket, &action, &checked.kind, Some(&ticket.requester_id))?;
    Ok(tickets::table.find(&ticket.id).select(TicketRow::as_select()).first(conn)?)
}

/// `POST /tickets/{number}/career-actions`: the student links their own procedure to their
/// ticket; staff link a procedure of the ticket's requester.
pub fn link_by_user(conn: &mut DbConn, user: &User, number: &TicketNumber, action_id: &str) -> Result<bool, ServiceError> {
    let ticket = visible_ticket(conn, user, number)?;
    let action =
        instances::visible(conn, user, action_id).map_err(|_| ServiceError::field("career_action_id", "no such procedure"))?;
    if action.student_id != ticket.requester_id {
        return Err(ServiceError::field("career_action_id", "the procedure belongs to another student"));
    }
    let kind = catalog::by_slug(conn, &action.type_slug)?
        .ok_or_else(|| ServiceError::Internal(format!("type {} is gone", action.type_slug)))?;
    link(conn, &ticket, &action, &kind, Some(&user.id))
}

/// Due time before the close of the window the procedure was submitted in (open or late),
/// priority by the time left; only ever sooner/higher.
pub fn apply_deadline(
    conn: &mut DbConn,
    ticket: &TicketRow,
    action: &ActionRow,
    kind: &CareerActionType,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let window = action.window(&calendar::load(conn)?);
    let Some(close) = window.closes_at().filter(|c| *c > now) else {
        return Ok(());
    };
    let deadline = ticket.deadline_at.map_or(close, |d| d.min(close));
    let due = deadline::due_for(deadline, now, ticket.due_at);
    let priority = deadline::priority_for(deadline, now, ticket.priority);
    diesel::update(tickets::table.find(&ticket.id))
        .set((tickets::deadline_at.eq(Some(deadline)), tickets::due_at.eq(due), tickets::priority.eq(priority)))
        .execute(conn)?;
    record_event(
        conn,
        &ticket.id,
        None,
        "deadline_applied",
        json!({"type": kind.slug, "closes_at": crate::ids::to_utc(deadline), "priority": priority.as_str()}),
    )?;
    Ok(())
}

/// The scheduled step of the deadline-aware SLA: open tickets whose deadline is near get the
/// priority the time left asks for, at most `limit` of them. Returns how many changed.
pub fn escalate_deadlines(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> Result<usize, ServiceError> {
    let horizon = now + deadline::HIGH_WITHIN;
    let done = [Status::Resolved, Status::Closed, Status::Unverified];
    let candidates: Vec<(String, NaiveDateTime, Priority)> = tickets::table
        .filter(tickets::deadline_at.gt(now))
        .filter(tickets::deadline_at.le(horizon))
        .filter(tickets::status.ne_all(done))
        .filter(tickets::priority.ne(Priority::Urgent))
        .select((tickets::id, tickets::deadline_at.assume_not_null(), tickets::priority))
        .order(tickets::deadline_at)
        .limit(limit)
        .load(conn)?;
    let mut changed = 0;
    for (id, deadline_at, current) in candidates {
        let wanted = deadline::priority_for(deadline_at, now, current);
        if wanted != current {
            diesel::update(tickets::table.find(&id)).set(tickets::priority.eq(wanted)).execute(conn)?;
            record_event(
                conn,
                &id,
                None,
                "priority_raised",
                json!({"from": current.as_str(), "to": wanted.as_str(), "reason": "deadline"}),
            )?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// A status change as staff send it (`PATCH /career-actions/{id}`, the ticket page).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: String,
    #[serde(default)]
    pub note: Option<String>,
    /// The version the page showed; a stale one gets 409.
    #[serde(default)]
    pub version: Option<i32>,
}

pub(crate) fn check_note(errors: &mut FieldErrors, note: Option<&str>, required: bool) -> String {
    let note = note.unwrap_or_default().trim();
    if required && note.is_empty() {
        errors.add("note", "is required: tell the student what changed");
    } else if note.chars().count() > MAX_NOTE {
        errors.reject("note", Code::TooLong { max: MAX_NOTE });
    } else if note.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        errors.reject("note", Code::ControlChars);
    }
    note.to_owned()
}

/// Staff move a procedure along its allowed path, with a note for the student.
pub fn change_by_staff(
    conn: &mut DbConn,
    staff: &User,
    id: &str,
    change: StatusChange,
    base_url: &str,
) -> Result<ActionRow, ServiceError> {
    if !staff.is_staff() {
        return Err(ServiceError::Forbidden("staff only".into()));
    }
    let mut errors = FieldErrors::default();
    let to = errors.check("status", CareerStatus::parse(change.status.trim()));
    let note = check_note(&mut errors, change.note.as_deref(), true);
    errors.into_result()?;
    let Some(to) = to else {
        return Err(ServiceError::invalid("status", Code::Required));
    };
    let action = instances::visible(conn, staff, id)?;
    if change.version.is_some_and(|v| v != action.version) {
        return Err(ServiceError::Conflict("the procedure changed since the page was loaded: reload it".into()));
    }
    let from = action.status()?;
    if !from.staff_may_move_to(to) {
        return Err(ServiceError::field("status", format!("a {} procedure cannot become {}", from.as_str(), to.as_str())));
    }
    apply(conn, &action, to, &note, None, Source::Staff, Some(&staff.id), base_url)
}

/// Staff move a procedure on from a ticket's page: the procedure must be the requester's of a
/// ticket the staff member can see.
pub fn change_from_ticket(
    conn: &mut DbConn,
    staff: &User,
    number: &TicketNumber,
    id: &str,
    change: StatusChange,
    base_url: &str,
) -> Result<ActionRow, ServiceError> {
    let ticket = visible_ticket(conn, staff, number)?;
    let action = instances::visible(conn, staff, id)?;
    if action.student_id != ticket.requester_id {
        return Err(ServiceError::NotFound);
    }
    change_by_staff(conn, staff, id, change, base_url)
}

/// Writes a status change (and new data, from the career system) and tells the tickets and the
/// student. Call inside a write transaction.
#[allow(clippy::too_many_arguments)]
pub fn apply(
    conn: &mut DbConn,
    action: &ActionRow,
    to: CareerStatus,
    note: &str,
    new_data: Option<(&Value, Option<&Value>)>,
    source: Source,
    actor: Option<&str>,
    base_url: &str,
) -> Result<ActionRow, ServiceError> {
    let from = action.status()?;
    let now = now();
    let updated = diesel::update(
        career_actions::table.filter(career_actions::id.eq(&action.id)).filter(career_actions::version.eq(action.version)),
    )
    .set((
        career_actions::status.eq(to.as_str()),
        career_actions::version.eq(action.version + 1),
        career_actions::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(ServiceError::Conflict("the procedure changed meanwhile: try again".into()));
    }
    if let Some((data, amounts)) = new_data {
        diesel::update(career_actions::table.find(&action.id))
            .set((career_actions::data.eq(data.to_string()), career_actions::amounts.eq(amounts.map(Value::to_string))))
            .execute(conn)?;
    }
    if from == to {
        // New data only: nothing to tell.
        return reload(conn, &action.id);
    }
    instances::write_history(conn, &action.id, actor, source, Some(from), to, note)?;
    let kind = catalog::by_slug(conn, &action.type_slug)?
        .ok_or_else(|| ServiceError::Internal(format!("type {} is gone", action.type_slug)))?;
    let linked = instances::linked_tickets(conn, &action.id)?;
    for ticket in &linked {
        let text = system_text(&kind, from, to, note);
        let message = MessageRow::new(&ticket.id, MessageKind::System, actor, text);
        diesel::insert_into(messages::table).values(&message).execute(conn)?;
        record_event(
            conn,
            &ticket.id,
            actor,
            "career_action_status",
            json!({"career_action": action.id, "from": from.as_str(), "to": to.as_str(), "source": source.as_str()}),
        )?;
        diesel::update(tickets::table.find(&ticket.id)).set(tickets::updated_at.eq(now)).execute(conn)?;
    }
    mail_student(conn, action, &kind, to, note, linked.first(), base_url)?;
    reload(conn, &action.id)
}

fn reload(conn: &mut DbConn, id: &str) -> Result<ActionRow, ServiceError> {
    Ok(career_actions::table.find(id).select(ActionRow::as_select()).first(conn)?)
}

/// The thread shows both languages, like the ticket's other system messages.
fn system_text(kind: &CareerActionType, from: CareerStatus, to: CareerStatus, note: &str) -> String {
    let mut text = format!(
        "Pratica «{}»: {} → {} / Procedure “{}”: {} → {}",
        kind.name.it,
        from.label(Locale::It),
        to.label(Locale::It),
        kind.name.en,
        from.label(Locale::En),
        to.label(Locale::En)
    );
    if !note.is_empty() {
        text.push_str("\n\n");
        text.push_str(note);
    }
    text
}

fn mail_student(
    conn: &mut DbConn,
    action: &ActionRow,
    kind: &CareerActionType,
    to: CareerStatus,
    note: &str,
    ticket: Option<&TicketRow>,
    base_url: &str,
) -> Result<(), ServiceError> {
    let (email, name, locale): (String, String, Locale) =
        users::table.find(&action.student_id).select((users::email, users::display_name, users::locale)).first(conn)?;
    let locale = ticket.map_or(locale, |t| t.locale);
    let amounts = action.amounts.as_deref().and_then(|a| serde_json::from_str::<Value>(a).ok());
    let link =
        ticket.map_or_else(|| format!("{base_url}/procedures/{}", action.id), |t| format!("{base_url}/tickets/{}", t.number));
    let mail = Mail::CareerActionUpdate(CareerActionUpdate {
        name,
        procedure: kind.name(locale).to_owned(),
        status: to.label(locale).to_owned(),
        status_code: to.as_str().to_owned(),
        note: note.to_owned(),
        external_ref: action.external_ref.clone().unwrap_or_default(),
        link,
        amount_lines: amounts.as_ref().map(|a| amount_lines(a, locale)).unwrap_or_default(),
        // Threading (Message-ID, Reply-To) follows `number` when there is a ticket.
        number: ticket.map(|t| t.number.clone()),
        tag: ticket.map(|t| format!("[{}] ", t.number)).unwrap_or_default(),
    });
    outbox::enqueue(conn, Notification { recipient: &email, locale, ticket_id: ticket.map(|t| t.id.as_str()), mail: &mail })?;
    Ok(())
}

fn euro_text(v: &Value) -> Option<String> {
    v.as_f64().map(|e| format!("€ {:.2}", e).replace('.', ","))
}

/// The computed amounts as the student reads them in the mail.
pub fn amount_lines(amounts: &Value, locale: Locale) -> Vec<String> {
    let it = locale == Locale::It;
    let mut lines = Vec::new();
    if let Some(fee) = amounts.get("fee_eur").and_then(euro_text) {
        lines.push(if it { format!("Contributo: {fee}") } else { format!("Fee: {fee}") });
    }
    if let Some(stamp) = amounts.get("stamp_duty_eur").and_then(euro_text) {
        lines.push(if it { format!("Imposta di bollo: {stamp}") } else { format!("Stamp duty: {stamp}") });
    }
    if let Some(total) = amounts.get("total_eur").and_then(euro_text) {
        let days = amounts.get("due_within_days").and_then(Value::as_i64);
        lines.push(match (it, days) {
            (true, Some(d)) => {
                format!("Totale da pagare: {total}, entro {d} giorni dall'emissione")
            }
            (true, None) => format!("Totale da pagare: {total}"),
            (false, Some(d)) => format!("Total to pay: {total}, within {d} days of issue"),
            (false, None) => format!("Total to pay: {total}"),
        });
    }
    if let Some(year) = amounts.get("admission_year").and_then(Value::as_i64) {
        lines.push(if it { format!("Anno di ammissione: {year}°") } else { format!("Admission year: {year}") });
    }
    if let Some(pay_by) = amounts.get("pay_by").and_then(Value::as_str) {
        lines.push(if it { format!("Da pagare entro il {pay_by}") } else { format!("To pay by {pay_by}") });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corsi_singoli_quote_reads_as_fee_stamp_and_total_with_the_days() {
        let amounts = json!({"fee_eur": 150.0, "stamp_duty_eur": 16.0, "total_eur": 166.0, "due_within_days": 15});
        assert_eq!(
            amount_lines(&amounts, Locale::It),
            ["Contributo: € 150,00", "Imposta di bollo: € 16,00", "Totale da pagare: € 166,00, entro 15 giorni dall'emissione"]
        );
        assert_eq!(amount_lines(&amounts, Locale::En)[2], "Total to pay: € 166,00, within 15 days of issue");
        assert_eq!(amount_lines(&json!({"admission_year": 2}), Locale::En), ["Admission year: 2"]);
    }
}
