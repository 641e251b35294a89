//! The student portal: server-rendered pages over the same domain services as the JSON API.
//! Handlers are thin: `Ctx` (language, user, CSRF token) → a service → a template.

mod account;
mod erasure;
mod chart;
mod csrf;
mod error;
mod form_view;
mod guest;
mod home;
mod i18n;
mod kb;
mod kept_files;
pub(crate) mod linkify;
mod multipart;
mod new_ticket;
mod page;
mod privacy;
mod procedures;
mod profile;
mod render;
mod reports;
mod sso;
mod staff;
mod ticket;
mod tickets;

use actix_web::middleware::DefaultHeaders;
use actix_web::web;

pub use error::WebError;

/// The policy of every page: our own files only, no framing, forms only to us.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                       frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

fn headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CSP))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Cache-Control", "no-store"))
}

/// A resource with its routes and the page headers.
macro_rules! page {
    ($path:expr, $($route:expr),+ $(,)?) => {
        web::resource($path)$(.route($route))+.wrap(headers())
    };
}

/// A path no route serves: the API's problem+json under `/api/`, the portal's 404 page (in the
/// reader's language) anywhere else, so a mistyped address or `/favicon.ico` is no raw JSON.
pub async fn no_route(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, actix_web::Error> {
    if req.path().starts_with("/api/") {
        return Err(crate::api::ApiError::NoRoute.into());
    }
    Err(WebError::not_found(i18n::detect(&req)).into())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(page!("/", web::get().to(home::home)))
        .service(page!("/static/portal.css", web::get().to(home::css)))
        .service(page!("/static/kb-suggest.js", web::get().to(home::suggest_js)))
        .service(page!("/static/staff-canned.js", web::get().to(home::staff_canned_js)))
        .service(page!("/lang/{lang}", web::get().to(home::set_language)))
        .service(page!("/sign-up", web::get().to(account::sign_up_form), web::post().to(account::sign_up)))
        .service(page!("/sign-in", web::get().to(account::sign_in_form), web::post().to(account::sign_in)))
        .service(page!("/sign-in/link", web::get().to(account::link), web::post().to(account::send_link)))
        .service(page!("/sign-in/link/confirm", web::post().to(account::confirm_link)))
        .service(page!("/verify-email", web::get().to(account::verify_form), web::post().to(account::verify)))
        .service(page!("/sign-out", web::post().to(account::sign_out)))
        .service(page!("/sign-in/sso", web::get().to(sso::start)))
        .service(page!("/sign-in/sso/callback", web::get().to(sso::callback)))
        .service(page!("/account", web::get().to(profile::show)))
        .service(page!("/account/export", web::get().to(privacy::export)))
        .service(page!("/account/erasure", web::get().to(erasure::form), web::post().to(erasure::submit)))
        .service(page!("/account/sso/link", web::post().to(sso::link)))
        .service(page!("/kb", web::get().to(kb::search)))
        .service(page!("/kb/{slug}", web::get().to(kb::article)))
        .service(page!("/tickets/new", web::get().to(new_ticket::form), web::post().to(new_ticket::submit)))
        .service(page!("/tickets/new/sent", web::get().to(new_ticket::sent)))
        .service(page!("/tickets/link", web::get().to(guest::new_link_form), web::post().to(guest::send_new_link)))
        .service(page!("/tickets", web::get().to(tickets::list)))
        .service(page!("/tickets/{number}", web::get().to(ticket::show)))
        .service(page!("/tickets/{number}/confirm", web::post().to(guest::confirm)))
        .service(page!("/tickets/{number}/reply", web::post().to(ticket::reply)))
        .service(page!("/tickets/{number}/status", web::post().to(ticket::change_status)))
        .service(page!("/tickets/{number}/rating", web::post().to(ticket::rate)))
        .service(page!("/tickets/{number}/files/{id}", web::get().to(guest::download)))
        .service(page!("/tickets/{number}/booking", web::post().to(procedures::book)))
        .service(page!("/bookings/{id}/cancel", web::post().to(procedures::cancel)))
        .service(page!("/procedures", web::get().to(procedures::list)))
        .service(page!("/procedures/{id}", web::get().to(procedures::show)))
        .service(page!("/staff", web::get().to(staff::queue::show)))
        .service(page!("/staff/bulk", web::post().to(staff::queue::bulk_action)))
        .service(page!("/staff/search", web::get().to(staff::queue::search_page)))
        .service(page!("/staff/tickets/{number}", web::get().to(staff::ticket::show)))
        .service(page!("/staff/tickets/{number}/reply", web::post().to(staff::ticket::reply)))
        .service(page!("/staff/tickets/{number}/canned", web::post().to(staff::ticket::insert_canned)))
        .service(page!("/staff/tickets/{number}/update", web::post().to(staff::ticket::update)))
        .service(page!("/staff/tickets/{number}/merge", web::post().to(staff::ticket::merge_into)))
        .service(page!("/staff/tickets/{number}/erasure/approve", web::post().to(staff::erasure::approve)))
        .service(page!("/staff/tickets/{number}/erasure/refuse", web::post().to(staff::erasure::refuse)))
        .service(page!("/staff/tickets/{number}/procedures/{id}", web::post().to(staff::ticket::procedure)))
        .service(page!("/staff/tickets/{number}/procedures/{id}/link", web::post().to(staff::ticket::link)))
        .service(page!("/staff/reports", web::get().to(reports::page)))
        .service(page!("/staff/admin", web::get().to(staff::admin::index)))
        .service(page!("/staff/admin/categories", web::get().to(staff::admin::categories::list)))
        .service(page!(
            "/staff/admin/categories/{slug}",
            web::get().to(staff::admin::categories::show),
            web::post().to(staff::admin::categories::save)
        ))
        .service(page!("/staff/admin/teams", web::get().to(staff::admin::teams::page)))
        .service(page!("/staff/admin/teams/{slug}/members", web::post().to(staff::admin::teams::member)))
        .service(page!("/staff/admin/agents", web::post().to(staff::admin::teams::create_agent)))
        .service(page!("/staff/admin/canned", web::get().to(staff::admin::canned::page), web::post().to(staff::admin::canned::create)))
        .service(page!("/staff/admin/canned/{id}", web::post().to(staff::admin::canned::update)))
        .service(page!("/staff/admin/canned/{id}/delete", web::post().to(staff::admin::canned::delete)))
        .service(page!("/staff/admin/hours", web::get().to(staff::admin::hours::list)))
        .service(page!("/staff/admin/hours/{slug}", web::get().to(staff::admin::hours::team), web::post().to(staff::admin::hours::save_team)))
        .service(page!("/staff/admin/closures", web::get().to(staff::admin::hours::closures), web::post().to(staff::admin::hours::add_closure)))
        .service(page!("/staff/admin/closures/{id}/delete", web::post().to(staff::admin::hours::delete_closure)))
        .service(page!("/staff/admin/career", web::get().to(staff::admin::career::list)))
        .service(page!("/staff/admin/calendar", web::get().to(staff::admin::calendar::show)))
        .service(page!("/staff/admin/access-log", web::get().to(staff::admin::access_log::page)))
        .service(page!("/staff/admin/calendar/copy", web::post().to(staff::admin::calendar::copy)))
        .service(page!("/staff/admin/calendar/publish", web::post().to(staff::admin::calendar::publish)))
        .service(page!("/staff/admin/career/{slug}", web::get().to(staff::admin::career::show), web::post().to(staff::admin::career::save)));
}
