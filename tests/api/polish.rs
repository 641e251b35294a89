//! Pages that behave as people expect (issue 16), over HTTP on both backends.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{spawn_app, Backend};
use crate::portal::{browser, csrf_of, page, sign_up, ticket_number_in, PDF};

both_backends!(the_request_sent_page_is_a_get_that_files_nothing_again);

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
