//! Bulk actions on a selection: assign, change status, change priority. Each ticket goes
//! through the same domain function as `PATCH /api/v1/tickets/{number}` (`tickets::update::
//! patch`: same transitions, events and mails) in its own transaction, at the version it has
//! now: a ticket either changes entirely or not at all, and says why not.

use serde::{Deserialize, Serialize};

use crate::accounts::User;
use crate::db::DbConn;
use crate::domain::{Priority, Status, TicketNumber};
use crate::error::ServiceError;
use crate::auth::ticket_access::visible_ticket;
use crate::tickets::update::{patch, TicketPatch};

pub const MAX_BULK: usize = 200;

/// One change for every selected ticket.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum BulkAction {
    /// An agent's user id, `"me"`, or `null` to unassign.
    #[schema(value_type = Option<String>)]
    Assign(Option<String>),
    Status(Status),
    Priority(Priority),
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// Ticket numbers, 1 to 200.
    pub numbers: Vec<String>,
    pub action: BulkAction,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    pub number: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What went wrong with one ticket, in one line.
fn reason(e: &ServiceError) -> String {
    match e {
        ServiceError::Validation(list) => list
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        ServiceError::NotFound => "no such ticket that you may see".into(),
        ServiceError::Db(_) | ServiceError::Storage(_) | ServiceError::Internal(_) => {
            "could not be changed; try again".into()
        }
        other => other.to_string(),
    }
}

fn change_one(
    conn: &mut DbConn,
    user: &User,
    raw: &str,
    action: &BulkAction,
    base_url: &str,
) -> Result<(), ServiceError> {
    let number: TicketNumber = raw.trim().parse().map_err(|_| ServiceError::NotFound)?;
    let current = visible_ticket(conn, user, &number)?;
    let mut change = TicketPatch {
        version: current.version,
        status: None,
        priority: None,
        category: None,
        team: None,
        assignee: None,
    };
    match action {
        BulkAction::Assign(Some(who)) if who == "me" => {
            change.assignee = Some(Some(user.id.clone()))
        }
        BulkAction::Assign(who) => change.assignee = Some(who.clone()),
        BulkAction::Status(status) => change.status = Some(*status),
        BulkAction::Priority(priority) => change.priority = Some(*priority),
    }
    patch(conn, user, &number, change, base_url).map(|_| ())
}

/// Applies `request.action` to each ticket; answers one result per number, in order.
#[tracing::instrument(skip_all, fields(user = %user.id, count = request.numbers.len()))]
pub fn apply(
    conn: &mut DbConn,
    user: &User,
    request: &BulkRequest,
    base_url: &str,
) -> Result<Vec<BulkResult>, ServiceError> {
    if !user.is_staff() {
        return Err(ServiceError::Forbidden("bulk actions are for staff".into()));
    }
    if request.numbers.is_empty() || request.numbers.len() > MAX_BULK {
        return Err(ServiceError::field(
            "numbers",
            format!("must hold 1 to {MAX_BULK} ticket numbers"),
        ));
    }
    Ok(request
        .numbers
        .iter()
        .map(|number| {
            let outcome = change_one(conn, user, number, &request.action, base_url);
            BulkResult {
                number: number.clone(),
                ok: outcome.is_ok(),
                error: outcome.err().map(|e| reason(&e)),
            }
        })
        .collect())
}
