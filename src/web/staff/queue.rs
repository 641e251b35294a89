//! The console's home: the queues with their counts, one queue's tickets (filters, sort,
//! keyset pages), bulk actions on a selection, and the full-text search.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{priority_label, staff_or_return, status_label};
use crate::accounts::teams_with_members;
use crate::console::bulk::{self, BulkAction, BulkRequest};
use crate::tickets::listing::ListParams;
use crate::console::queues::{self, Queue};
use crate::tickets::search_index::{self, SearchParams};
use crate::domain::{Locale, Priority, Status};
use crate::error::ServiceError;
use crate::web::error::{OrPage, WebError};
use crate::web::page::{encode, local_path, redirect, Ctx};
use crate::web::tickets::{category_names, when};

type Page = Result<HttpResponse, WebError>;

const SORTS: [&str; 3] = ["due", "updated", "created"];

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    queue: Option<String>,
    status: Option<String>,
    priority: Option<String>,
    category: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
    /// After a bulk action: how many tickets changed and how many were refused.
    done: Option<usize>,
    failed: Option<usize>,
}

fn choice(value: &str, label: String, selected: bool) -> Value {
    json!({"value": value, "label": label, "selected": selected})
}

/// `/staff`: a queue of tickets to work (unassigned in my teams by default).
pub async fn show(ctx: Ctx, query: web::Query<QueueQuery>) -> Page {
    let user = staff_or_return!(ctx);
    let q = query.into_inner();
    let key = q.queue.clone().filter(|k| !k.is_empty()).unwrap_or_else(|| "unassigned".into());
    let params = ListParams {
        status: q.status.clone().filter(|s| !s.is_empty()),
        priority: q.priority.clone().filter(|s| !s.is_empty()),
        category: q.category.clone().filter(|s| !s.is_empty()),
        sort: q.sort.clone().filter(|s| !s.is_empty()),
        cursor: q.cursor.clone().filter(|s| !s.is_empty()),
        ..ListParams::default()
    };
    let (reader, queue_key, locale) = (user.clone(), key.clone(), ctx.locale);
    let result = ctx
        .state
        .db
        .read(move |conn| {
            let counts = queues::counts(conn, &reader)?;
            let page = queues::list(conn, &reader, Queue::parse(&queue_key)?, &params)?;
            let teams = teams_with_members(conn, locale)?;
            let unpublished = crate::career::calendar::unpublished_soon(
                &crate::career::calendar::load(conn)?,
                crate::career::instances::today(),
            );
            Ok::<_, ServiceError>((counts, page, teams, unpublished))
        })
        .await;
    let (counts, page, teams, unpublished) = match result {
        Ok(found) => found,
        // A bad filter or cursor in the address: the default queue, not an error page.
        Err(ServiceError::Validation(_)) if key != "unassigned" || q.cursor.is_some() => return Ok(redirect("/staff")),
        Err(e) => return Err(ctx.fail(e)),
    };
    let names = category_names(&ctx).await?;
    let base = |cursor: Option<&str>| {
        let mut url = format!("/staff?queue={}", encode(&key));
        for (name, value) in [("status", &q.status), ("priority", &q.priority), ("category", &q.category), ("sort", &q.sort)] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                url.push_str(&format!("&{name}={}", encode(v)));
            }
        }
        if let Some(c) = cursor {
            url.push_str(&format!("&cursor={}", encode(c)));
        }
        url
    };
    let rows: Vec<Value> = page
        .items
        .iter()
        .map(|t| {
            json!({
                "number": t.number, "subject": t.subject, "href": format!("/staff/tickets/{}", t.number),
                "category": names.get(&t.category).cloned().unwrap_or_else(|| t.category.clone()),
                "status": t.status.as_str(), "status_label": status_label(&ctx, t.status),
                "priority": t.priority.as_str(), "priority_label": priority_label(&ctx, t.priority),
                "assignee": t.assignee.as_ref().map(|a| a.display_name.clone()),
                "due": t.due_at.map(|d| when(d, ctx.locale)),
                "sla": t.sla.as_ref().map(|s| serde_json::to_value(s.state).unwrap_or(Value::Null)),
                "updated": when(t.updated_at, ctx.locale),
            })
        })
        .collect();
    let queue_links: Vec<Value> = counts
        .iter()
        .map(|c| {
            let name = match ctx.locale {
                Locale::It => &c.name_it,
                Locale::En => &c.name_en,
            };
            let count = if c.capped { format!("{}+", thousands(c.count, ctx.locale)) } else { thousands(c.count, ctx.locale) };
            json!({"href": format!("/staff?queue={}", encode(&c.queue)), "name": name, "count": count, "current": c.queue == key})
        })
        .collect();
    // One entry per agent, with the teams they are in (an agent in two teams is listed once).
    let mut members: Vec<(String, String, Vec<String>)> = Vec::new();
    for team in teams.iter().filter(|t| user.team_ids.contains(&t.id) || !matches!(user.role, crate::domain::Role::Agent)) {
        for m in &team.members {
            match members.iter_mut().find(|(id, _, _)| *id == m.id) {
                Some((_, _, in_teams)) => in_teams.push(team.name.clone()),
                None => members.push((m.id.clone(), m.name.clone(), vec![team.name.clone()])),
            }
        }
    }
    members.sort_by_key(|m| m.1.to_lowercase());
    let members: Vec<Value> =
        members.iter().map(|(id, name, in_teams)| json!({"id": id, "name": format!("{name} ({})", in_teams.join(", "))})).collect();
    // The categories by name, the same order at every load.
    let mut categories: Vec<(&String, &String)> = names.iter().collect();
    categories.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
    let status = q.status.clone().unwrap_or_default();
    let priority = q.priority.clone().unwrap_or_default();
    let data = json!({
        "queue": key, "queues": queue_links, "rows": rows,
        "next": page.next_cursor.as_deref().map(|c| base(Some(c))),
        "back": base(None),
        "statuses": Status::ALL.iter().filter(|s| **s != Status::Unverified)
            .map(|s| choice(s.as_str(), status_label(&ctx, *s), status == s.as_str())).collect::<Vec<_>>(),
        "priorities": Priority::ALL.iter()
            .map(|p| choice(p.as_str(), priority_label(&ctx, *p), priority == p.as_str())).collect::<Vec<_>>(),
        "categories": categories.iter().map(|(slug, name)| choice(slug, (*name).clone(), q.category.as_deref() == Some(slug.as_str()))).collect::<Vec<_>>(),
        "sorts": SORTS.iter()
            .map(|s| choice(s, ctx.t(&format!("console.sort_{s}")), q.sort.as_deref() == Some(*s))).collect::<Vec<_>>(),
        "members": members,
        "bulk": q.done.map(|done| json!({"done": done, "failed": q.failed.unwrap_or(0)})),
        // Admins are told when students read "calendar not published" instead of deadlines.
        "calendar_warnings": if user.role == crate::domain::Role::Admin {
            unpublished.iter().map(|y| ctx.t("console.calendar_unpublished").replace("{year}", &y.code())).collect::<Vec<_>>()
        } else {
            Vec::new()
        },
    });
    ctx.render("pages/staff_queue", &ctx.t("console.title"), data)
}

