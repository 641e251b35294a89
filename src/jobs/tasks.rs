//! The jobs: each call does one batch in one write transaction, with "now" given, so tests
//! run them at any instant without waiting.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::{exists, not, sql};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text, Timestamp};
use serde_json::json;

use super::JobContext;
use crate::ids::now as wall_now;
use crate::db::schema::{sla_alerts, teams, tickets};
use crate::db::{write_tx, DbConn};
use crate::domain::sla::{Target, AT_RISK_MINUTES};
use crate::domain::Status;
use crate::error::ServiceError;
use crate::mail::notification::SlaRisk;
use crate::mail::outbox::{self, Mail};
use crate::db::ticket_rows::{record_event, TicketRow};
use crate::tickets::update::apply_status;

/// Items a job handles in one transaction.
pub const BATCH: usize = 100;

/// Closes tickets resolved more than `auto_close_days` ago: system message, events and the
/// student's "closed" mail, as if staff had closed them.
pub fn auto_close(
    conn: &mut DbConn,
    ctx: &JobContext,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let days = ctx.config.auto_close_days;
    let cutoff = (now - chrono::Duration::days(days)).naive_utc();
    write_tx(conn, |conn| {
        // The status as a literal: SQLite uses the partial index only for a literal.
        let due: Vec<TicketRow> = tickets::table
            .filter(sql::<Bool>("tickets.status = 'resolved'"))
            .filter(tickets::resolved_at.le(cutoff))
            .order(tickets::resolved_at.asc())
            .limit(BATCH as i64)
            .select(TicketRow::as_select())
            .load(conn)?;
        for ticket in &due {
            let closed = diesel::update(
                tickets::table
                    .find(&ticket.id)
                    .filter(tickets::status.eq(Status::Resolved)),
            )
            .set((
                tickets::status.eq(Status::Closed),
                tickets::version.eq(tickets::version + 1),
                tickets::updated_at.eq(wall_now()),
            ))
            .execute(conn)?;
            if closed == 1 {
                let data = json!({"resolved_at": ticket.resolved_at.map(|t| t.and_utc()), "after_days": days});
                record_event(conn, &ticket.id, None, "auto_closed", data)?;
                apply_status(
                    conn,
                    ticket,
                    None,
                    Status::Resolved,
                    Status::Closed,
                    &ctx.base_url,
                    true,
                )?;
            }
        }
        Ok(due.len())
    })
}

/// Guest tickets whose e-mail was not confirmed within `guest_expiry_hours`: the secret link
/// stops working and the ticket never enters the queues (it stays `unverified`, closed).
pub fn expire_guests(
    conn: &mut DbConn,
    ctx: &JobContext,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let hours = ctx.config.guest_expiry_hours;
    let cutoff = (now - chrono::Duration::hours(hours)).naive_utc();
    write_tx(conn, |conn| {
        let stale: Vec<String> = tickets::table
            .filter(sql::<Bool>("tickets.status = 'unverified'"))
            .filter(tickets::guest_secret_hash.is_not_null())
            .filter(tickets::created_at.le(cutoff))
            .order(tickets::created_at.asc())
            .limit(BATCH as i64)
            .select(tickets::id)
            .load(conn)?;
        for id in &stale {
            let expired = diesel::update(
                tickets::table
                    .find(id)
                    .filter(tickets::status.eq(Status::Unverified)),
            )
            .set((
                tickets::guest_secret_hash.eq(None::<String>),
                tickets::closed_at.eq(Some(wall_now())),
                tickets::updated_at.eq(wall_now()),
            ))
            .execute(conn)?;
            if expired == 1 {
                record_event(conn, id, None, "expired", json!({"after_hours": hours}))?;
            }
        }
        Ok(stale.len())
    })
}

