//! One ticket: its thread (public and system messages, never internal notes), files, reply
//! with files, reopen, close, and the rating once resolved. Students see their own tickets,
//! guests the one ticket their link opened.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{OrPage, WebError};
use super::guest::{self, parse_number, viewer};
use super::multipart;
use super::procedures;
use crate::ids::now;
use crate::booking;
use super::page::{encode, redirect, Ctx};
use super::tickets::{all_category_names, when};
use crate::accounts::User;
use crate::domain::{Status, TicketNumber};
use crate::error::ServiceError;
use crate::db::ticket_rows::MessageKind;
use crate::tickets::rating::{self, Rating};
use crate::tickets::update::{self, NewMessage, TicketPatch};
use crate::tickets::{query, view::TicketView};

type Page = Result<HttpResponse, WebError>;

#[derive(Deserialize)]
pub struct Secret {
    secret: Option<String>,
    /// Back from the guest's confirmation: say that the request reached the offices.
    confirmed: Option<String>,
}

/// What the reader typed in a form of the page that failed, kept for the page shown again.
#[derive(Default)]
struct Kept {
    reply: String,
    reply_error: Option<String>,
    comment: String,
    rating_error: Option<String>,
    confirmed: bool,
    reason: String,
    reopen_error: Option<String>,
    close_error: Option<String>,
}

async fn who(ctx: &Ctx, number: &TicketNumber) -> Result<Result<(User, bool), HttpResponse>, WebError> {
    Ok(viewer(ctx, number).await?.ok_or_else(|| redirect(&format!("/sign-in?next={}", encode(&format!("/tickets/{number}"))))))
}

