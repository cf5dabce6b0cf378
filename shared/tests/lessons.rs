//! Tidy: the course file is valid, every lesson text exists in both languages, every step has
//! a check and a seed line that exists, the texts use only placeholders a check fills, every
//! code span of a step is in the seed code the room runs then, and a step's check lines take
//! their numbers from the room.

use shared::lesson::{texts, Action, Course, Found, Lang, Lesson, LessonTexts, Why, COURSE_JSON};
use shared::{LockRecipeKind, SeedListing};

fn course() -> Course {
    let course: Course = serde_json::from_str(COURSE_JSON).expect("course.json parses");
    course.validate().expect("course.json is valid");
    course
}

fn texts(lang: Lang) -> LessonTexts {
    serde_json::from_str(lang.texts_json())
        .unwrap_or_else(|e| panic!("{}.json parses: {e}", lang.code()))
}

/// Every text of a language file, with where it is.
fn every_text(t: &LessonTexts) -> Vec<(String, &str)> {
    let p = &t.panel;
    let mut all: Vec<(String, &str)> = [
        &p.title,
        &p.choose,
        &p.open,
        &p.leave,
        &p.do_it,
        &p.back,
        &p.restart,
        &p.redo,
        &p.step_of,
        &p.seed_line,
        &p.predict,
        &p.your_answer,
        &p.what_happened,
        &p.doing,
        &p.resetting,
        &p.replaying,
        &p.finished,
        &p.next,
        &p.language,
    ]
    .into_iter()
    .map(|s| ("panel".to_string(), s.as_str()))
    .collect();
    for (why, s) in &t.why {
        all.push((format!("why {why:?}"), s));
    }
    for lesson in &t.lessons {
        let at = format!("lesson {}", lesson.id);
        all.push((at.clone(), &lesson.title));
        all.push((at.clone(), &lesson.summary));
        for (key, step) in &lesson.steps {
            let at = format!("{at} step {key}");
            all.push((at.clone(), &step.title));
            all.push((at.clone(), &step.waiting));
            all.push((at.clone(), &step.passed));
            all.extend(step.narration.iter().map(|s| (at.clone(), s.as_str())));
            if let Some(quiz) = &step.quiz {
                all.push((at.clone(), &quiz.question));
                all.extend(quiz.options.values().map(|s| (at.clone(), s.as_str())));
            }
        }
    }
    all
}

#[test]
fn the_course_has_ten_lessons_each_reaching_its_question_within_three_do_its() {
    let course = course();
    assert_eq!(course.lessons.len(), 10);
    for lesson in &course.lessons {
        let first_quiz = lesson.steps.iter().position(|s| s.quiz.is_some());
        assert!(
            first_quiz.is_some_and(|at| at < 3),
            "lesson {}: its key moment (the first question) must be at most three Do its away",
            lesson.id
        );
        for step in &lesson.steps {
            assert!(
                !step.actions.is_empty(),
                "lesson {} step {}: Do it does nothing",
                lesson.id,
                step.key
            );
            assert!(
                step.seed.listing.line(step.seed.point).is_some(),
                "lesson {} step {}: {:?} has no line {:?}",
                lesson.id,
                step.key,
                step.seed.listing,
                step.seed.point
            );
        }
    }
}

