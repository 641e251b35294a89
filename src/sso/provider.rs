//! The identity provider over HTTP, with the `openidconnect` crate: discovery (cached for a
//! TTL), the authorize URL with PKCE, state and nonce, the code exchange, the id_token checks
//! (signature, issuer, audience, expiry, nonce, access-token hash) and userinfo.
//!
//! Key rotation: an id_token signed by a key the cached key set does not have makes the keys be
//! fetched again once, then checked again. Every call has a connect and a total timeout and
//! follows no redirect, so a provider that is down or hangs becomes `Unavailable` quickly.

use std::sync::Mutex;
use std::time::Instant;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreGenderClaim, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreTokenResponse,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthType, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, JwsSigningAlgorithm, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, SignatureVerificationError, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::SsoError;
use crate::config::OidcSettings;

/// The start of a sign-in: where to send the browser, and what the callback must match.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Claims beyond the standard ones (matricola, fiscalNumber, groups…), as they come.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct OtherClaims {
    #[serde(flatten)]
    claims: Map<String, Value>,
}

impl AdditionalClaims for OtherClaims {}

pub struct Provider {
    settings: OidcSettings,
    redirect: RedirectUrl,
    issuer: IssuerUrl,
    http: reqwest::Client,
    cached: Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> SsoError {
    SsoError::Unavailable(format!("{what}: {e}"))
}

impl Provider {
    pub fn new(settings: OidcSettings, base_url: &str) -> Result<Self, String> {
        let redirect = RedirectUrl::new(format!("{base_url}/sign-in/sso/callback")).map_err(|e| format!("redirect URI: {e}"))?;
        let issuer = IssuerUrl::new(settings.issuer.clone()).map_err(|e| format!("HELPDESK_OIDC_ISSUER: {e}"))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.timeout)
            .timeout(settings.timeout)
            .build()
            .map_err(|e| format!("the HTTP client: {e}"))?;
        Ok(Self { settings, redirect, issuer, http, cached: Mutex::new(None) })
    }

