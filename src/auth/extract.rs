use actix_web::{web, HttpRequest};

use crate::accounts::{self, User};
use crate::domain::Role;
use crate::error::ServiceError;
use crate::state::AppState;

/// A signed-in user of any role.
pub struct CurrentUser(pub User);
/// A signed-in user, or nobody (guest routes).
pub struct MaybeUser(pub Option<User>);
/// An agent, supervisor or admin.
pub struct Staff(pub User);
/// An admin.
pub struct Admin(pub User);

/// How the session token came: a client's `Authorization: Bearer`, or the browser's cookie.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Carrier {
    Bearer,
    Cookie,
}

fn session_token(req: &HttpRequest, secure: bool) -> Option<(String, Carrier)> {
    if let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| (token.trim().to_owned(), Carrier::Bearer));
    }
    super::session_cookie_value(req, secure).map(|token| (token, Carrier::Cookie))
}

/// The verified session claims of a request (for logout).
pub fn claims_of(req: &HttpRequest, keys: &super::JwtKeys, secure: bool) -> Option<super::Claims> {
    keys.verify(&session_token(req, secure)?.0)
}

/// The header a cookie-authenticated API write carries (`GET /api/v1/me` gives its value).
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// A write to the API that only a browser's cookie authenticates: a page of another site could
/// make the browser send it, so it must carry the session's CSRF token. Pages check their own
/// form token; Bearer clients are not browsers.
fn needs_csrf_header(req: &HttpRequest) -> bool {
    let method = req.method();
    let write = !(method == actix_web::http::Method::GET || method == actix_web::http::Method::HEAD || method == actix_web::http::Method::OPTIONS);
    write && req.path().starts_with("/api/")
}

/// The one place where a token becomes a user: signature, expiry, revocation, account state.
/// A cookie that no longer opens a session (expired, revoked, garbage) is no user at all: the
/// browser keeps old cookies, and a public page must not fail because of one.
pub async fn authenticate(req: &HttpRequest) -> Result<Option<User>, ServiceError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ServiceError::Internal("application state missing".into()))?;
    let Some((token, carrier)) = session_token(req, state.secure_cookies()) else {
        return Ok(None);
    };
    let stale = || match carrier {
        Carrier::Bearer => Err(ServiceError::Unauthenticated),
        Carrier::Cookie => Ok(None),
    };
    let Some(claims) = state.keys.verify(&token) else {
        return stale();
    };
    if carrier == Carrier::Cookie && needs_csrf_header(req) {
        let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !super::mac::same(sent, &state.keys.csrf_token(&claims.jti)) {
            return Err(ServiceError::Forbidden(format!("a write signed in by cookie needs the session's {CSRF_HEADER} header")));
        }
    }
    if let Some(user) = state.sessions.get(&claims.jti) {
        return Ok(Some(user));
    }
    let jti = claims.jti.clone();
    let user = state
        .db
        .read(move |conn| accounts::session_user(conn, &claims.sub, &claims.jti))
        .await?;
    match user {
        Some(user) => {
            state.sessions.put(jti, user.clone());
            Ok(Some(user))
        }
        None => stale(),
    }
}

/// A signed-in user whose role passes `allowed`; 403 with `refusal` otherwise.
pub async fn with_role(req: &HttpRequest, allowed: fn(Role) -> bool, refusal: &str) -> Result<User, ServiceError> {
    let user = authenticate(req).await?.ok_or(ServiceError::Unauthenticated)?;
    if !allowed(user.role) {
        return Err(ServiceError::Forbidden(refusal.into()));
    }
    Ok(user)
}
