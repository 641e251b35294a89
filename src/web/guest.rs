//! Guests: the per-ticket cookie that holds the secret of the mailed link (HttpOnly,
//! SameSite=Lax, scoped to that ticket's path), who is looking at a ticket, and downloads of
//! a ticket's files for whoever may see that one ticket.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::header::{Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue};
use actix_web::{web, HttpResponse};

use super::error::{OrPage, WebError};
use super::page::Ctx;
use crate::accounts::{find_user, User};
use crate::domain::TicketNumber;
use crate::error::ServiceError;
use crate::tickets::{attachments, update};

pub const GUEST_COOKIE: &str = "hd_guest";

/// Who looks at ticket `number`: the guest whose cookie opens exactly this ticket (flag
/// `true`), else the signed-in user, else nobody.
pub async fn viewer(ctx: &Ctx, number: &TicketNumber) -> Result<Option<(User, bool)>, WebError> {
    if let Some(secret) = ctx.req.cookie(GUEST_COOKIE).map(|c| c.value().to_owned()) {
        let number = number.clone();
        let found = ctx
            .state
            .db
            .read(move |conn| {
                let ticket = update::guest_ticket(conn, &number, &secret)?;
                find_user(conn, &ticket.requester_id)
            })
            .await;
        match found {
            Ok(user) => return Ok(Some((user, true))),
            Err(ServiceError::NotFound) => {}
            Err(other) => return Err(ctx.fail(other)),
        }
    }
    Ok(ctx.user.clone().map(|u| (u, false)))
}

pub fn cookie(ctx: &Ctx, number: &TicketNumber, secret: &str) -> Cookie<'static> {
    Cookie::build(GUEST_COOKIE, secret.to_owned())
        .path(format!("/tickets/{number}"))
        .http_only(true)
        .secure(ctx.secure_cookies())
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(30))
        .finish()
}

pub fn parse_number(ctx: &Ctx, raw: &str) -> Result<TicketNumber, WebError> {
    raw.parse().map_err(|_| WebError::not_found(ctx.locale))
}

/// A file of this ticket (never of another, even of the same person; never of a note).
pub async fn download(ctx: Ctx, path: web::Path<(String, String)>) -> Result<HttpResponse, WebError> {
    let (raw, id) = path.into_inner();
    let number = parse_number(&ctx, &raw)?;
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(WebError::not_found(ctx.locale));
    }
    let Some((user, _)) = viewer(&ctx, &number).await? else {
        return Err(WebError::not_found(ctx.locale));
    };
    let row = ctx
        .state
        .db
        .write(move |conn| {
            let ticket = crate::tickets::access::visible_ticket(conn, &user, &number)?;
            let row = attachments::fetch(conn, &user, &id)?;
            if row.ticket_id != ticket.id {
                return Err(ServiceError::NotFound);
            }
            Ok(row)
        })
        .await
        .or_page(ctx.locale)?;
    let path = ctx.state.files.path_of(&row.sha256);
    let bytes = web::block(move || std::fs::read(path))
        .await
        .map_err(|e| ctx.fail(ServiceError::Internal(e.to_string())))?
        .map_err(|e| ctx.fail(ServiceError::from(e)))?;
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: row.filename.clone().into_bytes(),
        })],
    };
    Ok(HttpResponse::Ok()
        .content_type(row.content_type)
        .insert_header(disposition)
        .insert_header(("Cache-Control", "private, no-store"))
        .body(bytes))
}
