//! Every student-facing route refuses another student's ticket (404, not 403: nothing leaks),
//! agents see only their teams' tickets, and staff-only actions are refused to students.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend};

both_backends!(another_students_ticket_is_not_found, agents_see_their_teams_only, staff_actions_are_staff_only, tokens_are_checked, sign_in_is_rate_limited);

async fn another_students_ticket_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.student("owner@studenti.unibg.it").await;
    let other = app.student("other@studenti.unibg.it").await;
    let ticket = app.open_ticket(&owner, "Il mio ticket").await;
    let number = ticket["number"].as_str().unwrap();
    let path = format!("/api/v1/tickets/{number}");

    // A file on the owner's ticket.
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let form = reqwest::multipart::Form::new()
        .part("files", reqwest::multipart::Part::bytes(pdf).file_name("libretto.pdf").mime_str("application/pdf").unwrap());
    let res = app.client.post(app.url(&format!("{path}/attachments"))).bearer_auth(&owner.token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let files: Value = res.json().await.unwrap();
    let file_url = files[0]["url"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&file_url, Some(&owner.token)).await.status(), StatusCode::OK);

    let other_token = Some(other.token.as_str());
    let probes = [
        app.get(&path, other_token).await,
        app.get(&format!("{path}/events"), other_token).await,
        app.post(&format!("{path}/messages"), other_token, &json!({"body": "ciao"})).await,
        app.patch(&path, &other.token, &json!({"version": 1, "status": "closed"})).await,
        app.get(&file_url, other_token).await,
    ];
    for res in probes {
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", res.url());
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let form = reqwest::multipart::Form::new().part(
        "files",
        reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec()).file_name("x.pdf").mime_str("application/pdf").unwrap(),
    );
    let res = app.client.post(app.url(&format!("{path}/attachments"))).bearer_auth(&other.token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The other student's list does not contain it; nothing was changed.
    let list: Value = app.get("/api/v1/tickets", other_token).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let mine: Value = app.get(&path, Some(&owner.token)).await.json().await.unwrap();
    assert_eq!(mine["status"], "new");
    assert_eq!(mine["messages"].as_array().unwrap().len(), 1);
}

