//! The auth extractors at the API's edge: `auth` says who calls (or a `ServiceError`), this
//! turns its refusal into the API's answer. Pages read `auth::authenticate` themselves.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, FromRequest, HttpRequest};

use super::ApiError;
use crate::auth::{authenticate, with_role, Admin, CurrentUser, MaybeUser, Staff};
use crate::domain::Role;
use crate::error::ServiceError;

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            // A stale cookie is nobody (see `authenticate`); a bad Bearer token stays 401.
            Ok(authenticate(&req).await.map(MaybeUser)?)
        })
    }
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            Ok(authenticate(&req).await?.map(CurrentUser).ok_or(ServiceError::Unauthenticated)?)
        })
    }
}


impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(with_role(&req, Role::is_staff, "this action is for staff only").await.map(Staff)?) })
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            Ok(with_role(&req, |role| role == Role::Admin, "this action is for administrators only").await.map(Admin)?)
        })
    }
}
