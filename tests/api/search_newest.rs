//! PostgreSQL's newest documents (`db::search_newest`): a search reads its ranked window there
//! and gets the page the whole index would give; what they cannot answer, the whole index does.
//! SQLite has no such table: the same searches, the same answers.

use std::collections::BTreeSet;

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};
use helpdesk::tickets::search_index::{prune_newest, Ranking};
use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{spawn_app_with, Backend, Session, TestApp};
use crate::search::{found, open, search_page};
use crate::sla::with_db;

both_backends!(the_newest_documents_answer_the_window_as_the_whole_index_would);

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    v: String,
}

/// The first column of `sql`'s rows, as text.
async fn texts(app: &TestApp, sql: &str) -> Vec<String> {
    let sql = sql.to_owned();
    with_db(app, move |conn| diesel::sql_query(sql).load::<Row>(conn).unwrap().into_iter().map(|r| r.v).collect()).await
}

/// PostgreSQL: "<distinct tickets> of <documents>" over both tables of the index.
async fn documents(app: &TestApp) -> Vec<String> {
    let sql = "SELECT count(DISTINCT ticket_id)::text || ' of ' || count(*)::text AS v FROM \
               (SELECT ticket_id FROM ticket_search UNION ALL SELECT ticket_id FROM ticket_search_newest) d";
    texts(app, sql).await
}

/// Every page of one row of a search, in order.
async fn pages_of_one(app: &TestApp, who: &Session, q: &str) -> Vec<String> {
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let mut query = vec![("q", q), ("limit", "1")];
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let page = search_page(app, who, &query).await;
        seen.extend(found(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return seen,
        }
        assert!(seen.len() < 100, "the pages end");
    }
}

fn set(numbers: &[String]) -> BTreeSet<&str> {
    numbers.iter().map(String::as_str).collect()
}

