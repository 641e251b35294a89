//! Single sign-on in the database: the flows under way (each used once), identities and the
//! accounts they sign in to, the sessions single sign-on issued.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{Assertion, SsoError};
use crate::accounts::{find_user, User, UserRow};
use crate::ids::{new_id, now, to_utc};
use crate::db::schema::{sso_flows, sso_sessions, user_identities, users};
use crate::db::{write_tx, DbConn, DbError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use crate::domain::{Locale, Role};
use crate::error::ServiceError;

/// A sign-in under way, keyed by the SHA-256 of its state.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sso_flows)]
pub struct FlowRow {
    pub state_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: String,
    pub link_user_id: Option<String>,
    pub expires_at: NaiveDateTime,
}

/// Keeps a new flow; forgets the expired ones.
pub fn save_flow(conn: &mut DbConn, flow: &FlowRow) -> Result<(), ServiceError> {
    write_tx(conn, |conn| -> Result<(), ServiceError> {
        diesel::delete(sso_flows::table.filter(sso_flows::expires_at.lt(now()))).execute(conn)?;
        diesel::insert_into(sso_flows::table).values(flow).execute(conn)?;
        Ok(())
    })
}

/// The flow of this state, taken: the first caller gets it, every later one (a replayed
/// callback, on any instance) gets `None`, as does an expired one.
pub fn take_flow(conn: &mut DbConn, state_hash: &str) -> Result<Option<FlowRow>, ServiceError> {
    write_tx(conn, |conn| -> Result<Option<FlowRow>, ServiceError> {
        let found: Option<FlowRow> =
            sso_flows::table.find(state_hash).select(FlowRow::as_select()).first(conn).optional()?;
        let taken = diesel::delete(sso_flows::table.find(state_hash)).execute(conn)?;
        Ok(found.filter(|flow| taken == 1 && flow.expires_at > now()))
    })
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_identities)]
struct IdentityRow {
    id: String,
    user_id: String,
    issuer: String,
    subject: String,
    email: Option<String>,
    matricola: Option<String>,
    codice_fiscale: Option<String>,
    granted_role: Option<String>,
    linked_by: String,
    linked_at: NaiveDateTime,
    last_login_at: NaiveDateTime,
}

/// Who signed in, and through which identity.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub identity_id: String,
}

fn identity_of(conn: &mut DbConn, assertion: &Assertion) -> QueryResult<Option<IdentityRow>> {
    user_identities::table
        .filter(user_identities::issuer.eq(&assertion.issuer))
        .filter(user_identities::subject.eq(&assertion.subject))
        .select(IdentityRow::as_select())
        .first(conn)
        .optional()
}

fn user_row(conn: &mut DbConn, user_id: &str) -> QueryResult<UserRow> {
    users::table.find(user_id).select(UserRow::as_select()).first(conn)
}

/// The account's role after this sign-in, and the role to remember as the groups' grant.
/// Groups raise a role; they take back only what they gave (a role set in the desk stays).
fn role_after(current: Role, previously_granted: Option<Role>, asserted: Option<Role>) -> (Role, Option<Role>) {
    let from_groups = previously_granted == Some(current);
    let role = match asserted {
        Some(role) if role >= current || from_groups => role,
        None if from_groups => Role::Student,
        _ => current,
    };
    (role, asserted.filter(|r| *r == role))
}

/// Records what the provider said this time on the identity and the account (role, a mailbox
/// the provider verified).
fn refresh(conn: &mut DbConn, identity: &IdentityRow, user: &UserRow, assertion: &Assertion) -> Result<(), SsoError> {
    let current = user.role;
    let previous = identity.granted_role.as_deref().and_then(|r| Role::parse(r).ok());
    let (role, granted) = role_after(current, previous, assertion.staff_role);
    let now = now();
    diesel::update(user_identities::table.find(&identity.id))
        .set((
            user_identities::email.eq(assertion.email.as_ref().map(|e| e.as_str().to_owned())),
            user_identities::matricola.eq(&assertion.matricola),
            user_identities::codice_fiscale.eq(assertion.codice_fiscale.as_ref().map(|c| c.as_str().to_owned())),
            user_identities::granted_role.eq(granted.map(Role::as_str)),
            user_identities::last_login_at.eq(now),
        ))
        .execute(conn)?;
    let proven = assertion.email_verified && assertion.email.as_ref().is_some_and(|e| e.as_str() == user.email);
    if proven && !user.email_verified {
        // As for a mailed link: the mailbox is proven, and a password chosen before is dropped.
        crate::accounts::prove_mailbox(conn, &user.id).map_err(SsoError::Service)?;
    }
    if role != current {
        diesel::update(users::table.find(&user.id)).set((users::role.eq(role), users::updated_at.eq(now))).execute(conn)?;
        crate::mail::outbox::forget_team_staff();
    }
    Ok(())
}

