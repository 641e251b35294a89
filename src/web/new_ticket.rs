//! Opening a ticket: the category picker, then the category's form rendered from its data;
//! per-field errors that keep what was typed; the number and what happens next on success.
//! Guests (no account) may open the categories that allow them, with name and e-mail.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::error::{OrPage, WebError};
use super::kept_files;
use super::form_view::{category_fields, error_list, procedure_fields, Field, FormState, Kind};
use super::multipart::{self, FormData};
use super::page::{encode, redirect, Ctx};
use crate::career::catalog::{self as career_catalog, CareerActionType};
use crate::career::instances::NewCareerAction;
use crate::categories::{self, Category};
use crate::domain::TicketNumber;
use crate::error::{FieldError, ServiceError};
use crate::tickets::query as reading;
use crate::tickets::open::{self as opening, GuestInput, NewTicket, CAREER_ACTION_FIELD};

type Page = Result<HttpResponse, WebError>;

#[derive(Deserialize)]
pub struct Pick {
    category: Option<String>,
    /// The career procedure whose own fields the form shows (a choice of `career_action`).
    procedure: Option<String>,
}

/// The active procedure type `slug` if the category offers it in its `career_action` choice.
async fn offered_procedure(ctx: &Ctx, category: &Category, slug: &str) -> Result<Option<CareerActionType>, WebError> {
    let offered = category
        .fields
        .iter()
        .any(|f| f.key == CAREER_ACTION_FIELD && f.options.iter().any(|o| o.value == slug.trim()));
    if !offered {
        return Ok(None);
    }
    let slug = slug.trim().to_owned();
    let found = ctx.state.db.read(move |conn| career_catalog::by_slug(conn, &slug)).await.or_page(ctx.locale)?;
    Ok(found.filter(|t| t.active))
}

async fn find(ctx: &Ctx, slug: &str) -> Result<Option<Category>, WebError> {
    let slug = slug.trim().to_owned();
    ctx.state.db.read(move |conn| categories::by_slug(conn, &slug)).await.or_page(ctx.locale)
}

pub async fn form(ctx: Ctx, q: web::Query<Pick>) -> Page {
    let Some(slug) = q.category.as_deref().filter(|s| !s.is_empty()) else {
        return pick(&ctx).await;
    };
    let category = find(&ctx, slug).await?.ok_or_else(|| WebError::not_found(ctx.locale))?;
    let procedure = match q.procedure.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => offered_procedure(&ctx, &category, p).await?,
        None => None,
    };
    let mut state = FormState::default();
    if let Some(p) = &procedure {
        state.values.insert(format!("f.{CAREER_ACTION_FIELD}"), p.slug.clone());
    }
    let deadline = diploma_deadline(&ctx, &category).await?;
    show_form_with(&ctx, StatusCode::OK, &category, procedure.as_ref(), &state, deadline)
}

async fn pick(ctx: &Ctx) -> Page {
    let list = ctx.state.db.read(categories::list).await.or_page(ctx.locale)?;
    let items: Vec<Value> = list
        .iter()
        .map(|c| json!({"name": c.name(ctx.locale), "description": c.view(ctx.locale).description,
                        "href": format!("/tickets/new?category={}", c.row.slug), "guests": c.row.guests_allowed}))
        .collect();
    ctx.render("pages/new_pick", &ctx.t("new.pick_title"), json!({"categories": items}))
}

fn text_field<'a>(ctx: &Ctx, state: &'a FormState, path: &str, label: &str, help: Option<&str>, kind: Kind, autocomplete: Option<&'static str>) -> Field<'a> {
    let name = path.replace('.', "_");
    Field {
        id: path.replace('.', "-"),
        value: state.value(&name),
        name,
        label: ctx.t(label),
        help: help.map(|h| ctx.t(h)),
        required: true,
        kind,
        error: state.error(ctx.locale, path),
        options: Vec::new(),
        autocomplete,
    }
}

