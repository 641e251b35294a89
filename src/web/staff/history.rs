//! The ticket page's history: one line per event, newest first, in the page's language, with
//! names for agents, teams and categories (never their ids).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::career::status::CareerStatus;
use crate::domain::Locale;
use crate::tickets::history::{refers, Refers};
use crate::tickets::view::EventView;
use crate::web::i18n::text;
use crate::web::tickets::when;

pub fn lines(events: &[EventView], locale: Locale) -> Vec<Value> {
    events
        .iter()
        .rev()
        .map(|e| {
            json!({"when": when(e.created_at, locale), "what": describe(e, locale),
                   "who": e.actor.as_ref().map(|a| a.display_name.clone())})
        })
        .collect()
}

/// "Ufficio: Segreteria studenti → Segreteria studenti stranieri".
pub fn describe(e: &EventView, locale: Locale) -> String {
    let path = format!("staff.event.{}", e.kind);
    let label = match text(locale, &path) {
        found if found != path => found,
        _ => e.kind.replace('_', " "),
    };
    let (from, to) = (e.data.get("from").unwrap_or(&Value::Null), e.data.get("to").unwrap_or(&Value::Null));
    let change = |show: &dyn Fn(&Value, &str) -> String| format!("{label}: {} → {}", show(from, "from"), show(to, "to"));
    if let Some(refers) = refers(&e.kind) {
        let names = e.names.as_ref();
        return change(&|id, end| named(refers, id, names.and_then(|n| n.get(end)), locale));
    }
    match e.kind.as_str() {
        "status_changed" => change(&|v, _| coded(locale, "staff.status", v)),
        "priority_changed" | "priority_raised" => change(&|v, _| coded(locale, "staff.priority", v)),
        "career_action_status" => change(&|v, _| {
            v.as_str().and_then(|s| CareerStatus::parse(s).ok()).map_or_else(|| plain(v), |s| s.label(locale).to_owned())
        }),
        "sla_recomputed" | "sla_resumed" => {
            let due = |key: &str, what: &str| {
                let at = e.data.get(key).and_then(Value::as_str).and_then(|t| DateTime::parse_from_rfc3339(t).ok())?;
                let at = when(at.with_timezone(&Utc), locale);
                Some(format!("{} {}", text(locale, what), at["text"].as_str().unwrap_or_default()))
            };
            let parts: Vec<String> =
                [due("first_response_due_at", "staff.due_first"), due("due_at", "staff.due")].into_iter().flatten().collect();
            if parts.is_empty() {
                label
            } else {
                format!("{label}: {}", parts.join(" · "))
            }
        }
        _ if !from.is_null() && !to.is_null() => change(&|v, _| plain(v)),
        // One ticket referred to: merged into/from, a follow-up.
        _ => match ["into", "number", "from"].iter().find_map(|k| e.data.get(*k).and_then(Value::as_str)) {
            Some(other) => format!("{label}: {other}"),
            None => label,
        },
    }
}

/// A person, team or category of a change: its name; for an id no longer found, a neutral
/// word; for nobody (`null`), "unassigned".
fn named(refers: Refers, id: &Value, name: Option<&Value>, locale: Locale) -> String {
    match (name.and_then(Value::as_str), id.is_null(), refers) {
        (Some(name), _, _) => name.to_owned(),
        (None, true, Refers::Person) => text(locale, "staff.unassigned"),
        (None, true, _) => "–".into(),
        (None, false, Refers::Person) => text(locale, "staff.removed_user"),
        (None, false, _) => text(locale, "staff.removed_item"),
    }
}

/// A status or priority code as staff read it.
fn coded(locale: Locale, prefix: &str, v: &Value) -> String {
    v.as_str().map_or_else(|| plain(v), |code| text(locale, &format!("{prefix}.{code}")))
}

fn plain(v: &Value) -> String {
    plain_opt(v).unwrap_or_else(|| "–".into())
}

/// A scalar as text; `None` for null, arrays and objects.
pub fn plain_opt(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, data: Value, names: Option<Value>) -> EventView {
        EventView { id: "e".into(), kind: kind.into(), actor: None, data, names, created_at: Utc::now() }
    }

    #[test]
    fn changes_of_people_teams_and_categories_read_as_names() {
        let assigned = event("assignee_changed", json!({"from": null, "to": "u-1"}), Some(json!({"from": null, "to": "Mario Rossi"})));
        assert_eq!(describe(&assigned, Locale::It), "Assegnazione: Non assegnata → Mario Rossi");
        assert_eq!(describe(&assigned, Locale::En), "Assignee: Unassigned → Mario Rossi");
        let team = event("team_changed", json!({"from": "t-1", "to": "t-2"}), Some(json!({"from": "Segreteria studenti", "to": "Servizio IT"})));
        assert_eq!(describe(&team, Locale::It), "Ufficio: Segreteria studenti → Servizio IT");
    }

    #[test]
    fn ids_no_longer_found_read_as_removed() {
        let gone = event("assignee_changed", json!({"from": "u-9", "to": null}), Some(json!({"from": null, "to": null})));
        assert_eq!(describe(&gone, Locale::It), "Assegnazione: utente rimosso → Non assegnata");
        assert_eq!(describe(&gone, Locale::En), "Assignee: removed user → Unassigned");
        // No names at all (never a panic): the same neutral words.
        let bare = event("category_changed", json!({"from": "c-1", "to": "segreteria"}), None);
        assert_eq!(describe(&bare, Locale::En), "Topic: removed item → removed item");
    }

    #[test]
    fn statuses_and_due_times_read_in_the_page_language() {
        let status = event("status_changed", json!({"from": "new", "to": "waiting_student"}), None);
        assert_eq!(describe(&status, Locale::It), "Stato: Nuova → In attesa dello studente");
        let sla = event("sla_recomputed", json!({"first_response_due_at": null, "due_at": "2026-11-26T09:00:00Z"}), None);
        assert_eq!(describe(&sla, Locale::It), "Scadenze SLA ricalcolate: Risoluzione entro 26/11/2026 10:00");
        assert_eq!(describe(&event("merged_into", json!({"into": "HD-2026-000002"}), None), Locale::En), "Merged into: HD-2026-000002");
        assert_eq!(describe(&event("something_new", json!({}), None), Locale::En), "something new");
    }
}
