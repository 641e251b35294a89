//! Changing tickets: PATCH with the optimistic version, replies and notes, uploads, and the
//! guest's verification. Each change is one transaction with its audit events and mails.

use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::ticket_access::visible_ticket;
use super::attachments::link_uploads;
use crate::files::Upload;
use super::open::MAX_BODY;
use crate::db::ticket_rows::{record_event, MessageKind, MessageRow, TicketRow};
use super::query::{category_by_slug, full_view};
use super::view::{message_view, MessageView, Names, TicketView, Viewer};
use crate::accounts::User;
use crate::ids::now;
use crate::db::schema::{messages, team_members, teams, tickets, users};
use crate::db::{write_tx, DbConn};
use crate::domain::{Priority, Role, Status, TicketNumber};
use crate::error::{FieldErrors, ServiceError};
use crate::mail::notification::{RequesterMail, StaffMail, StaffReply};
use crate::mail::outbox::{self, Mail, Notification};

/// Days after resolution during which a student may reopen.

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    pub version: i32,
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    /// A category slug.
    pub category: Option<String>,
    /// A team slug.
    pub team: Option<String>,
    /// An agent's user id; `null` unassigns.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub assignee: Option<Option<String>>,
}

/// Tells a missing `assignee` (no change) from an explicit `null` (unassign).
fn double_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub body: String,
    #[serde(default)]
    pub internal: bool,
    /// Staff may set the status in the same step (e.g. reply and wait for the student).
    pub status: Option<Status>,
}

struct Change {
    field: &'static str,
    from: Value,
    to: Value,
}

fn system_text(from: Status, to: Status) -> String {
    format!("Stato: {} → {} / Status: {} → {}", from.as_str(), to.as_str(), from.as_str(), to.as_str())
}

fn status_mail(status: Status) -> Option<fn(RequesterMail) -> Mail> {
    match status {
        Status::WaitingStudent => Some(Mail::TicketWaiting),
        Status::Resolved => Some(Mail::TicketResolved),
        Status::Closed => Some(Mail::TicketClosed),
        _ => None,
    }
}

fn requester_contact(conn: &mut DbConn, ticket: &TicketRow) -> Result<(String, String), ServiceError> {
    Ok(users::table.find(&ticket.requester_id).select((users::email, users::display_name)).first(conn)?)
}

pub(crate) fn link(base_url: &str, ticket: &TicketRow) -> String {
    format!("{base_url}/tickets/{}", ticket.number)
}

/// Sets the status columns that go with a status, moves the SLA clock, writes the system
/// message and the event, and queues the student's status mail when `mail` (a staff reply that
/// also sets the status says so in its own mail: the student gets one mail, not two). Call
/// inside the change's transaction.
pub(crate) fn apply_status(
    conn: &mut DbConn,
    ticket: &TicketRow,
    actor: Option<&str>,
    from: Status,
    to: Status,
    base_url: &str,
    mail: bool,
) -> Result<(), ServiceError> {
    let now = now();
    let target = tickets::table.find(&ticket.id);
    match to {
        Status::Resolved => diesel::update(target).set(tickets::resolved_at.eq(Some(now))).execute(conn)?,
        Status::Closed => diesel::update(target).set(tickets::closed_at.eq(Some(now))).execute(conn)?,
        Status::Open if from == Status::Resolved => {
            diesel::update(target).set(tickets::resolved_at.eq(None::<chrono::NaiveDateTime>)).execute(conn)?
        }
        _ => 0,
    };
    crate::sla::on_status_change(conn, ticket, from, to)?;
    let message = MessageRow::new(&ticket.id, MessageKind::System, actor, system_text(from, to));
    diesel::insert_into(messages::table).values(&message).execute(conn)?;
    record_event(conn, &ticket.id, actor, "status_changed", json!({"from": from.as_str(), "to": to.as_str()}))?;
    if let Some(kind) = status_mail(to).filter(|_| mail) {
        mail_requester(conn, ticket, kind, base_url)?;
    }
    Ok(())
}

/// Queues the mail `kind` makes for the ticket's requester, in the ticket's language.
pub(crate) fn mail_requester(conn: &mut DbConn, ticket: &TicketRow, kind: fn(RequesterMail) -> Mail, base_url: &str) -> Result<(), ServiceError> {
    let (email, name) = requester_contact(conn, ticket)?;
    let mail = kind(RequesterMail { number: ticket.number.clone(), subject: ticket.subject.clone(), name, link: link(base_url, ticket) });
    outbox::enqueue(conn, Notification { recipient: &email, locale: ticket.locale, ticket_id: Some(&ticket.id), mail: &mail })?;
    Ok(())
}

