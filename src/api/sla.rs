//! Admin API of the SLA calendars: a team's office hours, and closure days.

use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::Deserialize;

use super::{ApiError, Data};
use crate::auth::Admin;
use crate::sla::admin::{
    self as svc, ClosureInput, ClosureView, OfficeHoursInput, OfficeHoursView,
};
use crate::sla::forget_calendars;

#[utoipa::path(tag = "admin", params(("slug" = String, Path, description = "team slug")),
    responses((status = 200, body = OfficeHoursView), (status = 403, body = super::Problem), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/admin/teams/{slug}/office-hours")]
pub async fn get_office_hours(
    state: Data,
    _admin: Admin,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let view = state
        .db
        .read(move |conn| svc::office_hours(conn, &slug))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Replaces the team's week of office hours (local time, Europe/Rome).
#[utoipa::path(tag = "admin", params(("slug" = String, Path, description = "team slug")), request_body = OfficeHoursInput,
    responses((status = 200, body = OfficeHoursView), (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[put("/admin/teams/{slug}/office-hours")]
pub async fn put_office_hours(
    state: Data,
    _admin: Admin,
    slug: web::Path<String>,
    body: web::Json<OfficeHoursInput>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let view = state
        .db
        .write(move |conn| svc::set_office_hours(conn, &slug, &body))
        .await?;
    // Again after the commit: a reader may have remembered the old hours meanwhile.
    forget_calendars();
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ClosureQuery {
    /// Only the closures that apply to this team (its own and the global ones).
    team: Option<String>,
}

#[utoipa::path(tag = "admin", params(ClosureQuery),
    responses((status = 200, body = Vec<ClosureView>), (status = 403, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/admin/closures")]
pub async fn list_closures(
    state: Data,
    _admin: Admin,
    query: web::Query<ClosureQuery>,
) -> Result<HttpResponse, ApiError> {
    let team = query.into_inner().team;
    let list = state
        .db
        .read(move |conn| svc::list_closures(conn, team.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A closure day or range, for every team or one.
#[utoipa::path(tag = "admin", request_body = ClosureInput,
    responses((status = 201, body = ClosureView), (status = 403, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/admin/closures")]
pub async fn add_closure(
    state: Data,
    _admin: Admin,
    body: web::Json<ClosureInput>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .db
        .write(move |conn| svc::add_closure(conn, &body))
        .await?;
    forget_calendars();
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(tag = "admin", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = super::Problem), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
#[delete("/admin/closures/{id}")]
pub async fn delete_closure(
    state: Data,
    _admin: Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .db
        .write(move |conn| svc::delete_closure(conn, &id))
        .await?;
    forget_calendars();
    Ok(HttpResponse::NoContent().finish())
}
