use chrono::{DateTime, NaiveDateTime};
use crate::ids::{new_id, now};
use diesel::dsl::exists;
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::{verify_password, Claims};
use crate::db::schema::{revoked_tokens, team_members, teams, users};
use crate::db::{write_tx, DbConn};
use crate::domain::{Email, Locale, Role};
use crate::error::{Code, FieldErrors, ServiceError};

/// The caller, as every service sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub locale: Locale,
    /// The owner proved the address (a mailed link followed, or staff made by an admin).
    pub email_verified: bool,
    /// Team slugs (staff only).
    pub teams: Vec<String>,
    #[serde(skip)]
    pub team_ids: Vec<String>,
}

impl User {
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub role: Role,
    pub locale: Locale,
    pub email_verified: bool,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl UserRow {
    /// A new account's row: no password, address not yet proven, enabled, created now.
    pub fn new(email: &Email, display_name: &str, role: Role, locale: Locale) -> Self {
        let now = now();
        Self {
            id: new_id(),
            email: email.as_str().to_owned(),
            display_name: display_name.to_owned(),
            password_hash: None,
            role,
            locale,
            email_verified: false,
            disabled: false,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<()> {
        diesel::insert_into(users::table).values(self).execute(conn).map(drop)
    }
}


fn team_memberships(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<(String, String)>> {
    team_members::table
        .inner_join(teams::table)
        .filter(team_members::user_id.eq(user_id))
        .select((teams::id, teams::slug))
        .order(teams::slug)
        .load(conn)
}

fn into_user(conn: &mut DbConn, row: UserRow) -> Result<User, ServiceError> {
    let role = row.role;
    let (team_ids, teams) = if role.is_staff() {
        team_memberships(conn, &row.id)?.into_iter().unzip()
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(User {
        id: row.id,
        email: row.email,
        display_name: row.display_name,
        role,
        locale: row.locale,
        email_verified: row.email_verified,
        teams,
        team_ids,
    })
}

/// The user behind a verified token, unless the token was revoked or the account disabled.
pub fn session_user(conn: &mut DbConn, user_id: &str, jti: &str) -> Result<Option<User>, ServiceError> {
    let row = users::table
        .filter(users::id.eq(user_id))
        .filter(users::disabled.eq(false))
        .filter(diesel::dsl::not(exists(revoked_tokens::table.filter(revoked_tokens::jti.eq(jti)))))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|row| into_user(conn, row)).transpose()
}

pub fn find_user(conn: &mut DbConn, user_id: &str) -> Result<User, ServiceError> {
    let row = users::table.find(user_id).select(UserRow::as_select()).first(conn)?;
    into_user(conn, row)
}

pub const MIN_PASSWORD: usize = 10;
pub const MAX_PASSWORD: usize = 256;

pub struct NewAccount {
    pub email: Email,
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub locale: Locale,
    pub team_ids: Vec<String>,
}

/// Checks a registration form; hashing happens after, off the database connection.
pub fn parse_account(
    email: &str,
    password: &str,
    display_name: &str,
) -> Result<(Email, String), ServiceError> {
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(email));
    let chars = password.chars().count();
    if chars < MIN_PASSWORD {
        errors.reject("password", Code::TooShort { min: MIN_PASSWORD });
    } else if chars > MAX_PASSWORD {
        errors.reject("password", Code::TooLong { max: MAX_PASSWORD });
    }
    let name = display_name.trim();
    if name.is_empty() {
        errors.reject("display_name", Code::Required);
    } else if name.chars().count() > 120 {
        errors.reject("display_name", Code::TooLong { max: 120 });
    }
    errors.into_result()?;
    match email {
        Some(email) => Ok((email, name.to_owned())),
        None => Err(ServiceError::Internal("unreachable: email error not recorded".into())),
    }
}


/// Creates an account. Staff accounts (made by an administrator, who vouches for the
/// address) are verified at once; 409 when the address is taken.
///
/// A student's registration proves nothing yet: the account cannot sign in until the mailed
/// verification link is followed (`verify::send_verification`). An address whose owner has
/// not proven it with a password (a guest's password-less account, or an earlier registration
/// never confirmed) takes the new password and stays unverified; only an account whose owner
/// proved the address and chose a password answers 409.
pub fn create_account(conn: &mut DbConn, account: NewAccount) -> Result<User, ServiceError> {
    let staff = account.role != Role::Student;
    let user_id = write_tx(conn, |conn| -> Result<String, ServiceError> {
        let existing: Option<UserRow> = users::table
            .filter(users::email.eq(account.email.as_str()))
            .select(UserRow::as_select())
            .first(conn)
            .optional()?;
        let now = now();
        let id = match existing {
            Some(row) if !staff && row.role == Role::Student && !(row.email_verified && row.password_hash.is_some()) => {
                diesel::update(users::table.find(&row.id))
                    .set((
                        users::password_hash.eq(&account.password_hash),
                        users::display_name.eq(&account.display_name),
                        users::email_verified.eq(false),
                        users::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                row.id
            }
            Some(_) => return Err(ServiceError::Conflict("an account with this e-mail already exists".into())),
            None => {
                let row = UserRow {
                    password_hash: Some(account.password_hash.clone()),
                    email_verified: staff,
                    ..UserRow::new(&account.email, &account.display_name, account.role, account.locale)
                };
                row.insert(conn)?;
                row.id
            }
        };
        for team_id in &account.team_ids {
            diesel::insert_into(team_members::table)
                .values((team_members::team_id.eq(team_id), team_members::user_id.eq(&id)))
                .execute(conn)?;
        }
        Ok(id)
    })?;
    crate::mail::outbox::forget_team_staff();
    find_user(conn, &user_id)
}

/// Creates the admin, or resets its password and role if the address exists.
pub fn upsert_admin(conn: &mut DbConn, email: &Email, password_hash: &str, name: &str) -> Result<User, ServiceError> {
    let id = write_tx(conn, |conn| -> Result<String, ServiceError> {
        let now = now();
        let existing: Option<String> =
            users::table.filter(users::email.eq(email.as_str())).select(users::id).first(conn).optional()?;
        if let Some(id) = existing {
            diesel::update(users::table.find(&id))
                .set((
                    users::password_hash.eq(password_hash),
                    users::role.eq(Role::Admin),
                    users::disabled.eq(false),
                    users::updated_at.eq(now),
                ))
                .execute(conn)?;
            return Ok(id);
        }
        let row = UserRow {
            password_hash: Some(password_hash.to_owned()),
            email_verified: true,
            ..UserRow::new(email, name, Role::Admin, Locale::It)
        };
        row.insert(conn)?;
        Ok(row.id)
    })?;
    crate::mail::outbox::forget_team_staff();
    find_user(conn, &id)
}

/// The stored hash of an active account, for sign-in (verified off the connection).
pub fn login_candidate(conn: &mut DbConn, email: &str) -> Result<Option<UserRow>, ServiceError> {
    let Ok(email) = Email::parse(email) else {
        return Ok(None);
    };
    Ok(users::table
        .filter(users::email.eq(email.as_str()))
        .filter(users::disabled.eq(false))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn password_matches(password: &str, row: Option<&UserRow>) -> bool {
    verify_password(password, row.and_then(|r| r.password_hash.as_deref()))
}

pub fn revoke(conn: &mut DbConn, claims: &Claims) -> Result<(), ServiceError> {
    let expires_at = DateTime::from_timestamp(claims.exp, 0).map(|t| t.naive_utc()).unwrap_or_else(now);
    write_tx(conn, |conn| -> Result<(), ServiceError> {
        let already: i64 =
            revoked_tokens::table.filter(revoked_tokens::jti.eq(&claims.jti)).count().get_result(conn)?;
        if already == 0 {
            diesel::insert_into(revoked_tokens::table)
                .values((revoked_tokens::jti.eq(&claims.jti), revoked_tokens::expires_at.eq(expires_at)))
                .execute(conn)?;
        }
        // Expired tokens fail on their own; their revocations can go.
        diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now()))).execute(conn)?;
        Ok(())
    })
}

/// Team ids for slugs; unknown slugs are a 422 on `teams`.
pub fn team_ids_for(conn: &mut DbConn, slugs: &[String]) -> Result<Vec<String>, ServiceError> {
    let found: Vec<(String, String)> =
        teams::table.filter(teams::slug.eq_any(slugs)).select((teams::slug, teams::id)).load(conn)?;
    let mut ids = Vec::new();
    let mut errors = FieldErrors::default();
    for slug in slugs {
        match found.iter().find(|(s, _)| s == slug) {
            Some((_, id)) => ids.push(id.clone()),
            None => errors.add("teams", format!("unknown team '{slug}'")),
        }
    }
    errors.into_result()?;
    ids.dedup();
    Ok(ids)
}

/// Finds or creates the password-less account of a guest.
pub fn guest_account(conn: &mut DbConn, email: &Email, name: &str, locale: Locale) -> Result<String, ServiceError> {
    let existing: Option<(String, Role)> =
        users::table.filter(users::email.eq(email.as_str())).select((users::id, users::role)).first(conn).optional()?;
    if let Some((id, role)) = existing {
        if role != Role::Student {
            return Err(ServiceError::invalid("guest.email", Code::StaffAddress));
        }
        return Ok(id);
    }
    let row = UserRow::new(email, name, Role::Student, locale);
    row.insert(conn)?;
    Ok(row.id)
}
