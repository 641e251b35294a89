//! Form fields as the `partials/field` template shows them: id, name, label, help, the value
//! typed, the error (translated) and the aria-describedby that ties help and error to it.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::i18n;
use crate::categories::form::FieldType;
use crate::categories::{Category, FormField};
use crate::domain::Locale;
use crate::error::FieldError;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Input(&'static str),
    Textarea(u8),
    Select,
    Checkbox,
    File { multiple: bool },
}

/// One field, before it becomes JSON for the template.
pub struct Field<'a> {
    pub id: String,
    pub name: String,
    pub label: String,
    pub help: Option<String>,
    pub required: bool,
    pub kind: Kind,
    pub value: &'a str,
    pub error: Option<String>,
    pub options: Vec<(String, String)>,
    pub autocomplete: Option<&'static str>,
}

impl Field<'_> {
    pub fn to_json(&self) -> Value {
        let mut describedby = Vec::new();
        if self.help.is_some() {
            describedby.push(format!("{}-help", self.id));
        }
        if self.error.is_some() {
            describedby.push(format!("{}-error", self.id));
        }
        let (input_type, rows, multiple) = match self.kind {
            Kind::Input(t) => (t, 0, false),
            Kind::Textarea(rows) => ("", rows, false),
            Kind::File { multiple } => ("file", 0, multiple),
            _ => ("", 0, false),
        };
        json!({
            "id": self.id, "name": self.name, "label": self.label, "help": self.help, "required": self.required,
            "error": self.error, "value": self.value,
            "describedby": (!describedby.is_empty()).then(|| describedby.join(" ")),
            "is_input": matches!(self.kind, Kind::Input(_)), "input_type": input_type,
            "is_textarea": matches!(self.kind, Kind::Textarea(_)), "rows": rows,
            "is_select": self.kind == Kind::Select, "is_checkbox": self.kind == Kind::Checkbox,
            "is_file": matches!(self.kind, Kind::File { .. }), "multiple": multiple,
            "kept": [],
            "checked": self.kind == Kind::Checkbox && matches!(self.value, "on" | "true"),
            "autocomplete": self.autocomplete,
            "options": self.options.iter().map(|(v, l)| json!({"value": v, "label": l, "selected": v == self.value})).collect::<Vec<_>>(),
        })
    }
}

/// What was typed and what was wrong, by form name (`subject`, `f.matricola`…).
#[derive(Default)]
pub struct FormState {
    pub values: HashMap<String, String>,
    /// Service field path (`fields.matricola`, `guest.email`…) → message (English).
    pub errors: Vec<FieldError>,
    /// Files of an earlier try kept for this one: (field name, `{index, token, filename}`).
    pub kept: Vec<(String, serde_json::Value)>,
}

impl FormState {
    pub fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn error(&self, locale: Locale, path: &str) -> Option<String> {
        self.errors.iter().find(|e| e.field == path).map(|e| i18n::field_message(locale, e))
    }
}

/// The HTML id of the input that a service field path is about.
pub fn id_of(path: &str) -> String {
    if let Some(key) = path.strip_prefix("fields.") {
        format!("f-{key}")
    } else if let Some(key) = path.strip_prefix("career_action.data.") {
        format!("p-{key}")
    } else if let Some(key) = path.strip_prefix("attachments.") {
        format!("a-{key}")
    } else {
        path.replace('.', "-")
    }
}

/// A category's own fields, from its data.
pub fn category_fields<'a>(category: &Category, locale: Locale, state: &'a FormState) -> Vec<Field<'a>> {
    category.fields.iter().map(|f| form_field(f, "f", "fields", locale, state)).collect()
}

/// The fields of a career procedure inside a ticket's form (`p.<key>`, errors at
/// `career_action.data.<key>`).
pub fn procedure_fields<'a>(fields: &[FormField], locale: Locale, state: &'a FormState) -> Vec<Field<'a>> {
    fields.iter().map(|f| form_field(f, "p", "career_action.data", locale, state)).collect()
}

/// "Required in some cases" beside the help of a field required only under conditions.
fn conditional_help(f: &FormField, locale: Locale) -> Option<String> {
    let help = f.help.as_ref().map(|h| h.get(locale).to_owned());
    if f.required_when.is_empty() {
        return help;
    }
    let note = i18n::text(locale, "form.required_in_some_cases");
    Some(match help {
        Some(h) => format!("{h} {note}"),
        None => note,
    })
}

fn form_field<'a>(f: &FormField, prefix: &str, path: &str, locale: Locale, state: &'a FormState) -> Field<'a> {
    let name = format!("{prefix}.{}", f.key);
    let kind = match f.kind {
        FieldType::Textarea => Kind::Textarea(5),
        FieldType::Select => Kind::Select,
        FieldType::Checkbox => Kind::Checkbox,
        FieldType::Date => Kind::Input("date"),
        FieldType::Email => Kind::Input("email"),
        FieldType::Text | FieldType::CodiceFiscale | FieldType::Matricola => Kind::Input("text"),
    };
    let autocomplete = match f.key.as_str() {
        "first_name" => Some("given-name"),
        "last_name" => Some("family-name"),
        "full_name" => Some("name"),
        "birth_date" => Some("bday"),
        _ => None,
    };
    Field {
        id: format!("{prefix}-{}", f.key),
        value: state.value(&name),
        name,
        label: f.label.get(locale).to_owned(),
        help: conditional_help(f, locale),
        required: f.required,
        kind,
        error: state.error(locale, &format!("{path}.{}", f.key)),
        options: f.options.iter().map(|o| (o.value.clone(), o.label.get(locale).to_owned())).collect(),
        autocomplete,
    }
}

/// The list at the top of a form with errors: each links to its field.
pub fn error_list(locale: Locale, errors: &[FieldError], labels: &HashMap<String, String>) -> Vec<Value> {
    errors
        .iter()
        .map(|e| {
            let id = id_of(&e.field);
            let label = labels.get(&id).cloned();
            json!({"id": label.as_ref().map(|_| id), "label": label, "message": i18n::field_message(locale, e)})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_service_paths() {
        assert_eq!(id_of("fields.matricola"), "f-matricola");
        assert_eq!(id_of("attachments.id_front"), "a-id_front");
        assert_eq!(id_of("guest.email"), "guest-email");
        assert_eq!(id_of("subject"), "subject");
    }

    #[test]
    fn help_and_error_are_tied_to_the_input() {
        let f = Field {
            id: "f-x".into(), name: "f.x".into(), label: "X".into(), help: Some("h".into()), required: true,
            kind: Kind::Select, value: "b", error: Some("e".into()),
            options: vec![("a".into(), "A".into()), ("b".into(), "B".into())], autocomplete: None,
        };
        let v = f.to_json();
        assert_eq!(v["describedby"], "f-x-help f-x-error");
        assert_eq!(v["options"][1]["selected"], true);
        assert_eq!(v["options"][0]["selected"], false);
    }
}
