//! What every page handler starts from (`Ctx`: language, the signed-in user, the CSRF token)
//! and how it answers (a rendered page in the layout, or a redirect).

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::csrf;
use super::error::{other, Failure, OrPage, WebError};
use super::{i18n, render};
use crate::accounts::User;
use crate::auth::authenticate;
use crate::domain::Locale;
use crate::error::ServiceError;
use crate::state::AppState;

pub struct Ctx {
    pub state: web::Data<AppState>,
    pub req: HttpRequest,
    pub locale: Locale,
    pub user: Option<User>,
    /// The token this page's forms carry (and a POST must bring back).
    pub csrf: String,
    /// A browser id to set in the CSRF cookie (the browser had none).
    fresh_csrf: Option<String>,
}

impl FromRequest for Ctx {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let locale = i18n::detect(&req);
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| WebError::new(locale, ServiceError::Internal("application state missing".into())))?;
            // A stale or revoked session cookie is simply no session on the pages.
            let user = match authenticate(&req).await {
                Ok(user) => user,
                Err(ServiceError::Unauthenticated) => None,
                Err(other) => return Err(WebError::new(locale, other)),
            };
            let secure = state.secure_cookies();
            let existing = req.cookie(csrf::cookie_name(secure)).map(|c| c.value().to_owned()).filter(|t| csrf::well_formed(t));
            let (browser, fresh_csrf) = match existing {
                Some(id) => (id, None),
                None => {
                    let id = csrf::new_browser_id();
                    (id.clone(), Some(id))
                }
            };
            let session = user.as_ref().and(crate::auth::claims_of(&req, &state.keys, secure)).map(|c| c.jti);
            let binding = match &session {
                Some(jti) => csrf::Binding::Session(jti),
                None => csrf::Binding::Browser(&browser),
            };
            let csrf = csrf::form_token(state.keys.mac(), binding);
            Ok(Ctx { state, req, locale, user, csrf, fresh_csrf })
        })
    }
}

impl Ctx {
    /// True on the page a successful POST redirected to with `?{name}=1` (post/redirect/get:
    /// the confirmation is this GET's, so a reload shows it again and sends nothing).
    pub fn flagged(&self, name: &str) -> bool {
        self.req.query_string().split('&').any(|p| p.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')) == Some("1"))
    }

    pub fn t(&self, path: &str) -> String {
        i18n::text(self.locale, path)
    }

    /// The signed-in user, reading in the page's language (names of procedures, statuses…).
    pub fn reader(&self) -> Option<User> {
        self.user.clone().map(|u| User { locale: self.locale, ..u })
    }

    pub fn fail(&self, failure: impl Into<Failure>) -> WebError {
        WebError::new(self.locale, failure)
    }

    /// The form's token must be the one this session (or browser) gets.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), WebError> {
        if self.fresh_csrf.is_none() && csrf::matches(&self.csrf, submitted) {
            Ok(())
        } else {
            Err(self.fail(Failure::Csrf))
        }
    }

    /// Counts an attempt at a rate-limited form (the same counters as the API's).
    pub fn limit(&self, form: &'static str) -> Result<(), WebError> {
        self.state.limit(&self.req, form).or_page(self.locale)
    }

    /// Counts an attempt at a form aimed at one account (the same counters as the API's).
    pub fn limit_account(&self, form: &'static str, email: &str) -> Result<(), WebError> {
        self.state.limit_account(form, email).or_page(self.locale)
    }

    pub fn secure_cookies(&self) -> bool {
        self.state.secure_cookies()
    }

    fn here(&self) -> String {
        let path = self.req.path();
        match self.req.query_string() {
            // Never carry a secret or a token into the language link.
            q if q.is_empty() || q.contains("secret") || q.contains("token") => path.to_owned(),
            q => format!("{path}?{q}"),
        }
    }

    pub fn render(&self, template: &str, title: &str, page: Value) -> Result<HttpResponse, WebError> {
        self.render_status(StatusCode::OK, template, title, page)
    }

    pub fn render_status(&self, status: StatusCode, template: &str, title: &str, page: Value) -> Result<HttpResponse, WebError> {
        let path = self.req.path();
        let data = json!({
            "lang": self.locale.as_str(),
            "t": i18n::catalog(self.locale),
            "title": title,
            "user": self.user.as_ref().map(|u| json!({"name": u.display_name, "email": u.email})),
            "csrf": self.csrf,
            "switch": {"href": format!("/lang/{}?next={}", other(self.locale), encode(&self.here())), "lang": other(self.locale)},
            "nav": {"home": path == "/", "new": path == "/tickets/new", "mine": path == "/tickets", "procedures": path == "/procedures", "kb": path.starts_with("/kb")},
            "staff": self.user.as_ref().is_some_and(|u| u.is_staff()),
            "admin": self.user.as_ref().is_some_and(|u| u.role == crate::domain::Role::Admin),
            "sso": {"enabled": self.state.sso.is_some(), "staff_only": self.state.settings.staff_sso_only},
            "page": page,
        });
        let html = render::render(template, &data).map_err(|e| self.fail(Failure::Template(e)))?;
        let mut res = HttpResponse::build(status);
        res.content_type("text/html; charset=utf-8");
        if let Some(browser) = &self.fresh_csrf {
            res.cookie(
                Cookie::build(csrf::cookie_name(self.secure_cookies()), browser.clone())
                    .path("/")
                    .http_only(true)
                    .secure(self.secure_cookies())
                    .same_site(SameSite::Strict)
                    .max_age(time::Duration::hours(12))
                    .finish(),
            );
        }
        Ok(res.body(html))
    }
}

/// 303 See Other: after a POST, the browser GETs the next page.
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, to.to_owned())).finish()
}

/// A path on this site to go back to; anything else (another host, `//x`) becomes `/`.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\") && !p.chars().any(char::is_control) => {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/tickets?status=open")), "/tickets?status=open");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
        assert_eq!(encode("/tickets/new?category=ita-l2&x=1"), "/tickets/new%3Fcategory%3Dita-l2%26x%3D1");
    }
}
