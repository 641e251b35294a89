//! Full-text search over tickets: ranking, Italian stems, e-mail and matricola, internal notes
//! for staff only, snippets, pages, and the same search behind GET /api/v1/tickets?q=.

use std::collections::BTreeSet;

use diesel::connection::SimpleConnection;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{segreteria_ticket, spawn_app, spawn_app_with, Backend, Session, TestApp};

both_backends!(
    search_ranks_stems_and_respects_who_may_see,
    search_pages_and_backfills,
    only_the_newest_matches_are_ranked_and_pages_stay_whole,
    a_document_is_found_once_wherever_the_index_keeps_it
);

pub(crate) async fn open(app: &TestApp, who: &Session, subject: &str, body: &str, matricola: &str) -> String {
    let mut ticket = segreteria_ticket(subject);
    ticket["body"] = json!(body);
    ticket["fields"]["matricola"] = json!(matricola);
    let res = app.post("/api/v1/tickets", Some(&who.token), &ticket).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["number"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn search(app: &TestApp, who: &Session, q: &str) -> Value {
    search_page(app, who, &[("q", q)]).await
}

pub(crate) async fn search_page(app: &TestApp, who: &Session, query: &[(&str, &str)]) -> Value {
    let q = query.first().map(|(_, v)| *v).unwrap_or_default();
    let res = app
        .client
        .get(app.url("/api/v1/search"))
        .query(query)
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "search {q}");
    res.json().await.unwrap()
}

pub(crate) fn found(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|h| h["number"].as_str().unwrap().to_owned())
        .collect()
}

