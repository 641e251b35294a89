//! Satisfaction: the ratings given in the range (1 to 5 stars), by the rated ticket's category
//! and team.

use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use serde::Serialize;

use super::stats::average;
use super::table::{grouped_rows, maybe, with_lead, Tabular};
use super::{Group, Grouped, ReportFilter, Sample};
use crate::db::schema::{ticket_ratings, tickets};
use crate::db::DbConn;
use crate::error::ServiceError;

struct Rated {
    category: usize,
    team: usize,
    stars: i32,
}

impl Sample for Rated {
    fn category(&self) -> usize {
        self.category
    }
    fn team(&self) -> usize {
        self.team
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Satisfaction {
    #[serde(flatten)]
    pub group: Group,
    pub ratings: i64,
    /// Mean stars, 2 decimals; null without ratings.
    pub average: Option<f64>,
    /// How many ratings gave 1, 2, 3, 4 and 5 stars.
    pub distribution: [i64; 5],
}

impl Satisfaction {
    fn of(group: Group, list: &[&Rated]) -> Satisfaction {
        let mut distribution = [0i64; 5];
        let mut sum = 0i64;
        for r in list {
            if let Some(cell) = usize::try_from(r.stars - 1).ok().and_then(|i| distribution.get_mut(i)) {
                *cell += 1;
                sum += i64::from(r.stars);
            }
        }
        let ratings = distribution.iter().sum();
        Satisfaction { group, ratings, average: average(sum, ratings), distribution }
    }
}

type Joined = diesel::helper_types::InnerJoinQuerySource<ticket_ratings::table, tickets::table>;

#[tracing::instrument(skip_all, fields(from = %filter.period.from, to = %filter.period.to))]
pub fn satisfaction(conn: &mut DbConn, filter: &ReportFilter) -> Result<Grouped<Satisfaction>, ServiceError> {
    let rows = ticket_ratings::table
        .inner_join(tickets::table)
        .filter(filter.in_scope::<Joined>())
        .filter(ticket_ratings::created_at.ge(filter.period.start()))
        .filter(ticket_ratings::created_at.lt(filter.period.end()))
        .select((tickets::category_id, tickets::team_id, ticket_ratings::stars))
        .load_iter::<(String, String, i32), DefaultLoadingMode>(conn)?;
    let mut samples = Vec::new();
    for row in rows {
        let (category_id, team_id, stars) = row?;
        samples.push(Rated { category: filter.labels.category(&category_id), team: filter.labels.team(&team_id), stars });
    }
    Ok(filter.breakdown(&samples, Satisfaction::of))
}

impl Tabular for Grouped<Satisfaction> {
    fn name(&self) -> &'static str {
        "satisfaction"
    }

    fn header(&self) -> Vec<&'static str> {
        vec!["scope", "key", "name", "ratings", "average", "stars_1", "stars_2", "stars_3", "stars_4", "stars_5"]
    }

    fn rows(&self) -> Vec<Vec<String>> {
        grouped_rows(self, |scope, s| {
            let mut cells = vec![s.ratings.to_string(), maybe(s.average)];
            cells.extend(s.distribution.iter().map(i64::to_string));
            vec![with_lead(scope, &s.group, cells)]
        })
    }
}
