//! The staff console's JSON routes: queues and counts, search, merge, bulk, side panel. Thin: extract → console service →
//! serialise.

use actix_web::{get, post, web, HttpResponse};

use super::{ApiError, Data};
use crate::auth::Staff;
use crate::console::bulk::{self, BulkRequest, BulkResult};
use crate::tickets::listing::{ListParams, Page};
use crate::console::merge::{self, MergeRequest};
use crate::console::queues::{self, Queue, QueueCount};
use crate::console::requester::{self, RequesterPanel};
use crate::tickets::search_index::{self, SearchHit, SearchParams};
use crate::tickets::view::TicketView;

/// The queues the signed-in staff member works, with how many tickets each holds.
#[utoipa::path(tag = "console",
    responses((status = 200, body = Vec<QueueCount>), (status = 401, body = super::Problem), (status = 403, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/queues")]
pub async fn list_queues(state: Data, staff: Staff) -> Result<HttpResponse, ApiError> {
    let counts = state
        .db
        .read(move |conn| queues::counts(conn, &staff.0))
        .await?;
    Ok(HttpResponse::Ok().json(counts))
}

/// One page of a queue (`mine`, `unassigned`, `team:<slug>`, `waiting`, `at_risk`, `all`),
/// filtered and sorted (by due time unless asked), from the cursor of the previous page.
#[utoipa::path(tag = "console", params(("queue" = String, Path, example = "unassigned"), ListParams),
    responses((status = 200, body = Page<TicketView>), (status = 401, body = super::Problem), (status = 403, body = super::Problem),
        (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/queues/{queue}/tickets")]
pub async fn queue_tickets(
    state: Data,
    staff: Staff,
    path: web::Path<String>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let queue = Queue::parse(&path)?;
    let params = params.into_inner();
    let page = state
        .db
        .read(move |conn| queues::list(conn, &staff.0, queue, &params))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Full-text search over the tickets the staff member may see: number, subject, messages and
/// internal notes, the requester's e-mail and matricola. Best match first, with a snippet
/// (safe HTML, the matching words in `<mark>`).
#[utoipa::path(tag = "console", params(SearchParams),
    responses((status = 200, body = Page<SearchHit>), (status = 401, body = super::Problem), (status = 403, body = super::Problem),
        (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/search")]
pub async fn search_tickets(
    state: Data,
    staff: Staff,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let (params, ranking) = (params.into_inner(), state.settings.search);
    let page = state
        .db
        .read(move |conn| search_index::search(conn, &staff.0, &params, ranking))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Merges a duplicate into another ticket: its thread and files move to the target, it is
/// closed and points there; both get a system message and an event; the source's requester is
/// mailed when they are not the target's.
#[utoipa::path(tag = "console", params(("number" = String, Path)), request_body = MergeRequest,
    responses((status = 200, body = TicketView), (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 409, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/tickets/{number}/merge")]
pub async fn merge_ticket(
    state: Data,
    staff: Staff,
    path: web::Path<String>,
    body: web::Json<MergeRequest>,
) -> Result<HttpResponse, ApiError> {
    let number = super::number(&path)?;
    let base_url = state.settings.base_url.clone();
    let ticket = state
        .db
        .write(move |conn| merge::merge(conn, &staff.0, &number, &body, &base_url))
        .await?;
    Ok(HttpResponse::Ok().json(ticket))
}

/// One action (assign, status, priority) on up to 200 tickets, each changed as by PATCH or not
/// at all; one result per number.
#[utoipa::path(tag = "console", request_body = BulkRequest,
    responses((status = 200, body = Vec<BulkResult>), (status = 403, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/tickets/bulk")]
pub async fn bulk_change(
    state: Data,
    staff: Staff,
    body: web::Json<BulkRequest>,
) -> Result<HttpResponse, ApiError> {
    let base_url = state.settings.base_url.clone();
    let results = state
        .db
        .write(move |conn| bulk::apply(conn, &staff.0, &body, &base_url))
        .await?;
    Ok(HttpResponse::Ok().json(results))
}

/// The side panel: the requester and their other tickets.
#[utoipa::path(tag = "console", params(("number" = String, Path)),
    responses((status = 200, body = RequesterPanel), (status = 403, body = super::Problem), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/tickets/{number}/requester")]
pub async fn requester_panel(
    state: Data,
    staff: Staff,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let number = super::number(&path)?;
    let panel = state
        .db
        .read(move |conn| requester::panel(conn, &staff.0, &number))
        .await?;
    Ok(HttpResponse::Ok().json(panel))
}
