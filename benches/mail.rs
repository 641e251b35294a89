//! Notifications sent per second to a real SMTP server on 127.0.0.1, and the outbox lag under a
//! burst. The release binary serves with its mail workers (as its own process) while this bench
//! writes the burst straight into the outbox; the SMTP server is the bench's own (mail/sink.rs,
//! started as a process of its own) or scripts/smtp-sink.py. SQLite, then PostgreSQL when
//! HELPDESK_TEST_PG_URL names a server; last, the ceilings with no server: the same mails sent
//! straight to the sink through helpdesk's SMTP pool (as the server sends), through lettre's
//! pooled transport (as the server sent before: Nagle on), and over bare TCP_NODELAY
//! connections (the sink's own limit).
//!
//! Run: `cargo bench --bench mail`. BENCH_BURST (notifications per burst, default 10000),
//! BENCH_RUNS (runs per backend, default 3; medians are reported), BENCH_MAIL_WORKERS and
//! BENCH_MAIL_BATCH (the server's HELPDESK_MAIL_WORKERS / HELPDESK_MAIL_BATCH; its defaults
//! when unset), BENCH_CEILING_CONNS (connections of the ceiling client, default 32) and
//! BENCH_SINK (`rust`, the default, or `python` for scripts/smtp-sink.py) tune it.

mod common;
#[path = "mail/sink.rs"]
mod sink;


use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{backends, env_or, free_port, Backend, PgDatabase};
use anyhow::{anyhow, bail, Context, Result};
use futures_util::StreamExt;
use helpdesk::db::outbox::OutboxRow;
use helpdesk::db::{write_tx, Db};
use helpdesk::domain::Locale;
use helpdesk::mail::mailer::Mailer;
use helpdesk::mail::smtp;
use helpdesk::mail::notification::AccountLink;
use helpdesk::mail::outbox::{enqueue, Mail, Notification};
use lettre::address::Envelope;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use tokio::runtime::Runtime;

const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// A run fails when the sink receives nothing new for this long.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Each poll scans the sink folder; 50 ms is fine-grained next to a 5 s lag target.
const POLL: Duration = Duration::from_millis(50);
/// Rows per burst transaction: SQLite's write lock is released between them, so the workers
/// claim and send while the burst is still being written, as they would in production.
const CHUNK: usize = 1000;
/// /proc reports CPU time in USER_HZ ticks, 100 per second on Linux's common architectures.
const TICKS_PER_SEC: f64 = 100.0;
const LINK: &str = "http://127.0.0.1/x";
const TARGET_RATE: f64 = 500.0;
const TARGET_LAG_SECS: f64 = 5.0;

fn main() -> Result<()> {
    // The same binary is the SMTP sink's process when started as one.
    sink::run_if_asked()?;
    let config = Config::from_env()?;
    // One client thread: the server and the sink get the machine's other core(s).
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    println!("# helpdesk mail benchmark\n");
    println!(
        "Burst of {} `sign_in_link` notifications, median of {} run(s); server mail workers: {}, batch: {}; \
         ceiling client: {} connections; SMTP sink: {}.\n",
        config.burst,
        config.runs,
        config.workers.as_deref().unwrap_or("default"),
        config.batch.as_deref().unwrap_or("default"),
        config.ceiling_conns,
        config.sink.label(),
    );
    let mut rows = Vec::new();
    for backend in backends() {
        eprintln!("== {}", backend.name());
        let runs = repeat(config.runs, || run_once(&rt, &backend, &config))?;
        rows.push(Row::new(backend.name().to_owned(), &runs, config.burst));
    }
    let mails = burst_mails(config.burst)?;
    for client in [SmtpClient::Helpdesk, SmtpClient::Lettre, SmtpClient::NoDelay] {
        let label = client.label(config.ceiling_conns);
        eprintln!("== {label}");
        let runs = repeat(config.runs, || ceiling_once(&rt, &mails, &config, client))?;
        rows.push(Row::new(label, &runs, config.burst));
    }
    print_table(&rows);
    Ok(())
}

struct Config {
    burst: usize,
    runs: usize,
    /// The ceiling client's connections, each with one send in flight.
    ceiling_conns: usize,
    /// Passed through as text; `None` leaves the server's default.
    workers: Option<String>,
    batch: Option<String>,
    sink: SinkKind,
}

