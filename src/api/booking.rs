//! ITA-L2 test booking: sessions (admins create, anyone lists), bookings from an `ita-l2`
//! ticket, cancellation.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;

use super::{ApiError, Data};
use crate::auth::{Admin, CurrentUser};
use crate::booking::{self, Booked, NewSession, SessionView};

/// Creates a session.
#[utoipa::path(tag = "ita-l2", request_body = NewSession,
    responses((status = 201, body = SessionView), (status = 401, body = super::Problem), (status = 403, body = super::Problem),
        (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/ita-l2/sessions")]
pub async fn create_session(state: Data, _admin: Admin, body: web::Json<NewSession>) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let session = state.db.write(move |conn| booking::create_session(conn, &input)).await?;
    Ok(HttpResponse::Created().json(session))
}

/// Upcoming sessions, soonest first, with the seats left.
#[utoipa::path(tag = "ita-l2", responses((status = 200, body = Vec<SessionView>)))]
#[get("/ita-l2/sessions")]
pub async fn list_sessions(state: Data) -> Result<HttpResponse, ApiError> {
    let sessions = state.db.read(move |conn| booking::list_upcoming(conn, crate::ids::now())).await?;
    Ok(HttpResponse::Ok().json(sessions))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBooking {
    /// The number of the student's `ita-l2` ticket.
    ticket: String,
}

/// Books a seat: confirmed while seats remain, else waitlisted.
#[utoipa::path(tag = "ita-l2", params(("id" = String, Path)), request_body = NewBooking,
    responses((status = 201, body = Booked), (status = 401, body = super::Problem), (status = 404, body = super::Problem),
        (status = 409, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/ita-l2/sessions/{id}/bookings")]
pub async fn book(state: Data, user: CurrentUser, path: web::Path<String>, body: web::Json<NewBooking>) -> Result<HttpResponse, ApiError> {
    let session_id = path.into_inner();
    let ticket = body.into_inner().ticket;
    let base_url = state.settings.base_url.clone();
    let booked = state.db.write(move |conn| booking::book(conn, &user.0, &session_id, &ticket, &base_url)).await?;
    Ok(HttpResponse::Created().json(booked))
}

/// Cancels a booking; a freed seat goes to the first on the waitlist.
#[utoipa::path(tag = "ita-l2", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = super::Problem), (status = 404, body = super::Problem), (status = 409, body = super::Problem)),
    security(("bearer" = [])))]
#[delete("/ita-l2/bookings/{id}")]
pub async fn cancel(state: Data, user: CurrentUser, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let base_url = state.settings.base_url.clone();
    state.db.write(move |conn| booking::cancel(conn, &user.0, &id, &base_url)).await?;
    Ok(HttpResponse::NoContent().finish())
}
