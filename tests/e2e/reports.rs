//! The staff reports page in Chromium: a supervisor sent to sign in first lands back on it, the
//! six charts are drawn (bars, a line), the data tables open, and axe-core finds nothing serious
//! on a desktop and on a phone.

use diesel::prelude::*;
use fantoccini::Locator;
use helpdesk::db::schema::{categories, ticket_ratings, tickets};
use reqwest::StatusCode;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{spawn_app, Backend, Session, TestApp};
use crate::journeys::check;

/// Four tickets opened four days ago in two categories: two answered, one resolved and rated.
async fn some_activity(app: &TestApp, staff: &Session) {
    let student = app.student("anna@studenti.unibg.it").await;
    let mut numbers = Vec::new();
    for subject in ["Piano di studio", "Iscrizione esami", "Dichiarazione di valore", "Trasferimento"] {
        numbers.push(app.open_ticket(&student, subject).await["number"].as_str().unwrap().to_owned());
    }
    for number in &numbers[..2] {
        let res = app
            .post(&format!("/api/v1/tickets/{number}/messages"), Some(&staff.token), &json!({"body": "Ecco la risposta."}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let path = format!("/api/v1/tickets/{}", numbers[0]);
    let version = app.get(&path, Some(&staff.token)).await.json::<serde_json::Value>().await.unwrap()["version"].clone();
    let res = app.patch(&path, &staff.token, &json!({"version": version, "status": "resolved"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let db = app.db.clone();
    let (first, last_two, student_id) = (numbers[0].clone(), numbers[2..].to_vec(), student.id.clone());
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().unwrap();
        let conn = &mut *conn;
        let stranieri: String =
            categories::table.filter(categories::slug.eq("stranieri")).select(categories::id).first(conn).unwrap();
        diesel::update(tickets::table.filter(tickets::number.eq_any(&last_two)))
            .set(tickets::category_id.eq(stranieri))
            .execute(conn)
            .unwrap();
        // Opened four days ago, so that the times are not zero.
        let opened = chrono::Utc::now().naive_utc() - chrono::Duration::days(4);
        diesel::update(tickets::table).set(tickets::created_at.eq(opened)).execute(conn).unwrap();
        let id: String = tickets::table.filter(tickets::number.eq(&first)).select(tickets::id).first(conn).unwrap();
        diesel::insert_into(ticket_ratings::table)
            .values((
                ticket_ratings::ticket_id.eq(id),
                ticket_ratings::rated_by.eq(student_id),
                ticket_ratings::stars.eq(4),
                ticket_ratings::comment.eq(""),
                ticket_ratings::created_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(conn)
            .unwrap();
    })
    .await
    .unwrap();
}

async fn count(b: &Browser, css: &str) -> usize {
    b.client.find_all(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_reads_the_reports() {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.admin().await;
    let supervisor = app.staff(&admin, "capo@unibg.it", "supervisor", &[]).await;
    some_activity(&app, &supervisor).await;

    let b = Browser::start().await;
    b.goto(&app.url("/staff/reports")).await;
    assert_eq!(b.path_after_navigation("/sign-in").await, "/sign-in", "sign in first");
    b.type_in("email", "capo@unibg.it").await;
    b.type_in("password", "agent-password").await;
    b.click("form.form button[type=submit]").await;
    assert_eq!(b.path_after_navigation("/staff/reports").await, "/staff/reports", "and back to the reports");
    assert_eq!(b.text("h1").await, "Report");

    assert_eq!(count(&b, "svg.chart[role=img]").await, 6, "six charts");
    // Volume: four tickets today, in two categories: two stacked bars on today's day.
    assert_eq!(count(&b, "#volume svg.chart rect.bar").await, 2);
    assert_eq!(count(&b, "#backlog svg.chart polyline.line").await, 1);
    assert!(count(&b, "#first_response svg.chart rect.bar").await >= 2, "p50 and p90 of segreteria");
    assert!(count(&b, "#sla svg.chart rect.bar").await >= 1);
    assert_eq!(count(&b, "#satisfaction svg.chart rect.bar").await, 1, "one rating of 4 stars");
    assert_eq!(count(&b, "details.data-table").await, 6);
    assert!(b.source().await.contains("href=\"/api/v1/reports/volume?from="), "a CSV link per report");

    // Every table open, checked with its chart, on a desktop and on a phone.
    b.client.execute("document.querySelectorAll('details').forEach(d => d.open = true); return true;", vec![]).await.unwrap();
    b.resize(1280, 5200).await;
    check(&b, "20-staff-reports").await;
    b.resize(390, 844).await;
    b.client.execute("document.getElementById('sla').scrollIntoView(); return true;", vec![]).await.unwrap();
    check(&b, "21-staff-reports-phone").await;
    b.resize(1280, 1000).await;
}

/// The texts of the cells of `section`'s data table.
async fn cells(b: &Browser, section: &str) -> Vec<String> {
    let script = format!("return [...document.querySelectorAll('#{section} table td')].map(td => td.textContent.trim());");
    let found = b.client.execute(&script, vec![]).await.unwrap();
    found.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_period_says_so_and_numbers_read_as_in_the_charts() {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.admin().await;
    let supervisor = app.staff(&admin, "vuoto@unibg.it", "supervisor", &[]).await;
    let b = Browser::start().await;
    b.resize(1366, 900).await;
    crate::console::sign_in(&app, &b, "vuoto@unibg.it", "agent-password").await;
    b.goto(&app.url("/staff/reports")).await;

    // No ticket yet: no chart looks blank; each says there is nothing, in words.
    let blank: serde_json::Value = b
        .client
        .execute(
            "return [...document.querySelectorAll('section.report')].filter(s => !s.querySelector('p.notice') \
             && !s.querySelector('svg text.all-zero') && !s.querySelector('rect.bar')).map(s => s.id);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(blank, json!([]), "sections whose chart looks blank");
    assert!(b.source().await.contains("Nessun dato nel periodo"));

    // Axis text is not larger than body text, on a wide screen too.
    let sizes: serde_json::Value = b
        .client
        .execute(
            "const svg = document.querySelector('svg.chart'); \
             const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width; \
             return [parseFloat(svg.getAttribute('font-size')) * scale, parseFloat(getComputedStyle(document.body).fontSize)];",
            vec![],
        )
        .await
        .unwrap();
    let (axis, body) = (sizes[0].as_f64().unwrap(), sizes[1].as_f64().unwrap());
    assert!(axis <= body, "axis text {axis} px, body text {body} px");

    // With data: the tables write decimals as the charts do, in each language.
    some_activity(&app, &supervisor).await;
    b.goto(&app.url("/staff/reports")).await;
    let it = cells(&b, "first_response").await;
    assert!(it.iter().any(|c| c.contains(',')) && !it.iter().any(|c| c.contains('.')), "Italian decimals: {it:?}");
    b.goto(&app.url("/lang/en?next=/staff/reports")).await;
    let en = cells(&b, "first_response").await;
    assert!(en.iter().any(|c| c.contains('.')) && !en.iter().any(|c| c.contains(',')), "English decimals: {en:?}");
    crate::polish::phone(&b).await;
    crate::polish::assert_fits(&b, "the reports").await;
}
