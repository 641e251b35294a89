//! The staff console in Chromium: an agent takes a ticket from the unassigned queue and works it
//! to resolved with a canned response; a supervisor reassigns a selection in bulk. Every page is
//! checked with axe-core and saved as a screenshot.

use serde_json::Value;

use crate::browser::Browser;
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::journeys::check;

pub(crate) async fn sign_in(app: &TestApp, b: &Browser, email: &str, password: &str) {
    b.goto(&app.url("/sign-in")).await;
    b.type_in("email", email).await;
    b.type_in("password", password).await;
    b.click("form[action='/sign-in'] button[type=submit]").await;
    assert_eq!(b.path_after_navigation("/staff").await, "/staff");
}

async fn status_of(app: &TestApp, token: &str, number: &str) -> Value {
    app.get(&format!("/api/v1/tickets/{number}"), Some(token)).await.json::<Value>().await.unwrap()
}

#[tokio::test]
async fn an_agent_works_a_ticket_from_the_queue_to_resolved_and_a_supervisor_reassigns_in_bulk() {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.admin().await;
    app.staff(&admin, "laura@unibg.it", "agent", &["segreteria"]).await;
    let boss = app.staff(&admin, "capo@unibg.it", "supervisor", &["segreteria"]).await;
    app.staff(&admin, "marco@unibg.it", "agent", &["segreteria"]).await;
    let student = app.student("mario@studenti.unibg.it").await;
    let mut numbers = Vec::new();
    for subject in ["Modifica del piano di studio", "Certificato di iscrizione", "Rimborso tasse"] {
        numbers.push(app.open_ticket(&student, subject).await["number"].as_str().unwrap().to_owned());
    }

    let b = Browser::start().await;
    sign_in(&app, &b, "laura@unibg.it", "agent-password").await;
    b.resize(1280, 1400).await;
    check(&b, "30-console-queue").await;
    b.click(&format!("a[href='/staff/tickets/{}']", numbers[0])).await;
    b.wait_for_text("Rispondi o annota").await;
    b.click("form[action$='/update'].take button[type=submit]").await;
    b.wait_for_text("Assegnazione: Non assegnata → laura@unibg.it").await;
    // A canned response starts the reply; the agent sends it and resolves in one step.
    b.click("#canned-pick ~ button").await;
    let mut reply = String::new();
    for _ in 0..50 {
        reply = b.value("staff-body").await;
        if !reply.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(reply.len() > 20 && !reply.contains("{{"), "a rendered canned response: {reply}");
    b.choose("staff-reply-status", "resolved").await;
    b.resize(1280, 2600).await;
    check(&b, "31-console-ticket").await;
    b.click("form[action$='/reply'] > button[type=submit]").await;
    b.wait_for_text(r#"<span class="status status-resolved">Risolta</span>"#).await;
    let seen = status_of(&app, &student.token, &numbers[0]).await;
    assert_eq!(seen["status"], "resolved");
    let first_line = reply.lines().next().unwrap().trim().to_owned();
    assert!(
        seen["messages"].as_array().unwrap().iter().any(|m| m["body"]
            .as_str()
            .unwrap()
            .replace("\r\n", "\n")
            .contains(&first_line)),
        "the canned reply reached the student: {first_line}"
    );

    // The supervisor selects the two others and gives them to Marco.
    let b2 = Browser::start().await;
    sign_in(&app, &b2, "capo@unibg.it", "agent-password").await;
    b2.click(&format!("#sel-{}", numbers[1])).await;
    b2.click(&format!("#sel-{}", numbers[2])).await;
    let marco = b2.source().await;
    let at = marco.find("marco@unibg.it").unwrap();
    let option = &marco[..at];
    let id_at = option.rfind("value=\"").unwrap() + "value=\"".len();
    let marco_id = option[id_at..].split('"').next().unwrap().to_owned();
    b2.choose("bulk-assignee", &marco_id).await;
    b2.resize(1280, 1400).await;
    check(&b2, "32-console-bulk").await;
    b2.click("button[name=do][value=assign]").await;
    b2.wait_for_text("Richieste aggiornate: 2").await;
    for n in &numbers[1..] {
        assert_eq!(status_of(&app, &boss.token, n).await["assignee"]["id"], marco_id.as_str());
    }
    b2.goto(&app.url("/staff/search?q=rimborso")).await;
    check(&b2, "33-console-search").await;
}
