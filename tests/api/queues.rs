//! The staff console's queues: membership and counts, every filter, each sort in keyset pages.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use helpdesk::db::schema::tickets;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, Session, TestApp};

both_backends!(
    queues_hold_the_right_tickets_and_count_them,
    every_filter_narrows,
    sorts_page_without_gaps_or_repeats,
    counts_equal_a_full_recount_after_concurrent_changes,
    counts_stop_at_ten_thousand
);

fn numbers(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|t| t["number"].as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[String]) -> BTreeSet<String> {
    items.iter().cloned().collect()
}

/// Sets a ticket's SLA and time columns directly (the API has no reason to).
async fn set_times(
    app: &TestApp,
    number: &str,
    first_due: Option<NaiveDateTime>,
    due: Option<NaiveDateTime>,
    created: Option<NaiveDateTime>,
) {
    let db = app.db.clone();
    let number = number.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().unwrap();
        let target = tickets::table.filter(tickets::number.eq(&number));
        diesel::update(target)
            .set((
                tickets::first_response_due_at.eq(first_due),
                tickets::due_at.eq(due),
            ))
            .execute(&mut *conn)
            .unwrap();
        if let Some(created) = created {
            diesel::update(target)
                .set((
                    tickets::created_at.eq(created),
                    tickets::updated_at.eq(created),
                ))
                .execute(&mut *conn)
                .unwrap();
        }
    })
    .await
    .unwrap();
}

async fn change(app: &TestApp, who: &Session, number: &str, body: Value) -> Value {
    let path = format!("/api/v1/tickets/{number}");
    let current: Value = app.get(&path, Some(&who.token)).await.json().await.unwrap();
    let mut body = body;
    body["version"] = current["version"].clone();
    let res = app.patch(&path, &who.token, &body).await;
    assert_eq!(res.status(), StatusCode::OK, "{number}: {body}");
    res.json().await.unwrap()
}

