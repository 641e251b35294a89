//! What the edge asks of procedures, each in its own transaction: a student starts one, staff
//! move one on, either links one to a ticket, the career system reports one. Each answers the
//! procedure as its reader may see it.

use super::changes::{self, StatusChange};
use super::instances::{self, today, CareerActionView, LinkedAction, NewCareerAction, Source};
use super::integration::{self, IntegrationReport, Reported};
use super::status::CareerStatus;
use crate::accounts::User;
use crate::db::{write_tx, DbConn};
use crate::domain::{Locale, TicketNumber};
use crate::error::ServiceError;

/// A student starts a procedure (status `submitted`).
pub fn submit(conn: &mut DbConn, student: &User, input: NewCareerAction) -> Result<CareerActionView, ServiceError> {
    write_tx(conn, |conn| {
        let checked = instances::check(conn, input, "", today())?;
        let row = instances::insert(conn, &student.id, &checked, CareerStatus::Submitted, Source::Student, Some(&student.id))?;
        instances::view(conn, student, &row)
    })
}

/// Staff move a procedure on, with a note.
pub fn change(conn: &mut DbConn, staff: &User, id: &str, change: StatusChange, base_url: &str) -> Result<CareerActionView, ServiceError> {
    write_tx(conn, |conn| {
        let row = changes::change_by_staff(conn, staff, id, change, base_url)?;
        instances::view(conn, staff, &row)
    })
}

/// Links a procedure to a ticket; whether it was new, and the ticket's procedures after.
pub fn link(conn: &mut DbConn, user: &User, number: &TicketNumber, action_id: &str) -> Result<(bool, Vec<LinkedAction>), ServiceError> {
    write_tx(conn, |conn| {
        let linked = changes::link_by_user(conn, user, number, action_id)?;
        let ticket = crate::auth::ticket_access::visible_ticket(conn, user, number)?;
        Ok((linked, instances::linked_to_ticket(conn, &ticket.id, user.locale)?))
    })
}

/// The career system's report; whether the desk did not know the application before.
pub fn report(conn: &mut DbConn, external_ref: &str, report: IntegrationReport, base_url: &str) -> Result<(bool, CareerActionView), ServiceError> {
    write_tx(conn, |conn| {
        let (created, row) = match integration::report(conn, external_ref, report, base_url)? {
            Reported::Created(row) => (true, row),
            Reported::Changed(row) | Reported::Unchanged(row) => (false, row),
        };
        Ok((created, instances::view_with(conn, &row, Locale::It, |_| true)?))
    })
}
