//! Erasure requests over the API: a student asks, staff of the ticket's team (or an admin)
//! approve or refuse. The rules are `privacy::erasure`'s.

use actix_web::{post, web, HttpResponse};
use serde::Deserialize;

use super::{number, ApiError, Data};
use crate::auth::CurrentUser;
use crate::privacy::erasure::{self, Decided};
use crate::tickets::view::TicketView;

/// Asks the student office to erase the signed-in student's data: opens a ticket marked as an
/// erasure request (its `erasure_request.state` is `pending`).
#[utoipa::path(tag = "accounts", operation_id = "request_erasure",
    responses((status = 201, body = TicketView), (status = 401, body = super::Problem),
        (status = 403, body = super::Problem, description = "staff accounts"),
        (status = 409, body = super::Problem, description = "a request is already pending")),
    security(("bearer" = [])))]
#[post("/me/erasure-request")]
pub async fn request(state: Data, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let opened = erasure::request(&state.db, user.0, &(&*state.settings).into()).await?;
    let location = format!("/api/v1/tickets/{}", opened.ticket.number);
    Ok(HttpResponse::Created().insert_header(("Location", location)).json(opened.ticket))
}

/// Approves an erasure request: the student is mailed, then every ticket of theirs is
/// anonymised and the account disabled and anonymised (its sessions and tokens stop working).
#[utoipa::path(tag = "tickets", operation_id = "approve_erasure", params(("number" = String, Path)),
    responses((status = 200, body = Decided), (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 409, body = super::Problem, description = "not an erasure request, or already decided")),
    security(("bearer" = [])))]
#[post("/tickets/{number}/erasure/approve")]
pub async fn approve(state: Data, user: CurrentUser, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let number = number(&path)?;
    let (files, base_url) = (state.files.clone(), state.settings.base_url.clone());
    let decided = state.db.write(move |conn| erasure::approve(conn, &files, &user.0, &number, &base_url)).await?;
    // The erased account's sessions may be remembered here: forget them now, not in a TTL.
    state.sessions.clear();
    Ok(HttpResponse::Ok().json(decided))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// Why: mailed to the student.
    pub reason: String,
}

/// Refuses an erasure request with a reason the student is mailed; nothing is erased.
#[utoipa::path(tag = "tickets", operation_id = "refuse_erasure", params(("number" = String, Path)), request_body = Refusal,
    responses((status = 200, body = Decided), (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 409, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/tickets/{number}/erasure/refuse")]
pub async fn refuse(state: Data, user: CurrentUser, path: web::Path<String>, body: web::Json<Refusal>) -> Result<HttpResponse, ApiError> {
    let number = number(&path)?;
    let base_url = state.settings.base_url.clone();
    let reason = body.into_inner().reason;
    let decided = state.db.write(move |conn| erasure::refuse(conn, &user.0, &number, &reason, &base_url)).await?;
    Ok(HttpResponse::Ok().json(decided))
}
