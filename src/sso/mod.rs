//! Single sign-on with the university's identity provider: the OpenID Connect authorization
//! code flow with PKCE (SAML, SPID and CIE arrive through a SAML↔OIDC proxy, see docs/sso.md).
//!
//! - `provider`: the provider over HTTP (discovery and keys cached, keys fetched again when an
//!   id_token names an unknown key; short timeouts), the authorize URL, the code exchange, the
//!   id_token and userinfo checks.
//! - `claims`: what the provider says, as an `Assertion` (pure, unit-tested).
//! - `store`: the flows under way (single use), the identities and their accounts, the sessions
//!   single sign-on issued.
//! - `flow`: `Sso`, the service the page handlers call: `begin` and `finish`.

mod claims;
mod flow;
mod provider;
mod store;


pub use claims::{parse_staff_groups, Assertion};
pub use flow::{Begin, Callback, Finished, Sso};
pub use store::{account_identities, AccountIdentities, IdentityView};

use crate::accounts::User;
use crate::config::Settings;
use crate::error::ServiceError;

/// Why a single sign-on did not sign anybody in. None of these is a server error but
/// `Service`; each becomes a page that says what happened.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("single sign-on is not configured")]
    NotConfigured,
    /// The provider did not answer, or not in time, or not as a provider does.
    #[error("the identity provider is unavailable: {0}")]
    Unavailable(String),
    /// Wrong or missing state, a used or expired flow, a refused code, an id_token whose
    /// signature, issuer, audience, nonce or times are wrong.
    #[error("the sign-in response was refused: {0}")]
    Rejected(String),
    /// The provider answered with an error (the person cancelled, or was refused there).
    #[error("the identity provider refused the sign-in: {0}")]
    Cancelled(String),
    #[error("the identity provider gave no e-mail address")]
    NoEmail,
    /// An account has this e-mail, and the identity may not take it (the e-mail is not
    /// verified, or the account is already tied to another identity).
    #[error("an account with this e-mail exists and cannot be linked to this identity")]
    EmailTaken,
    /// Linking from the account page: the identity belongs to another account, or the account
    /// already has an identity of this provider.
    #[error("this identity cannot be linked to this account")]
    AlreadyLinked,
    #[error("this account is disabled")]
    Disabled,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::db::DbError> for SsoError {
    fn from(e: crate::db::DbError) -> Self {
        SsoError::Service(e.into())
    }
}

impl From<diesel::result::Error> for SsoError {
    fn from(e: diesel::result::Error) -> Self {
        SsoError::Service(e.into())
    }
}

/// Whether a password (or any local credential) may sign this account in: not for staff when
/// `HELPDESK_STAFF_SSO_ONLY` is set.
pub fn password_sign_in_allowed(settings: &Settings, user: &User) -> bool {
    !(settings.staff_sso_only && user.is_staff())
}
