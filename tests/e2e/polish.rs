//! Issue 16 in Chromium: a refresh of "Richiesta inviata" files nothing again; every page fits a
//! 390 px phone (no sideways scrolling), the staff console and ticket page included, with
//! screenshots at both widths; a canned response goes into the reply without a reload and
//! without losing the draft.

use serde_json::Value;

use crate::browser::Browser;
use crate::console::sign_in;
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::journeys::{check, submit_sign_up};

const PHONE: u32 = 390;

/// `document.documentElement.scrollWidth` and `innerWidth` of the page shown.
async fn widths(b: &Browser) -> (i64, i64) {
    let found: Value = b
        .client
        .execute("return [document.documentElement.scrollWidth, document.scrollingElement.scrollWidth, window.innerWidth];", vec![])
        .await
        .expect("measuring the page");
    let at = |i: usize| found[i].as_i64().unwrap_or(i64::MAX);
    (at(0).max(at(1)), at(2))
}

/// Opens `path` and checks that it fits the window's width without scrolling sideways.
async fn fits(app: &TestApp, b: &Browser, path: &str) {
    b.goto(&app.url(path)).await;
    assert_fits(b, path).await;
}

pub(crate) async fn assert_fits(b: &Browser, what: &str) {
    let (scroll, inner) = widths(b).await;
    assert!(inner <= i64::from(PHONE), "the window is a phone's ({inner} px)");
    if scroll > inner {
        // Name what sticks out, for whoever fixes it.
        let wide: Value = b
            .client
            .execute(
                "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)                   .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));",
                vec![],
            )
            .await
            .unwrap_or(Value::Null);
        panic!("{what} is {scroll} px wide on a {inner} px screen: {wide}");
    }
}

pub(crate) async fn phone(b: &Browser) {
    b.resize(PHONE, 844).await;
    // Chromium's window has no frame in headless mode: the page gets the whole width.
    let (_, inner) = widths(b).await;
    if inner > i64::from(PHONE) {
        b.resize(PHONE - (u32::try_from(inner).unwrap_or(PHONE) - PHONE), 844).await;
    }
}

