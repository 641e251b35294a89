//! CSRF by double submit: a random token in the `hd_csrf` cookie (SameSite=Strict, HttpOnly)
//! and the same token in a hidden field of every form, compared in constant time.

use base64::Engine;
use rand::RngCore;

pub const CSRF_COOKIE: &str = "hd_csrf";
pub const FIELD: &str = "csrf";

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token this server could have made: 43 URL-safe base64 characters.
pub fn well_formed(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Constant-time equality of the cookie's token and the form's.
pub fn matches(cookie: Option<&str>, submitted: &str) -> bool {
    let Some(cookie) = cookie.filter(|c| well_formed(c)) else {
        return false;
    };
    if cookie.len() != submitted.len() {
        return false;
    }
    cookie.bytes().zip(submitted.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_well_formed_token_matches() {
        let token = new_token();
        assert!(well_formed(&token));
        assert!(matches(Some(&token), &token));
        assert!(!matches(Some(&token), &new_token()));
        assert!(!matches(None, &token));
        assert!(!matches(Some(&token), ""));
        assert!(!matches(Some("short"), "short"));
    }
}
