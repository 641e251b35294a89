//! The JSON API, `/api/v1`. Handlers are thin: extract → call a service → serialise.
//! Routes are registered through utoipa-actix-web, so the OpenAPI document lists exactly
//! the routes that are served.

mod accounts;
mod admin;
pub mod body;
mod booking;
mod career;
mod categories;
mod console;
mod cross_site;
mod erasure;
mod extract;
mod health;
mod idempotency;
mod inbound;
mod kb;
mod problem;
pub mod privacy;
mod reports;
mod tickets;
mod sla;
mod canned;

use actix_web::web;
use utoipa::OpenApi;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub use health::{public_routes as public_ops_routes, routes as ops_routes};
pub use cross_site::refuse_cross_site_writes;
pub use problem::{ApiError, Problem};

use crate::domain::TicketNumber;
use crate::error::ServiceError;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "helpdesk API", version = "1", description = "The student help desk: accounts, categories, tickets."),
    components(schemas(Problem)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The generated document, served as is.
pub struct OpenApiJson(pub utoipa::openapi::OpenApi);

async fn openapi_json(doc: web::Data<OpenApiJson>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(&doc.0)
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/api/v1")
            .route("/openapi.json", web::get().to(openapi_json))
            .service(accounts::register)
            .service(accounts::login)
            .service(accounts::logout)
            .service(accounts::sign_in_link)
            .service(accounts::redeem_sign_in_link)
            .service(accounts::verify_email)
            .service(accounts::resend_verification)
            .service(accounts::me)
            .service(admin::create_agent)
            .service(admin::add_team_member)
            .service(admin::list_outbox)
            .service(admin::requeue_outbox)
            .service(inbound::inbound_mail)
            .service(inbound::list_quarantine)
            .service(categories::list)
            .service(categories::get_notice)
            .service(categories::put_notice)
            .service(career::quote_career_action)
            .service(career::list_types)
            .service(career::admin_list_types)
            .service(career::admin_put_type)
            .service(career::admin_calendars)
            .service(career::admin_copy_calendar)
            .service(career::admin_put_calendar)
            .service(career::admin_publish_calendar)
            .service(career::create)
            .service(career::list_mine)
            .service(career::get_one)
            .service(career::change_status)
            .service(career::link_ticket)
            .service(career::integration_report)
            .service(booking::create_session)
            .service(booking::list_sessions)
            .service(booking::book)
            .service(booking::cancel)
            .service(kb::search)
            .service(reports::volume)
            .service(reports::backlog)
            .service(reports::response_times)
            .service(reports::sla)
            .service(reports::satisfaction)
            .service(tickets::create_ticket)
            .service(tickets::list_tickets)
            .service(tickets::get_ticket)
            .service(tickets::update_ticket)
            .service(tickets::add_message)
            .service(tickets::add_attachments)
            .service(tickets::events)
            .service(tickets::verify_guest)
            .service(tickets::guest_link)
            .service(tickets::download)
            .service(privacy::ticket_access_log)
            .service(privacy::staff_access_log)
            .service(privacy::delete_identity_documents)
            .service(privacy::keep_message)
            .service(privacy::get_retention)
            .service(privacy::put_retention)
            .service(privacy::export)
            .service(erasure::request)
            .service(erasure::approve)
            .service(erasure::refuse)
            .service(console::list_queues)
            .service(console::queue_tickets)
            .service(console::search_tickets)
            .service(console::merge_ticket)
            .service(console::bulk_change)
            .service(console::requester_panel)
            .service(sla::get_office_hours)
            .service(sla::put_office_hours)
            .service(sla::list_closures)
            .service(sla::add_closure)
            .service(sla::delete_closure)
            .service(canned::list)
            .service(canned::create)
            .service(canned::update)
            .service(canned::remove)
            .service(canned::render),
    );
}

/// A ticket number from the path; a malformed one is simply not found.
fn number(raw: &str) -> Result<TicketNumber, ApiError> {
    TicketNumber::parse_any_case(raw).map_err(|_| ServiceError::NotFound.into())
}

type Data = web::Data<AppState>;

/// An integration's `X-Api-Key`: 404 when no key is configured (the route is off), 401 when the
/// key is wrong. Compared in constant time (hashing first, so the length does not leak either).
fn require_api_key(req: &actix_web::HttpRequest, expected: Option<&str>) -> Result<(), ApiError> {
    use sha2::{Digest, Sha256};
    let Some(expected) = expected else {
        return Err(ServiceError::NotFound.into());
    };
    let given = req.headers().get("x-api-key").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (a, b) = (Sha256::digest(given.as_bytes()), Sha256::digest(expected.as_bytes()));
    if a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0 {
        Ok(())
    } else {
        Err(ServiceError::Unauthenticated.into())
    }
}
