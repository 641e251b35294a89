//! Academic calendars over HTTP and on the command line: cohort windows and their states on
//! days of 2025/2026, `no_calendar` before 2026/2027 is published and `open` after copy +
//! publish, and a procedure judged on the day it was submitted, for ever.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, spawn_app_with_paths, Backend, TestApp};

both_backends!(
    windows_follow_the_cohort_on_days_of_2025_2026,
    next_year_is_no_calendar_until_copied_and_published,
    the_command_line_copies_and_publishes_a_year,
    a_procedure_is_judged_on_the_day_it_was_submitted,
);

const KEY: &str = "test-integration-key";

async fn json_of(res: reqwest::Response, status: StatusCode) -> Value {
    let got = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

/// One type of `GET /career-action-types` with the query given.
async fn type_on(app: &TestApp, query: &str, slug: &str) -> Value {
    let types = json_of(app.get(&format!("/api/v1/career-action-types?{query}"), None).await, StatusCode::OK).await;
    types.as_array().unwrap().iter().find(|t| t["slug"] == slug).unwrap_or_else(|| panic!("{slug} in {types}")).clone()
}

async fn windows_follow_the_cohort_on_days_of_2025_2026(backend: Backend) {
    let app = spawn_app(backend).await;
    // Cap. 11: "dal 15 ottobre al 17 novembre 2025 (per i corsi di laurea triennali/magistrali a
    // ciclo unico e per il secondo anno dei corsi di laurea magistrale)" … "sanzione di euro 50,00".
    let bachelor = type_on(&app, "on=2025-11-20&programme=laurea&year=2", "piano-di-studio").await;
    assert_eq!(bachelor["window"]["state"], "late");
    assert_eq!(bachelor["window"]["late_fee_eur"], 50.0);
    assert!(bachelor["warning"].as_str().unwrap().contains("50,00"), "{bachelor}");
    // "dal 29 ottobre al 21 novembre 2025 (per il primo anno dei corsi di laurea magistrale …)".
    let master = type_on(&app, "on=2025-11-20&programme=laurea-magistrale&year=1", "piano-di-studio").await;
    assert_eq!(master["window"]["state"], "open");
    assert_eq!(master["window"]["closes_on"], "2025-11-21");
    assert!(master["warning"].is_null());
    // Without a cohort: the general window, flagged as depending on the cohort.
    let anyone = type_on(&app, "on=2025-11-20", "piano-di-studio").await;
    assert_eq!((anyone["window"]["state"].as_str(), anyone["window"]["cohort_specific"].as_bool()), (Some("late"), Some(true)));
    let early = type_on(&app, "on=2025-10-20&programme=laurea-magistrale&year=1", "piano-di-studio").await;
    assert_eq!((early["window"]["state"].as_str(), early["window"]["opens_on"].as_str()), (Some("not_yet_open"), Some("2025-10-29")));
    // Cap. 10: programmed access "comporta invece l'esclusione dalla procedura di selezione senza
    // la possibilità di effettuare un pagamento tardivo con sanzione".
    let programmed = type_on(&app, "on=2025-10-10&access=programmato&locale=en", "immatricolazione").await;
    assert_eq!(programmed["window"]["state"], "excluded");
    assert!(programmed["window"].get("late_fee_eur").is_none());
    assert!(programmed["warning"].as_str().unwrap().contains("no late payment"), "{programmed}");
    let free = type_on(&app, "on=2025-10-10&access=libero", "immatricolazione").await;
    assert_eq!((free["window"]["state"].as_str(), free["window"]["late_fee_eur"].as_f64()), (Some("late"), Some(95.0)));
    assert_eq!(type_on(&app, "on=2025-11-29", "seconda-laurea").await["window"]["state"], "closed");
    // A July enrolment concerns the coming year.
    let july = type_on(&app, "on=2025-07-02", "immatricolazione").await;
    assert_eq!((july["window"]["academic_year"].as_str(), july["window"]["state"].as_str()), (Some("2025/2026"), Some("open")));
    // Bad parameters: 422 naming them.
    for (query, field) in [("on=20/11/2025", "on"), ("programme=dottorato", "programme"), ("year=0", "year"), ("access=chiuso", "access")] {
        let problem = json_of(app.get(&format!("/api/v1/career-action-types?{query}"), None).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["errors"][0]["field"], field, "{query}");
    }
}

async fn next_year_is_no_calendar_until_copied_and_published(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let singles = type_on(&app, "on=2026-12-06&locale=it", "corsi-singoli").await;
    assert_eq!(singles["window"], json!({"academic_year": "2026/2027", "state": "no_calendar", "cohort_specific": false}));
    assert!(singles["warning"].as_str().unwrap().contains("il calendario 2026/2027 non è ancora pubblicato"), "{singles}");
    assert_eq!(singles["windows"], json!([]));
    // A quote does not invent a late fee either.
    let quote = json_of(
        app.post("/api/v1/career-actions/quote", None, &json!({"type": "piano-di-studio", "data": {}, "submitted_on": "2026-11-20"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(quote["window"]["state"], "no_calendar");

    let copy = |token: String| {
        let app = &app;
        async move { app.post("/api/v1/admin/calendars/2026-2027/copy", Some(&token), &json!({"from": "2025/2026"})).await }
    };
    assert_eq!(copy(agent.token.clone()).await.status(), StatusCode::FORBIDDEN);
    let draft = json_of(copy(admin.token.clone()).await, StatusCode::CREATED).await;
    assert_eq!((draft["status"].as_str(), draft["copied_from"].as_str()), (Some("draft"), Some("2025/2026")));
    assert_eq!(draft["dates"]["first_instalment_due"], "2027-02-17");
    // A draft judges nothing.
    assert_eq!(type_on(&app, "on=2026-12-06", "corsi-singoli").await["window"]["state"], "no_calendar");
    // The admin corrects a date of the draft (the whole year is written back).
    let mut corrected = draft.clone();
    corrected["dates"]["first_instalment_due"] = json!("2027-02-16");
    let put = app.client.put(app.url("/api/v1/admin/calendars/2026-2027")).bearer_auth(&admin.token).json(&corrected).send().await.unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let years = json_of(app.get("/api/v1/admin/calendars", Some(&admin.token)).await, StatusCode::OK).await;
    assert_eq!(years[1]["dates"]["first_instalment_due"], "2027-02-16");
    assert_eq!(years[1]["status"], "draft");
    corrected["academic_year"] = json!("2027/2028");
    let wrong = app.client.put(app.url("/api/v1/admin/calendars/2026-2027")).bearer_auth(&admin.token).json(&corrected).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Copied again over the draft: fine.
    json_of(copy(admin.token.clone()).await, StatusCode::CREATED).await;
    json_of(app.post("/api/v1/admin/calendars/2026-2027/publish", Some(&admin.token), &json!({})).await, StatusCode::OK).await;

    let open = type_on(&app, "on=2026-12-06", "corsi-singoli").await;
    assert_eq!(open["window"]["state"], "open");
    assert_eq!(open["window"]["closes_on"], "2027-07-15");
    assert!(open["warning"].is_null());
    let plan = type_on(&app, "on=2026-11-20&programme=laurea", "piano-di-studio").await;
    assert_eq!((plan["window"]["state"].as_str(), plan["window"]["late_fee_eur"].as_f64()), (Some("late"), Some(50.0)));
    // A published year is not overwritten; an unknown year is not published.
    json_of(copy(admin.token.clone()).await, StatusCode::CONFLICT).await;
    json_of(app.post("/api/v1/admin/calendars/2030-2031/publish", Some(&admin.token), &json!({})).await, StatusCode::NOT_FOUND).await;
    let years = json_of(app.get("/api/v1/admin/calendars", Some(&admin.token)).await, StatusCode::OK).await;
    let codes: Vec<&str> = years.as_array().unwrap().iter().map(|y| y["academic_year"].as_str().unwrap()).collect();
    assert_eq!(codes, ["2025/2026", "2026/2027"]);
}

async fn the_command_line_copies_and_publishes_a_year(backend: Backend) {
    let (app, dir, url) = spawn_app_with_paths(backend, |_| {}).await;
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_helpdesk"))
            .args(args)
            .env("HELPDESK_DATA_DIR", &dir)
            .env("HELPDESK_DATABASE_URL", &url)
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    };
    let (ok, out) = run(&["calendar", "copy", "--from", "2025/2026", "--to", "2026/2027"]);
    assert!(ok && out.contains("2026/2027 draft"), "{out}");
    assert_eq!(type_on(&app, "on=2026-12-06", "corsi-singoli").await["window"]["state"], "no_calendar");
    let (ok, out) = run(&["calendar", "publish", "2026/2027"]);
    assert!(ok && out.contains("2026/2027 published"), "{out}");
    assert_eq!(type_on(&app, "on=2026-12-06", "corsi-singoli").await["window"]["state"], "open");
    let (ok, out) = run(&["calendar", "copy", "--from", "2025/2026", "--to", "2026/2027"]);
    assert!(!ok && out.contains("published"), "a published year is not overwritten: {out}");
    let (ok, out) = run(&["calendar", "list"]);
    assert!(ok && out.contains("2025/2026 published") && out.contains("copied from 2025/2026"), "{out}");
    let (ok, _) = run(&["calendar", "publish", "2026"]);
    assert!(!ok, "not an academic year");
}

async fn a_procedure_is_judged_on_the_day_it_was_submitted(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let student = app.student("anna@studenti.unibg.it").await;
    let report = |slug: &str, data: Value, on: &str| {
        json!({"type": slug, "student_email": "anna@studenti.unibg.it", "status": "submitted", "data": data, "submitted_on": on})
    };
    let put = |path: String, body: Value| {
        let app = &app;
        async move { app.client.put(app.url(&path)).header("X-Api-Key", KEY).json(&body).send().await.unwrap() }
    };
    // Submitted on 10 October 2025: late with 95 €, whenever it is looked at.
    let late = json_of(
        put("/api/v1/integrations/career-actions/SL-1".into(), report("seconda-laurea", json!({"programme": "laurea"}), "2025-10-10"))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(late["submitted_on"], "2025-10-10");
    assert_eq!((late["window"]["state"].as_str(), late["window"]["late_fee_eur"].as_f64()), (Some("late"), Some(95.0)));
    let excluded = json_of(
        put("/api/v1/integrations/career-actions/IM-1".into(), report("immatricolazione", json!({"access": "programmato"}), "2025-10-10"))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(excluded["window"]["state"], "excluded");
    // Publishing another year changes nothing for it.
    json_of(
        app.post("/api/v1/admin/calendars/2026-2027/copy", Some(&admin.token), &json!({"from": "2025-2026"})).await,
        StatusCode::CREATED,
    )
    .await;
    json_of(app.post("/api/v1/admin/calendars/2026-2027/publish", Some(&admin.token), &json!({})).await, StatusCode::OK).await;
    let id = late["id"].as_str().unwrap();
    let again = json_of(app.get(&format!("/api/v1/career-actions/{id}"), Some(&student.token)).await, StatusCode::OK).await;
    assert_eq!((again["window"]["state"].as_str(), again["window"]["academic_year"].as_str()), (Some("late"), Some("2025/2026")));
    assert!(again["warning"].as_str().unwrap().contains("95,00"), "{again}");
    // A ticket linked to it tells the same.
    let ticket = app.open_ticket(&student, "Seconda laurea").await;
    let number = ticket["number"].as_str().unwrap();
    let linked = json_of(
        app.post(&format!("/api/v1/tickets/{number}/career-actions"), Some(&student.token), &json!({"career_action_id": id})).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(linked[0]["window"]["state"], "late");
    assert_eq!(linked[0]["submitted_on"], "2025-10-10");
    // A student's own procedure is submitted today (Rome); the data's cohort must make sense.
    let mine = json_of(
        app.post("/api/v1/career-actions", Some(&student.token), &json!({"type": "corsi-singoli", "data": {"access": "libero"}})).await,
        StatusCode::CREATED,
    )
    .await;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Rome).date_naive().to_string();
    assert_eq!(mine["submitted_on"], today.as_str());
    let problem = json_of(
        app.post("/api/v1/career-actions", Some(&student.token), &json!({"type": "corsi-singoli", "data": {"year": "primo"}})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "data.year");
}