/// For a form that asks whether the applicant needs a visa (the international office's): the
/// diploma-copy deadline of the academic year enrolment concerns today, from the calendar.
async fn diploma_deadline(ctx: &Ctx, category: &Category) -> Result<Option<String>, WebError> {
    if !category.fields.iter().any(|f| f.key == "applicant") {
        return Ok(None);
    }
    let calendar = ctx.state.db.read(crate::career::calendar::load).await.or_page(ctx.locale)?;
    let today = crate::career::instances::today();
    let year = calendar.status("immatricolazione", today, &Default::default()).academic_year;
    let text = match calendar.dates(year).and_then(|d| d.tolc_due) {
        Some(due) => ctx.t("new.diploma_deadline").replace("{date}", &due.format("%d/%m/%Y").to_string()),
        None => ctx.t("new.diploma_deadline_unpublished"),
    };
    Ok(Some(text.replace("{year}", &year.code())))
}

fn show_form(ctx: &Ctx, status: StatusCode, category: &Category, procedure: Option<&CareerActionType>, state: &FormState) -> Page {
    show_form_with(ctx, status, category, procedure, state, None)
}

fn show_form_with(
    ctx: &Ctx,
    status: StatusCode,
    category: &Category,
    procedure: Option<&CareerActionType>,
    state: &FormState,
    deadline: Option<String>,
) -> Page {
    let guest = ctx.user.is_none();
    if guest && !category.row.guests_allowed {
        let next = encode(&format!("/tickets/new?category={}", category.row.slug));
        let page = json!({"category": category.name(ctx.locale), "next": next});
        return ctx.render_status(StatusCode::OK, "pages/new_sign_in", &ctx.t("new.title"), page);
    }
    let guest_fields = if guest {
        vec![
            text_field(ctx, state, "guest.name", "new.guest_name", None, Kind::Input("text"), Some("name")),
            text_field(ctx, state, "guest.email", "new.guest_email", None, Kind::Input("email"), Some("email")),
        ]
    } else {
        Vec::new()
    };
    let subject = text_field(ctx, state, "subject", "new.subject", Some("new.subject_help"), Kind::Input("text"), Some("off"));
    let body = text_field(ctx, state, "body", "new.body", Some("new.body_help"), Kind::Textarea(8), None);
    let own = category_fields(category, ctx.locale, state);
    let own_procedure = procedure.map(|p| procedure_fields(&p.fields, ctx.locale, state)).unwrap_or_default();
    // The procedures the category offers, to show one's own fields (a GET form: no JavaScript).
    let procedure_choice: Vec<Value> = category
        .fields
        .iter()
        .filter(|f| f.key == CAREER_ACTION_FIELD)
        .flat_map(|f| f.options.iter())
        .map(|o| json!({"value": o.value, "label": o.label.get(ctx.locale), "selected": procedure.is_some_and(|p| p.slug == o.value)}))
        .collect();
    let documents: Vec<Field> = category
        .required_attachments
        .iter()
        .map(|a| Field {
            id: format!("a-{}", a.key),
            name: a.key.clone(),
            label: a.label.get(ctx.locale).to_owned(),
            help: (!a.required_when.is_empty()).then(|| ctx.t("form.required_in_some_cases")),
            required: a.required_when.is_empty(),
            kind: Kind::File { multiple: false },
            value: "",
            error: state.error(ctx.locale, &format!("attachments.{}", a.key)),
            options: Vec::new(),
            autocomplete: None,
        })
        .collect();
    let files = Field {
        id: "files".into(),
        name: "files".into(),
        label: ctx.t("new.files"),
        help: Some(ctx.t("new.files_help")),
        required: false,
        kind: Kind::File { multiple: true },
        value: "",
        error: state.error(ctx.locale, "files"),
        options: Vec::new(),
        autocomplete: None,
    };
    let all = guest_fields
        .iter()
        .chain([&subject, &body])
        .chain(own.iter())
        .chain(own_procedure.iter())
        .chain(documents.iter())
        .chain([&files]);
    let mut labels: HashMap<String, String> = all.map(|f| (f.id.clone(), f.label.clone())).collect();
    labels.insert(opening::NOTICE_FIELD.to_owned(), ctx.t("privacy.notice_ack"));
    let json = |fields: &[Field]| fields.iter().map(Field::to_json).collect::<Vec<Value>>();
    // A file chosen in an earlier try is shown as already attached (and no longer required).
    let with_kept = |fields: &[Field]| {
        fields
            .iter()
            .map(|f| {
                let mut value = f.to_json();
                let kept: Vec<&Value> = state.kept.iter().filter(|(name, _)| *name == f.name).map(|(_, k)| k).collect();
                if !kept.is_empty() {
                    value["required"] = json!(false);
                    value["kept"] = json!(kept);
                }
                value
            })
            .collect::<Vec<Value>>()
    };
    let page = json!({
        "slug": category.row.slug,
        "category": category.name(ctx.locale),
        "description": category.view(ctx.locale).description,
        "guest_fields": json(&guest_fields),
        "subject": subject.to_json(),
        "kb_href": format!("/kb?from={}&q={}", super::kb::FROM_NEW_TICKET, encode(subject.value)),
        "kb_from": super::kb::FROM_NEW_TICKET,
        "body": body.to_json(),
        "fields": json(&own),
        "deadline": deadline,
        "procedure_choice": procedure_choice,
        "procedure": procedure.map(|p| json!({"name": p.name(ctx.locale), "slug": p.slug, "fields": json(&own_procedure),
            "href": format!("/tickets/new?category={}", category.row.slug)})),
        "documents": with_kept(&documents),
        "files": with_kept(std::slice::from_ref(&files)).pop(),
        "error_list": error_list(ctx.locale, &state.errors, &labels),
        "had_errors": !state.errors.is_empty(),
        "had_kept": !state.kept.is_empty(),
        "notice": category.notice.as_ref().map(|n| notice_json(ctx, n, state)),
    });
    let title = format!("{} - {}", ctx.t("new.title"), category.name(ctx.locale));
    ctx.render_status(status, "pages/new_ticket", &title, page)
}

