use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::{ApiError, Data};
use crate::accounts as svc;
use crate::auth::Admin;
use crate::domain::{Locale, Role};

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
    let input = svc::NewStaff {
        email: body.email,
        password: body.password,
        display_name: body.display_name,
        role: body.role,
        teams: body.teams,
        locale: body.locale.unwrap_or_default(),
    };
    let user = svc::create_staff(&state.db, input).await?;
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
    state.db.write(move |conn| svc::add_team_member(conn, &slug, &user_id)).await?;
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
