//! Recordings: how many bytes a room's history takes, and how fast the page scrubs one of
//! `EVENTS` events: one jump from the start to the end, and a sweep through it in `SWEEP` steps,
//! each to the frame that shows it, by the page's own clock; then the jump again with the
//! timeline open, which draws the whole history's diagram.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use serde_json::{json, Value};
use shared::recording::Recording;
use shared::ClientMsg;
use tests::browser::Browser;

use crate::percentiles;

pub const EVENTS: usize = 10_000;
const SWEEP: usize = 100;
/// Lock clients in the room at once while the history grows.
const BATCH: usize = 20;

/// Moves the slider to `arguments[0]` and resolves with the milliseconds until the frame after
/// the page shows that event.
const SCRUB: &str = r#"
const done = arguments[arguments.length - 1];
const target = String(arguments[0]);
const bar = document.querySelector('[data-testid=replay]');
const slider = document.querySelector('[data-testid=replay-scrub]');
if (bar.dataset.at === target) { done(0); return; }
const start = performance.now();
const check = () => {
  if (bar.dataset.at !== target) return false;
  observer.disconnect();
  requestAnimationFrame(() => done(performance.now() - start));
  return true;
};
const observer = new MutationObserver(check);
observer.observe(bar, { attributes: true });
slider.value = target;
slider.dispatchEvent(new Event('input', { bubbles: true }));
"#;

/// Moves the slider to `arguments[0]` and resolves with the milliseconds until the frame after
/// the timeline shows event `arguments[1]` (its `data-seq`).
const TIMELINE_SCRUB: &str = r#"
const done = arguments[arguments.length - 1];
const target = String(arguments[0]), seq = String(arguments[1]);
const panel = document.querySelector('[data-testid=spacetime]');
const slider = document.querySelector('[data-testid=replay-scrub]');
const start = performance.now();
const check = () => {
  if (panel.dataset.seq !== seq) return false;
  observer.disconnect();
  requestAnimationFrame(() => done(performance.now() - start));
  return true;
};
const observer = new MutationObserver(check);
observer.observe(panel, { attributes: true });
slider.value = target;
slider.dispatchEvent(new Event('input', { bubbles: true }));
"#;

pub async fn recording() -> Result<Value> {
    eprintln!("recordings: a history of {EVENTS} events, then scrubbed in Chromium ...");
    let app = tests::spawn_app_with(|s| {
        s.limits.max_messages_per_sec = 100_000;
        s.history_events = 2 * EVENTS;
    })
    .await;
    let mut driver = app.viewer().await;
    driver.keep_history = false;
    driver.send(&ClientMsg::SetHoldMs { hold_ms: 1 }).await;
    while (driver.view.seq as usize) < EVENTS {
        let before = driver.view.seq;
        for _ in 0..BATCH {
            driver.add_lock_client().await;
        }
        // Seen added (at least the batch's own events), then through the lock and gone.
        driver
            .until("the batch through the lock", |view, _| {
                let added = view.seq >= before + BATCH as u64;
                (added && view.locks.clients.is_empty()).then_some(())
            })
            .await;
    }
    let path = format!("/rooms/{}/recording", app.room);
    let (status, body) = tests::http(app.server.addr(), "GET", &path, b"").await;
    ensure!(status == 200, "GET {path}: {status}");
    let text = String::from_utf8(body).context("a recording is text")?;
    let recording = Recording::parse(&text)?;
    let events = recording.events.len();
    let head = text.lines().take(2).map(|l| l.len() + 1).sum::<usize>();
    let file = tempfile::Builder::new().suffix(".jsonl").tempfile()?;
    std::fs::write(file.path(), &text)?;

    let browser = Browser::open(&format!("{}/?room={}-replay", app.http_url(), app.room)).await?;
    let last_seq = recording.events.last().map_or(0, |e| e.seq);
    let measured = scrub(&browser, file.path(), events, last_seq).await;
    browser.close().await;
    drop(driver);
    app.stop().await;
    let (open, jump, mut sweep, timeline_jump) = measured?;
    let sweep_total: Duration = sweep.iter().sum();
    Ok(json!({
        "events": events,
        "bytes": text.len(),
        "bytes_per_1000_events": ((text.len() - head) as f64 * 1000.0 / events as f64).round() as u64,
        "gzip_bytes": gzip_len(text.as_bytes())?,
        "open_ms": ms(open),
        "jump_to_end_ms": ms(jump),
        "sweep_steps": SWEEP,
        "sweep_total_ms": ms(sweep_total),
        "sweep_step_ms": percentiles(&mut sweep),
        "jump_to_end_with_timeline_ms": ms(timeline_jump),
    }))
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e4).round() / 10.0
}

fn gzip_len(bytes: &[u8]) -> Result<usize> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    gz.write_all(bytes)?;
    Ok(gz.finish()?.len())
}

/// Opens the file in the page, then scrubs it: the open (to the bar on screen), one jump to the
/// end, and a sweep from the start to the end.
async fn scrub(
    browser: &Browser,
    file: &std::path::Path,
    events: usize,
    last_seq: u64,
) -> Result<(Duration, Duration, Vec<Duration>, Duration)> {
    let open = browser.wait_for_testid("open-recording").await?;
    let started = Instant::now();
    open.send_keys(&file.display().to_string()).await?;
    browser.wait_for_testid("replay").await?;
    let opened = started.elapsed();
    let at = |ms: Value| ms.as_f64().map(|ms| Duration::from_secs_f64(ms / 1000.0));
    let jump = at(browser
        .client
        .execute_async(SCRUB, vec![json!(events)])
        .await?)
    .context("the jump to the end")?;
    // Back to the start, then through it.
    browser.client.execute_async(SCRUB, vec![json!(0)]).await?;
    let mut sweep = Vec::with_capacity(SWEEP);
    for step in 1..=SWEEP {
        let target = events * step / SWEEP;
        let took = browser
            .client
            .execute_async(SCRUB, vec![json!(target)])
            .await?;
        sweep.push(at(took).context("a sweep step")?);
    }
    // With the timeline open, from the start to the end: until the frame after the timeline
    // has drawn the last event (it redraws on its own clock, `data-seq` says what it drew).
    browser.client.execute_async(SCRUB, vec![json!(0)]).await?;
    browser.wait_for_testid("st-show").await?.click().await?;
    browser.wait_for_testid("spacetime").await?;
    let timeline_jump = at(browser
        .client
        .execute_async(TIMELINE_SCRUB, vec![json!(events), json!(last_seq)])
        .await?)
    .context("the jump to the end with the timeline")?;
    Ok((opened, jump, sweep, timeline_jump))
}
