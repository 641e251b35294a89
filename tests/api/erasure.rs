//! Erasure requests (issue 17, item 2): a student asks from their account, staff of the
//! ticket's team (or an admin) approve — every ticket of the student anonymised, the account
//! disabled and anonymised, the student mailed first — or refuse with a reason. And what an
//! attacker would try: deciding one's own request, another team's, a ticket that is no
//! request, deciding twice, touching another student's data, the old password and token.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{segreteria_ticket, spawn_app, Backend, Session, TestApp};

both_backends!(
    an_approved_request_erases_the_student_and_nobody_else,
    only_the_owning_team_or_an_admin_decides_once,
    a_refusal_keeps_everything_and_tells_the_student,
    the_pages_ask_with_a_confirmation_and_staff_approve_with_one,
);

async fn ask(app: &TestApp, who: &Session) -> reqwest::Response {
    app.post("/api/v1/me/erasure-request", Some(&who.token), &json!({})).await
}

async fn decide(app: &TestApp, who: &Session, number: &str, action: &str, body: &Value) -> reqwest::Response {
    app.post(&format!("/api/v1/tickets/{number}/erasure/{action}"), Some(&who.token), body).await
}

async fn view(app: &TestApp, who: &Session, number: &str) -> Value {
    let res = app.get(&format!("/api/v1/tickets/{number}"), Some(&who.token)).await;
    assert_eq!(res.status(), StatusCode::OK, "{number}");
    res.json().await.unwrap()
}

