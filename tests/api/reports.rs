//! Reports: tickets opened through the API, then given known times, categories, teams,
//! ratings and status histories in the database; the reports must count exactly that. The
//! week is Monday 2 to Sunday 8 February 2026 (Europe/Rome, UTC+1, no holidays).

use chrono::{NaiveDateTime, TimeZone};
use diesel::prelude::*;
use helpdesk::db::schema::{categories, teams, ticket_events, ticket_ratings, tickets};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, Session, TestApp};

both_backends!(
    reports_count_what_was_seeded,
    agents_see_their_teams_and_students_nothing,
    bad_ranges_and_filters_are_422,
    csv_downloads_parse_back_to_the_same_numbers,
    the_reports_page_draws_charts_for_staff_only,
);

const WEEK: &str = "from=2026-02-02&to=2026-02-08";

/// A Rome wall-clock time in early 2026, as the naive UTC the database keeps.
fn rome(month: u32, day: u32, hour: u32, minute: u32) -> NaiveDateTime {
    chrono_tz::Europe::Rome.with_ymd_and_hms(2026, month, day, hour, minute, 0).unwrap().naive_utc()
}

fn feb(day: u32, hour: u32, minute: u32) -> NaiveDateTime {
    rome(2, day, hour, minute)
}

fn far() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2099, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
}

/// What a ticket is made to be.
struct Plan {
    category: &'static str,
    team: &'static str,
    status: &'static str,
    created: NaiveDateTime,
    responded: Option<NaiveDateTime>,
    resolved: Option<NaiveDateTime>,
    closed: Option<NaiveDateTime>,
    response_due: Option<NaiveDateTime>,
    due: Option<NaiveDateTime>,
    /// Stars and when they were given (UTC).
    rating: Option<(i32, NaiveDateTime)>,
}

fn plans() -> Vec<Plan> {
    let p = |category, team, status, created| Plan {
        category,
        team,
        status,
        created,
        responded: None,
        resolved: None,
        closed: None,
        response_due: None,
        due: None,
        rating: None,
    };
    vec![
        // T1: answered in 1 h, resolved after 8 business hours (24 h), both in time; 5 stars.
        Plan {
            responded: Some(feb(2, 10, 0)),
            resolved: Some(feb(3, 9, 0)),
            response_due: Some(feb(2, 17, 0)),
            due: Some(feb(4, 17, 0)),
            rating: Some((5, feb(4, 12, 0))),
            ..p("segreteria", "segreteria", "resolved", feb(2, 9, 0))
        },
        // T2: opened Monday 16:00, answered Tuesday 10:00 (2 business hours, 18 h): late; still open.
        Plan {
            responded: Some(feb(3, 10, 0)),
            response_due: Some(feb(2, 17, 0)),
            due: Some(far()),
            rating: Some((3, chrono::NaiveDate::from_ymd_opt(2026, 2, 8).unwrap().and_hms_opt(23, 30, 0).unwrap())),
            ..p("segreteria", "segreteria", "open", feb(2, 16, 0))
        },
        // T3: a segreteria ticket in the IT team, never answered, past its first-response due time.
        Plan {
            response_due: Some(feb(9, 17, 0)),
            due: Some(far()),
            rating: Some((1, chrono::NaiveDate::from_ymd_opt(2026, 2, 8).unwrap().and_hms_opt(22, 30, 0).unwrap())),
            ..p("segreteria", "it", "new", feb(7, 11, 0))
        },
        // T4: answered in 30 min, resolved in 2 h but after its due time, then closed; 5 stars.
        Plan {
            responded: Some(feb(3, 10, 30)),
            resolved: Some(feb(3, 12, 0)),
            closed: Some(feb(4, 9, 0)),
            response_due: Some(feb(3, 18, 0)),
            due: Some(feb(3, 11, 0)),
            rating: Some((5, feb(5, 9, 0))),
            ..p("stranieri", "stranieri", "closed", feb(3, 10, 0))
        },
        // T5: sent at 00:30 on Wednesday (Tuesday in UTC), closed by the student at 08:00
        // without an answer; 2 stars.
        Plan {
            closed: Some(feb(4, 8, 0)),
            response_due: Some(feb(4, 17, 0)),
            due: Some(feb(6, 17, 0)),
            rating: Some((2, feb(6, 9, 0))),
            ..p("stranieri", "stranieri", "closed", feb(4, 0, 30))
        },
        // T6: opened before the week, still open.
        p("segreteria", "segreteria", "open", rome(1, 30, 9, 0)),
        // T7: opened after the week; rated after it too.
        Plan { rating: Some((4, feb(10, 10, 0))), ..p("segreteria", "segreteria", "new", feb(10, 9, 0)) },
        // T8: a guest ticket never confirmed: in no report.
        p("stranieri", "stranieri", "unverified", feb(5, 9, 0)),
        // T9: opened before the week, resolved Tuesday, reopened Thursday, resolved Friday.
        Plan { resolved: Some(feb(6, 10, 0)), ..p("segreteria", "segreteria", "resolved", rome(1, 30, 10, 0)) },
    ]
}

