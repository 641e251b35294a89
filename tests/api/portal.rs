//! The student portal over HTTP, as a browser without JavaScript uses it: cookies, CSRF tokens
//! scraped from the forms, multipart forms with files. On SQLite and PostgreSQL.

use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, TestApp};

both_backends!(
    sign_up_and_open_a_ticket_through_the_form,
    a_form_error_keeps_what_was_typed,
    another_students_ticket_is_a_404_page_and_notes_stay_hidden,
    posts_without_the_csrf_token_are_refused,
    pages_carry_the_security_headers,
    english_by_the_switch_and_by_accept_language,
    unknown_pages_are_the_portals_404_and_numbers_take_any_case,
);

pub(crate) const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

pub(crate) fn browser() -> Client {
    Client::builder().cookie_store(true).build().unwrap()
}

/// The CSRF token of the first form on a page.
pub(crate) fn csrf_of(html: &str) -> String {
    let start = html.find(r#"name="csrf" value=""#).expect("a form with a CSRF token") + r#"name="csrf" value=""#.len();
    html[start..].split('"').next().unwrap().to_owned()
}

pub(crate) fn ticket_number_in(html: &str) -> String {
    let at = html.find("HD-20").expect("a ticket number on the page");
    html[at..at + 14].to_owned()
}

pub(crate) async fn page(client: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = client.get(app.url(path)).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

pub(crate) async fn sign_up(app: &TestApp, email: &str) -> Client {
    let client = browser();
    let (_, html) = page(&client, app, "/sign-up").await;
    let res = client
        .post(app.url("/sign-up"))
        .form(&[("csrf", csrf_of(&html).as_str()), ("display_name", "Maria Bianchi"), ("email", email), ("password", "password-123"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!((res.url().path(), res.url().query()), ("/sign-up", Some("sent=1")), "post/redirect/get");
    let html = res.text().await.unwrap();
    assert!(html.contains("Conferma il tuo indirizzo") && !html.contains("Maria Bianchi"), "nobody is signed in before the address is confirmed");
    // The mailed link opens a confirmation page naming the account; its button signs in.
    let token = app.mailed_token(email, "verify_email").await;
    let (status, html) = page(&client, app, &format!("/verify-email?token={token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Maria Bianchi") && html.contains(email), "the page names the account it confirms");
    let res = client.post(app.url("/verify-email")).form(&[("csrf", csrf_of(&html).as_str()), ("token", token.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.url().path(), "/tickets", "confirmed and sent to my tickets");
    let html = res.text().await.unwrap();
    assert!(html.contains("Maria Bianchi"), "the header shows who is signed in");
    client
}

pub(crate) fn segreteria_form(csrf: &str, subject: &str, matricola: &str, course: &str) -> Form {
    Form::new()
        .text("csrf", csrf.to_owned())
        .text("category", "segreteria")
        .text("privacy_notice_version", "1")
        .text("subject", subject.to_owned())
        .text("body", "Vorrei sapere come modificare il piano di studio.")
        .text("f.matricola", matricola.to_owned())
        .text("f.course", course.to_owned())
        .text("f.topic", "piano-di-studio")
        .text("f.career_action", "")
        .part("files", Part::bytes(PDF.to_vec()).file_name("piano.pdf").mime_str("application/pdf").unwrap())
}

pub(crate) async fn open_segreteria(app: &TestApp, client: &Client, subject: &str) -> String {
    let (status, html) = page(client, app, "/tickets/new?category=segreteria").await;
    assert_eq!(status, StatusCode::OK);
    let res = client.post(app.url("/tickets/new")).multipart(segreteria_form(&csrf_of(&html), subject, "1012345", "Ingegneria")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.url().path(), "/tickets/new/sent", "the form answers with a redirect");
    ticket_number_in(&res.text().await.unwrap())
}

async fn sign_up_and_open_a_ticket_through_the_form(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = sign_up(&app, "maria@studenti.unibg.it").await;
    let (_, form) = page(&client, &app, "/tickets/new?category=segreteria").await;
    // The category's own fields, from its data, with labels tied to inputs.
    assert!(form.contains(r#"<label for="f-matricola">Matricola o pre-matricola"#), "{form}");
    assert!(form.contains(r#"aria-describedby="f-matricola-help""#));
    assert!(form.contains(r#"<option value="piano-di-studio">Piano di studio</option>"#));
    let number = open_segreteria(&app, &client, "Piano di studio <b>urgente</b>").await;
    assert!(number.starts_with("HD-"));

    // It is in my list and on its own page, with the subject escaped and the file linked.
    let (_, list) = page(&client, &app, "/tickets").await;
    assert!(list.contains(&number) && list.contains("Segreteria studenti") && list.contains("status status-new"));
    let (status, ticket) = page(&client, &app, &format!("/tickets/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ticket.contains("Piano di studio &lt;b&gt;urgente&lt;/b&gt;"), "user text is escaped");
    assert!(!ticket.contains("<b>urgente</b>"));
    assert!(ticket.contains("piano.pdf") && ticket.contains(r#"href="/api/v1/attachments/"#));
    let (_, filtered) = page(&client, &app, "/tickets?status=closed").await;
    assert!(!filtered.contains(&number), "the status filter applies");
}

async fn a_form_error_keeps_what_was_typed(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = sign_up(&app, "luca@studenti.unibg.it").await;
    let (_, html) = page(&client, &app, "/tickets/new?category=segreteria").await;
    let res = client
        .post(app.url("/tickets/new"))
        .multipart(segreteria_form(&csrf_of(&html), "Esami & carriera", "12", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"value="Esami &amp; carriera""#), "the subject is kept");
    assert!(html.contains(r#"id="f-matricola" name="f.matricola" value="12""#), "the wrong value is kept to correct");
    assert!(html.contains(r#"<option value="piano-di-studio" selected>"#), "the choice is kept");
    assert!(html.contains(r#"id="f-matricola-error""#) && html.contains("Da 4 a 12 lettere o cifre."));
    assert!(html.contains(r#"aria-describedby="f-matricola-help f-matricola-error""#));
    assert!(html.contains(r#"id="f-course-error""#) && html.contains("Campo obbligatorio."));
    assert!(html.contains(r##"href="#f-course""##), "the summary links to the field");
    let (_, list) = page(&client, &app, "/tickets").await;
    assert!(!list.contains("HD-20"), "no ticket was opened");
}

async fn another_students_ticket_is_a_404_page_and_notes_stay_hidden(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = sign_up(&app, "owner@studenti.unibg.it").await;
    let number = open_segreteria(&app, &owner, "Il mio ticket").await;

    let admin = app.admin().await;
    let agent = app.staff(&admin, "agent@unibg.it", "agent", &["segreteria"]).await;
    let path = format!("/api/v1/tickets/{number}/messages");
    let res = app.post(&path, Some(&agent.token), &json!({"body": "NOTA INTERNA: verificare la carriera", "internal": true})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app.post(&path, Some(&agent.token), &json!({"body": "Buongiorno, può farlo dallo Sportello Internet."})).await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let (_, mine) = page(&owner, &app, &format!("/tickets/{number}")).await;
    assert!(mine.contains("Sportello Internet"), "the staff reply is shown");
    assert!(!mine.contains("NOTA INTERNA"), "an internal note reached the student's page");
    assert!(mine.contains("Stato: Nuova → In lavorazione"), "the status change, in Italian");

    let other = sign_up(&app, "other@studenti.unibg.it").await;
    let res = other.get(app.url(&format!("/tickets/{number}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("Pagina non trovata") && !html.contains("Il mio ticket"));
    let (_, list) = page(&other, &app, "/tickets").await;
    assert!(!list.contains(&number));
    // Nobody signed in: to the sign-in page.
    let res = browser().get(app.url(&format!("/tickets/{number}"))).send().await.unwrap();
    assert_eq!(res.url().path(), "/sign-in");
}

async fn posts_without_the_csrf_token_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = sign_up(&app, "anna@studenti.unibg.it").await;
    let number = open_segreteria(&app, &client, "Tasse").await;
    let no_token = client
        .post(app.url(&format!("/tickets/{number}/reply")))
        .multipart(Form::new().text("body", "ciao").part("files", Part::bytes(PDF.to_vec()).file_name("a.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    assert!(no_token.text().await.unwrap().contains("Modulo scaduto"));
    let wrong = client
        .post(app.url(&format!("/tickets/{number}/status")))
        .form(&[("csrf", "x".repeat(43).as_str()), ("action", "close"), ("version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    // A token from another browser is no good either (it is not this browser's cookie).
    let stranger = browser();
    let (_, html) = page(&stranger, &app, "/sign-in").await;
    let res = client.post(app.url("/sign-out")).form(&[("csrf", csrf_of(&html))]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = browser().post(app.url("/sign-in")).form(&[("email", "anna@studenti.unibg.it"), ("password", "password-123")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Nothing changed.
    let (_, ticket) = page(&client, &app, &format!("/tickets/{number}")).await;
    assert!(ticket.contains("status status-new") && !ticket.contains("ciao"));
}

async fn pages_carry_the_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = browser();
    for path in ["/", "/sign-in", "/sign-up", "/sign-in/link", "/tickets/new", "/tickets/new?category=credenziali", "/tickets/HD-2026-999999"] {
        let res = client.get(app.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h.get("content-security-policy").unwrap_or_else(|| panic!("no CSP on {path}")).to_str().unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"), "{csp}");
        assert!(csp.contains("script-src 'self'") && csp.contains("base-uri 'none'"));
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        let html = res.text().await.unwrap();
        assert_eq!(html.matches("<h1").count(), 1, "one h1 on {path}");
        assert!(html.contains(r#"<html lang="it">"#) && html.contains(r##"href="#main""##) && html.contains(r#"<main id="main""#));
    }
    let css = client.get(app.url("/static/portal.css")).send().await.unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    assert!(css.text().await.unwrap().contains(":focus-visible"));
}

async fn english_by_the_switch_and_by_accept_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = browser();
    let (_, it) = page(&client, &app, "/sign-in").await;
    assert!(it.contains("Indirizzo e-mail") && it.contains(r#"href="/lang/en?next&#x3D;/sign-in""#));
    let res = client.get(app.url("/lang/en?next=/sign-in")).send().await.unwrap();
    assert_eq!(res.url().path(), "/sign-in", "back where the reader was");
    let en = res.text().await.unwrap();
    assert!(en.contains(r#"<html lang="en">"#) && en.contains("E-mail address") && en.contains(">Sign in<"));
    let (_, form) = page(&client, &app, "/tickets/new?category=credenziali").await;
    assert!(form.contains("Italian tax code (codice fiscale)") && form.contains("ID document (front)"));
    // Back to Italian; an open redirect is not followed.
    let res = client.get(app.url("/lang/it?next=//evil.example/")).send().await.unwrap();
    assert_eq!(res.url().as_str(), app.url("/"));
    assert!(res.text().await.unwrap().contains("Come possiamo aiutarti?"));
    let res = browser().get(app.url("/")).header("accept-language", "en-US,en;q=0.9,it;q=0.5").send().await.unwrap();
    assert!(res.text().await.unwrap().contains("How can we help you?"));
}

async fn unknown_pages_are_the_portals_404_and_numbers_take_any_case(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/non-esiste", "/Tickets", "/favicon.ico"] {
        let res = browser().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        assert!(res.text().await.unwrap().contains("<html"), "{path}: the portal's page");
    }
    // The API keeps problem+json.
    let res = app.get("/api/v1/non-esiste", None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // A ticket number typed in lower case is the same ticket, in the API and on the page.
    let client = sign_up(&app, "lucia@studenti.unibg.it").await;
    let number = open_segreteria(&app, &client, "Minuscole").await;
    let lower = number.to_lowercase();
    let (status, html) = page(&client, &app, &format!("/tickets/{lower}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Minuscole"));
    let student = app.login("lucia@studenti.unibg.it", "password-123").await;
    let res = app.get(&format!("/api/v1/tickets/{lower}"), Some(&student.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
}
