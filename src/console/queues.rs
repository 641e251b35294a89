//! The staff queues: which tickets each holds, their counts, and their pages.
//!
//! | queue | tickets |
//! |---|---|
//! | `mine` | assigned to me, not closed |
//! | `unassigned` | nobody assigned, in my teams (supervisors and admins in no team: all teams), `new`/`open`/`waiting_student` |
//! | `team:<slug>` | that team's `new`/`open`/`waiting_student` tickets (agents: only their teams) |
//! | `waiting` | `waiting_student`, among the tickets I may see |
//! | `at_risk` | `new`/`open`, first response (not yet given) or resolution due within 2 business hours or already past |
//! | `all` | every ticket but unverified guest ones (supervisors and admins) |
//! | `deadline_soon` | being worked, linked to a procedure whose window closes within 7 days |
//!
//! The fixed predicates are written as SQL literals, the same text as the partial indexes of
//! migration `2026-11-23-000008_ticket_search`, so both databases use those indexes for the
//! counts and for the pages sorted by due time.

use chrono::Utc;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use serde::Serialize;

use crate::tickets::listing::{page, visible_to, ListParams, ListRequest, Page, Sort, TicketQuery};
use crate::accounts::User;
use crate::db::schema::{teams, tickets};
use crate::db::DbConn;
use crate::domain::sla::BusinessCalendar;
use crate::domain::{Role, Status};
use crate::error::ServiceError;
use crate::tickets::view::TicketView;


/// The statuses of work still to do (`resolved` waits for the student, `closed` is done).
pub const ACTIVE: &str = "tickets.status IN ('new', 'open', 'waiting_student')";
/// Everything an assignee still holds (not closed).
const HELD: &str = "tickets.status IN ('new', 'open', 'waiting_student', 'resolved')";
/// Tickets whose SLA clock runs (it is paused while waiting for the student). A literal, to the
/// letter the partial indexes' predicate (a bound status cannot match it on SQLite).
pub const RUNNING: &str = "tickets.status IN ('new', 'open')";
/// How close to a due time a ticket is "at risk", in business minutes.
pub const AT_RISK_MINUTES: i64 = 120;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queue {
    Mine,
    Unassigned,
    Team(String),
    Waiting,
    AtRisk,
    DeadlineSoon,
    All,
}

impl Queue {
    pub fn parse(raw: &str) -> Result<Queue, ServiceError> {
        Ok(match raw.trim() {
            "mine" => Queue::Mine,
            "unassigned" => Queue::Unassigned,
            "waiting" => Queue::Waiting,
            "at_risk" => Queue::AtRisk,
            "deadline_soon" => Queue::DeadlineSoon,
            "all" => Queue::All,
            other => match other.strip_prefix("team:") {
                Some(slug) if !slug.is_empty() => Queue::Team(slug.to_owned()),
                _ => {
                    return Err(ServiceError::field(
                        "queue",
                        format!("unknown queue '{other}': use mine, unassigned, team:<slug>, waiting, at_risk or all"),
                    ))
                }
            },
        })
    }

    pub fn key(&self) -> String {
        match self {
            Queue::Mine => "mine".into(),
            Queue::Unassigned => "unassigned".into(),
            Queue::Team(slug) => format!("team:{slug}"),
            Queue::Waiting => "waiting".into(),
            Queue::AtRisk => "at_risk".into(),
            Queue::DeadlineSoon => "deadline_soon".into(),
            Queue::All => "all".into(),
        }
    }

    /// Names in Italian and English (a team queue is named after its team).
    fn names(&self) -> (&'static str, &'static str) {
        match self {
            Queue::Mine => ("Assegnati a me", "Assigned to me"),
            Queue::Unassigned => ("Non assegnati", "Unassigned"),
            Queue::Team(_) => ("", ""),
            Queue::Waiting => ("In attesa dello studente", "Waiting for the student"),
            Queue::AtRisk => ("SLA a rischio", "SLA at risk"),
            Queue::DeadlineSoon => ("Scadenza vicina", "Deadline soon"),
            Queue::All => ("Tutti", "All"),
        }
    }

