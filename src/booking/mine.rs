//! A student's live bookings (confirmed or waitlisted), with their session and place on the
//! waitlist: for "my procedures and bookings" and the ticket page.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{BookingRow, BookingStatus, Mode, SessionRow};
use crate::db::schema::{ita_l2_bookings, ita_l2_sessions, tickets};
use crate::db::DbConn;
use crate::error::ServiceError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BookingView {
    pub id: String,
    pub status: BookingStatus,
    /// 1 = next to get a seat; only when waitlisted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    pub session: String,
    pub starts_at: DateTime<Utc>,
    pub mode: Mode,
    pub location: String,
    /// The ticket's number.
    pub ticket: String,
}

fn views(conn: &mut DbConn, rows: Vec<(BookingRow, SessionRow, String)>) -> Result<Vec<BookingView>, ServiceError> {
    rows.into_iter()
        .map(|(booking, session, number)| {
            let status = booking.status();
            let position = match status {
                BookingStatus::Waitlisted => {
                    let ahead: i64 = ita_l2_bookings::table
                        .filter(ita_l2_bookings::session_id.eq(&booking.session_id))
                        .filter(ita_l2_bookings::status.eq(BookingStatus::Waitlisted.as_str()))
                        .filter(ita_l2_bookings::position.lt(booking.position))
                        .count()
                        .get_result(conn)?;
                    Some(ahead + 1)
                }
                _ => None,
            };
            Ok(BookingView {
                id: booking.id,
                status,
                position,
                starts_at: session.starts_at_utc(),
                mode: session.mode(),
                location: session.location,
                session: session.id,
                ticket: number,
            })
        })
        .collect()
}

/// Live bookings of the student (`student_id`) or of one ticket (`ticket_id`), soonest first.
pub fn live(conn: &mut DbConn, student_id: Option<&str>, ticket_id: Option<&str>) -> Result<Vec<BookingView>, ServiceError> {
    let mut query = ita_l2_bookings::table
        .inner_join(ita_l2_sessions::table)
        .inner_join(tickets::table)
        .filter(ita_l2_bookings::status.ne(BookingStatus::Cancelled.as_str()))
        .select((BookingRow::as_select(), SessionRow::as_select(), tickets::number))
        .into_boxed();
    if let Some(student) = student_id {
        query = query.filter(ita_l2_bookings::student_id.eq(student));
    }
    if let Some(ticket) = ticket_id {
        query = query.filter(ita_l2_bookings::ticket_id.eq(ticket));
    }
    let rows = query.order((ita_l2_sessions::starts_at.asc(), ita_l2_bookings::id.asc())).limit(100).load(conn)?;
    views(conn, rows)
}
