//! Browser end-to-end, the projector and the phone: presenter mode by the keyboard alone through
//! a hand-off, its type sizes, and no contrast violation by axe-core; a student's phone page at
//! 390 × 844 without sideways overflow, its own client first, its targets at least 44 px.

use anyhow::{anyhow, ensure, Context, Result};
use fantoccini::Locator;
use serde_json::json;
use tests::browser::Browser;

/// A CSS property of the first element matching `css`, in px.
async fn px(b: &Browser, css: &str, property: &str) -> Result<f64> {
    let value = b
        .client
        .execute(
            "const e = document.querySelector(arguments[0]);\
             return e ? parseFloat(getComputedStyle(e)[arguments[1]]) : null;",
            vec![json!(css), json!(property)],
        )
        .await?;
    value.as_f64().with_context(|| format!("no {css}"))
}

/// The contrast violations axe-core finds in the page as it is now.
async fn contrast_violations(b: &Browser) -> Result<Vec<String>> {
    let path = std::env::var("ZKPLAY_AXE_JS")
        .context("ZKPLAY_AXE_JS names axe.min.js: run the tests with `cargo xtask test`")?;
    let axe = std::fs::read_to_string(&path).with_context(|| format!("read {path}"))?;
    b.client
        .execute(&format!("{axe}\n;return true;"), vec![])
        .await?;
    let found = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, {runOnly: {type: 'rule', values: ['color-contrast']}}).then(r => {\
               const seen = new Map();\
               for (const v of r.violations) for (const n of v.nodes) {\
                 const why = n.failureSummary.split('\\n').pop().trim();\
                 if (!seen.has(why)) seen.set(why, n.target.join(' '));\
               }\
               done([...seen].map(([why, at]) => why + ' (first at ' + at + ')'));\
             }).catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(found)?)
}

async fn time_mode(b: &Browser) -> Result<String> {
    let select = b
        .client
        .find(Locator::Css("[data-testid=time-mode]"))
        .await?;
    select.prop("value").await?.context("a time mode")
}

#[tokio::test]
async fn presenter_mode_by_the_keyboard_alone_through_a_hand_off() {
    // Holders hold until released: the checks between A and C take what time they take.
    let app = tests::spawn_app_with(|s| s.default_hold_ms = 0).await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    let browser = Browser::open_sized(&url, 1920, 1080)
        .await
        .expect("a browser");
    let result = async {
        browser.wait_for_testid("time-mode").await?;
        browser.press("p").await?;
        browser
            .wait_for("presenter mode", async |c| {
                let app = c.find(Locator::Css(".app")).await?;
                Ok((app.attr("data-presenter").await?.as_deref() == Some("true")).then_some(()))
            })
            .await?;
        // Space: step mode and back, from the keyboard.
        browser.press(" ").await?;
        browser
            .wait_for("step mode", async |_| {
                Ok((time_mode(&browser).await? == "step").then_some(()))
            })
            .await?;
        browser.press(" ").await?;
        browser
            .wait_for("live again", async |_| {
                Ok((time_mode(&browser).await? == "live").then_some(()))
            })
            .await?;
        // A, A: a holder and a waiter.
        browser.press("aa").await?;
        let nodes = browser
            .wait_for("a holder and a waiter", async |_| {
                let nodes = browser.lock_nodes().await?;
                let states: Vec<&str> = nodes.iter().map(|(_, s)| s.as_str()).collect();
                Ok((states == ["holding", "waiting"]).then_some(nodes))
            })
            .await?;
        ensure!(
            px(&browser, ".app", "fontSize").await? >= 28.0,
            "body type under 28 px"
        );
        ensure!(
            px(&browser, ".lock-node .name", "fontSize").await? >= 32.0,
            "znode names under 32 px"
        );
        // Every state has a shape and a word, not only a colour.
        let status = browser
            .client
            .find(Locator::Css(".lock-node.holding .status"))
            .await?
            .text()
            .await?;
        ensure!(
            status.starts_with('●') && status.len() > 4,
            "the holder says {status:?}"
        );
        let violations = contrast_violations(&browser).await?;
        ensure!(
            violations.is_empty(),
            "contrast below 4.5:1: {violations:#?}"
        );
        // ↓ selects the holder; C crashes it; the waiter holds.
        browser.press("\u{E015}").await?;
        let selected = browser
            .wait_for_testid("selected-client")
            .await?
            .text()
            .await?;
        let holder_card = browser
            .client
            .find(Locator::Css(&format!("[data-path=\"{}\"]", nodes[0].0)))
            .await?;
        // The line names the holder as its card does ("client 1"), and the card is marked.
        let who = holder_card.find(Locator::Css(".who")).await?.text().await?;
        let holder = who.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        ensure!(
            holder_card
                .attr("class")
                .await?
                .is_some_and(|c| c.contains("selected")),
            "the holder's card is not marked selected"
        );
        ensure!(selected.ends_with(&holder), "{selected:?} is not {holder}");
        browser.press("c").await?;
        let waiter = (nodes[1].0.clone(), "holding".to_string());
        browser
            .wait_for("the hand-off to the waiter", async |_| {
                Ok((browser.lock_nodes().await? == [waiter.clone()]).then_some(()))
            })
            .await?;
        // ?: the key list; Esc closes it.
        browser.press("?").await?;
        let list = browser.wait_for_testid("key-list").await?.text().await?;
        for key in [
            "A",
            "C",
            "K",
            "F",
            "Space",
            "N / →",
            "+ / −",
            "R",
            "L",
            "P",
            "↑ / ↓",
        ] {
            ensure!(list.contains(key), "the key list lacks {key}");
        }
        browser.press("\u{E00C}").await?;
        browser
            .wait_for("the key list closed", async |c| {
                Ok(c.find_all(Locator::Css("[data-testid=key-list]"))
                    .await?
                    .is_empty()
                    .then_some(()))
            })
            .await?;
        let violations = contrast_violations(&browser).await?;
        ensure!(
            violations.is_empty(),
            "after the hand-off, contrast below 4.5:1: {violations:#?}"
        );
        Ok::<(), anyhow::Error>(())
    }
    .await;
    if let Err(e) = &result {
        let _ = browser.screenshot("presenter").await;
        eprintln!("{e:#}");
    }
    browser.close().await;
    app.stop().await;
    result
        .map_err(|e| anyhow!("presenter mode: {e:#}"))
        .unwrap();
}

