//! Trust before access: each attack found in the review, tried as the attacker would, on SQLite
//! and PostgreSQL. Who proves what: a mailbox by following a link mailed to it; a reply by mail
//! by the token in the address the desk mailed; a browser's write by a token bound to its
//! session; an agent's reach by a ticket the agent can see.

use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{reply_tag, spawn_app, spawn_app_with, Backend, TestApp};
use crate::portal::{browser, csrf_of, page};

both_backends!(
    registering_a_guests_address_opens_nothing,
    an_address_registered_in_advance_collects_nothing,
    a_guest_ticket_with_a_students_address_stays_apart,
    mail_without_the_recipients_token_is_quarantined,
    a_trusted_mtas_dmarc_failure_is_quarantined,
    mailed_links_sign_in_only_by_their_pages_post_and_never_staff,
    cookie_writes_to_the_api_need_the_sessions_csrf_header,
    a_page_token_is_bound_to_its_session,
    agents_reach_procedures_only_through_their_tickets,
    a_guest_link_unused_too_long_stops_and_a_fresh_one_works,
    files_of_refused_requests_are_swept,
);

const VICTIM: &str = "giulia.neri@example.org";
const JPEG: [u8; 14] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00];

/// A guest's credentials ticket with the scans of her ID; answers (number, secret).
async fn guest_credentials_ticket(app: &TestApp, email: &str) -> (String, String) {
    let ticket = json!({"category": "credenziali", "privacy_notice_version": 1, "subject": "Credenziali mai ricevute", "body": "Non ho mai ricevuto le credenziali.",
        "fields": {"full_name": "Giulia Neri", "codice_fiscale": "RSSMRA85T10A562S",
                   "birth_date": "1985-12-10", "situation": "never-received"},
        "guest": {"email": email, "name": "Giulia Neri"}});
    let form = Form::new()
        .text("ticket", ticket.to_string())
        .part("id_front", Part::bytes(JPEG.to_vec()).file_name("fronte.jpg"))
        .part("id_back", Part::bytes(JPEG.to_vec()).file_name("retro.jpg"));
    let res = app.client.post(app.url("/api/v1/tickets")).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let number = res.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();
    let link = app.mailed_link(email, "guest_verify", Some(&number)).await;
    let secret = link.split("secret=").nth(1).unwrap().to_owned();
    (number, secret)
}

async fn register(app: &TestApp, email: &str, password: &str) -> StatusCode {
    let body = json!({"email": email, "password": password, "display_name": "Chiunque"});
    app.post("/api/v1/auth/register", None, &body).await.status()
}

async fn login_status(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.post("/api/v1/auth/login", None, &json!({"email": email, "password": password})).await.status()
}

/// Signs in by a mailed sign-in link (what only the mailbox's owner can do); the token.
async fn sign_in_by_link(app: &TestApp, email: &str) -> String {
    assert_eq!(app.post("/api/v1/auth/sign-in-link", None, &json!({"email": email})).await.status(), StatusCode::ACCEPTED);
    let token = app.mailed_token(email, "sign_in_link").await;
    let res = app.post("/api/v1/auth/sign-in-link/redeem", None, &json!({"token": token})).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

async fn registering_a_guests_address_opens_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (number, secret) = guest_credentials_ticket(&app, VICTIM).await;
    assert_eq!(app.post(&format!("/api/v1/tickets/{number}/verify"), None, &json!({"secret": secret})).await.status(), StatusCode::OK);

    // The attacker registers her address: accepted, but it proves nothing.
    assert_eq!(register(&app, VICTIM, "attacker-password").await, StatusCode::CREATED);
    assert_eq!(login_status(&app, VICTIM, "attacker-password").await, StatusCode::FORBIDDEN, "an unverified account cannot sign in");
    // The verification link went to her mailbox, not to the attacker.
    let kinds: Vec<String> = app.outbox_for(VICTIM).await.into_iter().map(|(k, _)| k).collect();
    assert!(kinds.contains(&"verify_email".to_owned()), "{kinds:?}");

    // She signs in by a link mailed to her: her ticket and its scans are hers, the attacker's
    // password is gone with the proof.
    let token = sign_in_by_link(&app, VICTIM).await;
    let ticket: Value = app.get(&format!("/api/v1/tickets/{number}"), Some(&token)).await.json().await.unwrap();
    let scan = ticket["messages"][0]["attachments"][0]["url"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&scan, Some(&token)).await.status(), StatusCode::OK);
    assert_eq!(login_status(&app, VICTIM, "attacker-password").await, StatusCode::UNAUTHORIZED);
    // The verification link the attacker's registration mailed no longer confirms anything.
    let stale = app.mailed_token(VICTIM, "verify_email").await;
    assert_eq!(app.post("/api/v1/auth/verify-email", None, &json!({"token": stale})).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(login_status(&app, VICTIM, "attacker-password").await, StatusCode::UNAUTHORIZED);
}