    /// The order a queue is worked in when none is asked for.
    pub fn default_sort(&self) -> Sort {
        match self {
            Queue::All => Sort::NEWEST,
            _ => Sort::DUE,
        }
    }
}

/// One queue in the console's list, with how many tickets it holds.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueCount {
    /// The queue's key, as the queue routes take it (`mine`, `team:segreteria`…).
    pub queue: String,
    pub name_it: String,
    pub name_en: String,
    /// How many tickets the queue holds, counted up to `COUNT_CAP`.
    pub count: i64,
    /// True when it holds more than `count` (the count stopped at `COUNT_CAP`).
    pub capped: bool,
}

/// Counts stop here: past it, "10,000+" serves staff as well as the exact number, and the
/// queue of every ticket would otherwise cost a read of the whole table on each page view.
pub const COUNT_CAP: i64 = 10_000;

struct TeamRef {
    id: String,
    slug: String,
    name_it: String,
    name_en: String,
}

fn all_teams(conn: &mut DbConn) -> Result<Vec<TeamRef>, ServiceError> {
    let rows: Vec<(String, String, String, String)> = teams::table
        .order(teams::slug.asc())
        .select((teams::id, teams::slug, teams::name_it, teams::name_en))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, name_it, name_en)| TeamRef {
            id,
            slug,
            name_it,
            name_en,
        })
        .collect())
}

/// The teams whose queues a user works: an agent's own; a supervisor's or admin's own, or all
/// teams when they belong to none.
fn working_teams(user: &User, all: Vec<TeamRef>) -> Vec<TeamRef> {
    let mine: Vec<TeamRef> = all
        .iter()
        .filter(|t| user.team_ids.contains(&t.id))
        .map(clone_team)
        .collect();
    if mine.is_empty() && user.role != Role::Agent {
        all
    } else {
        mine
    }
}

fn clone_team(t: &TeamRef) -> TeamRef {
    TeamRef {
        id: t.id.clone(),
        slug: t.slug.clone(),
        name_it: t.name_it.clone(),
        name_en: t.name_en.clone(),
    }
}

/// The "deadline soon" queue: tickets still being worked whose linked procedure's window
/// closes within `career::deadline::HIGH_WITHIN` (the deadline-aware SLA sets `deadline_at`).
pub fn deadline_soon(query: TicketQuery) -> Option<TicketQuery> {
    let now = Utc::now().naive_utc();
    Some(
        query
            .filter(sql::<Bool>(HELD))
            .filter(tickets::status.ne(Status::Resolved))
            .filter(tickets::deadline_at.gt(now))
            .filter(tickets::deadline_at.le(now + crate::career::deadline::HIGH_WITHIN)),
    )
}

/// What a queue is, resolved for one user: a function that builds its query (called for the
/// count, or once or twice for a page), and, when counting it whole would be slow, disjoint
/// parts whose counts add up to it.
struct Resolved {
    queue: Queue,
    make: Box<dyn Fn() -> TicketQuery>,
    parts: Vec<Box<dyn Fn() -> TicketQuery>>,
}

/// An agent's scope (`team IN (…) OR assignee = me`, `visible_to`) as two disjoint halves, each
/// an index range of its own: the tickets of the agent's teams, and those assigned to the
/// agent in other teams. Counted separately, they avoid the OR, which neither database reads
/// from one index. `narrow` adds the queue's own predicate to each half. Empty for
/// supervisors and admins, whose scope has no OR.
fn scope_parts(
    user: &User,
    narrow: impl Fn(TicketQuery) -> TicketQuery + Clone + 'static,
) -> Vec<Box<dyn Fn() -> TicketQuery>> {
    if user.role != Role::Agent {
        return Vec::new();
    }
    let (teams, me) = (user.team_ids.clone(), user.id.clone());
    let in_teams = {
        let (teams, narrow) = (teams.clone(), narrow.clone());
        Box::new(move || narrow(in_teams(tickets::table.into_boxed(), &teams)))
            as Box<dyn Fn() -> TicketQuery>
    };
    let assigned_elsewhere = Box::new(move || {
        let mine = tickets::table.into_boxed().filter(tickets::assignee_id.eq(me.clone()));
        narrow(if teams.is_empty() { mine } else { mine.filter(tickets::team_id.ne_all(teams.clone())) })
    }) as Box<dyn Fn() -> TicketQuery>;
    vec![in_teams, assigned_elsewhere]
}

