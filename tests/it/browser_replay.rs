//! Browser end-to-end, recordings: a room's recording, opened in a fresh page from a file, plays
//! without a server and scrubs to the picture the live page shows; stored on the server, its
//! replay link plays it too.

use anyhow::{ensure, Context, Result};
use fantoccini::Locator;
use tests::browser::{browser_test, Browser};
use tests::http;

/// Moves the replay's slider to `n`, as a drag would, and waits until the page shows it.
async fn scrub_to(b: &Browser, n: usize) -> Result<()> {
    b.client
        .execute(
            "const s = document.querySelector('[data-testid=replay-scrub]');\
             s.value = arguments[0]; s.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![serde_json::json!(n)],
        )
        .await?;
    b.wait_for(&format!("the replay at event {n}"), async |c| {
        let at = c
            .find(Locator::Css("[data-testid=replay]"))
            .await?
            .attr("data-at")
            .await?;
        Ok((at.as_deref() == Some(n.to_string().as_str())).then_some(()))
    })
    .await
}

#[tokio::test]
async fn a_downloaded_recording_replays_to_the_same_picture() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    let app = tests::spawn_app_with(move |s| s.data_dir = Some(dir)).await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    browser_test("replay", &url, async |live| {
        live.set_hold_ms(0).await?;
        for _ in 0..3 {
            live.click("[data-testid=add-lock-client]").await?;
        }
        let picture = live
            .wait_for("three nodes, one holding", async |_| {
                let nodes = live.lock_nodes().await?;
                let holding = nodes.iter().filter(|(_, s)| s == "holding").count();
                Ok((nodes.len() == 3 && holding == 1).then_some(nodes))
            })
            .await?;
        let href = live
            .wait_for_testid("download-recording")
            .await?
            .attr("href")
            .await?
            .context("a download link")?;
        ensure!(href == format!("/rooms/{}/recording", app.room), "{href}");
        let (status, recording) = http(app.server.addr(), "GET", &href, b"").await;
        ensure!(status == 200, "GET {href}: {status}");
        let file = data.path().join("room.jsonl");
        std::fs::write(&file, &recording)?;

        // A fresh page plays the file: at its end, the picture the live page shows.
        let replay = Browser::open(&format!("{}/?room=elsewhere", app.http_url())).await?;
        let played = async {
            replay.open_room_menu().await?;
            let open = replay.wait_for_testid("open-recording").await?;
            open.send_keys(&file.display().to_string()).await?;
            let bar = replay.wait_for_testid("replay").await?;
            let total: usize = bar.attr("data-total").await?.context("a total")?.parse()?;
            ensure!(total >= 10, "{total} events");
            ensure!(
                replay.lock_nodes().await?.is_empty(),
                "the replay starts with the room empty"
            );
            scrub_to(&replay, total).await?;
            ensure!(
                replay.lock_nodes().await? == picture,
                "the replay's end differs from the live page"
            );
            // Half way, then play to the end at the highest speed.
            scrub_to(&replay, total / 2).await?;
            replay
                .click("[data-testid=replay-speed] option[value='50']")
                .await?;
            replay.click("[data-testid=replay-play]").await?;
            replay
                .wait_for("played to the end", async |c| {
                    let bar = c.find(Locator::Css("[data-testid=replay]")).await?;
                    let at = bar.attr("data-at").await?;
                    Ok((at == Some(total.to_string())).then_some(()))
                })
                .await?;
            ensure!(
                replay.lock_nodes().await? == picture,
                "played, the end differs"
            );
            // No control of a recording reaches a server.
            ensure!(
                replay
                    .client
                    .find_all(Locator::Css(
                        "[data-testid=add-lock-client], [data-testid=crash]"
                    ))
                    .await?
                    .is_empty(),
                "a replay offers the room's controls"
            );
            Ok::<(), anyhow::Error>(())
        }
        .await;
        replay.close().await;
        played?;

        // Stored on the server, its replay link plays it in the live page's browser.
        live.open_room_menu().await?;
        live.click("[data-testid=store-recording]").await?;
        let stored = live
            .wait_for_testid("stored-recording")
            .await?
            .attr("href")
            .await?
            .context("a replay link")?;
        live.client
            .goto(&format!("{}{stored}", app.http_url()))
            .await?;
        let bar = live.wait_for_testid("replay").await?;
        let total: usize = bar.attr("data-total").await?.context("a total")?.parse()?;
        scrub_to(live, total).await?;
        ensure!(
            live.lock_nodes().await? == picture,
            "the stored recording's end differs"
        );
        Ok(())
    })
    .await;
    app.stop().await;
}
