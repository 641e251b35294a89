use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::{ApiError, Data};
use crate::accounts::{self as svc, NewAccount};
use crate::auth::Admin;
use crate::db::schema::{team_members, teams, users};
use crate::db::write_tx;
use crate::domain::{Locale, Role};
use crate::error::{FieldErrors, ServiceError};
use diesel::prelude::*;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    email: String,
    password: String,
    display_name: String,
    role: Role,
    #[serde(default)]
    teams: Vec<String>,
    #[serde(default)]
    locale: Option<Locale>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    user_id: String,
}

#[utoipa::path(tag = "admin", request_body = NewAgent,
    responses((status = 201, body = super::accounts::UserResponse), (status = 403, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/admin/agents")]
pub async fn create_agent(state: Data, _admin: Admin, body: web::Json<NewAgent>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (email, display_name) = svc::parse_account(&body.email, &body.password, &body.display_name)?;
    if body.role == Role::Student {
        let mut errors = FieldErrors::default();
        errors.add("role", "staff accounts are agent, supervisor or admin");
        errors.into_result()?;
    }
    let slugs = body.teams.clone();
    let team_ids = state.db.read(move |conn| svc::team_ids_for(conn, &slugs)).await?;
    let password_hash = svc::hash_off_thread(body.password).await?;
    let account = NewAccount {
        email,
        password_hash,
        display_name,
        role: body.role,
        locale: body.locale.unwrap_or_default(),
        team_ids,
    };
    let user = state.db.write(move |conn| svc::create_account(conn, account)).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "user": user })))
}

/// Puts a staff account in a team (idempotent).
#[utoipa::path(tag = "admin", request_body = NewMember, params(("slug" = String, Path)),
    responses((status = 204), (status = 404, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/admin/teams/{slug}/members")]
pub async fn add_team_member(state: Data, _admin: Admin, slug: web::Path<String>, body: web::Json<NewMember>) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let user_id = body.into_inner().user_id;
    state
        .db
        .write(move |conn| {
            write_tx(conn, |conn| -> Result<(), ServiceError> {
                let team_id: String = teams::table.filter(teams::slug.eq(&slug)).select(teams::id).first(conn)?;
                let role: Option<String> = users::table.find(&user_id).select(users::role).first(conn).optional()?;
                match role.map(|r| Role::parse(&r)) {
                    Some(Ok(role)) if role.is_staff() => {}
                    Some(_) => return Err(ServiceError::field("user_id", "only staff accounts join teams")),
                    None => return Err(ServiceError::field("user_id", "no such user")),
                }
                let already: i64 = team_members::table
                    .filter(team_members::team_id.eq(&team_id))
                    .filter(team_members::user_id.eq(&user_id))
                    .count()
                    .get_result(conn)?;
                if already == 0 {
                    diesel::insert_into(team_members::table)
                        .values((team_members::team_id.eq(&team_id), team_members::user_id.eq(&user_id)))
                        .execute(conn)?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct OutboxQuery {
    /// `pending`, `sent` or `dead` (default).
    status: Option<String>,
    limit: Option<i64>,
}

/// Notifications by status; dead letters by default.
#[utoipa::path(tag = "admin", params(OutboxQuery),
    responses((status = 200, body = Vec<crate::mail::admin::OutboxView>), (status = 403, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/admin/outbox")]
pub async fn list_outbox(state: Data, _admin: Admin, query: web::Query<OutboxQuery>) -> Result<HttpResponse, ApiError> {
    let status = query.status.clone().unwrap_or_else(|| "dead".into());
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let rows = state.db.read(move |conn| crate::mail::admin::list(conn, &status, limit)).await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Puts a dead letter back in the queue.
#[utoipa::path(tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = crate::mail::admin::OutboxView), (status = 404, body = super::Problem), (status = 409, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/admin/outbox/{id}/requeue")]
pub async fn requeue_outbox(state: Data, _admin: Admin, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = state.db.write(move |conn| crate::mail::admin::requeue(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(row))
}
