//! The words of the lessons in one language, as `shared/lessons/<lang>.json` has them: the
//! panel's labels, each lesson's title, each step's narration, question and check lines, and
//! why a check can no longer pass. The page fetches the file for its language.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::progress::LessonId;
use crate::progress::{Found, Why};
use crate::view::ClientNames;

/// The English texts (`shared/lessons/en.json`), which the server hands to the page.
pub const TEXTS_EN: &str = include_str!("../../lessons/en.json");
/// The Chinese texts (`shared/lessons/zh.json`).
pub const TEXTS_ZH: &str = include_str!("../../lessons/zh.json");

/// The languages of the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// `en` or `zh`, as in `?lang=` and the texts' file names.
    /// The page's other language (the toggle).
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The page's language for a browser language tag: Chinese for `zh*`, English otherwise.
    pub fn for_browser(tag: &str) -> Lang {
        if tag.to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// This language's texts file, as the server embeds it.
    pub fn texts_json(self) -> &'static str {
        match self {
            Lang::En => TEXTS_EN,
            Lang::Zh => TEXTS_ZH,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonTexts {
    pub panel: PanelTexts,
    /// Why a check can no longer pass, for every [`Why`].
    pub why: BTreeMap<Why, String>,
    pub lessons: Vec<LessonText>,
}

impl LessonTexts {
    pub fn lesson(&self, id: LessonId) -> Option<&LessonText> {
        self.lessons.iter().find(|l| l.id == id)
    }

    pub fn why(&self, why: Why) -> &str {
        self.why.get(&why).map_or("", String::as_str)
    }
}

/// The Lessons panel's own words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelTexts {
    pub title: String,
    /// Under the list, before a lesson is chosen.
    pub choose: String,
    /// The same in a classroom, where a lesson runs in the classroom's own room.
    pub choose_classroom: String,
    pub open: String,
    pub leave: String,
    pub do_it: String,
    pub back: String,
    pub restart: String,
    pub redo: String,
    /// `Step {count} of {expected}`.
    pub step_of: String,
    pub seed_line: String,
    /// A step that runs its key moment slowed: `{count}` is the factor.
    pub paced: String,
    pub predict: String,
    pub your_answer: String,
    pub what_happened: String,
    pub doing: String,
    pub resetting: String,
    /// `Doing step {count} again`.
    pub replaying: String,
    /// Every ensemble the server lends for lessons is taken: `{count}` is the room's place.
    pub waiting_for_ensemble: String,
    pub starting_ensemble: String,
    pub finished: String,
    /// On a finished lesson: open the next one.
    pub next: String,
    pub language: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonText {
    pub id: LessonId,
    pub title: String,
    /// One sentence: what the lesson shows.
    pub summary: String,
    /// By step key.
    pub steps: BTreeMap<String, StepText>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepText {
    pub title: String,
    /// Two to four sentences, one idea each.
    pub narration: Vec<String>,
    /// What the check waits for.
    pub waiting: String,
    /// What it found, once it passed.
    pub passed: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiz: Option<QuizText>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizText {
    pub question: String,
    /// By option key.
    pub options: BTreeMap<String, String>,
}

/// `template` with each `{name}` replaced by what the check found (a client by its number in
/// `names`); a placeholder the check did not find stays as `…`.
pub fn fill(template: &str, found: &Found, names: &ClientNames) -> String {
    fill_with(template, |name| {
        Found::PLACEHOLDERS
            .contains(&name)
            .then(|| found.get(name, names).unwrap_or_else(|| "…".into()))
    })
}

/// `template` with each `{name}` that `value` knows replaced by its value; other braces stay.
pub fn fill_with(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| Some((close, value(&after[..close])?)))
        {
            Some((close, text)) => {
                out.push_str(&text);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}`s of a template.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        names.push(&after[..close]);
        rest = &after[close + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_names_what_was_found_and_marks_what_was_not() {
        let found = Found {
            client: Some(4),
            other: Some(9),
            node: Some("/locks/sub0000000002".into()),
            ..Found::default()
        };
        // Client 4 is the room's second lock client; 9 was never named in this run.
        let mut names = ClientNames::default();
        for client in [3, 4] {
            names.apply(
                &crate::event::RoomEvent::ClientAdded {
                    client,
                    owner: None,
                },
                false,
            );
        }
        assert_eq!(
            fill(
                "client {client}'s watch on {node} fired; it watches {watched}; {other}",
                &found,
                &names
            ),
            "client 2's watch on /locks/sub0000000002 fired; it watches …; #9"
        );
        assert_eq!(fill("{not a name} {", &found, &names), "{not a name} {");
    }

    #[test]
    fn the_browser_language_picks_chinese_for_any_zh_tag() {
        assert_eq!(Lang::for_browser("zh-CN"), Lang::Zh);
        assert_eq!(Lang::for_browser("ZH-tw"), Lang::Zh);
        assert_eq!(Lang::for_browser("en-GB"), Lang::En);
        assert_eq!(Lang::for_browser("de"), Lang::En);
        assert_eq!(Lang::from_code("zh"), Some(Lang::Zh));
        assert_eq!(Lang::from_code("fr"), None);
    }
}
