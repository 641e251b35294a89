//! Virus scanning with a real clamd (`HELPDESK_CLAMD`): an infected upload is refused with 422
//! and nothing of it is kept, on the API, the web form and inbound mail; a clean PDF passes;
//! clamd stopped → 503 with `Retry-After` (or, when configured, kept and flagged).

use base64::Engine;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::clamd::{pdf_with_marker_across_chunks, Clamd, EICAR};
use crate::helpers::{reply_tag, segreteria_ticket, spawn_app_with, Backend, Session, TestApp};
use crate::portal::{csrf_of, page, sign_up, PDF};

both_backends!(infected_files_are_refused_on_the_api_the_form_and_mail, a_stopped_scanner_holds_uploads_back);

const KEY: &str = "inbound-key-for-the-virus-tests-0123";
const STUDENT: &str = "giulia.verdi@studenti.unibg.it";

async fn with_clamd(backend: Backend, clamd: &Clamd, accept_when_down: bool) -> TestApp {
    let address = clamd.address();
    spawn_app_with(backend, move |s| {
        s.files.clamd = Some(address.parse().unwrap());
        s.files.clamd_timeout = std::time::Duration::from_secs(5);
        if accept_when_down {
            s.files.when_scanner_down = helpdesk::config::WhenScannerDown::AcceptAndFlag;
        }
        s.inbound_api_key = Some(KEY.into());
    })
    .await
}

async fn upload_ticket(app: &TestApp, who: &Session, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = Form::new()
        .text("ticket", segreteria_ticket("Documento allegato").to_string())
        .part("files", Part::bytes(bytes).file_name(name.to_owned()));
    app.client.post(app.url("/api/v1/tickets")).bearer_auth(&who.token).multipart(form).send().await.unwrap()
}

/// Files the desk keeps: on disk (outside `tmp/`) and in the database's `file_blobs`.
pub(crate) async fn stored_files(app: &TestApp) -> usize {
    let db = app.db.clone();
    let in_db: i64 = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use helpdesk::db::privacy_schema::file_blobs;
        file_blobs::table.count().get_result(&mut *db.get_writer().unwrap()).unwrap()
    })
    .await
    .unwrap();
    crate::shared_files::files_on_disk(app.data_dir()) + in_db as usize
}

fn mail_with(number: &str, name: &str, bytes: &[u8]) -> Vec<u8> {
    let tag = reply_tag(number, STUDENT);
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!(
        "From: Giulia Verdi <{STUDENT}>\r\nTo: helpdesk+{tag}@localhost\r\nSubject: Re: [{number}] Documento\r\n\
         Message-ID: <{}@mail.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nEcco il documento richiesto.\r\n\
         --b1\r\nContent-Type: application/pdf; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--b1--\r\n",
        uuid::Uuid::new_v4().simple()
    )
    .into_bytes()
}

