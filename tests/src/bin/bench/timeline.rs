//! The timeline while a busy room runs: headless Chromium shows a room whose `CLIENTS` lock
//! clients hand the lock over, new clients taking the place of those that finish; every
//! animation frame's distance from the previous is recorded, for `CLOSED` with the timeline
//! closed, then for `RUN` with it open.

use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Value};
use shared::ClientMsg;
use tests::browser::Browser;

use crate::percentiles;
use crate::render::{frames_recorded, record_frames};

const CLIENTS: usize = 50;
const RUN: Duration = Duration::from_secs(60);
const CLOSED: Duration = Duration::from_secs(20);
const HOLD_MS: u64 = 1000;

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
    browser.wait_for_testid("st-show").await?;
    for _ in 0..CLIENTS {
        driver.add_lock_client().await;
    }
    let (mut closed, _) = frames_while_busy(browser, driver, CLOSED).await?;
    browser.wait_for_testid("st-show").await?.click().await?;
    browser.wait_for_testid("spacetime").await?;
    let before = (handoffs(&driver.view), driver.view.seq);
    let (mut open, long) = frames_while_busy(browser, driver, RUN).await?;
    let (handed_over, events) = (
        handoffs(&driver.view) - before.0,
        driver.view.seq - before.1,
    );
    let drawn = browser
        .client
        .execute(
            "return [document.querySelectorAll('[data-testid=st-arrow]').length,
                     document.querySelectorAll('[data-testid=st-fold]').length];",
            vec![],
        )
        .await?;
    Ok(json!({
        "clients": CLIENTS,
        "seconds": RUN.as_secs(),
        "hold_ms": HOLD_MS,
        "handoffs": handed_over,
        "events": events,
        "arrows_drawn_at_end": drawn[0],
        "folds_at_end": drawn[1],
        "frames": open.len(),
        "frames_over_50ms": long,
        "frame_ms": percentiles(&mut open),
        "closed_seconds": CLOSED.as_secs(),
        "closed_frame_ms": percentiles(&mut closed),
    }))
}

/// Every frame's distance from the previous for `run`, while the queue is kept full (a client
/// added for each one that finished); and how many took over 50 ms.
async fn frames_while_busy(
    browser: &Browser,
    driver: &mut tests::Viewer,
    run: Duration,
) -> Result<(Vec<Duration>, usize)> {
    record_frames(browser, run).await?;
    let started = tokio::time::Instant::now();
    while started.elapsed() < run {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
        while let Some(msg) = driver.next_before(deadline).await {
            driver.absorb(msg);
        }
        let missing = CLIENTS.saturating_sub(driver.view.locks.clients.len());
        for _ in 0..missing {
            driver.send(&ClientMsg::AddLockClient).await;
        }
    }
    frames_recorded(browser).await
}

fn handoffs(view: &shared::RoomView) -> u64 {
    view.herd.of(view.recipe).map_or(0, |h| h.handoffs)
}
