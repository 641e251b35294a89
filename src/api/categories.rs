use actix_web::{get, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{ApiError, Data};
use crate::auth::{Admin, MaybeUser};
use crate::categories::{self, notice, CategoryView, NoticeView, Text};
use crate::domain::Locale;
use crate::error::ServiceError;

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

/// A category's privacy notice as an admin sets it: both languages, or both empty for none.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeEdit {
    pub it: String,
    pub en: String,
}

/// The current privacy notice of a category (`null`: none).
#[utoipa::path(tag = "admin", operation_id = "get_privacy_notice", params(("slug" = String, Path), LocaleParam),
    responses((status = 200, body = Option<NoticeView>), (status = 403, body = super::Problem), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/admin/categories/{slug}/privacy-notice")]
pub async fn get_notice(state: Data, req: HttpRequest, admin: Admin, path: web::Path<String>, query: web::Query<LocaleParam>) -> Result<HttpResponse, ApiError> {
    let locale = pick_locale(&req, query.locale, Some(admin.0.locale));
    let slug = path.into_inner();
    let category = state.db.read(move |conn| categories::any_by_slug(conn, &slug)).await?.ok_or(ServiceError::NotFound)?;
    Ok(HttpResponse::Ok().json(category.notice.map(|n| n.view(locale))))
}

/// Sets a category's privacy notice: a changed text is its next version (tickets keep the
/// version they acknowledged); both texts empty remove it; the same text changes nothing.
#[utoipa::path(tag = "admin", operation_id = "put_privacy_notice", params(("slug" = String, Path)), request_body = NoticeEdit,
    responses((status = 200, body = Option<NoticeView>), (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[put("/admin/categories/{slug}/privacy-notice")]
pub async fn put_notice(state: Data, admin: Admin, path: web::Path<String>, body: web::Json<NoticeEdit>) -> Result<HttpResponse, ApiError> {
    let slug = path.into_inner();
    let NoticeEdit { it, en } = body.into_inner();
    let notice = state.db.write(move |conn| notice::set(conn, &slug, &Text { it, en })).await?;
    state.catalog.clear();
    Ok(HttpResponse::Ok().json(notice.map(|n| n.view(admin.0.locale))))
}
