//! A category or team change counts the SLA due times again from the ticket's creation: the new
//! category's targets, the new team's office hours, the time already paused, a linked
//! procedure's close; a first response already given keeps its due time; at-risk alerts follow
//! the new due times. Expected times are worked out by hand in the comments, not by the app's
//! calendar.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use diesel::prelude::*;
use helpdesk::db::schema::{sla_alerts, ticket_sla, tickets};
use helpdesk::jobs::Job;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::jobs::run_job;
use crate::portal::{csrf_of, page};
use crate::sla::{change, events_of, first_responded, ticket_of, time, with_db};
use crate::staff_pages::signed_in;

both_backends!(
    a_category_change_counts_the_due_times_again,
    a_team_change_counts_in_the_new_team_hours,
    a_given_first_response_keeps_its_due_time,
    a_procedure_close_still_caps_the_resolution,
    at_risk_alerts_follow_the_new_due_times,
    the_console_page_changes_the_category_and_its_team_follows,
);

fn rome(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Rome.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

/// Monday 23 November 2026, 09:00 in Rome: the office opens.
fn monday_morning() -> DateTime<Utc> {
    rome(2026, 11, 23, 9)
}

/// Pretends the ticket was opened at `created` and had already paused `paused` business minutes.
async fn opened_at(app: &TestApp, number: &str, created: DateTime<Utc>, paused: i64) {
    let number = number.to_owned();
    with_db(app, move |conn| {
        let id: String = tickets::table.filter(tickets::number.eq(&number)).select(tickets::id).first(conn).unwrap();
        diesel::update(tickets::table.find(&id)).set(tickets::created_at.eq(created.naive_utc())).execute(conn).unwrap();
        diesel::delete(ticket_sla::table.find(&id)).execute(conn).unwrap();
        if paused > 0 {
            diesel::insert_into(ticket_sla::table)
                .values((ticket_sla::ticket_id.eq(&id), ticket_sla::paused_minutes.eq(paused)))
                .execute(conn)
                .unwrap();
        }
    })
    .await;
}

fn dues(ticket: &Value) -> (DateTime<Utc>, DateTime<Utc>) {
    (time(&ticket["first_response_due_at"]), time(&ticket["due_at"]))
}

/// An admin, a student and a segreteria ticket (16 h first response, 40 h resolution).
async fn desk(backend: Backend) -> (TestApp, String, String) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let student = app.student("ricalcolo@studenti.unibg.it").await;
    let number = app.open_ticket(&student, "Cambio di argomento").await["number"].as_str().unwrap().to_owned();
    (app, admin.token, number)
}

async fn a_category_change_counts_the_due_times_again(backend: Backend) {
    let (app, admin, number) = desk(backend).await;
    opened_at(&app, &number, monday_morning(), 0).await;

    // credenziali: 8 h and 24 h, IT service, Mon-Fri 9-17. First response: Monday 17:00;
    // resolution: Monday, Tuesday, Wednesday → Wednesday 25 Nov 17:00 (16:00 UTC).
    let changed = change(&app, &admin, &number, json!({"category": "credenziali"})).await;
    assert_eq!((changed["category"].as_str(), changed["team"].as_str()), (Some("credenziali"), Some("it")));
    assert_eq!(dues(&changed), (at("2026-11-23T16:00:00Z"), at("2026-11-25T16:00:00Z")));
    assert_eq!(changed["sla"]["first_response_due_at"], changed["first_response_due_at"]);
    let recorded = events_of(&app, &number, "sla_recomputed").await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(time(&recorded[0]["due_at"]), at("2026-11-25T16:00:00Z"));
    assert!(recorded[0]["previous"]["due_at"].is_string(), "{}", recorded[0]);

    // Back to segreteria (16 h, 40 h) after two business hours paused: 18 h → Wednesday 11:00;
    // 42 h → Monday to Friday is 40 h, then Monday 30 Nov 11:00.
    opened_at(&app, &number, monday_morning(), 120).await;
    let changed = change(&app, &admin, &number, json!({"category": "segreteria"})).await;
    assert_eq!(changed["team"], "segreteria");
    assert_eq!(dues(&changed), (at("2026-11-25T10:00:00Z"), at("2026-11-30T10:00:00Z")));
    assert_eq!(events_of(&app, &number, "sla_recomputed").await.len(), 2);

    // A change of priority only counts nothing again.
    change(&app, &admin, &number, json!({"priority": "high"})).await;
    assert_eq!(events_of(&app, &number, "sla_recomputed").await.len(), 2);
}

