//! "Il mio account": how this session signed in (university credentials, or e-mail and
//! password / a mailed link), the local password if there is one, and the university
//! identities linked to the account, with a button to link one.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{OrPage, WebError};
use super::page::Ctx;
use super::tickets::when;
use crate::error::ServiceError;
use crate::sso::IdentityView;

#[derive(Deserialize)]
pub struct Query {
    linked: Option<String>,
}

fn identity(ctx: &Ctx, i: &IdentityView) -> Value {
    json!({
        "issuer": i.issuer,
        "email": i.email,
        "matricola": i.matricola,
        "codice_fiscale": i.codice_fiscale,
        "linked_by": ctx.t(&format!("sso.account.linked_by_{}", i.linked_by)),
        "linked_at": when(i.linked_at, ctx.locale),
        "last_login_at": when(i.last_login_at, ctx.locale),
        "this_session": i.this_session,
    })
}

pub async fn show(ctx: Ctx, q: web::Query<Query>) -> Result<HttpResponse, WebError> {
    let user = ctx.user.clone().ok_or_else(|| ctx.fail(ServiceError::Unauthenticated))?;
    let jti = crate::auth::claims_of(&ctx.req, &ctx.state.keys, ctx.secure_cookies()).map(|c| c.jti);
    let user_id = user.id.clone();
    let found = ctx
        .state
        .db
        .read(move |conn| crate::sso::account_identities(conn, &user_id, jti.as_deref()))
        .await
        .or_page(ctx.locale)?;
    let page = json!({
        "name": user.display_name,
        "email": user.email,
        "via_sso": found.via_sso,
        "has_password": found.has_password,
        "identities": found.identities.iter().map(|i| identity(&ctx, i)).collect::<Vec<Value>>(),
        "can_link": ctx.state.sso.is_some() && found.identities.is_empty(),
        "linked": q.linked.is_some() && !found.identities.is_empty(),
        "can_erase": user.role == crate::domain::Role::Student,
    });
    ctx.render("pages/my_account", &ctx.t("sso.account.title"), page)
}