#[test]
fn every_lesson_text_exists_in_both_languages() {
    let course = course();
    for lang in Lang::ALL {
        let t = texts(lang);
        let code = lang.code();
        for why in Why::ALL {
            assert!(!t.why(why).is_empty(), "{code}: no text for why {why:?}");
        }
        assert_eq!(
            t.lessons.len(),
            course.lessons.len(),
            "{code}: one text per lesson"
        );
        for lesson in &course.lessons {
            let text = t
                .lesson(lesson.id)
                .unwrap_or_else(|| panic!("{code}: no text for lesson {}", lesson.id));
            assert_eq!(
                text.steps.len(),
                lesson.steps.len(),
                "{code} lesson {}: texts for steps that do not exist",
                lesson.id
            );
            for step in &lesson.steps {
                let at = format!("{code} lesson {} step {}", lesson.id, step.key);
                let st = text
                    .steps
                    .get(&step.key)
                    .unwrap_or_else(|| panic!("{at}: no text"));
                assert!(
                    (2..=4).contains(&st.narration.len()),
                    "{at}: narration of two to four sentences"
                );
                match (&step.quiz, &st.quiz) {
                    (None, None) => {}
                    (Some(quiz), Some(qt)) => {
                        let keys: Vec<&String> = quiz.options.iter().map(|o| &o.key).collect();
                        let texts: Vec<&String> = qt.options.keys().collect();
                        let mut sorted = keys.clone();
                        sorted.sort();
                        assert_eq!(sorted, texts, "{at}: one text per choice");
                    }
                    _ => panic!("{at}: a question in one file and not the other"),
                }
            }
        }
        for (at, s) in every_text(&t) {
            assert!(!s.trim().is_empty(), "{code} {at}: an empty text");
            for name in texts::placeholders(s) {
                assert!(
                    Found::PLACEHOLDERS.contains(&name),
                    "{code} {at}: {{{name}}} is no placeholder a check fills"
                );
            }
        }
    }
}

#[test]
fn chinese_texts_use_full_width_punctuation() {
    let is_cjk = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
    for (at, s) in every_text(&texts(Lang::Zh)) {
        let chars: Vec<char> = s.chars().collect();
        for pair in chars.windows(2) {
            assert!(
                !(is_cjk(pair[0]) && matches!(pair[1], ',' | '.' | ':' | ';' | '?' | '!' | '(')),
                "zh {at}: ASCII {:?} after Chinese text in {s:?}",
                pair[1]
            );
        }
    }
}

#[test]
fn the_texts_placeholders_fill_from_what_a_check_found() {
    let en = texts(Lang::En);
    let step = &en.lesson(shared::lesson::LessonId(2)).unwrap().steps["fixed_crash"];
    let found = Found {
        client: Some(4),
        node: Some("/locks/sub0000000002".into()),
        watched: Some("/locks/sub0000000000".into()),
        ..Found::default()
    };
    // Client 4 is the room's third lock client: the text says what the learner sees.
    let mut names = shared::ClientNames::default();
    for client in 2..=4 {
        names.apply(
            &shared::RoomEvent::ClientAdded {
                client,
                owner: None,
            },
            false,
        );
    }
    assert_eq!(
        texts::fill(&step.passed, &found, &names),
        "Client 3's watch on /locks/sub0000000002 fired; it re-listed /locks, saw its node was \
         not the smallest, and now watches /locks/sub0000000000: `zk.exists(waitPath, true)`. \
         One holder."
    );
}

#[test]
fn the_pages_outline_of_the_course_is_the_course_without_do_it_and_checks() {
    use shared::lesson::CourseOutline;
    let course = course();
    let outline: CourseOutline = serde_json::from_str(COURSE_JSON).expect("the outline parses");
    assert_eq!(outline.lessons.len(), course.lessons.len());
    for (lesson, drawn) in course.lessons.iter().zip(&outline.lessons) {
        assert_eq!(lesson.id, drawn.id);
        for (step, shown) in lesson.steps.iter().zip(&drawn.steps) {
            assert_eq!((&step.key, step.seed), (&shown.key, shown.seed));
            let asked: Vec<&String> = step
                .quiz
                .iter()
                .flat_map(|q| &q.options)
                .map(|o| &o.key)
                .collect();
            let drawn: Vec<&String> = shown
                .quiz
                .iter()
                .flat_map(|q| &q.options)
                .map(|o| &o.key)
                .collect();
            assert_eq!(asked, drawn);
        }
    }
}

/// The rule: every code span (between backticks) of a step's texts is the seed's code, unless
/// it is here. The seed's printed lines are its code too (`finished:`, `gain lock: {node}` are
/// in its `println`s); these are the words in code type that are not the seed's Java, each
/// with why.
const NOT_JAVA: [&str; 4] = [
    // A shell command: what Kill does to a client's process.
    "kill -9",
    // The connection state ZooKeeper's client reports when it loses its server. The seed's
    // Watcher only tests `SyncConnected`, which is lesson 8's point.
    "Disconnected",
    // Apache Curator's connection states, the careful holder's advice (lesson 8).
    "SUSPENDED",
    "LOST",
];

