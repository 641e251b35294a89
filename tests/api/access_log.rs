//! The access log: every staff read of a ticket, a file or the requester panel is recorded
//! (who, when, what, from which address — the forwarded one behind a trusted proxy); admins
//! read it per ticket and per staff member, as JSON or CSV; nobody else does.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{segreteria_ticket, spawn_app_with, Backend, TestApp};
use crate::portal::PDF;
use crate::staff_pages::signed_in;

both_backends!(staff_reads_are_logged_and_only_admins_read_the_log);

async fn get_from(app: &TestApp, path: &str, token: &str, forwarded: &str) -> reqwest::Response {
    app.client.get(app.url(path)).bearer_auth(token).header("X-Forwarded-For", forwarded).send().await.unwrap()
}

async fn staff_reads_are_logged_and_only_admins_read_the_log(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.trusted_proxies = "127.0.0.1".parse().unwrap()).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "lettore@unibg.it", "agent", &["segreteria"]).await;
    let stranger = app.staff(&admin, "estraneo@unibg.it", "agent", &["stranieri"]).await;
    let supervisor = app.staff(&admin, "capo@unibg.it", "supervisor", &["segreteria"]).await;
    let student = app.student("letta@studenti.unibg.it").await;
    let form = Form::new()
        .text("ticket", segreteria_ticket("Certificato").to_string())
        .part("files", Part::bytes(PDF.to_vec()).file_name("carta_identita.pdf"));
    let res = app.client.post(app.url("/api/v1/tickets")).bearer_auth(&student.token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let ticket: Value = res.json().await.unwrap();
    let number = ticket["number"].as_str().unwrap().to_owned();
    let file = ticket["attachments"][0]["id"].as_str().unwrap().to_owned();

    // The student's own reads are not staff reads.
    assert_eq!(app.get(&format!("/api/v1/tickets/{number}"), Some(&student.token)).await.status(), StatusCode::OK);
    // The agent reads the ticket, its requester panel and its file, from 203.0.113.7 behind our proxy.
    let from = "203.0.113.7";
    assert_eq!(get_from(&app, &format!("/api/v1/tickets/{number}"), &agent.token, from).await.status(), StatusCode::OK);
    assert_eq!(get_from(&app, &format!("/api/v1/tickets/{number}/requester"), &agent.token, from).await.status(), StatusCode::OK);
    assert_eq!(get_from(&app, &format!("/api/v1/attachments/{file}"), &agent.token, from).await.status(), StatusCode::OK);
    // An agent of another team sees nothing, and nothing is logged for them.
    assert_eq!(get_from(&app, &format!("/api/v1/tickets/{number}"), &stranger.token, from).await.status(), StatusCode::NOT_FOUND);
    // The staff page: the ticket and its requester panel.
    let browser = signed_in(&app, "capo@unibg.it", "agent-password").await;
    assert_eq!(browser.get(app.url(&format!("/staff/tickets/{number}"))).send().await.unwrap().status(), StatusCode::OK);

    let log_path = format!("/api/v1/tickets/{number}/access-log");
    let res = app.get(&log_path, Some(&admin.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let log: Vec<Value> = res.json().await.unwrap();
    let of = |email: &str| log.iter().filter(|e| e["staff_email"] == email).cloned().collect::<Vec<_>>();
    let agent_reads = of("lettore@unibg.it");
    let kinds: Vec<&str> = agent_reads.iter().rev().map(|e| e["what"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ticket", "requester", "attachment"], "{log:?}");
    assert!(agent_reads.iter().all(|e| e["client_ip"] == from && e["ticket"] == number.as_str() && e["staff_id"] == agent.id.as_str()));
    assert!(agent_reads[0]["target"].as_str().unwrap().ends_with("carta_identita.pdf"));
    let supervisor_reads = of("capo@unibg.it");
    let page_reads: Vec<&str> = supervisor_reads.iter().map(|e| e["what"].as_str().unwrap()).collect();
    assert_eq!(page_reads.len(), 2, "{log:?}");
    assert!(page_reads.contains(&"ticket") && page_reads.contains(&"requester"));
    assert!(of("estraneo@unibg.it").is_empty() && of("letta@studenti.unibg.it").is_empty(), "{log:?}");

    // CSV, and per staff member.
    let res = app.client.get(app.url(&format!("{log_path}?format=csv"))).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("at,staff_id,staff_name,staff_email,ticket,what,target,client_ip\n"), "{csv}");
    assert_eq!(csv.lines().count(), 6, "{csv}");
    assert!(csv.lines().any(|l| l.contains("lettore@unibg.it") && l.contains(",attachment,") && l.ends_with(from)), "{csv}");
    let res = app.get("/api/v1/admin/access-log?staff=lettore@unibg.it", Some(&admin.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Vec<Value>>().await.unwrap().len(), 3);
    assert_eq!(app.get("/api/v1/admin/access-log", Some(&admin.token)).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The admin page shows the same, with the CSV link; an agent does not get it.
    let admin_browser = signed_in(&app, "admin@unibg.it", "admin-password").await;
    let res = admin_browser.get(app.url(&format!("/staff/admin/access-log?ticket={}", number.to_lowercase()))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Registro degli accessi") && html.contains("lettore@unibg.it") && html.contains(from), "the page lists the reads");
    assert!(html.contains(&format!("/api/v1/tickets/{number}/access-log?format")), "the CSV link");
    let res = admin_browser.get(app.url("/staff/admin/access-log?staff=lettore%40unibg.it")).send().await.unwrap();
    assert!(res.text().await.unwrap().contains("carta_identita.pdf"));
    let agent_browser = signed_in(&app, "lettore@unibg.it", "agent-password").await;
    let res = agent_browser.get(app.url(&format!("/staff/admin/access-log?ticket={number}"))).send().await.unwrap();
    assert!(!res.text().await.unwrap().contains("Registro degli accessi"), "agents do not read the log");

    // Nobody but admins reads it; an unknown ticket is 404.
    for who in [&agent, &supervisor, &student] {
        assert_eq!(app.get(&log_path, Some(&who.token)).await.status(), StatusCode::FORBIDDEN);
        let res = app.get(&format!("/api/v1/admin/access-log?staff={}", agent.id), Some(&who.token)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(app.get(&log_path, None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/tickets/HD-2020-999999/access-log", Some(&admin.token)).await.status(), StatusCode::NOT_FOUND);

    // Kept HELPDESK_ACCESS_LOG_DAYS (730 by default): the job purges older reads.
    let later = chrono::Utc::now() + chrono::Duration::days(729);
    crate::jobs::run_job(&app, helpdesk::jobs::Job::PurgeAccessLog, later).await;
    assert_eq!(app.get(&log_path, Some(&admin.token)).await.json::<Vec<Value>>().await.unwrap().len(), 5);
    let later = chrono::Utc::now() + chrono::Duration::days(731);
    crate::jobs::run_job(&app, helpdesk::jobs::Job::PurgeAccessLog, later).await;
    assert_eq!(app.get(&log_path, Some(&admin.token)).await.json::<Vec<Value>>().await.unwrap().len(), 0);
}
