//! The staff console's JSON routes: queues and their counts. Thin: extract → console service →
//! serialise.

use actix_web::{get, web, HttpResponse};

use super::{ApiError, Data};
use crate::auth::Staff;
use crate::console::listing::{ListParams, Page};
use crate::console::queues::{self, Queue, QueueCount};
use crate::console::search::{self, SearchHit, SearchParams};
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
    let params = params.into_inner();
    let page = state
        .db
        .read(move |conn| search::search(conn, &staff.0, &params))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