/// A mail to staff about the ticket (new in the team, assigned, the student replied).
pub(crate) fn staff_mail(ticket: &TicketRow, base_url: &str) -> StaffMail {
    StaffMail { number: ticket.number.clone(), subject: ticket.subject.clone(), link: link(base_url, ticket) }
}

/// Bumps the version if it is still the one the caller saw; 409 otherwise.
pub(crate) fn bump_version(conn: &mut DbConn, ticket: &TicketRow, seen: i32) -> Result<(), ServiceError> {
    let updated = diesel::update(tickets::table.filter(tickets::id.eq(&ticket.id)).filter(tickets::version.eq(seen)))
        .set((tickets::version.eq(seen + 1), tickets::updated_at.eq(now())))
        .execute(conn)?;
    if updated == 0 {
        return Err(ServiceError::Conflict(format!(
            "ticket {} was changed by someone else; reload it and try again",
            ticket.number
        )));
    }
    Ok(())
}

/// A resolved ticket may be reopened until it closes (the auto-close job closes it
/// `HELPDESK_AUTO_CLOSE_DAYS` after it was resolved): one period, the one the pages state.
fn student_may_reopen(ticket: &TicketRow) -> bool {
    ticket.resolved_at.is_some()
}

/// The student reopens a resolved ticket with a reason: the reason is their reply, which moves
/// the ticket back to open. Anything but a resolved ticket is a 409.
pub fn reopen(conn: &mut DbConn, user: &User, number: &TicketNumber, input: NewMessage, base_url: &str) -> Result<MessageView, ServiceError> {
    let current = visible_ticket(conn, user, number)?.status;
    if current != Status::Resolved {
        return Err(ServiceError::Conflict(format!("ticket {number} is not resolved: only a resolved ticket is reopened")));
    }
    add_message(conn, user, number, input, &[], base_url)
}