/// The category's privacy notice, collapsed, and the checkbox that acknowledges its version
/// (ticked again when the form comes back with other errors).
fn notice_json(ctx: &Ctx, notice: &categories::Notice, state: &FormState) -> Value {
    let version = notice.version.to_string();
    let paragraphs: Vec<&str> = notice.text.get(ctx.locale).split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect();
    json!({
        "version": version,
        "version_label": ctx.t("privacy.notice_version").replace("{n}", &version),
        "paragraphs": paragraphs,
        "error": state.error(ctx.locale, opening::NOTICE_FIELD),
        "checked": state.value(opening::NOTICE_FIELD) == version,
    })
}

/// The form's answers as the service takes them: `f.<key>` parts become `fields.<key>`, the
/// chosen procedure's `p.<key>` parts its data.
fn to_input(data: &FormData, category: &Category, procedure: Option<&CareerActionType>, guest: bool, ctx: &Ctx) -> NewTicket {
    let mut answers = Map::new();
    for field in &category.fields {
        if let Some(value) = data.text.get(&format!("f.{}", field.key)) {
            answers.insert(field.key.clone(), Value::String(value.clone()));
        }
    }
    let career_action = procedure.map(|p| {
        let mut answers = Map::new();
        for field in &p.fields {
            if let Some(value) = data.text.get(&format!("p.{}", field.key)).filter(|v| !v.trim().is_empty()) {
                answers.insert(field.key.clone(), Value::String(value.clone()));
            }
        }
        NewCareerAction { kind: p.slug.clone(), data: Some(Value::Object(answers)), external_ref: None }
    });
    NewTicket {
        category: category.row.slug.clone(),
        subject: data.get("subject").to_owned(),
        body: data.get("body").to_owned(),
        fields: Value::Object(answers),
        locale: Some(ctx.locale),
        career_action,
        guest: guest.then(|| GuestInput { email: data.get("guest_email").to_owned(), name: data.get("guest_name").to_owned() }),
        // The ticked checkbox carries the version the page showed.
        privacy_notice_version: data.text.get(opening::NOTICE_FIELD).and_then(|v| v.trim().parse().ok()),
    }
}

