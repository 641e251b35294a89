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

/// What an admin gives for a new staff account.
pub struct NewStaff {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub role: crate::domain::Role,
    pub teams: Vec<String>,
    pub locale: crate::domain::Locale,
}

/// Creates a staff account (agent, supervisor or admin) in the given teams: every field
/// checked at once, the password hashed off the runtime, 409 when the address is taken.
pub async fn create_staff(db: &Db, input: NewStaff) -> Result<User, ServiceError> {
    let parsed = super::service::parse_account(&input.email, &input.password, &input.display_name);
    if !input.role.is_staff() {
        let mut list = match parsed {
            Err(ServiceError::Validation(list)) => list,
            _ => Vec::new(),
        };
        list.push(crate::error::FieldError::text("role", "staff accounts are agent, supervisor or admin"));
        return Err(ServiceError::Validation(list));
    }
    let (email, display_name) = parsed?;
    let slugs = input.teams;
    let team_ids = db.read(move |conn| super::service::team_ids_for(conn, &slugs)).await?;
    let password_hash = hash_off_thread(input.password).await?;
    let account =
        super::service::NewAccount { email, password_hash, display_name, role: input.role, locale: input.locale, team_ids };
    db.write(move |conn| super::service::create_account(conn, account)).await
}
