//! Errors of the HTTP API as `application/problem+json`. The one place where service errors
//! become status codes.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::DbError;
use crate::error::{FieldError, ServiceError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Service(#[from] ServiceError),
    #[error("{0}")]
    BadRequest(String),
    /// Too many attempts; try again in this many seconds.
    #[error("too many attempts: try again in {0} s")]
    RateLimited(u64),
    #[error("no such route")]
    NoRoute,
}

impl From<crate::auth::RateLimited> for ApiError {
    fn from(e: crate::auth::RateLimited) -> Self {
        ApiError::RateLimited(e.0)
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::Service(ServiceError::Db(e))
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

fn is_unique_violation(e: &DbError) -> bool {
    matches!(
        e,
        DbError::Query(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
    )
}

impl ApiError {
    /// Seconds for `Retry-After`: rate limits, and a database that is busy or away.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited(wait) => Some(*wait),
            ApiError::Service(ServiceError::Db(db)) => db.retry_after(),
            ApiError::Service(ServiceError::ScannerUnavailable(_)) => Some(crate::files::SCANNER_RETRY_SECS),
            _ => None,
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, String, Option<Vec<FieldError>>) {
        use ServiceError as S;
        match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad-request", m.clone(), None),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate-limited", self.to_string(), None),
            ApiError::NoRoute => (StatusCode::NOT_FOUND, "no-such-route", "there is no such route".into(), None),
            ApiError::Service(e) => match e {
                S::NotFound => (StatusCode::NOT_FOUND, "not-found", "not found".into(), None),
                S::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", "sign in first".into(), None),
                S::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone(), None),
                S::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone(), None),
                S::Validation(list) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "some fields are not valid".into(),
                    Some(list.clone()),
                ),
                S::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "too-large", m.clone(), None),
                S::UnsupportedMediaType(m) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", m.clone(), None),
                S::Infected { field, filename, signature } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "infected",
                    format!(
                        "'{filename}' contains a virus ({signature}) and was not kept. \
                         Il file '{filename}' contiene un virus ({signature}) e non è stato conservato."
                    ),
                    Some(vec![FieldError::text(field.clone(), format!("a virus was found: {signature}"))]),
                ),
                S::ScannerUnavailable(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "scanner-unavailable",
                    "files cannot be checked for viruses right now, so none is accepted: try again in a few minutes. \
                     Non è possibile controllare i file ora: riprova tra qualche minuto."
                        .into(),
                    None,
                ),
                S::Db(db) if is_unique_violation(db) => {
                    (StatusCode::CONFLICT, "conflict", "this conflicts with data that already exists".into(), None)
                }
                S::Db(db) if db.retry_after().is_some() => {
                    (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the desk is busy; try again in a moment".into(), None)
                }
                S::Db(_) | S::Storage(_) | S::Internal(_) => {
                    (StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side".into(), None)
                }
            },
        }
    }
}

fn title(status: StatusCode) -> String {
    status.canonical_reason().unwrap_or("Error").to_owned()
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, kind, detail, errors) = self.parts();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(error = %self, "request refused: try again later");
        } else if status.is_server_error() {
            tracing::error!(error = %self, ?self, "request failed");
        }
        let problem = Problem { kind: format!("/problems/{kind}"), title: title(status), status: status.as_u16(), detail, errors };
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        if let Some(wait) = self.retry_after() {
            response.insert_header(("Retry-After", wait.to_string()));
        }
        response.json(problem)
    }
}

/// Turns serde's complaint into 400 (not JSON) or 422 (JSON of the wrong shape).
pub fn from_json_error(e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => {
            let message = e.to_string();
            let field = message
                .split('`')
                .nth(1)
                .filter(|_| message.starts_with("missing field") || message.starts_with("unknown field"))
                .unwrap_or("body")
                .to_owned();
            ApiError::Service(ServiceError::Validation(vec![FieldError::text(field, message)]))
        }
        Category::Syntax | Category::Eof | Category::Io => ApiError::BadRequest(format!("the body is not valid JSON: {e}")),
    }
}
