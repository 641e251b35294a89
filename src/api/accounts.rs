use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ApiError, Data};
use crate::accounts::{self as svc, NewAccount, User};
use crate::auth::{CurrentUser, SESSION_COOKIE};
use crate::domain::{Email, Locale, Role};
use crate::error::ServiceError;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    email: String,
    password: String,
    display_name: String,
    #[serde(default)]
    locale: Option<Locale>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserResponse {
    user: User,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    email: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    token: String,
    expires_at: chrono::DateTime<chrono::Utc>,
    user: User,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInLinkRequest {
    email: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    token: String,
}

/// Issues a session: the token in the body (for Bearer) and in an HttpOnly cookie (for pages).
fn session_response(state: &AppState, user: User, status: actix_web::http::StatusCode) -> Result<HttpResponse, ApiError> {
    let (token, claims) = state.keys.issue(&user.id, user.role)?;
    let secure = state.settings.base_url.starts_with("https://");
    let cookie = Cookie::build(SESSION_COOKIE, token.clone())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(state.keys.ttl().num_seconds()))
        .finish();
    let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_default();
    Ok(HttpResponse::build(status).cookie(cookie).json(LoginResponse { token, expires_at, user }))
}

#[utoipa::path(tag = "accounts", request_body = RegisterRequest,
    responses((status = 201, body = UserResponse), (status = 409, body = super::Problem), (status = 422, body = super::Problem)))]
#[post("/auth/register")]
pub async fn register(state: Data, req: HttpRequest, body: web::Json<RegisterRequest>) -> Result<HttpResponse, ApiError> {
    state.limit(&req, "register")?;
    let body = body.into_inner();
    let (email, display_name) = svc::parse_account(&body.email, &body.password, &body.display_name)?;
    let password_hash = svc::hash_off_thread(body.password).await?;
    let account = NewAccount {
        email,
        password_hash,
        display_name,
        role: Role::Student,
        locale: body.locale.unwrap_or_default(),
        team_ids: Vec::new(),
    };
    let user = state.db.write(move |conn| svc::create_account(conn, account)).await?;
    Ok(HttpResponse::Created().json(UserResponse { user }))
}

#[utoipa::path(tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = super::Problem), (status = 429, body = super::Problem)))]
#[post("/auth/login")]
pub async fn login(state: Data, req: HttpRequest, body: web::Json<LoginRequest>) -> Result<HttpResponse, ApiError> {
    state.limit(&req, "login")?;
    state.limit_account("login", &body.email)?;
    let LoginRequest { email, password } = body.into_inner();
    let user = svc::check_credentials(&state.db, email, password).await?.ok_or(ServiceError::Unauthenticated)?;
    session_response(&state, user, actix_web::http::StatusCode::OK)
}

#[utoipa::path(tag = "accounts", responses((status = 204), (status = 401, body = super::Problem)), security(("bearer" = [])))]
#[post("/auth/logout")]
pub async fn logout(state: Data, req: HttpRequest, _user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let claims = crate::auth::claims_of(&req, &state.keys).ok_or(ServiceError::Unauthenticated)?;
    state.sessions.forget(&claims.jti);
    state.db.write(move |conn| svc::revoke(conn, &claims)).await?;
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").http_only(true).finish();
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}

/// Mails a one-time sign-in link (15 minutes). Always 202, so it tells nobody who has an account.
#[utoipa::path(tag = "accounts", request_body = SignInLinkRequest, responses((status = 202)))]
#[post("/auth/sign-in-link")]
pub async fn sign_in_link(state: Data, req: HttpRequest, body: web::Json<SignInLinkRequest>) -> Result<HttpResponse, ApiError> {
    state.limit(&req, "sign-in-link")?;
    state.limit_account("sign-in-link", &body.email)?;
    let email = Email::parse(&body.email).map_err(|e| ServiceError::field("email", e.0))?;
    let keys = state.keys.clone();
    let base_url = state.settings.base_url.clone();
    state.db.write(move |conn| svc::send_sign_in_link(conn, &keys, &email, &base_url)).await?;
    Ok(HttpResponse::Accepted().json(json!({"status": "sent"})))
}

/// Exchanges a mailed sign-in link for a session; each link works once.
#[utoipa::path(tag = "accounts", request_body = RedeemRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = super::Problem)))]
#[post("/auth/sign-in-link/redeem")]
pub async fn redeem_sign_in_link(state: Data, req: HttpRequest, body: web::Json<RedeemRequest>) -> Result<HttpResponse, ApiError> {
    state.limit(&req, "sign-in-link")?;
    let claims = state.keys.verify_sign_in(&body.token).ok_or(ServiceError::Unauthenticated)?;
    let user = state.db.write(move |conn| svc::redeem_sign_in_link(conn, &claims)).await?;
    session_response(&state, user, actix_web::http::StatusCode::OK)
}

#[utoipa::path(tag = "accounts", responses((status = 200, body = User), (status = 401, body = super::Problem)), security(("bearer" = [])))]
#[get("/me")]
pub async fn me(user: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(user.0)
}
