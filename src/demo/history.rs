//! The one place where the demo moves time: a ticket lived through the services in a few
//! milliseconds is laid over the days it would have taken, so the reports have a month to
//! show. Its life [created, last change] is stretched onto [opened, opened + span] (order
//! kept); the due times follow the creation unchanged (they are the SLA's, counted from it).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{messages, ticket_events, ticket_ratings, tickets};
use crate::db::{write_tx, DbConn};
use crate::error::ServiceError;

pub fn relive(conn: &mut DbConn, ticket_id: &str, opened: NaiveDateTime, span: Duration) -> Result<(), ServiceError> {
    write_tx(conn, |conn| {
        type Times = (NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>, Option<NaiveDateTime>);
        let (created, updated, responded, resolved, closed): Times = tickets::table
            .find(ticket_id)
            .select((tickets::created_at, tickets::updated_at, tickets::first_responded_at, tickets::resolved_at, tickets::closed_at))
            .first(conn)?;
        let (due_first, due): (Option<NaiveDateTime>, Option<NaiveDateTime>) =
            tickets::table.find(ticket_id).select((tickets::first_response_due_at, tickets::due_at)).first(conn)?;
        let said: Vec<(String, NaiveDateTime)> =
            messages::table.filter(messages::ticket_id.eq(ticket_id)).select((messages::id, messages::created_at)).load(conn)?;
        let happened: Vec<(String, NaiveDateTime)> = ticket_events::table
            .filter(ticket_events::ticket_id.eq(ticket_id))
            .select((ticket_events::id, ticket_events::created_at))
            .load(conn)?;
        let rated: Option<NaiveDateTime> =
            ticket_ratings::table.find(ticket_id).select(ticket_ratings::created_at).first(conn).optional()?;

        let last = said.iter().chain(&happened).map(|(_, at)| *at).chain([updated]).chain(rated).max().unwrap_or(created);
        let lived = (last - created).num_milliseconds().max(1);
        let at = |t: NaiveDateTime| opened + Duration::milliseconds(span.num_milliseconds() * (t - created).num_milliseconds() / lived);
        let moved = |t: NaiveDateTime| t + (opened - created);

        diesel::update(tickets::table.find(ticket_id))
            .set((
                tickets::created_at.eq(at(created)),
                tickets::updated_at.eq(at(updated)),
                tickets::first_responded_at.eq(responded.map(at)),
                tickets::resolved_at.eq(resolved.map(at)),
                tickets::closed_at.eq(closed.map(at)),
                tickets::first_response_due_at.eq(due_first.map(moved)),
                tickets::due_at.eq(due.map(moved)),
            ))
            .execute(conn)?;
        for (id, t) in said {
            diesel::update(messages::table.find(id)).set(messages::created_at.eq(at(t))).execute(conn)?;
        }
        for (id, t) in happened {
            diesel::update(ticket_events::table.find(id)).set(ticket_events::created_at.eq(at(t))).execute(conn)?;
        }
        if let Some(t) = rated {
            diesel::update(ticket_ratings::table.find(ticket_id)).set(ticket_ratings::created_at.eq(at(t))).execute(conn)?;
        }
        Ok(())
    })
}
