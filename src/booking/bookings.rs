//! Booking a seat and cancelling it. Each is one write transaction holding the session
//! (`lock_session`): the seat count, the insert or the promotion, the ticket's system message
//! and audit event, and the student's mail (outbox) commit together or not at all.

use chrono::NaiveDateTime;
use chrono_tz::Europe::Rome;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use serde_json::json;

use super::ics::{calendar, CalendarEvent};
use super::{lock_session, BookingRow, BookingStatus, Mode, SessionRow, CATEGORY};
use crate::accounts::User;
use crate::ids::{new_id, now};
use crate::db::schema::{categories, ita_l2_bookings, messages, tickets, users};
use crate::db::{write_tx, DbConn};
use crate::domain::{Locale, TicketNumber};
use crate::error::ServiceError;
use crate::mail::notification::BookingMail;
use crate::mail::outbox::{self, Mail, Notification};
use crate::auth::ticket_access::{can_see, visible_ticket};
use crate::db::ticket_rows::{record_event, MessageKind, MessageRow, TicketRow};

/// The answer to a booking.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Booked {
    pub id: String,
    pub status: BookingStatus,
    /// The session's id.
    pub session: String,
    /// The ticket's number.
    pub ticket: String,
    /// Place on the waitlist (1 = next to get a seat); only when waitlisted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
}

fn live() -> diesel::dsl::NotEq<ita_l2_bookings::status, &'static str> {
    ita_l2_bookings::status.ne("cancelled")
}

fn count_with_status(conn: &mut DbConn, session_id: &str, status: BookingStatus) -> QueryResult<i64> {
    ita_l2_bookings::table
        .filter(ita_l2_bookings::session_id.eq(session_id))
        .filter(ita_l2_bookings::status.eq(status.as_str()))
        .count()
        .get_result(conn)
}

/// Books a seat of `session_id` for the ticket `ticket` (the student's own, or one a staff
/// member can see). Confirmed while seats remain, else waitlisted.
#[tracing::instrument(skip(conn, user, base_url), fields(user = %user.id))]
pub fn book(conn: &mut DbConn, user: &User, session_id: &str, ticket: &str, base_url: &str) -> Result<Booked, ServiceError> {
    let number: TicketNumber = ticket.trim().parse().map_err(|_| ServiceError::field("ticket", "is not a ticket number"))?;
    let booked = write_tx(conn, |conn| -> Result<Booked, ServiceError> {
        let session = lock_session(conn, session_id)?.ok_or(ServiceError::NotFound)?;
        let ticket = visible_ticket(conn, user, &number)?;
        let slug: String = categories::table.find(&ticket.category_id).select(categories::slug).first(conn)?;
        if slug != CATEGORY {
            return Err(ServiceError::field("ticket", "is not an ITA-L2 test booking ticket"));
        }
        let now = now();
        if !session.booking_open(now) {
            return Err(ServiceError::field("session", "booking for this session is closed"));
        }
        let taken: i64 = ita_l2_bookings::table
            .filter(ita_l2_bookings::session_id.eq(&session.id))
            .filter(live())
            .filter(ita_l2_bookings::ticket_id.eq(&ticket.id).or(ita_l2_bookings::student_id.eq(&ticket.requester_id)))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(ServiceError::Conflict("this student already holds a booking for this session".into()));
        }
        let confirmed = count_with_status(conn, &session.id, BookingStatus::Confirmed)?;
        let last: Option<i32> = ita_l2_bookings::table
            .filter(ita_l2_bookings::session_id.eq(&session.id))
            .select(diesel::dsl::max(ita_l2_bookings::position))
            .first(conn)?;
        let status = if confirmed < i64::from(session.capacity) { BookingStatus::Confirmed } else { BookingStatus::Waitlisted };
        let row = BookingRow {
            id: new_id(),
            session_id: session.id.clone(),
            ticket_id: ticket.id.clone(),
            student_id: ticket.requester_id.clone(),
            status: status.as_str().to_owned(),
            position: last.unwrap_or(0).saturating_add(1),
            created_at: now,
            cancelled_at: None,
        };
        diesel::insert_into(ita_l2_bookings::table).values(&row).execute(conn).map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ServiceError::Conflict("this student already holds a booking for this session".into())
            }
            other => other.into(),
        })?;
        let position = match status {
            BookingStatus::Waitlisted => Some(count_with_status(conn, &session.id, BookingStatus::Waitlisted)?),
            _ => None,
        };
        announce(conn, &session, &row, &ticket, status, position, Some(&user.id), base_url)?;
        Ok(Booked { id: row.id, status, session: session.id, ticket: ticket.number, position })
    })?;
    tracing::info!(booking = %booked.id, status = booked.status.as_str(), "ITA-L2 booking");
    Ok(booked)
}

