//! Scheduled jobs: each job's effect (run with "now" given), the runner inside `serve`, and
//! exclusivity: two `helpdesk serve` processes on one database run each job once per period.

use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use diesel::prelude::*;
use helpdesk::db::schema::{job_leases, messages, outbox, ticket_events, tickets};
use helpdesk::db::Db;
use helpdesk::config::JobsConfig;
use helpdesk::jobs::{lease, Job, JobContext};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{
    database_url, register_and_login, segreteria_ticket, spawn_app, spawn_app_with, start_server,
    Backend, TestApp,
};
use crate::sla::{change, events_of, set_due_times, ticket_of, verify, with_db};

both_backends!(
    resolved_tickets_close_after_seven_days,
    unverified_guest_tickets_expire,
    sla_risk_mails_once_per_due_time,
    the_runner_in_serve_runs_the_jobs,
    two_instances_run_each_job_once_per_period,
    a_lease_goes_to_one_holder_at_a_time,
    the_file_sweep_job_removes_old_orphans,
);

fn context() -> JobContext {
    JobContext {
        base_url: "http://127.0.0.1".into(),
        config: JobsConfig {
            interval: StdDuration::ZERO,
            auto_close_days: 7,
            guest_expiry_hours: 48,
        },
        files: None,
        privacy: Default::default(),
        search: Default::default(),
    }
}

/// Sets a ticket's status and resolution time as if it had been resolved then.
async fn resolved_at(app: &TestApp, number: &str, at: chrono::DateTime<Utc>) {
    let number = number.to_owned();
    with_db(app, move |conn| {
        diesel::update(tickets::table.filter(tickets::number.eq(number)))
            .set((
                tickets::status.eq("resolved"),
                tickets::resolved_at.eq(Some(at.naive_utc())),
            ))
            .execute(conn)
            .unwrap();
    })
    .await;
}

async fn resolved_tickets_close_after_seven_days(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let student = app.student("chiusura@studenti.unibg.it").await;
    let old = app.open_ticket(&student, "Risolto otto giorni fa").await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let recent = app.open_ticket(&student, "Risolto sei giorni fa").await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    // Resolved by staff through the API, then dated back.
    for number in [&old, &recent] {
        change(&app, &admin.token, number, json!({"status": "resolved"})).await;
    }
    resolved_at(&app, &old, Utc::now() - Duration::days(8)).await;
    resolved_at(&app, &recent, Utc::now() - Duration::days(6)).await;

    let now = Utc::now();
    let seen = run_job(&app, Job::AutoClose, now).await;
    assert_eq!(seen, 1);
    let closed = ticket_of(&app, &admin.token, &old).await;
    assert_eq!(closed["status"], "closed");
    assert!(closed["closed_at"].is_string());
    assert_eq!(
        closed["version"], 3,
        "resolving and closing each bump the version"
    );
    let thread = closed["messages"].as_array().unwrap();
    assert!(
        thread
            .iter()
            .any(|m| m["kind"] == "system"
                && m["body"].as_str().unwrap().contains("resolved → closed")),
        "{thread:?}"
    );
    assert_eq!(events_of(&app, &old, "auto_closed").await.len(), 1);
    let status_events = events_of(&app, &old, "status_changed").await;
    assert_eq!(
        status_events.last().unwrap(),
        &json!({"from": "resolved", "to": "closed"})
    );
    assert_eq!(
        mails_of(&app, "chiusura@studenti.unibg.it", "ticket_closed")
            .await
            .len(),
        1
    );
    assert_eq!(
        ticket_of(&app, &admin.token, &recent).await["status"],
        "resolved"
    );

    // Again at the same moment: nothing more. Two days later: the other one.
    let seen = run_job(&app, Job::AutoClose, now).await;
    assert_eq!(seen, 0);
    let later = now + Duration::days(2);
    assert_eq!(run_job(&app, Job::AutoClose, later).await, 1);
    assert_eq!(
        ticket_of(&app, &admin.token, &recent).await["status"],
        "closed"
    );
    assert_eq!(
        mails_of(&app, "chiusura@studenti.unibg.it", "ticket_closed")
            .await
            .len(),
        2
    );
}

