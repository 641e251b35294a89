//! `Sso`: the service behind `GET /sign-in/sso` and its callback. It knows the provider and the
//! database, never the HTTP request: the page handler passes what the browser sent.

use std::time::Duration;

use chrono::DateTime;
use sha2::{Digest, Sha256};

use super::provider::Provider;
use super::store::{self, FlowRow};
use super::{Assertion, SsoError};
use crate::config::OidcSettings;
use crate::accounts::User;
use crate::ids::now;
use crate::auth::Claims;
use crate::db::Db;
use crate::domain::Locale;
use crate::error::ServiceError;

/// How long a browser has to come back from the provider.
const FLOW_TTL: Duration = Duration::from_secs(600);

pub struct Sso {
    provider: Provider,
    settings: OidcSettings,
}

/// A started sign-in: send the browser to `url`; keep `state` in the browser (a cookie) so that
/// the callback proves it comes back to the same browser.
pub struct Begin {
    pub url: String,
    pub state: String,
}

/// What the browser brought back to the callback, and the state its cookie kept.
#[derive(Debug, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub iss: Option<String>,
    pub browser_state: Option<String>,
}

/// A finished sign-in (or link).
pub struct Finished {
    pub user: User,
    pub identity_id: String,
    /// Where the person wanted to go (a local path), `/` when nowhere in particular.
    pub next: String,
    /// The identity was linked from the account page.
    pub linked: bool,
}

fn hash(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

impl Sso {
    pub fn new(settings: OidcSettings, base_url: &str) -> Result<Self, String> {
        Ok(Self { provider: Provider::new(settings.clone(), base_url)?, settings })
    }

    /// Starts a sign-in (or, with `link_user`, the linking of an identity to that account).
    #[tracing::instrument(skip_all)]
    pub async fn begin(&self, db: &Db, next: String, link_user: Option<String>) -> Result<Begin, SsoError> {
        let authorization = self.provider.authorize().await?;
        let flow = FlowRow {
            state_hash: hash(&authorization.state),
            nonce: authorization.nonce,
            pkce_verifier: authorization.pkce_verifier,
            next_path: next,
            link_user_id: link_user,
            expires_at: now() + chrono::Duration::from_std(FLOW_TTL).unwrap_or_else(|_| chrono::Duration::minutes(10)),
        };
        db.write(move |conn| store::save_flow(conn, &flow)).await?;
        Ok(Begin { url: authorization.url, state: authorization.state })
    }

    /// Ends a sign-in: the state is this browser's and unused, the provider's answer is checked
    /// (code, id_token, nonce), then the identity's account is found, linked or created.
    #[tracing::instrument(skip_all)]
    pub async fn finish(&self, db: &Db, callback: Callback, locale: Locale) -> Result<Finished, SsoError> {
        let state = callback.state.ok_or_else(|| SsoError::Rejected("the response has no state".into()))?;
        let browser = callback.browser_state.ok_or_else(|| SsoError::Rejected("this browser started no sign-in".into()))?;
        let state_hash = hash(&state);
        if state_hash != hash(&browser) {
            return Err(SsoError::Rejected("the state is not the one this browser was given".into()));
        }
        let flow = db
            .write(move |conn| store::take_flow(conn, &state_hash))
            .await?
            .ok_or_else(|| SsoError::Rejected("the sign-in was already used or has expired".into()))?;
        if let Some(iss) = callback.iss.filter(|iss| iss.as_str() != self.provider.issuer()) {
            return Err(SsoError::Rejected(format!("the response comes from another issuer ({iss})")));
        }
        if let Some(error) = callback.error {
            return Err(SsoError::Cancelled(error));
        }
        let code = callback.code.ok_or_else(|| SsoError::Rejected("the response has no code".into()))?;
        let claims = self.provider.redeem(code, flow.pkce_verifier, &flow.nonce).await?;
        let issuer = claims.get("iss").and_then(|v| v.as_str()).unwrap_or(self.provider.issuer()).to_owned();
        let assertion = Assertion::from_claims(&issuer, &claims, &self.settings).map_err(SsoError::Rejected)?;
        let linked = flow.link_user_id.is_some();
        let signed_in = match flow.link_user_id {
            Some(user_id) => db.write(move |conn| store::link(conn, &user_id, &assertion)).await?,
            None => db.write(move |conn| store::sign_in(conn, &assertion, locale)).await?,
        };
        tracing::info!(user = %signed_in.user.id, identity = %signed_in.identity_id, linked, "single sign-on");
        Ok(Finished { user: signed_in.user, identity_id: signed_in.identity_id, next: flow.next_path, linked })
    }

    /// Remembers that the session `claims` describe came through this identity.
    pub async fn record_session(&self, db: &Db, identity_id: String, claims: &Claims) -> Result<(), ServiceError> {
        let jti = claims.jti.clone();
        let expires_at = DateTime::from_timestamp(claims.exp, 0).map(|t| t.naive_utc()).unwrap_or_else(now);
        db.write(move |conn| store::record_session(conn, &identity_id, &jti, expires_at)).await
    }
}