impl Config {
    fn from_env() -> Result<Self> {
        let burst: usize = env_or("BENCH_BURST", 10_000)?;
        let runs: usize = env_or("BENCH_RUNS", 3)?;
        // 32: the server's default pool. No more sends than connections, since lettre closes a
        // connection its full pool cannot take back: that would measure connection set-up.
        let ceiling_conns: usize = env_or("BENCH_CEILING_CONNS", 32)?;
        if burst == 0 || runs == 0 || ceiling_conns == 0 {
            bail!("BENCH_BURST, BENCH_RUNS and BENCH_CEILING_CONNS must be positive");
        }
        Ok(Self {
            burst,
            runs,
            ceiling_conns,
            workers: env_count("BENCH_MAIL_WORKERS")?,
            batch: env_count("BENCH_MAIL_BATCH")?,
            sink: match std::env::var("BENCH_SINK").as_deref().map(str::trim) {
                Err(_) | Ok("" | "rust") => SinkKind::Rust,
                Ok("python") => SinkKind::Python,
                Ok(other) => bail!("BENCH_SINK={other}: `rust` or `python`"),
            },
        })
    }
}


/// A count given in the environment, checked here so a typo fails before any server starts.
fn env_count(name: &str) -> Result<Option<String>> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => {
            let n: usize = v.trim().parse().map_err(|e| anyhow!("{name}={v}: {e}"))?;
            Ok(Some(n.to_string()))
        }
        _ => Ok(None),
    }
}


fn repeat(runs: usize, mut once: impl FnMut() -> Result<RunResult>) -> Result<Vec<RunResult>> {
    (1..=runs)
        .map(|run| {
            let result = once()?;
            eprintln!("  run {run}: {result}");
            Ok(result)
        })
        .collect()
}

/// What one run measured. CPU is what each process used from burst start to drain end.
struct RunResult {
    burst: usize,
    elapsed_secs: f64,
    /// Drain end − burst end; none for the ceiling, which has no outbox.
    lag_secs: Option<f64>,
    burst_secs: Option<f64>,
    received: usize,
    distinct: usize,
    sender_cpu_secs: Option<f64>,
    sink_cpu_secs: Option<f64>,
}

impl RunResult {
    fn rate(&self) -> f64 {
        self.burst as f64 / self.elapsed_secs
    }

    /// CPU per notification: unlike % of a core, it holds steady when other work competes.
    fn ms_per_mail(&self, cpu_secs: Option<f64>) -> Option<f64> {
        Some(cpu_secs? * 1000.0 / self.burst as f64)
    }

    fn core_percent(&self, cpu_secs: Option<f64>) -> Option<f64> {
        Some(cpu_secs? * 100.0 / self.elapsed_secs)
    }
}

impl std::fmt::Display for RunResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} mails/s, lag {} s, burst written in {} s, {} received ({} distinct), \
             sender CPU {} ms/mail ({} % of a core), sink CPU {} ms/mail ({} % of a core)",
            self.rate(),
            opt(self.lag_secs, 2),
            opt(self.burst_secs, 2),
            self.received,
            self.distinct,
            opt(self.ms_per_mail(self.sender_cpu_secs), 3),
            opt(self.core_percent(self.sender_cpu_secs), 0),
            opt(self.ms_per_mail(self.sink_cpu_secs), 3),
            opt(self.core_percent(self.sink_cpu_secs), 0),
        )
    }
}

/// One burst against a fresh sink, server and database.
fn run_once(rt: &Runtime, backend: &Backend, config: &Config) -> Result<RunResult> {
    let sink = Sink::start(config.sink)?;
    let mut server = Server::start(backend, &sink.url(), config)?;
    rt.block_on(server.wait_ready())?;
    let db = Db::connect(&server.database_url, 2).context("connecting to the bench database")?;
    let (server_cpu, sink_cpu) = (CpuClock::start(server.pid()), CpuClock::start(sink.pid()));
    let start = Instant::now();
    write_burst(&db, config.burst)?;
    let burst_end = Instant::now();
    let mut tally = Tally::default();
    let drained = wait_drained(&sink, &mut server, config.burst, &mut tally)?;
    let (sender_cpu_secs, sink_cpu_secs) = (server_cpu.used_secs(), sink_cpu.used_secs());
    // Once nothing is pending no resend can come, so the tally is final.
    rt.block_on(server.wait_outbox_empty())?;
    tally.update(&sink)?;
    Ok(RunResult {
        burst: config.burst,
        elapsed_secs: (drained - start).as_secs_f64(),
        lag_secs: Some((drained - burst_end).as_secs_f64()),
        burst_secs: Some((burst_end - start).as_secs_f64()),
        received: tally.received(),
        distinct: tally.distinct(),
        sender_cpu_secs,
        sink_cpu_secs,
    })
}

