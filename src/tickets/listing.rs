//! Ticket lists: the filters of the query string parsed once (errors name the parameter), the
//! sort, and keyset pages on the sort key plus the id behind an opaque cursor. The queues
//! (`queues.rs`) and `GET /api/v1/tickets` both list through `page`.

use base64::Engine;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

use crate::accounts::User;
use crate::db::schema::{career_actions, categories, teams, ticket_career_actions, tickets};
use crate::db::DbConn;
use crate::domain::{Priority, Role, Status, TicketNumber};
use crate::error::{FieldErrors, ServiceError};
use crate::db::ticket_rows::TicketRow;
use crate::tickets::view::{ticket_view, Names, TicketView, Viewer};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// The backend of `DbConn` (SQLite or PostgreSQL, chosen at run time).
pub type Backend = <DbConn as diesel::Connection>::Backend;
/// A tickets query with its filters, not yet selected, ordered or limited.
pub type TicketQuery = tickets::BoxedQuery<'static, Backend>;

/// A list of items and the cursor of the next page (`None` on the last one).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Filters, sort and page as they come from the query string (`GET /api/v1/tickets` and the
/// queue routes).
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// One status or several separated by commas.
    pub status: Option<String>,
    /// A category slug.
    pub category: Option<String>,
    /// A team slug.
    pub team: Option<String>,
    /// A user id, `me`, or `none`.
    pub assignee: Option<String>,
    /// One priority or several separated by commas.
    pub priority: Option<String>,
    /// Created at or after: RFC 3339, or a date (the day starts at midnight, Europe/Rome).
    pub created_from: Option<String>,
    /// Created before: RFC 3339, or a date (that whole day included, Europe/Rome).
    pub created_to: Option<String>,
    /// A career-action type slug: tickets linked to a procedure of that type.
    pub career_action_type: Option<String>,
    /// `due` (soonest first, no due time last), `updated` or `created`.
    pub sort: Option<String>,
    /// `asc` or `desc`; by default `asc` for `due`, `desc` otherwise.
    pub order: Option<String>,
    /// A ticket number, or words (staff: full-text search; students: words in the subject).
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Due,
    Updated,
    Created,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    pub const DUE: Sort = Sort {
        key: SortKey::Due,
        descending: false,
    };
    pub const NEWEST: Sort = Sort {
        key: SortKey::Created,
        descending: true,
    };

    fn tag(self) -> &'static str {
        match (self.key, self.descending) {
            (SortKey::Due, false) => "due",
            (SortKey::Due, true) => "due-desc",
            (SortKey::Updated, false) => "updated",
            (SortKey::Updated, true) => "updated-desc",
            (SortKey::Created, false) => "created",
            (SortKey::Created, true) => "created-desc",
        }
    }

    fn parse(
        sort: Option<&str>,
        order: Option<&str>,
        default: Sort,
        errors: &mut FieldErrors,
    ) -> Sort {
        let key = match sort.map(str::trim) {
            None | Some("") => default.key,
            Some("due") => SortKey::Due,
            Some("updated") => SortKey::Updated,
            Some("created") => SortKey::Created,
            Some(other) => {
                errors.add(
                    "sort",
                    format!("unknown sort '{other}': use due, updated or created"),
                );
                default.key
            }
        };
        let descending = match order.map(str::trim) {
            None | Some("") if sort.is_none() => default.descending,
            None | Some("") => key != SortKey::Due,
            Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                errors.add("order", format!("unknown order '{other}': use asc or desc"));
                false
            }
        };
        Sort { key, descending }
    }
}

/// Where the previous page ended: its last row's sort key (`None`: a due sort already in the
/// tickets without a due time) and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    key: Option<NaiveDateTime>,
    id: String,
}

const INVALID_CURSOR: &str = "is not a cursor this server gave";

/// An opaque cursor: `tag|key|id` in URL-safe base64. The tag names the order it belongs to.
pub(crate) fn encode_cursor(tag: &str, key: &str, id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{tag}|{key}|{id}"))
}

