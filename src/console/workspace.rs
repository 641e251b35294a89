//! Everything the staff ticket page shows, read in one go: the ticket with its thread, the
//! history, the teams and their members (to assign), the canned responses of its team, the
//! requester's panel and their procedures.

use crate::accounts::{teams_with_members, Team, User};
use crate::canned::{self, CannedParams, CannedView};
use crate::career::instances::{self, CareerActionView};
use crate::db::DbConn;
use crate::domain::{Locale, TicketNumber};
use crate::error::ServiceError;
use crate::tickets::query;
use crate::tickets::view::{EventView, TicketView};

use super::requester::{self, RequesterPanel};

pub struct Workspace {
    pub ticket: TicketView,
    pub events: Vec<EventView>,
    pub teams: Vec<Team>,
    pub canned: Vec<CannedView>,
    pub panel: RequesterPanel,
    pub procedures: Vec<CareerActionView>,
}

/// The page's data for `staff`, names in `locale`.
pub fn load(conn: &mut DbConn, staff: &User, number: &TicketNumber, locale: Locale) -> Result<Workspace, ServiceError> {
    let ticket = query::get(conn, staff, number)?;
    let events = query::events(conn, staff, number, locale)?;
    let teams = teams_with_members(conn, locale)?;
    let canned = canned::list(conn, staff, &CannedParams { team: Some(ticket.team.clone()), limit: Some(200), ..CannedParams::default() })?.items;
    let panel = requester::panel(conn, staff, number)?;
    let requester = ticket.requester.as_ref().map(|r| r.id.clone()).unwrap_or_default();
    let procedures = instances::for_student(conn, &requester)?
        .iter()
        .map(|row| instances::view(conn, staff, row))
        .collect::<Result<Vec<_>, ServiceError>>()?;
    Ok(Workspace { ticket, events, teams, canned, panel, procedures })
}
