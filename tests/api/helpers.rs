//! spawn_app: the real application on a random port, on a fresh SQLite file or a fresh
//! PostgreSQL database, with a real HTTP client.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::Connection;
use helpdesk::config::Settings;
use helpdesk::db::Db;
use helpdesk::domain::Email;
use helpdesk::startup::Application;
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the test command started. Its absence is a failure, not a skip.
pub fn pg_admin_url() -> String {
    match std::env::var("HELPDESK_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "HELPDESK_TEST_PG_URL is not set: the PostgreSQL suite cannot run. \
             Run the tests with scripts/test.sh, which starts a PostgreSQL server."
        ),
    }
}

/// A new empty database on the test server; returns its URL.
pub fn fresh_pg_database() -> String {
    let admin = pg_admin_url();
    let name = format!("hd_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = diesel::PgConnection::establish(&admin).unwrap_or_else(|e| panic!("connecting to {admin}: {e}"));
    conn.batch_execute(&format!("CREATE DATABASE {name}")).expect("creating a test database");
    let (base, _) = admin.rsplit_once('/').expect("the admin URL ends with a database name");
    format!("{base}/{name}")
}

pub fn database_url(backend: Backend, data_dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", data_dir.join("helpdesk.db").display()),
        Backend::Postgres => fresh_pg_database(),
    }
}

/// The signing secret of every test desk (what a test needs to make what only the desk can).
pub const TEST_JWT_SECRET: &[u8] = b"test secret that is long enough for HS256 use";

/// The tag of the reply address the desk mails `recipient` about ticket `number`.
pub fn reply_tag(number: &str, recipient: &str) -> String {
    helpdesk::mail::reply_token::ReplyKey::new(TEST_JWT_SECRET).tag(number, recipient)
}

pub fn test_settings(data_dir: PathBuf, database_url: String) -> Settings {
    Settings {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        ops_bind: None,
        data_dir,
        database_url,
        base_url: "http://127.0.0.1".into(),
        jwt_secret: TEST_JWT_SECRET.to_vec(),
        token_ttl_hours: 1,
        smtp_url: None,
        mail_from: "Help Desk <helpdesk@localhost>".into(),
        workers: 2,
        db_pool_size: 4,
        ticket_prefix: "HD".into(),
        max_file_bytes: 10 * 1024 * 1024,
        max_message_bytes: 25 * 1024 * 1024,
        max_json_bytes: 256 * 1024,
        inbound_api_key: None,
        integration_api_key: Some("test-integration-key".into()),
        rate_limit_per_minute: 30,
        account_rate_limit_per_minute: 30,
        trusted_proxies: Default::default(),
        cache_ttl: std::time::Duration::from_secs(2),
        mail: helpdesk::config::WorkerConfig {
            workers: 1,
            batch: 16,
            lease: std::time::Duration::from_secs(30),
            idle_poll: std::time::Duration::from_millis(50),
            retry_base: std::time::Duration::from_millis(200),
            retry_max: std::time::Duration::from_secs(1),
            give_up_after: std::time::Duration::from_secs(24 * 3600),
        },
        // Jobs run when a test calls them (tests/api/jobs.rs starts a runner where it wants one).
        jobs: helpdesk::config::JobsConfig { interval: std::time::Duration::ZERO, auto_close_days: 7, guest_expiry_hours: 48 },
        search: helpdesk::tickets::search_index::Ranking::default(),
        guest_link_idle_days: 30,
        mail_authserv_id: None,
        // Single sign-on is off unless a test starts a provider (tests/api/sso.rs).
        oidc: None,
        staff_sso_only: false,
        db: helpdesk::config::DbOptions::default(),
        files: helpdesk::config::FilesSettings::default(),
        privacy: helpdesk::config::PrivacySettings::default(),
    }
}

pub struct TestApp {
    pub address: String,
    /// The operations address (`/readyz`, `/metrics`) when the test gave one.
    pub ops_address: Option<String>,
    pub db: Db,
    pub client: Client,
    _data_dir: tempfile::TempDir,
    /// Where sent mails land as `.eml` files: `<data dir>/mail`, or an SMTP sink's folder.
    mail_dir: std::sync::RwLock<Option<PathBuf>>,
    _database: Option<TestDatabase>,
}