async fn search_ranks_stems_and_respects_who_may_see(backend: Backend) {
    let (app, _admin, agent, other_team) =
        crate::console_actions::desk_with_two_agents(backend).await;
    let student = app.student("giulia.verdi@studenti.unibg.it").await;
    let other = app.student("paolo.neri@studenti.unibg.it").await;

    let in_body = open(
        &app,
        &student,
        "Domanda generica",
        "Vorrei sapere lo stato della mia iscrizione, grazie.",
        "1012345",
    )
    .await;
    let in_subject = open(
        &app,
        &student,
        "Iscrizione al secondo anno",
        "Buongiorno, ho un dubbio.",
        "1012345",
    )
    .await;
    let unrelated = open(
        &app,
        &other,
        "Password dimenticata",
        "Non riesco ad accedere <b>allo</b> Sportello.",
        "7654321",
    )
    .await;

    // Italian stems: "iscrizioni" finds "iscrizione"; a subject match outranks a body match.
    let page = search(&app, &agent, "iscrizioni").await;
    assert_eq!(
        found(&page),
        [in_subject.clone(), in_body.clone()],
        "{page}"
    );
    let ranks: Vec<f64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["rank"].as_f64().unwrap())
        .collect();
    assert!(ranks[0] > ranks[1], "{ranks:?}");
    let body_hit = &page["items"][1];
    assert_eq!(body_hit["subject"], "Domanda generica");
    assert_eq!(body_hit["status"], "new");
    assert!(
        body_hit["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>iscrizione</mark>"),
        "{body_hit}"
    );

    // E-mail, matricola, number; snippets escape everything but <mark>.
    assert_eq!(
        BTreeSet::from_iter(found(
            &search(&app, &agent, "giulia.verdi@studenti.unibg.it").await
        )),
        BTreeSet::from([in_body.clone(), in_subject.clone()])
    );
    let by_matricola = search(&app, &agent, "7654321").await;
    assert_eq!(found(&by_matricola), [unrelated.as_str()]);
    assert!(
        by_matricola["items"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>7654321</mark>"),
        "{by_matricola}"
    );
    assert_eq!(
        found(&search(&app, &agent, &unrelated).await),
        [unrelated.as_str()]
    );
    let escaped = search(&app, &agent, "sportello").await;
    let snippet = escaped["items"][0]["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("&lt;b&gt;allo&lt;/b&gt;") && snippet.contains("<mark>Sportello</mark>"),
        "{snippet}"
    );
    assert!(found(&search(&app, &agent, "zanzibar").await).is_empty());

    // Internal notes: found by staff, and only staff may search at all.
    let res = app
        .post(
            &format!("/api/v1/tickets/{unrelated}/messages"),
            Some(&agent.token),
            &json!({"body": "Nota: verificare con Zanzibar", "internal": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let note_hit = search(&app, &agent, "zanzibar").await;
    assert_eq!(found(&note_hit), [unrelated.as_str()]);
    assert!(note_hit["items"][0]["snippet"]
        .as_str()
        .unwrap()
        .contains("<mark>Zanzibar</mark>"));
    let res = app.get("/api/v1/search?q=zanzibar", Some(&other.token)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/api/v1/search?q=zanzibar", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let mine: Value = app
        .get("/api/v1/tickets?q=zanzibar", Some(&other.token))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        found(&mine).is_empty(),
        "a student found a ticket by its internal note: {mine}"
    );
    // A new public reply is searchable at once (same transaction).
    app.post(
        &format!("/api/v1/tickets/{unrelated}/messages"),
        Some(&other.token),
        &json!({"body": "Aggiungo: tessera universitaria smarrita"}),
    )
    .await;
    assert_eq!(
        found(&search(&app, &agent, "smarrita tessera").await),
        [unrelated.as_str()]
    );
    assert!(
        found(&search(&app, &agent, "smarrita iscrizione").await).is_empty(),
        "every word must match"
    );

    // Agents find only their teams' tickets.
    assert!(found(&search(&app, &other_team, "iscrizioni").await).is_empty());

    // GET /api/v1/tickets?q= searches the same way for staff, with the list's filters.
    let listed: Value = app
        .get("/api/v1/tickets?q=iscrizioni", Some(&agent.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found(&listed), [in_subject.clone(), in_body.clone()]);
    assert_eq!(listed["items"][0]["team"], "segreteria");
    let path = format!("/api/v1/tickets/{in_body}");
    app.patch(
        &path,
        &agent.token,
        &json!({"version": 1, "status": "open"}),
    )
    .await;
    let listed: Value = app
        .get(
            "/api/v1/tickets?q=iscrizioni&status=open",
            Some(&agent.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found(&listed), [in_body.as_str()]);

    // Bad input: 422, never 500.
    for q in ["", "?! …", &"x".repeat(201)] {
        let res = app
            .client
            .get(app.url("/api/v1/search"))
            .query(&[("q", q)])
            .bearer_auth(&agent.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{q:?}");
    }
    let res = app
        .get(
            "/api/v1/search?q=iscrizione&cursor=nonsense",
            Some(&agent.token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .get("/api/v1/search?q=%22%20OR%20*%20NEAR(", Some(&agent.token))
        .await;
    assert!(
        res.status() == StatusCode::OK || res.status() == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.status()
    );
}

async fn search_pages_and_backfills(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let student = app.student("molti@studenti.unibg.it").await;
    let mut all = BTreeSet::new();
    for i in 0..5 {
        let body = "trasferimento ".repeat(i + 1);
        all.insert(open(&app, &student, &format!("Pratica {i}"), &body, "1012345").await);
    }
    // Pages of two: every match once, ranks never rising.
    let mut seen = Vec::new();
    let mut ranks = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("q", "trasferimenti"), ("limit", "2")];
        if let Some(c) = &cursor {
            query.push(("cursor", c.as_str()));
        }
        let page = search_page(&app, &admin, &query).await;
        seen.extend(found(&page));
        ranks.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["rank"].as_f64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), all);
    assert!(ranks.windows(2).all(|w| w[0] >= w[1]), "{ranks:?}");

    // SQLite computes stems in Rust: tickets the migration marked are indexed at start-up.
    if backend == Backend::Sqlite {
        let db = app.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get_writer().unwrap();
            // The index's own file (`db::search_file`) emptied, as a migration would leave it.
            conn.batch_execute(
                "ATTACH (SELECT file FROM pragma_database_list WHERE name = 'main') || '.fts' AS fts; \
                 INSERT INTO fts.ticket_fts(ticket_fts) VALUES ('delete-all'); DELETE FROM fts.ticket_fts_ids; DETACH fts; \
                 INSERT INTO ticket_fts_recent(ticket_fts_recent) VALUES ('delete-all'); DELETE FROM ticket_fts_recent_rows; \
                 UPDATE ticket_search_docs SET indexed = FALSE;",
            )
            .unwrap();
        })
        .await
        .unwrap();
        assert!(found(&search(&app, &admin, "trasferimenti").await).is_empty());
        let db = app.db.clone();
        tokio::task::spawn_blocking(move || helpdesk::startup::prepare_database(&db).unwrap())
            .await
            .unwrap();
        assert_eq!(found(&search(&app, &admin, "trasferimenti").await).len(), 5);
    }
}

/// With a window of 3, the 3 newest matches come first, best first; the older ones follow,
/// newest first, even one whose subject matches. Pages keep the first page's window: a match
/// arriving between pages neither repeats nor hides a ticket.
async fn only_the_newest_matches_are_ranked_and_pages_stay_whole(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.search = helpdesk::tickets::search_index::Ranking::new(3)).await;
    let admin = app.admin().await;
    let student = app.student("rimborsi@studenti.unibg.it").await;
    let mut t = Vec::new();
    for i in 0..7 {
        let subject = if i == 0 || i == 5 { format!("Rimborso tasse {i}") } else { format!("Pratica {i}") };
        t.push(open(&app, &student, &subject, "Chiedo il rimborso della seconda rata.", "1012345").await);
    }
    let page = search(&app, &admin, "rimborso").await;
    let order = found(&page);
    let ranks: Vec<f64> = page["items"].as_array().unwrap().iter().map(|h| h["rank"].as_f64().unwrap()).collect();
    assert_eq!(order.len(), 7, "{page}");
    assert_eq!(order[0], t[5], "the window's subject match first: {order:?}");
    assert_eq!(BTreeSet::from_iter(order[1..3].iter().cloned()), BTreeSet::from([t[4].clone(), t[6].clone()]));
    assert_eq!(order[3..], [t[3].clone(), t[2].clone(), t[1].clone(), t[0].clone()], "older ones newest first");
    assert!(ranks[..3].iter().all(|r| *r > 0.0) && ranks[3..].iter().all(|r| *r < 0.0), "{ranks:?}");
    assert!(ranks.windows(2).all(|w| w[0] >= w[1]), "{ranks:?}");

    // Pages of two, with a new matching ticket between the first page and the second.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for round in 0.. {
        let mut query = vec![("q", "rimborso"), ("limit", "2")];
        if let Some(c) = &cursor {
            query.push(("cursor", c.as_str()));
        }
        let page = search_page(&app, &admin, &query).await;
        seen.extend(found(&page));
        if round == 0 {
            open(&app, &student, "Rimborso urgente", "Rimborso, rimborso.", "1012345").await;
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no ticket twice: {seen:?}");
    assert!(t.iter().all(|n| unique.contains(n)), "every earlier match once: {seen:?}");
}

/// SQLite: how many documents wait among the recent ones (none on PostgreSQL).
pub(crate) async fn recent_documents(app: &TestApp, backend: Backend) -> i64 {
    assert_eq!(backend == Backend::Postgres, app.db.is_postgres());
    crate::helpers::recent_documents_in(&app.db).await
}

/// The tickets a word finds, each once: a second copy of a document would make a second page.
async fn found_once(app: &TestApp, who: &Session, word: &str) -> Vec<String> {
    let page = search_page(app, who, &[("q", word), ("limit", "1")]).await;
    assert!(page["next_cursor"].is_null(), "{word} matched more than once: {page}");
    found(&page)
}

/// SQLite writes a document among the recent ones and the writer moves it into the index a
/// few times a second (one segment for many tickets): a ticket is found at once, exactly
/// once, before and after the move, and a rewrite leaves no old copy behind in either table.
async fn a_document_is_found_once_wherever_the_index_keeps_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let student = app.student("carla.bianchi@studenti.unibg.it").await;
    let number = open(&app, &student, "Piano di studi", "Vorrei cambiare un esame a scelta.", "1023456").await;
    // Read-your-writes: found in the answer's wake, whatever the writer did since.
    assert_eq!(found_once(&app, &admin, "esame").await, [number.as_str()]);

    // Moved: found the same, once.
    let mut waited = 0;
    while recent_documents(&app, backend).await > 0 {
        assert!(waited < 100, "the recent documents were never moved into the index");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(found_once(&app, &admin, "esame").await, [number.as_str()]);

    // A reply rewrites the document: back among the recent ones, the moved copy deleted (else
    // the ticket would match twice), the old words and the new found.
    let reply = |body: &'static str| {
        let (app, token, number) = (&app, admin.token.clone(), number.clone());
        async move {
            let res = app.post(&format!("/api/v1/tickets/{number}/messages"), Some(&token), &json!({"body": body})).await;
            assert_eq!(res.status(), StatusCode::CREATED, "{body}");
        }
    };
    reply("Certo: compili il modulo del piano di studi entro la scadenza.").await;
    assert_eq!(found_once(&app, &admin, "esame").await, [number.as_str()]);
    assert_eq!(found_once(&app, &admin, "modulo").await, [number.as_str()]);
    // Rewritten again while among the recent ones: replaced there, not added.
    reply("Le scrivo anche l'indirizzo dell'ufficio tirocini.").await;
    for word in ["esame", "modulo", "tirocini"] {
        assert_eq!(found_once(&app, &admin, word).await, [number.as_str()], "{word}");
    }
}
