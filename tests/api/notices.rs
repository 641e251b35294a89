//! Privacy notices per category (issue 17, item 4): shown by the categories' API and the form,
//! acknowledged by version when a ticket is opened, kept by the ticket, versioned by edits.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{segreteria_ticket, spawn_app, Backend, Session, TestApp};
use crate::portal::{browser, csrf_of, page, sign_up};

both_backends!(
    categories_show_the_seeded_notice_and_a_ticket_keeps_the_version_read,
    a_ticket_without_the_current_version_is_refused,
    an_edit_is_a_new_version_and_old_tickets_keep_theirs,
    a_notice_edited_after_the_check_refuses_the_write_and_writes_nothing,
    only_admins_edit_notices,
    the_form_shows_the_notice_and_requires_its_checkbox,
    admins_edit_the_notice_on_the_category_page,
);

async fn categories(app: &TestApp, locale: &str) -> Vec<Value> {
    let res = app.get(&format!("/api/v1/categories?locale={locale}"), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap().as_array().unwrap().clone()
}

fn notice_of<'a>(list: &'a [Value], slug: &str) -> &'a Value {
    &list.iter().find(|c| c["slug"] == slug).unwrap_or_else(|| panic!("no {slug}"))["privacy_notice"]
}

async fn open(app: &TestApp, who: &Session, version: Option<Value>) -> reqwest::Response {
    let mut body = segreteria_ticket("Informativa");
    match version {
        Some(v) => body["privacy_notice_version"] = v,
        None => {
            body.as_object_mut().unwrap().remove("privacy_notice_version");
        }
    }
    app.post("/api/v1/tickets", Some(&who.token), &body).await
}

async fn field_errors(res: reqwest::Response) -> Vec<(String, String)> {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["message"].as_str().unwrap().to_owned()))
        .collect()
}

async fn categories_show_the_seeded_notice_and_a_ticket_keeps_the_version_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let italian = categories(&app, "it").await;
    let english = categories(&app, "en").await;
    // Every seeded category collects career data or identity documents: each has a notice.
    for slug in ["segreteria", "stranieri", "ita-l2", "credenziali"] {
        let (it, en) = (notice_of(&italian, slug), notice_of(&english, slug));
        assert_eq!(it["version"], 1, "{slug}: {it}");
        let text = it["text"].as_str().unwrap();
        assert!(text.contains("Titolare del trattamento") && text.contains("artt. 15-22"), "{slug}: {text}");
        assert!(!text.contains('{'), "every placeholder filled: {text}");
        let text = en["text"].as_str().unwrap();
        assert!(text.contains("data controller") && text.contains("articles 15-22") && text.contains("Data Protection Officer"), "{text}");
        assert_eq!(en["texts"]["it"], it["text"], "both languages are given");
    }
    // Each says its category's retention.
    assert!(notice_of(&italian, "segreteria")["text"].as_str().unwrap().contains("conservata per 5 anni"));
    assert!(notice_of(&english, "credenziali")["text"].as_str().unwrap().contains("deleted 90 days after closing"));

    let student = app.student("letto@studenti.unibg.it").await;
    let res = open(&app, &student, Some(json!(1))).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let ticket: Value = res.json().await.unwrap();
    assert_eq!(ticket["privacy_notice_version"], 1);
    let number = ticket["number"].as_str().unwrap();
    let seen: Value = app.get(&format!("/api/v1/tickets/{number}"), Some(&student.token)).await.json().await.unwrap();
    assert_eq!(seen["privacy_notice_version"], 1, "the ticket keeps the version acknowledged");
    let admin = app.admin().await;
    let history: Value = app.get(&format!("/api/v1/tickets/{number}/events"), Some(&admin.token)).await.json().await.unwrap();
    assert_eq!(history[0]["data"]["privacy_notice_version"], 1, "{history}");
}

async fn a_ticket_without_the_current_version_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("senza@studenti.unibg.it").await;
    let missing = field_errors(open(&app, &student, None).await).await;
    assert_eq!(missing, [("privacy_notice_version".to_owned(), "read the privacy notice and acknowledge it".to_owned())]);
    for wrong in [json!(2), json!(0), json!(-1), json!(null)] {
        let errors = field_errors(open(&app, &student, Some(wrong.clone())).await).await;
        assert_eq!(errors.len(), 1, "{wrong}: {errors:?}");
        assert_eq!(errors[0].0, "privacy_notice_version");
    }
    // A guest acknowledges too.
    let guest = json!({"category": "stranieri", "subject": "Visto", "body": "Quali documenti servono?",
                       "guest": {"email": "ospite@example.com", "name": "Ospite"},
                       "fields": {"nationality": "Brasile", "topic": "visa"}});
    let res = app.post("/api/v1/tickets", None, &guest).await;
    let fields: Vec<String> = field_errors(res).await.into_iter().map(|(f, _)| f).collect();
    assert!(fields.contains(&"privacy_notice_version".to_owned()), "{fields:?}");
    let list: Value = app.get("/api/v1/tickets", Some(&student.token)).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing was opened");
}

