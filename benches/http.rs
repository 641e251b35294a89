//! Ticket creations per second over real HTTP, against the release binary running as its own
//! process: on SQLite, then on PostgreSQL when HELPDESK_TEST_PG_URL names a server.
//!
//! Run: `cargo bench --bench http`. BENCH_SECONDS (measured seconds per run, default 5) and
//! BENCH_RUNS (runs per measurement, default 3; the median is reported) tune it.

mod common;


use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{backends, env_or, free_port, Backend, PgDatabase};
use anyhow::{bail, Context, Result};
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

const WARMUP: Duration = Duration::from_secs(1);
const CONCURRENCY: usize = 8;
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const PASSWORD: &str = "bench-password-123";
const TICKET: &str = r#"{"category":"segreteria","privacy_notice_version":1,"subject":"Benchmark: piano di studio","body":"Buongiorno, vorrei sapere come modificare il piano di studio.","fields":{"matricola":"1012345","course":"Ingegneria","topic":"altro"}}"#;

fn main() -> Result<()> {
    let config = Config::from_env()?;
    // One client thread, so the server keeps the machine's other core(s).
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    println!("# helpdesk HTTP benchmark\n");
    println!(
        "{:.1} s measured per run after {:.0} s warm-up, median of {} run(s); client: 1 tokio thread, one keep-alive client per connection.\n",
        config.measured.as_secs_f64(),
        WARMUP.as_secs_f64(),
        config.runs
    );
    let mut reports = Vec::new();
    for backend in backends() {
        eprintln!("== {}", backend.name());
        reports.push(bench_backend(&rt, backend, &config)?);
    }
    print_table(&reports);
    Ok(())
}

struct Config {
    measured: Duration,
    runs: usize,
}

impl Config {
    fn from_env() -> Result<Self> {
        let seconds: f64 = env_or("BENCH_SECONDS", 5.0)?;
        let runs: usize = env_or("BENCH_RUNS", 3)?;
        if !seconds.is_finite() || seconds <= 0.0 || runs == 0 {
            bail!("BENCH_SECONDS and BENCH_RUNS must be positive");
        }
        Ok(Self {
            measured: Duration::from_secs_f64(seconds),
            runs,
        })
    }
}



struct Row {
    load: String,
    summary: Summary,
}

struct BackendReport {
    name: &'static str,
    rows: Vec<Row>,
    peak_rss_kb: Option<u64>,
}

fn bench_backend(rt: &Runtime, backend: Backend, config: &Config) -> Result<BackendReport> {
    let mut server = Server::start(&backend)?;
    rt.block_on(server.wait_ready())?;
    let token = rt.block_on(student_token(&server.base, &server.database_url))?;
    let create = Arc::new(Probe::create_ticket(&server.base, &token)?);
    let health = Arc::new(Probe::healthz(&server.base));
    let plan = [
        ("create, 1 conn", &create, 1),
        ("create, 8 conns", &create, CONCURRENCY),
        ("healthz, 8 conns", &health, CONCURRENCY),
    ];
    let mut rows = Vec::new();
    for (load, probe, conns) in plan {
        let mut runs = Vec::new();
        for run in 1..=config.runs {
            let result = rt.block_on(measure(probe, conns, config.measured))?;
            eprintln!(
                "  {load} run {run}: {:.0} req/s, p99 {:.2} ms, {} errors",
                result.rps, result.p99_ms, result.errors
            );
            runs.push(result);
        }
        rows.push(Row {
            load: load.to_owned(),
            summary: Summary::of(&runs),
        });
    }
    // VmHWM is the high-water mark, so reading it after every run covers them all.
    let peak_rss_kb = server.peak_rss_kb();
    Ok(BackendReport {
        name: backend.name(),
        rows,
        peak_rss_kb,
    })
}

/// The release binary serving on a free port; killed when dropped, also while a panic unwinds.
struct Server {
    child: Child,
    database_url: String,
    base: String,
    // Dropped after `child` is killed: the database and the folder outlive the server.
    _pg: Option<PgDatabase>,
    _data_dir: tempfile::TempDir,
}

