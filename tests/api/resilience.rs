//! A database that goes away and comes back. The test runs its own PostgreSQL server (the
//! shared test server is used by other tests at the same time, so it is never stopped): the desk
//! answers 503 with Retry-After quickly while the server is down, and serves again within
//! seconds of its restart, without being restarted itself; the outbox and the jobs carry on.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{free_port, segreteria_ticket, spawn_app_in, TestApp};

/// A PostgreSQL server of this test alone, started the way scripts/pg-start.sh starts one.
struct PrivatePg {
    bindir: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

fn pg_bindir() -> PathBuf {
    let local = Path::new("/usr/local/bin");
    if local.join("initdb").exists() {
        return local.to_path_buf();
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| dirs.filter_map(|d| d.ok().map(|d| d.path().join("bin"))).filter(|b| b.join("initdb").exists()).collect())
        .unwrap_or_default();
    found.sort();
    found.pop().expect("PostgreSQL (initdb, pg_ctl) is installed")
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

impl PrivatePg {
    fn start() -> PrivatePg {
        let bindir = pg_bindir();
        let dir = tempfile::Builder::new().prefix("helpdesk-pg-own.").tempdir().expect("a temp dir");
        if is_root() {
            let status = Command::new("chown").arg("postgres").arg(dir.path()).status().expect("chown runs");
            assert!(status.success(), "chown postgres");
        }
        let pg = PrivatePg { bindir, dir, port: free_port() };
        let data = pg.dir.path().join("data");
        let initdb = pg.bindir.join("initdb");
        let init = pg.as_pg(&initdb, &["-D", &data.to_string_lossy(), "-U", "postgres", "-A", "trust", "-E", "UTF8"]);
        assert!(init, "initdb of the private server");
        pg.pg_ctl_start();
        pg
    }

    fn as_pg(&self, program: &Path, args: &[&str]) -> bool {
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        command.status().map(|s| s.success()).unwrap_or(false)
    }

    fn pg_ctl_start(&self) {
        let dir = self.dir.path();
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB",
            self.port,
            dir.display()
        );
        let data = dir.join("data").to_string_lossy().into_owned();
        let log = dir.join("server.log").to_string_lossy().into_owned();
        let started = self.as_pg(&self.bindir.join("pg_ctl"), &["-D", &data, "-l", &log, "-w", "-t", "60", "-o", &options, "start"]);
        assert!(started, "pg_ctl start");
    }

    fn stop(&self) {
        let data = self.dir.path().join("data").to_string_lossy().into_owned();
        self.as_pg(&self.bindir.join("pg_ctl"), &["-D", &data, "-m", "fast", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn create(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/api/v1/tickets", Some(token), &segreteria_ticket("Piano di studio")).await
}

/// Polls `probe` until it answers true (or fails the test after `secs`); answers the time taken.
async fn within<F, Fut>(secs: u64, what: &str, mut probe: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if probe().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(secs), "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn outbox_status(app: &TestApp, number: &str) -> Vec<String> {
    use diesel::prelude::*;
    use helpdesk::db::schema::{outbox, tickets};
    let (db, number) = (app.db.clone(), number.to_owned());
    tokio::task::spawn_blocking(move || {
        let Ok(mut conn) = db.get_writer() else { return Vec::new() };
        outbox::table
            .inner_join(tickets::table.on(outbox::ticket_id.eq(tickets::id.nullable())))
            .filter(tickets::number.eq(number))
            .select(outbox::status)
            .load::<String>(&mut *conn)
            .unwrap_or_default()
    })
    .await
    .unwrap()
}

async fn job_runs(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use helpdesk::db::schema::job_leases;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        let Ok(mut conn) = db.get_writer() else { return -1 };
        job_leases::table.select(job_leases::runs).load::<i64>(&mut *conn).map(|runs| runs.iter().sum()).unwrap_or(-1)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_answers_503_then_serves_again() {
    let pg = PrivatePg::start();
    let data_dir = tempfile::tempdir().unwrap();
    let app = spawn_app_in(data_dir, pg.url(), |s| {
        s.jobs.interval = Duration::from_secs(1);
        s.db.checkout_timeout = Duration::from_secs(2);
    })
    .await;
    let student = app.student("resiliente@studenti.unibg.it").await;
    let before = create(&app, &student.token).await;
    assert_eq!(before.status(), StatusCode::CREATED);
    within(20, "the jobs run", || async { job_runs(&app).await > 0 }).await;

    pg.stop();
    // Each answer comes within the checkout timeout (2 s) and a margin, as a 503 to retry.
    for _ in 0..3 {
        let started = Instant::now();
        let res = create(&app, &student.token).await;
        assert!(started.elapsed() < Duration::from_secs(4), "a write answered after {:?}", started.elapsed());
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(res.headers().get("retry-after").is_some(), "503 carries Retry-After");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let started = Instant::now();
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.headers().get("retry-after").is_some());
    // Once the outage is known, answers come at once (no waiting out the timeout).
    assert!(started.elapsed() < Duration::from_secs(1), "/readyz answered after {:?}", started.elapsed());
    let page = app.get("/", None).await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE, "a page while the database is away");
    assert!(page.headers().get("retry-after").is_some());
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let runs_during = job_runs(&app).await;
    assert_eq!(runs_during, -1, "the database is away");

    pg.pg_ctl_start();
    let restarted = Instant::now();
    let number = loop {
        let res = create(&app, &student.token).await;
        if res.status() == StatusCode::CREATED {
            break res.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();
        }
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "only 503 while coming back");
        assert!(restarted.elapsed() < Duration::from_secs(15), "not serving 15 s after the restart");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(restarted.elapsed() < Duration::from_secs(10), "served again {:?} after the restart", restarted.elapsed());
    assert_eq!(app.get("/readyz", None).await.status(), StatusCode::OK);
    assert_eq!(app.get("/", None).await.status(), StatusCode::OK);
    for _ in 0..10 {
        assert_eq!(create(&app, &student.token).await.status(), StatusCode::CREATED, "every pooled connection works");
    }
    // The outbox worker and the job runner resumed by themselves.
    within(30, "the new ticket's mail is sent", || async { outbox_status(&app, &number).await == ["sent"] }).await;
    let runs_after = job_runs(&app).await;
    within(30, "the jobs run again", || async { job_runs(&app).await > runs_after }).await;
}
