//! What the benchmarks share: settings from the environment, free ports, and throwaway
//! PostgreSQL databases.

use std::net::TcpListener;

use anyhow::{Context, Result};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}={v}: {e}")),
        _ => Ok(default),
    }
}

/// A port nobody listens on now; the server binds it a moment later.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// A fresh database on the PostgreSQL server, dropped afterwards so runs leave nothing behind.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
    /// Left on the server when dropped (BENCH_KEEP).
    keep: bool,
}

impl PgDatabase {
    pub fn create(admin_url: &str) -> Result<Self> {
        let name = format!("hd_bench_{}", uuid::Uuid::new_v4().simple());
        let (base, _) = admin_url
            .rsplit_once('/')
            .context("HELPDESK_TEST_PG_URL must end with a database name")?;
        let mut conn = diesel::PgConnection::establish(admin_url)
            .with_context(|| format!("connecting to {admin_url}"))?;
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .context("creating the bench database")?;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
            keep: false,
        })
    }

    /// The database `name`, created when missing and left on the server afterwards.
    #[allow(dead_code)] // the console bench's BENCH_KEEP
    pub fn kept(admin_url: &str, name: &str) -> Result<Self> {
        let (base, _) = admin_url
            .rsplit_once('/')
            .context("HELPDESK_TEST_PG_URL must end with a database name")?;
        let mut conn = diesel::PgConnection::establish(admin_url)
            .with_context(|| format!("connecting to {admin_url}"))?;
        #[derive(diesel::QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let found: Found = diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(&mut conn)?;
        if found.n == 0 {
            conn.batch_execute(&format!("CREATE DATABASE {name}"))
                .context("creating the kept bench database")?;
        }
        Ok(Self {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name: name.to_owned(),
            keep: true,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        let dropped = diesel::PgConnection::establish(&self.admin_url)
            .map_err(anyhow::Error::from)
            .and_then(|mut conn| {
                Ok(conn.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))?)
            });
        if let Err(e) = dropped {
            eprintln!("could not drop the bench database {}: {e}", self.name);
        }
    }
}

/// Where a benchmark runs.
pub enum Backend {
    Sqlite,
    Postgres { admin_url: String },
}

impl Backend {
    /// A new empty database for one server: a file in `data_dir`, or a throwaway PostgreSQL
    /// database (kept alive by the returned guard).
    pub fn fresh_database(
        &self,
        data_dir: &std::path::Path,
    ) -> Result<(String, Option<PgDatabase>)> {
        match self {
            Backend::Sqlite => Ok((
                format!("sqlite://{}", data_dir.join("helpdesk.db").display()),
                None,
            )),
            Backend::Postgres { admin_url } => {
                let db = PgDatabase::create(admin_url)?;
                Ok((db.url.clone(), Some(db)))
            }
        }
    }

    /// A database kept between runs: a file in `data_dir`, or the PostgreSQL database `name`.
    #[allow(dead_code)] // the console bench's BENCH_KEEP
    pub fn kept_database(
        &self,
        data_dir: &std::path::Path,
        name: &str,
    ) -> Result<(String, Option<PgDatabase>)> {
        match self {
            Backend::Sqlite => self.fresh_database(data_dir),
            Backend::Postgres { admin_url } => {
                let db = PgDatabase::kept(admin_url, name)?;
                Ok((db.url.clone(), Some(db)))
            }
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres { .. } => "PostgreSQL",
        }
    }
}

/// SQLite always; PostgreSQL only with a server to use, and saying so when there is none.
pub fn backends() -> Vec<Backend> {
    let mut list = vec![Backend::Sqlite];
    match std::env::var("HELPDESK_TEST_PG_URL") {
        Ok(url) if !url.trim().is_empty() => list.push(Backend::Postgres { admin_url: url }),
        _ => println!("**PostgreSQL skipped: HELPDESK_TEST_PG_URL is not set** (see BENCHMARKS.md to start a server).\n"),
    }
    list
}
