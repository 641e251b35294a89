//! Writes that another site started are refused before any handler runs (the rule is
//! `auth::from_another_site`'s); the refusal is the API's 403.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::ResponseError;

use super::ApiError;
use crate::auth::{from_another_site, is_write};
use crate::error::ServiceError;

pub async fn refuse_cross_site_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if is_write(req.method()) && from_another_site(req.headers()) {
        tracing::warn!(path = %req.path(), "a cross-site write was refused");
        let refusal = ApiError::from(ServiceError::Forbidden("requests from other sites cannot change anything here".into()));
        return Ok(req.into_response(refusal.error_response()).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}
