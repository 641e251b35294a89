//! Mail in over HTTP: `POST /inbound-mail` takes a raw message (the same as
//! `helpdesk ingest-mail`), authenticated by the `X-Api-Key` header; admins list what was
//! quarantined.

use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::{ApiError, Data};
use crate::auth::Admin;
use crate::error::ServiceError;
use crate::inbound::{self, Inbound, Outcome, QuarantineView};

fn too_large(limit: usize) -> ApiError {
    ServiceError::TooLarge(format!("the message is larger than {limit} bytes")).into()
}

/// Takes one raw RFC 5322 message (any content type, e.g. `message/rfc822`) and puts it on its
/// ticket: appended as a reply, opened as a follow-up of a closed ticket, or quarantined.
/// 404 when no inbound key is configured.
#[utoipa::path(tag = "mail",
    params(("X-Api-Key" = String, Header, description = "the inbound key (HELPDESK_INBOUND_API_KEY)")),
    request_body(content = String, content_type = "message/rfc822", description = "the raw message"),
    responses((status = 200, body = Outcome), (status = 401, body = super::Problem), (status = 404, body = super::Problem),
        (status = 413, body = super::Problem)))]
#[post("/inbound-mail")]
pub async fn inbound_mail(state: Data, req: HttpRequest, mut payload: web::Payload) -> Result<HttpResponse, ApiError> {
    super::require_api_key(&req, state.settings.inbound_api_key.as_deref())?;
    // Room for the encoding of the largest message the desk keeps files from.
    let limit = state.settings.max_message_bytes.saturating_add(1024 * 1024);
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large(limit));
    }
    let mut raw = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(e.to_string()))?;
        if raw.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        raw.extend_from_slice(&chunk);
    }
    let config = Inbound::from_settings(&state.settings).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let files = state.files.clone();
    // Parsing and storing files on a reader; only the transaction goes to the writer.
    let (prepared, config) = state.db.read(move |conn| inbound::prepare(conn, &files, &config, raw).map(|p| (p, config))).await?;
    let outcome = state.db.write(move |conn| inbound::commit(conn, &config, prepared)).await?;
    Ok(HttpResponse::Ok().json(outcome))
}

/// Quarantined inbound mail, newest first (at most 50).
#[utoipa::path(tag = "admin",
    responses((status = 200, body = Vec<QuarantineView>), (status = 401, body = super::Problem), (status = 403, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/admin/quarantine")]
pub async fn list_quarantine(state: Data, _admin: Admin) -> Result<HttpResponse, ApiError> {
    let rows = state.db.read(|conn| inbound::list_quarantine(conn, 50)).await?;
    Ok(HttpResponse::Ok().json(rows))
}
