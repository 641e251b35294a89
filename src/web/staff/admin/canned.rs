//! `/staff/admin/canned`: every canned response (global and per team) as an editable form,
//! delete, and a new one. A placeholder the desk does not know is an error on its body.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::web;
use serde_json::{json, Value};

use super::{posted, Fields, Page, Posted, Typed};
use crate::accounts::{teams_with_members, User};
use crate::canned::{self, CannedInput, CannedView};
use crate::error::ServiceError;
use crate::web::error::OrPage;
use crate::web::form_view::Kind;
use crate::web::page::{redirect, Ctx};
use crate::web::staff::admin_or_return;

const BACK: &str = "/staff/admin/canned";

pub async fn page(ctx: Ctx) -> Page {
    let admin = admin_or_return!(ctx);
    render(&ctx, admin, None).await
}

/// `refused`: the form refused (`new` or a response's id) and what was typed on it.
async fn render(ctx: &Ctx, admin: User, refused: Option<(&str, &Typed)>) -> Page {
    let locale = ctx.locale;
    let (list, teams) = ctx
        .state
        .db
        .read(move |conn| Ok::<_, ServiceError>((canned::all(conn, &admin)?, teams_with_members(conn, locale)?)))
        .await
        .or_page(ctx.locale)?;
    let team_options: Vec<(String, String)> = teams.iter().map(|t| (t.slug.clone(), t.name.clone())).collect();
    let team_name = |slug: &Option<String>| {
        slug.as_ref()
            .and_then(|s| teams.iter().find(|t| &t.slug == s))
            .map(|t| t.name.clone())
            .unwrap_or_else(|| ctx.t("admin.global"))
    };
    let mut summary = Vec::new();
    let mut form = |key: &str, stored: Option<&CannedView>| {
        let typed = refused.filter(|(f, _)| *f == key).map(|(_, t)| t);
        let f = Fields::new(ctx, typed, &format!("c-{key}-"));
        let inputs = vec![
            f.field("title", "admin.canned.title_label", Kind::Input("text"), stored.map(|s| s.title.as_str()).unwrap_or("")),
            f.select("team", "admin.canned.team", stored.and_then(|s| s.team.as_deref()).unwrap_or(""), team_options.clone()),
            f.field("body_it", "admin.canned.body_it", Kind::Textarea(5), stored.map(|s| s.body_it.as_str()).unwrap_or("")),
            f.field("body_en", "admin.canned.body_en", Kind::Textarea(5), stored.map(|s| s.body_en.as_str()).unwrap_or("")),
        ];
        summary.extend(f.summary());
        inputs
    };
    let items: Vec<Value> = list
        .iter()
        .map(|c| {
            // Collapsed but for the one whose save was refused (its errors must show).
            let open = refused.is_some_and(|(key, _)| key == c.id);
            json!({"id": c.id, "title": c.title, "team": team_name(&c.team), "preview": preview(&c.body_it),
                   "open": open, "inputs": form(&c.id, Some(c))})
        })
        .collect();
    let new = form("new", None);
    let status = refused.map(|(_, t)| t.status()).unwrap_or(StatusCode::OK);
    let new_open = items.is_empty() || refused.is_some_and(|(key, _)| key == "new");
    let item = ctx.req.query_string().split('&').find_map(|p| p.strip_prefix("item=")).unwrap_or("");
    let saved_title = list.iter().find(|c| c.id == item).map(|c| c.title.clone());
    let page = json!({"items": items, "new": new, "new_open": new_open, "error_list": summary, "saved": super::saved(ctx),
                      "saved_title": saved_title});
    ctx.render_status(status, "pages/admin_canned", &ctx.t("admin.canned.title"), page)
}

/// The text on one line, cut: what the collapsed entry shows.
fn preview(body: &str) -> String {
    let line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = line.chars().take(160).collect();
    if cut.len() < line.len() {
        cut.push('…');
    }
    cut
}

fn input(values: &HashMap<String, String>) -> CannedInput {
    CannedInput {
        team: Some(posted(values, "team").to_owned()).filter(|t| !t.is_empty()),
        title: posted(values, "title").to_owned(),
        body_it: posted(values, "body_it").to_owned(),
        body_en: posted(values, "body_en").to_owned(),
    }
}

/// After a change: back to the list, or the refused form again with its errors.
async fn answer(ctx: &Ctx, admin: User, form: &str, values: HashMap<String, String>, result: Result<CannedView, ServiceError>) -> Page {
    match result {
        // The list names the response saved (`item`) in its notice.
        Ok(saved) => Ok(redirect(&format!("{BACK}?saved=1&item={}", crate::web::page::encode(&saved.id)))),
        Err(e) => {
            let typed = Typed::refused(values, e).map_err(|e| ctx.fail(e))?;
            render(ctx, admin, Some((form, &typed))).await
        }
    }
}

/// `POST /staff/admin/canned`: a new response.
pub async fn create(ctx: Ctx, form: Posted) -> Page {
    let values = form.into_inner();
    ctx.check_csrf(posted(&values, "csrf"))?;
    let admin = admin_or_return!(ctx);
    let (writer, input) = (admin.clone(), input(&values));
    let result = ctx.state.db.write(move |conn| canned::create(conn, &writer, &input)).await;
    answer(&ctx, admin, "new", values, result).await
}

/// `POST /staff/admin/canned/{id}`: a response changed.
pub async fn update(ctx: Ctx, id: web::Path<String>, form: Posted) -> Page {
    let values = form.into_inner();
    ctx.check_csrf(posted(&values, "csrf"))?;
    let admin = admin_or_return!(ctx);
    let id = id.into_inner();
    let (writer, input, target) = (admin.clone(), input(&values), id.clone());
    let result = ctx.state.db.write(move |conn| canned::update(conn, &writer, &target, &input)).await;
    answer(&ctx, admin, &id, values, result).await
}

/// `POST /staff/admin/canned/{id}/delete`.
pub async fn delete(ctx: Ctx, id: web::Path<String>, form: Posted) -> Page {
    let values = form.into_inner();
    ctx.check_csrf(posted(&values, "csrf"))?;
    let admin = admin_or_return!(ctx);
    let id = id.into_inner();
    ctx.state.db.write(move |conn| canned::delete(conn, &admin, &id)).await.or_page(ctx.locale)?;
    Ok(redirect(&format!("{BACK}?saved=1")))
}
