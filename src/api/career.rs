//! Career procedures: the catalog of types, a student's procedures, their links to tickets,
//! status changes by staff and by the career system, and the guide's computed quotes.

use actix_web::http::header::LOCATION;
use actix_web::{get, patch, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::categories::{pick_locale, LocaleParam};
use super::{number, ApiError, Data};
use crate::auth::{Admin, CurrentUser, MaybeUser, Staff};
use crate::career::calendar::{self, AcademicYear, Cohort, WindowStatus, YearCalendar};
use crate::career::catalog::{CareerActionType, Document, Euros, Fee, Window};
use crate::career::changes::StatusChange;
use crate::career::instances::{self, today, CareerActionView, NewCareerAction};
use crate::career::integration::IntegrationReport;
use crate::career::quote::{self, QuoteRequest, TypeOnDay};
use crate::career::service;
use crate::categories::form::{FormField, Text};
use crate::domain::Locale;
use crate::error::{FieldErrors, ServiceError};

/// Fees, admission year and deadlines computed from the guide's rules, with the window of the
/// submission day (`submitted_on`, default today in Rome) for the cohort the data names.
#[utoipa::path(tag = "career", params(LocaleParam), request_body = QuoteRequest,
    responses((status = 200, description = "the computed amounts, checks and window"), (status = 422, body = super::Problem)))]
#[post("/career-actions/quote")]
pub async fn quote_career_action(
    state: Data,
    req: HttpRequest,
    user: MaybeUser,
    query: web::Query<LocaleParam>,
    body: web::Json<QuoteRequest>,
) -> Result<HttpResponse, ApiError> {
    let locale = pick_locale(&req, query.into_inner().locale, user.0.map(|u| u.locale));
    let request = body.into_inner();
    let answer = state.db.read(move |conn| quote::quote_with_window(conn, request, today(), locale)).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// A type as students and clients see it, in one language.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TypeView {
    slug: String,
    name: String,
    names: Text,
    guide_section: String,
    category: Option<String>,
    /// The windows of the academic year the day concerns (every cohort's).
    windows: Vec<Window>,
    late_fee_eur: Option<Euros>,
    fees: Vec<Fee>,
    required_documents: Vec<Document>,
    fields: Vec<FormField>,
    /// Where the day (`on`, default today) falls for the cohort asked.
    window: WindowStatus,
    /// The same as `window` (the older name).
    today: WindowStatus,
    warning: Option<String>,
}

fn type_view(t: TypeOnDay, locale: Locale) -> TypeView {
    let TypeOnDay { kind: t, window } = t;
    TypeView {
        name: t.name(locale).to_owned(),
        warning: window.warning(t.name(locale), locale),
        today: window.clone(),
        window,
        slug: t.slug,
        names: t.name,
        guide_section: t.guide_section,
        category: t.category,
        windows: t.windows,
        late_fee_eur: t.late_fee_eur,
        fees: t.fees,
        required_documents: t.required_documents,
        fields: t.fields,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TypesParams {
    /// `it` or `en`.
    locale: Option<Locale>,
    /// The day to judge (YYYY-MM-DD); default today in Rome.
    on: Option<String>,
    /// `laurea`, `laurea-magistrale` or `ciclo-unico`.
    programme: Option<String>,
    /// The year of course, 1-6.
    year: Option<String>,
    /// `libero` or `programmato`.
    access: Option<String>,
}

fn parse_day(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<chrono::NaiveDate> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    errors.check(field, chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| format!("'{raw}' is not a day YYYY-MM-DD")))
}

/// The catalog: every active type with its windows, fees, documents and form fields, and where
/// a day falls for a cohort.
#[utoipa::path(tag = "career", params(TypesParams), responses((status = 200, body = Vec<TypeView>), (status = 422, body = super::Problem)))]
#[get("/career-action-types")]
pub async fn list_types(
    state: Data,
    req: HttpRequest,
    user: MaybeUser,
    query: web::Query<TypesParams>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let locale = pick_locale(&req, q.locale, user.0.map(|u| u.locale));
    let mut errors = FieldErrors::default();
    let on = parse_day(&mut errors, "on", q.on.as_deref()).unwrap_or_else(today);
    let cohort = Cohort::parse(&mut errors, "", q.programme.as_deref(), q.year.as_deref(), q.access.as_deref());
    errors.into_result()?;
    let types = state.db.read(move |conn| quote::types_on(conn, on, &cohort)).await?;
    Ok(HttpResponse::Ok().json(types.into_iter().map(|t| type_view(t, locale)).collect::<Vec<_>>()))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct YearParam {
    /// The academic year whose windows are read or written (`2026-2027`); default the year
    /// today is in.
    academic_year: Option<String>,
}

fn year_of(raw: Option<&str>) -> Result<AcademicYear, ServiceError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(raw) => AcademicYear::parse(raw).map_err(|e| ServiceError::field("academic_year", e)),
        None => Ok(AcademicYear::of(today())),
    }
}