pub async fn show(ctx: Ctx, path: web::Path<String>, q: web::Query<Secret>) -> Page {
    let number = parse_number(&ctx, &path)?;
    let q = q.into_inner();
    if let Some(secret) = q.secret {
        return guest::follow_link(&ctx, number, secret).await;
    }
    let (user, is_guest) = match who(&ctx, &number).await? {
        Ok(found) => found,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let kept = Kept { confirmed: q.confirmed.is_some(), ..Kept::default() };
    render(&ctx, StatusCode::OK, &user, is_guest, number, kept).await
}

async fn render(ctx: &Ctx, status: StatusCode, user: &User, is_guest: bool, number: TicketNumber, kept: Kept) -> Page {
    let reader = User { locale: ctx.locale, ..user.clone() };
    let (ticket, rating, booking) = ctx
        .state
        .db
        .read(move |conn| {
            let ticket = query::get(conn, &reader, &number)?;
            let rating = rating::rating_of(conn, &ticket.id)?;
            // An ITA-L2 request books its test from here.
            let booking = if ticket.category == booking::CATEGORY {
                Some((booking::list_upcoming(conn, now())?, booking::mine::live(conn, None, Some(&ticket.id))?))
            } else {
                None
            };
            Ok::<_, ServiceError>((ticket, rating, booking))
        })
        .await
        .or_page(ctx.locale)?;
    let names = all_category_names(ctx).await?;
    let mut page = page_data(ctx, user, is_guest, &ticket, rating.as_ref(), &names, kept);
    if let Some(map) = page.as_object_mut() {
        let procedures: Vec<Value> = ticket
            .career_actions
            .iter()
            .map(|p| {
                json!({"name": p.name, "status_label": p.status.label(ctx.locale), "warning": p.warning, "external_ref": p.external_ref,
                       "href": (!is_guest).then(|| format!("/procedures/{}", p.id))})
            })
            .collect();
        map.insert("procedures".into(), json!(procedures));
        if let Some((sessions, bookings)) = booking {
            let open = !matches!(ticket.status, Status::Closed | Status::Unverified);
            map.insert(
                "booking".into(),
                json!({
                    "open": open && bookings.is_empty(),
                    "sessions": sessions.iter().map(|s| procedures::session_row(ctx, s)).collect::<Vec<_>>(),
                    "bookings": bookings.iter().map(|b| procedures::booking_row(ctx, b, &format!("/tickets/{}#booking", ticket.number))).collect::<Vec<_>>(),
                }),
            );
        }
    }
    ctx.render_status(status, "pages/ticket", &format!("{} {}", ctx.t("ticket.title"), ticket.number), page)
}

fn page_data(ctx: &Ctx, user: &User, is_guest: bool, t: &TicketView, rating: Option<&Rating>, names: &std::collections::HashMap<String, String>, kept: Kept) -> Value {
    let file_href = |id: &str| {
        if is_guest {
            format!("/tickets/{}/files/{id}", t.number)
        } else {
            format!("/api/v1/attachments/{id}")
        }
    };
    let messages: Vec<Value> = t
        .messages
        .iter()
        .flatten()
        .filter(|m| m.kind != MessageKind::Internal)
        .map(|m| {
            let mine = m.author.as_ref().is_some_and(|a| a.id == user.id);
            let system = m.kind == MessageKind::System;
            let author = match (&m.author, mine, system) {
                (_, _, true) => ctx.t("ticket.system"),
                (_, true, _) => ctx.t("ticket.you"),
                (Some(a), _, _) if a.role.is_staff() => format!("{} · {}", a.display_name, ctx.t("ticket.staff")),
                (Some(a), _, _) => a.display_name.clone(),
                (None, _, _) => ctx.t("ticket.staff"),
            };
            let body = if system { status_change_text(ctx, &m.body) } else { m.body.clone() };
            json!({
                "id": m.id, "author": author, "mine": mine, "system": system, "body_html": super::linkify::linkify(&body),
                "when": when(m.created_at, ctx.locale),
                "files": m.attachments.iter().map(|a| json!({"href": file_href(&a.id), "name": a.filename, "kb": (a.size + 1023) / 1024})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let status = t.status;
    // A resolved ticket may be reopened until it closes (by itself after the configured days).
    let may_reopen = status == Status::Resolved;
    let requester = t.requester.as_ref().is_some_and(|r| r.id == user.id);
    json!({
        "number": t.number, "subject": t.subject, "version": t.version, "guest": is_guest,
        "category": names.get(&t.category).cloned().unwrap_or_else(|| t.category.clone()),
        "erasure": t.erasure_request.as_ref().map(|e| json!({
            "state_label": ctx.t(&format!("privacy.erasure.state_{}", e.state.as_str())), "reason": e.reason})),
        "status": status.as_str(), "status_label": ctx.t(&format!("status.{}", status.as_str())),
        "opened": when(t.created_at, ctx.locale), "updated": when(t.updated_at, ctx.locale),
        "messages": messages,
        "unverified": status == Status::Unverified,
        "confirmed": kept.confirmed,
        "closed": status == Status::Closed,
        "can_reply": !matches!(status, Status::Closed | Status::Unverified),
        "can_reopen": may_reopen,
        "can_close": matches!(status, Status::New | Status::Open | Status::WaitingStudent | Status::Resolved),
        "can_rate": requester && rating.is_none() && matches!(status, Status::Resolved | Status::Closed),
        "rating": rating.map(|r| json!({"stars": r.stars, "comment": r.comment})),
        "reply": {"value": kept.reply, "error": kept.reply_error},
        "reopen": {"value": kept.reason, "error": kept.reopen_error},
        "close_error": kept.close_error,
        "reopen_help": ctx.t("ticket.reopen_help").replace("{days}", &ctx.state.settings.jobs.auto_close_days.to_string()),
        "rate": {"comment": kept.comment, "error": kept.rating_error},
        "stars": (1..=5).rev().map(|n| json!({"n": n})).collect::<Vec<_>>(),
    })
}

/// A status change's system message ("Stato: new → open / Status: new → open") in the
/// reader's language; any other system message as it is.
pub(crate) fn status_change_text(ctx: &Ctx, body: &str) -> String {
    let change = body.strip_prefix("Stato: ").and_then(|rest| rest.split_once(" / ")).and_then(|(it, _)| it.split_once(" → "));
    match change.and_then(|(from, to)| Some((Status::parse(from).ok()?, Status::parse(to).ok()?))) {
        Some((from, to)) => format!(
            "{}: {} → {}",
            ctx.t("ticket.status"),
            ctx.t(&format!("status.{}", from.as_str())),
            ctx.t(&format!("status.{}", to.as_str()))
        ),
        None => body.to_owned(),
    }
}

pub async fn reply(ctx: Ctx, path: web::Path<String>, payload: web::Payload) -> Page {
    let number = parse_number(&ctx, &path)?;
    let data = multipart::read(&ctx.req, payload, &ctx.state, &ctx.csrf).await.or_page(ctx.locale)?;
    let (user, is_guest) = match who(&ctx, &number).await? {
        Ok(found) => found,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let body = data.get("body").to_owned();
    if let Some((_, message)) = data.file_errors.first() {
        let kept = Kept { reply: body, reply_error: Some(super::i18n::message(ctx.locale, message)), ..Kept::default() };
        return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &user, is_guest, number, kept).await;
    }
    let input = NewMessage { body: body.clone(), internal: false, status: None };
    let (writer, n, base_url, uploads) = (user.clone(), number.clone(), ctx.state.settings.base_url.clone(), data.uploads);
    match ctx.state.db.write(move |conn| update::add_message(conn, &writer, &n, input, &uploads, &base_url)).await {
        Ok(message) => Ok(redirect(&format!("/tickets/{number}#m-{}", message.id))),
        Err(ServiceError::Validation(list)) => {
            let error = list.first().map(|e| super::i18n::field_message(ctx.locale, e));
            render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &user, is_guest, number, Kept { reply: body, reply_error: error, ..Kept::default() }).await
        }
        Err(other) => Err(ctx.fail(other)),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    action: String,
    version: i32,
    /// Reopening: what is not solved (it becomes the student's message on the ticket).
    #[serde(default)]
    reason: String,
    /// Closing: the box that confirms it.
    #[serde(default)]
    confirm: String,
}

/// Reopen a resolved ticket (with the reason, as a reply), or close one (once confirmed).
pub async fn change_status(ctx: Ctx, path: web::Path<String>, form: web::Form<StatusForm>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    let number = parse_number(&ctx, &path)?;
    let (user, is_guest) = match who(&ctx, &number).await? {
        Ok(found) => found,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let form = form.into_inner();
    let base_url = ctx.state.settings.base_url.clone();
    match form.action.as_str() {
        "reopen" => {
            if form.reason.trim().is_empty() {
                let kept = Kept { reopen_error: Some(ctx.t("ticket.reopen_reason_missing")), ..Kept::default() };
                return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &user, is_guest, number, kept).await;
            }
            // The reason is the student's reply, and a reply reopens a resolved ticket.
            let input = NewMessage { body: form.reason.clone(), internal: false, status: None };
            let (writer, n) = (user.clone(), number.clone());
            match ctx.state.db.write(move |conn| update::reopen(conn, &writer, &n, input, &base_url)).await {
                Ok(message) => Ok(redirect(&format!("/tickets/{number}#m-{}", message.id))),
                Err(ServiceError::Validation(list)) => {
                    let error = list.first().map(|e| super::i18n::message(ctx.locale, &e.message));
                    let kept = Kept { reason: form.reason, reopen_error: error, ..Kept::default() };
                    render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &user, is_guest, number, kept).await
                }
                Err(other) => Err(ctx.fail(other)),
            }
        }
        "close" => {
            if form.confirm != "on" {
                let kept = Kept { close_error: Some(ctx.t("ticket.close_unconfirmed")), ..Kept::default() };
                return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &user, is_guest, number, kept).await;
            }
            let patch = TicketPatch { version: form.version, status: Some(Status::Closed), priority: None, category: None, team: None, assignee: None };
            let n = number.clone();
            ctx.state.db.write(move |conn| update::patch(conn, &user, &n, patch, &base_url)).await.or_page(ctx.locale)?;
            Ok(redirect(&format!("/tickets/{number}")))
        }
        _ => Err(ctx.fail(super::error::Failure::BadRequest("unknown action".into()))),
    }
}

#[derive(Deserialize)]
pub struct RatingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    stars: String,
    #[serde(default)]
    comment: String,
}

pub async fn rate(ctx: Ctx, path: web::Path<String>, form: web::Form<RatingForm>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    let number = parse_number(&ctx, &path)?;
    let (user, is_guest) = match who(&ctx, &number).await? {
        Ok(found) => found,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let stars: i32 = form.stars.trim().parse().unwrap_or(0);
    let (rater, n, comment) = (user.clone(), number.clone(), form.comment.clone());
    match ctx.state.db.write(move |conn| rating::rate(conn, &rater, &n, stars, &comment)).await {
        Ok(_) => Ok(redirect(&format!("/tickets/{number}#rating"))),
        Err(ServiceError::Validation(list)) => {
            let error = list.first().map(|e| super::i18n::field_message(ctx.locale, e));
            let kept = Kept { comment: form.comment.clone(), rating_error: error, ..Kept::default() };
            render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &user, is_guest, number, kept).await
        }
        Err(other) => Err(ctx.fail(other)),
    }
}