async fn an_address_registered_in_advance_collects_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(register(&app, VICTIM, "attacker-password").await, StatusCode::CREATED);
    let (number, secret) = guest_credentials_ticket(&app, VICTIM).await;
    // Before and after her confirmation, the attacker's password opens nothing.
    assert_eq!(login_status(&app, VICTIM, "attacker-password").await, StatusCode::FORBIDDEN);
    assert_eq!(app.post(&format!("/api/v1/tickets/{number}/verify"), None, &json!({"secret": secret})).await.status(), StatusCode::OK);
    assert_eq!(login_status(&app, VICTIM, "attacker-password").await, StatusCode::UNAUTHORIZED);
    // A second registration does not help either: it waits for a link only she gets.
    assert_eq!(register(&app, VICTIM, "attacker-password-2").await, StatusCode::CREATED);
    assert_eq!(login_status(&app, VICTIM, "attacker-password-2").await, StatusCode::FORBIDDEN);
    // Her own registration, confirmed from her mailbox, works; only the newest link does.
    assert_eq!(register(&app, VICTIM, "her-own-password").await, StatusCode::CREATED);
    app.verify_address(VICTIM).await;
    let session = app.login(VICTIM, "her-own-password").await;
    let list: Value = app.get("/api/v1/tickets", Some(&session.token)).await.json().await.unwrap();
    assert_eq!(list["items"][0]["number"], number.as_str());
    assert_eq!(login_status(&app, VICTIM, "attacker-password-2").await, StatusCode::UNAUTHORIZED);
    // Now the address is proven with a password: registering it again is a conflict.
    assert_eq!(register(&app, VICTIM, "attacker-password-3").await, StatusCode::CONFLICT);
}

async fn a_guest_ticket_with_a_students_address_stays_apart(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("paola@studenti.unibg.it").await;
    // A stranger opens a guest ticket with her address.
    let (number, secret) = guest_credentials_ticket(&app, "paola@studenti.unibg.it").await;
    let list: Value = app.get("/api/v1/tickets", Some(&student.token)).await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty(), "not in her list: {list}");
    assert_eq!(app.get(&format!("/api/v1/tickets/{number}"), Some(&student.token)).await.status(), StatusCode::NOT_FOUND);
    // She is only asked to confirm (no "we received your request" with the stranger's text).
    let kinds: Vec<String> = app.outbox_for("paola@studenti.unibg.it").await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds.last().map(String::as_str), Some("guest_verify"));
    assert!(!kinds.contains(&"ticket_created".to_owned()));
    // Following the link proves it was her: then it is in her list.
    assert_eq!(app.post(&format!("/api/v1/tickets/{number}/verify"), None, &json!({"secret": secret})).await.status(), StatusCode::OK);
    let list: Value = app.get("/api/v1/tickets", Some(&student.token)).await.json().await.unwrap();
    assert_eq!(list["items"][0]["number"], number.as_str());
}