/// Cancels a live booking (its student, or staff who can see the ticket). A freed seat goes
/// to the oldest waitlisted booking of the session, in the same transaction.
#[tracing::instrument(skip(conn, user, base_url), fields(user = %user.id))]
pub fn cancel(conn: &mut DbConn, user: &User, booking_id: &str, base_url: &str) -> Result<(), ServiceError> {
    write_tx(conn, |conn| -> Result<(), ServiceError> {
        let booking = find_booking(conn, booking_id)?.ok_or(ServiceError::NotFound)?;
        let ticket: TicketRow = tickets::table.find(&booking.ticket_id).select(TicketRow::as_select()).first(conn)?;
        if !(can_see(user, &ticket) || booking.student_id == user.id) {
            return Err(ServiceError::NotFound);
        }
        let session = lock_session(conn, &booking.session_id)?.ok_or(ServiceError::NotFound)?;
        // Read again under the session's lock: a concurrent cancel may have won.
        let booking = find_booking(conn, booking_id)?.ok_or(ServiceError::NotFound)?;
        let was = booking.status();
        if was == BookingStatus::Cancelled {
            return Err(ServiceError::Conflict("the booking is already cancelled".into()));
        }
        let now = now();
        let changed = diesel::update(ita_l2_bookings::table.find(&booking.id).filter(live()))
            .set((ita_l2_bookings::status.eq(BookingStatus::Cancelled.as_str()), ita_l2_bookings::cancelled_at.eq(now)))
            .execute(conn)?;
        if changed == 0 {
            return Err(ServiceError::Conflict("the booking is already cancelled".into()));
        }
        announce(conn, &session, &booking, &ticket, BookingStatus::Cancelled, None, Some(&user.id), base_url)?;
        if was == BookingStatus::Confirmed {
            promote(conn, &session, base_url)?;
        }
        Ok(())
    })
}

fn find_booking(conn: &mut DbConn, id: &str) -> QueryResult<Option<BookingRow>> {
    ita_l2_bookings::table.find(id).select(BookingRow::as_select()).first(conn).optional()
}

/// Gives free seats to the waitlist, oldest first.
fn promote(conn: &mut DbConn, session: &SessionRow, base_url: &str) -> Result<(), ServiceError> {
    loop {
        if count_with_status(conn, &session.id, BookingStatus::Confirmed)? >= i64::from(session.capacity) {
            return Ok(());
        }
        let next: Option<BookingRow> = ita_l2_bookings::table
            .filter(ita_l2_bookings::session_id.eq(&session.id))
            .filter(ita_l2_bookings::status.eq(BookingStatus::Waitlisted.as_str()))
            .order((ita_l2_bookings::position.asc(), ita_l2_bookings::created_at.asc(), ita_l2_bookings::id.asc()))
            .select(BookingRow::as_select())
            .first(conn)
            .optional()?;
        let Some(next) = next else { return Ok(()) };
        diesel::update(ita_l2_bookings::table.find(&next.id))
            .set(ita_l2_bookings::status.eq(BookingStatus::Confirmed.as_str()))
            .execute(conn)?;
        let ticket: TicketRow = tickets::table.find(&next.ticket_id).select(TicketRow::as_select()).first(conn)?;
        announce(conn, session, &next, &ticket, BookingStatus::Confirmed, None, None, base_url)?;
        tracing::info!(booking = %next.id, "ITA-L2 booking promoted from the waitlist");
    }
}

