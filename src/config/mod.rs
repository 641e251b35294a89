//! Settings from `HELPDESK_*` environment variables, read once and passed down.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rand::RngCore;

mod sections;

pub use sections::{
    ClamdAddress, DbOptions, FilesSettings, JobsConfig, OidcSettings, PrivacySettings, StoreChoice, Synchronous,
    WhenScannerDown, WorkerConfig,
};

#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    /// A second address for `/readyz` and `/metrics` alone (then 404 on `bind`).
    pub ops_bind: Option<SocketAddr>,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub base_url: String,
    pub jwt_secret: Vec<u8>,
    pub token_ttl_hours: i64,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub workers: usize,
    pub db_pool_size: u32,
    pub ticket_prefix: String,
    pub max_file_bytes: usize,
    pub max_message_bytes: usize,
    pub max_json_bytes: usize,
    pub inbound_api_key: Option<String>,
    /// The career system's key for `PUT /integrations/career-actions/{ref}`.
    pub integration_api_key: Option<String>,
    pub rate_limit_per_minute: u32,
    /// Sign-in attempts (and sign-in links) per minute on one account, from all addresses.
    pub account_rate_limit_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` names the client (for rate limits and logs).
    pub trusted_proxies: crate::auth::TrustedProxies,
    pub mail: WorkerConfig,
    /// How long verified sessions and the category catalog are remembered per instance.
    pub cache_ttl: Duration,
    /// Scheduled jobs (auto-close, guest expiry, SLA-risk mails).
    pub jobs: JobsConfig,
    /// How many of a search's newest matches are ranked by relevance (older ones follow).
    pub search: crate::tickets::search_index::Ranking,
    /// A guest's secret link stops working after this many days unused.
    pub guest_link_idle_days: i64,
    /// The `authserv-id` of the MTA whose `Authentication-Results` headers are trusted: a
    /// `dmarc=fail` stamped by it sends inbound mail to the quarantine.
    pub mail_authserv_id: Option<String>,
    /// Single sign-on (`HELPDESK_OIDC_*`); `None` when `HELPDESK_OIDC_ISSUER` is unset.
    pub oidc: Option<OidcSettings>,
    /// `HELPDESK_STAFF_SSO_ONLY`: staff sign in only through single sign-on.
    pub staff_sso_only: bool,
    /// Pool checkout timeout, SQLite's write queue and durability.
    pub db: DbOptions,
    /// Virus scanning (`HELPDESK_CLAMD…`) and where attachments are stored.
    pub files: FilesSettings,
    /// How long the access log is kept (`HELPDESK_ACCESS_LOG_DAYS`).
    pub privacy: PrivacySettings,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        Some(v) => v.parse().map_err(|e| anyhow::anyhow!("{name}={v}: {e}")),
        None => Ok(default),
    }
}

impl Settings {
    /// Reads the environment. Creates the data folder and, on first start, the JWT key in it.
    pub fn from_env() -> anyhow::Result<Self> {
        let bind: SocketAddr = parsed("HELPDESK_BIND", SocketAddr::from(([127, 0, 0, 1], 8080)))?;
        let data_dir = PathBuf::from(var("HELPDESK_DATA_DIR").unwrap_or_else(|| "./data".into()));
        std::fs::create_dir_all(&data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
        make_private(&data_dir).with_context(|| format!("restricting {} to its owner", data_dir.display()))?;
        let database_url = var("HELPDESK_DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("helpdesk.db").display()));
        let base_url = var("HELPDESK_BASE_URL").unwrap_or_else(|| format!("http://{bind}"));
        let jwt_secret = match var("HELPDESK_JWT_SECRET") {
            Some(secret) => given_secret(secret)?,
            None => stored_secret(&data_dir)?,
        };
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let ops_bind = match var("HELPDESK_OPS_BIND") {
            Some(v) => Some(v.parse::<SocketAddr>().map_err(|e| anyhow::anyhow!("HELPDESK_OPS_BIND={v}: {e}"))?),
            None => None,
        };
        Self {
            bind,
            ops_bind,
            data_dir,
            database_url,
            base_url: base_url.trim_end_matches('/').to_owned(),
            jwt_secret,
            token_ttl_hours: parsed("HELPDESK_TOKEN_TTL_HOURS", 12)?,
            smtp_url: var("HELPDESK_SMTP_URL"),
            mail_from: var("HELPDESK_MAIL_FROM").unwrap_or_else(|| "Help Desk <helpdesk@localhost>".into()),
            workers: parsed("HELPDESK_WORKERS", cores)?,
            db_pool_size: parsed("HELPDESK_DB_POOL_SIZE", 8)?,
            ticket_prefix: var("HELPDESK_TICKET_PREFIX").unwrap_or_else(|| "HD".into()),
            max_file_bytes: parsed("HELPDESK_MAX_FILE_BYTES", 10 * 1024 * 1024)?,
            max_message_bytes: parsed("HELPDESK_MAX_MESSAGE_BYTES", 25 * 1024 * 1024)?,
            max_json_bytes: parsed("HELPDESK_MAX_JSON_BYTES", 256 * 1024)?,
            inbound_api_key: var("HELPDESK_INBOUND_API_KEY"),
            integration_api_key: var("HELPDESK_INTEGRATION_API_KEY"),
            rate_limit_per_minute: parsed("HELPDESK_RATE_LIMIT_PER_MINUTE", 30)?,
            account_rate_limit_per_minute: parsed("HELPDESK_ACCOUNT_RATE_LIMIT_PER_MINUTE", 10)?,
            trusted_proxies: parsed("HELPDESK_TRUSTED_PROXIES", crate::auth::TrustedProxies::default())?,
            cache_ttl: Duration::from_millis(parsed("HELPDESK_CACHE_TTL_MS", 2000)?),
            mail: WorkerConfig {
                workers: parsed("HELPDESK_MAIL_WORKERS", 2)?,
                batch: parsed("HELPDESK_MAIL_BATCH", 32)?,
                lease: Duration::from_secs(parsed("HELPDESK_MAIL_LEASE_SECS", 120)?),
                idle_poll: Duration::from_millis(parsed("HELPDESK_MAIL_POLL_MS", 200)?),
                retry_base: Duration::from_secs(parsed("HELPDESK_MAIL_RETRY_BASE_SECS", 30)?),
                retry_max: Duration::from_secs(parsed("HELPDESK_MAIL_RETRY_MAX_SECS", 3600)?),
                give_up_after: Duration::from_secs(3600 * parsed::<u64>("HELPDESK_MAIL_GIVE_UP_HOURS", 24)?),
            },
            jobs: JobsConfig {
                interval: Duration::from_secs(u64::from(parsed::<u32>("HELPDESK_JOBS_INTERVAL_SECS", 60)?)),
                auto_close_days: i64::from(parsed::<u16>("HELPDESK_AUTO_CLOSE_DAYS", 7)?),
                guest_expiry_hours: i64::from(parsed::<u16>("HELPDESK_GUEST_EXPIRY_HOURS", 48)?),
            },
            search: {
                use crate::tickets::search_index::Ranking;
                let ranking = Ranking::new(parsed("HELPDESK_SEARCH_RANKED", Ranking::default().window)?);
                Ranking { newest: parsed("HELPDESK_SEARCH_NEWEST", ranking.newest)?.max(1), ..ranking }
            },
            guest_link_idle_days: i64::from(parsed::<u16>("HELPDESK_GUEST_LINK_IDLE_DAYS", 30)?.max(1)),
            mail_authserv_id: var("HELPDESK_MAIL_AUTHSERV_ID").map(|v| v.trim().to_lowercase()),
            db: {
                let defaults = DbOptions::default();
                DbOptions {
                    checkout_timeout: Duration::from_millis(parsed("HELPDESK_DB_TIMEOUT_MS", defaults.checkout_timeout.as_millis() as u64)?.max(1)),
                    write_queue: parsed("HELPDESK_WRITE_QUEUE", defaults.write_queue)?.max(1),
                    sqlite_synchronous: parsed("HELPDESK_SQLITE_SYNCHRONOUS", defaults.sqlite_synchronous)?,
                }
            },
            oidc: oidc_from_env()?,
            staff_sso_only: flag("HELPDESK_STAFF_SSO_ONLY")?,
            files: files_from_env()?,
            privacy: PrivacySettings {
                access_log_days: i64::from(parsed::<u16>("HELPDESK_ACCESS_LOG_DAYS", 730)?.max(1)),
            },
        }
        .checked()
    }

    /// Settings that contradict each other stop the start.
    fn checked(self) -> anyhow::Result<Self> {
        if self.staff_sso_only && self.oidc.is_none() {
            anyhow::bail!("HELPDESK_STAFF_SSO_ONLY needs single sign-on: set HELPDESK_OIDC_ISSUER");
        }
        Ok(self)
    }

    pub fn guest_link_idle(&self) -> chrono::Duration {
        chrono::Duration::days(self.guest_link_idle_days)
    }

    pub fn attachments_dir(&self) -> PathBuf {
        self.data_dir.join("attachments")
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }
}

fn flag(name: &str) -> anyhow::Result<bool> {
    match var(name).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("0" | "false" | "no" | "off") => Ok(false),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some(other) => anyhow::bail!("{name}={other}: expected true or false"),
    }
}

fn files_from_env() -> anyhow::Result<FilesSettings> {
    let defaults = FilesSettings::default();
    Ok(FilesSettings {
        clamd: match var("HELPDESK_CLAMD") {
            Some(v) => Some(v.parse().map_err(|e| anyhow::anyhow!("HELPDESK_CLAMD: {e}"))?),
            None => None,
        },
        clamd_timeout: Duration::from_secs(parsed("HELPDESK_CLAMD_TIMEOUT_SECS", defaults.clamd_timeout.as_secs())?.max(1)),
        when_scanner_down: parsed("HELPDESK_CLAMD_UNAVAILABLE", defaults.when_scanner_down)?,
        store: parsed("HELPDESK_FILE_STORE", defaults.store)?,
    })
}

/// Single sign-on: issuer, client id and secret together, or none of them.
fn oidc_from_env() -> anyhow::Result<Option<OidcSettings>> {
    let Some(issuer) = var("HELPDESK_OIDC_ISSUER") else {
        return Ok(None);
    };
    let required = |name: &str| var(name).with_context(|| format!("HELPDESK_OIDC_ISSUER is set: {name} is needed too"));
    let staff_groups = crate::sso::parse_staff_groups(&var("HELPDESK_OIDC_STAFF_GROUPS").unwrap_or_default())
        .map_err(|e| anyhow::anyhow!("HELPDESK_OIDC_STAFF_GROUPS: {e}"))?;
    Ok(Some(OidcSettings {
        issuer: issuer.trim().to_owned(),
        client_id: required("HELPDESK_OIDC_CLIENT_ID")?,
        client_secret: required("HELPDESK_OIDC_CLIENT_SECRET")?,
        scopes: var("HELPDESK_OIDC_SCOPES")
            .unwrap_or_else(|| "email profile".into())
            .split([' ', ','])
            .filter(|s| !s.is_empty() && *s != "openid")
            .map(str::to_owned)
            .collect(),
        matricola_claim: var("HELPDESK_OIDC_MATRICOLA_CLAIM").unwrap_or_else(|| "matricola".into()),
        fiscal_number_claim: var("HELPDESK_OIDC_FISCAL_NUMBER_CLAIM").unwrap_or_else(|| "fiscalNumber".into()),
        groups_claim: var("HELPDESK_OIDC_GROUPS_CLAIM").unwrap_or_else(|| "groups".into()),
        staff_groups,
        timeout: Duration::from_secs(parsed("HELPDESK_OIDC_TIMEOUT_SECS", 5)?),
        metadata_ttl: Duration::from_secs(parsed("HELPDESK_OIDC_METADATA_TTL_SECS", 3600)?),
    }))
}

/// The data folder holds the database, identity documents, mails and the signing key: its
/// owner only (0700). What earlier versions left readable in it directly (the database, the
/// key, the attachment and mail folders) is tightened too; deeper files are behind these.
/// New files are private by the umask set at start (`main`).
pub fn make_private(data_dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
    for entry in std::fs::read_dir(data_dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let mode = if kind.is_dir() {
            0o700
        } else if kind.is_file() {
            0o600
        } else {
            continue;
        };
        std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// HS256 keys shorter than its 32-byte hash can be brute-forced offline from one token.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// `HELPDESK_JWT_SECRET` as given: refused when too short to sign sessions safely.
fn given_secret(secret: String) -> anyhow::Result<Vec<u8>> {
    if secret.len() < MIN_JWT_SECRET_BYTES {
        anyhow::bail!(
            "HELPDESK_JWT_SECRET is {} bytes; it must be at least {MIN_JWT_SECRET_BYTES} (e.g. `openssl rand -base64 48`), \
             or leave it unset to use the key generated in the data folder",
            secret.len()
        );
    }
    Ok(secret.into_bytes())
}

/// The signing key kept in the data folder, so tokens survive a restart.
fn stored_secret(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join("jwt.key");
    if let Ok(existing) = std::fs::read(&path) {
        if existing.len() >= 32 {
            return Ok(existing);
        }
    }
    let mut key = vec![0u8; 64];
    rand::thread_rng().fill_bytes(&mut key);
    write_private(&path, &key).with_context(|| format!("writing {}", path.display()))?;
    Ok(key)
}

/// Writes `bytes` to a file only its owner can read, whatever the umask.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    // A key file from an older version keeps its old mode on open: tighten it.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_jwt_secret_is_refused_with_the_reason() {
        let error = given_secret("x".repeat(31)).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("HELPDESK_JWT_SECRET is 31 bytes") && error.contains("at least 32"), "{error}");
        assert_eq!(given_secret("k".repeat(32)).ok(), Some(vec![b'k'; 32]));
    }
}
