//! The settings' parts, each read by `Settings::from_env` and handed to the module it
//! configures (jobs, the mail workers, the database, files, privacy, single sign-on).

use std::path::PathBuf;
use std::time::Duration;

use crate::domain::Role;

#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// How often this instance looks for due jobs; zero: never (other instances run them).
    pub interval: Duration,
    /// Resolved tickets close by themselves after this many days.
    pub auto_close_days: i64,
    /// Unverified guest tickets expire after this many hours.
    pub guest_expiry_hours: i64,
}


#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub workers: usize,
    /// Rows claimed at once, and sent concurrently.
    pub batch: i64,
    pub lease: Duration,
    pub idle_poll: Duration,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub give_up_after: Duration,
}


/// SQLite's `synchronous` in WAL mode: FULL syncs the log at every commit (a commit survives a
/// power loss); NORMAL only at checkpoints (the last commits can be lost, never corrupted).
/// NORMAL is the default: FULL halved the creations per connection on our disk (BENCHMARKS.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Synchronous {
    Full,
    #[default]
    Normal,
}

impl std::str::FromStr for Synchronous {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(Synchronous::Full),
            "normal" => Ok(Synchronous::Normal),
            other => Err(format!("{other:?} is not full or normal")),
        }
    }
}

/// How the pools and SQLite's writer behave (`HELPDESK_DB_*`, `HELPDESK_WRITE_QUEUE`,
/// `HELPDESK_SQLITE_SYNCHRONOUS`).
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// How long a request waits for a pooled connection before it is answered 503.
    pub checkout_timeout: Duration,
    /// SQLite: writes that may wait for the writer thread; more are answered 503.
    pub write_queue: usize,
    pub sqlite_synchronous: Synchronous,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self { checkout_timeout: Duration::from_secs(2), write_queue: 1024, sqlite_synchronous: Synchronous::Normal }
    }
}


/// What to do with an upload while clamd cannot be reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WhenScannerDown {
    /// Refuse it with 503 and `Retry-After` (the default: nothing unscanned is stored).
    #[default]
    Refuse,
    /// Keep it and flag it unscanned in the ticket's history.
    AcceptAndFlag,
}

impl std::str::FromStr for WhenScannerDown {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "refuse" => Ok(Self::Refuse),
            "accept" | "accept-and-flag" => Ok(Self::AcceptAndFlag),
            other => Err(format!("{other:?} is not refuse or accept")),
        }
    }
}

/// Where attachments go (`HELPDESK_FILE_STORE`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StoreChoice {
    /// The database on PostgreSQL, the data folder on SQLite.
    #[default]
    Auto,
    Disk,
    Database,
}

impl std::str::FromStr for StoreChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "disk" => Ok(Self::Disk),
            "database" => Ok(Self::Database),
            other => Err(format!("{other:?} is not auto, disk or database")),
        }
    }
}

/// `HELPDESK_CLAMD`, `HELPDESK_CLAMD_TIMEOUT_SECS`, `HELPDESK_CLAMD_UNAVAILABLE`,
/// `HELPDESK_FILE_STORE`.
#[derive(Debug, Clone)]
pub struct FilesSettings {
    pub clamd: Option<ClamdAddress>,
    pub clamd_timeout: Duration,
    pub when_scanner_down: WhenScannerDown,
    pub store: StoreChoice,
}

impl Default for FilesSettings {
    fn default() -> Self {
        Self { clamd: None, clamd_timeout: Duration::from_secs(30), when_scanner_down: WhenScannerDown::Refuse, store: StoreChoice::Auto }
    }
}


/// Where clamd listens: `unix:/run/clamav/clamd.ctl`, `tcp://127.0.0.1:3310` (or `tcp:host:port`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClamdAddress {
    Unix(PathBuf),
    Tcp(String),
}

impl std::str::FromStr for ClamdAddress {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        if let Some(path) = raw.strip_prefix("unix://").or_else(|| raw.strip_prefix("unix:")) {
            if path.is_empty() {
                return Err("unix: needs a socket path, e.g. unix:/run/clamav/clamd.ctl".into());
            }
            return Ok(ClamdAddress::Unix(PathBuf::from(path)));
        }
        if let Some(host) = raw.strip_prefix("tcp://").or_else(|| raw.strip_prefix("tcp:")) {
            let host = host.trim_end_matches('/');
            return match host.rsplit_once(':') {
                Some((name, port)) if !name.is_empty() && port.parse::<u16>().is_ok() => Ok(ClamdAddress::Tcp(host.to_owned())),
                _ => Err(format!("{raw:?}: expected tcp://host:port, e.g. tcp://127.0.0.1:3310")),
            };
        }
        Err(format!("{raw:?}: expected unix:/path/to/clamd.sock or tcp://host:port"))
    }
}

impl std::fmt::Display for ClamdAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClamdAddress::Unix(path) => write!(f, "unix:{}", path.display()),
            ClamdAddress::Tcp(host) => write!(f, "tcp://{host}"),
        }
    }
}


/// `HELPDESK_ACCESS_LOG_DAYS`.
#[derive(Debug, Clone)]
pub struct PrivacySettings {
    /// How long the access log keeps a staff read.
    pub access_log_days: i64,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        Self { access_log_days: 730 }
    }
}

/// The provider and how its claims map (`HELPDESK_OIDC_*`).
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    pub matricola_claim: String,
    /// SPID's `fiscalNumber` is `TINIT-<codice fiscale>`.
    pub fiscal_number_claim: String,
    pub groups_claim: String,
    /// A group of the groups claim → the staff role it gives.
    pub staff_groups: Vec<(String, Role)>,
    /// Connect and total time allowed to each call to the provider.
    pub timeout: Duration,
    /// How long discovery and the provider's keys are used before they are fetched again.
    pub metadata_ttl: Duration,
}
