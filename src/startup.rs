//! Builds the application: database, migrations and seed, the route table, the server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Compress, DefaultHeaders, Next};
use actix_web::HttpMessage;
use actix_web::{web, App, HttpServer};
use diesel::prelude::*;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::api::{self, body, ApiDoc, ApiError};

use crate::auth::JwtKeys;
use crate::config::Settings;
use crate::db::schema::users;
use crate::db::Db;
use crate::domain::Role;
use crate::mail::mailer::Mailer;
use crate::state::AppState;
use crate::files::FileStore;

/// Migrations, the search index of tickets a migration marked, then the seed of teams,
/// categories, career-action types and the academic calendar (idempotent).
pub fn prepare_database(db: &Db) -> anyhow::Result<()> {
    db.migrate()?;
    let mut conn = db.get_writer()?;
    // SQLite's ticket search stems are computed in Rust: index what a migration marked.
    let indexed = crate::tickets::search_index::backfill(&mut conn)?;
    if indexed > 0 {
        tracing::info!(indexed, "ticket search: backfilled");
    }
    crate::categories::seed(&mut conn)?;
    crate::privacy::retention::seed(&mut conn)?;
    // After retention: the default notices say each category's period.
    crate::categories::notice::seed(&mut conn)?;
    crate::career::catalog::seed(&mut conn)?;
    crate::career::calendar::seed(&mut conn)?;
    crate::kb::import_if_empty(&mut conn)?;
    crate::canned::seed(&mut conn)?;
    Ok(())
}

pub fn has_admin(db: &Db) -> anyhow::Result<bool> {
    let mut conn = db.get_writer()?;
    let count: i64 = users::table.filter(users::role.eq(Role::Admin)).count().get_result(&mut *conn)?;
    Ok(count > 0)
}

pub struct Application {
    port: u16,
    server: Server,
    /// `/readyz` and `/metrics` on their own address (`HELPDESK_OPS_BIND`).
    ops: Option<(u16, Server)>,
    state: AppState,
}

const LISTENING: &str = "HELPDESK_LISTENING";

/// The ports in a [`Application::listening_line`]: `(port, ops_port)`; `None` for other lines.
pub fn parse_listening_line(line: &str) -> Option<(u16, Option<u16>)> {
    let mut words = line.trim().split(' ');
    if words.next()? != LISTENING {
        return None;
    }
    let (mut port, mut ops) = (None, None);
    for word in words {
        match word.split_once('=')? {
            ("port", p) => port = Some(p.parse().ok()?),
            ("ops_port", "-") => {}
            ("ops_port", p) => ops = Some(p.parse().ok()?),
            _ => {}
        }
    }
    Some((port?, ops))
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = Db::connect_with(&settings.database_url, settings.db_pool_size, &settings.db)?;
        let ready = db.clone();
        tokio::task::spawn_blocking(move || prepare_database(&ready)).await??;
        let files = FileStore::configured(settings.attachments_dir(), &settings.files, &db)?;
        match files.scanner() {
            Some(clamd) => tracing::info!(clamd = %clamd.address(), "uploads are scanned for viruses"),
            None => tracing::warn!("HELPDESK_CLAMD is not set: uploads are not scanned for viruses"),
        }
        tracing::info!(store = %files.describe(), "attachments are stored in");
        let keys = Arc::new(JwtKeys::new(&settings.jwt_secret, settings.token_ttl_hours));
        let listener = TcpListener::bind(settings.bind)?;
        let port = listener.local_addr()?.port();
        let ops_listener = settings.ops_bind.map(TcpListener::bind).transpose()?;
        let workers = settings.workers.max(1);
        let limiter = Arc::new(crate::auth::RateLimiter::new(settings.rate_limit_per_minute, settings.account_rate_limit_per_minute));
        let sessions = Arc::new(crate::auth::session_cache(settings.cache_ttl));
        let catalog = Arc::new(crate::categories::catalog(settings.cache_ttl));
        let sso = match &settings.oidc {
            Some(oidc) => Some(Arc::new(crate::sso::Sso::new(oidc.clone(), &settings.base_url).map_err(anyhow::Error::msg)?)),
            None => None,
        };
        let state = AppState { db, settings: Arc::new(settings), keys, files, limiter, sessions, catalog, sso };
        let mailer = Arc::new(Mailer::new(
            state.settings.smtp_url.as_deref(),
            state.settings.mail_dir(),
            &state.settings.mail_from,
            state.settings.mail.batch.clamp(1, 64) as u32,
            crate::mail::reply_token::ReplyKey::new(&state.settings.jwt_secret),
        )?);
        crate::mail::worker::spawn(state.db.clone(), mailer, state.settings.mail.clone());
        let jobs = crate::jobs::JobContext {
            base_url: state.settings.base_url.clone(),
            config: state.settings.jobs.clone(),
            files: Some(state.files.clone()),
            privacy: state.settings.privacy.clone(),
            search: state.settings.search,
        };
        crate::jobs::spawn(state.db.clone(), jobs);
        let server = run(listener, state.clone(), workers, ops_listener.is_none())?;
        let ops = match ops_listener {
            Some(listener) => Some((listener.local_addr()?.port(), run_ops(listener, state.clone())?)),
            None => None,
        };
        Ok(Self { port, server, ops, state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the operations address, when there is one.
    pub fn ops_port(&self) -> Option<u16> {
        self.ops.as_ref().map(|(port, _)| *port)
    }

    /// The line `serve` prints once it listens, for scripts and tests (the banner is for people):
    /// `HELPDESK_LISTENING port=8080 ops_port=9091` (`ops_port=-` without an operations address).
    pub fn listening_line(&self) -> String {
        let ops = self.ops_port().map_or_else(|| "-".to_owned(), |p| p.to_string());
        format!("{LISTENING} port={} ops_port={ops}", self.port)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.ops {
            Some((_, ops)) => futures_util::future::try_join(self.server, ops).await.map(|_| ()),
            None => self.server.await,
        }
    }
}

/// Returns the request id of the log lines (set by TracingLogger) as `X-Request-Id`.
async fn echo_request_id(req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(value) = id.and_then(|id| actix_web::http::header::HeaderValue::from_str(&id).ok()) {
        res.headers_mut().insert(actix_web::http::header::HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}

/// The OpenAPI document of exactly the routes that `api::configure` registers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(api::configure).split_for_parts();
    doc
}

/// The operations address: readiness and metrics for the orchestrator and Prometheus only.
fn run_ops(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .configure(api::ops_routes)
            .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(ApiError::NoRoute) }))
    })
    .workers(1)
    .worker_max_blocking_threads(2)
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}

