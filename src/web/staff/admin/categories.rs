//! `/staff/admin/categories`: the categories, and one category's page with its settings and
//! its form as rows (a changed form is saved as the category's next version).

use std::collections::HashMap;

use actix_web::web;
use serde_json::{json, Value};

use super::{checked, flag, on_rows, posted, row_count, Fields, Page, Posted, Typed};
use crate::accounts::teams_with_members;
use crate::categories::admin::{self as edit, CategoryEdit};
use crate::categories::form::{FieldOption, FieldType, FormField, RequiredAttachment, Text};
use crate::categories::{self, Category};
use crate::error::{FieldError, FieldErrors, ServiceError};
use crate::web::error::{OrPage, WebError};
use crate::web::form_view::Kind;
use crate::web::page::{redirect, Ctx};
use crate::web::staff::admin_or_return;

const TYPES: [(FieldType, &str); 8] = [
    (FieldType::Text, "text"),
    (FieldType::Textarea, "textarea"),
    (FieldType::Select, "select"),
    (FieldType::Date, "date"),
    (FieldType::Email, "email"),
    (FieldType::Checkbox, "checkbox"),
    (FieldType::CodiceFiscale, "codice_fiscale"),
    (FieldType::Matricola, "matricola"),
];

/// Empty rows offered under a form's fields, to add new ones.
const BLANK_ROWS: usize = 2;

pub async fn list(ctx: Ctx) -> Page {
    let _admin = admin_or_return!(ctx);
    let locale = ctx.locale;
    let (all, teams) = ctx
        .state
        .db
        .read(move |conn| Ok::<_, ServiceError>((categories::list_all(conn)?, teams_with_members(conn, locale)?)))
        .await
        .or_page(ctx.locale)?;
    let team_name = |slug: &str| teams.iter().find(|t| t.slug == slug).map_or_else(|| slug.to_owned(), |t| t.name.clone());
    let rows: Vec<Value> = all
        .iter()
        .map(|c| {
            json!({"slug": c.row.slug, "name": c.name(ctx.locale), "team": team_name(&c.team_slug), "active": c.row.active,
                   "version": c.form_version, "fields": c.fields.len(), "guests": c.row.guests_allowed})
        })
        .collect();
    ctx.render("pages/admin_categories", &ctx.t("admin.categories.title"), json!({"categories": rows}))
}

pub async fn show(ctx: Ctx, slug: web::Path<String>) -> Page {
    let _admin = admin_or_return!(ctx);
    let category = find(&ctx, slug.into_inner()).await?;
    render(&ctx, &category, &Typed::default()).await
}

async fn find(ctx: &Ctx, slug: String) -> Result<Category, WebError> {
    let found = ctx.state.db.read(move |conn| categories::any_by_slug(conn, &slug)).await.or_page(ctx.locale)?;
    found.ok_or_else(|| WebError::not_found(ctx.locale))
}

fn options_text(options: &[FieldOption]) -> String {
    options.iter().map(|o| format!("{}|{}|{}", o.value, o.label.it, o.label.en)).collect::<Vec<_>>().join("\n")
}

