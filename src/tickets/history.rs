//! A ticket's history with names: change events store ids (agents, teams, categories; old
//! category events a slug), and the names are looked up when the history is read, one query per
//! kind for all the events, so old events show names too. The ids stay in `data`.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::ticket_rows::EventRow;
use super::view::{event_view, EventView, Names, Viewer};
use crate::db::schema::{categories, teams};
use crate::db::DbConn;
use crate::domain::Locale;
use crate::error::ServiceError;

/// What the `from` and `to` of a change event refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refers {
    Person,
    Team,
    Category,
}

pub fn refers(kind: &str) -> Option<Refers> {
    match kind {
        "assignee_changed" => Some(Refers::Person),
        "team_changed" => Some(Refers::Team),
        "category_changed" => Some(Refers::Category),
        _ => None,
    }
}

/// The ids an event's `from` and `to` hold (none for a `null`: unassigned).
fn ends(data: &Value) -> impl Iterator<Item = &str> {
    ["from", "to"].into_iter().filter_map(|end| data.get(end)?.as_str())
}

/// Events as `EventView`s, each change event with `names: {from, to}` in `locale` (`null` for
/// an id no longer found).
pub fn views(conn: &mut DbConn, rows: &[EventRow], viewer: &Viewer, locale: Locale) -> Result<Vec<EventView>, ServiceError> {
    let data: Vec<(Option<Refers>, Value)> =
        rows.iter().map(|e| (refers(&e.kind), serde_json::from_str(&e.data).unwrap_or(Value::Null))).collect();
    let ids_of = |wanted: Refers| -> Vec<&str> {
        data.iter().filter(|(r, _)| *r == Some(wanted)).flat_map(|(_, d)| ends(d)).collect()
    };
    let people = Names::load(conn, rows.iter().filter_map(|e| e.actor_id.as_deref()).chain(ids_of(Refers::Person)), false)?;
    let teams = place_names(conn, Refers::Team, &ids_of(Refers::Team), locale)?;
    let categories = place_names(conn, Refers::Category, &ids_of(Refers::Category), locale)?;
    let name = |refers: Refers, id: &str| match refers {
        Refers::Person => people.person(Some(id), true, "").map(|p| p.display_name),
        Refers::Team => teams.get(id).cloned(),
        Refers::Category => categories.get(id).cloned(),
    };
    Ok(rows
        .iter()
        .zip(&data)
        .map(|(row, (refers, data))| {
            let mut view = event_view(row, &people, viewer);
            if let Some(refers) = *refers {
                let end = |key: &str| data.get(key).and_then(Value::as_str).and_then(|id| name(refers, id));
                view.names = Some(json!({"from": end("from"), "to": end("to")}));
            }
            view
        })
        .collect())
}

/// Team or category names by id and by slug (older category events recorded the slug).
fn place_names(conn: &mut DbConn, refers: Refers, keys: &[&str], locale: Locale) -> QueryResult<HashMap<String, String>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String, String, String)> = match refers {
        Refers::Team => teams::table
            .filter(teams::id.eq_any(keys).or(teams::slug.eq_any(keys)))
            .select((teams::id, teams::slug, teams::name_it, teams::name_en))
            .load(conn)?,
        Refers::Category => categories::table
            .filter(categories::id.eq_any(keys).or(categories::slug.eq_any(keys)))
            .select((categories::id, categories::slug, categories::name_it, categories::name_en))
            .load(conn)?,
        Refers::Person => Vec::new(),
    };
    Ok(by_id_and_slug(rows, locale))
}

fn by_id_and_slug(rows: Vec<(String, String, String, String)>, locale: Locale) -> HashMap<String, String> {
    rows.into_iter()
        .flat_map(|(id, slug, it, en)| {
            let name = if locale == Locale::En { en } else { it };
            [(id, name.clone()), (slug, name)]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_events_name_what_they_refer_to() {
        assert_eq!(refers("assignee_changed"), Some(Refers::Person));
        assert_eq!(refers("team_changed"), Some(Refers::Team));
        assert_eq!(refers("category_changed"), Some(Refers::Category));
        assert_eq!(refers("status_changed"), None);
    }

    #[test]
    fn a_null_end_has_no_id() {
        let data = json!({"from": null, "to": "u-1"});
        assert_eq!(ends(&data).collect::<Vec<_>>(), ["u-1"]);
        assert_eq!(ends(&json!({})).count(), 0);
    }

    #[test]
    fn names_are_found_by_id_and_by_slug() {
        let rows = vec![("t-1".into(), "stranieri".into(), "Segreteria studenti stranieri".into(), "International students office".into())];
        let it = by_id_and_slug(rows.clone(), Locale::It);
        assert_eq!(it["t-1"], "Segreteria studenti stranieri");
        assert_eq!(it["stranieri"], "Segreteria studenti stranieri");
        assert_eq!(by_id_and_slug(rows, Locale::En)["t-1"], "International students office");
    }
}
