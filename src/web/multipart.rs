//! HTML forms with files (`multipart/form-data`): text fields into a map, files checked and
//! stored by `FileStore::put` (content sniffing, SHA-256) within the configured limits. The
//! CSRF token must come before any file, so no file of a forged form is ever stored; a file
//! of the wrong type becomes an error on its field, so the form can be shown again; a file
//! too large is refused at once (413).

use std::collections::HashMap;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use super::csrf::{self, FIELD};
use super::error::Failure;
use crate::error::ServiceError;
use crate::state::AppState;
use crate::tickets::attachments::Upload;

const MAX_TEXT: usize = 64 * 1024;
const MAX_PARTS: usize = 64;

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
    let is_multipart = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(Failure::BadRequest("send the form as multipart/form-data".into()));
    }
    let settings = &state.settings;
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let mut data = FormData::default();
    let mut csrf_ok = false;
    let mut total = 0usize;
    let mut parts = 0usize;
    let bad = |e: actix_multipart::MultipartError| Failure::BadRequest(format!("malformed form: {e}"));
    while let Some(field) = form.next().await {
        let mut field = field.map_err(bad)?;
        parts += 1;
        if parts > MAX_PARTS {
            return Err(Failure::BadRequest("too many form parts".into()));
        }
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_owned);
        let Some(filename) = filename else {
            let bytes = read_up_to(&mut field, MAX_TEXT).await.map_err(bad)?.ok_or_else(|| Failure::BadRequest(format!("'{name}' is too long")))?;
            let value = String::from_utf8(bytes).map_err(|_| Failure::BadRequest(format!("'{name}' is not UTF-8")))?;
            if name == FIELD {
                if !csrf::matches(expected_csrf, &value) {
                    return Err(Failure::Csrf);
                }
                csrf_ok = true;
            }
            data.text.insert(name, value);
            continue;
        };
        if !csrf_ok {
            return Err(Failure::Csrf);
        }
        let limit = settings.max_file_bytes.min(settings.max_message_bytes.saturating_sub(total));
        // Too large: answered at once (413) rather than read to the end.
        let Some(bytes) = read_up_to(&mut field, limit).await.map_err(bad)? else {
            return Err(Failure::Service(ServiceError::TooLarge(format!("'{filename}' is too large"))));
        };
        // A file input left empty sends a part with no name and no bytes.
        if bytes.is_empty() && filename.is_empty() {
            continue;
        }
        total += bytes.len();
        let store = state.files.clone();
        let key = name.clone();
        let stored = web::block(move || store.put(&key, &filename, &bytes))
            .await
            .map_err(|e| Failure::Service(ServiceError::Internal(e.to_string())))?;
        match stored {
            Ok(upload) => data.uploads.push(upload),
            Err(ServiceError::UnsupportedMediaType(_)) => data.file_errors.push((name, "file type")),
            Err(ServiceError::Infected { .. }) => data.file_errors.push((name, "file infected")),
            Err(other) => return Err(Failure::Service(other)),
        }
    }
    if !csrf_ok {
        return Err(Failure::Csrf);
    }
    Ok(data)
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
