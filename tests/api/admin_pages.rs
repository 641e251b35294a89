//! The admin pages of the staff console, through the real pages with a browser-like client:
//! each section's change lands in the domain (checked through the JSON API or the pages), bad
//! input is a 422 page keeping what was typed, agents get not found. On SQLite and PostgreSQL.

use std::collections::BTreeMap;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{segreteria_ticket, spawn_app, Backend, TestApp};
use crate::portal::{browser, page};
use crate::staff_pages::signed_in;

both_backends!(
    a_new_form_version_serves_new_tickets_and_old_ones_keep_theirs,
    admin_pages_are_for_admins_only,
    teams_and_agents_from_the_pages,
    canned_responses_from_the_pages,
    office_hours_and_closures_from_the_pages,
    career_action_types_from_the_pages,
    academic_calendars_from_the_pages,
);

const PAGES: [&str; 11] = [
    "/staff/admin",
    "/staff/admin/categories",
    "/staff/admin/categories/segreteria",
    "/staff/admin/teams",
    "/staff/admin/canned",
    "/staff/admin/hours",
    "/staff/admin/hours/segreteria",
    "/staff/admin/closures",
    "/staff/admin/career",
    "/staff/admin/career/corsi-singoli",
    "/staff/admin/calendar",
];

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    Some(unescape(tag[at..].split('"').next()?))
}

/// What a browser would post for the form whose action is `action`: its inputs, checked
/// boxes, textareas and selected options, as shown on the page.
pub(crate) fn form_values(html: &str, action: &str) -> BTreeMap<String, String> {
    let start = html.find(&format!("action=\"{action}\"")).unwrap_or_else(|| panic!("a form to {action}"));
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let mut values = BTreeMap::new();
    let mut rest = form;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..end];
        if tag.starts_with("<input") {
            let kind = attr(tag, "type").unwrap_or_default();
            if let Some(name) = attr(tag, "name") {
                if kind != "checkbox" || tag.contains(" checked") {
                    values.insert(name, attr(tag, "value").unwrap_or_default());
                }
            }
        } else if tag.starts_with("<textarea") {
            let close = rest.find("</textarea>").unwrap();
            values.insert(attr(tag, "name").unwrap(), unescape(&rest[end + 1..close]));
        } else if tag.starts_with("<select") {
            let close = rest.find("</select>").unwrap();
            let options = &rest[end..close];
            let selected = options.find(" selected").map(|s| {
                let open = options[..s].rfind("<option").unwrap();
                attr(&options[open..], "value").unwrap_or_default()
            });
            values.insert(attr(tag, "name").unwrap(), selected.unwrap_or_default());
        }
        rest = &rest[end..];
    }
    values
}

