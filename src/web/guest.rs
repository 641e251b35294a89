//! Guests: the per-ticket cookie that holds the secret of the mailed link (HttpOnly,
//! SameSite=Lax, scoped to that ticket's path), who is looking at a ticket, and downloads of
//! a ticket's files for whoever may see that one ticket.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::header::{Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue};
use actix_web::{web, HttpResponse};

use actix_web::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::error::{OrPage, WebError};
use super::form_view::{Field, Kind};
use super::page::{redirect, Ctx};
use crate::accounts::{find_user, User};
use crate::api::privacy::{note_reads, Ticket};
use crate::privacy::access::Read;
use crate::domain::{Email, Status, TicketNumber};
use crate::error::ServiceError;
use crate::tickets::{attachments, guest};

pub const GUEST_COOKIE: &str = "hd_guest";
pub const SECURE_GUEST_COOKIE: &str = "__Secure-hd_guest";

/// Who looks at ticket `number`: the guest whose cookie opens exactly this ticket (flag
/// `true`), else the signed-in user, else nobody.
pub async fn viewer(ctx: &Ctx, number: &TicketNumber) -> Result<Option<(User, bool)>, WebError> {
    if let Some(secret) = ctx.req.cookie(cookie_name(ctx)).map(|c| c.value().to_owned()) {
        let (number, idle) = (number.clone(), ctx.state.settings.guest_link_idle());
        let found = ctx
            .state
            .db
            .read(move |conn| {
                let (ticket, due) = guest::guest_visit(conn, &number, &secret, idle)?;
                Ok::<_, ServiceError>((find_user(conn, &ticket.requester_id)?, due.then_some(ticket.id)))
            })
            .await;
        match found {
            Ok((user, visit)) => {
                if let Some(id) = visit {
                    ctx.state.db.write(move |conn| guest::record_visit(conn, &id)).await.map_err(|e| ctx.fail(e))?;
                }
                return Ok(Some((user, true)));
            }
            Err(ServiceError::NotFound) => {}
            Err(other) => return Err(ctx.fail(other)),
        }
    }
    Ok(ctx.user.clone().map(|u| (u, false)))
}

/// Over https the cookie is `__Secure-` (it is scoped to the ticket's path, so `__Host-` cannot
/// apply): only a secure page can set it.
fn cookie_name(ctx: &Ctx) -> &'static str {
    if ctx.secure_cookies() {
        SECURE_GUEST_COOKIE
    } else {
        GUEST_COOKIE
    }
}

pub fn cookie(ctx: &Ctx, number: &TicketNumber, secret: &str) -> Cookie<'static> {
    Cookie::build(cookie_name(ctx), secret.to_owned())
        .path(format!("/tickets/{number}"))
        .http_only(true)
        .secure(ctx.secure_cookies())
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(30))
        .finish()
}

