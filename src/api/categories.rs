use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{ApiError, Data};
use crate::auth::MaybeUser;
use crate::categories::CategoryView;
use crate::domain::Locale;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LocaleParam {
    /// `it` or `en`; else the user's language, else Accept-Language, else Italian.
    pub locale: Option<Locale>,
}

/// The language of an answer: asked for, the user's own, the browser's, or Italian.
pub fn pick_locale(req: &HttpRequest, asked: Option<Locale>, user: Option<Locale>) -> Locale {
    asked.or(user).unwrap_or_else(|| {
        Locale::from_accept_language(req.headers().get("accept-language").and_then(|v| v.to_str().ok()).unwrap_or(""))
    })
}

#[utoipa::path(tag = "categories", operation_id = "list_categories", params(LocaleParam), responses((status = 200, body = Vec<CategoryView>)))]
#[get("/categories")]
pub async fn list(state: Data, req: HttpRequest, user: MaybeUser, query: web::Query<LocaleParam>) -> Result<HttpResponse, ApiError> {
    let locale = pick_locale(&req, query.locale, user.0.map(|u| u.locale));
    let categories = state.categories().await?;
    Ok(HttpResponse::Ok().json(categories.iter().map(|c| c.view(locale)).collect::<Vec<_>>()))
}