/// A test's own PostgreSQL database, dropped with the test (a full run makes hundreds; kept,
/// they filled a disk).
pub struct TestDatabase(String);

impl TestDatabase {
    /// The guard for `url` when it names a database `fresh_pg_database` made.
    pub fn of(url: &str) -> Option<TestDatabase> {
        let (_, name) = url.rsplit_once('/')?;
        (url.starts_with("postgres") && name.starts_with("hd_test_")).then(|| TestDatabase(name.to_owned()))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Ok(mut conn) = diesel::PgConnection::establish(&pg_admin_url()) else { return };
        let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0));
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// `spawn_app` with settings changed first (an SMTP server, smaller limits…).
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("a temp dir");
    let url = database_url(backend, data_dir.path());
    spawn_app_in(data_dir, url, configure).await
}

/// `spawn_app_with` on a database of the test's own (e.g. a private PostgreSQL server).
pub async fn spawn_app_in(data_dir: tempfile::TempDir, url: String, configure: impl FnOnce(&mut Settings)) -> TestApp {
    helpdesk::telemetry::init_with_default("error");
    let database = url.clone();
    let mut settings = test_settings(data_dir.path().to_path_buf(), url);
    configure(&mut settings);
    let app = Application::build(settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let ops_address = app.ops_port().map(|port| format!("http://127.0.0.1:{port}"));
    let db = app.state().db.clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        ops_address,
        db,
        client: Client::builder().build().expect("a client"),
        _data_dir: data_dir,
        mail_dir: std::sync::RwLock::new(None),
        _database: TestDatabase::of(&database),
    }
}

/// A signed-in user as the tests see them.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub id: String,
}

pub fn segreteria_ticket(subject: &str) -> Value {
    json!({
        "category": "segreteria", "privacy_notice_version": 1,
        "subject": subject,
        "body": "Buongiorno, vorrei sapere come modificare il piano di studio.",
        "fields": {"matricola": "1012345", "course": "Ingegneria informatica", "topic": "piano-di-studio"}
    })
}

impl TestApp {
    /// Sent mails are read from this SMTP sink's folder (for links whose secret the outbox no
    /// longer keeps once sent).
    pub fn reads_mail_from(&self, sink: &SmtpSink) {
        if let Ok(mut dir) = self.mail_dir.write() {
            *dir = Some(sink.dir.path().to_path_buf());
        }
    }

    fn sent_mail_dir(&self) -> PathBuf {
        let set = self.mail_dir.read().ok().and_then(|d| d.clone());
        set.unwrap_or_else(|| self._data_dir.path().join("mail"))
    }

    /// The desk's data folder (attachments, mail files).
    pub fn data_dir(&self) -> &Path {
        self._data_dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request sent")
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client.patch(self.url(path)).bearer_auth(token).json(body).send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request sent")
    }

    pub async fn login(&self, email: &str, password: &str) -> Session {
        let res = self.post("/api/v1/auth/login", None, &json!({"email": email, "password": password})).await;
        assert_eq!(res.status(), StatusCode::OK, "login of {email}");
        let body: Value = res.json().await.expect("json");
        Session {
            token: body["token"].as_str().expect("token").to_owned(),
            id: body["user"]["id"].as_str().expect("id").to_owned(),
        }
    }