async fn tickets_of(app: &TestApp, token: &str) -> usize {
    let list: Value = app.get("/api/v1/tickets", Some(token)).await.json().await.unwrap();
    list["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_refresh_files_nothing_and_the_student_pages_fit_a_phone() {
    let app = spawn_app(Backend::Sqlite).await;
    let b = Browser::start().await;
    b.goto(&app.url("/sign-up")).await;
    submit_sign_up(&app, &b, "Giulia Verdi", "giulia@studenti.unibg.it").await;
    let token = app.login("giulia@studenti.unibg.it", "password-123").await.token;

    phone(&b).await;
    for path in ["/", "/tickets/new", "/tickets/new?category=segreteria", "/tickets/new?category=credenziali", "/kb", "/tickets", "/procedures", "/account"] {
        fits(&app, &b, path).await;
    }
    b.goto(&app.url("/tickets/new?category=segreteria")).await;
    b.type_in("subject", "Una richiesta sola").await;
    b.type_in("body", "Vorrei sapere come modificare il piano di studio: https://www.unibg.it/studiare").await;
    b.type_in("f-matricola", "1012345").await;
    b.type_in("f-course", "Ingegneria informatica").await;
    b.choose("f-topic", "piano-di-studio").await;
    b.click("#privacy_notice_version").await;
    b.click("form.form button[type=submit]").await;
    let number = b.text("#ticket-number").await;
    assert_eq!(b.path().await, "/tickets/new/sent", "the form answered with a redirect");
    assert_fits(&b, "the request-sent page").await;
    check(&b, "70-sent-phone").await;

    // Refreshing (twice) shows the same page and files nothing again.
    for _ in 0..2 {
        b.client.refresh().await.expect("a refresh");
        assert_eq!(b.text("#ticket-number").await, number);
    }
    assert_eq!(tickets_of(&app, &token).await, 1, "a refresh filed the ticket again");

    // The ticket page: the address is a link, the page fits.
    fits(&app, &b, &format!("/tickets/{number}")).await;
    assert!(b.source().await.contains(r#"<a href="https://www.unibg.it/studiare" rel="noopener noreferrer nofollow">"#));
    check(&b, "71-ticket-phone").await;
}

#[tokio::test]
async fn the_staff_pages_fit_a_phone_and_a_canned_response_joins_the_draft() {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.admin().await;
    app.staff(&admin, "laura@unibg.it", "agent", &["segreteria", "stranieri"]).await;
    let student = app.student("mario@studenti.unibg.it").await;
    let body = serde_json::json!({"category": "segreteria", "privacy_notice_version": 1, "subject": "Corsi singoli: quanto pago per un esame di Diritto privato dell'Unione europea?",
        "body": "Buongiorno, vorrei iscrivermi a un corso singolo. https://www.unibg.it/corsi-singoli-e-altre-informazioni-molto-lunghe-per-vedere-se-il-testo-va-a-capo",
        "fields": {"matricola": "1012345", "course": "Giurisprudenza", "topic": "corsi-singoli", "career_action": "corsi-singoli"},
        "career_action": {"type": "corsi-singoli", "data": {"courses": [{"code": "1", "name": "Diritto privato", "cfu": 9}]}}});
    let res = app.post("/api/v1/tickets", Some(&student.token), &body).await;
    assert!(res.status().is_success());
    let number = res.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();
    let b = Browser::start().await;
    sign_in(&app, &b, "laura@unibg.it", "agent-password").await;

    // Desktop: the console and the ticket page, screenshots; numbers on one line.
    b.resize(1366, 900).await;
    check(&b, "72-console-desktop").await;
    let (height, line): (f64, f64) = {
        let found: Value = b
            .client
            .execute("const a = document.querySelector('td.num a'); const s = getComputedStyle(a); return [a.getBoundingClientRect().height, parseFloat(s.lineHeight)];", vec![])
            .await
            .unwrap();
        (found[0].as_f64().unwrap(), found[1].as_f64().unwrap())
    };
    assert!(height < line * 1.5, "the ticket number wraps: {height} px for a {line} px line");
    b.goto(&app.url(&format!("/staff/tickets/{number}"))).await;
    b.resize(1366, 2400).await;
    check(&b, "73-staff-ticket-desktop").await;

    // A canned response joins the typed draft in the page: no reload, nothing lost.
    b.type_in("staff-body", "Buongiorno Mario, ho controllato la pratica.").await;
    b.click("#canned-use").await;
    let mut value = String::new();
    for _ in 0..50 {
        value = b.value("staff-body").await;
        if value.len() > "Buongiorno Mario, ho controllato la pratica.".len() + 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(value.starts_with("Buongiorno Mario, ho controllato la pratica.\n\n"), "the draft is kept: {value}");
    assert!(!value.contains("{{"), "the response is rendered: {value}");
    assert_eq!(b.path().await, format!("/staff/tickets/{number}"), "no reload to another address");

    // Phone: the console, the ticket page, search and reports fit.
    phone(&b).await;
    fits(&app, &b, "/staff").await;
    check(&b, "74-console-phone").await;
    fits(&app, &b, &format!("/staff/tickets/{number}")).await;
    b.resize(PHONE, 3000).await;
    check(&b, "75-staff-ticket-phone").await;
    phone(&b).await;
    for path in ["/staff/search?q=corsi", "/staff/reports"] {
        fits(&app, &b, path).await;
    }
}

#[tokio::test]
async fn the_admin_pages_fit_a_phone() {
    let app = spawn_app(Backend::Sqlite).await;
    app.admin().await;
    let b = Browser::start().await;
    sign_in(&app, &b, "admin@unibg.it", "admin-password").await;
    phone(&b).await;
    for path in [
        "/staff/admin",
        "/staff/admin/categories",
        "/staff/admin/categories/credenziali",
        "/staff/admin/teams",
        "/staff/admin/canned",
        "/staff/admin/hours",
        "/staff/admin/closures",
        "/staff/admin/career",
        "/staff/admin/career?year=2025-2026",
        "/staff/admin/calendar",
    ] {
        fits(&app, &b, path).await;
    }
}

#[tokio::test]
async fn a_reload_after_sign_up_or_a_link_request_sends_nothing_again() {
    let app = spawn_app(Backend::Sqlite).await;
    let b = Browser::start().await;
    phone(&b).await;
    b.goto(&app.url("/sign-up")).await;
    b.type_in("display-name", "Marta Rossi").await;
    b.type_in("email", "marta@studenti.unibg.it").await;
    b.type_in("password", "password-123").await;
    b.click("form.form button[type=submit]").await;
    b.wait_for_text("Conferma il tuo indirizzo").await;
    assert_eq!(b.path().await, "/sign-up", "the form answered with a redirect to its confirmation");
    for _ in 0..2 {
        b.client.refresh().await.expect("a refresh");
        b.wait_for_text("Conferma il tuo indirizzo").await;
    }
    assert_fits(&b, "the sign-up confirmation").await;
    assert_eq!(app.outbox_for("marta@studenti.unibg.it").await.len(), 1, "a reload registered again");

    app.student("piero@studenti.unibg.it").await;
    b.goto(&app.url("/sign-in/link")).await;
    b.type_in("email", "piero@studenti.unibg.it").await;
    b.click("form.form button[type=submit]").await;
    b.wait_for_text("Controlla la tua e-mail").await;
    b.client.refresh().await.expect("a refresh");
    b.wait_for_text("Controlla la tua e-mail").await;
    assert_fits(&b, "the link-sent page").await;
    let links = app.outbox_for("piero@studenti.unibg.it").await.into_iter().filter(|(kind, _)| kind == "sign_in_link").count();
    assert_eq!(links, 1, "a reload mailed another link");
}
