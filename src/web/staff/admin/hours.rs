//! `/staff/admin/hours`: each team's week of office hours (a grid of stretches), and
//! `/staff/admin/closures`: closed days, global or a team's, once or every year.

use std::collections::HashMap;

use actix_web::web;
use serde_json::{json, Value};

use super::{checked, flag, on_rows, posted, row_count, Fields, Page, Posted, Typed};
use crate::accounts::teams_with_members;
use crate::error::{FieldError, ServiceError};
use crate::sla::admin::{self as sla, ClosureInput, Day, OfficeHoursInput, Stretch};
use crate::web::error::{OrPage, WebError};
use crate::web::form_view::Kind;
use crate::web::page::{redirect, Ctx};
use crate::web::staff::admin_or_return;

/// Empty rows offered under a week's stretches.
const BLANK_ROWS: usize = 3;
const MAX_ROWS: usize = 40;

async fn teams(ctx: &Ctx) -> Result<Vec<crate::accounts::Team>, WebError> {
    let locale = ctx.locale;
    ctx.state.db.read(move |conn| teams_with_members(conn, locale)).await.or_page(ctx.locale)
}

/// `GET /staff/admin/hours`: every team, with its own hours or the default.
pub async fn list(ctx: Ctx) -> Page {
    let _admin = admin_or_return!(ctx);
    let teams = teams(&ctx).await?;
    let mut rows = Vec::new();
    for team in teams {
        let slug = team.slug.clone();
        let hours = ctx.state.db.read(move |conn| sla::office_hours(conn, &slug)).await.or_page(ctx.locale)?;
        let stretches: Vec<String> = hours
            .hours
            .iter()
            .map(|s| format!("{} {}-{}", ctx.t(&format!("admin.hours.days.{}", s.day.as_str())), s.opens, s.closes))
            .collect();
        rows.push(json!({"slug": team.slug, "name": team.name, "default": hours.default, "stretches": stretches}));
    }
    ctx.render("pages/admin_hours", &ctx.t("admin.hours.title"), json!({"teams": rows, "saved": super::saved(&ctx)}))
}

pub async fn team(ctx: Ctx, slug: web::Path<String>) -> Page {
    let _admin = admin_or_return!(ctx);
    render_team(&ctx, slug.into_inner(), &Typed::default()).await
}

async fn render_team(ctx: &Ctx, slug: String, typed: &Typed) -> Page {
    let team = teams(ctx).await?.into_iter().find(|t| t.slug == slug).ok_or_else(|| WebError::not_found(ctx.locale))?;
    let hours = ctx.state.db.read(move |conn| sla::office_hours(conn, &slug)).await.or_page(ctx.locale)?;
    let f = Fields::new(ctx, Some(typed), "h-");
    let count = row_count(typed, hours.hours.len(), BLANK_ROWS, MAX_ROWS);
    let days: Vec<(String, String)> =
        Day::ALL.iter().map(|d| (d.as_str().to_owned(), ctx.t(&format!("admin.hours.days.{}", d.as_str())))).collect();
    let rows: Vec<Value> = (0..count)
        .map(|i| {
            let stored = hours.hours.get(i);
            let label = |key: &str| format!("{} {}: {}", ctx.t("admin.hours.stretch"), i + 1, ctx.t(&format!("admin.hours.{key}")));
            let at = |name: &str| format!("hours[{i}].{name}");
            json!({"number": i + 1, "inputs": [
                f.field_with(&at("day"), &label("day"), Kind::Select, stored.map(|s| s.day.as_str()).unwrap_or(""), days.clone()),
                f.field_with(&at("opens"), &label("opens"), Kind::Input("text"), stored.map(|s| s.opens.as_str()).unwrap_or(""), Vec::new()),
                f.field_with(&at("closes"), &label("closes"), Kind::Input("text"), stored.map(|s| s.closes.as_str()).unwrap_or(""), Vec::new()),
            ]})
        })
        .collect();
    let page = json!({"slug": team.slug, "name": team.name, "default": hours.default, "rows": rows, "row_count": count,
                      "error_list": f.summary(), "saved": super::saved(ctx)});
    ctx.render_status(typed.status(), "pages/admin_hours_team", &format!("{} · {}", team.name, ctx.t("admin.hours.title")), page)
}

