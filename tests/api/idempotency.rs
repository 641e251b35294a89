//! `Idempotency-Key` on `POST /api/v1/tickets` and `POST /api/v1/tickets/{n}/messages`: a retry
//! with the same key and body answers the first result (no second ticket or message), another
//! body is 422, keys are per caller, and concurrent duplicates make one ticket.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{segreteria_ticket, Backend, TestApp, spawn_app};

both_backends!(
    a_retried_creation_answers_the_first_ticket,
    another_body_with_the_same_key_is_422,
    keys_belong_to_their_caller,
    concurrent_duplicates_make_one_ticket,
    a_retried_reply_answers_the_first_message,
    a_guest_retry_answers_the_first_guest_ticket,
);

async fn keyed(app: &TestApp, path: &str, token: Option<&str>, key: &str, body: &Value) -> reqwest::Response {
    let mut req = app.client.post(app.url(path)).header("Idempotency-Key", key).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn ticket_count(app: &TestApp, token: &str) -> usize {
    let list: Value = app.get("/api/v1/tickets", Some(token)).await.json().await.unwrap();
    list["items"].as_array().unwrap().len()
}

async fn a_retried_creation_answers_the_first_ticket(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("idem@studenti.unibg.it").await;
    let body = segreteria_ticket("Piano di studio");
    let first = keyed(&app, "/api/v1/tickets", Some(&student.token), "retry-1", &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let first: Value = first.json().await.unwrap();

    let again = keyed(&app, "/api/v1/tickets", Some(&student.token), "retry-1", &body).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first, "the replay is the first answer");
    assert_eq!(ticket_count(&app, &student.token).await, 1, "no second ticket");

    // Another key is another request.
    let other = keyed(&app, "/api/v1/tickets", Some(&student.token), "retry-2", &body).await;
    assert_eq!(other.status(), StatusCode::CREATED);
    let other: Value = other.json().await.unwrap();
    assert_ne!(other["number"], first["number"]);
    assert_eq!(ticket_count(&app, &student.token).await, 2);
}

async fn another_body_with_the_same_key_is_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("idem422@studenti.unibg.it").await;
    let res = keyed(&app, "/api/v1/tickets", Some(&student.token), "k-422", &segreteria_ticket("Primo")).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = keyed(&app, "/api/v1/tickets", Some(&student.token), "k-422", &segreteria_ticket("Secondo")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key", "{problem}");
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("different request"), "{problem}");
    assert_eq!(ticket_count(&app, &student.token).await, 1);

    // The same body in another spelling (spacing, key order) is the same request.
    let mut reordered = serde_json::Map::new();
    let original = segreteria_ticket("Primo");
    for key in ["fields", "privacy_notice_version", "body", "subject", "category"] {
        reordered.insert(key.into(), original[key].clone());
    }
    let res = keyed(&app, "/api/v1/tickets", Some(&student.token), "k-422", &Value::Object(reordered)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(ticket_count(&app, &student.token).await, 1);

    // A malformed key is refused before anything is done.
    let res = keyed(&app, "/api/v1/tickets", Some(&student.token), "with space", &segreteria_ticket("Terzo")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let long = "k".repeat(256);
    let res = keyed(&app, "/api/v1/tickets", Some(&student.token), &long, &segreteria_ticket("Terzo")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(ticket_count(&app, &student.token).await, 1);

    // A request that failed stored nothing: the retry with the key, corrected, runs.
    let mut bad = segreteria_ticket("Quarto");
    bad["subject"] = json!("");
    let res = keyed(&app, "/api/v1/tickets", Some(&student.token), "k-fix", &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = keyed(&app, "/api/v1/tickets", Some(&student.token), "k-fix", &segreteria_ticket("Quarto")).await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

async fn keys_belong_to_their_caller(backend: Backend) {
    let app = spawn_app(backend).await;
    let anna = app.student("anna.idem@studenti.unibg.it").await;
    let bruno = app.student("bruno.idem@studenti.unibg.it").await;
    let body = segreteria_ticket("Stessa chiave");
    let a: Value = keyed(&app, "/api/v1/tickets", Some(&anna.token), "shared", &body).await.json().await.unwrap();
    let res = keyed(&app, "/api/v1/tickets", Some(&bruno.token), "shared", &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers().get("idempotent-replayed").is_none());
    let b: Value = res.json().await.unwrap();
    assert_ne!(a["number"], b["number"], "Bruno never gets Anna's answer");
    assert_eq!(b["requester"]["id"], json!(bruno.id), "{b}");
}

async fn concurrent_duplicates_make_one_ticket(backend: Backend) {
    let app = std::sync::Arc::new(spawn_app(backend).await);
    let student = app.student("idem.conc@studenti.unibg.it").await;
    let body = segreteria_ticket("Doppio clic");
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (app, token, body) = (app.clone(), student.token.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let res = keyed(&app, "/api/v1/tickets", Some(&token), "same-click", &body).await;
            assert_eq!(res.status(), StatusCode::CREATED);
            let body: Value = res.json().await.unwrap();
            body["number"].as_str().unwrap().to_owned()
        }));
    }
    let mut numbers = std::collections::BTreeSet::new();
    for task in tasks {
        numbers.insert(task.await.unwrap());
    }
    assert_eq!(numbers.len(), 1, "{numbers:?}");
    assert_eq!(ticket_count(&app, &student.token).await, 1);
}

async fn a_retried_reply_answers_the_first_message(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("idem.reply@studenti.unibg.it").await;
    let first = app.open_ticket(&student, "Risposta ripetuta").await;
    let second = app.open_ticket(&student, "Un'altra").await;
    let path = format!("/api/v1/tickets/{}/messages", first["number"].as_str().unwrap());
    let body = json!({"body": "Allego il documento richiesto."});
    let res = keyed(&app, &path, Some(&student.token), "reply-1", &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let message: Value = res.json().await.unwrap();
    let res = keyed(&app, &path, Some(&student.token), "reply-1", &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["id"], message["id"]);
    // The lower-case number is the same ticket, so the same request.
    let lower = path.replace("HD-", "hd-");
    let res = keyed(&app, &lower, Some(&student.token), "reply-1", &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let ticket: Value = app.get(&format!("/api/v1/tickets/{}", first["number"].as_str().unwrap()), Some(&student.token)).await.json().await.unwrap();
    let public = ticket["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == "public").count();
    assert_eq!(public, 2, "the opening message and one reply: {ticket}");

    // The same key on another ticket is another request: 422.
    let other = format!("/api/v1/tickets/{}/messages", second["number"].as_str().unwrap());
    let res = keyed(&app, &other, Some(&student.token), "reply-1", &body).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_guest_retry_answers_the_first_guest_ticket(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({
        "category": "stranieri", "privacy_notice_version": 1,
        "subject": "Dichiarazione di valore",
        "body": "Come ottengo la dichiarazione di valore?",
        "fields": {"nationality": "Marocco", "topic": "residence-permit"},
        "guest": {"email": "ospite.idem@example.org", "name": "Ospite"}
    });
    let res = keyed(&app, "/api/v1/tickets", None, "guest-1", &body).await;
    let status = res.status();
    let first: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let res = keyed(&app, "/api/v1/tickets", None, "guest-1", &body).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["number"], first["number"]);
}
