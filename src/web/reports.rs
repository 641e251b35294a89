//! `/staff/reports`: the reports as charts (inline SVG from `chart`) with their numbers in
//! tables, a filter form (GET) and a CSV download per report. Staff only.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::chart::{bar_chart, line_chart, Bars, Chart, Series};
use super::error::{OrPage, WebError};
use super::form_view::error_list;
use super::page::{encode, redirect, Ctx};
use crate::domain::Locale;
use crate::error::{FieldError, ServiceError};
use crate::reports::{self, period, BacklogReport, GroupSla, GroupTimes, Grouped, Labels, ReportFilter, ReportParams};
use crate::reports::{Satisfaction, TimeStats, VolumeReport};

const PATH: &str = "/staff/reports";

/// Everything the page shows, read in one go.
struct Reports {
    filter: ReportFilter,
    volume: VolumeReport,
    backlog: BacklogReport,
    times: Grouped<GroupTimes>,
    sla: Grouped<GroupSla>,
    satisfaction: Grouped<Satisfaction>,
}

enum Outcome {
    Shown(Box<Reports>),
    /// A bad range or filter: the form again, with what was wrong.
    Invalid(Vec<FieldError>, Labels),
}

pub async fn page(ctx: Ctx, query: web::Query<ReportParams>) -> Result<HttpResponse, WebError> {
    let Some(user) = ctx.user.clone() else {
        let here = match ctx.req.query_string() {
            "" => PATH.to_owned(),
            q => format!("{PATH}?{q}"),
        };
        return Ok(redirect(&format!("/sign-in?next={}", encode(&here))));
    };
    if !user.is_staff() {
        return Err(ctx.fail(ServiceError::Forbidden("reports are for staff only".into())));
    }
    let params = query.into_inner();
    let asked = params.clone();
    let today = chrono::Utc::now().with_timezone(&period::TZ).date_naive();
    let locale = ctx.locale;
    let outcome = ctx
        .state
        .db
        .read(move |conn| -> Result<Outcome, ServiceError> {
            let filter = match reports::prepare(conn, &user, &params, today, locale) {
                Ok(filter) => filter,
                Err(ServiceError::Validation(errors)) => return Ok(Outcome::Invalid(errors, Labels::load(conn)?)),
                Err(other) => return Err(other),
            };
            let volume = reports::volume(conn, &filter)?;
            let backlog = reports::backlog(conn, &filter)?;
            let (times, sla) = reports::times_and_sla(conn, &filter)?;
            let satisfaction = reports::satisfaction(conn, &filter)?;
            Ok(Outcome::Shown(Box::new(Reports { filter, volume, backlog, times, sla, satisfaction })))
        })
        .await
        .or_page(ctx.locale)?;
    let visible = ctx.user.as_ref().filter(|u| u.role == crate::domain::Role::Agent).map(|u| u.team_ids.clone());
    let title = ctx.t("reports.title");
    match outcome {
        Outcome::Shown(r) => {
            let form = form(&ctx, &r.filter.labels, visible.as_deref(), &values_of(&r.filter));
            let page =
                json!({"form": form, "error_list": [], "sections": sections(&ctx, &r), "period": period_text(&ctx, &r.filter)});
            ctx.render("pages/reports", &title, page)
        }
        Outcome::Invalid(errors, labels) => {
            let values = [asked.from, asked.to, asked.team, asked.category].map(Option::unwrap_or_default);
            let form = form(&ctx, &labels, visible.as_deref(), &values);
            let names: HashMap<String, String> =
                ["from", "to", "team", "category"].iter().map(|f| ((*f).to_owned(), ctx.t(&format!("reports.{f}")))).collect();
            let page = json!({"form": form, "error_list": error_list(ctx.locale, &errors, &names), "sections": [], "period": ""});
            ctx.render_status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, "pages/reports", &title, page)
        }
    }
}

/// from, to, team, category as the form shows them.
fn values_of(filter: &ReportFilter) -> [String; 4] {
    [
        filter.period.from.to_string(),
        filter.period.to.to_string(),
        filter.team.as_ref().map(|t| t.slug.clone()).unwrap_or_default(),
        filter.category.as_ref().map(|c| c.slug.clone()).unwrap_or_default(),
    ]
}

