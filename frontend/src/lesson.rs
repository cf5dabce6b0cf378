//! What the Lessons panel shows, from the room's lesson progress, the course's outline, the
//! texts of the page's language and the learner's own predictions; where a lesson's room and
//! the page's language come from. Plain Rust, tested on native.

use std::collections::BTreeMap;

use shared::lesson::{
    fill, Busy, CheckStatus, CourseOutline, Focus, Found, LessonId, LessonOutline, LessonProgress,
    LessonTexts, Pace, PanelTexts, SeedRef, StepStatus,
};
use shared::{ClientNames, RoomView, SeedListing};

/// The learner's predictions: the choice made, by lesson, attempt and step. They stay in this
/// page: each student in a room answers for themselves, once per attempt (Back, Restart or
/// another viewer's start make a new one).
pub type Answers = BTreeMap<(LessonId, u32, usize), usize>;

/// One step as the panel draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct StepShown {
    pub index: usize,
    pub status: StepStatus,
    pub title: String,
    pub narration: Vec<String>,
    pub check: CheckStatus,
    /// What the check says, with the real clients and nodes filled in; empty for a step not
    /// reached yet.
    pub check_text: String,
    pub quiz: Option<QuizShown>,
    pub seed: SeedRef,
    /// How fast Do it runs the step's key moment.
    pub pace: Option<Pace>,
    /// Do it may be pressed: the step is current and not done yet, the room idle, the
    /// prediction made.
    pub do_ready: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct QuizShown {
    pub question: String,
    pub options: Vec<OptionShown>,
    pub answered: bool,
    /// ZooKeeper has answered: the step's check is decided.
    pub decided: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OptionShown {
    pub key: String,
    pub text: String,
    pub chosen: bool,
    pub happened: bool,
    /// What the option is marked with: nothing until ZooKeeper has answered.
    pub mark: Option<QuizMark>,
}

/// An option's mark once the step's check is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuizMark {
    /// Chosen, and what ZooKeeper did.
    Right,
    /// Chosen, and not what happened.
    Wrong,
    /// Not chosen, but what happened.
    Happened,
}

impl QuizMark {
    fn of(decided: bool, chosen: bool, happened: bool) -> Option<QuizMark> {
        match (decided, chosen, happened) {
            (false, ..) => None,
            (true, true, true) => Some(QuizMark::Right),
            (true, true, false) => Some(QuizMark::Wrong),
            (true, false, true) => Some(QuizMark::Happened),
            (true, false, false) => None,
        }
    }
}

/// Every step of the room's lesson, as the panel draws it.
pub fn steps_shown(
    outline: &LessonOutline,
    texts: &LessonTexts,
    progress: &LessonProgress,
    names: &ClientNames,
    answers: &Answers,
) -> Vec<StepShown> {
    let lesson_text = texts.lesson(outline.id);
    outline
        .steps
        .iter()
        .zip(&progress.steps)
        .enumerate()
        .map(|(index, (step, done))| {
            let text = lesson_text.and_then(|l| l.steps.get(&step.key));
            let report = &done.check;
            let decided = report.status != CheckStatus::Waiting;
            // Before Do it, a question's step says nothing of what it waits for: "9 expected"
            // would answer the question.
            let unasked = step.quiz.is_some() && !done.acted;
            let check_text = match (done.status, report.status, text) {
                (StepStatus::Todo, ..) | (_, _, None) => String::new(),
                (_, CheckStatus::Waiting, _) if unasked => String::new(),
                (_, CheckStatus::Waiting, Some(t)) => fill(&t.waiting, &report.found, names),
                (_, CheckStatus::Passed, Some(t)) => fill(&t.passed, &report.found, names),
                (_, CheckStatus::Failed, Some(_)) => report
                    .why
                    .map(|why| fill(texts.why(why), &report.found, names))
                    .unwrap_or_default(),
            };
            let chosen = answers.get(&(outline.id, progress.attempt, index)).copied();
            let quiz = step.quiz.as_ref().map(|quiz| {
                let words = text.and_then(|t| t.quiz.as_ref());
                QuizShown {
                    question: words.map(|w| w.question.clone()).unwrap_or_default(),
                    options: quiz
                        .options
                        .iter()
                        .enumerate()
                        .map(|(i, o)| {
                            let (chosen, happened) =
                                (chosen == Some(i), decided && report.happened.contains(&i));
                            OptionShown {
                                key: o.key.clone(),
                                text: words
                                    .and_then(|w| w.options.get(&o.key))
                                    .cloned()
                                    .unwrap_or_else(|| o.key.clone()),
                                chosen,
                                happened,
                                mark: QuizMark::of(decided, chosen, happened),
                            }
                        })
                        .collect(),
                    answered: chosen.is_some(),
                    decided,
                }
            });
            let predicted = quiz.as_ref().is_none_or(|q| q.answered);
            StepShown {
                index,
                status: done.status,
                title: text
                    .map(|t| t.title.clone())
                    .unwrap_or_else(|| step.key.clone()),
                narration: text.map(|t| t.narration.clone()).unwrap_or_default(),
                check: report.status,
                check_text,
                quiz,
                seed: step.seed,
                pace: step.pace,
                do_ready: done.status == StepStatus::Current
                    && progress.busy.is_none()
                    && !done.acted
                    && predicted,
            }
        })
        .collect()
}

