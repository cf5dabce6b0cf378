//! The walkthrough: what a learner and a teacher meet, asserted as a person sees it, not only
//! by test ids. No text of a card runs over another or out of its card, in every card state, at
//! 1366 × 768, 1920 × 1080 (and presenter mode there) and on a 390 × 844 phone, in English and
//! Chinese; nothing is wider than its panel; the stage, the current lesson step and its lit
//! line are on screen after every Do it; the keys the page uses leave the page where it was; a
//! prediction is marked only once ZooKeeper has answered; Do it is inert while its step runs.
//! Every stop saves a screenshot (`target/e2e-screenshots/walkthrough-*.png`), kept by CI.

use anyhow::{ensure, Context, Result};
use fantoccini::Locator;
use serde_json::{json, Value};
use tests::browser::{browser_test, Browser};
use zookeeper_client::{Acls, Client, CreateMode};

/// The problems a person would see in the cards now: a row of text over another, a row out of
/// its card, a row cut off; and the card states on the page, to know what was looked at.
const CARD_PROBLEMS: &str = r#"
const problems = [], states = new Set(), details = new Set();
const overlap = (a, b) =>
  Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
  Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
for (const card of document.querySelectorAll('[data-testid=lock-node]')) {
  states.add(card.dataset.state);
  for (const d of card.querySelectorAll('.detail')) details.add(d.dataset.testid || d.className);
  const c = card.getBoundingClientRect();
  const rows = [...card.querySelectorAll(
      ':scope > .name, :scope > .who, :scope > .status, :scope > .detail, .actions button')]
    .map(e => [e, e.getBoundingClientRect()])
    .filter(([e, r]) => r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden');
  const name = card.dataset.path + ' (' + card.dataset.state + ')';
  for (const [e, r] of rows) {
    if (r.left < c.left - 1 || r.right > c.right + 1 || r.top < c.top - 1 || r.bottom > c.bottom + 1)
      problems.push(name + ': "' + e.textContent.trim() + '" leaves its card');
    if (!e.matches('button') && e.scrollWidth > e.clientWidth + 1)
      problems.push(name + ': "' + e.textContent.trim() + '" is cut off');
  }
  for (const e of card.querySelectorAll('.name > .znode'))
    if (e.scrollWidth > e.clientWidth + 1) problems.push(name + ': its name is cut off');
  for (let i = 0; i < rows.length; i++)
    for (let j = i + 1; j < rows.length; j++)
      if (overlap(rows[i][1], rows[j][1]))
        problems.push(name + ': "' + rows[i][0].textContent.trim() + '" over "' +
                      rows[j][0].textContent.trim() + '"');
}
return [problems, [...states].sort(), [...details].sort()];
"#;

/// Panels whose content is wider than they are (a table that runs out of its box).
const TOO_WIDE: &str = r#"
const panels = '.herd, .lessons, .code-panel, .registry, .resource, .event-log, .ensemble, ' +
  '.controls, .top, .classroom, .queue, .pending, .violation, .my-clients';
return [...document.querySelectorAll(panels)]
  .filter(p => p.getBoundingClientRect().width > 0 && p.scrollWidth > p.clientWidth + 1)
  .map(p => p.className.split(' ')[0] + ': ' + p.scrollWidth + ' px in ' + p.clientWidth);
"#;

/// How much of an element a person sees: its box within the window and within every box that
/// clips it (a side column that scrolls on its own), as a fraction of its own area.
const SEEN: &str = r#"
const e = document.querySelector(arguments[0]);
if (!e) return -1;
let r = e.getBoundingClientRect();
const area = r.width * r.height;
if (area === 0) return 0;
let box = {left: 0, top: 0, right: innerWidth, bottom: innerHeight};
for (let p = e.parentElement; p; p = p.parentElement) {
  if (getComputedStyle(p).overflowY !== 'visible' || getComputedStyle(p).overflowX !== 'visible') {
    const q = p.getBoundingClientRect();
    box = {left: Math.max(box.left, q.left), top: Math.max(box.top, q.top),
           right: Math.min(box.right, q.right), bottom: Math.min(box.bottom, q.bottom)};
  }
}
const w = Math.min(r.right, box.right) - Math.max(r.left, box.left);
const h = Math.min(r.bottom, box.bottom) - Math.max(r.top, box.top);
return w > 0 && h > 0 ? (w * h) / area : 0;
"#;

async fn script(b: &Browser, js: &str, args: Vec<Value>) -> Result<Value> {
    Ok(b.client.execute(js, args).await?)
}

async fn seen(b: &Browser, css: &str) -> Result<f64> {
    script(b, SEEN, vec![json!(css)])
        .await?
        .as_f64()
        .with_context(|| format!("how much of {css} is seen"))
}

/// Where the page and its scrolling columns are: the window's `scrollY`, then each column's
/// `scrollTop` (on a wide screen the page is one screen and its columns scroll).
async fn scroll_y(b: &Browser) -> Result<Vec<f64>> {
    let at = script(
        b,
        "return [scrollY, ...[...document.querySelectorAll('.main-column, .side-column')]\
           .map(c => c.scrollTop)];",
        vec![],
    )
    .await?;
    Ok(serde_json::from_value(at)?)
}

/// The next animation frame has been drawn: what the page shows is what the state says.
async fn painted(b: &Browser) -> Result<()> {
    b.client
        .execute_async(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done));",
            vec![],
        )
        .await?;
    Ok(())
}