/// The key and id of a cursor made by `encode_cursor` with `tag`; the reason otherwise.
pub(crate) fn decode_cursor(raw: &str, tag: &str) -> Result<(String, String), String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw.trim())
        .map_err(|_| INVALID_CURSOR.to_owned())?;
    let text = String::from_utf8(bytes).map_err(|_| INVALID_CURSOR.to_owned())?;
    let mut parts = text.splitn(3, '|');
    let (Some(found), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(INVALID_CURSOR.to_owned());
    };
    if found != tag {
        return Err(format!(
            "was given for another order ({found}); start again without a cursor"
        ));
    }
    uuid::Uuid::parse_str(id).map_err(|_| INVALID_CURSOR.to_owned())?;
    Ok((key.to_owned(), id.to_owned()))
}

impl Cursor {
    fn encode(&self, sort: Sort) -> String {
        let key = self
            .key
            .and_then(|k| k.and_utc().timestamp_nanos_opt())
            .map_or_else(|| "-".to_owned(), |n| n.to_string());
        encode_cursor(sort.tag(), &key, &self.id)
    }

    fn decode(raw: &str, sort: Sort) -> Result<Cursor, String> {
        let (key, id) = decode_cursor(raw, sort.tag())?;
        let key = match key.as_str() {
            "-" => None,
            nanos => Some(
                DateTime::from_timestamp_nanos(
                    nanos
                        .parse::<i64>()
                        .map_err(|_| INVALID_CURSOR.to_owned())?,
                )
                .naive_utc(),
            ),
        };
        Ok(Cursor { key, id })
    }
}

/// Who is assigned, as a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeFilter {
    Nobody,
    User(String),
}

/// Filters that passed their checks, with slugs turned into ids.
#[derive(Debug, Clone, Default)]
pub struct ListFilters {
    pub statuses: Vec<Status>,
    pub category_id: Option<String>,
    pub team_id: Option<String>,
    pub assignee: Option<AssigneeFilter>,
    pub priorities: Vec<Priority>,
    pub created_from: Option<NaiveDateTime>,
    pub created_to: Option<NaiveDateTime>,
    /// Tickets linked to a career procedure of this type (a catalog slug).
    pub career_action_type: Option<String>,
}

/// A checked list request: filters, sort, where to start, how many.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub filters: ListFilters,
    pub sort: Sort,
    pub cursor: Option<Cursor>,
    pub limit: i64,
}

/// A moment from `RFC 3339` or a date; `end_of_day` turns a date into the next midnight.
fn parse_moment(raw: &str, end_of_day: bool) -> Result<NaiveDateTime, String> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.naive_utc());
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| format!("'{raw}' is neither an RFC 3339 time nor a date (YYYY-MM-DD)"))?;
    let day = if end_of_day {
        date.succ_opt().ok_or("is out of range")?
    } else {
        date
    };
    chrono_tz::Europe::Rome
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.naive_utc())
        .ok_or_else(|| format!("'{raw}' is not a time in Europe/Rome"))
}

