use actix_web::{post, web, HttpResponse};

use super::ApiError;
use crate::career::quote::{self, QuoteRequest};

/// Fees, admission year and deadlines computed from the guide's rules.
#[utoipa::path(tag = "career", request_body = QuoteRequest,
    responses((status = 200, description = "the computed amounts and checks"), (status = 422, body = super::Problem)))]
#[post("/career-actions/quote")]
pub async fn quote_career_action(body: web::Json<QuoteRequest>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(quote::quote(body.into_inner())?))
}