struct Desk {
    app: TestApp,
    admin: Session,
    supervisor: Session,
    student: Session,
}

async fn patch_status(app: &TestApp, who: &Session, number: &str, status: &str) {
    let path = format!("/api/v1/tickets/{number}");
    let version = app.get(&path, Some(&who.token)).await.json::<Value>().await.unwrap()["version"].clone();
    let res = app.patch(&path, &who.token, &json!({"version": version, "status": status})).await;
    assert_eq!(res.status(), StatusCode::OK, "{number} → {status}");
}

/// The desk of `plans()`: nine tickets opened by a student through the API, T9's history made
/// through the API too (so its events are the real ones), then everything set in the database.
async fn seeded(backend: Backend) -> Desk {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let supervisor = app.staff(&admin, "capo@unibg.it", "supervisor", &[]).await;
    let student = app.student("anna@studenti.unibg.it").await;
    let mut numbers = Vec::new();
    for i in 1..=9 {
        numbers.push(app.open_ticket(&student, &format!("Richiesta numero {i}")).await["number"].as_str().unwrap().to_owned());
    }
    let t9 = numbers[8].clone();
    patch_status(&app, &supervisor, &t9, "resolved").await;
    patch_status(&app, &student, &t9, "open").await;
    patch_status(&app, &supervisor, &t9, "resolved").await;

    let db = app.db.clone();
    let student_id = student.id.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().unwrap();
        let conn = &mut *conn;
        for (number, plan) in numbers.iter().zip(plans()) {
            let category: String =
                categories::table.filter(categories::slug.eq(plan.category)).select(categories::id).first(conn).unwrap();
            let team: String = teams::table.filter(teams::slug.eq(plan.team)).select(teams::id).first(conn).unwrap();
            let id: String = tickets::table.filter(tickets::number.eq(number)).select(tickets::id).first(conn).unwrap();
            diesel::update(tickets::table.find(&id))
                .set((
                    tickets::category_id.eq(category),
                    tickets::team_id.eq(team),
                    tickets::status.eq(plan.status),
                    tickets::created_at.eq(plan.created),
                    tickets::first_responded_at.eq(plan.responded),
                    tickets::resolved_at.eq(plan.resolved),
                    tickets::closed_at.eq(plan.closed),
                    tickets::first_response_due_at.eq(plan.response_due),
                    tickets::due_at.eq(plan.due),
                ))
                .execute(conn)
                .unwrap();
            if let Some((stars, at)) = plan.rating {
                diesel::insert_into(ticket_ratings::table)
                    .values((
                        ticket_ratings::ticket_id.eq(&id),
                        ticket_ratings::rated_by.eq(&student_id),
                        ticket_ratings::stars.eq(stars),
                        ticket_ratings::comment.eq(""),
                        ticket_ratings::created_at.eq(at),
                    ))
                    .execute(conn)
                    .unwrap();
            }
        }
        // T9's three status changes, moved to Tuesday, Thursday and Friday.
        let id: String = tickets::table.filter(tickets::number.eq(&numbers[8])).select(tickets::id).first(conn).unwrap();
        let changes: Vec<(String, String)> = ticket_events::table
            .filter(ticket_events::ticket_id.eq(&id))
            .filter(ticket_events::kind.eq("status_changed"))
            .order(ticket_events::id.asc())
            .select((ticket_events::id, ticket_events::data))
            .load(conn)
            .unwrap();
        let moves: Vec<&str> = changes.iter().map(|(_, d)| d.as_str()).collect();
        assert_eq!(
            moves,
            [r#"{"from":"new","to":"resolved"}"#, r#"{"from":"resolved","to":"open"}"#, r#"{"from":"open","to":"resolved"}"#]
        );
        for ((event, _), at) in changes.iter().zip([feb(3, 10, 0), feb(5, 10, 0), feb(6, 10, 0)]) {
            diesel::update(ticket_events::table.find(event)).set(ticket_events::created_at.eq(at)).execute(conn).unwrap();
        }
    })
    .await
    .unwrap();
    Desk { app, admin, supervisor, student }
}

