//! The knowledge base: the shipped guides imported at start, ranked search with highlighted
//! snippets in Italian and English, article pages, deflection counting.

use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, TestApp};

both_backends!(
    import_yields_the_guides_sections,
    italian_query_finds_the_inflected_article,
    english_query_finds_the_credentials_page,
    article_pages_render_and_count_deflections,
    bad_queries_are_refused,
    reimport_is_idempotent,
    chapters_without_a_heading_line_are_found_by_their_own_questions,
    the_new_ticket_page_suggests_through_its_own_script,
    articles_are_section_sized_this_year_first_and_linked,
);

async fn search(app: &TestApp, query: &str) -> Vec<Value> {
    let res = app.get(&format!("/api/v1/kb/search?{query}"), None).await;
    assert_eq!(res.status(), StatusCode::OK, "{query}");
    res.json::<Vec<Value>>().await.expect("json")
}

fn count_articles(db: &helpdesk::db::Db, source: &str) -> i64 {
    use diesel::prelude::*;
    use helpdesk::db::schema::kb_articles;
    let mut conn = db.get_writer().expect("conn");
    kb_articles::table.filter(kb_articles::source.eq(source)).count().get_result(&mut *conn).expect("count")
}

async fn import_yields_the_guides_sections(backend: Backend) {
    let app = spawn_app(backend).await;
    let db = app.db.clone();
    let (unibg, unibo) = tokio::task::spawn_blocking(move || {
        (count_articles(&db, "unibg-guida-2025-2026"), count_articles(&db, "unibo-credentials"))
    })
    .await
    .expect("blocking");
    assert!(unibg >= 10, "{unibg} articles from the Bergamo guide");
    assert!(unibo >= 1, "{unibo} articles from the Bologna page");
}

async fn italian_query_finds_the_inflected_article(backend: Backend) {
    let app = spawn_app(backend).await;
    for query in ["q=come%20rinuncio%20agli%20studi", "q=come%20rinuncio%20agli%20studi&locale=it"] {
        let hits = search(&app, query).await;
        assert!(hits[0]["url"].as_str().unwrap().contains("rinuncia-agli-studi"), "{query}: first is {:#?}", hits[0]);
        let top3 = &hits[..hits.len().min(3)];
        let found = top3.iter().find(|h| h["url"].as_str().unwrap_or("").contains("rinuncia-agli-studi"));
        let hit = found.unwrap_or_else(|| panic!("{query}: the rinuncia article is not in the top 3: {hits:#?}"));
        assert!(hit["snippet"].as_str().unwrap().contains("<mark>"), "{hit:#?}");
        assert!(hit["id"].as_str().is_some_and(|id| !id.is_empty()));
        assert!(hit["title"].as_str().is_some_and(|t| t.to_lowercase().contains("rinuncia")));
    }
}

async fn english_query_finds_the_credentials_page(backend: Backend) {
    let app = spawn_app(backend).await;
    for query in ["q=forgot%20password", "q=forgot%20password&locale=en"] {
        let hits = search(&app, query).await;
        let first = hits.first().unwrap_or_else(|| panic!("{query}: no result"));
        assert!(first["url"].as_str().unwrap().starts_with("/kb/unibo-credentials-"), "{query}: {hits:#?}");
    }
    let hits = search(&app, "q=forgot%20password&locale=en").await;
    assert!(hits.iter().all(|h| h["url"].as_str().unwrap().starts_with("/kb/unibo-")), "{hits:#?}");
    assert!(hits.iter().any(|h| h["title"] == "Can't remember your password?"), "{hits:#?}");
}