/// Opens a guest ticket and answers its number and the secret of the mailed link.
async fn guest_ticket(app: &TestApp, email: &str) -> (String, String) {
    let guest = json!({"category": "stranieri", "privacy_notice_version": 1, "subject": "Permesso di soggiorno", "body": "Quali documenti servono?",
        "fields": {"nationality": "Marocco", "topic": "residence-permit"}, "guest": {"email": email, "name": "Yasmine"}});
    let res = app.post("/api/v1/tickets", None, &guest).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let number = res.json::<Value>().await.unwrap()["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = app
        .mailed_link(email, "guest_verify", Some(&number))
        .await
        .split("secret=")
        .nth(1)
        .unwrap()
        .to_owned();
    (number, secret)
}

async fn created_ago(app: &TestApp, number: &str, hours: i64) {
    let (number, at) = (
        number.to_owned(),
        (Utc::now() - Duration::hours(hours)).naive_utc(),
    );
    with_db(app, move |conn| {
        diesel::update(tickets::table.filter(tickets::number.eq(number)))
            .set(tickets::created_at.eq(at))
            .execute(conn)
            .unwrap();
    })
    .await;
}

async fn unverified_guest_tickets_expire(backend: Backend) {
    let app = spawn_app(backend).await;
    let (stale, stale_secret) = guest_ticket(&app, "vecchio@example.org").await;
    let (fresh, fresh_secret) = guest_ticket(&app, "nuovo@example.org").await;
    let (confirmed, confirmed_secret) = guest_ticket(&app, "confermato@example.org").await;
    let res = verify(&app, &confirmed, &confirmed_secret).await;
    assert_eq!(res.status(), StatusCode::OK);
    created_ago(&app, &stale, 49).await;
    created_ago(&app, &fresh, 47).await;
    created_ago(&app, &confirmed, 72).await;

    let now = Utc::now();
    assert_eq!(run_job(&app, Job::ExpireGuests, now).await, 1);
    let res = verify(&app, &stale, &stale_secret).await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "the link of an expired ticket no longer works"
    );
    assert_eq!(
        events_of(&app, &stale, "expired").await,
        vec![json!({"after_hours": 48})]
    );
    let n = stale.clone();
    let (status, closed_at): (String, Option<chrono::NaiveDateTime>) = with_db(&app, move |conn| {
        tickets::table
            .filter(tickets::number.eq(n))
            .select((tickets::status, tickets::closed_at))
            .first(conn)
            .unwrap()
    })
    .await;
    assert_eq!(
        status, "unverified",
        "an expired ticket never enters the queues"
    );
    assert!(closed_at.is_some());
    assert_eq!(run_job(&app, Job::ExpireGuests, now).await, 0);

    let res = verify(&app, &fresh, &fresh_secret).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "a ticket younger than 48 h is still confirmed"
    );
    let admin = app.admin().await;
    assert_eq!(
        ticket_of(&app, &admin.token, &confirmed).await["status"],
        "new"
    );
    let queue: Value = app
        .get("/api/v1/tickets", Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    let numbers: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap())
        .collect();
    assert!(
        !numbers.contains(&stale.as_str()) && numbers.contains(&fresh.as_str()),
        "{numbers:?}"
    );
}

/// The payloads of the mails of one kind queued for `who`.
async fn mails_of(app: &TestApp, who: &str, kind: &str) -> Vec<Value> {
    app.outbox_for(who)
        .await
        .into_iter()
        .filter(|(k, _)| k == kind)
        .map(|(_, p)| p)
        .collect()
}

pub(crate) async fn run_job(app: &TestApp, job: Job, now: chrono::DateTime<Utc>) -> usize {
    with_db(app, move |conn| job.run(conn, &context(), now).unwrap()).await
}