async fn report(app: &TestApp, who: &Session, path: &str) -> Value {
    let res = app.get(path, Some(&who.token)).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

fn group<'a>(list: &'a Value, key: &str) -> &'a Value {
    list.as_array().unwrap().iter().find(|g| g["key"] == key).unwrap_or_else(|| panic!("no group {key} in {list}"))
}

fn keys(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|g| g["key"].as_str().unwrap()).collect()
}

async fn reports_count_what_was_seeded(backend: Backend) {
    let Desk { app, supervisor: boss, .. } = seeded(backend).await;

    let v = report(&app, &boss, &format!("/api/v1/reports/volume?{WEEK}")).await;
    assert_eq!(v["period"], json!({"from": "2026-02-02", "to": "2026-02-08", "team": null, "category": null}));
    assert_eq!(v["days"].as_array().unwrap().len(), 7);
    assert_eq!(v["days"][0], "2026-02-02");
    assert_eq!(keys(&v["series"]), ["segreteria", "stranieri"]);
    assert_eq!(group(&v["series"], "segreteria")["counts"], json!([2, 0, 0, 0, 0, 1, 0]));
    // T5 was sent at 23:30 UTC on the 3rd: the 4th in Rome.
    assert_eq!(group(&v["series"], "stranieri")["counts"], json!([0, 1, 1, 0, 0, 0, 0]));
    assert_eq!(v["totals"], json!([2, 1, 1, 0, 0, 1, 0]));
    assert_eq!(v["total"], 5);

    // Open at the end of each day: T6 all week; T1 Monday; T2 from Monday; T3 from Saturday;
    // T9 Monday, out Tuesday and Wednesday (resolved), back Thursday, out from Friday.
    let b = report(&app, &boss, &format!("/api/v1/reports/backlog?{WEEK}")).await;
    let open: Vec<i64> = b["days"].as_array().unwrap().iter().map(|d| d["open"].as_i64().unwrap()).collect();
    assert_eq!(open, [4, 2, 2, 3, 2, 3, 3]);
    assert_eq!(b["days"][3], json!({"date": "2026-02-05", "open": 3}));

    let t = report(&app, &boss, &format!("/api/v1/reports/response-times?{WEEK}")).await;
    assert_eq!(t["all"]["key"], "all");
    assert_eq!(t["all"]["tickets"], 5);
    assert_eq!(
        t["all"]["first_response"],
        json!({"measured": 3, "pending": 1, "p50_business_minutes": 60, "p90_business_minutes": 120, "p50_minutes": 60, "p90_minutes": 1080})
    );
    assert_eq!(
        t["all"]["resolution"],
        json!({"measured": 3, "pending": 2, "p50_business_minutes": 120, "p90_business_minutes": 480, "p50_minutes": 450, "p90_minutes": 1440})
    );
    assert_eq!(keys(&t["by_category"]), ["segreteria", "stranieri"]);
    let segreteria = group(&t["by_category"], "segreteria");
    assert_eq!(segreteria["tickets"], 3);
    assert_eq!(segreteria["first_response"]["p50_business_minutes"], 60);
    assert_eq!(segreteria["first_response"]["p90_minutes"], 1080);
    assert_eq!(
        segreteria["resolution"],
        json!({"measured": 1, "pending": 2, "p50_business_minutes": 480, "p90_business_minutes": 480, "p50_minutes": 1440, "p90_minutes": 1440})
    );
    let stranieri = group(&t["by_category"], "stranieri");
    assert_eq!(
        stranieri["first_response"],
        json!({"measured": 1, "pending": 0, "p50_business_minutes": 30, "p90_business_minutes": 30, "p50_minutes": 30, "p90_minutes": 30})
    );
    assert_eq!(
        stranieri["resolution"],
        json!({"measured": 2, "pending": 0, "p50_business_minutes": 0, "p90_business_minutes": 120, "p50_minutes": 120, "p90_minutes": 450})
    );
    // By team: T3 is the IT team's; teams come in slug order.
    assert_eq!(keys(&t["by_team"]), ["it", "segreteria", "stranieri"]);
    assert_eq!(
        group(&t["by_team"], "it")["first_response"],
        json!({"measured": 0, "pending": 1, "p50_business_minutes": null, "p90_business_minutes": null, "p50_minutes": null, "p90_minutes": null})
    );
    assert_eq!(group(&t["by_team"], "segreteria")["first_response"]["measured"], 2);
    assert_eq!(group(&t["by_team"], "segreteria")["first_response"]["pending"], 0);

    let s = report(&app, &boss, &format!("/api/v1/reports/sla?{WEEK}")).await;
    assert_eq!(s["all"]["first_response"], json!({"met": 2, "breached": 2, "pending": 0, "share": 0.5}));
    assert_eq!(s["all"]["resolution"], json!({"met": 2, "breached": 1, "pending": 2, "share": 0.6667}));
    assert_eq!(
        group(&s["by_category"], "segreteria")["first_response"],
        json!({"met": 1, "breached": 2, "pending": 0, "share": 0.3333})
    );
    assert_eq!(
        group(&s["by_category"], "segreteria")["resolution"],
        json!({"met": 1, "breached": 0, "pending": 2, "share": 1.0})
    );
    // T5 ended before its first-response due time without an answer: not counted.
    assert_eq!(
        group(&s["by_category"], "stranieri")["first_response"],
        json!({"met": 1, "breached": 0, "pending": 0, "share": 1.0})
    );
    assert_eq!(group(&s["by_category"], "stranieri")["resolution"], json!({"met": 1, "breached": 1, "pending": 0, "share": 0.5}));
    assert_eq!(group(&s["by_team"], "it")["first_response"], json!({"met": 0, "breached": 1, "pending": 0, "share": 0.0}));
    assert_eq!(group(&s["by_team"], "it")["resolution"], json!({"met": 0, "breached": 0, "pending": 1, "share": null}));

    // Ratings given in the week: T1 5, T3 1 (23:30 in Rome on Sunday), T4 5, T5 2; T2's came
    // at 00:30 on Monday the 9th in Rome, T7's on the 10th.
    let r = report(&app, &boss, &format!("/api/v1/reports/satisfaction?{WEEK}")).await;
    assert_eq!(r["all"], json!({"key": "all", "name": "Tutti", "ratings": 4, "average": 3.25, "distribution": [1, 1, 0, 0, 2]}));
    assert_eq!(group(&r["by_category"], "segreteria")["distribution"], json!([1, 0, 0, 0, 1]));
    assert_eq!(group(&r["by_category"], "segreteria")["average"], 3.0);
    assert_eq!(group(&r["by_category"], "stranieri")["average"], 3.5);
    assert_eq!(group(&r["by_team"], "it")["ratings"], 1);
    assert_eq!(keys(&r["by_team"]), ["it", "segreteria", "stranieri"]);

    // Filters narrow: the segreteria team lost T3 to IT; the stranieri category has T4 and T5.
    let v = report(&app, &boss, &format!("/api/v1/reports/volume?{WEEK}&team=segreteria")).await;
    assert_eq!((v["total"].clone(), v["period"]["team"].clone()), (json!(2), json!("segreteria")));
    let t = report(&app, &boss, &format!("/api/v1/reports/response-times?{WEEK}&category=stranieri")).await;
    assert_eq!(t["all"]["tickets"], 2);
    assert_eq!(keys(&t["by_category"]), ["stranieri"]);
    // A week with nothing in it.
    let s = report(&app, &boss, "/api/v1/reports/sla?from=2025-03-01&to=2025-03-07").await;
    assert_eq!(s["all"]["first_response"], json!({"met": 0, "breached": 0, "pending": 0, "share": null}));
    assert_eq!(s["by_category"], json!([]));
    // No range: the last 30 days, ending today.
    let b = report(&app, &boss, "/api/v1/reports/backlog").await;
    assert_eq!(b["days"].as_array().unwrap().len(), 30);
}

