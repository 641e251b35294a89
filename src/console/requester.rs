//! The ticket page's side panel: the requester and their other tickets (those the staff member
//! may see), most recently updated first.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::tickets::listing::visible_to;
use crate::accounts::User;
use crate::db::schema::tickets;
use crate::db::DbConn;
use crate::domain::{Status, TicketNumber};
use crate::error::ServiceError;
use crate::auth::ticket_access::visible_ticket;
use crate::tickets::view::{Names, PersonView};

/// How many other tickets the panel lists.
pub const PANEL_TICKETS: i64 = 50;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OtherTicket {
    pub number: String,
    pub subject: String,
    pub status: Status,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequesterPanel {
    pub requester: Option<PersonView>,
    pub tickets: Vec<OtherTicket>,
    /// Hook for the career work: the requester's career procedures. Empty until tickets and
    /// students are linked to career-action instances.
    #[schema(value_type = Vec<Object>)]
    pub career_actions: Vec<serde_json::Value>,
}

#[tracing::instrument(skip_all, fields(number = %number))]
pub fn panel(
    conn: &mut DbConn,
    user: &User,
    number: &TicketNumber,
) -> Result<RequesterPanel, ServiceError> {
    if !user.is_staff() {
        return Err(ServiceError::Forbidden(
            "the requester panel is for staff".into(),
        ));
    }
    let ticket = visible_ticket(conn, user, number)?;
    let rows: Vec<(String, String, Status, chrono::NaiveDateTime)> =
        visible_to(tickets::table.into_boxed(), user)
            .filter(tickets::requester_id.eq(ticket.requester_id.clone()))
            .filter(tickets::id.ne(ticket.id.clone()))
            .filter(tickets::status.ne(Status::Unverified))
            .order((tickets::updated_at.desc(), tickets::id.desc()))
            .limit(PANEL_TICKETS)
            .select((
                tickets::number,
                tickets::subject,
                tickets::status,
                tickets::updated_at,
            ))
            .load(conn)?;
    let names = Names::load(conn, [ticket.requester_id.as_str()], false)?;
    let tickets = rows
        .into_iter()
        .map(|(number, subject, status, updated)| {
            Ok(OtherTicket {
                number,
                subject,
                status,
                updated_at: updated.and_utc(),
            })
        })
        .collect::<Result<_, ServiceError>>()?;
    Ok(RequesterPanel {
        requester: names.person(Some(&ticket.requester_id), true, &user.id),
        tickets,
        career_actions: Vec::new(),
    })
}