/// `public_ops`: serve `/readyz` and `/metrics` here too (no operations address of their own).
fn run(listener: TcpListener, state: AppState, workers: usize, public_ops: bool) -> anyhow::Result<Server> {
    let max_json = state.settings.max_json_bytes;
    let blocking_threads = (state.settings.db_pool_size as usize).clamp(2, 64);
    let data = web::Data::new(state);
    let doc = web::Data::new(api::OpenApiJson(openapi()));
    let server = HttpServer::new(move || {
        App::new()
            .into_utoipa_app()
            .app_data(data.clone())
            .app_data(doc.clone())
            .app_data(web::JsonConfig::default().limit(max_json).error_handler(body::json_error))
            .app_data(web::QueryConfig::default().error_handler(body::query_error))
            .app_data(web::PayloadConfig::default().limit(max_json))
            .configure(api::configure)
            .into_app()
            .configure(if public_ops { api::ops_routes } else { api::public_ops_routes })
            .configure(crate::web::routes)
            .default_service(web::to(crate::web::no_route))
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("X-Frame-Options", "DENY"))
                    .add(("Referrer-Policy", "same-origin")),
            )
            .wrap(from_fn(crate::api::refuse_cross_site_writes))
            .wrap(Compress::default())
            .wrap(from_fn(echo_request_id))
            .wrap(TracingLogger::<crate::telemetry::RedactedRootSpan>::new())
    })
    .workers(workers)
    // Database calls are the only blocking work: a few threads per worker serve them all,
    // where the default (512 in all) lets memory grow with every burst.
    .worker_max_blocking_threads(blocking_threads)
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}

#[cfg(test)]
mod tests {
    use super::parse_listening_line;

    #[test]
    fn the_listening_line_reads_back() {
        assert_eq!(parse_listening_line("HELPDESK_LISTENING port=8080 ops_port=-"), Some((8080, None)));
        assert_eq!(parse_listening_line("HELPDESK_LISTENING port=8080 ops_port=9091\n"), Some((8080, Some(9091))));
        assert_eq!(parse_listening_line("helpdesk serving at http://127.0.0.1:8080 (SQLite, port 8080)"), None);
        assert_eq!(parse_listening_line("HELPDESK_LISTENING ops_port=-"), None);
    }
}
