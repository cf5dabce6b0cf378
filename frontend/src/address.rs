//! The page's address: the room, the lesson, the language, the teacher's key and the recording
//! a URL names, read and written as pure functions (the browser's side is in [`crate::page`]).

use shared::lesson::{Lang, LessonId};

/// Who the page joins its room as: a classroom's teacher key and the viewer flag come from the
/// links a teacher shares (`&key=…`, `&view`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Join {
    pub room: String,
    pub key: Option<String>,
    pub viewer: bool,
}

impl Join {
    pub fn from_query(query: &str, room: String) -> Join {
        Join {
            room,
            key: query_param(query, "key").map(str::to_string),
            viewer: query_param(query, "view").is_some(),
        }
    }

    /// The hello for this page, with the student's token if this browser has one for the room.
    pub fn hello(&self, token: Option<String>) -> shared::ClientMsg {
        shared::ClientMsg::Hello {
            protocol: shared::PROTOCOL_VERSION,
            room: self.room.clone(),
            key: self.key.clone(),
            viewer: self.viewer,
            student: token,
        }
    }
}

/// The value of `name` in a URL query (`?a=1&b=2`).
pub fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// The page's language: `?lang=`, else the one the learner chose before, else the browser's.
pub fn initial_lang(query: &str, stored: Option<&str>, browser: &str) -> Lang {
    query_param(query, "lang")
        .and_then(Lang::from_code)
        .or_else(|| stored.and_then(Lang::from_code))
        .unwrap_or_else(|| Lang::for_browser(browser))
}

/// The lesson `?lesson=N` asks for.
pub fn lesson_from_query(query: &str) -> Option<LessonId> {
    let n: u8 = query_param(query, "lesson")?.parse().ok()?;
    (n >= 1).then_some(LessonId(n))
}

/// The page's query with `lesson=N` set to the lesson the room runs, or taken out once it
/// runs none: a reload opens what the page shows, and a left lesson does not start again.
pub fn query_with_lesson(query: &str, lesson: Option<LessonId>) -> String {
    let mut pairs: Vec<String> = query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && *p != "lesson" && !p.starts_with("lesson="))
        .map(str::to_string)
        .collect();
    if let Some(lesson) = lesson {
        pairs.push(format!("lesson={lesson}"));
    }
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

/// A fresh room for a learner alone: `lesson-2-k3x9qa`, from a random number.
pub fn lesson_room(lesson: LessonId, random: u64) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut left = random;
    let tag: String = (0..6)
        .map(|_| {
            let c = ALPHABET[(left % 36) as usize] as char;
            left /= 36;
            c
        })
        .collect();
    format!("{}{lesson}-{tag}", shared::LESSON_ROOM_PREFIX)
}

/// The room named by `?room=` in a URL query, else `main`.
pub fn room_from_query(search: &str) -> String {
    query_param(search, "room")
        .filter(|room| shared::is_valid_room_name(room))
        .unwrap_or("main")
        .to_string()
}

/// The query without the teacher's key (a projected screen shows the address bar).
pub fn query_without_key(query: &str) -> String {
    let rest: Vec<&str> = query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.starts_with("key=") && !p.is_empty())
        .collect();
    format!("?{}", rest.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_comes_from_the_url_then_the_last_choice_then_the_browser() {
        assert_eq!(initial_lang("?lang=zh", Some("en"), "en-US"), Lang::Zh);
        assert_eq!(initial_lang("?room=a", Some("zh"), "en-US"), Lang::Zh);
        assert_eq!(initial_lang("", None, "zh-CN"), Lang::Zh);
        assert_eq!(initial_lang("?lang=fr", None, "de"), Lang::En);
    }

    #[test]
    fn the_url_names_the_lesson_the_room_runs_and_only_that() {
        assert_eq!(
            query_with_lesson("?room=a&lesson=2&lang=zh", None),
            "?room=a&lang=zh"
        );
        assert_eq!(
            query_with_lesson("?room=a", Some(LessonId(3))),
            "?room=a&lesson=3"
        );
        assert_eq!(
            query_with_lesson("?lesson=2&room=a", Some(LessonId(4))),
            "?room=a&lesson=4"
        );
        assert_eq!(query_with_lesson("?lesson=1", None), "");
        assert_eq!(query_with_lesson("?lessons=1", None), "?lessons=1");
    }

    #[test]
    fn a_lesson_link_makes_a_valid_room_of_its_own() {
        assert_eq!(lesson_from_query("?lesson=2"), Some(LessonId(2)));
        assert_eq!(
            lesson_from_query("?room=x&lesson=8&lang=zh"),
            Some(LessonId(8))
        );
        assert_eq!(lesson_from_query("?lesson=0"), None);
        assert_eq!(lesson_from_query("?lesson=two"), None);
        assert_eq!(query_param("?lessons=3", "lesson"), None);
        let room = lesson_room(LessonId(2), 123_456_789);
        assert!(room.starts_with("lesson-2-") && room.len() == 15, "{room}");
        assert!(shared::is_valid_room_name(&room));
        assert!(shared::is_lesson_room(&room));
        assert_ne!(room, lesson_room(LessonId(2), 987_654_321));
    }

    #[test]
    fn room_comes_from_the_query_or_defaults_to_main() {
        assert_eq!(room_from_query(""), "main");
        assert_eq!(room_from_query("?room=class-7"), "class-7");
        assert_eq!(room_from_query("?x=1&room=b"), "b");
        assert_eq!(room_from_query("?room=../etc"), "main");
    }

    #[test]
    fn a_teachers_key_leaves_the_query_and_the_rest_stays() {
        assert_eq!(
            query_without_key("?room=c&key=s3cret&lang=zh"),
            "?room=c&lang=zh"
        );
        let join = Join::from_query("?room=c&key=s3cret&view=1", "c".into());
        assert_eq!(join.key.as_deref(), Some("s3cret"));
        assert!(join.viewer);
    }
}
