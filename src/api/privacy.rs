//! Personal data over the API: the access log (admins), and the helper every staff read calls
//! to be recorded in it.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{ApiError, Data};
use crate::accounts::User;
use crate::auth::Admin;
use crate::error::ServiceError;
use crate::privacy::access::{self, AccessEntry, Read, TicketRef};
use crate::state::AppState;

/// Records a staff member's read (nothing for students and guests), with the client's address
/// as the trusted-proxy rule gives it. Called by the API and the pages after a successful read.
pub async fn note_reads(state: &AppState, req: &HttpRequest, reader: &User, ticket: Ticket, reads: Vec<(Read, Option<String>)>) -> Result<(), ServiceError> {
    if !reader.is_staff() {
        return Ok(());
    }
    let ip = crate::auth::client_ip(req, &state.settings.trusted_proxies);
    let reader = reader.clone();
    state
        .db
        .write(move |conn| {
            let key = match &ticket {
                Ticket::Id(id) => TicketRef::Id(id),
                Ticket::Number(number) => TicketRef::Number(number),
            };
            access::record(conn, &reader, key, &reads, ip)
        })
        .await
}

/// An owned `TicketRef`, to cross into the database thread.
pub enum Ticket {
    Id(String),
    Number(crate::domain::TicketNumber),
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LogParams {
    /// `json` (default) or `csv` (also `Accept: text/csv`).
    format: Option<String>,
    /// The newest this many entries (default 1,000, at most 5,000).
    limit: Option<i64>,
    /// `/admin/access-log` only: the staff member (id or e-mail).
    staff: Option<String>,
}

fn wants_csv(req: &HttpRequest, params: &LogParams) -> Result<bool, ApiError> {
    match params.format.as_deref().map(str::trim) {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some("") | None => {
            let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
            Ok(accept.split(',').any(|part| part.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"))))
        }
        Some(_) => Err(ServiceError::field("format", "must be json or csv").into()),
    }
}

fn answer(entries: Vec<AccessEntry>, csv: bool, name: String) -> Result<HttpResponse, ApiError> {
    if !csv {
        return Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "private, no-store")).json(entries));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition { disposition: DispositionType::Attachment, parameters: vec![DispositionParam::Filename(name)] })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(access::to_csv(&entries)?))
}

/// Who on the staff read this ticket, its files or its requester panel, newest first (admins).
#[utoipa::path(tag = "admin", params(("number" = String, Path), LogParams),
    responses((status = 200, description = "the entries, newest first", content((Vec<AccessEntry> = "application/json"), (String = "text/csv"))),
        (status = 403, body = super::Problem), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/tickets/{number}/access-log")]
pub async fn ticket_access_log(state: Data, req: HttpRequest, admin: Admin, path: web::Path<String>, params: web::Query<LogParams>) -> Result<HttpResponse, ApiError> {
    let number = super::number(&path)?;
    let csv = wants_csv(&req, &params)?;
    let limit = params.limit.unwrap_or(1000);
    let name = format!("access-log-{number}.csv");
    let entries = state.db.read(move |conn| access::list(conn, &admin.0, access::Filter::Ticket(&number), limit)).await?;
    answer(entries, csv, name)
}

/// What one staff member read (`staff`: id or e-mail), newest first (admins).
#[utoipa::path(tag = "admin", params(LogParams),
    responses((status = 200, description = "the entries, newest first", content((Vec<AccessEntry> = "application/json"), (String = "text/csv"))),
        (status = 403, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/admin/access-log")]
pub async fn staff_access_log(state: Data, req: HttpRequest, admin: Admin, params: web::Query<LogParams>) -> Result<HttpResponse, ApiError> {
    let csv = wants_csv(&req, &params)?;
    let staff = params.staff.clone().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let staff = staff.ok_or_else(|| ServiceError::field("staff", "name the staff member (id or e-mail)"))?;
    let limit = params.limit.unwrap_or(1000);
    let entries = state.db.read(move |conn| access::list(conn, &admin.0, access::Filter::Staff(&staff), limit)).await?;
    answer(entries, csv, "access-log-staff.csv".into())
}
