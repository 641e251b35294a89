use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use super::token::SESSION_COOKIE;
use crate::accounts::{self, User};
use crate::domain::Role;
use crate::api::ApiError;
use crate::error::ServiceError;
use crate::state::AppState;

/// A signed-in user of any role.
pub struct CurrentUser(pub User);
/// A signed-in user, or nobody (guest routes).
pub struct MaybeUser(pub Option<User>);
/// An agent, supervisor or admin.
pub struct Staff(pub User);
/// An admin.
pub struct Admin(pub User);

fn bearer_or_cookie(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned());
    }
    req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned())
}

fn has_bearer(req: &HttpRequest) -> bool {
    req.headers().contains_key(actix_web::http::header::AUTHORIZATION)
}

/// The verified session claims of a request (for logout).
pub fn claims_of(req: &HttpRequest, keys: &super::JwtKeys) -> Option<super::Claims> {
    keys.verify(&bearer_or_cookie(req)?)
}

/// The one place where a token becomes a user: signature, expiry, revocation, account state.
async fn authenticate(req: &HttpRequest) -> Result<Option<User>, ApiError> {
    let Some(token) = bearer_or_cookie(req) else {
        return Ok(None);
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::from(ServiceError::Internal("application state missing".into())))?;
    let Some(claims) = state.keys.verify(&token) else {
        return Err(ServiceError::Unauthenticated.into());
    };
    if let Some(user) = state.sessions.get(&claims.jti) {
        return Ok(Some(user));
    }
    let jti = claims.jti.clone();
    let user = state
        .db
        .read(move |conn| accounts::session_user(conn, &claims.sub, &claims.jti))
        .await?;
    match user {
        Some(user) => {
            state.sessions.put(&jti, user.clone());
            Ok(Some(user))
        }
        None => Err(ServiceError::Unauthenticated.into()),
    }
}

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match authenticate(&req).await {
                // A stale cookie on a public route is nobody; a bad Bearer token stays 401.
                Err(ApiError::Service(ServiceError::Unauthenticated)) if !has_bearer(&req) => Ok(MaybeUser(None)),
                other => other.map(MaybeUser),
            }
        })
    }
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authenticate(&req).await?.map(CurrentUser).ok_or_else(|| ServiceError::Unauthenticated.into())
        })
    }
}

/// A signed-in user whose role passes `allowed`; 403 with `refusal` otherwise.
async fn with_role(req: &HttpRequest, allowed: fn(Role) -> bool, refusal: &str) -> Result<User, ApiError> {
    let user = authenticate(req).await?.ok_or(ServiceError::Unauthenticated)?;
    if !allowed(user.role) {
        return Err(ServiceError::Forbidden(refusal.into()).into());
    }
    Ok(user)
}

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { with_role(&req, Role::is_staff, "this action is for staff only").await.map(Staff) })
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            with_role(&req, |role| role == Role::Admin, "this action is for administrators only").await.map(Admin)
        })
    }
}