/// The session's start as the student reads it: Rome time.
fn local_start(session: &SessionRow) -> String {
    session.starts_at_utc().with_timezone(&Rome).format("%d/%m/%Y %H:%M").to_string()
}

type BookingKind = fn(BookingMail) -> Mail;

/// A booking's change told on its ticket (system message, audit event) and to its student
/// (mail: `booking_confirmed` with the .ics, `booking_waitlisted`, `booking_cancelled`).
#[allow(clippy::too_many_arguments)]
fn announce(
    conn: &mut DbConn,
    session: &SessionRow,
    booking: &BookingRow,
    ticket: &TicketRow,
    status: BookingStatus,
    position: Option<i64>,
    actor: Option<&str>,
    base_url: &str,
) -> Result<(), ServiceError> {
    let when = local_start(session);
    let (text, event, kind) = match status {
        BookingStatus::Confirmed => (
            format!("Prenotazione test ITA-L2 confermata: {when}, {0} / ITA-L2 test booking confirmed: {when}, {0}", session.location),
            "ita_l2_booking_confirmed",
            Mail::BookingConfirmed as BookingKind,
        ),
        BookingStatus::Waitlisted => (
            format!("Prenotazione test ITA-L2 in lista d'attesa: {when} / ITA-L2 test booking waitlisted: {when}"),
            "ita_l2_booking_waitlisted",
            Mail::BookingWaitlisted as BookingKind,
        ),
        BookingStatus::Cancelled => (
            format!("Prenotazione test ITA-L2 annullata: {when} / ITA-L2 test booking cancelled: {when}"),
            "ita_l2_booking_cancelled",
            Mail::BookingCancelled as BookingKind,
        ),
    };
    let message = MessageRow::new(&ticket.id, MessageKind::System, actor, text);
    diesel::insert_into(messages::table).values(&message).execute(conn)?;
    record_event(conn, &ticket.id, actor, event, json!({"booking": booking.id, "session": session.id}))?;

    let (email, name): (String, String) =
        users::table.find(&booking.student_id).select((users::email, users::display_name)).first(conn)?;
    let locale = ticket.locale;
    let mail = kind(BookingMail {
        number: ticket.number.clone(),
        subject: ticket.subject.clone(),
        name,
        link: format!("{base_url}/tickets/{}", ticket.number),
        booking: booking.id.clone(),
        session: session.id.clone(),
        starts_at: when,
        starts_at_utc: session.starts_at_utc().to_rfc3339(),
        online: session.mode() == Mode::Online,
        location: session.location.clone(),
        position,
        ics: (status == BookingStatus::Confirmed).then(|| ics_for(session, booking, locale, now())),
    });
    outbox::enqueue(conn, Notification { recipient: &email, locale, ticket_id: Some(&ticket.id), mail: &mail })?;
    Ok(())
}

fn ics_for(session: &SessionRow, booking: &BookingRow, locale: Locale, stamp: NaiveDateTime) -> String {
    let (summary, description) = match (locale, session.mode()) {
        (Locale::En, Mode::Online) => ("ITA-L2 Italian language test (online)", "Your seat at the ITA-L2 Italian language test is confirmed. Bring a valid identity document."),
        (Locale::En, Mode::InPerson) => ("ITA-L2 Italian language test", "Your seat at the ITA-L2 Italian language test is confirmed. Bring a valid identity document."),
        (_, Mode::Online) => ("Test di lingua italiana ITA-L2 (online)", "Il tuo posto al test di lingua italiana ITA-L2 è confermato. Porta un documento d'identità valido."),
        (_, Mode::InPerson) => ("Test di lingua italiana ITA-L2", "Il tuo posto al test di lingua italiana ITA-L2 è confermato. Porta un documento d'identità valido."),
    };
    calendar(&CalendarEvent {
        uid: &booking.id,
        starts_at: session.starts_at_utc(),
        stamp: stamp.and_utc(),
        summary,
        location: &session.location,
        description,
    })
}
