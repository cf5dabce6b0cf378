//! Browser end-to-end: the real page in headless Chromium against the real server, driven by
//! the `data-testid` contract.

use anyhow::ensure;
use fantoccini::Locator;
use tests::browser::browser_test;
use tests::spawn_app;

#[tokio::test]
async fn three_clients_queue_and_crashing_the_holder_hands_the_lock_on() {
    let app = spawn_app().await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    browser_test("three_clients_queue", &url, async |b| {
        b.wait_for("the page to connect", async |c| {
            Ok(c.find(Locator::Css("[data-testid=add-lock-client]"))
                .await
                .ok())
        })
        .await?;
        // Hold until released, so the picture stands still while we look.
        let hold = b.client.find(Locator::Css("[data-testid=hold-ms]")).await?;
        hold.clear().await?;
        hold.send_keys("0\n").await?;
        // `change` fires on blur; clicking elsewhere commits the value.
        b.click("h1").await?;
        b.wait_for("the hold time to be 0", async |c| {
            let log = c
                .find(Locator::Css("[data-testid=event-log]"))
                .await?
                .text()
                .await?;
            Ok(log.contains("hold time: 0 ms").then_some(()))
        })
        .await?;
        for _ in 0..3 {
            b.click("[data-testid=add-lock-client]").await?;
        }
        let nodes = b
            .wait_for("three lock nodes, one holding", async |_| {
                let nodes = b.lock_nodes().await?;
                let holding = nodes.iter().filter(|(_, s)| s == "holding").count();
                let waiting = nodes.iter().filter(|(_, s)| s == "waiting").count();
                Ok((nodes.len() == 3 && holding == 1 && waiting == 2).then_some(nodes))
            })
            .await?;
        // The paths are the real znodes, in sequence order, and the first one holds.
        let zk = zookeeper_client::Client::connect(&tests::zookeeper::connect_string()).await?;
        let mut real = zk
            .list_children(&format!("/zkplay/{}/locks", app.room))
            .await?;
        real.sort();
        let shown: Vec<String> = nodes.iter().map(|(p, _)| p.clone()).collect();
        let expected: Vec<String> = real.iter().map(|n| format!("/locks/{n}")).collect();
        ensure!(
            shown == expected,
            "page shows {shown:?}, ZooKeeper has {expected:?}"
        );
        ensure!(
            nodes[0].1 == "holding",
            "the smallest node holds: {nodes:?}"
        );
        let log = b
            .client
            .find(Locator::Css("[data-testid=event-log]"))
            .await?
            .text()
            .await?;
        ensure!(
            log.contains(&format!("gain lock: {}", shown[0])),
            "log: {log}"
        );
        let arrows = b
            .client
            .find_all(Locator::Css("[data-testid=watch-arrow]"))
            .await?;
        ensure!(arrows.len() == 2, "each waiter has a watch arrow");

        // Crash the holder: its node leaves the page and the next one holds.
        b.click(&format!("[data-path=\"{}\"] [data-testid=crash]", shown[0]))
            .await?;
        b.wait_for("the second node to hold", async |_| {
            let nodes = b.lock_nodes().await?;
            Ok(
                (nodes.len() == 2 && nodes[0] == (shown[1].clone(), "holding".into()))
                    .then_some(()),
            )
        })
        .await?;
        ensure!(
            b.client
                .find_all(Locator::Css(&format!("[data-path=\"{}\"]", shown[0])))
                .await?
                .is_empty(),
            "the crashed holder's node left the page"
        );
        Ok(())
    })
    .await;
    app.stop().await;
}
