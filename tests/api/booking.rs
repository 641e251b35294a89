//! ITA-L2 test booking: capacity is never exceeded under concurrency (500 bookings, 20 seats),
//! cancelling promotes the first waitlisted with a confirmation mail carrying an .ics file,
//! and who may do what.

use std::collections::BTreeSet;

use futures_util::stream::{self, StreamExt};
use helpdesk::accounts::NewAccount;
use helpdesk::auth::JwtKeys;
use helpdesk::domain::{Email, Locale, Role};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, test_settings, Backend, Session, TestApp};

both_backends!(five_hundred_concurrent_bookings_for_twenty_seats, cancelling_promotes_the_first_waitlisted, who_may_book_and_cancel);

/// Students made through the library (no argon2 per account) with session tokens signed by the
/// app's key, as `helpdesk create-admin` and the login route would.
async fn students(app: &TestApp, prefix: &str, n: usize) -> Vec<(Session, String)> {
    let db = app.db.clone();
    let prefix = prefix.to_owned();
    let secret = test_settings(Default::default(), String::new()).jwt_secret;
    tokio::task::spawn_blocking(move || {
        let keys = JwtKeys::new(&secret, 1);
        let mut conn = db.get_writer().unwrap();
        (0..n)
            .map(|i| {
                let email = format!("{prefix}{i}@studenti.unibg.it");
                let account = NewAccount {
                    email: Email::parse(&email).unwrap(),
                    password_hash: "not-a-usable-hash".into(),
                    display_name: format!("Studente {i}"),
                    role: Role::Student,
                    locale: Locale::It,
                    team_ids: Vec::new(),
                };
                let user = helpdesk::accounts::create_account(&mut conn, account).unwrap();
                let (token, _) = keys.issue(&user.id, Role::Student).unwrap();
                (Session { token, id: user.id }, email)
            })
            .collect()
    })
    .await
    .unwrap()
}

fn ita_l2_ticket() -> Value {
    json!({
        "category": "ita-l2", "privacy_notice_version": 1,
        "subject": "Prenotazione test ITA-L2",
        "body": "Buongiorno, vorrei prenotare il test di lingua italiana.",
        "fields": {"nationality": "Brasile", "passport_number": "YB123456", "universitaly_ref": "UNI-2026-0001"}
    })
}

async fn open_ita_ticket(app: &TestApp, who: &Session) -> String {
    let res = app.post("/api/v1/tickets", Some(&who.token), &ita_l2_ticket()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    body["number"].as_str().unwrap().to_owned()
}

async fn new_session(app: &TestApp, admin: &Session, capacity: i64) -> String {
    let starts = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%dT09:30:00Z").to_string();
    let res = app
        .post(
            "/api/v1/ita-l2/sessions",
            Some(&admin.token),
            &json!({"starts_at": starts, "mode": "in_person", "location": "Aula 1, via dei Caniana 2, Bergamo", "capacity": capacity}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["seats_left"], capacity);
    body["id"].as_str().unwrap().to_owned()
}

async fn book(app: &TestApp, who: &Session, session: &str, ticket: &str) -> reqwest::Response {
    app.post(&format!("/api/v1/ita-l2/sessions/{session}/bookings"), Some(&who.token), &json!({"ticket": ticket})).await
}

async fn delete(app: &TestApp, who: &Session, booking: &str) -> StatusCode {
    app.client.delete(app.url(&format!("/api/v1/ita-l2/bookings/{booking}"))).bearer_auth(&who.token).send().await.unwrap().status()
}

async fn listed(app: &TestApp, session: &str) -> Value {
    let all: Value = app.get("/api/v1/ita-l2/sessions", None).await.json().await.unwrap();
    all.as_array().unwrap().iter().find(|s| s["id"] == session).cloned().unwrap()
}

async fn five_hundred_concurrent_bookings_for_twenty_seats(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let session = new_session(&app, &admin, 20).await;
    let people = students(&app, "conc", 500).await;
    // Tickets: 16 creations at a time (their own concurrency is tested elsewhere).
    let booked: Vec<(Session, String)> = stream::iter(people.into_iter().map(|(who, _)| {
        let app = &app;
        async move {
            let ticket = open_ita_ticket(app, &who).await;
            (who, ticket)
        }
    }))
    .buffer_unordered(16)
    .collect()
    .await;
    assert_eq!(booked.len(), 500);

    // The 500 bookings, all at once.
    let url = app.url(&format!("/api/v1/ita-l2/sessions/{session}/bookings"));
    let tasks: Vec<_> = booked
        .into_iter()
        .map(|(who, ticket)| {
            let client = app.client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let res = client.post(url).bearer_auth(&who.token).json(&json!({"ticket": ticket})).send().await.unwrap();
                let status = res.status();
                let body: Value = res.json().await.unwrap_or(Value::Null);
                (status, body)
            })
        })
        .collect();
    let mut confirmed = 0;
    let mut waitlist = BTreeSet::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        match body["status"].as_str().unwrap() {
            "confirmed" => {
                confirmed += 1;
                assert!(body.get("position").is_none());
            }
            "waitlisted" => {
                waitlist.insert(body["position"].as_i64().unwrap());
            }
            other => panic!("unexpected status {other}"),
        }
        assert_eq!(body["session"], session.as_str());
    }
    assert_eq!(confirmed, 20, "capacity exceeded or seats lost");
    assert_eq!(waitlist, (1..=480).collect::<BTreeSet<i64>>(), "waitlist positions are not 1..=480");
    let seen = listed(&app, &session).await;
    assert_eq!(seen["seats_left"], 0);
    assert_eq!(seen["capacity"], 20);
}