const INBOUND_KEY: &str = "inbound-key-for-the-trust-tests-0123";

async fn post_mail(app: &TestApp, raw: String) -> Value {
    let res = app.client.post(app.url("/api/v1/inbound-mail")).header("X-Api-Key", INBOUND_KEY).body(raw).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn thread_len(app: &TestApp, path: &str, token: &str) -> usize {
    app.get(path, Some(token)).await.json::<Value>().await.unwrap()["messages"].as_array().unwrap().len()
}

fn mail(from: &str, tag: &str, subject: &str, body: &str, extra: &str) -> String {
    let id = uuid::Uuid::new_v4();
    format!("{extra}From: {from}\r\nTo: helpdesk+{tag}@localhost\r\nSubject: {subject}\r\nMessage-ID: <{id}@mail.example>\r\n\r\n{body}\r\n")
}

async fn mail_without_the_recipients_token_is_quarantined(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.inbound_api_key = Some(INBOUND_KEY.into())).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let student = app.student("mario@studenti.unibg.it").await;
    let number = app.open_ticket(&student, "Piano di studio").await["number"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/tickets/{number}");
    let before = thread_len(&app, &path, &agent.token).await;

    // "From" the student to the sequential number: not appended; she is told once.
    let forged = mail("mario@studenti.unibg.it", &number, &format!("Re: [{number}]"), "Annullate la mia richiesta.", "");
    let outcome = post_mail(&app, forged.clone()).await;
    assert_eq!((outcome["outcome"].as_str(), outcome["reason"].as_str()), (Some("quarantined"), Some("no_reply_token")), "{outcome}");
    let forged_again = mail("mario@studenti.unibg.it", &number, "Ancora", "Annullate tutto.", "");
    assert_eq!(post_mail(&app, forged_again).await["reason"], "no_reply_token");
    let told = app.outbox_for("mario@studenti.unibg.it").await.into_iter().filter(|(k, _)| k == "reply_refused").count();
    assert_eq!(told, 1, "the student is told once, not once per forged mail");

    // "From" an agent: never a staff reply to the student without the agent's own token.
    let other = app.open_ticket(&student, "Altra domanda").await["number"].as_str().unwrap().to_owned();
    let mails_before = app.outbox_for("mario@studenti.unibg.it").await.len();
    let as_agent = mail("laura@unibg.it", &number, &format!("Re: [{number}]"), "La sua pratica è respinta.", "");
    assert_eq!(post_mail(&app, as_agent).await["reason"], "no_reply_token");
    // Nor with the student's token: a token is for the recipient it was mailed to.
    let stolen = mail("laura@unibg.it", &reply_tag(&number, "mario@studenti.unibg.it"), "Re", "La sua pratica è respinta.", "");
    assert_eq!(post_mail(&app, stolen).await["reason"], "no_reply_token");
    // Nor a token for another ticket.
    let wrong_ticket = format!("{number}.{}", reply_tag(&other, "laura@unibg.it").split_once('.').unwrap().1);
    assert_eq!(post_mail(&app, mail("laura@unibg.it", &wrong_ticket, "Re", "x", "")).await["reason"], "no_reply_token");
    assert_eq!(thread_len(&app, &path, &agent.token).await, before, "nothing reached the ticket");
    assert_eq!(app.outbox_for("mario@studenti.unibg.it").await.len(), mails_before, "nothing was mailed to the student");

    // The real replies, each from the recipient of the token, land.
    let reply = mail("laura@unibg.it", &reply_tag(&number, "laura@unibg.it"), "Re", "Può farlo dallo Sportello Internet.", "");
    assert_eq!(post_mail(&app, reply).await["outcome"], "appended");
    let reply = mail("Mario <MARIO@studenti.unibg.it>", &reply_tag(&number, "mario@studenti.unibg.it").to_uppercase(), "Re", "Grazie!", "");
    assert_eq!(post_mail(&app, reply).await, json!({"outcome": "appended", "number": number}));
    let t: Value = app.get(&path, Some(&agent.token)).await.json().await.unwrap();
    let public: Vec<&str> = t["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == "public").map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(public[1..], ["Può farlo dallo Sportello Internet.", "Grazie!"]);
}

async fn a_trusted_mtas_dmarc_failure_is_quarantined(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.inbound_api_key = Some(INBOUND_KEY.into());
        s.mail_authserv_id = Some("mx.unibg.it".into());
    })
    .await;
    let student = app.student("mario@studenti.unibg.it").await;
    let number = app.open_ticket(&student, "Piano di studio").await["number"].as_str().unwrap().to_owned();
    let tag = reply_tag(&number, "mario@studenti.unibg.it");
    // Even with the right token (a stolen mail, say): the MTA says the domain disowns the sender.
    let failed = "Authentication-Results: mx.unibg.it; spf=fail smtp.mailfrom=studenti.unibg.it;\r\n dmarc=fail (p=reject) header.from=studenti.unibg.it\r\n";
    let outcome = post_mail(&app, mail("mario@studenti.unibg.it", &tag, "Re", "Annullate.", failed)).await;
    assert_eq!(outcome["reason"], "forged", "{outcome}");
    // The sender's own "Authentication-Results" is no verdict, and a pass is a pass.
    let planted = "Authentication-Results: mx.unibg.it.evil.example; dmarc=fail\r\n";
    assert_eq!(post_mail(&app, mail("mario@studenti.unibg.it", &tag, "Re", "Uno.", planted)).await["outcome"], "appended");
    let passed = "Authentication-Results: mx.unibg.it; dmarc=pass header.from=studenti.unibg.it\r\n";
    assert_eq!(post_mail(&app, mail("mario@studenti.unibg.it", &tag, "Re", "Due.", passed)).await["outcome"], "appended");
}

