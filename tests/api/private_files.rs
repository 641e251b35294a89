//! The data folder holds identity documents, the database and mails: the desk (the real
//! binary, with its umask) keeps the folder and everything it writes there to its own user.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{database_url, register_and_login, segreteria_ticket, start_server, Backend};

both_backends!(the_data_folder_and_its_files_are_private);

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.push(path.clone());
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

async fn the_data_folder_and_its_files_are_private(backend: Backend) {
    let data = tempfile::tempdir().unwrap();
    // As an older version (or a careless mkdir) left it: readable by everyone.
    let open = std::fs::Permissions::from_mode(0o755);
    std::fs::set_permissions(data.path(), open.clone()).unwrap();
    std::fs::create_dir(data.path().join("attachments")).unwrap();
    std::fs::set_permissions(data.path().join("attachments"), open).unwrap();
    std::fs::write(data.path().join("jwt.key"), [7u8; 64]).unwrap();
    std::fs::set_permissions(data.path().join("jwt.key"), std::fs::Permissions::from_mode(0o644)).unwrap();

    let url = database_url(backend, data.path());
    let server = start_server(data.path(), &url, &[]);
    let client = reqwest::Client::new();
    let token = register_and_login(&client, &server.address, &data.path().join("mail"), &url, "riservato@studenti.unibg.it").await;
    let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("ticket", segreteria_ticket("Documento").to_string())
        .part("files", reqwest::multipart::Part::bytes(pdf).file_name("libretto.pdf"));
    let res = client.post(format!("{}/api/v1/tickets", server.address)).bearer_auth(&token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // The mail of the new ticket is written to <data>/mail by the worker.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !files_under(&data.path().join("mail")).iter().any(|p| p.extension().is_some_and(|e| e == "eml")) {
        assert!(Instant::now() < deadline, "no mail file was written");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    assert_eq!(mode(data.path()), 0o700, "the data folder");
    let everything = files_under(data.path());
    let attachment = everything.iter().find(|p| p.is_file() && p.starts_with(data.path().join("attachments")) && !p.starts_with(data.path().join("attachments/tmp")));
    // On PostgreSQL attachments live in the database (every instance serves them), on SQLite here.
    match backend {
        Backend::Sqlite => assert!(attachment.is_some(), "the attachment was stored: {everything:?}"),
        Backend::Postgres => assert!(attachment.is_none(), "the attachment went to the database: {everything:?}"),
    }
    if backend == Backend::Sqlite {
        assert!(everything.iter().any(|p| p.ends_with("helpdesk.db")), "the database file is in the data folder");
    }
    for path in &everything {
        let expected = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(path), expected, "{}", path.display());
    }
    drop(server);
}