/// The step Back goes to: the one before the current, or the last one again once the lesson
/// is done; `None` at the very start.
pub fn back_target(progress: &LessonProgress) -> Option<usize> {
    if progress.finished() {
        return Some(progress.step);
    }
    progress.step.checked_sub(1)
}

/// What the panel says while the room works for the lesson.
pub fn busy_text(busy: Busy, panel: &PanelTexts) -> String {
    match busy {
        Busy::Doing => panel.doing.clone(),
        Busy::Resetting => panel.resetting.clone(),
        Busy::Replaying { step } => fill(
            &panel.replaying,
            &Found {
                count: Some(step as u64 + 1),
                ..Found::default()
            },
            &ClientNames::default(),
        ),
        Busy::WaitingForEnsemble { place } => fill(
            &panel.waiting_for_ensemble,
            &Found {
                count: Some(place as u64),
                ..Found::default()
            },
            &ClientNames::default(),
        ),
        Busy::StartingEnsemble => panel.starting_ensemble.clone(),
    }
}

/// `Step 2 of 4`.
pub fn step_of(progress: &LessonProgress, panel: &PanelTexts) -> String {
    fill(
        &panel.step_of,
        &Found {
            count: Some(progress.step as u64 + 1),
            expected: Some(progress.steps.len() as u64),
            ..Found::default()
        },
        &ClientNames::default(),
    )
}

/// The lines around `line` (1-based) of a listing, `radius` either side, with the common
/// indentation taken off: what a step shows of the tutorial's code beside its narration.
pub fn code_excerpt(source: &str, line: u32, radius: u32) -> Vec<(u32, String)> {
    let first = line.saturating_sub(radius).max(1);
    let picked: Vec<(u32, &str)> = source
        .lines()
        .enumerate()
        .map(|(i, text)| (i as u32 + 1, text))
        .filter(|(n, _)| (first..=line + radius).contains(n))
        .collect();
    let indent = picked
        .iter()
        .filter(|(_, t)| !t.trim().is_empty())
        .map(|(_, t)| t.len() - t.trim_start().len())
        .min()
        .unwrap_or(0);
    picked
        .into_iter()
        .map(|(n, t)| (n, t.get(indent..).unwrap_or("").to_string()))
        .collect()
}

/// A text with `code` in backticks, as runs of plain text (`false`) and code (`true`).
pub fn code_runs(text: &str) -> Vec<(bool, &str)> {
    text.split('`')
        .enumerate()
        .filter(|(_, run)| !run.is_empty())
        .map(|(i, run)| (i % 2 == 1, run))
        .collect()
}

/// The learner's predictions as text, to keep in the tab's session storage across a reload.
pub fn answers_to_text(answers: &Answers) -> String {
    let list: Vec<(u8, u32, usize, usize)> = answers
        .iter()
        .map(|((lesson, attempt, step), option)| (lesson.0, *attempt, *step, *option))
        .collect();
    serde_json::to_string(&list).unwrap_or_default()
}

/// [`answers_to_text`]'s text read back; anything unreadable is no answers.
pub fn answers_from_text(text: &str) -> Answers {
    serde_json::from_str::<Vec<(u8, u32, usize, usize)>>(text)
        .unwrap_or_default()
        .into_iter()
        .map(|(lesson, attempt, step, option)| ((LessonId(lesson), attempt, step), option))
        .collect()
}

