//! Canned responses: ready answers in Italian and English, global or a team's, with
//! placeholders (`{{student_name}}`, `{{ticket_number}}`, `{{ticket_link}}`, `{{agent_name}}`)
//! filled for a ticket in its language. Placeholders are checked when a response is saved and
//! rendered with handlebars in strict mode, without HTML escaping (replies are plain text).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::accounts::User;
use crate::ids::{new_id, now};
use crate::db::schema::{canned_responses, teams, users};
use crate::db::{write_tx, DbConn};
use crate::domain::{Locale, Role, TicketNumber};
use crate::error::{FieldErrors, ServiceError};
use crate::sla::admin::team_field;
use crate::auth::ticket_access::visible_ticket;
use crate::tickets::open::MAX_BODY;
use crate::tickets::query::{Page, DEFAULT_LIMIT, MAX_LIMIT};

/// The placeholders a canned response may use.
pub const PLACEHOLDERS: [&str; 4] = ["student_name", "ticket_number", "ticket_link", "agent_name"];

pub const MAX_TITLE: usize = 200;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedInput {
    /// A team slug; absent or null: every team (supervisors and admins only).
    #[serde(default)]
    pub team: Option<String>,
    pub title: String,
    pub body_it: String,
    pub body_en: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CannedView {
    pub id: String,
    /// A team slug, or null for every team.
    pub team: Option<String>,
    pub title: String,
    pub body_it: String,
    pub body_en: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RenderedView {
    /// The body in the ticket's language, placeholders filled.
    pub body: String,
    pub locale: Locale,
    pub title: String,
}

#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
pub struct CannedParams {
    /// Only this team's responses and the global ones.
    pub team: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = canned_responses)]
struct CannedRow {
    id: String,
    team_id: Option<String>,
    title: String,
    body_it: String,
    body_en: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn view(row: CannedRow, team: Option<String>) -> CannedView {
    CannedView {
        id: row.id,
        team,
        title: row.title,
        body_it: row.body_it,
        body_en: row.body_en,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    }
}

/// The placeholders of a body that are not among `PLACEHOLDERS`, or why it is no template.
/// Only plain `{{name}}` expressions are allowed: no helpers, blocks or partials.
pub fn check_template(body: &str) -> Result<(), String> {
    handlebars::Template::compile(body)
        .map_err(|e| format!("is not a valid template: {}", e.reason()))?;
    let mut unknown: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("has a '{{' without '}}'")?;
        let name = after[..end].trim();
        if !PLACEHOLDERS.contains(&name) {
            unknown.push(format!("{{{{{name}}}}}"));
        }
        rest = &after[end + 2..];
    }
    if unknown.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = PLACEHOLDERS
        .iter()
        .map(|p| format!("{{{{{p}}}}}"))
        .collect();
    Err(format!(
        "unknown placeholder {}; use {}",
        unknown.join(", "),
        known.join(", ")
    ))
}

/// Fills the placeholders (strict: a missing value is an error, never an empty hole).
pub fn render(body: &str, values: &serde_json::Value) -> Result<String, ServiceError> {
    let mut registry = handlebars::Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    registry
        .render_template(body, values)
        .map_err(|e| ServiceError::Internal(format!("rendering a canned response: {e}")))
}

/// Who may write responses of `team_id` (None: global): supervisors and admins any; agents
/// only their own teams'.
fn may_write(user: &User, team_id: Option<&str>) -> Result<(), ServiceError> {
    match (user.role, team_id) {
        (Role::Supervisor | Role::Admin, _) => Ok(()),
        (Role::Agent, Some(team)) if user.team_ids.iter().any(|t| t == team) => Ok(()),
        (Role::Agent, _) => Err(ServiceError::Forbidden(
            "agents write canned responses for their own teams".into(),
        )),
        (Role::Student, _) => Err(ServiceError::Forbidden(
            "this action is for staff only".into(),
        )),
    }
}

/// Who sees responses of `team_id`: staff; agents the global ones and their teams'.
fn may_read(user: &User, team_id: Option<&str>) -> bool {
    match user.role {
        Role::Supervisor | Role::Admin => true,
        Role::Agent => team_id.is_none_or(|team| user.team_ids.iter().any(|t| t == team)),
        Role::Student => false,
    }
}

fn staff_only(user: &User) -> Result<(), ServiceError> {
    if user.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "this action is for staff only".into(),
        ))
    }
}

/// The checked fields of an input, and its team id.
fn check_input(
    conn: &mut DbConn,
    input: &CannedInput,
) -> Result<(Option<String>, String, String, String), ServiceError> {
    let mut errors = FieldErrors::default();
    let title = errors.text("title", &input.title, MAX_TITLE);
    let body_it = errors.text("body_it", &input.body_it, MAX_BODY);
    let body_en = errors.text("body_en", &input.body_en, MAX_BODY);
    for (field, body) in [("body_it", &body_it), ("body_en", &body_en)] {
        if let Err(message) = check_template(body) {
            errors.add(field, message);
        }
    }
    let team_id = team_field(conn, &mut errors, input.team.as_deref())?;
    errors.into_result()?;
    Ok((team_id, title, body_it, body_en))
}

