//! Guide articles suggested on the new-ticket page while the subject is typed (JavaScript on):
//! at most three, in a labelled polite live region under the field, reachable with the
//! keyboard, accessible on a desktop and a phone; none for a subject the guide does not
//! answer; followed to the article with the deflection counted.

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::Value;

use crate::browser::Browser;
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::journeys::{check, submit_sign_up};

const QUESTION: &str = "come rinuncio agli studi";

/// Waits (up to 10 s) until the suggestions answer `query`; returns their links' hrefs.
async fn suggestions_for(b: &Browser, query: &str) -> Vec<String> {
    let css = format!(".kb-suggest[data-query='{query}'] .kb-suggest-list a");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let links = b.client.find_all(Locator::Css(&css)).await.expect("finding suggestions");
        if !links.is_empty() {
            let mut hrefs = Vec::new();
            for link in links {
                hrefs.push(link.attr("href").await.expect("href").unwrap_or_default());
            }
            return hrefs;
        }
        assert!(Instant::now() < deadline, "no suggestion for '{query}':\n{}", b.source().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (up to 10 s) until no suggestion is shown.
async fn no_suggestions(b: &Browser) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !b.client.find_all(Locator::Css(".kb-suggest-box")).await.expect("finding the box").is_empty() {
        assert!(Instant::now() < deadline, "the suggestions stay:\n{}", b.source().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn attr(b: &Browser, css: &str, name: &str) -> Option<String> {
    let el = b.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    el.attr(name).await.expect("an attribute")
}

/// Views of an article counted as deflections, read from the database.
async fn deflections(app: &TestApp, slug: &str) -> i32 {
    let (db, slug) = (app.db.clone(), slug.to_owned());
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().expect("a connection");
        let article = helpdesk::kb::article_by_slug(&mut conn, &slug).expect("a query").expect("the article");
        helpdesk::kb::search::deflections(&mut conn, &article.id).expect("the views")
    })
    .await
    .expect("the database task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guide_articles_are_suggested_while_the_subject_is_typed() {
    let app = spawn_app(Backend::Sqlite).await;
    let b = Browser::start().await;
    b.goto(&app.url("/sign-up")).await;
    submit_sign_up(&app, &b, "Sara Bianchi", "sara@studenti.unibg.it").await;
    b.goto(&app.url("/tickets/new?category=segreteria")).await;
    assert!(b.client.find_all(Locator::Css(".kb-suggest-box")).await.unwrap().is_empty(), "nothing before typing");
    assert_eq!(attr(&b, ".kb-suggest", "aria-live").await.as_deref(), Some("polite"), "the live region is on the page");

    b.type_in("subject", QUESTION).await;
    let hrefs = suggestions_for(&b, QUESTION).await;
    assert!((1..=3).contains(&hrefs.len()), "{hrefs:?}");
    let rinuncia =
        hrefs.iter().find(|h| h.contains("rinuncia-agli-studi")).unwrap_or_else(|| panic!("no rinuncia article in {hrefs:?}"));
    assert!(rinuncia.starts_with("/kb/unibg-guida-2025-2026-") && rinuncia.ends_with("?from=new-ticket"), "{rinuncia}");
    // A labelled region: its heading names it; the words asked are marked in the snippets.
    assert_eq!(attr(&b, ".kb-suggest-box", "aria-labelledby").await.as_deref(), Some("kb-suggest-title"));
    assert_eq!(b.text("#kb-suggest-title").await, "Forse la guida risponde già");
    assert!(!b.client.find_all(Locator::Css(".kb-suggest-snippet mark")).await.unwrap().is_empty(), "marked words");
    // The link for browsers without JavaScript searches the subject typed.
    let fallback = attr(&b, "#kb-fallback", "href").await.unwrap_or_default();
    assert_eq!(fallback, "/kb?from=new-ticket&q=come+rinuncio+agli+studi");

    // The keyboard reaches the suggestions right after the subject.
    let subject = b.client.find(Locator::Id("subject")).await.unwrap();
    subject.send_keys(&Key::Tab.to_string()).await.unwrap();
    let focused: Value = b.client.execute("return document.activeElement.getAttribute('href');", vec![]).await.unwrap();
    assert_eq!(focused.as_str(), Some(hrefs[0].as_str()), "the first suggestion has the focus");
    check(&b, "20-new-ticket-suggestions").await;
    b.resize(390, 1500).await;
    check(&b, "21-new-ticket-suggestions-phone").await;
    b.resize(1280, 1000).await;

    // A subject the guide does not answer shows none; the link stays.
    b.type_in("subject", "xyzzy qwertz").await;
    no_suggestions(&b).await;
    assert!(attr(&b, "#kb-fallback", "href").await.is_some_and(|h| h.ends_with("q=xyzzy+qwertz")));

    // Back to the question; the suggestion opens the article and counts as a deflection.
    b.type_in("subject", QUESTION).await;
    let hrefs = suggestions_for(&b, QUESTION).await;
    let target = hrefs.iter().find(|h| h.contains("rinuncia-agli-studi")).expect("the rinuncia article again").clone();
    let path = target.trim_end_matches("?from=new-ticket").to_owned();
    let slug = path.trim_start_matches("/kb/").to_owned();
    assert_eq!(deflections(&app, &slug).await, 0);
    b.click(&format!(".kb-suggest-list a[href='{target}']")).await;
    assert_eq!(b.path_after_navigation(&path).await, path);
    assert!(b.text("h1").await.to_lowercase().contains("rinuncia"));
    assert_eq!(deflections(&app, &slug).await, 1, "the view from the suggestion is a deflection");
}
