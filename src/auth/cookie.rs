//! The session cookie, the same for the API's sign-in and the pages'. HttpOnly and SameSite=Lax
//! always; over https also Secure with the `__Host-` prefix (host-only, path `/`), so that no
//! sibling subdomain can plant or overwrite it.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::HttpRequest;

use super::token::{SECURE_SESSION_COOKIE, SESSION_COOKIE};

pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

pub fn session_cookie(token: String, max_age_secs: i64, secure: bool) -> Cookie<'static> {
    Cookie::build(session_cookie_name(secure), token)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(max_age_secs))
        .finish()
}

/// The cookie that removes the session from the browser.
pub fn session_cookie_removal(secure: bool) -> Cookie<'static> {
    let mut gone = Cookie::build(session_cookie_name(secure), "").path("/").http_only(true).secure(secure).finish();
    gone.make_removal();
    gone
}

/// The session token the browser sent, under this deployment's cookie name.
pub fn session_cookie_value(req: &HttpRequest, secure: bool) -> Option<String> {
    req.cookie(session_cookie_name(secure)).map(|c| c.value().to_owned())
}
