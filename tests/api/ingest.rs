//! Mail in: real `.eml` files as Outlook, Gmail, Apple Mail and Thunderbird write them
//! (tests/fixtures/mail, with `{{NUMBER}}`, `{{FROM}}`, `{{OUTBOX_ID}}` filled in here), through
//! `POST /api/v1/inbound-mail` and through `helpdesk ingest-mail` on stdin.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{reply_tag, spawn_app, spawn_app_with, spawn_app_with_paths, Backend, Session, TestApp, TEST_JWT_SECRET};

both_backends!(
    replies_land_without_quotes_and_reopen,
    attachments_are_checked_like_uploads,
    strangers_auto_replies_and_junk_are_quarantined,
    staff_of_the_team_may_reply_by_mail,
    a_reply_to_a_closed_ticket_opens_a_follow_up,
    the_cli_reads_stdin_and_asks_for_a_retry_when_the_database_is_down,
    the_endpoint_wants_its_key,
    the_same_message_twice_is_handled_once,
    concurrent_deliveries_of_one_message_append_one_reply,
);

const KEY: &str = "inbound-key-for-the-tests-0123456789";
const STUDENT: &str = "mario.rossi@studenti.unibg.it";
const AGENT: &str = "laura.bianchi@unibg.it";

/// A fixture with its placeholders filled in. `TAG` (the reply address's number and token)
/// is the one the desk mailed `FROM` about `NUMBER` unless given: a reply to the desk's mail.
fn fixture(name: &str, vars: &[(&str, &str)]) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/mail/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let var = |key: &str| vars.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    if let (None, Some(number), Some(from)) = (var("TAG"), var("NUMBER"), var("FROM")) {
        text = text.replace("{{TAG}}", &reply_tag(number, from));
    }
    for (key, value) in vars {
        text = text.replace(&format!("{{{{{key}}}}}"), value);
    }
    assert!(!text.contains("{{"), "{name}: a placeholder was left unfilled");
    text.into_bytes()
}

/// A desk with a segreteria agent and a student whose ticket waits for the student: the agent
/// replied (a mail went out) and set `waiting_student`.
struct Desk {
    admin: Session,
    agent: Session,
    student: Session,
    number: String,
    ticket_id: String,
}

