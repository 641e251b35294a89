//! The ticket list: filters and keyset pagination; and the command line (create-admin,
//! migrate) on a real database.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{database_url, spawn_app, start_server, Backend};

both_backends!(pages_follow_the_cursor_and_filters_narrow, command_line_makes_the_first_admin);

async fn pages_follow_the_cursor_and_filters_narrow(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let s = app.student("pages@studenti.unibg.it").await;
    let mut numbers = Vec::new();
    for i in 0..7 {
        numbers.push(app.open_ticket(&s, &format!("Domanda numero {i}")).await["number"].as_str().unwrap().to_owned());
    }
    // Newest first, three at a time, each ticket exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/tickets?limit=3&cursor={c}"),
            None => "/api/v1/tickets?limit=3".into(),
        };
        let page: Value = app.get(&path, Some(&s.token)).await.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|t| t["number"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut expected = numbers.clone();
    expected.reverse();
    assert_eq!(seen, expected);

    // Filters: status, priority, assignee, q (subject words or a number), category.
    let target = &numbers[2];
    let path = format!("/api/v1/tickets/{target}");
    let res = app.patch(&path, &admin.token, &json!({"version": 1, "status": "open", "priority": "urgent"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let count = |v: Value| v["items"].as_array().unwrap().len();
    assert_eq!(count(app.get("/api/v1/tickets?status=open", Some(&admin.token)).await.json().await.unwrap()), 1);
    assert_eq!(count(app.get("/api/v1/tickets?status=new,open", Some(&admin.token)).await.json().await.unwrap()), 7);
    assert_eq!(count(app.get("/api/v1/tickets?priority=urgent", Some(&admin.token)).await.json().await.unwrap()), 1);
    assert_eq!(count(app.get("/api/v1/tickets?assignee=none", Some(&admin.token)).await.json().await.unwrap()), 7);
    assert_eq!(count(app.get("/api/v1/tickets?q=numero%204", Some(&admin.token)).await.json().await.unwrap()), 1);
    assert_eq!(count(app.get("/api/v1/tickets?q=DOMANDA", Some(&admin.token)).await.json().await.unwrap()), 7);
    assert_eq!(count(app.get("/api/v1/tickets?q=100%25", Some(&admin.token)).await.json().await.unwrap()), 0);
    let by_number: Value = app.get(&format!("/api/v1/tickets?q={target}"), Some(&admin.token)).await.json().await.unwrap();
    assert_eq!(by_number["items"][0]["number"], target.as_str());
    assert_eq!(count(app.get("/api/v1/tickets?category=credenziali", Some(&admin.token)).await.json().await.unwrap()), 0);
    assert_eq!(count(app.get("/api/v1/tickets?category=segreteria&team=segreteria", Some(&admin.token)).await.json().await.unwrap()), 7);
}

async fn command_line_makes_the_first_admin(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_helpdesk"))
            .args(args)
            .env("HELPDESK_DATA_DIR", dir.path())
            .env("HELPDESK_DATABASE_URL", &url)
            .env("RUST_LOG", "error")
            .output()
            .unwrap()
    };
    let migrate = run(&["migrate"]);
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    let short = run(&["create-admin", "--email", "capo@unibg.it", "--password", "short"]);
    assert!(!short.status.success(), "a short password is refused");
    let made = run(&["create-admin", "--email", "capo@unibg.it", "--password", "a long enough password", "--name", "Capo"]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let help = run(&["--help"]);
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let commands: BTreeSet<&str> = ["serve", "migrate", "create-admin", "ingest-mail"].into_iter().filter(|c| help.contains(c)).collect();
    assert_eq!(commands.len(), 4, "{help}");

    // The admin signs in on a server started on that database and makes an agent.
    let server = start_server(dir.path(), &url, &[]);
    let client = reqwest::Client::new();
    let login_as = |email: &'static str, password: &'static str| {
        let (client, url) = (client.clone(), format!("{}/api/v1/auth/login", server.address));
        async move { client.post(url).json(&json!({"email": email, "password": password})).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let login = login_as("capo@unibg.it", "a long enough password").await;
    assert_eq!(login["user"]["role"], "admin");
    let token = login["token"].as_str().unwrap();
    let res = client
        .post(format!("{}/api/v1/admin/agents", server.address))
        .bearer_auth(token)
        .json(&json!({"email": "nuovo@unibg.it", "password": "agent-password", "display_name": "Nuovo", "role": "agent", "teams": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let agent: Value = res.json().await.unwrap();
    let res = client
        .post(format!("{}/api/v1/admin/teams/stranieri/members", server.address))
        .bearer_auth(token)
        .json(&json!({"user_id": agent["user"]["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let login = login_as("nuovo@unibg.it", "agent-password").await;
    assert_eq!(login["user"]["teams"], json!(["stranieri"]));
}