fn form(ctx: &Ctx, labels: &Labels, visible_teams: Option<&[String]>, values: &[String; 4]) -> Value {
    let options = |list: &[reports::Label], chosen: &str, keep: &dyn Fn(&reports::Label) -> bool| -> Vec<Value> {
        list.iter()
            .filter(|l| keep(l))
            .map(|l| json!({"value": l.slug, "label": l.name(ctx.locale), "selected": l.slug == chosen}))
            .collect()
    };
    let team_visible = |l: &reports::Label| visible_teams.is_none_or(|mine| mine.contains(&l.id));
    json!({
        "from": values[0], "to": values[1],
        "teams": options(&labels.teams, &values[2], &team_visible),
        "categories": options(&labels.categories, &values[3], &|_| true),
    })
}

fn period_text(ctx: &Ctx, filter: &ReportFilter) -> String {
    ctx.t("reports.period")
        .replace("{from}", &day(ctx.locale, filter.period.from))
        .replace("{to}", &day(ctx.locale, filter.period.to))
        .replace("{days}", &filter.period.len().to_string())
}

fn day(locale: Locale, date: chrono::NaiveDate) -> String {
    match locale {
        Locale::It => date.format("%d/%m/%Y").to_string(),
        Locale::En => date.format("%d %b %Y").to_string(),
    }
}

fn short_day(date: chrono::NaiveDate) -> String {
    date.format("%d/%m").to_string()
}

/// A number in the reader's language: a decimal comma in Italian.
fn number(locale: Locale, value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    match locale {
        Locale::It => text.replace('.', ","),
        Locale::En => text,
    }
}

fn hours(locale: Locale, minutes: Option<i64>) -> String {
    minutes.map(|m| number(locale, m as f64 / 60.0, 1)).unwrap_or_else(|| "–".into())
}

fn percent(locale: Locale, share: Option<f64>) -> String {
    share.map(|s| format!("{} %", number(locale, s * 100.0, 1))).unwrap_or_else(|| "–".into())
}

/// A table: the caption, the column heads, and rows of (row head, cells).
fn table(caption: String, head: Vec<String>, rows: Vec<(String, Vec<String>)>) -> Value {
    let rows: Vec<Value> = rows.into_iter().map(|(head, cells)| json!({"head": head, "cells": cells})).collect();
    json!({"caption": caption, "head": head, "rows": rows})
}

struct Section {
    id: &'static str,
    report: &'static str,
    chart: Option<String>,
    table: Value,
}

fn sections(ctx: &Ctx, r: &Reports) -> Vec<Value> {
    let query = query_of(&r.filter);
    [
        volume(ctx, r),
        backlog(ctx, r),
        times(ctx, r, "first_response"),
        times(ctx, r, "resolution"),
        sla(ctx, r),
        satisfaction(ctx, r),
    ]
    .into_iter()
    .map(|s| {
        json!({
            "id": s.id,
            "title": ctx.t(&format!("reports.{}.title", s.id)),
            "lead": ctx.t(&format!("reports.{}.lead", s.id)),
            "chart": s.chart,
            "table": s.table,
            "csv": format!("/api/v1/reports/{}?{query}format=csv", s.report),
        })
    })
    .collect()
}

/// The filter as a query string prefix (`from=…&to=…&`), for the CSV links.
fn query_of(filter: &ReportFilter) -> String {
    let [from, to, team, category] = values_of(filter);
    [("from", from), ("to", to), ("team", team), ("category", category)]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}&", encode(v)))
        .collect()
}

fn desc(ctx: &Ctx, id: &str, filter: &ReportFilter) -> String {
    ctx.t(&format!("reports.{id}.desc"))
        .replace("{from}", &day(ctx.locale, filter.period.from))
        .replace("{to}", &day(ctx.locale, filter.period.to))
}

