//! `/staff/admin/career`: the career-action types with their windows, and one type's page to
//! edit its windows, late fee, active flag and required documents.

use std::collections::HashMap;

use actix_web::web;
use chrono::NaiveDate;
use serde_json::{json, Value};

use super::{checked, flag, on_rows, posted, row_count, Fields, Page, Posted, Typed};
use crate::career::calendar::{self, AcademicYear, Access, AfterClose, Cohort, Level, YearStatus};
use crate::career::catalog::{CareerActionType, Document, Euros, Window, WindowKind};
use crate::career::instances::today;
use crate::career::quote;
use crate::categories::form::Text;
use crate::error::{FieldError, ServiceError};
use crate::web::error::{OrPage, WebError};
use crate::web::form_view::Kind;
use crate::web::page::{redirect, Ctx};
use crate::web::staff::admin_or_return;

const BLANK_ROWS: usize = 2;
const MAX_ROWS: usize = 40;

fn kind_name(kind: WindowKind) -> &'static str {
    match kind {
        WindowKind::Regular => "regular",
        WindowKind::Late => "late",
    }
}

fn euros(e: Option<Euros>) -> String {
    e.map(|e| format!("{:.2}", f64::from(e))).unwrap_or_default()
}

/// The academic year a page shows (`?year=2026-2027`), by default the one today is in.
fn year_of(ctx: &Ctx) -> AcademicYear {
    ctx.req
        .query_string()
        .split('&')
        .find_map(|p| p.strip_prefix("year="))
        .and_then(|y| AcademicYear::parse(y).ok())
        .unwrap_or_else(|| AcademicYear::of(today()))
}

/// The year's status as the page says it.
fn year_state(ctx: &Ctx, status: Option<YearStatus>) -> String {
    ctx.t(match status {
        Some(YearStatus::Published) => "admin.calendar.published",
        Some(YearStatus::Draft) => "admin.calendar.draft",
        None => "admin.calendar.missing",
    })
}

pub async fn list(ctx: Ctx) -> Page {
    let _admin = admin_or_return!(ctx);
    let year = year_of(&ctx);
    let (types, cal) = ctx
        .state
        .db
        .read(move |conn| Ok::<_, ServiceError>((quote::types_in_year(conn, year)?, calendar::load(conn)?)))
        .await
        .or_page(ctx.locale)?;
    let years: Vec<Value> = cal
        .years()
        .map(|y| json!({"slug": y.academic_year.slug(), "code": y.academic_year.code(), "current": y.academic_year == year}))
        .collect();
    let rows: Vec<Value> = types
        .iter()
        .map(|t| {
            let windows: Vec<String> = t
                .windows
                .iter()
                .map(|w| {
                    let date = |d| crate::web::i18n::long_date(ctx.locale, d);
                    let from = w.from.map(|d| format!("{} – ", date(d))).unwrap_or_default();
                    let whom = cohort_text(&ctx, &w.cohort);
                    format!("{from}{} ({}){whom}", date(w.to), ctx.t(&format!("admin.career.{}", kind_name(w.kind))))
                })
                .collect();
            json!({"slug": t.slug, "name": t.name(ctx.locale), "windows": windows, "active": t.active})
        })
        .collect();
    let state = year_state(&ctx, cal.year(year).map(|y| y.status));
    let page = json!({"types": rows, "year": year.code(), "year_slug": year.slug(), "year_state": state, "years": years});
    ctx.render("pages/admin_career", &ctx.t("admin.career.title"), page)
}

/// " · laurea magistrale, 1° anno, accesso programmato" (empty for everyone), in words.
fn cohort_text(ctx: &Ctx, c: &Cohort) -> String {
    let parts: Vec<String> = [
        c.programme.map(|p| ctx.t(&format!("admin.career.cohort.{}", p.as_str()))),
        c.year.map(|y| ctx.t("admin.career.cohort.year").replace("{n}", &y.to_string())),
        c.access.map(|a| ctx.t(&format!("admin.career.cohort.{}", a.as_str()))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" · {}", parts.join(", "))
    }
}

async fn find(ctx: &Ctx, slug: String, year: AcademicYear) -> Result<CareerActionType, WebError> {
    let types = ctx.state.db.read(move |conn| quote::types_in_year(conn, year)).await.or_page(ctx.locale)?;
    types.into_iter().find(|t| t.slug == slug).ok_or_else(|| WebError::not_found(ctx.locale))
}

