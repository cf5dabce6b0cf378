//! The Lessons panel: the lessons to choose from, and the room's lesson step by step,
//! with narration, the prediction, Do it, and what the check found.

use std::rc::Rc;

use shared::lesson::{
    CheckStatus, CourseOutline, LessonId, LessonOutline, LessonProgress, LessonTexts, Pace,
    PanelTexts, StepStatus,
};
use shared::{ClientMsg, ClientNames};
use yew::prelude::*;

use super::context::{use_page, Page};
use crate::lesson::{
    back_target, busy_text, code_excerpt, code_runs, step_of, steps_shown, Answers, QuizMark,
    StepShown,
};
use crate::ws::ServerLink;

/// A learner's prediction: lesson, attempt, step, option.
pub type OnAnswer = Callback<(LessonId, u32, usize, usize)>;

#[derive(Properties, PartialEq)]
pub struct LessonsProps {
    /// The room's lesson, if it runs one: the panel re-renders when it changes, not at every
    /// event of the room.
    pub progress: Option<LessonProgress>,
    /// The room's clients by their learner's numbers, for the texts.
    pub names: ClientNames,
    pub course: Option<Rc<CourseOutline>>,
    pub texts: Option<Rc<LessonTexts>>,
    pub answers: Answers,
    /// A prediction: lesson, attempt, step, option.
    pub on_answer: OnAnswer,
    /// The room is a classroom: a lesson runs in it, for everyone, not in a room of its own.
    #[prop_or_default]
    pub classroom: bool,
}

/// A sentence with its `code` set as code.
fn prose(text: &str) -> Html {
    let runs = code_runs(text).into_iter().map(|(code, run)| {
        if code {
            html! { <code>{ run.to_string() }</code> }
        } else {
            html! { { run.to_string() } }
        }
    });
    html! { <>{ for runs }</> }
}

/// A template with its `{count}` filled: `The tutorial's line 43:`.
fn with_count(template: &str, count: u32) -> String {
    shared::lesson::fill(
        template,
        &shared::lesson::Found {
            count: Some(count.into()),
            ..Default::default()
        },
        &ClientNames::default(),
    )
}

#[function_component(Lessons)]
pub fn lessons(props: &LessonsProps) -> Html {
    let Page { link, member, .. } = use_page();
    // The lesson is the teacher's to run; everyone reads it and predicts on their own page.
    let runs = member.role.runs_the_room();
    let (Some(course), Some(texts)) = (&props.course, &props.texts) else {
        return html! { <section class="lessons" data-testid="lessons" data-loading="true"></section> };
    };
    let body = match &props.progress {
        None => lesson_list(course, texts, runs, props.classroom, &link),
        Some(progress) => match course.lesson(progress.lesson) {
            Some(outline) => running_lesson(props, outline, texts, progress, runs, &link),
            None => return html! { <section class="lessons" data-testid="lessons"></section> },
        },
    };
    html! {
        <section class="lessons" data-testid="lessons">
            <h2>{ texts.panel.title.clone() }</h2>
            { body }
        </section>
    }
}

/// The lessons to choose from. In a classroom the lesson runs in its room, for everyone;
/// elsewhere in a room of its own, as the list says (a learner in `main` empties no one's
/// room).
fn lesson_list(
    course: &CourseOutline,
    texts: &LessonTexts,
    runs: bool,
    classroom: bool,
    link: &ServerLink,
) -> Html {
    let panel = &texts.panel;
    let lessons = course.lessons.iter().map(|lesson| {
        let id = lesson.id;
        let text = texts.lesson(id);
        let open = {
            let link = link.clone();
            Callback::from(move |_| match classroom {
                true => link.send(ClientMsg::StartLesson { lesson: id }),
                false => crate::page::go_to(&format!("?lesson={id}")),
            })
        };
        html! {
            <li class="lesson" data-testid="lesson" data-lesson={id.to_string()}>
                <div class="lesson-head">
                    <h3>{ format!("{id}. {}", text.map_or("", |t| t.title.as_str())) }</h3>
                    if runs {
                        <button data-testid="lesson-open" onclick={open}>{ panel.open.clone() }</button>
                    }
                </div>
                <p class="lesson-summary">{ prose(text.map_or("", |t| t.summary.as_str())) }</p>
            </li>
        }
    });
    html! {
        <>
            <p class="lesson-choose">
                { if classroom { panel.choose_classroom.clone() } else { panel.choose.clone() } }
            </p>
            <ol class="lesson-list">{ for lessons }</ol>
        </>
    }
}

