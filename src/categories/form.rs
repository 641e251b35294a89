//! A category's form as data, and the validation that the portal and the API share.

use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::{CodiceFiscale, Email, Locale};
use crate::domain::ParseError;
use crate::error::{Code, FieldErrors};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Text {
    pub it: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::It => &self.it,
            Locale::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Textarea,
    Select,
    Date,
    Email,
    Checkbox,
    CodiceFiscale,
    Matricola,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldOption {
    pub value: String,
    pub label: Text,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FormField {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub label: Text,
    #[serde(default)]
    pub required: bool,
    /// Required only when every condition holds (e.g. the matricola, unless the question is
    /// about enrolment); `required` stays false for such a field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_when: Vec<When>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<FieldOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RequiredAttachment {
    pub key: String,
    pub label: Text,
    /// Identity documents: every staff download is logged.
    #[serde(default)]
    pub identity_document: bool,
    /// Required only when every condition holds (identity documents only for the situations
    /// that need them); empty: always.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_when: Vec<When>,
}

/// A condition on another answer of the form: its value is (or, with `not`, is not) one of
/// `any_of` ("on" for a ticked checkbox).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct When {
    pub field: String,
    pub any_of: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not: bool,
}

impl When {
    pub fn holds(&self, answers: &Value) -> bool {
        let value = match answers.get(&self.field) {
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Bool(true)) => "on".to_owned(),
            _ => String::new(),
        };
        let value = if matches!(value.as_str(), "true" | "1" | "yes") { "on".to_owned() } else { value };
        self.any_of.contains(&value) != self.not
    }
}

/// Whether conditions all hold (no conditions: yes).
pub fn all_hold(conditions: &[When], answers: &Value) -> bool {
    conditions.iter().all(|c| c.holds(answers))
}

fn default_max(kind: FieldType) -> usize {
    match kind {
        FieldType::Textarea => 5000,
        _ => 200,
    }
}

