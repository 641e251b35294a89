//! Seeds the teams and the four categories of the spec on first start. Idempotent: what
//! exists is left as admins made it.

use diesel::prelude::*;
use serde::Deserialize;

use super::form::{FormField, RequiredAttachment};
use crate::ids::{new_id, now};
use crate::db::schema::{categories, category_forms, teams};
use crate::db::{write_tx, DbConn};
use crate::error::ServiceError;

const SEED: &str = include_str!("../../seeds/categories.json");

#[derive(Deserialize)]
struct Seed {
    teams: Vec<TeamSeed>,
    categories: Vec<CategorySeed>,
}

#[derive(Deserialize)]
struct TeamSeed {
    slug: String,
    name_it: String,
    name_en: String,
}

#[derive(Deserialize)]
struct CategorySeed {
    slug: String,
    team: String,
    guests_allowed: bool,
    position: i32,
    first_response_hours: i32,
    resolution_hours: i32,
    name_it: String,
    name_en: String,
    description_it: String,
    description_en: String,
    fields: Vec<FormField>,
    required_attachments: Vec<RequiredAttachment>,
    /// False for a category the desk opens tickets in itself (erasure requests): no form offers it.
    #[serde(default = "offered")]
    active: bool,
}

fn offered() -> bool {
    true
}

pub fn seed(conn: &mut DbConn) -> Result<(), ServiceError> {
    let seed: Seed = serde_json::from_str(SEED).map_err(|e| ServiceError::Internal(format!("categories seed: {e}")))?;
    write_tx(conn, |conn| -> Result<(), ServiceError> {
        for team in &seed.teams {
            let exists: i64 = teams::table.filter(teams::slug.eq(&team.slug)).count().get_result(conn)?;
            if exists == 0 {
                diesel::insert_into(teams::table)
                    .values((
                        teams::id.eq(new_id()),
                        teams::slug.eq(&team.slug),
                        teams::name_it.eq(&team.name_it),
                        teams::name_en.eq(&team.name_en),
                        teams::created_at.eq(now()),
                    ))
                    .execute(conn)?;
            }
        }
        for c in &seed.categories {
            let exists: i64 = categories::table.filter(categories::slug.eq(&c.slug)).count().get_result(conn)?;
            if exists > 0 {
                continue;
            }
            let team_id: String = teams::table.filter(teams::slug.eq(&c.team)).select(teams::id).first(conn)?;
            let category_id = new_id();
            diesel::insert_into(categories::table)
                .values((
                    categories::id.eq(&category_id),
                    categories::slug.eq(&c.slug),
                    categories::name_it.eq(&c.name_it),
                    categories::name_en.eq(&c.name_en),
                    categories::description_it.eq(&c.description_it),
                    categories::description_en.eq(&c.description_en),
                    categories::team_id.eq(&team_id),
                    categories::guests_allowed.eq(c.guests_allowed),
                    categories::first_response_hours.eq(c.first_response_hours),
                    categories::resolution_hours.eq(c.resolution_hours),
                    categories::position.eq(c.position),
                    categories::active.eq(c.active),
                ))
                .execute(conn)?;
            let to_json = |v: serde_json::Result<String>| v.map_err(|e| ServiceError::Internal(e.to_string()));
            diesel::insert_into(category_forms::table)
                .values((
                    category_forms::id.eq(new_id()),
                    category_forms::category_id.eq(&category_id),
                    category_forms::version.eq(1),
                    category_forms::fields.eq(to_json(serde_json::to_string(&c.fields))?),
                    category_forms::required_attachments.eq(to_json(serde_json::to_string(&c.required_attachments))?),
                    category_forms::retired.eq(false),
                    category_forms::created_at.eq(now()),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}
