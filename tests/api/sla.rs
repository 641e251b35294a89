//! SLA as data and the SLA clock: office hours and closures change due times, the clock
//! pauses while waiting for the student, and ticket views show where a ticket stands.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use helpdesk::db::schema::{ticket_events, ticket_sla, tickets};
use helpdesk::db::DbConn;
use helpdesk::domain::sla::{default_week, BusinessCalendar, Closure, Span, Week};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, Session, TestApp};

both_backends!(
    office_hours_and_closures_move_due_times,
    office_hours_are_validated_and_admin_only,
    closures_are_validated_and_scoped,
    waiting_for_the_student_pauses_the_clock,
    a_guest_ticket_clock_starts_at_confirmation,
    views_show_the_sla_state,
);

/// Runs `f` on a connection of the app's database (outside any request).
pub async fn with_db<T: Send + 'static>(
    app: &TestApp,
    f: impl FnOnce(&mut DbConn) -> T + Send + 'static,
) -> T {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().unwrap();
        f(&mut conn)
    })
    .await
    .unwrap()
}

pub fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(
        value
            .as_str()
            .unwrap_or_else(|| panic!("not a time: {value}")),
    )
    .unwrap()
    .with_timezone(&Utc)
}

/// A ticket's (first response due, due) as stored.
pub async fn due_times(
    app: &TestApp,
    number: &str,
) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    let number = number.to_owned();
    with_db(app, move |conn| {
        tickets::table
            .filter(tickets::number.eq(number))
            .select((tickets::first_response_due_at, tickets::due_at))
            .first(conn)
            .unwrap()
    })
    .await
}

pub async fn set_due_times(
    app: &TestApp,
    number: &str,
    first: Option<DateTime<Utc>>,
    due: Option<DateTime<Utc>>,
) {
    let number = number.to_owned();
    with_db(app, move |conn| {
        diesel::update(tickets::table.filter(tickets::number.eq(number)))
            .set((
                tickets::first_response_due_at.eq(first.map(|t| t.naive_utc())),
                tickets::due_at.eq(due.map(|t| t.naive_utc())),
            ))
            .execute(conn)
            .unwrap();
    })
    .await;
}

fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Rome)
        .date_naive()
}

