//! The admin pages of the staff console (`/staff/admin/…`, admins only): categories and their
//! forms, teams and agents, canned responses, office hours and closures, career-action types.
//! Each is a thin page over the same domain functions as the admin API. A refused form is
//! shown again (422) with what was typed and each error on its field.

pub mod access_log;
pub mod calendar;
pub mod canned;
pub mod career;
pub mod categories;
pub mod hours;
pub mod teams;

use std::cell::RefCell;
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::admin_or_return;
use crate::error::{FieldError, ServiceError};
use crate::web::error::WebError;
use crate::web::form_view::{Field, Kind};
use crate::web::i18n;
use crate::web::page::Ctx;

pub type Page = Result<HttpResponse, WebError>;

/// A posted form, every value as text (repeated names: the last one).
pub type Posted = web::Form<HashMap<String, String>>;

/// What was typed on a refused form and why it was refused.
#[derive(Default)]
pub struct Typed {
    pub values: HashMap<String, String>,
    pub errors: Vec<FieldError>,
}

impl Typed {
    /// The refusal of `values` for `error`: field errors and conflicts are shown on the form,
    /// anything else is the error page.
    pub fn refused(values: HashMap<String, String>, error: ServiceError) -> Result<Typed, ServiceError> {
        let errors = match error {
            ServiceError::Validation(list) => list,
            ServiceError::Conflict(message) => vec![FieldError::text("form", message)],
            other => return Err(other),
        };
        Ok(Typed { values, errors })
    }

    pub fn status(&self) -> StatusCode {
        if self.errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

/// The value a posted form has for `name` ("" when absent).
pub fn posted<'a>(values: &'a HashMap<String, String>, name: &str) -> &'a str {
    values.get(name).map(String::as_str).unwrap_or("")
}

/// Builds one form's fields: the typed value when the form was refused, else the stored one;
/// each error on the field it is about; the labels for the error summary.
pub struct Fields<'a> {
    ctx: &'a Ctx,
    typed: Option<&'a Typed>,
    prefix: String,
    seen: RefCell<Vec<(String, String, String)>>,
}

impl<'a> Fields<'a> {
    /// `typed`: the refused form, when this is it; `prefix` keeps ids unique on the page.
    pub fn new(ctx: &'a Ctx, typed: Option<&'a Typed>, prefix: &str) -> Self {
        Fields { ctx, typed: typed.filter(|t| !t.errors.is_empty()), prefix: prefix.to_owned(), seen: RefCell::default() }
    }

    fn id(&self, name: &str) -> String {
        let mut clean = String::with_capacity(name.len());
        for c in name.chars() {
            match c {
                c if c.is_ascii_alphanumeric() || c == '_' => clean.push(c),
                _ if clean.ends_with('-') => {}
                _ => clean.push('-'),
            }
        }
        format!("{}{}", self.prefix, clean.trim_end_matches('-'))
    }

    fn error_of(&self, name: &str) -> Option<String> {
        let typed = self.typed?;
        let mut found = typed.errors.iter().filter(|e| e.field == name || name.starts_with(&format!("{}.", e.field)));
        found.next().map(|e| i18n::field_message(self.ctx.locale, e))
    }

    /// One field as `partials/field` shows it; `label` is a catalog path (`admin.title`).
    pub fn field(&self, name: &str, label: &str, kind: Kind, stored: &str) -> Value {
        self.field_with(name, &self.ctx.t(label), kind, stored, Vec::new())
    }

    /// A select with its options (value, label).
    pub fn select(&self, name: &str, label: &str, stored: &str, options: Vec<(String, String)>) -> Value {
        self.field_with(name, &self.ctx.t(label), Kind::Select, stored, options)
    }

