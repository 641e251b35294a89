//! Sign-in links by e-mail: the request (a one-time token mailed through the outbox) and the
//! redemption (the token works once). Shared by the API and the portal.

use serde_json::json;

use super::service::{login_candidate, revoke, session_user, User};
use crate::auth::{Claims, JwtKeys};
use crate::db::DbConn;
use crate::domain::{Email, Locale};
use crate::error::ServiceError;
use crate::mail::outbox::{self, Notification};

/// Queues a `sign_in_link` mail if an active account has this address; does nothing
/// otherwise, so the answer tells nobody who has an account.
pub fn send_sign_in_link(conn: &mut DbConn, keys: &JwtKeys, email: &Email, base_url: &str) -> Result<(), ServiceError> {
    let Some(row) = login_candidate(conn, email.as_str())? else {
        return Ok(());
    };
    let token = keys.issue_sign_in(&row.id)?;
    outbox::enqueue(
        conn,
        Notification {
            kind: "sign_in_link",
            recipient: &row.email,
            locale: Locale::from_db(&row.locale),
            ticket_id: None,
            payload: json!({"name": row.display_name, "link": format!("{base_url}/sign-in/link?token={token}")}),
        },
    )?;
    Ok(())
}

/// The account behind a verified sign-in link token; the token is revoked, so it works once.
/// Call on a write connection.
pub fn redeem_sign_in_link(conn: &mut DbConn, claims: &Claims) -> Result<User, ServiceError> {
    let user = session_user(conn, &claims.sub, &claims.jti)?.ok_or(ServiceError::Unauthenticated)?;
    revoke(conn, claims)?;
    Ok(user)
}
