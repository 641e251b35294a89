use std::sync::Arc;

use crate::auth::{JwtKeys, RateLimited, RateLimiter, SessionCache};
use crate::categories::Catalog;
use crate::config::Settings;
use crate::db::Db;
use crate::files::FileStore;

/// What every handler may reach: built once at start-up, shared by the workers.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub keys: Arc<JwtKeys>,
    pub files: FileStore,
    pub limiter: Arc<RateLimiter>,
    pub sessions: Arc<SessionCache>,
    pub catalog: Arc<Catalog>,
    /// Single sign-on, when `HELPDESK_OIDC_ISSUER` is set.
    pub sso: Option<Arc<crate::sso::Sso>>,
}

impl AppState {
    /// The active categories: remembered, or read once and remembered.
    pub async fn categories(&self) -> Result<Arc<Vec<crate::categories::Category>>, crate::error::ServiceError> {
        if let Some(list) = self.catalog.get(&()) {
            return Ok(list);
        }
        let list = Arc::new(self.db.read(crate::categories::list).await?);
        self.catalog.put((), list.clone());
        Ok(list)
    }

    /// Over https cookies are Secure and the session's carries the `__Host-` prefix.
    pub fn secure_cookies(&self) -> bool {
        self.settings.base_url.starts_with("https://")
    }

    /// Counts an attempt at a rate-limited form from the client's address (behind trusted
    /// proxies: the one they forwarded).
    pub fn limit(&self, req: &actix_web::HttpRequest, form: &'static str) -> Result<(), RateLimited> {
        let Some(ip) = crate::auth::client_ip(req, &self.settings.trusted_proxies) else {
            return Ok(());
        };
        self.limiter.check(ip, form).map_err(RateLimited)
    }

    /// Counts an attempt at a form aimed at one account (the e-mail given), from any address.
    pub fn limit_account(&self, form: &'static str, email: &str) -> Result<(), RateLimited> {
        self.limiter.check_account(email, form).map_err(RateLimited)
    }
}
