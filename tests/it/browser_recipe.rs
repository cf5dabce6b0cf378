//! Browser end-to-end, the recipe panel: the naive template checked (unsafe, its moves), the
//! same text edited checked again (the verdict follows the editor's text, not the template's
//! name), the failure played on the real ensemble to two holders, and the fixed recipe run
//! live through a crashed waiter with one holder, the nodes as a separate raw session reads
//! them.

use anyhow::{ensure, Result};
use shared::recipe::RecipeTemplate;
use tests::browser::{browser_test, Browser};
use tests::zookeeper::RawSession;

/// The naive template's trusting line, and the fix's second look in its place.
const TRUSTING: &str = "gain_lock();                               // doSomething();  (the bug";
const LOOKING: &str = "get_children(\"/\" + this.groupNode, false); // (the fix";

/// The verdict's `(status, moves, clients)` once it is about the text in the editor.
async fn verdict(b: &Browser) -> Result<(String, String, String)> {
    b.wait_for("a verdict", async |c| {
        let value = c
            .execute(
                "const v = document.querySelector('[data-testid=recipe-verdict]'); \
                 return v && v.dataset.status !== 'checking' \
                   ? [v.dataset.status, v.dataset.moves, v.dataset.clients] : null;",
                vec![],
            )
            .await?;
        Ok(serde_json::from_value(value)?)
    })
    .await
}

/// Puts `source` in the editor as a learner's typing would (Ace's own change event).
async fn type_in(b: &Browser, source: &str) -> Result<()> {
    b.client
        .execute(
            "document.querySelector('[data-testid=recipe-editor] .ace_editor').env.editor\
             .setValue(arguments[0], -1);",
            vec![source.into()],
        )
        .await?;
    Ok(())
}

async fn check(b: &Browser) -> Result<(String, String, String)> {
    b.click("[data-testid=recipe-check]").await?;
    verdict(b).await
}

#[tokio::test]
async fn a_recipe_checked_edited_played_to_two_holders_and_run_live_when_fixed() {
    let app = tests::spawn_app().await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    let raw = RawSession::connect(&app.server_zk()).await;
    browser_test("recipe", &url, async |b| {
        b.wait_for_testid("recipe-show").await?;
        b.click("[data-testid=recipe-show]").await?;
        b.wait_for_testid("recipe-panel").await?;
        b.wait_for("Ace to load", async |c| {
            let kind = c
                .execute(
                    "return document.querySelector('[data-testid=recipe-editor]').dataset.editor;",
                    vec![],
                )
                .await?;
            Ok((kind.as_str() == Some("ace")).then_some(()))
        })
        .await?;
        // The naive template: unsafe, its eight moves listed.
        b.wait_for_testid("recipe-template")
            .await?
            .select_by_value("predecessor-naive")
            .await?;
        let naive = check(b).await?;
        ensure!(
            naive == ("unsafe".into(), "8".into(), "3".into()),
            "{naive:?}"
        );
        b.screenshot("recipe-naive-checked").await?;
        // The same text with the fix typed in: the picker says edited, the check says safe.
        let fixed = RecipeTemplate::PredecessorNaive
            .source()
            .replace(TRUSTING, LOOKING);
        ensure!(fixed != RecipeTemplate::PredecessorNaive.source());
        type_in(b, &fixed).await?;
        b.wait_for("the picker to say edited", async |c| {
            let value = c
                .execute(
                    "return document.querySelector('[data-testid=recipe-template]').value;",
                    vec![],
                )
                .await?;
            Ok((value.as_str() == Some("")).then_some(()))
        })
        .await?;
        let safe = check(b).await?;
        ensure!(safe.0 == "safe" && safe.2 == "4", "{safe:?}");
        // Back to the naive text: its failure, played on the real ensemble, ends with two
        // holders on the stage.
        b.wait_for_testid("recipe-template")
            .await?
            .select_by_value("predecessor-naive")
            .await?;
        let again = check(b).await?;
        ensure!(again.0 == "unsafe", "{again:?}");
        b.click("[data-testid=recipe-play-failure]").await?;
        b.wait_for("two holders on the stage", async |_| {
            let holding = b
                .lock_nodes()
                .await?
                .iter()
                .filter(|(_, state)| state == "holding")
                .count();
            Ok((holding == 2).then_some(()))
        })
        .await?;
        b.wait_for_testid("violation").await?;
        // Drawn on the timeline as it played: the trusted notification and two holds at once.
        b.wait_for("the failure on the timeline", async |c| {
            let holds = c
                .find_all(fantoccini::Locator::Css(
                    "[data-testid=spacetime] [data-testid=st-hold][data-overlap=true]",
                ))
                .await?;
            Ok((holds.len() == 2).then_some(()))
        })
        .await?;
        b.screenshot("recipe-failure-played").await?;
        // The fixed recipe run live: a crashed waiter leaves one holder.
        type_in(b, &fixed).await?;
        b.click("[data-testid=recipe-run]").await?;
        b.wait_for_log("lock recipe: script").await?;
        b.wait_for_testid("time-mode")
            .await?
            .select_by_value("live")
            .await?;
        b.set_hold_ms(0).await?;
        for _ in 0..3 {
            b.click("[data-testid=add-lock-client]").await?;
        }
        b.wait_for("a queue of three", async |_| {
            let nodes = b.lock_nodes().await?;
            let holding = nodes.iter().filter(|(_, s)| s == "holding").count();
            let waiting = nodes.iter().filter(|(_, s)| s == "waiting").count();
            Ok((holding == 1 && waiting == 2).then_some(()))
        })
        .await?;
        b.client
            .execute(
                "document.querySelectorAll('[data-testid=lock-node]')[1]\
                 .querySelector('[data-testid=crash]').click();",
                vec![],
            )
            .await?;
        let nodes = b
            .wait_for("two nodes, one holder", async |_| {
                let nodes = b.lock_nodes().await?;
                let holding = nodes.iter().filter(|(_, s)| s == "holding").count();
                let waiting = nodes.iter().filter(|(_, s)| s == "waiting").count();
                Ok((nodes.len() == 2 && holding == 1 && waiting == 1).then_some(nodes))
            })
            .await?;
        let mut names = raw
            .again(|| {
                raw.client
                    .list_children(&format!("/zkplay/{}/locks", app.room))
            })
            .await;
        names.sort();
        let shown: Vec<String> = nodes
            .iter()
            .map(|(path, _)| path.trim_start_matches("/locks/").to_string())
            .collect();
        ensure!(
            names == shown,
            "ZooKeeper has {names:?}, the page shows {shown:?}"
        );
        b.screenshot("recipe-fixed-live").await?;
        Ok(())
    })
    .await;
    app.stop().await;
}