async fn agents_see_their_teams_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let segreteria = app.staff(&admin, "seg@unibg.it", "agent", &["segreteria"]).await;
    let it = app.staff(&admin, "it@unibg.it", "agent", &["it"]).await;
    let student = app.student("s1@studenti.unibg.it").await;
    let ticket = app.open_ticket(&student, "Tasse").await;
    let path = format!("/api/v1/tickets/{}", ticket["number"].as_str().unwrap());

    assert_eq!(app.get(&path, Some(&segreteria.token)).await.status(), StatusCode::OK);
    assert_eq!(app.get(&path, Some(&it.token)).await.status(), StatusCode::NOT_FOUND);
    let it_list: Value = app.get("/api/v1/tickets", Some(&it.token)).await.json().await.unwrap();
    assert!(it_list["items"].as_array().unwrap().is_empty());
    let admin_list: Value = app.get("/api/v1/tickets", Some(&admin.token)).await.json().await.unwrap();
    assert_eq!(admin_list["items"].as_array().unwrap().len(), 1);
    // An agent of another team cannot be assigned.
    let res = app.patch(&path, &segreteria.token, &json!({"version": 1, "assignee": it.id})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn staff_actions_are_staff_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("s2@studenti.unibg.it").await;
    let ticket = app.open_ticket(&student, "Esami").await;
    let path = format!("/api/v1/tickets/{}", ticket["number"].as_str().unwrap());

    let res = app.post(&format!("{path}/messages"), Some(&student.token), &json!({"body": "nota", "internal": true})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.patch(&path, &student.token, &json!({"version": 1, "priority": "urgent"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A student cannot resolve their own ticket, nor reopen one that is not resolved.
    let res = app.patch(&path, &student.token, &json!({"version": 1, "status": "resolved"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post("/api/v1/admin/agents", Some(&student.token), &json!({"email": "x@unibg.it", "password": "0123456789", "display_name": "X", "role": "admin"}))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let unchanged: Value = app.get(&path, Some(&student.token)).await.json().await.unwrap();
    assert_eq!((unchanged["priority"].as_str(), unchanged["version"].as_i64()), (Some("normal"), Some(1)));
}

async fn tokens_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("s3@studenti.unibg.it").await;
    assert_eq!(app.get("/api/v1/me", None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Some("not-a-token")).await.status(), StatusCode::UNAUTHORIZED);
    let me: Value = app.get("/api/v1/me", Some(&student.token)).await.json().await.unwrap();
    assert_eq!(me["email"], "s3@studenti.unibg.it");
    assert_eq!(me["role"], "student");
    // Wrong password.
    let res = app.post("/api/v1/auth/login", None, &json!({"email": "s3@studenti.unibg.it", "password": "wrong-password"})).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Logout revokes the token.
    let res = app.post("/api/v1/auth/logout", Some(&student.token), &json!({})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", Some(&student.token)).await.status(), StatusCode::UNAUTHORIZED);
    // The cookie works as well as the Bearer header.
    let jar_client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let res = jar_client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "s3@studenti.unibg.it", "password": "password-123"}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert_eq!(jar_client.get(app.url("/api/v1/me")).send().await.unwrap().status(), StatusCode::OK);
}

async fn sign_in_is_rate_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    app.student("brute@studenti.unibg.it").await; // one login of the 30 a minute
    let wrong = json!({"email": "brute@studenti.unibg.it", "password": "not-the-password"});
    for _ in 0..29 {
        assert_eq!(app.post("/api/v1/auth/login", None, &wrong).await.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.post("/api/v1/auth/login", None, &json!({"email": "brute@studenti.unibg.it", "password": "password-123"})).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits once the limit is reached");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // Other routes are not limited, and every answer carries its request id.
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!res.headers()["x-request-id"].to_str().unwrap().is_empty());
}

both_backends!(identity_documents_are_audited);

/// Every staff download of an identity document is logged in the ticket's history; the
/// student's own downloads are not staff access and are not logged.
async fn identity_documents_are_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let it = app.staff(&admin, "it-agent@unibg.it", "agent", &["it"]).await;
    let s = app.student("cred@studenti.unibg.it").await;
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00].to_vec();
    let ticket = json!({"category": "credenziali", "privacy_notice_version": 1, "subject": "Primo accesso", "body": "Non ho mai ricevuto le credenziali",
        "fields": {"full_name": "Mario Rossi", "codice_fiscale": "RSSMRA85T10A562S",
                   "birth_date": "1985-12-10", "situation": "never-received"}});
    let form = reqwest::multipart::Form::new()
        .text("ticket", ticket.to_string())
        .part("id_front", reqwest::multipart::Part::bytes(jpeg.clone()).file_name("fronte.jpg"))
        .part("id_back", reqwest::multipart::Part::bytes(jpeg).file_name("retro.jpg"));
    let res = app.client.post(app.url("/api/v1/tickets")).bearer_auth(&s.token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let t: Value = res.json().await.unwrap();
    let url = t["messages"][0]["attachments"][0]["url"].as_str().unwrap().to_owned();
    let events_path = format!("/api/v1/tickets/{}/events", t["number"].as_str().unwrap());

    assert_eq!(app.get(&url, Some(&s.token)).await.status(), StatusCode::OK);
    assert_eq!(app.get(&url, Some(&it.token)).await.status(), StatusCode::OK);
    assert_eq!(app.get(&url, Some(&it.token)).await.status(), StatusCode::OK);
    let events: Value = app.get(&events_path, Some(&it.token)).await.json().await.unwrap();
    let views: Vec<&Value> = events.as_array().unwrap().iter().filter(|e| e["kind"] == "identity_document_viewed").collect();
    assert_eq!(views.len(), 2, "one entry per staff download");
    assert!(views.iter().all(|e| e["actor"]["id"] == it.id.as_str()));
}
