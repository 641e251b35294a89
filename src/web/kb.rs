//! The knowledge base in the portal: `/kb?q=` (search) and `/kb/{slug}` (an article).
//! Reached from the new-ticket page with `from=new-ticket`, the links carry it on, and an
//! article view with it counts as a deflection.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{OrPage, WebError};
use super::page::{encode, Ctx};
use crate::error::ServiceError;
use crate::kb;

pub const FROM_NEW_TICKET: &str = "new-ticket";

#[derive(Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    from: Option<String>,
}

#[derive(Deserialize)]
pub struct From {
    from: Option<String>,
}

pub async fn search(ctx: Ctx, params: web::Query<SearchParams>) -> Result<HttpResponse, WebError> {
    let SearchParams { q, from } = params.into_inner();
    let from_new = from.as_deref() == Some(FROM_NEW_TICKET);
    let raw = q.unwrap_or_default();
    let (hits, error) = match kb::checked_query(Some(&raw)) {
        Ok(query) => {
            let reader = ctx.locale;
            let hits = ctx
                .state
                .db
                .read(move |conn| kb::search_preferring(conn, &query, None, Some(reader), 10).map_err(ServiceError::from))
                .await
                .or_page(ctx.locale)?;
            (hits, None)
        }
        Err(_) if raw.trim().is_empty() => (Vec::new(), None),
        Err(_) => (Vec::new(), Some(ctx.t("kb.too_long"))),
    };
    let suffix = if from_new { format!("?from={FROM_NEW_TICKET}") } else { String::new() };
    let results: Vec<Value> = hits
        .iter()
        .map(|h| json!({"title": h.title, "href": format!("{}{suffix}", h.url), "snippet": h.snippet}))
        .collect();
    let page = json!({
        "q": raw,
        "searched": !raw.trim().is_empty() && error.is_none(),
        "results": results,
        "error": error,
        "from": if from_new { Some(FROM_NEW_TICKET) } else { None },
    });
    ctx.render("pages/kb_search", &ctx.t("kb.title"), page)
}

pub async fn article(ctx: Ctx, path: web::Path<String>, from: web::Query<From>) -> Result<HttpResponse, WebError> {
    let slug = path.into_inner();
    let found = ctx.state.db.read(move |conn| kb::article_by_slug(conn, &slug).map_err(ServiceError::from)).await.or_page(ctx.locale)?;
    let Some(article) = found else { return Err(WebError::not_found(ctx.locale)) };
    if from.from.as_deref() == Some(FROM_NEW_TICKET) {
        let id = article.id.clone();
        ctx.state.db.write(move |conn| kb::count_deflection(conn, &id).map_err(ServiceError::from)).await.or_page(ctx.locale)?;
    }
    let lines: Vec<Value> = article
        .body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.strip_prefix("- ").or_else(|| l.strip_prefix("• ")) {
            Some(item) => json!({"text": item, "item": true}),
            // The guide's headings in capitals read as headings.
            None if kb::split::is_uppercase_heading(l) => json!({"text": l, "heading": true}),
            None => json!({"text": l, "item": false}),
        })
        .collect();
    let page = json!({
        "title": article.title,
        "section": if article.section == article.title { None } else { Some(&article.section) },
        "lang": article.locale,
        "past_year": article.past_year,
        "lines": lines,
        "back": format!("/kb?q={}", encode(&article.title)),
    });
    ctx.render("pages/kb_article", &article.title, page)
}
