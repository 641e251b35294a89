//! Mail out against a real SMTP server on 127.0.0.1: the mails of a whole lifecycle arrive
//! with the right recipients, subjects, language and threading headers, none for internal
//! notes; nothing is lost while the SMTP server is down, nor when the sender is SIGKILLed.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{database_url, free_port, register_and_login, segreteria_ticket, spawn_app_with, start_server, Backend, SmtpSink};

both_backends!(lifecycle_mails_arrive, nothing_is_lost_while_smtp_is_down, a_killed_sender_resends_after_restart, a_team_change_reaches_the_next_ticket_at_once);

/// The team's staff are remembered for a moment between creations (issue 15); a membership
/// change must reach the very next ticket all the same.
async fn a_team_change_reaches_the_next_ticket_at_once(backend: Backend) {
    let app = crate::helpers::spawn_app(backend).await;
    let admin = app.admin().await;
    app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let marco = app.staff(&admin, "marco@unibg.it", "agent", &["it"]).await;
    let student = app.student("anna@studenti.unibg.it").await;
    let told = |mails: Vec<(String, Value)>, number: &Value| mails.iter().any(|(k, p)| k == "team_new_ticket" && &p["number"] == number);
    let first = app.open_ticket(&student, "Prima richiesta").await;
    assert!(told(app.outbox_for("laura@unibg.it").await, &first["number"]));
    assert!(!told(app.outbox_for("marco@unibg.it").await, &first["number"]));
    let me: Value = app.get("/api/v1/me", Some(&marco.token)).await.json().await.unwrap();
    let res = app.post("/api/v1/admin/teams/segreteria/members", Some(&admin.token), &json!({"user_id": me["id"]})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let second = app.open_ticket(&student, "Seconda richiesta").await;
    assert!(told(app.outbox_for("marco@unibg.it").await, &second["number"]), "the new member hears of the next ticket");
    assert!(told(app.outbox_for("laura@unibg.it").await, &second["number"]));
}

async fn lifecycle_mails_arrive(backend: Backend) {
    let sink = SmtpSink::start(free_port(), 0.0);
    let url = sink.url();
    let app = spawn_app_with(backend, |s| s.smtp_url = Some(url)).await;
    app.reads_mail_from(&sink);
    let admin = app.admin().await;
    let agent = app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    // An English-speaking student.
    let res = app
        .post("/api/v1/auth/register", None, &json!({"email": "john@studenti.unibg.it", "password": "password-123", "display_name": "John", "locale": "en"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // The address is confirmed through the link the desk mailed, in English.
    let verification = sink.wait_for(1, 30).await;
    assert_eq!((verification[0].to.as_str(), verification[0].subject.as_str()), ("john@studenti.unibg.it", "Confirm your e-mail address for the Help Desk"));
    app.verify_address("john@studenti.unibg.it").await;
    let student = app.login("john@studenti.unibg.it", "password-123").await;

    let ticket = app.open_ticket(&student, "Study plan change").await;
    let number = ticket["number"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/tickets/{number}");
    let reply = "Dear John, you can change it from the Sportello Internet.";
    app.post(&format!("{path}/messages"), Some(&agent.token), &json!({"body": reply})).await;
    app.post(&format!("{path}/messages"), Some(&agent.token), &json!({"body": "SECRET NOTE about the career", "internal": true})).await;
    let t: Value = app.get(&path, Some(&agent.token)).await.json().await.unwrap();
    let res = app.patch(&path, &admin.token, &json!({"version": t["version"], "status": "waiting_student", "assignee": agent.id})).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.post(&format!("{path}/messages"), Some(&student.token), &json!({"body": "Done, thanks"})).await;
    let t: Value = app.get(&path, Some(&agent.token)).await.json().await.unwrap();
    let t: Value = app.patch(&path, &agent.token, &json!({"version": t["version"], "status": "resolved"})).await.json().await.unwrap();
    let res = app.patch(&path, &student.token, &json!({"version": t["version"], "status": "closed"})).await;
    assert_eq!(res.status(), StatusCode::OK);

    // Student: received, reply, waiting, resolved, closed.
    // Agent: new ticket in the team, assigned to her, the student replied.
    let mails: Vec<_> = sink.wait_for(9, 30).await.into_iter().skip(1).collect();
    let to_student: Vec<_> = mails.iter().filter(|m| m.to == "john@studenti.unibg.it").collect();
    let to_agent: Vec<_> = mails.iter().filter(|m| m.to == "laura@unibg.it").collect();
    assert_eq!(to_student.len(), 5, "{:#?}", mails.iter().map(|m| (&m.to, &m.subject)).collect::<Vec<_>>());
    let agent_subjects: Vec<&str> = to_agent.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(agent_subjects.len(), 3, "{agent_subjects:?}");
    for expected in ["Nuova richiesta per il tuo ufficio", "Ti è stata assegnata", "Lo studente ha risposto"] {
        assert!(agent_subjects.iter().any(|s| s.contains(expected)), "no '{expected}' in {agent_subjects:?}");
    }
    let tag = format!("[{number}]");
    assert!(mails.iter().all(|m| m.subject.starts_with(&tag)), "every subject carries the ticket number");
    let subjects: BTreeSet<&str> = to_student.iter().map(|m| m.subject.as_str()).collect();
    for expected in ["We received your request", "Reply to your request", "We are waiting for your reply", "Request resolved", "Request closed"] {
        assert!(subjects.iter().any(|s| s.contains(expected)), "no '{expected}' in {subjects:?}");
    }
    // Threading: the first mail's Message-ID is the thread; the others refer to it.
    let thread = format!("<{number}@localhost>");
    let first = to_student.iter().find(|m| m.subject.contains("We received")).unwrap();
    assert_eq!(first.message_id, thread);
    for m in mails.iter().filter(|m| m.message_id != thread) {
        assert_eq!(m.in_reply_to.as_deref(), Some(thread.as_str()), "{}", m.subject);
    }
    // Each reply address carries the token made for its recipient and this ticket.
    for m in &mails {
        let tag = crate::helpers::reply_tag(&number, &m.to);
        assert!(m.reply_to.contains(&format!("helpdesk+{tag}@localhost")), "{} for {}", m.reply_to, m.to);
    }
    assert_ne!(crate::helpers::reply_tag(&number, "john@studenti.unibg.it"), crate::helpers::reply_tag(&number, "laura@unibg.it"));
    let ids: BTreeSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), mails.len(), "Message-IDs are unique per notification");
    // The staff reply is in the mail, in both parts; the internal note is in none.
    let reply_mail = to_student.iter().find(|m| m.subject.contains("Reply to your request")).unwrap();
    assert!(reply_mail.text.contains(reply) && reply_mail.html.contains("Sportello Internet"));
    assert!(mails.iter().all(|m| !m.raw.contains("SECRET NOTE")), "an internal note was mailed");
    assert!(to_student.iter().all(|m| m.text.contains("Dear John")));

    // An Italian student gets Italian mails.
    let mario = app.student("mario@studenti.unibg.it").await;
    app.open_ticket(&mario, "Piano di studio").await;
    let mails = sink.wait_for(12, 30).await;
    let it = mails.iter().find(|m| m.to == "mario@studenti.unibg.it" && m.subject.starts_with('[')).unwrap();
    assert!(it.subject.contains("Abbiamo ricevuto la tua richiesta"), "{}", it.subject);
    assert!(it.text.contains("Gentile"));
}

async fn nothing_is_lost_while_smtp_is_down(backend: Backend) {
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(backend, |s| s.smtp_url = Some(url)).await;
    let student = app.student("down@studenti.unibg.it").await;
    let mut numbers = BTreeSet::new();
    for i in 0..5 {
        let t = app.open_ticket(&student, &format!("Mentre SMTP è giù {i}")).await;
        numbers.insert(t["number"].as_str().unwrap().to_owned());
    }
    // The workers tried and failed: the mails wait in the outbox, with the error recorded.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let admin = app.admin().await;
    let pending: Value = app.get("/api/v1/admin/outbox?status=pending", Some(&admin.token)).await.json().await.unwrap();
    let pending = pending.as_array().unwrap();
    // The five tickets' mails, and the student's address verification before them.
    assert_eq!(pending.len(), 6);
    assert!(pending.iter().any(|n| n["attempts"].as_i64().unwrap() >= 1 && n["last_error"].is_string()));
    let ready: Value = app.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(ready["outbox"]["depth"], 6);

    // The server comes back: every mail arrives.
    let sink = SmtpSink::start(port, 0.0);
    let mails = sink.wait_for(6, 30).await;
    let arrived: BTreeSet<String> = mails.iter().filter(|m| m.subject.starts_with('[')).map(|m| m.subject[1..15].to_owned()).collect();
    assert_eq!(arrived, numbers);
    let ready: Value = app.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(ready["outbox"]["depth"], 0);
}

async fn a_killed_sender_resends_after_restart(backend: Backend) {
    // A slow SMTP server, so the kill lands in the middle of sending.
    let sink = SmtpSink::start(free_port(), 0.15);
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path());
    let smtp = sink.url();
    let envs = [("HELPDESK_SMTP_URL", smtp.as_str()), ("HELPDESK_MAIL_LEASE_SECS", "2"), ("HELPDESK_MAIL_BATCH", "4"), ("HELPDESK_MAIL_WORKERS", "1")];
    let mut server = start_server(dir.path(), &url, &envs);
    let client = reqwest::Client::new();
    let base = server.address.clone();
    let token = register_and_login(&client, &base, sink.dir.path(), &url, "kill@studenti.unibg.it").await;
    // The address verification is one of the mails that must arrive.
    let mut numbers: BTreeSet<String> = sink.wait_for(1, 30).await.into_iter().map(|m| m.message_id).collect();
    for i in 0..20 {
        let res = client.post(format!("{base}/api/v1/tickets")).bearer_auth(&token).json(&segreteria_ticket(&format!("Kill {i}"))).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let t: Value = res.json().await.unwrap();
        numbers.insert(format!("<{}@localhost>", t["number"].as_str().unwrap()));
    }
    sink.wait_for(3, 30).await;
    // SIGKILL: no chance to finish or record anything.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let before = sink.received().len();
    assert!(before < 20, "the kill came too late to test anything ({before} sent)");

    let _restarted = start_server(dir.path(), &url, &envs);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let ids: BTreeSet<String> = sink.received().into_iter().map(|m| m.message_id).collect();
        if ids == numbers {
            break;
        }
        assert!(ids.is_subset(&numbers), "an unexpected Message-ID arrived");
        assert!(std::time::Instant::now() < deadline, "after the restart only {} of 20 arrived", ids.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // At least once: duplicates are allowed and recognisable by their Message-ID.
    assert!(sink.received().len() >= 20);
}

both_backends!(several_workers_send_each_mail_once);

/// Three workers share the outbox: each notification is claimed by one of them, so every
/// mail arrives exactly once (when nothing fails; duplicates are only for crashes).
async fn several_workers_send_each_mail_once(backend: Backend) {
    let sink = SmtpSink::start(free_port(), 0.02);
    let url = sink.url();
    let app = spawn_app_with(backend, |s| {
        s.smtp_url = Some(url);
        s.mail.workers = 3;
        s.mail.batch = 2;
    })
    .await;
    app.reads_mail_from(&sink);
    let student = app.student("once@studenti.unibg.it").await;
    for i in 0..12 {
        app.open_ticket(&student, &format!("Una volta sola {i}")).await;
    }
    // Twelve tickets' mails and the address verification.
    sink.wait_for(13, 30).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mails = sink.received();
    let ids: BTreeSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!((mails.len(), ids.len()), (13, 13), "each notification is sent once");
}

both_backends!(a_restarted_smtp_server_gets_the_next_mail_at_once);

/// The SMTP server restarts between two mails: the pooled connection to the old process is
/// dead; the pool finds out (NOOP) and opens a new one, so the next mail goes out on its first
/// attempt. Retries are an hour away here, so a failed first attempt would not arrive in time.
async fn a_restarted_smtp_server_gets_the_next_mail_at_once(backend: Backend) {
    let port = free_port();
    let sink = SmtpSink::start(port, 0.0);
    let url = sink.url();
    let app = spawn_app_with(backend, |s| {
        s.smtp_url = Some(url);
        s.mail.retry_base = Duration::from_secs(3600);
        s.mail.retry_max = Duration::from_secs(3600);
    })
    .await;
    app.reads_mail_from(&sink);
    let student = app.student("restart@studenti.unibg.it").await;
    app.open_ticket(&student, "Prima del riavvio").await;
    // The address verification and the ticket's mail.
    let before = sink.wait_for(2, 30).await.len();
    drop(sink);

    let sink = SmtpSink::start(port, 0.0);
    app.open_ticket(&student, "Dopo il riavvio").await;
    let mails = sink.wait_for(1, 20).await;
    assert!(mails.iter().any(|m| m.to == "restart@studenti.unibg.it"), "{mails:#?}");
    let attempts: Vec<(String, i32)> = {
        let db = app.db.clone();
        tokio::task::spawn_blocking(move || {
            use diesel::prelude::*;
            use helpdesk::db::schema::outbox;
            outbox::table.select((outbox::status, outbox::attempts)).load(&mut db.get_writer().unwrap()).unwrap()
        })
        .await
        .unwrap()
    };
    assert_eq!(attempts.len(), before + mails.len(), "{attempts:?}");
    assert!(attempts.iter().all(|(status, n)| status == "sent" && *n == 0), "every mail went out on its first attempt: {attempts:?}");
}