async fn agents_see_their_teams_and_students_nothing(backend: Backend) {
    let Desk { app, admin, student, .. } = seeded(backend).await;
    let agent = app.staff(&admin, "luca@unibg.it", "agent", &["stranieri"]).await;
    let v = report(&app, &agent, &format!("/api/v1/reports/volume?{WEEK}")).await;
    assert_eq!(keys(&v["series"]), ["stranieri"]);
    assert_eq!(v["total"], 2);
    let b = report(&app, &agent, &format!("/api/v1/reports/backlog?{WEEK}")).await;
    assert!(b["days"].as_array().unwrap().iter().all(|d| d["open"] == 0), "T4 and T5 ended the day they came: {b}");
    let t = report(&app, &agent, &format!("/api/v1/reports/response-times?{WEEK}")).await;
    assert_eq!(keys(&t["by_team"]), ["stranieri"]);
    assert_eq!(t["all"]["tickets"], 2);
    let r = report(&app, &agent, &format!("/api/v1/reports/satisfaction?{WEEK}&team=stranieri")).await;
    assert_eq!(r["all"]["ratings"], 2);
    // Another team's report is refused, not emptied.
    let res = app.get(&format!("/api/v1/reports/sla?{WEEK}&team=segreteria"), Some(&agent.token)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // The IT agent sees T3 alone.
    let it = app.staff(&admin, "paolo@unibg.it", "agent", &["it"]).await;
    let v = report(&app, &it, &format!("/api/v1/reports/volume?{WEEK}")).await;
    assert_eq!(v["totals"], json!([0, 0, 0, 0, 0, 1, 0]));
    // Admins see everything; students and strangers nothing.
    let v = report(&app, &admin, &format!("/api/v1/reports/volume?{WEEK}")).await;
    assert_eq!(v["total"], 5);
    for path in ["volume", "backlog", "response-times", "sla", "satisfaction"] {
        let res = app.get(&format!("/api/v1/reports/{path}?{WEEK}"), Some(&student.token)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let res = app.get(&format!("/api/v1/reports/{path}?{WEEK}"), None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}

async fn problem_fields(app: &TestApp, who: &Session, path: &str) -> Vec<String> {
    let res = app.get(path, Some(&who.token)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    let body: Value = res.json().await.unwrap();
    body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

async fn bad_ranges_and_filters_are_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let v = "/api/v1/reports/volume";
    assert_eq!(problem_fields(&app, &admin, &format!("{v}?from=2026-02-10&to=2026-02-01")).await, ["to"]);
    assert_eq!(problem_fields(&app, &admin, &format!("{v}?from=2025-01-01&to=2026-01-02")).await, ["from"]);
    assert_eq!(problem_fields(&app, &admin, &format!("{v}?from=2026-02-30")).await, ["from"]);
    assert_eq!(problem_fields(&app, &admin, &format!("{v}?to=yesterday&team=nobody")).await, ["to", "team"]);
    assert_eq!(problem_fields(&app, &admin, "/api/v1/reports/sla?category=nothing").await, ["category"]);
    assert_eq!(problem_fields(&app, &admin, "/api/v1/reports/backlog?format=xml").await, ["format"]);
    assert_eq!(problem_fields(&app, &admin, "/api/v1/reports/backlog?from=99999-01-01").await, ["from"]);
    // 366 days is the most: a leap year passes.
    let res = app.get("/api/v1/reports/backlog?from=2024-01-01&to=2024-12-31", Some(&admin.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["days"].as_array().unwrap().len(), 366);
    // The OpenAPI document lists each report with both of its media types.
    let doc: Value = app.get("/api/v1/openapi.json", None).await.json().await.unwrap();
    for report in ["volume", "backlog", "response-times", "sla", "satisfaction"] {
        let ok = &doc["paths"][format!("/api/v1/reports/{report}")]["get"]["responses"]["200"]["content"];
        assert!(ok["application/json"].is_object() && ok["text/csv"].is_object(), "{report}: {ok}");
    }
}

/// A CSV download: its file name and its records.
async fn csv_of(app: &TestApp, who: &Session, path: &str, accept: Option<&str>) -> (String, Vec<csv::StringRecord>) {
    let mut req = app.client.get(app.url(path)).bearer_auth(&who.token);
    if let Some(accept) = accept {
        req = req.header("Accept", accept);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    let body = res.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_ref());
    let header = reader.headers().unwrap().clone();
    let mut records = vec![header];
    records.extend(reader.records().map(Result::unwrap));
    (disposition, records)
}

fn find<'a>(records: &'a [csv::StringRecord], lead: &[&str]) -> &'a csv::StringRecord {
    records
        .iter()
        .find(|r| lead.iter().enumerate().all(|(i, v)| r.get(i) == Some(*v)))
        .unwrap_or_else(|| panic!("no row {lead:?}"))
}

fn cell<'a>(records: &'a [csv::StringRecord], row: &'a csv::StringRecord, column: &str) -> &'a str {
    let at = records[0].iter().position(|h| h == column).unwrap_or_else(|| panic!("no column {column}"));
    row.get(at).unwrap()
}

async fn csv_downloads_parse_back_to_the_same_numbers(backend: Backend) {
    let Desk { app, supervisor: boss, .. } = seeded(backend).await;
    // A name that needs quoting.
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().unwrap();
        diesel::update(categories::table.filter(categories::slug.eq("segreteria")))
            .set(categories::name_it.eq("Segreteria \"Bergamo\", sede\nDalmine"))
            .execute(&mut *conn)
            .unwrap();
    })
    .await
    .unwrap();

    let (disposition, rows) = csv_of(&app, &boss, &format!("/api/v1/reports/volume?{WEEK}&format=csv"), None).await;
    assert_eq!(disposition, r#"attachment; filename="volume-2026-02-02-2026-02-08.csv""#);
    assert_eq!(&rows[0], vec!["date", "category", "category_name", "tickets"]);
    assert_eq!(rows.len(), 1 + 7 * 2, "a row per day and category");
    let json = report(&app, &boss, &format!("/api/v1/reports/volume?{WEEK}")).await;
    for series in json["series"].as_array().unwrap() {
        let key = series["key"].as_str().unwrap();
        let counts: Vec<i64> = rows[1..].iter().filter(|r| &r[1] == key).map(|r| r[3].parse().unwrap()).collect();
        assert_eq!(json!(counts), series["counts"], "{key}");
    }
    let segreteria = find(&rows, &["2026-02-02", "segreteria"]);
    assert_eq!(&segreteria[2], "Segreteria \"Bergamo\", sede\nDalmine");
    assert_eq!(&segreteria[3], "2");

    // The same through Accept.
    let (_, rows) = csv_of(&app, &boss, &format!("/api/v1/reports/backlog?{WEEK}"), Some("text/csv")).await;
    let open: Vec<&str> = rows[1..].iter().map(|r| r.get(1).unwrap()).collect();
    assert_eq!(open, ["4", "2", "2", "3", "2", "3", "3"]);

    let json = report(&app, &boss, &format!("/api/v1/reports/response-times?{WEEK}")).await;
    let (disposition, rows) = csv_of(&app, &boss, &format!("/api/v1/reports/response-times?{WEEK}&format=csv"), None).await;
    assert!(disposition.contains("response-times-2026-02-02-2026-02-08.csv"), "{disposition}");
    assert_eq!(rows.len(), 1 + 2 * (1 + 2 + 3), "two measures for all, two categories, three teams");
    for (scope, key, list) in [("category", "stranieri", &json["by_category"]), ("team", "segreteria", &json["by_team"])] {
        let g = group(list, key);
        for measure in ["first_response", "resolution"] {
            let row = find(&rows, &[scope, key, g["name"].as_str().unwrap(), measure]);
            for column in ["measured", "pending", "p50_business_minutes", "p90_business_minutes", "p50_minutes", "p90_minutes"] {
                let expected = match &g[measure][column] {
                    Value::Null => String::new(),
                    v => v.to_string(),
                };
                assert_eq!(cell(&rows, row, column), expected, "{scope} {key} {measure} {column}");
            }
        }
    }
    let row = find(&rows, &["all", "all", "Tutti", "resolution"]);
    assert_eq!((cell(&rows, row, "p50_minutes"), cell(&rows, row, "p90_minutes")), ("450", "1440"));

    let (_, rows) = csv_of(&app, &boss, &format!("/api/v1/reports/sla?{WEEK}&format=csv"), None).await;
    let row = find(&rows, &["all", "all", "Tutti", "resolution"]);
    assert_eq!((cell(&rows, row, "met"), cell(&rows, row, "breached"), cell(&rows, row, "pending")), ("2", "1", "2"));
    assert_eq!(cell(&rows, row, "share").parse::<f64>().unwrap(), 0.6667);
    let row = find(&rows, &["team", "it", "Servizio IT", "resolution"]);
    assert_eq!(cell(&rows, row, "share"), "", "nothing decided yet");

    let (_, rows) = csv_of(&app, &boss, &format!("/api/v1/reports/satisfaction?{WEEK}&format=csv"), None).await;
    assert_eq!(
        &rows[0],
        vec!["scope", "key", "name", "ratings", "average", "stars_1", "stars_2", "stars_3", "stars_4", "stars_5"]
    );
    let row = find(&rows, &["all"]);
    assert_eq!(row.iter().skip(3).collect::<Vec<_>>(), ["4", "3.25", "1", "1", "0", "0", "2"]);
    let row = find(&rows, &["category", "stranieri"]);
    assert_eq!(cell(&rows, row, "average").parse::<f64>().unwrap(), 3.5);
}

async fn page(client: &Client, app: &TestApp, who: Option<&Session>, path: &str) -> (StatusCode, String) {
    let mut req = client.get(app.url(path));
    if let Some(who) = who {
        req = req.bearer_auth(&who.token);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    if status.is_success() {
        assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    }
    (status, res.text().await.unwrap_or_default())
}

async fn the_reports_page_draws_charts_for_staff_only(backend: Backend) {
    let Desk { app, supervisor: boss, student, admin, .. } = seeded(backend).await;
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let (status, html) = page(&client, &app, Some(&boss), &format!("/staff/reports?{WEEK}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Report</h1>"));
    // Six charts: stacked volume bars, the backlog line, two time charts, SLA, satisfaction.
    assert_eq!(html.matches("<svg").count(), 6, "{html}");
    assert_eq!(html.matches("<polyline").count(), 1);
    // Volume: one bar per day and category with tickets (2 Feb: one; 3, 4 and 7 Feb: one each).
    let volume = &html[html.find(r#"id="chart-volume-title""#).unwrap()..];
    let volume = &volume[..volume.find("</svg>").unwrap()];
    assert_eq!(volume.matches(r#"class="bar""#).count(), 4);
    assert!(volume.contains("<title>02/02 · Segreteria studenti: 2</title>"), "{volume}");
    // Satisfaction: bars for 1, 2 and 5 stars.
    let stars = &html[html.find(r#"id="chart-satisfaction-title""#).unwrap()..];
    assert_eq!(stars[..stars.find("</svg>").unwrap()].matches(r#"class="bar""#).count(), 3);
    // Every chart is named and has its table.
    assert_eq!(html.matches(r#"role="img" aria-labelledby="#).count(), 6);
    assert_eq!(html.matches("<details").count(), 6);
    assert!(html.contains("<th scope=\"row\">05/02/2026</th><td>3</td>"), "the backlog's table");
    let links = html.replace("&#x3D;", "=").replace("&amp;", "&");
    for report in ["volume", "backlog", "response-times", "sla", "satisfaction"] {
        let link = format!(r#"href="/api/v1/reports/{report}?from=2026-02-02&to=2026-02-08&format=csv""#);
        assert!(links.contains(&link), "{link}");
    }
    assert!(html.contains(r#"<input type="date" id="from" name="from" value="2026-02-02">"#));
    // A filter, in English.
    let res = client
        .get(app.url(&format!("/staff/reports?{WEEK}&category=stranieri")))
        .bearer_auth(&admin.token)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("Requests received") && html.contains(r#"<option value="stranieri" selected>"#));
    assert!(html.contains("<title>04/02 · International students office: 1</title>"), "{html}");
    assert!(!html.contains("· Student office:"));
    // A bad range: the form again, with the error.
    let (status, html) = page(&client, &app, Some(&boss), "/staff/reports?from=2024-01-01&to=2026-01-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Un report copre al massimo 366 giorni.") && !html.contains("<svg"));
    assert!(html.contains(r#"value="2024-01-01""#), "what was typed stays");
    // Students get the error page; nobody signed in goes to sign in first.
    let (status, html) = page(&client, &app, Some(&student), "/staff/reports").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("I report sono riservati al personale degli uffici."));
    let res = client.get(app.url(&format!("/staff/reports?{WEEK}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/sign-in?next=/staff/reports%3Ffrom%3D2026-02-02%26to%3D2026-02-08");
}