fn attachments_text(list: &[RequiredAttachment]) -> String {
    list.iter()
        .map(|a| format!("{}|{}|{}{}", a.key, a.label.it, a.label.en, if a.identity_document { "|id" } else { "" }))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn render(ctx: &Ctx, c: &Category, typed: &Typed) -> Page {
    let locale = ctx.locale;
    let slug = c.row.slug.clone();
    let (teams, retention) = ctx
        .state
        .db
        .read(move |conn| {
            let retention = crate::privacy::retention::periods(conn)?.remove(&slug).map(|(_, r)| r).unwrap_or_default();
            Ok::<_, ServiceError>((teams_with_members(conn, locale)?, retention))
        })
        .await
        .or_page(ctx.locale)?;
    let f = Fields::new(ctx, Some(typed), "c-");
    let r = &c.row;
    let team_options = teams.iter().map(|t| (t.slug.clone(), t.name.clone())).collect();
    let settings = vec![
        f.field("name.it", "admin.categories.name_it", Kind::Input("text"), &r.name_it),
        f.field("name.en", "admin.categories.name_en", Kind::Input("text"), &r.name_en),
        f.field("description.it", "admin.categories.description_it", Kind::Textarea(3), &r.description_it),
        f.field("description.en", "admin.categories.description_en", Kind::Textarea(3), &r.description_en),
        f.select("team", "admin.categories.team", &c.team_slug, team_options),
        f.field(
            "first_response_hours",
            "admin.categories.first_response_hours",
            Kind::Input("number"),
            &r.first_response_hours.to_string(),
        ),
        f.field("resolution_hours", "admin.categories.resolution_hours", Kind::Input("number"), &r.resolution_hours.to_string()),
        f.field("guests_allowed", "admin.categories.guests_allowed", Kind::Checkbox, flag(r.guests_allowed)),
        f.field("active", "admin.categories.active", Kind::Checkbox, flag(r.active)),
        f.field("retention_days", "privacy.retention_days", Kind::Input("number"), &retention.retention_days.to_string()),
        f.field(
            "identity_documents_days",
            "privacy.identity_documents_days",
            Kind::Input("number"),
            &retention.identity_documents_days.map(|d| d.to_string()).unwrap_or_default(),
        ),
    ];
    let count = row_count(typed, c.fields.len(), BLANK_ROWS, edit_limit());
    let type_options: Vec<(String, String)> =
        TYPES.iter().map(|(_, name)| (name.to_string(), ctx.t(&format!("admin.categories.types.{name}")))).collect();
    let rows: Vec<Value> = (0..count)
        .map(|i| {
            let stored = c.fields.get(i);
            let text = |get: fn(&FormField) -> Option<&Text>, it: bool| {
                stored.and_then(get).map(|t| if it { t.it.clone() } else { t.en.clone() }).unwrap_or_default()
            };
            let label = |key: &str| format!("{} {}: {}", ctx.t("admin.categories.field"), i + 1, ctx.t(&format!("admin.categories.{key}")));
            let at = |name: &str| format!("fields[{i}].{name}");
            let kind = stored.and_then(|s| TYPES.iter().find(|(k, _)| *k == s.kind)).map(|(_, n)| *n).unwrap_or("");
            json!({
                "number": i + 1,
                "inputs": [
                    f.field_with(&at("key"), &label("key"), Kind::Input("text"), stored.map(|s| s.key.as_str()).unwrap_or(""), Vec::new()),
                    f.field_with(&at("type"), &label("type"), Kind::Select, kind, type_options.clone()),
                    f.field_with(&at("label.it"), &label("label_it"), Kind::Input("text"), &text(|s| Some(&s.label), true), Vec::new()),
                    f.field_with(&at("label.en"), &label("label_en"), Kind::Input("text"), &text(|s| Some(&s.label), false), Vec::new()),
                    f.field_with(&at("required"), &label("required"), Kind::Checkbox, flag(stored.is_some_and(|s| s.required)), Vec::new()),
                    f.field_with(&at("options"), &label("options"), Kind::Textarea(3), &stored.map(|s| options_text(&s.options)).unwrap_or_default(), Vec::new()),
                    f.field_with(&at("help.it"), &label("help_it"), Kind::Input("text"), &text(|s| s.help.as_ref(), true), Vec::new()),
                    f.field_with(&at("help.en"), &label("help_en"), Kind::Input("text"), &text(|s| s.help.as_ref(), false), Vec::new()),
                ],
            })
        })
        .collect();
    let attachments = f.field(
        "required_attachments",
        "admin.categories.attachments",
        Kind::Textarea(4),
        &attachments_text(&c.required_attachments),
    );
    let notice_text = |get: fn(&Text) -> &String| c.notice.as_ref().map(|n| get(&n.text).clone()).unwrap_or_default();
    let notice = vec![
        f.field("privacy_notice.it", "privacy.notice_it", Kind::Textarea(10), &notice_text(|t| &t.it)),
        f.field("privacy_notice.en", "privacy.notice_en", Kind::Textarea(10), &notice_text(|t| &t.en)),
    ];
    let notice_current = c.notice.as_ref().map(|n| ctx.t("privacy.notice_current").replace("{n}", &n.version.to_string()));
    let page = json!({
        "slug": r.slug, "name": c.name(ctx.locale), "version": c.form_version,
        "notice": notice, "notice_current": notice_current,
        "settings": settings, "rows": rows, "row_count": count, "attachments": attachments,
        "error_list": f.summary(), "saved": super::saved(ctx),
    });
    ctx.render_status(typed.status(), "pages/admin_category", &format!("{} · {}", c.name(ctx.locale), ctx.t("admin.title")), page)
}

/// The most rows a posted form may ask for.
fn edit_limit() -> usize {
    60
}

/// Lines `a|b|c[|d]` of a textarea; a line with too few parts is an error on `field`.
fn lines(raw: &str, min: usize, errors: &mut FieldErrors, field: &str) -> Vec<Vec<String>> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .filter_map(|(n, line)| {
            let parts: Vec<String> = line.split('|').map(|p| p.trim().to_owned()).collect();
            if parts.len() < min {
                errors.add(field, format!("line {}: write value|label it|label en", n + 1));
                return None;
            }
            Some(parts)
        })
        .collect()
}

