//! Liveness, readiness (database and outbox lag) and Prometheus metrics.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::Data;
use crate::error::ServiceError;
use crate::mail::outbox;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn outbox_state(state: &Data) -> Result<(i64, i64), ServiceError> {
    let (depth, oldest) = state.db.read(|conn| Ok::<_, ServiceError>(outbox::pending(conn)?)).await?;
    let age = oldest.map(|t| (chrono::Utc::now().naive_utc() - t).num_seconds().max(0)).unwrap_or(0);
    Ok((depth, age))
}

/// The virus scanner: `off` (not configured), `ok`, or `unreachable` (uploads are refused with
/// 503 meanwhile, or kept and flagged with `HELPDESK_CLAMD_UNAVAILABLE=accept`). It does not make
/// the desk unready: everything but uploads works without it.
async fn scanner_state(state: &Data) -> &'static str {
    let Some(clamd) = state.files.scanner().cloned() else {
        return "off";
    };
    match web::block(move || clamd.ping()).await {
        Ok(Ok(())) => "ok",
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "virus scanner unreachable");
            "unreachable"
        }
        Err(_) => "unreachable",
    }
}

pub async fn readyz(state: Data) -> HttpResponse {
    match outbox_state(&state).await {
        Ok((depth, age)) => HttpResponse::Ok().json(json!({
            "status": "ready",
            "database": "ok",
            "outbox": {"depth": depth, "oldest_age_seconds": age},
            "virus_scanner": scanner_state(&state).await,
        })),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            let wait = match &e {
                ServiceError::Db(db) => db.retry_after().unwrap_or(1),
                _ => 1,
            };
            HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", wait.to_string()))
                .json(json!({"status": "unavailable", "database": "unreachable"}))
        }
    }
}

pub async fn metrics(state: Data) -> HttpResponse {
    let (depth, age) = outbox_state(&state).await.unwrap_or((-1, -1));
    let body = format!(
        "# HELP helpdesk_outbox_depth Notifications waiting to be sent.\n# TYPE helpdesk_outbox_depth gauge\nhelpdesk_outbox_depth {depth}\n\
         # HELP helpdesk_outbox_oldest_age_seconds Age of the oldest unsent notification.\n# TYPE helpdesk_outbox_oldest_age_seconds gauge\nhelpdesk_outbox_oldest_age_seconds {age}\n"
    );
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(body)
}

/// Liveness only: what the public address serves when operations have their own address.
pub fn public_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz));
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}