async fn mailed_links_sign_in_only_by_their_pages_post_and_never_staff(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    app.student("sara@studenti.unibg.it").await;

    // Staff ask for a link: the same answer, and no mail.
    assert_eq!(app.post("/api/v1/auth/sign-in-link", None, &json!({"email": "laura@unibg.it"})).await.status(), StatusCode::ACCEPTED);
    assert_eq!(app.post("/api/v1/auth/sign-in-link", None, &json!({"email": "admin@unibg.it"})).await.status(), StatusCode::ACCEPTED);
    assert!(app.outbox_for("laura@unibg.it").await.iter().all(|(k, _)| k != "sign_in_link"));
    assert!(app.outbox_for("admin@unibg.it").await.iter().all(|(k, _)| k != "sign_in_link"));

    // A page of another site sends the victim's browser to the attacker's link: nothing signs in.
    assert_eq!(app.post("/api/v1/auth/sign-in-link", None, &json!({"email": "sara@studenti.unibg.it"})).await.status(), StatusCode::ACCEPTED);
    let token = app.mailed_token("sara@studenti.unibg.it", "sign_in_link").await;
    let victim = browser();
    let res = victim.get(app.url(&format!("/sign-in/link?token={token}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("hd_session")), "no session from a GET");
    // Nor does a cross-site form POST (no page token), nor one the browser marks cross-site.
    let res = victim.post(app.url("/sign-in/link/confirm")).form(&[("token", token.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, html) = page(&victim, &app, &format!("/sign-in/link?token={token}")).await;
    let res = victim
        .post(app.url("/sign-in/link/confirm"))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("csrf", csrf_of(&html).as_str()), ("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = victim.get(app.url("/tickets")).send().await.unwrap();
    assert_eq!(res.url().path(), "/sign-in", "still nobody");
}

async fn cookie_writes_to_the_api_need_the_sessions_csrf_header(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("luca@studenti.unibg.it").await;
    let number = app.open_ticket(&student, "Tasse").await["number"].as_str().unwrap().to_owned();
    let messages = app.url(&format!("/api/v1/tickets/{number}/messages"));
    // A browser signed in by the cookie the login set.
    let browser = Client::builder().cookie_store(true).build().unwrap();
    let res = browser.post(app.url("/api/v1/auth/login")).json(&json!({"email": "luca@studenti.unibg.it", "password": "password-123"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let login: Value = res.json().await.unwrap();
    let form = || Form::new().text("message", json!({"body": "Scritto da un'altra pagina"}).to_string());

    // The cross-site multipart form of the review: only the cookie. Refused.
    let res = browser.post(&messages).multipart(form()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Another session's token is worth nothing here.
    let res = browser.post(&messages).header("X-CSRF-Token", app.student_csrf(&student).await).multipart(form()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The session's own token (from the login answer, or /me) passes…
    let me: Value = browser.get(app.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["csrf_token"], login["csrf_token"]);
    assert_eq!(me["email"], "luca@studenti.unibg.it");
    let token = login["csrf_token"].as_str().unwrap();
    let res = browser.post(&messages).header("X-CSRF-Token", token).multipart(form()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // …unless the browser says another site sent it.
    let res = browser.post(&messages).header("X-CSRF-Token", token).header("Origin", "https://evil.example").multipart(form()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Bearer clients are no browsers: no header needed.
    let res = app.client.post(&messages).bearer_auth(&student.token).multipart(form()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // A stale cookie on a public route is nobody, not an error.
    let stale = Client::builder().default_headers({
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("cookie", "hd_session=not.a.token".parse().unwrap());
        h
    }).build().unwrap();
    assert_eq!(stale.get(app.url("/api/v1/categories")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(stale.get(app.url("/")).send().await.unwrap().status(), StatusCode::OK);
}

async fn a_page_token_is_bound_to_its_session(backend: Backend) {
    let app = spawn_app(backend).await;
    app.student("marta@studenti.unibg.it").await;
    // The old double submit: a cookie the attacker planted and the same value in the form.
    let planted = "A".repeat(43);
    let attacker = Client::builder().default_headers({
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("cookie", format!("hd_csrf={planted}").parse().unwrap());
        h
    }).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = attacker
        .post(app.url("/sign-in"))
        .form(&[("csrf", planted.as_str()), ("email", "marta@studenti.unibg.it"), ("password", "password-123"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A token from one session does not work in another.
    let one = browser();
    let (_, html) = page(&one, &app, "/sign-in").await;
    let res = one.post(app.url("/sign-in")).form(&[("csrf", csrf_of(&html).as_str()), ("email", "marta@studenti.unibg.it"), ("password", "password-123"), ("next", "/")]).send().await.unwrap();
    assert_eq!(res.url().path(), "/tickets");
    let (_, signed_in) = page(&one, &app, "/tickets").await;
    let token_of_one = csrf_of(&signed_in);
    assert_ne!(token_of_one, csrf_of(&html), "a new token once signed in");
    let two = browser();
    let (_, html) = page(&two, &app, "/sign-in").await;
    let res = two.post(app.url("/sign-in")).form(&[("csrf", csrf_of(&html).as_str()), ("email", "marta@studenti.unibg.it"), ("password", "password-123"), ("next", "/")]).send().await.unwrap();
    assert_eq!(res.url().path(), "/tickets");
    let res = two.post(app.url("/sign-out")).form(&[("csrf", token_of_one.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "another session's token");
    let res = one.post(app.url("/sign-out")).form(&[("csrf", token_of_one.as_str())]).send().await.unwrap();
    assert_eq!(res.url().path(), "/");
}

async fn agents_reach_procedures_only_through_their_tickets(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let outsider = app.staff(&admin, "omar@unibg.it", "agent", &["stranieri"]).await;
    let agent = app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let student = app.student("mario@studenti.unibg.it").await;
    let other = app.student("eva@studenti.unibg.it").await;
    let mut ticket = crate::helpers::segreteria_ticket("Rinuncia");
    ticket["career_action"] = json!({"type": "rinuncia-agli-studi"});
    let res = app.post("/api/v1/tickets", Some(&student.token), &ticket).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let opened: Value = res.json().await.unwrap();
    let number = opened["number"].as_str().unwrap().to_owned();
    let id = opened["career_actions"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/career-actions/{id}");
    let mails_before = app.outbox_for("mario@studenti.unibg.it").await.len();

    // The agent of another team: neither the list, nor the procedure, nor a change (no mail).
    let list = app.get(&format!("/api/v1/career-actions?student={}", student.id), Some(&outsider.token)).await;
    assert_eq!(list.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path, Some(&outsider.token)).await.status(), StatusCode::NOT_FOUND);
    let change = json!({"status": "in_review", "note": "presa in carico"});
    assert_eq!(app.patch(&path, &outsider.token, &change).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.outbox_for("mario@studenti.unibg.it").await.len(), mails_before, "no mail to the student");
    // The team's agent can, through the student's ticket.
    let list = app.get(&format!("/api/v1/career-actions?student={}", student.id), Some(&agent.token)).await;
    assert_eq!(list.status(), StatusCode::OK);

    // The staff page takes no procedure that is not the requester's.
    let other_ticket = app.open_ticket(&other, "Altro").await["number"].as_str().unwrap().to_owned();
    let staff = browser();
    let (_, html) = page(&staff, &app, "/sign-in").await;
    staff.post(app.url("/sign-in")).form(&[("csrf", csrf_of(&html).as_str()), ("email", "laura@unibg.it"), ("password", "agent-password"), ("next", "/staff")]).send().await.unwrap();
    let (status, html) = page(&staff, &app, &format!("/staff/tickets/{other_ticket}")).await;
    assert_eq!(status, StatusCode::OK);
    let res = staff
        .post(app.url(&format!("/staff/tickets/{other_ticket}/procedures/{id}")))
        .form(&[("csrf", csrf_of(&html).as_str()), ("status", "in_review"), ("note", "da un'altra pratica"), ("version", "1")])
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), StatusCode::OK);
    let procedure: Value = app.get(&path, Some(&agent.token)).await.json().await.unwrap();
    assert_eq!(procedure["status"], "submitted", "unchanged");
    // From its own ticket it moves on.
    let (_, html) = page(&staff, &app, &format!("/staff/tickets/{number}")).await;
    let res = staff
        .post(app.url(&format!("/staff/tickets/{number}/procedures/{id}")))
        .form(&[("csrf", csrf_of(&html).as_str()), ("status", "in_review"), ("note", "presa in carico"), ("version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let procedure: Value = app.get(&path, Some(&agent.token)).await.json().await.unwrap();
    assert_eq!(procedure["status"], "in_review");
}

async fn a_guest_link_unused_too_long_stops_and_a_fresh_one_works(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.guest_link_idle_days = 2).await;
    let (number, secret) = guest_credentials_ticket(&app, VICTIM).await;
    let guest = browser();
    let link = format!("/tickets/{number}?secret={secret}");
    let (_, html) = page(&guest, &app, &link).await;
    let res = guest.post(app.url(&format!("/tickets/{number}/confirm"))).form(&[("csrf", csrf_of(&html).as_str()), ("secret", secret.as_str())]).send().await.unwrap();
    assert_eq!(res.url().path(), format!("/tickets/{number}"));
    // Three days without a visit: the link and the cookie stop working.
    let n = number.clone();
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use helpdesk::db::schema::tickets;
        let ago = chrono::Utc::now().naive_utc() - chrono::Duration::days(3);
        diesel::update(tickets::table.filter(tickets::number.eq(n))).set(tickets::guest_seen_at.eq(Some(ago))).execute(&mut *db.get_writer().unwrap()).unwrap();
    })
    .await
    .unwrap();
    let res = guest.get(app.url(&format!("/tickets/{number}"))).send().await.unwrap();
    assert_eq!(res.url().path(), "/sign-in", "the cookie no longer opens it");
    let (status, html) = page(&browser(), &app, &link).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Ricevi un nuovo link"), "the page offers a fresh link");
    // A wrong address gets the same answer and no mail; hers gets a fresh link.
    let ask = |email: &'static str| {
        let (app, number) = (&app, number.clone());
        async move { app.post(&format!("/api/v1/tickets/{number}/guest-link"), None, &json!({"email": email})).await.status() }
    };
    assert_eq!(ask("someone@example.org").await, StatusCode::ACCEPTED);
    assert!(app.outbox_for("someone@example.org").await.is_empty());
    assert_eq!(ask(VICTIM).await, StatusCode::ACCEPTED);
    let mails = app.outbox_for(VICTIM).await;
    assert_eq!(mails.last().unwrap().0, "guest_link");
    let fresh = app.mailed_link(VICTIM, "guest_link", Some(&number)).await.split("secret=").nth(1).unwrap().to_owned();
    let (status, _) = page(&browser(), &app, &link).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the old link stays dead");
    let again = browser();
    let res = again.get(app.url(&format!("/tickets/{number}?secret={fresh}"))).send().await.unwrap();
    assert_eq!(res.url().path(), format!("/tickets/{number}"));
    assert!(res.text().await.unwrap().contains("Credenziali mai ricevute"));
}

async fn files_of_refused_requests_are_swept(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("sara@studenti.unibg.it").await;
    // A credentials ticket refused for a missing field: its scan was read before the check.
    let refused = json!({"category": "credenziali", "privacy_notice_version": 1, "subject": "x", "body": "y", "fields": {"full_name": "Sara", "situation": "never-received"}});
    let pdf = b"%PDF-1.4\n% a refused scan\n%%EOF\n".to_vec();
    let form = Form::new().text("ticket", refused.to_string()).part("id_front", Part::bytes(pdf.clone()).file_name("fronte.pdf"));
    let res = app.client.post(app.url("/api/v1/tickets")).bearer_auth(&student.token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A kept one, referenced by its ticket.
    let (number, _) = guest_credentials_ticket(&app, "sara@studenti.unibg.it").await;
    // The desk's own store: the data folder on SQLite, the database on PostgreSQL.
    let root = app.data_dir().join("attachments");
    let store = helpdesk::files::FileStore::configured(root, &helpdesk::config::FilesSettings::default(), &app.db).unwrap();
    let (orphan, kept) = (helpdesk_sha256(&pdf), helpdesk_sha256(&JPEG));
    let stored = |sha: &str| {
        let (store, sha) = (store.clone(), sha.to_owned());
        tokio::task::spawn_blocking(move || store.read(&sha).is_ok())
    };
    assert!(stored(&orphan).await.unwrap() && stored(&kept).await.unwrap());
    let sweep = |prefix: String, grace: std::time::Duration| {
        let (db, store) = (app.db.clone(), store.clone());
        tokio::task::spawn_blocking(move || store.sweep(&mut db.get_writer().unwrap(), &prefix, grace).unwrap())
    };
    // Within the grace period nothing goes (its request may not have committed yet).
    sweep(orphan[..2].to_owned(), std::time::Duration::from_secs(3600)).await.unwrap();
    assert!(stored(&orphan).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let removed = sweep(orphan[..2].to_owned(), std::time::Duration::from_millis(10)).await.unwrap();
    assert!(removed >= 1);
    assert!(!stored(&orphan).await.unwrap(), "the refused request's file is gone");
    sweep(kept[..2].to_owned(), std::time::Duration::from_millis(10)).await.unwrap();
    assert!(stored(&kept).await.unwrap(), "a ticket's file stays");
    assert!(!number.is_empty());
}

fn helpdesk_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
