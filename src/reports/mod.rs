//! Reports for staff: what came in, what is waiting, how fast it was answered, whether the SLA
//! held, and how students rated the answers. Service functions take a connection and a
//! [`ReportFilter`]; the API serves them as JSON or CSV, the console as charts.
//!
//! What each report counts (days are Europe/Rome days; guest tickets still `unverified` are in
//! none of them):
//! - **volume**: tickets opened each day, per category (merged duplicates included: they were
//!   opened).
//! - **backlog**: tickets open at the end of each day: opened on or before that day and not
//!   resolved or closed on or before it. A ticket's columns give its last resolution
//!   (`resolved_at` is cleared on reopening and set again when resolved again) and its closing;
//!   the earlier resolve → reopen cycles come from its `status_changed` events, so a ticket
//!   resolved on the 3rd and reopened on the 5th is out of the backlog on the 3rd and 4th. A
//!   guest ticket counts from when it was sent, not from when its e-mail was confirmed.
//! - **response times** and **SLA**: the tickets opened in the range (merged duplicates left
//!   out). First response: until the first public staff reply; resolution: until resolved or,
//!   for a ticket closed without being resolved, closed. Times are in business minutes (the
//!   default calendar of `domain::sla`: Monday to Friday 09:00-17:00 Europe/Rome, Italian
//!   public holidays) and in wall-clock minutes; neither subtracts time spent waiting for the
//!   student. SLA: met when reached by the ticket's due time (`first_response_due_at`,
//!   `due_at`, as stored, so pauses and deadline-aware due times count); the share is
//!   met / (met + breached); tickets still within their due time are pending.
//! - **satisfaction**: the ratings given in the range, by the rated ticket's category and team.
//!
//! Percentiles are nearest-rank, computed here over the range's rows (only the needed columns
//! are read, row by row); the same queries run on SQLite and PostgreSQL.

mod backlog;
pub mod period;
mod satisfaction;
pub mod stats;
mod table;
mod times;
mod volume;

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::expression::{AppearsOnTable, SelectableExpression};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use serde::{Deserialize, Serialize};

pub use backlog::{backlog, BacklogDay, BacklogReport};
pub use period::{Period, DEFAULT_DAYS, MAX_DAYS};
pub use satisfaction::{satisfaction, Satisfaction};
pub use table::{to_csv, Tabular};
pub use times::{response_times, sla, times_and_sla, Compliance, GroupSla, GroupTimes, TimeStats};
pub use volume::{volume, VolumeReport, VolumeSeries};

use crate::accounts::User;
use crate::db::schema::{categories, teams, tickets};
use crate::db::DbConn;
use crate::domain::{Locale, Role, Status};
use crate::error::ServiceError;

/// The query string of every report (the API's and the page's).
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
pub struct ReportParams {
    /// First day, `YYYY-MM-DD` (Europe/Rome); default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day, included; default: today. At most 366 days in all.
    pub to: Option<String>,
    /// Only this team's tickets (a team slug).
    pub team: Option<String>,
    /// Only this category's tickets (a category slug).
    pub category: Option<String>,
    /// `json` (the default) or `csv`; `Accept: text/csv` asks for CSV too.
    pub format: Option<String>,
}

/// A team or a category, as the reports name it.
#[derive(Debug, Clone)]
pub struct Label {
    pub id: String,
    pub slug: String,
    name_it: String,
    name_en: String,
}

impl Label {
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::It => &self.name_it,
            Locale::En => &self.name_en,
        }
    }

    fn group(&self, locale: Locale) -> Group {
        Group { key: self.slug.clone(), name: self.name(locale).to_owned() }
    }
}

/// Every category (by position) and team (by slug), to name and order the groups.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    pub categories: Vec<Label>,
    pub teams: Vec<Label>,
    category_index: HashMap<String, usize>,
    team_index: HashMap<String, usize>,
}

fn index(list: &[Label]) -> HashMap<String, usize> {
    list.iter().enumerate().map(|(i, l)| (l.id.clone(), i)).collect()
}