impl Server {
    fn start(backend: &Backend) -> Result<Self> {
        let data_dir = tempfile::tempdir().context("creating the data folder")?;
        let (database_url, pg) = backend.fresh_database(data_dir.path())?;
        let port = free_port()?;
        let child = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
            .arg("serve")
            .env("HELPDESK_DATA_DIR", data_dir.path())
            .env("HELPDESK_BIND", format!("127.0.0.1:{port}"))
            .env("HELPDESK_DATABASE_URL", &database_url)
            .env("RUST_LOG", "warn")
            // Creations queue their notification; sending is measured by its own benchmark.
            // BENCH_MAIL_WORKERS=2 measures creation while the default file transport sends.
            .env("HELPDESK_MAIL_WORKERS", std::env::var("BENCH_MAIL_WORKERS").unwrap_or_else(|_| "0".into()))
            .stdin(Stdio::null())
            .stdout(Stdio::null()) // banner only; warnings and errors go to stderr, kept
            .spawn()
            .context("starting the helpdesk binary")?;
        Ok(Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            database_url: database_url.clone(),
            _pg: pg,
            _data_dir: data_dir,
        })
    }

    async fn wait_ready(&mut self) -> Result<()> {
        let client = Client::new();
        let url = format!("{}/healthz", self.base);
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited during start-up ({status})");
            }
            if matches!(client.get(&url).send().await, Ok(res) if res.status() == StatusCode::OK) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server did not answer {url} within {READY_TIMEOUT:?}")
    }

    fn peak_rss_kb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}



/// Registers a student, follows the verification link the desk queued for them (mail workers
/// are off, so the outbox still holds it) and signs in, as a browser would before opening
/// tickets.
async fn student_token(base: &str, database_url: &str) -> Result<String> {
    let client = Client::new();
    let email = "bench.student@studenti.unibg.it";
    let register = json!({"email": email, "password": PASSWORD, "display_name": "Bench Student"});
    let res = client.post(format!("{base}/api/v1/auth/register")).json(&register).send().await?;
    if res.status() != StatusCode::CREATED {
        bail!("register answered {}: {}", res.status(), res.text().await.unwrap_or_default());
    }
    let token = verification_token(database_url)?;
    let res = client.post(format!("{base}/api/v1/auth/verify-email")).json(&json!({"token": token})).send().await?;
    if res.status() != StatusCode::OK {
        bail!("verify-email answered {}", res.status());
    }
    let login = json!({"email": email, "password": PASSWORD});
    let res = client.post(format!("{base}/api/v1/auth/login")).json(&login).send().await?;
    if res.status() != StatusCode::OK {
        bail!("login answered {}", res.status());
    }
    let body: Value = res.json().await?;
    body["token"].as_str().map(str::to_owned).context("login answered without a token")
}

/// One request, prepared once and sent over and over.
/// The token of the verification link queued for the bench's student.
fn verification_token(database_url: &str) -> Result<String> {
    use diesel::prelude::*;
    use helpdesk::db::schema::outbox;
    let db = helpdesk::db::Db::connect(database_url, 1)?;
    let mut conn = db.get_writer()?;
    let payload: String = outbox::table.filter(outbox::kind.eq("verify_email")).select(outbox::payload).first(&mut *conn)?;
    let payload: Value = serde_json::from_str(&payload)?;
    let link = payload["link"].as_str().context("the verification mail has a link")?;
    link.split_once("token=").map(|(_, t)| t.to_owned()).context("the link carries a token")
}

struct Probe {
    method: Method,
    url: String,
    auth: Option<HeaderValue>,
    body: Option<&'static str>,
    expected: StatusCode,
}

impl Probe {
    fn create_ticket(base: &str, token: &str) -> Result<Self> {
        Ok(Self {
            method: Method::POST,
            url: format!("{base}/api/v1/tickets"),
            auth: Some(HeaderValue::from_str(&format!("Bearer {token}"))?),
            body: Some(TICKET),
            expected: StatusCode::CREATED,
        })
    }

