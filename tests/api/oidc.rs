//! A real OpenID Connect provider for the SSO tests (tests/oidc/provider.mjs: `oidc-provider`
//! from npm, run by node), and a browser-like HTTP client that signs in through it: cookies
//! kept, redirects followed one at a time so a test can look at (or tamper with) each step.
//! A missing node or provider is a failure, never a skip: scripts/test.sh installs them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use helpdesk::config::Settings;
use helpdesk::domain::Role;
use helpdesk::config::OidcSettings;
use reqwest::cookie::Jar;
use reqwest::{Client, Response, StatusCode};

use crate::helpers::{free_port, spawn_app_with, Backend, TestApp};

pub const CLIENT_ID: &str = "helpdesk";
pub const CLIENT_SECRET: &str = "helpdesk-test-secret";
/// The password of every account of tests/oidc/accounts.json.
pub const PASSWORD: &str = "ateneo-123";

pub struct OidcProvider {
    child: Option<Child>,
    pub port: u16,
    redirect: String,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        self.stop();
    }
}

fn spawn_provider(port: u16, redirect: &str) -> Child {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/provider.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .args(["--port", &port.to_string(), "--redirect", redirect])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("node does not start ({e}): the SSO tests need Node.js (scripts/test.sh)"));
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let ready = lines.any(|l| l.starts_with("ready"));
    assert!(ready, "the OpenID provider did not start: run `npm ci --prefix tests/oidc` (scripts/test.sh does)");
    std::thread::spawn(move || lines.for_each(drop));
    child
}

impl OidcProvider {
    /// Starts the provider on `port`, with one client whose redirect URI is `redirect`.
    pub fn start(port: u16, redirect: &str) -> OidcProvider {
        OidcProvider { child: Some(spawn_provider(port, redirect)), port, redirect: redirect.to_owned() }
    }

    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops and starts it again on the same port: a new signing key (a key rotation), and
    /// everything it remembered forgotten.
    pub fn restart(&mut self) {
        self.stop();
        self.child = Some(spawn_provider(self.port, &self.redirect));
    }

    /// Makes the provider alter the id_token of its next token responses.
    pub async fn tamper(&self, mode: &str) {
        let res = Client::new().post(format!("{}/test/tamper?mode={mode}", self.issuer())).send().await.expect("the provider answers");
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }

    /// The desk's settings for this provider.
    pub fn settings(&self) -> OidcSettings {
        oidc_settings(&self.issuer())
    }
}

pub fn oidc_settings(issuer: &str) -> OidcSettings {
    OidcSettings {
        issuer: issuer.to_owned(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        scopes: ["email", "profile", "groups", "unibg"].map(str::to_owned).to_vec(),
        matricola_claim: "matricola".into(),
        fiscal_number_claim: "fiscalNumber".into(),
        groups_claim: "groups".into(),
        staff_groups: vec![("helpdesk-agents".into(), Role::Agent), ("helpdesk-admins".into(), Role::Admin)],
        timeout: Duration::from_secs(5),
        metadata_ttl: Duration::from_secs(3600),
    }
}

/// The desk and its provider.
pub struct SsoDesk {
    pub app: TestApp,
    pub provider: OidcProvider,
}

/// The app on a port known in advance (its base URL is in the redirect URI the provider
/// registers), configured for a provider started for it.
pub async fn spawn_with_sso(backend: Backend, configure: impl FnOnce(&mut Settings)) -> SsoDesk {
    // The desk's port is held while the provider picks and binds its own, so the two never
    // get the same one; it is let go just before the desk binds it.
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = held.local_addr().expect("its address").port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = OidcProvider::start(free_port(), &format!("{base}/sign-in/sso/callback"));
    let oidc = provider.settings();
    drop(held);
    let app = spawn_app_with(backend, |s| {
        s.bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        s.base_url = base;
        s.oidc = Some(oidc);
        configure(s);
    })
    .await;
    SsoDesk { app, provider }
}

/// A browser: its own cookies, no redirect followed by itself.
pub struct WebClient {
    pub client: Client,
    pub jar: Arc<Jar>,
}

pub fn location(res: &Response) -> String {
    let value = res.headers().get("location").unwrap_or_else(|| panic!("no Location in a {} answer from {}", res.status(), res.url()));
    let target = value.to_str().expect("a text Location");
    res.url().join(target).expect("a Location URL").to_string()
}

pub fn sets_session(res: &Response) -> bool {
    res.headers().get_all("set-cookie").iter().any(|v| v.to_str().unwrap_or("").starts_with("hd_session=") && !v.to_str().unwrap_or("").starts_with("hd_session=;"))
}

/// The value of a hidden `csrf` field in a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().expect("its value").to_owned()
}

impl Default for WebClient {
    fn default() -> Self {
        Self::new()
    }
}

impl WebClient {
    pub fn new() -> WebClient {
        let jar = Arc::new(Jar::default());
        let client = Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("a client");
        WebClient { client, jar }
    }

    pub async fn get(&self, url: &str) -> Response {
        self.client.get(url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Response {
        self.client.post(url).form(form).send().await.unwrap_or_else(|e| panic!("POST {url}: {e}"))
    }

    /// From a redirect to the provider's authorize endpoint, through its login page as
    /// `username`, to the desk's callback URL with the code and state (not yet followed).
    pub async fn log_in_at_provider(&self, authorize: &str, username: &str) -> String {
        let res = self.get(authorize).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "the provider sends the browser to its login page");
        let login = location(&res);
        let page = self.get(&login).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("name=\"password\""), "the provider's login page");
        let res = self.post_form(&format!("{login}/login"), &[("username", username), ("password", PASSWORD)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{username} logs in at the provider");
        let resume = location(&res);
        let res = self.get(&resume).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "the provider answers the desk");
        location(&res)
    }

    /// `GET /sign-in/sso` on the desk: the redirect to the provider (the flow cookie kept).
    pub async fn start(&self, app: &TestApp) -> String {
        let res = self.get(&app.url("/sign-in/sso")).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "the desk sends the browser to the provider");
        location(&res)
    }

    /// The whole sign-in up to the desk's callback URL, which is returned unfollowed.
    pub async fn to_callback(&self, app: &TestApp, username: &str) -> String {
        let authorize = self.start(app).await;
        self.log_in_at_provider(&authorize, username).await
    }

    /// The whole sign-in: the desk's answer to the callback.
    pub async fn sign_in(&self, app: &TestApp, username: &str) -> Response {
        let callback = self.to_callback(app, username).await;
        self.get(&callback).await
    }

    /// `GET /api/v1/me` with this browser's session cookie.
    pub async fn me(&self, app: &TestApp) -> Response {
        self.get(&app.url("/api/v1/me")).await
    }
}