pub async fn show(ctx: Ctx, slug: web::Path<String>) -> Page {
    let _admin = admin_or_return!(ctx);
    let year = year_of(&ctx);
    let t = find(&ctx, slug.into_inner(), year).await?;
    render(&ctx, &t, year, &Typed::default())
}

fn render(ctx: &Ctx, t: &CareerActionType, year: AcademicYear, typed: &Typed) -> Page {
    let f = Fields::new(ctx, Some(typed), "ct-");
    let count = row_count(typed, t.windows.len(), BLANK_ROWS, MAX_ROWS);
    let kinds: Vec<(String, String)> = [WindowKind::Regular, WindowKind::Late]
        .iter()
        .map(|k| (kind_name(*k).to_owned(), ctx.t(&format!("admin.career.{}", kind_name(*k)))))
        .collect();
    let any = (String::new(), ctx.t("admin.career.any"));
    let programmes: Vec<(String, String)> = std::iter::once(any.clone())
        .chain([Level::Laurea, Level::LaureaMagistrale, Level::CicloUnico].iter().map(|l| (l.as_str().to_owned(), l.as_str().to_owned())))
        .collect();
    let accesses: Vec<(String, String)> = std::iter::once(any)
        .chain([Access::Libero, Access::Programmato].iter().map(|a| (a.as_str().to_owned(), a.as_str().to_owned())))
        .collect();
    let afters: Vec<(String, String)> = [AfterClose::Closed, AfterClose::Excluded]
        .iter()
        .map(|a| (a.as_str().to_owned(), ctx.t(&format!("admin.career.after_{}", a.as_str()))))
        .collect();
    let rows: Vec<Value> = (0..count)
        .map(|i| {
            let w = t.windows.get(i);
            let label = |key: &str| format!("{} {}: {}", ctx.t("admin.career.window"), i + 1, ctx.t(&format!("admin.career.{key}")));
            let at = |name: &str| format!("windows[{i}].{name}");
            json!({"number": i + 1, "inputs": [
                f.field_with(&at("from"), &label("from"), Kind::Input("text"), &w.and_then(|w| w.from).map(|d| d.to_string()).unwrap_or_default(), Vec::new()),
                f.field_with(&at("to"), &label("to"), Kind::Input("text"), &w.map(|w| w.to.to_string()).unwrap_or_default(), Vec::new()),
                f.field_with(&at("kind"), &label("kind"), Kind::Select, w.map(|w| kind_name(w.kind)).unwrap_or(""), kinds.clone()),
                f.field_with(&at("late_fee_eur"), &label("late_fee"), Kind::Input("text"), &euros(w.and_then(|w| w.late_fee_eur)), Vec::new()),
                f.field_with(&at("programme"), &label("programme"), Kind::Select, w.and_then(|w| w.cohort.programme).map(Level::as_str).unwrap_or(""), programmes.clone()),
                f.field_with(&at("year"), &label("course_year"), Kind::Input("text"), &w.and_then(|w| w.cohort.year).map(|y| y.to_string()).unwrap_or_default(), Vec::new()),
                f.field_with(&at("access"), &label("access"), Kind::Select, w.and_then(|w| w.cohort.access).map(Access::as_str).unwrap_or(""), accesses.clone()),
                f.field_with(&at("after_close"), &label("after_close"), Kind::Select, w.map(|w| w.after_close.as_str()).unwrap_or("closed"), afters.clone()),
            ]})
        })
        .collect();
    let documents: Vec<String> =
        t.required_documents.iter().map(|d| format!("{}|{}|{}", d.key, d.label.it, d.label.en)).collect();
    let settings = vec![
        f.field("late_fee_eur", "admin.career.late_fee_eur", Kind::Input("text"), &euros(t.late_fee_eur)),
        f.field("active", "admin.career.active", Kind::Checkbox, flag(t.active)),
        f.field("required_documents", "admin.career.documents", Kind::Textarea(4), &documents.join("\n")),
    ];
    let page = json!({"slug": t.slug, "name": t.name(ctx.locale), "rows": rows, "row_count": count, "settings": settings,
                      "error_list": f.summary(), "saved": super::saved(ctx), "year": year.code(), "year_slug": year.slug()});
    ctx.render_status(
        typed.status(),
        "pages/admin_career_type",
        &format!("{} · {}", t.name(ctx.locale), ctx.t("admin.title")),
        page,
    )
}

fn date(errors: &mut Vec<FieldError>, field: String, raw: &str) -> Option<NaiveDate> {
    let parsed = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok();
    if parsed.is_none() {
        errors.push(FieldError::text(field, format!("'{}' is not a date YYYY-MM-DD", raw.trim())));
    }
    parsed
}

