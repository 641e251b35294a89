//! The student's rating of the answer: once the ticket is resolved (or closed), one rating per
//! ticket, 1 to 5 stars and an optional comment. Recorded as an audit event too.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::auth::ticket_access::visible_ticket;
use crate::db::ticket_rows::record_event;
use crate::accounts::User;
use crate::ids::now;
use crate::db::schema::ticket_ratings;
use crate::db::{write_tx, DbConn};
use crate::domain::{Status, TicketNumber};
use crate::error::{Code, FieldErrors, ServiceError};

pub const MAX_COMMENT: usize = 2000;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_ratings)]
pub struct RatingRow {
    pub ticket_id: String,
    pub rated_by: String,
    pub stars: i32,
    pub comment: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rating {
    pub stars: i32,
    pub comment: String,
    pub created_at: DateTime<Utc>,
}

/// Checks a rating: 1 to 5 stars; the comment may be empty.
pub fn check_rating(stars: i32, comment: &str) -> Result<String, ServiceError> {
    let mut errors = FieldErrors::default();
    if !(1..=5).contains(&stars) {
        errors.reject("stars", Code::Stars);
    }
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT {
        errors.reject("comment", Code::TooLong { max: MAX_COMMENT });
    } else if comment.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        errors.reject("comment", Code::ControlChars);
    }
    errors.into_result()?;
    Ok(comment.to_owned())
}

/// The requester rates a resolved or closed ticket, once.
#[tracing::instrument(skip_all, fields(number = %number))]
pub fn rate(conn: &mut DbConn, user: &User, number: &TicketNumber, stars: i32, comment: &str) -> Result<Rating, ServiceError> {
    let comment = check_rating(stars, comment)?;
    write_tx(conn, |conn| -> Result<Rating, ServiceError> {
        let ticket = visible_ticket(conn, user, number)?;
        if ticket.requester_id != user.id {
            return Err(ServiceError::Forbidden("only the person who asked may rate the answer".into()));
        }
        if !matches!(ticket.status, Status::Resolved | Status::Closed) {
            return Err(ServiceError::Conflict("the answer can be rated once the ticket is resolved".into()));
        }
        let already: i64 = ticket_ratings::table.filter(ticket_ratings::ticket_id.eq(&ticket.id)).count().get_result(conn)?;
        if already > 0 {
            return Err(ServiceError::Conflict("this ticket is already rated".into()));
        }
        let row = RatingRow { ticket_id: ticket.id.clone(), rated_by: user.id.clone(), stars, comment, created_at: now() };
        diesel::insert_into(ticket_ratings::table).values(&row).execute(conn)?;
        record_event(conn, &ticket.id, Some(&user.id), "rated", json!({"stars": stars}))?;
        Ok(Rating { stars: row.stars, comment: row.comment, created_at: row.created_at.and_utc() })
    })
}

/// A ticket's rating, if any. The caller has already checked who may see the ticket.
pub fn rating_of(conn: &mut DbConn, ticket_id: &str) -> Result<Option<Rating>, ServiceError> {
    let row: Option<RatingRow> = ticket_ratings::table
        .find(ticket_id)
        .select(RatingRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|r| Rating { stars: r.stars, comment: r.comment, created_at: r.created_at.and_utc() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_are_one_to_five_and_comments_bounded() {
        assert_eq!(check_rating(5, "  grazie  ").unwrap(), "grazie");
        assert!(check_rating(1, "").is_ok());
        assert!(check_rating(0, "").is_err());
        assert!(check_rating(6, "").is_err());
        assert!(check_rating(3, &"x".repeat(MAX_COMMENT + 1)).is_err());
        assert!(check_rating(3, "a\u{7}b").is_err());
    }
}