async fn cancelling_promotes_the_first_waitlisted(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let session = new_session(&app, &admin, 2).await;
    let people = students(&app, "promo", 4).await;
    let mut bookings = Vec::new();
    for (who, _) in &people {
        let ticket = open_ita_ticket(&app, who).await;
        let res = book(&app, who, &session, &ticket).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        bookings.push((ticket, body));
    }
    let statuses: Vec<&str> = bookings.iter().map(|(_, b)| b["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["confirmed", "confirmed", "waitlisted", "waitlisted"]);
    assert_eq!(bookings[2].1["position"], 1);
    assert_eq!(bookings[3].1["position"], 2);
    assert_eq!(app.outbox_for(&people[2].1).await.last().unwrap().0, "booking_waitlisted");

    // Someone else's booking: not found, and nothing changes.
    let second = bookings[1].1["id"].as_str().unwrap();
    assert_eq!(delete(&app, &people[0].0, second).await, StatusCode::NOT_FOUND);
    // The owner cancels: the first waitlisted (the third student) gets the seat.
    assert_eq!(delete(&app, &people[1].0, second).await, StatusCode::NO_CONTENT);
    // Twice is a conflict, never a 500.
    assert_eq!(delete(&app, &people[1].0, second).await, StatusCode::CONFLICT);
    assert_eq!(delete(&app, &people[1].0, "no-such-booking").await, StatusCode::NOT_FOUND);
    assert_eq!(app.outbox_for(&people[1].1).await.last().unwrap().0, "booking_cancelled");

    let promoted = bookings[2].1["id"].as_str().unwrap();
    let mails = app.outbox_for(&people[2].1).await;
    let (kind, payload) = mails.last().unwrap();
    assert_eq!(kind, "booking_confirmed");
    let ics = payload["ics"].as_str().unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.contains(&format!("\r\nUID:{promoted}\r\n")), "{ics}");
    assert!(ics.contains("\r\nDTSTART:") && ics.contains("T093000Z\r\n"), "{ics}");
    assert_eq!(payload["number"], bookings[2].0.as_str());
    // The fourth is still waiting; the seats are full again.
    assert_eq!(app.outbox_for(&people[3].1).await.last().unwrap().0, "booking_waitlisted");
    assert_eq!(listed(&app, &session).await["seats_left"], 0);

    // The promoted student's ticket tells it, and the audit trail records it.
    let ticket: Value = app.get(&format!("/api/v1/tickets/{}", bookings[2].0), Some(&people[2].0.token)).await.json().await.unwrap();
    let texts: Vec<&str> = ticket["messages"].as_array().unwrap().iter().filter_map(|m| m["body"].as_str()).collect();
    assert!(texts.iter().any(|t| t.contains("confermata")), "{texts:?}");
    let events: Value = app.get(&format!("/api/v1/tickets/{}/events", bookings[2].0), Some(&admin.token)).await.json().await.unwrap();
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"ita_l2_booking_waitlisted") && kinds.contains(&"ita_l2_booking_confirmed"), "{kinds:?}");

    // Staff may cancel too: the admin frees the first seat and the fourth moves up.
    let first = bookings[0].1["id"].as_str().unwrap();
    assert_eq!(delete(&app, &admin, first).await, StatusCode::NO_CONTENT);
    assert_eq!(app.outbox_for(&people[3].1).await.last().unwrap().0, "booking_confirmed");
    assert_eq!(listed(&app, &session).await["seats_left"], 0);
}

async fn who_may_book_and_cancel(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let people = students(&app, "rules", 2).await;
    let (mario, luisa) = (&people[0].0, &people[1].0);

    // Only admins create sessions; fields are checked one by one.
    let body = json!({"starts_at": "2030-12-01T09:30:00Z", "mode": "online", "location": "Teams", "capacity": 5});
    assert_eq!(app.post("/api/v1/ita-l2/sessions", Some(&mario.token), &body).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.post("/api/v1/ita-l2/sessions", None, &body).await.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .post(
            "/api/v1/ita-l2/sessions",
            Some(&admin.token),
            &json!({"starts_at": "yesterday", "mode": "by pigeon", "location": "", "capacity": 0}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    let fields: BTreeSet<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, BTreeSet::from(["starts_at", "mode", "location", "capacity"]));

    let session = new_session(&app, &admin, 5).await;
    let ticket = open_ita_ticket(&app, mario).await;
    // A ticket of another category: 422.
    let other = app.open_ticket(mario, "Piano di studio").await;
    let res = book(&app, mario, &session, other["number"].as_str().unwrap()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Another student's ticket, an unknown session: 404.
    assert_eq!(book(&app, luisa, &session, &ticket).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(book(&app, mario, "no-such-session", &ticket).await.status(), StatusCode::NOT_FOUND);
    // Booked once: confirmed; twice: 409.
    let res = book(&app, mario, &session, &ticket).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let booked: Value = res.json().await.unwrap();
    assert_eq!(booked["status"], "confirmed");
    assert_eq!(book(&app, mario, &session, &ticket).await.status(), StatusCode::CONFLICT);
    assert_eq!(listed(&app, &session).await["seats_left"], 4);
    // Another student cannot cancel it.
    assert_eq!(delete(&app, luisa, booked["id"].as_str().unwrap()).await, StatusCode::NOT_FOUND);

    // A session whose booking window has not opened yet: 422.
    let starts = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let opens = (chrono::Utc::now() + chrono::Duration::days(10)).to_rfc3339();
    let res = app
        .post(
            "/api/v1/ita-l2/sessions",
            Some(&admin.token),
            &json!({"starts_at": starts, "mode": "online", "location": "Teams", "capacity": 5, "booking_opens_at": opens}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let later: Value = res.json().await.unwrap();
    let res = book(&app, mario, later["id"].as_str().unwrap(), &ticket).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "session");
}
