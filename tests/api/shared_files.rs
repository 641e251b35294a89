//! Attachments in PostgreSQL: two `helpdesk serve` processes on one database, each with its
//! own data folder, serve each other's uploads; files a desk kept on disk before move in with
//! `helpdesk files migrate`. On SQLite the files stay in the data folder (the other suites).

use std::path::Path;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{fresh_pg_database, register_and_login, segreteria_ticket, start_server, TestDatabase};

const OLD_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\n% stored on disk by the old desk\n%%EOF\n";
const NEW_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\n% stored in the database\n%%EOF\n";

async fn upload(client: &reqwest::Client, base: &str, token: &str, name: &str, bytes: &[u8]) -> String {
    let form = reqwest::multipart::Form::new()
        .text("ticket", segreteria_ticket("Documento").to_string())
        .part("files", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()));
    let res = client.post(format!("{base}/api/v1/tickets")).bearer_auth(token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let ticket: Value = res.json().await.unwrap();
    ticket["attachments"][0]["id"].as_str().unwrap_or_else(|| panic!("an attachment: {ticket}")).to_owned()
}

async fn download(client: &reqwest::Client, base: &str, token: &str, id: &str) -> (StatusCode, Vec<u8>) {
    let res = client.get(format!("{base}/api/v1/attachments/{id}")).bearer_auth(token).send().await.unwrap();
    (res.status(), res.bytes().await.unwrap().to_vec())
}

/// Attachment files in a data folder (outside `tmp/`).
pub(crate) fn files_on_disk(data: &Path) -> usize {
    let mut n = 0;
    for dir in std::fs::read_dir(data.join("attachments")).into_iter().flatten().flatten() {
        if dir.file_name() != "tmp" && dir.path().is_dir() {
            n += std::fs::read_dir(dir.path()).unwrap().count();
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_serve_each_others_uploads() {
    let url = fresh_pg_database();
    let _guard = TestDatabase::of(&url);
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let client = reqwest::Client::new();

    // A desk from before: its files in its data folder.
    let old = start_server(one.path(), &url, &[("HELPDESK_FILE_STORE", "disk")]);
    let token = register_and_login(&client, &old.address, &one.path().join("mail"), &url, "condiviso@studenti.unibg.it").await;
    let old_id = upload(&client, &old.address, &token, "vecchio.pdf", OLD_PDF).await;
    drop(old);
    assert_eq!(files_on_disk(one.path()), 1);

    // Moved into the database by the command.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["files", "migrate"])
        .env("HELPDESK_DATA_DIR", one.path())
        .env("HELPDESK_DATABASE_URL", &url)
        .env("HELPDESK_JWT_SECRET", "a shared secret for the test processes")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1 files moved into the database");
    assert_eq!(files_on_disk(one.path()), 0, "the disk copy is gone once in the database");

    // Two instances, each its own data folder, one database.
    // Only b sends mail (both would take from the one outbox), so the verification link of
    // the student registered below lands in b's mail folder.
    let a = start_server(one.path(), &url, &[("HELPDESK_MAIL_WORKERS", "0")]);
    let b = start_server(two.path(), &url, &[]);
    let new_id = upload(&client, &a.address, &token, "nuovo.pdf", NEW_PDF).await;
    assert_eq!(files_on_disk(one.path()) + files_on_disk(two.path()), 0, "nothing on either disk");
    assert_eq!(download(&client, &b.address, &token, &new_id).await, (StatusCode::OK, NEW_PDF.to_vec()), "b serves a's upload");
    assert_eq!(download(&client, &a.address, &token, &old_id).await, (StatusCode::OK, OLD_PDF.to_vec()), "the migrated file");
    assert_eq!(download(&client, &b.address, &token, &old_id).await, (StatusCode::OK, OLD_PDF.to_vec()));

    // Another student gets nothing from either instance.
    let other = register_and_login(&client, &b.address, &two.path().join("mail"), &url, "altro@studenti.unibg.it").await;
    assert_eq!(download(&client, &b.address, &other, &new_id).await.0, StatusCode::NOT_FOUND);
    assert_eq!(download(&client, &a.address, &other, &old_id).await.0, StatusCode::NOT_FOUND);
}