/// Writes `n` notifications into the outbox as fast as the database takes them.
fn write_burst(db: &Db, n: usize) -> Result<()> {
    let mut conn = db.get_writer()?;
    for from in (0..n).step_by(CHUNK) {
        write_tx(&mut conn, |conn| {
            (from..(from + CHUNK).min(n)).try_for_each(|i| {
                let recipient = format!("s{i}@studenti.unibg.it");
                enqueue(
                    conn,
                    Notification { recipient: &recipient, locale: Locale::It, ticket_id: None, mail: &payload(i) },
                )
            })
        })
        .context("writing the burst")?;
    }
    Ok(())
}

fn payload(i: usize) -> Mail {
    Mail::SignInLink(AccountLink { name: format!("Studente {i}"), link: LINK.to_owned() })
}

/// The moment the sink holds a distinct mail for every notification of the burst.
/// Duplicates are allowed (at-least-once), so it counts distinct Message-IDs, not files.
fn wait_drained(sink: &Sink, server: &mut Server, expected: usize, tally: &mut Tally) -> Result<Instant> {
    let (mut seen, mut progress_at) = (0, Instant::now());
    loop {
        tally.update(sink)?;
        let now = Instant::now();
        if tally.distinct() >= expected {
            return Ok(now);
        }
        if tally.received() > seen {
            (seen, progress_at) = (tally.received(), now);
        } else if now - progress_at > STALL_TIMEOUT {
            bail!("only {} of {expected} mails arrived, none in the last {STALL_TIMEOUT:?}", tally.distinct());
        }
        server.check_alive()?;
        std::thread::sleep(POLL);
    }
}

/// Which SMTP server receives the mails.
#[derive(Clone, Copy)]
enum SinkKind {
    /// mail/sink.rs: this binary as a process of its own.
    Rust,
    /// scripts/smtp-sink.py (aiosmtpd), as the tests use.
    Python,
}

impl SinkKind {
    fn label(self) -> &'static str {
        match self {
            SinkKind::Rust => "the bench's own (benches/mail/sink.rs)",
            SinkKind::Python => "scripts/smtp-sink.py (aiosmtpd)",
        }
    }
}

/// The sink's folder, in memory (/dev/shm) where there is one: the sink writes a file per
/// mail, and on a disk shared with other work those writes made its time per mail vary
/// fivefold between runs. The sink is not what is measured.
fn sink_folder() -> Result<tempfile::TempDir> {
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() { tempfile::Builder::new().prefix("hd-bench-sink").tempdir_in(shm) } else { tempfile::tempdir() };
    dir.context("creating the sink folder")
}

/// An SMTP server on a free port, writing one .eml per message into its own folder; killed
/// when dropped.
struct Sink {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sink {
    fn start(kind: SinkKind) -> Result<Self> {
        let port = free_port()?;
        let dir = sink_folder()?;
        let mut command = match kind {
            SinkKind::Rust => {
                let mut command = Command::new(std::env::current_exe().context("the bench's own path")?);
                // Its stdin stays open as long as `child` is kept: it exits when the bench does.
                command.env(sink::DIR_VAR, dir.path()).env(sink::PORT_VAR, port.to_string()).stdin(Stdio::piped());
                command
            }
            SinkKind::Python => {
                let mut command = Command::new("python3");
                command
                    .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/smtp-sink.py"))
                    .args(["--port", &port.to_string(), "--dir"])
                    .arg(dir.path())
                    .stdin(Stdio::null());
                command
            }
        };
        let child = command.stdout(Stdio::piped()).spawn().with_context(|| format!("starting {}", kind.label()))?;
        // Built before waiting, so the child is killed on every way out.
        let mut sink = Self { child, port, dir };
        let stdout = sink.child.stdout.take().context("the sink's stdout")?;
        let ready = BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.starts_with("ready"));
        if !ready {
            bail!("the SMTP sink ({}) did not start (for python: is aiosmtpd installed? `pip install aiosmtpd`)", kind.label());
        }
        Ok(sink)
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The finished mails (the sink renames `.eml.tmp` to `.eml` once written).
    fn files(&self) -> Result<Vec<PathBuf>> {
        let entries = std::fs::read_dir(self.dir.path()).context("reading the sink folder")?;
        Ok(entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect())
    }

}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The mails found in a sink folder so far: each file is read once, so polling stays cheap.
#[derive(Default)]
struct Tally {
    files: HashSet<PathBuf>,
    /// Message-IDs are stable per notification, so they tell resends from new mails.
    ids: HashSet<String>,
}

impl Tally {
    fn update(&mut self, sink: &Sink) -> Result<()> {
        for path in sink.files()? {
            if self.files.contains(&path) {
                continue;
            }
            let raw = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            self.ids.insert(message_id(&raw).unwrap_or_else(|| path.display().to_string()));
            self.files.insert(path);
        }
        Ok(())
    }

