//! Limits and operations: rate limits count the real client (behind trusted proxies) and each
//! account, operations routes can live on their own address, and a stale session cookie on a
//! public route is simply nobody.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp};
use crate::secrets::guest_ticket;
use crate::portal::{browser, csrf_of, page};

both_backends!(
    behind_a_trusted_proxy_the_forwarded_client_is_limited,
    without_trusted_proxies_forwarded_for_is_ignored,
    one_account_is_limited_from_any_address,
    operations_routes_only_on_their_own_address,
    a_stale_cookie_on_a_public_route_is_nobody,
);

async fn login_from(app: &TestApp, forwarded_for: Option<&str>, email: &str) -> reqwest::Response {
    let mut req = app.client.post(app.url("/api/v1/auth/login")).json(&json!({"email": email, "password": "wrong-password"}));
    if let Some(xff) = forwarded_for {
        req = req.header("X-Forwarded-For", xff);
    }
    req.send().await.unwrap()
}

async fn behind_a_trusted_proxy_the_forwarded_client_is_limited(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.rate_limit_per_minute = 2;
        s.trusted_proxies = "127.0.0.1".parse().unwrap();
    })
    .await;
    // The client claims a different address each time (the left part): only the right-most
    // untrusted hop, written by our proxy, counts.
    for claimed in ["6.6.6.6", "7.7.7.7"] {
        let res = login_from(&app, Some(&format!("{claimed}, 203.0.113.9")), "chi@unibg.it").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login_from(&app, Some("8.8.8.8, 203.0.113.9"), "chi@unibg.it").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    // Another client behind the same proxy is not held back by the first.
    assert_eq!(login_from(&app, Some("203.0.113.10"), "altro@unibg.it").await.status(), StatusCode::UNAUTHORIZED);
}

async fn without_trusted_proxies_forwarded_for_is_ignored(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.rate_limit_per_minute = 2).await;
    for n in 1..=2 {
        let res = login_from(&app, Some(&format!("203.0.113.{n}")), &format!("p{n}@unibg.it")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // A forged header does not buy a fresh count: the peer is the client.
    let res = login_from(&app, Some("203.0.113.3"), "p3@unibg.it").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
}

async fn one_account_is_limited_from_any_address(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.account_rate_limit_per_minute = 3;
        s.trusted_proxies = "127.0.0.1".parse().unwrap();
    })
    .await;
    app.student("bersaglio@studenti.unibg.it").await; // its own login: one attempt
    for n in 1..=2 {
        let res = login_from(&app, Some(&format!("198.51.100.{n}")), "Bersaglio@studenti.unibg.it").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // A fourth attempt on the account, from yet another address, waits; even the right password.
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("X-Forwarded-For", "198.51.100.99")
        .json(&json!({"email": "bersaglio@studenti.unibg.it", "password": "password-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    // The page form shares the count, and its error page says when to come back.
    let browser = browser();
    let (_, html) = page(&browser, &app, "/sign-in").await;
    let form = [("csrf", csrf_of(&html)), ("email", "bersaglio@studenti.unibg.it".into()), ("password", "password-123".into())];
    let res = browser.post(app.url("/sign-in")).header("X-Forwarded-For", "198.51.100.7").form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    assert!(res.text().await.unwrap().contains("Troppi tentativi"));
    // Other accounts are not affected.
    assert_eq!(login_from(&app, Some("198.51.100.1"), "altro@studenti.unibg.it").await.status(), StatusCode::UNAUTHORIZED);
}

async fn operations_routes_only_on_their_own_address(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.ops_bind = Some(([127, 0, 0, 1], 0).into())).await;
    let ops = app.ops_address.clone().expect("an operations address");
    for path in ["/readyz", "/metrics"] {
        assert_eq!(app.get(path, None).await.status(), StatusCode::NOT_FOUND, "{path} on the public address");
        let res = app.client.get(format!("{ops}{path}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path} on the operations address");
    }
    let metrics = app.client.get(format!("{ops}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("helpdesk_outbox_depth"));
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK, "liveness stays public");
    assert_eq!(app.client.get(format!("{ops}/api/v1/categories")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    // Without an operations address the public one serves them (as before).
    let plain = spawn_app(backend).await;
    assert_eq!(plain.get("/readyz", None).await.status(), StatusCode::OK);
    assert!(plain.ops_address.is_none());
}

async fn a_stale_cookie_on_a_public_route_is_nobody(backend: Backend) {
    let app = spawn_app(backend).await;
    let stale = |req: reqwest::RequestBuilder| req.header("Cookie", "hd_session=garbage.not-a.jwt");
    let res = stale(app.client.get(app.url("/"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the home page");
    let res = stale(app.client.get(app.url("/api/v1/categories"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the categories");
    let res = stale(app.client.post(app.url("/api/v1/tickets")).json(&guest_ticket("ospite@example.org"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED, "a guest ticket");
    // What needs a user still says so; a bad Bearer token stays an error.
    let res = stale(app.client.get(app.url("/api/v1/me"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app.client.get(app.url("/api/v1/categories")).bearer_auth("garbage").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
