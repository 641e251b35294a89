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