fn volume(ctx: &Ctx, r: &Reports) -> Section {
    let v = &r.volume;
    let l = ctx.locale;
    let all_zero = ctx.t("reports.all_zero");
    let count = |x: f64| number(l, x, 0);
    let title = ctx.t("reports.volume.title");
    let description = desc(ctx, "volume", &r.filter);
    let chart = (v.total > 0).then(|| {
        bar_chart(
            &Chart {
                id: "chart-volume",
                title: &title,
                desc: &description,
                labels: v.days.iter().copied().map(short_day).collect(),
                series: v
                    .series
                    .iter()
                    .map(|s| Series { name: s.group.name.clone(), values: s.counts.iter().map(|c| *c as f64).collect() })
                    .collect(),
                max: None,
                integers: true,
                format: &count,
                all_zero: &all_zero,
            },
            Bars::Stacked,
        )
    });
    let mut head = vec![ctx.t("reports.date")];
    head.extend(v.series.iter().map(|s| s.group.name.clone()));
    head.push(ctx.t("reports.total"));
    let rows = v
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut cells: Vec<String> = v.series.iter().map(|s| s.counts.get(i).copied().unwrap_or(0).to_string()).collect();
            cells.push(v.totals.get(i).copied().unwrap_or(0).to_string());
            (day(l, *d), cells)
        })
        .collect();
    Section { id: "volume", report: "volume", chart, table: table(title.clone(), head, rows) }
}

fn backlog(ctx: &Ctx, r: &Reports) -> Section {
    let l = ctx.locale;
    let all_zero = ctx.t("reports.all_zero");
    let count = |x: f64| number(l, x, 0);
    let title = ctx.t("reports.backlog.title");
    let description = desc(ctx, "backlog", &r.filter);
    let open = ctx.t("reports.open");
    let chart = line_chart(&Chart {
        id: "chart-backlog",
        title: &title,
        desc: &description,
        labels: r.backlog.days.iter().map(|d| short_day(d.date)).collect(),
        series: vec![Series { name: open.clone(), values: r.backlog.days.iter().map(|d| d.open as f64).collect() }],
        max: None,
        integers: true,
        format: &count,
        all_zero: &all_zero,
    });
    let rows = r.backlog.days.iter().map(|d| (day(l, d.date), vec![d.open.to_string()])).collect();
    Section { id: "backlog", report: "backlog", chart: Some(chart), table: table(title, vec![ctx.t("reports.date"), open], rows) }
}

/// Rows for each group of a grouped report: all, then categories, then teams (named so).
fn group_rows<T>(
    ctx: &Ctx,
    report: &Grouped<T>,
    name: fn(&T) -> &str,
    cells: impl Fn(&T) -> Vec<String>,
) -> Vec<(String, Vec<String>)> {
    let mut rows = vec![(name(&report.all).to_owned(), cells(&report.all))];
    for (scope, list) in [("category", &report.by_category), ("team", &report.by_team)] {
        let prefix = ctx.t(&format!("reports.scope_{scope}"));
        rows.extend(list.iter().map(|g| (format!("{prefix}: {}", name(g)), cells(g))));
    }
    rows
}

fn times(ctx: &Ctx, r: &Reports, which: &'static str) -> Section {
    let l = ctx.locale;
    let all_zero = ctx.t("reports.all_zero");
    let pick = |g: &GroupTimes| -> TimeStats {
        if which == "first_response" {
            g.first_response.clone()
        } else {
            g.resolution.clone()
        }
    };
    let one_decimal = |x: f64| number(l, x, 1);
    let title = ctx.t(&format!("reports.{which}.title"));
    let description = desc(ctx, which, &r.filter);
    let any = pick(&r.times.all).measured > 0;
    let chart_id = format!("chart-{which}");
    let series = |label: &str, p: fn(&TimeStats) -> Option<i64>| Series {
        name: ctx.t(&format!("reports.{label}")),
        values: r.times.by_category.iter().map(|g| p(&pick(g)).map(|m| m as f64 / 60.0).unwrap_or(0.0)).collect(),
    };
    let chart = any.then(|| {
        bar_chart(
            &Chart {
                id: &chart_id,
                title: &title,
                desc: &description,
                labels: r.times.by_category.iter().map(|g| g.group.name.clone()).collect(),
                series: vec![
                    series("p50_business", |s| s.p50_business_minutes),
                    series("p90_business", |s| s.p90_business_minutes),
                ],
                max: None,
                integers: false,
                format: &one_decimal,
                all_zero: &all_zero,
            },
            Bars::Grouped,
        )
    });
    let head = ["group", "tickets", "measured", "pending", "p50_business", "p90_business", "p50_wall", "p90_wall"]
        .iter()
        .map(|k| ctx.t(&format!("reports.{k}")))
        .collect();
    let rows = group_rows(
        ctx,
        &r.times,
        |g| &g.group.name,
        |g| {
            let s = pick(g);
            vec![
                g.tickets.to_string(),
                s.measured.to_string(),
                s.pending.to_string(),
                hours(l, s.p50_business_minutes),
                hours(l, s.p90_business_minutes),
                hours(l, s.p50_minutes),
                hours(l, s.p90_minutes),
            ]
        },
    );
    Section { id: which, report: "response-times", chart, table: table(title, head, rows) }
}

