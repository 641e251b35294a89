//! Bad input gets a clear 4xx as problem+json, never a 500, and never a half-written ticket.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{segreteria_ticket, spawn_app, Backend};

both_backends!(malformed_oversized_and_wrong_type, form_validation_is_per_field, stale_version_conflicts, attachments_are_checked, guests_verify_by_link);

async fn count_tickets(app: &crate::helpers::TestApp, token: &str) -> usize {
    let list: Value = app.get("/api/v1/tickets", Some(token)).await.json().await.unwrap();
    list["items"].as_array().unwrap().len()
}

async fn malformed_oversized_and_wrong_type(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = app.student("bad@studenti.unibg.it").await;
    let send = |body: Vec<u8>, content_type: &'static str| {
        app.client.post(app.url("/api/v1/tickets")).bearer_auth(&s.token).header("content-type", content_type).body(body).send()
    };
    let res = send(b"{\"category\": \"segreteria\", ".to_vec(), "application/json").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["status"], 400);

    let mut huge = segreteria_ticket("x");
    huge["body"] = json!("a".repeat(300 * 1024));
    let res = send(serde_json::to_vec(&huge).unwrap(), "application/json").await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let res = send(b"category=segreteria".to_vec(), "application/x-www-form-urlencoded").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = send(b"hello".to_vec(), "text/plain").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // JSON of the wrong shape: 422 naming the field.
    let res = send(br#"{"category": "segreteria", "privacy_notice_version": 1, "subject": 42, "body": "x"}"#.to_vec(), "application/json").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = send(br#"{"category": "segreteria", "body": "x"}"#.to_vec(), "application/json").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "subject");

    // Query strings and paths.
    assert_eq!(app.get("/api/v1/tickets?limit=5000", Some(&s.token)).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get("/api/v1/tickets?limit=abc", Some(&s.token)).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get("/api/v1/tickets?status=bogus", Some(&s.token)).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get("/api/v1/tickets?cursor=%%%", Some(&s.token)).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get("/api/v1/tickets/not-a-number", Some(&s.token)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/attachments/..%2F..%2Fetc%2Fpasswd", Some(&s.token)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/no-such-thing", None).await.status(), StatusCode::NOT_FOUND);

    assert_eq!(count_tickets(&app, &s.token).await, 0, "a rejected request left a ticket behind");
}

