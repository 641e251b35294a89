//! Request bodies: JSON (with our own limits and errors) and multipart (a JSON part plus
//! checked files). The error answers: 400 malformed, 413 too large, 415 wrong type, 422 shape.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{error::JsonPayloadError, web, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::problem::{from_json_error, ApiError};
use crate::error::ServiceError;
use crate::state::AppState;
use crate::tickets::attachments::Upload;

fn too_large(limit: usize) -> ApiError {
    ServiceError::TooLarge(format!("the body is larger than {limit} bytes")).into()
}

/// The `JsonConfig` error handler: the same answers as our own parsing.
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::OverflowKnownLength { limit, .. } | JsonPayloadError::Overflow { limit } => too_large(*limit),
        JsonPayloadError::ContentType => {
            ServiceError::UnsupportedMediaType("send application/json".into()).into()
        }
        JsonPayloadError::Deserialize(e) => from_json_error(e),
        other => ApiError::BadRequest(other.to_string()),
    };
    api.into()
}

pub fn query_error(err: actix_web::error::QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::from(ServiceError::field("query", err.to_string())).into()
}

fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| from_json_error(&e))
}

async fn read_limited(mut stream: impl futures_util::Stream<Item = Result<web::Bytes, ApiError>> + Unpin, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// A JSON body, or a multipart body with a JSON part named `json_part` and file parts.
/// Files are checked (type by content, per-file and per-message size) and stored.
pub async fn json_or_multipart<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    json_part: &str,
) -> Result<(T, Vec<Upload>), ApiError> {
    json_or_multipart_raw(req, payload, state, json_part).await.map(|(value, uploads, _)| (value, uploads))
}

/// `json_or_multipart`, also answering the JSON as sent (for the digest of an idempotent request).
pub async fn json_or_multipart_raw<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    json_part: &str,
) -> Result<(T, Vec<Upload>, Vec<u8>), ApiError> {
    let settings = &state.settings;
    match media_type(req).as_str() {
        "application/json" => {
            let bytes = read_limited(payload.map(|c| c.map_err(|e| ApiError::BadRequest(e.to_string()))), settings.max_json_bytes).await?;
            Ok((parse_json(&bytes)?, Vec::new(), bytes))
        }
        "multipart/form-data" => {
            let (json, uploads) = multipart(req, payload, state, Some(json_part)).await?;
            let json = json.ok_or_else(|| ServiceError::field(json_part, "the JSON part is missing"))?;
            Ok((parse_json(&json)?, uploads, json))
        }
        "" => Err(ServiceError::UnsupportedMediaType("send application/json or multipart/form-data".into()).into()),
        other => Err(ServiceError::UnsupportedMediaType(format!("{other} is not accepted: send application/json or multipart/form-data")).into()),
    }
}

/// Files only (the attachments route).
pub async fn files_only(req: &HttpRequest, payload: web::Payload, state: &AppState) -> Result<Vec<Upload>, ApiError> {
    if media_type(req) != "multipart/form-data" {
        return Err(ServiceError::UnsupportedMediaType("send multipart/form-data".into()).into());
    }
    let (_, uploads) = multipart(req, payload, state, None).await?;
    if uploads.is_empty() {
        return Err(ServiceError::field("files", "attach at least one file").into());
    }
    Ok(uploads)
}

async fn multipart(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    json_part: Option<&str>,
) -> Result<(Option<Vec<u8>>, Vec<Upload>), ApiError> {
    let settings = &state.settings;
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let mut json = None;
    let mut uploads = Vec::new();
    let mut total = 0usize;
    let bad = |e: actix_multipart::MultipartError| ApiError::BadRequest(format!("malformed multipart body: {e}"));
    while let Some(field) = form.next().await {
        let field = field.map_err(bad)?;
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_owned);
        match filename {
            None if Some(name.as_str()) == json_part => {
                json = Some(read_limited(field.map(|c| c.map_err(bad)), settings.max_json_bytes).await?);
            }
            None => return Err(ApiError::BadRequest(format!("unexpected form part '{name}'"))),
            Some(filename) => {
                if uploads.len() >= 20 {
                    return Err(ServiceError::TooLarge("at most 20 files at a time".into()).into());
                }
                let limit = settings.max_file_bytes.min(settings.max_message_bytes.saturating_sub(total));
                let bytes = read_limited(field.map(|c| c.map_err(bad)), limit).await.map_err(|e| match e {
                    ApiError::Service(ServiceError::TooLarge(_)) => ServiceError::TooLarge(format!(
                        "'{filename}' is too large: at most {} MiB a file and {} MiB a message",
                        settings.max_file_bytes / (1024 * 1024),
                        settings.max_message_bytes / (1024 * 1024)
                    ))
                    .into(),
                    other => other,
                })?;
                if bytes.is_empty() {
                    return Err(ServiceError::field(&name, format!("'{filename}' is empty")).into());
                }
                total += bytes.len();
                let store = state.files.clone();
                let upload = web::block(move || store.put(&name, &filename, &bytes))
                    .await
                    .map_err(|e| ServiceError::Internal(e.to_string()))??;
                uploads.push(upload);
            }
        }
    }
    Ok((json, uploads))
}