fn active_row(conn: &mut DbConn, id: &str) -> Result<CannedRow, ServiceError> {
    canned_responses::table
        .find(id)
        .filter(canned_responses::active.eq(true))
        .select(CannedRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound)
}

/// A response the user may change: not found if they may not see it, forbidden if they
/// may only see it.
fn writable_row(conn: &mut DbConn, user: &User, id: &str) -> Result<CannedRow, ServiceError> {
    let row = active_row(conn, id)?;
    if !may_read(user, row.team_id.as_deref()) {
        return Err(ServiceError::NotFound);
    }
    may_write(user, row.team_id.as_deref())?;
    Ok(row)
}

/// Every response `user` may see, following the cursor to the end (the admin page).
pub fn all(conn: &mut DbConn, user: &User) -> Result<Vec<CannedView>, ServiceError> {
    let mut params = CannedParams { limit: Some(MAX_LIMIT), ..CannedParams::default() };
    let mut items = Vec::new();
    loop {
        let page = list(conn, user, &params)?;
        items.extend(page.items);
        match page.next_cursor {
            Some(cursor) => params.cursor = Some(cursor),
            None => return Ok(items),
        }
    }
}

/// The responses the user may use, oldest first; `team`: that team's and the global ones.
pub fn list(
    conn: &mut DbConn,
    user: &User,
    params: &CannedParams,
) -> Result<Page<CannedView>, ServiceError> {
    staff_only(user)?;
    let mut errors = FieldErrors::default();
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.add("limit", format!("must be between 1 and {MAX_LIMIT}"));
    }
    if params
        .cursor
        .as_deref()
        .is_some_and(|c| uuid::Uuid::parse_str(c).is_err())
    {
        errors.add("cursor", "is not a cursor this server gave");
    }
    let team_filter = team_field(conn, &mut errors, params.team.as_deref())?;
    errors.into_result()?;
    let slugs: Vec<(String, String)> = teams::table.select((teams::id, teams::slug)).load(conn)?;
    let mut query = canned_responses::table
        .filter(canned_responses::active.eq(true))
        .select(CannedRow::as_select())
        .into_boxed();
    if let Some(team) = &team_filter {
        query = query.filter(
            canned_responses::team_id
                .is_null()
                .or(canned_responses::team_id.eq(team.clone())),
        );
    }
    if user.role == Role::Agent {
        query = query.filter(
            canned_responses::team_id
                .is_null()
                .or(canned_responses::team_id.eq_any(user.team_ids.clone())),
        );
    }
    if let Some(cursor) = &params.cursor {
        query = query.filter(canned_responses::id.gt(cursor.clone()));
    }
    let mut rows: Vec<CannedRow> = query
        .order(canned_responses::id.asc())
        .limit(limit + 1)
        .load(conn)?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    let slug_of = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| slugs.iter().find(|(t, _)| t == id).map(|(_, s)| s.clone()))
    };
    let items = rows
        .into_iter()
        .map(|row| {
            let team = slug_of(&row.team_id);
            view(row, team)
        })
        .collect();
    Ok(Page { items, next_cursor })
}

pub fn create(
    conn: &mut DbConn,
    user: &User,
    input: &CannedInput,
) -> Result<CannedView, ServiceError> {
    staff_only(user)?;
    write_tx(conn, |conn| {
        let (team_id, title, body_it, body_en) = check_input(conn, input)?;
        may_write(user, team_id.as_deref())?;
        let id = new_id();
        let at = now();
        diesel::insert_into(canned_responses::table)
            .values((
                canned_responses::id.eq(&id),
                canned_responses::team_id.eq(&team_id),
                canned_responses::title.eq(&title),
                canned_responses::body_it.eq(&body_it),
                canned_responses::body_en.eq(&body_en),
                canned_responses::active.eq(true),
                canned_responses::created_by.eq(Some(&user.id)),
                canned_responses::created_at.eq(at),
                canned_responses::updated_at.eq(at),
            ))
            .execute(conn)?;
        let row = active_row(conn, &id)?;
        Ok(view(row, input.team.clone()))
    })
}

/// Replaces a response's team, title and bodies.
pub fn update(
    conn: &mut DbConn,
    user: &User,
    id: &str,
    input: &CannedInput,
) -> Result<CannedView, ServiceError> {
    staff_only(user)?;
    write_tx(conn, |conn| {
        writable_row(conn, user, id)?;
        let (team_id, title, body_it, body_en) = check_input(conn, input)?;
        may_write(user, team_id.as_deref())?;
        diesel::update(canned_responses::table.find(id))
            .set((
                canned_responses::team_id.eq(&team_id),
                canned_responses::title.eq(&title),
                canned_responses::body_it.eq(&body_it),
                canned_responses::body_en.eq(&body_en),
                canned_responses::updated_at.eq(now()),
            ))
            .execute(conn)?;
        let row = active_row(conn, id)?;
        Ok(view(row, input.team.clone()))
    })
}