async fn put_notice(app: &TestApp, who: &Session, slug: &str, it: &str, en: &str) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/admin/categories/{slug}/privacy-notice")))
        .bearer_auth(&who.token)
        .json(&json!({"it": it, "en": en}))
        .send()
        .await
        .unwrap()
}

async fn an_edit_is_a_new_version_and_old_tickets_keep_theirs(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let student = app.student("versioni@studenti.unibg.it").await;
    let first: Value = open(&app, &student, Some(json!(1))).await.json().await.unwrap();

    let res = put_notice(&app, &admin, "segreteria", "Nuova informativa.\n\nSecondo paragrafo.", "New notice.\n\nSecond paragraph.").await;
    assert_eq!(res.status(), StatusCode::OK);
    let notice: Value = res.json().await.unwrap();
    assert_eq!(notice["version"], 2);
    assert_eq!(notice_of(&categories(&app, "en").await, "segreteria")["text"], "New notice.\n\nSecond paragraph.");
    // The same text again changes nothing.
    let same: Value = put_notice(&app, &admin, "segreteria", "Nuova informativa.\n\nSecondo paragrafo.", "New notice.\n\nSecond paragraph.").await.json().await.unwrap();
    assert_eq!(same["version"], 2);

    // The version read before the edit is no longer enough; the new one is.
    let errors = field_errors(open(&app, &student, Some(json!(1))).await).await;
    assert!(errors[0].1.contains("not the current privacy notice"), "{errors:?}");
    let second: Value = open(&app, &student, Some(json!(2))).await.json().await.unwrap();
    assert_eq!(second["privacy_notice_version"], 2);
    let number = first["number"].as_str().unwrap();
    let old: Value = app.get(&format!("/api/v1/tickets/{number}"), Some(&student.token)).await.json().await.unwrap();
    assert_eq!(old["privacy_notice_version"], 1, "an older ticket keeps the version it acknowledged");

    // One language only is refused; both empty remove the notice: nothing to acknowledge.
    let res = put_notice(&app, &admin, "segreteria", "Solo italiano", "").await;
    assert_eq!(field_errors(res).await[0].0, "privacy_notice.en");
    let res = put_notice(&app, &admin, "segreteria", "", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap(), Value::Null);
    assert_eq!(notice_of(&categories(&app, "it").await, "segreteria"), &Value::Null);
    let res = open(&app, &student, None).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.json::<Value>().await.unwrap()["privacy_notice_version"], Value::Null);
    // A notice given again follows every version the category ever had.
    let again: Value = put_notice(&app, &admin, "segreteria", "Di nuovo", "Again").await.json().await.unwrap();
    assert_eq!(again["version"], 3);
    let read: Value = app.get("/api/v1/admin/categories/segreteria/privacy-notice?locale=it", Some(&admin.token)).await.json().await.unwrap();
    assert_eq!((read["version"].as_i64(), read["text"].as_str()), (Some(3), Some("Di nuovo")));
    // A form without a notice shows no checkbox (and still renders).
    assert_eq!(put_notice(&app, &admin, "stranieri", "", "").await.status(), StatusCode::OK);
    let res = app.get("/tickets/new?category=stranieri", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"name="subject""#) && !html.contains("privacy_notice_version"), "{html}");
}

/// The check reads the catalog, which may be a cache's TTL old (or another instance's): the
/// write itself copies the acknowledgement only from a notice still current, last of the
/// ticket's statements (on PostgreSQL one statement with the others), and a refusal there
/// leaves nothing behind — no ticket, no number's row, no mail.
async fn a_notice_edited_after_the_check_refuses_the_write_and_writes_nothing(backend: Backend) {
    use helpdesk::tickets::open::{open as open_ticket, NewTicket, Place, Request};
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let student = app.student("tardi@studenti.unibg.it").await;
    let id = student.id.clone();
    let (catalog, user) = app
        .db
        .read(move |conn| Ok::<_, helpdesk::error::ServiceError>((helpdesk::categories::list(conn)?, helpdesk::accounts::find_user(conn, &id)?)))
        .await
        .unwrap();
    let res = put_notice(&app, &admin, "segreteria", "Informativa rivista.", "Revised notice.").await;
    assert_eq!(res.status(), StatusCode::OK);
    let input: NewTicket = serde_json::from_value(segreteria_ticket("Letto prima della modifica")).unwrap();
    let place = Place { prefix: "HD".into(), base_url: "http://127.0.0.1".into() };
    let stale = Request { input: input.clone(), user: Some(user.clone()), uploads: Vec::new(), errors: Vec::new() };
    let refused = open_ticket(&app.db, &catalog, stale, &place).await.err().expect("the write refuses a notice no longer current");
    assert_eq!(outdated(&refused), Some("privacy_notice_version"), "{refused:?}");
    let list: Value = app.get("/api/v1/tickets", Some(&student.token)).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing was opened");
    // With the fresh catalog the check itself refuses it.
    let fresh = app.db.read(helpdesk::categories::list).await.unwrap();
    let current = Request { input, user: Some(user), uploads: Vec::new(), errors: Vec::new() };
    let refused_again = open_ticket(&app.db, &fresh, current, &place).await.err().expect("version 1 is not current any more");
    assert_eq!(outdated(&refused_again), Some("privacy_notice_version"), "{refused_again:?}");
    // Counted whatever their state: the desk's workers send the sign-up mails meanwhile.
    let created_mails = app
        .db
        .read(|conn| {
            use diesel::prelude::*;
            use helpdesk::db::schema::outbox;
            outbox::table.filter(outbox::kind.eq("ticket_created")).count().get_result::<i64>(conn).map_err(helpdesk::error::ServiceError::from)
        })
        .await
        .unwrap();
    assert_eq!(created_mails, 0, "no mail queued by a refused write");
}

