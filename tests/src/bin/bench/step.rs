//! Step mode as a teacher feels it: from a click on Next in the page to the move's result on
//! the screen (the moved client's code badge has left the line it waited on, and the frame
//! that shows it has been drawn), press after press.

use std::time::Duration;

use anyhow::{ensure, Result};
use serde_json::{json, Value};
use shared::{ClientMsg, TimeMode, DEFAULT_SLOW_FACTOR};
use tests::browser::Browser;

use crate::percentiles;

pub const PRESSES: usize = 100;
/// Lock clients added at a time whenever nothing waits.
const BATCH: usize = 10;

/// One press in the page: clicks Next and resolves with the milliseconds until the oldest
/// waiting move's client shows its move done, measured by the page's own clock.
const PRESS: &str = r#"
const done = arguments[arguments.length - 1];
const oldest = document.querySelector('[data-testid=pending-step]');
if (!oldest) { done(null); return; }
const { id, client } = oldest.dataset;
const badgeLine = () => {
  const badge = document.querySelector(`[data-testid=code-badge][data-client="${client}"]`);
  return badge ? badge.closest('[data-testid=code-line]').dataset.line : null;
};
const before = badgeLine();
const start = performance.now();
const check = () => {
  const waiting = document.querySelector(`[data-testid=pending-step][data-id="${id}"]`);
  if (waiting || badgeLine() === before) return false;
  observer.disconnect();
  requestAnimationFrame(() => done(performance.now() - start));
  return true;
};
const observer = new MutationObserver(check);
observer.observe(document.body, { subtree: true, childList: true, attributes: true });
document.querySelector('[data-testid=step-next]').click();
"#;

pub async fn next_to_screen() -> Result<Value> {
    eprintln!("step mode: {PRESSES} presses of Next in Chromium ...");
    let app = tests::spawn_app().await;
    let mut driver = app.viewer().await;
    driver.keep_history = false;
    driver.until_app_client_settled().await;
    driver.send(&ClientMsg::SetHoldMs { hold_ms: 1 }).await;
    driver
        .send(&ClientMsg::SetTime {
            mode: TimeMode::Step,
            slow_factor: DEFAULT_SLOW_FACTOR,
        })
        .await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    let browser = Browser::open(&url).await?;
    // Closed whatever happens: a Chromium left behind outlives the bench.
    let measured = presses(&browser, &mut driver).await;
    browser.close().await;
    app.stop().await;
    let mut samples = measured?;
    ensure!(samples.len() == PRESSES, "every press was measured");
    Ok(json!({"presses": PRESSES, "next_to_screen_ms": percentiles(&mut samples)}))
}

/// Presses Next `PRESSES` times and returns how long each took to reach the screen.
async fn presses(browser: &Browser, driver: &mut tests::Viewer) -> Result<Vec<Duration>> {
    browser.wait_for_testid("step-next").await?;
    let mut samples = Vec::with_capacity(PRESSES);
    while samples.len() < PRESSES {
        if driver.view.time.pending.is_empty() {
            for _ in 0..BATCH {
                driver.add_lock_client().await;
            }
        }
        driver
            .until("a waiting move", |view, _| {
                (!view.time.pending.is_empty()).then_some(())
            })
            .await;
        // The page shows it too before it is pressed.
        browser
            .wait_for("the page's waiting move", async |c| {
                let shown = c
                    .find_all(fantoccini::Locator::Css("[data-testid=pending-step]"))
                    .await?;
                Ok((!shown.is_empty()).then_some(()))
            })
            .await?;
        let took = browser.client.execute_async(PRESS, vec![]).await?;
        if let Some(ms) = took.as_f64() {
            samples.push(Duration::from_secs_f64(ms / 1000.0));
        }
        // The driver follows the room, so it knows when nothing waits any more.
        let released = driver.view.time.pending.first().map(|m| m.id);
        driver
            .until("the press to reach the driver", |view, _| {
                (view.time.pending.first().map(|m| m.id) != released).then_some(())
            })
            .await;
    }
    Ok(samples)
}