/// Ten newest documents kept, a window of eight: a page of one row takes eight candidates, so
/// a first page can come from the newest documents alone. Fourteen tickets match "rimborso";
/// the 4 oldest move to the whole index; replies rewrite a document where it is. The pages are
/// those of the rule — the eight newest by relevance, then the older newest first — and the
/// first one really is read from the newest documents alone.
async fn the_newest_documents_answer_the_window_as_the_whole_index_would(backend: Backend) {
    let ranking = Ranking { window: 8, newest: 10 };
    let app = spawn_app_with(backend, |s| s.search = ranking).await;
    let admin = app.admin().await;
    let student = app.student("rimborsi@studenti.unibg.it").await;
    let mut t = Vec::new();
    for i in 0..14 {
        let subject = if [3, 9, 12].contains(&i) { format!("Rimborso tasse {i}") } else { format!("Pratica {i}") };
        t.push(open(&app, &student, &subject, "Chiedo il rimborso della seconda rata.", "1012345").await);
    }
    let pruned = with_db(&app, move |conn| prune_newest(conn, ranking).unwrap()).await;
    let pg = backend == Backend::Postgres;
    assert_eq!(pruned, if pg { 4 } else { 0 }, "the 4 oldest documents move to the whole index (none on SQLite)");
    if pg {
        let newest = "SELECT t.number AS v FROM ticket_search_newest n JOIN tickets t ON t.id = n.ticket_id ORDER BY n.ticket_id COLLATE \"C\"";
        assert_eq!(texts(&app, newest).await, t[4..], "the ten newest, in id order");
        let edge = "SELECT t.number AS v FROM ticket_search_newest_edge e JOIN tickets t ON t.id = e.edge";
        assert_eq!(texts(&app, edge).await, [t[4].clone()], "the edge is the oldest kept");
        assert_eq!(with_db(&app, move |conn| prune_newest(conn, ranking).unwrap()).await, 0, "then nothing to do");
    }

    // Replies: to an old ticket, below the edge, and to a new one.
    for (number, body) in [(&t[1], "Ho fatto il bonifico ieri."), (&t[12], "Il bonifico risulta arrivato.")] {
        let res = app.post(&format!("/api/v1/tickets/{number}/messages"), Some(&admin.token), &json!({"body": body})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    if pg {
        let matching = |table: &str| {
            format!(
                "SELECT t.number AS v FROM {table} s JOIN tickets t ON t.id = s.ticket_id \
                 WHERE s.document @@ to_tsquery('italian', 'bonifico') ORDER BY 1"
            )
        };
        assert_eq!(texts(&app, &matching("ticket_search_newest")).await, [t[12].clone()], "the new ticket's rewritten where it is");
        assert_eq!(texts(&app, &matching("ticket_search")).await, [t[1].clone()], "and the old one's in the whole index");
        assert_eq!(documents(&app).await, ["14 of 14"], "each document in one table");
    }
    // One of the two among the newest, fewer than the window: the whole index answers.
    let bonifico = found(&search_page(&app, &admin, &[("q", "bonifico")]).await);
    assert_eq!(set(&bonifico), set(&[t[1].clone(), t[12].clone()]));

    // The window: the eight newest (t[6..]), the subject matches first; then the older ones,
    // newest first, the subject match t[3] in its place. Each once.
    let pages = pages_of_one(&app, &admin, "rimborso").await;
    assert_eq!(pages.len(), 14, "{pages:?}");
    assert_eq!(set(&pages[..2]), set(&[t[9].clone(), t[12].clone()]), "{pages:?}");
    let rest: Vec<String> = [6, 7, 8, 10, 11, 13].iter().map(|&i| t[i].clone()).collect();
    assert_eq!(set(&pages[2..8]), set(&rest), "{pages:?}");
    let older: Vec<String> = (0..6).rev().map(|i| t[i].clone()).collect();
    assert_eq!(pages[8..], older, "{pages:?}");

    if pg {
        // The whole index out of the way: the first page is still served, from the newest
        // documents alone.
        let rename = |from: &'static str, to: &'static str| {
            with_db(&app, move |conn| conn.batch_execute(&format!("ALTER TABLE {from} RENAME TO {to}")).unwrap())
        };
        rename("ticket_search", "ticket_search_hidden").await;
        let page = app.client.get(app.url("/api/v1/search")).query(&[("q", "rimborso"), ("limit", "1")]).bearer_auth(&admin.token).send().await.unwrap();
        let status = page.status();
        let first = page.json::<serde_json::Value>().await.ok();
        rename("ticket_search_hidden", "ticket_search").await;
        assert_eq!(status, StatusCode::OK, "{first:?}");
        let first = found(&first.unwrap_or_default());
        assert!(first.len() == 1 && (first[0] == t[9] || first[0] == t[12]), "{first:?}");
    }
}

/// PostgreSQL: a reply to a ticket whose document the `search_newest` job is moving waits for
/// the move (the move's transaction held open here) and then rewrites the document where it
/// went: each document in one table, the reply's words found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewrite_during_the_move_lands_in_the_whole_index() {
    let ranking = Ranking { window: 8, newest: 2 };
    let app = spawn_app_with(Backend::Postgres, |s| s.search = ranking).await;
    let admin = app.admin().await;
    let student = app.student("spostamento@studenti.unibg.it").await;
    let mut t = Vec::new();
    for i in 0..4 {
        t.push(open(&app, &student, &format!("Pratica {i}"), "Domanda sul piano di studi.", "1012345").await);
    }
    let (moved_tx, moved_rx) = tokio::sync::oneshot::channel();
    let (commit_tx, commit_rx) = std::sync::mpsc::channel::<()>();
    let db = app.db.clone();
    let mover = tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().unwrap();
        conn.batch_execute("BEGIN").unwrap();
        moved_tx.send(helpdesk::db::search_newest::prune(&mut conn, 2, 5000).unwrap()).unwrap();
        commit_rx.recv().unwrap();
        conn.batch_execute("COMMIT").unwrap();
    });
    assert_eq!(moved_rx.await.unwrap(), 2, "the two oldest are being moved");

    let (client, url, token) = (app.client.clone(), app.url(&format!("/api/v1/tickets/{}/messages", t[0])), admin.token.clone());
    let reply = tokio::spawn(async move {
        client.post(url).bearer_auth(token).json(&json!({"body": "Ho fatto il bonifico."})).send().await.unwrap().status()
    });
    // The reply's rewrite waits on the move's lock.
    let waiting = "SELECT count(*)::text AS v FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()";
    let mut tries = 0;
    while texts(&app, waiting).await != ["1"] {
        assert!(tries < 200, "the reply never waited on the move");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        tries += 1;
    }
    assert!(!reply.is_finished(), "the reply waits");
    commit_tx.send(()).unwrap();
    mover.await.unwrap();
    assert_eq!(reply.await.unwrap(), StatusCode::CREATED);

    let newest = "SELECT t.number AS v FROM ticket_search_newest n JOIN tickets t ON t.id = n.ticket_id ORDER BY 1";
    assert_eq!(texts(&app, newest).await, t[2..]);
    let whole = "SELECT t.number AS v FROM ticket_search s JOIN tickets t ON t.id = s.ticket_id \
                 WHERE s.document @@ to_tsquery('italian', 'bonifico') ORDER BY 1";
    assert_eq!(texts(&app, whole).await, [t[0].clone()], "the reply's words in the moved document");
    assert_eq!(documents(&app).await, ["4 of 4"], "each document in one table");
    assert_eq!(found(&search_page(&app, &admin, &[("q", "bonifico")]).await), [t[0].clone()]);
}

