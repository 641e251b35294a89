//! Request bodies: JSON (with our own limits and errors) and multipart (a JSON part plus
//! checked files). The error answers: 400 malformed, 413 too large, 415 wrong type, 422 shape.

use actix_web::{error::JsonPayloadError, web, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::problem::{from_json_error, ApiError};
use crate::error::ServiceError;
use crate::multipart::{self, media_type, ReadError};
use crate::state::AppState;
use crate::files::Upload;

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

/// The JSON part (when asked for) and the files, by the one multipart reader. A refused file
/// is the answer (415 type, 422 virus or empty), as is any text part but the JSON one.
async fn multipart(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    json_part: Option<&str>,
) -> Result<(Option<Vec<u8>>, Vec<Upload>), ApiError> {
    let rules = multipart::Rules { max_text: state.settings.max_json_bytes, csrf: None };
    let mut parts = multipart::read(req, payload, state, rules).await.map_err(|e| match e {
        ReadError::Malformed(m) => ApiError::BadRequest(m),
        ReadError::Csrf => ApiError::BadRequest("unexpected form field".into()),
        ReadError::Service(e) => e.into(),
    })?;
    if let Some((_, refused)) = parts.refused.into_iter().next() {
        return Err(refused.into());
    }
    let json = json_part.and_then(|name| parts.text.remove(name));
    if let Some(name) = parts.text.keys().next() {
        return Err(ApiError::BadRequest(format!("unexpected form part '{name}'")));
    }
    Ok((json, parts.uploads))
}
