//! Secrets that open a ticket or an account (guest links, sign-in links) are not kept in the
//! outbox once their mail is sent or dead-lettered.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{free_port, spawn_app, spawn_app_with, Backend, TestApp};

both_backends!(a_mailed_secret_is_not_kept_in_the_outbox, a_dead_letter_keeps_no_secret);

pub(crate) fn guest_ticket(email: &str) -> Value {
    json!({"category": "stranieri", "privacy_notice_version": 1, "subject": "Dichiarazione di valore", "body": "Come la ottengo?",
           "fields": {"nationality": "Albania", "topic": "other"}, "guest": {"email": email, "name": "Ardit"}})
}

/// (status, payload) of the notifications of `kind` to `recipient`.
async fn outbox_rows(app: &TestApp, recipient: &str, kind: &str) -> Vec<(String, Value)> {
    use diesel::prelude::*;
    use helpdesk::db::schema::outbox;
    let (db, recipient, kind) = (app.db.clone(), recipient.to_owned(), kind.to_owned());
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().unwrap();
        outbox::table
            .filter(outbox::recipient.eq(recipient))
            .filter(outbox::kind.eq(kind))
            .select((outbox::status, outbox::payload))
            .load::<(String, String)>(&mut *conn)
            .unwrap()
            .into_iter()
            .map(|(status, payload)| (status, serde_json::from_str(&payload).unwrap()))
            .collect()
    })
    .await
    .unwrap()
}

async fn wait_for_status(app: &TestApp, recipient: &str, kind: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = outbox_rows(app, recipient, kind).await;
        if let Some((_, payload)) = rows.iter().find(|(s, _)| s == status) {
            return payload.clone();
        }
        assert!(Instant::now() < deadline, "no {status} {kind} to {recipient}: {rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_mailed_secret_is_not_kept_in_the_outbox(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.post("/api/v1/tickets", None, &guest_ticket("ardit@example.org")).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let number = res.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();
    let payload = wait_for_status(&app, "ardit@example.org", "guest_verify", "sent").await;
    let stored = payload["link"].as_str().unwrap();
    assert!(stored.ends_with(&format!("/tickets/{number}?secret=redacted")), "{stored}");
    // The mail itself carried the real link, and it works.
    let link = app.mailed_link("ardit@example.org", "guest_verify", Some(&number)).await;
    let secret = link.split("secret=").nth(1).unwrap();
    assert_ne!(secret, "redacted");
    assert!(!payload.to_string().contains(secret), "the secret is nowhere in the stored payload");
    let res = app.post(&format!("/api/v1/tickets/{number}/verify"), None, &json!({"secret": secret})).await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn a_dead_letter_keeps_no_secret(backend: Backend) {
    // Nobody listens on the SMTP port and the first failure is final.
    let smtp = format!("smtp://127.0.0.1:{}", free_port());
    let app = spawn_app_with(backend, |s| {
        s.smtp_url = Some(smtp);
        s.mail.give_up_after = Duration::ZERO;
    })
    .await;
    let res = app.post("/api/v1/tickets", None, &guest_ticket("morto@example.org")).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let payload = wait_for_status(&app, "morto@example.org", "guest_verify", "dead").await;
    assert!(payload["link"].as_str().unwrap().ends_with("?secret=redacted"), "{payload}");
}