    fn received(&self) -> usize {
        self.files.len()
    }

    fn distinct(&self) -> usize {
        self.ids.len()
    }
}

fn message_id(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    text.lines().take_while(|l| !l.is_empty()).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("message-id").then(|| value.trim().to_owned())
    })
}

/// The release binary serving on a free port and sending to the sink; killed when dropped.
struct Server {
    child: Child,
    base: String,
    database_url: String,
    // Dropped after `child` is killed: the database and the folder outlive the server.
    _pg: Option<PgDatabase>,
    _data_dir: tempfile::TempDir,
}

impl Server {
    fn start(backend: &Backend, smtp_url: &str, config: &Config) -> Result<Self> {
        let data_dir = tempfile::tempdir().context("creating the data folder")?;
        let (database_url, pg) = backend.fresh_database(data_dir.path())?;
        let port = free_port()?;
        let mut command = Command::new(env!("CARGO_BIN_EXE_helpdesk"));
        command
            .arg("serve")
            .env("HELPDESK_DATA_DIR", data_dir.path())
            .env("HELPDESK_BIND", format!("127.0.0.1:{port}"))
            .env("HELPDESK_DATABASE_URL", &database_url)
            .env("HELPDESK_SMTP_URL", smtp_url)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null()); // banner only; warnings and errors go to stderr, kept
        // Unset means the server's defaults, whatever the calling shell exports.
        for (var, value) in [("HELPDESK_MAIL_WORKERS", &config.workers), ("HELPDESK_MAIL_BATCH", &config.batch)] {
            match value {
                Some(v) => command.env(var, v),
                None => command.env_remove(var),
            };
        }
        let child = command.spawn().context("starting the helpdesk binary")?;
        Ok(Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            database_url,
            _pg: pg,
            _data_dir: data_dir,
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn check_alive(&mut self) -> Result<()> {
        match self.child.try_wait()? {
            Some(status) => bail!("the server exited ({status})"),
            None => Ok(()),
        }
    }

    /// Ready once it answers: migrations ran before it listens, so the outbox table exists.
    async fn wait_ready(&mut self) -> Result<()> {
        let client = Client::new();
        let url = format!("{}/healthz", self.base);
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            self.check_alive()?;
            if matches!(client.get(&url).send().await, Ok(res) if res.status() == StatusCode::OK) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server did not answer {url} within {READY_TIMEOUT:?}")
    }

    /// Waits for `/readyz` to report no pending notification.
    async fn wait_outbox_empty(&mut self) -> Result<()> {
        let client = Client::new();
        let url = format!("{}/readyz", self.base);
        let deadline = Instant::now() + STALL_TIMEOUT;
        loop {
            let body: Value = client.get(&url).send().await?.json().await?;
            let depth = body["outbox"]["depth"].as_i64().context("/readyz without outbox.depth")?;
            if depth == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("{depth} notifications still pending {STALL_TIMEOUT:?} after the drain");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}



/// CPU time a process (all its threads together) used since `start`.
struct CpuClock {
    pid: u32,
    ticks: Option<u64>,
}

impl CpuClock {
    fn start(pid: u32) -> Self {
        Self { pid, ticks: cpu_ticks(pid) }
    }

    fn used_secs(&self) -> Option<f64> {
        let used = cpu_ticks(self.pid)?.checked_sub(self.ticks?)?;
        Some(used as f64 / TICKS_PER_SEC)
    }
}

/// utime + stime from /proc/<pid>/stat (fields 14 and 15; the name before them may hold spaces).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// A mail ready to go: the envelope and the bytes, as the server's Mailer makes them.
struct Prepared {
    envelope: Envelope,
    bytes: Vec<u8>,
}

/// The mails the server would send for the burst, built by its own Mailer before any clock
/// starts, so the ceiling clients send the same bytes and do nothing but send.
fn burst_mails(n: usize) -> Result<Vec<Prepared>> {
    let dir = tempfile::tempdir().context("creating a scratch folder")?;
    let key = helpdesk::mail::reply_token::ReplyKey::new(b"the bench key of thirty-two bytes or more");
    let mailer = Mailer::new(None, dir.path().join("mail"), "Help Desk <helpdesk@localhost>", 1, key)?;
    let now = chrono::Utc::now().naive_utc();
    (0..n)
        .map(|i| {
            let row = OutboxRow {
                id: uuid::Uuid::now_v7().to_string(),
                kind: "sign_in_link".into(),
                recipient: format!("s{i}@studenti.unibg.it"),
                locale: Locale::It,
                ticket_id: None,
                payload: payload(i).payload()?.to_string(),
                status: "pending".into(),
                attempts: 0,
                next_attempt_at: now,
                locked_until: None,
                last_error: None,
                created_at: now,
                sent_at: None,
                requeued_at: None,
            };
            let message = mailer.build(&row)?;
            Ok(Prepared { envelope: message.envelope().clone(), bytes: message.formatted() })
        })
        .collect()
}

/// How the ceiling client talks to the sink.
#[derive(Clone, Copy)]
enum SmtpClient {
    /// helpdesk's own pool (src/mail/smtp.rs), as the server sends: TCP_NODELAY, a NOOP before
    /// each reuse.
    Helpdesk,
    /// lettre's pooled transport, as the server sent before: one send in flight per connection.
    Lettre,
    /// Plain connections with TCP_NODELAY and no NOOP. lettre writes a mail's terminating
    /// "\r\n.\r\n" on its own after the body; with Nagle on, it waits for the sink's delayed
    /// ACK (~40 ms).
    NoDelay,
}

impl SmtpClient {
    fn label(self, conns: usize) -> String {
        match self {
            SmtpClient::Helpdesk => format!("ceiling: helpdesk's SMTP pool, {conns} conns (as the server)"),
            SmtpClient::Lettre => format!("ceiling: lettre's pool, {conns} conns (Nagle on, as the server sent before)"),
            SmtpClient::NoDelay => format!("ceiling: {conns} bare conns, TCP_NODELAY, no NOOP (the sink's own limit)"),
        }
    }
}

/// A burst sent to a fresh sink with no server and no database: what the sink (and the client)
/// can take at most.
fn ceiling_once(rt: &Runtime, mails: &[Prepared], config: &Config, client: SmtpClient) -> Result<RunResult> {
    let sink = Sink::start(config.sink)?;
    let conns = config.ceiling_conns;
    let (client_cpu, sink_cpu) = (CpuClock::start(std::process::id()), CpuClock::start(sink.pid()));
    let start = Instant::now();
    rt.block_on(async {
        match client {
            SmtpClient::Helpdesk => send_helpdesk(sink.port, mails, conns).await,
            SmtpClient::Lettre => send_pooled(sink.port, mails, conns).await,
            SmtpClient::NoDelay => send_nodelay(sink.port, mails, conns).await,
        }
    })?;
    // The sink answers 250 only after the file is in place, so every mail is on disk now.
    let elapsed = start.elapsed();
    let (sender_cpu_secs, sink_cpu_secs) = (client_cpu.used_secs(), sink_cpu.used_secs());
    let mut tally = Tally::default();
    tally.update(&sink)?;
    Ok(RunResult {
        burst: mails.len(),
        elapsed_secs: elapsed.as_secs_f64(),
        lag_secs: None,
        burst_secs: None,
        received: tally.received(),
        distinct: tally.distinct(),
        sender_cpu_secs,
        sink_cpu_secs,
    })
}

/// Through the pool the server's Mailer uses, `conns` sends in flight (its size).
async fn send_helpdesk(port: u16, mails: &[Prepared], conns: usize) -> Result<()> {
    let server = smtp::Server::from_url(&format!("smtp://127.0.0.1:{port}"))?;
    let pool = smtp::Pool::new(server, u32::try_from(conns)?, Duration::from_secs(20));
    let sends = futures_util::stream::iter(mails).map(|mail| pool.send(&mail.envelope, &mail.bytes));
    count_failures(sends, conns, mails.len()).await
}

/// No more sends in flight than pooled connections: lettre closes a connection its full pool
/// cannot take back, and a connection per mail would measure connection set-up instead.
async fn send_pooled(port: u16, mails: &[Prepared], conns: usize) -> Result<()> {
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .pool_config(PoolConfig::new().max_size(u32::try_from(conns)?))
        .build();
    let sends = futures_util::stream::iter(mails).map(|mail| smtp.send_raw(&mail.envelope, &mail.bytes));
    count_failures(sends, conns, mails.len()).await
}

/// Runs the sends, `conns` at a time; fails if any did.
async fn count_failures<T, E>(sends: impl futures_util::Stream<Item = impl std::future::Future<Output = Result<T, E>>>, conns: usize, total: usize) -> Result<()> {
    let failures = sends.buffer_unordered(conns).filter(|sent| std::future::ready(sent.is_err())).count().await;
    if failures > 0 {
        bail!("{failures} of {total} sends to the sink failed");
    }
    Ok(())
}

/// Each connection sends its share of the mails back to back.
async fn send_nodelay(port: u16, mails: &[Prepared], conns: usize) -> Result<()> {
    let hello = ClientId::Domain("bench.localhost".into());
    let connections = (0..conns).map(|k| {
        let hello = &hello;
        async move {
            // tokio's `net` feature comes with lettre's `tokio1` feature.
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
            stream.set_nodelay(true)?;
            let mut smtp = AsyncSmtpConnection::connect_with_transport(Box::new(stream), hello).await?;
            for mail in mails.iter().skip(k).step_by(conns) {
                smtp.send(&mail.envelope, &mail.bytes).await?;
            }
            smtp.quit().await?;
            Ok::<_, anyhow::Error>(())
        }
    });
    futures_util::future::try_join_all(connections).await?;
    Ok(())
}

/// One line of the table: medians over runs, mail counts summed over runs.
struct Row {
    name: String,
    rate: f64,
    lag_secs: Option<f64>,
    burst_secs: Option<f64>,
    received: usize,
    distinct: usize,
    expected: usize,
    sender_ms_per_mail: Option<f64>,
    sink_ms_per_mail: Option<f64>,
}

impl Row {
    fn new(name: String, runs: &[RunResult], burst: usize) -> Self {
        Self {
            name,
            rate: median(runs.iter().map(|r| Some(r.rate()))).unwrap_or(f64::NAN),
            lag_secs: median(runs.iter().map(|r| r.lag_secs)),
            burst_secs: median(runs.iter().map(|r| r.burst_secs)),
            received: runs.iter().map(|r| r.received).sum(),
            distinct: runs.iter().map(|r| r.distinct).sum(),
            expected: burst * runs.len(),
            sender_ms_per_mail: median(runs.iter().map(|r| r.ms_per_mail(r.sender_cpu_secs))),
            sink_ms_per_mail: median(runs.iter().map(|r| r.ms_per_mail(r.sink_cpu_secs))),
        }
    }

    /// Received over expected, and the duplicates (allowed: delivery is at-least-once).
    fn delivery(&self) -> String {
        match self.received.saturating_sub(self.distinct) {
            0 => format!("{}/{}", self.received, self.expected),
            dup => format!("{}/{} ({dup} duplicates)", self.received, self.expected),
        }
    }
}

/// Median of the values present; none when no run had one.
fn median(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let mut v: Vec<f64> = values.flatten().collect();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[n / 2]),
        n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".into(), |v| format!("{v:.decimals$}"))
}

fn print_table(rows: &[Row]) {
    println!("| backend | mails/s (median) | lag after burst s (median) | burst written in s | received/expected | sender CPU ms/mail | sink CPU ms/mail |");
    println!("|---|---:|---:|---:|---|---:|---:|");
    for row in rows {
        println!(
            "| {} | {:.0} | {} | {} | {} | {} | {} |",
            row.name,
            row.rate,
            opt(row.lag_secs, 2),
            opt(row.burst_secs, 2),
            row.delivery(),
            opt(row.sender_ms_per_mail, 3),
            opt(row.sink_ms_per_mail, 3),
        );
    }
    println!(
        "\nCPU ms/mail: CPU time from burst start to drain end over the burst (medians); sender = the helpdesk \
         process (the bench's client for the ceilings). 1000 / ms is that process's ceiling on one free core."
    );
    for row in rows.iter().filter(|r| r.lag_secs.is_some()) {
        let lag = row.lag_secs.unwrap_or(f64::NAN);
        println!(
            "{}: ≥ {TARGET_RATE:.0} mails/s {}, lag < {TARGET_LAG_SECS:.0} s {}",
            row.name,
            met(row.rate >= TARGET_RATE),
            met(lag < TARGET_LAG_SECS),
        );
    }
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}
