use diesel::prelude::*;
use serde_json::Value;

use crate::accounts::{new_id, now};
use crate::db::schema::{outbox, team_members, users};
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

/// Queues `kind` for the ticket's assignee or, if nobody has it, for every active staff member
/// of the team. Call inside the transaction of the change.
pub fn notify_staff(conn: &mut DbConn, ticket_id: &str, team_id: &str, assignee_id: Option<&str>, kind: &str, payload: &Value) -> QueryResult<()> {
    let recipients: Vec<(String, String)> = match assignee_id {
        Some(id) => users::table.find(id).filter(users::disabled.eq(false)).select((users::email, users::locale)).load(conn)?,
        None => team_members::table
            .inner_join(users::table)
            .filter(team_members::team_id.eq(team_id))
            .filter(users::disabled.eq(false))
            .filter(users::role.ne("student"))
            .select((users::email, users::locale))
            .load(conn)?,
    };
    for (email, locale) in recipients {
        enqueue(conn, Notification { kind, recipient: &email, locale: Locale::from_db(&locale), ticket_id: Some(ticket_id), payload: payload.clone() })?;
    }
    Ok(())
}
