//! The page's words as data: `frontend/texts/{en,zh}.json`, embedded when the page is built
//! and read once per language. Templates name their blanks (`{n} watching`).

use std::sync::OnceLock;

use shared::lesson::{fill_with, Lang};
use std::collections::BTreeMap;

/// A section's texts: a struct of `String`s read from the section's JSON object, every field
/// required and no other allowed. A macro rather than serde's derive: the derive made 8-9 KB
/// of wasm per section, this one generic map read serves them all.
macro_rules! texts {
    ($(#[$doc:meta])* $name:ident { $($field:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            $(pub $field: String,)*
        }

        impl $name {
            fn take(section: &str, mut texts: Section) -> Result<Self, String> {
                let made = $name {
                    $($field: texts
                        .remove(stringify!($field))
                        .ok_or_else(|| format!("{section}.{} is missing", stringify!($field)))?,)*
                };
                match texts.keys().next() {
                    Some(extra) => Err(format!("{section}.{extra} is no text of the page")),
                    None => Ok(made),
                }
            }
        }
    };
}

type Section = BTreeMap<String, String>;

/// Every text of the page a language has, by part.
#[derive(Debug)]
pub struct UiTexts {
    pub keys: KeyTexts,
    pub presenter: PresenterTexts,
    pub recording: RecordingTexts,
    pub classroom: ClassroomTexts,
}

impl UiTexts {
    fn parse(json: &str) -> Result<UiTexts, String> {
        let mut all: BTreeMap<String, Section> =
            serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut part = |name: &str| all.remove(name).ok_or_else(|| format!("{name} is missing"));
        let texts = UiTexts {
            keys: KeyTexts::take("keys", part("keys")?)?,
            presenter: PresenterTexts::take("presenter", part("presenter")?)?,
            recording: RecordingTexts::take("recording", part("recording")?)?,
            classroom: ClassroomTexts::take("classroom", part("classroom")?)?,
        };
        match all.keys().next() {
            Some(extra) => Err(format!("{extra} is no part of the page's texts")),
            None => Ok(texts),
        }
    }
}

texts! {
    /// The key list (`?`): what each key does.
    KeyTexts {
        title,
        add,
        crash,
        kill,
        freeze,
        release,
        step_or_live,
        next,
        speed,
        select,
        do_it,
        lang,
        presenter,
        resync,
        help,
        close,
    }
}

texts! {
    /// Presenter mode's toggle and the selected client.
    PresenterTexts {
        toggle,
        toggle_title,
        selected,
        none_selected,
    }
}

texts! {
    /// Recordings: download, store, open, and the replay's controls.
    RecordingTexts {
        download,
        download_title,
        store,
        stored,
        store_failed,
        open,
        drop_hint,
        open_failed,
        replaying,
        play,
        pause,
        speed,
        position,
        elapsed,
        back_live,
    }
}

texts! {
    /// The classroom bar: links, presence, names.
    ClassroomTexts {
        new_room,
        new_room_title,
        new_room_failed,
        teacher,
        teacher_link,
        student_link,
        viewer_link,
        qr_alt,
        loopback,
        watching,
        students_with_clients,
        no_student_clients,
        pick_name,
        pick_name_hint,
        you_are,
        viewer_only,
        open_room,
        reset_room,
        reset_room_title,
    }
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
    TEXTS[at].get_or_init(|| UiTexts::parse(json).expect("the page's texts parse"))
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
    fn a_missing_or_unknown_text_is_named() {
        let good: serde_json::Value = serde_json::from_str(EN).unwrap();
        let mut missing = good.clone();
        missing["keys"].as_object_mut().unwrap().remove("kill");
        let e = UiTexts::parse(&missing.to_string()).unwrap_err();
        assert_eq!(e, "keys.kill is missing");
        let mut extra = good;
        extra["presenter"]["blink"] = "x".into();
        let e = UiTexts::parse(&extra.to_string()).unwrap_err();
        assert_eq!(e, "presenter.blink is no text of the page");
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
