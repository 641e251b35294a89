//! The rows of a ticket, its messages, files and events, as diesel maps them, and the one
//! way to record an event in its history.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use crate::ids::{new_id, now};
use crate::db::schema::{attachments, messages, ticket_events, tickets};
use crate::db::DbConn;
use crate::domain::{Locale, Priority, Status};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tickets)]
// `None` inserted as NULL, not left to the column default: one SQL text for every row, so
// the statement is cached by its type (see `db::direct`).
#[diesel(treat_none_as_default_value = false)]
pub struct TicketRow {
    pub id: String,
    pub number: String,
    pub year: i32,
    pub seq: i64,
    pub category_id: String,
    pub form_id: String,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub requester_id: String,
    pub assignee_id: Option<String>,
    pub team_id: String,
    pub fields: String,
    pub locale: Locale,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub first_response_due_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub first_responded_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub merged_into_id: Option<String>,
    pub guest_secret_hash: Option<String>,
    pub follow_up_of: Option<String>,
    /// The close of a linked procedure's window (deadline-aware SLA).
    pub deadline_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Public,
    Internal,
    System,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Public => "public",
            MessageKind::Internal => "internal",
            MessageKind::System => "system",
        }
    }

    pub fn from_db(value: &str) -> Self {
        match value {
            "internal" => MessageKind::Internal,
            "system" => MessageKind::System,
            _ => MessageKind::Public,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = messages)]
#[diesel(treat_none_as_default_value = false)]
pub struct MessageRow {
    pub id: String,
    pub ticket_id: String,
    pub kind: String,
    pub author_id: Option<String>,
    pub body: String,
    pub created_at: NaiveDateTime,
}

impl MessageRow {
    pub fn new(ticket_id: &str, kind: MessageKind, author_id: Option<&str>, body: String) -> Self {
        Self {
            id: new_id(),
            ticket_id: ticket_id.to_owned(),
            kind: kind.as_str().to_owned(),
            author_id: author_id.map(str::to_owned),
            body,
            created_at: now(),
        }
    }

    pub fn kind(&self) -> MessageKind {
        MessageKind::from_db(&self.kind)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments)]
pub struct AttachmentRow {
    pub id: String,
    pub ticket_id: String,
    pub message_id: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: Option<String>,
    pub identity_document: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_events)]
#[diesel(treat_none_as_default_value = false)]
pub struct EventRow {
    pub id: String,
    pub ticket_id: String,
    pub actor_id: Option<String>,
    pub kind: String,
    pub data: String,
    pub created_at: NaiveDateTime,
}

/// Appends an audit event. Call inside the transaction of the change it records.
pub fn record_event(conn: &mut DbConn, ticket_id: &str, actor_id: Option<&str>, kind: &str, data: Value) -> QueryResult<()> {
    super::direct::execute(conn, new_event(ticket_id, actor_id, kind, data)).map(|_| ())
}

/// The insert of an audit event (`record_event`, or a `direct::Batch`).
pub fn new_event(ticket_id: &str, actor_id: Option<&str>, kind: &str, data: Value) -> impl super::direct::Statement + 'static {
    let row = EventRow {
        id: new_id(),
        ticket_id: ticket_id.to_owned(),
        actor_id: actor_id.map(str::to_owned),
        kind: kind.to_owned(),
        data: data.to_string(),
        created_at: now(),
    };
    diesel::insert_into(ticket_events::table).values(row)
}
