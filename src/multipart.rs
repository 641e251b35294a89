//! The one reader of `multipart/form-data` bodies, for the API and the pages: text parts into a
//! map, file parts checked (size, then `FileStore::put`: scanning, content sniffing, SHA-256)
//! and stored. Edge code: each edge maps `ReadError` to its own answer.
//!
//! Limits are the same everywhere: at most `MAX_PARTS` parts and `MAX_FILES` files, a file at
//! most `max_file_bytes` and all of them `max_message_bytes` (answered at once, never read to the
//! end). With a CSRF token expected, it must come before any file, so no file of a forged form is
//! ever stored.

use std::collections::HashMap;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use crate::error::ServiceError;
use crate::state::AppState;
use crate::files::Upload;

const MAX_PARTS: usize = 64;
const MAX_FILES: usize = 20;

/// What the form must satisfy beyond the common limits.
pub struct Rules<'a> {
    /// The longest text part (a JSON part included).
    pub max_text: usize,
    /// The CSRF field and its check: the field must come, and pass, before any file.
    pub csrf: Option<CsrfCheck<'a>>,
}

/// A CSRF field's name and the check its value must pass.
pub type CsrfCheck<'a> = (&'a str, &'a dyn Fn(&str) -> bool);

#[derive(Default)]
pub struct Parts {
    pub text: HashMap<String, Vec<u8>>,
    pub uploads: Vec<Upload>,
    /// Files refused for what they are (type, virus, empty), with their field: the form can
    /// be shown again with the error on that field.
    pub refused: Vec<(String, ServiceError)>,
}

#[derive(Debug)]
pub enum ReadError {
    /// Not multipart, or broken (400).
    Malformed(String),
    /// The CSRF token is missing, wrong, or came after a file.
    Csrf,
    /// Too large (413), scanner unavailable (503), storage failures.
    Service(ServiceError),
}

impl From<ServiceError> for ReadError {
    fn from(e: ServiceError) -> Self {
        ReadError::Service(e)
    }
}

/// The body's media type, lower case, without parameters ("" when absent).
pub fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default()
}

pub async fn read(req: &HttpRequest, payload: web::Payload, state: &AppState, rules: Rules<'_>) -> Result<Parts, ReadError> {
    if media_type(req) != "multipart/form-data" {
        return Err(ReadError::Malformed("send the form as multipart/form-data".into()));
    }
    let settings = &state.settings;
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let mut parts = Parts::default();
    let mut csrf_ok = rules.csrf.is_none();
    let (mut total, mut count, mut files) = (0usize, 0usize, 0usize);
    let bad = |e: actix_multipart::MultipartError| ReadError::Malformed(format!("malformed multipart body: {e}"));
    while let Some(field) = form.next().await {
        let mut field = field.map_err(bad)?;
        count += 1;
        if count > MAX_PARTS {
            return Err(ReadError::Malformed("too many form parts".into()));
        }
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_owned);
        let Some(filename) = filename else {
            let bytes = read_up_to(&mut field, rules.max_text).await.map_err(bad)?;
            let bytes = bytes.ok_or_else(|| ServiceError::TooLarge(format!("'{name}' is longer than {} bytes", rules.max_text)))?;
            if let Some((_, check)) = rules.csrf.filter(|(field, _)| *field == name) {
                if !std::str::from_utf8(&bytes).is_ok_and(check) {
                    return Err(ReadError::Csrf);
                }
                csrf_ok = true;
            }
            parts.text.insert(name, bytes);
            continue;
        };
        if !csrf_ok {
            return Err(ReadError::Csrf);
        }
        let limit = settings.max_file_bytes.min(settings.max_message_bytes.saturating_sub(total));
        let Some(bytes) = read_up_to(&mut field, limit).await.map_err(bad)? else {
            return Err(ServiceError::TooLarge(format!(
                "'{filename}' is too large: at most {} MiB a file and {} MiB a message",
                settings.max_file_bytes / (1024 * 1024),
                settings.max_message_bytes / (1024 * 1024)
            ))
            .into());
        };
        if bytes.is_empty() {
            // A file input left empty sends a part with no file name and no bytes.
            if !filename.is_empty() {
                parts.refused.push((name.clone(), ServiceError::field(&name, format!("'{filename}' is empty"))));
            }
            continue;
        }
        files += 1;
        if files > MAX_FILES {
            return Err(ServiceError::TooLarge(format!("at most {MAX_FILES} files at a time")).into());
        }
        total += bytes.len();
        let store = state.files.clone();
        let key = name.clone();
        let stored = web::block(move || store.put(&key, &filename, &bytes)).await.map_err(|e| ServiceError::Internal(e.to_string()))?;
        match stored {
            Ok(upload) => parts.uploads.push(upload),
            Err(e @ (ServiceError::UnsupportedMediaType(_) | ServiceError::Infected { .. })) => parts.refused.push((name, e)),
            Err(other) => return Err(other.into()),
        }
    }
    if !csrf_ok {
        return Err(ReadError::Csrf);
    }
    Ok(parts)
}

/// The part's bytes, or None when it is longer than `limit`.
async fn read_up_to(field: &mut actix_multipart::Field, limit: usize) -> Result<Option<Vec<u8>>, actix_multipart::MultipartError> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk?;
        if buf.len() + chunk.len() > limit {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Some(buf))
}
