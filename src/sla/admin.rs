//! Administration of the SLA calendars: each team's weekly office hours and the closure days
//! (global or a team's) beyond the national holidays. Every change forgets the remembered
//! calendars, so due times computed after it use the new hours.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{forget_calendars, parse_date, parse_time, stored_closures, stored_week};
use crate::ids::{new_id, now};
use crate::db::schema::{closures, office_hours, teams};
use crate::db::{write_tx, DbConn};
use crate::domain::sla::{default_week, Closure, Span, Week};
use crate::error::{FieldErrors, ServiceError};

/// Days of the week, as the API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];

    /// Monday is 0.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][self.index()]
    }
}

/// One stretch of office hours: `{"day": "mon", "opens": "09:00", "closes": "13:00"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Stretch {
    pub day: Day,
    /// Local time (Europe/Rome), `HH:MM`.
    pub opens: String,
    /// Local time (Europe/Rome), `HH:MM`, after `opens`.
    pub closes: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficeHoursInput {
    /// The whole week; it replaces what the team had.
    pub hours: Vec<Stretch>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfficeHoursView {
    pub team: String,
    /// True when the team has set no hours of its own (Mon-Fri 09:00-17:00 apply).
    pub default: bool,
    pub hours: Vec<Stretch>,
}

/// At most this many stretches a week (five a day, on weekdays and Saturday).
const MAX_STRETCHES: usize = 30;

fn stretches(week: &Week) -> Vec<Stretch> {
    Day::ALL
        .iter()
        .flat_map(|day| {
            week[day.index()].iter().map(|s| Stretch {
                day: *day,
                opens: s.opens.format("%H:%M").to_string(),
                closes: s.closes.format("%H:%M").to_string(),
            })
        })
        .collect()
}

/// Checks a week of office hours: times `HH:MM`, each stretch closing after it opens, no two
/// stretches of a day overlapping, at least one stretch in the week.
pub fn check_week(input: &OfficeHoursInput) -> Result<Week, ServiceError> {
    let mut errors = FieldErrors::default();
    if input.hours.is_empty() {
        errors.add(
            "hours",
            "give at least one stretch of office hours in the week",
        );
    } else if input.hours.len() > MAX_STRETCHES {
        errors.add("hours", format!("at most {MAX_STRETCHES} stretches a week"));
    }
    let mut week: [Vec<(Span, usize)>; 7] = Default::default();
    for (i, stretch) in input.hours.iter().enumerate() {
        let time = |errors: &mut FieldErrors, name: &str, value: &str| {
            let parsed = parse_time(value);
            if parsed.is_none() {
                errors.add(
                    format!("hours[{i}].{name}"),
                    format!("'{value}' is not a time of day HH:MM (00:00-23:59)"),
                );
            }
            parsed
        };
        let (Some(opens), Some(closes)) = (
            time(&mut errors, "opens", &stretch.opens),
            time(&mut errors, "closes", &stretch.closes),
        ) else {
            continue;
        };
        match Span::new(opens, closes) {
            Some(span) => week[stretch.day.index()].push((span, i)),
            None => errors.add(
                format!("hours[{i}].closes"),
                format!("must be after opens ({})", stretch.opens),
            ),
        }
    }
    for day in week.iter_mut() {
        day.sort();
        for pair in day.windows(2) {
            let ((earlier, _), (later, i)) = (pair[0], pair[1]);
            if later.opens < earlier.closes {
                errors.add(
                    format!("hours[{i}]"),
                    format!(
                        "overlaps {}-{} of the same day",
                        earlier.opens.format("%H:%M"),
                        earlier.closes.format("%H:%M")
                    ),
                );
            }
        }
    }
    errors.into_result()?;
    Ok(week.map(|day| day.into_iter().map(|(span, _)| span).collect()))
}

fn team_id(conn: &mut DbConn, slug: &str) -> Result<String, ServiceError> {
    teams::table
        .filter(teams::slug.eq(slug))
        .select(teams::id)
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound)
}

pub fn office_hours(conn: &mut DbConn, slug: &str) -> Result<OfficeHoursView, ServiceError> {
    let id = team_id(conn, slug)?;
    let stored = stored_week(conn, &id)?;
    Ok(OfficeHoursView {
        team: slug.to_owned(),
        default: stored.is_none(),
        hours: stretches(&stored.unwrap_or_else(default_week)),
    })
}

