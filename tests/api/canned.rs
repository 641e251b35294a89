//! Canned responses: CRUD with team permissions, placeholder checks at save time, rendering
//! for a ticket in its language, the seeded answers.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{segreteria_ticket, spawn_app, Backend, Session, TestApp};
use crate::sla::with_db;

both_backends!(
    crud_follows_teams_and_roles,
    placeholders_are_checked_when_saving,
    rendered_in_the_ticket_language,
    seeded_answers_are_there_once,
    an_old_desks_unedited_resolved_answer_gets_the_new_reopen_text,
    an_old_desks_unedited_italian_answers_say_richiesta,
    no_seeded_answer_dates_itself_and_old_desks_lose_the_2025_dates
);

const PATH: &str = "/api/v1/canned-responses";

fn canned(team: Option<&str>, title: &str) -> Value {
    json!({"team": team, "title": title,
           "body_it": "Gentile {{student_name}}, il ticket {{ticket_number}} è qui: {{ticket_link}}\n{{agent_name}}",
           "body_en": "Dear {{student_name}}, ticket {{ticket_number}} is here: {{ticket_link}}\n{{agent_name}}"})
}

async fn put(app: &TestApp, token: &str, id: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url(&format!("{PATH}/{id}")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn delete(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.client
        .delete(app.url(&format!("{PATH}/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn titles(app: &TestApp, who: &Session, query: &str) -> Vec<String> {
    let res = app.get(&format!("{PATH}{query}"), Some(&who.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page: Value = res.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn crud_follows_teams_and_roles(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let anna = app
        .staff(&admin, "anna.canned@unibg.it", "agent", &["segreteria"])
        .await;
    let omar = app
        .staff(&admin, "omar.canned@unibg.it", "agent", &["stranieri"])
        .await;
    let student = app.student("canned@studenti.unibg.it").await;

    assert_eq!(
        app.get(PATH, Some(&student.token)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(PATH, Some(&student.token), &canned(Some("segreteria"), "x"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get(PATH, None).await.status(), StatusCode::UNAUTHORIZED);

    // Agents write for their own teams only; global responses are for supervisors and admins.
    let res = app
        .post(
            PATH,
            Some(&anna.token),
            &canned(Some("segreteria"), "Anna: tasse"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let own: Value = res.json().await.unwrap();
    assert_eq!(own["team"], "segreteria");
    let own_id = own["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post(PATH, Some(&anna.token), &canned(None, "Anna: globale"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(
            PATH,
            Some(&anna.token),
            &canned(Some("stranieri"), "Anna: altrui")
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    let res = app
        .post(PATH, Some(&admin.token), &canned(None, "Admin: globale"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let global_id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.post(
            PATH,
            Some(&omar.token),
            &canned(Some("stranieri"), "Omar: visto")
        )
        .await
        .status(),
        StatusCode::CREATED
    );

    // Each agent sees the global responses and their teams'.
    let seen_by_anna = titles(&app, &anna, "?limit=200").await;
    assert!(
        seen_by_anna.contains(&"Anna: tasse".to_owned())
            && seen_by_anna.contains(&"Admin: globale".to_owned())
    );
    assert!(
        !seen_by_anna.contains(&"Omar: visto".to_owned()),
        "{seen_by_anna:?}"
    );
    let seen_by_admin = titles(&app, &admin, "?limit=200").await;
    assert!(seen_by_admin.contains(&"Omar: visto".to_owned()));
    let for_stranieri = titles(&app, &admin, "?team=stranieri&limit=200").await;
    assert!(
        for_stranieri.contains(&"Omar: visto".to_owned())
            && for_stranieri.contains(&"Admin: globale".to_owned())
    );
    assert!(!for_stranieri.contains(&"Anna: tasse".to_owned()));
    assert_eq!(
        app.get(&format!("{PATH}?team=nope"), Some(&admin.token))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Keyset pages: no overlap, all of them.
    let mut paged = Vec::new();
    let mut query = "?limit=3".to_owned();
    loop {
        let page: Value = app
            .get(&format!("{PATH}{query}"), Some(&admin.token))
            .await
            .json()
            .await
            .unwrap();
        paged.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["title"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(paged, seen_by_admin);
    assert_eq!(
        app.get(&format!("{PATH}?cursor=zzz"), Some(&admin.token))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Updates and deletions follow the same rules; other teams' responses are not found.
    let mut changed = canned(Some("segreteria"), "Anna: tasse e PagoPA");
    changed["body_it"] = json!("Paga con PagoPA, {{student_name}}.");
    let res = put(&app, &anna.token, &own_id, &changed).await;
    assert_eq!(res.status(), StatusCode::OK);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["title"], "Anna: tasse e PagoPA");
    assert_eq!(updated["body_it"], "Paga con PagoPA, {{student_name}}.");
    assert_eq!(
        put(&app, &omar.token, &own_id, &changed).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&app, &omar.token, &own_id).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        put(
            &app,
            &anna.token,
            &global_id,
            &canned(None, "Anna cambia il globale")
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        put(
            &app,
            &anna.token,
            &own_id,
            &canned(Some("stranieri"), "Anna sposta")
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        delete(&app, &anna.token, &global_id).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        delete(&app, &student.token, &own_id).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        delete(&app, &anna.token, &own_id).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(!titles(&app, &anna, "?limit=200")
        .await
        .contains(&"Anna: tasse e PagoPA".to_owned()));
    assert_eq!(
        put(&app, &anna.token, &own_id, &changed).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&app, &anna.token, &own_id).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&app, &admin.token, &global_id).await.status(),
        StatusCode::NO_CONTENT
    );
}

async fn placeholders_are_checked_when_saving(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let fields = |body: &Value| -> Vec<(String, String)> {
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_owned(),
                    e["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };

    let mut bad = canned(Some("segreteria"), "Segnaposto");
    bad["body_it"] = json!("Gentile {{nome}}, ticket {{ticket_number}}");
    bad["body_en"] = json!("Dear {{student_name}} {{#if x}}!{{/if}}");
    let res = app.post(PATH, Some(&admin.token), &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let errors = fields(&res.json().await.unwrap());
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0, "body_it");
    assert!(
        errors[0].1.contains("{{nome}}") && errors[0].1.contains("{{student_name}}"),
        "{errors:?}"
    );
    assert_eq!(errors[1].0, "body_en");

    let mut broken = canned(None, "Rotto");
    broken["body_en"] = json!("Dear {{student_name");
    let res = app.post(PATH, Some(&admin.token), &broken).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&res.json().await.unwrap())[0].0, "body_en");

    let res = app
        .post(
            PATH,
            Some(&admin.token),
            &json!({"title": "Senza inglese", "body_it": "Ciao"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut empty = canned(Some("nope"), " ");
    empty["body_it"] = json!("");
    let res = app.post(PATH, Some(&admin.token), &empty).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let names: Vec<String> = fields(&res.json().await.unwrap())
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(names, ["title", "body_it", "team"]);

    // Nothing of it was saved; an update is checked the same way.
    let res = app
        .post(PATH, Some(&admin.token), &canned(None, "Buono"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        put(&app, &admin.token, &id, &bad).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let all = titles(&app, &admin, "?limit=200").await;
    assert!(
        all.contains(&"Buono".to_owned()) && !all.iter().any(|t| t == "Segnaposto" || t == "Rotto"),
        "{all:?}"
    );
}

async fn render(app: &TestApp, who: &Session, number: &str, id: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/tickets/{number}/canned-responses/{id}/render"),
        Some(&who.token),
        &json!({}),
    )
    .await
}

async fn rendered_in_the_ticket_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app
        .staff(&admin, "luca.render@unibg.it", "agent", &["segreteria"])
        .await;
    let outsider = app
        .staff(&admin, "omar.render@unibg.it", "agent", &["stranieri"])
        .await;
    let res = app
        .post("/api/v1/auth/register", None, &json!({"email": "anna.render@studenti.unibg.it", "password": "password-123", "display_name": "Anna D'Angelo & <co>"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    app.verify_address("anna.render@studenti.unibg.it").await;
    let student = app
        .login("anna.render@studenti.unibg.it", "password-123")
        .await;
    let italian = app.open_ticket(&student, "In italiano").await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut english = segreteria_ticket("In English");
    english["locale"] = json!("en");
    let res = app
        .post("/api/v1/tickets", Some(&student.token), &english)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let english = res.json::<Value>().await.unwrap()["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post(
            PATH,
            Some(&agent.token),
            &canned(Some("segreteria"), "Tutto"),
        )
        .await;
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = render(&app, &agent, &italian, &id).await;
    assert_eq!(res.status(), StatusCode::OK);
    let it: Value = res.json().await.unwrap();
    assert_eq!(it["locale"], "it");
    assert_eq!(
        it["body"],
        format!("Gentile Anna D'Angelo & <co>, il ticket {italian} è qui: http://127.0.0.1/tickets/{italian}\nluca.render@unibg.it")
    );
    let en: Value = render(&app, &agent, &english, &id)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(en["locale"], "en");
    assert_eq!(en["body"], format!("Dear Anna D'Angelo & <co>, ticket {english} is here: http://127.0.0.1/tickets/{english}\nluca.render@unibg.it"));

    assert_eq!(
        render(&app, &student, &italian, &id).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        render(&app, &outsider, &italian, &id).await.status(),
        StatusCode::NOT_FOUND,
        "not their team's ticket"
    );
    assert_eq!(
        render(
            &app,
            &agent,
            &italian,
            "01a209fe-0000-7000-8000-000000000000"
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        render(&app, &agent, "HD-2020-999999", &id).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn seeded_answers_are_there_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let agent = app
        .staff(&admin, "it.seed@unibg.it", "agent", &["it"])
        .await;
    let page: Value = app
        .get(&format!("{PATH}?limit=200"), Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap().clone();
    assert!(items.len() >= 8, "{items:?}");
    for team in ["segreteria", "stranieri", "it"] {
        assert!(
            items.iter().any(|c| c["team"] == team),
            "no seeded answer for {team}"
        );
    }
    assert!(items.iter().any(|c| c["team"].is_null()));
    assert!(items
        .iter()
        .all(|c| !c["body_it"].as_str().unwrap().is_empty()
            && !c["body_en"].as_str().unwrap().is_empty()));

    // Seeding again adds nothing, and does not bring back an answer an admin removed.
    let removed = items[0]["id"].as_str().unwrap().to_owned();
    let res = app
        .client
        .delete(app.url(&format!("{PATH}/{removed}")))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    with_db(&app, |conn| helpdesk::canned::seed(conn).unwrap()).await;
    let again: Value = app
        .get(&format!("{PATH}?limit=200"), Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["items"].as_array().unwrap().len(), items.len() - 1);

    // A seeded IT answer fills in for a credentials ticket's student.
    let for_it = titles(&app, &agent, "?limit=200").await;
    assert!(
        for_it.iter().any(|t| t.starts_with("Cambio password")),
        "{for_it:?}"
    );
    let password = again["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"].as_str().unwrap().starts_with("Cambio password"))
        .unwrap();
    let student = app.student("seed.render@studenti.unibg.it").await;
    let number = app.open_ticket(&student, "Password").await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = render(&app, &admin, &number, password["id"].as_str().unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.json::<Value>().await.unwrap()["body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        body.starts_with("Gentile seed.render,")
            && body.contains(&number)
            && body.contains("Cambia password"),
        "{body}"
    );
}

/// The 'resolved' answer as desks seeded before 2026-12-06 have it (reopening "within 14 days").
const OLD_RESOLVED_IT: &str = "Gentile {{student_name}},\n\nla tua richiesta ({{ticket_number}}) è stata gestita e segniamo il ticket come risolto. Se qualcosa non fosse chiaro puoi riaprirlo entro 14 giorni rispondendo da qui:\n{{ticket_link}}\n\nCordiali saluti,\n{{agent_name}}";

/// Migration 2026-12-08-000400 on a desk that has the old seeded text in Italian and an
/// edited English one: the first becomes the shipped text, the staff's edit stays.
async fn an_old_desks_unedited_resolved_answer_gets_the_new_reopen_text(backend: Backend) {
    use diesel::prelude::*;
    use helpdesk::db::schema::canned_responses as c;
    let app = spawn_app(backend).await;
    let shipped: Value = serde_json::from_str(include_str!("../../seeds/canned_responses.json")).unwrap();
    let shipped = shipped.as_array().unwrap().iter().find(|r| r["key"] == "resolved").unwrap().clone();
    let edited = "Dear {{student_name}}, write to us within 14 days. {{ticket_link}} {{agent_name}}";
    with_db(&app, move |conn| {
        diesel::update(c::table.filter(c::seed_key.eq("resolved")))
            .set((c::body_it.eq(OLD_RESOLVED_IT), c::body_en.eq(edited)))
            .execute(conn)
            .unwrap();
        diesel::sql_query("DELETE FROM __diesel_schema_migrations WHERE version = '20261208000400'").execute(conn).unwrap();
    })
    .await;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || db.migrate()).await.unwrap().unwrap();
    let (it, en): (String, String) =
        with_db(&app, |conn| c::table.filter(c::seed_key.eq("resolved")).select((c::body_it, c::body_en)).first(conn).unwrap()).await;
    assert_eq!(it, shipped["body_it"].as_str().unwrap(), "the unedited old text is replaced");
    assert!(!it.contains("14 giorni"));
    assert_eq!(en, edited, "an edited text is left as the staff wrote it");
}

/// Migration 2026-12-08-000410 on a desk seeded when the Italian answers said "ticket": the
/// unedited one takes the shipped text ("richiesta"), an edited one stays.
async fn an_old_desks_unedited_italian_answers_say_richiesta(backend: Backend) {
    use diesel::prelude::*;
    use helpdesk::db::schema::canned_responses as c;
    let app = spawn_app(backend).await;
    let shipped: Value = serde_json::from_str(include_str!("../../seeds/canned_responses.json")).unwrap();
    let body = |key: &str| shipped.as_array().unwrap().iter().find(|r| r["key"] == key).unwrap()["body_it"].as_str().unwrap().to_owned();
    let (missing, pagopa) = (body("documents-missing"), body("pagopa-payment"));
    // As desks seeded before this change have them.
    let old_missing = missing.replace("della richiesta", "del ticket").replace("la richiesta resta", "il ticket resta");
    let old_pagopa = pagopa.replace("\nRichiesta {{ticket_number}}", "\nTicket {{ticket_number}}");
    assert!(old_missing != missing && old_pagopa != pagopa);
    let edited = old_pagopa.replace("Cordiali saluti", "A presto");
    with_db(&app, move |conn| {
        diesel::update(c::table.filter(c::seed_key.eq("documents-missing"))).set(c::body_it.eq(old_missing)).execute(conn).unwrap();
        diesel::update(c::table.filter(c::seed_key.eq("pagopa-payment"))).set(c::body_it.eq(edited)).execute(conn).unwrap();
        diesel::sql_query("DELETE FROM __diesel_schema_migrations WHERE version = '20261208000410'").execute(conn).unwrap();
    })
    .await;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || db.migrate()).await.unwrap().unwrap();
    let texts: Vec<(Option<String>, String)> = with_db(&app, |conn| c::table.select((c::seed_key, c::body_it)).load(conn).unwrap()).await;
    let text = |key: &str| texts.iter().find(|(k, _)| k.as_deref() == Some(key)).unwrap().1.clone();
    assert_eq!(text("documents-missing"), missing, "the unedited old text is replaced");
    let kept = text("pagopa-payment");
    assert!(kept.contains("A presto") && kept.contains("\nTicket {{ticket_number}}"), "an edited text is left as the staff wrote it");
    // Every other Italian answer says "richiesta", never "ticket", outside its placeholders.
    for (key, text) in texts.iter().filter(|(k, _)| k.as_deref() != Some("pagopa-payment")) {
        let words = text.replace("{{ticket_number}}", "").replace("{{ticket_link}}", "").to_lowercase();
        assert!(!words.split(|ch: char| !ch.is_alphanumeric()).any(|w| w == "ticket"), "{key:?}: {text}");
    }
}

/// The study-plan answer as desks seeded before 2026-12-08 have it: the 2025-2026 periods.
const OLD_STUDY_PLAN_IT: &str = "Gentile {{student_name}},\n\nil piano di studio si compila online nello Sportello Internet, solo nei periodi stabiliti dal Senato Accademico: per il 2025-2026 dal 15 ottobre al 17 novembre 2025 (lauree triennali, magistrali a ciclo unico e secondo anno delle magistrali) e dal 29 ottobre al 21 novembre 2025 (primo anno delle lauree magistrali). Le modalità di compilazione sono negli avvisi del tuo Dipartimento.\n\nLa presentazione oltre le scadenze comporta una sanzione di 50,00 euro.\n\nCordiali saluti,\n{{agent_name}}\nRichiesta {{ticket_number}}";

/// A canned answer lives for years: none of the shipped ones names a year, and migration
/// 2026-12-08-000600 replaces the unedited study-plan answer that gave 2025-2026's periods.
async fn no_seeded_answer_dates_itself_and_old_desks_lose_the_2025_dates(backend: Backend) {
    use diesel::prelude::*;
    use helpdesk::db::schema::canned_responses as c;
    let app = spawn_app(backend).await;
    let shipped: Value = serde_json::from_str(include_str!("../../seeds/canned_responses.json")).unwrap();
    let is_year = |w: &str| w.len() == 4 && w.starts_with("20") && w.chars().all(|ch| ch.is_ascii_digit());
    for answer in shipped.as_array().unwrap() {
        for body in [&answer["body_it"], &answer["body_en"]] {
            let text = body.as_str().unwrap();
            assert!(!text.split(|ch: char| !ch.is_ascii_digit()).any(is_year), "{}: {text}", answer["key"]);
        }
    }
    let study_plan = shipped.as_array().unwrap().iter().find(|r| r["key"] == "study-plan-periods").unwrap().clone();
    with_db(&app, move |conn| {
        diesel::update(c::table.filter(c::seed_key.eq("study-plan-periods"))).set(c::body_it.eq(OLD_STUDY_PLAN_IT)).execute(conn).unwrap();
        diesel::sql_query("DELETE FROM __diesel_schema_migrations WHERE version = '20261208000600'").execute(conn).unwrap();
    })
    .await;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || db.migrate()).await.unwrap().unwrap();
    let it: String =
        with_db(&app, |conn| c::table.filter(c::seed_key.eq("study-plan-periods")).select(c::body_it).first(conn).unwrap()).await;
    assert_eq!(it, study_plan["body_it"].as_str().unwrap(), "the unedited 2025-2026 text is replaced");
}