/// Checks the cards as they are now; `want` are the states that must be on screen, so a check
/// never passes for having looked at nothing.
async fn cards_readable(b: &Browser, at: &str, want: &[&str], details: &[&str]) -> Result<()> {
    painted(b).await?;
    let found = script(b, CARD_PROBLEMS, vec![]).await?;
    let (problems, states, shown): (Vec<String>, Vec<String>, Vec<String>) =
        serde_json::from_value(found)?;
    b.screenshot(&format!("walkthrough-cards-{at}")).await?;
    for state in want {
        ensure!(
            states.iter().any(|s| s == state),
            "{at}: no {state} card to look at (states {states:?})"
        );
    }
    for detail in details {
        ensure!(
            shown.iter().any(|s| s.contains(detail)),
            "{at}: no {detail} line to look at ({shown:?})"
        );
    }
    ensure!(problems.is_empty(), "{at}: {problems:#?}");
    let wide: Vec<String> = serde_json::from_value(script(b, TOO_WIDE, vec![]).await?)?;
    ensure!(wide.is_empty(), "{at}: wider than their panel: {wide:?}");
    Ok(())
}

/// Presses L and waits until the page speaks `lang` (its toggle then offers the other one).
async fn switch_language(b: &Browser, lang: &str) -> Result<()> {
    let offered = if lang == "zh" { "English" } else { "中文" };
    b.press("l").await?;
    b.wait_for(&format!("the page in {lang}"), async |c| {
        let toggle = c.find(Locator::Css("[data-testid=lang-toggle]")).await?;
        Ok((toggle.text().await? == offered).then_some(()))
    })
    .await
}

/// Waits until step `at` (0-based) of the room's lesson is the current one.
async fn until_current(b: &Browser, at: usize) -> Result<()> {
    let css = format!("[data-testid=lesson-step][data-step=\"{at}\"][data-status=current]");
    b.wait_for(&format!("step {} current", at + 1), async |c| {
        Ok((!c.find_all(Locator::Css(&css)).await?.is_empty()).then_some(()))
    })
    .await
}

async fn count_state(b: &Browser, state: &str) -> Result<usize> {
    Ok(b.lock_nodes()
        .await?
        .iter()
        .filter(|(_, s)| s == state)
        .count())
}

