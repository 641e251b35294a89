//! Post/redirect/get for the forms that send mail: sign-up, "send me a sign-in link" and a
//! guest's "send me a new link" answer 303 to a GET that shows the confirmation, so a reload
//! sends nothing again.

use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::portal::csrf_of;

both_backends!(mail_sending_forms_redirect_to_their_confirmation);

/// A browser that does not follow redirects (to see the 303 itself).
fn manual() -> Client {
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// POSTs the form of `path` (with its page's CSRF token) and follows the 303 by hand:
/// the confirmation page's text.
async fn post_and_follow(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> String {
    let client = manual();
    let html = client.get(app.url(path)).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&html);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let res = client.post(app.url(path)).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "POST {path} answers a redirect");
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, format!("{path}?sent=1"));
    let res = client.get(app.url(&to)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

async fn mail_sending_forms_redirect_to_their_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;
    let html = post_and_follow(&app, "/sign-up", &[("display_name", "Maria Bianchi"), ("email", "maria.prg@studenti.unibg.it"), ("password", "password-123"), ("next", "/")]).await;
    assert!(html.contains("Conferma il tuo indirizzo"), "{html}");
    assert_eq!(app.outbox_for("maria.prg@studenti.unibg.it").await.len(), 1);

    app.student("paolo.prg@studenti.unibg.it").await;
    let html = post_and_follow(&app, "/sign-in/link", &[("email", "paolo.prg@studenti.unibg.it")]).await;
    assert!(html.contains("Controlla la tua e-mail"), "{html}");
    assert!(app.outbox_for("paolo.prg@studenti.unibg.it").await.iter().any(|(kind, _)| kind == "sign_in_link"));

    let guest = json!({"category": "ita-l2", "privacy_notice_version": 1, "subject": "Test ITA-L2", "body": "Vorrei prenotare il test.",
        "fields": {"nationality": "Brasile", "passport_number": "YB123456", "universitaly_ref": "UNI-2026-0001"},
        "guest": {"email": "ospite.prg@example.org", "name": "Ospite"}});
    let res = app.post("/api/v1/tickets", None, &guest).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let number = res.json::<serde_json::Value>().await.unwrap()["number"].as_str().unwrap().to_owned();
    let html = post_and_follow(&app, "/tickets/link", &[("number", number.as_str()), ("email", "ospite.prg@example.org")]).await;
    assert!(html.contains("Controlla la tua e-mail"), "{html}");
    assert!(app.outbox_for("ospite.prg@example.org").await.iter().any(|(kind, _)| kind == "guest_link"));
}