fn text_of(values: &HashMap<String, String>, name: &str) -> Text {
    Text {
        it: posted(values, &format!("{name}.it")).trim().to_owned(),
        en: posted(values, &format!("{name}.en")).trim().to_owned(),
    }
}

/// The typed edit, or the errors of what does not even parse (numbers, types, option lines);
/// `rows[k]` is the form row of the edit's k-th field.
fn parse(current: &Category, values: &HashMap<String, String>) -> (CategoryEdit, Vec<usize>, FieldErrors) {
    let mut errors = FieldErrors::default();
    let hours = |errors: &mut FieldErrors, name: &str| match posted(values, name).trim().parse::<i32>() {
        Ok(h) => h,
        Err(_) => {
            errors.add(name, "must be a whole number of hours");
            1
        }
    };
    let first_response_hours = hours(&mut errors, "first_response_hours");
    let resolution_hours = hours(&mut errors, "resolution_hours");
    let count = posted(values, "rows").parse::<usize>().unwrap_or(0).min(edit_limit());
    let (mut fields, mut rows) = (Vec::new(), Vec::new());
    for i in 0..count {
        let at = |name: &str| format!("fields[{i}].{name}");
        let key = posted(values, &at("key")).trim().to_owned();
        let label = text_of(values, &at("label"));
        if key.is_empty() && label.it.is_empty() && label.en.is_empty() {
            continue;
        }
        let kind = match TYPES.iter().find(|(_, n)| *n == posted(values, &at("type"))) {
            Some((k, _)) => *k,
            None => {
                errors.add(at("type"), "choose a type");
                FieldType::Text
            }
        };
        let options = lines(posted(values, &at("options")), 3, &mut errors, &at("options"))
            .into_iter()
            .map(|p| FieldOption { value: p[0].clone(), label: Text { it: p[1].clone(), en: p[2].clone() } })
            .collect();
        let help = text_of(values, &at("help"));
        let help = (!help.it.is_empty() || !help.en.is_empty()).then_some(help);
        // The page does not edit lengths: a field keeps its own.
        let max_length = current.fields.iter().find(|f| f.key == key).and_then(|f| f.max_length);
        // Conditions are kept from the stored field of the same key (the page does not edit them).
        let required_when = current.fields.iter().find(|f| f.key == key).map(|f| f.required_when.clone()).unwrap_or_default();
        fields.push(FormField { key, kind, label, required: checked(values, &at("required")), required_when, help, options, max_length });
        rows.push(i);
    }
    let required_attachments = lines(posted(values, "required_attachments"), 3, &mut errors, "required_attachments")
        .into_iter()
        .map(|p| RequiredAttachment {
            required_when: current
                .required_attachments
                .iter()
                .find(|a| a.key == p[0])
                .map(|a| a.required_when.clone())
                .unwrap_or_default(),
            key: p[0].clone(),
            label: Text { it: p[1].clone(), en: p[2].clone() },
            identity_document: p.get(3).is_some_and(|f| f == "id"),
        })
        .collect();
    let edit = CategoryEdit {
        name: text_of(values, "name"),
        description: text_of(values, "description"),
        team: posted(values, "team").to_owned(),
        guests_allowed: checked(values, "guests_allowed"),
        first_response_hours,
        resolution_hours,
        active: checked(values, "active"),
        fields,
        required_attachments,
    };
    (edit, rows, errors)
}

