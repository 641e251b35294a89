//! Who may see a ticket. One rule, used by every route: students their own, agents their
//! teams' and what is assigned to them, supervisors and admins all.
//!
//! A guest ticket belongs to the account of the address it was opened with, but stays apart
//! from it until someone follows the link mailed to that address: whoever typed an address
//! proved nothing, and an account of that address must neither see the stranger's text nor
//! have its own list filled by it.

use diesel::prelude::*;

use crate::db::ticket_rows::TicketRow;
use crate::accounts::User;
use crate::db::schema::tickets;
use crate::db::DbConn;
use crate::domain::{Role, Status, TicketNumber};
use crate::error::ServiceError;

pub fn can_see(user: &User, ticket: &TicketRow) -> bool {
    match user.role {
        Role::Student => ticket.requester_id == user.id && ticket.status != Status::Unverified,
        Role::Agent => user.team_ids.contains(&ticket.team_id) || ticket.assignee_id.as_deref() == Some(user.id.as_str()),
        Role::Supervisor | Role::Admin => true,
    }
}

/// Who decides an erasure request on this ticket: staff of the ticket's team, or an admin (the
/// office that owns the request, not whoever can read it).
pub fn may_decide_erasure(user: &User, ticket: &TicketRow) -> bool {
    user.role == Role::Admin || (user.is_staff() && user.team_ids.contains(&ticket.team_id))
}

/// The ticket if the user may see it; otherwise NotFound, so probing tells nothing.
pub fn visible_ticket(conn: &mut DbConn, user: &User, number: &TicketNumber) -> Result<TicketRow, ServiceError> {
    let ticket: TicketRow = tickets::table
        .filter(tickets::number.eq(number.to_string()))
        .select(TicketRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound)?;
    if can_see(user, &ticket) {
        Ok(ticket)
    } else {
        Err(ServiceError::NotFound)
    }
}
