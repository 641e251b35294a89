//! A ticket as staff work it: the whole thread (internal notes marked), reply or note with
//! files, status / priority / team / assignee, "assign to me", the linked career procedures
//! moved on with a note, the requester's other procedures, and the history. A stale form gets
//! a conflict message, never a silent overwrite.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{history, priority_label, staff_or_return, status_label};
use crate::accounts::User;
use crate::api::privacy::{note_reads, Ticket};
use crate::canned;
use crate::privacy::access::Read;
use crate::career::changes::{self, StatusChange};
use crate::career::instances;
use crate::career::status::CareerStatus;
use crate::console::merge::{self, MergeRequest};
use crate::console::workspace::{self, Workspace};
use crate::domain::{Priority, Status, TicketNumber};
use crate::error::ServiceError;
use crate::db::ticket_rows::MessageKind;
use crate::tickets::update::{self, NewMessage, TicketPatch};
use crate::tickets::view::{EventView, TicketView};
use crate::web::error::{OrPage, WebError};
use crate::web::guest::parse_number;
use crate::web::multipart;
use crate::web::page::{redirect, Ctx};
use crate::web::ticket::status_change_text;
use crate::web::tickets::{category_names, when};
use crate::categories::form::FieldType;
use crate::categories::Category;

type Page = Result<HttpResponse, WebError>;

/// What the page shows again after a refused change.
#[derive(Default)]
pub(super) struct Kept {
    reply: String,
    internal: bool,
    error: Option<String>,
}

impl Kept {
    /// Only a message above the page (a refused action of another form).
    pub(super) fn error(message: String) -> Self {
        Self { error: Some(message), ..Self::default() }
    }
}

#[derive(Deserialize)]
pub struct ShowQuery {
    /// A canned response to start the reply from (rendered for this ticket).
    canned: Option<String>,
}

pub async fn show(ctx: Ctx, path: web::Path<String>, query: web::Query<ShowQuery>) -> Page {
    let user = staff_or_return!(ctx);
    let number = parse_number(&ctx, &path)?;
    let mut kept = Kept::default();
    if let Some(id) = query.into_inner().canned.filter(|id| !id.is_empty()) {
        let (reader, n, base_url) = (user.clone(), number.clone(), ctx.state.settings.base_url.clone());
        let rendered = ctx
            .state
            .db
            .read(move |conn| canned::render_for_ticket(conn, &reader, &n, &id, &base_url))
            .await
            .or_page(ctx.locale)?;
        kept.reply = rendered.body;
    }
    render(&ctx, StatusCode::OK, user, number, kept).await
}

pub(super) async fn render(ctx: &Ctx, status: StatusCode, user: User, number: TicketNumber, kept: Kept) -> Page {
    let locale = ctx.locale;
    let reader = user.clone();
    let Workspace { ticket, events, teams, canned: responses, panel, procedures } =
        ctx.state.db.read(move |conn| workspace::load(conn, &user, &number, locale)).await.or_page(ctx.locale)?;
    // The page shows the ticket and its requester panel: both are reads of the access log.
    let reads = vec![(Read::Ticket, None), (Read::Requester, None)];
    note_reads(&ctx.state, &ctx.req, &reader, Ticket::Id(ticket.id.clone()), reads).await.or_page(ctx.locale)?;
    let names = category_names(ctx).await?;
    let categories = ctx.state.categories().await.or_page(ctx.locale)?;
    let form = categories.iter().find(|c| c.row.slug == ticket.category);
    let shown = crate::web::tickets::all_category_names(ctx).await?.remove(&ticket.category);
    let mut page = page_data(ctx, &ticket, &events, &teams, &procedures, &names, kept);
    if let Some(map) = page.as_object_mut() {
        if let Some(name) = shown {
            map.insert("category".into(), json!(name));
        }
        map.insert("fields".into(), json!(form_answers(ctx, form, &ticket.fields)));
        map.insert("canned".into(), json!(responses.iter().map(|c| json!({"id": c.id, "title": c.title})).collect::<Vec<_>>()));
        // The session's API token, for the page's script that renders a canned response in place.
        let jti = crate::auth::claims_of(&ctx.req, &ctx.state.keys, ctx.secure_cookies()).map(|c| c.jti).unwrap_or_default();
        map.insert("api_csrf".into(), json!(ctx.state.keys.csrf_token(&jti)));
        let others: Vec<Value> = panel
            .tickets
            .iter()
            .map(|o| json!({"number": o.number, "href": format!("/staff/tickets/{}", o.number), "subject": o.subject,
                            "status_label": status_label(ctx, o.status), "updated": when(o.updated_at, ctx.locale)}))
            .collect();
        map.insert("others".into(), json!(others));
    }
    ctx.render_status(status, "pages/staff_ticket", &format!("{} · {}", ticket.number, ticket.subject), page)
}