#[tokio::test]
async fn no_text_of_a_card_runs_over_another_in_any_state_size_or_language() {
    // Sessions of 30 s, pauses and partitions of 25 s: every state lasts long enough to be
    // looked at in every size and language.
    let app = tests::spawn_app_with(|s| {
        s.default_hold_ms = 0;
        s.zk.session_timeout = tests::zookeeper::LONGEST_SESSION;
    })
    .await;
    let url = format!("{}/?room={}&lang=en", app.http_url(), app.room);
    let outsider = Client::connect(&tests::zookeeper::connect_string())
        .await
        .expect("a raw session");
    browser_test("walkthrough-cards", &url, async |b| {
        // Closed before the test's result is told, pass or fail: no Chromium outlives it.
        let phone = Browser::open_sized(&url, 390, 844).await?;
        let looked = look_at_cards(b, &phone, &app.room, &outsider).await;
        phone.close().await;
        looked
    })
    .await;
    drop(outsider);
    app.stop().await;
}

/// The card states made, then looked at in every size and language, on `b` and on `phone`.
async fn look_at_cards(b: &Browser, phone: &Browser, room: &str, outsider: &Client) -> Result<()> {
    b.set_viewport(1366, 768).await?;
    b.wait_for_testid("add-lock-client").await?;
    phone.wait_for_testid("add-lock-client").await?;
    let pause = b
        .client
        .find(Locator::Css("[data-testid=pause-ms]"))
        .await?;
    pause.clear().await?;
    pause.send_keys("25000\n").await?;
    for _ in 0..9 {
        b.click("[data-testid=add-lock-client]").await?;
    }
    b.wait_for("nine clients queued", async |_| {
        let nodes = b.lock_nodes().await?;
        let queued = nodes.iter().filter(|(_, s)| s == "waiting").count();
        Ok((nodes.len() == 9 && queued == 8).then_some(()))
    })
    .await?;
    // A learner counts from 1 (the room's AppClient has id 1); the queue's order is the order
    // of their creates, which nine sessions connecting at once do not keep.
    let who = script(
        b,
        "return [...document.querySelectorAll('[data-testid=lock-node] .who')] \
           .map(w => w.firstChild.textContent.trim()).sort((a, b) => a.length - b.length || a.localeCompare(b));",
        vec![],
    )
    .await?;
    let expected: Vec<String> = (1..=9).map(|n| format!("client {n}")).collect();
    ensure!(who == json!(expected), "the cards name their clients {who}");
    // A contender from another program; then, before each look, a killed client, a paused
    // one, one cut off and the selected one with its czxid, made again where they ended
    // (a kill lasts a session timeout, a pause its 25 s).
    outsider
        .create(
            &format!("/zkplay/{room}/locks/sub"),
            b"zkCli",
            &CreateMode::EphemeralSequential.with_acls(Acls::anyone_all()),
        )
        .await?;
    let every_state = async || -> Result<()> {
        let shown: Vec<String> =
            serde_json::from_value(script(b, CARD_PROBLEMS, vec![]).await?[2].clone())?;
        let has = |d: &str| shown.iter().any(|s| s.contains(d));
        let waiting = |n: usize| async move {
            let nodes = b.lock_nodes().await?;
            let path = nodes
                .iter()
                .filter(|(_, s)| s == "waiting")
                .map(|(p, _)| p.clone())
                .nth(n)
                .context("a waiting client to act on")?;
            Ok::<String, anyhow::Error>(path)
        };
        for (detail, what, n) in [
            ("expiry", "kill", 0),
            ("paused", "pause", 1),
            ("partitioned", "partition", 2),
        ] {
            if !has(detail) {
                let path = waiting(n).await?;
                b.click(&format!("[data-path=\"{path}\"] [data-testid={what}]"))
                    .await?;
            }
        }
        if !has("czxid") {
            let path = waiting(3).await?;
            b.click(&format!("[data-path=\"{path}\"] .name")).await?;
        }
        b.wait_for("every card state", async |_| {
            let found = script(b, CARD_PROBLEMS, vec![]).await?;
            let (_, states, shown): (Vec<String>, Vec<String>, Vec<String>) =
                serde_json::from_value(found)?;
            let ready = ["holding", "waiting", "crashed", "external"]
                .iter()
                .all(|s| states.iter().any(|t| t == s))
                && ["expiry", "paused", "partitioned", "czxid"]
                    .iter()
                    .all(|d| shown.iter().any(|s| s.contains(d)));
            Ok(ready.then_some(()))
        })
        .await
    };
    let want = ["holding", "waiting", "crashed", "external"];
    let details = ["paused", "partitioned", "czxid", "expiry"];
    every_state().await?;
    cards_readable(b, "1366-en", &want, &details).await?;
    // A phone in the same room, its cards in both languages.
    cards_readable(phone, "phone-en", &want, &["paused", "expiry"]).await?;
    switch_language(phone, "zh").await?;
    cards_readable(phone, "phone-zh", &want, &["paused", "expiry"]).await?;
    switch_language(b, "zh").await?;
    every_state().await?;
    cards_readable(b, "1366-zh", &want, &details).await?;
    b.set_viewport(1920, 1080).await?;
    every_state().await?;
    cards_readable(b, "1920-zh", &want, &details).await?;
    switch_language(b, "en").await?;
    every_state().await?;
    cards_readable(b, "1920-en", &want, &details).await?;
    b.press("p").await?;
    b.wait_for_testid("selected-client").await?;
    cards_readable(b, "1920-presenter-en", &want, &[]).await?;
    // Projected, a row holds three cards: the queue of ten is four rows, not five.
    let first_row = script(
        b,
        "const tops = [...document.querySelectorAll('[data-testid=lock-node]')] \
           .map(c => Math.round(c.getBoundingClientRect().top)); \
         return tops.filter(t => t === Math.min(...tops)).length;",
        vec![],
    )
    .await?;
    ensure!(
        first_row.as_u64() >= Some(3),
        "presenter mode at 1920 fits {first_row} cards in a row"
    );
    switch_language(b, "zh").await?;
    cards_readable(b, "1920-presenter-zh", &want, &[]).await?;
    b.press("p").await?;

    ensure!(count_state(b, "holding").await? == 1, "one holder");
    Ok(())
}