fn non_empty(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn split_list(raw: &Option<String>) -> impl Iterator<Item = &str> {
    raw.as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The `career_action_type` filter: tickets linked to a procedure of that type.
pub fn career_action_type(query: TicketQuery, slug: &str) -> TicketQuery {
    let linked = ticket_career_actions::table
        .inner_join(career_actions::table)
        .filter(career_actions::type_slug.eq(slug.to_owned()))
        .select(ticket_career_actions::ticket_id);
    query.filter(tickets::id.eq_any(linked))
}

/// The page size asked for (default 50), or an error for one outside 1..=200.
pub fn checked_limit(limit: Option<i64>, errors: &mut FieldErrors) -> i64 {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.add("limit", format!("must be between 1 and {MAX_LIMIT}"));
    }
    limit
}

impl ListFilters {
    /// Checks the filter parameters, recording what is wrong in `errors`.
    pub fn parse(
        conn: &mut DbConn,
        user: &User,
        params: &ListParams,
        errors: &mut FieldErrors,
    ) -> Result<ListFilters, ServiceError> {
        let statuses = split_list(&params.status)
            .filter_map(|s| errors.check("status", Status::parse(s)))
            .collect();
        let priorities = split_list(&params.priority)
            .filter_map(|p| errors.check("priority", Priority::parse(p)))
            .collect();
        let mut filters = ListFilters {
            statuses,
            priorities,
            ..ListFilters::default()
        };
        if let Some(slug) = non_empty(&params.category) {
            filters.category_id = categories::table
                .filter(categories::slug.eq(slug))
                .select(categories::id)
                .first(conn)
                .optional()?;
            if filters.category_id.is_none() {
                errors.add("category", format!("unknown category '{slug}'"));
            }
        }
        if let Some(slug) = non_empty(&params.team) {
            filters.team_id = teams::table
                .filter(teams::slug.eq(slug))
                .select(teams::id)
                .first(conn)
                .optional()?;
            if filters.team_id.is_none() {
                errors.add("team", format!("unknown team '{slug}'"));
            }
        }
        filters.assignee = match params.assignee.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("none") => Some(AssigneeFilter::Nobody),
            Some("me") => Some(AssigneeFilter::User(user.id.clone())),
            Some(id) if uuid::Uuid::parse_str(id).is_ok() => {
                Some(AssigneeFilter::User(id.to_owned()))
            }
            Some(other) => {
                errors.add(
                    "assignee",
                    format!("'{other}' is not a user id, 'me' or 'none'"),
                );
                None
            }
        };
        if let Some(raw) = params
            .created_from
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            filters.created_from = errors.check("created_from", parse_moment(raw, false));
        }
        if let Some(raw) = params
            .created_to
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            filters.created_to = errors.check("created_to", parse_moment(raw, true));
        }
        if let Some(slug) = params
            .career_action_type
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match crate::career::catalog::by_slug(conn, slug)? {
                Some(_) => filters.career_action_type = Some(slug.to_owned()),
                None => errors.add("career_action_type", format!("unknown career-action type '{slug}'")),
            }
        }
        Ok(filters)
    }
}

impl ListRequest {
    /// Checks every parameter, answering all that are wrong at once (422).
    pub fn parse(
        conn: &mut DbConn,
        user: &User,
        params: &ListParams,
        default_sort: Sort,
    ) -> Result<Self, ServiceError> {
        let mut errors = FieldErrors::default();
        let limit = checked_limit(params.limit, &mut errors);
        let filters = ListFilters::parse(conn, user, params, &mut errors)?;
        let sort = Sort::parse(
            params.sort.as_deref(),
            params.order.as_deref(),
            default_sort,
            &mut errors,
        );
        let cursor = params
            .cursor
            .as_deref()
            .and_then(|raw| errors.check("cursor", Cursor::decode(raw, sort)));
        errors.into_result()?;
        Ok(ListRequest {
            filters,
            sort,
            cursor,
            limit,
        })
    }
}

/// The tickets a user may see: students their own (a guest ticket only once its link proved
/// the address), agents their teams' and what is assigned to them, supervisors and admins all.
/// Same rule as `auth::ticket_access::can_see`.
pub fn visible_to(query: TicketQuery, user: &User) -> TicketQuery {
    match user.role {
        Role::Student => query
            .filter(tickets::requester_id.eq(user.id.clone()))
            .filter(tickets::status.ne(crate::domain::Status::Unverified)),
        Role::Agent => query.filter(
            tickets::team_id
                .eq_any(user.team_ids.clone())
                .or(tickets::assignee_id.eq(user.id.clone())),
        ),
        Role::Supervisor | Role::Admin => query,
    }
}

impl ListFilters {
    /// Narrows a query to these filters.
    pub fn apply(&self, mut query: TicketQuery) -> TicketQuery {
        if !self.statuses.is_empty() {
            query = query.filter(
                tickets::status.eq_any(self.statuses.clone()),
            );
        }
        if !self.priorities.is_empty() {
            query = query.filter(
                tickets::priority.eq_any(self.priorities.clone()),
            );
        }
        if let Some(id) = &self.category_id {
            query = query.filter(tickets::category_id.eq(id.clone()));
        }
        if let Some(id) = &self.team_id {
            query = query.filter(tickets::team_id.eq(id.clone()));
        }
        match &self.assignee {
            None => {}
            Some(AssigneeFilter::Nobody) => query = query.filter(tickets::assignee_id.is_null()),
            Some(AssigneeFilter::User(id)) => {
                query = query.filter(tickets::assignee_id.eq(id.clone()))
            }
        }
        if let Some(from) = self.created_from {
            query = query.filter(tickets::created_at.ge(from));
        }
        if let Some(slug) = &self.career_action_type {
            query = career_action_type(query, slug);
        }
        if let Some(to) = self.created_to {
            query = query.filter(tickets::created_at.lt(to));
        }
        query
    }
}

