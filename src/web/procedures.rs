//! My procedures and bookings: the student's career procedures (status, deadline, linked
//! requests), one procedure's page (data, amounts, documents, history), and the ITA-L2 booking
//! forms of the ticket page.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{OrPage, WebError};
use super::guest::{parse_number, viewer};
use super::page::{encode, local_path, redirect, Ctx};
use super::tickets::when;
use crate::booking::mine::{self, BookingView};
use crate::booking::{self, BookingStatus, Mode, SessionView};
use crate::career::calendar::{State, WindowStatus};
use crate::career::catalog::{self, CareerActionType};
use crate::career::changes::amount_lines;
use crate::career::instances::{self, CareerActionView};
use crate::domain::Locale;
use crate::error::ServiceError;

type Page = Result<HttpResponse, WebError>;

fn day(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The window as one line: "open until …", "any time", or the late/closed warning.
fn deadline_text(ctx: &Ctx, window: &WindowStatus, warning: Option<&str>) -> String {
    match (window.state, window.closes_on, ctx.locale) {
        (State::Open, None, Locale::It) => "Sempre possibile".into(),
        (State::Open, None, Locale::En) => "Any time".into(),
        (State::Open, Some(to), Locale::It) => format!("Presentata nei termini (entro il {})", day(to)),
        (State::Open, Some(to), Locale::En) => format!("Submitted in time (by {})", day(to)),
        _ => warning.unwrap_or_default().to_owned(),
    }
}

fn procedure_row(ctx: &Ctx, p: &CareerActionView) -> Value {
    json!({
        "href": format!("/procedures/{}", p.id), "name": p.name, "external_ref": p.external_ref,
        "status": p.status.as_str(), "status_label": p.status.label(ctx.locale),
        "deadline": deadline_text(ctx, &p.window, p.warning.as_deref()),
        "late": !matches!(p.window.state, State::Open),
        "submitted_on": day(p.submitted_on),
        "tickets": p.tickets.iter().map(|n| json!({"number": n, "href": format!("/tickets/{n}")})).collect::<Vec<_>>(),
    })
}

fn mode_label(ctx: &Ctx, mode: Mode) -> String {
    ctx.t(match mode {
        Mode::Online => "booking.online",
        Mode::InPerson => "booking.in_person",
    })
}

pub fn booking_row(ctx: &Ctx, b: &BookingView, back: &str) -> Value {
    json!({
        "id": b.id, "when": when(b.starts_at, ctx.locale), "mode": mode_label(ctx, b.mode), "location": b.location,
        "confirmed": b.status == BookingStatus::Confirmed, "position": b.position,
        "ticket": b.ticket, "ticket_href": format!("/tickets/{}", b.ticket), "back": back,
    })
}

pub fn session_row(ctx: &Ctx, s: &SessionView) -> Value {
    json!({
        "id": s.id, "when": when(s.starts_at, ctx.locale), "mode": mode_label(ctx, s.mode), "location": s.location,
        "seats_left": s.seats_left, "full": s.seats_left == 0,
    })
}

/// `/procedures`: the signed-in student's procedures and live bookings.
pub async fn list(ctx: Ctx) -> Page {
    let Some(user) = ctx.reader() else {
        return Ok(redirect(&format!("/sign-in?next={}", encode("/procedures"))));
    };
    let (procedures, bookings) = ctx
        .state
        .db
        .read(move |conn| {
            let rows = instances::for_student(conn, &user.id)?;
            let procedures =
                rows.iter().map(|row| instances::view(conn, &user, row)).collect::<Result<Vec<_>, ServiceError>>()?;
            Ok::<_, ServiceError>((procedures, mine::live(conn, Some(&user.id), None)?))
        })
        .await
        .or_page(ctx.locale)?;
    let page = json!({
        "procedures": procedures.iter().map(|p| procedure_row(&ctx, p)).collect::<Vec<_>>(),
        "bookings": bookings.iter().map(|b| booking_row(&ctx, b, "/procedures")).collect::<Vec<_>>(),
    });
    ctx.render("pages/procedures", &ctx.t("procedures.title"), page)
}

/// `/procedures/{id}`: one procedure, the student's own.
pub async fn show(ctx: Ctx, path: web::Path<String>) -> Page {
    let id = path.into_inner();
    let Some(user) = ctx.reader() else {
        return Ok(redirect(&format!("/sign-in?next={}", encode(&format!("/procedures/{id}")))));
    };
    let (view, kind) = ctx
        .state
        .db
        .read(move |conn| {
            let row = instances::visible(conn, &user, &id)?;
            let kind = catalog::by_slug(conn, &row.type_slug)?;
            Ok::<_, ServiceError>((instances::view(conn, &user, &row)?, kind))
        })
        .await
        .or_page(ctx.locale)?;
    let page = procedure_page(&ctx, &view, kind.as_ref());
    ctx.render("pages/procedure", &view.name, page)
}

fn procedure_page(ctx: &Ctx, p: &CareerActionView, kind: Option<&CareerActionType>) -> Value {
    let locale = ctx.locale;
    let label_of = |key: &str| {
        kind.and_then(|k| k.fields.iter().find(|f| f.key == key))
            .map(|f| f.label.get(locale).to_owned())
            .unwrap_or_else(|| key.to_owned())
    };
    let data: Vec<Value> = p
        .data
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => return None,
                    };
                    Some(json!({"label": label_of(k), "value": text}))
                })
                .collect()
        })
        .unwrap_or_default();
    let history: Vec<Value> = p
        .history
        .iter()
        .map(|h| {
            let by = ctx.t(&format!("procedures.by_{}", h.source));
            let what = match h.from {
                None => format!("{} · {}", ctx.t("procedures.started"), h.to.label(locale)),
                Some(from) => format!("{} → {}", from.label(locale), h.to.label(locale)),
            };
            json!({"when": when(h.created_at, locale), "what": what, "by": by, "note": h.note})
        })
        .collect();
    let mut row = procedure_row(ctx, p);
    if let Some(map) = row.as_object_mut() {
        map.insert("guide_section".into(), json!(p.guide_section));
        map.insert("amounts".into(), json!(p.amounts.as_ref().map(|a| amount_lines(a, locale)).unwrap_or_default()));
        map.insert("data".into(), json!(data));
        map.insert("history".into(), json!(history));
        map.insert("warning".into(), json!(p.warning));
        let documents: Vec<String> =
            kind.map(|k| k.required_documents.iter().map(|d| d.label.get(locale).to_owned()).collect()).unwrap_or_default();
        map.insert("documents".into(), json!(documents));
        let fees: Vec<String> = kind
            .map(|k| {
                k.fees.iter().map(|f| format!("{}: € {:.2}", f.label.get(locale), f64::from(f.eur)).replace('.', ",")).collect()
            })
            .unwrap_or_default();
        map.insert("fees".into(), json!(fees));
        let category = kind.and_then(|k| k.category.clone());
        map.insert("new_ticket_href".into(), json!(category.map(|c| format!("/tickets/new?category={c}"))));
    }
    row
}

