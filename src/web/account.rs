//! Sign up, sign in (password or a link by e-mail), sign out. The session is the API's: a
//! JWT in the HttpOnly `hd_session` cookie.

use std::collections::HashMap;

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{OrPage, WebError};
use super::form_view::{error_list, Field, FormState, Kind};
use super::page::{encode, local_path, redirect, Ctx};
use crate::accounts::{self as svc, NewAccount, User};
use crate::auth::SESSION_COOKIE;
use crate::domain::{Email, Role};
use crate::error::{FieldError, ServiceError};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AccountForm {
    csrf: String,
    email: String,
    password: String,
    display_name: String,
    next: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    token: Option<String>,
}

type Page = Result<HttpResponse, WebError>;

fn field<'a>(ctx: &Ctx, state: &'a FormState, key: &str, label: &str, help: Option<&str>, kind: Kind, autocomplete: &'static str) -> Field<'a> {
    Field {
        id: key.replace('_', "-"),
        name: key.to_owned(),
        label: ctx.t(label),
        help: help.map(|h| ctx.t(h)),
        required: true,
        kind,
        value: if kind == Kind::Input("password") { "" } else { state.value(key) },
        error: state.error(ctx.locale, key),
        options: Vec::new(),
        autocomplete: Some(autocomplete),
    }
}

/// One of the three account forms, with what was typed and what was wrong.
fn account_page(ctx: &Ctx, status: StatusCode, which: &str, state: &FormState, next: &str) -> Page {
    let email = field(ctx, state, "email", "account.email", (which == "sign_up").then_some("account.email_help"), Kind::Input("email"), "email");
    let mut fields = Vec::new();
    if which == "sign_up" {
        fields.push(field(ctx, state, "display_name", "account.name", None, Kind::Input("text"), "name"));
    }
    fields.push(email);
    match which {
        "sign_up" => fields.push(field(ctx, state, "password", "account.password", Some("account.password_help"), Kind::Input("password"), "new-password")),
        "sign_in" => fields.push(field(ctx, state, "password", "account.password", None, Kind::Input("password"), "current-password")),
        _ => {}
    }
    let labels: HashMap<String, String> = fields.iter().map(|f| (f.id.clone(), f.label.clone())).collect();
    let errors: Vec<FieldError> = state.errors.iter().filter(|e| e.field != "form").cloned().collect();
    let notice = state.errors.iter().find(|e| e.field == "form").map(|e| ctx.t(&e.message));
    let title = ctx.t(&format!("account.{which}_title"));
    let page = json!({
        "which": which, "next": next, "notice": notice,
        "fields": fields.iter().map(Field::to_json).collect::<Vec<Value>>(),
        "error_list": error_list(ctx.locale, &errors, &labels),
        "submit": ctx.t(match which { "sign_up" => "account.sign_up", "sign_in" => "account.sign_in", _ => "account.send_link" }),
        "action": match which { "sign_up" => "/sign-up", "sign_in" => "/sign-in", _ => "/sign-in/link" },
        "next_q": encode(next),
    });
    ctx.render_status(status, "pages/account", &title, page)
}

fn session_cookie(ctx: &Ctx, user: &User) -> Result<Cookie<'static>, WebError> {
    let (token, _) = ctx.state.keys.issue(&user.id, user.role).or_page(ctx.locale)?;
    Ok(Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(ctx.secure_cookies())
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(ctx.state.keys.ttl().num_seconds()))
        .finish())
}

fn signed_in(ctx: &Ctx, user: &User, next: &str) -> Page {
    let to = match local_path(Some(next)).as_str() {
        "/" if user.is_staff() => "/staff".to_owned(),
        "/" => "/tickets".to_owned(),
        other => other.to_owned(),
    };
    Ok(HttpResponse::SeeOther().cookie(session_cookie(ctx, user)?).insert_header(("Location", to)).finish())
}

fn with_errors(form: &AccountForm, errors: Vec<FieldError>) -> FormState {
    let mut values = HashMap::new();
    values.insert("email".to_owned(), form.email.clone());
    values.insert("display_name".to_owned(), form.display_name.clone());
    FormState { values, errors }
}

pub async fn sign_up_form(ctx: Ctx, q: web::Query<NextQuery>) -> Page {
    account_page(&ctx, StatusCode::OK, "sign_up", &FormState::default(), &local_path(q.next.as_deref()))
}

