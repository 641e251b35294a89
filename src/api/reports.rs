//! Reports as JSON, or as CSV downloads (`format=csv` or `Accept: text/csv`). Staff only:
//! agents get their teams' tickets, supervisors and admins everything.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::{ApiError, Data};
use crate::accounts::User;
use crate::auth::Staff;
use crate::db::DbConn;
use crate::error::ServiceError;
use crate::reports::{self, period, BacklogReport, GroupSla, GroupTimes, Grouped, ReportFilter, ReportParams};
use crate::reports::{PeriodView, Satisfaction, Tabular, VolumeReport};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

fn format_of(req: &HttpRequest, params: &ReportParams) -> Result<Format, ApiError> {
    match params.format.as_deref().map(str::trim) {
        Some("csv") => Ok(Format::Csv),
        Some("json") => Ok(Format::Json),
        Some("") | None => {
            let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
            let csv =
                accept.split(',').any(|part| part.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv")));
            Ok(if csv { Format::Csv } else { Format::Json })
        }
        Some(_) => Err(ServiceError::field("format", "must be json or csv").into()),
    }
}

/// Checks the request, computes the report on a reader connection, answers it as asked.
async fn serve<R, F>(
    state: Data,
    req: HttpRequest,
    user: User,
    params: ReportParams,
    compute: F,
) -> Result<HttpResponse, ApiError>
where
    R: Serialize + Tabular + Send + 'static,
    F: FnOnce(&mut DbConn, &ReportFilter) -> Result<R, ServiceError> + Send + 'static,
{
    let format = format_of(&req, &params)?;
    let today = chrono::Utc::now().with_timezone(&period::TZ).date_naive();
    let (view, report) = state
        .db
        .read(move |conn| reports::run(conn, &user, &params, today, compute))
        .await?;
    match format {
        Format::Json => Ok(HttpResponse::Ok().json(report)),
        Format::Csv => csv_download(&report, &view),
    }
}

fn csv_download(report: &impl Tabular, view: &PeriodView) -> Result<HttpResponse, ApiError> {
    let body = reports::to_csv(report)?;
    let name = format!("{}-{}-{}.csv", report.name(), view.from, view.to);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body))
}

/// One route per report, all alike: the query string, staff only, JSON or CSV.
macro_rules! report_route {
    ($name:ident, $path:literal, $body:ty, $compute:path, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(tag = "reports", params(ReportParams),
            responses((status = 200, description = "the report", content(($body = "application/json"), (String = "text/csv"))),
                (status = 401, body = super::Problem), (status = 403, body = super::Problem), (status = 422, body = super::Problem)),
            security(("bearer" = [])))]
        #[get($path)]
        pub async fn $name(state: Data, req: HttpRequest, staff: Staff, params: web::Query<ReportParams>) -> Result<HttpResponse, ApiError> {
            serve(state, req, staff.0, params.into_inner(), $compute).await
        }
    };
}

report_route!(
    volume,
    "/reports/volume",
    VolumeReport,
    reports::volume,
    "Tickets opened per category and day (Europe/Rome days)."
);
report_route!(backlog, "/reports/backlog", BacklogReport, reports::backlog, "Tickets open at the end of each day.");
report_route!(
    response_times,
    "/reports/response-times",
    Grouped<GroupTimes>,
    reports::response_times,
    "First-response and resolution times, p50 and p90, of the tickets opened in the range, by category and team."
);
report_route!(
    sla,
    "/reports/sla",
    Grouped<GroupSla>,
    reports::sla,
    "Share of the tickets opened in the range that met their first-response and resolution due times."
);
report_route!(
    satisfaction,
    "/reports/satisfaction",
    Grouped<Satisfaction>,
    reports::satisfaction,
    "Ratings given in the range: count, average and distribution of stars, by category and team."
);
