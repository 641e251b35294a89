//! Reading tickets: the list with filters and keyset pagination, one ticket with its thread,
//! and its audit history.

use base64::Engine;
use diesel::prelude::*;

use super::access::visible_ticket;
use super::model::{AttachmentRow, EventRow, MessageRow, TicketRow};
use super::view::{event_view, message_view, ticket_view, visible_to, EventView, Names, TicketView, Viewer};
use crate::accounts::User;
use crate::categories;
use crate::db::schema::{attachments, categories as categories_t, category_forms, messages, teams, ticket_events, tickets};
use crate::db::DbConn;
use crate::domain::{Priority, Role, Status, TicketNumber};
use crate::error::{FieldErrors, ServiceError};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// Filters as they come from the query string; parsed here so errors name the parameter.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// One status or several separated by commas.
    pub status: Option<String>,
    pub category: Option<String>,
    pub team: Option<String>,
    /// A user id, `me`, or `none`.
    pub assignee: Option<String>,
    pub priority: Option<String>,
    /// A ticket number, or words in the subject.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

fn encode_cursor(id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let id = String::from_utf8(bytes).ok()?;
    uuid::Uuid::parse_str(&id).ok().map(|_| id)
}

/// Newest first. Ids are UUIDv7 (time-ordered), so the id alone is the keyset.
pub fn list(conn: &mut DbConn, user: &User, params: &ListParams) -> Result<Page<TicketView>, ServiceError> {
    let mut errors = FieldErrors::default();
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.add("limit", format!("must be between 1 and {MAX_LIMIT}"));
    }
    let statuses: Vec<String> = match &params.status {
        Some(raw) => raw
            .split(',')
            .filter_map(|s| errors.check("status", Status::parse(s.trim())))
            .map(|s| s.as_str().to_owned())
            .collect(),
        None => Vec::new(),
    };
    let priority = params.priority.as_deref().and_then(|p| errors.check("priority", Priority::parse(p)));
    let cursor = match &params.cursor {
        Some(c) => {
            let decoded = decode_cursor(c);
            if decoded.is_none() {
                errors.add("cursor", "is not a cursor this server gave");
            }
            decoded
        }
        None => None,
    };
    errors.into_result()?;

    let mut query = tickets::table.select(TicketRow::as_select()).into_boxed();
    match user.role {
        Role::Student => query = query.filter(tickets::requester_id.eq(&user.id)),
        Role::Agent => {
            query = query.filter(tickets::team_id.eq_any(&user.team_ids).or(tickets::assignee_id.eq(&user.id)));
        }
        Role::Supervisor | Role::Admin => {}
    }
    if statuses.is_empty() {
        // Unverified guest tickets are in no queue.
        if user.is_staff() {
            query = query.filter(tickets::status.ne(Status::Unverified.as_str()));
        }
    } else {
        query = query.filter(tickets::status.eq_any(statuses));
    }
    if let Some(slug) = &params.category {
        let ids = categories_t::table.filter(categories_t::slug.eq(slug)).select(categories_t::id);
        query = query.filter(tickets::category_id.eq_any(ids));
    }
    if let Some(slug) = &params.team {
        let ids = teams::table.filter(teams::slug.eq(slug)).select(teams::id);
        query = query.filter(tickets::team_id.eq_any(ids));
    }
    match params.assignee.as_deref() {
        None => {}
        Some("none") => query = query.filter(tickets::assignee_id.is_null()),
        Some("me") => query = query.filter(tickets::assignee_id.eq(user.id.clone())),
        Some(id) => query = query.filter(tickets::assignee_id.eq(id.to_owned())),
    }
    if let Some(priority) = priority {
        query = query.filter(tickets::priority.eq(priority.as_str()));
    }
    if let Some(q) = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        match q.parse::<TicketNumber>() {
            Ok(number) => query = query.filter(tickets::number.eq(number.to_string())),
            Err(_) => {
                let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                query = query.filter(lower(tickets::subject).like(format!("%{escaped}%")).escape('\\'));
            }
        }
    }
    if let Some(cursor) = cursor {
        query = query.filter(tickets::id.lt(cursor));
    }
    let mut rows: Vec<TicketRow> = query.order(tickets::id.desc()).limit(limit + 1).load(conn)?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| encode_cursor(&r.id))
    } else {
        None
    };
    let names = Names::load(
        conn,
        rows.iter().flat_map(|r| std::iter::once(r.requester_id.as_str()).chain(r.assignee_id.as_deref())),
        true,
    )?;
    let viewer = Viewer { id: &user.id, is_staff: user.is_staff() };
    let items = rows.iter().map(|r| ticket_view(r, &names, &viewer)).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor })
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
    view.career_actions = crate::career::instances::linked_to_ticket(conn, &ticket.id, user.locale)?;
    view.messages = Some(thread.iter().map(|m| message_view(m, &files, &names, &viewer)).collect());
    view.attachments = Some(files.iter().map(super::view::attachment_view).collect());
    Ok(view)
}

/// Event kinds a student may see in their own ticket's history.
const STUDENT_EVENTS: [&str; 6] =
    ["created", "status_changed", "verified", "reopened", "career_action_linked", "career_action_status"];

pub fn events(conn: &mut DbConn, user: &User, number: &TicketNumber) -> Result<Vec<EventView>, ServiceError> {
    let ticket = visible_ticket(conn, user, number)?;
    let rows: Vec<EventRow> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(&ticket.id))
        .order(ticket_events::id.asc())
        .select(EventRow::as_select())
        .load::<EventRow>(conn)?
        .into_iter()
        .filter(|e| user.is_staff() || STUDENT_EVENTS.contains(&e.kind.as_str()))
        .collect();
    let names = Names::load(conn, rows.iter().filter_map(|e| e.actor_id.as_deref()), false)?;
    let viewer = Viewer { id: &user.id, is_staff: user.is_staff() };
    Ok(rows.iter().map(|e| event_view(e, &names, &viewer)).collect())
}

/// Used by update paths to re-read categories by slug.
pub fn category_by_slug(conn: &mut DbConn, slug: &str) -> Result<categories::Category, ServiceError> {
    categories::by_slug(conn, slug)?.ok_or_else(|| ServiceError::field("category", format!("unknown category '{slug}'")))
}