/// The code spans (between backticks) of a text; the backticks must pair up.
fn code_spans(text: &str) -> Vec<&str> {
    let parts: Vec<&str> = text.split('`').collect();
    assert!(parts.len() % 2 == 1, "an unpaired backtick in {text:?}");
    parts.into_iter().skip(1).step_by(2).collect()
}

/// Whether `span` is in `source`, whitespace aside. A `...` (the arguments of `zk.create(...)`)
/// and a placeholder a check fills (`gain lock: {node}`, `{line}`) stand for any text within
/// one statement, that is without a `;`.
fn quoted_in(span: &str, source: &str) -> bool {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let (span, source) = (squeeze(span), squeeze(source));
    let wildcards: Vec<String> = Found::PLACEHOLDERS
        .iter()
        .map(|name| format!("{{{name}}}"))
        .chain(["...".to_string()])
        .collect();
    // The literal pieces between the wildcards, in order.
    let mut pieces = Vec::new();
    let mut rest = span.as_str();
    while let Some((at, len)) = wildcards
        .iter()
        .filter_map(|w| Some((rest.find(w.as_str())?, w.len())))
        .min()
    {
        pieces.push(&rest[..at]);
        rest = &rest[at + len..];
    }
    pieces.push(rest);
    let (first, others) = pieces.split_first().expect("at least one piece");
    source.match_indices(first).any(|(at, _)| {
        let mut from = at + first.len();
        others.iter().all(|piece| match source[from..].find(piece) {
            Some(gap) if !source[from..from + gap].contains(';') => {
                from += gap + piece.len();
                true
            }
            _ => false,
        })
    })
}

/// The listings the room runs at step `at` of `lesson`: the lock recipe in force (the setup's,
/// changed by a `set_recipe` in this step or an earlier one) once lock clients were added, the
/// AppClient if the setup starts it, the AppServer once servers were added; and the recipes a
/// step checks or runs from a template (the seed's, written in Rhai).
fn listings_run(lesson: &Lesson, at: usize) -> Vec<SeedListing> {
    let mut recipe = lesson.setup.recipe;
    let (mut locks, mut servers) = (false, false);
    let mut templates = Vec::new();
    for step in &lesson.steps[..=at] {
        for action in &step.actions {
            match action {
                Action::SetRecipe { recipe: r } => recipe = *r,
                Action::AddLockClients { .. } | Action::PlayTrace { .. } => locks = true,
                Action::AddServers { .. } => servers = true,
                Action::CheckRecipe { template }
                | Action::RunRecipe {
                    template: Some(template),
                } => templates.extend(template.built_in().and_then(SeedListing::of)),
                _ => {}
            }
        }
    }
    let mut run = templates;
    if locks {
        run.extend(SeedListing::of(recipe));
    }
    if lesson.setup.app_client {
        run.push(SeedListing::AppClient);
    }
    if servers {
        run.push(SeedListing::AppServer);
    }
    run
}

fn is_lock_listing(listing: SeedListing) -> bool {
    LockRecipeKind::ALL
        .into_iter()
        .any(|r| SeedListing::of(r) == Some(listing))
}

