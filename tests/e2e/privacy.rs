//! Issue 17 in Chromium: the new-ticket form shows the category's privacy notice collapsed, and
//! a request is sent only once its checkbox is ticked (the error says so in the page's language).

use crate::browser::Browser;
use crate::helpers::{spawn_app, Backend};
use crate::journeys::check;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notice_is_shown_and_its_checkbox_is_required() {
    let app = spawn_app(Backend::Sqlite).await;
    let b = Browser::start().await;
    b.goto(&app.url("/tickets/new?category=stranieri")).await;
    b.type_in("guest-name", "Ana Souza").await;
    b.type_in("guest-email", "ana.souza@example.org").await;
    b.type_in("subject", "Dichiarazione di valore").await;
    b.type_in("body", "Dove richiedo la dichiarazione di valore?").await;
    b.type_in("f-nationality", "Brasile").await;
    b.choose("f-topic", "declaration-of-value").await;
    check(&b, "17-notice-collapsed").await;
    // Collapsed: the text is there, behind its summary.
    let open: serde_json::Value = b.client.execute("return document.querySelector('.privacy-notice details').open;", vec![]).await.unwrap();
    assert_eq!(open, serde_json::json!(false), "the notice starts collapsed");

    // Not ticked: the form comes back, the notice open, the error in the summary and at the box.
    b.click("form.form button[type=submit]").await;
    b.wait_for_text("conferma di averla letta").await;
    assert_eq!(b.path().await, "/tickets/new");
    assert_eq!(b.value("subject").await, "Dichiarazione di valore", "what was typed is kept");
    let open: serde_json::Value = b.client.execute("return document.querySelector('.privacy-notice details').open;", vec![]).await.unwrap();
    assert_eq!(open, serde_json::json!(true), "shown open when it must be read");
    check(&b, "17-notice-required").await;

    b.click("#privacy_notice_version").await;
    b.click("form.form button[type=submit]").await;
    let number = b.text("#ticket-number").await;
    assert!(number.starts_with("HD-"), "sent once acknowledged: {number}");
}
