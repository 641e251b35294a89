//! An admin's edit of a category: its names, team, SLA hours and flags in place, and its form
//! as a new version when it changed (the old version is retired; tickets keep the version
//! they were filled with).

use diesel::prelude::*;

use super::form::{FieldType, FormField, RequiredAttachment, Text};
use super::{any_by_slug, Category};
use crate::ids::{new_id, now};
use crate::db::schema::{categories, category_forms, teams};
use crate::db::{write_tx, DbConn};
use crate::error::{FieldErrors, ServiceError};

/// Everything an admin sets on a category.
#[derive(Debug, Clone)]
pub struct CategoryEdit {
    pub name: Text,
    pub description: Text,
    /// A team slug.
    pub team: String,
    pub guests_allowed: bool,
    pub first_response_hours: i32,
    pub resolution_hours: i32,
    pub active: bool,
    pub fields: Vec<FormField>,
    pub required_attachments: Vec<RequiredAttachment>,
}

const MAX_LABEL: usize = 200;
const MAX_HELP: usize = 1000;
const MAX_FIELDS: usize = 40;
/// A year of hours: an SLA longer than that is a typo.
const MAX_HOURS: i32 = 24 * 365;

fn key_ok(key: &str) -> bool {
    !key.is_empty() && key.len() <= 40 && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A key well formed and not used before in the same list.
fn check_key<'a>(errors: &mut FieldErrors, at: &str, key: &'a str, seen: &mut std::collections::HashSet<&'a str>) {
    if !key_ok(key) {
        errors.add(format!("{at}.key"), "use 1-40 lowercase letters, digits and underscores");
    } else if !seen.insert(key) {
        errors.add(format!("{at}.key"), "is repeated");
    }
}

fn check_label(errors: &mut FieldErrors, field: &str, text: &Text, max: usize, required: bool) {
    for (lang, value) in [("it", &text.it), ("en", &text.en)] {
        let chars = value.trim().chars().count();
        if required && chars == 0 {
            errors.add(format!("{field}.{lang}"), "is required");
        } else if chars > max {
            errors.add(format!("{field}.{lang}"), format!("must be at most {max} characters"));
        }
    }
}

/// Checks a form as the seed writes it: keys `a-z0-9_` and unique, labels in both languages,
/// options only on selects (at least one, unique values), unique attachment keys. Errors are
/// on `fields[i].…` and `required_attachments[i].…`.
pub fn check_form(fields: &[FormField], attachments: &[RequiredAttachment], errors: &mut FieldErrors) {
    if fields.len() > MAX_FIELDS {
        errors.add("fields", format!("at most {MAX_FIELDS} fields"));
    }
    let mut keys = std::collections::HashSet::new();
    for (i, f) in fields.iter().enumerate() {
        let at = format!("fields[{i}]");
        check_key(errors, &at, &f.key, &mut keys);
        check_label(errors, &format!("{at}.label"), &f.label, MAX_LABEL, true);
        if let Some(help) = &f.help {
            check_label(errors, &format!("{at}.help"), help, MAX_HELP, false);
        }
        match (f.kind, f.options.is_empty()) {
            (FieldType::Select, true) => errors.add(format!("{at}.options"), "a choice needs at least one option"),
            (FieldType::Select, false) => {
                let mut values = std::collections::HashSet::new();
                for o in &f.options {
                    if o.value.trim().is_empty() || o.label.it.trim().is_empty() || o.label.en.trim().is_empty() {
                        errors.add(format!("{at}.options"), "each option needs a value and labels in both languages");
                    } else if !values.insert(o.value.as_str()) {
                        errors.add(format!("{at}.options"), format!("the option '{}' is repeated", o.value));
                    }
                }
            }
            (_, false) => errors.add(format!("{at}.options"), "only a choice has options"),
            (_, true) => {}
        }
    }
    let mut keys = std::collections::HashSet::new();
    for (i, a) in attachments.iter().enumerate() {
        let at = format!("required_attachments[{i}]");
        check_key(errors, &at, &a.key, &mut keys);
        check_label(errors, &format!("{at}.label"), &a.label, MAX_LABEL, true);
    }
}

/// Every check of an edit that needs no database (the team is checked by `save`).
pub fn check_edit(edit: &CategoryEdit, errors: &mut FieldErrors) {
    check_label(errors, "name", &edit.name, MAX_LABEL, true);
    check_label(errors, "description", &edit.description, MAX_HELP, false);
    for (field, hours) in [("first_response_hours", edit.first_response_hours), ("resolution_hours", edit.resolution_hours)] {
        if !(1..=MAX_HOURS).contains(&hours) {
            errors.add(field, format!("must be between 1 and {MAX_HOURS} hours"));
        }
    }
    if edit.first_response_hours > edit.resolution_hours {
        errors.add("first_response_hours", "must not be longer than the resolution time");
    }
    check_form(&edit.fields, &edit.required_attachments, errors);
}

