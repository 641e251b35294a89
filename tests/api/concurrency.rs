//! Ticket numbers never collide: 200 concurrent creations across 4 server processes sharing
//! one database give 200 distinct, consecutive numbers, on each backend; and the search finds
//! each of them once after every process moved the recent documents into SQLite's index file
//! (a move emptying a document another process wrote meanwhile: `db::search_file`'s tests).

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{admin_token, database_url, recent_documents_in, register_and_login, search_all, segreteria_ticket, start_server, Backend};

both_backends!(two_hundred_creations_across_four_processes);

async fn two_hundred_creations_across_four_processes(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path());
    // The first process migrates; the others start on the ready database.
    let mut servers = vec![start_server(dir.path(), &url, &[])];
    for _ in 0..3 {
        servers.push(start_server(dir.path(), &url, &[]));
    }
    let client = reqwest::Client::new();
    let first = &servers[0].address;
    let token = register_and_login(&client, first, &dir.path().join("mail"), &url, "conc@studenti.unibg.it").await;

    let mut tasks = Vec::new();
    for i in 0..200 {
        let address = servers[i % 4].address.clone();
        let client = client.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(format!("{address}/api/v1/tickets"))
                .bearer_auth(token)
                .json(&segreteria_ticket(&format!("Concorrenza {i}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::CREATED);
            let body: Value = res.json().await.unwrap();
            body["number"].as_str().unwrap().to_owned()
        }));
    }
    let mut numbers = BTreeSet::new();
    for task in tasks {
        numbers.insert(task.await.unwrap());
    }
    assert_eq!(numbers.len(), 200, "numbers collided");
    let year = chrono::Utc::now().format("%Y").to_string();
    let expected: BTreeSet<String> = (1..=200).map(|n| format!("HD-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected, "numbers are not 1..=200 without gaps");

    let admin = admin_token(&client, first, &url).await;
    let db = helpdesk::db::Db::connect(&url, 1).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while recent_documents_in(&db).await > 0 {
        assert!(std::time::Instant::now() < deadline, "the recent documents never moved");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let found = search_all(&client, first, &admin, "concorrenza").await;
    assert_eq!(found.len(), 200, "each ticket found once");
    assert_eq!(found.into_iter().collect::<BTreeSet<_>>(), expected, "every ticket found");
}
