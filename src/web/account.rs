//! Sign up, sign in (password or a link by e-mail), sign out. The session is the API's: a
//! JWT in the HttpOnly `hd_session` cookie.

use std::collections::HashMap;

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{OrPage, WebError};
use super::form_view::{error_list, Field, FormState, Kind};
use super::page::{encode, local_path, redirect, Ctx};
use crate::accounts::{self as svc, NewAccount, User};
use crate::auth::{session_cookie, session_cookie_removal, Purpose};
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

pub(super) fn new_session(ctx: &Ctx, user: &User) -> Result<Cookie<'static>, WebError> {
    let (token, _) = ctx.state.keys.issue(&user.id, user.role).or_page(ctx.locale)?;
    Ok(session_cookie(token, ctx.state.keys.ttl().num_seconds(), ctx.secure_cookies()))
}

pub(super) fn signed_in(ctx: &Ctx, user: &User, next: &str) -> Page {
    let to = match local_path(Some(next)).as_str() {
        "/" if user.is_staff() => "/staff".to_owned(),
        "/" => "/tickets".to_owned(),
        other => other.to_owned(),
    };
    Ok(HttpResponse::SeeOther().cookie(new_session(ctx, user)?).insert_header(("Location", to)).finish())
}

fn with_errors(form: &AccountForm, errors: Vec<FieldError>) -> FormState {
    let mut values = HashMap::new();
    values.insert("email".to_owned(), form.email.clone());
    values.insert("display_name".to_owned(), form.display_name.clone());
    FormState { values, errors, ..Default::default() }
}