fn page_data(
    ctx: &Ctx,
    t: &TicketView,
    events: &[EventView],
    teams: &[crate::accounts::Team],
    procedures: &[instances::CareerActionView],
    names: &std::collections::HashMap<String, String>,
    kept: Kept,
) -> Value {
    let locale = ctx.locale;
    let messages: Vec<Value> = t
        .messages
        .iter()
        .flatten()
        .map(|m| {
            json!({
                "id": m.id, "internal": m.kind == MessageKind::Internal, "system": m.kind == MessageKind::System,
                "author": m.author.as_ref().map(|a| a.display_name.clone()).unwrap_or_else(|| ctx.t("ticket.system")),
                "body_html": crate::web::linkify::linkify(&if m.kind == MessageKind::System { status_change_text(ctx, &m.body) } else { m.body.clone() }),
                "when": when(m.created_at, locale),
                "files": m.attachments.iter().map(|a| json!({"href": format!("/api/v1/attachments/{}", a.id), "name": a.filename})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let statuses: Vec<Value> = Status::ALL
        .iter()
        .filter(|s| **s == t.status || t.status.staff_can_move_to(**s))
        .map(|s| json!({"value": s.as_str(), "label": status_label(ctx, *s), "selected": *s == t.status}))
        .collect();
    let priorities: Vec<Value> = Priority::ALL
        .iter()
        .map(|p| json!({"value": p.as_str(), "label": priority_label(ctx, *p), "selected": *p == t.priority}))
        .collect();
    let assignee = t.assignee.as_ref().map(|a| a.id.clone());
    let team = teams.iter().find(|team| team.slug == t.team);
    let assignees: Vec<Value> = team
        .map(|team| {
            team.members
                .iter()
                .map(|m| json!({"id": m.id, "name": m.name, "selected": Some(&m.id) == assignee.as_ref()}))
                .collect()
        })
        .unwrap_or_default();
    let linked: Vec<&str> = t.career_actions.iter().map(|p| p.id.as_str()).collect();
    let procedure_rows: Vec<Value> = procedures
        .iter()
        .map(|p| {
            let targets: Vec<Value> = CareerStatus::ALL
                .iter()
                .filter(|to| p.status.staff_may_move_to(**to))
                .map(|to| json!({"value": to.as_str(), "label": to.label(locale)}))
                .collect();
            json!({
                "id": p.id, "name": p.name, "status_label": p.status.label(locale), "external_ref": p.external_ref,
                "warning": p.warning, "linked": linked.contains(&p.id.as_str()), "targets": targets, "version": p.version,
                "amounts": p.amounts.as_ref().map(|a| changes::amount_lines(a, locale)).unwrap_or_default(),
            })
        })
        .collect();
    let history = history::lines(events, locale);
    let mut categories: Vec<(&String, &String)> = names.iter().collect();
    categories.sort_by(|a, b| a.1.cmp(b.1));
    let mut categories: Vec<Value> =
        categories.iter().map(|(slug, name)| json!({"slug": slug, "name": name, "selected": **slug == t.category})).collect();
    if !names.contains_key(&t.category) {
        // A retired category: still the ticket's, so still offered.
        categories.insert(0, json!({"slug": t.category, "name": t.category, "selected": true}));
    }
    let requester = t.requester.as_ref();
    json!({
        "number": t.number, "subject": t.subject, "version": t.version,
        "status": t.status.as_str(), "status_label": status_label(ctx, t.status),
        "priority": t.priority.as_str(), "priority_label": priority_label(ctx, t.priority),
        "category": names.get(&t.category).cloned().unwrap_or_else(|| t.category.clone()),
        "team": team.map(|team| team.name.clone()).unwrap_or_else(|| t.team.clone()),
        "assignee": t.assignee.as_ref().map(|a| a.display_name.clone()),
        "requester": requester.map(|r| json!({"name": r.display_name, "email": r.email})),
        "opened": when(t.created_at, locale), "updated": when(t.updated_at, locale),
        "first_response_due": t.first_response_due_at.map(|d| when(d, locale)),
        "due": t.due_at.map(|d| when(d, locale)),
        "deadline": t.deadline_at.map(|d| when(d, locale)),
        "erasure": t.erasure_request.as_ref().map(|e| super::erasure::section(ctx, e)),
        "privacy_notice": match t.privacy_notice_version {
            Some(v) => ctx.t("privacy.notice_version").replace("{n}", &v.to_string()),
            None => ctx.t("privacy.notice_none"),
        },
        "messages": messages, "statuses": statuses, "priorities": priorities,
        "categories": categories, "category_slug": t.category, "team_slug": t.team, "assignee_id": assignee.clone().unwrap_or_default(),
        "teams": teams.iter().map(|team| json!({"slug": team.slug, "name": team.name, "selected": team.slug == t.team})).collect::<Vec<_>>(),
        "assignees": assignees, "unassigned": assignee.is_none(),
        "procedures": procedure_rows, "history": history,
        "reply": {"value": kept.reply, "internal": kept.internal}, "error": kept.error,
    })
}

/// The form's answers as the student read the form: its labels and its options' labels, in the
/// form's order, dates as dates; an answer the form no longer asks keeps its key.
fn form_answers(ctx: &Ctx, form: Option<&Category>, answers: &Value) -> Vec<Value> {
    let Some(answers) = answers.as_object() else { return Vec::new() };
    let fields = form.map(|c| c.fields.as_slice()).unwrap_or_default();
    let mut shown: Vec<Value> = Vec::new();
    for field in fields {
        let Some(raw) = answers.get(&field.key).and_then(history::plain_opt).filter(|v| !v.trim().is_empty()) else { continue };
        let value = match field.kind {
            FieldType::Select => field.options.iter().find(|o| o.value == raw).map(|o| o.label.get(ctx.locale).to_owned()).unwrap_or(raw),
            FieldType::Checkbox if matches!(raw.as_str(), "true" | "on") => ctx.t("form.yes"),
            FieldType::Checkbox => ctx.t("admin.no"),
            FieldType::Date => chrono::NaiveDate::parse_from_str(&raw, "%Y-%m-%d").map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or(raw),
            _ => raw,
        };
        shown.push(json!({"key": field.label.get(ctx.locale), "value": value}));
    }
    for (key, value) in answers {
        if fields.iter().all(|f| &f.key != key) {
            if let Some(value) = history::plain_opt(value).filter(|v| !v.trim().is_empty()) {
                shown.push(json!({"key": key, "value": value}));
            }
        }
    }
    shown
}

/// A refused change shown on the page: conflicts and field errors in the reader's language.
pub(super) async fn refused(ctx: &Ctx, user: User, number: TicketNumber, error: ServiceError, kept: Kept) -> Page {
    let (status, message) = match &error {
        ServiceError::Conflict(_) => (StatusCode::CONFLICT, ctx.t("staff.conflict")),
        ServiceError::Validation(list) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            list.iter()
                .map(|e| format!("{}: {}", e.field, crate::web::i18n::field_message(ctx.locale, e)))
                .collect::<Vec<_>>()
                .join(" · "),
        ),
        _ => return Err(ctx.fail(error)),
    };
    render(ctx, status, user, number, Kept { error: Some(message), ..kept }).await
}

/// A reply to the student or an internal note, with files and optionally a new status.
pub async fn reply(ctx: Ctx, path: web::Path<String>, payload: web::Payload) -> Page {
    let data = multipart::read(&ctx.req, payload, &ctx.state, &ctx.csrf).await.map_err(|e| ctx.fail(e))?;
    let user = staff_or_return!(ctx);
    let number = parse_number(&ctx, &path)?;
    let body = data.get("body").to_owned();
    let internal = data.get("internal") == "on";
    let kept = Kept { reply: body.clone(), internal, error: None };
    if let Some((_, message)) = data.file_errors.first() {
        let kept = Kept { error: Some(crate::web::i18n::message(ctx.locale, message)), ..kept };
        return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, user, number, kept).await;
    }
    let status = Status::parse(data.get("status")).ok();
    let input = NewMessage { body, internal, status };
    let (writer, n, base_url, uploads) = (user.clone(), number.clone(), ctx.state.settings.base_url.clone(), data.uploads);
    match ctx.state.db.write(move |conn| update::add_message(conn, &writer, &n, input, &uploads, &base_url)).await {
        Ok(message) => Ok(redirect(&format!("/staff/tickets/{number}#m-{}", message.id))),
        Err(e) => refused(&ctx, user, number, e, kept).await,
    }
}

/// "Usa nel messaggio" without JavaScript: the reply form comes here with its draft, and the
/// page comes back with the chosen response added to it (nothing is sent or saved).
pub async fn insert_canned(ctx: Ctx, path: web::Path<String>, payload: web::Payload) -> Page {
    let data = multipart::read(&ctx.req, payload, &ctx.state, &ctx.csrf).await.map_err(|e| ctx.fail(e))?;
    let user = staff_or_return!(ctx);
    let number = parse_number(&ctx, &path)?;
    let draft = data.get("body").trim_end().to_owned();
    let id = data.get("canned").to_owned();
    let (reader, n, base_url) = (user.clone(), number.clone(), ctx.state.settings.base_url.clone());
    let rendered = ctx.state.db.read(move |conn| canned::render_for_ticket(conn, &reader, &n, &id, &base_url)).await.or_page(ctx.locale)?;
    let reply = if draft.is_empty() { rendered.body } else { format!("{draft}\n\n{}", rendered.body) };
    let kept = Kept { reply, internal: data.get("internal") == "on", error: None };
    render(&ctx, StatusCode::OK, user, number, kept).await
}

#[derive(Deserialize)]
pub struct UpdateForm {
    #[serde(default)]
    csrf: String,
    version: i32,
    status: Option<String>,
    priority: Option<String>,
    /// A category slug.
    category: Option<String>,
    team: Option<String>,
    /// A user id; empty: unassigned.
    assignee: Option<String>,
    /// What the page showed of category, team and assignee: only a value the agent changed is
    /// sent, so a new category brings its own team and a new team leaves its agent behind.
    category_was: Option<String>,
    team_was: Option<String>,
    assignee_was: Option<String>,
    /// `me`: the "assign to me" button.
    #[serde(default)]
    take: Option<String>,
}

/// The form's value if the agent changed it (or the page did not say what it showed).
fn changed(value: Option<String>, was: Option<String>) -> Option<String> {
    value.filter(|v| was.as_ref() != Some(v))
}

/// Status, priority, category, team and assignee in one step, checked against the version the
/// page had.
pub async fn update(ctx: Ctx, path: web::Path<String>, form: web::Form<UpdateForm>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    let user = staff_or_return!(ctx);
    let number = parse_number(&ctx, &path)?;
    let form = form.into_inner();
    let assignee = match (form.take.as_deref(), changed(form.assignee, form.assignee_was)) {
        (Some("me"), _) => Some(Some(user.id.clone())),
        (_, Some(a)) if a.is_empty() => Some(None),
        (_, Some(a)) => Some(Some(a)),
        (_, None) => None,
    };
    let patch = TicketPatch {
        version: form.version,
        status: form.status.as_deref().and_then(|s| Status::parse(s).ok()),
        priority: form.priority.as_deref().and_then(|p| Priority::parse(p).ok()),
        category: changed(form.category, form.category_was).filter(|c| !c.is_empty()),
        team: changed(form.team, form.team_was).filter(|t| !t.is_empty()),
        assignee,
    };
    let (writer, n, base_url) = (user.clone(), number.clone(), ctx.state.settings.base_url.clone());
    match ctx.state.db.write(move |conn| update::patch(conn, &writer, &n, patch, &base_url)).await {
        Ok(_) => Ok(redirect(&format!("/staff/tickets/{number}"))),
        Err(e) => refused(&ctx, user, number, e, Kept::default()).await,
    }
}

#[derive(Deserialize)]
pub struct ProcedureForm {
    #[serde(default)]
    csrf: String,
    status: String,
    #[serde(default)]
    note: String,
    version: i32,
}

/// Moves one of the requester's procedures on, with a note: every linked ticket gets a system
/// message and the student one mail.
pub async fn procedure(ctx: Ctx, path: web::Path<(String, String)>, form: web::Form<ProcedureForm>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    let user = staff_or_return!(ctx);
    let (raw, id) = path.into_inner();
    let number = parse_number(&ctx, &raw)?;
    let form = form.into_inner();
    let change = StatusChange { status: form.status, note: Some(form.note), version: Some(form.version) };
    let (writer, base_url, on) = (user.clone(), ctx.state.settings.base_url.clone(), number.clone());
    let result = ctx
        .state
        .db
        .write(move |conn| crate::db::write_tx(conn, |conn| changes::change_from_ticket(conn, &writer, &on, &id, change, &base_url)))
        .await;
    match result {
        Ok(_) => Ok(redirect(&format!("/staff/tickets/{number}#procedures"))),
        Err(e) => refused(&ctx, user, number, e, Kept::default()).await,
    }
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    csrf: String,
}

/// Links one of the requester's procedures to this ticket (and applies its deadline).
pub async fn link(ctx: Ctx, path: web::Path<(String, String)>, form: web::Form<LinkForm>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    let user = staff_or_return!(ctx);
    let (raw, id) = path.into_inner();
    let number = parse_number(&ctx, &raw)?;
    let (writer, n) = (user.clone(), number.clone());
    let result =
        ctx.state.db.write(move |conn| crate::db::write_tx(conn, |conn| changes::link_by_user(conn, &writer, &n, &id))).await;
    match result {
        Ok(_) => Ok(redirect(&format!("/staff/tickets/{number}#procedures"))),
        Err(e) => refused(&ctx, user, number, e, Kept::default()).await,
    }
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    csrf: String,
    into: String,
    version: i32,
}

/// Merges this ticket into another: the thread moves there and this one closes.
pub async fn merge_into(ctx: Ctx, path: web::Path<String>, form: web::Form<MergeForm>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    let user = staff_or_return!(ctx);
    let number = parse_number(&ctx, &path)?;
    let form = form.into_inner();
    let input = MergeRequest { into: form.into.trim().to_owned(), version: form.version };
    let (writer, n, base_url) = (user.clone(), number.clone(), ctx.state.settings.base_url.clone());
    match ctx.state.db.write(move |conn| merge::merge(conn, &writer, &n, &input, &base_url)).await {
        Ok(target) => Ok(redirect(&format!("/staff/tickets/{}", target.number))),
        Err(e) => refused(&ctx, user, number, e, Kept::default()).await,
    }
}
