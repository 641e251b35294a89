//! A student's copy of their data: `GET /api/v1/me/export` and "Scarica i miei dati" on the
//! account page. Their account, tickets with the messages they see (never internal notes),
//! procedures, bookings and their own files — nobody else's; file names cannot climb out.

use std::io::Read;

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{segreteria_ticket, spawn_app, Backend, TestApp};
use crate::portal::{page, sign_up, PDF};

both_backends!(the_export_holds_my_data_and_nothing_else);

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut out = Vec::new();
            file.read_to_end(&mut out).unwrap();
            (file.name().to_owned(), out)
        })
        .collect()
}

async fn export_of(app: &TestApp, token: &str) -> (Value, Vec<(String, Vec<u8>)>) {
    let res = app.get("/api/v1/me/export", Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/zip");
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("i-miei-dati-"));
    let entries = unzip(&res.bytes().await.unwrap());
    let data = entries.iter().find(|(name, _)| name == "data.json").expect("data.json");
    (serde_json::from_slice(&data.1).unwrap(), entries)
}

async fn the_export_holds_my_data_and_nothing_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "esporta@unibg.it", "agent", &["segreteria"]).await;
    let anna = app.student("anna.export@studenti.unibg.it").await;
    let bruno = app.student("bruno.export@studenti.unibg.it").await;
    let form = Form::new()
        .text("ticket", segreteria_ticket("Piano di studio di Anna").to_string())
        .part("files", Part::bytes(PDF.to_vec()).file_name("../../../etc/passwd.pdf"));
    let res = app.client.post(app.url("/api/v1/tickets")).bearer_auth(&anna.token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let number = res.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/tickets/{number}/messages");
    assert_eq!(app.post(&path, Some(&agent.token), &json!({"body": "NOTA INTERNA: verificare la carriera", "internal": true})).await.status(), StatusCode::CREATED);
    assert_eq!(app.post(&path, Some(&agent.token), &json!({"body": "Risposta pubblica per Anna"})).await.status(), StatusCode::CREATED);
    let bruno_number = app.open_ticket(&bruno, "La richiesta di Bruno").await["number"].as_str().unwrap().to_owned();

    let (data, entries) = export_of(&app, &anna.token).await;
    assert_eq!(data["account"]["email"], "anna.export@studenti.unibg.it");
    let tickets = data["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["number"], number.as_str());
    let text = data.to_string();
    assert!(text.contains("Risposta pubblica per Anna"), "public messages are in");
    assert!(!text.contains("NOTA INTERNA"), "never internal notes");
    assert!(!text.contains(&bruno_number) && !text.contains("bruno.export"), "nobody else's");
    assert!(data["procedures"].is_array() && data["bookings"].is_array());
    // The file, under our folders whatever its name.
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    for name in &names {
        assert!(*name == "data.json" || name.starts_with(&format!("files/{number}/")), "{name}");
        assert!(!name.split('/').any(|part| part == ".." || part.is_empty()) && !name.starts_with('/'), "{name}");
    }
    let file = entries.iter().find(|(n, _)| n.starts_with("files/")).unwrap();
    assert_eq!(file.1, PDF);
    assert!(file.0.ends_with("passwd.pdf"), "{}", file.0);
    assert_eq!(data["files"][0]["path"], file.0.as_str());

    let (data, entries) = export_of(&app, &bruno.token).await;
    assert_eq!(data["tickets"].as_array().unwrap().len(), 1);
    assert!(!data.to_string().contains(&number) && entries.len() == 1, "Bruno gets only his");
    assert_eq!(app.get("/api/v1/me/export", None).await.status(), StatusCode::UNAUTHORIZED);

    // The account page links it; the link downloads the same zip.
    let browser = sign_up(&app, "carla.export@studenti.unibg.it").await;
    let (status, html) = page(&browser, &app, "/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Scarica i miei dati") && html.contains("href=\"/account/export\""), "the page offers the copy");
    let res = browser.get(app.url("/account/export")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let entries = unzip(&res.bytes().await.unwrap());
    let data: Value = serde_json::from_slice(&entries[0].1).unwrap();
    assert_eq!(data["account"]["email"], "carla.export@studenti.unibg.it");
    // Signed out: the sign-in page, no data.
    let res = crate::portal::browser().get(app.url("/account/export")).send().await.unwrap();
    assert_eq!(res.url().path(), "/sign-in");
}
