//! Reading tickets: the list with filters and keyset pagination, one ticket with its thread,
//! and its audit history.

use diesel::prelude::*;

use crate::auth::ticket_access::visible_ticket;
use crate::db::ticket_rows::{AttachmentRow, EventRow, MessageRow, TicketRow};
use super::view::{message_view, ticket_view, visible_to, EventView, Names, TicketView, Viewer};
use crate::accounts::User;
use crate::categories;
use crate::db::schema::{attachments, category_forms, messages, ticket_events};
use crate::db::DbConn;
use crate::domain::{Locale, TicketNumber};
use crate::error::ServiceError;

pub use super::listing::{ListParams, Page, DEFAULT_LIMIT, MAX_LIMIT};
pub use super::search_index::Ranking;

/// Every ticket the user may see, filtered, sorted (newest first unless asked) and in keyset
/// pages; see `listing::list_visible`.
pub fn list(conn: &mut DbConn, user: &User, params: &ListParams, ranking: Ranking) -> Result<Page<TicketView>, ServiceError> {
    super::listing::list_visible(conn, user, params, ranking)
}

/// One ticket with its thread (students never get internal notes nor their files).
pub fn get(conn: &mut DbConn, user: &User, number: &TicketNumber) -> Result<TicketView, ServiceError> {
    let ticket = visible_ticket(conn, user, number)?;
    full_view(conn, user, &ticket)
}

pub fn full_view(conn: &mut DbConn, user: &User, ticket: &TicketRow) -> Result<TicketView, ServiceError> {
    let is_staff = user.is_staff();
    let thread: Vec<MessageRow> = messages::table
        .filter(messages::ticket_id.eq(&ticket.id))
        .order(messages::id.asc())
        .select(MessageRow::as_select())
        .load::<MessageRow>(conn)?
        .into_iter()
        .filter(|m| visible_to(m.kind(), is_staff))
        .collect();
    let files: Vec<AttachmentRow> = attachments::table
        .filter(attachments::ticket_id.eq(&ticket.id))
        .order(attachments::id.asc())
        .select(AttachmentRow::as_select())
        .load::<AttachmentRow>(conn)?
        .into_iter()
        .filter(|a| match &a.message_id {
            Some(id) => thread.iter().any(|m| &m.id == id),
            None => true,
        })
        .collect();
    let names = Names::load(
        conn,
        thread
            .iter()
            .filter_map(|m| m.author_id.as_deref())
            .chain([ticket.requester_id.as_str()])
            .chain(ticket.assignee_id.as_deref()),
        true,
    )?;
    let viewer = Viewer { id: &user.id, is_staff };
    let mut view = ticket_view(ticket, &names, &viewer)?;
    view.form_version = category_forms::table.find(&ticket.form_id).select(category_forms::version).first(conn).optional()?;
    view.privacy_notice_version = acknowledged_notice(conn, &ticket.id)?;
    view.erasure_request = erasure_request(conn, user, ticket)?;
    view.career_actions = crate::career::instances::linked_to_ticket(conn, &ticket.id, user.locale)?;
    view.messages = Some(thread.iter().map(|m| message_view(m, &files, &names, &viewer)).collect());
    view.attachments = Some(files.iter().map(super::view::attachment_view).collect());
    Ok(view)
}

/// The privacy notice version the ticket's requester acknowledged, if any.
pub fn acknowledged_notice(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Option<crate::domain::NoticeVersion>> {
    use crate::db::privacy_schema::ticket_notice_acks;
    let version: Option<i32> = ticket_notice_acks::table.find(ticket_id).select(ticket_notice_acks::version).first(conn).optional()?;
    Ok(version.map(crate::domain::NoticeVersion::stored))
}

/// The erasure request this ticket was opened for, if it was.
pub fn erasure_request(conn: &mut DbConn, user: &User, ticket: &TicketRow) -> QueryResult<Option<super::view::ErasureView>> {
    use crate::db::privacy_schema::erasure_requests as e;
    let row: Option<(crate::domain::ErasureState, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>, Option<String>)> =
        e::table.find(&ticket.id).select((e::state, e::requested_at, e::decided_at, e::reason)).first(conn).optional()?;
    Ok(row.map(|(state, requested_at, decided_at, reason)| super::view::ErasureView {
        state,
        requested_at: requested_at.and_utc(),
        decided_at: decided_at.map(|d| d.and_utc()),
        reason,
        can_decide: state.can_decide() && crate::auth::ticket_access::may_decide_erasure(user, ticket),
    }))
}

/// Event kinds a student may see in their own ticket's history.
const STUDENT_EVENTS: [&str; 6] =
    ["created", "status_changed", "verified", "reopened", "career_action_linked", "career_action_status"];

/// The history, change events with names in `locale` (see `history`).
pub fn events(conn: &mut DbConn, user: &User, number: &TicketNumber, locale: Locale) -> Result<Vec<EventView>, ServiceError> {
    let ticket = visible_ticket(conn, user, number)?;
    let rows: Vec<EventRow> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(&ticket.id))
        .order(ticket_events::id.asc())
        .select(EventRow::as_select())
        .load::<EventRow>(conn)?
        .into_iter()
        .filter(|e| user.is_staff() || STUDENT_EVENTS.contains(&e.kind.as_str()))
        .collect();
    let viewer = Viewer { id: &user.id, is_staff: user.is_staff() };
    super::history::views(conn, &rows, &viewer, locale)
}

/// Used by update paths to re-read categories by slug.
pub fn category_by_slug(conn: &mut DbConn, slug: &str) -> Result<categories::Category, ServiceError> {
    categories::by_slug(conn, slug)?.ok_or_else(|| ServiceError::field("category", format!("unknown category '{slug}'")))
}

/// What the "request sent" page shows of a ticket just opened (its opener proved by the page,
/// not by an account: a guest has none yet).
pub struct Receipt {
    pub number: String,
    pub category_id: String,
    /// A guest ticket waiting for its address to be confirmed.
    pub unverified: bool,
    pub career_actions: Vec<crate::career::instances::LinkedAction>,
}

pub fn receipt(conn: &mut DbConn, number: &TicketNumber, locale: Locale) -> Result<Receipt, ServiceError> {
    let ticket: TicketRow = crate::db::schema::tickets::table
        .filter(crate::db::schema::tickets::number.eq(number.to_string()))
        .select(TicketRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound)?;
    let career_actions = crate::career::instances::linked_to_ticket(conn, &ticket.id, locale)?;
    let unverified = ticket.status == crate::domain::Status::Unverified;
    Ok(Receipt { number: ticket.number, category_id: ticket.category_id, unverified, career_actions })
}