/// Saves an admin's edit; a changed form becomes the category's next version. Returns the
/// category as it is now. Unknown slug: not found.
pub fn save(conn: &mut DbConn, slug: &str, edit: &CategoryEdit) -> Result<Category, ServiceError> {
    write_tx(conn, |conn| {
        let current = any_by_slug(conn, slug)?.ok_or(ServiceError::NotFound)?;
        let mut errors = FieldErrors::default();
        check_edit(edit, &mut errors);
        let team_id: Option<String> = teams::table.filter(teams::slug.eq(&edit.team)).select(teams::id).first(conn).optional()?;
        if team_id.is_none() {
            errors.add("team", format!("unknown team '{}'", edit.team));
        }
        errors.into_result()?;
        let team_id = team_id.unwrap_or_default();
        diesel::update(categories::table.find(&current.row.id))
            .set((
                categories::name_it.eq(edit.name.it.trim()),
                categories::name_en.eq(edit.name.en.trim()),
                categories::description_it.eq(edit.description.it.trim()),
                categories::description_en.eq(edit.description.en.trim()),
                categories::team_id.eq(&team_id),
                categories::guests_allowed.eq(edit.guests_allowed),
                categories::first_response_hours.eq(edit.first_response_hours),
                categories::resolution_hours.eq(edit.resolution_hours),
                categories::active.eq(edit.active),
            ))
            .execute(conn)?;
        if current.fields != edit.fields || current.required_attachments != edit.required_attachments {
            new_form_version(conn, &current, &edit.fields, &edit.required_attachments)?;
        }
        any_by_slug(conn, slug)?.ok_or(ServiceError::NotFound)
    })
}

/// The category's next form version; the current one retired. Call inside a transaction.
fn new_form_version(
    conn: &mut DbConn,
    current: &Category,
    fields: &[FormField],
    attachments: &[RequiredAttachment],
) -> Result<(), ServiceError> {
    let to_json = |v: serde_json::Result<String>| v.map_err(|e| ServiceError::Internal(e.to_string()));
    let latest: Option<i32> = category_forms::table
        .filter(category_forms::category_id.eq(&current.row.id))
        .select(diesel::dsl::max(category_forms::version))
        .first(conn)?;
    diesel::update(category_forms::table.find(&current.form_id)).set(category_forms::retired.eq(true)).execute(conn)?;
    diesel::insert_into(category_forms::table)
        .values((
            category_forms::id.eq(new_id()),
            category_forms::category_id.eq(&current.row.id),
            category_forms::version.eq(latest.unwrap_or(0) + 1),
            category_forms::fields.eq(to_json(serde_json::to_string(fields))?),
            category_forms::required_attachments.eq(to_json(serde_json::to_string(attachments))?),
            category_forms::retired.eq(false),
            category_forms::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::form::FieldOption;

    fn text(s: &str) -> Text {
        Text { it: s.into(), en: s.into() }
    }

    fn field(key: &str, kind: FieldType, options: Vec<FieldOption>) -> FormField {
        FormField { key: key.into(), kind, label: text("L"), required: false, required_when: Vec::new(), help: None, options, max_length: None }
    }

    fn fields_of(errors: FieldErrors) -> Vec<String> {
        match errors.into_result() {
            Err(ServiceError::Validation(list)) => list.into_iter().map(|e| e.field).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn a_good_form_passes_and_each_fault_is_on_its_row() {
        let option = FieldOption { value: "a".into(), label: text("A") };
        let mut errors = FieldErrors::default();
        check_form(&[field("topic", FieldType::Select, vec![option.clone()])], &[], &mut errors);
        assert!(errors.is_empty());
        let mut errors = FieldErrors::default();
        let bad = [
            field("Bad Key", FieldType::Text, Vec::new()),
            field("x", FieldType::Select, Vec::new()),
            field("x", FieldType::Text, vec![option]),
        ];
        let attachment = RequiredAttachment { key: "id".into(), label: text(""), identity_document: true, required_when: Vec::new() };
        check_form(&bad, &[attachment], &mut errors);
        assert_eq!(
            fields_of(errors),
            [
                "fields[0].key",
                "fields[1].options",
                "fields[2].key",
                "fields[2].options",
                "required_attachments[0].label.it",
                "required_attachments[0].label.en"
            ]
        );
    }
}