/// Replaces a team's week of office hours.
pub fn set_office_hours(
    conn: &mut DbConn,
    slug: &str,
    input: &OfficeHoursInput,
) -> Result<OfficeHoursView, ServiceError> {
    let week = check_week(input)?;
    write_tx(conn, |conn| -> Result<(), ServiceError> {
        let id = team_id(conn, slug)?;
        diesel::delete(office_hours::table.filter(office_hours::team_id.eq(&id))).execute(conn)?;
        for (day, spans) in week.iter().enumerate() {
            for span in spans {
                diesel::insert_into(office_hours::table)
                    .values((
                        office_hours::id.eq(new_id()),
                        office_hours::team_id.eq(&id),
                        office_hours::weekday.eq(day as i32 + 1),
                        office_hours::opens.eq(span.opens.format("%H:%M").to_string()),
                        office_hours::closes.eq(span.closes.format("%H:%M").to_string()),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(())
    })?;
    forget_calendars();
    Ok(OfficeHoursView {
        team: slug.to_owned(),
        default: false,
        hours: stretches(&week),
    })
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureInput {
    /// A team slug; absent or null: every team.
    #[serde(default)]
    pub team: Option<String>,
    /// What the closure is, e.g. "San Petronio" or "Chiusura estiva".
    pub name: String,
    /// `YYYY-MM-DD`.
    pub starts_on: String,
    /// `YYYY-MM-DD`, inclusive; absent: the same day as `starts_on`.
    #[serde(default)]
    pub ends_on: Option<String>,
    /// Repeats every year on the same days (a patron saint).
    #[serde(default)]
    pub yearly: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClosureView {
    pub id: String,
    /// A team slug, or null for every team.
    pub team: Option<String>,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub yearly: bool,
    pub created_at: DateTime<Utc>,
}

/// A closure lasts at most this many days (a summer closure fits; a closed year does not).
pub const MAX_CLOSURE_DAYS: i64 = 92;

type ClosureRow = (
    String,
    Option<String>,
    String,
    String,
    String,
    bool,
    chrono::NaiveDateTime,
);

fn closure_view(row: ClosureRow, team_slugs: &[(String, String)]) -> ClosureView {
    let (id, team_id, name, starts_on, ends_on, yearly, created_at) = row;
    let team = team_id.and_then(|t| {
        team_slugs
            .iter()
            .find(|(id, _)| *id == t)
            .map(|(_, slug)| slug.clone())
    });
    ClosureView {
        id,
        team,
        name,
        starts_on,
        ends_on,
        yearly,
        created_at: created_at.and_utc(),
    }
}

/// The id of the team `slug` names (`None` when no team is given); an unknown slug is an
/// error on the `team` field.
pub fn team_field(
    conn: &mut DbConn,
    errors: &mut FieldErrors,
    slug: Option<&str>,
) -> QueryResult<Option<String>> {
    let Some(slug) = slug else {
        return Ok(None);
    };
    let found = teams::table
        .filter(teams::slug.eq(slug))
        .select(teams::id)
        .first(conn)
        .optional()?;
    if found.is_none() {
        errors.add("team", format!("unknown team '{slug}'"));
    }
    Ok(found)
}

fn team_slugs(conn: &mut DbConn) -> QueryResult<Vec<(String, String)>> {
    teams::table.select((teams::id, teams::slug)).load(conn)
}

fn closure_rows(conn: &mut DbConn, id: Option<&str>) -> QueryResult<Vec<ClosureRow>> {
    let mut query = closures::table
        .select((
            closures::id,
            closures::team_id,
            closures::name,
            closures::starts_on,
            closures::ends_on,
            closures::yearly,
            closures::created_at,
        ))
        .order((closures::starts_on, closures::id))
        .into_boxed();
    if let Some(id) = id {
        query = query.filter(closures::id.eq(id.to_owned()));
    }
    query.load(conn)
}

/// Every closure, or those that apply to one team (the global ones and its own).
pub fn list_closures(
    conn: &mut DbConn,
    team: Option<&str>,
) -> Result<Vec<ClosureView>, ServiceError> {
    let mut errors = FieldErrors::default();
    let team_id = team_field(conn, &mut errors, team)?;
    errors.into_result()?;
    let slugs = team_slugs(conn)?;
    Ok(closure_rows(conn, None)?
        .into_iter()
        .filter(|row| team_id.is_none() || row.1.is_none() || row.1 == team_id)
        .map(|row| closure_view(row, &slugs))
        .collect())
}

pub fn add_closure(conn: &mut DbConn, input: &ClosureInput) -> Result<ClosureView, ServiceError> {
    let view = write_tx(conn, |conn| -> Result<ClosureView, ServiceError> {
        let mut errors = FieldErrors::default();
        let name = errors.text("name", &input.name, 120);
        let team_id = team_field(conn, &mut errors, input.team.as_deref())?;
        let date = |errors: &mut FieldErrors, field: &str, value: &str| {
            let parsed = parse_date(value);
            if parsed.is_none() {
                errors.add(field, format!("'{value}' is not a date YYYY-MM-DD"));
            }
            parsed
        };
        let from = date(&mut errors, "starts_on", &input.starts_on);
        let ends_on = input
            .ends_on
            .clone()
            .unwrap_or_else(|| input.starts_on.clone());
        let to = match &input.ends_on {
            Some(value) => date(&mut errors, "ends_on", value),
            None => from,
        };
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                errors.add(
                    "ends_on",
                    format!("must not be before starts_on ({})", input.starts_on),
                );
            } else if (to - from).num_days() >= MAX_CLOSURE_DAYS {
                errors.add(
                    "ends_on",
                    format!("a closure lasts at most {MAX_CLOSURE_DAYS} days"),
                );
            } else {
                let new = Closure {
                    from,
                    to,
                    yearly: input.yearly,
                };
                let same_scope = stored_closures(conn, team_id.as_deref())?
                    .into_iter()
                    .filter(|(_, team, _)| *team == team_id);
                for (id, _, existing) in same_scope {
                    if new.overlaps(&existing) {
                        let other = closure_rows(conn, Some(&id))?
                            .into_iter()
                            .next()
                            .map(|r| r.2)
                            .unwrap_or_default();
                        errors.add(
                            "starts_on",
                            format!(
                                "overlaps the closure '{other}' ({} – {})",
                                existing.from, existing.to
                            ),
                        );
                    }
                }
            }
        }
        errors.into_result()?;
        let id = new_id();
        diesel::insert_into(closures::table)
            .values((
                closures::id.eq(&id),
                closures::team_id.eq(&team_id),
                closures::name.eq(&name),
                closures::starts_on.eq(&input.starts_on),
                closures::ends_on.eq(&ends_on),
                closures::yearly.eq(input.yearly),
                closures::created_at.eq(now()),
            ))
            .execute(conn)?;
        let row = closure_rows(conn, Some(&id))?
            .into_iter()
            .next()
            .ok_or(ServiceError::NotFound)?;
        Ok(closure_view(row, &team_slugs(conn)?))
    })?;
    forget_calendars();
    Ok(view)
}

pub fn delete_closure(conn: &mut DbConn, id: &str) -> Result<(), ServiceError> {
    let deleted = write_tx(conn, |conn| {
        diesel::delete(closures::table.find(id)).execute(conn)
    })?;
    forget_calendars();
    if deleted == 0 {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stretch(day: Day, opens: &str, closes: &str) -> Stretch {
        Stretch {
            day,
            opens: opens.into(),
            closes: closes.into(),
        }
    }

    fn fields(result: Result<Week, ServiceError>) -> Vec<(String, String)> {
        match result {
            Err(ServiceError::Validation(list)) => {
                list.into_iter().map(|e| (e.field, e.message)).collect()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_split_week_is_accepted_and_sorted() {
        let input = OfficeHoursInput {
            hours: vec![
                stretch(Day::Mon, "14:00", "16:00"),
                stretch(Day::Mon, "09:00", "13:00"),
                stretch(Day::Fri, "09:00", "13:00"),
            ],
        };
        let week = check_week(&input).unwrap();
        assert_eq!(week[0].len(), 2);
        assert!(week[0][0].opens < week[0][1].opens);
        assert_eq!(week[4].len(), 1);
        assert!(week[5].is_empty());
        let back = stretches(&week);
        assert_eq!(back[0], stretch(Day::Mon, "09:00", "13:00"));
    }

    #[test]
    fn bad_weeks_name_the_stretch() {
        let errors = fields(check_week(&OfficeHoursInput { hours: vec![] }));
        assert_eq!(errors[0].0, "hours");
        let errors = fields(check_week(&OfficeHoursInput {
            hours: vec![
                stretch(Day::Mon, "9:00", "13:00"),
                stretch(Day::Tue, "13:00", "09:00"),
                stretch(Day::Wed, "09:00", "13:00"),
                stretch(Day::Wed, "12:30", "16:00"),
                stretch(Day::Thu, "25:00", "26:00"),
            ],
        }));
        let names: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            [
                "hours[0].opens",
                "hours[1].closes",
                "hours[4].opens",
                "hours[4].closes",
                "hours[3]"
            ],
            "{errors:?}"
        );
        assert!(errors[4].1.contains("overlaps 09:00-13:00"));
    }
}