async fn queue(app: &TestApp, who: &Session, queue: &str, query: &str) -> Vec<String> {
    let res = app
        .get(
            &format!("/api/v1/queues/{queue}/tickets?limit=200{query}"),
            Some(&who.token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{queue}{query}");
    numbers(&res.json().await.unwrap())
}

async fn counts(app: &TestApp, who: &Session) -> Vec<(String, i64)> {
    let res = app.get("/api/v1/queues", Some(&who.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body.as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["queue"].as_str().unwrap().to_owned(),
                q["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// `n` segreteria tickets opened by `student` ("<subject> 0", "<subject> 1"…): their numbers.
async fn open_tickets(app: &TestApp, student: &Session, subject: &str, n: usize) -> Vec<String> {
    let mut numbers = Vec::with_capacity(n);
    for i in 0..n {
        let ticket = app.open_ticket(student, &format!("{subject} {i}")).await;
        numbers.push(ticket["number"].as_str().unwrap().to_owned());
    }
    numbers
}

async fn queues_hold_the_right_tickets_and_count_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let seg = app
        .staff(&admin, "seg@unibg.it", "agent", &["segreteria"])
        .await;
    let str_agent = app
        .staff(&admin, "str@unibg.it", "agent", &["stranieri"])
        .await;
    let student = app.student("coda@studenti.unibg.it").await;
    let t = open_tickets(&app, &student, "Richiesta", 9).await;
    let far = Utc::now().naive_utc() + Duration::days(30);
    for n in &t {
        set_times(&app, n, Some(far), Some(far), None).await;
    }
    // t0 mine (seg); t1 waiting; t2 resolved; t3 closed; t4 first response due soon; t5 resolution
    // overdue; t6 assigned to seg and overdue; t7 and t8 moved to stranieri (t8 waiting).
    change(&app, &seg, &t[0], json!({"assignee": seg.id})).await;
    change(&app, &seg, &t[1], json!({"status": "waiting_student"})).await;
    change(
        &app,
        &seg,
        &t[2],
        json!({"status": "resolved", "assignee": seg.id}),
    )
    .await;
    change(
        &app,
        &seg,
        &t[3],
        json!({"status": "closed", "assignee": seg.id}),
    )
    .await;
    let now = Utc::now().naive_utc();
    set_times(
        &app,
        &t[4],
        Some(now + Duration::minutes(30)),
        Some(far),
        None,
    )
    .await;
    set_times(&app, &t[5], Some(far), Some(now - Duration::hours(1)), None).await;
    change(
        &app,
        &seg,
        &t[6],
        json!({"assignee": seg.id, "status": "open"}),
    )
    .await;
    set_times(&app, &t[6], Some(far), Some(now - Duration::hours(3)), None).await;
    change(&app, &admin, &t[7], json!({"team": "stranieri"})).await;
    change(
        &app,
        &admin,
        &t[8],
        json!({"team": "stranieri", "status": "waiting_student"}),
    )
    .await;
    // A resolved ticket with an overdue first response is not at risk: its clock stopped.
    set_times(
        &app,
        &t[2],
        Some(now - Duration::hours(5)),
        Some(now - Duration::hours(5)),
        None,
    )
    .await;

    let expect =
        |idx: &[usize]| -> BTreeSet<String> { idx.iter().map(|&i| t[i].clone()).collect() };
    // The segreteria agent.
    assert_eq!(
        set(&queue(&app, &seg, "mine", "").await),
        expect(&[0, 2, 6]),
        "mine: assigned to me, not closed"
    );
    assert_eq!(
        set(&queue(&app, &seg, "unassigned", "").await),
        expect(&[1, 4, 5])
    );
    assert_eq!(
        set(&queue(&app, &seg, "team:segreteria", "").await),
        expect(&[0, 1, 4, 5, 6])
    );
    assert_eq!(set(&queue(&app, &seg, "waiting", "").await), expect(&[1]));
    assert_eq!(
        set(&queue(&app, &seg, "at_risk", "").await),
        expect(&[4, 5, 6])
    );
    let seg_counts = counts(&app, &seg).await;
    let keys: Vec<&str> = seg_counts.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "mine",
            "unassigned",
            "team:segreteria",
            "waiting",
            "at_risk",
            "deadline_soon"
        ],
        "agents get no other team and no 'all'"
    );
    assert_eq!(
        seg_counts.iter().map(|(_, c)| *c).collect::<Vec<_>>(),
        [3, 3, 5, 1, 3, 0]
    );
    // Another team's queue and the whole desk are not an agent's.
    assert_eq!(
        app.get("/api/v1/queues/team:stranieri/tickets", Some(&seg.token))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/queues/all/tickets", Some(&seg.token))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // The stranieri agent sees only stranieri's tickets.
    assert_eq!(
        set(&queue(&app, &str_agent, "unassigned", "").await),
        expect(&[7, 8])
    );
    assert_eq!(
        set(&queue(&app, &str_agent, "waiting", "").await),
        expect(&[8])
    );
    assert!(queue(&app, &str_agent, "mine", "").await.is_empty());
    assert!(queue(&app, &str_agent, "at_risk", "").await.is_empty());
    assert_eq!(
        counts(&app, &str_agent).await,
        [
            ("mine".into(), 0),
            ("unassigned".into(), 2),
            ("team:stranieri".into(), 2),
            ("waiting".into(), 1),
            ("at_risk".into(), 0),
            ("deadline_soon".into(), 0)
        ]
    );

    // An admin in no team works every team's queues, and has 'all' (closed included).
    let admin_counts = counts(&app, &admin).await;
    let get = |k: &str| admin_counts.iter().find(|(q, _)| q == k).map(|(_, c)| *c);
    assert_eq!(get("unassigned"), Some(5));
    assert_eq!(get("team:segreteria"), Some(5));
    assert_eq!(get("team:stranieri"), Some(2));
    assert_eq!(get("team:it"), Some(0));
    assert_eq!(get("waiting"), Some(2));
    assert_eq!(get("all"), Some(9));
    assert_eq!(get("deadline_soon"), Some(0), "no ticket is linked to a procedure closing soon");
    assert_eq!(
        set(&queue(&app, &admin, "all", "").await),
        expect(&[0, 1, 2, 3, 4, 5, 6, 7, 8])
    );

    // Students get 403; unknown queues and teams a clear 422.
    assert_eq!(
        app.get("/api/v1/queues", Some(&student.token))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/queues/mine/tickets", Some(&student.token))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/queues", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    for bad in ["nope", "team:", "team:nope"] {
        let res = app
            .get(&format!("/api/v1/queues/{bad}/tickets"), Some(&admin.token))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "queue", "{problem}");
    }
}

async fn every_filter_narrows(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let seg = app
        .staff(&admin, "filtri@unibg.it", "agent", &["segreteria", "it"])
        .await;
    let student = app.student("filtri@studenti.unibg.it").await;
    let mut t = Vec::new();
    for i in 0..5 {
        t.push(
            app.open_ticket(&student, &format!("Filtro {i}")).await["number"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    change(
        &app,
        &seg,
        &t[0],
        json!({"priority": "urgent", "status": "open"}),
    )
    .await;
    change(
        &app,
        &seg,
        &t[1],
        json!({"priority": "high", "assignee": seg.id}),
    )
    .await;
    change(&app, &admin, &t[2], json!({"category": "credenziali"})).await;
    change(&app, &seg, &t[3], json!({"status": "waiting_student"})).await;
    let old = Utc::now().naive_utc() - Duration::days(40);
    set_times(&app, &t[4], None, None, Some(old)).await;

    let all = |q: &'static str| {
        let (app, seg) = (&app, &seg);
        async move { set(&queue(app, seg, "team:segreteria", q).await) }
    };
    let expect =
        |idx: &[usize]| -> BTreeSet<String> { idx.iter().map(|&i| t[i].clone()).collect() };
    assert_eq!(all("").await, expect(&[0, 1, 3, 4]));
    assert_eq!(all("&category=segreteria").await, expect(&[0, 1, 3, 4]));
    assert_eq!(
        set(&queue(&app, &seg, "team:it", "&category=credenziali").await),
        expect(&[2])
    );
    // Assigning a new ticket opened it (t[1]).
    assert_eq!(all("&status=open").await, expect(&[0, 1]));
    assert_eq!(all("&status=open,waiting_student").await, expect(&[0, 1, 3]));
    assert_eq!(all("&priority=urgent").await, expect(&[0]));
    assert_eq!(all("&priority=urgent,high").await, expect(&[0, 1]));
    assert_eq!(all("&assignee=me").await, expect(&[1]));
    assert_eq!(
        set(&queue(
            &app,
            &seg,
            "team:segreteria",
            &format!("&assignee={}", seg.id)
        )
        .await),
        expect(&[1])
    );
    assert_eq!(all("&assignee=none").await, expect(&[0, 3, 4]));
    assert_eq!(
        set(&queue(&app, &seg, "unassigned", "&team=it").await),
        expect(&[2])
    );
    let today = Utc::now().date_naive();
    let from = (today - chrono::Days::new(1)).to_string();
    assert_eq!(
        set(&queue(
            &app,
            &seg,
            "team:segreteria",
            &format!("&created_from={from}")
        )
        .await),
        expect(&[0, 1, 3])
    );
    let to = (today - chrono::Days::new(10)).to_string();
    assert_eq!(
        set(&queue(&app, &seg, "team:segreteria", &format!("&created_to={to}")).await),
        expect(&[4])
    );
    let rfc = (Utc::now() - Duration::days(41))
        .to_rfc3339()
        .replace('+', "%2B");
    let rfc_to = (Utc::now() - Duration::days(39))
        .to_rfc3339()
        .replace('+', "%2B");
    assert_eq!(
        set(&queue(
            &app,
            &seg,
            "team:segreteria",
            &format!("&created_from={rfc}&created_to={rfc_to}")
        )
        .await),
        expect(&[4])
    );
    // The same filters on GET /api/v1/tickets.
    let listed: Value = app
        .get(
            "/api/v1/tickets?priority=urgent,high&sort=due",
            Some(&seg.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(set(&numbers(&listed)), expect(&[0, 1]));
    let listed: Value = app
        .get(
            &format!("/api/v1/tickets?created_to={to}"),
            Some(&student.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(set(&numbers(&listed)), expect(&[4]));

    // Bad values: 422 naming the parameter, never a 500.
    for (query, field) in [
        ("&status=pending", "status"),
        ("&priority=extreme", "priority"),
        ("&category=nope", "category"),
        ("&team=nope", "team"),
        ("&assignee=someone", "assignee"),
        ("&created_from=yesterday", "created_from"),
        ("&created_to=2025-13-01", "created_to"),
        ("&career_action_type=no-such-procedure", "career_action_type"),
        ("&sort=priority", "sort"),
        ("&sort=due&order=up", "order"),
        ("&cursor=not-a-cursor", "cursor"),
        ("&q=words", "q"),
    ] {
        let res = app
            .get(
                &format!("/api/v1/queues/team:segreteria/tickets?{query}"),
                Some(&seg.token),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    for limit in ["0", "201"] {
        let res = app
            .get(
                &format!("/api/v1/queues/mine/tickets?limit={limit}"),
                Some(&seg.token),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // A cursor from one sort is refused by another.
    let page: Value = app
        .get(
            "/api/v1/queues/team:segreteria/tickets?limit=1&sort=created",
            Some(&seg.token),
        )
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"].as_str().unwrap();
    let res = app
        .get(
            &format!("/api/v1/queues/team:segreteria/tickets?limit=1&sort=due&cursor={cursor}"),
            Some(&seg.token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Pages of `limit` through a queue in one sort: every ticket once, in the order the keys say.
async fn walk(app: &TestApp, who: &Session, sort: &str, order: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let mut path = format!("/api/v1/queues/all/tickets?limit=2&sort={sort}&order={order}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page: Value = app.get(&path, Some(&who.token)).await.json().await.unwrap();
        let items = page["items"].as_array().unwrap_or_else(|| panic!("{page}"));
        assert!(items.len() <= 2);
        seen.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return seen,
        }
    }
    panic!("the pages never ended");
}

async fn sorts_page_without_gaps_or_repeats(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let student = app.student("ordine@studenti.unibg.it").await;
    let mut t = Vec::new();
    for i in 0..7 {
        t.push(
            app.open_ticket(&student, &format!("Ordine {i}")).await["number"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Due times with a tie, two without one; creation times with a tie.
    let base = Utc::now().naive_utc() - Duration::days(3);
    let due = [Some(2), Some(1), None, Some(1), Some(5), None, Some(3)];
    let created = [4, 4, 1, 2, 6, 3, 5];
    for (i, n) in t.iter().enumerate() {
        let due_at = due[i].map(|h| base + Duration::hours(h));
        set_times(
            &app,
            n,
            due_at,
            due_at,
            Some(base + Duration::minutes(created[i])),
        )
        .await;
    }
    let key = |v: &Value, field: &str| {
        v[field]
            .as_str()
            .map(|s| chrono::DateTime::parse_from_rfc3339(s).unwrap())
    };
    for (sort, field) in [
        ("due", "due_at"),
        ("updated", "updated_at"),
        ("created", "created_at"),
    ] {
        for order in ["asc", "desc"] {
            let seen = walk(&app, &admin, sort, order).await;
            let got: Vec<String> = seen
                .iter()
                .map(|v| v["number"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(
                set(&got).len(),
                7,
                "{sort} {order}: repeats or gaps in {got:?}"
            );
            assert_eq!(set(&got), set(&t));
            // The keys are in order (ties broken by id), tickets without a due time last.
            for pair in seen.windows(2) {
                let (a, b) = (key(&pair[0], field), key(&pair[1], field));
                match (a, b) {
                    (Some(a), Some(b)) if order == "asc" => {
                        assert!(a <= b, "{sort} {order}: {got:?}")
                    }
                    (Some(a), Some(b)) => assert!(a >= b, "{sort} {order}: {got:?}"),
                    (None, Some(_)) => {
                        panic!("{sort} {order}: no due time before a due time: {got:?}")
                    }
                    _ => {}
                }
                if a == b {
                    let (ia, ib) = (
                        pair[0]["id"].as_str().unwrap(),
                        pair[1]["id"].as_str().unwrap(),
                    );
                    assert!(
                        if order == "asc" { ia < ib } else { ia > ib },
                        "{sort} {order}: tie order {got:?}"
                    );
                }
            }
        }
    }
    // Due soonest first by default.
    let page: Value = app
        .get("/api/v1/queues/all/tickets?sort=due", Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(numbers(&page)[..2].to_vec(), {
        let mut tied = vec![t[1].clone(), t[3].clone()];
        tied.sort_by_key(|n| {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["number"] == n.as_str())
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        });
        tied
    });
}

/// One change raced against others: a stale version (409) is an answer too, and so is a move
/// the ticket's new status no longer allows (422).
async fn try_change(app: &TestApp, who: &Session, number: &str, body: Value) -> StatusCode {
    let path = format!("/api/v1/tickets/{number}");
    let current: Value = app.get(&path, Some(&who.token)).await.json().await.unwrap();
    let mut body = body;
    body["version"] = current["version"].clone();
    let status = app.patch(&path, &who.token, &body).await.status();
    assert!(
        [StatusCode::OK, StatusCode::CONFLICT, StatusCode::UNPROCESSABLE_ENTITY].contains(&status),
        "{number}: {body}: {status}"
    );
    status
}

/// Every queue of an agent counted again from its whole predicate (the scope's OR unsplit),
/// straight from the table.
async fn recount(app: &TestApp, agent_id: &str, team_id: &str) -> Vec<(String, i64)> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let limit = helpdesk::domain::sla::BusinessCalendar::default()
        .add_business_minutes(Utc::now(), helpdesk::console::queues::AT_RISK_MINUTES)
        .naive_utc();
    let (db, me, team) = (app.db.clone(), agent_id.to_owned(), team_id.to_owned());
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().unwrap();
        let scope = format!("(team_id = '{team}' OR assignee_id = '{me}')");
        let at = limit.format("%Y-%m-%d %H:%M:%S%.f");
        let now = Utc::now().naive_utc();
        let soon = (now + helpdesk::career::deadline::HIGH_WITHIN).format("%Y-%m-%d %H:%M:%S%.f");
        let now = now.format("%Y-%m-%d %H:%M:%S%.f");
        let queues = [
            ("mine", format!("assignee_id = '{me}' AND status IN ('new', 'open', 'waiting_student', 'resolved')")),
            ("unassigned", format!("team_id = '{team}' AND assignee_id IS NULL AND status IN ('new', 'open', 'waiting_student')")),
            ("team:segreteria", format!("team_id = '{team}' AND status IN ('new', 'open', 'waiting_student')")),
            ("waiting", format!("{scope} AND status = 'waiting_student'")),
            (
                "at_risk",
                format!(
                    "{scope} AND status IN ('new', 'open') AND ((first_responded_at IS NULL \
                     AND first_response_due_at <= '{at}') OR due_at <= '{at}')"
                ),
            ),
            (
                "deadline_soon",
                format!(
                    "{scope} AND status IN ('new', 'open', 'waiting_student') AND deadline_at > '{now}' AND deadline_at <= '{soon}'"
                ),
            ),
        ];
        queues
            .into_iter()
            .map(|(queue, predicate)| {
                let found: N = diesel::sql_query(format!("SELECT count(*) AS n FROM tickets WHERE {predicate}"))
                    .get_result(&mut *conn)
                    .unwrap();
                (queue.to_owned(), found.n)
            })
            .collect()
    })
    .await
    .unwrap()
}

async fn counts_equal_a_full_recount_after_concurrent_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let seg = app
        .staff(&admin, "seg@unibg.it", "agent", &["segreteria"])
        .await;
    let other = app
        .staff(&admin, "seg2@unibg.it", "agent", &["segreteria"])
        .await;
    let student = app.student("raffica@studenti.unibg.it").await;
    let t = open_tickets(&app, &student, "Raffica", 16).await;
    // Clocks overdue or far away; the last four moved to stranieri, two of them assigned to the
    // segreteria agent (the half of the scope outside the agent's teams).
    let (now, far) = (Utc::now().naive_utc(), Utc::now().naive_utc() + Duration::days(30));
    for (i, n) in t.iter().enumerate() {
        let first = if i % 3 == 0 { now - Duration::hours(1) } else { far };
        let due = if i % 2 == 0 { now - Duration::hours(2) } else { far };
        set_times(&app, n, Some(first), Some(due), None).await;
    }
    for n in &t[12..] {
        change(&app, &admin, n, json!({"team": "stranieri"})).await;
    }
    let db = app.db.clone();
    let elsewhere = vec![t[12].clone(), t[13].clone()];
    let seg_id = seg.id.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().unwrap();
        diesel::update(tickets::table.filter(tickets::number.eq_any(&elsewhere)))
            .set(tickets::assignee_id.eq(Some(seg_id)))
            .execute(&mut *conn)
            .unwrap();
    })
    .await
    .unwrap();
    let team_id: String = {
        use helpdesk::db::schema::teams;
        let db = app.db.clone();
        tokio::task::spawn_blocking(move || {
            teams::table
                .filter(teams::slug.eq("segreteria"))
                .select(teams::id)
                .first(&mut *db.get_writer().unwrap())
                .unwrap()
        })
        .await
        .unwrap()
    };
    assert_eq!(counts(&app, &seg).await, recount(&app, &seg.id, &team_id).await, "before the burst");

    // Three rounds of every ticket changed at once by three people (some changes collide).
    let statuses = ["open", "waiting_student", "resolved", "open", "waiting_student", "closed"];
    for round in 0..3 {
        let mut changes = Vec::new();
        for (i, n) in t.iter().enumerate() {
            let k = i + round * 5;
            let assignee = match k % 4 {
                0 => json!(seg.id),
                1 => json!(other.id),
                2 => Value::Null,
                _ => json!(seg.id),
            };
            let body = match k % 3 {
                0 => json!({"status": statuses[k % statuses.len()]}),
                1 => json!({"assignee": assignee}),
                _ => json!({"status": statuses[(k + 1) % statuses.len()], "assignee": assignee}),
            };
            let who = if i >= 12 { &admin } else { [&admin, &seg, &other][k % 3] };
            changes.push(try_change(&app, who, n, body.clone()));
            changes.push(try_change(&app, &admin, n, json!({"priority": if k % 2 == 0 { "low" } else { "high" }})));
        }
        let outcomes = futures_util::future::join_all(changes).await;
        assert!(outcomes.contains(&StatusCode::OK), "round {round}: nothing changed");
        let api = counts(&app, &seg).await;
        assert_eq!(api, recount(&app, &seg.id, &team_id).await, "after round {round}");
    }
}

/// 10,001 open segreteria tickets: the supervisor's counts stop at 10,000 and say so (the
/// page shows "10.000+"), a small queue is still counted exactly.
async fn counts_stop_at_ten_thousand(backend: Backend) {
    use diesel::connection::SimpleConnection;
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "seg@unibg.it", "agent", &["segreteria"]).await;
    let student = app.student("tanti@studenti.unibg.it").await;
    app.open_ticket(&student, "Modello").await;
    let pg = backend == Backend::Postgres;
    let (series, id, number) = if pg {
        (
            "SELECT i FROM generate_series(1, 10000) AS s(i)",
            "'00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0')",
            "'HD-2099-' || lpad(i::text, 6, '0')",
        )
    } else {
        (
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 10000) SELECT i FROM s",
            "printf('00000000-0000-7000-8000-%012x', i)",
            "printf('HD-2099-%06d', i)",
        )
    };
    // Copies of the one ticket, as bulk SQL (10,000 through the API would take minutes).
    let copy = format!(
        "INSERT INTO tickets (id, number, year, seq, category_id, form_id, subject, status, priority, requester_id, \
           assignee_id, team_id, fields, locale, version, created_at, updated_at, first_response_due_at, due_at, \
           first_responded_at, resolved_at, closed_at, merged_into_id, guest_secret_hash, follow_up_of, deadline_at) \
         SELECT {id}, {number}, 2099, i, t.category_id, t.form_id, t.subject, t.status, t.priority, t.requester_id, \
           t.assignee_id, t.team_id, t.fields, t.locale, 1, t.created_at, t.updated_at, t.first_response_due_at, t.due_at, \
           NULL, NULL, NULL, NULL, NULL, NULL, NULL \
         FROM ({series}) s CROSS JOIN (SELECT * FROM tickets LIMIT 1) t"
    );
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || db.get_writer().unwrap().batch_execute(&copy).unwrap()).await.unwrap();

    let res = app.get("/api/v1/queues", Some(&admin.token)).await;
    let body: Value = res.json().await.unwrap();
    let of = |key: &str| body.as_array().unwrap().iter().find(|q| q["queue"] == key).cloned().unwrap_or_else(|| panic!("{key}: {body}"));
    for key in ["all", "unassigned", "team:segreteria"] {
        assert_eq!((of(key)["count"].as_i64(), of(key)["capped"].as_bool()), (Some(10_000), Some(true)), "{key}: {body}");
    }
    assert_eq!((of("mine")["count"].as_i64(), of("mine")["capped"].as_bool()), (Some(0), Some(false)), "{body}");
    let agent_counts = counts(&app, &agent).await;
    assert!(agent_counts.contains(&("unassigned".to_owned(), 10_000)), "{agent_counts:?}");

    let browser = crate::staff_pages::signed_in(&app, "admin@unibg.it", "admin-password").await;
    let (status, html) = crate::portal::page(&browser, &app, "/staff").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<span class="count">10.000+</span>"#), "the capped count on the page");
}