/// The service's `fields[k]…` paths as the page's rows; attachment lines on their textarea.
fn on_form_rows(errors: Vec<FieldError>, rows: &[usize]) -> Vec<FieldError> {
    on_rows(errors, "fields", rows)
        .into_iter()
        .map(|e| match e.field.strip_prefix("required_attachments[") {
            Some(rest) => {
                let line = rest.split(']').next().and_then(|k| k.parse::<usize>().ok()).unwrap_or(0) + 1;
                FieldError::text("required_attachments", format!("line {line}: {}", e.message))
            }
            None => e,
        })
        .collect()
}

pub async fn save(ctx: Ctx, slug: web::Path<String>, form: Posted) -> Page {
    let values = form.into_inner();
    ctx.check_csrf(posted(&values, "csrf"))?;
    let _admin = admin_or_return!(ctx);
    let slug = slug.into_inner();
    let current = find(&ctx, slug.clone()).await?;
    let (category_edit, rows, mut parse_errors) = parse(&current, &values);
    let retention = parse_retention(&values, &mut parse_errors);
    // Only a form that showed the notice edits it (a missing field is not an emptied one).
    let notice = values.contains_key("privacy_notice.it").then(|| text_of(&values, "privacy_notice"));
    if let Some(text) = &notice {
        crate::categories::notice::check(text, &mut parse_errors);
    }
    if !parse_errors.is_empty() {
        edit::check_edit(&category_edit, &mut parse_errors);
    }
    let result = match parse_errors.into_result() {
        Err(e) => Err(e),
        Ok(()) => {
            let s = slug.clone();
            ctx.state
                .db
                .write(move |conn| {
                    edit::save(conn, &s, &category_edit)?;
                    if let Some(text) = &notice {
                        crate::categories::notice::set(conn, &s, text)?;
                    }
                    crate::privacy::retention::set(conn, &s, retention)
                })
                .await
        }
    };
    match result {
        Ok(_) => {
            ctx.state.catalog.clear();
            Ok(redirect(&format!("/staff/admin/categories/{slug}?saved=1")))
        }
        Err(ServiceError::Validation(list)) => {
            let typed = Typed { values, errors: on_form_rows(list, &rows) };
            render(&ctx, &current, &typed).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

/// The retention fields: days a closed ticket is kept (1 to 36500), and optionally its
/// identity documents (empty: as long as the ticket).
fn parse_retention(values: &HashMap<String, String>, errors: &mut FieldErrors) -> crate::privacy::retention::Retention {
    let mut days = |name: &str, optional: bool| -> Option<i32> {
        let raw = posted(values, name).trim();
        if raw.is_empty() && optional {
            return None;
        }
        match raw.parse::<i32>() {
            Ok(d) if (1..=36500).contains(&d) => Some(d),
            _ => {
                errors.add(name, "must be between 1 and 36500 days");
                None
            }
        }
    };
    let retention_days = days("retention_days", false).unwrap_or(crate::privacy::retention::DEFAULT_RETENTION_DAYS);
    let identity_documents_days = days("identity_documents_days", true);
    crate::privacy::retention::Retention { retention_days, identity_documents_days }
}
