//! `/staff/admin/access-log?ticket=HD-…` or `?staff=<e-mail>`: the access log of one ticket or
//! one staff member, newest first, with the CSV download of the API beside it.

use actix_web::web;
use serde::Deserialize;
use serde_json::json;

use super::Page;
use crate::error::ServiceError;
use crate::privacy::access::{self, Filter};
use crate::web::page::Ctx;
use crate::web::staff::admin_or_return;
use crate::web::tickets::when;

#[derive(Deserialize)]
pub struct Query {
    ticket: Option<String>,
    staff: Option<String>,
}

pub async fn page(ctx: Ctx, query: web::Query<Query>) -> Page {
    let admin = admin_or_return!(ctx);
    let ticket = query.ticket.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
    let staff = query.staff.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let number = ticket.as_deref().and_then(|raw| crate::domain::TicketNumber::parse_any_case(raw).ok());
    let (wanted, csv) = match (&number, &staff) {
        (Some(n), _) => (true, Some(format!("/api/v1/tickets/{n}/access-log?format=csv"))),
        (None, Some(s)) => (true, Some(format!("/api/v1/admin/access-log?format=csv&staff={}", percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)))),
        (None, None) => (false, None),
    };
    let entries = if wanted {
        let (n, s) = (number.clone(), staff.clone());
        let found = ctx
            .state
            .db
            .read(move |conn| match (&n, &s) {
                (Some(n), _) => access::list(conn, &admin, Filter::Ticket(n), 1000),
                (None, Some(s)) => access::list(conn, &admin, Filter::Staff(s), 1000),
                (None, None) => Ok(Vec::new()),
            })
            .await;
        match found {
            Ok(list) => list,
            Err(ServiceError::NotFound) => Vec::new(),
            Err(other) => return Err(ctx.fail(other)),
        }
    } else {
        Vec::new()
    };
    let rows: Vec<_> = entries
        .iter()
        .map(|e| {
            json!({
                "at": when(e.at, ctx.locale),
                "staff": e.staff_name.clone().unwrap_or_else(|| ctx.t("privacy.log.removed_user")),
                "email": e.staff_email,
                "ticket": e.ticket,
                "what": ctx.t(&format!("privacy.log.what_{}", e.what.as_str())),
                "target": e.target.as_deref().and_then(|t| t.split_once(' ').map(|(_, name)| name.to_owned())),
                "ip": e.client_ip,
            })
        })
        .collect();
    let page = json!({
        "ticket": ticket.unwrap_or_default(),
        "staff": staff.unwrap_or_default(),
        "searched": wanted || query.ticket.is_some(),
        "rows": rows,
        "csv": csv,
    });
    ctx.render("pages/admin_access_log", &ctx.t("privacy.log.title"), page)
}
