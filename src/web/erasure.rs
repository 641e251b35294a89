//! "Chiedi la cancellazione dei miei dati": the account page's link, a confirmation page
//! (a required tick), and the request it sends (`privacy::erasure::request`), for students.
//! Staff decide on the ticket's page (`staff::ticket`).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::error::{OrPage, WebError};
use super::page::{redirect, Ctx};
use crate::accounts::User;
use crate::domain::Role;
use crate::error::ServiceError;
use crate::privacy::erasure;

type Page = Result<HttpResponse, WebError>;

fn student(ctx: &Ctx) -> Result<User, WebError> {
    match ctx.user.clone() {
        Some(user) if user.role == Role::Student => Ok(user),
        Some(_) => Err(ctx.fail(ServiceError::Forbidden("only a student account can ask to be erased here".into()))),
        None => Err(ctx.fail(ServiceError::Unauthenticated)),
    }
}

fn show(ctx: &Ctx, status: StatusCode, pending: Option<String>, error: Option<String>) -> Page {
    let page = json!({
        "pending": pending.map(|n| json!({"number": n, "href": format!("/tickets/{n}"),
                                           "text": ctx.t("privacy.erasure.pending").replace("{number}", &n)})),
        "error": error,
    });
    ctx.render_status(status, "pages/erasure", &ctx.t("privacy.erasure.title"), page)
}

pub async fn form(ctx: Ctx) -> Page {
    let user = student(&ctx)?;
    let pending = ctx.state.db.read(move |conn| erasure::pending_of(conn, &user.id)).await.or_page(ctx.locale)?;
    show(&ctx, StatusCode::OK, pending, None)
}

pub async fn submit(ctx: Ctx, form: web::Form<HashMap<String, String>>) -> Page {
    let values = form.into_inner();
    ctx.check_csrf(values.get("csrf").map(String::as_str).unwrap_or_default())?;
    let user = student(&ctx)?;
    if values.get("confirm").map(String::as_str) != Some("on") {
        return show(&ctx, StatusCode::UNPROCESSABLE_ENTITY, None, Some(ctx.t("privacy.erasure.confirm_missing")));
    }
    let user_id = user.id.clone();
    match erasure::request(&ctx.state.db, user, &(&*ctx.state.settings).into()).await {
        Ok(opened) => Ok(redirect(&format!("/tickets/{}", opened.ticket.number))),
        Err(ServiceError::Conflict(_)) => {
            let pending = ctx.state.db.read(move |conn| erasure::pending_of(conn, &user_id)).await.or_page(ctx.locale)?;
            show(&ctx, StatusCode::CONFLICT, pending, None)
        }
        Err(other) => Err(ctx.fail(other)),
    }
}
