//! Keyed digests (HMAC-SHA256) for values the desk hands out and must recognise later without
//! storing them: CSRF tokens bound to a session, the reply address token of each mail. One
//! key derived from the configured secret; each use has its own label, so a digest made for one
//! purpose is never valid for another.

use base64::Engine;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct Mac {
    key: Vec<u8>,
}

impl std::fmt::Debug for Mac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mac(..)")
    }
}

impl Mac {
    pub fn new(secret: &[u8]) -> Self {
        // A key of its own, so these digests reveal nothing about the token-signing key's use.
        Self { key: Self::digest_with(secret, "helpdesk mac key v1", &[]) }
    }

    fn digest_with(key: &[u8], label: &str, parts: &[&str]) -> Vec<u8> {
        // new_from_slice accepts keys of any length for HMAC.
        let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
            return Vec::new();
        };
        mac.update(label.as_bytes());
        for part in parts {
            // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().to_vec()
    }

    /// The digest of `parts` under `label`, as URL-safe base64 (43 characters).
    pub fn token(&self, label: &str, parts: &[&str]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Self::digest_with(&self.key, label, parts))
    }

    /// The digest as `len` lower-case base32 characters (for e-mail local parts, which some
    /// systems fold to lower case). 20 characters carry 100 bits.
    pub fn short(&self, label: &str, parts: &[&str], len: usize) -> String {
        const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
        let bytes = Self::digest_with(&self.key, label, parts);
        let mut out = String::with_capacity(len);
        let (mut acc, mut bits) = (0u32, 0u32);
        for byte in bytes {
            acc = (acc << 8) | u32::from(byte);
            bits += 8;
            while bits >= 5 && out.len() < len {
                bits -= 5;
                out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
            }
        }
        out
    }
}

/// Constant-time equality of two strings (tokens compared with what we expect).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_depend_on_key_label_and_parts() {
        let a = Mac::new(b"one secret of at least thirty-two bytes");
        let b = Mac::new(b"another secret of thirty-two bytes!!");
        assert_eq!(a.token("csrf", &["x"]), a.token("csrf", &["x"]));
        assert_ne!(a.token("csrf", &["x"]), b.token("csrf", &["x"]));
        assert_ne!(a.token("csrf", &["x"]), a.token("reply", &["x"]));
        assert_ne!(a.token("l", &["ab", "c"]), a.token("l", &["a", "bc"]));
        let short = a.short("reply", &["HD-2026-000001", "a@b.it"], 20);
        assert_eq!(short.len(), 20);
        assert!(short.bytes().all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c)));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
