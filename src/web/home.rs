//! The home page (the categories), our stylesheet and script, and the language switch.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::error::OrPage;
use super::page::{local_path, Ctx};
use super::render::{CSS, STAFF_CANNED_JS, SUGGEST_JS};
use crate::domain::Locale;

pub async fn home(ctx: Ctx) -> Result<HttpResponse, super::WebError> {
    let categories = ctx.state.db.read(crate::categories::list).await.or_page(ctx.locale)?;
    let items: Vec<_> = categories
        .iter()
        .map(|c| {
            let description = match ctx.locale {
                Locale::It => &c.row.description_it,
                Locale::En => &c.row.description_en,
            };
            json!({
                "slug": c.row.slug,
                "name": c.name(ctx.locale),
                "description": description,
                "guests": c.row.guests_allowed,
                "href": format!("/tickets/new?category={}", c.row.slug),
            })
        })
        .collect();
    ctx.render("pages/home", &ctx.t("home.title"), json!({"categories": items}))
}

pub async fn css() -> HttpResponse {
    asset("text/css; charset=utf-8", CSS)
}

pub async fn suggest_js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SUGGEST_JS)
}

pub async fn staff_canned_js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", STAFF_CANNED_JS)
}

/// One of our own files, embedded, cached for an hour.
fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok().content_type(content_type).insert_header((CACHE_CONTROL, "public, max-age=3600")).body(body)
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// `/lang/{it|en}`: remembers the choice for a year and goes back where the reader was.
pub async fn set_language(ctx: Ctx, path: web::Path<String>, query: web::Query<Next>) -> Result<HttpResponse, super::WebError> {
    let lang = match path.as_str() {
        "it" | "en" => path.into_inner(),
        _ => return Err(super::WebError::not_found(ctx.locale)),
    };
    let cookie = Cookie::build(super::i18n::LANG_COOKIE, lang)
        .path("/")
        .http_only(true)
        .secure(ctx.secure_cookies())
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(365))
        .finish();
    Ok(HttpResponse::SeeOther().cookie(cookie).insert_header((LOCATION, local_path(query.next.as_deref()))).finish())
}
