//! The browser's side: headless Chromium showing a room of n queued lock clients. The time from
//! a snapshot's arrival to the DOM holding it and to the frame that shows it (the page's own
//! performance marks, see `frontend::timing`), over several page loads; then the frame times
//! while the queue hands the lock over.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use fantoccini::Locator;
use serde_json::{json, Value};
use shared::ClientMsg;
use tests::browser::Browser;
use tests::{TestApp, Viewer};

use crate::percentiles;

const LOADS: usize = 5;
const HANDOFFS: usize = 5;
/// Hand-offs this far apart, so each one's animation plays out before the next.
const HANDOFF_EVERY: Duration = Duration::from_millis(600);

pub async fn measure(app: &TestApp, driver: &mut Viewer, nodes: usize) -> Result<Value> {
    eprintln!("  Chromium: {LOADS} page loads of {nodes} nodes, then {HANDOFFS} hand-offs");
    let url = format!("{}/?room={}", app.http_url(), app.room);
    let browser = Browser::open(&url).await?;
    let result = measure_in(&browser, driver, nodes).await;
    browser.close().await;
    result
}

async fn measure_in(browser: &Browser, driver: &mut Viewer, nodes: usize) -> Result<Value> {
    // Cold: a page load, whose first layout also pays for fonts and the page around the queue.
    let (mut cold_rendered, mut cold_painted) = (Vec::new(), Vec::new());
    let mut cards = 0;
    for load in 0..LOADS {
        if load > 0 {
            browser.client.refresh().await?;
        }
        let snapshot = painted_snapshot(browser, 0, nodes).await?;
        cold_rendered.push(snapshot.rendered);
        cold_painted.push(snapshot.painted);
        cards = snapshot.cards;
    }
    // Warm: key S asks for a fresh snapshot on the page as it stands (as after a resync).
    let (mut warm_rendered, mut warm_painted) = (Vec::new(), Vec::new());
    for seen in 1..=LOADS {
        browser
            .client
            .find(Locator::Css("body"))
            .await?
            .send_keys("s")
            .await?;
        let snapshot = painted_snapshot(browser, seen, nodes).await?;
        warm_rendered.push(snapshot.rendered);
        warm_painted.push(snapshot.painted);
    }

    // Frame times: every animation frame's distance from the previous, while hand-offs play.
    let record_ms = HANDOFF_EVERY.as_millis() as u64 * (HANDOFFS as u64 + 1);
    record_frames(browser, Duration::from_millis(record_ms)).await?;
    for _ in 0..HANDOFFS {
        hand_off(driver).await;
        // Pacing the load, not waiting for a result.
        tokio::time::sleep(HANDOFF_EVERY).await;
    }
    let (mut frames, long) = frames_recorded(browser).await?;
    Ok(json!({
        "nodes": nodes,
        "cards_drawn": cards,
        "loads": LOADS,
        "cold_rendered_ms": percentiles(&mut cold_rendered),
        "cold_painted_ms": percentiles(&mut cold_painted),
        "warm_rendered_ms": percentiles(&mut warm_rendered),
        "warm_painted_ms": percentiles(&mut warm_painted),
        "handoffs": HANDOFFS,
        "frames": frames.len(),
        "frames_over_50ms": long,
        "frame_ms": percentiles(&mut frames),
    }))
}

struct Snapshot {
    rendered: Duration,
    painted: Duration,
    cards: usize,
}

/// Waits for the page to have painted more than `seen` snapshots, and times the latest.
async fn painted_snapshot(browser: &Browser, seen: usize, nodes: usize) -> Result<Snapshot> {
    let timing = browser
        .wait_for("a snapshot to be painted", async |c| {
            let found = c
                .execute(
                    "const all = name => performance.getEntriesByName(name);
                     const painted = all('zkplay:snapshot-painted');
                     return painted.length > arguments[0]
                       ? [all('zkplay:snapshot-rendered').at(-1).duration,
                          painted.at(-1).duration,
                          document.querySelectorAll('[data-testid=lock-node]').length]
                       : null;",
                    vec![json!(seen)],
                )
                .await?;
            Ok((!found.is_null()).then_some(found))
        })
        .await?;
    // A crowd draws the rows near the screen only.
    let cards = timing[2].as_u64().context("a node count")? as usize;
    ensure!(
        cards > 0 && cards <= nodes,
        "the page drew {cards} of {nodes} lock nodes"
    );
    Ok(Snapshot {
        rendered: ms(&timing[0])?,
        painted: ms(&timing[1])?,
        cards,
    })
}

/// A time in milliseconds, as the page's scripts report it.
/// Starts recording every animation frame's distance from the previous, for `run`.
pub async fn record_frames(browser: &Browser, run: Duration) -> Result<()> {
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
            vec![json!(run.as_millis() as u64)],
        )
        .await?;
    Ok(())
}

/// The frames [`record_frames`] recorded, once it is done, and how many took over 50 ms.
pub async fn frames_recorded(browser: &Browser) -> Result<(Vec<Duration>, usize)> {
    let frames = browser
        .wait_for("the frame record", async |c| {
            let frames = c.execute("return window.zkplayFrames;", vec![]).await?;
            Ok((!frames.is_null()).then_some(frames))
        })
        .await?;
    let frames: Vec<Duration> = frames
        .as_array()
        .context("frame times")?
        .iter()
        .map(ms)
        .collect::<Result<_>>()?;
    let long = frames
        .iter()
        .filter(|f| **f > Duration::from_millis(50))
        .count();
    Ok((frames, long))
}

pub fn ms(value: &Value) -> Result<Duration> {
    let ms = value.as_f64().context("a time in ms")?;
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

/// The holder is released, and returns once the next one has gained the lock.
async fn hand_off(driver: &mut Viewer) {
    let Some(holder) = driver.view.holders().next().map(|c| c.id) else {
        return;
    };
    driver.send(&ClientMsg::Release { client: holder }).await;
    driver
        .until("the next holder", |view, _| {
            view.holders()
                .next()
                .is_some_and(|c| c.id != holder)
                .then_some(())
        })
        .await;
}
