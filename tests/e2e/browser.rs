//! A real headless Chromium driven over chromedriver (Debian's `chromium` and
//! `chromium-driver`). Missing, they fail the test: scripts/test.sh installs them.

use std::net::TcpStream;
use std::path::PathBuf;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// chromedriver runs in its own process group with the Chromium processes it starts:
    /// killing the group leaves no browser behind, even when a test panicked mid-session.
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.driver.id()) {
            // SAFETY: kill(2) on the process group this test created; no memory is touched.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

impl Browser {
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver does not start ({e}): install chromium and chromium-driver (scripts/test.sh does)"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on port {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("a profile folder");
        let args = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1000", "--accept-lang=it-IT,it",
        ];
        let mut args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": "/usr/bin/chromium", "args": args, "prefs": {"intl.accept_languages": "it-IT,it"}}),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session (is /usr/bin/chromium installed?)");
        Browser { client, driver, _profile: profile }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// The element's text; an element replaced by a navigation under way is looked up again.
    pub async fn text(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let el = self.client.wait().for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
            match el.text().await {
                Ok(text) => return text,
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => panic!("{css}: {e}"),
            }
        }
    }

    pub async fn source(&self) -> String {
        self.client.source().await.expect("the page source")
    }

    /// Waits (up to 10 s) until the page shows `text`; panics with the page otherwise.
    pub async fn wait_for_text(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let source = self.source().await;
            if source.contains(text) {
                return;
            }
            assert!(Instant::now() < deadline, "'{text}' never appeared on {}:\n{source}", self.path().await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.expect("the url").path().to_owned()
    }

    /// Waits (up to 10 s) until a submitted form's navigation lands on `expected`; returns
    /// where the browser is then, so the caller's assertion shows the page it stayed on.
    pub async fn path_after_navigation(&self, expected: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let path = self.path().await;
            if path == expected || Instant::now() >= deadline {
                return path;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types into a field, as a person would.
    pub async fn type_in(&self, id: &str, value: &str) {
        let el = self.client.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
        el.clear().await.expect("clear");
        el.send_keys(value).await.unwrap_or_else(|e| panic!("typing in #{id}: {e}"));
    }

    /// A field's value read by script, so a page that reloads under the test (a stale element)
    /// reads as an empty field and the caller's wait loop asks again.
    pub async fn value(&self, id: &str) -> String {
        let read = self
            .client
            .execute("const e = document.getElementById(arguments[0]); return e ? e.value : '';", vec![json!(id)])
            .await
            .unwrap_or_else(|e| panic!("reading #{id}: {e}"));
        read.as_str().unwrap_or_default().to_owned()
    }

    /// Date inputs take their ISO value (typing depends on the browser's locale).
    pub async fn set_date(&self, id: &str, iso: &str) {
        self.client
            .execute("document.getElementById(arguments[0]).value = arguments[1];", vec![json!(id), json!(iso)])
            .await
            .expect("setting a date");
    }

    pub async fn choose(&self, id: &str, value: &str) {
        let el = self.client.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
        el.select_by_value(value).await.unwrap_or_else(|e| panic!("choosing {value} in #{id}: {e}"));
    }

    pub async fn attach(&self, id: &str, file: &std::path::Path) {
        let el = self.client.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
        el.send_keys(&file.display().to_string()).await.unwrap_or_else(|e| panic!("attaching to #{id}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        el.click().await.unwrap_or_else(|e| panic!("clicking {css}: {e}"));
    }

    /// Saves what the page looks like to `target/screenshots/<name>.png`, for a person.
    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
        std::fs::create_dir_all(&dir).expect("the screenshots folder");
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("writing a screenshot");
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.expect("resizing the window");
    }

    /// axe-core in the page: no serious or critical violation of WCAG 2.1 A/AA rules.
    pub async fn assert_accessible(&self, what: &str) {
        self.client.execute(&format!("{};return true;", axe_source()), vec![]).await.expect("injecting axe-core");
        let script = "const done = arguments[arguments.length - 1];\
            axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})\
              .then(r => done({passes: r.passes.length, violations: r.violations\
                .filter(v => v.impact === 'serious' || v.impact === 'critical')\
                .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))}))\
              .catch(e => done({passes: 0, violations: ['axe failed: ' + e]}));";
        let found: Value = self.client.execute_async(script, vec![]).await.expect("running axe-core");
        assert!(found["passes"].as_u64().unwrap_or(0) > 5, "axe-core did not run its rules on {what}: {found}");
        let list = found["violations"].as_array().cloned().unwrap_or_default();
        assert!(list.is_empty(), "accessibility violations on {what}:\n{}", serde_json::to_string_pretty(&list).unwrap_or_default());
    }
}

fn axe_source() -> &'static str {
    static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    AXE.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{path}: {e}: run `npm install --prefix tests/e2e` (scripts/test.sh does)"))
    })
}