fn amount(errors: &mut Vec<FieldError>, field: String, raw: &str) -> Option<Euros> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.replace(',', ".").parse::<f64>().map_err(|e| e.to_string()).and_then(Euros::try_from) {
        Ok(e) => Some(e),
        Err(_) => {
            errors.push(FieldError::text(field, format!("'{raw}' is not an amount in euros like 16.00")));
            None
        }
    }
}

/// The type with the posted windows, late fee, flag and documents; `rows[k]`: the page row
/// of the k-th window.
fn apply(current: &CareerActionType, values: &HashMap<String, String>) -> (CareerActionType, Vec<usize>, Vec<FieldError>) {
    let mut errors = Vec::new();
    let count = posted(values, "rows").parse::<usize>().unwrap_or(0).min(MAX_ROWS);
    let (mut windows, mut rows) = (Vec::new(), Vec::new());
    for i in 0..count {
        let at = |name: &str| format!("windows[{i}].{name}");
        let (from, to, fee) = (posted(values, &at("from")), posted(values, &at("to")), posted(values, &at("late_fee_eur")));
        if from.trim().is_empty() && to.trim().is_empty() && fee.trim().is_empty() {
            continue;
        }
        let from = (!from.trim().is_empty()).then(|| date(&mut errors, at("from"), from)).flatten();
        let to = date(&mut errors, at("to"), to);
        let kind = match posted(values, &at("kind")) {
            "regular" => Some(WindowKind::Regular),
            "late" => Some(WindowKind::Late),
            _ => {
                errors.push(FieldError::text(at("kind"), "choose a kind"));
                None
            }
        };
        let late_fee_eur = amount(&mut errors, at("late_fee_eur"), fee);
        let mut cohort_errors = crate::error::FieldErrors::default();
        let cohort = Cohort::parse(
            &mut cohort_errors,
            &format!("windows[{i}]."),
            Some(posted(values, &at("programme"))),
            Some(posted(values, &at("year"))),
            Some(posted(values, &at("access"))),
        );
        if let Err(ServiceError::Validation(list)) = cohort_errors.into_result() {
            errors.extend(list);
        }
        let after_close = match posted(values, &at("after_close")) {
            "excluded" => AfterClose::Excluded,
            _ => AfterClose::Closed,
        };
        if let (Some(to), Some(kind)) = (to, kind) {
            let note = current.windows.get(i).and_then(|w| w.note.clone());
            windows.push(Window { from, to, kind, late_fee_eur, cohort, after_close, note });
            rows.push(i);
        }
    }
    let mut documents = Vec::new();
    for (n, line) in posted(values, "required_documents").lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        match line.split('|').map(str::trim).collect::<Vec<_>>()[..] {
            [key, it, en] if !key.is_empty() && !it.is_empty() && !en.is_empty() => {
                documents.push(Document { key: key.to_owned(), label: Text { it: it.to_owned(), en: en.to_owned() } })
            }
            _ => errors.push(FieldError::text("required_documents", format!("line {}: write key|label it|label en", n + 1))),
        }
    }
    let edited = CareerActionType {
        windows,
        late_fee_eur: amount(&mut errors, "late_fee_eur".into(), posted(values, "late_fee_eur")),
        active: checked(values, "active"),
        required_documents: documents,
        ..current.clone()
    };
    (edited, rows, errors)
}

pub async fn save(ctx: Ctx, slug: web::Path<String>, form: Posted) -> Page {
    let values = form.into_inner();
    ctx.check_csrf(posted(&values, "csrf"))?;
    let _admin = admin_or_return!(ctx);
    let year = year_of(&ctx);
    let current = find(&ctx, slug.into_inner(), year).await?;
    let (edited, rows, mut errors) = apply(&current, &values);
    let checked = edited.check();
    let result = match (errors.is_empty(), checked) {
        (true, Ok(())) => ctx.state.db.write(move |conn| quote::save_type(conn, &edited, year)).await,
        (_, Ok(())) => Err(ServiceError::Validation(Vec::new())),
        (_, Err(e)) => Err(e),
    };
    match result {
        Ok(()) => Ok(redirect(&format!("/staff/admin/career/{}?year={}&saved=1", current.slug, year.slug()))),
        Err(ServiceError::Validation(list)) => {
            errors.extend(on_rows(list, "windows", &rows));
            render(&ctx, &current, year, &Typed { values, errors })
        }
        Err(e) => Err(ctx.fail(e)),
    }
}
