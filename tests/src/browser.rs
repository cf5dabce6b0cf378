//! Headless Chromium through chromedriver (fantoccini), with a screenshot when a test fails.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::process::{Child, Command};

/// How long a wait for the page may take before the test fails.
pub const PAGE_WAIT: Duration = Duration::from_secs(30);

/// A Chromium of its own (own chromedriver, own profile) showing one page.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and Chromium and opens `url`.
    pub async fn open(url: &str) -> Result<Browser> {
        Self::open_sized(url, 1600, 1000).await
    }

    /// [`Browser::open`] in a window of this many CSS pixels (a phone is 390 × 844).
    pub async fn open_sized(url: &str, width: u32, height: u32) -> Result<Browser> {
        let browser = Self::launch(width, height).await?;
        browser.client.goto(url).await?;
        Ok(browser)
    }

    /// Starts chromedriver and Chromium on a blank page, in a fresh profile (nothing cached).
    pub async fn launch(width: u32, height: u32) -> Result<Browser> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!("start {chromedriver} (run `cargo xtask test` to install it)")
            })?;
        // chromedriver signals readiness only by accepting connections.
        let deadline = tokio::time::Instant::now() + PAGE_WAIT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if tokio::time::Instant::now() > deadline {
                return Err(anyhow!("chromedriver did not listen on port {port}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::Builder::new()
            .prefix("zkplay-chromium-")
            .tempdir()?;
        let mut caps = serde_json::Map::new();
        let mut options = json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
        });
        // A desktop window is at least 500 px wide; a phone's screen is emulated instead.
        if width < 500 {
            options["mobileEmulation"] = json!({
                "deviceMetrics": {"width": width, "height": height, "pixelRatio": 3.0, "touch": true},
            });
        }
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("open a Chromium session")?;
        Ok(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Chromium's network emulation from now on, for every page this browser loads
    /// (chromedriver's own command; WebSocket traffic is not throttled by it).
    pub async fn throttle(&self, link: Link) -> Result<()> {
        self.client
            .issue_cmd(NetworkConditions(link))
            .await
            .context("set Chromium's network conditions")?;
        Ok(())
    }

    /// Polls the page until `check` returns `Some` (WebDriver has no way to push changes).
    pub async fn wait_for<T>(
        &self,
        what: &str,
        mut check: impl AsyncFnMut(&Client) -> Result<Option<T>>,
    ) -> Result<T> {
        let deadline = tokio::time::Instant::now() + PAGE_WAIT;
        loop {
            if let Some(found) = check(&self.client).await? {
                return Ok(found);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(anyhow!("timed out waiting for {what}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the element with this `data-testid`.
    pub async fn wait_for_testid(&self, id: &str) -> Result<fantoccini::elements::Element> {
        let css = format!("[data-testid={id}]");
        self.wait_for(&format!("{css} to appear"), async |c| {
            Ok(c.find(Locator::Css(&css)).await.ok())
        })
        .await
    }

    /// The event log's text.
    pub async fn event_log(&self) -> Result<String> {
        Ok(self
            .client
            .find(Locator::Css("[data-testid=event-log]"))
            .await?
            .text()
            .await?)
    }

    /// Waits until the event log shows `line`.
    pub async fn wait_for_log(&self, line: &str) -> Result<()> {
        self.wait_for(&format!("\"{line}\" in the event log"), async |_| {
            Ok(self.event_log().await?.contains(line).then_some(()))
        })
        .await
    }

    /// Types a hold time into `hold-ms` and waits until the room took it.
    pub async fn set_hold_ms(&self, hold_ms: u64) -> Result<()> {
        let hold = self.wait_for_testid("hold-ms").await?;
        hold.clear().await?;
        hold.send_keys(&format!("{hold_ms}\n")).await?;
        // `change` fires when the input loses focus.
        self.click("h1").await?;
        self.wait_for_log(&format!("hold time: {hold_ms} ms")).await
    }

    /// Switches the room to the naive recipe with holds until released, and adds `clients`
    /// lock clients by the button (lesson 2's crash bug, by hand).
    pub async fn naive_queue(&self, clients: usize) -> Result<()> {
        self.wait_for_testid("recipe-select")
            .await?
            .select_by_value("predecessor-naive")
            .await?;
        self.wait_for_log("lock recipe: predecessor-naive").await?;
        self.set_hold_ms(0).await?;
        for _ in 0..clients {
            self.click("[data-testid=add-lock-client]").await?;
        }
        Ok(())
    }

    /// `(data-path, data-state)` of every lock node on the page, in page order, read in one
    /// script so a re-render in between cannot leave stale elements.
    pub async fn lock_nodes(&self) -> Result<Vec<(String, String)>> {
        let value = self
            .client
            .execute(
                "return [...document.querySelectorAll('[data-testid=lock-node]')]\
                 .map(e => [e.dataset.path, e.dataset.state]);",
                vec![],
            )
            .await?;
        Ok(serde_json::from_value(value)?)
    }

    /// Sizes the window so that the page itself (the viewport) is `width` × `height` CSS
    /// pixels, as a screen of that size shows it.
    pub async fn set_viewport(&self, width: u32, height: u32) -> Result<()> {
        self.client.set_window_size(width, height).await?;
        let inner = self
            .client
            .execute("return [innerWidth, innerHeight];", vec![])
            .await?;
        let (w, h): (u32, u32) = serde_json::from_value(inner)?;
        if (w, h) != (width, height) {
            self.client
                .set_window_size(
                    width + (width - w.min(width)),
                    height + (height - h.min(height)),
                )
                .await?;
        }
        Ok(())
    }

    /// Types keys into the page as a keyboard would, with no element focused.
    pub async fn press(&self, keys: &str) -> Result<()> {
        self.client
            .find(Locator::Css("body"))
            .await?
            .send_keys(keys)
            .await?;
        Ok(())
    }

    /// Opens the room menu (new classroom, empty the room, recordings) if it is closed.
    pub async fn open_room_menu(&self) -> Result<()> {
        let open = self
            .client
            .execute(
                "const m = document.querySelector('[data-testid=room-menu]'); \
                 return !!m && m.open;",
                vec![],
            )
            .await?;
        if open.as_bool() != Some(true) {
            self.wait_for_testid("room-menu").await?;
            self.click("[data-testid=room-menu] > summary").await?;
        }
        Ok(())
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.client
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("find {css}"))?
            .click()
            .await
            .with_context(|| format!("click {css}"))?;
        Ok(())
    }

    /// Saves a PNG of the page to `target/e2e-screenshots/<name>.png` and returns the path.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let dir = crate::target_dir().join("e2e-screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, self.client.screenshot().await?)?;
        Ok(path)
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }
}

/// An emulated network link.
#[derive(Clone, Copy, Debug)]
pub struct Link {
    pub down_bits_per_s: u64,
    pub up_bits_per_s: u64,
    /// Added to every request's round trip.
    pub rtt_ms: u64,
}

/// chromedriver's `POST /session/{id}/chromium/network_conditions`.
#[derive(Debug)]
struct NetworkConditions(Link);

impl fantoccini::wd::WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/chromium/network_conditions",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let Link {
            down_bits_per_s,
            up_bits_per_s,
            rtt_ms,
        } = self.0;
        let body = json!({"network_conditions": {
            "offline": false,
            "latency": rtt_ms,
            "download_throughput": down_bits_per_s / 8,
            "upload_throughput": up_bits_per_s / 8,
        }});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Opens `url` in a fresh browser, runs `body`, and on failure saves a screenshot named after
/// the test before failing with the body's error.
pub async fn browser_test(name: &str, url: &str, body: impl AsyncFnOnce(&Browser) -> Result<()>) {
    let browser = Browser::open(url).await.expect("open the browser");
    let result = body(&browser).await;
    if let Err(e) = result {
        let shot = browser.screenshot(name).await;
        browser.close().await;
        match shot {
            Ok(path) => panic!("{name} failed: {e:#}\nscreenshot: {}", path.display()),
            Err(shot_err) => panic!("{name} failed: {e:#}\n(no screenshot: {shot_err})"),
        }
    }
    browser.close().await;
}
