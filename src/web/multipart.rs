//! HTML forms with files, read by the one multipart reader (`crate::multipart`) with the
//! page's CSRF token: text fields as UTF-8, a refused file (type, virus, empty) becomes an
//! error on its field so the form can be shown again.

use std::collections::HashMap;

use actix_web::{web, HttpRequest};

use super::csrf::{self, FIELD};
use super::error::Failure;
use crate::error::ServiceError;
use crate::multipart::{self, ReadError, Rules};
use crate::state::AppState;
use crate::files::Upload;

const MAX_TEXT: usize = 64 * 1024;

#[derive(Default)]
pub struct FormData {
    pub text: HashMap<String, String>,
    pub uploads: Vec<Upload>,
    /// (field, message key) for files of a refused type.
    pub file_errors: Vec<(String, &'static str)>,
}

impl FormData {
    pub fn get(&self, key: &str) -> &str {
        self.text.get(key).map(String::as_str).unwrap_or("")
    }
}

/// Reads the form; `expected_csrf` is the token the page's forms carry (`Ctx::csrf`).
pub async fn read(req: &HttpRequest, payload: web::Payload, state: &AppState, expected_csrf: &str) -> Result<FormData, Failure> {
    let check = |submitted: &str| csrf::matches(expected_csrf, submitted);
    let rules = Rules { max_text: MAX_TEXT, csrf: Some((FIELD, &check)) };
    let parts = multipart::read(req, payload, state, rules).await.map_err(|e| match e {
        ReadError::Malformed(m) => Failure::BadRequest(m),
        ReadError::Csrf => Failure::Csrf,
        ReadError::Service(e) => Failure::Service(e),
    })?;
    let mut text = HashMap::with_capacity(parts.text.len());
    for (name, bytes) in parts.text {
        let value = String::from_utf8(bytes).map_err(|_| Failure::BadRequest(format!("'{name}' is not UTF-8")))?;
        text.insert(name, value);
    }
    let file_errors = parts
        .refused
        .into_iter()
        .map(|(name, e)| {
            let key = match e {
                ServiceError::Infected { .. } => "file infected",
                ServiceError::UnsupportedMediaType(_) => "file type",
                _ => "file empty",
            };
            (name, key)
        })
        .collect();
    Ok(FormData { text, uploads: parts.uploads, file_errors })
}
