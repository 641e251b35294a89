//! The staff console's ticket page: thread with internal notes, reply and note, properties with
//! the version check, "assign to me", the student's procedures moved on from the page. On
//! SQLite and PostgreSQL.

use reqwest::multipart::Form;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::portal::{browser, csrf_of, page};

both_backends!(
    an_agent_works_a_ticket_and_its_procedure_from_the_console_page,
    the_console_is_for_staff_only,
    queues_search_bulk_canned_and_merge_from_the_console_pages,
);

/// A browser signed in with the given account.
pub(crate) async fn signed_in(app: &TestApp, email: &str, password: &str) -> Client {
    let client = browser();
    let (_, html) = page(&client, app, "/sign-in").await;
    let res = client
        .post(app.url("/sign-in"))
        .form(&[("csrf", csrf_of(&html).as_str()), ("email", email), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_ne!(res.url().path(), "/sign-in", "signed in as {email}");
    client
}

async fn post_form(client: &Client, app: &TestApp, action: &str, html: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let csrf = csrf_of(html);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let res = client.post(app.url(action)).form(&form).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

fn version_in(html: &str) -> String {
    let at = html.find(r#"name="version" value=""#).unwrap() + r#"name="version" value=""#.len();
    html[at..].split('"').next().unwrap().to_owned()
}

async fn an_agent_works_a_ticket_and_its_procedure_from_the_console_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let student = app.student("mario@studenti.unibg.it").await;
    let body = json!({"category": "segreteria", "privacy_notice_version": 1, "subject": "Corsi singoli", "body": "Vorrei iscrivermi a due corsi.",
        "fields": {"matricola": "1012345", "course": "Giurisprudenza", "topic": "corsi-singoli"},
        "career_action": {"type": "corsi-singoli", "data": {"courses": [{"code": "1", "name": "Diritto privato", "cfu": 9}, {"code": "2", "name": "Economia", "cfu": 6}]}}});
    let res = app.post("/api/v1/tickets", Some(&student.token), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let ticket: Value = res.json().await.unwrap();
    let number = ticket["number"].as_str().unwrap().to_owned();
    let url = format!("/staff/tickets/{number}");

    let agent = signed_in(&app, "laura@unibg.it", "agent-password").await;
    let (status, html) = page(&agent, &app, &url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Corsi singoli") && html.contains("mario@studenti.unibg.it"), "{html}");
    assert!(
        html.contains("Iscrizione a corsi singoli") && html.contains("Totale da pagare: € 391,00"),
        "the procedure and its fee"
    );

    // An internal note: marked on the console, never shown to the student.
    let note = Form::new()
        .text("csrf", csrf_of(&html))
        .text("body", "Verificare la pre-matricola.")
        .text("internal", "on")
        .text("status", "");
    let res = agent.post(app.url(&format!("{url}/reply"))).multipart(note).send().await.unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("Verificare la pre-matricola.") && html.contains("badge-internal"), "{html}");
    let seen: Value = app.get(&format!("/api/v1/tickets/{number}"), Some(&student.token)).await.json().await.unwrap();
    assert!(!seen.to_string().contains("Verificare la pre-matricola."));

    // Assign to me, then a stale form is refused with a conflict message.
    let stale = version_in(&html);
    let (status, html) = post_form(&agent, &app, &format!("{url}/update"), &html, &[("version", &stale), ("take", "me")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("laura@unibg.it"), "assigned to the agent");
    let (status, html) =
        post_form(&agent, &app, &format!("{url}/update"), &html, &[("version", &stale), ("priority", "urgent")]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("modificata da un&#x27;altra persona"), "{html}");
    let api: Value = app.get(&format!("/api/v1/tickets/{number}"), Some(&student.token)).await.json().await.unwrap();
    assert_eq!(api["priority"], "normal", "nothing was overwritten");

    // The procedure moved on from the page, with a note: the student's thread and mail get it.
    let at = html.find(&format!("action=\"{url}/procedures/")).unwrap() + "action=\"".len();
    let action = html[at..].split('"').next().unwrap().to_owned();
    let procedure_version = {
        let form_at = html.find(&action).unwrap();
        version_in(&html[form_at..])
    };
    let (status, html) = post_form(
        &agent,
        &app,
        &action,
        &html,
        &[("status", "approved"), ("note", "Approvata: paga entro 15 giorni."), ("version", &procedure_version)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("approvata"));
    let seen: Value = app.get(&format!("/api/v1/tickets/{number}"), Some(&student.token)).await.json().await.unwrap();
    assert!(seen.to_string().contains("Approvata: paga entro 15 giorni."));
    assert!(app
        .outbox_for("mario@studenti.unibg.it")
        .await
        .iter()
        .any(|(kind, p)| kind == "career_action_update" && p["status_code"] == "approved"));
    // Without a note the change is refused on the page.
    let (status, html) =
        post_form(&agent, &app, &action, &html, &[("status", "completed"), ("note", ""), ("version", "2")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");

    // A public reply that waits for the student.
    let reply = Form::new()
        .text("csrf", csrf_of(&html))
        .text("body", "Le abbiamo inviato il bollettino.")
        .text("status", "waiting_student");
    agent.post(app.url(&format!("{url}/reply"))).multipart(reply).send().await.unwrap();
    let seen: Value = app.get(&format!("/api/v1/tickets/{number}"), Some(&student.token)).await.json().await.unwrap();
    assert_eq!(seen["status"], "waiting_student");
    assert!(seen.to_string().contains("Le abbiamo inviato il bollettino."));
}

async fn the_console_is_for_staff_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("mario@studenti.unibg.it").await;
    let ticket = app.open_ticket(&student, "Domanda").await;
    let url = format!("/staff/tickets/{}", ticket["number"].as_str().unwrap());
    let res = browser().get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.url().path(), "/sign-in");
    let as_student = signed_in(&app, "mario@studenti.unibg.it", "password-123").await;
    assert_eq!(page(&as_student, &app, &url).await.0, StatusCode::NOT_FOUND);
    // An agent of another team does not see it either.
    let admin = app.admin().await;
    app.staff(&admin, "it@unibg.it", "agent", &["it"]).await;
    let other = signed_in(&app, "it@unibg.it", "agent-password").await;
    assert_eq!(page(&other, &app, &url).await.0, StatusCode::NOT_FOUND);
}

/// The first value of `name="<name>" value="…"` after `from` in a page.
fn value_after(html: &str, from: &str, name: &str) -> String {
    let start = html.find(from).unwrap();
    let marker = format!(r#"name="{name}" value=""#);
    let at = html[start..].find(&marker).unwrap() + start + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

async fn queues_search_bulk_canned_and_merge_from_the_console_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let student = app.student("mario@studenti.unibg.it").await;
    let mut numbers = Vec::new();
    for subject in ["Rimborso delle tasse universitarie", "Piano di studio", "Piano di studio (di nuovo)"] {
        numbers.push(app.open_ticket(&student, subject).await["number"].as_str().unwrap().to_owned());
    }

    // Signing in lands on the console: the unassigned queue with its count and tickets.
    let agent = browser();
    let (_, html) = page(&agent, &app, "/sign-in").await;
    let res = agent
        .post(app.url("/sign-in"))
        .form(&[("csrf", csrf_of(&html).as_str()), ("email", "laura@unibg.it"), ("password", "agent-password"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.url().path(), "/staff");
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"aria-current="page">Non assegnati <span class="count">3</span>"#), "{html}");
    assert!(numbers.iter().all(|n| html.contains(n.as_str())));
    let (_, filtered) = page(&agent, &app, "/staff?queue=unassigned&priority=urgent").await;
    assert!(filtered.contains("Nessuna richiesta in questa coda."));

    // Search: ranked hits with the words marked.
    let (_, found) = page(&agent, &app, "/staff/search?q=rimborso").await;
    assert!(found.contains(&numbers[0]) && found.contains("<mark>") && !found.contains(&numbers[1]), "{found}");

    // Bulk: two tickets assigned to me in one step.
    let csrf = csrf_of(&html);
    let res = agent
        .post(app.url("/staff/bulk"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("back", "/staff?queue=unassigned"),
            ("numbers", numbers[0].as_str()),
            ("numbers", numbers[1].as_str()),
            ("assignee", "me"),
            ("do", "assign"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.url().query(), Some("queue=unassigned&done=2&failed=0"));
    let (_, mine) = page(&agent, &app, "/staff?queue=mine").await;
    assert!(mine.contains(&numbers[0]) && mine.contains(&numbers[1]) && !mine.contains(&numbers[2]), "{mine}");

    // A canned response starts the reply, rendered for this ticket.
    let url = format!("/staff/tickets/{}", numbers[1]);
    let (_, ticket) = page(&agent, &app, &url).await;
    let at = ticket.find(r#"<select id="canned-pick" name="canned"><option value=""#).expect("canned responses offered")
        + r#"<select id="canned-pick" name="canned"><option value=""#.len();
    let canned = ticket[at..].split('"').next().unwrap().to_owned();
    let (status, prefilled) = page(&agent, &app, &format!("{url}?canned={canned}")).await;
    assert_eq!(status, StatusCode::OK);
    let textarea = prefilled.split(r#"<textarea id="staff-body" name="body" rows="7" required>"#).nth(1).unwrap();
    let body = textarea.split("</textarea>").next().unwrap();
    assert!(!body.trim().is_empty() && !body.contains("{{"), "the placeholders are filled: {body}");

    // Merge the third into the second: the thread moves and the third closes.
    let third = format!("/staff/tickets/{}", numbers[2]);
    let (_, html) = page(&agent, &app, &third).await;
    let version = value_after(&html, r#"action="/staff/tickets/"#, "version");
    let res = agent
        .post(app.url(&format!("{third}/merge")))
        .form(&[("csrf", csrf_of(&html).as_str()), ("into", numbers[1].as_str()), ("version", version.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.url().path(), url);
    let merged: Value = app.get(&format!("/api/v1/tickets/{}", numbers[2]), Some(&student.token)).await.json().await.unwrap();
    assert_eq!(merged["status"], "closed");
    let (_, html) = page(&agent, &app, &third).await;
    let res = agent
        .post(app.url(&format!("{third}/merge")))
        .form(&[("csrf", csrf_of(&html).as_str()), ("into", numbers[2].as_str()), ("version", "1")])
        .send()
        .await
        .unwrap();
    assert!(res.status() == StatusCode::CONFLICT || res.status() == StatusCode::UNPROCESSABLE_ENTITY, "{}", res.status());
}
