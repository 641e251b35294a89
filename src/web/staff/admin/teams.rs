//! `/staff/admin/teams`: every team with its members (add, remove) and the form for a new
//! staff account.

use std::collections::HashMap;

use actix_web::web;
use serde_json::{json, Value};

use super::{checked, posted, Fields, Page, Posted, Typed};
use crate::accounts::{self, NewStaff};
use crate::domain::Role;
use crate::error::{FieldError, ServiceError};
use crate::web::error::OrPage;
use crate::web::form_view::Kind;
use crate::web::page::{redirect, Ctx};
use crate::web::staff::admin_or_return;

const ROLES: [Role; 3] = [Role::Agent, Role::Supervisor, Role::Admin];
const BACK: &str = "/staff/admin/teams";

pub async fn page(ctx: Ctx) -> Page {
    let _admin = admin_or_return!(ctx);
    render(&ctx, None).await
}

/// `refused`: the form that was refused (`agent` or a team's slug) and what was typed on it.
async fn render(ctx: &Ctx, refused: Option<(&str, &Typed)>) -> Page {
    let locale = ctx.locale;
    let (teams, staff) = ctx
        .state
        .db
        .read(move |conn| Ok::<_, ServiceError>((accounts::teams_with_members(conn, locale)?, accounts::staff_accounts(conn)?)))
        .await
        .or_page(ctx.locale)?;
    let typed_for = |form: &str| refused.filter(|(f, _)| *f == form).map(|(_, t)| t);
    let mut summary = Vec::new();
    let team_rows: Vec<Value> = teams
        .iter()
        .map(|team| {
            let f = Fields::new(ctx, typed_for(&team.slug), &format!("t-{}-", team.slug));
            let candidates = staff
                .iter()
                .filter(|s| !team.members.iter().any(|m| m.id == s.id))
                .map(|s| (s.id.clone(), format!("{} <{}>", s.name, s.email)))
                .collect();
            let add = f.select("user_id", "admin.teams.member", "", candidates);
            summary.extend(f.summary());
            json!({"slug": team.slug, "name": team.name, "members": team.members, "add": add})
        })
        .collect();
    let f = Fields::new(ctx, typed_for("agent"), "a-");
    let roles = ROLES.iter().map(|r| (r.as_str().to_owned(), ctx.t(&format!("admin.teams.roles.{}", r.as_str())))).collect();
    let mut agent = vec![
        f.field("email", "admin.teams.email", Kind::Input("email"), ""),
        f.field("display_name", "admin.teams.name", Kind::Input("text"), ""),
        f.field("password", "admin.teams.password", Kind::Input("password"), ""),
        f.select("role", "admin.teams.role", "agent", roles),
    ];
    agent.extend(teams.iter().map(|t| f.field_with(&format!("team.{}", t.slug), &t.name, Kind::Checkbox, "", Vec::new())));
    summary.extend(f.summary());
    let status = refused.map(|(_, t)| t.status()).unwrap_or(actix_web::http::StatusCode::OK);
    let page = json!({"teams": team_rows, "agent": agent, "error_list": summary, "saved": super::saved(ctx)});
    ctx.render_status(status, "pages/admin_teams", &ctx.t("admin.teams.title"), page)
}

/// `POST /staff/admin/agents`: a new staff account.
pub async fn create_agent(ctx: Ctx, form: Posted) -> Page {
    let mut values = form.into_inner();
    ctx.check_csrf(posted(&values, "csrf"))?;
    let _admin = admin_or_return!(ctx);
    let teams: Vec<String> = values
        .iter()
        .filter(|(k, v)| k.starts_with("team.") && matches!(v.as_str(), "on" | "true"))
        .map(|(k, _)| k[5..].to_owned())
        .collect();
    let input = NewStaff {
        email: posted(&values, "email").to_owned(),
        password: posted(&values, "password").to_owned(),
        display_name: posted(&values, "display_name").to_owned(),
        role: Role::parse(posted(&values, "role")).unwrap_or(Role::Student),
        teams,
        locale: ctx.locale,
    };
    // A typed password is never shown again.
    values.remove("password");
    match accounts::create_staff(&ctx.state.db, input).await {
        Ok(_) => Ok(redirect(&format!("{BACK}?saved=1"))),
        Err(ServiceError::Conflict(message)) => {
            let typed = Typed { values, errors: vec![FieldError::text("email", message)] };
            render(&ctx, Some(("agent", &typed))).await
        }
        Err(e) => {
            let typed = Typed::refused(values, e).map_err(|e| ctx.fail(e))?;
            render(&ctx, Some(("agent", &typed))).await
        }
    }
}

/// `POST /staff/admin/teams/{slug}/members`: `user_id` joins the team; `remove` set: leaves it.
pub async fn member(ctx: Ctx, slug: web::Path<String>, form: Posted) -> Page {
    let values: HashMap<String, String> = form.into_inner();
    ctx.check_csrf(posted(&values, "csrf"))?;
    let _admin = admin_or_return!(ctx);
    let slug = slug.into_inner();
    let (s, user_id, remove) = (slug.clone(), posted(&values, "user_id").to_owned(), checked(&values, "remove"));
    let result = ctx
        .state
        .db
        .write(move |conn| {
            if remove {
                accounts::remove_team_member(conn, &s, &user_id)
            } else {
                accounts::add_team_member(conn, &s, &user_id)
            }
        })
        .await;
    match result {
        Ok(()) => Ok(redirect(&format!("{BACK}?saved=1#team-{slug}"))),
        Err(e) => {
            let typed = Typed::refused(values, e).map_err(|e| ctx.fail(e))?;
            render(&ctx, Some((&slug, &typed))).await
        }
    }
}
