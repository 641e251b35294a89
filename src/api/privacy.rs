//! Personal data over the API: the access log (admins), and the helper every staff read calls
//! to be recorded in it.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{delete, get, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{ApiError, Data};
use crate::accounts::User;
use crate::auth::{Admin, CurrentUser, Staff};
use crate::error::ServiceError;
use crate::privacy::access::{self, AccessEntry, Read, TicketRef};
use crate::privacy::retention::{self, Retention};
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

/// Staff delete a ticket's identity documents once checked, sooner than retention would.
#[utoipa::path(tag = "tickets", params(("number" = String, Path)),
    responses((status = 200, description = "`{deleted}`: how many documents went"), (status = 403, body = super::Problem),
        (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
#[delete("/tickets/{number}/identity-documents")]
pub async fn delete_identity_documents(state: Data, staff: Staff, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let number = super::number(&path)?;
    let files = state.files.clone();
    let deleted = state.db.write(move |conn| retention::delete_identity_documents(conn, &files, &staff.0, &number)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"deleted": deleted})))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeepRequest {
    keep: bool,
}

/// Staff mark a message to keep when its ticket is anonymised (or unmark it).
#[utoipa::path(tag = "tickets", params(("number" = String, Path), ("id" = String, Path)), request_body = KeepRequest,
    responses((status = 204), (status = 403, body = super::Problem), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
#[put("/tickets/{number}/messages/{id}/keep")]
pub async fn keep_message(state: Data, staff: Staff, path: web::Path<(String, String)>, body: web::Json<KeepRequest>) -> Result<HttpResponse, ApiError> {
    let (raw, id) = path.into_inner();
    let number = super::number(&raw)?;
    let keep = body.keep;
    state.db.write(move |conn| retention::keep_message(conn, &staff.0, &number, &id, keep)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A category's retention: days a closed ticket is kept, and its identity documents.
#[utoipa::path(tag = "admin", params(("slug" = String, Path)),
    responses((status = 200, body = Retention), (status = 403, body = super::Problem), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/admin/categories/{slug}/retention")]
pub async fn get_retention(state: Data, _admin: Admin, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let slug = path.into_inner();
    let found = state.db.read(move |conn| Ok::<_, ServiceError>(retention::periods(conn)?.remove(&slug))).await?;
    let (_, retention) = found.ok_or(ServiceError::NotFound)?;
    Ok(HttpResponse::Ok().json(retention))
}

#[utoipa::path(tag = "admin", params(("slug" = String, Path)), request_body = Retention,
    responses((status = 200, body = Retention), (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[put("/admin/categories/{slug}/retention")]
pub async fn put_retention(state: Data, _admin: Admin, path: web::Path<String>, body: web::Json<Retention>) -> Result<HttpResponse, ApiError> {
    let slug = path.into_inner();
    let retention = body.into_inner();
    state.db.write(move |conn| retention::set(conn, &slug, retention)).await?;
    Ok(HttpResponse::Ok().json(retention))
}

/// A copy of the signed-in person's data: a zip of `data.json` (account, tickets with the
/// messages they see, procedures, bookings) and the files they uploaded. Never internal notes.
#[utoipa::path(tag = "accounts",
    responses((status = 200, description = "the zip", content_type = "application/zip"), (status = 401, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/me/export")]
pub async fn export(state: Data, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    Ok(export_download(&state, user.0).await?)
}

/// The zip as a download (the API and the account page).
pub async fn export_download(state: &AppState, user: User) -> Result<HttpResponse, ServiceError> {
    let contents = state.db.read(move |conn| crate::privacy::export::collect(conn, &user)).await?;
    let files = state.files.clone();
    let zip = web::block(move || crate::privacy::export::write_zip(&contents, &files)).await.map_err(|e| ServiceError::Internal(e.to_string()))??;
    let name = format!("i-miei-dati-{}.zip", chrono::Utc::now().format("%Y-%m-%d"));
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header(ContentDisposition { disposition: DispositionType::Attachment, parameters: vec![DispositionParam::Filename(name)] })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(zip))
}
