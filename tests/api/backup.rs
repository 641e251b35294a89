//! `helpdesk backup DEST`: on SQLite a consistent copy taken while the desk runs (database and
//! attachments), which a desk started on it serves; on PostgreSQL the command points to pg_dump.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{segreteria_ticket, spawn_app_with_paths, start_server, Backend};
use crate::portal::PDF;

both_backends!(a_backup_is_restored_and_served);

fn backup(data_dir: &std::path::Path, url: &str, dest: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .arg("backup")
        .arg(dest)
        .env("HELPDESK_DATA_DIR", data_dir)
        .env("HELPDESK_DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

async fn a_backup_is_restored_and_served(backend: Backend) {
    let (app, data_dir, url) = spawn_app_with_paths(backend, |_| {}).await;
    app.admin().await;
    let student = app.student("copia@studenti.unibg.it").await;
    let form = Form::new()
        .text("ticket", segreteria_ticket("Da conservare").to_string())
        .part("files", Part::bytes(PDF.to_vec()).file_name("libretto.pdf"));
    let res = app.client.post(app.url("/api/v1/tickets")).bearer_auth(&student.token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let ticket: Value = res.json().await.unwrap();
    let file = ticket["attachments"][0]["id"].as_str().unwrap().to_owned();

    if backend == Backend::Sqlite {
        for _ in 0..100 {
            if crate::search::recent_documents(&app, backend).await == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(crate::search::recent_documents(&app, backend).await, 0, "moved into the index file");
    }
    let target = tempfile::tempdir().unwrap();
    let dest = target.path().join("copia");
    let out = backup(&data_dir, &url, &dest);
    if backend == Backend::Postgres {
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(!dest.exists(), "nothing half-made is left");
        return;
    }
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("the database and 1 attachment files"));
    assert!(!dest.join("helpdesk.db.fts").exists(), "the copy holds no search index");
    // Never over an existing copy.
    let again = backup(&data_dir, &url, &dest);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("not empty"));

    // A desk on the copy: the same account, ticket and file.
    let restored_url = format!("sqlite://{}", dest.join("helpdesk.db").display());
    let server = start_server(&dest, &restored_url, &[]);
    let client = reqwest::Client::new();
    let res = client.post(format!("{}/api/v1/auth/login", server.address))
        .json(&json!({"email": "copia@studenti.unibg.it", "password": "password-123"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let res = client.get(format!("{}/api/v1/tickets/{}", server.address, ticket["number"].as_str().unwrap())).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = client.get(format!("{}/api/v1/attachments/{file}", server.address)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), PDF);

    // SQLite's search index is a file of its own the copy does not hold (`db::search_file`),
    // and the ticket's document had left the recent ones: the desk on the copy made the index
    // again from the tickets before serving.
    let res = client.post(format!("{}/api/v1/auth/login", server.address))
        .json(&json!({"email": "admin@unibg.it", "password": "admin-password"})).send().await.unwrap();
    let admin = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let res = client.get(format!("{}/api/v1/search?q=conservare", server.address)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(page["items"][0]["number"], ticket["number"], "{page}");
}