/// The room's lesson, step by step, with Back, Restart and Leave for who runs the room.
fn running_lesson(
    props: &LessonsProps,
    outline: &LessonOutline,
    texts: &LessonTexts,
    progress: &LessonProgress,
    runs: bool,
    link: &ServerLink,
) -> Html {
    let (id, panel) = (progress.lesson, &texts.panel);
    let shown = steps_shown(outline, texts, progress, &props.names, &props.answers);
    let send = |msg: ClientMsg| {
        let link = link.clone();
        Callback::from(move |_| link.send(msg.clone()))
    };
    let goto = |step: usize| send(ClientMsg::LessonGoto { step });
    // Back and Restart stop whatever the room does for the lesson: never a dead end.
    let back = back_target(progress);
    let steps = shown.iter().map(|step| {
        html! {
            <StepItem key={step.index} lesson={id} attempt={progress.attempt} step={step.clone()}
                panel={texts.panel.clone()} on_answer={props.on_answer.clone()} on_redo={goto(step.index)} />
        }
    });
    let title = texts.lesson(id).map_or("", |t| t.title.as_str());
    let next = props
        .course
        .iter()
        .flat_map(|c| c.lessons.iter().map(|l| l.id))
        .find(|l| l.0 == id.0 + 1)
        .filter(|_| runs)
        .map(|lesson| send(ClientMsg::StartLesson { lesson }));
    html! {
        <div class="lesson active" data-testid="lesson" data-lesson={id.to_string()}>
            <div class="lesson-head">
                <h3>{ format!("{id}. {title}") }</h3>
                <span class="lesson-step-of" data-testid="lesson-step-of">{ step_of(progress, panel) }</span>
            </div>
            if let Some(busy) = progress.busy {
                <p class="lesson-busy" data-testid="lesson-busy">{ busy_text(busy, panel) }</p>
            }
            <ol class="lesson-steps">{ for steps }</ol>
            if progress.finished() {
                <p class="lesson-finished" data-testid="lesson-finished">
                    { panel.finished.clone() }
                    if let Some(next) = next {
                        { " " }
                        <button class="lesson-next" data-testid="lesson-next" onclick={next}>
                            { format!("{} →", panel.next) }
                        </button>
                    }
                </p>
            }
            if runs {
            <div class="lesson-nav">
                <button data-testid="lesson-back" disabled={back.is_none()}
                    onclick={goto(back.unwrap_or(0))}>{ format!("← {}", panel.back) }</button>
                <button data-testid="lesson-restart"
                    onclick={goto(0)}>{ format!("⟲ {}", panel.restart) }</button>
                <button class="lesson-leave" data-testid="lesson-leave" onclick={send(ClientMsg::LeaveLesson)}>{ panel.leave.clone() }</button>
            </div>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct StepItemProps {
    lesson: LessonId,
    attempt: u32,
    step: StepShown,
    /// The panel's words (Do it, Redo, the question's marks...).
    panel: PanelTexts,
    on_answer: OnAnswer,
    on_redo: Callback<MouseEvent>,
}

/// One step: its own component, so an event re-renders only the step whose check moved.
#[function_component(StepItem)]
fn step_item(props: &StepItemProps) -> Html {
    let Page { member, link, .. } = use_page();
    let runs = member.role.runs_the_room();
    let (step, panel) = (&props.step, &props.panel);
    let item = use_node_ref();
    use_into_view_when_current(item.clone(), step.status == StepStatus::Current);
    let open = matches!(step.status, StepStatus::Current | StepStatus::Failed);
    let do_it = Callback::from(move |_| link.send(ClientMsg::LessonDo));
    html! {
        <li ref={item} class={classes!("lesson-step", step.status.as_str())} data-testid="lesson-step"
            data-step={step.index.to_string()} data-status={step.status.as_str()}>
            <h4><span class="lesson-step-n">{ step.index + 1 }</span>{ step.title.clone() }</h4>
            if open {
                { narration(step, &panel.seed_line) }
            }
            { quiz(props).unwrap_or_default() }
            if let (StepStatus::Current, Some(Pace::Slow(factor))) = (step.status, step.pace) {
                <p class="lesson-paced" data-testid="lesson-paced" data-slow={factor.to_string()}>
                    { "🐢 " }{ with_count(&panel.paced, factor) }
                </p>
            }
            if step.status == StepStatus::Current {
                <button class="lesson-do" data-testid="lesson-do" disabled={!step.do_ready || !runs} onclick={do_it}>
                    { format!("▶ {}", panel.do_it) }
                </button>
            }
            if !step.check_text.is_empty() {
                <p class={classes!("lesson-check", step.check.as_str())} data-testid="lesson-check"
                    data-status={step.check.as_str()}>
                    { match step.check { CheckStatus::Passed => "✓ ", CheckStatus::Failed => "✗ ", CheckStatus::Waiting => "… " } }
                    { prose(&step.check_text) }
                </p>
            }
            if step.status == StepStatus::Failed && runs {
                <button class="lesson-redo" data-testid="lesson-redo" onclick={props.on_redo.clone()}>
                    { format!("⟲ {}", panel.redo) }
                </button>
            }
        </li>
    }
}

/// The step that becomes current comes into view in its column (not the page: the stage stays
/// where it is).
#[hook]
fn use_into_view_when_current(item: NodeRef, current: bool) {
    use_effect_with(current, move |current| {
        // Only where the column scrolls on its own (a wide screen, `style.css`): on a phone the
        // page would jump away from the queue.
        let wide = web_sys::window()
            .and_then(|w| w.inner_width().ok()?.as_f64())
            .is_some_and(|w| w > 1300.0);
        if let (true, true, Some(el)) = (*current, wide, item.cast::<web_sys::Element>()) {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            el.scroll_into_view_with_scroll_into_view_options(&options);
            // What the step before found, and the mark on its prediction, stay in view above
            // this one where the column has room for both.
            let before = el.previous_element_sibling().and_then(|prev| {
                prev.query_selector(".lesson-quiz, .lesson-check")
                    .ok()
                    .flatten()
            });
            if let Some(check) = before {
                let top = web_sys::ScrollIntoViewOptions::new();
                top.set_block(web_sys::ScrollLogicalPosition::Start);
                check.scroll_into_view_with_scroll_into_view_options(&top);
            }
            // Then its Do it, if the step is taller than the column: the button and the
            // question matter more than the title.
            if let Ok(Some(button)) = el.query_selector("[data-testid=lesson-do]") {
                button.scroll_into_view_with_scroll_into_view_options(&options);
            }
        }
    });
}

/// The step's narration, and the tutorial's line it is about with its neighbours (the code
/// panel has the whole listing).
fn narration(step: &StepShown, seed_line: &str) -> Html {
    let line = step.seed.listing.line(step.seed.point);
    html! {
        <div class="lesson-narration" data-testid="lesson-narration">
            { for step.narration.iter().map(|sentence| html! { <p>{ prose(sentence) }</p> }) }
            if let Some(line) = line {
                <p class="lesson-seed-line">{ with_count(seed_line, line) }</p>
                <ol class="lesson-code" data-testid="lesson-code" data-line={line.to_string()}>
                    { for code_excerpt(step.seed.listing.source(), line, 2).into_iter().map(|(n, text)| html! {
                        <li class={classes!((n == line).then_some("lit"))} data-line={n.to_string()}>
                            <span class="gutter">{ n }</span><code>{ text }</code>
                        </li>
                    }) }
                </ol>
            }
        </div>
    }
}

/// The step's question, once the step is reached; its marks once ZooKeeper has answered.
fn quiz(props: &StepItemProps) -> Option<Html> {
    let (step, panel) = (&props.step, &props.panel);
    let quiz = step
        .quiz
        .as_ref()
        .filter(|_| step.status != StepStatus::Todo)?;
    let options = quiz.options.iter().enumerate().map(|(i, option)| {
        let choose = {
            let (on_answer, lesson, attempt, at) =
                (props.on_answer.clone(), props.lesson, props.attempt, step.index);
            Callback::from(move |_| on_answer.emit((lesson, attempt, at, i)))
        };
        // Nothing is marked before ZooKeeper has answered.
        let marks = match option.mark {
            Some(QuizMark::Right) => format!("✓ {} · {}", panel.your_answer, panel.what_happened),
            Some(QuizMark::Wrong) => format!("✗ {}", panel.your_answer),
            Some(QuizMark::Happened) => format!("✓ {}", panel.what_happened),
            None => String::new(),
        };
        html! {
            <li>
                <button class={classes!("lesson-quiz-option", option.chosen.then_some("chosen"), option.happened.then_some("happened"))}
                    data-testid="lesson-quiz-option" data-option={option.key.clone()}
                    data-chosen={option.chosen.to_string()} data-happened={option.happened.to_string()}
                    disabled={quiz.answered || quiz.decided || step.status != StepStatus::Current}
                    onclick={choose}>
                    { option.text.clone() }
                </button>
                if !marks.is_empty() {
                    <span class="lesson-quiz-mark">{ marks }</span>
                }
            </li>
        }
    });
    Some(html! {
        <div class="lesson-quiz" data-testid="lesson-quiz" data-answered={quiz.answered.to_string()}>
            <p class="lesson-quiz-question"><span class="predict">{ panel.predict.clone() }</span>{ " " }{ quiz.question.clone() }</p>
            <ol class="lesson-quiz-options">{ for options }</ol>
        </div>
    })
}
