//! Passwords checked and hashed off the async runtime (argon2 takes tens of milliseconds), for
//! the API and the pages alike.

use super::service::{find_user, login_candidate, password_matches, User};
use crate::auth::hash_password;
use crate::db::Db;
use crate::error::ServiceError;

async fn off_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ServiceError> {
    actix_web::web::block(f).await.map_err(|e| ServiceError::Internal(e.to_string()))
}

/// The argon2id hash of a new password.
pub async fn hash_off_thread(password: String) -> Result<String, ServiceError> {
    off_thread(move || hash_password(&password)).await?
}

/// The active account with this e-mail and password, or `None` (wrong address or password:
/// both cost the same time).
pub async fn check_credentials(db: &Db, email: String, password: String) -> Result<Option<User>, ServiceError> {
    let row = db.read(move |conn| login_candidate(conn, &email)).await?;
    let (ok, row) = off_thread(move || (password_matches(&password, row.as_ref()), row)).await?;
    match row.filter(|_| ok) {
        Some(row) => Ok(Some(db.read(move |conn| find_user(conn, &row.id)).await?)),
        None => Ok(None),
    }
}