async fn article_pages_render_and_count_deflections(backend: Backend) {
    let app = spawn_app(backend).await;
    let hits = search(&app, "q=rinuncia%20agli%20studi&locale=it&limit=1").await;
    assert_eq!(hits.len(), 1);
    let url = hits[0]["url"].as_str().unwrap().to_owned();
    let title = hits[0]["title"].as_str().unwrap().to_owned();
    let res = app.get(&url, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("<h1>{title}</h1>")), "{html}");
    assert!(html.contains("16,00"), "the article's text is on the page");

    // The search page, reached from the new-ticket page, carries the origin to the article.
    let page = app.get("/kb?q=rinuncio%20agli%20studi&from=new-ticket", None).await.text().await.unwrap();
    // (handlebars writes "=" as "&#x3D;" in attributes; browsers read it back)
    assert!(page.contains(&format!("{url}?from&#x3D;new-ticket")), "{page}");
    assert!(page.contains("<mark>"), "{page}");
    assert_eq!(app.get(&format!("{url}?from=new-ticket"), None).await.status(), StatusCode::OK);
    assert_eq!(app.get(&format!("{url}?from=new-ticket"), None).await.status(), StatusCode::OK);
    let db = app.db.clone();
    let slug = url.trim_start_matches("/kb/").to_owned();
    let views = tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().expect("conn");
        let article = helpdesk::kb::article_by_slug(&mut conn, &slug).expect("query").expect("article");
        helpdesk::kb::search::deflections(&mut conn, &article.id).expect("views")
    })
    .await
    .unwrap();
    assert_eq!(views, 2);

    assert_eq!(app.get("/kb/no-such-article", None).await.status(), StatusCode::NOT_FOUND);
    // The new-ticket page links to the guide's search, without JavaScript.
    let form = app.get("/tickets/new?category=credenziali", None).await.text().await.unwrap();
    assert!(form.contains("<a href=\"/kb?from") && form.contains("Cerca nella guida"), "{form}");
}

async fn bad_queries_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    for query in ["q=", "q=%20%20", "", &format!("q={}", "a".repeat(201))] {
        let res = app.get(&format!("/api/v1/kb/search?{query}"), None).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
    // Only stop-words: a valid query with nothing to find.
    assert!(search(&app, "q=come%20di").await.is_empty());
}

async fn reimport_is_idempotent(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = search(&app, "q=forgot%20password").await;
    let db = app.db.clone();
    let report = tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().expect("conn");
        helpdesk::kb::import_guides(&mut conn, &helpdesk::kb::Guide::shipped()).expect("import")
    })
    .await
    .unwrap();
    assert_eq!(report.removed, 0);
    let after = search(&app, "q=forgot%20password").await;
    assert_eq!(before, after, "same ids, same ranking");
}

/// Chapters 6, 10 and 11 of the Bergamo guide have no heading line in its text (only its
/// contents list them): each is an article of its own that its own questions find first.
async fn chapters_without_a_heading_line_are_found_by_their_own_questions(backend: Backend) {
    let app = spawn_app(backend).await;
    for (query, slug, title) in [
        ("posso%20iscrivermi%20part-time%20a%20tempo%20parziale", "6-immatricolazione-part-time", "6. IMMATRICOLAZIONE PART-TIME"),
        ("scadenza%20attestazione%20ISEEU%20rateizzazione", "10-contribuzione-studentesca", "10. CONTRIBUZIONE STUDENTESCA"),
        ("quando%20compilo%20il%20piano%20di%20studio", "11-piani-di-studio-lezioni-esami", "11. PIANI DI STUDIO - LEZIONI - ESAMI"),
    ] {
        let hits = search(&app, &format!("q={query}&locale=it")).await;
        let first = hits.first().unwrap_or_else(|| panic!("{query}: no result"));
        // The chapter's own article, or one of the parts a long chapter is cut into.
        assert!(first["url"].as_str().unwrap().starts_with(&format!("/kb/unibg-guida-2025-2026-{slug}")), "{query}: {hits:#?}");
        let first_title = first["title"].as_str().unwrap();
        assert!(first_title.starts_with(title), "{query}: {first_title}");
        let html = app.get(first["url"].as_str().unwrap(), None).await.text().await.unwrap();
        assert!(html.contains(&format!("<h1>{}</h1>", first_title.replace('\'', "&#x27;"))), "{html}");
    }
    // The chapters before them no longer hold their text.
    for (slug, foreign) in [("5-tessera-universitaria-flash-up-studio", "part-time"), ("9-iscrizione-a-corsi-singoli-a-a-2025-2026", "ISEEU")] {
        let res = app.get(&format!("/kb/unibg-guida-2025-2026-{slug}"), None).await;
        assert_eq!(res.status(), StatusCode::OK, "{slug}");
        let html = res.text().await.unwrap();
        assert!(!html.contains(foreign), "{slug} holds '{foreign}'");
    }
}

