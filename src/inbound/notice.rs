//! A plausible student whose mail could not be checked (no valid reply token) is told, once per
//! ticket, to answer from the ticket's page. Once: the mail goes to the address the message
//! claims to come from, and a forger must not be able to make the desk mail someone at will.

use diesel::prelude::*;

use super::locate::ticket_by_number;
use super::quarantine::Envelope;
use super::Inbound;
use crate::db::schema::{outbox, users};
use crate::db::DbConn;
use crate::domain::Status;
use crate::error::ServiceError;
use crate::mail::notification::ReplyRefused;
use crate::mail::outbox::{enqueue, Mail, Notification};

/// Queues the notice if the sender is the ticket's requester and was not told before.
pub(super) fn tell_to_use_the_page(conn: &mut DbConn, config: &Inbound, envelope: &Envelope) -> Result<(), ServiceError> {
    let Some(number) = envelope.ticket_number.as_deref() else {
        return Ok(());
    };
    let Some(ticket) = ticket_by_number(conn, number)? else {
        return Ok(());
    };
    if ticket.status == Status::Unverified {
        return Ok(());
    }
    let (email, name): (String, String) = users::table.find(&ticket.requester_id).select((users::email, users::display_name)).first(conn)?;
    if !email.eq_ignore_ascii_case(envelope.sender.trim()) {
        return Ok(());
    }
    let link = format!("{}/tickets/{}", config.place.base_url, ticket.number);
    let mail = Mail::ReplyRefused(ReplyRefused { number: ticket.number.clone(), name, link });
    let told: i64 = outbox::table.filter(outbox::ticket_id.eq(&ticket.id)).filter(outbox::kind.eq(mail.kind())).count().get_result(conn)?;
    if told > 0 {
        return Ok(());
    }
    enqueue(conn, Notification { recipient: &email, locale: ticket.locale, ticket_id: Some(&ticket.id), mail: &mail })?;
    Ok(())
}
