//! A plausible student whose mail could not be checked (no valid reply token) is told, once per
//! ticket, to answer from the ticket's page. Once: the mail goes to the address the message
//! claims to come from, and a forger must not be able to make the desk mail someone at will.

use diesel::prelude::*;
use serde_json::json;

use super::locate::ticket_by_number;
use super::quarantine::Envelope;
use super::Inbound;
use crate::db::schema::{outbox, users};
use crate::db::DbConn;
use crate::domain::{Locale, Status};
use crate::error::ServiceError;
use crate::mail::outbox::{enqueue, Notification};

const KIND: &str = "reply_refused";

/// Queues the notice if the sender is the ticket's requester and was not told before.
pub(super) fn tell_to_use_the_page(conn: &mut DbConn, config: &Inbound, envelope: &Envelope) -> Result<(), ServiceError> {
    let Some(number) = envelope.ticket_number.as_deref() else {
        return Ok(());
    };
    let Some(ticket) = ticket_by_number(conn, number)? else {
        return Ok(());
    };
    if ticket.status()? == Status::Unverified {
        return Ok(());
    }
    let (email, name): (String, String) = users::table.find(&ticket.requester_id).select((users::email, users::display_name)).first(conn)?;
    if !email.eq_ignore_ascii_case(envelope.sender.trim()) {
        return Ok(());
    }
    let told: i64 = outbox::table.filter(outbox::ticket_id.eq(&ticket.id)).filter(outbox::kind.eq(KIND)).count().get_result(conn)?;
    if told > 0 {
        return Ok(());
    }
    let payload = json!({"number": ticket.number, "name": name, "link": format!("{}/tickets/{}", config.place.base_url, ticket.number)});
    let locale = Locale::from_db(&ticket.locale);
    enqueue(conn, Notification { kind: KIND, recipient: &email, locale, ticket_id: Some(&ticket.id), payload })?;
    Ok(())
}
