use chrono::{Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::mac::Mac;
use crate::domain::Role;
use crate::error::ServiceError;

pub const SESSION_COOKIE: &str = "hd_session";
/// The session cookie's name when the desk is served over https: the `__Host-` prefix makes the
/// browser refuse it unless it is Secure, host-only and for `/`, so a sibling subdomain cannot
/// plant or overwrite it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-hd_session";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    /// Set on single-purpose tokens (mailed links), which are no session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// What the link was made for (the address-verification link: the password it confirms),
    /// so that a link stops working once that changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound: Option<String>,
}

/// What a mailed link token is for; a token of one purpose never works for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signs a student in once (15 minutes).
    SignIn,
    /// Confirms the address of a new account (24 hours).
    VerifyEmail,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::SignIn => "sign-in",
            Purpose::VerifyEmail => "verify-email",
        }
    }

    fn ttl(self) -> Duration {
        match self {
            Purpose::SignIn => Duration::minutes(15),
            Purpose::VerifyEmail => Duration::hours(24),
        }
    }
}

/// HS256 keys made once from the configured secret, and the keyed digests derived from it.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
    mac: Mac,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_hours: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl: Duration::hours(ttl_hours.max(1)),
            mac: Mac::new(secret),
        }
    }

    pub fn mac(&self) -> &Mac {
        &self.mac
    }

    /// The CSRF token of a session (the `X-CSRF-Token` that cookie-authenticated API writes
    /// carry): derived from the session's id, so it is worth nothing with another session.
    pub fn csrf_token(&self, jti: &str) -> String {
        self.mac.token("api-csrf", &[jti])
    }

    fn sign(&self, user_id: &str, role: Role, ttl: Duration, purpose: Option<Purpose>, bound: Option<String>) -> Result<(String, Claims), ServiceError> {
        let now = Utc::now();
        let claims = Claims {
            sub: user_id.to_owned(),
            role,
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            purpose: purpose.map(|p| p.as_str().to_owned()),
            bound,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ServiceError::Internal(format!("signing a token: {e}")))?;
        Ok((token, claims))
    }

    /// A session token.
    pub fn issue(&self, user_id: &str, role: Role) -> Result<(String, Claims), ServiceError> {
        self.sign(user_id, role, self.ttl, None, None)
    }

    /// A mailed link's token for `purpose`, bound to `bound` when given. Single use is the
    /// caller's: it revokes the `jti` when the link is followed.
    pub fn issue_link(&self, user_id: &str, purpose: Purpose, bound: Option<String>) -> Result<String, ServiceError> {
        self.sign(user_id, Role::Student, purpose.ttl(), Some(purpose), bound).map(|(token, _)| token)
    }

    fn decode(&self, token: &str) -> Option<Claims> {
        decode::<Claims>(token, &self.decoding, &self.validation).ok().map(|data| data.claims)
    }

    /// A session token's claims: signature and expiry (revocation is checked by the extractor).
    pub fn verify(&self, token: &str) -> Option<Claims> {
        self.decode(token).filter(|c| c.purpose.is_none())
    }

    /// A mailed link's claims, if the token was made for `purpose` and has not expired.
    pub fn verify_link(&self, token: &str, purpose: Purpose) -> Option<Claims> {
        self.decode(token).filter(|c| c.purpose.as_deref() == Some(purpose.as_str()))
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_with_its_key_only() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef", 1);
        let (token, claims) = keys.issue("user-1", Role::Agent).unwrap();
        let back = keys.verify(&token).unwrap();
        assert_eq!((back.sub.as_str(), back.role, back.jti.as_str()), ("user-1", Role::Agent, claims.jti.as_str()));
        let other = JwtKeys::new(b"another key of thirty-two bytes!", 1);
        assert!(other.verify(&token).is_none());
        assert!(keys.verify("not.a.token").is_none());
        // A link is not a session, a session is not a link, and one purpose is not another.
        let link = keys.issue_link("user-1", Purpose::SignIn, None).unwrap();
        assert!(keys.verify(&link).is_none());
        assert!(keys.verify_link(&link, Purpose::SignIn).is_some());
        assert!(keys.verify_link(&link, Purpose::VerifyEmail).is_none());
        assert!(keys.verify_link(&token, Purpose::SignIn).is_none());
        let verify = keys.issue_link("user-1", Purpose::VerifyEmail, Some("fp".into())).unwrap();
        assert_eq!(keys.verify_link(&verify, Purpose::VerifyEmail).unwrap().bound.as_deref(), Some("fp"));
    }
}
