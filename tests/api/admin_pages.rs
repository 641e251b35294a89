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

both_backends!(a_new_form_version_serves_new_tickets_and_old_ones_keep_theirs, admin_pages_are_for_admins_only);

const PAGES: [&str; 9] = [
    "/staff/admin",
    "/staff/admin/categories",
    "/staff/admin/categories/segreteria",
    "/staff/admin/teams",
    "/staff/admin/canned",
    "/staff/admin/hours",
    "/staff/admin/hours/segreteria",
    "/staff/admin/closures",
    "/staff/admin/career",
];

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&#x27;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&#x3D;", "=").replace("&amp;", "&")
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
pub(crate) async fn submit(client: &Client, app: &TestApp, html: &str, action: &str, changes: &[(&str, &str)]) -> (StatusCode, String) {
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

/// Asserts a refused form: 422, the typed value shown again, an invalid field.
fn refused_keeping(status: StatusCode, html: &str, typed: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains(typed), "the typed {typed:?} is kept: {html}");
    assert!(html.contains("aria-invalid=\"true\"") && html.contains("aria-describedby="), "{html}");
    assert!(html.contains("error-summary"), "{html}");
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
    let (status, html) = page(&admin, &app, "/staff/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/staff/admin/categories\"") && html.contains("href=\"/staff/admin\""), "{html}");

    let url = "/staff/admin/categories/segreteria";
    let (status, html) = page(&admin, &app, url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("piano-di-studio|"), "the options of a field, one per line: {html}");
    // Bad input: a key with spaces and hours that are no number, shown again as typed.
    let (status, bad) =
        submit(&admin, &app, &html, url, &[("fields[1].key", "Corso Di Laurea"), ("first_response_hours", "tanti")]).await;
    refused_keeping(status, &bad, "Corso Di Laurea");
    assert!(bad.contains("value=\"tanti\""), "{bad}");
    // A new field in the first empty row, the course no longer required.
    let (status, saved) = submit(
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
    assert_eq!(status, StatusCode::OK, "{saved}");
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
    let seen: Value = app.get(&format!("/api/v1/tickets/{}", old["number"].as_str().unwrap()), Some(&student.token)).await.json().await.unwrap();
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
