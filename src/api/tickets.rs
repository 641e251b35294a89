use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::http::StatusCode;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::body::{files_only, json_or_multipart_raw};
use super::idempotency::{self, Answer};
use super::privacy::{note_reads, Ticket};
use super::{number, ApiError, Data};
use crate::privacy::access::Read;
use crate::auth::{CurrentUser, MaybeUser};
use crate::domain::Email;
use crate::error::ServiceError;
use crate::tickets::open::{self as opening, NewTicket};
use crate::tickets::query::{self as reading, ListParams, Page};
use crate::tickets::guest;
use crate::tickets::update::{self as changing, NewMessage, TicketPatch};
use crate::tickets::view::{AttachmentView, EventView, MessageView, TicketView};
use crate::tickets::attachments;

/// Opens a ticket. JSON, or multipart with a `ticket` JSON part and file parts (named by the
/// category's required attachment keys, or `files`). Guests add `guest` and get 202.
#[utoipa::path(tag = "tickets", request_body = NewTicket,
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key and body within 24 h answers the first result; another body 422")),
    responses((status = 201, body = TicketView), (status = 202, description = "guest ticket awaiting e-mail confirmation"),
        (status = 400, body = super::Problem), (status = 401, body = super::Problem), (status = 413, body = super::Problem),
        (status = 415, body = super::Problem), (status = 422, body = super::Problem)),
    security((), ("bearer" = [])))]
#[post("/tickets")]
pub async fn create_ticket(state: Data, req: HttpRequest, payload: web::Payload, user: MaybeUser) -> Result<HttpResponse, ApiError> {
    if user.0.is_none() {
        state.limit(&req, "guest-ticket")?;
    }
    let key = idempotency::key_of(&req)?;
    let (input, uploads, json): (NewTicket, _, _) = json_or_multipart_raw(&req, payload, &state, "ticket").await?;
    let keyed = key.map(|key| {
        let scope = match (&user.0, &input.guest) {
            (Some(user), _) => format!("user:{}", user.id),
            (None, guest) => format!("guest:{}", guest.as_ref().map(|g| g.email.trim().to_lowercase()).unwrap_or_default()),
        };
        idempotency::Keyed::new(scope, key, "POST /tickets", &json, &uploads)
    });
    let request = opening::Request { input, user: user.0, uploads, errors: Vec::new() };
    let ready = opening::prepare(&state.db, &state.categories().await?, request).await?;
    let place: opening::Place = (&*state.settings).into();
    let answer = match keyed {
        // The answer is made after the write, off SQLite's one writer thread.
        None => created(state.db.write_tx(move |conn| ready.write(conn, &place)).await?)?,
        // Stored with the key, in the same transaction.
        Some(keyed) => {
            state.db.write(move |conn| idempotency::once(conn, Some(&keyed), |conn| created(ready.write(conn, &place)?))).await?
        }
    };
    Ok(answer.into_response())
}

/// 201 with the ticket, or 202 for a guest's ticket waiting for its e-mail address.
fn created(written: opening::Written) -> Result<Answer, ServiceError> {
    let opened = written.opened()?;
    if opened.guest_secret.is_some() {
        let body = json!({
            "status": "unverified",
            "number": opened.ticket.number,
            "detail": "confirm your e-mail address: follow the link we sent you"
        });
        return Answer::json(StatusCode::ACCEPTED, None, &body);
    }
    Answer::json(StatusCode::CREATED, Some(format!("/api/v1/tickets/{}", opened.ticket.number)), &opened.ticket)
}