/// Running targets of a team's tickets that are at risk at `now` (due before `limit`, the
/// instant `AT_RISK_MINUTES` + 1 business minutes ahead) and not alerted yet for that due time.
fn at_risk(
    conn: &mut DbConn,
    team_id: &str,
    target: Target,
    now: NaiveDateTime,
    limit: NaiveDateTime,
) -> QueryResult<Vec<(TicketRow, Option<NaiveDateTime>)>> {
    // Read as a range of the partial index of the due time (`tickets_queue_first_response`,
    // `tickets_queue_resolution`): the status as its literal, and the team as an expression no
    // index has, so the planner cannot pick `(team_id, status, …)` instead. It did once SQLite's
    // sampled statistics called a team a thousand rows whatever its size, and read every running
    // ticket of the team: 100 → 680 ms a minute on the one writer from 0.5 to 2 M tickets.
    let base = tickets::table
        .filter(sql::<Text>("(tickets.team_id || '')").eq(team_id.to_owned()))
        .filter(sql::<Bool>(crate::console::queues::RUNNING))
        .limit(BATCH as i64);
    let alerted = sla_alerts::table
        .filter(sla_alerts::ticket_id.eq(tickets::id))
        .filter(sla_alerts::target.eq(target.as_str()));
    match target {
        Target::FirstResponse => base
            .filter(tickets::first_responded_at.is_null())
            .filter(
                tickets::first_response_due_at
                    .gt(now)
                    .and(tickets::first_response_due_at.lt(limit)),
            )
            .filter(not(exists(
                alerted.filter(
                    sla_alerts::due_at
                        .nullable()
                        .eq(tickets::first_response_due_at),
                ),
            )))
            .select((TicketRow::as_select(), tickets::first_response_due_at))
            .load(conn),
        Target::Resolution => base
            .filter(tickets::due_at.gt(now).and(tickets::due_at.lt(limit)))
            .filter(not(exists(
                alerted.filter(sla_alerts::due_at.nullable().eq(tickets::due_at)),
            )))
            .select((TicketRow::as_select(), tickets::due_at))
            .load(conn),
    }
}

/// One "SLA at risk" mail to the assignee (or the team, when nobody has the ticket) for each
/// running target that enters the last `AT_RISK_MINUTES` business minutes; never twice for
/// the same due time (a due time moved by a pause may alert again).
pub fn sla_risk(
    conn: &mut DbConn,
    ctx: &JobContext,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    write_tx(conn, |conn| {
        let team_ids: Vec<String> = teams::table.select(teams::id).load(conn)?;
        let mut seen = 0;
        for team_id in team_ids {
            let calendar = crate::sla::calendar(conn, &team_id)?;
            let limit = calendar
                .add_business_minutes(now, AT_RISK_MINUTES + 1)
                .naive_utc();
            for target in [Target::FirstResponse, Target::Resolution] {
                let found = at_risk(conn, &team_id, target, now.naive_utc(), limit)?;
                seen += found.len();
                for (ticket, due) in found {
                    let Some(due) = due else { continue };
                    alert(conn, ctx, &ticket, target, due)?;
                }
            }
        }
        Ok(seen)
    })
}

fn alert(
    conn: &mut DbConn,
    ctx: &JobContext,
    ticket: &TicketRow,
    target: Target,
    due: NaiveDateTime,
) -> Result<(), ServiceError> {
    let inserted = diesel::sql_query(
        "INSERT INTO sla_alerts (ticket_id, target, due_at, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (ticket_id, target, due_at) DO NOTHING",
    )
    .bind::<Text, _>(&ticket.id)
    .bind::<Text, _>(target.as_str())
    .bind::<Timestamp, _>(due)
    .bind::<Timestamp, _>(wall_now())
    .execute(conn)?;
    if inserted == 0 {
        return Ok(());
    }
    let local = due
        .and_utc()
        .with_timezone(&chrono_tz::Europe::Rome)
        .format("%d/%m/%Y %H:%M")
        .to_string();
    record_event(
        conn,
        &ticket.id,
        None,
        "sla_at_risk",
        json!({"target": target.as_str(), "due_at": due.and_utc()}),
    )?;
    let mail = Mail::SlaRisk(SlaRisk {
        number: ticket.number.clone(),
        subject: ticket.subject.clone(),
        link: format!("{}/tickets/{}", ctx.base_url, ticket.number),
        due: local,
        first_response: target == Target::FirstResponse,
    });
    outbox::notify_staff(conn, &ticket.id, &ticket.team_id, ticket.assignee_id.as_deref(), &mail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::domain::Locale;
    use crate::mail::templates::Templates;

    #[test]
    fn the_sla_risk_mail_renders_in_both_languages() {
        let t = Templates::load().unwrap();
        for (first_response, it, en) in [
            (true, "prima risposta", "first response"),
            (false, "risoluzione", "resolution"),
        ] {
            let data = serde_json::json!({"number": "HD-2026-000042", "subject": "Piano <di> studio", "link": "http://x/tickets/HD-2026-000042",
                                          "due": "25/11/2026 10:00", "first_response": first_response});
            let r = t.render("sla_risk", Locale::It, &data).unwrap();
            assert!(
                r.subject.starts_with("[HD-2026-000042] SLA a rischio") && r.subject.contains(it),
                "{}",
                r.subject
            );
            assert!(
                r.text.contains("25/11/2026 10:00") && r.html.contains("Piano &lt;di&gt; studio")
            );
            let r = t.render("sla_risk", Locale::En, &data).unwrap();
            assert!(
                r.subject.contains(en) && r.html.contains("lang=\"en\""),
                "{}",
                r.subject
            );
        }
    }
}