    fn healthz(base: &str) -> Self {
        Self {
            method: Method::GET,
            url: format!("{base}/healthz"),
            auth: None,
            body: None,
            expected: StatusCode::OK,
        }
    }

    /// True when the server gave the expected status.
    async fn send(&self, client: &Client) -> bool {
        let mut req = client.request(self.method.clone(), &self.url);
        if let Some(auth) = &self.auth {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        if let Some(body) = self.body {
            req = req.header(CONTENT_TYPE, "application/json").body(body);
        }
        match req.send().await {
            // The body is read to its end so the connection goes back to the keep-alive pool.
            Ok(res) => {
                let ok = res.status() == self.expected;
                res.bytes().await.is_ok() && ok
            }
            Err(_) => false,
        }
    }
}

/// What one run of one load measured.
struct RunResult {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

/// What one connection saw: latencies of good answers inside the window, and every bad answer.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: u64,
}

/// `conns` connections send back to back for the warm-up and then the measured window.
async fn measure(probe: &Arc<Probe>, conns: usize, measured: Duration) -> Result<RunResult> {
    let from = Instant::now() + WARMUP;
    let until = from + measured;
    let mut tasks = JoinSet::new();
    for _ in 0..conns {
        tasks.spawn(connection(Arc::clone(probe), from, until));
    }
    let mut all = Tally::default();
    while let Some(done) = tasks.join_next().await {
        let tally = done??;
        all.latencies_us.extend(tally.latencies_us);
        all.errors += tally.errors;
    }
    all.latencies_us.sort_unstable();
    Ok(RunResult {
        rps: all.latencies_us.len() as f64 / measured.as_secs_f64(),
        p50_ms: percentile_ms(&all.latencies_us, 0.50),
        p99_ms: percentile_ms(&all.latencies_us, 0.99),
        errors: all.errors,
    })
}

/// One connection: its own client, hence its own keep-alive socket, one request at a time.
async fn connection(probe: Arc<Probe>, from: Instant, until: Instant) -> Result<Tally> {
    let client = Client::builder().pool_max_idle_per_host(1).build()?;
    let mut tally = Tally::default();
    loop {
        let start = Instant::now();
        if start >= until {
            return Ok(tally);
        }
        let ok = probe.send(&client).await;
        let end = Instant::now();
        if !ok {
            tally.errors += 1;
        } else if end >= from && end <= until {
            tally.latencies_us.push((end - start).as_micros() as u64);
        }
    }
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds.
fn percentile_ms(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted_us.len() as f64).ceil() as usize).clamp(1, sorted_us.len());
    sorted_us[rank - 1] as f64 / 1000.0
}

/// Each figure is the median over runs on its own; errors are summed over runs.
struct Summary {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

impl Summary {
    fn of(runs: &[RunResult]) -> Self {
        Self {
            rps: median(runs.iter().map(|r| r.rps)),
            p50_ms: median(runs.iter().map(|r| r.p50_ms)),
            p99_ms: median(runs.iter().map(|r| r.p99_ms)),
            errors: runs.iter().map(|r| r.errors).sum(),
        }
    }
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn print_table(reports: &[BackendReport]) {
    println!("| backend | load | req/s (median) | p50 ms | p99 ms | errors |");
    println!("|---|---|---:|---:|---:|---:|");
    for report in reports {
        for row in &report.rows {
            let s = &row.summary;
            println!(
                "| {} | {} | {:.0} | {:.2} | {:.2} | {} |",
                report.name, row.load, s.rps, s.p50_ms, s.p99_ms, s.errors
            );
        }
    }
    println!();
    for report in reports {
        match report.peak_rss_kb {
            Some(kb) => println!("Peak RSS of the {} server (VmHWM): {:.1} MB", report.name, kb as f64 / 1024.0),
            None => println!("Peak RSS of the {} server: unavailable (no /proc)", report.name),
        }
    }
}
