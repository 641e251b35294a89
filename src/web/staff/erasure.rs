//! An erasure request on the staff ticket page: where it stands, and for the staff who may
//! decide it (`tickets::access::may_decide_erasure`) approve — behind a required tick — or
//! refuse with a reason. The rules are `privacy::erasure`'s.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use serde_json::{json, Value};

use super::staff_or_return;
use super::ticket::{refused, render, Kept};
use crate::error::ServiceError;
use crate::privacy::erasure;
use crate::tickets::view::ErasureView;
use crate::web::error::WebError;
use crate::web::guest::parse_number;
use crate::web::page::{redirect, Ctx};
use crate::web::tickets::when;

type Page = Result<actix_web::HttpResponse, WebError>;

/// The page's section for the request.
pub fn section(ctx: &Ctx, e: &ErasureView) -> Value {
    json!({
        "state_label": ctx.t(&format!("privacy.erasure.state_{}", e.state.as_str())),
        "decided": e.decided_at.map(|d| when(d, ctx.locale)),
        "reason": e.reason,
        "can_decide": e.can_decide,
    })
}

#[derive(Deserialize)]
pub struct Decision {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    reason: String,
}

/// A decided request (or one decided meanwhile by a colleague): the page shows how it stands.
fn after(number: &crate::domain::TicketNumber) -> Page {
    Ok(redirect(&format!("/staff/tickets/{number}#erasure")))
}

pub async fn approve(ctx: Ctx, path: web::Path<String>, form: web::Form<Decision>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    let user = staff_or_return!(ctx);
    let number = parse_number(&ctx, &path)?;
    if form.confirm != "on" {
        let kept = Kept::error(ctx.t("privacy.erasure.confirm_missing"));
        return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, user, number, kept).await;
    }
    let (writer, n, files, base_url) = (user.clone(), number.clone(), ctx.state.files.clone(), ctx.state.settings.base_url.clone());
    match ctx.state.db.write(move |conn| erasure::approve(conn, &files, &writer, &n, &base_url)).await {
        Ok(_) => {
            // The erased account's sessions may be remembered here: forget them now.
            ctx.state.sessions.clear();
            after(&number)
        }
        Err(ServiceError::Conflict(_)) => after(&number),
        Err(e) => refused(&ctx, user, number, e, Kept::default()).await,
    }
}

pub async fn refuse(ctx: Ctx, path: web::Path<String>, form: web::Form<Decision>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    let user = staff_or_return!(ctx);
    let number = parse_number(&ctx, &path)?;
    let (writer, n, base_url, reason) = (user.clone(), number.clone(), ctx.state.settings.base_url.clone(), form.into_inner().reason);
    match ctx.state.db.write(move |conn| erasure::refuse(conn, &writer, &n, &reason, &base_url)).await {
        Ok(_) | Err(ServiceError::Conflict(_)) => after(&number),
        Err(e) => refused(&ctx, user, number, e, Kept::default()).await,
    }
}