#[tokio::test]
async fn a_students_phone_page_fits_the_screen_and_puts_their_client_first() {
    let app = tests::spawn_app().await;
    let (room, _key) = app.new_classroom().await;
    let link = format!("{}/?room={room}", app.http_url());
    let phone = Browser::open_sized(&link, 390, 844)
        .await
        .expect("a browser");
    let result = async {
        // Sizes of the layout, not of the screen: a new card grows into place, and its buttons
        // with it, for 400 ms.
        let checks = async |what: &str, css: &str| -> Result<()> {
            let report = phone
                .client
                .execute(
                    "const small = [...document.querySelectorAll(arguments[0])]\
                       .filter(e => e.offsetParent !== null)\
                       .map(e => [(e.dataset.testid || e.className) + ' in ' + e.parentElement.className, Math.min(e.offsetHeight, e.offsetWidth)])\
                       .filter(([_, h]) => h < 44);\
                     const width = document.documentElement.clientWidth;\
                     const wide = [...document.querySelectorAll('body *')]\
                       .filter(e => e.getBoundingClientRect().right > width + 0.5)\
                       .slice(0, 8).map(e => e.dataset.testid || e.className || e.tagName);\
                     return {width, scroll: document.documentElement.scrollWidth, small, wide};",
                    vec![json!(css)],
                )
                .await?;
            ensure!(report["width"] == 390, "{what}: the viewport is {} px wide", report["width"]);
            ensure!(
                report["scroll"].as_f64() <= report["width"].as_f64(),
                "{what}: the page is {} px wide on a 390 px screen: {}",
                report["scroll"],
                report["wide"]
            );
            ensure!(
                report["small"].as_array().is_some_and(|a| a.is_empty()),
                "{what}: targets under 44 × 44 px: {}",
                report["small"]
            );
            Ok(())
        };
        let name = phone.wait_for_testid("student-name").await?;
        checks("before a name", TARGETS).await?;
        name.send_keys(&format!("Ana{}", char::from(fantoccini::key::Key::Enter))).await?;
        phone.wait_for_testid("student-you").await?;
        phone.click("[data-testid=add-lock-client]").await?;
        let mine = phone.wait_for_testid("my-client").await?;
        phone
            .wait_for("her client's node", async |_| {
                Ok(mine.attr("data-path").await?.filter(|p| p.starts_with("/locks/")).map(drop))
            })
            .await?;
        checks("with a client", TARGETS).await?;
        // Her client and its buttons are on the first screen, without scrolling.
        let top = px_rect(&phone, "[data-testid=my-clients]").await?;
        ensure!(top < 844.0 / 2.0, "her clients start at {top} px, not near the top");
        Ok::<(), anyhow::Error>(())
    }
    .await;
    if let Err(e) = &result {
        let _ = phone.screenshot("phone").await;
        eprintln!("{e:#}");
    }
    phone.close().await;
    app.stop().await;
    result
        .map_err(|e| anyhow!("the phone page: {e:#}"))
        .unwrap();
}

/// What a thumb taps: buttons, fields, the labels of file pickers and checkboxes.
const TARGETS: &str = "button, select, a.button, label.button, label:has(> input[type=checkbox]), \
    input:not([type=checkbox]):not([type=file])";

/// How far from the top of the screen an element starts, in px.
async fn px_rect(b: &Browser, css: &str) -> Result<f64> {
    let top = b
        .client
        .execute(
            "return document.querySelector(arguments[0]).getBoundingClientRect().top;",
            vec![json!(css)],
        )
        .await?;
    top.as_f64().context("a top")
}