/// Rows after the cursor on a not-null time column, in the sort's order, at most `n`.
macro_rules! keyset_rows {
    ($conn:expr, $query:expr, $column:expr, $sort:expr, $cursor:expr, $n:expr) => {{
        let mut query = $query;
        if let Some(Cursor { key: Some(key), id }) = $cursor {
            query = if $sort.descending {
                query.filter(
                    $column
                        .lt(*key)
                        .or($column.eq(*key).and(tickets::id.lt(id.clone()))),
                )
            } else {
                query.filter(
                    $column
                        .gt(*key)
                        .or($column.eq(*key).and(tickets::id.gt(id.clone()))),
                )
            };
        }
        let query = if $sort.descending {
            query.order(($column.desc(), tickets::id.desc()))
        } else {
            query.order(($column.asc(), tickets::id.asc()))
        };
        query
            .select(TicketRow::as_select())
            .limit($n)
            .load::<TicketRow>($conn)?
    }};
}

/// One page of the tickets that `make` selects (scope, queue and filters applied), in the
/// request's sort, from its cursor. `make` is called once or twice (the due sort reads the
/// tickets with a due time, then those without).
pub fn page_rows(
    conn: &mut DbConn,
    make: &dyn Fn() -> TicketQuery,
    request: &ListRequest,
) -> Result<(Vec<TicketRow>, Option<String>), ServiceError> {
    let n = request.limit + 1;
    let sort = request.sort;
    let cursor = request.cursor.as_ref();
    let mut rows = match sort.key {
        SortKey::Created => keyset_rows!(conn, make(), tickets::created_at, sort, cursor, n),
        SortKey::Updated => keyset_rows!(conn, make(), tickets::updated_at, sort, cursor, n),
        SortKey::Due => {
            // Tickets with a due time first (in order), then those without (by id).
            let mut rows = Vec::new();
            if !matches!(cursor, Some(Cursor { key: None, .. })) {
                rows = keyset_rows!(
                    conn,
                    make().filter(tickets::due_at.is_not_null()),
                    tickets::due_at,
                    sort,
                    cursor,
                    n
                );
            }
            if (rows.len() as i64) < n {
                let mut query = make().filter(tickets::due_at.is_null());
                if let Some(Cursor { key: None, id }) = cursor {
                    query = if sort.descending {
                        query.filter(tickets::id.lt(id.clone()))
                    } else {
                        query.filter(tickets::id.gt(id.clone()))
                    };
                }
                let query = if sort.descending {
                    query.order(tickets::id.desc())
                } else {
                    query.order(tickets::id.asc())
                };
                rows.extend(
                    query
                        .select(TicketRow::as_select())
                        .limit(n - rows.len() as i64)
                        .load::<TicketRow>(conn)?,
                );
            }
            rows
        }
    };
    let next = if rows.len() as i64 > request.limit {
        rows.truncate(request.limit as usize);
        rows.last().map(|last| {
            let key = match sort.key {
                SortKey::Due => last.due_at,
                SortKey::Updated => Some(last.updated_at),
                SortKey::Created => Some(last.created_at),
            };
            Cursor {
                key,
                id: last.id.clone(),
            }
            .encode(sort)
        })
    } else {
        None
    };
    Ok((rows, next))
}

/// Rows as the list views the user may see (names loaded in a few batched queries).
pub fn views(
    conn: &mut DbConn,
    user: &User,
    rows: &[TicketRow],
) -> Result<Vec<TicketView>, ServiceError> {
    let names = Names::load(
        conn,
        rows.iter()
            .flat_map(|r| std::iter::once(r.requester_id.as_str()).chain(r.assignee_id.as_deref())),
        true,
    )?;
    let viewer = Viewer {
        id: &user.id,
        is_staff: user.is_staff(),
    };
    rows.iter()
        .map(|r| ticket_view(r, &names, &viewer))
        .collect()
}