#[tokio::test]
async fn a_lesson_at_1366_keeps_the_stage_and_its_step_on_screen_and_marks_only_what_happened() {
    let app = tests::spawn_app().await;
    let url = format!("{}/?room={}&lesson=5&lang=en", app.http_url(), app.room);
    browser_test("walkthrough-lesson", &url, async |b| {
        b.set_viewport(1366, 768).await?;
        let do_it = "[data-testid=lesson-do]";
        let current = "[data-testid=lesson-step][data-status=current]";
        let on_screen = async |at: &str| -> Result<()> {
            painted(b).await?;
            b.screenshot(&format!("walkthrough-lesson-{at}")).await?;
            // The code panel keeps the step's line in its own view, wherever the panel is.
            let in_list = script(
                b,
                "const list = document.querySelector('[data-testid=code-panel] ol.code'); \
                 const row = list && list.querySelector('[data-lesson-line=true]'); \
                 if (!row) return null; \
                 const top = row.offsetTop - list.scrollTop; \
                 return top >= 0 && top + row.offsetHeight <= list.clientHeight;",
                vec![],
            )
            .await?;
            ensure!(
                in_list.as_bool() == Some(true),
                "{at}: the code panel does not show the step's line ({in_list})"
            );
            for (what, css) in [
                ("the queue", "[data-testid=lock-node], .queue .empty"),
                ("the current step's title", &format!("{current} h4")),
                (
                    "its lit line",
                    &format!("{current} [data-testid=lesson-code] li.lit"),
                ),
                ("Do it", &format!("{current} {do_it}")),
            ] {
                let part = seen(b, css).await?;
                ensure!(part > 0.5, "{at}: {what} ({css}) is {part:.2} on screen");
            }
            Ok(())
        };
        let ready = async || {
            b.wait_for("Do it ready", async |c| {
                let button = c.find_all(Locator::Css(do_it)).await?;
                let Some(button) = button.first() else {
                    return Ok(None);
                };
                Ok(button.attr("disabled").await?.is_none().then_some(()))
            })
            .await
        };
        ready().await?;
        on_screen("step-1").await?;
        // Step 1 by the keyboard: the page stays where it is.
        let top = scroll_y(b).await?;
        b.press("d").await?;
        b.wait_for_testid("lesson-step")
            .await
            .context("the lesson's steps")?;
        until_current(b, 1).await?;
        // The step column may bring the new step into view; the page itself stays.
        ensure!(
            scroll_y(b).await?[0] == top[0],
            "D moved the page from {top:?}"
        );
        on_screen("step-2").await?;
        // Predict: the choice is shown as chosen, and nothing is marked yet.
        b.click(&format!(
            "{current} [data-testid=lesson-quiz-option][data-option=at_once]"
        ))
        .await?;
        painted(b).await?;
        let marks = b
            .client
            .find_all(Locator::Css(&format!("{current} .lesson-quiz-mark")))
            .await?;
        ensure!(marks.is_empty(), "a prediction was marked before Do it");
        ready().await?;
        b.press("d").await?;
        // Step 2 is a clean close: decided at once. Step 3 kills a client, then waits for
        // ZooKeeper to expire its session; Do it stays inert all that while.
        until_current(b, 2).await?;
        let marked = b
            .client
            .find_all(Locator::Css(
                "[data-testid=lesson-step][data-step=\"1\"] .lesson-quiz-mark",
            ))
            .await?;
        ensure!(
            !marked.is_empty(),
            "step 2's prediction unmarked once decided"
        );
        on_screen("step-3").await?;
        b.click(&format!(
            "{current} [data-testid=lesson-quiz-option][data-option=timeout]"
        ))
        .await?;
        // A reload keeps the prediction, and the room's lesson.
        b.client.refresh().await?;
        let chosen = format!(
            "{current} [data-testid=lesson-quiz-option][data-option=timeout][data-chosen=true]"
        );
        b.wait_for("the prediction after a reload", async |c| {
            Ok((!c.find_all(Locator::Css(&chosen)).await?.is_empty()).then_some(()))
        })
        .await?;
        ready().await?;
        b.press("d").await?;
        b.wait_for("the kill done, the expiry awaited", async |c| {
            let crashed = c
                .find_all(Locator::Css("[data-testid=lock-node][data-state=crashed]"))
                .await?;
            Ok((!crashed.is_empty()).then_some(()))
        })
        .await?;
        b.screenshot("walkthrough-lesson-step-3-waiting").await?;
        let inert = b
            .client
            .find(Locator::Css(&format!("{current} {do_it}")))
            .await?
            .attr("disabled")
            .await?;
        ensure!(
            inert.is_some(),
            "Do it is live while the step waits for the expiry"
        );
        ensure!(
            b.client
                .find_all(Locator::Css(&format!("{current} .lesson-quiz-mark")))
                .await?
                .is_empty(),
            "the prediction was marked before ZooKeeper expired the session"
        );
        b.press("d").await?;
        b.wait_for_testid("lesson-finished").await?;
        b.screenshot("walkthrough-lesson-finished").await?;
        ensure!(
            b.client
                .find_all(Locator::Css("[data-testid=server-error]"))
                .await?
                .is_empty(),
            "a press of Do it while the step waited was refused"
        );
        let failed = b
            .client
            .find_all(Locator::Css(
                "[data-testid=lesson-step][data-status=failed]",
            ))
            .await?;
        ensure!(failed.is_empty(), "a step failed");
        // Leaving the lesson takes it out of the address: a reload does not start it again.
        ensure!(
            b.client.current_url().await?.as_str().contains("lesson=5"),
            "the address does not name the lesson it runs"
        );
        b.click("[data-testid=lesson-leave]").await?;
        b.wait_for("the lesson out of the address", async |c| {
            Ok((!c.current_url().await?.as_str().contains("lesson=")).then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn the_keys_the_page_uses_do_not_scroll_it() {
    let app = tests::spawn_app_with(|s| s.default_hold_ms = 0).await;
    let url = format!("{}/?room={}&lang=en", app.http_url(), app.room);
    browser_test("walkthrough-keys", &url, async |b| {
        b.set_viewport(1366, 768).await?;
        b.wait_for_testid("add-lock-client").await?;
        for _ in 0..3 {
            b.press("a").await?;
        }
        b.wait_for("three clients", async |_| {
            Ok((b.lock_nodes().await?.len() == 3).then_some(()))
        })
        .await?;
        // Somewhere down the lessons and the log, as a teacher might have left them.
        script(
            b,
            "scrollTo(0, 120); for (const c of document.querySelectorAll('.side-column')) \
               c.scrollTop = 120;",
            vec![],
        )
        .await?;
        let at = scroll_y(b).await?;
        ensure!(
            at.iter().any(|y| *y > 0.0),
            "nothing on the page scrolled: {at:?}"
        );
        // C with no client selected says how to select one, and crashes nothing.
        b.press("c").await?;
        b.wait_for_testid("needs-selection").await?;
        ensure!(
            b.lock_nodes().await?.len() == 3,
            "C with nothing selected acted on a client"
        );
        for (key, what) in [
            (" ", "Space: step mode"),
            ("\u{E015}", "↓: select a client"),
            ("\u{E013}", "↑: select a client"),
            ("n", "N: next move"),
            ("\u{E014}", "→: next move"),
            ("+", "+: slower"),
            ("-", "−: faster"),
            (" ", "Space: live again"),
            ("?", "?: the key list"),
            ("\u{E00C}", "Esc: close it"),
        ] {
            b.press(key).await?;
            painted(b).await?;
            let now = scroll_y(b).await?;
            ensure!(now == at, "{what} moved the page from {at:?} to {now:?}");
        }
        b.screenshot("walkthrough-keys").await?;
        // ↑ and ↓ selected a client of the queue: the hint is gone, and the selection is a
        // card on the stage (the room's AppClient, in the registry below, is not walked).
        ensure!(
            b.client
                .find_all(Locator::Css("[data-testid=needs-selection]"))
                .await?
                .is_empty(),
            "the hint stayed after a client was selected"
        );
        ensure!(
            !b.client
                .find_all(Locator::Css("[data-testid=lock-node].selected"))
                .await?
                .is_empty(),
            "↑ / ↓ selected no card of the queue"
        );
        // The ☰ Room menu closes on Esc, and on a click anywhere else.
        let menu_open = async || -> Result<bool> {
            Ok(script(
                b,
                "return document.querySelector('[data-testid=room-menu]').open;",
                vec![],
            )
            .await?
            .as_bool()
                == Some(true))
        };
        b.open_room_menu().await?;
        ensure!(menu_open().await?, "the Room menu did not open");
        b.press("\u{E00C}").await?;
        painted(b).await?;
        ensure!(!menu_open().await?, "Esc left the Room menu open");
        b.open_room_menu().await?;
        // The page's title: outside the menu, whatever the menu covers below it.
        b.click("h1").await?;
        painted(b).await?;
        ensure!(
            !menu_open().await?,
            "a click outside left the Room menu open"
        );
        // A click on a checkbox leaves the keys working: A adds a fourth client.
        b.click("[data-testid=fencing-toggle]").await?;
        b.press("a").await?;
        b.wait_for("a client added by A after a checkbox's click", async |_| {
            Ok((b.lock_nodes().await?.len() == 4).then_some(()))
        })
        .await?;
        // Open on a lesson outside a classroom: it runs in a room of its own, as the list
        // says, not in this one.
        b.click("[data-testid=lesson-open]").await?;
        b.wait_for("a room of the lesson's own", async |c| {
            let url = c.current_url().await?;
            Ok(
                (url.as_str().contains("room=lesson-1-") && url.as_str().contains("lesson=1"))
                    .then_some(()),
            )
        })
        .await?;
        Ok(())
    })
    .await;
    app.stop().await;
}
