//! A ticket's history names people, teams and categories: the API keeps the ids in `data` and
//! adds `names` in the reader's language; the console page shows names only, in the page's
//! language, and a neutral word for an id no longer found.

use diesel::prelude::*;
use helpdesk::db::schema::tickets;
use helpdesk::db::ticket_rows::record_event;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, Session, TestApp};
use crate::portal::page;
use crate::sla::{change, with_db};
use crate::staff_pages::signed_in;

both_backends!(the_history_shows_names_not_ids);

async fn agent(app: &TestApp, admin: &Session, email: &str, name: &str, locale: &str) -> Session {
    let body = json!({"email": email, "password": "agent-password", "display_name": name, "role": "supervisor",
                      "teams": ["segreteria"], "locale": locale});
    let res = app.post("/api/v1/admin/agents", Some(&admin.token), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    app.login(email, "agent-password").await
}

fn event<'a>(events: &'a Value, kind: &str) -> &'a Value {
    events.as_array().unwrap().iter().find(|e| e["kind"] == kind).unwrap_or_else(|| panic!("no {kind} in {events}"))
}

/// The history list of the console page.
fn history_of(html: &str) -> &str {
    let start = html.find(r#"<ol class="history">"#).expect("the history");
    let end = start + html[start..].find("</ol>").unwrap();
    &html[start..end]
}

async fn the_history_shows_names_not_ids(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let mario = agent(&app, &admin, "mario.rossi@unibg.it", "Mario Rossi", "it").await;
    let jane = agent(&app, &admin, "jane.smith@unibg.it", "Jane Smith", "en").await;
    let student = app.student("storia@studenti.unibg.it").await;
    let number = app.open_ticket(&student, "Chi se ne occupa").await["number"].as_str().unwrap().to_owned();
    change(&app, &admin.token, &number, json!({"assignee": mario.id})).await;
    let team_ids: (String, String) = {
        let moved = change(&app, &admin.token, &number, json!({"team": "stranieri"})).await;
        assert_eq!(moved["assignee"], Value::Null, "a new team leaves the old team's agent behind");
        let n = number.clone();
        with_db(&app, move |conn| {
            use helpdesk::db::schema::ticket_events;
            let data: String = ticket_events::table
                .inner_join(tickets::table)
                .filter(tickets::number.eq(n))
                .filter(ticket_events::kind.eq("team_changed"))
                .select(ticket_events::data)
                .first(conn)
                .unwrap();
            let data: Value = serde_json::from_str(&data).unwrap();
            (data["from"].as_str().unwrap().to_owned(), data["to"].as_str().unwrap().to_owned())
        })
        .await
    };
    change(&app, &admin.token, &number, json!({"category": "credenziali"})).await;
    // An agent whose account is gone (or an id that never was one).
    let n = number.clone();
    with_db(&app, move |conn| {
        let id: String = tickets::table.filter(tickets::number.eq(n)).select(tickets::id).first(conn).unwrap();
        let ghost = json!({"from": null, "to": "00000000-0000-0000-0000-000000000000"});
        record_event(conn, &id, None, "assignee_changed", ghost).unwrap();
    })
    .await;

    // The API: ids as before, names alongside, in the reader's language.
    let path = format!("/api/v1/tickets/{number}/events");
    let events: Value = app.get(&path, Some(&admin.token)).await.json().await.unwrap();
    let assigned = event(&events, "assignee_changed");
    assert_eq!(assigned["data"], json!({"from": null, "to": mario.id}));
    assert_eq!(assigned["names"], json!({"from": null, "to": "Mario Rossi"}));
    let team = event(&events, "team_changed");
    assert_eq!(team["data"], json!({"from": team_ids.0, "to": team_ids.1}));
    assert_eq!(team["names"], json!({"from": "Segreteria studenti", "to": "Segreteria studenti stranieri"}));
    let category = event(&events, "category_changed");
    assert_eq!(category["data"]["to"], "credenziali");
    assert_eq!(category["names"], json!({"from": "Segreteria studenti", "to": "Recupero credenziali"}));
    let ghost = events.as_array().unwrap().iter().rev().find(|e| e["kind"] == "assignee_changed").unwrap();
    assert_eq!(ghost["names"], json!({"from": null, "to": null}));
    let in_english: Value = app.get(&path, Some(&jane.token)).await.json().await.unwrap();
    assert_eq!(event(&in_english, "team_changed")["names"]["to"], "International students office");
    assert_eq!(event(&in_english, "category_changed")["names"]["to"], "Credentials recovery");

    // The page: names, never the ids; a neutral word for the one not found.
    let browser = signed_in(&app, "admin@unibg.it", "admin-password").await;
    let (status, html) = page(&browser, &app, &format!("/staff/tickets/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    let history = history_of(&html);
    for expected in [
        "Assegnazione: Non assegnata → Mario Rossi",
        "Ufficio: Segreteria studenti → Segreteria studenti stranieri",
        "Assegnazione: Mario Rossi → Non assegnata",
        "Argomento: Segreteria studenti → Recupero credenziali",
        "Assegnazione: Non assegnata → utente rimosso",
    ] {
        assert!(history.contains(expected), "{expected} in {history}");
    }
    for id in [&mario.id, &team_ids.0, &team_ids.1] {
        assert!(!history.contains(id.as_str()), "no id {id} in {history}");
    }
    let res = browser.get(app.url(&format!("/staff/tickets/{number}"))).header("Accept-Language", "en").send().await.unwrap();
    let html = res.text().await.unwrap();
    let history = history_of(&html);
    assert!(history.contains("Assignee: Unassigned → Mario Rossi"), "{history}");
    assert!(history.contains("Team: Student office → International students office"), "{history}");
    assert!(history.contains("Assignee: Unassigned → removed user"), "{history}");
}