pub async fn sign_up_form(ctx: Ctx, q: web::Query<NextQuery>) -> Page {
    if ctx.flagged("sent") {
        return ctx.render("pages/link_sent", &ctx.t("account.verify_sent_title"), json!({"text": ctx.t("account.verify_sent")}));
    }
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
    let (keys, base_url) = (ctx.state.keys.clone(), ctx.state.settings.base_url.clone());
    match ctx.state.db.write(move |conn| svc::register_student(conn, &keys, account, &base_url)).await {
        // Nobody is signed in before the address is proven.
        Ok(_) => Ok(redirect("/sign-up?sent=1")),
        Err(ServiceError::Conflict(_)) => {
            let errors = vec![FieldError::text("email", ctx.t("account.taken"))];
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
    // Issue 12: with HELPDESK_STAFF_SSO_ONLY a staff password never signs in (answered as a wrong one).
    let found = found.filter(|user| crate::sso::password_sign_in_allowed(&ctx.state.settings, user));
    let Some(user) = found else {
        let errors = vec![FieldError::text("form", "account.bad_login")];
        return account_page(&ctx, StatusCode::UNAUTHORIZED, "sign_in", &with_errors(&form, errors), &form.next);
    };
    if !user.email_verified {
        let (keys, base_url, id) = (ctx.state.keys.clone(), ctx.state.settings.base_url.clone(), user.id.clone());
        ctx.state.db.write(move |conn| svc::send_verification(conn, &keys, &id, &base_url)).await.or_page(ctx.locale)?;
        let errors = vec![FieldError::text("form", "account.unverified")];
        return account_page(&ctx, StatusCode::FORBIDDEN, "sign_in", &with_errors(&form, errors), &form.next);
    }
    signed_in(&ctx, &user, &form.next)
}

/// A mailed link's confirmation page: following a link only shows it, and its POST (with the
/// page's CSRF token) does what the link is for. So a page of another site cannot sign a
/// browser into someone else's account, and a mail scanner that opens links changes nothing.
fn confirm_page(ctx: &Ctx, status: StatusCode, which: &str, action: Option<&str>, token: &str, who: Option<String>) -> Page {
    let notice = action.is_none().then(|| ctx.t(if which == "verify" { "account.verify_bad" } else { "account.link_bad" }));
    let (title, lead, submit, note) = match which {
        "verify" => ("account.verify_title", "account.verify_lead", "account.verify_button", "account.verify_note"),
        _ => ("account.link_confirm_title", "account.link_confirm", "account.sign_in", "account.link_confirm_note"),
    };
    let page = json!({"notice": notice, "lead": ctx.t(lead), "who": who, "action": action, "field": "token", "value": token,
                      "submit": ctx.t(submit), "note": ctx.t(note)});
    ctx.render_status(status, "pages/confirm", &ctx.t(title), page)
}

/// The form asking for a link, or (with `?token=`) the link's confirmation page.
pub async fn link(ctx: Ctx, q: web::Query<NextQuery>) -> Page {
    let Some(token) = q.token.as_deref() else {
        if ctx.flagged("sent") {
            return ctx.render("pages/link_sent", &ctx.t("account.link_sent_title"), json!({"text": ctx.t("account.link_sent")}));
        }
        return account_page(&ctx, StatusCode::OK, "link", &FormState::default(), "/");
    };
    match ctx.state.keys.verify_link(token, Purpose::SignIn) {
        Some(_) => confirm_page(&ctx, StatusCode::OK, "link", Some("/sign-in/link/confirm"), token, None),
        None => confirm_page(&ctx, StatusCode::UNAUTHORIZED, "link", None, "", None),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    csrf: String,
    token: String,
}

/// The confirmation of a sign-in link: signs in once.
pub async fn confirm_link(ctx: Ctx, form: web::Form<TokenForm>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    ctx.limit("sign-in-link")?;
    let Some(claims) = ctx.state.keys.verify_link(&form.token, Purpose::SignIn) else {
        return confirm_page(&ctx, StatusCode::UNAUTHORIZED, "link", None, "", None);
    };
    match ctx.state.db.write(move |conn| svc::redeem_sign_in_link(conn, &claims)).await {
        Ok(user) => signed_in(&ctx, &user, "/tickets"),
        Err(ServiceError::Unauthenticated) => confirm_page(&ctx, StatusCode::UNAUTHORIZED, "link", None, "", None),
        Err(other) => Err(ctx.fail(other)),
    }
}

/// A registration's verification link: the page names the account it would confirm.
pub async fn verify_form(ctx: Ctx, q: web::Query<NextQuery>) -> Page {
    let token = q.token.clone().unwrap_or_default();
    let Some(claims) = ctx.state.keys.verify_link(&token, Purpose::VerifyEmail) else {
        return confirm_page(&ctx, StatusCode::UNAUTHORIZED, "verify", None, "", None);
    };
    match ctx.state.db.read(move |conn| svc::verification_target(conn, &claims)).await {
        Ok(user) => {
            let who = format!("{} · {}", user.display_name, user.email);
            confirm_page(&ctx, StatusCode::OK, "verify", Some("/verify-email"), &token, Some(who))
        }
        Err(ServiceError::Unauthenticated | ServiceError::NotFound) => confirm_page(&ctx, StatusCode::UNAUTHORIZED, "verify", None, "", None),
        Err(other) => Err(ctx.fail(other)),
    }
}

/// The confirmation of a verification link: the address is proven and the student signed in.
pub async fn verify(ctx: Ctx, form: web::Form<TokenForm>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    ctx.limit("verify-email")?;
    let Some(claims) = ctx.state.keys.verify_link(&form.token, Purpose::VerifyEmail) else {
        return confirm_page(&ctx, StatusCode::UNAUTHORIZED, "verify", None, "", None);
    };
    match ctx.state.db.write(move |conn| svc::verify_email(conn, &claims)).await {
        Ok(user) => signed_in(&ctx, &user, "/tickets"),
        Err(ServiceError::Unauthenticated) => confirm_page(&ctx, StatusCode::UNAUTHORIZED, "verify", None, "", None),
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
            let errors = vec![FieldError::from(("email".to_owned(), e))];
            return account_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "link", &with_errors(&form, errors), "/");
        }
    };
    let keys = ctx.state.keys.clone();
    let base_url = ctx.state.settings.base_url.clone();
    ctx.state.db.write(move |conn| svc::send_sign_in_link(conn, &keys, &email, &base_url)).await.or_page(ctx.locale)?;
    Ok(redirect("/sign-in/link?sent=1"))
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(ctx: Ctx, form: web::Form<CsrfOnly>) -> Page {
    ctx.check_csrf(&form.csrf)?;
    if let Some(claims) = crate::auth::claims_of(&ctx.req, &ctx.state.keys, ctx.secure_cookies()) {
        ctx.state.sessions.forget(&claims.jti);
        ctx.state.db.write(move |conn| svc::revoke(conn, &claims)).await.or_page(ctx.locale)?;
    }
    let mut res = redirect("/");
    res.add_cookie(&session_cookie_removal(ctx.secure_cookies())).map_err(|e| ctx.fail(ServiceError::Internal(e.to_string())))?;
    Ok(res)
}
