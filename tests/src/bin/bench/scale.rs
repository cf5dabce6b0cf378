//! Lock scale: rooms of 100 and 1 000 real lock clients, each its own ZooKeeper session. Time to
//! open every session and queue, the backend's memory with the room full, then the time to drain
//! the queue and the watch notifications that took, per recipe.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{json, Value};
use shared::{ClientMsg, LockRecipeKind, RoomView};
use tests::spawn_app_with;

use crate::render;

/// The queue is given this long to form, and this long to drain; `children-watch` at 1 000
/// clients cannot drain in it (about n²/2 notifications, each followed by a listing of up to n
/// children), so it reports how far it got.
const OPEN_BUDGET: Duration = Duration::from_secs(90);
const DRAIN_BUDGET: Duration = Duration::from_secs(60);
/// zkplay's hold time 0 means "until released", so the drain runs at the shortest hold, 1 ms.
const DRAIN_HOLD_MS: u64 = 1;

pub async fn lock_scale(connect: &str, render_at: usize) -> Result<Value> {
    let mut runs = Vec::new();
    for clients in [100, 1000] {
        for recipe in LockRecipeKind::ALL {
            eprintln!("lock scale: {clients} clients, {} ...", recipe.as_str());
            let render = clients == render_at && recipe == LockRecipeKind::Predecessor;
            runs.push(run(connect, clients, recipe, render).await?);
        }
    }
    Ok(json!({
        "open_budget_s": OPEN_BUDGET.as_secs(),
        "drain_budget_s": DRAIN_BUDGET.as_secs(),
        "drain_hold_ms": DRAIN_HOLD_MS,
        "runs": runs,
    }))
}

async fn run(connect: &str, clients: usize, recipe: LockRecipeKind, render: bool) -> Result<Value> {
    let connect = connect.to_string();
    let app = spawn_app_with(move |s| {
        s.zk.connect = connect;
        s.max_lock_clients = clients;
        s.limits.max_messages_per_sec = 100_000;
        // A thousand sessions and a herd on two cores: room for a slow heartbeat.
        s.zk.session_timeout = Duration::from_secs(20);
    })
    .await;
    let mut driver = app.viewer().await;
    driver.keep_history = false;
    driver.send(&ClientMsg::SetRecipe { recipe }).await;
    driver.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    let rss_before = rss_bytes();

    let started = Instant::now();
    for _ in 0..clients {
        driver.add_lock_client().await;
    }
    let opened = driver
        .until_within(OPEN_BUDGET, |view, _| {
            let open = view
                .locks
                .clients
                .iter()
                .filter(|c| c.session.is_some())
                .count();
            (open == clients).then(|| started.elapsed())
        })
        .await;
    let queued = driver
        .until_within(OPEN_BUDGET.saturating_sub(started.elapsed()), |view, _| {
            queue_formed(view, clients).then(|| started.elapsed())
        })
        .await;
    let rss_full = rss_bytes();
    let joining = notifications(&driver.view, recipe);
    eprintln!(
        "  open in {opened:?}, queued in {queued:?}; {} MiB resident",
        rss_full / (1 << 20)
    );

    // The browser's hand-offs (if it measures) count with the drain's: one queue, n − 1 in all.
    let before = notifications(&driver.view, recipe);
    let frontend = match (render, queued) {
        (true, Some(_)) => Some(render::measure(&app, &mut driver, clients).await?),
        _ => None,
    };

    let drain_from = Instant::now();
    driver
        .send(&ClientMsg::SetHoldMs {
            hold_ms: DRAIN_HOLD_MS,
        })
        .await;
    let drained = match queued {
        Some(_) => {
            driver
                .until_within(DRAIN_BUDGET, |view, _| {
                    (view.locks.clients.is_empty() && view.locks.nodes.is_empty())
                        .then(|| drain_from.elapsed())
                })
                .await
        }
        None => None,
    };
    let after = notifications(&driver.view, recipe);
    eprintln!(
        "  drained in {drained:?}: {} hand-offs, {} notifications",
        after.0 - before.0,
        after.1 - before.1
    );
    app.stop().await;
    Ok(json!({
        "clients": clients,
        "recipe": recipe.as_str(),
        "open_s": opened.map(|d| d.as_secs_f64()),
        "queued_s": queued.map(|d| d.as_secs_f64()),
        "notifications_while_joining": joining.1,
        "drain_s": drained.map(|d| d.as_secs_f64()),
        "handoffs": after.0 - before.0,
        "notifications": after.1 - before.1,
        "rss_before_mib": rss_before as f64 / f64::from(1 << 20),
        "rss_full_mib": rss_full as f64 / f64::from(1 << 20),
        "rss_per_client_kib": (rss_full.saturating_sub(rss_before) / clients as u64) as f64 / 1024.0,
        "frontend": frontend,
    }))
}

/// Every client has its node, one holds, and every other one watches.
pub fn queue_formed(view: &RoomView, clients: usize) -> bool {
    let watching = view
        .locks
        .clients
        .iter()
        .filter(|c| c.watching.is_some())
        .count();
    view.locks.nodes.len() == clients && view.holders().count() == 1 && watching == clients - 1
}

/// `(hand-offs, notifications)` so far under `recipe`.
fn notifications(view: &RoomView, recipe: LockRecipeKind) -> (u64, u64) {
    view.herd
        .recipes
        .iter()
        .filter(|h| h.recipe == recipe)
        .fold((0, 0), |(h, n), s| (h + s.handoffs, n + s.notifications))
}

/// This process's resident memory: the zkplay server, its sessions and relays, and the one
/// viewer that drives it.
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        })
        .unwrap_or(0)
}
