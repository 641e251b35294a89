//! The one mapping from errors to HTML error pages (as `api::problem` does for JSON): 404 for
//! anything not found or not the caller's, 403 for a bad CSRF token, 429 for rate limits, a
//! redirect to the sign-in page for a missing session.

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use super::{i18n, render};
use crate::api::ApiError;
use crate::db::DbError;
use crate::domain::Locale;
use crate::error::ServiceError;

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Service(#[from] ServiceError),
    #[error("the CSRF token is missing or wrong")]
    Csrf,
    /// Try again in this many seconds.
    #[error("too many attempts: try again in {0} s")]
    RateLimited(u64),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Template(String),
}

impl From<crate::auth::RateLimited> for Failure {
    fn from(e: crate::auth::RateLimited) -> Self {
        Failure::RateLimited(e.0)
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Service(e) => Failure::Service(e),
            ApiError::BadRequest(m) => Failure::BadRequest(m),
            ApiError::RateLimited(wait) => Failure::RateLimited(wait),
            ApiError::NoRoute => Failure::Service(ServiceError::NotFound),
        }
    }
}

impl From<DbError> for Failure {
    fn from(e: DbError) -> Self {
        Failure::Service(ServiceError::Db(e))
    }
}

/// An error of a page, with the language to explain it in.
#[derive(Debug, thiserror::Error)]
#[error("{failure}")]
pub struct WebError {
    pub locale: Locale,
    pub failure: Failure,
}

impl WebError {
    pub fn new(locale: Locale, failure: impl Into<Failure>) -> Self {
        Self { locale, failure: failure.into() }
    }

    pub fn not_found(locale: Locale) -> Self {
        Self::new(locale, ServiceError::NotFound)
    }

    /// Status, title key, and the text shown.
    fn parts(&self) -> (StatusCode, &'static str, String) {
        use ServiceError as S;
        let l = self.locale;
        match &self.failure {
            Failure::Csrf => (StatusCode::FORBIDDEN, "error.csrf_title", i18n::text(l, "error.csrf")),
            Failure::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "error.rate_title", i18n::text(l, "error.rate")),
            Failure::BadRequest(_) => (StatusCode::BAD_REQUEST, "error.bad_title", i18n::text(l, "error.bad")),
            Failure::Template(_) => (StatusCode::INTERNAL_SERVER_ERROR, "error.title", i18n::text(l, "error.internal")),
            Failure::Service(e) => match e {
                S::NotFound | S::Unauthenticated => {
                    (StatusCode::NOT_FOUND, "error.not_found_title", i18n::text(l, "error.not_found"))
                }
                S::Forbidden(m) => (StatusCode::FORBIDDEN, "error.forbidden_title", i18n::message(l, m)),
                S::Conflict(m) => (StatusCode::CONFLICT, "error.conflict_title", i18n::message(l, m)),
                S::Validation(list) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "error.bad_title",
                    list.iter().map(|f| i18n::field_message(l, f)).collect::<Vec<_>>().join(" "),
                ),
                S::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "error.too_large_title", i18n::message(l, "file size")),
                S::UnsupportedMediaType(_) => {
                    (StatusCode::UNSUPPORTED_MEDIA_TYPE, "error.bad_title", i18n::message(l, "file type"))
                }
                S::Db(db) if db.retry_after().is_some() => {
                    (StatusCode::SERVICE_UNAVAILABLE, "error.title", i18n::text(l, "error.unavailable"))
                }
                S::Infected { filename, .. } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "error.bad_title",
                    format!("{} ({filename})", i18n::message(l, "file infected")),
                ),
                S::ScannerUnavailable(_) => {
                    (StatusCode::SERVICE_UNAVAILABLE, "error.title", i18n::message(l, "scanner unavailable"))
                }
                S::Db(_) | S::Storage(_) | S::Internal(_) => {
                    (StatusCode::INTERNAL_SERVER_ERROR, "error.title", i18n::text(l, "error.internal"))
                }
            },
        }
    }

    /// Seconds for `Retry-After`: rate limits, and a database that is busy or away.
    fn retry_after(&self) -> Option<u64> {
        match &self.failure {
            Failure::RateLimited(wait) => Some(*wait),
            Failure::Service(ServiceError::Db(db)) => db.retry_after(),
            Failure::Service(ServiceError::ScannerUnavailable(_)) => Some(crate::files::SCANNER_RETRY_SECS),
            _ => None,
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(self.failure, Failure::Service(ServiceError::Unauthenticated)) {
            return HttpResponse::SeeOther().insert_header((LOCATION, "/sign-in")).finish();
        }
        let (status, title_key, detail) = self.parts();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(error = %self, "page refused: try again later");
        } else if status.is_server_error() {
            tracing::error!(error = %self, "page failed");
        }
        let title = i18n::text(self.locale, title_key);
        let data = json!({
            "lang": self.locale.as_str(),
            "t": i18n::catalog(self.locale),
            "title": title,
            "user": null,
            "csrf": "",
            "switch": {"href": "/lang/".to_owned() + other(self.locale) + "?next=/", "lang": other(self.locale)},
            "nav": {"home": false, "new": false, "mine": false},
            "page": {"status": status.as_u16(), "heading": title, "detail": detail},
        });
        let mut res = HttpResponse::build(status);
        if let Some(wait) = self.retry_after() {
            res.insert_header(("Retry-After", wait.to_string()));
        }
        match render::render("pages/error", &data) {
            Ok(html) => res.content_type("text/html; charset=utf-8").body(html),
            Err(e) => {
                tracing::error!(error = %e, "the error page failed");
                res.content_type("text/plain; charset=utf-8").body(detail)
            }
        }
    }
}

pub fn other(locale: Locale) -> &'static str {
    match locale {
        Locale::It => "en",
        Locale::En => "it",
    }
}

/// Attaches the page's language to any error that can become a page.
pub trait OrPage<T> {
    fn or_page(self, locale: Locale) -> Result<T, WebError>;
}

impl<T, E: Into<Failure>> OrPage<T> for Result<T, E> {
    fn or_page(self, locale: Locale) -> Result<T, WebError> {
        self.map_err(|e| WebError::new(locale, e))
    }
}
