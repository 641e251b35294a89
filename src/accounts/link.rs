//! Mailed links and what they prove. Whoever follows a link mailed to an address holds that
//! mailbox; nothing else proves it. Shared by the API and the portal.
//!
//! - The verification link of a registration confirms the address and the password chosen
//!   with it (the link is bound to that password: a later registration voids it).
//! - A sign-in link signs a student in once. Staff never sign in by a mailed link: their
//!   password (or the university's sign-in) is the proof.
//! - Following any link proves the mailbox: an unproven account becomes verified, and a
//!   password set before the proof is dropped, since whoever typed the address chose it.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use sha2::{Digest, Sha256};

use super::service::{find_user, login_candidate, User, UserRow};
use crate::ids::now;
use crate::auth::{Claims, JwtKeys, Purpose};
use crate::db::schema::{revoked_tokens, users};
use crate::db::{write_tx, DbConn};
use crate::domain::{Email, Role};
use crate::error::ServiceError;
use crate::mail::notification::AccountLink;
use crate::mail::outbox::{self, Mail, Notification};

/// What a verification link is bound to: the password hash it confirms (a digest of it).
fn fingerprint(password_hash: Option<&str>) -> String {
    hex::encode(&Sha256::digest(password_hash.unwrap_or("").as_bytes())[..12])
}

/// Queues a `sign_in_link` mail if an active student account has this address; does nothing
/// otherwise (staff included), so the answer tells nobody who has an account.
pub fn send_sign_in_link(conn: &mut DbConn, keys: &JwtKeys, email: &Email, base_url: &str) -> Result<(), ServiceError> {
    let Some(row) = login_candidate(conn, email.as_str())? else {
        return Ok(());
    };
    if row.role != Role::Student {
        return Ok(());
    }
    let token = keys.issue_link(&row.id, Purpose::SignIn, None)?;
    mail(conn, &row, Mail::SignInLink, format!("{base_url}/sign-in/link?token={token}"))
}

/// A student's registration: the account (unverified) and its verification link, together.
pub fn register_student(conn: &mut DbConn, keys: &JwtKeys, account: super::NewAccount, base_url: &str) -> Result<User, ServiceError> {
    write_tx(conn, |conn| {
        let user = super::service::create_account(conn, account)?;
        send_verification(conn, keys, &user.id, base_url)?;
        Ok(user)
    })
}

/// Queues the verification link of an account whose address is not proven yet.
pub fn send_verification(conn: &mut DbConn, keys: &JwtKeys, user_id: &str, base_url: &str) -> Result<(), ServiceError> {
    let row: UserRow = users::table.find(user_id).select(UserRow::as_select()).first(conn)?;
    if row.email_verified || row.disabled {
        return Ok(());
    }
    let token = keys.issue_link(&row.id, Purpose::VerifyEmail, Some(fingerprint(row.password_hash.as_deref())))?;
    mail(conn, &row, Mail::VerifyEmail, format!("{base_url}/verify-email?token={token}"))
}

fn mail(conn: &mut DbConn, row: &UserRow, kind: fn(AccountLink) -> Mail, link: String) -> Result<(), ServiceError> {
    let mail = kind(AccountLink { name: row.display_name.clone(), link });
    outbox::enqueue(conn, Notification { recipient: &row.email, locale: row.locale, ticket_id: None, mail: &mail })?;
    Ok(())
}

/// Spends a link's token: false when it was spent before (or concurrently).
fn spend(conn: &mut DbConn, claims: &Claims) -> Result<bool, ServiceError> {
    let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0).map(|t| t.naive_utc()).unwrap_or_else(now);
    let row = (revoked_tokens::jti.eq(&claims.jti), revoked_tokens::expires_at.eq(expires_at));
    match diesel::insert_into(revoked_tokens::table).values(row).execute(conn) {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The active student account a link was mailed to.
fn link_owner(conn: &mut DbConn, claims: &Claims) -> Result<UserRow, ServiceError> {
    users::table
        .find(&claims.sub)
        .filter(users::disabled.eq(false))
        .filter(users::role.eq(Role::Student))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::Unauthenticated)
}

/// Someone followed a link mailed to this account's address: the mailbox is theirs. An
/// unproven account becomes verified and loses a password chosen before the proof.
/// Call inside a write transaction.
pub fn prove_mailbox(conn: &mut DbConn, user_id: &str) -> Result<(), ServiceError> {
    diesel::update(users::table.find(user_id).filter(users::email_verified.eq(false)))
        .set((users::email_verified.eq(true), users::password_hash.eq(None::<String>), users::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// Marks a password account's address as proven without a mailed link: for accounts the desk
/// itself vouches for (`helpdesk seed-demo`'s students, whose addresses receive no mail).
pub fn vouch_for_address(conn: &mut DbConn, user_id: &str) -> Result<(), ServiceError> {
    diesel::update(users::table.find(user_id))
        .set((users::email_verified.eq(true), users::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// The student behind a sign-in link; the link works once and proves the mailbox.
/// Call on a write connection.
pub fn redeem_sign_in_link(conn: &mut DbConn, claims: &Claims) -> Result<User, ServiceError> {
    let id = write_tx(conn, |conn| -> Result<String, ServiceError> {
        let row = link_owner(conn, claims)?;
        if !spend(conn, claims)? {
            return Err(ServiceError::Unauthenticated);
        }
        prove_mailbox(conn, &row.id)?;
        Ok(row.id)
    })?;
    find_user(conn, &id)
}

/// Follows a registration's verification link: the address and the password chosen with it
/// are confirmed; the link works once, and not at all once another password was registered.
pub fn verify_email(conn: &mut DbConn, claims: &Claims) -> Result<User, ServiceError> {
    let id = write_tx(conn, |conn| -> Result<String, ServiceError> {
        let row = link_owner(conn, claims)?;
        if claims.bound.as_deref() != Some(fingerprint(row.password_hash.as_deref()).as_str()) || !spend(conn, claims)? {
            return Err(ServiceError::Unauthenticated);
        }
        diesel::update(users::table.find(&row.id))
            .set((users::email_verified.eq(true), users::updated_at.eq(now())))
            .execute(conn)?;
        Ok(row.id)
    })?;
    find_user(conn, &id)
}

/// The account a verification link would confirm (for its confirmation page), if the link is
/// still good.
pub fn verification_target(conn: &mut DbConn, claims: &Claims) -> Result<User, ServiceError> {
    let row = link_owner(conn, claims)?;
    let spent: i64 = revoked_tokens::table.filter(revoked_tokens::jti.eq(&claims.jti)).count().get_result(conn)?;
    if spent > 0 || claims.bound.as_deref() != Some(fingerprint(row.password_hash.as_deref()).as_str()) {
        return Err(ServiceError::Unauthenticated);
    }
    find_user(conn, &row.id)
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn a_new_password_changes_the_fingerprint() {
        assert_eq!(fingerprint(Some("$argon2id$a")), fingerprint(Some("$argon2id$a")));
        assert_ne!(fingerprint(Some("$argon2id$a")), fingerprint(Some("$argon2id$b")));
        assert_ne!(fingerprint(None), fingerprint(Some("$argon2id$a")));
        assert_eq!(fingerprint(None).len(), 24);
    }
}