pub async fn sign_up(ctx: Ctx, form: web::Form<AccountForm>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    ctx.limit("register")?;
    let (email, display_name) = match svc::parse_account(&form.email, &form.password, &form.display_name) {
        Ok(parsed) => parsed,
        Err(ServiceError::Validation(list)) => return account_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "sign_up", &with_errors(&form, list), &form.next),
        Err(other) => return Err(ctx.fail(other)),
    };
    let password_hash = svc::hash_off_thread(form.password.clone()).await.or_page(ctx.locale)?;
    let account = NewAccount { email, password_hash, display_name, role: Role::Student, locale: ctx.locale, team_ids: Vec::new() };
    match ctx.state.db.write(move |conn| svc::create_account(conn, account)).await {
        Ok(user) => signed_in(&ctx, &user, &form.next),
        Err(ServiceError::Conflict(_)) => {
            let errors = vec![FieldError { field: "email".into(), message: ctx.t("account.taken") }];
            account_page(&ctx, StatusCode::CONFLICT, "sign_up", &with_errors(&form, errors), &form.next)
        }
        Err(other) => Err(ctx.fail(other)),
    }
}

pub async fn sign_in_form(ctx: Ctx, q: web::Query<NextQuery>) -> Page {
    account_page(&ctx, StatusCode::OK, "sign_in", &FormState::default(), &local_path(q.next.as_deref()))
}

pub async fn sign_in(ctx: Ctx, form: web::Form<AccountForm>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    ctx.limit("login")?;
    ctx.limit_account("login", &form.email)?;
    let found = svc::check_credentials(&ctx.state.db, form.email.clone(), form.password.clone()).await.or_page(ctx.locale)?;
    let Some(user) = found else {
        let errors = vec![FieldError { field: "form".into(), message: "account.bad_login".into() }];
        return account_page(&ctx, StatusCode::UNAUTHORIZED, "sign_in", &with_errors(&form, errors), &form.next);
    };
    signed_in(&ctx, &user, &form.next)
}

/// The form asking for a link, or (with `?token=`) the link itself, which signs in once.
pub async fn link(ctx: Ctx, q: web::Query<NextQuery>) -> Page {
    let Some(token) = q.token.as_deref() else {
        return account_page(&ctx, StatusCode::OK, "link", &FormState::default(), "/");
    };
    ctx.limit("sign-in-link")?;
    let bad = || FormState { values: HashMap::new(), errors: vec![FieldError { field: "form".into(), message: "account.link_bad".into() }] };
    let Some(claims) = ctx.state.keys.verify_sign_in(token) else {
        return account_page(&ctx, StatusCode::UNAUTHORIZED, "link", &bad(), "/");
    };
    match ctx.state.db.write(move |conn| svc::redeem_sign_in_link(conn, &claims)).await {
        Ok(user) => signed_in(&ctx, &user, "/tickets"),
        Err(ServiceError::Unauthenticated) => account_page(&ctx, StatusCode::UNAUTHORIZED, "link", &bad(), "/"),
        Err(other) => Err(ctx.fail(other)),
    }
}

pub async fn send_link(ctx: Ctx, form: web::Form<AccountForm>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    ctx.limit("sign-in-link")?;
    ctx.limit_account("sign-in-link", &form.email)?;
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(e) => {
            let errors = vec![FieldError { field: "email".into(), message: e.0 }];
            return account_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "link", &with_errors(&form, errors), "/");
        }
    };
    let keys = ctx.state.keys.clone();
    let base_url = ctx.state.settings.base_url.clone();
    ctx.state.db.write(move |conn| svc::send_sign_in_link(conn, &keys, &email, &base_url)).await.or_page(ctx.locale)?;
    ctx.render("pages/link_sent", &ctx.t("account.link_sent_title"), json!({}))
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(ctx: Ctx, form: web::Form<CsrfOnly>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    if let Some(claims) = crate::auth::claims_of(&ctx.req, &ctx.state.keys) {
        ctx.state.sessions.forget(&claims.jti);
        ctx.state.db.write(move |conn| svc::revoke(conn, &claims)).await.or_page(ctx.locale)?;
    }
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").http_only(true).finish();
    gone.make_removal();
    let mut res = redirect("/");
    res.add_cookie(&gone).map_err(|e| ctx.fail(ServiceError::Internal(e.to_string())))?;
    Ok(res)
}
