//! The teams and who is in them, for the staff console's choices (team, assignee).

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{team_members, teams, users};
use crate::db::{write_tx, DbConn};
use crate::domain::{Locale, Role};
use crate::error::ServiceError;

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Team {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// Staff accounts in the team (not disabled), by name.
    pub members: Vec<Member>,
}

/// Every team with its active staff, names in `locale`.
pub fn teams_with_members(conn: &mut DbConn, locale: Locale) -> Result<Vec<Team>, ServiceError> {
    let rows: Vec<(String, String, String, String)> =
        teams::table.select((teams::id, teams::slug, teams::name_it, teams::name_en)).order(teams::slug).load(conn)?;
    let staff = [Role::Agent, Role::Supervisor, Role::Admin].map(Role::as_str);
    let members: Vec<(String, String, String)> = team_members::table
        .inner_join(users::table)
        .filter(users::role.eq_any(staff))
        .filter(users::disabled.eq(false))
        .select((team_members::team_id, users::id, users::display_name))
        .order(users::display_name)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, name_it, name_en)| Team {
            members: members
                .iter()
                .filter(|(team, _, _)| *team == id)
                .map(|(_, id, name)| Member { id: id.clone(), name: name.clone() })
                .collect(),
            name: match locale {
                Locale::It => name_it,
                Locale::En => name_en,
            },
            id,
            slug,
        })
        .collect())
}

/// A staff account, for the admin pages.
#[derive(Debug, Clone, Serialize)]
pub struct StaffAccount {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
}

/// Every active staff account, by name.
pub fn staff_accounts(conn: &mut DbConn) -> Result<Vec<StaffAccount>, ServiceError> {
    let staff = [Role::Agent, Role::Supervisor, Role::Admin].map(Role::as_str);
    let rows: Vec<(String, String, String, String)> = users::table
        .filter(users::role.eq_any(staff))
        .filter(users::disabled.eq(false))
        .select((users::id, users::display_name, users::email, users::role))
        .order((users::display_name, users::id))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, name, email, role)| StaffAccount { id, name, email, role }).collect())
}

fn team_id(conn: &mut DbConn, slug: &str) -> Result<String, ServiceError> {
    teams::table.filter(teams::slug.eq(slug)).select(teams::id).first(conn).optional()?.ok_or(ServiceError::NotFound)
}

/// Puts a staff account in a team (idempotent). Unknown team: not found; the account must be
/// staff (an error on `user_id`).
pub fn add_team_member(conn: &mut DbConn, slug: &str, user_id: &str) -> Result<(), ServiceError> {
    write_tx(conn, |conn| {
        let team_id = team_id(conn, slug)?;
        let role: Option<Role> = users::table.find(user_id).select(users::role).first(conn).optional()?;
        match role {
            Some(role) if role.is_staff() => {}
            Some(_) => return Err(ServiceError::field("user_id", "only staff accounts join teams")),
            None => return Err(ServiceError::field("user_id", "no such user")),
        }
        let already: i64 = team_members::table
            .filter(team_members::team_id.eq(&team_id))
            .filter(team_members::user_id.eq(user_id))
            .count()
            .get_result(conn)?;
        if already == 0 {
            diesel::insert_into(team_members::table)
                .values((team_members::team_id.eq(&team_id), team_members::user_id.eq(user_id)))
                .execute(conn)?;
        }
        Ok(())
    })
    .inspect(|()| crate::mail::outbox::forget_team_staff())
}

/// Takes an account out of a team (idempotent); unknown team: not found.
pub fn remove_team_member(conn: &mut DbConn, slug: &str, user_id: &str) -> Result<(), ServiceError> {
    write_tx(conn, |conn| {
        let team_id = team_id(conn, slug)?;
        diesel::delete(team_members::table.filter(team_members::team_id.eq(&team_id)).filter(team_members::user_id.eq(user_id)))
            .execute(conn)?;
        Ok(())
    })
    .inspect(|()| crate::mail::outbox::forget_team_staff())
}