/// Removes a response (kept inactive, so a seeded one is not seeded again).
pub fn delete(conn: &mut DbConn, user: &User, id: &str) -> Result<(), ServiceError> {
    staff_only(user)?;
    write_tx(conn, |conn| {
        writable_row(conn, user, id)?;
        diesel::update(canned_responses::table.find(id))
            .set((
                canned_responses::active.eq(false),
                canned_responses::updated_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// A response for a ticket, in the ticket's language, placeholders filled.
pub fn render_for_ticket(
    conn: &mut DbConn,
    user: &User,
    number: &TicketNumber,
    id: &str,
    base_url: &str,
) -> Result<RenderedView, ServiceError> {
    staff_only(user)?;
    let ticket = visible_ticket(conn, user, number)?;
    let row = active_row(conn, id)?;
    if !may_read(user, row.team_id.as_deref()) {
        return Err(ServiceError::NotFound);
    }
    let student: String = users::table
        .find(&ticket.requester_id)
        .select(users::display_name)
        .first(conn)?;
    let locale = ticket.locale;
    let values = json!({
        "student_name": student,
        "ticket_number": ticket.number,
        "ticket_link": format!("{base_url}/tickets/{}", ticket.number),
        "agent_name": user.display_name,
    });
    let body = match locale {
        Locale::It => &row.body_it,
        Locale::En => &row.body_en,
    };
    Ok(RenderedView {
        body: render(body, &values)?,
        locale,
        title: row.title,
    })
}

#[derive(Deserialize)]
struct Seed {
    key: String,
    team: Option<String>,
    title: String,
    body_it: String,
    body_en: String,
}

const SEED: &str = include_str!("../../seeds/canned_responses.json");

/// Seeds the responses of the shipped list that were never seeded (by key): an admin's
/// edits and deletions stay as they are.
pub fn seed(conn: &mut DbConn) -> Result<(), ServiceError> {
    let seeds: Vec<Seed> = serde_json::from_str(SEED)
        .map_err(|e| ServiceError::Internal(format!("canned responses seed: {e}")))?;
    write_tx(conn, |conn| -> Result<(), ServiceError> {
        for seed in &seeds {
            let exists: i64 = canned_responses::table
                .filter(canned_responses::seed_key.eq(&seed.key))
                .count()
                .get_result(conn)?;
            if exists > 0 {
                continue;
            }
            let team_id: Option<String> = match &seed.team {
                Some(slug) => match teams::table
                    .filter(teams::slug.eq(slug))
                    .select(teams::id)
                    .first(conn)
                    .optional()?
                {
                    Some(id) => Some(id),
                    None => continue,
                },
                None => None,
            };
            let at = now();
            diesel::insert_into(canned_responses::table)
                .values((
                    canned_responses::id.eq(new_id()),
                    canned_responses::team_id.eq(team_id),
                    canned_responses::title.eq(&seed.title),
                    canned_responses::body_it.eq(&seed.body_it),
                    canned_responses::body_en.eq(&seed.body_en),
                    canned_responses::seed_key.eq(&seed.key),
                    canned_responses::active.eq(true),
                    canned_responses::created_at.eq(at),
                    canned_responses::updated_at.eq(at),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_four_placeholders_pass() {
        assert!(check_template("Gentile {{student_name}}, ticket {{ ticket_number }}: {{ticket_link}} — {{agent_name}}").is_ok());
        assert!(check_template("No placeholders at all.").is_ok());
        let err = check_template("Ciao {{nome}} {{student_name}} {{#if x}}y{{/if}}").unwrap_err();
        assert!(
            err.contains("{{nome}}") && err.contains("{{#if x}}"),
            "{err}"
        );
        assert!(err.contains("use {{student_name}}"), "{err}");
        assert!(check_template("Ciao {{student_name")
            .unwrap_err()
            .contains("not a valid template"));
    }

    #[test]
    fn renders_without_escaping_and_strictly() {
        let values = json!({"student_name": "Anna <Rossi> & co", "ticket_number": "HD-2026-000001", "ticket_link": "x", "agent_name": "Luca"});
        assert_eq!(
            render("Gentile {{student_name}} ({{ticket_number}})", &values).unwrap(),
            "Gentile Anna <Rossi> & co (HD-2026-000001)"
        );
        assert!(render("{{missing}}", &values).is_err());
    }

    #[test]
    fn the_shipped_seed_uses_known_placeholders() {
        let seeds: Vec<Seed> = serde_json::from_str(SEED).unwrap();
        assert!(seeds.len() >= 6);
        for seed in seeds {
            for body in [&seed.body_it, &seed.body_en] {
                assert_eq!(check_template(body), Ok(()), "{}", seed.key);
            }
            assert!(seed.title.chars().count() <= MAX_TITLE);
        }
    }
}
