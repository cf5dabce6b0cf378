//! The page's words as data: `frontend/texts/{en,zh}.json`, embedded when the page is built
//! and read once per language. Templates name their blanks (`{n} watching`).

use std::sync::OnceLock;

use serde::Deserialize;
use shared::lesson::{fill_with, Lang};

/// Every text of the page a language has, by part.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiTexts {
    pub classroom: ClassroomTexts,
    pub recording: RecordingTexts,
    pub keys: KeyTexts,
    pub presenter: PresenterTexts,
}

/// The key list (`?`): what each key does.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyTexts {
    pub title: String,
    pub add: String,
    pub crash: String,
    pub kill: String,
    pub freeze: String,
    pub release: String,
    pub step_or_live: String,
    pub next: String,
    pub speed: String,
    pub select: String,
    pub do_it: String,
    pub lang: String,
    pub presenter: String,
    pub resync: String,
    pub help: String,
    pub close: String,
}

/// Presenter mode's toggle and the selected client.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresenterTexts {
    pub toggle: String,
    pub toggle_title: String,
    pub selected: String,
    pub none_selected: String,
}

/// Recordings: download, store, open, and the replay's controls.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingTexts {
    pub download: String,
    pub download_title: String,
    pub store: String,
    pub stored: String,
    pub store_failed: String,
    pub open: String,
    pub drop_hint: String,
    pub open_failed: String,
    pub replaying: String,
    pub play: String,
    pub pause: String,
    pub speed: String,
    pub position: String,
    pub elapsed: String,
    pub back_live: String,
}

/// The classroom bar: links, presence, names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassroomTexts {
    pub new_room: String,
    pub new_room_title: String,
    pub new_room_failed: String,
    pub teacher: String,
    pub teacher_link: String,
    pub student_link: String,
    pub viewer_link: String,
    pub qr_alt: String,
    pub loopback: String,
    pub watching: String,
    pub students_with_clients: String,
    pub no_student_clients: String,
    pub pick_name: String,
    pub pick_name_hint: String,
    pub you_are: String,
    pub viewer_only: String,
    pub open_room: String,
}

const EN: &str = include_str!("../texts/en.json");
const ZH: &str = include_str!("../texts/zh.json");

/// The texts of `lang`. The files are checked by a test, so reading them cannot fail here.
pub fn ui(lang: Lang) -> &'static UiTexts {
    static TEXTS: [OnceLock<UiTexts>; 2] = [OnceLock::new(), OnceLock::new()];
    let (at, json) = match lang {
        Lang::En => (0, EN),
        Lang::Zh => (1, ZH),
    };
    TEXTS[at].get_or_init(|| serde_json::from_str(json).expect("the page's texts parse"))
}

/// `template` with its `{name}`s filled from `values`.
pub fn fill(template: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    fill_with(template, |name| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blanks(template: &str) -> Vec<&str> {
        shared::lesson::texts::placeholders(template)
    }

    #[test]
    fn both_languages_parse_and_have_the_same_blanks() {
        let (en, zh) = (&ui(Lang::En).classroom, &ui(Lang::Zh).classroom);
        let (ren, rzh) = (&ui(Lang::En).recording, &ui(Lang::Zh).recording);
        let pairs = [
            (&ren.store_failed, &rzh.store_failed),
            (&ren.open_failed, &rzh.open_failed),
            (&ren.replaying, &rzh.replaying),
            (&ren.position, &rzh.position),
            (&ren.elapsed, &rzh.elapsed),
            (&en.new_room_failed, &zh.new_room_failed),
            (&en.loopback, &zh.loopback),
            (&en.watching, &zh.watching),
            (&en.you_are, &zh.you_are),
        ];
        for (en, zh) in pairs {
            let (mut a, mut b) = (blanks(en), blanks(zh));
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "{en} / {zh}");
        }
        for text in [&zh.new_room, &zh.pick_name_hint, &zh.viewer_only] {
            assert!(
                !text.contains(',') && !text.contains(':'),
                "half-width punctuation: {text}"
            );
        }
    }

    #[test]
    fn templates_fill_their_blanks() {
        let line = fill(
            &ui(Lang::En).classroom.you_are,
            &[("name", &"Ana"), ("n", &1), ("max", &3)],
        );
        assert_eq!(line, "You are Ana: 1 of 3 clients are yours.");
        let zh = fill(&ui(Lang::Zh).classroom.watching, &[("n", &31)]);
        assert_eq!(zh, "31 人在看");
    }
}
