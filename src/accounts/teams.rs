//! The teams and who is in them, for the staff console's choices (team, assignee).

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{team_members, teams, users};
use crate::db::DbConn;
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