    /// A field whose label is already text (row labels like "Field 2: key").
    pub fn field_with(&self, name: &str, label: &str, kind: Kind, stored: &str, options: Vec<(String, String)>) -> Value {
        let id = self.id(name);
        let value = match self.typed {
            Some(typed) => posted(&typed.values, name).to_owned(),
            None => stored.to_owned(),
        };
        self.seen.borrow_mut().push((name.to_owned(), id.clone(), label.to_owned()));
        Field {
            id,
            name: name.to_owned(),
            label: label.to_owned(),
            help: None,
            required: false,
            kind,
            value: &value,
            error: self.error_of(name),
            options,
            autocomplete: None,
        }
        .to_json()
    }

    /// The errors at the top of the form, each linked to its field when it has one.
    pub fn summary(&self) -> Vec<Value> {
        let Some(typed) = self.typed else { return Vec::new() };
        let seen = self.seen.borrow();
        typed
            .errors
            .iter()
            .map(|e| {
                let message = i18n::field_message(self.ctx.locale, e);
                let target = seen.iter().find(|(name, _, _)| *name == e.field || name.starts_with(&format!("{}.", e.field)));
                match target {
                    Some((_, id, label)) => json!({"id": id, "label": label, "message": message}),
                    None if e.field == "form" => json!({"id": null, "label": null, "message": message}),
                    None => json!({"id": null, "label": null, "message": format!("{}: {message}", e.field)}),
                }
            })
            .collect()
    }
}

/// Checkbox values as forms post them.
pub fn checked(values: &HashMap<String, String>, name: &str) -> bool {
    matches!(posted(values, name), "on" | "true")
}

/// A stored flag as a checkbox's value.
pub fn flag(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        ""
    }
}

/// `GET /staff/admin`: the sections.
pub async fn index(ctx: Ctx) -> Page {
    let _admin = admin_or_return!(ctx);
    let sections: Vec<Value> = [
        ("/staff/admin/categories", "categories"),
        ("/staff/admin/teams", "teams"),
        ("/staff/admin/canned", "canned"),
        ("/staff/admin/hours", "hours"),
        ("/staff/admin/closures", "closures"),
        ("/staff/admin/career", "career"),
        ("/staff/admin/calendar", "calendar"),
    ]
    .iter()
    .map(|(href, key)| json!({"href": href, "title": ctx.t(&format!("admin.{key}.title")), "lead": ctx.t(&format!("admin.{key}.lead"))}))
    .chain(std::iter::once(
        json!({"href": "/staff/admin/access-log", "title": ctx.t("privacy.log.title"), "lead": ctx.t("privacy.log.lead")}),
    ))
    .collect();
    ctx.render("pages/admin_index", &ctx.t("admin.title"), json!({"sections": sections}))
}

/// True on the page a successful save redirected to (`?saved=1`).
pub fn saved(ctx: &Ctx) -> bool {
    ctx.flagged("saved")
}

/// How many rows a grid shows: as many as the refused form had, else the stored ones and
/// `blank` empty rows to add more.
pub fn row_count(typed: &Typed, stored: usize, blank: usize, max: usize) -> usize {
    match posted(&typed.values, "rows").parse::<usize>() {
        Ok(n) if !typed.errors.is_empty() => n.min(max),
        _ => stored + blank,
    }
}

/// A service's `list[k]…` error paths (k: the index in the list it checked, empty rows left
/// out) as `list[row]…` of the page's grid; `rows[k]` is the row of the k-th item.
pub fn on_rows(errors: Vec<FieldError>, list: &str, rows: &[usize]) -> Vec<FieldError> {
    let prefix = format!("{list}[");
    errors
        .into_iter()
        .map(|e| {
            let moved = e.field.strip_prefix(&prefix).and_then(|rest| rest.split_once(']')).and_then(|(k, tail)| {
                k.parse::<usize>().ok().and_then(|k| rows.get(k)).map(|row| format!("{list}[{row}]{tail}"))
            });
            FieldError { field: moved.unwrap_or(e.field), ..e }
        })
        .collect()
}
