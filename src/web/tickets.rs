//! My tickets: number, subject, category, status, last update; filtered by status.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{OrPage, WebError};
use super::page::{encode, redirect, Ctx};
use crate::categories;
use crate::domain::{Locale, Status};
use crate::tickets::query::{self, ListParams};

#[derive(Deserialize)]
pub struct Filter {
    status: Option<String>,
}

/// A time for people: Rome's clock, the reader's format, with the ISO value for `<time>`.
pub fn when(at: DateTime<Utc>, locale: Locale) -> Value {
    let local = at.with_timezone(&chrono_tz::Europe::Rome);
    let text = match locale {
        Locale::It => local.format("%d/%m/%Y %H:%M").to_string(),
        Locale::En => local.format("%d %b %Y, %H:%M").to_string(),
    };
    json!({"iso": at.to_rfc3339(), "text": text})
}

/// Category slug → name in the reader's language.
pub async fn category_names(ctx: &Ctx) -> Result<HashMap<String, String>, WebError> {
    let list = ctx.state.db.read(categories::list).await.or_page(ctx.locale)?;
    Ok(list.iter().map(|c| (c.row.slug.clone(), c.name(ctx.locale).to_owned())).collect())
}

/// Every category's name, the inactive ones too: what a ticket shows of its category (an
/// erasure request's is never offered on a form, a retired one no longer is).
pub async fn all_category_names(ctx: &Ctx) -> Result<HashMap<String, String>, WebError> {
    let list = ctx.state.db.read(categories::list_all).await.or_page(ctx.locale)?;
    Ok(list.iter().map(|c| (c.row.slug.clone(), c.name(ctx.locale).to_owned())).collect())
}

pub async fn list(ctx: Ctx, filter: web::Query<Filter>) -> Result<HttpResponse, WebError> {
    let Some(user) = ctx.user.clone() else {
        return Ok(redirect(&format!("/sign-in?next={}", encode("/tickets"))));
    };
    let status = filter.status.as_deref().and_then(|s| Status::parse(s).ok());
    let params = ListParams { status: status.map(|s| s.as_str().to_owned()), limit: Some(query::MAX_LIMIT), ..ListParams::default() };
    let ranking = ctx.state.settings.search;
    let page = ctx.state.db.read(move |conn| query::list(conn, &user, &params, ranking)).await.or_page(ctx.locale)?;
    let names = all_category_names(&ctx).await?;
    let rows: Vec<Value> = page
        .items
        .iter()
        .map(|t| {
            json!({
                "number": t.number, "subject": t.subject, "href": format!("/tickets/{}", t.number),
                "category": names.get(&t.category).cloned().unwrap_or_else(|| t.category.clone()),
                "status": t.status.as_str(), "status_label": ctx.t(&format!("status.{}", t.status.as_str())),
                "updated": when(t.updated_at, ctx.locale),
            })
        })
        .collect();
    let options: Vec<Value> = Status::ALL
        .iter()
        .map(|s| json!({"value": s.as_str(), "label": ctx.t(&format!("status.{}", s.as_str())), "selected": Some(*s) == status}))
        .collect();
    ctx.render("pages/tickets", &ctx.t("list.title"), json!({"rows": rows, "options": options}))
}
