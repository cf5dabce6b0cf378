//! Browser end-to-end, the classroom: a teacher makes one, its QR code decodes to the students'
//! link, two students join by it and add clients that appear on the teacher's page with their
//! names; a student cannot switch the recipe nor touch another student's client.

use anyhow::{anyhow, ensure, Context, Result};
use fantoccini::key::Key;
use fantoccini::Locator;
use tests::browser::{browser_test, Browser};

/// The text of the one QR code in a PNG.
fn decode_qr(png_bytes: &[u8]) -> Result<String> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info()?;
    let mut pixels = vec![0; reader.output_buffer_size().context("PNG size")?];
    let frame = reader.next_frame(&mut pixels)?;
    let (width, height) = (frame.width as usize, frame.height as usize);
    let channels = frame.line_size / width;
    let grey = |x: usize, y: usize| {
        let at = y * frame.line_size + x * channels;
        let rgb = &pixels[at..at + channels.min(3)];
        (rgb.iter().map(|c| u32::from(*c)).sum::<u32>() / rgb.len() as u32) as u8
    };
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, grey);
    let grids = image.detect_grids();
    ensure!(grids.len() == 1, "{} QR codes in the picture", grids.len());
    let (_, text) = grids[0].decode().map_err(|e| anyhow!("QR code: {e:?}"))?;
    Ok(text)
}

/// `(owner, has a crash button)` of every lock card, sorted.
async fn cards(b: &Browser) -> Result<Vec<(String, bool)>> {
    let value = b
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=lock-node]')].map(e => [\
               e.querySelector('[data-testid=owner]')?.textContent ?? '',\
               !!e.querySelector('[data-testid=crash]')]);",
            vec![],
        )
        .await?;
    let mut cards: Vec<(String, bool)> = serde_json::from_value(value)?;
    cards.sort();
    Ok(cards)
}

async fn join_as(student: &Browser, name: &str) -> Result<()> {
    let input = student.wait_for_testid("student-name").await?;
    input
        .send_keys(&format!("{name}{}", char::from(Key::Enter)))
        .await?;
    let you = student.wait_for_testid("student-you").await?;
    ensure!(you.text().await?.contains(name), "{}", you.text().await?);
    student.click("[data-testid=add-lock-client]").await
}

#[tokio::test]
async fn a_teacher_makes_a_classroom_and_two_students_join_by_its_link() {
    // Holders hold until released: the students' cards stay while the pages are checked.
    let app = tests::spawn_app_with(|s| s.default_hold_ms = 0).await;
    let url = format!("{}/?room={}", app.http_url(), app.room);
    browser_test("classroom", &url, async |teacher| {
        teacher.open_room_menu().await?;
        teacher.wait_for_testid("new-room").await?.click().await?;
        // A new classroom's teacher meets its join screen first.
        let link = teacher.wait_for_testid("student-link").await?;
        let student_link = link.attr("href").await?.context("a student link")?;
        ensure!(
            student_link.starts_with(&format!("{}/?room=", app.http_url())),
            "{student_link}"
        );
        let teacher_link = teacher.wait_for_testid("teacher-link").await?;
        let teacher_link = teacher_link.attr("href").await?.context("a teacher link")?;
        ensure!(teacher_link.contains("&key="), "{teacher_link}");
        // The key leaves the address bar (a projector shows it), and a reload keeps it.
        let key = teacher_link.split("&key=").nth(1).unwrap_or_default();
        let here = teacher.client.current_url().await?;
        ensure!(
            !here.as_str().contains(key),
            "the page's address shows the key: {here}"
        );
        teacher.client.refresh().await?;
        teacher
            .wait_for("the teacher again after a reload", async |c| {
                let bars = c.find_all(Locator::Css("[data-testid=classroom]")).await?;
                let Some(bar) = bars.first() else {
                    return Ok(None);
                };
                Ok((bar.attr("data-role").await?.as_deref() == Some("teacher")).then_some(()))
            })
            .await?;

        // The QR code, as drawn on the teacher's screen, reads back as the students' link.
        let qr = teacher.wait_for_testid("room-qr").await?;
        teacher
            .wait_for("the QR code drawn", async |c| {
                let drawn = c
                    .execute(
                        "return document.querySelector('[data-testid=room-qr]').naturalWidth > 0;",
                        vec![],
                    )
                    .await?;
                Ok(drawn.as_bool().filter(|d| *d).map(drop))
            })
            .await?;
        let decoded = decode_qr(&qr.screenshot().await?)?;
        ensure!(
            decoded == student_link,
            "the QR code says {decoded}, not {student_link}"
        );

        let ana = Browser::open(&student_link).await?;
        let bo = Browser::open(&student_link).await?;
        let students = async {
            join_as(&ana, "Ana").await?;
            join_as(&bo, "Bo").await?;
            teacher
                .wait_for("both students' cards on the teacher's page", async |_| {
                    let cards = cards(teacher).await?;
                    let names: Vec<&str> = cards.iter().map(|(n, _)| n.as_str()).collect();
                    Ok((names == ["Ana", "Bo"]).then_some(()))
                })
                .await?;
            ensure!(
                cards(teacher).await?.iter().all(|(_, crash)| *crash),
                "the teacher may crash every card"
            );
            // Ana may act on her own card only, and may not switch the recipe.
            ana.wait_for("Ana's page with both cards", async |_| {
                let cards = cards(&ana).await?;
                Ok((cards == [("Ana".to_string(), true), ("Bo".to_string(), false)]).then_some(()))
            })
            .await?;
            let recipe = ana
                .client
                .find(Locator::Css("[data-testid=recipe-select]"))
                .await?;
            ensure!(
                recipe.attr("disabled").await?.is_some(),
                "a student's recipe selector is live"
            );
            ensure!(
                ana.client
                    .find_all(Locator::Css(
                        "[data-testid=add-app-client], [data-testid=lesson-open]"
                    ))
                    .await?
                    .is_empty(),
                "a student is offered the teacher's controls"
            );
            // Presence on the teacher's page: three watch, two students with clients.
            let mut seen = (None, 0);
            teacher
                .wait_for("presence", async |c| {
                    let watching = c
                        .find(Locator::Css("[data-testid=presence]"))
                        .await?
                        .attr("data-watching")
                        .await?;
                    let students = c
                        .find_all(Locator::Css("[data-testid=presence-student]"))
                        .await?;
                    let ready = watching.as_deref() == Some("3") && students.len() == 2;
                    seen = (watching, students.len());
                    Ok(ready.then_some(()))
                })
                .await
                .with_context(|| format!("last seen (watching, students): {seen:?}"))?;
            // The teacher closes the join screen and empties the room, once asked: every
            // card goes, on every page.
            teacher.click("[data-testid=join-close]").await?;
            teacher.open_room_menu().await?;
            let emptied = "the room was emptied";
            teacher.click("[data-testid=reset-room]").await?;
            teacher.wait_for_testid("reset-room-ask").await?;
            ensure!(
                !teacher.event_log().await?.contains(emptied),
                "the room emptied before the teacher confirmed"
            );
            teacher.click("[data-testid=reset-room-confirm]").await?;
            ana.wait_for("the room emptied on a student's page", async |_| {
                let gone = ana.lock_nodes().await?.is_empty();
                Ok((gone && ana.event_log().await?.contains(emptied)).then_some(()))
            })
            .await?;
            Ok::<(), anyhow::Error>(())
        }
        .await;
        ana.close().await;
        bo.close().await;
        students
    })
    .await;
    app.stop().await;
}
