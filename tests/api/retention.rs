//! Retention: closed tickets past their category's `retention_days` are anonymised by the job
//! and by `helpdesk retention run` (a dry run changes nothing); identity documents go sooner
//! where the category says so, or when staff delete them once checked; reports count the
//! anonymised tickets as before.

use diesel::prelude::*;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{segreteria_ticket, spawn_app_with_paths, Backend, Session, TestApp};
use crate::sla::with_db;

both_backends!(closed_tickets_are_anonymised_past_their_time);

const PDFS: [&[u8]; 3] = [
    b"%PDF-1.4\n% libretto A\n%%EOF\n",
    b"%PDF-1.4\n% carta di identita B\n%%EOF\n",
    b"%PDF-1.4\n% documento D\n%%EOF\n",
];

async fn open_with_file(app: &TestApp, who: &Session, subject: &str, pdf: &[u8]) -> Value {
    let mut ticket = segreteria_ticket(subject);
    ticket["fields"]["matricola"] = json!("1099999");
    let form = Form::new().text("ticket", ticket.to_string()).part("files", Part::bytes(pdf.to_vec()).file_name("documento.pdf"));
    let res = app.client.post(app.url("/api/v1/tickets")).bearer_auth(&who.token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

/// Closes a ticket `days` ago and marks its files identity documents (what the form does for
/// an ID scan).
async fn closed_days_ago(app: &TestApp, number: &str, days: i64, identity: bool) {
    use helpdesk::db::schema::{attachments, tickets};
    let number = number.to_owned();
    with_db(app, move |conn| {
        let at = chrono::Utc::now().naive_utc() - chrono::Duration::days(days);
        let id: String = tickets::table.filter(tickets::number.eq(&number)).select(tickets::id).first(conn).unwrap();
        diesel::update(tickets::table.find(&id))
            .set((tickets::status.eq("closed"), tickets::closed_at.eq(Some(at)), tickets::resolved_at.eq(Some(at))))
            .execute(conn)
            .unwrap();
        diesel::update(attachments::table.filter(attachments::ticket_id.eq(&id))).set(attachments::identity_document.eq(identity)).execute(conn).unwrap();
    })
    .await;
}

fn cli(data_dir: &std::path::Path, url: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .arg("retention")
        .arg("run")
        .args(args)
        .env("HELPDESK_DATA_DIR", data_dir)
        .env("HELPDESK_DATABASE_URL", url)
        .env("HELPDESK_JWT_SECRET", "a shared secret for the test processes")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn view(app: &TestApp, who: &Session, number: &str) -> Value {
    let res = app.get(&format!("/api/v1/tickets/{number}"), Some(&who.token)).await;
    assert_eq!(res.status(), StatusCode::OK, "{number}");
    res.json().await.unwrap()
}

async fn closed_tickets_are_anonymised_past_their_time(backend: Backend) {
    let (app, data_dir, url) = spawn_app_with_paths(backend, |_| {}).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "archivio@unibg.it", "agent", &["segreteria"]).await;
    let student = app.student("privata@studenti.unibg.it").await;

    // The seeds' periods: 5 years, and 90 days for credentials' identity scans.
    let seeded: Value = app.get("/api/v1/admin/categories/credenziali/retention", Some(&admin.token)).await.json().await.unwrap();
    assert_eq!(seeded, json!({"retention_days": 1825, "identity_documents_days": 90}));
    let res = app.client.put(app.url("/api/v1/admin/categories/segreteria/retention")).bearer_auth(&admin.token)
        .json(&json!({"retention_days": 0})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.client.put(app.url("/api/v1/admin/categories/segreteria/retention")).bearer_auth(&agent.token)
        .json(&json!({"retention_days": 1825, "identity_documents_days": 90})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.client.put(app.url("/api/v1/admin/categories/segreteria/retention")).bearer_auth(&admin.token)
        .json(&json!({"retention_days": 1825, "identity_documents_days": 90})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // A: closed six years ago, a reply staff marked to keep. B: closed 100 days ago with an ID
    // scan. C: closed 10 days ago. D: open, its ID scan checked and deleted by staff.
    let a = open_with_file(&app, &student, "Richiesta A di Privata", PDFS[0]).await;
    let (a_number, a_file) = (a["number"].as_str().unwrap().to_owned(), a["attachments"][0]["id"].as_str().unwrap().to_owned());
    let res = app.post(&format!("/api/v1/tickets/{a_number}/messages"), Some(&agent.token), &json!({"body": "Pratica chiusa con delibera n. 12."})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let kept_id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let res = app.client.put(app.url(&format!("/api/v1/tickets/{a_number}/messages/{kept_id}/keep"))).bearer_auth(&agent.token)
        .json(&json!({"keep": true})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.client.put(app.url(&format!("/api/v1/tickets/{a_number}/messages/{kept_id}/keep"))).bearer_auth(&student.token)
        .json(&json!({"keep": false})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "students mark nothing");
    let b = open_with_file(&app, &student, "Richiesta B", PDFS[1]).await;
    let b_number = b["number"].as_str().unwrap().to_owned();
    let c_number = app.open_ticket(&student, "Richiesta C").await["number"].as_str().unwrap().to_owned();
    let d = open_with_file(&app, &student, "Richiesta D", PDFS[2]).await;
    let d_number = d["number"].as_str().unwrap().to_owned();
    closed_days_ago(&app, &a_number, 6 * 365, false).await;
    closed_days_ago(&app, &b_number, 100, true).await;
    closed_days_ago(&app, &c_number, 10, false).await;
    closed_days_ago(&app, &d_number, 0, true).await;
    with_db(&app, {
        let d_number = d_number.clone();
        move |conn| {
            use helpdesk::db::schema::tickets;
            diesel::update(tickets::table.filter(tickets::number.eq(&d_number))).set((tickets::status.eq("open"), tickets::closed_at.eq(None::<chrono::NaiveDateTime>))).execute(conn).unwrap();
        }
    })
    .await;

    let today = chrono::Utc::now().date_naive();
    let volume_path = format!("/api/v1/reports/volume?from={today}&to={today}");
    let volume_before: Value = app.get(&volume_path, Some(&admin.token)).await.json().await.unwrap();
    let a_before = view(&app, &admin, &a_number).await;

    // The dry run says what it would do and changes nothing.
    let out = cli(&data_dir, &url, &["--dry-run"]);
    assert!(out.contains(&format!("would anonymise {a_number}")), "{out}");
    assert!(out.contains(&format!("would delete identity document documento.pdf of {b_number}")), "{out}");
    assert!(!out.contains(&c_number) && !out.contains(&d_number), "{out}");
    assert!(out.trim_end().ends_with("dry run: 1 tickets would anonymise, 1 identity documents would delete, 0 stored files removed"), "{out}");
    assert_eq!(view(&app, &admin, &a_number).await, a_before, "a dry run changes nothing");
    assert_eq!(view(&app, &admin, &b_number).await["attachments"].as_array().unwrap().len(), 1);

    // The job does it.
    let seen = retention_job(&app, &data_dir).await;
    assert_eq!(seen, 1);
    let a_after = view(&app, &admin, &a_number).await;
    for kept in ["number", "category", "status", "priority", "team", "created_at", "due_at"] {
        assert_eq!(a_after[kept], a_before[kept], "{kept} stays");
    }
    assert_eq!(a_after["subject"], "[rimosso]");
    assert_eq!(a_after["fields"], json!({}));
    assert_eq!(a_after["requester"]["display_name"], "[rimosso]");
    let requester_text = a_after.to_string();
    assert!(!requester_text.contains("privata@studenti.unibg.it") && !requester_text.contains("1099999") && !requester_text.contains("Privata"), "{a_after}");
    let bodies: Vec<&str> = a_after["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert!(bodies.contains(&"Pratica chiusa con delibera n. 12."), "the marked reply is kept: {bodies:?}");
    assert!(bodies.iter().filter(|b| **b != "Pratica chiusa con delibera n. 12.").all(|b| *b == "[rimosso]"), "{bodies:?}");
    assert_eq!(a_after["attachments"], json!([]));
    assert_eq!(app.get(&format!("/api/v1/attachments/{a_file}"), Some(&admin.token)).await.status(), StatusCode::NOT_FOUND);
    let events: Value = app.get(&format!("/api/v1/tickets/{a_number}/events"), Some(&admin.token)).await.json().await.unwrap();
    assert!(events.as_array().unwrap().iter().any(|e| e["kind"] == "anonymised" && e["data"]["reason"] == "retention"), "{events}");
    // The student no longer finds it; B lost its ID scan and kept the rest.
    assert_eq!(app.get(&format!("/api/v1/tickets/{a_number}"), Some(&student.token)).await.status(), StatusCode::NOT_FOUND);
    let b_after = view(&app, &admin, &b_number).await;
    assert_eq!(b_after["attachments"], json!([]));
    assert_eq!(b_after["subject"], "Richiesta B");
    // Nothing stored is left of A's and B's files (D's is still there).
    let stored = crate::virus::stored_files(&app).await;
    assert_eq!(stored, 1, "only D's file is left");
    // Reports count the anonymised ticket as before.
    let volume_after: Value = app.get(&volume_path, Some(&admin.token)).await.json().await.unwrap();
    assert_eq!(volume_after, volume_before);

    // The command with a cut-off of its own: C too; A is not done twice.
    let tomorrow = today + chrono::Duration::days(1);
    let out = cli(&data_dir, &url, &["--closed-before", &tomorrow.to_string()]);
    assert!(out.contains(&format!("anonymised {c_number}")) && !out.contains(&a_number), "{out}");
    assert_eq!(view(&app, &admin, &c_number).await["subject"], "[rimosso]");
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["retention", "run", "--closed-before", "ieri"])
        .env("HELPDESK_DATA_DIR", &data_dir)
        .env("HELPDESK_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!res.status.success() && String::from_utf8_lossy(&res.stderr).contains("YYYY-MM-DD"));

    // Staff delete an identity document once checked; students cannot.
    let path = format!("/api/v1/tickets/{d_number}/identity-documents");
    assert_eq!(app.client.delete(app.url(&path)).bearer_auth(&student.token).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let res = app.client.delete(app.url(&path)).bearer_auth(&agent.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"deleted": 1}));
    assert_eq!(view(&app, &agent, &d_number).await["attachments"], json!([]));
    assert_eq!(crate::virus::stored_files(&app).await, 0);
}

/// The job as `helpdesk serve` runs it: with the desk's file store.
async fn retention_job(app: &TestApp, data_dir: &std::path::Path) -> usize {
    let db = app.db.clone();
    let root = data_dir.join("attachments");
    tokio::task::spawn_blocking(move || {
        let files = helpdesk::files::FileStore::configured(root, &helpdesk::config::FilesSettings::default(), &db).unwrap();
        let ctx = helpdesk::jobs::JobContext {
            base_url: "http://127.0.0.1".into(),
            config: helpdesk::config::JobsConfig { interval: std::time::Duration::ZERO, auto_close_days: 7, guest_expiry_hours: 48 },
            files: Some(files),
            privacy: Default::default(),
            search: Default::default(),
        };
        helpdesk::jobs::Job::Retention.run(&mut db.get_writer().unwrap(), &ctx, chrono::Utc::now()).unwrap()
    })
    .await
    .unwrap()
}

both_backends!(retention_is_set_on_the_category_page);

/// The admin's category page shows and saves the periods; a wrong one is refused on its field.
async fn retention_is_set_on_the_category_page(backend: Backend) {
    use crate::admin_pages::submit;
    use crate::portal::page;
    let (app, _, _) = spawn_app_with_paths(backend, |_| {}).await;
    let admin = app.admin().await;
    let browser = crate::staff_pages::signed_in(&app, "admin@unibg.it", "admin-password").await;
    let action = "/staff/admin/categories/credenziali";
    let (status, html) = page(&browser, &app, action).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Conservazione dopo la chiusura (giorni)"), "the field is on the page");
    let values = crate::admin_pages::form_values(&html, action);
    assert_eq!(values.get("retention_days").map(String::as_str), Some("1825"));
    assert_eq!(values.get("identity_documents_days").map(String::as_str), Some("90"));
    let (status, html) = submit(&browser, &app, &html, action, &[("retention_days", "0")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Indica un numero di giorni tra 1 e 36500."), "{html}");
    let (status, _) = submit(&browser, &app, &html, action, &[("retention_days", "3650"), ("identity_documents_days", "30")]).await;
    assert_eq!(status, StatusCode::OK);
    let stored: Value = app.get("/api/v1/admin/categories/credenziali/retention", Some(&admin.token)).await.json().await.unwrap();
    assert_eq!(stored, json!({"retention_days": 3650, "identity_documents_days": 30}));
}
