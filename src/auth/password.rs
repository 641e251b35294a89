use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::ServiceError;

/// argon2id with 12 MiB, 3 passes, 1 lane: one of the settings OWASP's Password Storage Cheat
/// Sheet gives as equal in strength (with the crate's default, 19 MiB and 2 passes). Each
/// hash being made holds its memory: 12 MiB rather than 19 keeps a sign-in from lifting the
/// desk's resident memory by a third (issue 15). Hashes made with other settings still
/// verify: a hash carries its own.
fn hasher() -> Argon2<'static> {
    match Params::new(12 * 1024, 3, 1, None) {
        Ok(params) => Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        Err(_) => Argon2::default(),
    }
}

/// argon2id (`hasher`). CPU-heavy: call off the async runtime.
pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("hashing a password: {e}")))
}

pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    // Without a stored hash we still hash once, so a missing account costs the same time.
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("no account has this password").unwrap_or_default());
    let Ok(hash) = PasswordHash::new(stored.unwrap_or(dummy)) else {
        return false;
    };
    hasher().verify_password(password.as_bytes(), &hash).is_ok() && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_only_the_right_password() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(&hash)));
        assert!(!verify_password("wrong horse battery", Some(&hash)));
        assert!(!verify_password("correct horse battery", None));
    }

    #[test]
    fn new_hashes_use_12_mib_and_3_passes_and_older_ones_still_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.contains("$m=12288,t=3,p=1$"), "{hash}");
        let salt = SaltString::generate(&mut OsRng);
        let before = Argon2::default().hash_password(b"correct horse battery", &salt).unwrap().to_string();
        assert!(before.contains("$m=19456,t=2,p=1$"), "{before}");
        assert!(verify_password("correct horse battery", Some(&before)));
        assert!(!verify_password("wrong horse battery", Some(&before)));
    }
}
