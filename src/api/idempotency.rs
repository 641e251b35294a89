//! `Idempotency-Key` on the API's creating routes (`POST /tickets`, `POST /tickets/{n}/messages`):
//! a client that retries after a timeout sends the same key and gets the first answer again
//! (same status, `Location` and body, plus `Idempotent-Replayed: true`) instead of a second
//! ticket or message. The key belongs to its caller (the account, or a guest's e-mail); the same
//! key with another request (route or body) is 422. The key is stored in the transaction that
//! does the work, so concurrent duplicates are decided by its primary key; a request that fails
//! stores nothing (a retry runs again). Keys are kept `KEPT_HOURS`.

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{Duration, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::ApiError;
use crate::db::{idempotency as stored, write_tx, DbConn};
use crate::error::ServiceError;
use crate::files::Upload;

pub const HEADER: &str = "Idempotency-Key";
use crate::db::idempotency::KEPT_HOURS;
const MAX_KEY: usize = 255;

/// A request that carries a key: who sent it, the key, and the digest of what was asked.
pub struct Keyed {
    scope: String,
    key: String,
    request_hash: String,
}

/// The request's key: none, or 1 to 255 visible ASCII characters (else 422).
pub fn key_of(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(raw) = req.headers().get(HEADER) else { return Ok(None) };
    let key = raw.to_str().ok().map(str::trim).unwrap_or_default();
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ServiceError::field(HEADER, format!("an idempotency key is 1 to {MAX_KEY} visible ASCII characters")).into());
    }
    Ok(Some(key.to_owned()))
}

impl Keyed {
    /// `scope` names the caller; `route` the operation (e.g. `POST /tickets/HD-2026-000001/messages`);
    /// `json` the JSON sent (compared by meaning: spacing and key order do not matter); `uploads`
    /// the files sent with it (compared by content).
    pub fn new(scope: String, key: String, route: &str, json: &[u8], uploads: &[Upload]) -> Self {
        let mut digest = Sha256::new();
        digest.update(route.as_bytes());
        digest.update([0]);
        match serde_json::from_slice::<Value>(json) {
            Ok(value) => canonical(&value, &mut digest),
            Err(_) => digest.update(json),
        }
        for upload in uploads {
            for part in [&upload.key, &upload.filename, &upload.sha256] {
                digest.update([0]);
                digest.update(part.as_bytes());
            }
        }
        Keyed { scope, key, request_hash: hex::encode(digest.finalize()) }
    }
}

/// Feeds `value` with object keys in sorted order.
fn canonical(value: &Value, digest: &mut Sha256) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            digest.update(b"{");
            for key in keys {
                digest.update(serde_json::to_string(key).unwrap_or_default().as_bytes());
                digest.update(b":");
                canonical(&map[key], digest);
                digest.update(b",");
            }
            digest.update(b"}");
        }
        Value::Array(items) => {
            digest.update(b"[");
            for item in items {
                canonical(item, digest);
                digest.update(b",");
            }
            digest.update(b"]");
        }
        other => digest.update(other.to_string().as_bytes()),
    }
}

/// An answer as sent, and as stored for a replay.
pub struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
    replayed: bool,
}

impl Answer {
    pub fn json(status: StatusCode, location: Option<String>, value: &impl Serialize) -> Result<Self, ServiceError> {
        let body = serde_json::to_string(value).map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(Answer { status, location, body, replayed: false })
    }

    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/json");
        if let Some(location) = self.location {
            response.insert_header((LOCATION, location));
        }
        if self.replayed {
            response.insert_header(("Idempotent-Replayed", "true"));
        }
        response.body(self.body)
    }
}

/// Runs `work` once per key: without a key, simply runs it; with a new key, runs it and stores
/// its answer in the same transaction; with a known key, answers the stored answer (422 when
/// the request differs).
pub fn once<F>(conn: &mut DbConn, keyed: Option<&Keyed>, work: F) -> Result<Answer, ServiceError>
where
    F: FnOnce(&mut DbConn) -> Result<Answer, ServiceError>,
{
    let Some(keyed) = keyed else { return work(conn) };
    let now = Utc::now().naive_utc();
    write_tx(conn, |conn| {
        match stored::claim(conn, &keyed.scope, &keyed.key, &keyed.request_hash, now, now - Duration::hours(KEPT_HOURS))? {
            None => {
                let answer = work(conn)?;
                stored::complete(conn, &keyed.scope, &keyed.key, answer.status.as_u16(), answer.location.as_deref(), &answer.body)?;
                Ok(answer)
            }
            Some(first) if first.request_hash == keyed.request_hash => Ok(Answer {
                status: u16::try_from(first.status).ok().and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK),
                location: first.location,
                body: first.body,
                replayed: true,
            }),
            Some(_) => Err(ServiceError::field(
                HEADER,
                format!("this key was used within {KEPT_HOURS} hours for a different request: send a new key for a new request"),
            )),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(json: &str) -> String {
        Keyed::new("u".into(), "k".into(), "POST /tickets", json.as_bytes(), &[]).request_hash
    }

    #[test]
    fn the_same_json_in_another_spelling_is_the_same_request() {
        assert_eq!(hash(r#"{"a":1,"b":[1,{"c":"x","d":2}]}"#), hash(r#"{ "b": [1, {"d": 2, "c": "x"}], "a": 1 }"#));
        assert_ne!(hash(r#"{"a":1}"#), hash(r#"{"a":2}"#));
        assert_ne!(hash(r#"{"a":"1"}"#), hash(r#"{"a":1}"#));
    }
}
