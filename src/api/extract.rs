//! The auth extractors at the API's edge: `auth` says who calls (or a `ServiceError`), this
//! turns its refusal into the API's answer. Pages read `auth::authenticate` themselves.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, FromRequest, HttpRequest};

use super::ApiError;
use crate::auth::{authenticate, with_role, Admin, CurrentUser, MaybeUser, Staff};
use crate::domain::Role;
use crate::error::ServiceError;

/// `impl FromRequest for $ty`: `$who` (given the request) finds the caller or refuses.
macro_rules! extractor {
    ($ty:ident, |$req:ident| $who:expr) => {
        impl FromRequest for $ty {
            type Error = ApiError;
            type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let $req = req.clone();
                Box::pin(async move {
                    let found: Result<Self, ServiceError> = $who;
                    Ok(found?)
                })
            }
        }
    };
}

// A stale cookie is nobody (see `authenticate`); a bad Bearer token stays 401.
extractor!(MaybeUser, |req| authenticate(&req).await.map(MaybeUser));
extractor!(CurrentUser, |req| authenticate(&req).await?.map(CurrentUser).ok_or(ServiceError::Unauthenticated));
extractor!(Staff, |req| with_role(&req, Role::is_staff, "this action is for staff only").await.map(Staff));
extractor!(Admin, |req| with_role(&req, |role| role == Role::Admin, "this action is for administrators only").await.map(Admin));
