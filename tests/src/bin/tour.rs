//! A tour of the page as a person takes it (not a test: it asserts nothing): screenshots of a
//! first visit, lessons in both languages, step mode, a classroom on a phone and presenter mode,
//! in `target/tour/`, for a person (or a helper with fresh eyes) to look at.

use anyhow::Result;
use tests::browser::Browser;

async fn shot(b: &Browser, name: &str) -> Result<()> {
    // Let the page settle (animations, the next probe) before the picture.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let png = b.client.screenshot().await?;
    let dir = tests::target_dir().join("tour");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(format!("{name}.png")), png)?;
    println!("{name}");
    Ok(())
}

/// Answers the current step's question (the first choice) and presses Do it, then waits until
/// the step is decided.
async fn do_step(b: &Browser) -> Result<()> {
    let current = "[data-testid=lesson-step][data-status=current]";
    b.wait_for_testid("lesson-do").await?;
    let option = format!("{current} [data-testid=lesson-quiz-option]:not([disabled])");
    if b.client
        .find(fantoccini::Locator::Css(&option))
        .await
        .is_ok()
    {
        b.click(&option).await?;
    }
    b.wait_for("Do it ready", async |c| {
        let button = c
            .find(fantoccini::Locator::Css(&format!(
                "{current} [data-testid=lesson-do]"
            )))
            .await;
        Ok(match button {
            Ok(button) => button.is_enabled().await.ok().filter(|on| *on),
            Err(_) => None,
        })
    })
    .await?;
    let step: String = b
        .client
        .find(fantoccini::Locator::Css(current))
        .await?
        .attr("data-step")
        .await?
        .unwrap_or_default();
    b.click(&format!("{current} [data-testid=lesson-do]"))
        .await?;
    let decided =
        format!("[data-testid=lesson-step][data-step=\"{step}\"]:not([data-status=current])");
    b.wait_for("the step decided", async |c| {
        Ok(c.find(fantoccini::Locator::Css(&decided)).await.ok())
    })
    .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let app = tests::spawn_app().await;
    let url = app.http_url();

    let b =
        Browser::open_sized(&format!("{url}/?room={}", tests::unique_room()), 1366, 768).await?;
    b.wait_for_testid("empty-queue").await?;
    shot(&b, "01-first-visit-1366").await?;
    b.press("aaa").await?;
    b.wait_for("three cards", async |c| {
        let cards = c
            .find_all(fantoccini::Locator::Css("[data-testid=lock-node]"))
            .await?;
        Ok((cards.len() == 3).then_some(()))
    })
    .await?;
    shot(&b, "02-three-clients-1366").await?;
    b.press(" ").await?;
    b.press("a").await?;
    b.wait_for_testid("pending-step").await?;
    shot(&b, "03-step-mode-1366").await?;
    b.close().await;

    for (lesson, lang, steps) in [(1, "en", 2), (2, "en", 2), (1, "zh", 2), (3, "zh", 2)] {
        let b =
            Browser::open_sized(&format!("{url}/?lesson={lesson}&lang={lang}"), 1366, 768).await?;
        b.wait_for_testid("lesson-do").await?;
        shot(&b, &format!("1{lesson}-lesson-{lesson}-{lang}-start")).await?;
        for n in 1..=steps {
            do_step(&b).await?;
            shot(&b, &format!("1{lesson}-lesson-{lesson}-{lang}-step-{n}")).await?;
        }
        b.close().await;
    }

    let (room, key) = app.new_classroom().await;
    let teacher = Browser::open_sized(&format!("{url}/?room={room}&key={key}"), 1366, 768).await?;
    teacher.wait_for_testid("join-screen").await?;
    shot(&teacher, "21-classroom-teacher-join-1366").await?;
    let phone = Browser::open_sized(&format!("{url}/?room={room}"), 390, 844).await?;
    phone.wait_for_testid("student-name").await?;
    shot(&phone, "22-classroom-phone-390").await?;
    let name = phone
        .client
        .find(fantoccini::Locator::Css("[data-testid=student-name]"))
        .await?;
    name.send_keys("Mei").await?;
    name.send_keys("\u{e007}").await?;
    phone
        .wait_for("the name taken", async |c| {
            let field = c.find(fantoccini::Locator::Css("[data-testid=student-name]"));
            Ok(field.await.err().map(drop))
        })
        .await?;
    phone.click("[data-testid=add-lock-client]").await?;
    phone
        .wait_for("the student's card", async |c| {
            Ok(c.find(fantoccini::Locator::Css(
                "[data-testid=my-clients] [data-testid=crash]",
            ))
            .await
            .ok())
        })
        .await?;
    phone.wait_for_testid("my-clients").await?;
    shot(&phone, "23-classroom-phone-named-390").await?;
    teacher.press("\u{e00c}").await?;
    shot(&teacher, "24-classroom-teacher-1366").await?;
    phone.close().await;
    teacher.close().await;

    let b =
        Browser::open_sized(&format!("{url}/?room={}", tests::unique_room()), 1920, 1080).await?;
    b.wait_for_testid("empty-queue").await?;
    b.press("aaaa").await?;
    b.press("p").await?;
    b.wait_for_testid("selected-client").await?;
    b.press("\u{e015}").await?;
    shot(&b, "31-presenter-1920").await?;
    b.close().await;
    app.stop().await;
    Ok(())
}
