//! The recipe panel: the learner's own lock in a code editor, beside the seed's Java; Check (the
//! model checker's verdict, the room's), Play the failure (step mode on the real ensemble), Run it
//! live (the room's lock clients run it), and a link that shares it.

use shared::recipe::{RecipeTemplate, VerdictStatus};
use shared::ClientMsg;
use yew::prelude::*;

use super::context::{use_page, use_room, Page};
use super::editor::{Editor, Mark};
use crate::i18n::Lang;
use crate::page;
use crate::recipe::{
    error_place, error_words, moves_words, verdict_lines, RecipeDraft, API_CALLS, API_HANDLERS,
};
use crate::state::Action;
use crate::texts::{fill, RecipeText as R};
use crate::ws::ServerLink;

#[derive(Properties, PartialEq)]
pub struct RecipePanelProps {
    pub draft: RecipeDraft,
    pub dispatch: Callback<Action>,
}

fn template_text(template: RecipeTemplate) -> R {
    match template {
        RecipeTemplate::PredecessorNaive => R::TemplatePredecessorNaive,
        RecipeTemplate::Predecessor => R::TemplatePredecessor,
        RecipeTemplate::ChildrenWatch => R::TemplateChildrenWatch,
        RecipeTemplate::Skeleton => R::TemplateSkeleton,
    }
}

/// What the panel's controls send.
struct Intents {
    edit: Callback<String>,
    pick: Callback<Event>,
    check: Callback<MouseEvent>,
    run: Callback<MouseEvent>,
    play: Callback<MouseEvent>,
    share: Callback<MouseEvent>,
}

#[hook]
fn use_intents(
    props: &RecipePanelProps,
    link: &ServerLink,
    shared: &UseStateHandle<bool>,
) -> Intents {
    let source = props.draft.source.clone();
    let edit = {
        let (dispatch, shared) = (props.dispatch.clone(), shared.clone());
        Callback::from(move |text: String| {
            page::remember_recipe(&text);
            shared.set(false);
            dispatch.emit(Action::RecipeEdit(text.into()));
        })
    };
    let pick = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(template) = RecipeTemplate::parse(&select.value()) {
                dispatch.emit(Action::RecipeWanted(template));
            }
        })
    };
    let check = {
        let (link, dispatch, source) = (link.clone(), props.dispatch.clone(), source.clone());
        Callback::from(move |_: MouseEvent| {
            dispatch.emit(Action::RecipeChecking(source.clone()));
            link.send(ClientMsg::CheckRecipe {
                source: source.to_string(),
            });
        })
    };
    let run = {
        let (link, source) = (link.clone(), source.clone());
        Callback::from(move |_: MouseEvent| {
            link.send(ClientMsg::RunRecipe {
                source: source.to_string(),
            })
        })
    };
    // The failure is drawn on the timeline as it plays.
    let play = {
        let (link, dispatch) = (link.clone(), props.dispatch.clone());
        Callback::from(move |_: MouseEvent| {
            dispatch.emit(Action::Timeline(true));
            link.send(ClientMsg::PlayFailure)
        })
    };
    let share = {
        let shared = shared.clone();
        Callback::from(move |_: MouseEvent| {
            page::copy_recipe_link(&source);
            shared.set(true);
        })
    };
    Intents {
        edit,
        pick,
        check,
        run,
        play,
        share,
    }
}

/// What the panel's buttons may do now.
struct Able {
    checking: bool,
    failed: bool,
    too_long: bool,
    runs: bool,
    running: bool,
    shared: bool,
}