/// Posts the form `action` of `html` with `changes` applied (an empty value removes a name).
pub(crate) async fn submit(
    client: &Client,
    app: &TestApp,
    html: &str,
    action: &str,
    changes: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut values = form_values(html, action);
    for (name, value) in changes {
        if value.is_empty() {
            values.remove(*name);
        } else {
            values.insert((*name).to_owned(), (*value).to_owned());
        }
    }
    let res = client.post(app.url(action)).form(&values).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

/// A page that must answer 200.
async fn shown(client: &Client, app: &TestApp, path: &str) -> String {
    let (status, html) = page(client, app, path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {html}");
    html
}

/// Posts like `submit` and asserts the change was accepted (the redirect followed to a 200).
async fn accepted(client: &Client, app: &TestApp, html: &str, action: &str, changes: &[(&str, &str)]) -> String {
    let (status, html) = submit(client, app, html, action, changes).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    html
}

/// Posts like `submit` and asserts a refused form: 422, `typed` shown again, an invalid field.
async fn refused(client: &Client, app: &TestApp, html: &str, action: &str, changes: &[(&str, &str)], typed: &str) -> String {
    let (status, html) = submit(client, app, html, action, changes).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains(typed), "the typed {typed:?} is kept: {html}");
    assert!(html.contains("aria-invalid=\"true\"") && html.contains("aria-describedby="), "{html}");
    assert!(html.contains("error-summary"), "{html}");
    html
}

async fn as_admin(app: &TestApp) -> Client {
    app.admin().await;
    signed_in(app, "admin@unibg.it", "admin-password").await
}

async fn a_new_form_version_serves_new_tickets_and_old_ones_keep_theirs(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("mario@studenti.unibg.it").await;
    let old = app.open_ticket(&student, "Prima").await;
    assert_eq!(old["form_version"], 1);
    let admin = as_admin(&app).await;
    let html = shown(&admin, &app, "/staff/admin").await;
    assert!(html.contains("href=\"/staff/admin/categories\"") && html.contains("href=\"/staff/admin\""), "{html}");

    let url = "/staff/admin/categories/segreteria";
    let html = shown(&admin, &app, url).await;
    assert!(html.contains("piano-di-studio|"), "the options of a field, one per line: {html}");
    // Saved as shown: the same form, no new version.
    let html = accepted(&admin, &app, &html, url, &[]).await;
    assert!(html.contains("<strong>1</strong>"), "still version 1: {html}");
    // Bad input: a key with spaces and hours that are no number, shown again as typed.
    let bad = refused(
        &admin,
        &app,
        &html,
        url,
        &[("fields[1].key", "Corso Di Laurea"), ("first_response_hours", "tanti")],
        "Corso Di Laurea",
    )
    .await;
    assert!(bad.contains("value=\"tanti\""), "{bad}");
    // A new field in the first empty row, the course no longer required.
    let saved = accepted(
        &admin,
        &app,
        &html,
        url,
        &[
            ("fields[4].key", "phone"),
            ("fields[4].type", "text"),
            ("fields[4].label.it", "Telefono"),
            ("fields[4].label.en", "Phone"),
            ("fields[4].required", "on"),
            ("fields[1].required", ""),
            ("first_response_hours", "12"),
        ],
    )
    .await;
    assert!(saved.contains("Telefono") && saved.contains("<strong>2</strong>"), "version 2: {saved}");

    let categories: Value = app.get("/api/v1/categories?locale=en", None).await.json().await.unwrap();
    let segreteria = categories.as_array().unwrap().iter().find(|c| c["slug"] == "segreteria").unwrap();
    assert_eq!(segreteria["form_version"], 2);
    let phone = segreteria["fields"].as_array().unwrap().iter().find(|f| f["key"] == "phone").unwrap();
    assert_eq!((phone["label"].as_str(), phone["required"].as_bool()), (Some("Phone"), Some(true)));
    // The next ticket is filled with version 2 (the phone is now required)…
    let res = app.post("/api/v1/tickets", Some(&student.token), &segreteria_ticket("Seconda")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "the new required field");
    let mut body = segreteria_ticket("Seconda");
    body["fields"]["phone"] = json!("035 123456");
    body["fields"].as_object_mut().unwrap().remove("course");
    let res = app.post("/api/v1/tickets", Some(&student.token), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let new: Value = res.json().await.unwrap();
    assert_eq!(new["form_version"], 2);
    // …while the old one keeps version 1.
    let seen: Value = app
        .get(&format!("/api/v1/tickets/{}", old["number"].as_str().unwrap()), Some(&student.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["form_version"], 1);
    // Saving again without a change makes no new version.
    let (status, again) = submit(&admin, &app, &saved, url, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(again.contains("<strong>2</strong>"), "{again}");
}

async fn admin_pages_are_for_admins_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let agent = signed_in(&app, "laura@unibg.it", "agent-password").await;
    let (_, html) = page(&agent, &app, "/").await;
    assert!(html.contains("href=\"/staff/reports\"") && !html.contains("href=\"/staff/admin\""), "console link only: {html}");
    let nobody = browser();
    for path in PAGES {
        assert_eq!(page(&agent, &app, path).await.0, StatusCode::NOT_FOUND, "{path}");
        let res = nobody.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.url().path(), "/sign-in", "{path}");
    }
    // Posts are refused too (a CSRF-valid one from the agent's own page).
    let (_, html) = page(&agent, &app, "/").await;
    let csrf = crate::portal::csrf_of(&html);
    let res = agent
        .post(app.url("/staff/admin/categories/segreteria"))
        .form(&[("csrf", csrf.as_str()), ("name.it", "X")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let admin = signed_in(&app, "admin@unibg.it", "admin-password").await;
    let (_, html) = page(&admin, &app, "/").await;
    assert!(html.contains("href=\"/staff/admin\""), "{html}");
}

async fn teams_and_agents_from_the_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = as_admin(&app).await;
    let url = "/staff/admin/teams";
    let html = shown(&admin, &app, url).await;
    // Bad input: an address that is none, a short password; the typed values stay, not the password.
    let bad = refused(
        &admin,
        &app,
        &html,
        "/staff/admin/agents",
        &[("email", "not-an-address"), ("display_name", "Laura Neri"), ("password", "short"), ("role", "agent")],
        "not-an-address",
    )
    .await;
    assert!(bad.contains("Laura Neri") && !bad.contains("value=\"short\""), "{bad}");
    let html = accepted(
        &admin,
        &app,
        &html,
        "/staff/admin/agents",
        &[
            ("email", "laura@unibg.it"),
            ("display_name", "Laura Neri"),
            ("password", "agent-password"),
            ("role", "agent"),
            ("team.segreteria", "on"),
        ],
    )
    .await;
    let laura = app.login("laura@unibg.it", "agent-password").await;
    let me: Value = app.get("/api/v1/me", Some(&laura.token)).await.json().await.unwrap();
    assert_eq!(me["role"], "agent", "{me}");
    let id = me["id"].as_str().unwrap().to_owned();
    let in_team = |html: &str, team: &str| {
        let at = html.find(&format!("id=\"team-{team}\"")).unwrap();
        let section = &html[at..at + html[at..].find("</section>").unwrap()];
        section.contains(&format!("name=\"user_id\" value=\"{id}\""))
    };
    assert!(in_team(&html, "segreteria") && !in_team(&html, "it"));
    // Into the IT team, then out of the segreteria.
    let html = accepted(&admin, &app, &html, "/staff/admin/teams/it/members", &[("user_id", &id)]).await;
    assert!(in_team(&html, "it"));
    let remove = html.find("action=\"/staff/admin/teams/segreteria/members\"").unwrap();
    let html = accepted(&admin, &app, &html[remove - 200..], "/staff/admin/teams/segreteria/members", &[]).await;
    assert!(!in_team(&html, "segreteria") && in_team(&html, "it"));
    // A member nobody chose: 422 on that team's form.
    let (status, bad) =
        submit(&admin, &app, &html, "/staff/admin/teams/it/members", &[("user_id", "nobody"), ("remove", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(bad.contains("id=\"t-it-user_id\"") && bad.contains("aria-invalid=\"true\""), "{bad}");
}

async fn canned_responses_from_the_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin_session = app.admin().await;
    let admin = signed_in(&app, "admin@unibg.it", "admin-password").await;
    let url = "/staff/admin/canned";
    let html = shown(&admin, &app, url).await;
    let bad = refused(
        &admin,
        &app,
        &html,
        url,
        &[
            ("title", "Piano di studio"),
            ("team", "segreteria"),
            ("body_it", "Gentile {{studente}}, ecco."),
            ("body_en", "Dear {{student_name}}."),
        ],
        "Gentile {{studente}}, ecco.",
    )
    .await;
    assert!(bad.contains("id=\"c-new-body_it-error\"") && !bad.contains("id=\"c-new-body_en-error\""), "{bad}");
    let html = accepted(
        &admin,
        &app,
        &html,
        url,
        &[
            ("title", "Piano di studio"),
            ("team", "segreteria"),
            ("body_it", "Gentile {{student_name}}, ecco."),
            ("body_en", "Dear {{student_name}}."),
        ],
    )
    .await;
    let listed: Value =
        app.get("/api/v1/canned-responses?team=segreteria", Some(&admin_session.token)).await.json().await.unwrap();
    let item = listed["items"].as_array().unwrap().iter().find(|c| c["title"] == "Piano di studio").unwrap().clone();
    assert_eq!((item["team"].as_str(), item["body_it"].as_str()), (Some("segreteria"), Some("Gentile {{student_name}}, ecco.")));
    let id = item["id"].as_str().unwrap();
    let edit = format!("/staff/admin/canned/{id}");
    let html = accepted(&admin, &app, &html, &edit, &[("title", "Piano di studio 2025"), ("team", "")]).await;
    let listed: Value = app.get("/api/v1/canned-responses", Some(&admin_session.token)).await.json().await.unwrap();
    let item = listed["items"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap();
    assert_eq!((item["title"].as_str(), item["team"].as_str()), (Some("Piano di studio 2025"), None), "now global");
    let (status, _) = submit(&admin, &app, &html, &format!("{edit}/delete"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let listed: Value = app.get("/api/v1/canned-responses", Some(&admin_session.token)).await.json().await.unwrap();
    assert!(!listed.to_string().contains(id), "deleted");
}

async fn office_hours_and_closures_from_the_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin_session = app.admin().await;
    let admin = signed_in(&app, "admin@unibg.it", "admin-password").await;
    let html = shown(&admin, &app, "/staff/admin/hours").await;
    assert!(html.contains("href=\"/staff/admin/hours/segreteria\""), "{html}");
    let url = "/staff/admin/hours/segreteria";
    let html = shown(&admin, &app, url).await;
    // The default week has five stretches; Monday becomes a morning and an afternoon.
    assert!(html.contains("name=\"hours[4].opens\" value=\"09:00\""), "{html}");
    let bad = refused(
        &admin,
        &app,
        &html,
        url,
        &[("hours[5].day", "mon"), ("hours[5].opens", "14:00"), ("hours[5].closes", "25:99")],
        "value=\"25:99\"",
    )
    .await;
    assert!(bad.contains("id=\"h-hours-5-closes-error\""), "the error on its row: {bad}");
    let html = accepted(
        &admin,
        &app,
        &html,
        url,
        &[("hours[0].closes", "13:00"), ("hours[5].day", "mon"), ("hours[5].opens", "14:00"), ("hours[5].closes", "17:30")],
    )
    .await;
    assert!(html.contains("role=\"status\"") && html.contains("value=\"17:30\""), "saved and shown: {html}");
    let week: Value =
        app.get("/api/v1/admin/teams/segreteria/office-hours", Some(&admin_session.token)).await.json().await.unwrap();
    assert_eq!(week["default"], false);
    let monday: Vec<&Value> = week["hours"].as_array().unwrap().iter().filter(|s| s["day"] == "mon").collect();
    assert_eq!(monday.len(), 2, "{week}");
    assert_eq!((monday[0]["closes"].as_str(), monday[1]["closes"].as_str()), (Some("13:00"), Some("17:30")));

    let url = "/staff/admin/closures";
    let html = shown(&admin, &app, url).await;
    let bad = refused(&admin, &app, &html, url, &[("name", "Sant'Alessandro"), ("starts_on", "26/08/2025")], "26/08/2025").await;
    assert!(bad.contains("id=\"cl-starts_on-error\""), "{bad}");
    let html = accepted(
        &admin,
        &app,
        &html,
        url,
        &[("name", "Sant'Alessandro"), ("starts_on", "2025-08-26"), ("yearly", "on"), ("team", "segreteria")],
    )
    .await;
    let list: Value = app.get("/api/v1/admin/closures", Some(&admin_session.token)).await.json().await.unwrap();
    let closure = list.as_array().unwrap().iter().find(|c| c["name"] == "Sant'Alessandro").unwrap().clone();
    assert_eq!((closure["yearly"].as_bool(), closure["team"].as_str()), (Some(true), Some("segreteria")), "{closure}");
    let delete = format!("/staff/admin/closures/{}/delete", closure["id"].as_str().unwrap());
    let (status, _) = submit(&admin, &app, &html, &delete, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let list: Value = app.get("/api/v1/admin/closures", Some(&admin_session.token)).await.json().await.unwrap();
    assert!(!list.to_string().contains("Sant'Alessandro"));
}

async fn career_action_types_from_the_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin_session = app.admin().await;
    let admin = signed_in(&app, "admin@unibg.it", "admin-password").await;
    let html = shown(&admin, &app, "/staff/admin/career?year=2025-2026").await;
    assert!(html.contains("href=\"/staff/admin/career/corsi-singoli?year=2025-2026\"") && html.contains("15 luglio 2026"), "{html}");
    // The cohort of a window shows beside it; days as people write them.
    assert!(html.contains("29 ottobre 2025 – 21 novembre 2025 (ordinario) · laurea magistrale, 1° anno"), "{html}");
    let url = "/staff/admin/career/corsi-singoli?year=2025-2026";
    let html = shown(&admin, &app, url).await;
    assert!(html.contains("name=\"windows[0].to\" value=\"2026-07-15\""), "{html}");
    let bad =
        refused(&admin, &app, &html, url, &[("windows[0].to", "15/07/2026"), ("late_fee_eur", "molti")], "15/07/2026").await;
    assert!(bad.contains("value=\"molti\"") && bad.contains("id=\"ct-windows-0-to-error\""), "{bad}");
    // A late window after the regular one ends before it: the check's error on its row.
    let (status, bad) = submit(
        &admin,
        &app,
        &html,
        url,
        &[("windows[1].from", "2026-09-01"), ("windows[1].to", "2026-08-01"), ("windows[1].kind", "late")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(bad.contains("id=\"ct-windows-1-to-error\""), "{bad}");
    let html = accepted(
        &admin,
        &app,
        &html,
        url,
        &[
            ("windows[1].from", "2026-07-16"),
            ("windows[1].to", "2026-09-30"),
            ("windows[1].kind", "late"),
            ("windows[1].late_fee_eur", "16,00"),
            ("late_fee_eur", "111"),
            ("required_documents", "id|Documento d'identità|Identity document"),
        ],
    )
    .await;
    let types: Value =
        app.get("/api/v1/admin/career-action-types?academic_year=2025-2026", Some(&admin_session.token)).await.json().await.unwrap();
    let t = types.as_array().unwrap().iter().find(|t| t["slug"] == "corsi-singoli").unwrap();
    assert_eq!(t["windows"][1]["kind"], "late", "{t}");
    assert_eq!(t["windows"][1]["late_fee_eur"], 16.0);
    assert_eq!(t["late_fee_eur"], 111.0);
    assert_eq!(t["required_documents"][0]["label"]["en"], "Identity document");
    // Retired from the page: gone from the public catalog.
    let (status, _) = submit(&admin, &app, &html, url, &[("active", "")]).await;
    assert_eq!(status, StatusCode::OK);
    let public: Value = app.get("/api/v1/career-action-types", None).await.json().await.unwrap();
    assert!(!public.to_string().contains("\"corsi-singoli\""), "retired");
}

/// The academic year today is in ("2026/2027").
fn this_year() -> String {
    use chrono::Datelike;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Rome).date_naive();
    let first = if today.month() >= 8 { today.year() } else { today.year() - 1 };
    format!("{first}/{}", first + 1)
}

async fn academic_calendars_from_the_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = as_admin(&app).await;
    let year = this_year();
    // The console warns the admin, in the page's language, with the students' very words.
    let console = shown(&admin, &app, "/staff").await;
    let warning = format!("Il calendario {year} non è pubblicato: agli studenti il desk dice «il calendario {year} non è ancora pubblicato»");
    assert!(unescape(&console).contains(&warning), "{console}");
    shown(&admin, &app, "/lang/en?next=/staff").await;
    let console = shown(&admin, &app, "/staff").await;
    assert!(unescape(&console).contains(&format!("The {year} calendar is not published")), "{console}");
    shown(&admin, &app, "/lang/it?next=/staff").await;

    let url = "/staff/admin/calendar";
    let html = shown(&admin, &app, url).await;
    assert!(html.contains("2025/2026") && html.contains("pubblicato"), "{html}");
    // The guide's contradiction on the rinuncia, quoted, and the rule the desk follows.
    assert!(unescape(&html).contains("entro i 5 giorni successivi") && html.contains("regola specifica"), "{html}");
    refused(&admin, &app, &html, "/staff/admin/calendar/copy", &[("from", "2025/2026"), ("to", "il prossimo")], "il prossimo").await;
    let html = accepted(&admin, &app, &html, "/staff/admin/calendar/copy", &[("from", "2025/2026"), ("to", &year)]).await;
    assert!(html.contains("copiato da") && html.contains("action=\"/staff/admin/calendar/publish\""), "{html}");
    // Still a draft: the warning stays.
    assert!(unescape(&shown(&admin, &app, "/staff").await).contains(&warning));
    let html = accepted(&admin, &app, &html, "/staff/admin/calendar/publish", &[]).await;
    assert!(!html.contains("action=\"/staff/admin/calendar/publish\""), "nothing left to publish: {html}");
    assert!(!unescape(&shown(&admin, &app, "/staff").await).contains(&warning), "published: no warning");
    // Students now get the year's windows.
    let types: Value = app.get("/api/v1/career-action-types", None).await.json().await.unwrap();
    let singles = types.as_array().unwrap().iter().find(|t| t["slug"] == "corsi-singoli").unwrap();
    assert_eq!(singles["window"]["academic_year"], year.as_str());
    assert_eq!(singles["window"]["state"], "open");
}
