//! The whole lifecycle: register → open → staff reply → internal note invisible to the
//! student → waiting_student → student reply → resolved → closed.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend};

both_backends!(whole_lifecycle, number_format_and_audit_trail);

async fn whole_lifecycle(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "agent@unibg.it", "agent", &["segreteria"]).await;
    let student = app.student("mario.rossi@studenti.unibg.it").await;

    // Open.
    let ticket = app.open_ticket(&student, "Modifica piano di studio").await;
    let number = ticket["number"].as_str().unwrap().to_owned();
    assert_eq!(ticket["status"], "new");
    assert_eq!(ticket["team"], "segreteria");
    assert_eq!(ticket["category"], "segreteria");
    assert_eq!(ticket["fields"]["matricola"], "1012345");
    let path = format!("/api/v1/tickets/{number}");

    // The agent sees it in the team's queue.
    let queue: Value = app.get("/api/v1/tickets?status=new", Some(&agent.token)).await.json().await.unwrap();
    assert!(queue["items"].as_array().unwrap().iter().any(|t| t["number"] == number.as_str()));

    // Staff public reply: new → open, and a mail for the student.
    let res = app.post(&format!("{path}/messages"), Some(&agent.token), &json!({"body": "Buongiorno, può farlo dallo Sportello Internet."})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // Internal note.
    let res = app.post(&format!("{path}/messages"), Some(&agent.token), &json!({"body": "NOTA INTERNA: controllare la carriera", "internal": true})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let note: Value = res.json().await.unwrap();
    assert_eq!(note["kind"], "internal");

    // The student sees the reply but never the note.
    let seen: Value = app.get(&path, Some(&student.token)).await.json().await.unwrap();
    assert_eq!(seen["status"], "open");
    let bodies: Vec<&str> = seen["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert!(bodies.iter().any(|b| b.contains("Sportello Internet")));
    assert!(!bodies.iter().any(|b| b.contains("NOTA INTERNA")), "a student saw an internal note: {bodies:?}");
    assert!(seen["messages"].as_array().unwrap().iter().all(|m| m["kind"] != "internal"));
    // Staff see it.
    let staff_view: Value = app.get(&path, Some(&agent.token)).await.json().await.unwrap();
    assert!(staff_view["messages"].as_array().unwrap().iter().any(|m| m["kind"] == "internal"));

    // waiting_student.
    let version = staff_view["version"].as_i64().unwrap();
    let res = app.patch(&path, &agent.token, &json!({"version": version, "status": "waiting_student"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let waiting: Value = res.json().await.unwrap();
    assert_eq!(waiting["status"], "waiting_student");

    // The student replies: back to open.
    let res = app.post(&format!("{path}/messages"), Some(&student.token), &json!({"body": "Fatto, grazie. Ora risulta corretto."})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let after: Value = app.get(&path, Some(&agent.token)).await.json().await.unwrap();
    assert_eq!(after["status"], "open");

    // Resolved by staff, closed by the student.
    let res = app.patch(&path, &agent.token, &json!({"version": after["version"], "status": "resolved"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let resolved: Value = res.json().await.unwrap();
    assert_eq!(resolved["status"], "resolved");
    assert!(resolved["resolved_at"].is_string());
    let res = app.patch(&path, &student.token, &json!({"version": resolved["version"], "status": "closed"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let closed: Value = res.json().await.unwrap();
    assert_eq!(closed["status"], "closed");

    // A closed ticket takes no more replies.
    let res = app.post(&format!("{path}/messages"), Some(&student.token), &json!({"body": "Un'altra domanda"})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // The mails the student got, in order; none mentions the note.
    let mails = app.outbox_for("mario.rossi@studenti.unibg.it").await;
    let kinds: Vec<&str> = mails.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["verify_email", "ticket_created", "staff_reply", "ticket_waiting", "ticket_resolved", "ticket_closed"]);
    assert!(mails.iter().all(|(_, p)| !p.to_string().contains("NOTA INTERNA")));
    assert!(mails.iter().skip(1).all(|(_, p)| p["number"] == number.as_str()));
}

async fn number_format_and_audit_trail(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "agent2@unibg.it", "agent", &["segreteria"]).await;
    let student = app.student("luisa@studenti.unibg.it").await;
    let first = app.open_ticket(&student, "Prima domanda").await;
    let second = app.open_ticket(&student, "Seconda domanda").await;
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(first["number"], format!("HD-{year}-000001"));
    assert_eq!(second["number"], format!("HD-{year}-000002"));

    let path = format!("/api/v1/tickets/{}", first["number"].as_str().unwrap());
    let res = app.patch(&path, &agent.token, &json!({"version": 1, "priority": "high", "assignee": agent.id})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let events: Value = app.get(&format!("{path}/events"), Some(&agent.token)).await.json().await.unwrap();
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    // Assigning the new ticket opened it.
    assert_eq!(kinds, ["created", "assignee_changed", "priority_changed", "status_changed"]);
    // Students see only their part of the history.
    let theirs: Value = app.get(&format!("{path}/events"), Some(&student.token)).await.json().await.unwrap();
    let kinds: Vec<&str> = theirs.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "status_changed"]);
}