/// Every term instance (term, column, position) of a ticket's SQLite document, wherever it is
/// (the recent documents or the whole index, whose copy a recent one replaces), in order: what
/// FTS5 itself holds of it.
async fn instances(app: &TestApp, number: &str) -> Vec<String> {
    let number = number.to_owned();
    with_db(app, move |conn| {
        // The whole index is in a file of its own (`db::search_file`), attached for the while.
        conn.batch_execute(
            "ATTACH (SELECT file FROM pragma_database_list WHERE name = 'main') || '.fts' AS fts; \
             CREATE VIRTUAL TABLE temp.v_all USING fts5vocab(fts, ticket_fts, instance); \
             CREATE VIRTUAL TABLE temp.v_recent USING fts5vocab(main, ticket_fts_recent, instance);",
        )
        .unwrap();
        let sql = "WITH d AS (SELECT s.id FROM ticket_search_docs s JOIN tickets t ON t.id = s.ticket_id WHERE t.number = ?1) \
                   SELECT v FROM (SELECT col || ':' || printf('%03d', offset) || ':' || term AS v FROM temp.v_all, d WHERE doc = d.id \
                     AND d.id NOT IN (SELECT id FROM ticket_fts_recent_rows) \
                   UNION ALL SELECT col || ':' || printf('%03d', offset) || ':' || term FROM temp.v_recent, d WHERE doc = d.id) ORDER BY v";
        let found = diesel::sql_query(sql).bind::<Text, _>(number).load::<Row>(conn).unwrap().into_iter().map(|r| r.v).collect();
        conn.batch_execute("DROP TABLE temp.v_all; DROP TABLE temp.v_recent; DETACH fts;").unwrap();
        found
    })
    .await
}

/// A new ticket's SQLite document is stemmed before the writer runs (`Stemmed`): it must be
/// the document the same ticket gets when its stored texts are read and stemmed again (the
/// path of every rewrite), each term in its column and place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_tickets_document_stemmed_before_the_write_is_the_stored_ones() {
    let app = crate::helpers::spawn_app(Backend::Sqlite).await;
    let student = app.student("documento.nuovo@studenti.unibg.it").await;
    let number = open(&app, &student, "Rinnovo iscrizione e piano di studio", "Vorrei sapere le scadenze dell'immatricolazione, grazie.", "1098765").await;
    let before = instances(&app, &number).await;
    for needle in ["subject:", "body:", "requester:"] {
        assert!(before.iter().any(|v| v.starts_with(needle)), "subject, body and requester hold terms: {before:?}");
    }
    assert!(before.iter().any(|v| v.ends_with(":1098765")), "the matricola: {before:?}");
    assert!(before.iter().any(|v| v.starts_with("body:") && v.ends_with(":immatricol")), "the body's stems: {before:?}");
    let id = texts(&app, &format!("SELECT id AS v FROM tickets WHERE number = '{number}'")).await.remove(0);
    with_db(&app, move |conn| helpdesk::db::write_tx(conn, |conn| helpdesk::tickets::search_index::index_ticket(conn, &id)).unwrap()).await;
    assert_eq!(instances(&app, &number).await, before, "rewritten from the stored texts: the same document");
}
