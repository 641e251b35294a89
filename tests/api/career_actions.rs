//! Career procedures over HTTP: the catalog, a procedure from a ticket to approved with its fee
//! mailed, the career system's reports reaching linked tickets, deadlines, access.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, Session, TestApp};

both_backends!(
    the_catalog_lists_the_fifteen_types_with_their_windows,
    corsi_singoli_from_ticket_to_approved_with_the_fee_mailed,
    the_career_system_changes_reach_linked_tickets_once,
    procedures_are_private_and_staff_follow_the_allowed_path,
    a_near_deadline_makes_the_ticket_due_sooner_and_more_urgent,
    admins_edit_the_catalog_and_bad_edits_are_refused,
);

const KEY: &str = "test-integration-key";

async fn put(app: &TestApp, path: &str, key: Option<&str>, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut req = app.client.put(app.url(path)).json(body);
    if let Some(key) = key {
        req = req.header("X-Api-Key", key);
    }
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

async fn json_of(res: reqwest::Response, status: StatusCode) -> Value {
    let got = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

fn corsi_singoli_ticket() -> Value {
    json!({
        "category": "segreteria", "privacy_notice_version": 1,
        "subject": "Iscrizione a due corsi singoli",
        "body": "Vorrei iscrivermi a Diritto privato e a Economia.",
        "fields": {"matricola": "1012345", "course": "Giurisprudenza", "topic": "corsi-singoli"},
        "career_action": {"type": "corsi-singoli", "data": {"courses": [
            {"code": "21001", "name": "Diritto privato", "cfu": 9}, {"code": "21002", "name": "Economia", "cfu": 6}]}}
    })
}

async fn thread_system_texts(app: &TestApp, who: &Session, number: &str) -> Vec<String> {
    let ticket = json_of(app.get(&format!("/api/v1/tickets/{number}"), Some(&who.token)).await, StatusCode::OK).await;
    ticket["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "system")
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_catalog_lists_the_fifteen_types_with_their_windows(backend: Backend) {
    let app = spawn_app(backend).await;
    let types = json_of(app.get("/api/v1/career-action-types?locale=en&on=2025-10-10", None).await, StatusCode::OK).await;
    let types = types.as_array().unwrap();
    assert_eq!(types.len(), 15);
    let transfer = types.iter().find(|t| t["slug"] == "trasferimento-in-ingresso").unwrap();
    assert_eq!(transfer["name"], "Incoming transfer");
    assert_eq!(transfer["late_fee_eur"], 95.0);
    let windows = transfer["windows"].as_array().unwrap();
    assert!(windows
        .iter()
        .any(|w| w["kind"] == "late" && w["from"] == "2025-10-04" && w["to"] == "2025-11-28" && w["late_fee_eur"] == 95.0));
    assert!(!transfer["required_documents"].as_array().unwrap().is_empty());
    // On 10 October 2025 the transfer is late, and the warning names the fee.
    assert_eq!(transfer["window"]["state"], "late");
    assert_eq!(transfer["window"]["academic_year"], "2025/2026");
    assert_eq!(transfer["window"]["late_fee_eur"], 95.0);
    assert!(transfer["warning"].as_str().unwrap().contains("95"));
    let it = json_of(app.get("/api/v1/career-action-types?locale=it", None).await, StatusCode::OK).await;
    assert_eq!(
        it.as_array().unwrap().iter().find(|t| t["slug"] == "corsi-singoli").unwrap()["name"],
        "Iscrizione a corsi singoli"
    );
}

async fn corsi_singoli_from_ticket_to_approved_with_the_fee_mailed(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let student = app.student("mario@studenti.unibg.it").await;

    let ticket =
        json_of(app.post("/api/v1/tickets", Some(&student.token), &corsi_singoli_ticket()).await, StatusCode::CREATED).await;
    let number = ticket["number"].as_str().unwrap().to_owned();
    let linked = &ticket["career_actions"][0];
    assert_eq!((linked["type"].as_str(), linked["status"].as_str()), (Some("corsi-singoli"), Some("submitted")));
    let id = linked["id"].as_str().unwrap().to_owned();

    // The computed amounts: 15 CFU × 25 € + 16 € stamp duty.
    let action = json_of(app.get(&format!("/api/v1/career-actions/{id}"), Some(&student.token)).await, StatusCode::OK).await;
    assert_eq!(action["amounts"]["total_eur"].as_f64(), Some(391.0));
    assert_eq!(action["tickets"], json!([number]));

    // A second ticket about the same procedure links the same one, not a new one.
    let mut again = corsi_singoli_ticket();
    again["career_action"]["data"] = json!({});
    let second = json_of(app.post("/api/v1/tickets", Some(&student.token), &again).await, StatusCode::CREATED).await;
    assert_eq!(second["career_actions"][0]["id"], id.as_str());

    let path = format!("/api/v1/career-actions/{id}");
    let in_review = json_of(
        app.patch(&path, &agent.token, &json!({"status": "in_review", "note": "Verifichiamo i corsi."})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(in_review["status"], "in_review");
    let approved = json_of(
        app.patch(
            &path,
            &agent.token,
            &json!({"status": "approved", "note": "Approvata: paga entro 15 giorni.", "version": in_review["version"]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["history"].as_array().unwrap().len(), 3);

    // Both linked tickets got the two changes as system messages; the student sees them.
    for n in [number.as_str(), second["number"].as_str().unwrap()] {
        let texts = thread_system_texts(&app, &student, n).await;
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts[1].contains("approvata") && texts[1].contains("Approvata: paga entro 15 giorni."), "{texts:?}");
    }

    // One mail per change, with the computed fee, in the ticket's language.
    let mails: Vec<Value> = app
        .outbox_for("mario@studenti.unibg.it")
        .await
        .into_iter()
        .filter(|(kind, _)| kind == "career_action_update")
        .map(|(_, p)| p)
        .collect();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1]["status_code"], "approved");
    let lines = mails[1]["amount_lines"].to_string();
    assert!(lines.contains("Totale da pagare: € 391,00, entro 15 giorni"), "{lines}");
    assert_eq!(mails[1]["number"], number.as_str());
}

async fn the_career_system_changes_reach_linked_tickets_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("anna@studenti.unibg.it").await;
    let ticket = app.open_ticket(&student, "Trasferimento da Milano").await;
    let number = ticket["number"].as_str().unwrap();
    let path = "/api/v1/integrations/career-actions/TR-2025-0042";
    let report = json!({"type": "trasferimento-in-ingresso", "student_email": "anna@studenti.unibg.it", "status": "submitted",
                        "data": {"programme": "laurea", "recognised_cfu": 45, "previous_university": "Milano"}});

    assert_eq!(put(&app, path, None, None, &report).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(put(&app, path, Some("wrong"), None, &report).await.status(), StatusCode::UNAUTHORIZED);
    let created = json_of(put(&app, path, Some(KEY), None, &report).await, StatusCode::CREATED).await;
    assert_eq!(created["amounts"]["admission_year"], 2);
    let id = created["id"].as_str().unwrap().to_owned();
    // The same report again: nothing new.
    let same = json_of(put(&app, path, Some(KEY), None, &report).await, StatusCode::OK).await;
    assert_eq!(same["id"], id.as_str());
    assert_eq!(same["history"].as_array().unwrap().len(), 1);

    // The student links it to their ticket (once).
    let link = format!("/api/v1/tickets/{number}/career-actions");
    let linked =
        json_of(app.post(&link, Some(&student.token), &json!({"career_action_id": id})).await, StatusCode::CREATED).await;
    assert_eq!(linked[0]["external_ref"], "TR-2025-0042");
    json_of(app.post(&link, Some(&student.token), &json!({"career_action_id": id})).await, StatusCode::OK).await;

    let mut change = report.clone();
    change["status"] = json!("waiting_documents");
    change["note"] = json!("Manca il foglio di congedo.");
    json_of(put(&app, path, Some(KEY), None, &change).await, StatusCode::OK).await;
    json_of(put(&app, path, Some(KEY), None, &change).await, StatusCode::OK).await;
    let texts = thread_system_texts(&app, &student, number).await;
    assert_eq!(texts.len(), 1, "the repeated report must not add a message: {texts:?}");
    assert!(texts[0].contains("in attesa di documenti") && texts[0].contains("Manca il foglio di congedo."));
    let updates = app.outbox_for("anna@studenti.unibg.it").await.into_iter().filter(|(k, _)| k == "career_action_update").count();
    assert_eq!(updates, 1);

    // Another type or another student under the same reference is a conflict.
    let mut other_type = report.clone();
    other_type["type"] = json!("seconda-laurea");
    json_of(put(&app, path, Some(KEY), None, &other_type).await, StatusCode::CONFLICT).await;
    let mut other_student = report.clone();
    other_student["student_email"] = json!("someone@else.it");
    json_of(put(&app, path, Some(KEY), None, &other_student).await, StatusCode::CONFLICT).await;
    // Bad input: 422 naming the field.
    let mut bad = report.clone();
    bad["status"] = json!("done");
    let problem = json_of(put(&app, path, Some(KEY), None, &bad).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["errors"][0]["field"], "status");
    // A report for a student the desk does not know creates their account and the procedure.
    let newcomer = json!({"type": "immatricolazione", "student_email": "new@studenti.unibg.it", "status": "in_review"});
    json_of(put(&app, "/api/v1/integrations/career-actions/IM-1", Some(KEY), None, &newcomer).await, StatusCode::CREATED).await;
}

async fn procedures_are_private_and_staff_follow_the_allowed_path(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let mario = app.student("mario@studenti.unibg.it").await;
    let eve = app.student("eve@studenti.unibg.it").await;
    let created = json_of(
        app.post(
            "/api/v1/career-actions",
            Some(&mario.token),
            &json!({"type": "rinuncia-agli-studi", "data": {"submitted_on": "2026-01-10"}}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["status"], "submitted");
    assert_eq!(created["amounts"]["stamp_duty_eur"].as_f64(), Some(16.0));
    let path = format!("/api/v1/career-actions/{}", created["id"].as_str().unwrap());

    assert_eq!(app.get(&path, Some(&eve.token)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/career-actions/not-an-id", Some(&mario.token)).await.status(), StatusCode::NOT_FOUND);
    // An agent reaches a student's procedures only through a ticket of theirs the agent sees.
    assert_eq!(app.get(&path, Some(&agent.token)).await.status(), StatusCode::NOT_FOUND);
    app.open_ticket(&mario, "Rinuncia agli studi").await;
    assert_eq!(app.get(&path, Some(&agent.token)).await.status(), StatusCode::OK);
    assert_eq!(app.get(&path, None).await.status(), StatusCode::UNAUTHORIZED);
    let mine = json_of(app.get("/api/v1/career-actions", Some(&mario.token)).await, StatusCode::OK).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let eves = json_of(app.get("/api/v1/career-actions", Some(&eve.token)).await, StatusCode::OK).await;
    assert!(eves.as_array().unwrap().is_empty());
    // Eve cannot link Mario's procedure to her ticket.
    let eve_ticket = app.open_ticket(&eve, "Domanda").await;
    let link = format!("/api/v1/tickets/{}/career-actions", eve_ticket["number"].as_str().unwrap());
    let id = created["id"].as_str().unwrap();
    json_of(app.post(&link, Some(&eve.token), &json!({"career_action_id": id})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    // Staff may not link it either: it is not the requester's.
    json_of(app.post(&link, Some(&agent.token), &json!({"career_action_id": id})).await, StatusCode::UNPROCESSABLE_ENTITY).await;

    assert_eq!(
        app.patch(&path, &mario.token, &json!({"status": "approved", "note": "ok"})).await.status(),
        StatusCode::FORBIDDEN
    );
    let no_note =
        json_of(app.patch(&path, &agent.token, &json!({"status": "in_review"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(no_note["errors"][0]["field"], "note");
    let skip = json_of(
        app.patch(&path, &agent.token, &json!({"status": "completed", "note": "fatto"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(skip["errors"][0]["field"], "status");
    json_of(
        app.patch(&path, &agent.token, &json!({"status": "in_review", "note": "presa in carico", "version": 1})).await,
        StatusCode::OK,
    )
    .await;
    json_of(
        app.patch(&path, &agent.token, &json!({"status": "rejected", "note": "tardi", "version": 1})).await,
        StatusCode::CONFLICT,
    )
    .await;
    json_of(
        app.patch(&path, &agent.token, &json!({"status": "cancelled", "note": "annullata su richiesta"})).await,
        StatusCode::OK,
    )
    .await;
    json_of(
        app.patch(&path, &agent.token, &json!({"status": "in_review", "note": "riapro"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let unknown = json_of(
        app.post("/api/v1/career-actions", Some(&mario.token), &json!({"type": "laurea-honoris-causa"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(unknown["errors"][0]["field"], "type");
    let mut bad_ticket = corsi_singoli_ticket();
    bad_ticket["career_action"]["data"] = json!({"courses": [{"code": "1", "name": "A", "cfu": 40}]});
    let over =
        json_of(app.post("/api/v1/tickets", Some(&mario.token), &bad_ticket).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(over["errors"][0]["field"].as_str().unwrap().starts_with("data"), "{over}");
}

/// A type whose regular window closes in `days` days (Rome), as an admin would set it.
fn closing_in(app_type: &Value, days: i64) -> Value {
    let mut t = app_type.clone();
    let today = Utc::now().with_timezone(&chrono_tz::Europe::Rome).date_naive();
    t["windows"] = json!([{"from": (today - Duration::days(30)).to_string(), "to": (today + Duration::days(days)).to_string(), "kind": "regular"}]);
    t
}

async fn admin_type(app: &TestApp, admin: &Session, slug: &str) -> Value {
    let all = json_of(app.get("/api/v1/admin/career-action-types", Some(&admin.token)).await, StatusCode::OK).await;
    all.as_array().unwrap().iter().find(|t| t["slug"] == slug).unwrap().clone()
}

/// The academic year today is in, as the API writes it in addresses.
fn this_year() -> String {
    use chrono::Datelike;
    let today = Utc::now().with_timezone(&chrono_tz::Europe::Rome).date_naive();
    let first = if today.month() >= 8 { today.year() } else { today.year() - 1 };
    format!("{first}-{}", first + 1)
}

async fn a_near_deadline_makes_the_ticket_due_sooner_and_more_urgent(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let student = app.student("mario@studenti.unibg.it").await;
    let piano = admin_type(&app, &admin, "piano-di-studio").await;
    json_of(
        put(&app, "/api/v1/admin/career-action-types/piano-di-studio", None, Some(&admin.token), &closing_in(&piano, 5)).await,
        StatusCode::OK,
    )
    .await;
    // The windows went into this academic year's calendar, a draft until it is published.
    json_of(app.post(&format!("/api/v1/admin/calendars/{}/publish", this_year()), Some(&admin.token), &json!({})).await, StatusCode::OK)
        .await;

    let mut body = crate::helpers::segreteria_ticket("Piano di studio in scadenza");
    body["career_action"] = json!({"type": "piano-di-studio"});
    let ticket = json_of(app.post("/api/v1/tickets", Some(&student.token), &body).await, StatusCode::CREATED).await;
    assert_eq!(ticket["priority"], "high", "five days before the close");
    let deadline: chrono::DateTime<Utc> = ticket["deadline_at"].as_str().unwrap().parse().unwrap();
    let due: chrono::DateTime<Utc> = ticket["due_at"].as_str().unwrap().parse().unwrap();
    assert!(due <= deadline - Duration::days(1), "due {due} must be a day before the close {deadline}");
    assert_eq!(ticket["career_actions"][0]["window"]["state"], "open");
    assert!(ticket["career_actions"][0]["warning"].is_null());

    // The console's "deadline soon" queue and the career-action type filter find it.
    let agent = app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let queues = json_of(app.get("/api/v1/queues", Some(&agent.token)).await, StatusCode::OK).await;
    let soon = queues.as_array().unwrap().iter().find(|q| q["queue"] == "deadline_soon").expect("the deadline_soon queue is offered");
    assert_eq!(soon["count"], 1);
    let listed = json_of(app.get("/api/v1/queues/deadline_soon/tickets", Some(&agent.token)).await, StatusCode::OK).await;
    assert_eq!(listed["items"][0]["number"], ticket["number"]);
    let by_type = json_of(app.get("/api/v1/tickets?career_action_type=piano-di-studio", Some(&agent.token)).await, StatusCode::OK).await;
    assert_eq!(by_type["items"].as_array().unwrap().len(), 1);
    let other_type = json_of(app.get("/api/v1/tickets?career_action_type=corsi-singoli", Some(&agent.token)).await, StatusCode::OK).await;
    assert!(other_type["items"].as_array().unwrap().is_empty());
    json_of(app.get("/api/v1/tickets?career_action_type=nope", Some(&agent.token)).await, StatusCode::UNPROCESSABLE_ENTITY).await;

    // The scheduled step, four days later: two days before the close → urgent.
    let db = app.db.clone();
    let changed = tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().unwrap();
        helpdesk::career::changes::escalate_deadlines(&mut conn, (Utc::now() + Duration::days(4)).naive_utc(), 100).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(changed, 1);
    let number = ticket["number"].as_str().unwrap();
    let now = json_of(app.get(&format!("/api/v1/tickets/{number}"), Some(&student.token)).await, StatusCode::OK).await;
    assert_eq!(now["priority"], "urgent");

    // The regular window closed yesterday, the late one runs: accepted, with the fee in the warning.
    let mut late_piano = closing_in(&piano, -1);
    let today = Utc::now().with_timezone(&chrono_tz::Europe::Rome).date_naive();
    late_piano["windows"].as_array_mut().unwrap().push(
        json!({"from": today.to_string(), "to": (today + Duration::days(30)).to_string(), "kind": "late", "late_fee_eur": 50}),
    );
    json_of(
        put(&app, "/api/v1/admin/career-action-types/piano-di-studio", None, Some(&admin.token), &late_piano).await,
        StatusCode::OK,
    )
    .await;
    let mut late = crate::helpers::segreteria_ticket("Piano di studio fuori termine");
    late["career_action"] = json!({"type": "piano-di-studio"});
    late["locale"] = json!("en");
    let other = app.student("anna@studenti.unibg.it").await;
    let ticket = json_of(app.post("/api/v1/tickets", Some(&other.token), &late).await, StatusCode::CREATED).await;
    assert_eq!(ticket["career_actions"][0]["window"]["state"], "late");
    assert!(ticket["career_actions"][0]["warning"].as_str().unwrap().contains("€50,00"), "{}", ticket["career_actions"]);
    assert_eq!(ticket["priority"], "normal", "thirty days before the late window closes");
}

async fn admins_edit_the_catalog_and_bad_edits_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let path = "/api/v1/admin/career-action-types/corsi-singoli?academic_year=2025-2026";
    let all = json_of(app.get("/api/v1/admin/career-action-types?academic_year=2025-2026", Some(&admin.token)).await, StatusCode::OK).await;
    let mut t = all.as_array().unwrap().iter().find(|t| t["slug"] == "corsi-singoli").unwrap().clone();
    assert_eq!(t["windows"][0]["to"], "2026-07-15");
    assert_eq!(put(&app, path, None, Some(&agent.token), &t).await.status(), StatusCode::FORBIDDEN);
    t["windows"][0]["to"] = json!("2025-01-01");
    let problem = json_of(put(&app, path, None, Some(&admin.token), &t).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["errors"][0]["field"], "windows[0].to");
    let mut renamed = admin_type(&app, &admin, "corsi-singoli").await;
    renamed["slug"] = json!("other");
    json_of(put(&app, path, None, Some(&admin.token), &renamed).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    // Retiring a type hides it from the catalog and from new requests.
    let mut retired = admin_type(&app, &admin, "corsi-singoli").await;
    retired["active"] = json!(false);
    json_of(put(&app, path, None, Some(&admin.token), &retired).await, StatusCode::OK).await;
    let types = json_of(app.get("/api/v1/career-action-types", None).await, StatusCode::OK).await;
    assert_eq!(types.as_array().unwrap().len(), 14);
    let student = app.student("mario@studenti.unibg.it").await;
    json_of(
        app.post("/api/v1/career-actions", Some(&student.token), &json!({"type": "corsi-singoli"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    // A new type for next year.
    let mut fresh = admin_type(&app, &admin, "piano-di-studio").await;
    fresh["slug"] = json!("piano-di-studio-2026");
    json_of(
        put(&app, "/api/v1/admin/career-action-types/piano-di-studio-2026", None, Some(&admin.token), &fresh).await,
        StatusCode::OK,
    )
    .await;
    let types = json_of(app.get("/api/v1/career-action-types", None).await, StatusCode::OK).await;
    assert_eq!(types.as_array().unwrap().len(), 15);
}