fn sla(ctx: &Ctx, r: &Reports) -> Section {
    let l = ctx.locale;
    let all_zero = ctx.t("reports.all_zero");
    let pct = |x: f64| format!("{} %", number(l, x, 0));
    let title = ctx.t("reports.sla.title");
    let description = desc(ctx, "sla", &r.filter);
    let decided = |g: &GroupSla| g.first_response.share.is_some() || g.resolution.share.is_some();
    let series = |label: &str, share: fn(&GroupSla) -> Option<f64>| Series {
        name: ctx.t(&format!("reports.{label}")),
        values: r.sla.by_category.iter().map(|g| share(g).unwrap_or(0.0) * 100.0).collect(),
    };
    let chart = decided(&r.sla.all).then(|| {
        bar_chart(
            &Chart {
                id: "chart-sla",
                title: &title,
                desc: &description,
                labels: r.sla.by_category.iter().map(|g| g.group.name.clone()).collect(),
                series: vec![
                    series("first_response_share", |g| g.first_response.share),
                    series("resolution_share", |g| g.resolution.share),
                ],
                max: Some(100.0),
                integers: true,
                format: &pct,
                all_zero: &all_zero,
            },
            Bars::Grouped,
        )
    });
    let head = [
        "group",
        "tickets",
        "fr_met",
        "fr_breached",
        "fr_pending",
        "first_response_share",
        "res_met",
        "res_breached",
        "res_pending",
        "resolution_share",
    ]
    .iter()
    .map(|k| ctx.t(&format!("reports.{k}")))
    .collect();
    let rows = group_rows(
        ctx,
        &r.sla,
        |g| &g.group.name,
        |g| {
            let (f, s) = (&g.first_response, &g.resolution);
            vec![
                g.tickets.to_string(),
                f.met.to_string(),
                f.breached.to_string(),
                f.pending.to_string(),
                percent(l, f.share),
                s.met.to_string(),
                s.breached.to_string(),
                s.pending.to_string(),
                percent(l, s.share),
            ]
        },
    );
    Section { id: "sla", report: "sla", chart, table: table(title, head, rows) }
}

fn satisfaction(ctx: &Ctx, r: &Reports) -> Section {
    let l = ctx.locale;
    let all_zero = ctx.t("reports.all_zero");
    let count = |x: f64| number(l, x, 0);
    let title = ctx.t("reports.satisfaction.title");
    let description = desc(ctx, "satisfaction", &r.filter);
    let all = &r.satisfaction.all;
    let stars: Vec<String> = (1..=5).map(|n| ctx.t(&format!("reports.stars_{n}"))).collect();
    let chart = (all.ratings > 0).then(|| {
        bar_chart(
            &Chart {
                id: "chart-satisfaction",
                title: &title,
                desc: &description,
                labels: stars.clone(),
                series: vec![Series {
                    name: ctx.t("reports.ratings"),
                    values: all.distribution.iter().map(|n| *n as f64).collect(),
                }],
                max: None,
                integers: true,
                format: &count,
                all_zero: &all_zero,
            },
            Bars::Grouped,
        )
    });
    let mut head = vec![ctx.t("reports.group"), ctx.t("reports.ratings"), ctx.t("reports.average")];
    head.extend(stars);
    let rows = group_rows(
        ctx,
        &r.satisfaction,
        |g| &g.group.name,
        |g| {
            let mut cells = vec![g.ratings.to_string(), g.average.map(|a| number(l, a, 2)).unwrap_or_else(|| "–".into())];
            cells.extend(g.distribution.iter().map(i64::to_string));
            cells
        },
    );
    Section { id: "satisfaction", report: "satisfaction", chart, table: table(title, head, rows) }
}
