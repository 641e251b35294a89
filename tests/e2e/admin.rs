//! The admin pages in Chromium: an admin sent to sign in first lands on the admin index, then
//! visits every section; axe-core finds nothing serious, also on a refused form with its
//! errors, and each page is saved as a screenshot.

use crate::browser::Browser;
use crate::helpers::{spawn_app, Backend};
use crate::journeys::check;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_visits_every_admin_page() {
    let app = spawn_app(Backend::Sqlite).await;
    app.admin().await;

    let b = Browser::start().await;
    b.resize(1280, 1000).await;
    b.goto(&app.url("/staff/admin")).await;
    assert_eq!(b.path_after_navigation("/sign-in").await, "/sign-in", "sign in first");
    b.type_in("email", "admin@unibg.it").await;
    b.type_in("password", "admin-password").await;
    b.click("form.form button[type=submit]").await;
    assert_eq!(b.path_after_navigation("/staff/admin").await, "/staff/admin", "and back to the admin index");
    assert_eq!(b.text("h1").await, "Amministrazione");
    check(&b, "30-admin-index").await;

    let pages = [
        ("/staff/admin/categories", "31-admin-categories"),
        ("/staff/admin/categories/credenziali", "32-admin-category"),
        ("/staff/admin/teams", "33-admin-teams"),
        ("/staff/admin/canned", "34-admin-canned"),
        ("/staff/admin/hours", "35-admin-hours"),
        ("/staff/admin/hours/segreteria", "36-admin-hours-team"),
        ("/staff/admin/closures", "37-admin-closures"),
        ("/staff/admin/career", "38-admin-career"),
        ("/staff/admin/career/corsi-singoli", "39-admin-career-type"),
        ("/staff/admin/calendar", "39b-admin-calendar"),
        ("/staff/admin/access-log", "39c-admin-access-log"),
    ];
    for (path, name) in pages {
        b.goto(&app.url(path)).await;
        assert_eq!(b.path().await, path);
        assert!(!b.text("h1").await.is_empty(), "{path} has a heading");
        check(&b, name).await;
    }

    // A refused form: the errors on their fields, still accessible.
    b.goto(&app.url("/staff/admin/categories/credenziali")).await;
    b.type_in("c-fields-0-key", "Nome Proprio").await;
    b.click("form.form > button[type=submit]").await;
    b.wait_for_text("Alcuni campi non sono corretti").await;
    assert_eq!(b.value("c-fields-0-key").await, "Nome Proprio", "kept as typed");
    check(&b, "40-admin-category-errors").await;

    // And in English.
    b.goto(&app.url("/lang/en?next=/staff/admin/teams")).await;
    assert_eq!(b.text("h1").await, "Offices and staff");
    check(&b, "41-admin-teams-en").await;
}

/// The document's height in CSS pixels.
async fn height(b: &Browser) -> f64 {
    b.client.execute("return document.documentElement.scrollHeight;", vec![]).await.unwrap().as_f64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_lists_are_short_and_read_as_people_write() {
    let app = spawn_app(Backend::Sqlite).await;
    app.admin().await;
    let b = Browser::start().await;
    b.resize(1366, 900).await;
    crate::console::sign_in(&app, &b, "admin@unibg.it", "admin-password").await;

    // Canned responses: a list, each edit form folded (it was 5,000 px of open forms).
    b.goto(&app.url("/staff/admin/canned")).await;
    let folded = height(&b).await;
    assert!(folded < 2500.0, "the canned responses page is {folded} px high");
    let first = b.text(".canned-item h3").await;
    let first = first.split(" · ").next().unwrap().to_owned();
    b.click(".canned-item details.canned-edit summary").await;
    assert!(height(&b).await > folded, "an entry opens to its form");
    b.click(".canned-item details.canned-edit[open] form.form button[type=submit]").await;
    b.wait_for_text("Modifiche salvate").await;
    let notice: serde_json::Value = b
        .client
        .execute("const n = document.querySelector('.notice'); return [n.className, getComputedStyle(n).backgroundColor, n.textContent];", vec![])
        .await
        .unwrap();
    assert!(notice[0].as_str().unwrap().contains("notice-ok"), "a success, not a warning: {notice}");
    assert!(notice[2].as_str().unwrap().contains(&first), "it names the response saved ({first}): {notice}");

    // Topics name their office, not its slug.
    b.goto(&app.url("/staff/admin/categories")).await;
    let offices: serde_json::Value =
        b.client.execute("return [...document.querySelectorAll('tbody tr td:first-of-type')].map(td => td.textContent.trim());", vec![]).await.unwrap();
    let offices: Vec<&str> = offices.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(offices.contains(&"Segreteria studenti") && !offices.iter().any(|o| ["segreteria", "stranieri", "it"].contains(o)), "{offices:?}");

    // Procedure windows are dates as people write them.
    b.goto(&app.url("/staff/admin/career?year=2025-2026")).await;
    let text = b.text("main").await;
    assert!(text.contains("ottobre 2025") && text.contains("laurea magistrale, 1° anno"), "Italian dates and cohorts");
    assert!(!regex_like_iso(&text), "no ISO dates in the list");
    b.goto(&app.url("/lang/en?next=/staff/admin/career?year=2025-2026")).await;
    let text = b.text("main").await;
    assert!(text.contains("October 2025") && text.contains("master's degree"), "English dates and cohorts");
    check(&b, "39d-admin-career-dates-en").await;
    b.goto(&app.url("/staff/admin/calendar")).await;
    assert!(b.text("main").await.contains("3 October 2025"), "the year's deadlines as people write them");
    assert!(!regex_like_iso(&b.text("main").await), "no ISO dates on the calendars");
}

/// Whether the text holds a date written 2025-10-03.
fn regex_like_iso(text: &str) -> bool {
    text.as_bytes().windows(10).any(|w| {
        w.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
    })
}