/// An agent who may be assigned to a ticket of `team_id`: staff, active, and in that team
/// (admins and supervisors may take any ticket).
fn check_assignee(conn: &mut DbConn, assignee_id: &str, team_id: &str) -> Result<(), ServiceError> {
    let row: Option<(Role, bool)> =
        users::table.find(assignee_id).select((users::role, users::disabled)).first(conn).optional()?;
    let Some((role, disabled)) = row else {
        return Err(ServiceError::field("assignee", "no such agent"));
    };
    if disabled || !role.is_staff() {
        return Err(ServiceError::field("assignee", "is not an active staff account"));
    }
    if role == Role::Agent {
        let member: i64 = team_members::table
            .filter(team_members::team_id.eq(team_id))
            .filter(team_members::user_id.eq(assignee_id))
            .count()
            .get_result(conn)?;
        if member == 0 {
            return Err(ServiceError::field("assignee", "is not in the ticket's team"));
        }
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(number = %number))]
pub fn patch(conn: &mut DbConn, user: &User, number: &TicketNumber, patch: TicketPatch, base_url: &str) -> Result<TicketView, ServiceError> {
    let ticket = write_tx(conn, |conn| -> Result<TicketRow, ServiceError> {
        let ticket = visible_ticket(conn, user, number)?;
        let current = ticket.status;
        if !user.is_staff() && (patch.priority.is_some() || patch.category.is_some() || patch.team.is_some() || patch.assignee.is_some()) {
            return Err(ServiceError::Forbidden("students may only close or reopen their ticket".into()));
        }
        let mut changes: Vec<Change> = Vec::new();
        let mut errors = FieldErrors::default();
        let mut status_change = match patch.status {
            Some(to) if to != current => {
                let allowed = if user.is_staff() {
                    current.staff_can_move_to(to)
                } else {
                    current.student_can_move_to(to) && (to != Status::Open || student_may_reopen(&ticket))
                };
                if !allowed {
                    errors.add("status", format!("cannot go from {} to {}", current.as_str(), to.as_str()));
                }
                Some(to)
            }
            _ => None,
        };
        let mut team_id = ticket.team_id.clone();
        let mut category_id = ticket.category_id.clone();
        if let Some(slug) = &patch.category {
            match category_by_slug(conn, slug) {
                Ok(category) => {
                    if category.row.id != ticket.category_id {
                        changes.push(Change { field: "category", from: json!(ticket.category_id), to: json!(slug) });
                        category_id = category.row.id.clone();
                        team_id = category.row.team_id.clone();
                    }
                }
                Err(ServiceError::Validation(list)) => list.into_iter().for_each(|e| errors.add(e.field, e.message)),
                Err(other) => return Err(other),
            }
        }
        if let Some(slug) = &patch.team {
            let found: Option<String> = teams::table.filter(teams::slug.eq(slug)).select(teams::id).first(conn).optional()?;
            match found {
                Some(id) => team_id = id,
                None => errors.add("team", format!("unknown team '{slug}'")),
            }
        }
        if team_id != ticket.team_id {
            changes.push(Change { field: "team", from: json!(ticket.team_id), to: json!(team_id) });
        }
        let mut assignee = ticket.assignee_id.clone();
        if let Some(new_assignee) = &patch.assignee {
            if let Some(id) = new_assignee {
                if let Err(e) = check_assignee(conn, id, &team_id) {
                    match e {
                        ServiceError::Validation(list) => list.into_iter().for_each(|e| errors.add(e.field, e.message)),
                        other => return Err(other),
                    }
                }
            }
            assignee = new_assignee.clone();
        } else if team_id != ticket.team_id && ticket.assignee_id.is_some() {
            // Moving to another team leaves the old team's agent behind.
            assignee = None;
        }
        if assignee != ticket.assignee_id {
            changes.push(Change { field: "assignee", from: json!(ticket.assignee_id), to: json!(assignee) });
        }
        // Taking or giving a new ticket to someone starts the work on it: it is open.
        if status_change.is_none() && current == Status::New && assignee.is_some() && assignee != ticket.assignee_id {
            status_change = Some(Status::Open);
        }
        let priority = patch.priority.unwrap_or(ticket.priority);
        if priority != ticket.priority {
            changes.push(Change { field: "priority", from: json!(ticket.priority), to: json!(priority) });
        }
        errors.into_result()?;
        bump_version(conn, &ticket, patch.version)?;
        let status = status_change.unwrap_or(current);
        diesel::update(tickets::table.find(&ticket.id))
            .set((
                tickets::status.eq(status),
                tickets::priority.eq(priority),
                tickets::category_id.eq(&category_id),
                tickets::team_id.eq(&team_id),
                tickets::assignee_id.eq(&assignee),
            ))
            .execute(conn)?;
        for change in &changes {
            record_event(conn, &ticket.id, Some(&user.id), &format!("{}_changed", change.field), json!({"from": change.from, "to": change.to}))?;
        }
        if let Some(to) = status_change {
            apply_status(conn, &ticket, Some(&user.id), current, to, base_url, true)?;
        }
        if category_id != ticket.category_id || team_id != ticket.team_id {
            // After the status: a pause that ends here is already counted in.
            let changed = tickets::table.find(&ticket.id).select(TicketRow::as_select()).first(conn)?;
            crate::sla::recompute::recompute(conn, &changed, Some(&user.id), Utc::now())?;
        }
        if let Some(Some(assignee_id)) = &patch.assignee {
            if ticket.assignee_id.as_deref() != Some(assignee_id.as_str()) && assignee_id != &user.id {
                let mail = Mail::TicketAssigned(staff_mail(&ticket, base_url));
                outbox::notify_staff(conn, &ticket.id, &team_id, Some(assignee_id), &mail)?;
            }
        }
        Ok(tickets::table.find(&ticket.id).select(TicketRow::as_select()).first(conn)?)
    })?;
    full_view(conn, user, &ticket)
}

