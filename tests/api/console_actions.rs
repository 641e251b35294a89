//! The console's actions: merge (and every refusal), bulk changes with per-ticket results,
//! and the requester side panel.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, Session, TestApp};

both_backends!(
    merge_moves_the_thread_and_refuses_what_it_must,
    bulk_changes_each_ticket_like_patch,
    requester_panel_lists_their_other_tickets
);

async fn ticket(app: &TestApp, who: &Session, number: &str) -> Value {
    app.get(&format!("/api/v1/tickets/{number}"), Some(&who.token))
        .await
        .json()
        .await
        .unwrap()
}

async fn merge(
    app: &TestApp,
    who: &Session,
    from: &str,
    into: &str,
    version: i64,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/tickets/{from}/merge"),
        Some(&who.token),
        &json!({"into": into, "version": version}),
    )
    .await
}

fn number(v: &Value) -> String {
    v["number"].as_str().unwrap().to_owned()
}

/// A desk with its admin, a segreteria agent and a stranieri agent.
pub async fn desk_with_two_agents(backend: Backend) -> (TestApp, Session, Session, Session) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let segreteria = app
        .staff(&admin, "seg@unibg.it", "agent", &["segreteria"])
        .await;
    let stranieri = app
        .staff(&admin, "str@unibg.it", "agent", &["stranieri"])
        .await;
    (app, admin, segreteria, stranieri)
}

async fn merge_moves_the_thread_and_refuses_what_it_must(backend: Backend) {
    let (app, admin, agent, outsider) = desk_with_two_agents(backend).await;
    let anna = app.student("anna@studenti.unibg.it").await;
    let bruno = app.student("bruno@studenti.unibg.it").await;
    let target = number(&app.open_ticket(&anna, "Piano di studio").await);
    let source = number(&app.open_ticket(&anna, "Piano di studio (doppione)").await);
    let res = app
        .post(
            &format!("/api/v1/tickets/{source}/messages"),
            Some(&anna.token),
            &json!({"body": "Dettaglio aggiuntivo: esame di fisica"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // Refusals: students, stale version, itself, an unknown or invisible target, bad numbers,
    // another student's ticket (one student's thread and files never reach another's ticket).
    assert_eq!(
        merge(&app, &anna, &source, &target, 1).await.status(),
        StatusCode::FORBIDDEN
    );
    let brunos = number(&app.open_ticket(&bruno, "Piano di studio").await);
    let res = merge(&app, &agent, &source, &brunos, 1).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("different people"));
    let res = merge(&app, &admin, &brunos, &target, 1).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "not even for an administrator");
    assert_eq!(
        merge(&app, &agent, &source, &target, 99).await.status(),
        StatusCode::CONFLICT
    );
    let res = merge(&app, &agent, &source, &source, 1).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("itself"));
    assert_eq!(
        merge(&app, &agent, &source, "HD-2020-999999", 1)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        merge(&app, &agent, &source, "not-a-number", 1)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        merge(&app, &outsider, &source, &target, 1).await.status(),
        StatusCode::NOT_FOUND
    );
    let closed = number(&app.open_ticket(&anna, "Chiuso").await);
    app.patch(
        &format!("/api/v1/tickets/{closed}"),
        &agent.token,
        &json!({"version": 1, "status": "closed"}),
    )
    .await;
    let res = merge(&app, &agent, &source, &closed, 1).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("closed"));

    // The merge.
    let before = ticket(&app, &agent, &target).await;
    let res = merge(&app, &agent, &source, &target, 1).await;
    assert_eq!(res.status(), StatusCode::OK);
    let merged: Value = res.json().await.unwrap();
    assert_eq!(merged["number"], target.as_str());
    assert_eq!(
        merged["version"],
        before["version"].as_i64().unwrap() + 1,
        "the target changed: a stale page of it gets 409"
    );
    let bodies: Vec<&str> = merged["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert!(
        bodies.iter().any(|b| b.contains("esame di fisica")),
        "{bodies:?}"
    );
    assert!(
        bodies
            .iter()
            .any(|b| b.contains(&format!("Merged from {source}"))),
        "{bodies:?}"
    );
    let old = ticket(&app, &agent, &source).await;
    assert_eq!(old["status"], "closed");
    assert!(old["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["kind"] == "system"
            && m["body"]
                .as_str()
                .unwrap()
                .contains(&format!("Merged into {target}"))));
    assert!(
        !old["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["body"].as_str().unwrap().contains("fisica")),
        "the thread moved"
    );
    let events = |n: String| {
        let app = &app;
        let token = admin.token.clone();
        async move {
            app.get(&format!("/api/v1/tickets/{n}/events"), Some(&token))
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert!(events(source.clone())
        .await
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "merged_into" && e["data"]["into"] == target.as_str()));
    assert!(events(target.clone())
        .await
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "merged_from" && e["data"]["from"] == source.as_str()));
    // The requester is told, once.
    let told: Vec<_> = app
        .outbox_for("anna@studenti.unibg.it")
        .await
        .into_iter()
        .filter(|(kind, _)| kind == "ticket_merged")
        .collect();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].1["into"], target.as_str());
    assert!(!app
        .outbox_for("bruno@studenti.unibg.it")
        .await
        .iter()
        .any(|(kind, _)| kind == "ticket_merged"));
    // The thread is searchable on the target now.
    let found: Value = app
        .client
        .get(app.url("/api/v1/search"))
        .query(&[("q", "fisica")])
        .bearer_auth(&agent.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["number"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [target.as_str()]
    );

    // Merging again, or into the merged ticket: 409 with the reason.
    let version = old["version"].as_i64().unwrap();
    let res = merge(&app, &agent, &source, &target, version).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let third = number(&app.open_ticket(&anna, "Terzo").await);
    let res = merge(&app, &agent, &third, &source, 1).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("merged"));
}

