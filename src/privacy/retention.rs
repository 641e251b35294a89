//! Retention: a closed ticket is kept its category's `retention_days` (5 years unless set), then
//! anonymised; identity documents go sooner where the category says so (`credenziali`: 90
//! days), or when staff delete them once checked. Anonymising keeps what reports count (number,
//! category, team, dates, status, priority, SLA figures, the history's kinds) and removes the
//! rest: the requester (the ticket and their messages point to a placeholder account, "[rimosso]"),
//! subject and form answers, message bodies ("[rimosso]" unless staff marked them to keep),
//! attachments (rows and stored bytes).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::User;
use crate::ids::{new_id, now};
use crate::db::privacy_schema::{category_retention, kept_messages, ticket_privacy};
use crate::db::schema::{attachments, categories, messages, tickets, users};
use crate::db::{write_tx, DbConn};
use crate::domain::{Role, TicketNumber};
use crate::error::ServiceError;
use crate::files::FileStore;
use crate::db::ticket_rows::record_event;

/// What an anonymised text reads.
pub const REMOVED: &str = "[rimosso]";
/// Five years, when a category says nothing.
pub const DEFAULT_RETENTION_DAYS: i32 = 1825;
/// The placeholder account anonymised tickets and messages point to.
const PLACEHOLDER_EMAIL: &str = "rimosso@anonimo.invalid";
/// Tickets anonymised per batch (the job runs batches until done or its cap).
pub const BATCH: usize = 100;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Retention {
    pub retention_days: i32,
    /// Identity documents are deleted this many days after closing (none: with the ticket).
    pub identity_documents_days: Option<i32>,
}

impl Default for Retention {
    fn default() -> Self {
        Self { retention_days: DEFAULT_RETENTION_DAYS, identity_documents_days: None }
    }
}

#[derive(Deserialize)]
struct Seed {
    categories: Vec<CategorySeed>,
}

#[derive(Deserialize)]
struct CategorySeed {
    slug: String,
    #[serde(default)]
    retention_days: Option<i32>,
    #[serde(default)]
    identity_documents_days: Option<i32>,
}