async fn sla_risk_mails_once_per_due_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let anna = app
        .staff(&admin, "anna@unibg.it", "agent", &["segreteria"])
        .await;
    app.staff(&admin, "bruno@unibg.it", "agent", &["segreteria"])
        .await;
    app.staff(&admin, "carla@unibg.it", "agent", &["stranieri"])
        .await;
    let student = app.student("rischio@studenti.unibg.it").await;
    let risky = app.open_ticket(&student, "In scadenza").await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let calm = app.open_ticket(&student, "Con calma").await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let waiting = app.open_ticket(&student, "In attesa").await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let late = app.open_ticket(&student, "Già scaduto").await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let far = Utc::now() + Duration::days(30);
    let res = app
        .patch(
            &format!("/api/v1/tickets/{waiting}"),
            &admin.token,
            &json!({"version": 1, "status": "waiting_student"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Twenty minutes of wall clock are at most twenty business minutes: at risk.
    let soon = Utc::now() + Duration::minutes(20);
    set_due_times(&app, &risky, Some(soon), Some(far)).await;
    set_due_times(&app, &waiting, Some(soon), Some(far)).await;
    set_due_times(
        &app,
        &late,
        Some(Utc::now() - Duration::minutes(5)),
        Some(far),
    )
    .await;

    let now = Utc::now();
    run_job(&app, Job::SlaRisk, now).await;
    // Unassigned: the team hears it, once each; nobody outside the team does.
    let to_anna = mails_of(&app, "anna@unibg.it", "sla_risk").await;
    assert_eq!(to_anna.len(), 1, "{to_anna:?}");
    assert_eq!(to_anna[0]["number"], risky.as_str());
    assert_eq!(to_anna[0]["first_response"], true);
    assert_eq!(mails_of(&app, "bruno@unibg.it", "sla_risk").await.len(), 1);
    assert!(mails_of(&app, "carla@unibg.it", "sla_risk")
        .await
        .is_empty());
    assert!(mails_of(&app, "admin@unibg.it", "sla_risk")
        .await
        .is_empty());
    assert_eq!(events_of(&app, &risky, "sla_at_risk").await.len(), 1);
    assert!(events_of(&app, &calm, "sla_at_risk").await.is_empty());
    assert!(
        events_of(&app, &waiting, "sla_at_risk").await.is_empty(),
        "a paused clock alerts nobody"
    );
    assert!(
        events_of(&app, &late, "sla_at_risk").await.is_empty(),
        "past due is breached, not at risk"
    );

    // Again: nothing new for the same due time.
    let now = Utc::now();
    run_job(&app, Job::SlaRisk, now).await;
    assert_eq!(mails_of(&app, "anna@unibg.it", "sla_risk").await.len(), 1);

    // Assigned to Anna, the resolution due soon as well: only she hears about it.
    change(&app, &admin.token, &risky, json!({"assignee": anna.id})).await;
    set_due_times(
        &app,
        &risky,
        Some(soon),
        Some(Utc::now() + Duration::minutes(40)),
    )
    .await;
    let now = Utc::now();
    run_job(&app, Job::SlaRisk, now).await;
    let to_anna = mails_of(&app, "anna@unibg.it", "sla_risk").await;
    assert_eq!(to_anna.len(), 2, "{to_anna:?}");
    assert_eq!(to_anna[1]["first_response"], false);
    assert_eq!(mails_of(&app, "bruno@unibg.it", "sla_risk").await.len(), 1);

    // A due time moved (e.g. by a pause) is a new due time: it alerts again; the resolution
    // due time, unchanged, does not.
    let n = risky.clone();
    let due = with_db(&app, move |conn| {
        tickets::table
            .filter(tickets::number.eq(n))
            .select(tickets::due_at)
            .first::<Option<chrono::NaiveDateTime>>(conn)
            .unwrap()
    })
    .await;
    set_due_times(
        &app,
        &risky,
        Some(Utc::now() + Duration::minutes(25)),
        due.map(|d| d.and_utc()),
    )
    .await;
    let now = Utc::now();
    run_job(&app, Job::SlaRisk, now).await;
    let to_anna = mails_of(&app, "anna@unibg.it", "sla_risk").await;
    assert_eq!(to_anna.len(), 3, "{to_anna:?}");
    assert_eq!(to_anna[2]["first_response"], true);
    assert_eq!(events_of(&app, &risky, "sla_at_risk").await.len(), 3);
}

async fn the_runner_in_serve_runs_the_jobs(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.jobs.interval = StdDuration::from_millis(300)).await;
    let admin = app.admin().await;
    let student = app.student("runner@studenti.unibg.it").await;
    let number = app.open_ticket(&student, "Chiuso dal runner").await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    resolved_at(&app, &number, Utc::now() - Duration::days(8)).await;
    let deadline = Instant::now() + StdDuration::from_secs(15);
    loop {
        if ticket_of(&app, &admin.token, &number).await["status"] == "closed" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the runner did not close the ticket"
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    let leases = with_db(&app, |conn| {
        job_leases::table
            .select((job_leases::name, job_leases::runs))
            .load::<(String, i64)>(conn)
            .unwrap()
    })
    .await;
    for name in ["auto_close", "expire_guests", "sla_risk"] {
        assert!(
            leases.iter().any(|(n, runs)| n == name && *runs >= 1),
            "{name} never ran: {leases:?}"
        );
    }
}

/// Per ticket: (system messages, status_changed events, auto_closed events, ticket_closed mails).
fn trail(conn: &mut helpdesk::db::DbConn, number: &str) -> (i64, i64, i64, i64) {
    let id: String = tickets::table
        .filter(tickets::number.eq(number))
        .select(tickets::id)
        .first(conn)
        .unwrap();
    let system = messages::table
        .filter(messages::ticket_id.eq(&id))
        .filter(messages::kind.eq("system"))
        .count()
        .get_result(conn)
        .unwrap();
    let events = |kind: &str, conn: &mut helpdesk::db::DbConn| -> i64 {
        ticket_events::table
            .filter(ticket_events::ticket_id.eq(&id))
            .filter(ticket_events::kind.eq(kind))
            .count()
            .get_result(conn)
            .unwrap()
    };
    let (changed, auto) = (events("status_changed", conn), events("auto_closed", conn));
    let mails = outbox::table
        .filter(outbox::ticket_id.eq(&id))
        .filter(outbox::kind.eq("ticket_closed"))
        .count()
        .get_result(conn)
        .unwrap();
    (system, changed, auto, mails)
}

async fn two_instances_run_each_job_once_per_period(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path());
    let envs = [("HELPDESK_JOBS_INTERVAL_SECS", "1")];
    // The first process migrates; the second starts on the ready database.
    let first = start_server(dir.path(), &url, &envs);
    let second = start_server(dir.path(), &url, &envs);
    let client = reqwest::Client::new();
    let token = register_and_login(&client, &first.address, &dir.path().join("mail"), &url, "due.istanze@studenti.unibg.it").await;
    let mut numbers = Vec::new();
    for i in 0..20 {
        let address = if i % 2 == 0 {
            &first.address
        } else {
            &second.address
        };
        let res = client
            .post(format!("{address}/api/v1/tickets"))
            .bearer_auth(&token)
            .json(&segreteria_ticket(&format!("Doppia istanza {i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        numbers.push(
            res.json::<Value>().await.unwrap()["number"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let db = Db::connect(&url, 2).unwrap();
    let run = |f: Box<dyn FnOnce(&mut helpdesk::db::DbConn) -> Value + Send>| {
        let db = db.clone();
        async move {
            tokio::task::spawn_blocking(move || f(&mut db.get_writer().unwrap()))
                .await
                .unwrap()
        }
    };
    let resolved = (Utc::now() - Duration::days(8)).naive_utc();
    let all = numbers.clone();
    run(Box::new(move |conn| {
        diesel::update(tickets::table.filter(tickets::number.eq_any(all)))
            .set((
                tickets::status.eq("resolved"),
                tickets::resolved_at.eq(Some(resolved)),
            ))
            .execute(conn)
            .unwrap();
        Value::Null
    }))
    .await;

    // Both instances tick every second; the lease lets one of them close each ticket.
    let deadline = Instant::now() + StdDuration::from_secs(30);
    loop {
        let all = numbers.clone();
        let open = run(Box::new(move |conn| {
            let n: i64 = tickets::table
                .filter(tickets::number.eq_any(all))
                .filter(tickets::status.ne("closed"))
                .count()
                .get_result(conn)
                .unwrap();
            json!(n)
        }))
        .await;
        if open == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{open} tickets still not closed");
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }

    // Watch the leases for a while: each job runs at most once per period (0.9 s lease of a
    // 1 s interval), not once per instance and tick.
    let runs = |db: Db| async move {
        tokio::task::spawn_blocking(move || {
            job_leases::table
                .order(job_leases::name)
                .select((job_leases::name, job_leases::runs))
                .load::<(String, i64)>(&mut *db.get_writer().unwrap())
                .unwrap()
        })
        .await
        .unwrap()
    };
    let before = runs(db.clone()).await;
    let started = Instant::now();
    tokio::time::sleep(StdDuration::from_secs(8)).await;
    let after = runs(db.clone()).await;
    let window = started.elapsed().as_secs_f64();
    let allowed = (window / 0.9).floor() as i64 + 2;
    assert_eq!(before.len(), helpdesk::jobs::Job::ALL.len(), "{before:?}");
    for ((name, r0), (_, r1)) in before.iter().zip(&after) {
        let ran = r1 - r0;
        assert!(
            ran >= 1 && ran <= allowed,
            "{name} ran {ran} times in {window:.1} s (at most {allowed}): {before:?} → {after:?}"
        );
    }

    // Each ticket was closed once: one system message, one status change, one mail.
    for number in &numbers {
        let n = number.clone();
        let counts = run(Box::new(move |conn| json!(trail(conn, &n)))).await;
        assert_eq!(
            counts,
            json!([1, 1, 1, 1]),
            "{number}: (system messages, status changes, auto_closed, closed mails)"
        );
    }
    drop((first, second));
}

async fn a_lease_goes_to_one_holder_at_a_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let now = Utc::now();
    let until = now + Duration::seconds(60);
    let mut contenders = Vec::new();
    for i in 0..8 {
        let db = app.db.clone();
        contenders.push(tokio::task::spawn_blocking(move || {
            lease::acquire(
                &mut db.get_writer().unwrap(),
                "test_job",
                &format!("holder-{i}"),
                now,
                until,
            )
            .unwrap()
        }));
    }
    let mut wins = 0;
    for contender in contenders {
        wins += i32::from(contender.await.unwrap());
    }
    assert_eq!(wins, 1, "exactly one contender takes the lease");
    let try_at = |at: chrono::DateTime<Utc>, who: &'static str| {
        let db = app.db.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                lease::acquire(
                    &mut db.get_writer().unwrap(),
                    "test_job",
                    who,
                    at,
                    at + Duration::seconds(60),
                )
                .unwrap()
            })
            .await
            .unwrap()
        }
    };
    assert!(
        !try_at(now + Duration::seconds(59), "late").await,
        "still held"
    );
    assert!(try_at(until, "next").await, "free once it ran out");
    let holder = with_db(&app, |conn| {
        job_leases::table
            .find("test_job")
            .select(job_leases::holder)
            .first::<String>(conn)
            .unwrap()
    })
    .await;
    assert_eq!(holder, "next");
}

/// The sweep job (run off SQLite's writer: it writes nothing to the database there) removes a
/// file no attachment refers to once it is older than the grace period. It sweeps one of the
/// 256 folders a minute: an orphan is put in this minute's folder and the next's.
async fn the_file_sweep_job_removes_old_orphans(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.data_dir().join("attachments");
    let store = helpdesk::files::FileStore::configured(root, &helpdesk::config::FilesSettings::default(), &app.db).unwrap();
    let minute = Utc::now().timestamp() / 60;
    let orphans: Vec<_> = [minute, minute + 1]
        .iter()
        .map(|m| {
            let path = store.path_of(&format!("{:02x}{}", m % 256, "0".repeat(62)));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let file = std::fs::File::create(&path).unwrap();
            file.set_modified(std::time::SystemTime::now() - StdDuration::from_secs(7200)).unwrap();
            path
        })
        .collect();
    let ctx = JobContext { files: Some(store), ..context() };
    let ran = helpdesk::jobs::run_once(&app.db, Job::SweepFiles, "sweeper", &ctx).await.unwrap();
    assert_eq!(ran, Some(0), "the job ran on this instance");
    assert!(orphans.iter().any(|path| !path.exists()), "an unreferenced file past the grace period is gone");
}

/// SQLite's planner statistics: the `statistics` job finds the tables grown since the start's
/// refresh and, one index a batch, brings every index of `tickets` to its row count (see
/// src/db/statistics.rs; PostgreSQL's autovacuum keeps its own).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_statistics_job_brings_every_ticket_index_up_to_date() {
    let app = spawn_app(Backend::Sqlite).await;
    let student = app.student("stats@studenti.unibg.it").await;
    for i in 0..3 {
        app.open_ticket(&student, &format!("Statistiche {i}")).await;
    }
    let stats = |db: Db| async move {
        tokio::task::spawn_blocking(move || {
            diesel::sql_query(
                "SELECT i.name AS name, (SELECT s.stat FROM sqlite_stat1 s WHERE s.idx = i.name) AS stat \
                 FROM pragma_index_list('tickets') i WHERE NOT i.partial ORDER BY i.name",
            )
            .load::<IndexStat>(&mut *db.get_writer().unwrap())
            .unwrap()
        })
        .await
        .unwrap()
    };
    let before = stats(app.db.clone()).await;
    assert!(before.len() > 5 && before.iter().all(|s| s.stat.is_none()), "the tickets were opened after the start's refresh: {before:?}");
    // A run analyses at most 50 indexes (its batches); every table with rows is due here, so
    // the list takes two runs, the second going on where the first stopped.
    for _ in 0..2 {
        let ran = helpdesk::jobs::run_once(&app.db, Job::Statistics, "statistician", &context()).await.unwrap();
        assert!(ran.is_some(), "the job ran on this instance");
    }
    let after = stats(app.db.clone()).await;
    for index in &after {
        let count = index.stat.as_deref().and_then(|s| s.split(' ').next());
        assert_eq!(count, Some("3"), "{}: {after:?}", index.name);
    }
}

#[derive(QueryableByName, Debug)]
struct IndexStat {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    stat: Option<String>,
}
