//! ITA-L2 test booking: sessions (admin), bookings from an `ita-l2` ticket, confirmed while
//! seats remain else waitlisted, cancellation promoting the first waitlisted. Capacity is
//! never exceeded: the seat count and the insert run in one write transaction that holds the
//! session (PostgreSQL: the session row `FOR UPDATE`; SQLite: the single writer).

pub mod bookings;
pub mod ics;
pub mod mine;
pub mod sessions;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{ita_l2_bookings, ita_l2_sessions};
use crate::db::DbConn;

pub use bookings::{book, cancel, Booked};
pub use sessions::{create_session, list_upcoming, NewSession, SessionView};

/// The category a booking ticket must belong to.
pub const CATEGORY: &str = "ita-l2";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Online,
    InPerson,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Online => "online",
            Mode::InPerson => "in_person",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "online" => Some(Mode::Online),
            "in_person" => Some(Mode::InPerson),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Confirmed,
    Waitlisted,
    Cancelled,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Waitlisted => "waitlisted",
            BookingStatus::Cancelled => "cancelled",
        }
    }

    pub fn from_db(value: &str) -> Self {
        match value {
            "confirmed" => BookingStatus::Confirmed,
            "waitlisted" => BookingStatus::Waitlisted,
            _ => BookingStatus::Cancelled,
        }
    }
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = ita_l2_sessions)]
pub struct SessionRow {
    pub id: String,
    pub starts_at: NaiveDateTime,
    pub mode: String,
    pub location: String,
    pub capacity: i32,
    pub booking_opens_at: Option<NaiveDateTime>,
    pub booking_closes_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl SessionRow {
    pub fn mode(&self) -> Mode {
        Mode::parse(&self.mode).unwrap_or(Mode::InPerson)
    }

    pub fn starts_at_utc(&self) -> DateTime<Utc> {
        self.starts_at.and_utc()
    }

    /// Whether bookings are taken at `now`: inside the window, and never once the test began.
    pub fn booking_open(&self, now: NaiveDateTime) -> bool {
        let opened = self.booking_opens_at.is_none_or(|opens| now >= opens);
        let closes = self.booking_closes_at.unwrap_or(self.starts_at).min(self.starts_at);
        opened && now < closes
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ita_l2_bookings)]
pub struct BookingRow {
    pub id: String,
    pub session_id: String,
    pub ticket_id: String,
    pub student_id: String,
    pub status: String,
    pub position: i32,
    pub created_at: NaiveDateTime,
    pub cancelled_at: Option<NaiveDateTime>,
}

impl BookingRow {
    pub fn status(&self) -> BookingStatus {
        BookingStatus::from_db(&self.status)
    }
}

/// The session, held for the rest of the write transaction (`db::locks::hold_row`), so
/// concurrent bookings of one session count seats one after the other.
pub(crate) fn lock_session(conn: &mut DbConn, id: &str) -> QueryResult<Option<SessionRow>> {
    crate::db::locks::hold_row(conn, "ita_l2_sessions", id)?;
    ita_l2_sessions::table.find(id).select(SessionRow::as_select()).first(conn).optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, day).and_then(|d| d.and_hms_opt(hour, 0, 0)).unwrap()
    }

    fn session(opens: Option<NaiveDateTime>, closes: Option<NaiveDateTime>) -> SessionRow {
        SessionRow {
            id: "s".into(),
            starts_at: at(10, 9),
            mode: "online".into(),
            location: "Teams".into(),
            capacity: 20,
            booking_opens_at: opens,
            booking_closes_at: closes,
            created_at: at(1, 9),
        }
    }

    #[test]
    fn the_booking_window_closes_at_the_latest_when_the_test_starts() {
        let open = session(None, None);
        assert!(open.booking_open(at(9, 9)));
        assert!(!open.booking_open(at(10, 9)));
        let windowed = session(Some(at(3, 9)), Some(at(8, 9)));
        assert!(!windowed.booking_open(at(2, 9)));
        assert!(windowed.booking_open(at(3, 9)));
        assert!(!windowed.booking_open(at(8, 9)));
        // A close after the start is capped at the start.
        assert!(!session(None, Some(at(12, 9))).booking_open(at(11, 9)));
    }
}
