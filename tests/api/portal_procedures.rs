//! The portal's procedures and bookings: a procedure chosen in the form, its page and the list;
//! an ITA-L2 test booked and cancelled from the ticket page. On SQLite and PostgreSQL.

use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::portal::{csrf_of, page, sign_up, ticket_number_in, PDF};
use crate::staff_pages::signed_in;

both_backends!(
    a_procedure_chosen_in_the_form_has_its_page_and_warns_out_of_its_window,
    an_ita_l2_ticket_books_and_cancels_from_its_page,
    single_courses_from_the_portal_carry_their_courses_and_amount,
    forms_ask_what_the_guide_asks_of_each_situation,
    the_received_page_and_the_console_tell_the_window_in_both_languages,
);

fn transfer_form(csrf: &str) -> Form {
    Form::new()
        .text("csrf", csrf.to_owned())
        .text("category", "segreteria")
        .text("privacy_notice_version", "1")
        .text("subject", "Trasferimento da Milano")
        .text("body", "Vorrei trasferirmi dall'Università di Milano.")
        .text("f.matricola", "1012345")
        .text("f.course", "Ingegneria")
        .text("f.topic", "trasferimento-passaggio")
        .text("f.career_action", "trasferimento-in-ingresso")
        .part("files", Part::bytes(PDF.to_vec()).file_name("congedo.pdf").mime_str("application/pdf").unwrap())
}

/// The academic year today is in ("2026/2027").
fn this_year() -> String {
    use chrono::Datelike;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Rome).date_naive();
    let first = if today.month() >= 8 { today.year() } else { today.year() - 1 };
    format!("{first}/{}", first + 1)
}