impl Labels {
    pub fn load(conn: &mut DbConn) -> Result<Labels, ServiceError> {
        let categories: Vec<(String, String, String, String)> = categories::table
            .order((categories::position.asc(), categories::slug.asc()))
            .select((categories::id, categories::slug, categories::name_it, categories::name_en))
            .load(conn)?;
        let teams: Vec<(String, String, String, String)> =
            teams::table.order(teams::slug.asc()).select((teams::id, teams::slug, teams::name_it, teams::name_en)).load(conn)?;
        let label = |(id, slug, name_it, name_en)| Label { id, slug, name_it, name_en };
        let categories: Vec<Label> = categories.into_iter().map(label).collect();
        let teams: Vec<Label> = teams.into_iter().map(label).collect();
        Ok(Labels { category_index: index(&categories), team_index: index(&teams), categories, teams })
    }

    /// The position of a category id in `categories` (`usize::MAX` for none).
    pub fn category(&self, id: &str) -> usize {
        self.category_index.get(id).copied().unwrap_or(usize::MAX)
    }

    pub fn team(&self, id: &str) -> usize {
        self.team_index.get(id).copied().unwrap_or(usize::MAX)
    }
}

/// A group of a report: `all`, a category or a team, by slug and name.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Group {
    /// `all`, or the category's or team's slug.
    pub key: String,
    pub name: String,
}

/// The range and filters a report answers for.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The team filter (a slug), if any.
    pub team: Option<String>,
    /// The category filter (a slug), if any.
    pub category: Option<String>,
}

type Backend = <DbConn as diesel::Connection>::Backend;
type Predicate<QS> = Box<dyn BoxableExpression<QS, Backend, SqlType = Bool>>;

/// A checked request for a report: the range, the filters, and what the caller may see.
#[derive(Debug, Clone)]
pub struct ReportFilter {
    pub period: Period,
    pub team: Option<Label>,
    pub category: Option<Label>,
    /// `None`: every team (supervisors, admins); otherwise only these team ids (an agent's).
    pub visible_teams: Option<Vec<String>>,
    /// The language of the groups' names.
    pub locale: Locale,
    pub labels: Labels,
}

/// One report for `user`: the request checked (`prepare`), then `compute`d; with the period
/// it covers.
pub fn run<R>(
    conn: &mut DbConn,
    user: &User,
    params: &ReportParams,
    today: NaiveDate,
    compute: impl FnOnce(&mut DbConn, &ReportFilter) -> Result<R, ServiceError>,
) -> Result<(PeriodView, R), ServiceError> {
    let filter = prepare(conn, user, params, today, user.locale)?;
    compute(conn, &filter).map(|report| (filter.view(), report))
}

/// Checks who asks and what: students may not see reports (403); agents see their teams'
/// tickets only and may not ask for another team (403); unknown slugs and bad ranges are 422.
pub fn prepare(
    conn: &mut DbConn,
    user: &User,
    params: &ReportParams,
    today: NaiveDate,
    locale: Locale,
) -> Result<ReportFilter, ServiceError> {
    let visible_teams = match user.role {
        Role::Student => return Err(ServiceError::Forbidden("reports are for staff only".into())),
        Role::Agent => Some(user.team_ids.clone()),
        Role::Supervisor | Role::Admin => None,
    };
    let period = Period::parse(params.from.as_deref(), params.to.as_deref(), today);
    let labels = Labels::load(conn)?;
    let mut errors = crate::error::FieldErrors::default();
    let mut pick = |field: &str, list: &[Label], slug: Option<&str>| -> Option<Label> {
        let slug = slug.map(str::trim).filter(|s| !s.is_empty())?;
        let found = list.iter().find(|l| l.slug == slug).cloned();
        if found.is_none() {
            errors.add(field, format!("unknown {field} '{slug}'"));
        }
        found
    };
    let team = pick("team", &labels.teams, params.team.as_deref());
    let category = pick("category", &labels.categories, params.category.as_deref());
    let period = match period {
        Ok(period) => period,
        Err(ServiceError::Validation(mut list)) => {
            if let Err(ServiceError::Validation(more)) = errors.into_result() {
                list.extend(more);
            }
            return Err(ServiceError::Validation(list));
        }
        Err(other) => return Err(other),
    };
    errors.into_result()?;
    if let (Some(team), Some(mine)) = (&team, &visible_teams) {
        if !mine.contains(&team.id) {
            return Err(ServiceError::Forbidden("you may see the reports of your own teams only".into()));
        }
    }
    Ok(ReportFilter { period, team, category, visible_teams, locale, labels })
}

