//! What admins see of the outbox: dead letters, and re-queueing them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::ids::now;
use crate::db::outbox::OutboxRow;
use crate::db::schema::outbox;
use crate::db::{write_tx, DbConn};
use crate::error::ServiceError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutboxView {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboxRow> for OutboxView {
    fn from(r: OutboxRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            recipient: r.recipient,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at.and_utc(),
            next_attempt_at: r.next_attempt_at.and_utc(),
            sent_at: r.sent_at.map(|t| t.and_utc()),
        }
    }
}

pub const STATUSES: [&str; 3] = ["pending", "sent", "dead"];

pub fn list(conn: &mut DbConn, status: &str, limit: i64) -> Result<Vec<OutboxView>, ServiceError> {
    if !STATUSES.contains(&status) {
        return Err(ServiceError::field("status", "must be pending, sent or dead"));
    }
    Ok(outbox::table
        .filter(outbox::status.eq(status))
        .order(outbox::id.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load::<OutboxRow>(conn)?
        .into_iter()
        .map(OutboxView::from)
        .collect())
}

/// Puts a dead letter back in the queue with a fresh 24-hour window.
pub fn requeue(conn: &mut DbConn, id: &str) -> Result<OutboxView, ServiceError> {
    write_tx(conn, |conn| {
        let row: OutboxRow = outbox::table.find(id).select(OutboxRow::as_select()).first(conn)?;
        if row.status != "dead" {
            return Err(ServiceError::Conflict(format!("notification {id} is {}, not dead", row.status)));
        }
        let now = now();
        diesel::update(outbox::table.find(id))
            .set((
                outbox::status.eq("pending"),
                outbox::attempts.eq(0),
                outbox::next_attempt_at.eq(now),
                outbox::requeued_at.eq(Some(now)),
                outbox::last_error.eq(None::<String>),
            ))
            .execute(conn)?;
        Ok(OutboxView::from(outbox::table.find(id).select(OutboxRow::as_select()).first::<OutboxRow>(conn)?))
    })
}