/// A count as staff read it: 10.000 in Italian, 10,000 in English.
fn thousands(n: i64, locale: Locale) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = if locale == Locale::It { '.' } else { ',' };
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(d);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Bulk actions: the selected tickets (`numbers`, repeated) and one action (`do`).
pub async fn bulk_action(ctx: Ctx, body: web::Bytes) -> Page {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("");
    ctx.check_csrf(get("csrf"))?;
    let user = staff_or_return!(ctx);
    let back = local_path(Some(get("back")));
    let numbers: Vec<String> = fields.iter().filter(|(k, _)| k == "numbers").map(|(_, v)| v.clone()).collect();
    let action = match get("do") {
        "assign" => BulkAction::Assign(Some(get("assignee")).filter(|a| !a.is_empty()).map(str::to_owned)),
        "status" => BulkAction::Status(Status::parse(get("status")).map_err(|e| ctx.fail(ServiceError::field("status", e.0)))?),
        "priority" => {
            BulkAction::Priority(Priority::parse(get("priority")).map_err(|e| ctx.fail(ServiceError::field("priority", e.0)))?)
        }
        _ => return Err(ctx.fail(crate::web::error::Failure::BadRequest("unknown bulk action".into()))),
    };
    if numbers.is_empty() {
        return Ok(redirect(&back));
    }
    let (request, base_url) = (BulkRequest { numbers, action }, ctx.state.settings.base_url.clone());
    let results = ctx.state.db.write(move |conn| bulk::apply(conn, &user, &request, &base_url)).await.or_page(ctx.locale)?;
    let done = results.iter().filter(|r| r.ok).count();
    let separator = if back.contains('?') { '&' } else { '?' };
    Ok(redirect(&format!("{back}{separator}done={done}&failed={}", results.len() - done)))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    cursor: Option<String>,
}

/// `/staff/search?q=`: ranked tickets with highlighted snippets.
pub async fn search_page(ctx: Ctx, query: web::Query<SearchQuery>) -> Page {
    let user = staff_or_return!(ctx);
    let q = query.into_inner();
    let words = q.q.clone().unwrap_or_default();
    if words.trim().is_empty() {
        return ctx.render("pages/staff_search", &ctx.t("console.search"), json!({"q": "", "hits": []}));
    }
    let params = SearchParams { q: Some(words.clone()), limit: Some(50), cursor: q.cursor.filter(|c| !c.is_empty()) };
    let ranking = ctx.state.settings.search;
    let result = ctx.state.db.read(move |conn| search_index::search(conn, &user, &params, ranking)).await;
    let (status, hits, next, error) = match result {
        Ok(page) => (StatusCode::OK, page.items, page.next_cursor, None),
        Err(ServiceError::Validation(list)) => {
            let message = list.iter().map(|e| crate::web::i18n::field_message(ctx.locale, e)).collect::<Vec<_>>().join(" ");
            (StatusCode::UNPROCESSABLE_ENTITY, Vec::new(), None, Some(message))
        }
        Err(e) => return Err(ctx.fail(e)),
    };
    let hits: Vec<Value> = hits
        .iter()
        .map(|h| {
            json!({"number": h.number, "href": format!("/staff/tickets/{}", h.number), "subject": h.subject,
                   "status_label": status_label(&ctx, h.status), "status": h.status.as_str(),
                   // HTML-safe by construction: escaped text with <mark> only (tickets::search_index).
                   "snippet": h.snippet})
        })
        .collect();
    let data = json!({
        "q": words, "hits": hits, "error": error, "searched": true,
        "next": next.map(|c| format!("/staff/search?q={}&cursor={}", encode(&words), encode(&c))),
    });
    ctx.render_status(status, "pages/staff_search", &ctx.t("console.search"), data)
}

#[cfg(test)]
mod tests {
    use crate::domain::Locale;

    #[test]
    fn counts_are_grouped_by_thousands_in_the_page_language() {
        assert_eq!(super::thousands(10_000, Locale::It), "10.000");
        assert_eq!(super::thousands(1_234_567, Locale::En), "1,234,567");
        assert_eq!(super::thousands(999, Locale::It), "999");
        assert_eq!(super::thousands(-1_000, Locale::En), "-1,000");
    }
}