async fn infected_files_are_refused_on_the_api_the_form_and_mail(backend: Backend) {
    let clamd = Clamd::start();
    let app = with_clamd(backend, &clamd, false).await;
    let student = app.student(STUDENT).await;

    // The API: 422 with the signature named, no ticket, no file kept.
    let res = upload_ticket(&app, &student, "eicar.pdf", EICAR.to_vec()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/infected", "{problem}");
    assert_eq!(problem["errors"][0]["field"], "files", "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("eicar.pdf") && detail.contains("virus") && detail.contains("non è stato conservato"), "{detail}");
    let mine: Value = app.get("/api/v1/tickets", Some(&student.token)).await.json().await.unwrap();
    assert_eq!(mine["items"], json!([]), "no ticket was opened");
    assert_eq!(stored_files(&app).await, 0, "nothing of the infected file is kept");

    // A signature across the two INSTREAM chunks of a 64 KiB file is found all the same.
    let res = upload_ticket(&app, &student, "lungo.pdf", pdf_with_marker_across_chunks()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("Helpdesk.Test.Straddle"), "{problem}");
    // However small the chunks a client would cut, clamd scans the one stream.
    let client = helpdesk::files::Clamd::new(clamd.address().parse().unwrap(), std::time::Duration::from_secs(5));
    let verdict = tokio::task::spawn_blocking(move || client.scan_in_chunks(EICAR, 3)).await.unwrap().unwrap();
    assert!(matches!(verdict, helpdesk::files::Verdict::Infected(_)), "{verdict:?}");
    assert_eq!(stored_files(&app).await, 0);

    // A clean PDF passes.
    let res = upload_ticket(&app, &student, "libretto.pdf", PDF.to_vec()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let ticket: Value = res.json().await.unwrap();
    let number = ticket["number"].as_str().unwrap().to_owned();
    assert_eq!(stored_files(&app).await, 1);

    // The web form: the form again with the reason on the file field, in Italian.
    let browser = sign_up(&app, "form.virus@studenti.unibg.it").await;
    let (_, html) = page(&browser, &app, "/tickets/new?category=segreteria").await;
    let form = Form::new()
        .text("csrf", csrf_of(&html))
        .text("category", "segreteria")
        .text("privacy_notice_version", "1")
        .text("subject", "Piano di studio")
        .text("body", "Allego il piano di studio compilato.")
        .text("f.matricola", "1012345")
        .text("f.course", "Ingegneria")
        .text("f.topic", "piano-di-studio")
        .text("f.career_action", "")
        .part("files", Part::bytes(EICAR.to_vec()).file_name("piano.pdf"));
    let res = browser.post(app.url("/tickets/new")).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Nel file è stato trovato un virus"), "the page says why");
    assert!(html.contains("Piano di studio"), "what was typed is kept");
    assert_eq!(stored_files(&app).await, 1, "only the clean PDF is kept");

    // Inbound mail: the reply lands, its infected file does not, and the thread says so.
    let res = app
        .client
        .post(app.url("/api/v1/inbound-mail"))
        .header("X-Api-Key", KEY)
        .header("Content-Type", "message/rfc822")
        .body(mail_with(&number, "documento.pdf", EICAR))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let outcome: Value = res.json().await.unwrap();
    assert_eq!(outcome["outcome"], "appended", "{outcome}");
    let view: Value = app.get(&format!("/api/v1/tickets/{number}"), Some(&student.token)).await.json().await.unwrap();
    let last = view["messages"].as_array().unwrap().iter().rev().find(|m| m["kind"] == "public").unwrap().clone();
    let body = last["body"].as_str().unwrap();
    assert!(body.starts_with("Ecco il documento richiesto.") && body.contains("documento.pdf: virus trovato / virus found: eicar"), "{body}");
    assert_eq!(last["attachments"], json!([]));
    assert_eq!(stored_files(&app).await, 1);

    let ready: Value = app.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(ready["virus_scanner"], "ok");
}

async fn a_stopped_scanner_holds_uploads_back(backend: Backend) {
    let mut clamd = Clamd::start();
    let app = with_clamd(backend, &clamd, false).await;
    let student = app.student(STUDENT).await;
    let res = upload_ticket(&app, &student, "libretto.pdf", PDF.to_vec()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "scanned and kept while clamd runs");
    clamd.stop();

    let res = upload_ticket(&app, &student, "libretto.pdf", PDF.to_vec()).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "30");
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/scanner-unavailable", "{problem}");
    // Without files the desk works as ever.
    let res = app.post("/api/v1/tickets", Some(&student.token), &segreteria_ticket("Senza allegati")).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), StatusCode::OK, "the desk stays ready: only uploads wait");
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["virus_scanner"], "unreachable");

    // Configured to accept: kept, and flagged in the ticket's history for staff.
    let lenient = with_clamd(backend, &clamd, true).await;
    let student = lenient.student(STUDENT).await;
    let res = upload_ticket(&lenient, &student, "libretto.pdf", PDF.to_vec()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let number = res.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();
    let admin = lenient.admin().await;
    let events: Value = lenient.get(&format!("/api/v1/tickets/{number}/events"), Some(&admin.token)).await.json().await.unwrap();
    let flagged = events.as_array().unwrap().iter().find(|e| e["kind"] == "attachment_unscanned");
    assert!(flagged.is_some_and(|e| e["data"]["filename"] == "libretto.pdf"), "{events}");
}
