use actix_web::{get, web, HttpResponse};
use serde::Deserialize;

use super::{ApiError, Data};
use crate::domain::Locale;
use crate::error::ServiceError;
use crate::kb::{self, KbHit};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct KbQuery {
    /// The question, in Italian or English (1 to 200 characters).
    q: Option<String>,
    /// `it` or `en`; both languages when absent.
    locale: Option<Locale>,
    /// At most this many results (1 to 50; default 10).
    limit: Option<i64>,
}

/// The guide's articles best matching a question, best first.
#[utoipa::path(tag = "knowledge base", params(KbQuery), responses(
    (status = 200, body = Vec<KbHit>),
    (status = 422, description = "q is empty or too long")
))]
#[get("/kb/search")]
pub async fn search(state: Data, query: web::Query<KbQuery>) -> Result<HttpResponse, ApiError> {
    let KbQuery { q, locale, limit } = query.into_inner();
    let q = kb::checked_query(q.as_deref())?;
    let limit = limit.unwrap_or(10);
    let hits = state.db.read(move |conn| kb::search(conn, &q, locale, limit).map_err(ServiceError::from)).await?;
    Ok(HttpResponse::Ok().json(hits))
}