async fn bulk(
    app: &TestApp,
    who: &Session,
    numbers: &[&str],
    action: Value,
) -> (StatusCode, Value) {
    let res = app
        .post(
            "/api/v1/tickets/bulk",
            Some(&who.token),
            &json!({"numbers": numbers, "action": action}),
        )
        .await;
    let status = res.status();
    (status, res.json().await.unwrap())
}

async fn bulk_changes_each_ticket_like_patch(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let supervisor = app.staff(&admin, "capo@unibg.it", "supervisor", &[]).await;
    let agent = app
        .staff(&admin, "massa@unibg.it", "agent", &["segreteria"])
        .await;
    let student = app.student("massa@studenti.unibg.it").await;
    let a = number(&app.open_ticket(&student, "Uno").await);
    let b = number(&app.open_ticket(&student, "Due").await);
    let c = number(&app.open_ticket(&student, "Tre").await);
    app.patch(
        &format!("/api/v1/tickets/{c}"),
        &agent.token,
        &json!({"version": 1, "status": "closed"}),
    )
    .await;

    // Status: the closed ticket refuses the transition, the others move (with their events).
    let (status, results) = bulk(
        &app,
        &agent,
        &[&a, &b, &c, "HD-2020-000001"],
        json!({"status": "waiting_student"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let oks: Vec<bool> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(oks, [true, true, false, false], "{results}");
    assert!(
        results[2]["error"]
            .as_str()
            .unwrap()
            .contains("cannot go from closed"),
        "{results}"
    );
    assert!(results[3]["error"].is_string());
    assert!(results[0].get("error").is_none());
    assert_eq!(ticket(&app, &agent, &a).await["status"], "waiting_student");
    assert_eq!(ticket(&app, &agent, &c).await["status"], "closed");
    let events: Value = app
        .get(&format!("/api/v1/tickets/{a}/events"), Some(&agent.token))
        .await
        .json()
        .await
        .unwrap();
    assert!(events
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "status_changed"));
    assert!(
        app.outbox_for("massa@studenti.unibg.it")
            .await
            .iter()
            .filter(|(k, _)| k == "ticket_waiting")
            .count()
            == 2
    );

    // Assign to me, to someone, to nobody; priority.
    let (_, results) = bulk(&app, &agent, &[&a, &b], json!({"assign": "me"})).await;
    assert!(
        results.as_array().unwrap().iter().all(|r| r["ok"] == true),
        "{results}"
    );
    assert_eq!(
        ticket(&app, &agent, &b).await["assignee"]["id"],
        agent.id.as_str()
    );
    let (_, results) = bulk(
        &app,
        &supervisor,
        &[&a],
        json!({"assign": "0190f0f0-0000-7000-8000-000000000000"}),
    )
    .await;
    assert_eq!(results[0]["ok"], false);
    assert!(
        results[0]["error"].as_str().unwrap().contains("assignee"),
        "{results}"
    );
    let (_, results) = bulk(&app, &supervisor, &[&a], json!({"assign": null})).await;
    assert_eq!(results[0]["ok"], true);
    assert!(ticket(&app, &agent, &a).await["assignee"].is_null());
    let (_, results) = bulk(&app, &supervisor, &[&a, &b], json!({"priority": "urgent"})).await;
    assert!(results.as_array().unwrap().iter().all(|r| r["ok"] == true));
    assert_eq!(ticket(&app, &agent, &b).await["priority"], "urgent");

    // Refused as a whole: students, empty or oversized selections, unknown actions.
    assert_eq!(
        bulk(&app, &student, &[&a], json!({"priority": "low"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bulk(&app, &agent, &[], json!({"priority": "low"})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let many: Vec<String> = (1..=201).map(|i| format!("HD-2020-{i:06}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(
        bulk(&app, &agent, &many, json!({"priority": "low"}))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        bulk(&app, &agent, &[&a], json!({"delete": true})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn requester_panel_lists_their_other_tickets(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app
        .staff(&admin, "pannello@unibg.it", "agent", &["segreteria"])
        .await;
    let student = app.student("laterale@studenti.unibg.it").await;
    let other = app.student("altra@studenti.unibg.it").await;
    let first = number(&app.open_ticket(&student, "Primo").await);
    let second = number(&app.open_ticket(&student, "Secondo").await);
    let elsewhere = number(&app.open_ticket(&student, "Altro ufficio").await);
    app.patch(
        &format!("/api/v1/tickets/{elsewhere}"),
        &admin.token,
        &json!({"version": 1, "team": "stranieri"}),
    )
    .await;
    app.open_ticket(&other, "Di un'altra").await;

    let res = app
        .get(
            &format!("/api/v1/tickets/{first}/requester"),
            Some(&agent.token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let panel: Value = res.json().await.unwrap();
    assert_eq!(panel["requester"]["email"], "laterale@studenti.unibg.it");
    let listed: Vec<&str> = panel["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        [second.as_str()],
        "their other tickets the agent may see, not this one: {panel}"
    );
    assert_eq!(panel["tickets"][0]["status"], "new");
    assert!(panel["tickets"][0]["updated_at"].is_string());
    let all: Value = app
        .get(
            &format!("/api/v1/tickets/{first}/requester"),
            Some(&admin.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["tickets"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get(
            &format!("/api/v1/tickets/{first}/requester"),
            Some(&student.token)
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(
            "/api/v1/tickets/HD-2020-000009/requester",
            Some(&agent.token)
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
}
