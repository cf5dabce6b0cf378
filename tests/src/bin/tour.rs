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

/// Opens `url` in a browser of `width`×`height` CSS pixels, takes the stop, and closes the
/// browser whatever happened (Chromium outlives a dropped chromedriver).
async fn visit(
    url: &str,
    (width, height): (u32, u32),
    stop: impl AsyncFnOnce(&Browser) -> Result<()>,
) -> Result<()> {
    let b = Browser::open_sized(url, width, height).await?;
    let done = stop(&b).await;
    b.close().await;
    done
}

const LAPTOP: (u32, u32) = (1366, 768);
const PHONE: (u32, u32) = (390, 844);
const PROJECTOR: (u32, u32) = (1920, 1080);

#[tokio::main]
async fn main() -> Result<()> {
    let app = tests::spawn_app().await;
    let second = tests::spawn_app().await;
    let mut toured = tour(&app).await;
    if toured.is_ok() {
        toured = fleet(&app, &second).await;
    }
    second.stop().await;
    app.stop().await;
    toured
}

/// A fleet of two: a room opened on the first server and reached through the second, the line
/// that says which server runs it, and the fleet page, on a laptop in English and a phone in
/// Chinese.
async fn fleet(first: &tests::TestApp, second: &tests::TestApp) -> Result<()> {
    let room = tests::unique_room();
    visit(
        &format!("{}/?room={room}", first.http_url()),
        LAPTOP,
        async |b| {
            b.wait_for_testid("room-owner").await?;
            b.press("aa").await?;
            visit(
                &format!("{}/?room={room}", second.http_url()),
                LAPTOP,
                async |b| {
                    b.wait_for_testid("room-owner").await?;
                    shot(b, "51-fleet-room-through-another-server-1366").await?;
                    b.click("[data-testid=room-owner]").await?;
                    b.wait_for_testid("fleet-room").await?;
                    shot(b, "52-fleet-page-1366").await
                },
            )
            .await?;
            visit(
                &format!("{}/fleet?lang=zh", second.http_url()),
                PHONE,
                async |b| {
                    b.wait_for_testid("fleet-room").await?;
                    shot(b, "53-fleet-page-zh-390").await
                },
            )
            .await
        },
    )
    .await
}