/// The periods of `seeds/categories.json` for the categories that have none yet (idempotent:
/// what admins set is left).
pub fn seed(conn: &mut DbConn) -> Result<(), ServiceError> {
    let seed: Seed = serde_json::from_str(include_str!("../../seeds/categories.json"))
        .map_err(|e| ServiceError::Internal(format!("categories seed: {e}")))?;
    write_tx(conn, |conn| -> Result<(), ServiceError> {
        for c in &seed.categories {
            let Some(id) = categories::table.filter(categories::slug.eq(&c.slug)).select(categories::id).first::<String>(conn).optional()? else {
                continue;
            };
            let exists: i64 = category_retention::table.find(&id).count().get_result(conn)?;
            if exists == 0 {
                diesel::insert_into(category_retention::table)
                    .values((
                        category_retention::category_id.eq(&id),
                        category_retention::retention_days.eq(c.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS)),
                        category_retention::identity_documents_days.eq(c.identity_documents_days),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(())
    })
}

/// The periods of every category by slug (the default where none is stored).
pub fn periods(conn: &mut DbConn) -> QueryResult<HashMap<String, (String, Retention)>> {
    let rows: Vec<(String, String, Option<i32>, Option<i32>)> = categories::table
        .left_join(category_retention::table.on(category_retention::category_id.eq(categories::id)))
        .select((categories::id, categories::slug, category_retention::retention_days.nullable(), category_retention::identity_documents_days.nullable()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, days, identity)| {
            let retention = Retention { retention_days: days.unwrap_or(DEFAULT_RETENTION_DAYS), identity_documents_days: identity };
            (slug, (id, retention))
        })
        .collect())
}

/// Sets a category's periods (the admin page and API). At least a day each.
pub fn set(conn: &mut DbConn, slug: &str, retention: Retention) -> Result<(), ServiceError> {
    let mut errors = crate::error::FieldErrors::default();
    if !(1..=36500).contains(&retention.retention_days) {
        errors.add("retention_days", "must be between 1 and 36500 days");
    }
    if retention.identity_documents_days.is_some_and(|d| !(1..=36500).contains(&d)) {
        errors.add("identity_documents_days", "must be between 1 and 36500 days");
    }
    errors.into_result()?;
    let id: String = categories::table.filter(categories::slug.eq(slug)).select(categories::id).first(conn)?;
    write_tx(conn, |conn| -> Result<(), ServiceError> {
        diesel::delete(category_retention::table.find(&id)).execute(conn)?;
        diesel::insert_into(category_retention::table)
            .values((
                category_retention::category_id.eq(&id),
                category_retention::retention_days.eq(retention.retention_days),
                category_retention::identity_documents_days.eq(retention.identity_documents_days),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// What a run did (or, dry, would do).
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub dry_run: bool,
    /// Tickets anonymised.
    pub anonymised: Vec<String>,
    /// Identity documents deleted before their tickets' time: (ticket number, file name).
    pub identity_documents: Vec<(String, String)>,
    /// Stored files removed (a file shared with a kept ticket stays).
    pub files_removed: usize,
}

/// Which tickets are due: past their category's period, or closed before `closed_before`
/// (the command's cut-off, whatever the category keeps).
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub now: NaiveDateTime,
    pub closed_before: Option<NaiveDateTime>,
    pub dry_run: bool,
    /// At most this many tickets (the job's batch).
    pub limit: usize,
}

/// One run: the identity documents past their time, then the tickets past theirs.
pub fn run(conn: &mut DbConn, files: Option<&FileStore>, run: Run) -> Result<Report, ServiceError> {
    let mut report = Report { dry_run: run.dry_run, ..Report::default() };
    let limit = i64::try_from(run.limit).unwrap_or(i64::MAX);
    let mut due_tickets = Vec::new();
    for (category_id, retention) in periods(conn)?.values() {
        let ticket_cutoff = run.closed_before.unwrap_or(run.now - chrono::Duration::days(i64::from(retention.retention_days)));
        // Each query reads only what is due (the partial index of closed tickets by
        // `closed_at`, migration 000810), at most a batch: the job runs every minute on the
        // one SQLite writer, so it must not grow with the desk.
        if let Some(days) = retention.identity_documents_days {
            let docs_cutoff = run.now - chrono::Duration::days(i64::from(days));
            let tickets_past = closed_in(category_id)
                .filter(tickets::closed_at.lt(docs_cutoff))
                .filter(tickets::closed_at.ge(ticket_cutoff))
                .select(tickets::id);
            let docs: Vec<(String, String, String)> = attachments::table
                .filter(attachments::identity_document.eq(true))
                .filter(attachments::ticket_id.eq_any(tickets_past))
                .order(attachments::id.asc())
                .select((attachments::ticket_id, attachments::id, attachments::filename))
                .limit(limit)
                .load(conn)?;
            for (ticket_id, attachment_id, filename) in docs {
                let number: String = tickets::table.find(&ticket_id).select(tickets::number).first(conn)?;
                if !run.dry_run {
                    report.files_removed += delete_attachment(conn, files, &ticket_id, &attachment_id, None, "retention")?;
                }
                report.identity_documents.push((number, filename));
            }
        }
        let due: Vec<(String, String, NaiveDateTime)> = closed_in(category_id)
            .filter(tickets::closed_at.lt(ticket_cutoff))
            .order(tickets::closed_at.asc())
            .select((tickets::id, tickets::number, tickets::closed_at.assume_not_null()))
            .limit(limit)
            .load(conn)?;
        due_tickets.extend(due);
    }
    // The oldest first across categories, a batch at most.
    due_tickets.sort_by_key(|(_, _, closed_at)| *closed_at);
    due_tickets.truncate(run.limit);
    for (id, number, _) in due_tickets {
        if !run.dry_run {
            report.files_removed += anonymise(conn, files, &id, None, "retention")?;
        }
        report.anonymised.push(number);
    }
    Ok(report)
}

type NotAnonymised = diesel::dsl::not<
    diesel::dsl::exists<
        diesel::dsl::Filter<diesel::dsl::Filter<ticket_privacy::table, diesel::dsl::Eq<ticket_privacy::ticket_id, tickets::id>>, diesel::dsl::IsNotNull<ticket_privacy::anonymised_at>>,
    >,
>;
type ClosedIn<'a> = diesel::dsl::Filter<
    diesel::dsl::Filter<diesel::dsl::Filter<tickets::table, diesel::dsl::Eq<tickets::category_id, &'a str>>, diesel::expression::SqlLiteral<diesel::sql_types::Bool>>,
    NotAnonymised,
>;

/// The predicate of the partial index `tickets_closed` (migration 000810).
const CLOSED: &str = "tickets.status = 'closed'";

/// A category's closed tickets not yet anonymised. The status as a literal, to the letter the
/// partial index's predicate (a bound value cannot match it on SQLite).
fn closed_in(category_id: &str) -> ClosedIn<'_> {
    let anonymised = ticket_privacy::table.filter(ticket_privacy::ticket_id.eq(tickets::id)).filter(ticket_privacy::anonymised_at.is_not_null());
    tickets::table
        .filter(tickets::category_id.eq(category_id))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(CLOSED))
        .filter(diesel::dsl::not(diesel::dsl::exists(anonymised)))
}

/// The placeholder account (made once): no password, disabled, never signs in.
fn placeholder(conn: &mut DbConn) -> QueryResult<String> {
    if let Some(id) = users::table.filter(users::email.eq(PLACEHOLDER_EMAIL)).select(users::id).first(conn).optional()? {
        return Ok(id);
    }
    let id = new_id();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::email.eq(PLACEHOLDER_EMAIL),
            users::display_name.eq(REMOVED),
            users::password_hash.eq(None::<String>),
            users::role.eq(Role::Student.as_str()),
            users::locale.eq("it"),
            users::email_verified.eq(false),
            users::disabled.eq(true),
            users::created_at.eq(now()),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Anonymises one ticket (see the module). `actor`: the staff member who approved an erasure,
/// none for retention. Answers how many stored files were removed.
pub fn anonymise(conn: &mut DbConn, files: Option<&FileStore>, ticket_id: &str, actor: Option<&str>, reason: &str) -> Result<usize, ServiceError> {
    let sha256s = anonymise_rows(conn, ticket_id, actor, reason)?;
    remove_files(conn, files, &sha256s)
}

/// The database side of `anonymise`, in its own transaction (or the caller's): answers the
/// stored files its attachments pointed to, for `remove_files` once that transaction commits.
pub fn anonymise_rows(conn: &mut DbConn, ticket_id: &str, actor: Option<&str>, reason: &str) -> Result<Vec<String>, ServiceError> {
    write_tx(conn, |conn| -> Result<Vec<String>, ServiceError> {
        let anon = placeholder(conn)?;
        let requester: String = tickets::table.find(ticket_id).select(tickets::requester_id).first(conn)?;
        diesel::update(tickets::table.find(ticket_id))
            .set((
                tickets::requester_id.eq(&anon),
                tickets::subject.eq(REMOVED),
                tickets::fields.eq("{}"),
                tickets::guest_secret_hash.eq(None::<String>),
            ))
            .execute(conn)?;
        let kept: Vec<String> = kept_messages::table
            .inner_join(messages::table.on(messages::id.eq(kept_messages::message_id)))
            .filter(messages::ticket_id.eq(ticket_id))
            .select(kept_messages::message_id)
            .load(conn)?;
        diesel::update(messages::table.filter(messages::ticket_id.eq(ticket_id)).filter(messages::id.ne_all(&kept)))
            .set(messages::body.eq(REMOVED))
            .execute(conn)?;
        diesel::update(messages::table.filter(messages::ticket_id.eq(ticket_id)).filter(messages::author_id.eq(&requester)))
            .set(messages::author_id.eq(&anon))
            .execute(conn)?;
        let sha256s: Vec<String> = attachments::table.filter(attachments::ticket_id.eq(ticket_id)).select(attachments::sha256).load(conn)?;
        diesel::delete(attachments::table.filter(attachments::ticket_id.eq(ticket_id))).execute(conn)?;
        diesel::delete(ticket_privacy::table.find(ticket_id)).execute(conn)?;
        diesel::insert_into(ticket_privacy::table)
            .values((ticket_privacy::ticket_id.eq(ticket_id), ticket_privacy::anonymised_at.eq(Some(now()))))
            .execute(conn)?;
        record_event(conn, ticket_id, actor, "anonymised", serde_json::json!({"reason": reason, "files": sha256s.len()}))?;
        crate::tickets::search_index::index_ticket(conn, ticket_id)?;
        Ok(sha256s)
    })
}

/// Removes stored files no attachment points to any more (after the anonymising commit).
pub fn remove_files(conn: &mut DbConn, files: Option<&FileStore>, sha256s: &[String]) -> Result<usize, ServiceError> {
    match files {
        Some(files) if !sha256s.is_empty() => files.remove_unreferenced(conn, sha256s),
        _ => Ok(0),
    }
}

/// Deletes one identity document of a ticket: its row and stored bytes, an event in the
/// history. Answers how many stored files were removed.
fn delete_attachment(conn: &mut DbConn, files: Option<&FileStore>, ticket_id: &str, attachment_id: &str, actor: Option<&str>, reason: &str) -> Result<usize, ServiceError> {
    let sha256 = write_tx(conn, |conn| -> Result<String, ServiceError> {
        let (sha256, filename): (String, String) =
            attachments::table.find(attachment_id).select((attachments::sha256, attachments::filename)).first(conn)?;
        diesel::delete(attachments::table.find(attachment_id)).execute(conn)?;
        record_event(conn, ticket_id, actor, "identity_document_deleted", serde_json::json!({"filename": filename, "reason": reason}))?;
        Ok(sha256)
    })?;
    remove_files(conn, files, &[sha256])
}

/// Staff delete a ticket's identity documents once checked (sooner than retention would).
/// Only staff who may see the ticket; answers how many documents went.
pub fn delete_identity_documents(conn: &mut DbConn, files: &FileStore, staff: &User, number: &TicketNumber) -> Result<usize, ServiceError> {
    if !staff.is_staff() {
        return Err(ServiceError::NotFound);
    }
    let ticket = crate::auth::ticket_access::visible_ticket(conn, staff, number)?;
    let docs: Vec<String> = attachments::table
        .filter(attachments::ticket_id.eq(&ticket.id))
        .filter(attachments::identity_document.eq(true))
        .select(attachments::id)
        .load(conn)?;
    for id in &docs {
        delete_attachment(conn, Some(files), &ticket.id, id, Some(&staff.id), "checked")?;
    }
    Ok(docs.len())
}

/// Whether a ticket was anonymised (for views).
pub fn anonymised_at(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Option<NaiveDateTime>> {
    Ok(ticket_privacy::table.find(ticket_id).select(ticket_privacy::anonymised_at).first(conn).optional()?.flatten())
}

/// Staff mark a message to keep (or not) when its ticket is anonymised.
pub fn keep_message(conn: &mut DbConn, staff: &User, number: &TicketNumber, message_id: &str, keep: bool) -> Result<(), ServiceError> {
    if !staff.is_staff() {
        return Err(ServiceError::NotFound);
    }
    let ticket = crate::auth::ticket_access::visible_ticket(conn, staff, number)?;
    let found: i64 = messages::table.filter(messages::id.eq(message_id)).filter(messages::ticket_id.eq(&ticket.id)).count().get_result(conn)?;
    if found == 0 {
        return Err(ServiceError::NotFound);
    }
    write_tx(conn, |conn| -> Result<(), ServiceError> {
        diesel::delete(kept_messages::table.find(message_id)).execute(conn)?;
        if keep {
            diesel::insert_into(kept_messages::table)
                .values((kept_messages::message_id.eq(message_id), kept_messages::marked_by.eq(&staff.id), kept_messages::marked_at.eq(now())))
                .execute(conn)?;
        }
        Ok(())
    })
}