async fn form_validation_is_per_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = app.student("form@studenti.unibg.it").await;
    let res = app
        .post(
            "/api/v1/tickets",
            Some(&s.token),
            &json!({"category": "segreteria", "privacy_notice_version": 1, "subject": "  ", "body": "x",
                    "fields": {"matricola": "12", "topic": "pizza", "colour": "blue"}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    let mut fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, ["fields.colour", "fields.course", "fields.matricola", "fields.topic", "subject"]);

    // The codice fiscale's check character is checked; for a first access the ID document is required.
    let credenziali = json!({"category": "credenziali", "privacy_notice_version": 1, "subject": "Primo accesso", "body": "Non riesco ad accedere",
        "fields": {"full_name": "Mario Rossi", "codice_fiscale": "RSSMRA85T10A562T",
                   "birth_date": "1985-12-10", "situation": "first-access"}});
    let res = app.post("/api/v1/tickets", Some(&s.token), &credenziali).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    let mut fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, ["attachments.id_back", "attachments.id_front", "fields.codice_fiscale"]);

    // Unknown category.
    let res = app.post("/api/v1/tickets", Some(&s.token), &json!({"category": "pizzeria", "subject": "a", "body": "b"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // With a valid code and both sides of the document, it is opened.
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00].to_vec();
    let mut ok = credenziali.clone();
    ok["fields"]["codice_fiscale"] = json!("rssmra85t10a562s");
    let form = reqwest::multipart::Form::new()
        .text("ticket", ok.to_string())
        .part("id_front", reqwest::multipart::Part::bytes(jpeg.clone()).file_name("fronte.jpg"))
        .part("id_back", reqwest::multipart::Part::bytes(jpeg).file_name("retro.jpg"));
    let res = app.client.post(app.url("/api/v1/tickets")).bearer_auth(&s.token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let ticket: Value = res.json().await.unwrap();
    assert_eq!(ticket["fields"]["codice_fiscale"], "RSSMRA85T10A562S");
    assert_eq!(ticket["team"], "it");
    assert_eq!(ticket["messages"][0]["attachments"].as_array().unwrap().len(), 2);
    assert_eq!(count_tickets(&app, &s.token).await, 1);
}

async fn stale_version_conflicts(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let a = app.staff(&admin, "a@unibg.it", "agent", &["segreteria"]).await;
    let b = app.staff(&admin, "b@unibg.it", "agent", &["segreteria"]).await;
    let s = app.student("v@studenti.unibg.it").await;
    let t = app.open_ticket(&s, "Versioni").await;
    let path = format!("/api/v1/tickets/{}", t["number"].as_str().unwrap());
    // Both agents loaded version 1; the first change wins, the second is a 409.
    let res = app.patch(&path, &a.token, &json!({"version": 1, "priority": "high"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.patch(&path, &b.token, &json!({"version": 1, "priority": "low"})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let problem: Value = res.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("changed by someone else"));
    let now: Value = app.get(&path, Some(&a.token)).await.json().await.unwrap();
    assert_eq!((now["priority"].as_str(), now["version"].as_i64()), (Some("high"), Some(2)));
}

async fn attachments_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = app.student("files@studenti.unibg.it").await;
    let t = app.open_ticket(&s, "Allegati").await;
    let path = format!("/api/v1/tickets/{}/attachments", t["number"].as_str().unwrap());
    let upload = |bytes: Vec<u8>, name: &'static str| {
        let form = reqwest::multipart::Form::new().part("files", reqwest::multipart::Part::bytes(bytes).file_name(name));
        app.client.post(app.url(&path)).bearer_auth(&s.token).multipart(form).send()
    };
    // An executable named .pdf is refused by its content.
    let res = upload(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec(), "documento.pdf").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Over 10 MiB.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(10 * 1024 * 1024 + 1, b'a');
    let res = upload(big, "grande.pdf").await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A PNG is accepted and served back as a download with nosniff.
    let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'].to_vec();
    let res = upload(png.clone(), "../../foto.png").await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let files: Value = res.json().await.unwrap();
    assert_eq!(files[0]["filename"], "foto.png");
    assert_eq!(files[0]["content_type"], "image/png");
    let res = app.get(files[0]["url"].as_str().unwrap(), Some(&s.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);
    // Wrong media type for the route.
    let res = app.client.post(app.url(&path)).bearer_auth(&s.token).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

async fn guests_verify_by_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let guest = json!({"category": "stranieri", "privacy_notice_version": 1, "subject": "Dichiarazione di valore", "body": "Come la ottengo?",
        "fields": {"nationality": "Albania", "topic": "declaration-of-value"},
        "guest": {"email": "ardit@example.org", "name": "Ardit"}});
    let res = app.post("/api/v1/tickets", None, &guest).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "unverified");
    let number = body["number"].as_str().unwrap();
    // Guests may not open segreteria tickets; without a guest block it is 401.
    let mut seg = segreteria_ticket("x");
    seg["guest"] = json!({"email": "ardit@example.org", "name": "Ardit"});
    assert_eq!(app.post("/api/v1/tickets", None, &seg).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.post("/api/v1/tickets", None, &segreteria_ticket("x")).await.status(), StatusCode::UNAUTHORIZED);

    // Not in the staff queue until verified.
    let admin = app.admin().await;
    let list: Value = app.get("/api/v1/tickets", Some(&admin.token)).await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    let mails = app.outbox_for("ardit@example.org").await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].0, "guest_verify");
    let link = app.mailed_link("ardit@example.org", "guest_verify", None).await;
    let secret = link.split("secret=").nth(1).unwrap();
    let verify = format!("/api/v1/tickets/{number}/verify");
    assert_eq!(app.post(&verify, None, &json!({"secret": "wrong"})).await.status(), StatusCode::NOT_FOUND);
    let res = app.post(&verify, None, &json!({"secret": secret})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let ticket: Value = res.json().await.unwrap();
    assert_eq!(ticket["status"], "new");
    let list: Value = app.get("/api/v1/tickets", Some(&admin.token)).await.json().await.unwrap();
    assert_eq!(list["items"][0]["number"], number);
    let mails = app.outbox_for("ardit@example.org").await;
    assert_eq!(mails.last().unwrap().0, "ticket_created");
}

both_backends!(concurrent_changes_one_wins);

/// Twenty agents change the same version at once (on SQLite they share group-committed
/// batches): exactly one wins, the others get 409, and nothing of theirs is written.
async fn concurrent_changes_one_wins(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let s = app.student("race@studenti.unibg.it").await;
    let t = app.open_ticket(&s, "Corsa").await;
    let path = format!("/api/v1/tickets/{}", t["number"].as_str().unwrap());
    let priorities = ["low", "high", "urgent", "low", "high"];
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (client, url, token) = (app.client.clone(), app.url(&path), admin.token.clone());
        let priority = priorities[i % priorities.len()];
        tasks.push(tokio::spawn(async move {
            let res = client.patch(url).bearer_auth(token).json(&json!({"version": 1, "priority": priority})).send().await.unwrap();
            res.status()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 19);
    let now: Value = app.get(&path, Some(&admin.token)).await.json().await.unwrap();
    assert_eq!(now["version"], 2);
    let events: Value = app.get(&format!("{path}/events"), Some(&admin.token)).await.json().await.unwrap();
    assert_eq!(events.as_array().unwrap().iter().filter(|e| e["kind"] == "priority_changed").count(), 1);
}
