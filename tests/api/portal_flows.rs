//! The portal's flows after opening: a guest through the mailed link, replies, rating,
//! reopening, signing out and in (password and link). On SQLite and PostgreSQL.

use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::portal::{browser, csrf_of, open_segreteria, page, sign_up, ticket_number_in, PDF};

both_backends!(
    a_guest_reaches_only_the_ticket_of_the_mailed_link,
    reply_rate_and_reopen_from_the_ticket_page,
    sign_out_then_sign_in_by_password_and_by_link,
);

fn guest_form(csrf: &str, email: &str) -> Form {
    Form::new()
        .text("csrf", csrf.to_owned())
        .text("category", "stranieri")
        .text("privacy_notice_version", "1")
        .text("guest_name", "Amina Diallo")
        .text("guest_email", email.to_owned())
        .text("subject", "Dichiarazione di valore")
        .text("body", "Dove richiedo la dichiarazione di valore del mio diploma?")
        .text("f.nationality", "Senegal")
        .text("f.topic", "declaration-of-value")
        .part("files", Part::bytes(PDF.to_vec()).file_name("diploma.pdf").mime_str("application/pdf").unwrap())
}

async fn a_guest_reaches_only_the_ticket_of_the_mailed_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let guest = browser();
    let mut numbers = Vec::new();
    for _ in 0..2 {
        let (_, html) = page(&guest, &app, "/tickets/new?category=stranieri").await;
        assert!(html.contains(r#"id="guest-email""#), "guests give their e-mail");
        let res = guest.post(app.url("/tickets/new")).multipart(guest_form(&csrf_of(&html), "amina@example.org")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.url().path(), "/tickets/new/sent", "the form answers with a redirect");
        let html = res.text().await.unwrap();
        assert!(html.contains("48 ore"), "the guest is told to confirm by e-mail");
        numbers.push(ticket_number_in(&html));
    }
    let link = app.mailed_link("amina@example.org", "guest_verify", Some(&numbers[0])).await.replace("http://127.0.0.1", &app.address);
    // The link shows a confirmation page; only its button confirms.
    let res = guest.get(&link).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Conferma la tua richiesta"), "{html}");
    let secret = link.split("secret=").nth(1).unwrap();
    let res = guest
        .post(app.url(&format!("/tickets/{}/confirm", numbers[0])))
        .form(&[("csrf", csrf_of(&html).as_str()), ("secret", secret)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.url().path(), format!("/tickets/{}", numbers[0]), "the secret leaves the address bar");
    assert_eq!(res.url().query(), Some("confirmed=1"));
    let html = res.text().await.unwrap();
    assert!(html.contains("Dichiarazione di valore") && html.contains("status status-new"), "verified and shown");
    assert!(html.contains("Indirizzo confermato: la richiesta è stata inoltrata agli uffici."));
    // The same link later just opens the ticket again.
    let res = browser().get(&link).send().await.unwrap();
    assert_eq!(res.url().path(), format!("/tickets/{}", numbers[0]));
    assert!(res.text().await.unwrap().contains("Dichiarazione di valore"));

    // The cookie keeps the way in: the guest replies from the page.
    let res = guest
        .post(app.url(&format!("/tickets/{}/reply", numbers[0])))
        .multipart(Form::new().text("csrf", csrf_of(&html)).text("body", "Allego anche il passaporto."))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Allego anche il passaporto."));
    // …and never opens anything else: the second ticket (same address), the list, a wrong secret.
    let res = guest.get(app.url(&format!("/tickets/{}", numbers[1]))).send().await.unwrap();
    assert_eq!(res.url().path(), "/sign-in");
    let res = guest.get(app.url("/tickets")).send().await.unwrap();
    assert_eq!(res.url().path(), "/sign-in");
    let res = guest.get(app.url(&format!("/tickets/{}?secret=not-the-secret", numbers[1]))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn reply_rate_and_reopen_from_the_ticket_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = sign_up(&app, "sara@studenti.unibg.it").await;
    let number = open_segreteria(&app, &client, "Trasferimento").await;
    let admin = app.admin().await;
    let agent = app.staff(&admin, "agent@unibg.it", "agent", &["segreteria"]).await;
    let api = format!("/api/v1/tickets/{number}");
    app.post(&format!("{api}/messages"), Some(&agent.token), &json!({"body": "Serve il nulla osta."})).await;

    let (_, html) = page(&client, &app, &format!("/tickets/{number}")).await;
    let res = client
        .post(app.url(&format!("/tickets/{number}/reply")))
        .multipart(
            Form::new()
                .text("csrf", csrf_of(&html))
                .text("body", "Ecco il nulla osta.")
                .part("files", Part::bytes(PDF.to_vec()).file_name("nulla-osta.pdf").mime_str("application/pdf").unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Ecco il nulla osta.") && html.contains("nulla-osta.pdf"));
    // An empty reply is an error shown on the page.
    let res = client.post(app.url(&format!("/tickets/{number}/reply"))).multipart(Form::new().text("csrf", csrf_of(&html)).text("body", "  ")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains(r#"id="reply-body-error""#));

    let version = app.get(&api, Some(&agent.token)).await.json::<serde_json::Value>().await.unwrap()["version"].as_i64().unwrap();
    let res = app.patch(&api, &agent.token, &json!({"version": version, "status": "resolved"})).await;
    assert_eq!(res.status(), StatusCode::OK);

    let (_, html) = page(&client, &app, &format!("/tickets/{number}")).await;
    assert!(html.contains("Risolta") && html.contains("Valuta la risposta") && html.contains("Riapri la richiesta"));
    let res = client
        .post(app.url(&format!("/tickets/{number}/rating")))
        .form(&[("csrf", csrf_of(&html).as_str()), ("stars", "5"), ("comment", "Rapidi & gentili")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("5/5") && html.contains("Rapidi &amp; gentili") && !html.contains("Valuta la risposta"));
    let again = client.post(app.url(&format!("/tickets/{number}/rating"))).form(&[("csrf", csrf_of(&html).as_str()), ("stars", "1")]).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT, "one rating per ticket");

    let (_, html) = page(&client, &app, &format!("/tickets/{number}")).await;
    let version = html.split(r#"name="version" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    // Reopening asks why: without a reason the form says so, next to itself and focused.
    let res = client
        .post(app.url(&format!("/tickets/{number}/status")))
        .form(&[("csrf", csrf_of(&html).as_str()), ("action", "reopen"), ("version", version.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = res.text().await.unwrap();
    assert!(refused.contains(r#"id="reopen-reason-error""#) && refused.contains("autofocus"), "{refused}");
    assert_status_is(&app, &agent.token, &number, "resolved").await;
    let res = client
        .post(app.url(&format!("/tickets/{number}/status")))
        .form(&[("csrf", csrf_of(&html).as_str()), ("action", "reopen"), ("version", version.as_str()), ("reason", "Il nulla osta non risulta ancora.")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("In lavorazione"), "reopened");
    assert!(html.contains("Il nulla osta non risulta ancora."), "the reason is in the thread");
    assert_status_is(&app, &agent.token, &number, "open").await;
}

async fn assert_status_is(app: &TestApp, token: &str, number: &str, status: &str) {
    let res: Response = app.get(&format!("/api/v1/tickets/{number}"), Some(token)).await;
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], status);
}

async fn sign_out_then_sign_in_by_password_and_by_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = sign_up(&app, "paolo@studenti.unibg.it").await;
    let (_, html) = page(&client, &app, "/tickets").await;
    let res = client.post(app.url("/sign-out")).form(&[("csrf", csrf_of(&html))]).send().await.unwrap();
    assert_eq!(res.url().path(), "/");
    let res = client.get(app.url("/tickets")).send().await.unwrap();
    assert_eq!(res.url().path(), "/sign-in", "signed out");

    // A wrong password: the form again, the address kept, no session.
    let html = res.text().await.unwrap();
    let res = client
        .post(app.url("/sign-in"))
        .form(&[("csrf", csrf_of(&html).as_str()), ("email", "paolo@studenti.unibg.it"), ("password", "wrong-password"), ("next", "/tickets/new")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let html = res.text().await.unwrap();
    assert!(html.contains("E-mail o password non corretti.") && html.contains(r#"value="paolo@studenti.unibg.it""#));
    assert!(!html.contains("wrong-password"), "a password is never sent back");
    let res = client
        .post(app.url("/sign-in"))
        .form(&[("csrf", csrf_of(&html).as_str()), ("email", "paolo@studenti.unibg.it"), ("password", "password-123"), ("next", "/tickets/new")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.url().path(), "/tickets/new", "back to where sign-in was asked for");

    // A sign-in link by e-mail, in a browser with no session; it works once.
    let other = browser();
    let (_, html) = page(&other, &app, "/sign-in/link").await;
    let res = other.post(app.url("/sign-in/link")).form(&[("csrf", csrf_of(&html).as_str()), ("email", "paolo@studenti.unibg.it")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Controlla la tua e-mail"));
    let mails = app.outbox_for("paolo@studenti.unibg.it").await;
    assert!(mails.iter().any(|(kind, _)| kind == "sign_in_link"));
    let link = app.mailed_link("paolo@studenti.unibg.it", "sign_in_link", None).await.replace("http://127.0.0.1", &app.address);
    // Opening the link signs nobody in: its page's button does (a POST with the page's token).
    let res = other.get(&link).send().await.unwrap();
    assert_eq!(res.url().path(), "/sign-in/link");
    let html = res.text().await.unwrap();
    assert!(!html.contains("Maria Bianchi"), "not signed in by opening the link");
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let res = other.post(app.url("/sign-in/link/confirm")).form(&[("csrf", csrf_of(&html).as_str()), ("token", token.as_str())]).send().await.unwrap();
    assert_eq!(res.url().path(), "/tickets");
    assert!(res.text().await.unwrap().contains("Maria Bianchi"), "signed in by the link");
    let third = browser();
    let (_, html) = page(&third, &app, &format!("/sign-in/link?token={token}")).await;
    let res = third.post(app.url("/sign-in/link/confirm")).form(&[("csrf", csrf_of(&html).as_str()), ("token", token.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a link works once");
    assert!(res.text().await.unwrap().contains("non è valido o è scaduto"));
}