/// The field of a refusal for an outdated notice.
fn outdated(error: &helpdesk::error::ServiceError) -> Option<&str> {
    match error {
        helpdesk::error::ServiceError::Validation(list) => {
            list.iter().find(|e| e.code == helpdesk::domain::Code::NoticeOutdated).map(|e| e.field.as_str())
        }
        _ => None,
    }
}

async fn only_admins_edit_notices(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "op@unibg.it", "agent", &["segreteria"]).await;
    let student = app.student("curioso@studenti.unibg.it").await;
    for who in [&agent, &student] {
        assert_eq!(put_notice(&app, who, "segreteria", "x", "y").await.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(put_notice(&app, &admin, "pizzeria", "x", "y").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(notice_of(&categories(&app, "it").await, "segreteria")["version"], 1, "unchanged");
}

async fn the_form_shows_the_notice_and_requires_its_checkbox(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = sign_up(&app, "modulo@studenti.unibg.it").await;
    let (_, form) = page(&client, &app, "/tickets/new?category=segreteria").await;
    assert!(form.contains("Titolare del trattamento"), "the notice's text, in the page's language");
    assert!(form.contains(r#"name="privacy_notice_version" value="1" required"#), "{form}");
    assert!(form.contains("Ho letto l&#x27;informativa sul trattamento dei dati personali") || form.contains("Ho letto l'informativa sul trattamento dei dati personali"));
    // Sent without the tick: the form comes back with the translated error, nothing opened.
    let unticked = reqwest::multipart::Form::new()
        .text("csrf", csrf_of(&form))
        .text("category", "segreteria")
        .text("subject", "Senza spunta")
        .text("body", "Vorrei sapere come modificare il piano di studio.")
        .text("f.matricola", "1012345")
        .text("f.course", "Ingegneria")
        .text("f.topic", "piano-di-studio");
    let res = client.post(app.url("/tickets/new")).multipart(unticked).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("conferma di averla letta"), "{html}");
    let (_, list) = page(&client, &app, "/tickets").await;
    assert!(!list.contains("Senza spunta"));
    // In English, the English text and label.
    let english = browser();
    let res = english.get(app.url("/tickets/new?category=stranieri")).header("Accept-Language", "en").send().await.unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("I have read the privacy notice") && html.contains("data controller"), "{html}");
    // The staff page says which version the ticket acknowledged.
    let number = crate::portal::open_segreteria(&app, &client, "Con spunta").await;
    app.admin().await;
    let staff = crate::staff_pages::signed_in(&app, "admin@unibg.it", "admin-password").await;
    let (status, html) = page(&staff, &app, &format!("/staff/tickets/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Informativa privacy letta") && html.contains("versione 1"), "{html}");
}

async fn admins_edit_the_notice_on_the_category_page(backend: Backend) {
    use crate::admin_pages::{form_values, submit};
    let app = spawn_app(backend).await;
    app.admin().await;
    let admin = crate::staff_pages::signed_in(&app, "admin@unibg.it", "admin-password").await;
    let url = "/staff/admin/categories/segreteria";
    let (_, html) = page(&admin, &app, url).await;
    assert!(html.contains("Informativa privacy (italiano)") && html.contains("Versione attuale: 1"), "{html}");
    let values = form_values(&html, url);
    let it = values.get("privacy_notice.it").cloned().unwrap_or_default();
    assert!(it.contains("Titolare del trattamento"), "{it}");
    // Saved as shown, even with a browser's CRLF line ends: no new version.
    let crlf = it.replace('\n', "\r\n");
    let (status, _) = submit(&admin, &app, &html, url, &[("privacy_notice.it", crlf.as_str())]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(notice_of(&categories(&app, "it").await, "segreteria")["version"], 1);
    // One language emptied: refused, nothing saved.
    let (status, _) = submit(&admin, &app, &html, url, &[("privacy_notice.en", " ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(notice_of(&categories(&app, "it").await, "segreteria")["version"], 1);
    // A changed text is the next version.
    let (status, html) = submit(&admin, &app, &html, url, &[("privacy_notice.en", "Revised notice.")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Versione attuale: 2"), "{html}");
    assert_eq!(notice_of(&categories(&app, "en").await, "segreteria")["text"], "Revised notice.");
}
