use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::helpers::{spawn_app, Backend, TestApp};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// Files to upload, written where the browser can read them.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("documento.pdf"), PDF).unwrap();
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        png.extend_from_slice(&[0u8; 64]);
        std::fs::write(dir.path().join("carta-fronte.png"), png).unwrap();
        let mut jpg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00];
        jpg.extend_from_slice(&[0u8; 64]);
        std::fs::write(dir.path().join("carta-retro.jpg"), jpg).unwrap();
        Files { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

pub(crate) async fn check(b: &Browser, name: &str) {
    b.assert_accessible(name).await;
    b.screenshot(name).await;
}

async fn sign_up(app: &TestApp, b: &Browser, name: &str, email: &str) {
    b.goto(&app.url("/")).await;
    check(b, "01-home-it").await;
    b.click("a[href='/sign-up']").await;
    assert_eq!(b.text("h1").await, "Crea un account");
    check(b, "02-sign-up").await;
    submit_sign_up(app, b, name, email).await;
}

/// Fills in the sign-up page the browser is on and sends it, then follows the mailed
/// verification link and confirms on its page: signed in, on "my tickets".
pub(crate) async fn submit_sign_up(app: &TestApp, b: &Browser, name: &str, email: &str) {
    b.type_in("display-name", name).await;
    b.type_in("email", email).await;
    b.type_in("password", "password-123").await;
    b.click("form.form button[type=submit]").await;
    b.wait_for_text("Conferma il tuo indirizzo").await;
    assert!(!b.source().await.contains(name), "nobody is signed in before the address is confirmed");
    check(b, "02b-sign-up-check-mail").await;
    let token = app.mailed_token(email, "verify_email").await;
    b.goto(&app.url(&format!("/verify-email?token={token}"))).await;
    assert!(b.source().await.contains(email), "the page names the account it confirms");
    check(b, "02c-verify-email").await;
    b.click("form.form button[type=submit]").await;
    assert_eq!(b.path_after_navigation("/tickets").await, "/tickets");
    assert!(b.source().await.contains(name), "signed in as {name}");
}

async fn submit_and_read_number(b: &Browser) -> String {
    // Every seeded category has a privacy notice: acknowledge it, as the student does.
    b.click("#privacy_notice_version").await;
    b.click("form.form button[type=submit]").await;
    let number = b.text("#ticket-number").await;
    assert!(number.starts_with("HD-") && number.len() == 14, "a ticket number: {number}");
    number
}

/// One ticket in each category, through its form, with files.
async fn open_in_each_category(app: &TestApp, b: &Browser, files: &Files) -> Vec<String> {
    let mut numbers = Vec::new();

    b.goto(&app.url("/tickets/new")).await;
    check(b, "03-new-pick").await;
    b.click("a[href='/tickets/new?category=segreteria']").await;
    b.type_in("subject", "Modifica del piano di studio").await;
    b.type_in("body", "Buongiorno,\nvorrei sapere come modificare il piano di studio.").await;
    b.type_in("f-matricola", "1012345").await;
    b.type_in("f-course", "Ingegneria informatica").await;
    b.choose("f-topic", "piano-di-studio").await;
    b.choose("f-career_action", "piano-di-studio").await;
    b.attach("files", &files.path("documento.pdf")).await;
    b.resize(1280, 1900).await;
    check(b, "04-new-segreteria").await;
    b.resize(1280, 1000).await;
    numbers.push(submit_and_read_number(b).await);
    check(b, "05-created").await;

    b.goto(&app.url("/tickets/new?category=stranieri")).await;
    b.type_in("subject", "Dichiarazione di valore").await;
    b.type_in("body", "Dove richiedo la dichiarazione di valore?").await;
    b.type_in("f-nationality", "Brasile").await;
    b.choose("f-topic", "declaration-of-value").await;
    b.attach("files", &files.path("documento.pdf")).await;
    check(b, "06-new-stranieri").await;
    numbers.push(submit_and_read_number(b).await);

    b.goto(&app.url("/tickets/new?category=ita-l2")).await;
    b.type_in("subject", "Prenotazione test ITA-L2").await;
    b.type_in("body", "Vorrei prenotare il test di settembre.").await;
    b.type_in("f-nationality", "Cina").await;
    b.type_in("f-passport_number", "E12345678").await;
    b.type_in("f-universitaly_ref", "UNI-2026-0042").await;
    b.type_in("f-session", "Settembre, in presenza").await;
    b.click("#f-b2_certificate").await;
    b.attach("files", &files.path("documento.pdf")).await;
    check(b, "07-new-ita-l2").await;
    numbers.push(submit_and_read_number(b).await);

    b.goto(&app.url("/tickets/new?category=credenziali")).await;
    fill_credentials(b, files).await;
    b.attach("files", &files.path("documento.pdf")).await;
    numbers.push(submit_and_read_number(b).await);
    numbers
}

async fn fill_credentials(b: &Browser, files: &Files) {
    b.type_in("subject", "Password dimenticata").await;
    b.type_in("body", "Non riesco più ad accedere allo Sportello Internet.").await;
    b.type_in("f-full_name", "Mario Rossi").await;
    b.type_in("f-codice_fiscale", "RSSMRA85T10A562S").await;
    b.set_date("f-birth_date", "1985-12-10").await;
    b.choose("f-situation", "forgotten-password").await;
    b.attach("a-id_front", &files.path("carta-fronte.png")).await;
    b.attach("a-id_back", &files.path("carta-retro.jpg")).await;
}

async fn api_json(res: reqwest::Response) -> Value {
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_opens_follows_replies_and_reopens() {
    let app = spawn_app(Backend::Sqlite).await;
    let b = Browser::start().await;
    let files = Files::new();
    sign_up(&app, &b, "Giulia Verdi", "giulia@studenti.unibg.it").await;
    let numbers = open_in_each_category(&app, &b, &files).await;
    assert_eq!(numbers.len(), 4);

    b.goto(&app.url("/tickets")).await;
    let list = b.source().await;
    for n in &numbers {
        assert!(list.contains(n.as_str()), "{n} in my list");
    }
    check(&b, "08-my-tickets").await;

    // The ITA-L2 request books its test from its page; procedures and bookings have their page.
    let admin = app.admin().await;
    let starts = (chrono::Utc::now() + chrono::Duration::days(20)).format("%Y-%m-%dT09:30:00Z").to_string();
    let session = json!({"starts_at": starts, "mode": "in_person", "location": "Aula 7, via Salvecchio 19", "capacity": 10});
    api_json(app.post("/api/v1/ita-l2/sessions", Some(&admin.token), &session).await).await;
    b.goto(&app.url(&format!("/tickets/{}", numbers[2]))).await;
    b.resize(1280, 1600).await;
    check(&b, "08b-ita-l2-booking").await;
    b.click("form[action$='/booking'] button[type=submit]").await;
    b.wait_for_text("Confermata").await;
    b.goto(&app.url("/procedures")).await;
    let page = b.source().await;
    assert!(page.contains("Piano di studio") && page.contains("Confermata") && page.contains("Aula 7"), "procedures and bookings");
    check(&b, "08c-procedures").await;
    b.resize(1280, 1000).await;

    // Staff answer through the API; a note stays internal.
    let agent = app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let api = format!("/api/v1/tickets/{}", numbers[0]);
    api_json(app.post(&format!("{api}/messages"), Some(&agent.token), &json!({"body": "Buongiorno, può modificarlo dallo Sportello Internet entro il 31 ottobre."})).await).await;
    api_json(app.post(&format!("{api}/messages"), Some(&agent.token), &json!({"body": "NOTA INTERNA: studente fuori corso", "internal": true})).await).await;

    b.goto(&app.url(&format!("/tickets/{}", numbers[0]))).await;
    let page = b.source().await;
    assert!(page.contains("entro il 31 ottobre") && !page.contains("NOTA INTERNA"));
    assert!(page.contains("documento.pdf"), "the file is linked");
    b.type_in("reply-body", "Grazie, fatto. Allego la ricevuta.").await;
    b.attach("reply-files", &files.path("documento.pdf")).await;
    b.click("form[action$='/reply'] button[type=submit]").await;
    b.wait_for_text("Grazie, fatto. Allego la ricevuta.").await;

    let version = api_json(app.get(&api, Some(&agent.token)).await).await["version"].as_i64().unwrap();
    let res = app.patch(&api, &agent.token, &json!({"version": version, "status": "resolved"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    b.goto(&app.url(&format!("/tickets/{}", numbers[0]))).await;
    assert_eq!(b.text(".ticket-head .status").await, "Risolta");
    b.resize(1280, 2200).await;
    check(&b, "09-ticket-resolved").await;
    b.resize(1280, 1000).await;
    b.click("input[name=stars][value='4']").await;
    b.type_in("rate-comment", "Chiari e veloci").await;
    b.click("form[action$='/rating'] button[type=submit]").await;
    b.wait_for_text("4/5").await;
    // Reopening asks why; the reason becomes the student's message.
    b.type_in("reopen-reason", "Il piano non risulta ancora modificato.").await;
    b.click("form[action$='/status'] input[value=reopen] ~ button").await;
    b.wait_for_text(r#"<span class="status status-open">In lavorazione</span>"#).await;
    let status = api_json(app.get(&api, Some(&agent.token)).await).await["status"].clone();
    assert_eq!(status, "open");
    check(&b, "10-ticket-reopened").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_recovers_credentials_through_the_mailed_link() {
    let app = spawn_app(Backend::Sqlite).await;
    let b = Browser::start().await;
    let files = Files::new();
    b.goto(&app.url("/tickets/new?category=credenziali")).await;
    b.type_in("guest-name", "Mario Rossi").await;
    b.type_in("guest-email", "mario.rossi@example.org").await;
    fill_credentials(&b, &files).await;
    b.resize(1280, 2400).await;
    check(&b, "11-guest-credenziali-form").await;
    b.resize(1280, 1000).await;
    let number = submit_and_read_number(&b).await;
    assert!(b.source().await.contains("48 ore"));
    check(&b, "12-guest-created").await;

    let link = app.mailed_link("mario.rossi@example.org", "guest_verify", Some(&number)).await.replace("http://127.0.0.1", &app.address);
    b.goto(&link).await;
    // The link's page asks to confirm; its button sends the request to the offices.
    b.wait_for_text("Conferma la tua richiesta").await;
    check(&b, "12b-guest-confirm").await;
    b.click("form.form button[type=submit]").await;
    // The confirmation page has the ticket's path too: wait for the ticket page itself.
    b.wait_for_text("Indirizzo confermato: la richiesta è stata inoltrata agli uffici.").await;
    assert_eq!(b.path().await, format!("/tickets/{number}"));
    assert!(!b.client.current_url().await.unwrap().as_str().contains("secret"));
    assert_eq!(b.text(".ticket-head .status").await, "Nuova");
    let page = b.source().await;
    assert!(page.contains("carta-fronte.png") && page.contains("carta-retro.jpg"));

    let admin = app.admin().await;
    let agent = app.staff(&admin, "it@unibg.it", "agent", &["it"]).await;
    api_json(app.post(&format!("/api/v1/tickets/{number}/messages"), Some(&agent.token), &json!({"body": "Le abbiamo inviato le nuove credenziali."})).await).await;
    b.goto(&app.url(&format!("/tickets/{number}"))).await;
    assert!(b.source().await.contains("nuove credenziali"));
    b.type_in("reply-body", "Ricevute, grazie!").await;
    b.click("form[action$='/reply'] button[type=submit]").await;
    b.wait_for_text("Ricevute, grazie!").await;
    check(&b, "13-guest-ticket").await;
    // The guest's file downloads only through this ticket's page.
    let href = b.client.find(fantoccini::Locator::Css(".files a")).await.unwrap().attr("href").await.unwrap().unwrap();
    assert!(href.starts_with(&format!("/tickets/{number}/files/")), "{href}");
    b.goto(&app.url("/tickets")).await;
    assert_eq!(b.path_after_navigation("/sign-in").await, "/sign-in", "a guest has no list of tickets");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_pages_and_form_errors_that_keep_the_typed_values() {
    let app = spawn_app(Backend::Sqlite).await;
    let b = Browser::start().await;
    sign_up(&app, &b, "John Smith", "john@studenti.unibg.it").await;
    b.goto(&app.url("/tickets/new?category=segreteria")).await;
    b.click("a.lang").await;
    assert_eq!(b.path_after_navigation("/tickets/new").await, "/tickets/new");
    let html = b.source().await;
    assert!(html.contains(r#"<html lang="en">"#) && html.contains("Student number or pre-enrolment number"));
    b.type_in("subject", "Exam registration").await;
    b.type_in("body", "I cannot register for the exam.").await;
    b.type_in("f-matricola", "12").await;
    b.choose("f-topic", "esami").await;
    b.click("form.form button[type=submit]").await;
    assert_eq!(b.text(".error-summary h2").await, "Some fields need correcting");
    assert_eq!(b.value("subject").await, "Exam registration");
    assert_eq!(b.value("body").await, "I cannot register for the exam.");
    assert_eq!(b.value("f-matricola").await, "12");
    assert_eq!(b.value("f-topic").await, "esami");
    assert!(b.text("#f-matricola-error").await.contains("4 to 12 letters or digits."));
    assert!(b.text("#f-course-error").await.contains("This field is required."));
    b.resize(1280, 2000).await;
    check(&b, "14-form-errors-en").await;
    b.type_in("f-matricola", "1012345").await;
    b.type_in("f-course", "Economics").await;
    let number = submit_and_read_number(&b).await;
    assert!(b.source().await.contains("What happens next"));
    b.goto(&app.url("/")).await;
    check(&b, "15-home-en").await;
    b.resize(390, 844).await;
    check(&b, "16-home-phone").await;
    b.goto(&app.url(&format!("/tickets/{number}"))).await;
    check(&b, "17-ticket-phone").await;
    b.goto(&app.url("/sign-in")).await;
    check(&b, "18-sign-in-phone").await;
    b.goto(&app.url("/tickets/HD-2026-999999")).await;
    assert!(b.source().await.contains("Page not found"));
    check(&b, "19-not-found").await;
}

/// The academic year today is in ("2026/2027").
fn this_year() -> String {
    use chrono::Datelike;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Rome).date_naive();
    let first = if today.month() >= 8 { today.year() } else { today.year() - 1 };
    format!("{first}/{}", first + 1)
}

/// A procedure chosen in the form: its own fields, the "request received" page telling where
/// its window stands (this year's calendar is not published: no invented late fee), in Italian
/// and in English, and the console's ticket page telling the agent the same in both languages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_received_page_and_the_console_tell_the_window_in_both_languages() {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.admin().await;
    app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let year = this_year();
    let b = Browser::start().await;
    b.resize(1280, 2000).await;
    sign_up(&app, &b, "Giulia Bianchi", "giulia@studenti.unibg.it").await;
    let mut numbers = Vec::new();
    for (lang, expected) in [("it", format!("il calendario {year} non è ancora pubblicato")), ("en", format!("the {year} calendar is not published yet"))] {
        b.goto(&app.url("/tickets/new?category=segreteria")).await;
        if lang == "en" {
            b.click("a.lang").await;
            assert_eq!(b.path_after_navigation("/tickets/new").await, "/tickets/new");
        }
        b.choose("procedure-pick", "corsi-singoli").await;
        b.click("form.procedure-pick button[type=submit]").await;
        b.wait_for_text("p.courses").await;
        check(&b, &format!("60-new-procedure-{lang}")).await;
        b.type_in("subject", "Corsi singoli").await;
        b.type_in("body", "Vorrei iscrivermi a un corso singolo.").await;
        b.type_in("f-matricola", "PM12345").await;
        b.type_in("f-course", "Giurisprudenza").await;
        b.choose("f-topic", "corsi-singoli").await;
        b.type_in("p-courses", "21001 | Diritto privato | 9").await;
        let number = submit_and_read_number(&b).await;
        let page = b.source().await;
        assert!(page.contains(&expected), "{lang}: {page}");
        assert!(page.contains("241,00"), "the amount: 9 × 25 € + 16 €");
        check(&b, &format!("61-created-window-{lang}")).await;
        numbers.push(number);
    }
    let agent = Browser::start().await;
    agent.resize(1280, 2000).await;
    agent.goto(&app.url("/sign-in")).await;
    agent.type_in("email", "laura@unibg.it").await;
    agent.type_in("password", "agent-password").await;
    agent.click("form.form button[type=submit]").await;
    agent.path_after_navigation("/staff").await;
    for (lang, expected) in [("it", format!("il calendario {year} non è ancora pubblicato")), ("en", format!("the {year} calendar is not published yet"))] {
        agent.goto(&app.url(&format!("/staff/tickets/{}", numbers[0]))).await;
        if lang == "en" {
            agent.click("a.lang").await;
            agent.path_after_navigation(&format!("/staff/tickets/{}", numbers[0])).await;
        }
        for number in &numbers {
            agent.goto(&app.url(&format!("/staff/tickets/{number}"))).await;
            let page = agent.source().await;
            assert!(page.contains(&expected), "{lang} {number}: {page}");
        }
        check(&agent, &format!("62-console-window-{lang}")).await;
    }
}