async fn desk(app: &TestApp) -> Desk {
    let admin = app.admin().await;
    let agent = app.staff(&admin, AGENT, "agent", &["segreteria"]).await;
    let student = app.student(STUDENT).await;
    let ticket = app.open_ticket(&student, "Modifica piano di studio").await;
    let number = ticket["number"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/tickets/{number}");
    let res = app.post(&format!("{path}/messages"), Some(&agent.token), &json!({"body": "Buongiorno, può farlo dallo Sportello Internet."})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    set_status(app, &agent, &number, "waiting_student").await;
    Desk { admin, agent, student, number, ticket_id: ticket["id"].as_str().unwrap().to_owned() }
}

async fn set_status(app: &TestApp, who: &Session, number: &str, status: &str) {
    let path = format!("/api/v1/tickets/{number}");
    let t = ticket(app, who, number).await;
    let res = app.patch(&path, &who.token, &json!({"version": t["version"], "status": status})).await;
    assert_eq!(res.status(), StatusCode::OK, "{number} → {status}");
}

async fn ticket(app: &TestApp, who: &Session, number: &str) -> Value {
    let res = app.get(&format!("/api/v1/tickets/{number}"), Some(&who.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn public_messages(ticket: &Value) -> Vec<Value> {
    ticket["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == "public").cloned().collect()
}

fn last_public(ticket: &Value) -> Value {
    public_messages(ticket).pop().expect("a public message")
}

async fn post_mail(app: &TestApp, raw: Vec<u8>) -> Value {
    let res = app
        .client
        .post(app.url("/api/v1/inbound-mail"))
        .header("X-Api-Key", KEY)
        .header("Content-Type", "message/rfc822")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn with_key(backend: Backend) -> TestApp {
    spawn_app_with(backend, |s| s.inbound_api_key = Some(KEY.into())).await
}

/// Runs a blocking query on the app's database.
async fn query<T: Send + 'static>(app: &TestApp, f: impl FnOnce(&mut helpdesk::db::DbConn) -> T + Send + 'static) -> T {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || f(&mut db.get_writer().unwrap())).await.unwrap()
}

async fn replies_land_without_quotes_and_reopen(backend: Backend) {
    let app = with_key(backend).await;
    let d = desk(&app).await;
    let n = d.number.as_str();

    // Outlook, Italian, a `Da: … Inviato: …` block under a rule; found by the plus-address.
    let outcome = post_mail(&app, fixture("outlook_it.eml", &[("NUMBER", n), ("FROM", STUDENT)])).await;
    assert_eq!(outcome, json!({"outcome": "appended", "number": n}));
    let t = ticket(&app, &d.agent, n).await;
    assert_eq!(t["status"], "open", "a reply reopens a ticket waiting for the student");
    let reply = last_public(&t);
    assert_eq!(
        reply["body"],
        "Buongiorno,\nho seguito le istruzioni e ora il piano di studio risulta modificato. Grazie per l'aiuto!\n\n\
         Cordiali saluti,\nMario Rossi\nMatricola 1012345"
    );
    assert_eq!(reply["author"]["id"], d.student.id.as_str());
    // The staff hear about it, as for a reply on the web.
    let to_agent = app.outbox_for(AGENT).await;
    assert!(to_agent.iter().any(|(kind, p)| kind == "student_reply" && p["number"] == n), "{to_agent:?}");

    // Gmail, Italian attribution wrapped over two lines, `>` quotes.
    let outcome = post_mail(&app, fixture("gmail_it.eml", &[("NUMBER", n), ("FROM", STUDENT)])).await;
    assert_eq!(outcome["outcome"], "appended");
    let t = ticket(&app, &d.student, n).await;
    assert_eq!(last_public(&t)["body"], "Salve,\nho verificato: il codice del corso è IN05.\n\nGrazie mille\nGiulia");

    // Gmail, English, with the tag gone from the subject: the reply address's token finds it.
    let ticket_id = d.ticket_id.clone();
    let outbox_id: String = query(&app, move |conn| {
        use helpdesk::db::schema::outbox;
        outbox::table
            .filter(outbox::ticket_id.eq(ticket_id))
            .filter(outbox::kind.eq("staff_reply"))
            .select(outbox::id)
            .first(conn)
            .unwrap()
    })
    .await;
    let outcome = post_mail(&app, fixture("gmail_en.eml", &[("NUMBER", n), ("FROM", STUDENT), ("OUTBOX_ID", &outbox_id)])).await;
    assert_eq!(outcome["outcome"], "appended", "{outcome}");
    let t = ticket(&app, &d.student, n).await;
    assert_eq!(last_public(&t)["body"], "Hi,\n\nthanks, the study plan now shows the right exams.\n\nBest,\nJohn");

    // Apple Mail: attribution inside the `>` quote.
    let outcome = post_mail(&app, fixture("apple_mail.eml", &[("NUMBER", n), ("FROM", STUDENT)])).await;
    assert_eq!(outcome["outcome"], "appended", "{outcome}");
    let t = ticket(&app, &d.student, n).await;
    assert_eq!(last_public(&t)["body"], "Perfetto, grazie.\nHo un’ultima domanda: entro quando devo presentare il piano?\n\nLuca");

    // Outlook for iOS: HTML only; found by Delivered-To.
    let outcome = post_mail(&app, fixture("outlook_ios_html.eml", &[("NUMBER", n), ("FROM", STUDENT)])).await;
    assert_eq!(outcome["outcome"], "appended", "{outcome}");
    let t = ticket(&app, &d.student, n).await;
    assert_eq!(last_public(&t)["body"], "Scusate, un’ultima cosa: la scadenza è il 30 novembre?\n\nInviato da Outlook per iOS");

    // No quoted history anywhere in the thread.
    for m in public_messages(&t).iter().skip(2) {
        let body = m["body"].as_str().unwrap();
        for quoted in ["Sportello Internet", "Inviato:", "ha scritto", "wrote:", "Da: Help Desk", "\n>"] {
            assert!(!body.contains(quoted), "quoted history ({quoted}) left in {body:?}");
        }
    }
}

async fn attachments_are_checked_like_uploads(backend: Backend) {
    let app = with_key(backend).await;
    let d = desk(&app).await;
    let n = d.number.as_str();

    let outcome = post_mail(&app, fixture("gmail_pdf.eml", &[("NUMBER", n), ("FROM", STUDENT)])).await;
    assert_eq!(outcome["outcome"], "appended", "{outcome}");
    let t = ticket(&app, &d.student, n).await;
    let reply = last_public(&t);
    assert_eq!(reply["body"], "Buongiorno,\nin allegato il modulo firmato.\n\nMario");
    let files = reply["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{reply}");
    assert_eq!(files[0]["filename"], "modulo_piano_studi.pdf");
    assert_eq!(files[0]["content_type"], "application/pdf");
    let res = app.get(&format!("/api/v1/attachments/{}", files[0]["id"].as_str().unwrap()), Some(&d.student.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF-1.4"));

    // An executable named .pdf: dropped, and the reply says so; never a 500.
    let outcome = post_mail(&app, fixture("outlook_exe_as_pdf.eml", &[("NUMBER", n), ("FROM", STUDENT)])).await;
    assert_eq!(outcome["outcome"], "appended", "{outcome}");
    let t = ticket(&app, &d.agent, n).await;
    let reply = last_public(&t);
    let body = reply["body"].as_str().unwrap();
    assert!(body.starts_with("Ecco il certificato di iscrizione.\n\nMario Rossi\n\n["), "{body:?}");
    assert!(body.contains("certificato_iscrizione.pdf") && body.contains("PDF, JPEG or PNG"), "{body:?}");
    assert!(!body.contains("Messaggio originale"), "{body:?}");
    assert_eq!(reply["attachments"], json!([]));
    assert_eq!(t["attachments"].as_array().unwrap().len(), 1, "only the real PDF is kept");
}

async fn strangers_auto_replies_and_junk_are_quarantined(backend: Backend) {
    let app = with_key(backend).await;
    let d = desk(&app).await;
    let n = d.number.as_str();
    app.student("anna.verdi@studenti.unibg.it").await;
    let before = ticket(&app, &d.agent, n).await;

    let stranger = fixture("gmail_stranger.eml", &[("NUMBER", n), ("FROM", "luca.verdi@gmail.com")]);
    let outcome = post_mail(&app, stranger.clone()).await;
    assert_eq!(outcome["outcome"], "quarantined");
    assert_eq!(outcome["reason"], "unknown_sender");
    // Another student may not write into this ticket either.
    let outcome = post_mail(&app, fixture("gmail_stranger.eml", &[("NUMBER", n), ("FROM", "anna.verdi@studenti.unibg.it")])).await;
    assert_eq!(outcome["reason"], "unknown_sender");
    // The requester's out-of-office.
    let outcome = post_mail(&app, fixture("outlook_auto_reply.eml", &[("NUMBER", n), ("FROM", STUDENT)])).await;
    assert_eq!(outcome["reason"], "auto_reply");
    // No ticket to be found.
    let raw = format!("From: Mario Rossi <{STUDENT}>\r\nTo: helpdesk@localhost\r\nSubject: Una domanda\r\n\r\nBuongiorno, ho una domanda.\r\n");
    assert_eq!(post_mail(&app, raw.into_bytes()).await["reason"], "no_ticket");
    // Only the quoted history.
    let tag = reply_tag(n, STUDENT);
    let raw = format!(
        "From: {STUDENT}\r\nTo: helpdesk+{tag}@localhost\r\nSubject: Re: [{n}] Modifica piano di studio\r\n\r\n\
         On Mon, 23 Nov 2026 at 10:00, Help Desk <helpdesk@localhost> wrote:\r\n> Buongiorno\r\n"
    );
    assert_eq!(post_mail(&app, raw.into_bytes()).await["reason"], "empty");
    // Not a mail at all.
    let outcome = post_mail(&app, b"\x00\x01\x02 this is not a message".to_vec()).await;
    assert_eq!(outcome["reason"], "unparseable");

    // Nothing reached the ticket.
    let after = ticket(&app, &d.agent, n).await;
    assert_eq!(after["status"], "waiting_student");
    assert_eq!(after["messages"], before["messages"]);

    // Admins see them, newest first, with the raw message kept.
    let res = app.get("/api/v1/admin/quarantine", Some(&d.admin.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let list: Value = res.json().await.unwrap();
    let reasons: Vec<&str> = list.as_array().unwrap().iter().map(|q| q["reason"].as_str().unwrap().split(':').next().unwrap()).collect();
    assert_eq!(reasons, ["unparseable", "empty", "no_ticket", "auto_reply", "unknown_sender", "unknown_sender"]);
    let first = &list[5];
    assert_eq!(first["sender"], "luca.verdi@gmail.com");
    assert_eq!(first["ticket_number"], n);
    assert_eq!(first["subject"], format!("Re: [{n}] Modifica piano di studio"));
    let raw_path = first["raw_path"].as_str().unwrap();
    assert!(raw_path.ends_with(&format!("mail/quarantine/{}.eml", first["id"].as_str().unwrap())), "{raw_path}");
    assert_eq!(std::fs::read(raw_path).unwrap(), stranger);
    // And only admins.
    assert_eq!(app.get("/api/v1/admin/quarantine", Some(&d.student.token)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/admin/quarantine", None).await.status(), StatusCode::UNAUTHORIZED);
}

async fn staff_of_the_team_may_reply_by_mail(backend: Backend) {
    let app = with_key(backend).await;
    let d = desk(&app).await;
    let n = d.number.as_str();

    let outcome = post_mail(&app, fixture("gmail_it.eml", &[("NUMBER", n), ("FROM", AGENT)])).await;
    assert_eq!(outcome, json!({"outcome": "appended", "number": n}));
    let t = ticket(&app, &d.student, n).await;
    let reply = last_public(&t);
    assert_eq!(reply["author"]["id"], d.agent.id.as_str());
    assert!(reply["body"].as_str().unwrap().starts_with("Salve,"));
    assert_eq!(t["status"], "waiting_student", "a staff reply does not reopen");
    let to_student = app.outbox_for(STUDENT).await;
    assert_eq!(to_student.last().map(|(k, _)| k.as_str()), Some("staff_reply"));

    // Staff of another team are strangers here.
    app.staff(&d.admin, "omar@unibg.it", "agent", &["stranieri"]).await;
    let outcome = post_mail(&app, fixture("gmail_it.eml", &[("NUMBER", n), ("FROM", "omar@unibg.it")])).await;
    assert_eq!(outcome["reason"], "unknown_sender");
}

async fn a_reply_to_a_closed_ticket_opens_a_follow_up(backend: Backend) {
    let app = with_key(backend).await;
    let d = desk(&app).await;
    let n = d.number.as_str();
    set_status(&app, &d.agent, n, "resolved").await;
    set_status(&app, &d.student, n, "closed").await;
    let old = ticket(&app, &d.agent, n).await;

    // Thunderbird, format=flowed, `Il … ha scritto:`.
    let outcome = post_mail(&app, fixture("thunderbird_closed.eml", &[("NUMBER", n), ("FROM", STUDENT)])).await;
    assert_eq!(outcome["outcome"], "follow_up", "{outcome}");
    assert_eq!(outcome["old"], n);
    let new_number = outcome["new"].as_str().unwrap().to_owned();
    assert_ne!(new_number, n);
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(new_number, format!("HD-{year}-000002"));

    let new = ticket(&app, &d.student, &new_number).await;
    assert_eq!(new["subject"], "Re: Modifica piano di studio");
    assert_eq!(new["status"], "new");
    assert_eq!(new["category"], "segreteria");
    assert_eq!(new["fields"], old["fields"]);
    assert_eq!(new["requester"]["id"], d.student.id.as_str());
    // A mail acknowledges no privacy notice, whatever the first ticket did.
    assert_eq!((old["privacy_notice_version"].as_i64(), new["privacy_notice_version"].clone()), (Some(1), Value::Null));
    assert_eq!(
        new["messages"][0]["body"],
        "Buongiorno,\nscusate se scrivo ancora: il piano risulta di nuovo non approvato, potete controllare?\n\nMario"
    );
    let (new_id, old_id) = (new["id"].as_str().unwrap().to_owned(), d.ticket_id.clone());
    let follow_up_of: Option<String> = query(&app, move |conn| {
        use helpdesk::db::schema::tickets;
        tickets::table.find(new_id).select(tickets::follow_up_of).first(conn).unwrap()
    })
    .await;
    assert_eq!(follow_up_of, Some(old_id));

    // The old ticket stays closed and untouched, with an event pointing to the new one.
    let old_after = ticket(&app, &d.agent, n).await;
    assert_eq!(old_after["status"], "closed");
    assert_eq!(old_after["messages"], old["messages"]);
    let events: Value = app.get(&format!("/api/v1/tickets/{n}/events"), Some(&d.agent.token)).await.json().await.unwrap();
    assert!(events.as_array().unwrap().iter().any(|e| e["kind"] == "follow_up_opened" && e["data"]["number"] == new_number.as_str()), "{events}");
    let events: Value = app.get(&format!("/api/v1/tickets/{new_number}/events"), Some(&d.agent.token)).await.json().await.unwrap();
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "follow_up_of"]);
    assert_eq!(events[0]["data"]["follow_up_of"], n);
    assert_eq!(events[1]["data"]["number"], n);
    // The usual mails of a new ticket.
    let to_student = app.outbox_for(STUDENT).await;
    assert!(to_student.iter().any(|(k, p)| k == "ticket_created" && p["number"] == new_number.as_str()), "{to_student:?}");
    let to_agent = app.outbox_for(AGENT).await;
    assert!(to_agent.iter().any(|(k, p)| k == "team_new_ticket" && p["number"] == new_number.as_str()), "{to_agent:?}");

    // Staff replying by mail to a closed ticket: kept aside, no new ticket.
    let outcome = post_mail(&app, fixture("gmail_it.eml", &[("NUMBER", n), ("FROM", AGENT)])).await;
    assert_eq!(outcome["reason"], "ticket_closed");
}

/// `helpdesk ingest-mail` with `raw` on stdin: (exit code, stdout).
async fn ingest_cli(data_dir: &Path, database_url: &str, raw: Vec<u8>) -> (Option<i32>, String) {
    let (data_dir, database_url) = (data_dir.to_path_buf(), database_url.to_owned());
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
            .arg("ingest-mail")
            .env("HELPDESK_DATA_DIR", &data_dir)
            .env("HELPDESK_DATABASE_URL", &database_url)
            .env("HELPDESK_JWT_SECRET", String::from_utf8_lossy(TEST_JWT_SECRET).as_ref())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the helpdesk binary starts");
        child.stdin.take().unwrap().write_all(&raw).unwrap();
        let output = child.wait_with_output().unwrap();
        (output.status.code(), String::from_utf8(output.stdout).unwrap())
    })
    .await
    .unwrap()
}

async fn the_cli_reads_stdin_and_asks_for_a_retry_when_the_database_is_down(backend: Backend) {
    let (app, data_dir, url) = spawn_app_with_paths(backend, |_| {}).await;
    let d = desk(&app).await;
    let n = d.number.as_str();

    let (code, stdout) = ingest_cli(&data_dir, &url, fixture("outlook_it.eml", &[("NUMBER", n), ("FROM", STUDENT)])).await;
    assert_eq!(code, Some(0), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout:?}");
    let outcome: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(outcome, json!({"outcome": "appended", "number": n}));
    let t = ticket(&app, &d.agent, n).await;
    assert_eq!(t["status"], "open");
    assert!(last_public(&t)["body"].as_str().unwrap().starts_with("Buongiorno,\nho seguito le istruzioni"));

    // Quarantined is handled too (exit 0), the raw message under the data folder.
    let (code, stdout) = ingest_cli(&data_dir, &url, fixture("gmail_stranger.eml", &[("NUMBER", n), ("FROM", "luca.verdi@gmail.com")])).await;
    assert_eq!(code, Some(0), "{stdout}");
    let outcome: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(outcome["outcome"], "quarantined");
    assert_eq!(outcome["reason"], "unknown_sender");
    assert!(data_dir.join("mail/quarantine").join(format!("{}.eml", outcome["id"].as_str().unwrap())).is_file());

    // The database is unreachable: EX_TEMPFAIL, so the MTA keeps the message and retries.
    let down = "postgres://helpdesk@127.0.0.1:1/helpdesk";
    let (code, stdout) = ingest_cli(&data_dir, down, fixture("outlook_it.eml", &[("NUMBER", n), ("FROM", STUDENT)])).await;
    assert_eq!(code, Some(75), "{stdout}");
    assert_eq!(stdout, "");
}

async fn the_endpoint_wants_its_key(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.inbound_api_key = Some(KEY.into());
        s.max_message_bytes = 64 * 1024;
    })
    .await;
    let raw = b"From: a@b.it\r\nSubject: x\r\n\r\nbody\r\n".to_vec();
    let url = app.url("/api/v1/inbound-mail");
    let res = app.client.post(&url).body(raw.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app.client.post(&url).header("X-Api-Key", "inbound-key-for-the-tests-wrong").body(raw.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // The limit is the message limit plus 1 MiB for the encoding.
    let big = vec![b'a'; 64 * 1024 + 1024 * 1024 + 1];
    let res = app.client.post(&url).header("X-Api-Key", KEY).body(big).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let res = app.client.post(&url).header("X-Api-Key", KEY).body(raw.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["reason"], "no_ticket");

    // No key configured: the route answers as if it did not exist.
    let app = spawn_app(backend).await;
    let res = app.client.post(app.url("/api/v1/inbound-mail")).header("X-Api-Key", KEY).body(raw).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.json::<Value>().await.unwrap()["type"], "/problems/not-found");
}

async fn outbox_count(app: &TestApp, kind: &'static str) -> i64 {
    query(app, move |conn| {
        use helpdesk::db::schema::outbox;
        outbox::table.filter(outbox::kind.eq(kind)).count().get_result(conn).unwrap()
    })
    .await
}

async fn quarantined(app: &TestApp, admin: &Session) -> usize {
    let list: Value = app.get("/api/v1/admin/quarantine", Some(&admin.token)).await.json().await.unwrap();
    list.as_array().unwrap().len()
}

/// The same message again (an MTA retrying, the message piped and posted): the first outcome
/// with `duplicate: true`, and nothing appended, opened or quarantined a second time.
async fn the_same_message_twice_is_handled_once(backend: Backend) {
    let (app, data_dir, url) = spawn_app_with_paths(backend, |s| s.inbound_api_key = Some(KEY.into())).await;
    let d = desk(&app).await;
    let n = d.number.as_str();

    // A reply: appended once. The second delivery went through one more relay (a Received
    // line more); the Message-ID makes it the same message.
    let raw = fixture("outlook_it.eml", &[("NUMBER", n), ("FROM", STUDENT)]);
    let first = post_mail(&app, raw.clone()).await;
    assert_eq!(first, json!({"outcome": "appended", "number": n}));
    let replies = public_messages(&ticket(&app, &d.agent, n).await).len();
    let notified = outbox_count(&app, "student_reply").await;
    let mut relayed = b"Received: from relay.unibg.it by mx.localhost; Tue, 24 Nov 2026 09:20:00 +0100\r\n".to_vec();
    relayed.extend_from_slice(&raw);
    let again = post_mail(&app, relayed).await;
    assert_eq!(again, json!({"outcome": "appended", "number": n, "duplicate": true}));
    // And through the command: exit 0, the same answer.
    let (code, stdout) = ingest_cli(&data_dir, &url, raw).await;
    assert_eq!(code, Some(0), "{stdout}");
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap(), again);
    assert_eq!(public_messages(&ticket(&app, &d.agent, n).await).len(), replies, "a duplicate was appended");
    assert_eq!(outbox_count(&app, "student_reply").await, notified, "a duplicate notified the staff again");

    // The same Message-ID from someone else is another message (here: a stranger's).
    let forged = fixture("outlook_it.eml", &[("NUMBER", n), ("FROM", "luca.verdi@gmail.com")]);
    let outcome = post_mail(&app, forged).await;
    assert_eq!(outcome["reason"], "unknown_sender", "{outcome}");
    assert!(outcome.get("duplicate").is_none(), "{outcome}");

    // Quarantined once, with one raw file.
    let stranger = fixture("gmail_stranger.eml", &[("NUMBER", n), ("FROM", "luca.verdi@gmail.com")]);
    let before = quarantined(&app, &d.admin).await;
    let first = post_mail(&app, stranger.clone()).await;
    assert_eq!(first["outcome"], "quarantined");
    let again = post_mail(&app, stranger).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["duplicate"], true);
    assert_eq!(quarantined(&app, &d.admin).await, before + 1);
    assert_eq!(std::fs::read_dir(data_dir.join("mail/quarantine")).unwrap().count(), before + 1);

    // No Message-ID: the same bytes are the same message.
    let bare = format!("From: {STUDENT}\r\nTo: helpdesk+{}@localhost\r\nSubject: senza id\r\n\r\nUn messaggio senza Message-ID.\r\n", reply_tag(n, STUDENT));
    let first = post_mail(&app, bare.clone().into_bytes()).await;
    assert_eq!(first, json!({"outcome": "appended", "number": n}));
    let again = post_mail(&app, bare.into_bytes()).await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(public_messages(&ticket(&app, &d.agent, n).await).len(), replies + 1);

    // A reply to a closed ticket opens one follow-up, not two.
    set_status(&app, &d.agent, n, "resolved").await;
    set_status(&app, &d.student, n, "closed").await;
    let raw = fixture("thunderbird_closed.eml", &[("NUMBER", n), ("FROM", STUDENT)]);
    let first = post_mail(&app, raw.clone()).await;
    assert_eq!(first["outcome"], "follow_up", "{first}");
    let again = post_mail(&app, raw).await;
    assert_eq!((&again["new"], &again["duplicate"]), (&first["new"], &json!(true)));
    let tickets: i64 = query(&app, |conn| {
        use helpdesk::db::schema::tickets;
        tickets::table.count().get_result(conn).unwrap()
    })
    .await;
    assert_eq!(tickets, 2, "one ticket and one follow-up");
}

/// Several deliveries of one message at the same moment: one reply, the others duplicates.
async fn concurrent_deliveries_of_one_message_append_one_reply(backend: Backend) {
    let app = with_key(backend).await;
    let d = desk(&app).await;
    let n = d.number.as_str();
    let replies = public_messages(&ticket(&app, &d.agent, n).await).len();
    let raw = fixture("gmail_it.eml", &[("NUMBER", n), ("FROM", STUDENT)]);

    let outcomes = futures_util::future::join_all((0..4).map(|_| post_mail(&app, raw.clone()))).await;
    let firsts: Vec<&Value> = outcomes.iter().filter(|o| o.get("duplicate").is_none()).collect();
    assert_eq!(firsts.len(), 1, "{outcomes:?}");
    for outcome in &outcomes {
        assert_eq!((&outcome["outcome"], &outcome["number"]), (&json!("appended"), &json!(n)), "{outcome}");
    }
    let t = ticket(&app, &d.agent, n).await;
    assert_eq!(public_messages(&t).len(), replies + 1, "{:#?}", t["messages"]);
    let to_agent = app.outbox_for(AGENT).await;
    assert_eq!(to_agent.iter().filter(|(kind, _)| kind == "student_reply").count(), 1, "{to_agent:?}");
}
