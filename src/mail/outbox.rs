use diesel::prelude::*;
use serde_json::Value;
#[cfg(test)]
use serde_json::json;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use crate::cache::TtlCache;
use crate::ids::{new_id, now};
use crate::db::schema::{outbox, team_members, users};
use crate::db::direct::{self, Batch};
use crate::db::DbConn;
use crate::domain::{Locale, Role};

pub use super::notification::Mail;

/// One mail to send: what (`mail`), to whom, in which language, about which ticket.
pub struct Notification<'a> {
    pub recipient: &'a str,
    pub locale: Locale,
    pub ticket_id: Option<&'a str>,
    pub mail: &'a Mail,
}

/// Queues a notification. Call inside the transaction of the change that causes it.
pub fn enqueue(conn: &mut DbConn, n: Notification<'_>) -> QueryResult<()> {
    let mut batch = Batch::new(conn);
    enqueue_in(&mut batch, n)?;
    batch.finish().map(|_| ())
}

/// `enqueue`, written with the rest of `batch`.
pub fn enqueue_in(batch: &mut Batch<'_, '_>, n: Notification<'_>) -> QueryResult<()> {
    enqueue_to(batch, n.mail, n.ticket_id, &[(n.recipient, n.locale)])
}

/// Queues one mail for several recipients, its payload made once.
fn enqueue_to<R: AsRef<str>>(batch: &mut Batch<'_, '_>, mail: &Mail, ticket_id: Option<&str>, recipients: &[(R, Locale)]) -> QueryResult<()> {
    if recipients.is_empty() {
        return Ok(());
    }
    let payload = mail.payload().map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?.to_string();
    let now = now();
    for (recipient, locale) in recipients {
        batch.push(diesel::insert_into(outbox::table).values((
            outbox::id.eq(new_id()),
            outbox::kind.eq(mail.kind()),
            outbox::recipient.eq(recipient.as_ref().to_owned()),
            outbox::locale.eq(*locale),
            outbox::ticket_id.eq(ticket_id.map(str::to_owned)),
            outbox::payload.eq(payload.clone()),
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
        )))?;
    }
    Ok(())
}

/// Query parameters that carry a way in (guest links, sign-in links).
const SECRET_PARAMS: [&str; 2] = ["secret=", "token="];

/// A payload with the values of `secret=` and `token=` query parameters in any of its strings
/// replaced by `redacted`; `None` when there is none. For any kind, so new ones are covered:
/// once a mail is sent (or dead) its way in need not stay readable in the database.
pub fn redact_payload(payload: &str) -> Option<String> {
    if !SECRET_PARAMS.iter().any(|p| payload.contains(p)) {
        return None;
    }
    let mut value: Value = serde_json::from_str(payload).ok()?;
    redact_strings(&mut value).then(|| value.to_string())
}

fn redact_strings(value: &mut Value) -> bool {
    match value {
        Value::String(text) => match redact_link_secrets(text) {
            Some(clean) => {
                *text = clean;
                true
            }
            None => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |changed, v| redact_strings(v) | changed),
        Value::Object(map) => map.values_mut().fold(false, |changed, v| redact_strings(v) | changed),
        _ => false,
    }
}