async fn tour(app: &tests::TestApp) -> Result<()> {
    let url = app.http_url();
    let room = || format!("{url}/?room={}", tests::unique_room());
    visit(&room(), LAPTOP, async |b| {
        b.wait_for_testid("empty-queue").await?;
        shot(b, "01-first-visit-1366").await?;
        b.press("aaa").await?;
        b.wait_for("three cards", async |c| {
            let cards = c
                .find_all(fantoccini::Locator::Css("[data-testid=lock-node]"))
                .await?;
            Ok((cards.len() == 3).then_some(()))
        })
        .await?;
        shot(b, "02-three-clients-1366").await?;
        b.press(" ").await?;
        b.press("a").await?;
        b.wait_for_testid("pending-step").await?;
        shot(b, "03-step-mode-1366").await
    })
    .await?;
    for (lesson, lang) in [(1, "en"), (2, "en"), (1, "zh"), (3, "zh")] {
        let name = format!("1{lesson}-lesson-{lesson}-{lang}");
        two_steps(&url, lesson, lang, &name, "lesson-do").await?;
    }
    // Lesson 2's crash bug on the timeline: at 1366×768, and larger for the README's picture.
    for (size, lang) in [(LAPTOP, "en"), ((1600, 1000), "en"), ((1600, 1000), "zh")] {
        visit(&format!("{url}/?lesson=2&lang={lang}"), size, async |b| {
            b.wait_for_testid("lesson-do").await?;
            for _ in 0..2 {
                do_step(b).await?;
            }
            timeline_overlap(b, &format!("{}-{lang}", size.0)).await
        })
        .await?;
    }
    // The learner's own recipe: lessons 9 and 10, in each language, and the panel by hand.
    for (lesson, lang) in [(9, "en"), (10, "zh"), (9, "zh"), (10, "en")] {
        let name = format!("4{}-lesson-{lesson}-{lang}", lesson - 9);
        two_steps(&url, lesson, lang, &name, "recipe-panel").await?;
    }
    visit(&room(), LAPTOP, async |b| {
        b.wait_for_testid("recipe-show").await?;
        b.press("e").await?;
        b.wait_for_testid("recipe-panel").await?;
        b.wait_for("the naive template in the editor", async |c| {
            let ready = c
                .execute(
                    "const e = document.querySelector('[data-testid=recipe-editor] .ace_editor');                     return !!e && e.env.editor.getValue().length > 0;",
                    vec![],
                )
                .await?;
            Ok(ready.as_bool().filter(|r| *r))
        })
        .await?;
        shot(b, "45-recipe-panel-1366").await?;
        b.click("[data-testid=recipe-check]").await?;
        b.wait_for_testid("recipe-moves").await?;
        b.client
            .execute(
                "document.querySelector('[data-testid=recipe-verdict]').scrollIntoView();",
                vec![],
            )
            .await?;
        shot(b, "46-recipe-verdict-1366").await
    })
    .await?;
    let (class, key) = app.new_classroom().await;
    visit(
        &format!("{url}/?room={class}&key={key}"),
        LAPTOP,
        async |teacher| {
            teacher.wait_for_testid("join-screen").await?;
            shot(teacher, "21-classroom-teacher-join-1366").await?;
            visit(&format!("{url}/?room={class}"), PHONE, async |phone| {
                a_student_joins(phone).await
            })
            .await?;
            teacher.press("\u{e00c}").await?;
            shot(teacher, "24-classroom-teacher-1366").await
        },
    )
    .await?;
    visit(&room(), PROJECTOR, async |b| {
        b.wait_for_testid("empty-queue").await?;
        b.press("aaaa").await?;
        b.press("p").await?;
        b.wait_for_testid("selected-client").await?;
        b.press("\u{e015}").await?;
        shot(b, "31-presenter-1920").await
    })
    .await
}

/// Lesson `lesson` in `lang` at the laptop's size, once `ready` shows: its start and two Do its.
async fn two_steps(url: &str, lesson: u8, lang: &str, name: &str, ready: &str) -> Result<()> {
    visit(
        &format!("{url}/?lesson={lesson}&lang={lang}"),
        LAPTOP,
        async |b| {
            b.wait_for_testid(ready).await?;
            shot(b, &format!("{name}-start")).await?;
            for n in 1..=2 {
                do_step(b).await?;
                shot(b, &format!("{name}-step-{n}")).await?;
            }
            Ok(())
        },
    )
    .await
}

/// A student on a phone: the name screen, then named, with a client of her own.
async fn a_student_joins(phone: &Browser) -> Result<()> {
    phone.wait_for_testid("student-name").await?;
    shot(phone, "22-classroom-phone-390").await?;
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
            let card = c.find(fantoccini::Locator::Css(
                "[data-testid=my-clients] [data-testid=crash]",
            ));
            Ok(card.await.ok())
        })
        .await?;
    shot(phone, "23-classroom-phone-named-390").await
}

/// Lesson 2's crash bug on the timeline: the page with the panel in view, and the panel alone
/// (the README's picture).
async fn timeline_overlap(b: &Browser, tag: &str) -> Result<()> {
    b.wait_for("two holds overlapping on the timeline", async |c| {
        let holds = c
            .find_all(fantoccini::Locator::Css(
                "[data-testid=st-hold][data-overlap=true]",
            ))
            .await?;
        Ok((holds.len() == 2).then_some(()))
    })
    .await?;
    b.client
        .execute(
            "document.querySelector('[data-testid=spacetime]').scrollIntoView();",
            vec![],
        )
        .await?;
    shot(b, &format!("15-timeline-lesson-2-overlap-{tag}")).await?;
    let panel = b
        .client
        .find(fantoccini::Locator::Css("[data-testid=spacetime]"))
        .await?;
    let png = panel.screenshot().await?;
    let name = format!("16-timeline-panel-{tag}");
    std::fs::write(
        tests::target_dir().join("tour").join(format!("{name}.png")),
        png,
    )?;
    println!("{name}");
    Ok(())
}