/// The non-empty rows as stretches, and which row each came from.
fn stretches(values: &HashMap<String, String>) -> (Vec<Stretch>, Vec<usize>, Vec<FieldError>) {
    let count = posted(values, "rows").parse::<usize>().unwrap_or(0).min(MAX_ROWS);
    let (mut list, mut rows, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..count {
        let at = |name: &str| format!("hours[{i}].{name}");
        let (day, opens, closes) =
            (posted(values, &at("day")), posted(values, &at("opens")).trim(), posted(values, &at("closes")).trim());
        if day.is_empty() && opens.is_empty() && closes.is_empty() {
            continue;
        }
        match Day::ALL.iter().find(|d| d.as_str() == day) {
            Some(day) => {
                list.push(Stretch { day: *day, opens: opens.to_owned(), closes: closes.to_owned() });
                rows.push(i);
            }
            None => errors.push(FieldError::text(at("day"), "choose a day")),
        }
    }
    (list, rows, errors)
}

/// `POST /staff/admin/hours/{slug}`: the team's whole week.
pub async fn save_team(ctx: Ctx, slug: web::Path<String>, form: Posted) -> Page {
    let values = form.into_inner();
    ctx.check_csrf(posted(&values, "csrf"))?;
    let _admin = admin_or_return!(ctx);
    let slug = slug.into_inner();
    let (hours, rows, mut errors) = stretches(&values);
    let input = OfficeHoursInput { hours };
    if !errors.is_empty() {
        // Nothing is saved while a row does not even parse; the other rows are checked too.
        if let Err(ServiceError::Validation(list)) = sla::check_week(&input) {
            errors.extend(on_rows(list, "hours", &rows));
        }
        return render_team(&ctx, slug, &Typed { values, errors }).await;
    }
    let s = slug.clone();
    match ctx.state.db.write(move |conn| sla::set_office_hours(conn, &s, &input)).await {
        Ok(_) => Ok(redirect(&format!("/staff/admin/hours/{slug}?saved=1"))),
        Err(ServiceError::Validation(list)) => {
            render_team(&ctx, slug, &Typed { values, errors: on_rows(list, "hours", &rows) }).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

pub async fn closures(ctx: Ctx) -> Page {
    let _admin = admin_or_return!(ctx);
    render_closures(&ctx, &Typed::default()).await
}

async fn render_closures(ctx: &Ctx, typed: &Typed) -> Page {
    let teams = teams(ctx).await?;
    let list = ctx.state.db.read(|conn| sla::list_closures(conn, None)).await.or_page(ctx.locale)?;
    let team_name = |slug: &Option<String>| {
        slug.as_ref()
            .and_then(|s| teams.iter().find(|t| &t.slug == s))
            .map(|t| t.name.clone())
            .unwrap_or_else(|| ctx.t("admin.global"))
    };
    let rows: Vec<Value> = list
        .iter()
        .map(|c| {
            json!({"id": c.id, "name": c.name, "team": team_name(&c.team), "starts_on": c.starts_on, "ends_on": c.ends_on,
                   "same_day": c.starts_on == c.ends_on, "yearly": c.yearly})
        })
        .collect();
    let f = Fields::new(ctx, Some(typed), "cl-");
    let inputs = vec![
        f.field("name", "admin.closures.name", Kind::Input("text"), ""),
        f.select("team", "admin.closures.team", "", teams.iter().map(|t| (t.slug.clone(), t.name.clone())).collect()),
        f.field("starts_on", "admin.closures.starts_on", Kind::Input("text"), ""),
        f.field("ends_on", "admin.closures.ends_on", Kind::Input("text"), ""),
        f.field("yearly", "admin.closures.yearly", Kind::Checkbox, flag(false)),
    ];
    let page = json!({"closures": rows, "inputs": inputs, "error_list": f.summary(), "saved": super::saved(ctx)});
    ctx.render_status(typed.status(), "pages/admin_closures", &ctx.t("admin.closures.title"), page)
}

/// `POST /staff/admin/closures`: a new closure.
pub async fn add_closure(ctx: Ctx, form: Posted) -> Page {
    let values = form.into_inner();
    ctx.check_csrf(posted(&values, "csrf"))?;
    let _admin = admin_or_return!(ctx);
    let optional = |name: &str| Some(posted(&values, name).trim().to_owned()).filter(|v| !v.is_empty());
    let input = ClosureInput {
        team: optional("team"),
        name: posted(&values, "name").to_owned(),
        starts_on: posted(&values, "starts_on").trim().to_owned(),
        ends_on: optional("ends_on"),
        yearly: checked(&values, "yearly"),
    };
    match ctx.state.db.write(move |conn| sla::add_closure(conn, &input)).await {
        Ok(_) => Ok(redirect("/staff/admin/closures?saved=1")),
        Err(e) => {
            let typed = Typed::refused(values, e).map_err(|e| ctx.fail(e))?;
            render_closures(&ctx, &typed).await
        }
    }
}

/// `POST /staff/admin/closures/{id}/delete`.
pub async fn delete_closure(ctx: Ctx, id: web::Path<String>, form: Posted) -> Page {
    ctx.check_csrf(posted(&form, "csrf"))?;
    let _admin = admin_or_return!(ctx);
    let id = id.into_inner();
    ctx.state.db.write(move |conn| sla::delete_closure(conn, &id)).await.or_page(ctx.locale)?;
    Ok(redirect("/staff/admin/closures?saved=1"))
}
