//! The access log: every staff read of a ticket, a file or the requester panel (who, when,
//! what, from which address), readable by admins per ticket and per staff member, as JSON or
//! CSV, and purged after `HELPDESK_ACCESS_LOG_DAYS`.

use std::net::IpAddr;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::User;
use crate::ids::{new_id, now};
use crate::db::privacy_schema::access_log;
use crate::db::schema::{tickets, users};
use crate::db::DbConn;
use crate::domain::{Role, TicketNumber};
use crate::error::ServiceError;

/// What was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Read {
    /// The ticket with its thread (API view or staff page).
    Ticket,
    /// One of its files (`target`: the attachment's id and name).
    Attachment,
    /// The requester panel: the student's other requests and procedures.
    Requester,
}

impl Read {
    pub fn as_str(self) -> &'static str {
        match self {
            Read::Ticket => "ticket",
            Read::Attachment => "attachment",
            Read::Requester => "requester",
        }
    }

    fn from_db(raw: &str) -> Read {
        match raw {
            "attachment" => Read::Attachment,
            "requester" => Read::Requester,
            _ => Read::Ticket,
        }
    }
}

/// Which ticket: its id when the caller has it, else its number.
pub enum TicketRef<'a> {
    Id(&'a str),
    Number(&'a TicketNumber),
}

/// Records staff reads (students' and guests' own reads are not logged). One call, one
/// transaction: a page that shows a ticket and its requester panel records both.
pub fn record(conn: &mut DbConn, reader: &User, ticket: TicketRef<'_>, reads: &[(Read, Option<String>)], ip: Option<IpAddr>) -> Result<(), ServiceError> {
    if !reader.is_staff() || reads.is_empty() {
        return Ok(());
    }
    let ticket_id = match ticket {
        TicketRef::Id(id) => id.to_owned(),
        TicketRef::Number(number) => tickets::table.filter(tickets::number.eq(number.to_string())).select(tickets::id).first(conn)?,
    };
    let at = now();
    for (what, target) in reads {
        diesel::insert_into(access_log::table)
            .values((
                access_log::id.eq(new_id()),
                access_log::actor_id.eq(&reader.id),
                access_log::ticket_id.eq(&ticket_id),
                access_log::what.eq(what.as_str()),
                access_log::target.eq(target.as_deref()),
                access_log::client_ip.eq(ip.map(|ip| ip.to_string())),
                access_log::at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccessEntry {
    pub at: chrono::DateTime<chrono::Utc>,
    pub staff_id: String,
    /// `None` when the account is gone.
    pub staff_name: Option<String>,
    pub staff_email: Option<String>,
    pub ticket: String,
    pub what: Read,
    pub target: Option<String>,
    pub client_ip: Option<String>,
}

/// Whose reads, or which ticket's.
pub enum Filter<'a> {
    Ticket(&'a TicketNumber),
    Staff(&'a str),
}

/// The newest `limit` entries (at most 5,000), admins only (others: Forbidden).
pub fn list(conn: &mut DbConn, viewer: &User, filter: Filter<'_>, limit: i64) -> Result<Vec<AccessEntry>, ServiceError> {
    if viewer.role != Role::Admin {
        return Err(ServiceError::Forbidden("the access log is for administrators only".into()));
    }
    let mut query = access_log::table
        .inner_join(tickets::table.on(tickets::id.eq(access_log::ticket_id)))
        .left_join(users::table.on(users::id.eq(access_log::actor_id)))
        .select((
            access_log::at,
            access_log::actor_id,
            users::display_name.nullable(),
            users::email.nullable(),
            tickets::number,
            access_log::what,
            access_log::target,
            access_log::client_ip,
        ))
        .order((access_log::at.desc(), access_log::id.desc()))
        .limit(limit.clamp(1, 5000))
        .into_boxed();
    match filter {
        Filter::Ticket(number) => {
            let exists: i64 = tickets::table.filter(tickets::number.eq(number.to_string())).count().get_result(conn)?;
            if exists == 0 {
                return Err(ServiceError::NotFound);
            }
            query = query.filter(tickets::number.eq(number.to_string()));
        }
        Filter::Staff(who) => {
            // An id, or the staff member's e-mail.
            let id: Option<String> =
                users::table.filter(users::id.eq(who).or(users::email.eq(who.to_lowercase()))).select(users::id).first(conn).optional()?;
            query = query.filter(access_log::actor_id.eq(id.unwrap_or_else(|| who.to_owned())));
        }
    }
    type Row = (NaiveDateTime, String, Option<String>, Option<String>, String, String, Option<String>, Option<String>);
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(at, staff_id, staff_name, staff_email, ticket, what, target, client_ip)| AccessEntry {
            at: at.and_utc(),
            staff_id,
            staff_name,
            staff_email,
            ticket,
            what: Read::from_db(&what),
            target,
            client_ip,
        })
        .collect())
}

/// The entries as CSV (a header line, then one line per read).
pub fn to_csv(entries: &[AccessEntry]) -> Result<Vec<u8>, ServiceError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ServiceError::Internal(e.to_string());
    out.write_record(["at", "staff_id", "staff_name", "staff_email", "ticket", "what", "target", "client_ip"]).map_err(fail)?;
    for e in entries {
        out.write_record([
            e.at.to_rfc3339().as_str(),
            &e.staff_id,
            e.staff_name.as_deref().unwrap_or(""),
            e.staff_email.as_deref().unwrap_or(""),
            &e.ticket,
            e.what.as_str(),
            e.target.as_deref().unwrap_or(""),
            e.client_ip.as_deref().unwrap_or(""),
        ])
        .map_err(fail)?;
    }
    out.into_inner().map_err(|e| ServiceError::Internal(e.to_string()))
}

/// Deletes the entries older than `days` (the purge job). Answers how many went.
pub fn purge(conn: &mut DbConn, days: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(access_log::table.filter(access_log::at.lt(now - chrono::Duration::days(days.max(1))))).execute(conn)
}