/// The part of the stage the room's lesson is about (the lock queue when none runs).
pub fn focus(progress: Option<&LessonProgress>, course: Option<&CourseOutline>) -> Focus {
    progress
        .and_then(|p| course?.lesson(p.lesson))
        .map_or(Focus::Locks, |l| l.focus)
}

/// `data-focus` of the page.
pub fn focus_name(focus: Focus) -> &'static str {
    match focus {
        Focus::Locks => "locks",
        Focus::Herd => "herd",
        Focus::Registry => "registry",
        Focus::Resource => "resource",
        Focus::Ensemble => "ensemble",
    }
}

/// Whether the room's current step may be done now: as its button, only once the step's
/// prediction is made (the D key).
pub fn do_ready(
    view: &RoomView,
    course: &CourseOutline,
    texts: &LessonTexts,
    answers: &Answers,
) -> bool {
    let Some(progress) = &view.lesson else {
        return false;
    };
    let Some(outline) = course.lesson(progress.lesson) else {
        return false;
    };
    steps_shown(outline, texts, progress, &view.names, answers)
        .get(progress.step)
        .is_some_and(|step| step.do_ready)
}

/// The tutorial's line the room's current step illustrates.
pub fn current_line(
    progress: &LessonProgress,
    course: &CourseOutline,
) -> Option<(SeedListing, u32)> {
    let step = course.lesson(progress.lesson)?.steps.get(progress.step)?;
    Some((step.seed.listing, step.seed.listing.line(step.seed.point)?))
}

