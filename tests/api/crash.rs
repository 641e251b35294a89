//! A SIGKILL loses no acknowledged ticket (issue 15's guarantees, whatever moved out of the
//! request): every creation answered 201 before the kill is there after the restart, numbers
//! are never reused (and on SQLite have no gap), and the staff search finds every ticket once
//! (its search document was committed with it; on SQLite the documents not yet moved into the
//! index file are moved after the restart).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{admin_token, database_url, register_and_login, search_all, segreteria_ticket, start_server, Backend};

both_backends!(a_killed_desk_keeps_every_acknowledged_ticket);

/// Tickets created before the kill, at least.
const BEFORE_KILL: usize = 120;

/// Clients creating tickets at once.
const CLIENTS: usize = 8;

async fn a_killed_desk_keeps_every_acknowledged_ticket(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path());
    let mut server = start_server(dir.path(), &url, &[]);
    let client = reqwest::Client::new();
    let token = register_and_login(&client, &server.address, &dir.path().join("mail"), &url, "superstite@studenti.unibg.it").await;

    // Clients creating tickets without pause until the server dies under them.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (client, base, token, acknowledged) = (client.clone(), server.address.clone(), token.clone(), acknowledged.clone());
        clients.push(tokio::spawn(async move {
            for i in 0.. {
                let ticket = segreteria_ticket(&format!("Superstite {c}-{i}"));
                let Ok(res) = client.post(format!("{base}/api/v1/tickets")).bearer_auth(&token).json(&ticket).send().await else { break };
                if res.status() != StatusCode::CREATED {
                    break;
                }
                let Ok(body) = res.json::<Value>().await else { break };
                acknowledged.lock().unwrap().push(body["number"].as_str().unwrap().to_owned());
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < BEFORE_KILL {
        assert!(Instant::now() < deadline, "only {} tickets in a minute", acknowledged.lock().unwrap().len());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // SIGKILL, with creations in flight.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for c in clients {
        c.await.unwrap();
    }
    let acknowledged: BTreeSet<String> = acknowledged.lock().unwrap().iter().cloned().collect();

    let server = start_server(dir.path(), &url, &[]);
    let stored = stored_numbers(&url).await;
    let missing: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(missing.is_empty(), "acknowledged before the kill, gone after it: {missing:?}");
    let year = chrono::Utc::now().format("%Y").to_string();
    let number = |n: usize| format!("HD-{year}-{n:06}");
    let highest = stored.iter().max().cloned().unwrap_or_default();
    let unused: Vec<String> = (1..=stored.len() + CLIENTS).map(number).filter(|n| *n < highest && !stored.contains(n)).collect();
    match backend {
        // One writer, one number after another inside its transaction: a rolled back creation
        // gives its number back.
        Backend::Sqlite => assert!(unused.is_empty(), "numbers with a gap: {unused:?}"),
        // A sequence (so that creations never wait on each other, README "Durability"): a
        // creation the kill rolled back leaves its number unused — one at most per client.
        Backend::Postgres => assert!(unused.len() <= CLIENTS, "more gaps than creations in flight: {unused:?}"),
    }

    let res = client.post(format!("{}/api/v1/tickets", server.address)).bearer_auth(&token).json(&segreteria_ticket("Superstite dopo")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let next: Value = res.json().await.unwrap();
    let next = next["number"].as_str().unwrap().to_owned();
    assert!(next > highest, "the next number after the restart is a new one: {next} after {highest}");
    if backend == Backend::Sqlite {
        assert_eq!(next, number(stored.len() + 1));
    }

    let admin = admin_token(&client, &server.address, &url).await;
    let found = search_all(&client, &server.address, &admin, "superstite").await;
    let unique: BTreeSet<String> = found.iter().cloned().collect();
    assert_eq!(found.len(), unique.len(), "a ticket found twice");
    let mut all = stored.clone();
    all.insert(next);
    assert_eq!(unique, all, "the search finds every ticket");
}

/// Every ticket number in the database, read by a connection of the test.
async fn stored_numbers(url: &str) -> BTreeSet<String> {
    let db = helpdesk::db::Db::connect(url, 1).unwrap();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().unwrap();
        diesel::dsl::sql::<diesel::sql_types::Text>("SELECT number FROM tickets").load::<String>(&mut *conn).unwrap().into_iter().collect()
    })
    .await
    .unwrap()
}
