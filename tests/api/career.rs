//! Quotes computed from the guide's rules, over HTTP.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend};

both_backends!(quotes_follow_the_guide, the_guides_other_rules_over_http);

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

async fn the_guides_other_rules_over_http(backend: Backend) {
    let app = spawn_app(backend).await;
    let app = &app;
    let quote = |body: Value| async move {
        let res = app.post("/api/v1/career-actions/quote", None, &body).await;
        let status = res.status();
        (status, res.json::<Value>().await.unwrap())
    };
    // "… il contributo pari a € 95,00 (+ € 16,00 per la marca da bollo …)" … "€ 111,00".
    for kind in ["seconda-laurea", "abbreviazione-di-corso", "re-immatricolazione", "riconoscimento-titolo-estero"] {
        let (status, q) = quote(json!({"type": kind, "data": {"programme": "laurea"}, "submitted_on": "2025-09-01"})).await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert_eq!((q["fee_eur"].as_f64(), q["stamp_duty_eur"].as_f64(), q["total_eur"].as_f64()), (Some(95.0), Some(16.0), Some(111.0)), "{kind}");
    }
    // "… pre-iscriverti ad un massimo di 2 corsi di laurea magistrale … € 52,00 per ogni corso".
    let (_, two) = quote(json!({"type": "preiscrizione-laurea-magistrale", "data": {"courses": ["Ingegneria gestionale", "Medical engineering"]}})).await;
    assert_eq!(two["total_eur"].as_f64(), Some(104.0));
    let (status, three) = quote(json!({"type": "preiscrizione-laurea-magistrale", "data": {"courses": ["A", "B", "C"]}})).await;
    assert_eq!((status, three["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("data.courses")));
    // Esami soprannumerari: "a un massimo di 40 cfu per i corsi di laurea magistrale a ciclo unico".
    let (_, extra) = quote(json!({"type": "esami-soprannumerari", "submitted_on": "2025-11-01", "data": {"programme": "ciclo-unico",
        "courses": [{"code": "1", "name": "A", "cfu": 30}, {"code": "2", "name": "B", "cfu": 20}]}})).await;
    assert_eq!((extra["total_cfu"].as_i64(), extra["counted_in_average_cfu"].as_i64()), (Some(50), Some(40)), "{extra}");
    assert_eq!(extra["window"]["state"], "open");
    // Corsi singoli: no per-course ceiling; paid 15 working days before the exam.
    let (status, singles) = quote(json!({"type": "corsi-singoli", "data": {"courses": [{"code": "T", "name": "Tesi", "cfu": 31}], "exam_date": "2026-03-20"}})).await;
    assert_eq!(status, StatusCode::OK, "{singles}");
    assert_eq!(singles["pay_by_for_exam"], "2026-02-27");
    // Enrolment: "È valido il TOLC sostenuto a partire dal 1° gennaio 2024"; late: "entro il 20 novembre 2025".
    let (_, old_tolc) = quote(json!({"type": "immatricolazione", "data": {"tolc_taken_on": "2023-12-01"}, "submitted_on": "2025-09-01"})).await;
    assert!(old_tolc["warnings"].to_string().contains("does not count"), "{old_tolc}");
    let (_, late) = quote(json!({"type": "immatricolazione", "data": {"access": "libero"}, "submitted_on": "2025-10-10"})).await;
    assert_eq!((late["tolc_due_by"].as_str(), late["window"]["state"].as_str()), (Some("2025-11-20"), Some("late")));
    // "Non sono consentiti i passaggi di corso al primo anno" (programmed access).
    let (status, first) = quote(json!({"type": "passaggio-di-corso", "data": {"to_year": 1, "access": "programmato"}})).await;
    assert_eq!((status, first["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("data.to_year")));
    // Outgoing transfer: 95 € late; "una volta effettuata l'immatricolazione al primo anno di corso non
    // potrai effettuare il trasferimento verso altri atenei".
    let (_, out) = quote(json!({"type": "trasferimento-in-uscita", "data": {"access": "programmato", "year": 1}, "submitted_on": "2025-10-10"})).await;
    assert_eq!(out["eligible"], false);
    assert_eq!((out["window"]["state"].as_str(), out["window"]["late_fee_eur"].as_f64()), (Some("late"), Some(95.0)));
    // "€ 40,00 per i pagamenti effettuati tra il 31° e il 60° giorno successivo alla scadenza" (3 October).
    let (_, renewal) = quote(json!({"type": "contribuzione", "data": {"instalment": "renewal", "paid_on": "2025-11-10"}, "submitted_on": "2025-11-10"})).await;
    assert_eq!((renewal["days_late"].as_i64(), renewal["surcharge_eur"].as_f64()), (Some(38), Some(40.0)), "{renewal}");
    // ISEEU: "… sanzione prevista di € 150,00"; no calendar for 2026/2027: no guess.
    let (_, iseeu) = quote(json!({"type": "attestazione-iseeu", "submitted_on": "2026-01-15"})).await;
    assert_eq!(iseeu["late_fee_eur"].as_f64(), Some(150.0));
    let (status, _) = quote(json!({"type": "attestazione-iseeu", "submitted_on": "2026-12-06"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // "Potrai formulare istanza di corsi singoli una sola volta nell'arco di tempo previsto."
    let student = app.student("mario@studenti.unibg.it").await;
    let singles = json!({"type": "corsi-singoli", "data": {"courses": "21001 | Diritto privato | 9"}});
    let first = app.post("/api/v1/career-actions", Some(&student.token), &singles).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["amounts"]["total_eur"].as_f64(), Some(241.0), "the course typed as a line: 9 × 25 € + 16 €");
    assert_eq!(app.post("/api/v1/career-actions", Some(&student.token), &singles).await.status(), StatusCode::CONFLICT);
}