/// Fetches the template the draft wants, and puts it in the editor (and this browser's keep).
#[hook]
fn use_template(wanted: Option<RecipeTemplate>, dispatch: Callback<Action>) {
    use_effect_with(wanted, move |wanted| {
        if let Some(template) = *wanted {
            wasm_bindgen_futures::spawn_local(async move {
                let path = format!("/recipes/{}.rhai", template.as_str());
                match page::request_text(&path, "GET").await {
                    Ok(text) => {
                        page::remember_recipe(&text);
                        dispatch.emit(Action::RecipePicked(template, text.into()));
                    }
                    Err(e) => web_sys::console::warn_1(&format!("zkplay: {e}").into()),
                }
            });
        }
    });
}

/// The panel comes into view when it opens: under a tall queue it would open out of sight.
#[hook]
fn use_into_view(panel: NodeRef) {
    use_effect_with((), move |_| {
        if let Some(panel) = panel.cast::<web_sys::Element>() {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            panel.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });
}

#[function_component(RecipePanel)]
pub fn recipe_panel(props: &RecipePanelProps) -> Html {
    let Page { lang, link, member } = use_page();
    let view = use_room();
    let panel = use_node_ref();
    use_into_view(panel.clone());
    let shared = use_state_eq(|| false);
    use_template(props.draft.wanted, props.dispatch.clone());
    let intents = use_intents(props, &link, &shared);
    let draft = &props.draft;
    let verdict = draft.verdict(&view).cloned();
    let checking = draft.checking.as_deref() == Some(&*draft.source);
    let mark = verdict
        .as_ref()
        .and_then(|v| v.error.as_ref())
        .and_then(|e| {
            Some(Mark {
                line: e.line?,
                column: e.column.unwrap_or(1),
                text: error_words(e, lang),
            })
        });
    let stale = verdict.is_none() && view.script.checked.is_some() && !checking;
    let too_long = draft.too_long().then(|| {
        let bytes = draft.source.len().to_string();
        let limit = shared::recipe::RECIPE_SOURCE_MAX.to_string();
        fill(
            R::TooLong.get(lang),
            &[("bytes", &bytes), ("limit", &limit)],
        )
    });
    let able = Able {
        checking,
        failed: verdict
            .as_ref()
            .is_some_and(|v| v.status != VerdictStatus::Safe && !v.moves.is_empty()),
        too_long: too_long.is_some(),
        runs: member.role.runs_the_room(),
        running: draft.is_running(&view),
        shared: *shared,
    };
    let hide = props
        .dispatch
        .reform(|_: MouseEvent| Action::RecipePanel(false));
    html! {
        <section class="panel recipe-panel" data-testid="recipe-panel" aria-labelledby="recipe-title"
            ref={panel}>
            <div class="panel-head">
                <h2 id="recipe-title">{ R::Title.get(lang) }</h2>
                <button class="hide" onclick={hide}>{ R::Hide.get(lang) }</button>
            </div>
            { bar(draft.template(), &intents, &able, lang) }
            <Editor source={draft.source.clone()} on_change={intents.edit.clone()} mark={mark}
                label={AttrValue::from(R::EditorLabel.get(lang))} />
            if let Some(long) = too_long {
                <p class="recipe-note" role="status">{ long }</p>
            }
            { verdict_block(&verdict, checking, stale, lang) }
            <ApiReference />
        </section>
    }
}

/// The template picker and the panel's buttons.
fn bar(template: Option<RecipeTemplate>, intents: &Intents, able: &Able, lang: Lang) -> Html {
    html! {
        <div class="recipe-bar">
            <label>{ R::StartFrom.get(lang) }{ " " }
                <select data-testid="recipe-template" onchange={intents.pick.clone()}>
                    if template.is_none() {
                        <option selected=true value="">{ R::TemplateEdited.get(lang) }</option>
                    }
                    { for RecipeTemplate::ALL.iter().map(|t| html! {
                        <option value={t.as_str()} selected={template == Some(*t)}>
                            { template_text(*t).get(lang) }
                        </option>
                    }) }
                </select>
            </label>
            <button data-testid="recipe-check" class="primary" onclick={intents.check.clone()}
                disabled={able.checking || able.too_long || !able.runs} title={R::CheckTitle.get(lang)}>
                { R::Check.get(lang) }
            </button>
            <button data-testid="recipe-play-failure" onclick={intents.play.clone()}
                disabled={!able.failed || !able.runs} title={R::PlayTitle.get(lang)}>
                { R::Play.get(lang) }
            </button>
            <button data-testid="recipe-run" onclick={intents.run.clone()} aria-pressed={able.running.to_string()}
                disabled={able.too_long || !able.runs} title={R::RunTitle.get(lang)}>
                { if able.running { R::Running.get(lang) } else { R::Run.get(lang) } }
            </button>
            <button data-testid="recipe-share" onclick={intents.share.clone()} title={R::ShareTitle.get(lang)}>
                { if able.shared { R::Shared.get(lang) } else { R::Share.get(lang) } }
            </button>
        </div>
    }
}

/// The verdict, or that it is being checked, or that it is about an earlier text.
fn verdict_block(
    verdict: &Option<shared::recipe::Verdict>,
    checking: bool,
    stale: bool,
    lang: Lang,
) -> Html {
    if checking {
        return html! {
            <div class="recipe-verdict" data-testid="recipe-verdict" data-status="checking" role="status">
                { R::Checking.get(lang) }
            </div>
        };
    }
    let Some(v) = verdict else {
        return html! {
            if stale {
                <p class="recipe-note" data-testid="recipe-stale">{ R::Stale.get(lang) }</p>
            }
        };
    };
    let status = match v.status {
        VerdictStatus::Safe => "safe",
        VerdictStatus::Unsafe => "unsafe",
        VerdictStatus::Error => "error",
    };
    let lines = verdict_lines(v, lang);
    let error = v.error.as_ref().map(|e| {
        let place = error_place(e, lang);
        html! {
            <div class="recipe-error" data-testid="recipe-error"
                data-line={e.line.map(|l| l.to_string())} data-column={e.column.map(|c| c.to_string())}>
                if let Some(place) = place { <strong>{ place }</strong>{ " " } }
                <code>{ e.detail.clone() }</code>
            </div>
        }
    });
    html! {
        <div class={classes!("recipe-verdict", status)} data-testid="recipe-verdict" role="status"
            data-status={status} data-states={v.states.to_string()} data-moves={v.moves.len().to_string()}
            data-clients={v.clients.to_string()}>
            <p class="verdict-on">{ R::VerdictOn.get(lang) }</p>
            <p class="verdict-head">{ lines[0].clone() }</p>
            { for lines[1..].iter().map(|l| html! { <p>{ l.clone() }</p> }) }
            { for error }
            if !v.moves.is_empty() {
                <ol class="recipe-moves" data-testid="recipe-moves">
                    { for moves_words(v, lang).into_iter().map(|m| html! { <li>{ m }</li> }) }
                </ol>
            }
        </div>
    }
}

/// The API, each handler and call beside the seed's Java.
#[function_component(ApiReference)]
fn api_reference() -> Html {
    let Page { lang, .. } = use_page();
    let rows = |table: &[(&str, &str)]| {
        table
            .iter()
            .map(|(rhai, java)| html! { <tr><td><code>{ *rhai }</code></td><td><code>{ *java }</code></td></tr> })
            .collect::<Html>()
    };
    html! {
        <details class="recipe-api" data-testid="recipe-api">
            <summary>{ R::Api.get(lang) }</summary>
            <p>{ R::ApiThis.get(lang) }</p>
            <table>
                <caption>{ R::ApiHandlers.get(lang) }</caption>
                <tbody>{ rows(&API_HANDLERS) }</tbody>
            </table>
            <table>
                <caption>{ R::ApiCalls.get(lang) }</caption>
                <tbody>{ rows(&API_CALLS) }</tbody>
            </table>
            <p class="recipe-note">{ R::ApiFixes.get(lang) }</p>
        </details>
    }
}
