//! Tidy: the course file is valid, every lesson text exists in both languages, every step has
//! a check and a seed line that exists, and the texts use only placeholders a check fills.

use shared::lesson::{texts, Course, Found, Lang, LessonTexts, Why, COURSE_JSON};

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
fn the_course_has_eight_lessons_each_reaching_its_question_within_three_do_its() {
    let course = course();
    assert_eq!(course.lessons.len(), 8);
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
    assert_eq!(
        texts::fill(&step.passed, &found),
        "Client 4's watch on /locks/sub0000000002 fired; it re-listed /locks and now watches \
         /locks/sub0000000000. One holder."
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
