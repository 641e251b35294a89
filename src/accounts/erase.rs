//! Erasing an account (an approved erasure request): it can no longer sign in — password gone,
//! disabled, so every token and session it holds fails — and keeps nothing personal: name and
//! address replaced, its single sign-on links (matricola, codice fiscale) deleted.

use diesel::prelude::*;

use crate::db::schema::{sso_sessions, user_identities, users};
use crate::db::DbConn;
use crate::error::ServiceError;
use crate::ids::now;

/// What an erased account's name reads.
pub const ERASED_NAME: &str = "[rimosso]";

/// The address an erased account keeps: unique (addresses are), reserved (`.invalid`), and
/// telling nothing of the person.
pub fn erased_address(user_id: &str) -> String {
    format!("cancellato-{user_id}@anonimo.invalid")
}

/// Disables and anonymises account `user_id`. Call inside the transaction of the decision.
pub fn erase(conn: &mut DbConn, user_id: &str) -> Result<(), ServiceError> {
    let identities = user_identities::table.filter(user_identities::user_id.eq(user_id)).select(user_identities::id);
    diesel::delete(sso_sessions::table.filter(sso_sessions::identity_id.eq_any(identities))).execute(conn)?;
    diesel::delete(user_identities::table.filter(user_identities::user_id.eq(user_id))).execute(conn)?;
    let updated = diesel::update(users::table.find(user_id))
        .set((
            users::email.eq(erased_address(user_id)),
            users::display_name.eq(ERASED_NAME),
            users::password_hash.eq(None::<String>),
            users::email_verified.eq(false),
            users::disabled.eq(true),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(ServiceError::NotFound);
    }
    crate::mail::outbox::forget_team_staff();
    Ok(())
}
