//! Merging a duplicate into another ticket.
//!
//! The source's messages and attachments are **moved** to the target (their `ticket_id`
//! changes), not referenced: the target's thread, its search document, its attachment access
//! checks and every later reader then need no second lookup, and the spec asks that "thread and
//! links move". The source keeps its number (it is never reused): it is closed, points to the
//! target (`merged_into_id`) and gets a system message saying where its thread went.
//! Both tickets must be the same requester's: a merge moves a thread and its files, and one
//! student's must never reach another's ticket. The requester is mailed (`ticket_merged`).

use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::accounts::User;
use crate::ids::now;
use crate::db::schema::{attachments, messages, tickets, users};
use crate::db::{write_tx, DbConn};
use crate::domain::{Status, TicketNumber};
use crate::error::ServiceError;
use crate::mail::notification::TicketMerged;
use crate::mail::outbox::{self, Mail, Notification};
use crate::auth::ticket_access::visible_ticket;
use crate::db::ticket_rows::{record_event, MessageKind, MessageRow, TicketRow};
use crate::tickets::query::full_view;
use crate::tickets::update::bump_version;
use crate::tickets::view::TicketView;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The ticket number to merge into.
    pub into: String,
    /// The version of the source ticket the agent saw (409 if stale).
    pub version: i32,
}

fn refuse_target(source: &TicketRow, target: &TicketRow) -> Result<(), ServiceError> {
    if target.id == source.id {
        return Err(ServiceError::field(
            "into",
            "a ticket cannot be merged into itself",
        ));
    }
    // One student's thread and files must never land in another student's ticket.
    if target.requester_id != source.requester_id {
        return Err(ServiceError::Conflict(format!(
            "{} and {} were opened by different people: only tickets of the same requester can be merged",
            source.number, target.number
        )));
    }
    if target.merged_into_id.is_some() {
        return Err(ServiceError::Conflict(format!(
            "{} was itself merged into another ticket: merge into that one",
            target.number
        )));
    }
    match target.status {
        Status::Closed => Err(ServiceError::Conflict(format!(
            "{} is closed: merge into an open ticket",
            target.number
        ))),
        Status::Unverified => Err(ServiceError::Conflict(format!(
            "{} is not verified yet",
            target.number
        ))),
        _ => Ok(()),
    }
}

/// Merges `number` into `input.into`. Staff only; both tickets must be visible to them.
/// Answers the target as it is after the merge.
#[tracing::instrument(skip_all, fields(number = %number))]
pub fn merge(
    conn: &mut DbConn,
    user: &User,
    number: &TicketNumber,
    input: &MergeRequest,
    base_url: &str,
) -> Result<TicketView, ServiceError> {
    if !user.is_staff() {
        return Err(ServiceError::Forbidden(
            "merging tickets is for staff".into(),
        ));
    }
    let into: TicketNumber = input.into.trim().parse().map_err(|_| {
        ServiceError::field("into", format!("'{}' is not a ticket number", input.into))
    })?;
    let target = write_tx(conn, |conn| -> Result<TicketRow, ServiceError> {
        let source = visible_ticket(conn, user, number)?;
        let target = match visible_ticket(conn, user, &into) {
            Err(ServiceError::NotFound) => {
                return Err(ServiceError::field(
                    "into",
                    format!("no ticket {into} that you may see"),
                ))
            }
            other => other?,
        };
        refuse_target(&source, &target)?;
        if let Some(merged) = &source.merged_into_id {
            let n: String = tickets::table
                .find(merged)
                .select(tickets::number)
                .first(conn)?;
            return Err(ServiceError::Conflict(format!(
                "{} was already merged into {n}",
                source.number
            )));
        }
        bump_version(conn, &source, input.version)?;
        let at = now();
        diesel::update(messages::table.filter(messages::ticket_id.eq(&source.id)))
            .set(messages::ticket_id.eq(&target.id))
            .execute(conn)?;
        let moved_files =
            diesel::update(attachments::table.filter(attachments::ticket_id.eq(&source.id)))
                .set(attachments::ticket_id.eq(&target.id))
                .execute(conn)?;
        diesel::update(tickets::table.find(&source.id))
            .set((
                tickets::status.eq(Status::Closed),
                tickets::closed_at.eq(Some(at)),
                tickets::merged_into_id.eq(Some(&target.id)),
            ))
            .execute(conn)?;
        diesel::update(tickets::table.find(&target.id))
            .set((
                tickets::version.eq(target.version + 1),
                tickets::updated_at.eq(at),
            ))
            .execute(conn)?;
        let (s, t) = (&source.number, &target.number);
        let note = |text: String, ticket: &TicketRow| {
            MessageRow::new(&ticket.id, MessageKind::System, Some(&user.id), text)
        };
        let rows = [
            note(format!("Unito a {t} / Merged into {t}"), &source),
            note(
                format!("Unito da {s}: il suo storico è qui / Merged from {s}: its thread is here"),
                &target,
            ),
        ];
        for row in &rows {
            diesel::insert_into(messages::table)
                .values(row)
                .execute(conn)?;
        }
        let from = source.status.as_str();
        record_event(
            conn,
            &source.id,
            Some(&user.id),
            "merged_into",
            json!({"into": t, "from_status": from}),
        )?;
        record_event(
            conn,
            &target.id,
            Some(&user.id),
            "merged_from",
            json!({"from": s, "attachments": moved_files}),
        )?;
        crate::tickets::search_index::index_ticket(conn, &source.id)?;
        crate::tickets::search_index::index_ticket(conn, &target.id)?;
        {
            let (email, name): (String, String) = users::table
                .find(&source.requester_id)
                .select((users::email, users::display_name))
                .first(conn)?;
            let mail = Mail::TicketMerged(TicketMerged {
                number: s.to_string(),
                into: t.to_string(),
                subject: source.subject.clone(),
                name,
                link: format!("{base_url}/tickets/{s}"),
            });
            outbox::enqueue(conn, Notification { recipient: &email, locale: source.locale, ticket_id: Some(&source.id), mail: &mail })?;
        }
        tracing::info!(into = %t, "merged");
        Ok(tickets::table
            .find(&target.id)
            .select(TicketRow::as_select())
            .first(conn)?)
    })?;
    full_view(conn, user, &target)
}
