//! Ticket numbers never collide: 200 concurrent creations across 4 server processes sharing
//! one database give 200 distinct, consecutive numbers, on each backend.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{database_url, register_and_login, segreteria_ticket, start_server, Backend};

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
}