/// One page of views: `page_rows` then `views`.
pub fn page(
    conn: &mut DbConn,
    user: &User,
    make: &dyn Fn() -> TicketQuery,
    request: &ListRequest,
) -> Result<Page<TicketView>, ServiceError> {
    let (rows, next_cursor) = page_rows(conn, make, request)?;
    Ok(Page {
        items: views(conn, user, &rows)?,
        next_cursor,
    })
}

/// `GET /api/v1/tickets`: every ticket the user may see, filtered (staff do
/// not see unverified guest tickets unless they ask for that status).
pub fn list_visible(
    conn: &mut DbConn,
    user: &User,
    params: &ListParams,
    ranking: super::search_index::Ranking,
) -> Result<Page<TicketView>, ServiceError> {
    let words = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    // Staff search words in full text, ranked; a ticket number is looked up as such.
    if user.is_staff() && words.is_some_and(|q| q.parse::<TicketNumber>().is_err()) {
        return crate::tickets::search_index::list_matching(conn, user, params, ranking);
    }
    let request = ListRequest::parse(conn, user, params, Sort::NEWEST)?;
    let hide_unverified = user.is_staff() && request.filters.statuses.is_empty();
    let make = || {
        let mut query = request
            .filters
            .apply(visible_to(tickets::table.into_boxed(), user));
        if hide_unverified {
            query = query.filter(tickets::status.ne(Status::Unverified));
        }
        match words.map(|q| (q, q.parse::<TicketNumber>())) {
            None => query,
            Some((_, Ok(number))) => query.filter(tickets::number.eq(number.to_string())),
            Some((q, Err(_))) => {
                let escaped = q
                    .to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                query.filter(
                    lower(tickets::subject)
                        .like(format!("%{escaped}%"))
                        .escape('\\'),
                )
            }
        }
    };
    page(conn, user, &make, &request)
}

/// Timestamps in the API are UTC instants.
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_sort() {
        let id = uuid::Uuid::now_v7().to_string();
        let at = DateTime::from_timestamp_nanos(1_764_000_000_123_456_789).naive_utc();
        for key in [Some(at), None] {
            let cursor = Cursor {
                key,
                id: id.clone(),
            };
            assert_eq!(
                Cursor::decode(&cursor.encode(Sort::DUE), Sort::DUE),
                Ok(cursor.clone())
            );
            assert!(Cursor::decode(&cursor.encode(Sort::DUE), Sort::NEWEST)
                .unwrap_err()
                .contains("another order"));
        }
        for bad in ["", "!!", "ZHVlfDF8eA", "ZHVl"] {
            assert!(Cursor::decode(bad, Sort::DUE).is_err(), "{bad}");
        }
    }

    #[test]
    fn moments_are_rfc3339_or_rome_days() {
        assert_eq!(
            parse_moment("2025-03-01T10:00:00+01:00", false)
                .unwrap()
                .to_string(),
            "2025-03-01 09:00:00"
        );
        assert_eq!(
            parse_moment("2025-03-01", false).unwrap().to_string(),
            "2025-02-28 23:00:00"
        );
        assert_eq!(
            parse_moment("2025-07-31", true).unwrap().to_string(),
            "2025-07-31 22:00:00"
        );
        assert!(parse_moment("yesterday", false).is_err());
    }

    #[test]
    fn sorts_default_per_key() {
        let mut errors = FieldErrors::default();
        assert_eq!(Sort::parse(None, None, Sort::DUE, &mut errors), Sort::DUE);
        assert_eq!(
            Sort::parse(Some("updated"), None, Sort::DUE, &mut errors),
            Sort {
                key: SortKey::Updated,
                descending: true
            }
        );
        assert_eq!(
            Sort::parse(Some("due"), Some("desc"), Sort::NEWEST, &mut errors),
            Sort {
                key: SortKey::Due,
                descending: true
            }
        );
        assert!(errors.is_empty());
        Sort::parse(Some("priority"), Some("up"), Sort::DUE, &mut errors);
        assert!(errors.into_result().is_err());
    }
}