async fn open_with_file(app: &TestApp, who: &Session, subject: &str, pdf: &[u8]) -> String {
    let form = Form::new()
        .text("ticket", segreteria_ticket(subject).to_string())
        .part("files", Part::bytes(pdf.to_vec()).file_name("libretto.pdf"));
    let res = app.client.post(app.url("/api/v1/tickets")).bearer_auth(&who.token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned()
}

async fn an_approved_request_erases_the_student_and_nobody_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "seg@unibg.it", "agent", &["segreteria"]).await;
    let anna = app.student("anna.verdi@studenti.unibg.it").await;
    let bruno = app.student("bruno.neri@studenti.unibg.it").await;
    let annas = open_with_file(&app, &anna, "Libretto di Anna", b"%PDF-1.4\n% libretto di Anna\n%%EOF\n").await;
    let brunos = open_with_file(&app, &bruno, "Libretto di Bruno", b"%PDF-1.4\n% libretto di Bruno\n%%EOF\n").await;
    let today = chrono::Utc::now().date_naive();
    let volume_path = format!("/api/v1/reports/volume?from={today}&to={today}");

    // Anna asks: a ticket for the student office, marked as an erasure request.
    let res = ask(&app, &anna).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let request: Value = res.json().await.unwrap();
    let number = request["number"].as_str().unwrap().to_owned();
    assert_eq!((request["category"].as_str(), request["team"].as_str()), (Some("dati-personali"), Some("segreteria")));
    assert_eq!(request["erasure_request"]["state"], "pending");
    assert_eq!(request["subject"], "Richiesta di cancellazione dei dati personali");
    // Once is enough: a second request while one is pending is a conflict, not a second ticket.
    assert_eq!(ask(&app, &anna).await.status(), StatusCode::CONFLICT);
    // Staff cannot use it for themselves.
    assert_eq!(ask(&app, &agent).await.status(), StatusCode::FORBIDDEN);
    let volume_before: Value = app.get(&volume_path, Some(&admin.token)).await.json().await.unwrap();

    let staff_search = |q: &'static str| {
        let (app, token) = (&app, admin.token.clone());
        async move {
            let res = app.client.get(app.url("/api/v1/search")).query(&[("q", q)]).bearer_auth(token).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.unwrap()["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(staff_search("anna.verdi@studenti.unibg.it").await, 2, "her ticket and the request, by her address");

    let res = decide(&app, &agent, &number, "approve", &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let decided: Value = res.json().await.unwrap();
    assert_eq!(decided["state"], "approved");
    // The search index forgot her words too.
    assert_eq!(staff_search("anna.verdi@studenti.unibg.it").await, 0);
    assert_eq!(staff_search("Anna").await, 0);
    assert_eq!(staff_search("Bruno").await, 1);
    assert_eq!(decided["tickets_anonymised"], 2, "her ticket and the request itself");
    assert_eq!(decided["files_removed"], 1);

    // She was mailed at the address she had; the account has it no more.
    let mails = app.outbox_for("anna.verdi@studenti.unibg.it").await;
    assert!(mails.iter().any(|(kind, p)| kind == "erasure_approved" && p["number"] == number.as_str()), "{mails:?}");
    // Her token and her password no longer work.
    assert_eq!(app.get("/api/v1/me", Some(&anna.token)).await.status(), StatusCode::UNAUTHORIZED);
    let login = app.post("/api/v1/auth/login", None, &json!({"email": "anna.verdi@studenti.unibg.it", "password": "password-123"})).await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
    let link = app.post("/api/v1/auth/sign-in-link", None, &json!({"email": "anna.verdi@studenti.unibg.it"})).await;
    assert!(link.status().is_success());
    assert!(!app.outbox_for("anna.verdi@studenti.unibg.it").await.iter().any(|(kind, _)| kind == "sign_in_link"), "no way back in by mail");

    // Her tickets keep what reports count and nothing of her.
    for n in [&annas, &number] {
        let t = view(&app, &admin, n).await;
        assert_eq!(t["subject"], "[rimosso]");
        assert_eq!(t["fields"], json!({}));
        assert_eq!(t["attachments"], json!([]));
        let text = t.to_string();
        assert!(!text.contains("anna.verdi") && !text.contains("1012345") && !text.contains("Libretto di Anna"), "{t}");
    }
    let request = view(&app, &admin, &number).await;
    assert_eq!(request["erasure_request"]["state"], "approved");
    let events: Value = app.get(&format!("/api/v1/tickets/{number}/events"), Some(&admin.token)).await.json().await.unwrap();
    let approved = events.as_array().unwrap().iter().find(|e| e["kind"] == "erasure_approved").expect("the approval in the history");
    assert_eq!(approved["actor"]["id"], agent.id.as_str(), "who approved: {approved}");
    assert!(approved["created_at"].is_string());
    let volume_after: Value = app.get(&volume_path, Some(&admin.token)).await.json().await.unwrap();
    assert_eq!(volume_after, volume_before, "reports still count her tickets");

    // Bruno's data is untouched.
    let his = view(&app, &bruno, &brunos).await;
    assert_eq!(his["subject"], "Libretto di Bruno");
    assert_eq!(his["fields"]["matricola"], "1012345");
    assert_eq!(his["attachments"].as_array().unwrap().len(), 1);
    assert_eq!(his["requester"]["email"], "bruno.neri@studenti.unibg.it");
    assert_eq!(app.get("/api/v1/me", Some(&bruno.token)).await.status(), StatusCode::OK);
    assert_eq!(crate::virus::stored_files(&app).await, 1, "only Bruno's file is stored");

    // Approving again changes nothing.
    assert_eq!(decide(&app, &admin, &number, "approve", &json!({})).await.status(), StatusCode::CONFLICT);
}

async fn only_the_owning_team_or_an_admin_decides_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let other = app.staff(&admin, "estero@unibg.it", "agent", &["stranieri"]).await;
    let student = app.student("carla@studenti.unibg.it").await;
    let ordinary = app.open_ticket(&student, "Piano di studio").await["number"].as_str().unwrap().to_owned();
    let request: Value = ask(&app, &student).await.json().await.unwrap();
    let number = request["number"].as_str().unwrap().to_owned();

    // The student cannot approve her own request; another team's agent cannot see it.
    assert_eq!(decide(&app, &student, &number, "approve", &json!({})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(decide(&app, &other, &number, "approve", &json!({})).await.status(), StatusCode::NOT_FOUND);
    // A supervisor of another team sees every ticket, and still may not decide it.
    let boss = app.staff(&admin, "capo.estero@unibg.it", "supervisor", &["stranieri"]).await;
    assert_eq!(view(&app, &boss, &number).await["erasure_request"]["state"], "pending");
    assert_eq!(decide(&app, &boss, &number, "approve", &json!({})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(decide(&app, &boss, &number, "refuse", &json!({"reason": "no"})).await.status(), StatusCode::FORBIDDEN);
    // A ticket that is no erasure request cannot be approved as one.
    assert_eq!(decide(&app, &admin, &ordinary, "approve", &json!({})).await.status(), StatusCode::CONFLICT);
    assert_eq!(view(&app, &student, &ordinary).await["subject"], "Piano di studio", "nothing happened");
    assert_eq!(app.get("/api/v1/me", Some(&student.token)).await.status(), StatusCode::OK, "she is still here");
    assert_eq!(view(&app, &admin, &number).await["erasure_request"]["state"], "pending");

    // An admin decides; then it is decided for good.
    assert_eq!(decide(&app, &admin, &number, "approve", &json!({})).await.status(), StatusCode::OK);
    assert_eq!(decide(&app, &admin, &number, "approve", &json!({})).await.status(), StatusCode::CONFLICT);
    assert_eq!(decide(&app, &admin, &number, "refuse", &json!({"reason": "tardi"})).await.status(), StatusCode::CONFLICT);
}

async fn a_refusal_keeps_everything_and_tells_the_student(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "seg@unibg.it", "agent", &["segreteria"]).await;
    let student = app.student("dario@studenti.unibg.it").await;
    let mine = app.open_ticket(&student, "Tasse").await["number"].as_str().unwrap().to_owned();
    let number = ask(&app, &student).await.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();

    let res = decide(&app, &agent, &number, "refuse", &json!({"reason": "  "})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let reason = "Hai una pratica di trasferimento in corso: la cancellazione sarà possibile alla sua chiusura.";
    let res = decide(&app, &agent, &number, "refuse", &json!({"reason": reason})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["state"], "refused");

    let mails = app.outbox_for("dario@studenti.unibg.it").await;
    assert!(mails.iter().any(|(kind, p)| kind == "erasure_refused" && p["reason"] == reason), "{mails:?}");
    let seen = view(&app, &student, &number).await;
    assert_eq!((seen["erasure_request"]["state"].as_str(), seen["erasure_request"]["reason"].as_str()), (Some("refused"), Some(reason)));
    assert_eq!(view(&app, &student, &mine).await["subject"], "Tasse", "nothing erased");
    app.login("dario@studenti.unibg.it", "password-123").await;
    assert_eq!(decide(&app, &agent, &number, "approve", &json!({})).await.status(), StatusCode::CONFLICT);
    // Refused, she may ask again later.
    assert_eq!(ask(&app, &student).await.status(), StatusCode::CREATED);
}

async fn the_pages_ask_with_a_confirmation_and_staff_approve_with_one(backend: Backend) {
    use crate::portal::{csrf_of, page, sign_up};
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    app.staff(&admin, "seg@unibg.it", "agent", &["segreteria"]).await;
    app.staff(&admin, "capo.estero@unibg.it", "supervisor", &["stranieri"]).await;
    let student = sign_up(&app, "elena@studenti.unibg.it").await;

    let (_, account) = page(&student, &app, "/account").await;
    assert!(account.contains(r#"href="/account/erasure""#) && account.contains("Chiedi la cancellazione dei miei dati"), "{account}");
    let (status, confirm) = page(&student, &app, "/account/erasure").await;
    assert_eq!(status, StatusCode::OK);
    // Without the tick nothing is sent.
    let res = student.post(app.url("/account/erasure")).form(&[("csrf", csrf_of(&confirm).as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("conferma di volere la cancellazione"));
    let res = student.post(app.url("/account/erasure")).form(&[("csrf", csrf_of(&confirm).as_str()), ("confirm", "on")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let path = res.url().path().to_owned();
    assert!(path.starts_with("/tickets/HD-"), "to the request's page: {path}");
    let number = path.trim_start_matches("/tickets/").to_owned();
    let (_, mine) = page(&student, &app, &path).await;
    assert!(mine.contains("Protezione dei dati personali") && mine.contains("in attesa di decisione"), "{mine}");
    let (_, again) = page(&student, &app, "/account/erasure").await;
    assert!(again.contains(&format!("La tua richiesta di cancellazione {number} è già in corso")), "{again}");

    // Another team's supervisor reads it without the buttons; the office's agent has them.
    let boss = crate::staff_pages::signed_in(&app, "capo.estero@unibg.it", "agent-password").await;
    let (_, html) = page(&boss, &app, &format!("/staff/tickets/{number}")).await;
    assert!(html.contains("in attesa di decisione") && !html.contains("erasure-approve"), "{html}");
    assert!(html.contains("<dd>Protezione dei dati personali</dd>"), "the category's name, not its slug: {html}");
    let agent = crate::staff_pages::signed_in(&app, "seg@unibg.it", "agent-password").await;
    let (_, html) = page(&agent, &app, &format!("/staff/tickets/{number}")).await;
    assert!(html.contains(r#"id="erasure-approve""#) && html.contains("Confermo: cancella i dati di questo studente"), "{html}");
    let approve = app.url(&format!("/staff/tickets/{number}/erasure/approve"));
    let res = agent.post(&approve).form(&[("csrf", csrf_of(&html).as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "the confirmation is required");
    let (status, _) = page(&student, &app, "/tickets").await;
    assert_eq!(status, StatusCode::OK, "still signed in");
    let res = agent.post(&approve).form(&[("csrf", csrf_of(&html).as_str()), ("confirm", "on")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("approvata: dati cancellati") && !html.contains(r#"id="erasure-approve""#), "{html}");
    // Her browser's session is over.
    let res = student.get(app.url("/tickets")).send().await.unwrap();
    assert_ne!(res.url().path(), "/tickets", "signed out: sent to sign in");
}
