//! The timeline while a busy room runs: headless Chromium shows a room whose `CLIENTS` lock
//! clients hand the lock over for `RUN`, new clients taking the place of those that finish, with
//! the timeline open; every animation frame's distance from the previous is recorded.

use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{json, Value};
use shared::ClientMsg;
use tests::browser::Browser;

use crate::percentiles;
use crate::render::ms;

const CLIENTS: usize = 50;
const RUN: Duration = Duration::from_secs(60);
const HOLD_MS: u64 = 100;

pub async fn busy_room() -> Result<Value> {
    eprintln!(
        "the timeline: {CLIENTS} clients handing over for {} s, frames in Chromium ...",
        RUN.as_secs()
    );
    let app = tests::spawn_app_with(|s| s.limits.max_messages_per_sec = 100_000).await;
    let mut driver = app.viewer().await;
    driver.keep_history = false;
    driver
        .send(&ClientMsg::SetHoldMs { hold_ms: HOLD_MS })
        .await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    let browser = Browser::open(&url).await?;
    let measured = run(&browser, &mut driver).await;
    browser.close().await;
    drop(driver);
    app.stop().await;
    measured
}

async fn run(browser: &Browser, driver: &mut tests::Viewer) -> Result<Value> {
    browser.wait_for_testid("st-show").await?.click().await?;
    browser.wait_for_testid("spacetime").await?;
    for _ in 0..CLIENTS {
        driver.add_lock_client().await;
    }
    browser
        .client
        .execute(
            "window.zkplayFrames = null;
             const frames = [], end = performance.now() + arguments[0];
             let last = null;
             const tick = now => {
               if (last !== null) frames.push(now - last);
               last = now;
               if (now < end) requestAnimationFrame(tick); else window.zkplayFrames = frames;
             };
             requestAnimationFrame(tick);",
            vec![json!(RUN.as_millis() as u64)],
        )
        .await?;
    // Keep the queue full: a client added for each one that finished.
    let started = tokio::time::Instant::now();
    let handoffs_before = handoffs(&driver.view);
    while started.elapsed() < RUN {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
        while driver.next_before(deadline).await.is_some() {}
        let missing = CLIENTS.saturating_sub(driver.view.locks.clients.len());
        for _ in 0..missing {
            driver.send(&ClientMsg::AddLockClient).await;
        }
    }
    let handed_over = handoffs(&driver.view) - handoffs_before;
    let frames = browser
        .wait_for("the frame record", async |c| {
            let frames = c.execute("return window.zkplayFrames;", vec![]).await?;
            Ok((!frames.is_null()).then_some(frames))
        })
        .await?;
    let mut frames: Vec<Duration> = frames
        .as_array()
        .context("frame times")?
        .iter()
        .map(ms)
        .collect::<Result<_>>()?;
    let drawn = browser
        .client
        .execute(
            "return [document.querySelectorAll('[data-testid=st-arrow]').length,
                     document.querySelectorAll('[data-testid=st-fold]').length];",
            vec![],
        )
        .await?;
    let long = frames
        .iter()
        .filter(|f| **f > Duration::from_millis(50))
        .count();
    Ok(json!({
        "clients": CLIENTS,
        "seconds": RUN.as_secs(),
        "hold_ms": HOLD_MS,
        "handoffs": handed_over,
        "events": driver.view.seq,
        "arrows_drawn_at_end": drawn[0],
        "folds_at_end": drawn[1],
        "frames": frames.len(),
        "frames_over_50ms": long,
        "frame_ms": percentiles(&mut frames),
    }))
}

fn handoffs(view: &shared::RoomView) -> u64 {
    view.herd.of(view.recipe).map_or(0, |h| h.handoffs)
}