/// `team_id IN ids`, written as an equality for one team (an agent's usual case): PostgreSQL
/// before 17 reads an index in its order only through an equality, so a page of a team's
/// unassigned tickets by due time reads its 51 rows, where `= ANY` sorted all the team's
/// (10,000 at 1 M tickets: 9 ms against 0.2).
fn in_teams(query: TicketQuery, ids: &[String]) -> TicketQuery {
    match ids {
        [one] => query.filter(tickets::team_id.eq(one.clone())),
        _ => query.filter(tickets::team_id.eq_any(ids.to_vec())),
    }
}

/// Resolves a queue for `user` (staff): Forbidden for `all` to agents and for another team's
/// queue; a field error for an unknown team or a queue not available yet.
fn resolve(conn: &mut DbConn, user: &User, queue: Queue) -> Result<Resolved, ServiceError> {
    if !user.is_staff() {
        return Err(ServiceError::Forbidden(
            "the queues are for staff only".into(),
        ));
    }
    let scoped_user = user.clone();
    let scope = move || visible_to(tickets::table.into_boxed(), &scoped_user);
    let mut parts = Vec::new();
    let make: Box<dyn Fn() -> TicketQuery> = match &queue {
        Queue::Mine => {
            let me = user.id.clone();
            Box::new(move || {
                tickets::table
                    .into_boxed()
                    .filter(tickets::assignee_id.eq(me.clone()))
                    .filter(sql::<Bool>(HELD))
            })
        }
        Queue::Unassigned => {
            let team_ids: Vec<String> = working_teams(user, all_teams(conn)?)
                .into_iter()
                .map(|t| t.id)
                .collect();
            Box::new(move || {
                in_teams(tickets::table.into_boxed(), &team_ids)
                    .filter(tickets::assignee_id.is_null())
                    .filter(sql::<Bool>(ACTIVE))
            })
        }
        Queue::Team(slug) => {
            let team = all_teams(conn)?.into_iter().find(|t| &t.slug == slug);
            let Some(team) = team else {
                return Err(ServiceError::field(
                    "queue",
                    format!("unknown team '{slug}'"),
                ));
            };
            if user.role == Role::Agent && !user.team_ids.contains(&team.id) {
                return Err(ServiceError::Forbidden(format!(
                    "the queue of team '{slug}' is for its members"
                )));
            }
            Box::new(move || {
                tickets::table
                    .into_boxed()
                    .filter(tickets::team_id.eq(team.id.clone()))
                    .filter(sql::<Bool>(ACTIVE))
            })
        }
        Queue::Waiting => {
            parts = scope_parts(user, waiting);
            Box::new(move || waiting(scope()))
        }
        Queue::AtRisk => {
            let limit = BusinessCalendar::default()
                .add_business_minutes(Utc::now(), AT_RISK_MINUTES)
                .naive_utc();
            let at_risk = move |query: TicketQuery| {
                query.filter(sql::<Bool>(RUNNING)).filter(
                    tickets::first_responded_at
                        .is_null()
                        .and(tickets::first_response_due_at.le(limit))
                        .or(tickets::due_at.le(limit)),
                )
            };
            parts = scope_parts(user, at_risk);
            Box::new(move || at_risk(scope()))
        }
        Queue::DeadlineSoon => {
            if deadline_soon(scope()).is_none() {
                return Err(ServiceError::field("queue", "the deadline_soon queue is not available yet: tickets are not linked to career actions"));
            }
            Box::new(move || deadline_soon(scope()).unwrap_or_else(&scope))
        }
        Queue::All => {
            if user.role == Role::Agent {
                return Err(ServiceError::Forbidden(
                    "the queue of all tickets is for supervisors and administrators".into(),
                ));
            }
            Box::new(|| {
                tickets::table
                    .into_boxed()
                    .filter(tickets::status.ne(Status::Unverified))
            })
        }
    };
    Ok(Resolved { queue, make, parts })
}

