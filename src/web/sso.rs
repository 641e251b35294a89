//! Single sign-on pages, thin over `sso::Sso`: `GET /sign-in/sso` sends the browser to the
//! identity provider, `GET /sign-in/sso/callback` signs it in (the `hd_session` cookie, as a
//! password does), `POST /account/sso/link` links an identity to the signed-in account.
//! Whatever goes wrong becomes a page that says what happened: never a session, never a 500.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::account::new_session;
use super::error::{OrPage, WebError};
use super::page::{encode, local_path, Ctx};
use crate::error::ServiceError;
use crate::sso::{Begin, Callback, Finished, Sso, SsoError};

/// The state of the sign-in under way, so the callback proves it returns to this browser.
const FLOW_COOKIE: &str = "hd_sso";
const FLOW_PATH: &str = "/sign-in/sso";

type Page = Result<HttpResponse, WebError>;

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// The service, or "not found" when single sign-on is not configured.
fn service(ctx: &Ctx) -> Result<std::sync::Arc<Sso>, WebError> {
    ctx.state.sso.clone().ok_or_else(|| WebError::not_found(ctx.locale))
}

fn flow_cookie(ctx: &Ctx, state: String) -> Cookie<'static> {
    Cookie::build(FLOW_COOKIE, state)
        .path(FLOW_PATH)
        .http_only(true)
        .secure(ctx.secure_cookies())
        // Lax: the provider sends the browser back with a top-level GET from its own site.
        .same_site(SameSite::Lax)
        .max_age(time::Duration::minutes(10))
        .finish()
}

fn to_provider(ctx: &Ctx, begin: Begin) -> HttpResponse {
    HttpResponse::SeeOther().cookie(flow_cookie(ctx, begin.state)).insert_header(("Location", begin.url)).finish()
}

pub async fn start(ctx: Ctx, q: web::Query<StartQuery>) -> Page {
    let sso = service(&ctx)?;
    ctx.limit("sso")?;
    match sso.begin(&ctx.state.db, local_path(q.next.as_deref()), None).await {
        Ok(begin) => Ok(to_provider(&ctx, begin)),
        Err(e) => failure(&ctx, e),
    }
}

/// From the account page: the same flow, ending in a link to this account.
pub async fn link(ctx: Ctx, form: web::Form<CsrfOnly>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    let sso = service(&ctx)?;
    let user = ctx.user.clone().ok_or_else(|| ctx.fail(ServiceError::Unauthenticated))?;
    ctx.limit("sso")?;
    match sso.begin(&ctx.state.db, "/account".into(), Some(user.id)).await {
        Ok(begin) => Ok(to_provider(&ctx, begin)),
        Err(e) => failure(&ctx, e),
    }
}

pub async fn callback(ctx: Ctx) -> Page {
    let sso = service(&ctx)?;
    ctx.limit("sso")?;
    let q = web::Query::<CallbackQuery>::from_query(ctx.req.query_string()).map(web::Query::into_inner).unwrap_or_default();
    let callback = Callback {
        code: q.code,
        state: q.state,
        error: q.error,
        iss: q.iss,
        browser_state: ctx.req.cookie(FLOW_COOKIE).map(|c| c.value().to_owned()),
    };
    let mut res = match sso.finish(&ctx.state.db, callback, ctx.locale).await {
        Ok(done) => signed_in(&ctx, &sso, done).await?,
        Err(e) => failure(&ctx, e)?,
    };
    // A flow is used once, whatever came of it.
    let mut gone = Cookie::build(FLOW_COOKIE, "").path(FLOW_PATH).http_only(true).finish();
    gone.make_removal();
    res.add_cookie(&gone).map_err(|e| ctx.fail(ServiceError::Internal(e.to_string())))?;
    Ok(res)
}

/// A session like a password's, remembered as single sign-on's; then where the person wanted
/// to go (students "Le mie richieste", staff the console). A link keeps the session there is.
async fn signed_in(ctx: &Ctx, sso: &Sso, done: Finished) -> Page {
    if done.linked {
        return Ok(HttpResponse::SeeOther().insert_header(("Location", "/account?linked=1")).finish());
    }
    let cookie = new_session(ctx, &done.user)?;
    let claims = ctx.state.keys.verify(cookie.value()).ok_or_else(|| ctx.fail(ServiceError::Internal("a session just issued does not verify".into())))?;
    sso.record_session(&ctx.state.db, done.identity_id, &claims).await.or_page(ctx.locale)?;
    let to = match done.next.as_str() {
        "/" if done.user.is_staff() => "/staff".to_owned(),
        "/" => "/tickets".to_owned(),
        other => other.to_owned(),
    };
    Ok(HttpResponse::SeeOther().cookie(cookie).insert_header(("Location", to)).finish())
}

/// The answer to a refused sign-in: its status and the key of its text (`sso.<key>`).
fn problem(e: &SsoError) -> Option<(StatusCode, &'static str)> {
    Some(match e {
        SsoError::NotConfigured | SsoError::Service(_) => return None,
        SsoError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        SsoError::Rejected(_) => (StatusCode::BAD_REQUEST, "rejected"),
        SsoError::Cancelled(_) => (StatusCode::UNAUTHORIZED, "cancelled"),
        SsoError::NoEmail => (StatusCode::UNPROCESSABLE_ENTITY, "no_email"),
        SsoError::EmailTaken => (StatusCode::CONFLICT, "email_taken"),
        SsoError::AlreadyLinked => (StatusCode::CONFLICT, "already_linked"),
        SsoError::Disabled => (StatusCode::FORBIDDEN, "disabled"),
    })
}

/// The page of a sign-in that did not happen: what went wrong and what to do.
fn failure(ctx: &Ctx, e: SsoError) -> Page {
    let Some((status, key)) = problem(&e) else {
        return match e {
            SsoError::Service(inner) => Err(ctx.fail(inner)),
            _ => Err(WebError::not_found(ctx.locale)),
        };
    };
    tracing::warn!(reason = %e, "single sign-on refused");
    let title = ctx.t(&format!("sso.{key}_title"));
    let page = json!({"problem": key, "detail": ctx.t(&format!("sso.{key}")), "retry": format!("{FLOW_PATH}?next={}", encode("/"))});
    ctx.render_status(status, "pages/sso_error", &title, page)
}
