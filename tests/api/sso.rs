//! Single sign-on over real HTTP, against the running desk and a real OpenID provider
//! (oidc-provider, tests/oidc): accounts created, found and linked; the staff group; every
//! tampered, replayed or foreign response refused without a session; a provider that is down
//! or hangs answered with a page, quickly; HELPDESK_STAFF_SSO_ONLY.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{free_port, spawn_app, spawn_app_with, Backend, TestApp};
use crate::oidc::{csrf_of, location, oidc_settings, sets_session, spawn_with_sso, WebClient};

both_backends!(
    sso_first_sign_in_creates_the_account_and_the_second_finds_it,
    sso_verified_email_links_a_local_account_once,
    sso_unverified_or_missing_email_never_takes_an_account,
    sso_staff_group_gives_the_agent_role,
    sso_tampered_state_and_replayed_callback_sign_nobody_in,
    sso_wrong_nonce_and_tampered_id_tokens_are_refused,
    sso_provider_down_or_hanging_gives_an_error_page,
    sso_staff_only_refuses_staff_passwords,
    sso_rotated_keys_are_fetched_again,
    sso_sign_in_page_offers_university_credentials_first,
    sso_account_page_links_a_local_account,
    sso_two_first_sign_ins_at_once_make_one_account,
);

/// A refusal: the expected status, the SSO error page with its problem, no session.
async fn assert_refused(res: Response, status: StatusCode, problem: &str) {
    assert_eq!(res.status(), status, "refused with {status}");
    assert!(!sets_session(&res), "a refused sign-in sets no session");
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("data-problem=\"{problem}\"")), "the page says why ({problem}):\n{html}");
}

/// A query parameter of a URL.
fn param(url: &str, key: &str) -> String {
    url::Url::parse(url).unwrap().query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// The URL with one query parameter set to another value.
fn with_param(url: &str, key: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let kept: Vec<(String, String)> =
        parsed.query_pairs().filter(|(k, _)| k != key).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    parsed.query_pairs_mut().clear().extend_pairs(kept).append_pair(key, value);
    parsed.to_string()
}

async fn me(b: &WebClient, app: &TestApp) -> Value {
    let res = b.me(app).await;
    assert_eq!(res.status(), StatusCode::OK, "signed in");
    res.json().await.unwrap()
}

async fn count_identities(app: &TestApp) -> i64 {
    use helpdesk::db::schema::user_identities;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().unwrap();
        user_identities::table.count().get_result::<i64>(&mut *conn).unwrap()
    })
    .await
    .unwrap()
}

async fn count_flows(app: &TestApp) -> i64 {
    use helpdesk::db::schema::sso_flows;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_writer().unwrap();
        sso_flows::table.count().get_result::<i64>(&mut *conn).unwrap()
    })
    .await
    .unwrap()
}