async fn a_team_change_counts_in_the_new_team_hours(backend: Backend) {
    let (app, admin, number) = desk(backend).await;
    // Stranieri: Monday to Thursday 9-13 only.
    let hours: Vec<Value> = ["mon", "tue", "wed", "thu"].iter().map(|d| json!({"day": d, "opens": "09:00", "closes": "13:00"})).collect();
    let res = app
        .client
        .put(app.url("/api/v1/admin/teams/stranieri/office-hours"))
        .bearer_auth(&admin)
        .json(&json!({"hours": hours}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    opened_at(&app, &number, monday_morning(), 0).await;

    // Same category (16 h, 40 h), four hours a day. First response: Mon-Thu 23-26 Nov →
    // Thursday 13:00. Resolution: 16 h that week, 16 h Mon-Thu 30 Nov-3 Dec, 4 h Monday 7 Dec,
    // Tuesday 8 Dec is a holiday (Immacolata), 4 h Wednesday 9 Dec → 13:00 (12:00 UTC).
    let changed = change(&app, &admin, &number, json!({"team": "stranieri"})).await;
    assert_eq!((changed["category"].as_str(), changed["team"].as_str()), (Some("segreteria"), Some("stranieri")));
    assert_eq!(dues(&changed), (at("2026-11-26T12:00:00Z"), at("2026-12-09T12:00:00Z")));
    let history: Value = app.get(&format!("/api/v1/tickets/{number}/events"), Some(&admin)).await.json().await.unwrap();
    let kinds: Vec<&str> = history.as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["created", "team_changed", "sla_recomputed"]);
}

async fn a_given_first_response_keeps_its_due_time(backend: Backend) {
    let (app, admin, number) = desk(backend).await;
    let res = app
        .post(&format!("/api/v1/tickets/{number}/messages"), Some(&admin), &json!({"body": "Ci pensiamo noi."}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    opened_at(&app, &number, monday_morning(), 0).await;
    let before = ticket_of(&app, &admin, &number).await;
    let responded_before = first_responded(&app, &number).await;
    assert!(responded_before.is_some());

    let changed = change(&app, &admin, &number, json!({"category": "credenziali"})).await;
    assert_eq!(changed["first_response_due_at"], before["first_response_due_at"], "the first response target is decided");
    assert_eq!(first_responded(&app, &number).await, responded_before);
    // Resolution counted again: 24 h from Monday 09:00 → Wednesday 17:00.
    assert_eq!(time(&changed["due_at"]), at("2026-11-25T16:00:00Z"));
}

/// A Monday in the second half of February, two years on: far ahead, no holiday that week.
fn future_monday() -> NaiveDate {
    let mut day = NaiveDate::from_ymd_opt(Utc::now().year() + 2, 2, 9).unwrap();
    while day.weekday() != Weekday::Mon {
        day += Duration::days(1);
    }
    day
}

async fn a_procedure_close_still_caps_the_resolution(backend: Backend) {
    let (app, admin, number) = desk(backend).await;
    let monday = future_monday();
    let local = |days: i64, hour: u32| {
        let d = monday + Duration::days(days);
        rome(d.year(), d.month(), d.day(), hour)
    };
    opened_at(&app, &number, local(0, 9), 0).await;
    // The linked procedure's window closes on Wednesday at noon.
    let (n, close) = (number.clone(), local(2, 12));
    with_db(&app, move |conn| {
        diesel::update(tickets::table.filter(tickets::number.eq(n)))
            .set(tickets::deadline_at.eq(Some(close.naive_utc())))
            .execute(conn)
            .unwrap();
    })
    .await;

    // credenziali: first response Monday 17:00; resolution would be Wednesday 17:00, but the
    // answer is due a day before the close: Tuesday noon.
    let changed = change(&app, &admin, &number, json!({"category": "credenziali"})).await;
    assert_eq!(dues(&changed), (local(0, 17), local(1, 12)));
}

async fn stored_alerts(app: &TestApp, number: &str) -> Vec<(String, DateTime<Utc>)> {
    let number = number.to_owned();
    with_db(app, move |conn| {
        let id: String = tickets::table.filter(tickets::number.eq(number)).select(tickets::id).first(conn).unwrap();
        sla_alerts::table
            .filter(sla_alerts::ticket_id.eq(id))
            .order(sla_alerts::due_at)
            .select((sla_alerts::target, sla_alerts::due_at))
            .load::<(String, chrono::NaiveDateTime)>(conn)
            .unwrap()
            .into_iter()
            .map(|(target, due)| (target, due.and_utc()))
            .collect()
    })
    .await
}

async fn at_risk_alerts_follow_the_new_due_times(backend: Backend) {
    let (app, admin, number) = desk(backend).await;
    opened_at(&app, &number, monday_morning(), 0).await;
    change(&app, &admin, &number, json!({"category": "credenziali"})).await;
    // At 15:30 the first response (Monday 17:00) is 90 business minutes away: at risk.
    let monday_afternoon = monday_morning() + Duration::minutes(6 * 60 + 30);
    run_job(&app, Job::SlaRisk, monday_afternoon).await;
    assert_eq!(events_of(&app, &number, "sla_at_risk").await.len(), 1);
    assert_eq!(stored_alerts(&app, &number).await, [("first_response".to_owned(), at("2026-11-23T16:00:00Z"))]);

    // segreteria: first response Tuesday 17:00, far from Monday 15:30. The alert of the old due
    // time is forgotten, and nothing alerts at Monday 15:30 any more.
    change(&app, &admin, &number, json!({"category": "segreteria"})).await;
    assert!(stored_alerts(&app, &number).await.is_empty());
    run_job(&app, Job::SlaRisk, monday_afternoon).await;
    assert_eq!(events_of(&app, &number, "sla_at_risk").await.len(), 1);
    // On Tuesday at 15:30 the new due time is at risk: one alert for it.
    run_job(&app, Job::SlaRisk, monday_afternoon + Duration::days(1)).await;
    let alerts = events_of(&app, &number, "sla_at_risk").await;
    assert_eq!(alerts.len(), 2);
    assert_eq!(time(&alerts[1]["due_at"]), at("2026-11-24T16:00:00Z"));
}

async fn the_console_page_changes_the_category_and_its_team_follows(backend: Backend) {
    let (app, admin, number) = desk(backend).await;
    opened_at(&app, &number, monday_morning(), 0).await;
    let browser = signed_in(&app, "admin@unibg.it", "admin-password").await;
    let url = format!("/staff/tickets/{number}");
    let (_, html) = page(&browser, &app, &url).await;
    assert!(html.contains(r#"<option value="credenziali">Recupero credenziali</option>"#), "the category select");
    // The form as the browser sends it: every select, the team still showing segreteria.
    let form = [
        ("csrf", csrf_of(&html)),
        ("version", "1".into()),
        ("status", "new".into()),
        ("priority", "normal".into()),
        ("category", "credenziali".into()),
        ("team", "segreteria".into()),
        ("assignee", "".into()),
        ("category_was", "segreteria".into()),
        ("team_was", "segreteria".into()),
        ("assignee_was", "".into()),
    ];
    let res = browser.post(app.url(&format!("{url}/update"))).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Argomento: Segreteria studenti → Recupero credenziali"), "{html}");
    let seen = ticket_of(&app, &admin, &number).await;
    assert_eq!((seen["category"].as_str(), seen["team"].as_str()), (Some("credenziali"), Some("it")));
    assert_eq!(dues(&seen), (at("2026-11-23T16:00:00Z"), at("2026-11-25T16:00:00Z")));
}