#[utoipa::path(tag = "tickets", params(ListParams),
    responses((status = 200, body = Page<TicketView>), (status = 401, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/tickets")]
pub async fn list_tickets(state: Data, user: CurrentUser, params: web::Query<ListParams>) -> Result<HttpResponse, ApiError> {
    let (params, ranking) = (params.into_inner(), state.settings.search);
    let page = state.db.read(move |conn| reading::list(conn, &user.0, &params, ranking)).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(tag = "tickets", params(("number" = String, Path, example = "HD-2025-000042")),
    responses((status = 200, body = TicketView), (status = 404, body = super::Problem)), security(("bearer" = [])))]
#[get("/tickets/{number}")]
pub async fn get_ticket(state: Data, req: HttpRequest, user: CurrentUser, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let number = number(&path)?;
    let reader = user.0.clone();
    let ticket = state.db.read(move |conn| reading::get(conn, &user.0, &number)).await?;
    note_reads(&state, &req, &reader, Ticket::Id(ticket.id.clone()), vec![(Read::Ticket, None)]).await?;
    Ok(HttpResponse::Ok().json(ticket))
}

#[utoipa::path(tag = "tickets", params(("number" = String, Path)), request_body = TicketPatch,
    responses((status = 200, body = TicketView), (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 409, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[patch("/tickets/{number}")]
pub async fn update_ticket(state: Data, user: CurrentUser, path: web::Path<String>, body: web::Json<TicketPatch>) -> Result<HttpResponse, ApiError> {
    let number = number(&path)?;
    let base_url = state.settings.base_url.clone();
    let ticket = state.db.write(move |conn| changing::patch(conn, &user.0, &number, body.into_inner(), &base_url)).await?;
    Ok(HttpResponse::Ok().json(ticket))
}

/// A reply or (staff) an internal note. JSON, or multipart with a `message` JSON part and files.
#[utoipa::path(tag = "tickets", request_body = NewMessage,
    params(("number" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key and body within 24 h answers the first result; another body 422")),
    responses((status = 201, body = MessageView), (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 409, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/tickets/{number}/messages")]
pub async fn add_message(state: Data, req: HttpRequest, payload: web::Payload, user: CurrentUser, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let number = number(&path)?;
    let key = idempotency::key_of(&req)?;
    let (input, uploads, json): (NewMessage, _, _) = json_or_multipart_raw(&req, payload, &state, "message").await?;
    let keyed = key.map(|key| {
        let route = format!("POST /tickets/{number}/messages");
        idempotency::Keyed::new(format!("user:{}", user.0.id), key, &route, &json, &uploads)
    });
    let base_url = state.settings.base_url.clone();
    let answer = state
        .db
        .write(move |conn| {
            idempotency::once(conn, keyed.as_ref(), |conn| {
                let message = changing::add_message(conn, &user.0, &number, input, &uploads, &base_url)?;
                Answer::json(StatusCode::CREATED, None, &message)
            })
        })
        .await?;
    Ok(answer.into_response())
}

#[utoipa::path(tag = "tickets", params(("number" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "file parts"),
    responses((status = 201, body = Vec<AttachmentView>), (status = 404, body = super::Problem), (status = 413, body = super::Problem),
        (status = 415, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/tickets/{number}/attachments")]
pub async fn add_attachments(state: Data, req: HttpRequest, payload: web::Payload, user: CurrentUser, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let number = number(&path)?;
    // Who may attach is checked before reading the files.
    let probe = (user.0.clone(), number.clone());
    state.db.read(move |conn| crate::auth::ticket_access::visible_ticket(conn, &probe.0, &probe.1).map(|_| ())).await?;
    let uploads = files_only(&req, payload, &state).await?;
    let files = state.db.write(move |conn| changing::add_attachments(conn, &user.0, &number, &uploads)).await?;
    Ok(HttpResponse::Created().json(files))
}

#[utoipa::path(tag = "tickets", params(("number" = String, Path)),
    responses((status = 200, body = Vec<EventView>), (status = 404, body = super::Problem)), security(("bearer" = [])))]
#[get("/tickets/{number}/events")]
pub async fn events(state: Data, user: CurrentUser, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let number = number(&path)?;
    let events = state.db.read(move |conn| reading::events(conn, &user.0, &number, user.0.locale)).await?;
    Ok(HttpResponse::Ok().json(events))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    secret: String,
}

/// The guest's confirmation: the secret from the mailed link moves the ticket into the queues
/// and answers the ticket.
#[utoipa::path(tag = "tickets", params(("number" = String, Path)), request_body = VerifyRequest,
    responses((status = 200, body = TicketView), (status = 404, body = super::Problem)))]
#[post("/tickets/{number}/verify")]
pub async fn verify_guest(state: Data, path: web::Path<String>, body: web::Json<VerifyRequest>) -> Result<HttpResponse, ApiError> {
    let number = number(&path)?;
    let (base_url, idle) = (state.settings.base_url.clone(), state.settings.guest_link_idle());
    let (_, ticket) = state.db.write(move |conn| guest::verify_guest(conn, &number, &body.secret, idle, &base_url)).await?;
    Ok(HttpResponse::Ok().json(ticket))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestLinkRequest {
    email: String,
}

/// A guest asks for a fresh secret link (the earlier ones stop working): mailed when the
/// address is the ticket's. Always 202, so it tells nobody which tickets exist.
#[utoipa::path(tag = "tickets", params(("number" = String, Path)), request_body = GuestLinkRequest,
    responses((status = 202), (status = 422, body = super::Problem), (status = 429, body = super::Problem)))]
#[post("/tickets/{number}/guest-link")]
pub async fn guest_link(state: Data, req: HttpRequest, path: web::Path<String>, body: web::Json<GuestLinkRequest>) -> Result<HttpResponse, ApiError> {
    state.limit(&req, "guest-link")?;
    let number = number(&path)?;
    let email = Email::parse(&body.email).map_err(|e| ServiceError::field("email", e.0))?;
    let base_url = state.settings.base_url.clone();
    state.db.write(move |conn| guest::send_fresh_link(conn, &number, &email, &base_url)).await?;
    Ok(HttpResponse::Accepted().json(json!({"status": "sent"})))
}

/// Downloads an attachment, always as a download with `nosniff`.
#[utoipa::path(tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, description = "the file"), (status = 404, body = super::Problem)), security(("bearer" = [])))]
#[get("/attachments/{id}")]
pub async fn download(state: Data, req: HttpRequest, user: CurrentUser, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ServiceError::NotFound.into());
    }
    let reader = user.0.clone();
    let row = state.db.write(move |conn| attachments::fetch(conn, &user.0, &id)).await?;
    let read = (Read::Attachment, Some(format!("{} {}", row.id, row.filename)));
    note_reads(&state, &req, &reader, Ticket::Id(row.ticket_id.clone()), vec![read]).await?;
    let (files, sha256) = (state.files.clone(), row.sha256.clone());
    let bytes = web::block(move || files.read(&sha256)).await.map_err(|e| ServiceError::Internal(e.to_string()))??;
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::FilenameExt(actix_web::http::header::ExtendedValue {
            charset: actix_web::http::header::Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: row.filename.clone().into_bytes(),
        })],
    };
    Ok(HttpResponse::Ok()
        .content_type(row.content_type)
        .insert_header(disposition)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(bytes))
}
