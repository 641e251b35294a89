//! Volume: tickets opened per category and Rome day.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use serde::Serialize;

use super::period::{day_of, Place};
use super::table::{text, Tabular};
use super::{Group, PeriodView, ReportFilter};
use crate::db::schema::tickets;
use crate::db::DbConn;
use crate::error::ServiceError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VolumeReport {
    pub period: PeriodView,
    /// Every day of the range, in order; `counts` and `totals` follow it.
    pub days: Vec<NaiveDate>,
    /// One series per category with tickets in the range.
    pub series: Vec<VolumeSeries>,
    /// Tickets opened each day, all categories.
    pub totals: Vec<i64>,
    pub total: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VolumeSeries {
    #[serde(flatten)]
    pub group: Group,
    pub counts: Vec<i64>,
    pub total: i64,
}

#[tracing::instrument(skip_all, fields(from = %filter.period.from, to = %filter.period.to))]
pub fn volume(conn: &mut DbConn, filter: &ReportFilter) -> Result<VolumeReport, ServiceError> {
    let period = filter.period;
    let mut counts = vec![vec![0i64; period.len()]; filter.labels.categories.len()];
    let rows = tickets::table
        .filter(filter.opened_in_range())
        .select((tickets::created_at, tickets::category_id))
        .load_iter::<(NaiveDateTime, String), DefaultLoadingMode>(conn)?;
    for row in rows {
        let (created_at, category_id) = row?;
        if let (Place::At(day), Some(series)) =
            (period.place(day_of(created_at)), counts.get_mut(filter.labels.category(&category_id)))
        {
            if let Some(cell) = series.get_mut(day) {
                *cell += 1;
            }
        }
    }
    let mut totals = vec![0i64; period.len()];
    let mut series = Vec::new();
    for (label, counts) in filter.labels.categories.iter().zip(counts) {
        let total: i64 = counts.iter().sum();
        if total == 0 {
            continue;
        }
        totals.iter_mut().zip(&counts).for_each(|(t, c)| *t += c);
        series.push(VolumeSeries { group: label.group(filter.locale), counts, total });
    }
    Ok(VolumeReport { period: filter.view(), days: period.days(), total: totals.iter().sum(), totals, series })
}

impl Tabular for VolumeReport {
    fn name(&self) -> &'static str {
        "volume"
    }

    fn header(&self) -> Vec<&'static str> {
        vec!["date", "category", "category_name", "tickets"]
    }

    /// One row per day and category (zeros included), in day order.
    fn rows(&self) -> Vec<Vec<String>> {
        let mut rows = Vec::with_capacity(self.days.len() * self.series.len());
        for (i, day) in self.days.iter().enumerate() {
            for s in &self.series {
                let count = s.counts.get(i).copied().unwrap_or(0);
                rows.push(vec![day.to_string(), text(&s.group.key), text(&s.group.name), count.to_string()]);
            }
        }
        rows
    }
}
