//! The demo's career procedures and ITA-L2 test sessions, and the academic calendar they are
//! judged against: all dated from today, through the career and booking services.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use serde_json::json;

use super::cast::Cast;
use crate::booking::{self, NewSession};
use crate::career::calendar::{self, AcademicYear, YearStatus};
use crate::career::changes::StatusChange;
use crate::career::instances::{self, today, NewCareerAction};
use crate::career::service;
use crate::db::{Db, DbConn};
use crate::domain::TicketNumber;
use crate::error::ServiceError;
use crate::tickets::open::Place;

/// A desk ships the guide's calendars; when today's academic year has none, the newest is
/// copied forward and published, so the demo's procedures are judged against real windows.
/// Returns the year it published.
pub fn current_calendar(conn: &mut DbConn) -> Result<Option<String>, ServiceError> {
    let current = AcademicYear::of(today());
    let years = calendar::load_years(conn)?;
    if years.iter().any(|y| y.academic_year == current && y.status == YearStatus::Published) {
        return Ok(None);
    }
    let Some(newest) = years.iter().map(|y| y.academic_year).filter(|y| *y < current).max() else {
        return Ok(None);
    };
    calendar::copy(conn, newest, current)?;
    calendar::publish(conn, current)?;
    Ok(Some(current.code()))
}

/// Two ITA-L2 sessions (in person and online, on weekdays in the coming weeks) with the
/// student's ITA-L2 ticket booked, and procedures at several stages.
pub async fn seed(db: &Db, cast: &Cast, ita_l2: &[(TicketNumber, usize)], place: &Place) -> Result<(), ServiceError> {
    let sessions = [(10, "in_person", "Aula 3, via dei Caniana 2, Bergamo", 20), (31, "online", "Microsoft Teams", 2)];
    let mut ids = Vec::new();
    for (days, mode, location, capacity) in sessions {
        let starts = weekday_after(today() + Duration::days(days)).and_time(NaiveTime::from_hms_opt(9, 30, 0).unwrap_or_default());
        let input = NewSession {
            starts_at: super::script::rome_to_utc(starts).and_utc().to_rfc3339(),
            mode: mode.into(),
            location: location.into(),
            capacity,
            booking_opens_at: None,
            booking_closes_at: None,
        };
        ids.push(db.write(move |conn| booking::create_session(conn, &input)).await?.id);
    }
    for (i, (number, student)) in ita_l2.iter().enumerate() {
        let who = cast.students.get(*student).cloned().ok_or_else(|| ServiceError::Internal("no demo student".into()))?;
        let (session, number, base) = (ids[i % ids.len()].clone(), number.to_string(), place.base_url.clone());
        db.write(move |conn| booking::book(conn, &who, &session, &number, &base)).await?;
    }

    // Marco, supervisor of both offices, sees every procedure the demo starts.
    let agent = cast.agents_of("stranieri")?[0].clone();
    let started = [
        (0, "variazione-part-time", json!({}), None),
        (2, "riconoscimento-titolo-estero", json!({"country": "Marocco"}), Some(("approved", "Titolo verificato con la dichiarazione di valore."))),
        (3, "corsi-singoli", json!({"courses": "21001 | Diritto privato | 9"}), Some(("in_review", "Verifica dei requisiti in corso."))),
    ];
    for (student, kind, data, moved) in started {
        let who = cast.students.get(student).cloned().ok_or_else(|| ServiceError::Internal("no demo student".into()))?;
        let input = NewCareerAction { kind: kind.into(), data: Some(data), external_ref: None };
        let view = db.write(move |conn| service::submit(conn, &who, input)).await?;
        if let Some((status, note)) = moved {
            move_on(db, &agent, view.id, status, note, place).await?;
        }
    }
    // The study plan Luca's ticket started: taken into review.
    let luca = cast.students.get(1).map(|s| s.id.clone()).unwrap_or_default();
    let plans = db.read(move |conn| instances::for_student(conn, &luca).map_err(ServiceError::from)).await?;
    for plan in plans {
        move_on(db, &agent, plan.id, "in_review", "Richiesto il parere del corso di studio.", place).await?;
    }
    Ok(())
}

async fn move_on(db: &Db, staff: &crate::accounts::User, id: String, status: &str, note: &str, place: &Place) -> Result<(), ServiceError> {
    let change = StatusChange { status: status.into(), note: Some(note.into()), version: None };
    let (staff, base) = (staff.clone(), place.base_url.clone());
    db.write(move |conn| service::change(conn, &staff, &id, change, &base)).await.map(drop)
}

fn weekday_after(day: NaiveDate) -> NaiveDate {
    match day.weekday() {
        Weekday::Sat => day + Duration::days(2),
        Weekday::Sun => day + Duration::days(1),
        _ => day,
    }
}