#[test]
fn quoted_code_matches_the_seed_whitespace_aside_with_wildcards_inside_one_statement() {
    let naive = SeedListing::DistributedClient.source();
    let fixed = SeedListing::DistributedClientFixed.source();
    assert!(quoted_in("zk.getData(waitPath, true, new Stat())", naive));
    assert!(
        quoted_in("thisPath = zk.create(...)", naive),
        "across lines"
    );
    assert!(quoted_in(
        "new ZooKeeper(hosts, SESSION_TIMEOUT, ...)",
        naive
    ));
    assert!(quoted_in("gain lock: {node}", naive));
    assert!(!quoted_in("gain lock: {not a placeholder}", naive));
    assert!(!quoted_in("zk.exists(waitPath, true)", naive));
    assert!(quoted_in("zk.exists(waitPath, true)", fixed));
    // `Thread.sleep(10)` follows `latch.await()`, but two statements later.
    assert!(
        !quoted_in("latch.await(...Thread.sleep(10)", naive),
        "a wildcard stays in its statement"
    );
    // Each allowed word is used, so the list stays short.
    let all: Vec<String> = Lang::ALL
        .into_iter()
        .flat_map(|lang| {
            every_text(&texts(lang))
                .into_iter()
                .map(|(_, s)| s.to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    for word in NOT_JAVA {
        assert!(
            all.iter().any(|s| code_spans(s).contains(&word)),
            "`{word}` is allowed but no text uses it"
        );
    }
}

/// Every code span of a step's narration, check lines and question, in both languages, is
/// the seed's code (unless `NOT_JAVA` says it is not): it is in a listing the room runs at
/// that step, and in the step's own seed listing when that is a lock client's.
#[test]
fn every_quoted_call_is_in_the_code_the_room_runs_and_the_steps_seed() {
    let course = course();
    let mut wrong = Vec::new();
    for lang in Lang::ALL {
        let t = texts(lang);
        let code = lang.code();
        for lesson in &course.lessons {
            let text = t.lesson(lesson.id).expect("every lesson has texts");
            for (at, step) in lesson.steps.iter().enumerate() {
                let st = &text.steps[&step.key];
                let run = listings_run(lesson, at);
                assert!(
                    !run.is_empty(),
                    "lesson {} step {}: runs no code",
                    lesson.id,
                    step.key
                );
                let seed = step.seed.listing;
                let mut said: Vec<&str> = vec![&st.waiting, &st.passed];
                said.extend(st.narration.iter().map(String::as_str));
                if let Some(quiz) = &st.quiz {
                    said.push(&quiz.question);
                    said.extend(quiz.options.values().map(String::as_str));
                }
                for span in said.into_iter().flat_map(code_spans) {
                    if NOT_JAVA.contains(&span) {
                        continue;
                    }
                    let at = format!("{code} lesson {} step {}: `{span}`", lesson.id, step.key);
                    if !run.iter().any(|l| quoted_in(span, l.source())) {
                        wrong.push(format!("{at} is in none of {run:?}, which the room runs"));
                    }
                    if is_lock_listing(seed) && !quoted_in(span, seed.source()) {
                        wrong.push(format!("{at} is not in {seed:?}, the step's seed"));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "quoted code the seed does not have:\n{}",
        wrong.join("\n")
    );
}

/// Number words a step's check lines may use: the name of what the lessons show, not a count.
const NAMED_NOT_COUNTED: [&str; 2] = ["two holders", "两个 client 同时持有锁"];

/// A step's check lines (what it waits for, what it found) quote no count of their own: a
/// number there comes from the room, through a placeholder the check fills. "One" may stay
/// (one holder, one hand-off: what the check asks for, not what it counted).
#[test]
fn check_lines_take_their_numbers_from_the_room() {
    let course = course();
    let en_numbers = [
        "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    let mut wrong = Vec::new();
    for lang in Lang::ALL {
        let t = texts(lang);
        for lesson in &course.lessons {
            let text = t.lesson(lesson.id).expect("every lesson has texts");
            for step in &lesson.steps {
                let st = &text.steps[&step.key];
                for line in [&st.waiting, &st.passed] {
                    let mut bare = texts::fill_with(line, |_| Some(String::new()));
                    for named in NAMED_NOT_COUNTED {
                        bare = bare.to_lowercase().replace(named, "");
                    }
                    let counts = match lang {
                        Lang::En => bare
                            .split(|c: char| !c.is_alphanumeric())
                            .any(|w| en_numbers.contains(&w)),
                        Lang::Zh => bare.contains(|c| "两二三四五六七八九十".contains(c)),
                    } || bare.contains(|c: char| c.is_ascii_digit());
                    if counts {
                        let code = lang.code();
                        wrong.push(format!(
                            "{code} lesson {} step {}: {line:?}",
                            lesson.id, step.key
                        ));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "check lines that quote a number:\n{}",
        wrong.join("\n")
    );
}
