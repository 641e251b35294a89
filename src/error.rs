//! The error of the service layer. The HTTP layers map it once: `api::ApiError` to
//! problem+json (and later the pages to an HTML error page).

use serde::Serialize;

use crate::db::DbError;
pub use crate::domain::Code;
use crate::domain::ParseError;

/// One field's problem, for the 422 answer: `message` in English (the API's), `code` for the
/// pages to translate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    #[serde(skip)]
    pub code: Code,
}

impl FieldError {
    /// A message of its own (no translation).
    pub fn text(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into(), code: Code::Other }
    }

    pub fn coded(field: impl Into<String>, code: Code) -> Self {
        Self { field: field.into(), message: code.english(), code }
    }
}

impl From<(String, ParseError)> for FieldError {
    fn from((field, e): (String, ParseError)) -> Self {
        Self { field, message: e.0, code: e.1 }
    }
}

/// Collects per-field errors so a form is answered in full, not one field at a time.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Text a person typed, trimmed: rejected when empty, longer than `max` characters, or
    /// with control characters but line breaks and tabs.
    pub fn text(&mut self, field: &str, raw: &str, max: usize) -> String {
        let text = raw.trim();
        if text.is_empty() {
            self.reject(field, Code::Required);
        } else if text.chars().count() > max {
            self.reject(field, Code::TooLong { max });
        } else if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            self.reject(field, Code::ControlChars);
        }
        text.to_owned()
    }

    /// A message of its own (no translation).
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::text(field, message));
    }

    /// A problem the pages translate.
    pub fn reject(&mut self, field: impl Into<String>, code: Code) {
        self.0.push(FieldError::coded(field, code));
    }

    /// A parse error with its code.
    pub fn parse_error(&mut self, field: impl Into<String>, e: impl Into<ParseError>) {
        self.0.push(FieldError::from((field.into(), e.into())));
    }

    /// Keeps the parsed value, or records why it did not parse.
    pub fn check<T, E: Into<ParseError>>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.parse_error(field, e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), ServiceError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Validation(self.0))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not found")]
    NotFound,
    #[error("not signed in")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The virus scanner found `signature` in the upload of form part `field`: nothing kept.
    #[error("{filename}: a virus was found ({signature})")]
    Infected { field: String, filename: String, signature: String },
    /// The virus scanner is configured but cannot be reached: uploads wait (503).
    #[error("the virus scanner is unavailable: {0}")]
    ScannerUnavailable(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("storage: {0}")]
    Storage(#[from] std::io::Error),
    #[error("{0}")]
    Internal(String),
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => ServiceError::NotFound,
            other => ServiceError::Db(DbError::Query(other)),
        }
    }
}

impl ServiceError {
    /// One field's message of its own (no translation).
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ServiceError::Validation(vec![FieldError::text(field, message)])
    }

    /// One field's problem, which the pages translate.
    pub fn invalid(field: &str, code: Code) -> Self {
        ServiceError::Validation(vec![FieldError::coded(field, code)])
    }
}
