//! The staff console's pages: staff only (not signed in → the sign-in page; students → not
//! found, so the console's addresses tell them nothing).

pub mod queue;
pub mod admin;
pub mod erasure;
pub mod history;
pub mod ticket;

use actix_web::HttpResponse;

use super::error::WebError;
use super::page::{encode, redirect, Ctx};
use crate::accounts::User;
use crate::domain::{Priority, Status};

/// A status as staff read it ("waiting for the student", not the student's "waiting for you").
pub fn status_label(ctx: &Ctx, status: Status) -> String {
    ctx.t(&format!("staff.status.{}", status.as_str()))
}

pub fn priority_label(ctx: &Ctx, priority: Priority) -> String {
    ctx.t(&format!("staff.priority.{}", priority.as_str()))
}

/// The staff member reading the page (in the page's language), or where to send the reader.
pub fn staff(ctx: &Ctx) -> Result<Result<User, HttpResponse>, WebError> {
    match ctx.reader() {
        None => {
            let here = match ctx.req.query_string() {
                "" => ctx.req.path().to_owned(),
                q => format!("{}?{q}", ctx.req.path()),
            };
            Ok(Err(redirect(&format!("/sign-in?next={}", encode(&here)))))
        }
        Some(user) if user.is_staff() => Ok(Ok(user)),
        Some(_) => Err(WebError::not_found(ctx.locale)),
    }
}

/// `let user = staff_or_return!(ctx);` — the staff member, or the redirect answered at once.
macro_rules! staff_or_return {
    ($ctx:expr) => {
        match $crate::web::staff::staff(&$ctx)? {
            Ok(user) => user,
            Err(response) => return Ok(response),
        }
    };
}
pub(crate) use staff_or_return;

/// The admin reading the page, or where to send the reader: not signed in → the sign-in page;
/// anyone else (agents too) → not found.
pub fn admin(ctx: &Ctx) -> Result<Result<User, HttpResponse>, WebError> {
    match staff(ctx)? {
        Ok(user) if user.role == crate::domain::Role::Admin => Ok(Ok(user)),
        Ok(_) => Err(WebError::not_found(ctx.locale)),
        Err(response) => Ok(Err(response)),
    }
}

/// `let user = admin_or_return!(ctx);` — the admin, or the redirect answered at once.
macro_rules! admin_or_return {
    ($ctx:expr) => {
        match $crate::web::staff::admin(&$ctx)? {
            Ok(user) => user,
            Err(response) => return Ok(response),
        }
    };
}
pub(crate) use admin_or_return;
