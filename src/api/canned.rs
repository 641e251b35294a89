//! Canned responses: staff CRUD, and a response rendered for a ticket.

use actix_web::{delete, get, post, put, web, HttpResponse};

use super::{number, ApiError, Data};
use crate::auth::Staff;
use crate::canned::{self as svc, CannedInput, CannedParams, CannedView, RenderedView};
use crate::tickets::query::Page;

#[utoipa::path(tag = "canned-responses", operation_id = "list_canned_responses", params(CannedParams),
    responses((status = 200, body = Page<CannedView>), (status = 403, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/canned-responses")]
pub async fn list(
    state: Data,
    staff: Staff,
    params: web::Query<CannedParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let page = state
        .db
        .read(move |conn| svc::list(conn, &staff.0, &params))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A new response; agents only for their own teams, global ones are for supervisors and admins.
#[utoipa::path(tag = "canned-responses", operation_id = "create_canned_response", request_body = CannedInput,
    responses((status = 201, body = CannedView), (status = 403, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/canned-responses")]
pub async fn create(
    state: Data,
    staff: Staff,
    body: web::Json<CannedInput>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .db
        .write(move |conn| svc::create(conn, &staff.0, &body))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(tag = "canned-responses", params(("id" = String, Path)), request_body = CannedInput,
    responses((status = 200, body = CannedView), (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[put("/canned-responses/{id}")]
pub async fn update(
    state: Data,
    staff: Staff,
    id: web::Path<String>,
    body: web::Json<CannedInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = state
        .db
        .write(move |conn| svc::update(conn, &staff.0, &id, &body))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(tag = "canned-responses", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = super::Problem), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
#[delete("/canned-responses/{id}")]
pub async fn remove(
    state: Data,
    staff: Staff,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .db
        .write(move |conn| svc::delete(conn, &staff.0, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The response in the ticket's language with its placeholders filled, ready to send.
#[utoipa::path(tag = "canned-responses", params(("number" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = RenderedView), (status = 403, body = super::Problem), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/tickets/{number}/canned-responses/{id}/render")]
pub async fn render(
    state: Data,
    staff: Staff,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (raw, id) = path.into_inner();
    let number = number(&raw)?;
    let base_url = state.settings.base_url.clone();
    let view = state
        .db
        .read(move |conn| svc::render_for_ticket(conn, &staff.0, &number, &id, &base_url))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
