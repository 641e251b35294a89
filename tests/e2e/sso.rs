//! Single sign-on in Chromium, against the running desk and the real OpenID provider of
//! tests/oidc: the sign-in page offers the university credentials first, the button leads to
//! the provider's login page, and the student is back on "Le mie richieste", signed in; the
//! account page says how. axe-core checks the desk's pages.

use crate::browser::Browser;
use crate::helpers::Backend;
use crate::journeys::check;
use crate::oidc::{spawn_with_sso, PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_signs_in_with_university_credentials() {
    let desk = spawn_with_sso(Backend::Sqlite, |_| {}).await;
    let app = &desk.app;
    let b = Browser::start().await;
    b.goto(&app.url("/")).await;
    b.click("a[href='/sign-in']").await;
    assert_eq!(b.path_after_navigation("/sign-in").await, "/sign-in");
    assert_eq!(b.text("#sso-button").await, "Accedi con le credenziali di Ateneo");
    check(&b, "40-sign-in-sso").await;

    b.click("#sso-button").await;
    b.wait_for_text("Login di Ateneo").await;
    let at = b.client.current_url().await.expect("the url");
    assert_eq!(at.port(), Some(desk.provider.port), "on the provider's login page: {at}");
    b.type_in("username", "mario.rossi").await;
    b.type_in("password", PASSWORD).await;
    b.click("#login-submit").await;

    assert_eq!(b.path_after_navigation("/tickets").await, "/tickets", "back on the desk");
    assert_eq!(b.text("h1").await, "Le mie richieste");
    assert!(b.source().await.contains("Mario Rossi"), "signed in as the provider's person");
    check(&b, "41-sso-my-tickets").await;

    b.click("a[href='/account']").await;
    assert_eq!(b.path_after_navigation("/account").await, "/account");
    assert_eq!(b.text("#signed-in-via").await, "Con le credenziali di Ateneo");
    check(&b, "42-my-account").await;
}
