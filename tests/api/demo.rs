//! `helpdesk seed-demo`: the real binary fills a fresh desk, a desk started on it lets the
//! printed accounts sign in and shows tickets in several statuses; a second run is refused
//! and changes nothing.

use std::collections::BTreeSet;

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{database_url, start_server, Backend, TestDatabase};

both_backends!(seed_demo_makes_a_desk_to_sign_in_to_and_refuses_a_second_time);

fn seed_demo(data_dir: &std::path::Path, url: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .arg("seed-demo")
        .env("HELPDESK_DATA_DIR", data_dir)
        .env("HELPDESK_DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// The (e-mail, password) of the first printed account of `role`.
fn account(stdout: &str, role: &str) -> (String, String) {
    stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|words| words.first() == Some(&role))
        .map(|words| (words[1].to_owned(), words[2].to_owned()))
        .unwrap_or_else(|| panic!("no {role} account printed in:\n{stdout}"))
}

/// Tickets and accounts in the database.
fn counts(url: &str) -> (i64, i64) {
    let db = helpdesk::db::Db::connect(url, 1).unwrap();
    let mut conn = db.get_writer().unwrap();
    use helpdesk::db::schema::{tickets, users};
    (tickets::table.count().get_result(&mut *conn).unwrap(), users::table.count().get_result(&mut *conn).unwrap())
}

async fn statuses(client: &reqwest::Client, base: &str, email: &str, password: &str) -> BTreeSet<String> {
    let res = client.post(format!("{base}/api/v1/auth/login")).json(&json!({"email": email, "password": password})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{email} signs in with the printed password");
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let page: Value = client.get(format!("{base}/api/v1/tickets?limit=100")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    page["items"].as_array().unwrap().iter().map(|t| t["status"].as_str().unwrap().to_owned()).collect()
}

async fn seed_demo_makes_a_desk_to_sign_in_to_and_refuses_a_second_time(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path());
    let _database = TestDatabase::of(&url);
    let out = seed_demo(dir.path(), &url);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let (student, student_password) = account(&stdout, "student");
    let (agent, agent_password) = account(&stdout, "agent");
    account(&stdout, "admin");
    let before = counts(&url);
    assert!(before.0 >= 40, "today's tickets and a month of history: {before:?}");

    let server = start_server(dir.path(), &url, &[]);
    let client = reqwest::Client::new();
    let mine = statuses(&client, &server.address, &student, &student_password).await;
    assert!(mine.len() >= 3, "the student's tickets are in several statuses: {mine:?}");
    let queue = statuses(&client, &server.address, &agent, &agent_password).await;
    assert!(queue.len() >= 3, "the agent's tickets are in several statuses: {queue:?}");

    let again = seed_demo(dir.path(), &url);
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already has data"), "{stderr}");
    assert_eq!(counts(&url), before, "a refused run changes nothing");
    drop(server);
}
