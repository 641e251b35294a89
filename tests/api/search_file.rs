//! SQLite's search index in a file of its own (`db::search_file`): whatever holds that file
//! (a long merge step), tickets are still created and found at once, and the recent documents
//! move into the index once the file is free.

use diesel::connection::SimpleConnection;
use diesel::{Connection, QueryableByName, RunQueryDsl};

use crate::helpers::{spawn_app, Backend};
use crate::search::{found, open, recent_documents, search_page};
use crate::sla::with_db;

#[derive(QueryableByName)]
struct File {
    #[diesel(sql_type = diesel::sql_types::Text)]
    file: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creations_and_searches_go_on_while_the_index_file_is_held() {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.admin().await;
    let student = app.student("indice.occupato@studenti.unibg.it").await;
    let main = with_db(&app, |conn| {
        diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'").get_result::<File>(conn).unwrap().file
    })
    .await;

    // The index file's write lock held from a connection of our own, as a merge step holds it.
    let (held, is_held) = tokio::sync::oneshot::channel::<()>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let mut conn = diesel::SqliteConnection::establish(&format!("{main}.fts")).unwrap();
        conn.batch_execute("BEGIN IMMEDIATE; DELETE FROM ticket_fts_ids WHERE id < 0;").unwrap();
        held.send(()).unwrap();
        released.recv().unwrap();
        conn.batch_execute("COMMIT").unwrap();
    });
    is_held.await.unwrap();

    // Tickets more than a second apart, so that each batch is followed by a move the held
    // file refuses. A writer that waited for the file (busy_timeout, 10 s) would hold the next
    // creation for seconds; one that never waits answers it in milliseconds.
    let mut numbers = Vec::new();
    for i in 0..3 {
        let subject = format!("Tassa di ricognizione {i}");
        let created = open(&app, &student, &subject, "Devo pagare la ricognizione?", "1055555");
        numbers.push(tokio::time::timeout(std::time::Duration::from_secs(3), created).await.expect("created while the index file is held"));
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    let hits = |page: &serde_json::Value| found(page).into_iter().collect::<std::collections::BTreeSet<_>>();
    let want: std::collections::BTreeSet<String> = numbers.iter().cloned().collect();
    assert_eq!(hits(&search_page(&app, &admin, &[("q", "ricognizione")]).await), want, "found at once");
    assert_eq!(recent_documents(&app, Backend::Sqlite).await, 3, "not moved while the file is held");

    release.send(()).unwrap();
    holder.join().unwrap();
    for _ in 0..100 {
        if recent_documents(&app, Backend::Sqlite).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(recent_documents(&app, Backend::Sqlite).await, 0, "moved once the file was free");
    let page = search_page(&app, &admin, &[("q", "ricognizione")]).await;
    assert_eq!(found(&page).len(), 3, "each once: {page}");
    assert_eq!(hits(&page), want);
}