/// A reply (public) or a note (internal, staff only), with its files.
#[tracing::instrument(skip_all, fields(number = %number))]
pub fn add_message(
    conn: &mut DbConn,
    user: &User,
    number: &TicketNumber,
    input: NewMessage,
    uploads: &[Upload],
    base_url: &str,
) -> Result<MessageView, ServiceError> {
    let mut errors = FieldErrors::default();
    let body = errors.text("body", &input.body, MAX_BODY);
    if !user.is_staff() && (input.internal || input.status.is_some()) {
        return Err(ServiceError::Forbidden("internal notes and status changes with a reply are for staff".into()));
    }
    errors.into_result()?;
    let (message, files) = write_tx(conn, |conn| -> Result<_, ServiceError> {
        let ticket = visible_ticket(conn, user, number)?;
        let current = ticket.status;
        if current == Status::Closed {
            return Err(ServiceError::Conflict(format!("ticket {} is closed: open a new ticket", ticket.number)));
        }
        if current == Status::Unverified && !user.is_staff() {
            return Err(ServiceError::Conflict("confirm your e-mail address first: follow the link we sent you".into()));
        }
        let kind = if input.internal { MessageKind::Internal } else { MessageKind::Public };
        let message = MessageRow::new(&ticket.id, kind, Some(&user.id), body.clone());
        diesel::insert_into(messages::table).values(&message).execute(conn)?;
        let files = link_uploads(conn, &ticket.id, Some(&message.id), Some(&user.id), uploads)?;
        crate::tickets::search_index::index_ticket(conn, &ticket.id)?;
        record_event(conn, &ticket.id, Some(&user.id), &format!("message_{}", kind.as_str()), json!({"message_id": message.id, "attachments": files.len()}))?;

        // What the message does to the status: a student's reply reopens; staff may set one.
        let target = match (user.is_staff(), kind) {
            (_, MessageKind::Internal) => None,
            (false, _) if matches!(current, Status::WaitingStudent | Status::Resolved) => Some(Status::Open),
            (true, _) => match input.status {
                Some(to) if to != current => Some(to),
                _ if current == Status::New => Some(Status::Open),
                _ => None,
            },
            _ => None,
        };
        if let Some(to) = target {
            let allowed = if user.is_staff() { current.staff_can_move_to(to) } else { true };
            if !allowed {
                return Err(ServiceError::field("status", format!("cannot go from {} to {}", current.as_str(), to.as_str())));
            }
        }
        let status = target.unwrap_or(current);
        diesel::update(tickets::table.find(&ticket.id))
            .set((
                tickets::updated_at.eq(now()),
                tickets::status.eq(status),
                tickets::version.eq(ticket.version + i32::from(target.is_some())),
            ))
            .execute(conn)?;
        let staff_reply = user.is_staff() && kind == MessageKind::Public;
        if let Some(to) = target {
            apply_status(conn, &ticket, Some(&user.id), current, to, base_url, !staff_reply)?;
        }
        if staff_reply {
            if ticket.first_responded_at.is_none() {
                diesel::update(tickets::table.find(&ticket.id)).set(tickets::first_responded_at.eq(Some(now()))).execute(conn)?;
            }
            let (email, name) = requester_contact(conn, &ticket)?;
            let mail = Mail::StaffReply(StaffReply {
                number: ticket.number.clone(),
                subject: ticket.subject.clone(),
                name,
                reply: body.clone(),
                author: user.display_name.clone(),
                link: link(base_url, &ticket),
                waiting: status == Status::WaitingStudent,
                resolved: status == Status::Resolved,
            });
            outbox::enqueue(conn, Notification { recipient: &email, locale: ticket.locale, ticket_id: Some(&ticket.id), mail: &mail })?;
        }
        if !user.is_staff() {
            let mail = Mail::StudentReply(staff_mail(&ticket, base_url));
            outbox::notify_staff(conn, &ticket.id, &ticket.team_id, ticket.assignee_id.as_deref(), &mail)?;
        }
        Ok((message, files))
    })?;
    let mut names = Names::default();
    names.add_person(&user.id, &user.display_name, &user.email, user.role);
    Ok(message_view(&message, &files, &names, &Viewer { id: &user.id, is_staff: user.is_staff() }))
}

/// Files added to a ticket outside a message.
pub fn add_attachments(conn: &mut DbConn, user: &User, number: &TicketNumber, uploads: &[Upload]) -> Result<Vec<super::view::AttachmentView>, ServiceError> {
    let rows = write_tx(conn, |conn| -> Result<_, ServiceError> {
        let ticket = visible_ticket(conn, user, number)?;
        if ticket.status == Status::Closed {
            return Err(ServiceError::Conflict(format!("ticket {} is closed", ticket.number)));
        }
        let rows = link_uploads(conn, &ticket.id, None, Some(&user.id), uploads)?;
        record_event(conn, &ticket.id, Some(&user.id), "attachments_added", json!({"count": rows.len()}))?;
        diesel::update(tickets::table.find(&ticket.id)).set(tickets::updated_at.eq(now())).execute(conn)?;
        Ok(rows)
    })?;
    Ok(rows.iter().map(super::view::attachment_view).collect())
}