pub async fn submit(ctx: Ctx, payload: web::Payload) -> Page {
    let mut data = multipart::read(&ctx.req, payload, &ctx.state, &ctx.csrf).await.or_page(ctx.locale)?;
    kept_files::restore(&ctx, &mut data);
    let category = find(&ctx, data.get("category")).await?.ok_or_else(|| WebError::not_found(ctx.locale))?;
    let guest = ctx.user.is_none();
    if guest {
        ctx.limit("guest-ticket")?;
    }
    let state = FormState { values: data.text.clone(), ..Default::default() };
    let file_errors: Vec<FieldError> = data
        .file_errors
        .iter()
        .map(|(name, message)| FieldError::text(if name == "files" { name.clone() } else { format!("attachments.{name}") }, *message))
        .collect();
    let chosen = data.get(&format!("f.{CAREER_ACTION_FIELD}")).to_owned();
    let procedure = match chosen.trim() {
        "" => None,
        slug => offered_procedure(&ctx, &category, slug).await?,
    };
    let input = to_input(&data, &category, procedure.as_ref(), guest, &ctx);
    // Shown again as already attached if the form comes back with errors.
    let stored = data.uploads.clone();
    let request = opening::Request { input, user: ctx.user.clone(), uploads: data.uploads, errors: file_errors };
    let categories = ctx.state.categories().await.or_page(ctx.locale)?;
    let opened = match opening::open(&ctx.state.db, &categories, request, &(&*ctx.state.settings).into()).await {
        Ok(opened) => opened,
        Err(ServiceError::Validation(list)) => {
            let errors = list.into_iter().map(procedure_error).collect();
            let state = FormState { errors, kept: kept_files::to_show(&ctx, &stored), ..state };
            return show_form(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &category, procedure.as_ref(), &state);
        }
        Err(other) => return Err(ctx.fail(other)),
    };
    // Post/redirect/get: a refresh of the next page shows it again, it never files twice.
    let number = opened.ticket.number.to_string();
    Ok(redirect(&format!("/tickets/new/sent?n={number}&k={}", sent_token(&ctx, &number))))
}

/// Proves that this browser (or session) opened ticket `number`: the "request sent" page shows
/// it to nobody else.
fn sent_token(ctx: &Ctx, number: &str) -> String {
    ctx.state.keys.mac().token("ticket-sent", &[number, &ctx.csrf])
}

#[derive(Deserialize)]
pub struct Sent {
    n: String,
    k: String,
}

/// "Richiesta inviata": the number and what happens next, after the form's redirect.
pub async fn sent(ctx: Ctx, q: web::Query<Sent>) -> Page {
    let number = TicketNumber::parse_any_case(&q.n).map_err(|_| WebError::not_found(ctx.locale))?;
    if !crate::auth::mac::same(&sent_token(&ctx, &number.to_string()), &q.k) {
        return Err(WebError::not_found(ctx.locale));
    }
    let locale = ctx.locale;
    let receipt = ctx.state.db.read(move |conn| reading::receipt(conn, &number, locale)).await.or_page(ctx.locale)?;
    let list = ctx.state.db.read(categories::list).await.or_page(ctx.locale)?;
    let category = list.iter().find(|c| c.row.id == receipt.category_id).map(|c| c.name(ctx.locale).to_owned()).unwrap_or_default();
    let page = json!({
        "number": receipt.number,
        "guest": receipt.unverified,
        "href": format!("/tickets/{}", receipt.number),
        "category": category,
        // Outside its window the request is accepted: the student reads the late fee here, and
        // that the desk opened a procedure to follow the request, not the application itself.
        "procedures": receipt.career_actions.iter()
            .map(|p| json!({"name": p.name, "warning": p.warning, "href": format!("/procedures/{}", p.id),
                            "amounts": p.amounts.as_ref().map(|a| crate::career::changes::amount_lines(a, ctx.locale)).unwrap_or_default()}))
            .collect::<Vec<_>>(),
    });
    ctx.render("pages/new_created", &ctx.t("new.created_title"), page)
}

/// The procedure's rule errors (`data.courses`) on the procedure's own fields.
fn procedure_error(e: FieldError) -> FieldError {
    match e.field.strip_prefix("data.") {
        Some(rest) => FieldError { field: format!("career_action.data.{rest}"), ..e },
        None => e,
    }
}