/// Every type as stored, retired ones included, for editing.
#[utoipa::path(tag = "admin", params(YearParam), responses((status = 200, body = Vec<CareerActionType>), (status = 403, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/admin/career-action-types")]
pub async fn admin_list_types(state: Data, _admin: Admin, query: web::Query<YearParam>) -> Result<HttpResponse, ApiError> {
    let year = year_of(query.academic_year.as_deref())?;
    Ok(HttpResponse::Ok().json(state.db.read(move |conn| quote::types_in_year(conn, year)).await?))
}

/// Creates or replaces a type (a late fee, a document…) and its windows in one academic year.
#[utoipa::path(tag = "admin", params(("slug" = String, Path), YearParam), request_body = CareerActionType,
    responses((status = 200, body = CareerActionType), (status = 403, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[put("/admin/career-action-types/{slug}")]
pub async fn admin_put_type(
    state: Data,
    _admin: Admin,
    path: web::Path<String>,
    query: web::Query<YearParam>,
    body: web::Json<CareerActionType>,
) -> Result<HttpResponse, ApiError> {
    let t = body.into_inner();
    if t.slug != path.into_inner() {
        return Err(ServiceError::field("slug", "must be the slug of the address").into());
    }
    let year = year_of(query.academic_year.as_deref())?;
    let saved = t.clone();
    state.db.write(move |conn| quote::save_type(conn, &t, year)).await?;
    Ok(HttpResponse::Ok().json(saved))
}

/// Every academic year with its status, dates and windows.
#[utoipa::path(tag = "admin", responses((status = 200, body = Vec<YearCalendar>), (status = 403, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/admin/calendars")]
pub async fn admin_calendars(state: Data, _admin: Admin) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.db.read(calendar::load_years).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyRequest {
    /// The year to copy (`2025/2026`).
    from: String,
}

/// Copies every window and date of `from` one year later as a draft of the year in the address.
#[utoipa::path(tag = "admin", params(("year" = String, Path, description = "e.g. 2026-2027")), request_body = CopyRequest,
    responses((status = 201, body = YearCalendar), (status = 403, body = super::Problem), (status = 409, body = super::Problem),
        (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/admin/calendars/{year}/copy")]
pub async fn admin_copy_calendar(
    state: Data,
    _admin: Admin,
    path: web::Path<String>,
    body: web::Json<CopyRequest>,
) -> Result<HttpResponse, ApiError> {
    let to = AcademicYear::parse(&path.into_inner()).map_err(|e| ServiceError::field("year", e))?;
    let from = AcademicYear::parse(&body.into_inner().from).map_err(|e| ServiceError::field("from", e))?;
    let draft = state.db.write(move |conn| calendar::copy(conn, from, to)).await?;
    Ok(HttpResponse::Created().json(draft))
}

/// Replaces a year as a whole: status, dated rules (instalments, ISEEU, TOLC) and every type's
/// windows — how admins correct a draft's dates before publishing it.
#[utoipa::path(tag = "admin", params(("year" = String, Path, description = "e.g. 2026-2027")), request_body = YearCalendar,
    responses((status = 200, body = YearCalendar), (status = 403, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[put("/admin/calendars/{year}")]
pub async fn admin_put_calendar(
    state: Data,
    _admin: Admin,
    path: web::Path<String>,
    body: web::Json<YearCalendar>,
) -> Result<HttpResponse, ApiError> {
    let year = AcademicYear::parse(&path.into_inner()).map_err(|e| ServiceError::field("year", e))?;
    let calendar = body.into_inner();
    if calendar.academic_year != year {
        return Err(ServiceError::field("academic_year", "must be the year of the address").into());
    }
    let saved = calendar.clone();
    state.db.write(move |conn| calendar::replace_year(conn, &calendar)).await?;
    Ok(HttpResponse::Ok().json(saved))
}

/// Publishes a year: from now on the desk judges its dates.
#[utoipa::path(tag = "admin", params(("year" = String, Path, description = "e.g. 2026-2027")),
    responses((status = 200, body = YearCalendar), (status = 403, body = super::Problem), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/admin/calendars/{year}/publish")]
pub async fn admin_publish_calendar(state: Data, _admin: Admin, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let year = AcademicYear::parse(&path.into_inner()).map_err(|e| ServiceError::field("year", e))?;
    Ok(HttpResponse::Ok().json(state.db.write(move |conn| calendar::publish(conn, year)).await?))
}

/// Starts a procedure for the signed-in student (status `submitted`).
#[utoipa::path(tag = "career", operation_id = "create_career_action", request_body = NewCareerAction,
    responses((status = 201, body = CareerActionView), (status = 401, body = super::Problem), (status = 409, body = super::Problem),
        (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/career-actions")]
pub async fn create(state: Data, user: CurrentUser, body: web::Json<NewCareerAction>) -> Result<HttpResponse, ApiError> {
    let (user, input) = (user.0, body.into_inner());
    let view = state.db.write(move |conn| service::submit(conn, &user, input)).await?;
    Ok(HttpResponse::Created().insert_header((LOCATION, format!("/api/v1/career-actions/{}", view.id))).json(view))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct MineParams {
    /// Staff: whose procedures (a user id). Students always get their own.
    student: Option<String>,
}

/// The student's procedures, newest first (staff name the student).
#[utoipa::path(tag = "career", params(MineParams),
    responses((status = 200, body = Vec<CareerActionView>), (status = 401, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/career-actions")]
pub async fn list_mine(state: Data, user: CurrentUser, query: web::Query<MineParams>) -> Result<HttpResponse, ApiError> {
    let (user, student) = (user.0, query.into_inner().student);
    let student_id = match (user.is_staff(), student) {
        (false, _) => user.id.clone(),
        (true, Some(id)) => id,
        (true, None) => return Err(ServiceError::field("student", "is required for staff").into()),
    };
    let views = state.db.read(move |conn| instances::views_for(conn, &user, &student_id)).await?;
    Ok(HttpResponse::Ok().json(views))
}

/// One procedure: data, computed amounts, window, linked tickets, history.
#[utoipa::path(tag = "career", params(("id" = String, Path)),
    responses((status = 200, body = CareerActionView), (status = 401, body = super::Problem), (status = 404, body = super::Problem)),
    security(("bearer" = [])))]
#[get("/career-actions/{id}")]
pub async fn get_one(state: Data, user: CurrentUser, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (user, id) = (user.0, path.into_inner());
    let view = state
        .db
        .read(move |conn| instances::visible(conn, &user, &id).and_then(|row| instances::view(conn, &user, &row)))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Staff move a procedure on, with a note: a system message on every linked ticket and one mail
/// to the student.
#[utoipa::path(tag = "career", params(("id" = String, Path)), request_body = StatusChange,
    responses((status = 200, body = CareerActionView), (status = 403, body = super::Problem), (status = 404, body = super::Problem),
        (status = 409, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[patch("/career-actions/{id}")]
pub async fn change_status(
    state: Data,
    staff: Staff,
    path: web::Path<String>,
    body: web::Json<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    let (user, id, change, base_url) = (staff.0, path.into_inner(), body.into_inner(), state.settings.base_url.clone());
    let view = state.db.write(move |conn| service::change(conn, &user, &id, change, &base_url)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    career_action_id: String,
}

/// Links a procedure to a ticket (the student their own; staff one of the requester's).
#[utoipa::path(tag = "career", params(("number" = String, Path)), request_body = LinkRequest,
    responses((status = 201, description = "linked"), (status = 200, description = "already linked"),
        (status = 404, body = super::Problem), (status = 422, body = super::Problem)),
    security(("bearer" = [])))]
#[post("/tickets/{number}/career-actions")]
pub async fn link_ticket(
    state: Data,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<LinkRequest>,
) -> Result<HttpResponse, ApiError> {
    let (user, number, action_id) = (user.0, number(&path.into_inner())?, body.into_inner().career_action_id);
    let (linked, view) = state.db.write(move |conn| service::link(conn, &user, &number, &action_id)).await?;
    let mut response = if linked { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(response.json(view))
}

/// The career system reports a procedure's state (`X-Api-Key`: HELPDESK_INTEGRATION_API_KEY).
/// 201 when the desk did not know the application, 200 otherwise; the same report twice
/// changes nothing. A status change reaches every linked ticket and the student.
#[utoipa::path(tag = "career",
    params(("external_ref" = String, Path), ("X-Api-Key" = String, Header, description = "the integration key")),
    request_body = IntegrationReport,
    responses((status = 200, body = CareerActionView), (status = 201, body = CareerActionView), (status = 401, body = super::Problem),
        (status = 404, body = super::Problem), (status = 409, body = super::Problem), (status = 422, body = super::Problem)))]
#[put("/integrations/career-actions/{external_ref}")]
pub async fn integration_report(
    state: Data,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<IntegrationReport>,
) -> Result<HttpResponse, ApiError> {
    super::require_api_key(&req, state.settings.integration_api_key.as_deref())?;
    let (external_ref, report, base_url) = (path.into_inner(), body.into_inner(), state.settings.base_url.clone());
    let (created, view) = state.db.write(move |conn| service::report(conn, &external_ref, report, &base_url)).await?;
    let mut response = if created { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(response.json(view))
}
