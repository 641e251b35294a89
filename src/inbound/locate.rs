//! Finding the ticket a reply belongs to: the plus-address, the subject tag, then the
//! Message-IDs it answers (see the parent module's documentation).

use diesel::prelude::*;
use mail_parser::Message;

use super::Inbound;
use crate::db::schema::{outbox, tickets};
use crate::db::DbConn;
use crate::domain::{Email, TicketNumber};
use crate::mail::reply_token::split_tag;
use crate::db::ticket_rows::TicketRow;

/// `HD-2026-000042` (any case) as the canonical ticket number.
pub(super) fn as_number(raw: &str) -> Option<String> {
    TicketNumber::parse_any_case(raw).ok().map(|n| n.to_string())
}

/// The tag of `helpdesk+TAG@domain` when the part before `+` is the desk's.
fn plus_tag<'a>(address: &'a str, reply_local: &str) -> Option<&'a str> {
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (user, _) = address.rsplit_once('@')?;
    let (base, tag) = user.split_once('+')?;
    base.eq_ignore_ascii_case(reply_local).then_some(tag)
}

/// The plus tags (`HD-2026-000042.<token>`) of the addresses the message was sent to.
fn plus_tags(message: &Message<'_>, config: &Inbound) -> Vec<String> {
    let mut addresses: Vec<String> = message
        .to()
        .into_iter()
        .chain(message.cc())
        .flat_map(|list| list.iter())
        .filter_map(|a| a.address())
        .map(str::to_owned)
        .collect();
    // What the MTA says it delivered to (survives a Bcc or a forward).
    for (name, value) in message.headers_raw() {
        if ["Delivered-To", "X-Original-To", "Envelope-To"].iter().any(|h| name.eq_ignore_ascii_case(h)) {
            addresses.extend(value.split(',').map(|a| a.trim().to_owned()));
        }
    }
    addresses.iter().filter_map(|a| plus_tag(a, &config.reply_local)).map(str::to_owned).collect()
}

/// Ticket numbers from the plus-addresses the message was sent to (token or not).
pub(super) fn plus_numbers(message: &Message<'_>, config: &Inbound) -> Vec<String> {
    plus_tags(message, config).iter().filter_map(|tag| as_number(split_tag(tag).0)).collect()
}

/// The ticket of a reply address whose token was made for `sender` (following merges); `None`
/// when no address of the message carries such a token.
pub(super) fn by_reply_token(conn: &mut DbConn, message: &Message<'_>, config: &Inbound, sender: &Email) -> QueryResult<Option<TicketRow>> {
    for tag in plus_tags(message, config) {
        let (number, token) = split_tag(&tag);
        let (Some(number), Some(token)) = (as_number(number), token) else { continue };
        if !config.reply_key.check(&number, sender.as_str(), token) {
            continue;
        }
        if let Some(ticket) = ticket_by_number(conn, &number)? {
            return follow_merges(conn, ticket).map(Some);
        }
    }
    Ok(None)
}

/// Ticket numbers of `[HD-2026-000042]` tags in the subject.
pub(super) fn subject_numbers(subject: &str) -> Vec<String> {
    subject.split('[').skip(1).filter_map(|rest| rest.split_once(']')).filter_map(|(inside, _)| as_number(inside)).collect()
}

/// Message-IDs this message answers: In-Reply-To first, then References newest first.
pub(super) fn thread_ids(message: &Message<'_>) -> Vec<String> {
    fn ids(value: &mail_parser::HeaderValue<'_>) -> Vec<String> {
        match value {
            mail_parser::HeaderValue::Text(id) => vec![id.to_string()],
            mail_parser::HeaderValue::TextList(list) => list.iter().map(|id| id.to_string()).collect(),
            _ => Vec::new(),
        }
    }
    let mut all = ids(message.in_reply_to());
    all.extend(ids(message.references()).into_iter().rev());
    all
}

pub(super) fn ticket_by_number(conn: &mut DbConn, number: &str) -> QueryResult<Option<TicketRow>> {
    tickets::table.filter(tickets::number.eq(number)).select(TicketRow::as_select()).first(conn).optional()
}

pub(super) fn ticket_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<TicketRow>> {
    tickets::table.find(id).select(TicketRow::as_select()).first(conn).optional()
}

/// A merged ticket's thread continues on the ticket it was merged into.
fn follow_merges(conn: &mut DbConn, mut ticket: TicketRow) -> QueryResult<TicketRow> {
    for _ in 0..8 {
        let Some(into) = ticket.merged_into_id.clone() else { break };
        match ticket_by_id(conn, &into)? {
            Some(next) => ticket = next,
            None => break,
        }
    }
    Ok(ticket)
}

/// The ticket a reply belongs to (see the module documentation for the order).
pub(super) fn locate(conn: &mut DbConn, message: &Message<'_>, config: &Inbound) -> QueryResult<Option<TicketRow>> {
    let mut numbers = plus_numbers(message, config);
    numbers.extend(subject_numbers(message.subject().unwrap_or_default()));
    for number in &numbers {
        if let Some(ticket) = ticket_by_number(conn, number)? {
            return follow_merges(conn, ticket).map(Some);
        }
    }
    for id in thread_ids(message) {
        let local = id.split('@').next().unwrap_or_default();
        let found = if let Some(number) = as_number(local) {
            ticket_by_number(conn, &number)?
        } else if uuid::Uuid::parse_str(local).is_ok() {
            let ticket_id: Option<Option<String>> = outbox::table.find(local).select(outbox::ticket_id).first(conn).optional()?;
            match ticket_id.flatten() {
                Some(ticket_id) => ticket_by_id(conn, &ticket_id)?,
                None => None,
            }
        } else {
            None
        };
        if let Some(ticket) = found {
            return follow_merges(conn, ticket).map(Some);
        }
    }
    Ok(None)
}

