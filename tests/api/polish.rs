//! Pages that behave as people expect (issue 16), over HTTP on both backends.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{spawn_app, Backend};
use crate::portal::{browser, csrf_of, page, sign_up, ticket_number_in, PDF};

both_backends!(the_request_sent_page_is_a_get_that_files_nothing_again, a_guest_form_keeps_its_files_across_errors_and_flags_all_fields);

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
    let form = Form::new()
        .text("csrf", csrf_of(&html))
        .text("category", "segreteria")
        .text("subject", "Una sola volta")
        .text("body", "Vorrei sapere come modificare il piano di studio.")
        .text("f.matricola", "1012345")
        .text("f.course", "Ingegneria")
        .text("f.topic", "piano-di-studio")
        .part("files", Part::bytes(PDF.to_vec()).file_name("piano.pdf").mime_str("application/pdf").unwrap());
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
