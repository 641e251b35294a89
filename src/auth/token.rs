use chrono::{Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::domain::Role;
use crate::error::ServiceError;

pub const SESSION_COOKIE: &str = "hd_session";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    /// Set on single-purpose tokens (the mailed sign-in link), which are no session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
}

const SIGN_IN: &str = "sign-in";

/// HS256 keys made once from the configured secret.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
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
        }
    }

    fn sign(&self, user_id: &str, role: Role, ttl: Duration, purpose: Option<&str>) -> Result<(String, Claims), ServiceError> {
        let now = Utc::now();
        let claims = Claims {
            sub: user_id.to_owned(),
            role,
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            purpose: purpose.map(str::to_owned),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ServiceError::Internal(format!("signing a token: {e}")))?;
        Ok((token, claims))
    }

    /// A session token.
    pub fn issue(&self, user_id: &str, role: Role) -> Result<(String, Claims), ServiceError> {
        self.sign(user_id, role, self.ttl, None)
    }

    /// A one-time sign-in link token, valid 15 minutes.
    pub fn issue_sign_in(&self, user_id: &str) -> Result<String, ServiceError> {
        self.sign(user_id, Role::Student, Duration::minutes(15), Some(SIGN_IN)).map(|(token, _)| token)
    }

    fn decode(&self, token: &str) -> Option<Claims> {
        decode::<Claims>(token, &self.decoding, &self.validation).ok().map(|data| data.claims)
    }

    /// A session token's claims: signature and expiry (revocation is checked by the extractor).
    pub fn verify(&self, token: &str) -> Option<Claims> {
        self.decode(token).filter(|c| c.purpose.is_none())
    }

    pub fn verify_sign_in(&self, token: &str) -> Option<Claims> {
        self.decode(token).filter(|c| c.purpose.as_deref() == Some(SIGN_IN))
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
        // A sign-in link is not a session, and a session is not a sign-in link.
        let link = keys.issue_sign_in("user-1").unwrap();
        assert!(keys.verify(&link).is_none());
        assert!(keys.verify_sign_in(&link).is_some());
        assert!(keys.verify_sign_in(&token).is_none());
    }
}
