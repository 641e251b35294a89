//! `/staff/admin/calendar`: the academic years (published or draft), copying a year one year
//! later as a draft, publishing it, and the places where the guide contradicts itself and
//! which reading the desk follows.

use serde_json::{json, Value};

use super::{posted, Fields, Page, Posted, Typed};
use crate::career::calendar::{self, AcademicYear, YearCalendar, YearStatus};
use crate::career::instances::today;
use crate::career::rules;
use crate::error::{FieldError, ServiceError};
use crate::web::error::OrPage;
use crate::web::form_view::Kind;
use crate::web::page::{redirect, Ctx};
use crate::web::staff::admin_or_return;

fn day(ctx: &Ctx, d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| crate::web::i18n::long_date(ctx.locale, d)).unwrap_or_else(|| "—".into())
}

fn year_row(ctx: &Ctx, y: &YearCalendar) -> Value {
    let windows: usize = y.types.iter().map(|t| t.windows.len()).sum();
    let d = &y.dates;
    json!({
        "code": y.academic_year.code(), "slug": y.academic_year.slug(),
        "status": ctx.t(&format!("admin.calendar.{}", y.status.as_str())),
        "draft": y.status == YearStatus::Draft,
        "copied_from": y.copied_from.map(AcademicYear::code),
        "windows": windows,
        "dates": [
            format!("{}: {}", ctx.t("admin.calendar.renewal_due"), day(ctx, d.renewal_due)),
            format!("{}: {}", ctx.t("admin.calendar.first_instalment_due"), day(ctx, d.first_instalment_due)),
            format!("{}: {}", ctx.t("admin.calendar.second_instalment_due"), day(ctx, d.second_instalment_due)),
            format!("{}: {}", ctx.t("admin.calendar.iseeu_due"), day(ctx, d.iseeu_due)),
            format!("{}: {}", ctx.t("admin.calendar.iseeu_late_until"), day(ctx, d.iseeu_late_until)),
        ],
    })
}

fn render(ctx: &Ctx, years: &[YearCalendar], typed: &Typed) -> Page {
    let f = Fields::new(ctx, Some(typed), "cal-");
    let latest = years.iter().map(|y| y.academic_year).max().unwrap_or_else(|| AcademicYear::of(today()));
    let options: Vec<(String, String)> = years.iter().map(|y| (y.academic_year.code(), y.academic_year.code())).collect();
    let inputs = vec![
        f.field_with("from", &ctx.t("admin.calendar.from"), Kind::Select, &latest.code(), options),
        f.field_with("to", &ctx.t("admin.calendar.to"), Kind::Input("text"), &latest.next().code(), Vec::new()),
    ];
    let unpublished: Vec<String> =
        calendar::unpublished_soon(&calendar::Calendar::from_years(years), today()).iter().map(|y| y.code()).collect();
    let conflicts: Vec<Value> = rules::GUIDE_CONFLICTS
        .iter()
        .map(|c| json!({"topic": c.topic.get(ctx.locale), "guide": c.sentences, "followed": c.followed.get(ctx.locale)}))
        .collect();
    let page = json!({
        "years": years.iter().map(|y| year_row(ctx, y)).collect::<Vec<_>>(),
        "inputs": inputs, "error_list": f.summary(), "saved": super::saved(ctx),
        "unpublished": unpublished, "conflicts": conflicts,
    });
    ctx.render_status(typed.status(), "pages/admin_calendar", &ctx.t("admin.calendar.title"), page)
}

pub async fn show(ctx: Ctx) -> Page {
    let _admin = admin_or_return!(ctx);
    let years = ctx.state.db.read(calendar::load_years).await.or_page(ctx.locale)?;
    render(&ctx, &years, &Typed::default())
}

fn year_field(errors: &mut Vec<FieldError>, field: &str, raw: &str) -> Option<AcademicYear> {
    match AcademicYear::parse(raw) {
        Ok(y) => Some(y),
        Err(message) => {
            errors.push(FieldError::text(field, message));
            None
        }
    }
}

/// `POST /staff/admin/calendar/copy`: a draft one year on.
pub async fn copy(ctx: Ctx, form: Posted) -> Page {
    let values = form.into_inner();
    ctx.check_csrf(posted(&values, "csrf"))?;
    let _admin = admin_or_return!(ctx);
    let mut errors = Vec::new();
    let from = year_field(&mut errors, "from", posted(&values, "from"));
    let to = year_field(&mut errors, "to", posted(&values, "to"));
    let result = match (from, to) {
        (Some(from), Some(to)) => ctx.state.db.write(move |conn| calendar::copy(conn, from, to)).await.map(|_| ()),
        _ => Err(ServiceError::Validation(errors)),
    };
    match result {
        Ok(()) => Ok(redirect("/staff/admin/calendar?saved=1")),
        Err(e) => {
            let typed = Typed::refused(values, e).map_err(|e| ctx.fail(e))?;
            let years = ctx.state.db.read(calendar::load_years).await.or_page(ctx.locale)?;
            render(&ctx, &years, &typed)
        }
    }
}

/// `POST /staff/admin/calendar/publish`: the year goes live.
pub async fn publish(ctx: Ctx, form: Posted) -> Page {
    let values = form.into_inner();
    ctx.check_csrf(posted(&values, "csrf"))?;
    let _admin = admin_or_return!(ctx);
    let year = AcademicYear::parse(posted(&values, "year")).map_err(|e| ctx.fail(ServiceError::field("year", e)))?;
    ctx.state.db.write(move |conn| calendar::publish(conn, year)).await.or_page(ctx.locale)?;
    Ok(redirect("/staff/admin/calendar?saved=1"))
}
