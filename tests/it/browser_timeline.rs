//! Browser end-to-end, the timeline: its arrows are ZooKeeper's own calls and answers (a
//! create's zxid is the node's czxid, read by a separate raw session), the naive recipe's crash
//! bug draws as a NodeDeleted notification and two holds marked overlapping, a late viewer sees
//! the same diagram, and a recording replayed to the same event draws the same arrows.

use anyhow::{ensure, Context, Result};
use fantoccini::Locator;
use tests::browser::{browser_test, Browser};
use tests::http;
use tests::zookeeper::RawSession;

/// Every arrow of the page's timeline, as its attributes say:
/// `kind client op path zxid event trusted unread`.
async fn arrows(b: &Browser) -> Result<Vec<String>> {
    let value = b
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=spacetime] [data-testid=st-arrow]')]\
             .map(a => ['kind','client','op','path','zxid','event','trusted','unread','mark']\
             .map(k => a.dataset[k] || '-').join(' '));",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(value)?)
}

/// `(client, node, overlap)` of every hold drawn.
async fn holds(b: &Browser) -> Result<Vec<(String, String, String)>> {
    let value = b
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=st-hold]')]\
             .map(h => [h.dataset.client, h.dataset.node, h.dataset.overlap]);",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(value)?)
}

/// The create answers drawn: `(client, node, zxid)`.
fn created(arrows: &[String]) -> Vec<(String, String, String)> {
    arrows
        .iter()
        .filter_map(|a| {
            let f: Vec<&str> = a.split(' ').collect();
            (f[0] == "reply" && f[2] == "create" && f[3].starts_with("/locks/"))
                .then(|| (f[1].to_string(), f[3].to_string(), f[4].to_string()))
        })
        .collect()
}