/// The first `/procedures/<uuid>` link of a page.
fn procedure_href(html: &str) -> String {
    let at = html.find("href=\"/procedures/").expect("a procedure link") + "href=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

async fn a_procedure_chosen_in_the_form_has_its_page_and_warns_out_of_its_window(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = sign_up(&app, "sara@studenti.unibg.it").await;
    let (_, form) = page(&client, &app, "/tickets/new?category=segreteria").await;
    let res = client.post(app.url("/tickets/new")).multipart(transfer_form(&csrf_of(&form))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.url().path(), "/tickets/new/sent", "the form answers with a redirect");
    let created = res.text().await.unwrap();
    let number = ticket_number_in(&created);
    // Today's academic year has no published calendar: the desk says so rather than invent a fee.
    let unpublished = format!("il calendario {} non è ancora pubblicato", this_year());
    assert!(created.contains("Trasferimento in ingresso") && created.contains(&unpublished), "{created}");
    assert!(!created.contains("€ 95,00"), "{created}");

    let (_, list) = page(&client, &app, "/procedures").await;
    assert!(list.contains("Trasferimento in ingresso") && list.contains("presentata") && list.contains(&number), "{list}");
    assert!(list.contains(r#"href="/procedures" aria-current="page""#), "the navigation marks the page");
    let href = procedure_href(&list);
    let (status, detail) = page(&client, &app, &href).await;
    assert_eq!(status, StatusCode::OK);
    assert!(detail.contains("cap. 7 – Trasferimento in ingresso") && detail.contains("Foglio di congedo"), "{detail}");

    // Staff move it on: the page shows the history with the note, the ticket shows the link.
    let admin = app.admin().await;
    let agent = app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let id = href.trim_start_matches("/procedures/");
    let res = app
        .patch(
            &format!("/api/v1/career-actions/{id}"),
            &agent.token,
            &json!({"status": "waiting_documents", "note": "Serve il foglio di congedo <firmato>."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, detail) = page(&client, &app, &href).await;
    assert!(detail.contains("presentata → in attesa di documenti") && detail.contains("dalla Segreteria"), "{detail}");
    assert!(detail.contains("Serve il foglio di congedo &lt;firmato&gt;."), "notes are escaped");
    let (_, ticket) = page(&client, &app, &format!("/tickets/{number}")).await;
    assert!(ticket.contains("Pratiche collegate") && ticket.contains("in attesa di documenti"), "{ticket}");

    // In English, and never for another student.
    let (_, english) = page(&client, &app, "/lang/en?next=/procedures").await;
    assert!(
        english.contains("My procedures and bookings")
            && english.contains("Incoming transfer")
            && english.contains("waiting for documents"),
        "{english}"
    );
    let other = sign_up(&app, "eve@studenti.unibg.it").await;
    assert_eq!(page(&other, &app, &href).await.0, StatusCode::NOT_FOUND);
    let anonymous = crate::portal::browser();
    let res = anonymous.get(app.url(&href)).send().await.unwrap();
    assert_eq!(res.url().path(), "/sign-in");
}

async fn ita_l2_ticket(app: &TestApp, email: &str) -> (Client, String) {
    let client = sign_up(app, email).await;
    let session = app.login(email, "password-123").await;
    let body = json!({"category": "ita-l2", "privacy_notice_version": 1, "subject": "Test ITA-L2", "body": "Vorrei prenotare il test.",
                      "fields": {"nationality": "Brasile", "passport_number": "YB123456", "universitaly_ref": "UNI-1"}});
    let res = app.post("/api/v1/tickets", Some(&session.token), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let ticket: Value = res.json().await.unwrap();
    (client, ticket["number"].as_str().unwrap().to_owned())
}

/// Posts a page's form (found by its action) with the page's CSRF token.
async fn submit(client: &Client, app: &TestApp, html: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = csrf_of(html);
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    client.post(app.url(action)).form(&form).send().await.unwrap()
}

async fn an_ita_l2_ticket_books_and_cancels_from_its_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let starts = (chrono::Utc::now() + chrono::Duration::days(20)).format("%Y-%m-%dT09:30:00Z").to_string();
    let res = app
        .post(
            "/api/v1/ita-l2/sessions",
            Some(&admin.token),
            &json!({"starts_at": starts, "mode": "in_person", "location": "Aula 7, via Salvecchio 19", "capacity": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let session: Value = res.json().await.unwrap();
    let session_id = session["id"].as_str().unwrap();

    let (first, first_number) = ita_l2_ticket(&app, "ana@example.org").await;
    let (_, html) = page(&first, &app, &format!("/tickets/{first_number}")).await;
    assert!(
        html.contains("Prenota il test ITA-L2") && html.contains("Aula 7, via Salvecchio 19") && html.contains("Posti liberi: 1"),
        "{html}"
    );
    let res = submit(&first, &app, &html, &format!("/tickets/{first_number}/booking"), &[("session", session_id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Confermata") && html.contains("Annulla la prenotazione"), "{html}");
    assert!(!html.contains("Prenota questa sessione"), "one live booking per ticket: no more booking buttons");

    // The second student finds the session full and joins the waitlist.
    let (second, second_number) = ita_l2_ticket(&app, "joao@example.org").await;
    let (_, html) = page(&second, &app, &format!("/tickets/{second_number}")).await;
    assert!(html.contains("Posti liberi: 0") && html.contains("Mettiti in lista d&#x27;attesa"), "{html}");
    let res = submit(&second, &app, &html, &format!("/tickets/{second_number}/booking"), &[("session", session_id)]).await;
    assert!(res.text().await.unwrap().contains("In lista d&#x27;attesa, posizione 1"));
    let (_, mine) = page(&second, &app, "/procedures").await;
    assert!(mine.contains("In lista d&#x27;attesa, posizione 1") && mine.contains(&second_number), "{mine}");

    // Without the token nothing happens.
    let res =
        second.post(app.url(&format!("/tickets/{second_number}/booking"))).form(&[("session", session_id)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The first student cancels from the list; the seat goes to the waitlist.
    let (_, mine) = page(&first, &app, "/procedures").await;
    let at = mine.find("action=\"/bookings/").unwrap() + "action=\"".len();
    let action = mine[at..].split('"').next().unwrap().to_owned();
    let res = submit(&first, &app, &mine, &action, &[("ticket", &first_number), ("back", "/procedures")]).await;
    assert_eq!(res.url().path(), "/procedures");
    assert!(res.text().await.unwrap().contains("Non hai prenotazioni del test ITA-L2."));
    let (_, html) = page(&second, &app, &format!("/tickets/{second_number}")).await;
    assert!(html.contains("Confermata"), "promoted from the waitlist: {html}");
    // Another student's booking cannot be cancelled by anyone else.
    let at = html.find("action=\"/bookings/").unwrap() + "action=\"".len();
    let theirs = html[at..].split('"').next().unwrap().to_owned();
    let (_, mine) = page(&first, &app, &format!("/tickets/{first_number}")).await;
    for ticket in [&first_number, &second_number] {
        let res = submit(&first, &app, &mine, &theirs, &[("ticket", ticket)]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let (_, html) = page(&second, &app, &format!("/tickets/{second_number}")).await;
    assert!(html.contains("Confermata"));
}

async fn single_courses_from_the_portal_carry_their_courses_and_amount(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = sign_up(&app, "luca@studenti.unibg.it").await;
    // Choosing the procedure shows its own fields, and what choosing it does.
    let (status, form) = page(&client, &app, "/tickets/new?category=segreteria&procedure=corsi-singoli").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"p.courses\"") && form.contains("name=\"p.exam_date\""), "{form}");
    assert!(form.contains("apri la pratica qui sul desk") && form.contains("non presenti la domanda"), "{form}");
    // "… specificando … codici, denominazione degli insegnamenti richiesti e numero di cfu".
    let send = |csrf: String, courses: &'static str| {
        Form::new()
            .text("csrf", csrf)
            .text("category", "segreteria")
        .text("privacy_notice_version", "1")
            .text("subject", "Iscrizione a corsi singoli")
            .text("body", "Vorrei iscrivermi a due insegnamenti.")
            .text("f.matricola", "PM12345")
            .text("f.course", "Giurisprudenza")
            .text("f.topic", "corsi-singoli")
            .text("f.career_action", "corsi-singoli")
            .text("p.courses", courses)
    };
    let res = client.post(app.url("/tickets/new")).multipart(send(csrf_of(&form), "21001 | Diritto privato")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = res.text().await.unwrap();
    assert!(refused.contains("id=\"p-courses\"") && refused.contains("21001 | Diritto privato"), "{refused}");
    let res = client
        .post(app.url("/tickets/new"))
        .multipart(send(csrf_of(&refused), "21001 | Diritto privato | 9\n21002 | Economia politica | 6"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.url().path(), "/tickets/new/sent", "the form answers with a redirect");
    let created = res.text().await.unwrap();
    // 15 CFU × 25 € + 16 € of stamp duty; a procedure opened on the desk, not the application.
    assert!(created.contains("391,00"), "{created}");
    assert!(created.contains("non è la domanda"), "{created}");
    let (_, list) = page(&client, &app, "/procedures").await;
    let (_, detail) = page(&client, &app, &procedure_href(&list)).await;
    assert!(detail.contains("Diritto privato") && detail.contains("391,00"), "{detail}");
}

async fn forms_ask_what_the_guide_asks_of_each_situation(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("futuro@gmail.com").await;
    let segreteria = |topic: &str| {
        json!({"category": "segreteria", "privacy_notice_version": 1, "subject": "Domanda", "body": "Una domanda.",
               "fields": {"course": "Ingegneria", "topic": topic}})
    };
    // A future student asks about enrolment without a matricola; other topics need it.
    assert_eq!(app.post("/api/v1/tickets", Some(&student.token), &segreteria("immatricolazione")).await.status(), StatusCode::CREATED);
    let res = app.post("/api/v1/tickets", Some(&student.token), &segreteria("esami")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "fields.matricola");

    // Credentials: one name; a forgotten password needs no identity document, and a foreign
    // applicant without a codice fiscale can still write.
    let credentials = |situation: &str| {
        json!({"category": "credenziali", "privacy_notice_version": 1, "subject": "Credenziali", "body": "Aiuto con le credenziali.",
               "fields": {"full_name": "Amina Diallo", "no_codice_fiscale": true, "birth_date": "2001-03-04", "situation": situation},
               "guest": {"email": "amina@example.org", "name": "Amina Diallo"}})
    };
    assert_eq!(app.post("/api/v1/tickets", None, &credentials("forgotten-password")).await.status(), StatusCode::ACCEPTED);
    let res = app.post("/api/v1/tickets", None, &credentials("account-disabled")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["attachments.id_front", "attachments.id_back"]);
    let mut no_code = credentials("forgotten-password");
    no_code["fields"]["no_codice_fiscale"] = json!(false);
    let res = app.post("/api/v1/tickets", None, &no_code).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The form shows the self-service steps for a forgotten password.
    let client = Client::builder().cookie_store(true).build().unwrap();
    let (_, form) = page(&client, &app, "/tickets/new?category=credenziali").await;
    assert!(form.contains("Recupero password") && form.contains("name=\"f.full_name\""), "{form}");
    assert!(!form.contains("f.first_name"), "{form}");

    // International office: the documents follow the answers; the diploma deadline from the calendar.
    let stranieri = json!({"category": "stranieri", "privacy_notice_version": 1, "subject": "Visto", "body": "Devo chiedere il visto.",
        "fields": {"nationality": "Senegal", "applicant": "visa-applicant", "programme": "laurea", "access": "libero", "topic": "visa"},
        "guest": {"email": "moussa@example.org", "name": "Moussa"}});
    let res = app.post("/api/v1/tickets", None, &stranieri).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["attachments.passport", "attachments.study_visa"]);
    let (_, form) = page(&client, &app, "/tickets/new?category=stranieri").await;
    assert!(form.contains(&format!("Il calendario {} non è ancora pubblicato", this_year())), "{form}");
}

async fn the_received_page_and_the_console_tell_the_window_in_both_languages(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let year = this_year();
    let mut numbers = Vec::new();
    for (lang, expected) in [
        ("en", format!("the {year} calendar is not published yet")),
        ("it", format!("il calendario {year} non è ancora pubblicato")),
    ] {
        let client = sign_up(&app, &format!("student-{lang}@studenti.unibg.it")).await;
        page(&client, &app, &format!("/lang/{lang}?next=/")).await;
        let (_, form) = page(&client, &app, "/tickets/new?category=segreteria&procedure=piano-di-studio").await;
        let ticket = Form::new()
            .text("csrf", csrf_of(&form))
            .text("category", "segreteria")
        .text("privacy_notice_version", "1")
            .text("subject", "Piano di studio")
            .text("body", "Devo presentare il piano di studio.")
            .text("f.matricola", "1012345")
            .text("f.course", "Ingegneria")
            .text("f.topic", "piano-di-studio")
            .text("f.career_action", "piano-di-studio")
            .text("p.programme", "laurea");
        let res = client.post(app.url("/tickets/new")).multipart(ticket).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.url().path(), "/tickets/new/sent", "the form answers with a redirect");
        let created = res.text().await.unwrap();
        assert!(created.contains(&expected), "{lang}: {created}");
        numbers.push(ticket_number_in(&created));
    }
    // The console's ticket page tells the agent the same, in the agent's language.
    let agent = signed_in(&app, "laura@unibg.it", "agent-password").await;
    for (lang, expected) in [
        ("it", format!("il calendario {year} non è ancora pubblicato")),
        ("en", format!("the {year} calendar is not published yet")),
    ] {
        page(&agent, &app, &format!("/lang/{lang}?next=/staff")).await;
        for number in &numbers {
            let (status, html) = page(&agent, &app, &format!("/staff/tickets/{number}")).await;
            assert_eq!(status, StatusCode::OK);
            assert!(html.contains(&expected), "{lang} {number}: {html}");
        }
    }
}