pub fn parse_number(ctx: &Ctx, raw: &str) -> Result<TicketNumber, WebError> {
    TicketNumber::parse_any_case(raw).map_err(|_| WebError::not_found(ctx.locale))
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
    let reader = user.clone();
    let row = ctx
        .state
        .db
        .write(move |conn| {
            let ticket = crate::auth::ticket_access::visible_ticket(conn, &user, &number)?;
            let row = attachments::fetch(conn, &user, &id)?;
            if row.ticket_id != ticket.id {
                return Err(ServiceError::NotFound);
            }
            Ok(row)
        })
        .await
        .or_page(ctx.locale)?;
    let read = (Read::Attachment, Some(format!("{} {}", row.id, row.filename)));
    note_reads(&ctx.state, &ctx.req, &reader, Ticket::Id(row.ticket_id.clone()), vec![read]).await.or_page(ctx.locale)?;
    let (files, sha256) = (ctx.state.files.clone(), row.sha256.clone());
    let bytes = web::block(move || files.read(&sha256))
        .await
        .map_err(|e| ctx.fail(ServiceError::Internal(e.to_string())))?
        .map_err(|e| ctx.fail(e))?;
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

/// A guest's mailed link (`/tickets/{number}?secret=`). A ticket still waiting for its address
/// to be confirmed shows the confirmation page (its POST proves the mailbox); a confirmed one
/// sets the cookie that keeps the way in. A link that no longer works offers a fresh one.
pub async fn follow_link(ctx: &Ctx, number: TicketNumber, secret: String) -> Result<HttpResponse, WebError> {
    let (n, s, idle) = (number.clone(), secret.clone(), ctx.state.settings.guest_link_idle());
    let found = ctx.state.db.read(move |conn| guest::guest_ticket(conn, &n, &s, idle)).await;
    let ticket = match found {
        Ok(ticket) => ticket,
        Err(ServiceError::NotFound) => return link_form(ctx, StatusCode::NOT_FOUND, Some(ctx.t("guest.bad_link")), &number.to_string(), ""),
        Err(other) => return Err(ctx.fail(other)),
    };
    if ticket.status == Status::Unverified {
        let page = json!({"lead": ctx.t("guest.confirm_lead"), "action": format!("/tickets/{number}/confirm"), "field": "secret",
                          "value": secret, "submit": ctx.t("guest.confirm_button"), "note": ctx.t("guest.confirm_note")});
        return ctx.render("pages/confirm", &ctx.t("guest.confirm_title"), page);
    }
    let mut res = redirect(&format!("/tickets/{number}"));
    res.add_cookie(&cookie(ctx, &number, &secret)).map_err(|e| ctx.fail(ServiceError::Internal(e.to_string())))?;
    Ok(res)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    csrf: String,
    secret: String,
}

/// The confirmation page's POST: the mailbox is proven and the ticket reaches the offices.
pub async fn confirm(ctx: Ctx, path: web::Path<String>, form: web::Form<ConfirmForm>) -> Result<HttpResponse, WebError> {
    ctx.check_csrf(&form.csrf)?;
    let number = parse_number(&ctx, &path)?;
    let (n, s, idle, base_url) = (number.clone(), form.secret.clone(), ctx.state.settings.guest_link_idle(), ctx.state.settings.base_url.clone());
    match ctx.state.db.write(move |conn| guest::verify_guest(conn, &n, &s, idle, &base_url)).await {
        Ok(_) => {
            let mut res = redirect(&format!("/tickets/{number}?confirmed=1"));
            res.add_cookie(&cookie(&ctx, &number, &form.secret)).map_err(|e| ctx.fail(ServiceError::Internal(e.to_string())))?;
            Ok(res)
        }
        Err(ServiceError::NotFound) => link_form(&ctx, StatusCode::NOT_FOUND, Some(ctx.t("guest.bad_link")), &number.to_string(), ""),
        Err(other) => Err(ctx.fail(other)),
    }
}

fn link_form(ctx: &Ctx, status: StatusCode, notice: Option<String>, number: &str, email: &str) -> Result<HttpResponse, WebError> {
    let field = |name: &str, label: &str, help: Option<String>, kind, value, autocomplete| Field {
        id: format!("guest-{name}"),
        name: name.to_owned(),
        label: ctx.t(label),
        help,
        required: true,
        kind,
        value,
        error: None,
        options: Vec::new(),
        autocomplete: Some(autocomplete),
    };
    let fields = [
        field("number", "guest.number", Some(ctx.t("guest.number_help")), Kind::Input("text"), number, "off"),
        field("email", "guest.email", None, Kind::Input("email"), email, "email"),
    ];
    let page = json!({"notice": notice, "fields": fields.iter().map(Field::to_json).collect::<Vec<_>>()});
    ctx.render_status(status, "pages/guest_link", &ctx.t("guest.new_link_title"), page)
}

/// The form asking for a fresh link to a guest's ticket.
pub async fn new_link_form(ctx: Ctx) -> Result<HttpResponse, WebError> {
    if ctx.flagged("sent") {
        return ctx.render("pages/link_sent", &ctx.t("guest.sent_title"), json!({"text": ctx.t("guest.sent")}));
    }
    link_form(&ctx, StatusCode::OK, None, "", "")
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewLinkForm {
    csrf: String,
    number: String,
    email: String,
}

/// Mails a fresh link when the number and the address match; the same answer either way.
pub async fn send_new_link(ctx: Ctx, form: web::Form<NewLinkForm>) -> Result<HttpResponse, WebError> {
    ctx.check_csrf(&form.csrf)?;
    ctx.limit("guest-link")?;
    let parsed = (form.number.trim().to_ascii_uppercase().parse::<TicketNumber>(), Email::parse(&form.email));
    if let (Ok(number), Ok(email)) = parsed {
        let base_url = ctx.state.settings.base_url.clone();
        ctx.state.db.write(move |conn| guest::send_fresh_link(conn, &number, &email, &base_url)).await.or_page(ctx.locale)?;
    }
    Ok(redirect("/tickets/link?sent=1"))
}