#[tokio::test]
async fn the_timeline_draws_zookeepers_calls_its_zxids_and_the_naive_recipes_two_holders() {
    let app = tests::spawn_app().await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    let raw = RawSession::connect(&app.server_zk()).await;
    browser_test("timeline", &url, async |b| {
        // Closed outside a lesson; T opens it.
        b.wait_for_testid("st-show").await?;
        b.press("t").await?;
        b.wait_for_testid("spacetime").await?;
        b.naive_queue(3).await?;
        let creates = b
            .wait_for("three create answers with their zxids", async |_| {
                let c = created(&arrows(b).await?);
                let two_watching = arrows(b)
                    .await?
                    .iter()
                    .filter(|a| a.starts_with("reply") && a.contains(" getData "))
                    .count()
                    == 2;
                Ok((c.len() == 3 && two_watching).then_some(c))
            })
            .await?;
        // Each create's zxid is the node's czxid, as a separate session reads it.
        for (_, node, zxid) in &creates {
            let full = format!("/zkplay/{}{node}", app.room);
            let stat = raw
                .again(|| raw.client.check_stat(&full))
                .await
                .with_context(|| format!("{full} is in the tree"))?;
            ensure!(
                *zxid == format!("{:#x}", stat.czxid),
                "{node}: the arrow says {zxid}, ZooKeeper's czxid is {:#x}",
                stat.czxid
            );
        }
        // ZooKeeper's lane shows the three writes in zxid order, down the page.
        let dots = b
            .client
            .execute(
                "return [...document.querySelectorAll('[data-testid=st-zxid]')]\
                 .map(d => [d.dataset.zxid, d.querySelector('circle').getAttribute('cy')]);",
                vec![],
            )
            .await?;
        let dots: Vec<(String, String)> = serde_json::from_value(dots)?;
        let mut by_y: Vec<(f64, i64)> = dots
            .iter()
            .map(|(z, y)| {
                let zxid = i64::from_str_radix(z.trim_start_matches("0x"), 16).unwrap_or(-1);
                (y.parse().unwrap_or(f64::NAN), zxid)
            })
            .collect();
        by_y.sort_by(|a, b| a.0.total_cmp(&b.0));
        ensure!(
            by_y.windows(2).all(|w| w[0].1 < w[1].1),
            "the zxids down ZooKeeper's lane: {by_y:?}"
        );

        // Crash the first waiter: the last waiter is told its predecessor went, and trusts it.
        let mut queue = creates.clone();
        queue.sort_by(|a, b| a.1.cmp(&b.1));
        let (holder, waiter, last) = (&queue[0], &queue[1], &queue[2]);
        b.click(&format!("[data-path=\"{}\"] [data-testid=crash]", waiter.1))
            .await?;
        let overlapping = b
            .wait_for("two holds marked overlapping", async |_| {
                let h = holds(b).await?;
                let over: Vec<_> = h.into_iter().filter(|(_, _, o)| o == "true").collect();
                Ok((over.len() == 2).then_some(over))
            })
            .await?;
        let mut named: Vec<(String, String)> =
            overlapping.into_iter().map(|(c, n, _)| (c, n)).collect();
        named.sort();
        let mut expected = vec![
            (holder.0.clone(), holder.1.clone()),
            (last.0.clone(), last.1.clone()),
        ];
        expected.sort();
        ensure!(
            named == expected,
            "overlapping holds {named:?}, expected {expected:?}"
        );
        let told = arrows(b).await?;
        let notification = told.iter().find(|a| {
            let f: Vec<&str> = a.split(' ').collect();
            f[0] == "notify" && f[1] == last.0 && f[3] == waiter.1 && f[5] == "NodeDeleted"
        });
        let notification = notification.with_context(|| {
            format!(
                "a NodeDeleted of {} on {}'s lane: {told:#?}",
                waiter.1, last.0
            )
        })?;
        ensure!(
            notification.split(' ').nth(6) == Some("true"),
            "the trusted notification is marked: {notification}"
        );

        // A click on it says what it is and lights the seed's line.
        let mark = notification
            .split(' ')
            .nth(8)
            .unwrap_or_default()
            .to_string();
        b.click(&format!(
            "[data-testid=st-arrow][data-mark=\"{mark}\"] line:last-of-type"
        ))
        .await?;
        let details = b.wait_for_testid("st-details").await?.text().await?;
        ensure!(
            details.contains("NodeDeleted") && details.contains(&waiter.1),
            "{details}"
        );

        // A late viewer sees the same diagram, from where the room's history begins.
        let late = Browser::open(&url).await?;
        let seen = async {
            late.wait_for_testid("st-show").await?.click().await?;
            late.wait_for_testid("spacetime").await?;
            let mine = arrows(b).await?;
            let theirs = late
                .wait_for("the late viewer's arrows", async |_| {
                    let theirs = arrows(&late).await?;
                    Ok((theirs == mine).then_some(theirs))
                })
                .await;
            theirs.map(|_| ())
        }
        .await;
        late.close().await;
        seen?;

        // A recording replayed to its end draws the same arrows as the live page.
        let live = arrows(b).await?;
        let (status, recording) = http(
            app.server.addr(),
            "GET",
            &format!("/rooms/{}/recording", app.room),
            b"",
        )
        .await;
        ensure!(status == 200, "recording: {status}");
        let file = tempfile::NamedTempFile::new()?;
        std::fs::write(file.path(), &recording)?;
        let replay = Browser::open(&format!("{}/?room=elsewhere", app.http_url())).await?;
        let replayed = async {
            replay.open_room_menu().await?;
            let open = replay.wait_for_testid("open-recording").await?;
            open.send_keys(&file.path().display().to_string()).await?;
            let bar = replay.wait_for_testid("replay").await?;
            let total = bar.attr("data-total").await?.context("a total")?;
            replay
                .client
                .execute(
                    "const s = document.querySelector('[data-testid=replay-scrub]');\
                     s.value = arguments[0]; s.dispatchEvent(new Event('input', {bubbles: true}));",
                    vec![serde_json::json!(total)],
                )
                .await?;
            replay.wait_for_testid("st-show").await?.click().await?;
            replay.wait_for_testid("spacetime").await?;
            replay
                .wait_for("the replay's arrows at its end", async |c| {
                    let bar = c.find(Locator::Css("[data-testid=replay]")).await?;
                    let (at, total) = (bar.attr("data-at").await?, bar.attr("data-total").await?);
                    let theirs = arrows(&replay).await?;
                    Ok((at == total && theirs == live).then_some(()))
                })
                .await
        }
        .await;
        replay.close().await;
        replayed
    })
    .await;
    app.stop().await;
}