/// Where the teacher's lesson is, for a page that does not run the room (a student's, a
/// viewer's): `Lesson 2 · step 3 of 5: The fix: look again`, at the top of the page, since the
/// Lessons panel is far below the queue on a phone. `template` is the page's words for it.
pub fn lesson_now(
    progress: &LessonProgress,
    course: &CourseOutline,
    texts: &LessonTexts,
    template: &str,
) -> Option<String> {
    let step = course.lesson(progress.lesson)?.steps.get(progress.step)?;
    let title = texts
        .lesson(progress.lesson)
        .and_then(|l| l.steps.get(&step.key))
        .map_or(step.key.as_str(), |t| t.title.as_str());
    Some(crate::texts::fill(
        template,
        &[
            ("lesson", &progress.lesson),
            ("step", &(progress.step + 1)),
            ("steps", &progress.steps.len()),
            ("title", &title),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::lesson::Lang;
    use shared::lesson::{CheckReport, CourseOutline, StepProgress, Why};

    fn course() -> CourseOutline {
        serde_json::from_str(shared::lesson::COURSE_JSON).unwrap()
    }

    fn texts(lang: Lang) -> LessonTexts {
        serde_json::from_str(lang.texts_json()).unwrap()
    }

    fn progress(steps: Vec<StepProgress>, step: usize) -> LessonProgress {
        LessonProgress {
            lesson: LessonId(2),
            attempt: 1,
            step,
            steps,
            busy: None,
        }
    }

    fn at(status: StepStatus, check: CheckStatus) -> StepProgress {
        StepProgress {
            status,
            check: CheckReport {
                status: check,
                ..CheckReport::default()
            },
            acted: false,
        }
    }

    #[test]
    fn a_step_needs_its_prediction_before_do_it_and_marks_what_happened() {
        let course = course();
        let lesson = course.lesson(LessonId(2)).unwrap();
        let en = texts(Lang::En);
        let mut done = at(StepStatus::Done, CheckStatus::Passed);
        done.check.found.client = Some(3);
        let mut p = progress(
            vec![
                done,
                at(StepStatus::Current, CheckStatus::Waiting),
                at(StepStatus::Todo, CheckStatus::Waiting),
                at(StepStatus::Todo, CheckStatus::Waiting),
            ],
            1,
        );
        let mut answers = Answers::new();
        // Client 3 is the room's second lock client, and the text says so.
        let mut names = ClientNames::default();
        for client in [2, 3] {
            names.apply(
                &shared::RoomEvent::ClientAdded {
                    client,
                    owner: None,
                },
                false,
            );
        }
        let shown = steps_shown(lesson, &en, &p, &names, &answers);
        assert_eq!(shown[0].title, "Three clients, the first version");
        assert!(
            shown[0].check_text.contains("client 2 watches"),
            "{}",
            shown[0].check_text
        );
        let crash = &shown[1];
        assert!(!crash.do_ready, "predict first");
        assert_eq!(crash.quiz.as_ref().unwrap().options.len(), 2);
        assert!(crash.check_text.is_empty(), "nothing said before Do it");
        assert!(shown[2].check_text.is_empty());

        answers.insert((LessonId(2), 1, 1), 1);
        assert!(steps_shown(lesson, &en, &p, &names, &answers)[1].do_ready);
        p.busy = Some(Busy::Doing);
        assert!(!steps_shown(lesson, &en, &p, &names, &answers)[1].do_ready);
        // Done, and waiting for ZooKeeper: Do it stays inert, and no choice is marked yet.
        p.busy = None;
        p.steps[1].acted = true;
        let waiting = &steps_shown(lesson, &en, &p, &names, &answers)[1];
        assert!(!waiting.do_ready);
        assert!(
            waiting.check_text.starts_with("Waiting"),
            "{}",
            waiting.check_text
        );
        let quiz = waiting.quiz.as_ref().unwrap();
        assert!(quiz.options[1].chosen && !quiz.decided);
        assert!(quiz.options.iter().all(|o| o.mark.is_none()), "{quiz:?}");

        p.busy = None;
        p.steps[1] = at(StepStatus::Done, CheckStatus::Passed);
        p.steps[1].check.happened = vec![1];
        let quiz = steps_shown(lesson, &en, &p, &names, &answers)[1]
            .quiz
            .clone()
            .unwrap();
        assert!(quiz.decided && quiz.options[1].chosen && quiz.options[1].happened);
        assert!(!quiz.options[0].happened);
        assert_eq!(quiz.options[1].mark, Some(QuizMark::Right));
        assert_eq!(quiz.options[0].mark, None);
    }

    #[test]
    fn a_failed_check_says_why_in_the_pages_language() {
        let course = course();
        let lesson = course.lesson(LessonId(2)).unwrap();
        let mut failed = at(StepStatus::Failed, CheckStatus::Failed);
        failed.check.why = Some(Why::FixedRecipe);
        let p = progress(vec![at(StepStatus::Done, CheckStatus::Passed), failed], 1);
        let zh = steps_shown(
            lesson,
            &texts(Lang::Zh),
            &p,
            &ClientNames::default(),
            &Answers::new(),
        );
        assert!(
            zh[1].check_text.contains("重新确认"),
            "{}",
            zh[1].check_text
        );
    }

    #[test]
    fn back_goes_one_step_back_or_redoes_the_last() {
        let mut p = progress(
            vec![
                at(StepStatus::Done, CheckStatus::Passed),
                at(StepStatus::Current, CheckStatus::Waiting),
            ],
            1,
        );
        assert_eq!(back_target(&p), Some(0));
        p.steps[1] = at(StepStatus::Done, CheckStatus::Passed);
        assert_eq!(back_target(&p), Some(1));
        let start = progress(vec![at(StepStatus::Current, CheckStatus::Waiting)], 0);
        assert_eq!(back_target(&start), None);
    }

    #[test]
    fn a_step_shows_the_lines_around_its_own_and_no_more_indent_than_needed() {
        let source = "class A {\n    void f() {\n        zk.delete(p, -1);\n    }\n}";
        let lines = code_excerpt(source, 3, 1);
        assert_eq!(
            lines,
            vec![
                (2, "void f() {".to_string()),
                (3, "    zk.delete(p, -1);".to_string()),
                (4, "}".to_string())
            ]
        );
        assert_eq!(code_excerpt(source, 1, 2).first().map(|l| l.0), Some(1));
        let listing = shared::SeedListing::DistributedClientFixed;
        let line = listing.line(shared::SeedPoint::Delete).unwrap();
        assert!(code_excerpt(listing.source(), line, 2)
            .iter()
            .any(|(n, t)| *n == line && t.contains("zk.delete(")));
    }

    #[test]
    fn code_in_backticks_is_its_own_run() {
        assert_eq!(
            code_runs("It calls `zk.exists(waitPath, true)` again."),
            vec![
                (false, "It calls "),
                (true, "zk.exists(waitPath, true)"),
                (false, " again.")
            ]
        );
    }

    #[test]
    fn predictions_survive_a_reload_as_text() {
        let mut answers = Answers::new();
        answers.insert((LessonId(2), 3, 1), 0);
        answers.insert((LessonId(2), 3, 4), 1);
        assert_eq!(answers_from_text(&answers_to_text(&answers)), answers);
        assert!(answers_from_text("not json").is_empty());
    }
}