fn insert_identity(conn: &mut DbConn, user_id: &str, assertion: &Assertion, linked_by: &str) -> QueryResult<IdentityRow> {
    let now = now();
    let row = IdentityRow {
        id: new_id(),
        user_id: user_id.to_owned(),
        issuer: assertion.issuer.clone(),
        subject: assertion.subject.clone(),
        email: None,
        matricola: None,
        codice_fiscale: None,
        granted_role: None,
        linked_by: linked_by.to_owned(),
        linked_at: now,
        last_login_at: now,
    };
    diesel::insert_into(user_identities::table).values(&row).execute(conn)?;
    Ok(row)
}

fn has_identity(conn: &mut DbConn, user_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(user_identities::table.filter(user_identities::user_id.eq(user_id)))).get_result(conn)
}

/// The account of an identity: found by issuer + subject; else an account with the verified
/// e-mail that has no identity yet, linked once; else a new account. Call on a write connection.
pub fn sign_in(conn: &mut DbConn, assertion: &Assertion, locale: Locale) -> Result<SignedIn, SsoError> {
    match sign_in_once(conn, assertion, locale) {
        // Two first sign-ins of one person at once: the other one created the account and the
        // identity a moment ago, seen here as a unique violation or as an account of this e-mail
        // that has an identity already. Looked at again, it is this identity's account.
        Err(SsoError::EmailTaken)
        | Err(SsoError::Service(ServiceError::Db(DbError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))))) => {
            sign_in_once(conn, assertion, locale)
        }
        other => other,
    }
}

fn sign_in_once(conn: &mut DbConn, assertion: &Assertion, locale: Locale) -> Result<SignedIn, SsoError> {
    let (user_id, identity_id) = write_tx(conn, |conn| -> Result<(String, String), SsoError> {
        if let Some(identity) = identity_of(conn, assertion)? {
            let user = user_row(conn, &identity.user_id)?;
            if user.disabled {
                return Err(SsoError::Disabled);
            }
            refresh(conn, &identity, &user, assertion)?;
            return Ok((user.id, identity.id));
        }
        let email = assertion.email.as_ref().ok_or(SsoError::NoEmail)?;
        let existing: Option<UserRow> =
            users::table.filter(users::email.eq(email.as_str())).select(UserRow::as_select()).first(conn).optional()?;
        let (user, linked_by) = match existing {
            Some(user) if !assertion.email_verified || has_identity(conn, &user.id)? => return Err(SsoError::EmailTaken),
            Some(user) if user.disabled => return Err(SsoError::Disabled),
            Some(user) => (user, "email"),
            None => {
                let user = UserRow {
                    email_verified: assertion.email_verified,
                    ..UserRow::new(email, &assertion.display_name(), Role::Student, locale)
                };
                user.insert(conn)?;
                (user, "created")
            }
        };
        let identity = insert_identity(conn, &user.id, assertion, linked_by)?;
        refresh(conn, &identity, &user, assertion)?;
        Ok((user.id, identity.id))
    })?;
    Ok(SignedIn { user: find_user(conn, &user_id)?, identity_id })
}