    pub async fn student(&self, email: &str) -> Session {
        let res = self
            .post(
                "/api/v1/auth/register",
                None,
                &json!({"email": email, "password": "password-123", "display_name": email.split('@').next().unwrap_or("x")}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "registering {email}");
        self.verify_address(email).await;
        self.login(email, "password-123").await
    }

    /// The token of the newest mailed link of `kind` (`verify_email`, `sign_in_link`…) to `email`.
    pub async fn mailed_token(&self, email: &str, kind: &str) -> String {
        mailed_token(&self.db, &self.sent_mail_dir(), email, kind).await
    }

    /// The CSRF token of a session (what its browser sends as `X-CSRF-Token`).
    pub async fn student_csrf(&self, who: &Session) -> String {
        let me: Value = self.get("/api/v1/me", Some(&who.token)).await.json().await.expect("json");
        me["csrf_token"].as_str().expect("a csrf token").to_owned()
    }

    /// Follows the verification link mailed to `email` (what its owner does).
    pub async fn verify_address(&self, email: &str) {
        let token = self.mailed_token(email, "verify_email").await;
        let res = self.post("/api/v1/auth/verify-email", None, &json!({"token": token})).await;
        assert_eq!(res.status(), StatusCode::OK, "verifying {email}");
    }

    /// The first admin, made the way `helpdesk create-admin` makes it.
    pub async fn admin(&self) -> Session {
        make_admin(self.db.clone()).await;
        self.login("admin@unibg.it", "admin-password").await
    }

    /// A staff account made through the admin API.
    pub async fn staff(&self, admin: &Session, email: &str, role: &str, teams: &[&str]) -> Session {
        let res = self
            .post(
                "/api/v1/admin/agents",
                Some(&admin.token),
                &json!({"email": email, "password": "agent-password", "display_name": email, "role": role, "teams": teams}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "creating {email}");
        self.login(email, "agent-password").await
    }

    /// Opens a segreteria ticket and returns its JSON.
    pub async fn open_ticket(&self, who: &Session, subject: &str) -> Value {
        let res = self.post("/api/v1/tickets", Some(&who.token), &segreteria_ticket(subject)).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.expect("json")
    }

    /// The link of the latest `kind` notification to `recipient` (of ticket `number`, if given),
    /// secret included (see `mailed_link_in`).
    pub async fn mailed_link(&self, recipient: &str, kind: &str, number: Option<&str>) -> String {
        mailed_link_in(&self.db, &self.sent_mail_dir(), recipient, kind, number).await
    }

    /// Notifications queued for a recipient, oldest first (kind, ticket number in payload).
    pub async fn outbox_for(&self, recipient: &str) -> Vec<(String, Value)> {
        outbox_rows(&self.db, recipient).await
    }
}

/// Runs one async test body on SQLite and on PostgreSQL, as two tests.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

/// `helpdesk serve` as its own process, on a free port read from its `HELPDESK_LISTENING` line.
/// Killed on drop.
pub struct Server {
    pub child: Child,
    pub address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_server(data_dir: &Path, url: &str, envs: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .arg("serve")
        .env("HELPDESK_DATA_DIR", data_dir)
        .env("HELPDESK_DATABASE_URL", url)
        .env("HELPDESK_BIND", "127.0.0.1:0")
        .env("HELPDESK_JWT_SECRET", "a shared secret for the test processes")
        .env("HELPDESK_WORKERS", "2")
        .env("RUST_LOG", "warn")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the helpdesk binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let (port, _) = lines.find_map(|line| helpdesk::startup::parse_listening_line(&line)).expect("the server printed its port");
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, address: format!("http://127.0.0.1:{port}") }
}

/// A free TCP port on 127.0.0.1 (free when asked; good enough for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A real SMTP server (scripts/smtp-sink.py, aiosmtpd) writing each message to a folder.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mail as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub reply_to: String,
    pub text: String,
    pub html: String,
    pub raw: String,
}

impl SmtpSink {
    pub fn start(port: u16, delay_secs: f64) -> SmtpSink {
        let dir = tempfile::tempdir().expect("a temp dir");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/smtp-sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir.path())
            .args(["--delay", &delay_secs.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the SMTP sink (scripts/test.sh installs aiosmtpd)");
        let stdout = child.stdout.take().expect("stdout");
        let ready = BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.starts_with("ready"));
        assert!(ready, "the SMTP sink did not start (is aiosmtpd installed? run scripts/test.sh)");
        SmtpSink { child, port, dir }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("the sink folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names.iter().map(|p| parse_mail(&std::fs::read(p).expect("a mail file"))).collect()
    }

    /// Waits until at least `n` mails arrived (or panics after `secs`).
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "only {} of {n} mails arrived in {secs} s", got.len());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub fn parse_mail(raw: &[u8]) -> Received {
    let message = mail_parser::MessageParser::default().parse(raw).expect("a parsable mail");
    let header_text = |name: &str| message.header_raw(name).map(|v| v.trim().to_owned());
    Received {
        to: header_text("X-Envelope-To").unwrap_or_default(),
        subject: message.subject().unwrap_or_default().to_owned(),
        message_id: message.message_id().map(|id| format!("<{id}>")).unwrap_or_default(),
        in_reply_to: header_text("In-Reply-To"),
        reply_to: header_text("Reply-To").unwrap_or_default(),
        text: message.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        html: message.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
        raw: String::from_utf8_lossy(raw).into_owned(),
    }
}

/// `spawn_app_with`, also answering the app's data folder and database URL, so that the
/// `helpdesk` binary (e.g. `ingest-mail`) can be run against the same desk.
pub async fn spawn_app_with_paths(backend: Backend, configure: impl FnOnce(&mut Settings)) -> (TestApp, PathBuf, String) {
    helpdesk::telemetry::init_with_default("error");
    let data_dir = tempfile::tempdir().expect("a temp dir");
    let url = database_url(backend, data_dir.path());
    let mut settings = test_settings(data_dir.path().to_path_buf(), url.clone());
    configure(&mut settings);
    let app = Application::build(settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.state().db.clone();
    tokio::spawn(app.run_until_stopped());
    let path = data_dir.path().to_path_buf();
    let app = TestApp {
        address,
        ops_address: None,
        db,
        client: Client::builder().build().expect("a client"),
        _data_dir: data_dir,
        mail_dir: std::sync::RwLock::new(None),
        _database: TestDatabase::of(&url),
    };
    (app, path, url)
}

/// Notifications queued for a recipient in a desk's database, oldest first.
pub async fn outbox_rows(db: &Db, recipient: &str) -> Vec<(String, Value)> {
    use diesel::prelude::*;
    use helpdesk::db::schema::outbox;
    let db = db.clone();
    let recipient = recipient.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().expect("conn");
        outbox::table
            .filter(outbox::recipient.eq(recipient))
            .order(outbox::id.asc())
            .select((outbox::kind, outbox::payload))
            .load::<(String, String)>(&mut *conn)
            .expect("outbox rows")
            .into_iter()
            .map(|(k, p)| (k, serde_json::from_str(&p).expect("payload json")))
            .collect()
    })
    .await
    .expect("blocking")
}

/// The link of the latest `kind` notification to `recipient` in a desk's database (of ticket
/// `number`, if given), secret included: from the outbox while the mail waits, else from the
/// mail as sent into `mail_dir` (the worker removes the secret from the outbox once sent; the
/// file transport keeps the mail in `<data dir>/mail`, an `SmtpSink` in its folder).
pub async fn mailed_link_in(db: &Db, mail_dir: &Path, recipient: &str, kind: &str, number: Option<&str>) -> String {
    use diesel::prelude::*;
    use helpdesk::db::schema::outbox;
    let (db, who, kind_wanted) = (db.clone(), recipient.to_owned(), kind.to_owned());
    let rows: Vec<(String, String)> = tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().expect("conn");
        outbox::table
            .filter(outbox::recipient.eq(who))
            .filter(outbox::kind.eq(kind_wanted))
            .order(outbox::id.asc())
            .select((outbox::id, outbox::payload))
            .load::<(String, String)>(&mut *conn)
            .expect("outbox rows")
    })
    .await
    .expect("blocking");
    let (id, link) = rows
        .into_iter()
        .filter_map(|(id, payload)| {
            let payload: Value = serde_json::from_str(&payload).expect("payload json");
            let fits = number.is_none_or(|n| payload["number"] == n);
            fits.then(|| (id, payload["link"].as_str().expect("a link").to_owned()))
        })
        .next_back()
        .unwrap_or_else(|| panic!("no {kind} mail to {recipient}"));
    let Some((before, _)) = link.split_once("=redacted") else {
        return link;
    };
    // The mail as sent: `{id}.eml` from the file transport, or any mail an SMTP sink kept there
    // with this link in it. The worker may redact the payload a moment before the file is there.
    let wanted = mail_dir.join(format!("{id}.eml"));
    let mut text = None;
    for _ in 0..100 {
        let mut files: Vec<PathBuf> = std::fs::read_dir(mail_dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        files.sort_by_key(|p| p != &wanted);
        text = files
            .iter()
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .filter_map(|p| std::fs::read(p).ok())
            .map(|raw| parse_mail(&raw).text)
            .find(|t| t.contains(before));
        if text.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = text.unwrap_or_else(|| panic!("no sent mail with {before} in {}", mail_dir.display()));
    let start = text.find(before).unwrap_or_default();
    text[start..].split(|c: char| c.is_whitespace() || c == '>' || c == ')').next().unwrap_or_default().to_owned()
}

/// The token of the newest mailed link of `kind` to `email` in a desk's database.
pub async fn mailed_token(db: &Db, mail_dir: &Path, email: &str, kind: &str) -> String {
    let link = mailed_link_in(db, mail_dir, email, kind, None).await;
    link.split_once("token=").map(|(_, t)| t.to_owned()).expect("a token in the link")
}

/// Registers a student on a server process (whose database is at `db_url`, whose sent mails
/// land in `mail_dir`), follows the verification link mailed to them and returns their token.
pub async fn register_and_login(client: &reqwest::Client, base: &str, mail_dir: &Path, db_url: &str, email: &str) -> String {
    let credentials = json!({"email": email, "password": "password-123", "display_name": "Student"});
    let res = client.post(format!("{base}/api/v1/auth/register")).json(&credentials).send().await.expect("register");
    assert_eq!(res.status(), StatusCode::CREATED, "registering {email}");
    let db = Db::connect(db_url, 1).expect("the desk's database");
    let token = mailed_token(&db, mail_dir, email, "verify_email").await;
    let res = client.post(format!("{base}/api/v1/auth/verify-email")).json(&json!({"token": token})).send().await.expect("verify");
    assert_eq!(res.status(), StatusCode::OK, "verifying {email}");
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": "password-123"}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::OK, "login of {email}");
    let body: Value = res.json().await.expect("json");
    body["token"].as_str().expect("token").to_owned()
}

/// The first admin (admin@unibg.it), made the way `helpdesk create-admin` makes it.
async fn make_admin(db: Db) {
    tokio::task::spawn_blocking(move || {
        let hash = helpdesk::auth::hash_password("admin-password").expect("hash");
        let mut conn = db.get_writer().expect("conn");
        let email = Email::parse("admin@unibg.it").expect("email");
        helpdesk::accounts::upsert_admin(&mut conn, &email, &hash, "Admin").expect("admin");
    })
    .await
    .expect("blocking");
}

/// The first admin of a server process's database (at `url`), signed in on the server.
pub async fn admin_token(client: &reqwest::Client, base: &str, url: &str) -> String {
    make_admin(Db::connect(url, 1).expect("the desk's database")).await;
    let credentials = json!({"email": "admin@unibg.it", "password": "admin-password"});
    let res = client.post(format!("{base}/api/v1/auth/login")).json(&credentials).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

/// Every ticket the staff search finds for `q`, page after page, in the order found.
pub async fn search_all(client: &reqwest::Client, base: &str, token: &str, q: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("q", q.to_owned()), ("limit", "200".to_owned())];
        query.extend(cursor.map(|c| ("cursor", c)));
        let res = client.get(format!("{base}/api/v1/search")).query(&query).bearer_auth(token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let page: Value = res.json().await.unwrap();
        found.extend(page["items"].as_array().unwrap().iter().map(|h| h["number"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return found,
        }
    }
}

/// SQLite's search documents not yet moved into the index file (none on PostgreSQL).
pub async fn recent_documents_in(db: &Db) -> i64 {
    if db.is_postgres() {
        return 0;
    }
    let db = db.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::RunQueryDsl;
        let mut conn = db.get_writer().unwrap();
        diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM ticket_fts_recent_rows").get_result(&mut *conn).unwrap()
    })
    .await
    .unwrap()
}