/// `…?secret=abc&x=1` → `…?secret=redacted&x=1`: a parameter counts after `?` or `&`.
fn redact_link_secrets(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    'scan: while !rest.is_empty() {
        for param in SECRET_PARAMS {
            if let Some(after) = rest.strip_prefix(param) {
                let starts_parameter = out.ends_with('?') || out.ends_with('&');
                if starts_parameter {
                    let end = after.find(|c: char| matches!(c, '&' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace()).unwrap_or(after.len());
                    out.push_str(param);
                    out.push_str("redacted");
                    changed |= &after[..end] != "redacted";
                    rest = &after[end..];
                    continue 'scan;
                }
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    changed.then_some(out)
}

/// Pending notifications (for `/readyz` and tests): count and the oldest creation time.
pub fn pending(conn: &mut DbConn) -> QueryResult<(i64, Option<chrono::NaiveDateTime>)> {
    outbox::table
        .filter(outbox::status.eq("pending"))
        .select((diesel::dsl::count_star(), diesel::dsl::min(outbox::created_at)))
        .first(conn)
}

type Recipients = Arc<Vec<(String, Locale)>>;

/// Each team's active staff (address, language), remembered for `TEAM_STAFF_TTL`: every ticket
/// opened in the queues notifies its team, and on PostgreSQL reading them was one of the ten
/// round trips of a creation. This instance forgets at once when a membership, a role or an
/// account's state changes (`forget_team_staff`); another instance sees it within the TTL, as
/// it sees a changed calendar. Team ids are random UUIDs: one process serving several
/// databases (the tests) never mixes them up.
static TEAM_STAFF: LazyLock<TtlCache<String, Recipients>> = LazyLock::new(|| TtlCache::new(TEAM_STAFF_TTL, 10_000));
const TEAM_STAFF_TTL: Duration = Duration::from_secs(2);

/// After a change of who is on a team, or of a staff account's role or state.
pub fn forget_team_staff() {
    TEAM_STAFF.clear();
}

fn team_staff(conn: &mut DbConn, team_id: &str) -> QueryResult<Recipients> {
    if let Some(known) = TEAM_STAFF.get(team_id) {
        return Ok(known);
    }
    let staff: Recipients = Arc::new(direct::load(
        conn,
        team_members::table
            .inner_join(users::table)
            .filter(team_members::team_id.eq(team_id))
            .filter(users::disabled.eq(false))
            .filter(users::role.ne(Role::Student))
            .select((users::email, users::locale)),
    )?);
    TEAM_STAFF.put(team_id.to_owned(), staff.clone());
    Ok(staff)
}

/// Queues `mail` for the ticket's assignee or, if nobody has it, for every active staff member
/// of the team. Call inside the transaction of the change.
pub fn notify_staff(conn: &mut DbConn, ticket_id: &str, team_id: &str, assignee_id: Option<&str>, mail: &Mail) -> QueryResult<()> {
    let mut batch = Batch::new(conn);
    notify_staff_in(&mut batch, ticket_id, team_id, assignee_id, mail)?;
    batch.finish().map(|_| ())
}

/// `notify_staff`, written with the rest of `batch`.
pub fn notify_staff_in(batch: &mut Batch<'_, '_>, ticket_id: &str, team_id: &str, assignee_id: Option<&str>, mail: &Mail) -> QueryResult<()> {
    let recipients: Recipients = match assignee_id {
        Some(id) => Arc::new(direct::load(
            batch.conn(),
            users::table.find(id).filter(users::disabled.eq(false)).select((users::email, users::locale)),
        )?),
        None => team_staff(batch.conn(), team_id)?,
    };
    enqueue_to(batch, mail, Some(ticket_id), &recipients)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_secrets_are_redacted_in_any_string_of_any_kind() {
        let payload = json!({
            "number": "HD-2026-000001",
            "link": "https://desk.example/tickets/HD-2026-000001?secret=s3cr3t",
            "nested": {"links": ["https://desk.example/sign-in/link?token=eyJ.a.b&next=/tickets", "no secret here"]},
            "text": "Open https://x/t?lang=it&secret=abc now",
        })
        .to_string();
        let clean: Value = serde_json::from_str(&redact_payload(&payload).unwrap()).unwrap();
        assert_eq!(clean["link"], "https://desk.example/tickets/HD-2026-000001?secret=redacted");
        assert_eq!(clean["nested"]["links"][0], "https://desk.example/sign-in/link?token=redacted&next=/tickets");
        assert_eq!(clean["nested"]["links"][1], "no secret here");
        assert_eq!(clean["text"], "Open https://x/t?lang=it&secret=redacted now");
        assert_eq!(clean["number"], "HD-2026-000001");
    }

    #[test]
    fn payloads_without_link_secrets_are_left_alone() {
        assert_eq!(redact_payload(r#"{"link":"https://x/tickets/HD-1","subject":"my secret= plan"}"#), None);
        assert_eq!(redact_payload(r#"{"link":"https://x/t?secret=redacted"}"#), None, "already redacted");
        assert_eq!(redact_payload("not json, secret=x"), None);
    }
}
