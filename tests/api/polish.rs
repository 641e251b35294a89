//! Pages that behave as people expect (issue 16), over HTTP on both backends.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{spawn_app, spawn_app_with, Backend};
use crate::staff_pages::signed_in;
use serde_json::{json, Value};
use crate::portal::{browser, csrf_of, page, segreteria_form, sign_up, ticket_number_in};

both_backends!(
    the_request_sent_page_is_a_get_that_files_nothing_again,
    a_guest_form_keeps_its_files_across_errors_and_flags_all_fields,
    each_staff_action_sends_the_student_at_most_one_mail,
    the_staff_ticket_page_speaks_the_forms_language,
    the_console_lists_each_agent_once_and_topics_in_order,
    the_student_page_confirms_closing_links_addresses_and_states_the_real_period,
    admin_pages_say_what_was_saved,
);

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00];

/// The hidden `kept.<n>` fields of a page: (name, value).
fn kept_fields(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for chunk in html.split(r#"<input type="hidden" name="kept."#).skip(1) {
        let index = chunk.split('"').next().unwrap();
        let value = chunk.split(r#"value=""#).nth(1).unwrap().split('"').next().unwrap();
        out.push((format!("kept.{index}"), value.to_owned()));
    }
    out
}

fn credenziali_form(csrf: &str, name: &str, email: &str) -> Form {
    Form::new()
        .text("csrf", csrf.to_owned())
        .text("category", "credenziali")
        .text("privacy_notice_version", "1")
        .text("guest_name", name.to_owned())
        .text("guest_email", email.to_owned())
        .text("subject", "Primo accesso")
        .text("body", "Non ho mai ricevuto le credenziali.")
        .text("f.full_name", name.to_owned())
        .text("f.codice_fiscale", "RSSMRA85T10A562S")
        .text("f.birth_date", "1985-12-10")
        .text("f.situation", "first-access")
}

async fn the_request_sent_page_is_a_get_that_files_nothing_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = sign_up(&app, "prg@studenti.unibg.it").await;
    let (_, html) = page(&client, &app, "/tickets/new?category=segreteria").await;
    let form = segreteria_form(&csrf_of(&html), "Una sola volta", "1012345", "Ingegneria");
    let res = client.post(app.url("/tickets/new")).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let sent = res.url().clone();
    assert_eq!(sent.path(), "/tickets/new/sent", "the POST answered with a redirect");
    let number = ticket_number_in(&res.text().await.unwrap());

    // A refresh loads the same page: the same number, no second ticket.
    for _ in 0..2 {
        let res = client.get(sent.clone()).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert_eq!(ticket_number_in(&html), number);
        assert!(html.contains("Richiesta inviata") || html.contains("inviata"), "{html}");
    }
    let (_, list) = page(&client, &app, "/tickets").await;
    assert_eq!(list.matches(&number).count().min(1), 1);
    assert!(!list.contains(&format!("{}2", &number[..13])), "no second ticket: {list}");

    // The page is this browser's: another browser, or a forged proof, gets the 404 page.
    let stranger = browser();
    let res = stranger.get(sent.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let forged = app.url(&format!("/tickets/new/sent?n={number}&k=AAAA"));
    assert_eq!(client.get(&forged).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let res = client.get(app.url("/tickets/new/sent?n=nonsense&k=x")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn a_guest_form_keeps_its_files_across_errors_and_flags_all_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let guest = browser();
    let (_, html) = page(&guest, &app, "/tickets/new?category=credenziali").await;
    // First try: the front of the document, no back, no name, a wrong address: every problem at once.
    let form = credenziali_form(&csrf_of(&html), "", "not-an-address")
        .part("id_front", Part::bytes(JPEG.to_vec()).file_name("fronte.jpg").mime_str("image/jpeg").unwrap());
    let res = guest.post(app.url("/tickets/new")).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    for anchor in ["#guest-email", "#guest-name", "#a-id_back"] {
        assert!(html.contains(&format!(r#"href="{anchor}""#)), "{anchor} flagged with the others: {html}");
    }
    assert!(!html.contains(r##"href="#a-id_front""##), "the front was chosen");
    assert!(html.contains("Già allegato: <strong>fronte.jpg</strong>"), "{html}");
    let kept = kept_fields(&html);
    assert_eq!(kept.len(), 1);

    // Second try: name, address and the back; the front comes from the first try.
    let mut form = credenziali_form(&csrf_of(&html), "Mario Rossi", "mario.rossi@example.org")
        .part("id_back", Part::bytes(JPEG.to_vec()).file_name("retro.jpg").mime_str("image/jpeg").unwrap());
    for (name, value) in &kept {
        form = form.text(name.clone(), value.clone());
    }
    let res = guest.post(app.url("/tickets/new")).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let number = ticket_number_in(&res.text().await.unwrap());
    let admin = app.admin().await;
    let ticket: serde_json::Value = app.get(&format!("/api/v1/tickets/{number}"), Some(&admin.token)).await.json().await.unwrap();
    let mut files: Vec<&str> = ticket["attachments"].as_array().unwrap().iter().map(|a| a["filename"].as_str().unwrap()).collect();
    files.sort();
    assert_eq!(files, ["fronte.jpg", "retro.jpg"], "{ticket}");

    // A kept file is this browser's only, and "rimuovi" drops it.
    let (_, html) = page(&guest, &app, "/tickets/new?category=credenziali").await;
    let form = credenziali_form(&csrf_of(&html), "", "x")
        .part("id_front", Part::bytes(JPEG.to_vec()).file_name("fronte.jpg").mime_str("image/jpeg").unwrap());
    let html = guest.post(app.url("/tickets/new")).multipart(form).send().await.unwrap().text().await.unwrap();
    let kept = kept_fields(&html);
    let stranger = browser();
    let (_, other) = page(&stranger, &app, "/tickets/new?category=credenziali").await;
    let mut form = credenziali_form(&csrf_of(&other), "Eva", "eva@example.org")
        .part("id_back", Part::bytes(JPEG.to_vec()).file_name("retro.jpg").mime_str("image/jpeg").unwrap());
    for (name, value) in &kept {
        form = form.text(name.clone(), value.clone());
    }
    let res = stranger.post(app.url("/tickets/new")).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "another browser's kept file is not taken");
    let mut form = credenziali_form(&csrf_of(&html), "Eva", "eva@example.org")
        .part("id_back", Part::bytes(JPEG.to_vec()).file_name("retro.jpg").mime_str("image/jpeg").unwrap())
        .text("drop.0", "on");
    for (name, value) in &kept {
        form = form.text(name.clone(), value.clone());
    }
    let res = guest.post(app.url("/tickets/new")).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "the removed front is missing again");
    assert!(res.text().await.unwrap().contains(r##"href="#a-id_front""##));
}

/// The kinds of the notifications queued for the student since `seen`.
async fn mails_since(app: &crate::helpers::TestApp, email: &str, seen: &mut usize) -> Vec<(String, Value)> {
    let all = app.outbox_for(email).await;
    let new = all[*seen..].to_vec();
    *seen = all.len();
    new
}

async fn each_staff_action_sends_the_student_at_most_one_mail(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "agente.mail@unibg.it", "agent", &["segreteria"]).await;
    let student = app.student("una.mail@studenti.unibg.it").await;
    let email = "una.mail@studenti.unibg.it";
    let ticket = app.open_ticket(&student, "Una mail per volta").await;
    let number = ticket["number"].as_str().unwrap();
    let mut seen = app.outbox_for(email).await.len();

    // A reply that also waits for the student: one mail, the reply, saying it waits.
    let path = format!("/api/v1/tickets/{number}/messages");
    let res = app.post(&path, Some(&agent.token), &json!({"body": "Ci manca il modulo firmato.", "status": "waiting_student"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let mails = mails_since(&app, email, &mut seen).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].0, "staff_reply");
    assert_eq!(mails[0].1["waiting"], true);

    // Assigning: no mail to the student (and a new ticket would be opened).
    let view: Value = app.get(&format!("/api/v1/tickets/{number}"), Some(&agent.token)).await.json().await.unwrap();
    let res = app.patch(&format!("/api/v1/tickets/{number}"), &agent.token, &json!({"version": view["version"], "assignee": agent.id})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(mails_since(&app, email, &mut seen).await.is_empty());

    // The student answers; a reply that resolves: one mail.
    let res = app.post(&path, Some(&student.token), &json!({"body": "Ecco il modulo."})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app.post(&path, Some(&agent.token), &json!({"body": "Tutto a posto.", "status": "resolved"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let mails = mails_since(&app, email, &mut seen).await;
    assert_eq!(mails.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["staff_reply"]);
    assert_eq!(mails[0].1["resolved"], true);

    // A status change alone: its own one mail.
    let view: Value = app.get(&format!("/api/v1/tickets/{number}"), Some(&agent.token)).await.json().await.unwrap();
    let res = app.patch(&format!("/api/v1/tickets/{number}"), &agent.token, &json!({"version": view["version"], "status": "closed"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let mails = mails_since(&app, email, &mut seen).await;
    assert_eq!(mails.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["ticket_closed"]);
}

async fn the_staff_ticket_page_speaks_the_forms_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    app.staff(&admin, "laura.form@unibg.it", "agent", &["it"]).await;
    let student = app.student("cred@studenti.unibg.it").await;
    let body = json!({"category": "credenziali", "privacy_notice_version": 1, "subject": "Password dimenticata", "body": "Non ricordo la password.",
        "fields": {"full_name": "Mario Rossi", "codice_fiscale": "RSSMRA85T10A562S", "birth_date": "1985-12-10", "situation": "forgotten-password"}});
    let res = app.post("/api/v1/tickets", Some(&student.token), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let number = res.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();
    let url = format!("/staff/tickets/{number}");
    let agent = signed_in(&app, "laura.form@unibg.it", "agent-password").await;

    // "Assegna a me" on a new ticket opens it; the thread says so in words.
    let (_, html) = page(&agent, &app, &url).await;
    let version = {
        let at = html.find(r#"name="version" value=""#).unwrap() + r#"name="version" value=""#.len();
        html[at..].split('"').next().unwrap().to_owned()
    };
    let res = agent
        .post(app.url(&format!("{url}/update")))
        .form(&[("csrf", csrf_of(&html).as_str()), ("version", version.as_str()), ("take", "me")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let api: Value = app.get(&format!("/api/v1/tickets/{number}"), Some(&admin.token)).await.json().await.unwrap();
    assert_eq!(api["status"], "open");
    assert!(html.contains("Stato: Nuova → In lavorazione"), "{html}");
    assert!(!html.contains("new → open"));

    // The form's answers with the form's labels and option labels, dates as dates.
    assert!(html.contains("<dt>Codice fiscale</dt>"), "{html}");
    assert!(html.contains("Password dimenticata") && !html.contains("<dd>forgotten-password</dd>"), "{html}");
    assert!(html.contains("<dd>10/12/1985</dd>") && !html.contains("<dt>birth_date</dt>"), "{html}");

    // Staff see the console's menu, not the student's.
    assert!(!html.contains(r#"href="/tickets/new""#) && !html.contains(r#"href="/procedures""#), "no student menu");
    assert!(html.contains(r#"href="/staff/reports""#));

    // "Usa nel messaggio" without JavaScript keeps the draft and adds the response.
    let res = app.post("/api/v1/canned-responses", Some(&admin.token),
        &json!({"title": "Saluti", "body_it": "Cordiali saluti, {{agent_name}}", "body_en": "Kind regards, {{agent_name}}"})).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let (_, html) = page(&agent, &app, &url).await;
    assert!(html.contains(r#"src="/static/staff-canned.js""#) && html.contains(r#"id="canned-box""#));
    let option = html.find(r#"">Saluti</option>"#).expect("the new response is offered");
    let id = html[..option].rsplit('"').next().unwrap().to_owned();
    let form = Form::new().text("csrf", csrf_of(&html)).text("body", "Buongiorno, la pratica è avviata.").text("canned", id).text("status", "");
    let res = agent.post(app.url(&format!("{url}/canned"))).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Buongiorno, la pratica è avviata.\n\nCordiali saluti, laura.form@unibg.it"), "{html}");
    let api: Value = app.get(&format!("/api/v1/tickets/{number}"), Some(&admin.token)).await.json().await.unwrap();
    assert_eq!(api["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == "public").count(), 1, "nothing was sent");
}

async fn the_console_lists_each_agent_once_and_topics_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    app.staff(&admin, "doppia@unibg.it", "agent", &["segreteria", "stranieri"]).await;
    let student = app.student("qualcuno@studenti.unibg.it").await;
    app.open_ticket(&student, "Da assegnare").await;
    let agent = signed_in(&app, "doppia@unibg.it", "agent-password").await;
    let (_, first) = page(&agent, &app, "/staff?queue=unassigned").await;
    let bulk = &first[first.find(r#"id="bulk-assignee""#).unwrap()..];
    let bulk = &bulk[..bulk.find("</select>").unwrap()];
    assert_eq!(bulk.matches("doppia@unibg.it").count(), 1, "{bulk}");
    let topics = |html: &str| {
        let at = html.find(r#"id="qf-category""#).unwrap();
        let list = &html[at..];
        list[..list.find("</select>").unwrap()].to_owned()
    };
    for _ in 0..3 {
        let (_, again) = page(&agent, &app, "/staff?queue=unassigned").await;
        assert_eq!(topics(&again), topics(&first), "the same order at every load");
    }
    // The number cell never wraps.
    assert!(first.contains(r#"class="num""#));
}

async fn the_student_page_confirms_closing_links_addresses_and_states_the_real_period(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.jobs.auto_close_days = 3).await;
    let client = sign_up(&app, "lina@studenti.unibg.it").await;
    let number = crate::portal::open_segreteria(&app, &client, "Link e chiusura").await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "agente.link@unibg.it", "agent", &["segreteria"]).await;
    let api = format!("/api/v1/tickets/{number}");
    let reply = "Vedi https://www.unibg.it/studenti?a=1&b=2. Non questo: javascript:alert(1) <b>x</b> \"https://x.it/\"onmouseover=alert(1)";
    let res = app.post(&format!("{api}/messages"), Some(&agent.token), &json!({"body": reply, "status": "resolved"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let (_, html) = page(&client, &app, &format!("/tickets/{number}")).await;
    assert!(
        html.contains(r#"<a href="https://www.unibg.it/studenti?a=1&amp;b=2" rel="noopener noreferrer nofollow">"#),
        "the address is a link: {html}"
    );
    assert!(html.contains("javascript:alert(1) &lt;b&gt;x&lt;/b&gt;"), "the rest stays text");
    assert!(!html.contains(r#"href="javascript"#) && !html.contains("<b>x</b>") && !html.contains(r#"" onmouseover"#));
    // The reopening period is the desk's auto-close setting, not a number of its own.
    assert!(html.contains("3 giorni") && !html.contains("14 giorni"), "{html}");

    // A rating without stars: the error at the form, focused.
    let res = client.post(app.url(&format!("/tickets/{number}/rating"))).form(&[("csrf", csrf_of(&html).as_str()), ("comment", "ok")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = res.text().await.unwrap();
    assert!(refused.contains(r#"id="rate-error""#) && refused.contains(r#"value="5" autofocus"#), "{refused}");

    // Closing asks for confirmation; confirmed, the notice links to a new request.
    let version = html.split(r#"name="version" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    let res = client
        .post(app.url(&format!("/tickets/{number}/status")))
        .form(&[("csrf", csrf_of(&html).as_str()), ("action", "close"), ("version", version.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains(r#"id="close-error""#));
    let res = client
        .post(app.url(&format!("/tickets/{number}/status")))
        .form(&[("csrf", csrf_of(&html).as_str()), ("action", "close"), ("version", version.as_str()), ("confirm", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<a href="/tickets/new">apri una nuova richiesta</a>"#), "{html}");
    let seen: Value = app.get(&api, Some(&agent.token)).await.json().await.unwrap();
    assert_eq!(seen["status"], "closed");
}

/// The OpenAPI document: every operation id once (generated clients name methods by them), and
/// valid OpenAPI by `openapi-spec-validator` (PyPI; scripts/test.sh installs it and sets
/// HELPDESK_TEST_OPENAPI_VALIDATOR=1, which makes a missing validator a failure).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_valid_and_its_operation_ids_unique() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc: Value = app.get("/api/v1/openapi.json", None).await.json().await.unwrap();
    let mut ids: Vec<String> = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(!ids.contains(&id.to_owned()), "operationId {id} ({method} {path}) is not unique");
            ids.push(id.to_owned());
        }
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), doc.to_string()).unwrap();
    let run = std::process::Command::new("python3").args(["-m", "openapi_spec_validator"]).arg(file.path()).output();
    let required = std::env::var("HELPDESK_TEST_OPENAPI_VALIDATOR").is_ok_and(|v| v == "1");
    match run {
        Ok(out) if out.status.success() => {}
        Ok(out) if required || !String::from_utf8_lossy(&out.stderr).contains("No module named") => panic!(
            "openapi-spec-validator refused the document:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Ok(_) | Err(_) if !required => eprintln!("openapi-spec-validator is not installed: run scripts/test.sh"),
        other => panic!("openapi-spec-validator could not run: {other:?}"),
    }
}

async fn admin_pages_say_what_was_saved(backend: Backend) {
    let app = spawn_app(backend).await;
    app.admin().await;
    let admin = signed_in(&app, "admin@unibg.it", "admin-password").await;
    let (_, html) = page(&admin, &app, "/staff/admin/hours/segreteria?saved=1").await;
    assert!(html.contains(r#"<div class="notice notice-ok" role="status"><p>Modifiche salvate. <strong>"#), "a success box naming the page: {html}");
    let (_, html) = page(&admin, &app, "/staff/admin/hours").await;
    assert!(html.contains(r#"<th scope="col">Ufficio</th>"#) && !html.contains(r#"<th scope="col">Uffici e operatori</th>"#), "{html}");
}