/// What every report reads from `tickets` in one row, as the sample types need it.
pub(crate) trait Sample {
    fn category(&self) -> usize;
    fn team(&self) -> usize;
}

/// A report of groups: everything in scope, then each category and each team with data.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Grouped<T> {
    pub period: PeriodView,
    pub all: T,
    pub by_category: Vec<T>,
    pub by_team: Vec<T>,
}

impl ReportFilter {
    pub fn view(&self) -> PeriodView {
        PeriodView {
            from: self.period.from,
            to: self.period.to,
            team: self.team.as_ref().map(|t| t.slug.clone()),
            category: self.category.as_ref().map(|c| c.slug.clone()),
        }
    }

    /// Tickets the caller may see, with the filters, never unverified guest tickets. Usable
    /// on `tickets` and on any join that includes it.
    fn in_scope<QS: 'static>(&self) -> Predicate<QS>
    where
        tickets::status: SelectableExpression<QS> + AppearsOnTable<QS>,
        tickets::team_id: SelectableExpression<QS> + AppearsOnTable<QS>,
        tickets::category_id: SelectableExpression<QS> + AppearsOnTable<QS>,
    {
        let mut predicate: Predicate<QS> = Box::new(tickets::status.ne(Status::Unverified.as_str()));
        if let Some(ids) = &self.visible_teams {
            predicate = Box::new(predicate.and(tickets::team_id.eq_any(ids.clone())));
        }
        if let Some(team) = &self.team {
            predicate = Box::new(predicate.and(tickets::team_id.eq(team.id.clone())));
        }
        if let Some(category) = &self.category {
            predicate = Box::new(predicate.and(tickets::category_id.eq(category.id.clone())));
        }
        predicate
    }

    /// Tickets in scope opened in the range.
    fn opened_in_range(&self) -> Predicate<tickets::table> {
        Box::new(
            self.in_scope::<tickets::table>()
                .and(tickets::created_at.ge(self.period.start()))
                .and(tickets::created_at.lt(self.period.end())),
        )
    }

    fn all_group(&self) -> Group {
        let name = match self.locale {
            Locale::It => "Tutti",
            Locale::En => "All",
        };
        Group { key: "all".into(), name: name.into() }
    }

    /// Builds one `T` for all the samples, then one for each category and team that has any.
    fn breakdown<S: Sample, T>(&self, samples: &[S], build: impl Fn(Group, &[&S]) -> T) -> Grouped<T> {
        let all: Vec<&S> = samples.iter().collect();
        let groups = |labels: &[Label], key: fn(&S) -> usize| -> Vec<T> {
            labels
                .iter()
                .enumerate()
                .filter_map(|(i, label)| {
                    let members: Vec<&S> = samples.iter().filter(|s| key(s) == i).collect();
                    (!members.is_empty()).then(|| build(label.group(self.locale), &members))
                })
                .collect()
        };
        Grouped {
            period: self.view(),
            all: build(self.all_group(), &all),
            by_category: groups(&self.labels.categories, S::category),
            by_team: groups(&self.labels.teams, S::team),
        }
    }
}

/// A ticket's end: resolved (its last resolution) or closed (the earlier of resolving and
/// closing); `None` while it is open.
fn done_since(status: &str, resolved_at: Option<NaiveDateTime>, closed_at: Option<NaiveDateTime>) -> Option<NaiveDateTime> {
    match status {
        "resolved" => resolved_at.or(closed_at),
        "closed" => match (resolved_at, closed_at) {
            (Some(r), Some(c)) => Some(r.min(c)),
            (r, c) => r.or(c),
        },
        _ => None,
    }
}
