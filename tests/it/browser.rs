//! Browser end-to-end: the real page in headless Chromium against the real server, driven by
//! the `data-testid` contract.

use anyhow::ensure;
use fantoccini::Locator;
use tests::browser::browser_test;
use tests::{spawn_app, spawn_app_with};

#[tokio::test]
async fn three_clients_queue_and_crashing_the_holder_hands_the_lock_on() {
    let app = spawn_app().await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    browser_test("three_clients_queue", &url, async |b| {
        // The page marks a snapshot's way to the screen (DevTools and the bench read it).
        b.wait_for("the snapshot's paint measured", async |c| {
            let marks = c
                .execute(
                    "return performance.getEntriesByName('zkplay:snapshot-painted').length;",
                    vec![],
                )
                .await?;
            Ok((marks.as_u64() > Some(0)).then_some(()))
        })
        .await?;
        // Hold until released, so the picture stands still while we look.
        b.set_hold_ms(0).await?;
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
        let log = b.event_log().await?;
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

#[tokio::test]
async fn the_naive_recipe_shows_the_violation_banner() {
    let app = spawn_app().await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    browser_test("naive_violation", &url, async |b| {
        b.naive_queue(4).await?;
        let nodes = b
            .wait_for("four nodes, one holding, three armed arrows", async |c| {
                let nodes = b.lock_nodes().await?;
                let arrows = c
                    .find_all(Locator::Css("[data-testid=watch-arrow]"))
                    .await?;
                let holding = nodes.iter().filter(|(_, s)| s == "holding").count();
                Ok((nodes.len() == 4 && holding == 1 && arrows.len() == 3).then_some(nodes))
            })
            .await?;
        ensure!(
            b.client
                .find_all(Locator::Css("[data-testid=violation]"))
                .await?
                .is_empty(),
            "no violation before the crash"
        );
        // Crash the third, a waiter: the fourth takes its watch for a release.
        b.click(&format!(
            "[data-path=\"{}\"] [data-testid=crash]",
            nodes[2].0
        ))
        .await?;
        let banner = b
            .wait_for("the violation banner", async |c| {
                Ok(c.find(Locator::Css("[data-testid=violation]")).await.ok())
            })
            .await?;
        let text = banner.text().await?;
        ensure!(
            text.contains(&nodes[0].0) && text.contains(&nodes[3].0),
            "the banner names both holders: {text}"
        );
        let holding = b
            .lock_nodes()
            .await?
            .into_iter()
            .filter(|(_, s)| s == "holding")
            .count();
        ensure!(holding == 2, "two nodes drawn as holding");
        Ok(())
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn the_registry_panel_and_app_client_log_follow_servers() {
    let app = spawn_app().await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    browser_test("registry_panel", &url, async |b| {
        let last_line = async || -> anyhow::Result<Option<String>> {
            let lines = b
                .client
                .find_all(Locator::Css("[data-testid=app-client-log] li"))
                .await?;
            match lines.last() {
                Some(line) => Ok(Some(line.text().await?)),
                None => Ok(None),
            }
        };
        b.wait_for("the app client's first line", async |_| {
            Ok((last_line().await?.as_deref() == Some("server list updated: []")).then_some(()))
        })
        .await?;
        b.click("[data-testid=add-server]").await?;
        b.wait_for("server0000 in the log", async |_| {
            Ok(
                (last_line().await?.as_deref() == Some("server list updated: [server0000]"))
                    .then_some(()),
            )
        })
        .await?;
        let name = b
            .client
            .find(Locator::Css("[data-testid=server-name]"))
            .await?;
        name.send_keys("10.0.0.7:8080").await?;
        b.click("[data-testid=add-server]").await?;
        let want = "server list updated: [server0000, 10.0.0.7:8080]";
        b.wait_for("both servers in the log", async |_| {
            Ok((last_line().await?.as_deref() == Some(want)).then_some(()))
        })
        .await?;
        let servers = b
            .wait_for("two server nodes", async |c| {
                let nodes = c
                    .find_all(Locator::Css("[data-testid=server-node]"))
                    .await?;
                let mut paths = Vec::new();
                for n in &nodes {
                    paths.push(n.attr("data-path").await?.unwrap_or_default());
                }
                Ok((paths.len() == 2).then_some(paths))
            })
            .await?;
        ensure!(
            servers.iter().all(|p| p.starts_with("/sgroup/sub")),
            "{servers:?}"
        );
        // Crash the first server: its node leaves and the app client prints the new list.
        b.click(&format!(
            "[data-path=\"{}\"] [data-testid=crash]",
            servers[0]
        ))
        .await?;
        b.wait_for("the list without server0000", async |c| {
            let left = c
                .find_all(Locator::Css("[data-testid=server-node]"))
                .await?
                .len();
            let line = last_line().await?;
            Ok(
                (left == 1 && line.as_deref() == Some("server list updated: [10.0.0.7:8080]"))
                    .then_some(()),
            )
        })
        .await?;
        Ok(())
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_killed_client_shows_its_expiry_countdown_until_zookeeper_drops_the_node() {
    let app =
        spawn_app_with(|s| s.zk.session_timeout = std::time::Duration::from_millis(2000)).await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    browser_test("kill_countdown", &url, async |b| {
        b.set_hold_ms(0).await?;
        b.click("[data-testid=add-lock-client]").await?;
        let path = b
            .wait_for("a holding node", async |_| {
                let nodes = b.lock_nodes().await?;
                Ok(nodes
                    .into_iter()
                    .find(|(_, s)| s == "holding")
                    .map(|(p, _)| p))
            })
            .await?;
        b.click(&format!("[data-path=\"{path}\"] [data-testid=kill]"))
            .await?;
        let countdown = b
            .wait_for("the countdown on the killed node", async |c| {
                Ok(c.find(Locator::Css(&format!(
                    "[data-path=\"{path}\"][data-state=crashed] [data-testid=expiry-countdown]"
                )))
                .await
                .ok())
            })
            .await?;
        let text = countdown.text().await?;
        ensure!(text.contains(" s"), "the countdown shows seconds: {text}");
        b.wait_for("the node to leave with its session", async |_| {
            Ok(b.lock_nodes().await?.is_empty().then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn the_ensemble_panel_shows_a_new_leader_after_the_leader_is_stopped() {
    let ensemble = tests::zookeeper::three_members().await;
    let app = tests::spawn_app_on(&ensemble).await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    browser_test("ensemble_new_leader", &url, async |b| {
        let modes = async || -> anyhow::Result<Vec<(String, String)>> {
            let value = b
                .client
                .execute(
                    "return [...document.querySelectorAll('[data-testid=zk-member]')]\
                     .map(e => [e.dataset.member, e.dataset.mode]);",
                    vec![],
                )
                .await?;
            Ok(serde_json::from_value(value)?)
        };
        let leader = b
            .wait_for("a leader in the panel", async |_| {
                let modes = modes().await?;
                Ok((modes.len() == 3)
                    .then(|| {
                        modes
                            .into_iter()
                            .find(|(_, m)| m == "leader")
                            .map(|(id, _)| id)
                    })
                    .flatten())
            })
            .await?;
        b.click(&format!(
            "[data-member=\"{leader}\"] [data-testid=stop-member]"
        ))
        .await?;
        let new_leader = b
            .wait_for("the stopped member down and a new leader", async |_| {
                let modes = modes().await?;
                let down = modes.iter().any(|(id, m)| *id == leader && m == "down");
                let other = modes.iter().find(|(id, m)| *id != leader && m == "leader");
                Ok(other.filter(|_| down).map(|(id, _)| id.clone()))
            })
            .await?;
        ensure!(new_leader != leader);
        ensure!(
            b.client
                .find_all(Locator::Css("[data-testid=no-quorum]"))
                .await?
                .is_empty(),
            "two of three members still make a quorum"
        );
        Ok(())
    })
    .await;
    app.stop().await;
    ensemble.stop().await;
}

/// The line the code panel shows `client`'s badge on, if it shows one.
async fn badge_line(b: &tests::browser::Browser, client: u32) -> anyhow::Result<Option<u32>> {
    let value = b
        .client
        .execute(
            "const badge = document.querySelector(\
               `[data-testid=code-badge][data-client=\"${arguments[0]}\"]`);\
             return badge ? Number(badge.closest('[data-testid=code-line]').dataset.line) : null;",
            vec![client.into()],
        )
        .await?;
    Ok(serde_json::from_value(value)?)
}

/// `(data-client, data-move, data-line)` of each waiting move, oldest first.
async fn pending_steps(b: &tests::browser::Browser) -> anyhow::Result<Vec<(u32, String, u32)>> {
    let value = b
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=pending-step]')]\
             .map(e => [Number(e.dataset.client), e.dataset.move, Number(e.dataset.line)]);",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(value)?)
}

#[tokio::test]
async fn one_hand_off_stepped_click_by_click_walks_the_badges_through_the_seeds_lines() {
    use shared::{SeedListing, SeedPoint};
    let app = spawn_app().await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    browser_test("stepped_hand_off", &url, async |b| {
        b.set_hold_ms(0).await?;
        b.wait_for_log("server list updated: []").await?;
        b.wait_for_testid("time-mode")
            .await?
            .select_by_value("step")
            .await?;
        b.wait_for_log("time: step by step").await?;
        b.click("[data-testid=add-lock-client]").await?;
        b.click("[data-testid=add-lock-client]").await?;
        let creates = b
            .wait_for("two creates waiting", async |_| {
                let steps = pending_steps(b).await?;
                Ok((steps.len() == 2).then_some(steps))
            })
            .await?;
        let code = SeedListing::DistributedClientFixed;
        let line = |point| code.line(point).expect("a line of the listing");
        ensure!(
            creates
                .iter()
                .all(|(_, kind, l)| kind == "create" && *l == line(SeedPoint::Create)),
            "{creates:?}"
        );
        let (first, second) = (creates[0].0, creates[1].0);
        // Where each badge must stand after each press: the first creates, then the second;
        // each lists; the first holds and writes; the second watches its predecessor and waits.
        let expected = [
            (first, SeedPoint::GetChildren),
            (second, SeedPoint::GetChildren),
            (first, SeedPoint::Work),
            (second, SeedPoint::WatchPredecessor),
            (first, SeedPoint::Hold),
            (second, SeedPoint::Waiting),
        ];
        for (press, (client, point)) in expected.iter().enumerate() {
            b.click("[data-testid=step-next]").await?;
            let want = line(*point);
            b.wait_for(
                &format!(
                    "press {}: client {client}'s badge on line {want}",
                    press + 1
                ),
                async |_| Ok((badge_line(b, *client).await? == Some(want)).then_some(())),
            )
            .await?;
        }
        ensure!(pending_steps(b).await?.is_empty(), "both rest on ZooKeeper");
        let nodes = b.lock_nodes().await?;
        ensure!(
            nodes.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>() == ["holding", "waiting"],
            "{nodes:?}"
        );
        // The holder's card names its line, and Space takes the room back to live.
        let holder = b
            .client
            .find(Locator::Css(&format!(
                "[data-testid=lock-node][data-client=\"{first}\"] [data-testid=code-ref]"
            )))
            .await?
            .text()
            .await?;
        ensure!(holder == format!("L{}", line(SeedPoint::Hold)), "{holder}");
        b.client.active_element().await?.send_keys(" ").await?;
        b.wait_for_log("time: live").await?;
        Ok(())
    })
    .await;
    app.stop().await;
}