async fn office_hours_and_closures_move_due_times(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let student = app.student("orari@studenti.unibg.it").await;
    let hours_path = "/api/v1/admin/teams/segreteria/office-hours";

    let hours: Value = app
        .get(hours_path, Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(hours["default"], true);
    assert_eq!(hours["hours"].as_array().unwrap().len(), 5);
    assert_eq!(
        hours["hours"][0],
        json!({"day": "mon", "opens": "09:00", "closes": "17:00"})
    );

    // Saturday mornings only: 16 business hours of first response take 16 Saturdays.
    let res = app
        .client
        .put(app.url(hours_path))
        .bearer_auth(&admin.token)
        .json(&json!({"hours": [{"day": "sat", "opens": "10:00", "closes": "11:00"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let set: Value = res.json().await.unwrap();
    assert_eq!(set["default"], false);
    let ticket = app.open_ticket(&student, "Orari del sabato").await;
    let created = time(&ticket["created_at"]);
    let mut saturdays: Week = Default::default();
    saturdays[5] = vec![Span::new(
        chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
        chrono::NaiveTime::from_hms_opt(11, 0, 0).unwrap(),
    )
    .unwrap()];
    let calendar = BusinessCalendar::new(saturdays, Vec::new());
    let first_due = time(&ticket["first_response_due_at"]);
    assert_eq!(first_due, calendar.add_business_minutes(created, 16 * 60));
    assert_eq!(
        time(&ticket["due_at"]),
        calendar.add_business_minutes(created, 40 * 60)
    );
    assert!(first_due > created + Duration::days(15 * 7), "{first_due}");
    let other_team: Value = app
        .get(
            "/api/v1/admin/teams/stranieri/office-hours",
            Some(&admin.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other_team["default"], true, "only segreteria changed");

    // Back to the usual week; a global closure over the next 60 days pushes due times past it.
    let week = json!({"hours": [
        {"day": "mon", "opens": "09:00", "closes": "17:00"}, {"day": "tue", "opens": "09:00", "closes": "17:00"},
        {"day": "wed", "opens": "09:00", "closes": "17:00"}, {"day": "thu", "opens": "09:00", "closes": "17:00"},
        {"day": "fri", "opens": "09:00", "closes": "17:00"}]});
    let res = app
        .client
        .put(app.url(hours_path))
        .bearer_auth(&admin.token)
        .json(&week)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (from, to) = (today(), today() + Duration::days(59));
    let res = app
        .post("/api/v1/admin/closures", Some(&admin.token), &json!({"name": "Chiusura straordinaria", "starts_on": from.to_string(), "ends_on": to.to_string()}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let closure: Value = res.json().await.unwrap();
    assert_eq!(closure["team"], Value::Null);
    let ticket = app.open_ticket(&student, "Durante la chiusura").await;
    let created = time(&ticket["created_at"]);
    let closed = BusinessCalendar::new(
        default_week(),
        vec![Closure {
            from,
            to,
            yearly: false,
        }],
    );
    let first_due = time(&ticket["first_response_due_at"]);
    assert_eq!(first_due, closed.add_business_minutes(created, 16 * 60));
    assert!(
        first_due
            .with_timezone(&chrono_tz::Europe::Rome)
            .date_naive()
            > to
    );

    // A closure of another team leaves segreteria's due times alone.
    let id = closure["id"].as_str().unwrap();
    // Deleted once; the second time there is nothing to delete.
    for expected in [StatusCode::NO_CONTENT, StatusCode::NOT_FOUND] {
        let url = app.url(&format!("/api/v1/admin/closures/{id}"));
        let res = app
            .client
            .delete(url)
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected);
    }
    let res = app
        .post("/api/v1/admin/closures", Some(&admin.token), &json!({"team": "it", "name": "Chiusura IT", "starts_on": from.to_string(), "ends_on": to.to_string()}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let ticket = app.open_ticket(&student, "Dopo la chiusura").await;
    let created = time(&ticket["created_at"]);
    assert_eq!(
        time(&ticket["first_response_due_at"]),
        BusinessCalendar::default().add_business_minutes(created, 16 * 60)
    );
    let for_it: Value = app
        .get("/api/v1/admin/closures?team=it", Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(for_it.as_array().unwrap().len(), 1);
    assert_eq!(for_it[0]["team"], "it");
    let for_segreteria: Value = app
        .get("/api/v1/admin/closures?team=segreteria", Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert!(for_segreteria.as_array().unwrap().is_empty());
}

fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

async fn office_hours_are_validated_and_admin_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app
        .staff(&admin, "orari.agente@unibg.it", "agent", &["segreteria"])
        .await;
    let student = app.student("orari.studente@studenti.unibg.it").await;
    let path = "/api/v1/admin/teams/segreteria/office-hours";
    let put = |token: Option<String>, body: Value| {
        let mut req = app.client.put(app.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };

    let bad = json!({"hours": [
        {"day": "mon", "opens": "09:00", "closes": "13:00"},
        {"day": "mon", "opens": "12:00", "closes": "16:00"},
        {"day": "tue", "opens": "16:00", "closes": "09:00"},
        {"day": "wed", "opens": "9 am", "closes": "24:00"}]});
    let res = put(Some(admin.token.clone()), bad).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        error_fields(&body),
        [
            "hours[2].closes",
            "hours[3].opens",
            "hours[3].closes",
            "hours[1]"
        ],
        "{body}"
    );
    assert!(body["errors"][3]["message"]
        .as_str()
        .unwrap()
        .contains("overlaps 09:00-13:00"));
    let res = put(Some(admin.token.clone()), json!({"hours": []}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = put(
        Some(admin.token.clone()),
        json!({"hours": [{"day": "funday", "opens": "09:00", "closes": "10:00"}]}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing was stored.
    let hours: Value = app
        .get(path, Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(hours["default"], true);

    let good = json!({"hours": [{"day": "fri", "opens": "09:00", "closes": "13:00"}]});
    let res = app
        .client
        .put(app.url("/api/v1/admin/teams/nope/office-hours"))
        .bearer_auth(&admin.token)
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    for (token, expected) in [
        (Some(agent.token.clone()), StatusCode::FORBIDDEN),
        (Some(student.token.clone()), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(put(token, good.clone()).await.unwrap().status(), expected);
    }
    assert_eq!(
        app.get(path, Some(&agent.token)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/admin/closures", Some(&student.token))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let closure = json!({"name": "San Petronio", "starts_on": "2026-10-04", "yearly": true});
    assert_eq!(
        app.post("/api/v1/admin/closures", Some(&agent.token), &closure)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

async fn closures_are_validated_and_scoped(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let post = |body: Value| {
        let req = app
            .client
            .post(app.url("/api/v1/admin/closures"))
            .bearer_auth(&admin.token)
            .json(&body);
        async move { req.send().await.unwrap() }
    };

    let res =
        post(json!({"name": "San Petronio", "starts_on": "2026-10-04", "yearly": true})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let saint: Value = res.json().await.unwrap();
    assert_eq!(saint["ends_on"], "2026-10-04");
    assert_eq!(saint["yearly"], true);

    for (body, field) in [
        (
            json!({"name": "Rovescia", "starts_on": "2026-12-31", "ends_on": "2026-12-01"}),
            "ends_on",
        ),
        (
            json!({"name": "Data", "starts_on": "31/12/2026"}),
            "starts_on",
        ),
        (
            json!({"name": "Data", "starts_on": "2026-02-30"}),
            "starts_on",
        ),
        (json!({"name": "", "starts_on": "2026-12-01"}), "name"),
        (
            json!({"name": "Troppo lunga", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
            "ends_on",
        ),
        (
            json!({"name": "Squadra", "team": "nope", "starts_on": "2026-12-01"}),
            "team",
        ),
        // Overlaps San Petronio in another year, because that one repeats.
        (
            json!({"name": "Ottobre 2030", "starts_on": "2030-10-01", "ends_on": "2030-10-10"}),
            "starts_on",
        ),
    ] {
        let res = post(body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(error_fields(&problem), [field], "{body}: {problem}");
    }
    // The same days for one team only are another scope: allowed.
    let res = post(json!({"team": "it", "name": "Ottobre IT", "starts_on": "2030-10-01", "ends_on": "2030-10-10"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let all: Value = app
        .get("/api/v1/admin/closures", Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let res = app
        .get("/api/v1/admin/closures?team=nope", Some(&admin.token))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .client
        .delete(app.url("/api/v1/admin/closures/not-an-id"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// A ticket as `token`'s holder sees it.
pub async fn ticket_of(app: &TestApp, token: &str, number: &str) -> Value {
    app.get(&format!("/api/v1/tickets/{number}"), Some(token))
        .await
        .json()
        .await
        .unwrap()
}

/// Changes a ticket by PATCH with its current version; answers the changed ticket.
pub async fn change(app: &TestApp, token: &str, number: &str, mut changes: Value) -> Value {
    let path = format!("/api/v1/tickets/{number}");
    let current: Value = app.get(&path, Some(token)).await.json().await.unwrap();
    changes["version"] = current["version"].clone();
    let res = app.patch(&path, token, &changes).await;
    assert_eq!(res.status(), StatusCode::OK, "{changes}");
    res.json().await.unwrap()
}

/// Confirms a guest ticket with the secret of its mailed link.
pub async fn verify(app: &TestApp, number: &str, secret: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/tickets/{number}/verify"),
        None,
        &json!({"secret": secret}),
    )
    .await
}

/// The events of a ticket of a given kind, as stored.
pub async fn events_of(app: &TestApp, number: &str, kind: &str) -> Vec<Value> {
    let (number, kind) = (number.to_owned(), kind.to_owned());
    with_db(app, move |conn| {
        let id: String = tickets::table
            .filter(tickets::number.eq(number))
            .select(tickets::id)
            .first(conn)
            .unwrap();
        ticket_events::table
            .filter(ticket_events::ticket_id.eq(id))
            .filter(ticket_events::kind.eq(kind))
            .order(ticket_events::id.asc())
            .select(ticket_events::data)
            .load::<String>(conn)
            .unwrap()
            .into_iter()
            .map(|d| serde_json::from_str(&d).unwrap())
            .collect()
    })
    .await
}

/// A desk with a segreteria agent and a student who opened one ticket.
pub struct Desk {
    pub app: TestApp,
    pub agent: Session,
    pub student: Session,
    pub ticket: Value,
    pub number: String,
    /// `/api/v1/tickets/{number}`
    pub path: String,
}

pub async fn desk(backend: Backend, who: &str, subject: &str) -> Desk {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app
        .staff(&admin, &format!("{who}@unibg.it"), "agent", &["segreteria"])
        .await;
    let student = app.student(&format!("{who}@studenti.unibg.it")).await;
    let ticket = app.open_ticket(&student, subject).await;
    let number = ticket["number"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/tickets/{number}");
    Desk {
        app,
        agent,
        student,
        ticket,
        number,
        path,
    }
}

/// Posts a message (reply or note) to a ticket; it must be accepted.
async fn reply(app: &TestApp, who: &Session, path: &str, message: Value) {
    let res = app
        .post(&format!("{path}/messages"), Some(&who.token), &message)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{message}");
}

pub async fn first_responded(app: &TestApp, number: &str) -> Option<NaiveDateTime> {
    let number = number.to_owned();
    with_db(app, move |conn| {
        tickets::table
            .filter(tickets::number.eq(number))
            .select(tickets::first_responded_at)
            .first::<Option<NaiveDateTime>>(conn)
            .unwrap()
    })
    .await
}

async fn waiting_for_the_student_pauses_the_clock(backend: Backend) {
    let Desk {
        app,
        agent,
        student,
        number,
        path,
        ..
    } = desk(backend, "pausa", "Pausa").await;

    // The first public staff reply marks the first response, once; a note does not.
    reply(
        &app,
        &agent,
        &path,
        json!({"body": "Nota", "internal": true}),
    )
    .await;
    assert_eq!(first_responded(&app, &number).await, None);
    reply(
        &app,
        &agent,
        &path,
        json!({"body": "Ci servono i documenti.", "status": "waiting_student"}),
    )
    .await;
    let responded = first_responded(&app, &number)
        .await
        .expect("first response marked");
    let seen: Value = ticket_of(&app, &agent.token, &number).await;
    assert_eq!(seen["status"], "waiting_student");
    assert_eq!(seen["sla"]["state"], "paused");

    // Pretend the pause began ten days ago.
    let paused_at = Utc::now() - Duration::days(10);
    let id = seen["id"].as_str().unwrap().to_owned();
    with_db(&app, move |conn| {
        let n = diesel::update(ticket_sla::table.find(id))
            .set(ticket_sla::paused_at.eq(Some(paused_at.naive_utc())))
            .execute(conn)
            .unwrap();
        assert_eq!(n, 1, "the pause was recorded");
    })
    .await;
    let (first_before, due_before) = due_times(&app, &number).await;

    let before = Utc::now();
    reply(&app, &student, &path, json!({"body": "Ecco i documenti."})).await;
    let after = Utc::now();
    let (first_after, due_after) = due_times(&app, &number).await;
    let resumed = events_of(&app, &number, "sla_resumed").await;
    assert_eq!(resumed.len(), 1);
    let minutes = resumed[0]["paused_minutes"].as_i64().unwrap();
    let calendar = BusinessCalendar::default();
    let (low, high) = (
        calendar.business_minutes_between(paused_at, before),
        calendar.business_minutes_between(paused_at, after),
    );
    assert!(
        minutes > 0 && low <= minutes && minutes <= high,
        "{low} <= {minutes} <= {high}"
    );
    assert_eq!(
        due_after.unwrap().and_utc(),
        calendar.add_business_minutes(due_before.unwrap().and_utc(), minutes)
    );
    assert!(due_after > due_before);
    assert_eq!(
        first_after, first_before,
        "a first response already given is not moved"
    );
    let seen: Value = ticket_of(&app, &agent.token, &number).await;
    assert_eq!(seen["status"], "open");
    assert_eq!(time(&seen["sla"]["due_at"]).naive_utc(), due_after.unwrap());
    assert_ne!(seen["sla"]["state"], "paused");

    // A second reply leaves the first response where it was; no pause, no move.
    reply(
        &app,
        &agent,
        &path,
        json!({"body": "Grazie, verifichiamo."}),
    )
    .await;
    assert_eq!(first_responded(&app, &number).await, Some(responded));
    assert_eq!(due_times(&app, &number).await, (first_after, due_after));
    let paused_minutes: i64 = {
        let id = seen["id"].as_str().unwrap().to_owned();
        with_db(&app, move |conn| {
            ticket_sla::table
                .find(id)
                .select(ticket_sla::paused_minutes)
                .first(conn)
                .unwrap()
        })
        .await
    };
    assert_eq!(paused_minutes, minutes);
}

async fn a_guest_ticket_clock_starts_at_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;
    let guest = json!({"category": "stranieri", "privacy_notice_version": 1, "subject": "Dichiarazione di valore", "body": "Come la ottengo?",
        "fields": {"nationality": "Albania", "topic": "declaration-of-value"},
        "guest": {"email": "orologio@example.org", "name": "Ardit"}});
    let res = app.post("/api/v1/tickets", None, &guest).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let number = res.json::<Value>().await.unwrap()["number"]
        .as_str()
        .unwrap()
        .to_owned();
    // Opened (unconfirmed) a day ago.
    let opened = Utc::now() - Duration::days(1);
    let n = number.clone();
    with_db(&app, move |conn| {
        diesel::update(tickets::table.filter(tickets::number.eq(n)))
            .set(tickets::created_at.eq(opened.naive_utc()))
            .execute(conn)
            .unwrap();
    })
    .await;
    let (first_before, due_before) = due_times(&app, &number).await;
    let secret = app
        .mailed_link("orologio@example.org", "guest_verify", None)
        .await
        .split("secret=")
        .nth(1)
        .unwrap()
        .to_owned();
    let before = Utc::now();
    let res = verify(&app, &number, &secret).await;
    assert_eq!(res.status(), StatusCode::OK);
    let after = Utc::now();
    let calendar = BusinessCalendar::default();
    let (first_after, due_after) = due_times(&app, &number).await;
    let (low, high) = (
        calendar.business_minutes_between(opened, before),
        calendar.business_minutes_between(opened, after),
    );
    let resumed = events_of(&app, &number, "sla_resumed").await;
    if high == 0 {
        // Opened and confirmed over a weekend or a holiday: no business time passed.
        assert!(resumed.is_empty());
        assert_eq!((first_after, due_after), (first_before, due_before));
        return;
    }
    let minutes = resumed[0]["paused_minutes"].as_i64().unwrap();
    assert!(
        low <= minutes && minutes <= high,
        "{low} <= {minutes} <= {high}"
    );
    assert_eq!(
        first_after.unwrap().and_utc(),
        calendar.add_business_minutes(first_before.unwrap().and_utc(), minutes)
    );
    assert_eq!(
        due_after.unwrap().and_utc(),
        calendar.add_business_minutes(due_before.unwrap().and_utc(), minutes)
    );
}

async fn views_show_the_sla_state(backend: Backend) {
    let Desk {
        app,
        agent,
        student,
        ticket,
        number,
        path,
    } = desk(backend, "stato", "Stato SLA").await;
    let state = |app: &TestApp| {
        let (path, token) = (path.clone(), agent.token.clone());
        let url = app.url(&path);
        let client = app.client.clone();
        async move {
            let view: Value = client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            view["sla"]["state"].as_str().unwrap().to_owned()
        }
    };

    assert!(
        ticket.get("sla").is_none(),
        "the student who opened it sees no SLA state: {ticket}"
    );
    let student_view: Value = ticket_of(&app, &student.token, &number).await;
    assert!(
        student_view.get("sla").is_none(),
        "students do not see SLA states"
    );
    let staff_view: Value = ticket_of(&app, &agent.token, &number).await;
    assert_eq!(staff_view["sla"]["state"], "ok");
    assert_eq!(staff_view["sla"]["due_at"], staff_view["due_at"]);
    let list: Value = app
        .get("/api/v1/tickets", Some(&agent.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["sla"]["state"], "ok");

    let far = Utc::now() + Duration::days(30);
    // Twenty minutes of wall clock are at most twenty business minutes: at risk.
    set_due_times(
        &app,
        &number,
        Some(Utc::now() + Duration::minutes(20)),
        Some(far),
    )
    .await;
    assert_eq!(state(&app).await, "at_risk");
    let list: Value = app
        .get("/api/v1/tickets", Some(&agent.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["sla"]["state"], "at_risk");
    set_due_times(
        &app,
        &number,
        Some(Utc::now() + Duration::days(30)),
        Some(Utc::now() + Duration::minutes(20)),
    )
    .await;
    assert_eq!(
        state(&app).await,
        "at_risk",
        "the resolution target counts too"
    );
    set_due_times(
        &app,
        &number,
        Some(Utc::now() - Duration::minutes(1)),
        Some(far),
    )
    .await;
    assert_eq!(state(&app).await, "breached");

    // Waiting for the student: paused (the first response, given late, still shows).
    set_due_times(&app, &number, Some(far), Some(far)).await;
    let changed = change(
        &app,
        &agent.token,
        &number,
        json!({"status": "waiting_student"}),
    )
    .await;
    assert_eq!(changed["sla"]["state"], "paused");

    // Resolved within the due time: met.
    change(&app, &agent.token, &number, json!({"status": "resolved"})).await;
    assert_eq!(state(&app).await, "met");
    // Resolved after it: breached.
    let past = Utc.with_ymd_and_hms(2020, 1, 7, 10, 0, 0).unwrap();
    set_due_times(&app, &number, Some(far), Some(past)).await;
    assert_eq!(state(&app).await, "breached");
}