async fn sso_first_sign_in_creates_the_account_and_the_second_finds_it(backend: Backend) {
    let desk = spawn_with_sso(backend, |_| {}).await;
    let app = &desk.app;
    let b = WebClient::new();
    let res = b.sign_in(app, "mario.rossi").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(sets_session(&res));
    assert_eq!(location(&res), app.url("/tickets"), "students land on their requests");
    let first = me(&b, app).await;
    assert_eq!(first["email"], "mario.rossi@studenti.unibg.it");
    assert_eq!(first["display_name"], "Mario Rossi");
    assert_eq!(first["role"], "student");
    let tickets = b.get(&app.url("/tickets")).await.text().await.unwrap();
    assert!(tickets.contains("Le mie richieste"));

    // The account page says how this session signed in, and what the provider said.
    let page = b.get(&app.url("/account")).await.text().await.unwrap();
    assert!(page.contains("data-via=\"sso\""), "{page}");
    assert!(page.contains("1012345") && page.contains("RSSMRA85T10A562S"), "matricola and codice fiscale (TINIT- stripped)");
    assert!(page.contains("al primo accesso"));

    // Another browser, the same identity: the same account, no second one.
    let other = WebClient::new();
    let res = other.sign_in(app, "mario.rossi").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(&other, app).await["id"], first["id"]);
    assert_eq!(count_identities(app).await, 1);
    // The session works for the API as a password's does (a cookie write carries its CSRF token).
    let csrf = me(&other, app).await["csrf_token"].as_str().unwrap().to_owned();
    let res = other
        .client
        .post(app.url("/api/v1/tickets"))
        .header("X-CSRF-Token", csrf)
        .json(&crate::helpers::segreteria_ticket("Piano di studio"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}

async fn sso_verified_email_links_a_local_account_once(backend: Backend) {
    let desk = spawn_with_sso(backend, |_| {}).await;
    let app = &desk.app;
    let local = app.student("laura.bianchi@studenti.unibg.it").await;

    let b = WebClient::new();
    let res = b.sign_in(app, "laura.bianchi").await;
    assert_eq!(location(&res), app.url("/tickets"));
    assert_eq!(me(&b, app).await["id"], local.id.as_str(), "the verified e-mail linked the local account");
    let page = b.get(&app.url("/account")).await.text().await.unwrap();
    assert!(page.contains("tramite l&#x27;indirizzo e-mail verificato") || page.contains("tramite l'indirizzo e-mail verificato"), "{page}");
    assert!(page.contains("Puoi accedere anche con e-mail e password."));

    // Another identity with the same verified e-mail does not take the account.
    let intruder = WebClient::new();
    assert_refused(intruder.sign_in(app, "laura.omonima").await, StatusCode::CONFLICT, "email_taken").await;
    assert_eq!(intruder.me(app).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(count_identities(app).await, 1);

    // The password still signs in, and the first identity still does.
    app.login("laura.bianchi@studenti.unibg.it", "password-123").await;
    let again = WebClient::new();
    again.sign_in(app, "laura.bianchi").await;
    assert_eq!(me(&again, app).await["id"], local.id.as_str());
}

async fn sso_unverified_or_missing_email_never_takes_an_account(backend: Backend) {
    let desk = spawn_with_sso(backend, |_| {}).await;
    let app = &desk.app;
    app.student("giulia.verdi@studenti.unibg.it").await;
    let b = WebClient::new();
    assert_refused(b.sign_in(app, "giulia.verdi").await, StatusCode::CONFLICT, "email_taken").await;
    assert_eq!(b.me(app).await.status(), StatusCode::UNAUTHORIZED);
    let b = WebClient::new();
    assert_refused(b.sign_in(app, "senza.email").await, StatusCode::UNPROCESSABLE_ENTITY, "no_email").await;
    assert_eq!(count_identities(app).await, 0);
}

async fn sso_staff_group_gives_the_agent_role(backend: Backend) {
    let desk = spawn_with_sso(backend, |_| {}).await;
    let app = &desk.app;
    let b = WebClient::new();
    let res = b.sign_in(app, "anna.operatrice").await;
    assert_eq!(location(&res), app.url("/staff"), "staff land on the console");
    assert_eq!(me(&b, app).await["role"], "agent");
    assert_eq!(b.get(&app.url("/staff")).await.status(), StatusCode::OK);
    // A student's groups give nothing.
    let s = WebClient::new();
    s.sign_in(app, "mario.rossi").await;
    assert_eq!(me(&s, app).await["role"], "student");
}

async fn sso_tampered_state_and_replayed_callback_sign_nobody_in(backend: Backend) {
    let desk = spawn_with_sso(backend, |_| {}).await;
    let app = &desk.app;

    // The state changed on the way back.
    let b = WebClient::new();
    let callback = b.to_callback(app, "mario.rossi").await;
    assert!(!param(&callback, "state").is_empty() && !param(&callback, "code").is_empty());
    let tampered = with_param(&callback, "state", "forged-state");
    assert_refused(b.get(&tampered).await, StatusCode::BAD_REQUEST, "rejected").await;
    assert_eq!(b.me(app).await.status(), StatusCode::UNAUTHORIZED);

    // Someone else's callback in a browser that started no sign-in, or its own (login CSRF).
    let callback = WebClient::new().to_callback(app, "mario.rossi").await;
    let victim = WebClient::new();
    assert_refused(victim.get(&callback).await, StatusCode::BAD_REQUEST, "rejected").await;
    let victim = WebClient::new();
    victim.start(app).await;
    assert_refused(victim.get(&callback).await, StatusCode::BAD_REQUEST, "rejected").await;
    assert_eq!(victim.me(app).await.status(), StatusCode::UNAUTHORIZED);

    // A callback used twice, even with the browser's flow cookie: only the first signs in.
    let b = WebClient::new();
    let callback = b.to_callback(app, "mario.rossi").await;
    let state = param(&callback, "state");
    let res = b.get(&callback).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(sets_session(&res));
    assert_eq!(count_flows(app).await, 3, "this flow is used up; the three refused above are left to expire");
    let replay = WebClient::new();
    replay.jar.add_cookie_str(&format!("hd_sso={state}; Path=/sign-in/sso"), &url::Url::parse(&app.address).unwrap());
    assert_refused(replay.get(&callback).await, StatusCode::BAD_REQUEST, "rejected").await;
    assert_eq!(replay.me(app).await.status(), StatusCode::UNAUTHORIZED);

    // The provider's answer carrying another issuer (mix-up).
    let b = WebClient::new();
    let callback = b.to_callback(app, "mario.rossi").await;
    assert_eq!(param(&callback, "iss"), desk.provider.issuer(), "the provider names itself (RFC 9207)");
    let foreign = with_param(&callback, "iss", "https://evil.example");
    assert_refused(b.get(&foreign).await, StatusCode::BAD_REQUEST, "rejected").await;
}

async fn sso_wrong_nonce_and_tampered_id_tokens_are_refused(backend: Backend) {
    let desk = spawn_with_sso(backend, |_| {}).await;
    let app = &desk.app;

    // The nonce changed in the request: the provider signs an id_token for another nonce.
    let b = WebClient::new();
    let authorize = b.start(app).await;
    assert!(!param(&authorize, "nonce").is_empty() && param(&authorize, "code_challenge_method") == "S256");
    let changed = with_param(&authorize, "nonce", "someone-elses-nonce");
    let callback = b.log_in_at_provider(&changed, "mario.rossi").await;
    assert_refused(b.get(&callback).await, StatusCode::BAD_REQUEST, "rejected").await;

    // id_tokens altered by the provider's token endpoint.
    for mode in ["signature", "alg-none", "foreign-key", "audience"] {
        desk.provider.tamper(mode).await;
        let b = WebClient::new();
        let res = b.sign_in(app, "mario.rossi").await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "an id_token with a tampered {mode} is refused");
        assert_refused(res, StatusCode::BAD_REQUEST, "rejected").await;
        assert_eq!(b.me(app).await.status(), StatusCode::UNAUTHORIZED, "{mode}: no session");
    }
    // And the same sign-in works once the provider behaves.
    desk.provider.tamper("off").await;
    let b = WebClient::new();
    assert!(sets_session(&b.sign_in(app, "mario.rossi").await));
    assert_eq!(count_identities(app).await, 1);
}

/// A desk whose provider is at `issuer`, with a 1 s timeout.
async fn desk_for(backend: Backend, issuer: &str) -> TestApp {
    let mut oidc = oidc_settings(issuer);
    oidc.timeout = Duration::from_secs(1);
    spawn_app_with(backend, |s| s.oidc = Some(oidc)).await
}

async fn sso_provider_down_or_hanging_gives_an_error_page(backend: Backend) {
    // Nobody listens at the issuer.
    let app = desk_for(backend, &format!("http://127.0.0.1:{}", free_port())).await;
    let started = Instant::now();
    let res = WebClient::new().get(&app.url("/sign-in/sso")).await;
    assert_refused(res, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(started.elapsed() < Duration::from_secs(3), "answered at once: {:?}", started.elapsed());

    // The issuer accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().map_while(Result::ok) {
            held.push(stream);
        }
    });
    let app = desk_for(backend, &format!("http://127.0.0.1:{port}")).await;
    let started = Instant::now();
    let res = WebClient::new().get(&app.url("/sign-in/sso")).await;
    assert_refused(res, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(started.elapsed() < Duration::from_secs(4), "the timeout answered, not a hang: {:?}", started.elapsed());

    // The provider goes away between the login and the callback.
    let mut desk = spawn_with_sso(backend, |_| {}).await;
    let b = WebClient::new();
    let callback = b.to_callback(&desk.app, "mario.rossi").await;
    desk.provider.stop();
    assert_refused(b.get(&callback).await, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert_eq!(b.me(&desk.app).await.status(), StatusCode::UNAUTHORIZED);
}

async fn sso_staff_only_refuses_staff_passwords(backend: Backend) {
    let desk = spawn_with_sso(backend, |s| s.staff_sso_only = true).await;
    let app = &desk.app;
    let db = app.db.clone();
    let staff = helpdesk::accounts::NewStaff {
        email: "anna.operatrice@unibg.it".into(),
        password: "agent-password".into(),
        display_name: "Anna Operatrice".into(),
        role: helpdesk::domain::Role::Agent,
        teams: vec![],
        locale: helpdesk::domain::Locale::It,
    };
    let agent = helpdesk::accounts::create_staff(&db, staff).await.unwrap();

    // The right staff password is answered as a wrong one, on the API and on the page.
    let res = app.post("/api/v1/auth/login", None, &json!({"email": "anna.operatrice@unibg.it", "password": "agent-password"})).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let b = WebClient::new();
    let page = b.get(&app.url("/sign-in")).await.text().await.unwrap();
    assert!(page.contains("id=\"sso-staff-only\""), "the sign-in page says staff use their university credentials");
    let form = [("csrf", csrf_of(&page)), ("email", "anna.operatrice@unibg.it".into()), ("password", "agent-password".into()), ("next", "/".into())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = b.post_form(&app.url("/sign-in"), &form).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(!sets_session(&res));

    // Students' passwords still work; the agent signs in through the provider (linked by e-mail).
    app.student("futura.studentessa@example.org").await;
    let res = b.sign_in(app, "anna.operatrice").await;
    assert_eq!(location(&res), app.url("/staff"));
    let who = me(&b, app).await;
    assert_eq!((who["id"].as_str(), who["role"].as_str()), (Some(agent.id.as_str()), Some("agent")));
}

async fn sso_rotated_keys_are_fetched_again(backend: Backend) {
    let mut desk = spawn_with_sso(backend, |_| {}).await;
    let b = WebClient::new();
    assert!(sets_session(&b.sign_in(&desk.app, "mario.rossi").await));
    // A new signing key: the desk's remembered key set no longer has it.
    desk.provider.restart();
    let b = WebClient::new();
    let res = b.sign_in(&desk.app, "mario.rossi").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap_or_default());
    assert_eq!(me(&b, &desk.app).await["email"], "mario.rossi@studenti.unibg.it");
}

async fn sso_sign_in_page_offers_university_credentials_first(backend: Backend) {
    let desk = spawn_with_sso(backend, |_| {}).await;
    let page = WebClient::new().get(&desk.app.url("/sign-in?next=/tickets/new")).await.text().await.unwrap();
    let button = page.find("Accedi con le credenziali di Ateneo").expect("the SSO button");
    let password = page.find("name=\"password\"").expect("the password form");
    assert!(button < password, "university credentials come first");
    assert!(page.contains("href=\"/sign-in/sso?next=/tickets/new\""), "the button keeps where to go");

    // Without a provider: no button, and no route.
    let plain = spawn_app(backend).await;
    let page = WebClient::new().get(&plain.url("/sign-in")).await.text().await.unwrap();
    assert!(!page.contains("sso-button"));
    assert_eq!(WebClient::new().get(&plain.url("/sign-in/sso")).await.status(), StatusCode::NOT_FOUND);
}

async fn sso_account_page_links_a_local_account(backend: Backend) {
    let desk = spawn_with_sso(backend, |_| {}).await;
    let app = &desk.app;
    // A future student registered with a personal address, enrolled later.
    let b = WebClient::new();
    let res = b.client.post(app.url("/api/v1/auth/register")).json(&json!({"email": "laura.personale@example.org", "password": "password-123", "display_name": "Laura"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    app.verify_address("laura.personale@example.org").await;
    let res = b.client.post(app.url("/api/v1/auth/login")).json(&json!({"email": "laura.personale@example.org", "password": "password-123"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let local = me(&b, app).await;
    let page = b.get(&app.url("/account")).await.text().await.unwrap();
    assert!(page.contains("data-via=\"local\"") && page.contains("id=\"sso-link\""), "{page}");

    let res = b.post_form(&app.url("/account/sso/link"), &[("csrf", &csrf_of(&page))]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let callback = b.log_in_at_provider(&location(&res), "laura.bianchi").await;
    let res = b.get(&callback).await;
    assert_eq!(location(&res), app.url("/account?linked=1"));
    let page = b.get(&location(&res)).await.text().await.unwrap();
    assert!(page.contains("1023456") && !page.contains("id=\"sso-link\""), "the identity is shown, linked: {page}");
    assert_eq!(me(&b, app).await["id"], local["id"], "the same session, the same account");

    // From now on the university credentials sign in to that account.
    let other = WebClient::new();
    other.sign_in(app, "laura.bianchi").await;
    assert_eq!(me(&other, app).await["id"], local["id"]);
    // And they cannot be linked to yet another account.
    let third = WebClient::new();
    third.client.post(app.url("/api/v1/auth/register")).json(&json!({"email": "altra@example.org", "password": "password-123", "display_name": "Altra"})).send().await.unwrap();
    app.verify_address("altra@example.org").await;
    third.client.post(app.url("/api/v1/auth/login")).json(&json!({"email": "altra@example.org", "password": "password-123"})).send().await.unwrap();
    let page = third.get(&app.url("/account")).await.text().await.unwrap();
    let res = third.post_form(&app.url("/account/sso/link"), &[("csrf", &csrf_of(&page))]).await;
    let callback = third.log_in_at_provider(&location(&res), "laura.bianchi").await;
    assert_refused(third.get(&callback).await, StatusCode::CONFLICT, "already_linked").await;
}

/// The same new person signs in from two browsers at the same moment: one account, one
/// identity, two sessions, and no error page.
async fn sso_two_first_sign_ins_at_once_make_one_account(backend: Backend) {
    let desk = spawn_with_sso(backend, |_| {}).await;
    let app = &desk.app;
    let (one, two) = (WebClient::new(), WebClient::new());
    let (first, second) = tokio::join!(one.to_callback(app, "mario.rossi"), two.to_callback(app, "mario.rossi"));
    let (a, b) = tokio::join!(one.get(&first), two.get(&second));
    assert_eq!((a.status(), b.status()), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER));
    assert!(sets_session(&a) && sets_session(&b));
    assert_eq!(me(&one, app).await["id"], me(&two, app).await["id"]);
    assert_eq!(count_identities(app).await, 1);
}