/// The tickets waiting for the student among `query`'s.
fn waiting(query: TicketQuery) -> TicketQuery {
    query.filter(tickets::status.eq(Status::WaitingStudent))
}

/// How many tickets a queue holds: one `COUNT`, or the sum of its disjoint parts' (each read
/// from an index of migration `2026-11-23-000030_console_perf` without touching the table).
/// How many tickets a queue holds, up to `COUNT_CAP` (and whether it holds more). Queues are
/// counted exactly from their indexes (a few ms at a million tickets); the queue of every
/// ticket is only read up to the cap, as one constant per ticket.
fn count(conn: &mut DbConn, resolved: &Resolved) -> Result<(i64, bool), ServiceError> {
    let total = if resolved.queue == Queue::All {
        let found: Vec<i32> = (resolved.make)().select(sql::<diesel::sql_types::Integer>("1")).limit(COUNT_CAP + 1).load(conn)?;
        found.len() as i64
    } else if resolved.parts.is_empty() {
        (resolved.make)().count().get_result(conn)?
    } else {
        let mut total = 0;
        for part in &resolved.parts {
            total += part().count().get_result::<i64>(conn)?;
        }
        total
    };
    Ok((total.min(COUNT_CAP), total > COUNT_CAP))
}

/// The queues `user` works, each with its count, in the console's order.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub fn counts(conn: &mut DbConn, user: &User) -> Result<Vec<QueueCount>, ServiceError> {
    if !user.is_staff() {
        return Err(ServiceError::Forbidden(
            "the queues are for staff only".into(),
        ));
    }
    let teams = working_teams(user, all_teams(conn)?);
    let mut offered = vec![Queue::Mine, Queue::Unassigned];
    offered.extend(teams.iter().map(|t| Queue::Team(t.slug.clone())));
    offered.extend([Queue::Waiting, Queue::AtRisk]);
    if deadline_soon(tickets::table.into_boxed()).is_some() {
        offered.push(Queue::DeadlineSoon);
    }
    if user.role != Role::Agent {
        offered.push(Queue::All);
    }
    let mut out = Vec::with_capacity(offered.len());
    for queue in offered {
        let (name_it, name_en) = match &queue {
            Queue::Team(slug) => teams
                .iter()
                .find(|t| &t.slug == slug)
                .map(|t| (t.name_it.clone(), t.name_en.clone()))
                .unwrap_or_default(),
            other => {
                let (it, en) = other.names();
                (it.to_owned(), en.to_owned())
            }
        };
        let resolved = resolve(conn, user, queue)?;
        let (count, capped) = count(conn, &resolved)?;
        out.push(QueueCount {
            queue: resolved.queue.key(),
            name_it,
            name_en,
            count,
            capped,
        });
    }
    Ok(out)
}

/// One page of a queue, with the list filters and sort (`q` is not taken here: search with
/// `tickets::search_index`).
#[tracing::instrument(skip_all, fields(user = %user.id, queue = %queue.key()))]
pub fn list(
    conn: &mut DbConn,
    user: &User,
    queue: Queue,
    params: &ListParams,
) -> Result<Page<TicketView>, ServiceError> {
    if params.q.as_deref().is_some_and(|q| !q.trim().is_empty()) {
        return Err(ServiceError::field(
            "q",
            "queues are not searched: use /api/v1/search or /api/v1/tickets?q=",
        ));
    }
    let resolved = resolve(conn, user, queue)?;
    let request = ListRequest::parse(conn, user, params, resolved.queue.default_sort())?;
    let make = || request.filters.apply((resolved.make)());
    page(conn, user, &make, &request)
}
