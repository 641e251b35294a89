//! "Scarica i miei dati" on the account page: the same zip as `GET /api/v1/me/export`.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::HttpResponse;

use super::error::{OrPage, WebError};
use super::page::Ctx;
use crate::error::ServiceError;

pub async fn export(ctx: Ctx) -> Result<HttpResponse, WebError> {
    let user = ctx.user.clone().ok_or_else(|| ctx.fail(ServiceError::Unauthenticated))?;
    let (zip, name) = crate::api::privacy::export_zip(&ctx.state, user).await.or_page(ctx.locale)?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header(ContentDisposition { disposition: DispositionType::Attachment, parameters: vec![DispositionParam::Filename(name)] })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(zip))
}