    fn remembered(&self) -> Option<(Instant, CoreProviderMetadata)> {
        match self.cached.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn remember(&self, metadata: &CoreProviderMetadata) {
        let mut guard = match self.cached.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Some((Instant::now(), metadata.clone()));
    }

    /// The provider's metadata and keys: remembered for the TTL, else discovered again.
    async fn metadata(&self) -> Result<CoreProviderMetadata, SsoError> {
        if let Some((at, metadata)) = self.remembered() {
            if at.elapsed() < self.settings.metadata_ttl {
                return Ok(metadata);
            }
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| unavailable("discovery", error_chain(&e)))?;
        self.remember(&metadata);
        Ok(metadata)
    }

    /// The key set fetched again (the provider rotated its keys), remembered with the metadata.
    async fn refreshed_keys(&self, metadata: CoreProviderMetadata) -> Result<CoreProviderMetadata, SsoError> {
        let keys = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| unavailable("the provider's keys", error_chain(&e)))?;
        let metadata = metadata.set_jwks(keys);
        self.remember(&metadata);
        Ok(metadata)
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        // client_secret_basic unless the provider only takes the secret in the body.
        let post_only = metadata.token_endpoint_auth_methods_supported().is_some_and(|methods| {
            methods.contains(&CoreClientAuthMethod::ClientSecretPost) && !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
        });
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect.clone())
        .set_auth_type(if post_only { AuthType::RequestBody } else { AuthType::BasicAuth })
    }

    /// Where to send the browser: the authorization endpoint with a fresh state, nonce and
    /// PKCE challenge (S256).
    pub async fn authorize(&self) -> Result<Authorization, SsoError> {
        let client = self.client(self.metadata().await?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
        for scope in &self.settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// The code exchanged (with the PKCE verifier), the id_token checked against the nonce, and
    /// the claims of the id_token and of userinfo merged (userinfo's `sub` must be the same).
    pub async fn redeem(&self, code: String, pkce_verifier: String, nonce: &str) -> Result<Map<String, Value>, SsoError> {
        let metadata = self.metadata().await?;
        let client = self.client(metadata.clone());
        let token: CoreTokenResponse = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| unavailable("the token endpoint", e))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(answer) => SsoError::Rejected(format!("the code was refused: {answer}")),
                RequestTokenError::Request(e) => unavailable("the token endpoint", error_chain(&e)),
                other => SsoError::Rejected(format!("the token response: {}", error_chain(&other))),
            })?;
        let nonce = Nonce::new(nonce.to_owned());
        let mut claims = match self.verify(&metadata, &token, &nonce) {
            Err(VerifyError::UnknownKey) => {
                let metadata = self.refreshed_keys(metadata).await?;
                self.verify(&metadata, &token, &nonce).map_err(VerifyError::into_sso)?
            }
            other => other.map_err(VerifyError::into_sso)?,
        };
        let subject = openidconnect::SubjectIdentifier::new(text_claim(&claims, "sub"));
        if let Ok(request) = client.user_info(token.access_token().clone(), Some(subject)) {
            let info: UserInfoClaims<OtherClaims, CoreGenderClaim> = request
                .request_async(&self.http)
                .await
                .map_err(|e| match e {
                    openidconnect::UserInfoError::Request(e) => unavailable("userinfo", error_chain(&e)),
                    other => SsoError::Rejected(format!("userinfo: {}", error_chain(&other))),
                })?;
            let info = serde_json::to_value(info).map_err(|e| SsoError::Rejected(format!("userinfo: {e}")))?;
            if let Value::Object(info) = info {
                claims.extend(info.into_iter().filter(|(k, v)| !v.is_null() && !matches!(k.as_str(), "iss" | "aud" | "sub")));
            }
        }
        Ok(claims)
    }

    /// The id_token's verified claims, as JSON; `UnknownKey` when no key of the cached set fits.
    fn verify(&self, metadata: &CoreProviderMetadata, token: &CoreTokenResponse, nonce: &Nonce) -> Result<Map<String, Value>, VerifyError> {
        let id_token = token.id_token().ok_or_else(|| VerifyError::Other("the token response has no id_token".into()))?;
        let client = self.client(metadata.clone());
        // Only the provider's asymmetric algorithms: never `none`, never a shared secret.
        let algorithms: Vec<CoreJwsSigningAlgorithm> = metadata
            .id_token_signing_alg_values_supported()
            .iter()
            .filter(|alg| !alg.uses_shared_secret() && **alg != CoreJwsSigningAlgorithm::None)
            .cloned()
            .collect();
        let verifier = client.id_token_verifier().set_allowed_algs(algorithms);
        let claims = id_token.claims(&verifier, nonce).map_err(|e| match e {
            ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey) => VerifyError::UnknownKey,
            other => VerifyError::Other(format!("the id_token: {}", error_chain(&other))),
        })?;
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token.signing_alg().map_err(|e| VerifyError::Other(e.to_string()))?;
            let key = id_token.signing_key(&verifier).map_err(|e| VerifyError::Other(e.to_string()))?;
            let actual = AccessTokenHash::from_token(token.access_token(), alg, key).map_err(|e| VerifyError::Other(e.to_string()))?;
            if actual != *expected {
                return Err(VerifyError::Other("the id_token's at_hash does not match the access token".into()));
            }
        }
        // Checked above; the payload now gives every claim, the configured ones included.
        payload(&id_token.to_string()).ok_or_else(|| VerifyError::Other("the id_token's payload is not JSON".into()))
    }

    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }
}

enum VerifyError {
    UnknownKey,
    Other(String),
}

impl VerifyError {
    fn into_sso(self) -> SsoError {
        match self {
            VerifyError::UnknownKey => SsoError::Rejected("the id_token is signed by a key the provider does not publish".into()),
            VerifyError::Other(why) => SsoError::Rejected(why),
        }
    }
}

/// The JSON payload of a compact JWT (whose signature was checked before).
fn payload(jwt: &str) -> Option<Map<String, Value>> {
    use base64::Engine;
    let part = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn text_claim(claims: &Map<String, Value>, key: &str) -> String {
    claims.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// An error with its causes ("Request failed: error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_jwt_payload() {
        use base64::Engine;
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"a","groups":["x"]}"#);
        let claims = payload(&format!("e30.{body}.sig")).unwrap();
        assert_eq!(claims["groups"][0], "x");
        assert!(payload("e30.bm90IGpzb24.sig").is_none());
        assert!(payload("only-one-part").is_none());
    }
}
