//! "Scarica i miei dati" on the account page: the same zip as `GET /api/v1/me/export`.

use actix_web::HttpResponse;

use super::error::{OrPage, WebError};
use super::page::Ctx;
use crate::error::ServiceError;

pub async fn export(ctx: Ctx) -> Result<HttpResponse, WebError> {
    let user = ctx.user.clone().ok_or_else(|| ctx.fail(ServiceError::Unauthenticated))?;
    crate::api::privacy::export_download(&ctx.state, user).await.or_page(ctx.locale)
}
