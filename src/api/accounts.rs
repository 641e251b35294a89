use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ApiError, Data};
use crate::accounts::{self as svc, NewAccount, User};
use crate::auth::{session_cookie, session_cookie_removal, CurrentUser, Purpose};
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
    /// What a browser signed in by the cookie sends as `X-CSRF-Token` on API writes.
    csrf_token: String,
    user: User,
}

/// The signed-in user, and the session's CSRF token for cookie-authenticated API writes.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    #[serde(flatten)]
    user: User,
    csrf_token: String,
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
    let cookie = session_cookie(token.clone(), state.keys.ttl().num_seconds(), state.secure_cookies());
    let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_default();
    let csrf_token = state.keys.csrf_token(&claims.jti);
    Ok(HttpResponse::build(status).cookie(cookie).json(LoginResponse { token, expires_at, csrf_token, user }))
}

/// Creates a student account that cannot sign in until the address is confirmed: a
/// verification link is mailed to it (24 hours, once).
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
    let (keys, base_url) = (state.keys.clone(), state.settings.base_url.clone());
    let user = state.db.write(move |conn| svc::register_student(conn, &keys, account, &base_url)).await?;
    Ok(HttpResponse::Created().json(UserResponse { user }))
}

/// A password that matched an account whose address is not confirmed: a fresh verification
/// link goes to the address, and the answer says so (only the password's owner learns it).
async fn refuse_unverified(state: &AppState, user: &User) -> Result<ServiceError, ServiceError> {
    let (keys, base_url, id) = (state.keys.clone(), state.settings.base_url.clone(), user.id.clone());
    state.db.write(move |conn| svc::send_verification(conn, &keys, &id, &base_url)).await?;
    Ok(ServiceError::Forbidden("confirm your e-mail address first: we have sent you a new link".into()))
}

#[utoipa::path(tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = super::Problem), (status = 429, body = super::Problem)))]
#[post("/auth/login")]
pub async fn login(state: Data, req: HttpRequest, body: web::Json<LoginRequest>) -> Result<HttpResponse, ApiError> {
    state.limit(&req, "login")?;
    state.limit_account("login", &body.email)?;
    let LoginRequest { email, password } = body.into_inner();
    let user = svc::check_credentials(&state.db, email, password).await?.ok_or(ServiceError::Unauthenticated)?;
    // Issue 12: with HELPDESK_STAFF_SSO_ONLY a staff password never signs in (answered as a wrong one).
    if !crate::sso::password_sign_in_allowed(&state.settings, &user) {
        return Err(ServiceError::Unauthenticated.into());
    }
    if !user.email_verified {
        return Err(refuse_unverified(&state, &user).await?.into());
    }
    session_response(&state, user, actix_web::http::StatusCode::OK)
}

#[utoipa::path(tag = "accounts", responses((status = 204), (status = 401, body = super::Problem)), security(("bearer" = [])))]
#[post("/auth/logout")]
pub async fn logout(state: Data, req: HttpRequest, _user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let claims = crate::auth::claims_of(&req, &state.keys, state.secure_cookies()).ok_or(ServiceError::Unauthenticated)?;
    state.sessions.forget(&claims.jti);
    state.db.write(move |conn| svc::revoke(conn, &claims)).await?;
    Ok(HttpResponse::NoContent().cookie(session_cookie_removal(state.secure_cookies())).finish())
}

/// Mails a one-time sign-in link (15 minutes) to a student account. Always 202, so it tells
/// nobody who has an account; staff never get one.
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
    let claims = state.keys.verify_link(&body.token, Purpose::SignIn).ok_or(ServiceError::Unauthenticated)?;
    let user = state.db.write(move |conn| svc::redeem_sign_in_link(conn, &claims)).await?;
    session_response(&state, user, actix_web::http::StatusCode::OK)
}

/// Confirms a new account's address with the mailed verification link's token, and signs in.
#[utoipa::path(tag = "accounts", request_body = RedeemRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = super::Problem)))]
#[post("/auth/verify-email")]
pub async fn verify_email(state: Data, req: HttpRequest, body: web::Json<RedeemRequest>) -> Result<HttpResponse, ApiError> {
    state.limit(&req, "verify-email")?;
    let claims = state.keys.verify_link(&body.token, Purpose::VerifyEmail).ok_or(ServiceError::Unauthenticated)?;
    let user = state.db.write(move |conn| svc::verify_email(conn, &claims)).await?;
    session_response(&state, user, actix_web::http::StatusCode::OK)
}

/// Mails the verification link again to an account whose address is not confirmed. Always 202.
#[utoipa::path(tag = "accounts", request_body = SignInLinkRequest, responses((status = 202)))]
#[post("/auth/verify-email/resend")]
pub async fn resend_verification(state: Data, req: HttpRequest, body: web::Json<SignInLinkRequest>) -> Result<HttpResponse, ApiError> {
    state.limit(&req, "verify-email")?;
    let email = Email::parse(&body.email).map_err(|e| ServiceError::field("email", e.0))?;
    let (keys, base_url) = (state.keys.clone(), state.settings.base_url.clone());
    state
        .db
        .write(move |conn| match svc::login_candidate(conn, email.as_str())? {
            Some(row) => svc::send_verification(conn, &keys, &row.id, &base_url),
            None => Ok(()),
        })
        .await?;
    Ok(HttpResponse::Accepted().json(json!({"status": "sent"})))
}

#[utoipa::path(tag = "accounts", responses((status = 200, body = MeResponse), (status = 401, body = super::Problem)), security(("bearer" = [])))]
#[get("/me")]
pub async fn me(state: Data, req: HttpRequest, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let claims = crate::auth::claims_of(&req, &state.keys, state.secure_cookies()).ok_or(ServiceError::Unauthenticated)?;
    Ok(HttpResponse::Ok().json(MeResponse { user: user.0, csrf_token: state.keys.csrf_token(&claims.jti) }))
}
