//! CSRF tokens of the pages' forms. Every browser gets a random id in the `hd_csrf` cookie
//! (SameSite=Strict, HttpOnly; `__Host-` over https); a form's token is a keyed digest of the
//! signed-in session's id, or of that browser id before sign-in. So a token is worth nothing in
//! another session, and a cookie an attacker managed to set is no help: the matching token is
//! a digest only the server can make.

use base64::Engine;
use rand::RngCore;

use crate::auth::mac::{self, Mac};

pub const CSRF_COOKIE: &str = "hd_csrf";
pub const SECURE_CSRF_COOKIE: &str = "__Host-hd_csrf";
pub const FIELD: &str = "csrf";

pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_CSRF_COOKIE
    } else {
        CSRF_COOKIE
    }
}

/// A new random browser id.
pub fn new_browser_id() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A browser id this server could have made: 43 URL-safe base64 characters.
pub fn well_formed(id: &str) -> bool {
    id.len() == 43 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What a page's token is bound to: the session when there is one, else the browser.
pub enum Binding<'a> {
    Session(&'a str),
    Browser(&'a str),
}

/// The token the forms of a page carry.
pub fn form_token(keys: &Mac, binding: Binding<'_>) -> String {
    match binding {
        Binding::Session(jti) => keys.token("page-csrf", &["session", jti]),
        Binding::Browser(id) => keys.token("page-csrf", &["browser", id]),
    }
}

/// Constant-time equality of the expected token and the submitted one.
pub fn matches(expected: &str, submitted: &str) -> bool {
    !expected.is_empty() && mac::same(expected, submitted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_bound_to_its_session_or_browser() {
        let keys = Mac::new(b"a secret of at least thirty-two bytes!!");
        let browser = new_browser_id();
        assert!(well_formed(&browser));
        let token = form_token(&keys, Binding::Browser(&browser));
        assert!(matches(&token, &form_token(&keys, Binding::Browser(&browser))));
        assert!(!matches(&token, &form_token(&keys, Binding::Browser(&new_browser_id()))));
        assert!(!matches(&token, &form_token(&keys, Binding::Session(&browser))));
        // The cookie's value itself is not a token (the old double submit).
        assert!(!matches(&token, &browser));
        assert!(!matches("", ""));
        let other_key = Mac::new(b"another secret of thirty-two bytes!!");
        assert!(!matches(&token, &form_token(&other_key, Binding::Browser(&browser))));
    }
}
