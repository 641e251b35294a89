//! Quotes computed from the guide's rules, over HTTP.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend};

both_backends!(quotes_follow_the_guide);

async fn quotes_follow_the_guide(backend: Backend) {
    let app = spawn_app(backend).await;
    let app = &app;
    let quote = |body: Value| async move { app.post("/api/v1/career-actions/quote", None, &body).await };

    let res = quote(json!({"type": "corsi-singoli", "data": {"courses": [
        {"code": "21001", "name": "Diritto privato", "cfu": 9}, {"code": "21002", "name": "Economia", "cfu": 6}]}})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let q: Value = res.json().await.unwrap();
    assert_eq!((q["total_cfu"].as_i64(), q["fee_eur"].as_f64(), q["stamp_duty_eur"].as_f64(), q["total_eur"].as_f64()), (Some(15), Some(375.0), Some(16.0), Some(391.0)));
    assert_eq!(q["due_within_days"], 15);

    let reduced: Value = quote(json!({"type": "corsi-singoli", "data": {"reduction": "disability", "courses": [
        {"code": "1", "name": "A", "cfu": 10}]}})).await.json().await.unwrap();
    assert_eq!(reduced["total_eur"].as_f64(), Some(166.0));

    let over = quote(json!({"type": "corsi-singoli", "data": {"courses": [
        {"code": "1", "name": "A", "cfu": 30}, {"code": "2", "name": "B", "cfu": 12}]}})).await;
    assert_eq!(over.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = over.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "data.courses");

    for (programme, cfu, year) in [("laurea", 30, 2), ("lm-sfp", 200, 3), ("lmg-01", 135, 4)] {
        let q: Value = quote(json!({"type": "abbreviazione-di-corso", "data": {"programme": programme, "recognised_cfu": cfu}}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(q["admission_year"], year, "{programme} {cfu}");
    }

    let r: Value = quote(json!({"type": "rinuncia-agli-studi", "data": {"submitted_on": "2026-03-02", "passed_exam_in_jan_feb_2026": true}}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((r["stamp_duty_eur"].as_f64(), r["pay_by"].as_str()), (Some(16.0), Some("2026-04-01")));
    assert_eq!((r["first_instalment"].as_str(), r["second_instalment"].as_str()), (Some("due"), Some("half")));

    // Part-time: one condition of the guide that holds is enough; fuori corso is not.
    let pt: Value = quote(json!({"type": "variazione-part-time", "data": {"enrolment": "in_corso",
        "conditions": [{"kind": "work", "months": 4, "income_eur": 9000}, {"kind": "caregiver"}]}}))
    .await
    .json()
    .await
    .unwrap();
    assert_eq!((pt["eligible"].as_bool(), pt["contribution_reduction_percent"].as_i64()), (Some(true), Some(50)), "{pt}");
    assert_eq!(pt["not_counted"].as_array().unwrap().len(), 1);
    let fc: Value = quote(json!({"type": "variazione-part-time", "data": {"enrolment": "fuori_corso",
        "conditions": [{"kind": "work", "months": 12, "income_eur": 20000}]}}))
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(fc["eligible"], false);
    assert_eq!(
        quote(json!({"type": "variazione-part-time", "data": {"enrolment": "in_corso", "conditions": [{"kind": "lottery"}]}}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // The window beside the amounts: on the day given, for the cohort the data names.
    let piano = |data: Value| quote(json!({"type": "piano-di-studio", "data": data, "submitted_on": "2025-11-20"}));
    // "dal 15 ottobre al 17 novembre 2025 (per i corsi di laurea triennali …)", then "una sanzione di euro 50,00".
    let bachelor: Value = piano(json!({"programme": "laurea", "year": 2})).await.json().await.unwrap();
    assert_eq!(bachelor["window"], json!({"academic_year": "2025/2026", "state": "late", "opens_on": "2025-11-18",
        "closes_on": "2026-07-31", "late_fee_eur": 50.0, "cohort_specific": false}));
    // "dal 29 ottobre al 21 novembre 2025 (per il primo anno dei corsi di laurea magistrale …)".
    let master: Value = piano(json!({"programme": "laurea-magistrale", "year": 1})).await.json().await.unwrap();
    assert_eq!((master["window"]["state"].as_str(), master["window"]["closes_on"].as_str()), (Some("open"), Some("2025-11-21")));
    assert!(master["warning"].is_null());
    let bad = piano(json!({"programme": "dottorato"})).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = bad.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "data.programme");
    // "il pagamento dei 156,00 euro oltre il termine perentorio … comporta invece l'esclusione".
    let enrolment: Value = quote(json!({"type": "immatricolazione", "data": {"access": "programmato"}, "submitted_on": "2025-10-10"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((enrolment["window"]["state"].as_str(), enrolment["window"].get("late_fee_eur")), (Some("excluded"), None));
    // The amounts and the window together; the rinuncia's instalments from the year's dates.
    let rinuncia: Value =
        quote(json!({"type": "rinuncia-agli-studi", "data": {"passed_exam_in_winter_session": false}, "submitted_on": "2026-01-10"}))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!((rinuncia["first_instalment"].as_str(), rinuncia["window"]["state"].as_str()), (Some("not_due"), Some("open")));
    let unpublished: Value =
        quote(json!({"type": "rinuncia-agli-studi", "data": {}, "submitted_on": "2026-12-06"})).await.json().await.unwrap();
    assert!(unpublished["first_instalment"].is_null(), "{unpublished}");

    assert_eq!(quote(json!({"type": "pizza", "data": {}})).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(quote(json!({"type": "corsi-singoli", "data": {"courses": "many"}})).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
