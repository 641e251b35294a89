//! Guests: a ticket opened with a name and an address, reached through the secret link mailed
//! to that address. Following the link (a confirmation page and its POST on the portal) proves
//! the mailbox: the ticket enters the queues and joins the account of that address. A link
//! unused for `idle` stops working; the guest asks for a fresh one with the ticket's number
//! and the address.

use chrono::Duration;
use diesel::prelude::*;
use serde_json::json;

use super::open::{hash_secret, new_secret};
use crate::db::ticket_rows::{record_event, TicketRow};
use super::query::full_view;
use super::update::{link, mail_requester, staff_mail};
use super::view::TicketView;
use crate::accounts::{find_user, prove_mailbox, User};
use crate::ids::now;
use crate::db::schema::{tickets, users};
use crate::db::{write_tx, DbConn};
use crate::domain::{Email, Status, TicketNumber};
use crate::error::ServiceError;
use crate::mail::notification::RequesterMail;
use crate::mail::outbox::{self, Mail, Notification};

/// How often a guest's visit is recorded (a write per page view would be wasted).
const SEEN_EVERY_MINUTES: i64 = 60;

/// The ticket that a guest's secret opens, if the link was used within `idle`; NotFound for a
/// wrong number or secret, or a link unused for too long.
pub fn guest_ticket(conn: &mut DbConn, number: &TicketNumber, secret: &str, idle: Duration) -> Result<TicketRow, ServiceError> {
    guest_visit(conn, number, secret, idle).map(|(ticket, _)| ticket)
}

/// `guest_ticket`, and whether the visit should be recorded now (the last one is older than an
/// hour), from the one read.
pub fn guest_visit(conn: &mut DbConn, number: &TicketNumber, secret: &str, idle: Duration) -> Result<(TicketRow, bool), ServiceError> {
    let (ticket, seen): (TicketRow, Option<chrono::NaiveDateTime>) = tickets::table
        .filter(tickets::number.eq(number.to_string()))
        .filter(tickets::guest_secret_hash.eq(hash_secret(secret)))
        .select((TicketRow::as_select(), tickets::guest_seen_at))
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound)?;
    let last = seen.unwrap_or(ticket.created_at);
    if last + idle < now() {
        return Err(ServiceError::NotFound);
    }
    let due = last + Duration::minutes(SEEN_EVERY_MINUTES) < now();
    Ok((ticket, due))
}

/// Records a guest's visit: the link's idle time starts again.
pub fn record_visit(conn: &mut DbConn, ticket_id: &str) -> Result<(), ServiceError> {
    diesel::update(tickets::table.find(ticket_id)).set(tickets::guest_seen_at.eq(Some(now()))).execute(conn)?;
    Ok(())
}

/// The guest followed the mailed link and confirmed: the mailbox is proven, the ticket enters
/// the queues and joins the account of that address.
pub fn verify_guest(conn: &mut DbConn, number: &TicketNumber, secret: &str, idle: Duration, base_url: &str) -> Result<(User, TicketView), ServiceError> {
    let ticket = write_tx(conn, |conn| -> Result<TicketRow, ServiceError> {
        let ticket = guest_ticket(conn, number, secret, idle)?;
        if ticket.status == Status::Unverified {
            diesel::update(tickets::table.find(&ticket.id))
                .set((tickets::status.eq(Status::New), tickets::version.eq(ticket.version + 1), tickets::updated_at.eq(now())))
                .execute(conn)?;
            prove_mailbox(conn, &ticket.requester_id)?;
            crate::sla::on_status_change(conn, &ticket, Status::Unverified, Status::New)?;
            record_event(conn, &ticket.id, Some(&ticket.requester_id), "verified", json!({}))?;
            mail_requester(conn, &ticket, Mail::TicketCreated, base_url)?;
            let mail = Mail::TeamNewTicket(staff_mail(&ticket, base_url));
            outbox::notify_staff(conn, &ticket.id, &ticket.team_id, None, &mail)?;
        }
        record_visit(conn, &ticket.id)?;
        Ok(tickets::table.find(&ticket.id).select(TicketRow::as_select()).first(conn)?)
    })?;
    let requester = find_user(conn, &ticket.requester_id)?;
    let view = full_view(conn, &requester, &ticket)?;
    Ok((requester, view))
}

/// Mails a fresh secret link for a guest's ticket when `email` is the ticket's address (the
/// links sent before stop working). Does nothing otherwise, so the answer tells nothing.
/// Tickets whose confirmation expired unconfirmed stay closed to links.
pub fn send_fresh_link(conn: &mut DbConn, number: &TicketNumber, email: &Email, base_url: &str) -> Result<(), ServiceError> {
    write_tx(conn, |conn| {
        let found: Option<(TicketRow, String, String)> = tickets::table
            .inner_join(users::table.on(users::id.eq(tickets::requester_id)))
            .filter(tickets::number.eq(number.to_string()))
            .filter(tickets::guest_secret_hash.is_not_null())
            .filter(users::email.eq(email.as_str()))
            .select((TicketRow::as_select(), users::email, users::display_name))
            .first(conn)
            .optional()?;
        let Some((ticket, address, name)) = found else {
            return Ok(());
        };
        let (secret, hash) = new_secret();
        diesel::update(tickets::table.find(&ticket.id))
            .set((tickets::guest_secret_hash.eq(Some(hash)), tickets::guest_seen_at.eq(Some(now()))))
            .execute(conn)?;
        record_event(conn, &ticket.id, None, "guest_link_renewed", json!({}))?;
        let mail = Mail::GuestLink(RequesterMail {
            number: ticket.number.clone(),
            subject: ticket.subject.clone(),
            name,
            link: format!("{}?secret={secret}", link(base_url, &ticket)),
        });
        outbox::enqueue(conn, Notification { recipient: &address, locale: ticket.locale, ticket_id: Some(&ticket.id), mail: &mail })?;
        Ok(())
    })
}
