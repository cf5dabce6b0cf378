//! The page's first visit over a slow link: headless Chromium in a fresh profile (nothing
//! cached) loads the page from a zkplay server, with Chromium's network emulation at the
//! issue's 1.6 Mbit/s and 150 ms round trip, and without it. Timed from the navigation's
//! start: the first contentful paint, and the end of the frame that shows the room
//! (`zkplay:snapshot-painted`, see `frontend::timing`); with the bytes each file took on the
//! wire.

use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Value};
use tests::browser::{Browser, Link};

use crate::percentiles;
use crate::render::ms;

const LOADS: usize = 5;
/// The slow link: a poor mobile connection.
pub const SLOW_LINK: Link = Link {
    down_bits_per_s: 1_600_000,
    up_bits_per_s: 750_000,
    rtt_ms: 150,
};

pub async fn first_visit() -> Result<Value> {
    let app = tests::spawn_app().await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    let mut report = serde_json::Map::new();
    for (name, link) in [("unthrottled", None), ("slow_link", Some(SLOW_LINK))] {
        eprintln!("  Chromium: {LOADS} first visits, {name}");
        let (mut contentful, mut room) = (Vec::new(), Vec::new());
        let mut files = Value::Null;
        for _ in 0..LOADS {
            let visit = visit(&url, link).await?;
            contentful.push(visit.contentful);
            room.push(visit.room);
            files = visit.files;
        }
        report.insert(
            name.into(),
            json!({
                "first_contentful_paint_ms": percentiles(&mut contentful),
                "room_painted_ms": percentiles(&mut room),
                "files": files,
            }),
        );
    }
    app.stop().await;
    report.insert("loads".into(), json!(LOADS));
    report.insert(
        "link".into(),
        json!({
            "down_bits_per_s": SLOW_LINK.down_bits_per_s,
            "up_bits_per_s": SLOW_LINK.up_bits_per_s,
            "rtt_ms": SLOW_LINK.rtt_ms,
        }),
    );
    Ok(Value::Object(report))
}

struct Visit {
    contentful: Duration,
    room: Duration,
    /// Each file the page loaded: its name, its body's bytes on the wire (compressed, without
    /// headers) and decoded.
    files: Value,
}

async fn visit(url: &str, link: Option<Link>) -> Result<Visit> {
    let browser = Browser::launch(1600, 1000).await?;
    let result = async {
        if let Some(link) = link {
            browser.throttle(link).await?;
        }
        browser.client.goto(url).await?;
        let found = browser
            .wait_for("the room to be painted", async |c| {
                let found = c
                    .execute(
                        "const painted = performance.getEntriesByName('zkplay:snapshot-painted');
                         const fcp = performance.getEntriesByName('first-contentful-paint');
                         if (!painted.length || !fcp.length) return null;
                         const files = performance.getEntriesByType('navigation')
                           .concat(performance.getEntriesByType('resource'))
                           .map(e => ({
                             name: e.name.split('/').pop().split('?')[0] || 'index.html',
                             wire_bytes: e.encodedBodySize,
                             bytes: e.decodedBodySize,
                           }));
                         return [fcp[0].startTime, painted[0].startTime + painted[0].duration,
                                 files];",
                        vec![],
                    )
                    .await?;
                Ok((!found.is_null()).then_some(found))
            })
            .await?;
        Ok(Visit {
            contentful: ms(&found[0])?,
            room: ms(&found[1])?,
            files: found[2].clone(),
        })
    }
    .await;
    browser.close().await;
    result
}