/// Ties an identity to the signed-in account that asked for it (the account page), whatever
/// the e-mails: refused when the identity belongs to another account, or the account already
/// has an identity of this provider.
pub fn link(conn: &mut DbConn, user_id: &str, assertion: &Assertion) -> Result<SignedIn, SsoError> {
    let identity_id = write_tx(conn, |conn| -> Result<String, SsoError> {
        let user = user_row(conn, user_id)?;
        if user.disabled {
            return Err(SsoError::Disabled);
        }
        let identity = match identity_of(conn, assertion)? {
            Some(identity) if identity.user_id == user.id => identity,
            Some(_) => return Err(SsoError::AlreadyLinked),
            None => {
                let same_provider: bool = diesel::select(diesel::dsl::exists(
                    user_identities::table
                        .filter(user_identities::user_id.eq(&user.id))
                        .filter(user_identities::issuer.eq(&assertion.issuer)),
                ))
                .get_result(conn)?;
                if same_provider {
                    return Err(SsoError::AlreadyLinked);
                }
                insert_identity(conn, &user.id, assertion, "account")?
            }
        };
        refresh(conn, &identity, &user, assertion)?;
        Ok(identity.id)
    })?;
    Ok(SignedIn { user: find_user(conn, user_id)?, identity_id })
}

/// Remembers that this session (token id) came from single sign-on; forgets expired ones.
pub fn record_session(conn: &mut DbConn, identity_id: &str, jti: &str, expires_at: NaiveDateTime) -> Result<(), ServiceError> {
    write_tx(conn, |conn| -> Result<(), ServiceError> {
        diesel::delete(sso_sessions::table.filter(sso_sessions::expires_at.lt(now()))).execute(conn)?;
        diesel::insert_into(sso_sessions::table)
            .values((sso_sessions::jti.eq(jti), sso_sessions::identity_id.eq(identity_id), sso_sessions::expires_at.eq(expires_at)))
            .execute(conn)?;
        Ok(())
    })
}

/// An identity as the account page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityView {
    pub issuer: String,
    pub email: Option<String>,
    pub matricola: Option<String>,
    pub codice_fiscale: Option<String>,
    /// `created`, `email` or `account`.
    pub linked_by: String,
    pub linked_at: DateTime<Utc>,
    pub last_login_at: DateTime<Utc>,
    /// This very session came through this identity.
    pub this_session: bool,
}

/// How an account signs in: its password (if any), its identities, and which one (if any)
/// signed in the current session.
#[derive(Debug, Clone, Serialize)]
pub struct AccountIdentities {
    pub has_password: bool,
    pub identities: Vec<IdentityView>,
    pub via_sso: bool,
}

pub fn account_identities(conn: &mut DbConn, user_id: &str, jti: Option<&str>) -> Result<AccountIdentities, ServiceError> {
    let has_password = users::table.find(user_id).select(users::password_hash).first::<Option<String>>(conn)?.is_some();
    let rows: Vec<IdentityRow> = user_identities::table
        .filter(user_identities::user_id.eq(user_id))
        .order(user_identities::linked_at)
        .select(IdentityRow::as_select())
        .load(conn)?;
    let session_identity: Option<String> = match jti {
        Some(jti) => sso_sessions::table.find(jti).select(sso_sessions::identity_id).first(conn).optional()?,
        None => None,
    };
    let identities: Vec<IdentityView> = rows
        .into_iter()
        .map(|row| IdentityView {
            this_session: session_identity.as_deref() == Some(row.id.as_str()),
            issuer: row.issuer,
            email: row.email,
            matricola: row.matricola,
            codice_fiscale: row.codice_fiscale,
            linked_by: row.linked_by,
            linked_at: to_utc(row.linked_at),
            last_login_at: to_utc(row.last_login_at),
        })
        .collect();
    Ok(AccountIdentities { has_password, via_sso: identities.iter().any(|i| i.this_session), identities })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::*;

    #[test]
    fn groups_raise_roles_and_take_back_only_their_own() {
        assert_eq!(role_after(Student, None, Some(Agent)), (Agent, Some(Agent)));
        assert_eq!(role_after(Agent, Some(Agent), Some(Agent)), (Agent, Some(Agent)));
        assert_eq!(role_after(Agent, Some(Agent), None), (Student, None), "the group is gone: so is its role");
        assert_eq!(role_after(Agent, Some(Agent), Some(Admin)), (Admin, Some(Admin)));
        assert_eq!(role_after(Admin, Some(Admin), Some(Agent)), (Agent, Some(Agent)));
        assert_eq!(role_after(Admin, None, Some(Agent)), (Admin, None), "a role set in the desk stays");
        assert_eq!(role_after(Supervisor, None, None), (Supervisor, None));
        assert_eq!(role_after(Student, None, None), (Student, None));
    }
}
