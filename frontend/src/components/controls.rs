//! The control bar: the recipe, add a client, the hold and pause times, and time itself.

use shared::classroom::Need;
use shared::{ClientMsg, LockRecipeKind, MAX_HOLD_MS, MAX_PAUSE_MS};
use yew::prelude::*;

use super::context::{use_page, use_room, Page};
use super::time_control::TimeControl;
use crate::i18n::Text;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub pause_ms: u64,
    pub on_pause_ms: Callback<u64>,
}

/// How a recipe is described in the selector.
pub fn recipe_text(recipe: LockRecipeKind) -> Text {
    match recipe {
        LockRecipeKind::Predecessor => Text::RecipePredecessor,
        LockRecipeKind::PredecessorNaive => Text::RecipeNaive,
        LockRecipeKind::ChildrenWatch => Text::RecipeChildren,
        LockRecipeKind::Script => Text::RecipeScript,
    }
}

/// An input that shows `value` when `value` changes, and otherwise leaves what the user types
/// alone (a controlled input would be reset by every re-render, and events re-render often).
#[hook]
fn use_synced_input(value: u64) -> NodeRef {
    let input = use_node_ref();
    {
        let input = input.clone();
        use_effect_with(value, move |value| {
            if let Some(el) = input.cast::<web_sys::HtmlInputElement>() {
                el.set_value(&value.to_string());
            }
        });
    }
    input
}

#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let Page { lang, link, member } = use_page();
    let view = use_room();
    let runs = member.role.runs_the_room();
    let adds = member.may(Need::AddOwn, |_| None).is_ok();
    let hold_input = use_synced_input(view.hold_ms);
    let pause_input = use_synced_input(props.pause_ms);
    let add = {
        let link = link.clone();
        Callback::from(move |_| link.send(ClientMsg::AddLockClient))
    };
    let set_hold = {
        let link = link.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(hold_ms) = input.value().trim().parse::<u64>() {
                link.send(ClientMsg::SetHoldMs { hold_ms });
            }
        })
    };
    let set_recipe = {
        let link = link.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(recipe) = LockRecipeKind::from_name(&select.value()) {
                link.send(ClientMsg::SetRecipe { recipe });
            }
        })
    };
    let set_pause = {
        let on_pause_ms = props.on_pause_ms.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(ms) = input.value().trim().parse::<u64>() {
                on_pause_ms.emit(ms.clamp(1, MAX_PAUSE_MS));
            }
        })
    };
    html! {
        <section class="controls">
            <label class="recipe">
                <span>{ Text::Recipe.get(lang) }</span>
                <select data-testid="recipe-select" onchange={set_recipe} disabled={!runs}>
                    { for LockRecipeKind::ALL.iter().map(|r| html! {
                        <option value={r.as_str()} selected={*r == view.recipe}>
                            { format!("{} — {}", r.as_str(), recipe_text(*r).get(lang)) }
                        </option>
                    }) }
                    // The room's own recipe, once it has one.
                    if view.script.source.is_some() {
                        <option value="script" selected={view.recipe == LockRecipeKind::Script}>
                            { recipe_text(LockRecipeKind::Script).get(lang) }
                        </option>
                    }
                </select>
            </label>
            if adds {
                <button class="primary" data-testid="add-lock-client" onclick={add} title="A">
                    { format!("+ {}", Text::AddClient.get(lang)) }
                </button>
            }
            <label class="hold">
                <span>{ Text::HoldMs.get(lang) }</span>
                <input ref={hold_input} type="number" min="0" max={MAX_HOLD_MS.to_string()} step="500"
                    data-testid="hold-ms" onchange={set_hold} disabled={!runs} />
                <small>{ Text::HoldHint.get(lang) }</small>
            </label>
            <label class="hold">
                <span>{ Text::PauseMs.get(lang) }</span>
                <input ref={pause_input} type="number" min="1" max={MAX_PAUSE_MS.to_string()} step="1000"
                    data-testid="pause-ms" onchange={set_pause} />
            </label>
            <TimeControl />
        </section>
    }
}