#[derive(Deserialize)]
pub struct BookForm {
    #[serde(default)]
    csrf: String,
    session: String,
}

/// Books a session from an `ita-l2` ticket's page (students and guests through their link).
pub async fn book(ctx: Ctx, path: web::Path<String>, form: web::Form<BookForm>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    let number = parse_number(&ctx, &path)?;
    let Some((user, _)) = viewer(&ctx, &number).await? else {
        return Ok(redirect(&format!("/sign-in?next={}", encode(&format!("/tickets/{number}")))));
    };
    let (session, n, base_url) = (form.into_inner().session, number.to_string(), ctx.state.settings.base_url.clone());
    ctx.state.db.write(move |conn| booking::book(conn, &user, &session, &n, &base_url)).await.or_page(ctx.locale)?;
    Ok(redirect(&format!("/tickets/{number}#booking")))
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    csrf: String,
    ticket: String,
    #[serde(default)]
    back: Option<String>,
}

/// Cancels a booking (from the ticket page or the list); the freed seat goes to the waitlist.
pub async fn cancel(ctx: Ctx, path: web::Path<String>, form: web::Form<CancelForm>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let number = parse_number(&ctx, &form.ticket)?;
    let Some((user, _)) = viewer(&ctx, &number).await? else {
        return Ok(redirect(&format!("/sign-in?next={}", encode(&format!("/tickets/{number}")))));
    };
    let (id, base_url) = (path.into_inner(), ctx.state.settings.base_url.clone());
    ctx.state.db.write(move |conn| booking::cancel(conn, &user, &id, &base_url)).await.or_page(ctx.locale)?;
    let back = form.back.map(|b| local_path(Some(&b))).unwrap_or_else(|| format!("/tickets/{number}#booking"));
    Ok(redirect(&back))
}
