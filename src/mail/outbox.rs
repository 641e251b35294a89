use diesel::prelude::*;
use serde_json::Value;

use crate::accounts::{new_id, now};
use crate::db::schema::outbox;
use crate::db::DbConn;
use crate::domain::Locale;

/// One mail to send. `kind` names the template folder under `templates/email/`.
pub struct Notification<'a> {
    pub kind: &'a str,
    pub recipient: &'a str,
    pub locale: Locale,
    pub ticket_id: Option<&'a str>,
    pub payload: Value,
}

/// Queues a notification. Call inside the transaction of the change that causes it.
pub fn enqueue(conn: &mut DbConn, n: Notification<'_>) -> QueryResult<()> {
    let now = now();
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(new_id()),
            outbox::kind.eq(n.kind),
            outbox::recipient.eq(n.recipient),
            outbox::locale.eq(n.locale.as_str()),
            outbox::ticket_id.eq(n.ticket_id),
            outbox::payload.eq(n.payload.to_string()),
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Pending notifications (for `/readyz` and tests): count and the oldest creation time.
pub fn pending(conn: &mut DbConn) -> QueryResult<(i64, Option<chrono::NaiveDateTime>)> {
    outbox::table
        .filter(outbox::status.eq("pending"))
        .select((diesel::dsl::count_star(), diesel::dsl::min(outbox::created_at)))
        .first(conn)
}