/// Checks answers against the form. Returns the normalised answers (trimmed text, upper-case
/// codice fiscale…) or records per-field errors as `fields.<key>`.
pub fn validate_answers(fields: &[FormField], answers: &Value, errors: &mut FieldErrors) -> Map<String, Value> {
    let mut clean = Map::new();
    let empty = Map::new();
    let answers = match answers {
        Value::Object(map) => map,
        Value::Null => &empty,
        _ => {
            errors.add("fields", "must be an object of answers");
            return clean;
        }
    };
    let answers_value = &Value::Object(answers.clone());
    for key in answers.keys() {
        if !fields.iter().any(|f| &f.key == key) {
            errors.add(format!("fields.{key}"), "is not a field of this category");
        }
    }
    for field in fields {
        let name = format!("fields.{}", field.key);
        let value = answers.get(&field.key).filter(|v| !is_blank(v));
        let Some(value) = value else {
            let conditional = !field.required_when.is_empty() && all_hold(&field.required_when, answers_value);
            if field.required || conditional {
                errors.reject(name, Code::Required);
            }
            continue;
        };
        match check_value(field, value) {
            Ok(v) => {
                clean.insert(field.key.clone(), v);
            }
            Err(e) => errors.parse_error(name, e),
        }
    }
    clean
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn check_value(field: &FormField, value: &Value) -> Result<Value, ParseError> {
    if field.kind == FieldType::Checkbox {
        return match value {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if matches!(s.as_str(), "true" | "on" | "1" | "yes") => Ok(Value::Bool(true)),
            Value::String(s) if matches!(s.as_str(), "false" | "off" | "0" | "no") => Ok(Value::Bool(false)),
            _ => Err("must be true or false".into()),
        };
    }
    let Value::String(raw) = value else {
        return Err("must be text".into());
    };
    let text = raw.trim();
    let max = field.max_length.unwrap_or_else(|| default_max(field.kind));
    if text.chars().count() > max {
        return Err(ParseError::coded(Code::TooLong { max }));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(ParseError::coded(Code::ControlChars));
    }
    let normalised = match field.kind {
        FieldType::Text | FieldType::Textarea => text.to_owned(),
        FieldType::Select => {
            if !field.options.iter().any(|o| o.value == text) {
                return Err(ParseError::coded(Code::NotAnOption));
            }
            text.to_owned()
        }
        FieldType::Date => {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| ParseError::coded(Code::DateFormat))?;
            if date.year() < 1900 || date > Utc::now().date_naive() {
                return Err(ParseError::coded(Code::ImplausibleDate));
            }
            date.to_string()
        }
        FieldType::Email => Email::parse(text)?.to_string(),
        FieldType::CodiceFiscale => CodiceFiscale::parse(text)?.to_string(),
        FieldType::Matricola => {
            let ok = (4..=12).contains(&text.len()) && text.chars().all(|c| c.is_ascii_alphanumeric());
            if !ok {
                return Err(ParseError::coded(Code::MatricolaShape));
            }
            text.to_uppercase()
        }
        FieldType::Checkbox => return Err("must be true or false".into()),
    };
    Ok(Value::String(normalised))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> Vec<FormField> {
        serde_json::from_value(json!([
            {"key": "cf", "type": "codice_fiscale", "required": true, "label": {"it": "CF", "en": "CF"}},
            {"key": "topic", "type": "select", "required": true, "label": {"it": "T", "en": "T"},
             "options": [{"value": "a", "label": {"it": "A", "en": "A"}}]},
            {"key": "born", "type": "date", "required": false, "label": {"it": "D", "en": "D"}},
            {"key": "b2", "type": "checkbox", "label": {"it": "B", "en": "B"}}
        ]))
        .unwrap()
    }

    fn fields_of(errors: FieldErrors) -> Vec<String> {
        match errors.into_result() {
            Err(crate::error::ServiceError::Validation(list)) => list.into_iter().map(|e| e.field).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn accepts_and_normalises_good_answers() {
        let mut errors = FieldErrors::default();
        let clean = validate_answers(&form(), &json!({"cf": "rssmra85t10a562s", "topic": "a", "b2": "on"}), &mut errors);
        assert!(errors.is_empty());
        assert_eq!(clean["cf"], "RSSMRA85T10A562S");
        assert_eq!(clean["b2"], true);
    }

    #[test]
    fn reports_every_bad_field_at_once() {
        let mut errors = FieldErrors::default();
        validate_answers(&form(), &json!({"cf": "RSSMRA85T10A562T", "born": "31/12/2001", "extra": 1}), &mut errors);
        let mut fields = fields_of(errors);
        fields.sort();
        assert_eq!(fields, ["fields.born", "fields.cf", "fields.extra", "fields.topic"]);
    }

    #[test]
    fn a_field_is_required_only_when_its_conditions_hold() {
        let fields: Vec<FormField> = serde_json::from_value(json!([
            {"key": "matricola", "type": "text", "label": {"it": "M", "en": "M"},
             "required_when": [{"field": "topic", "any_of": ["immatricolazione"], "not": true}]},
            {"key": "topic", "type": "text", "label": {"it": "T", "en": "T"}}
        ]))
        .unwrap();
        let mut errors = FieldErrors::default();
        validate_answers(&fields, &json!({"topic": "immatricolazione"}), &mut errors);
        assert!(errors.is_empty(), "a future student asking about enrolment has no matricola");
        let mut errors = FieldErrors::default();
        validate_answers(&fields, &json!({"topic": "esami"}), &mut errors);
        assert_eq!(fields_of(errors), ["fields.matricola"]);
    }

    #[test]
    fn refuses_wrong_types() {
        let mut errors = FieldErrors::default();
        validate_answers(&form(), &json!({"cf": 12, "topic": ["a"], "b2": "maybe"}), &mut errors);
        assert_eq!(fields_of(errors).len(), 3);
        let mut errors = FieldErrors::default();
        validate_answers(&form(), &json!([1, 2]), &mut errors);
        assert_eq!(fields_of(errors), ["fields"]);
    }
}
