//! Sessions: created by admins, listed (upcoming) with the seats left.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Mode, SessionRow};
use crate::ids::{new_id, now};
use crate::db::schema::{ita_l2_bookings, ita_l2_sessions};
use crate::db::{write_tx, DbConn};
use crate::error::{FieldErrors, ServiceError};

pub const MAX_LOCATION: usize = 200;
pub const MAX_CAPACITY: i64 = 10_000;

/// A new session as an admin sends it. Times are RFC 3339 (`2026-12-01T09:30:00Z`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    pub starts_at: String,
    /// `online` or `in_person`.
    pub mode: String,
    /// The room and address, or the online meeting's place.
    pub location: String,
    pub capacity: i64,
    #[serde(default)]
    pub booking_opens_at: Option<String>,
    #[serde(default)]
    pub booking_closes_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    pub starts_at: DateTime<Utc>,
    pub mode: Mode,
    pub location: String,
    pub capacity: i32,
    pub seats_left: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking_opens_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking_closes_at: Option<DateTime<Utc>>,
}

pub fn view(row: &SessionRow, confirmed: i64) -> SessionView {
    SessionView {
        id: row.id.clone(),
        starts_at: row.starts_at_utc(),
        mode: row.mode(),
        location: row.location.clone(),
        capacity: row.capacity,
        seats_left: (i64::from(row.capacity) - confirmed).max(0),
        booking_opens_at: row.booking_opens_at.map(|t| t.and_utc()),
        booking_closes_at: row.booking_closes_at.map(|t| t.and_utc()),
    }
}

fn time(errors: &mut FieldErrors, field: &str, raw: &str) -> Option<NaiveDateTime> {
    errors.check(
        field,
        DateTime::parse_from_rfc3339(raw.trim())
            .map(|t| t.with_timezone(&Utc).naive_utc())
            .map_err(|_| "must be an RFC 3339 date-time, e.g. 2026-12-01T09:30:00Z"),
    )
}

/// Checks every field (all problems answered at once) and makes the row.
pub fn check(input: &NewSession, now: NaiveDateTime) -> Result<SessionRow, ServiceError> {
    let mut errors = FieldErrors::default();
    let starts_at = time(&mut errors, "starts_at", &input.starts_at);
    if starts_at.is_some_and(|t| t <= now) {
        errors.add("starts_at", "must be in the future");
    }
    let mode = Mode::parse(input.mode.trim());
    if mode.is_none() {
        errors.add("mode", "must be online or in_person");
    }
    let location = errors.text("location", &input.location, MAX_LOCATION);
    if !(1..=MAX_CAPACITY).contains(&input.capacity) {
        errors.add("capacity", format!("must be between 1 and {MAX_CAPACITY}"));
    }
    let opens = input.booking_opens_at.as_deref().and_then(|raw| time(&mut errors, "booking_opens_at", raw));
    let closes = input.booking_closes_at.as_deref().and_then(|raw| time(&mut errors, "booking_closes_at", raw));
    if let (Some(opens), Some(closes)) = (opens, closes) {
        if opens >= closes {
            errors.add("booking_closes_at", "must be after booking_opens_at");
        }
    }
    if let (Some(closes), Some(starts)) = (closes, starts_at) {
        if closes > starts {
            errors.add("booking_closes_at", "must not be after starts_at");
        }
    }
    if let (Some(opens), Some(starts)) = (opens, starts_at) {
        if opens >= starts {
            errors.add("booking_opens_at", "must be before starts_at");
        }
    }
    errors.into_result()?;
    match (starts_at, mode) {
        (Some(starts_at), Some(mode)) => Ok(SessionRow {
            id: new_id(),
            starts_at,
            mode: mode.as_str().to_owned(),
            location,
            capacity: i32::try_from(input.capacity).map_err(|_| ServiceError::field("capacity", "too large"))?,
            booking_opens_at: opens,
            booking_closes_at: closes,
            created_at: now,
        }),
        _ => Err(ServiceError::Internal("a checked session lost a field".into())),
    }
}

#[tracing::instrument(skip_all)]
pub fn create_session(conn: &mut DbConn, input: &NewSession) -> Result<SessionView, ServiceError> {
    let row = check(input, now())?;
    write_tx(conn, |conn| -> Result<(), ServiceError> {
        diesel::insert_into(ita_l2_sessions::table).values(&row).execute(conn)?;
        Ok(())
    })?;
    tracing::info!(session = %row.id, capacity = row.capacity, "ITA-L2 session created");
    Ok(view(&row, 0))
}

/// Confirmed bookings per session.
pub fn confirmed_counts(conn: &mut DbConn, session_ids: &[String]) -> QueryResult<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = ita_l2_bookings::table
        .filter(ita_l2_bookings::session_id.eq_any(session_ids))
        .filter(ita_l2_bookings::status.eq("confirmed"))
        .group_by(ita_l2_bookings::session_id)
        .select((ita_l2_bookings::session_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Sessions that have not started yet, soonest first.
pub fn list_upcoming(conn: &mut DbConn, now: NaiveDateTime) -> Result<Vec<SessionView>, ServiceError> {
    let rows: Vec<SessionRow> = ita_l2_sessions::table
        .filter(ita_l2_sessions::starts_at.gt(now))
        .order((ita_l2_sessions::starts_at.asc(), ita_l2_sessions::id.asc()))
        .select(SessionRow::as_select())
        .limit(500)
        .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let counts = confirmed_counts(conn, &ids)?;
    Ok(rows.iter().map(|r| view(r, counts.get(&r.id).copied().unwrap_or(0))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> NewSession {
        NewSession {
            starts_at: "2030-12-01T09:30:00Z".into(),
            mode: "in_person".into(),
            location: "Aula 1".into(),
            capacity: 20,
            booking_opens_at: None,
            booking_closes_at: Some("2030-11-28T12:00:00+01:00".into()),
        }
    }

    #[test]
    fn a_valid_session_is_stored_in_utc() {
        let row = check(&input(), now()).unwrap();
        assert_eq!(row.starts_at.to_string(), "2030-12-01 09:30:00");
        assert_eq!(row.booking_closes_at.map(|t| t.to_string()).as_deref(), Some("2030-11-28 11:00:00"));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = NewSession {
            starts_at: "tomorrow".into(),
            mode: "by pigeon".into(),
            location: " ".into(),
            capacity: 0,
            booking_opens_at: Some("x".into()),
            booking_closes_at: None,
        };
        let Err(ServiceError::Validation(list)) = check(&bad, now()) else { panic!("not a validation error") };
        let fields: Vec<&str> = list.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["starts_at", "mode", "location", "capacity", "booking_opens_at"]);
    }
}
