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

    assert_eq!(quote(json!({"type": "pizza", "data": {}})).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(quote(json!({"type": "corsi-singoli", "data": {"courses": "many"}})).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