/// The suggestions while a subject is typed come from our own script (the browser suite runs
/// it): served from the app, named by the page with no inline script or handler (the CSP allows
/// none), their markup inert in a template, so without JavaScript only the link is there.
async fn the_new_ticket_page_suggests_through_its_own_script(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.get("/static/kb-suggest.js", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let js = res.text().await.unwrap();
    assert!(js.contains("AbortController") && js.contains("textContent") && !js.contains("innerHTML"), "{js}");

    for (language, heading) in [("it", "Forse la guida risponde già"), ("en", "The guide may already answer this")] {
        let res = app.client.get(app.url("/tickets/new?category=credenziali")).header("Accept-Language", language).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        let html = res.text().await.unwrap();
        assert_eq!(html.matches("<script").count(), 1, "{html}");
        assert!(html.contains(r#"<script src="/static/kb-suggest.js" defer></script>"#), "{html}");
        let handlers = html.split_whitespace().filter(|w| w.starts_with("on") && w.contains('=') && w[2..].starts_with(char::is_alphabetic));
        assert_eq!(handlers.count(), 0, "no inline handler: {html}");
        let template = html.split(r#"<template id="kb-suggest""#).nth(1).and_then(|t| t.split("</template>").next()).expect("the template");
        assert!(template.contains(r#"data-endpoint="/api/v1/kb/search""#) && template.contains(r#"data-from="new-ticket""#), "{template}");
        assert!(template.contains(r#"aria-live="polite""#) && template.contains(r#"aria-labelledby="kb-suggest-title""#));
        assert!(template.contains(&format!(r#"<h2 id="kb-suggest-title" class="kb-suggest-title">{heading}</h2>"#)), "{template}");
        assert!(html.contains(r#"<a href="/kb?from"#) && html.contains(r#"id="kb-fallback""#), "the link without JavaScript stays");
    }
}

async fn articles_are_section_sized_this_year_first_and_linked(backend: Backend) {
    let app = spawn_app(backend).await;
    // "8. ISCRIZIONE A CORSI SINGOLI a.a. 2024-2025" ranks after "9. … a.a. 2025-2026".
    let hits = search(&app, "q=corsi%20singoli&limit=20").await;
    let first_of = |year: &str| hits.iter().position(|h| h["title"].as_str().unwrap().contains(year));
    let (current, past) = (first_of("2025-2026"), first_of("2024-2025"));
    assert!(current.is_some() && (past.is_none() || current < past), "{hits:?}");
    let past = app.client.get(app.url("/kb/unibg-guida-2025-2026-8-iscrizione-a-corsi-singoli-a-a-2024-2025")).send().await.unwrap();
    assert_eq!(past.status(), StatusCode::OK);
    let page = past.text().await.unwrap();
    assert!(page.contains("anno accademico passato"), "{page}");
    let this_year = app.client.get(app.url("/kb/unibg-guida-2025-2026-9-iscrizione-a-corsi-singoli-a-a-2025-2026")).send().await.unwrap();
    assert!(!this_year.text().await.unwrap().contains("anno accademico passato"));
    // An Italian query without little words ranks the Italian guide first.
    let hits = search(&app, "q=recupero%20password%20dimenticata").await;
    assert!(hits[0]["url"].as_str().unwrap().starts_with("/kb/unibg-"), "{hits:?}");
    // No 3,000-word article: every one is at most 700 words.
    let db = app.db.clone();
    let longest = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        let mut conn = db.get_writer().unwrap();
        let bodies: Vec<String> =
            helpdesk::db::schema::kb_articles::table.select(helpdesk::db::schema::kb_articles::body).load(&mut *conn).unwrap();
        bodies.iter().map(|b| b.split_whitespace().count()).max().unwrap()
    })
    .await
    .unwrap();
    assert!(longest <= 700, "{longest} words");
    // The guide's uppercase headings read as headings.
    let hits = search(&app, "q=trasferisci%20ateneo%20congedo").await;
    let url = hits.iter().find(|h| h["title"] == "Se ti trasferisci da un altro Ateneo").expect("the transfer section")["url"].as_str().unwrap().to_owned();
    let page = app.client.get(app.url(&url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<h2>AMMISSIONE AD ANNI SUCCESSIVI AL PRIMO</h2>"), "{page}");
    // The guide is in the navigation and on the home page.
    let home = app.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("<a href=\"/kb\"") && home.contains("action=\"/kb\""), "{home}");
}
