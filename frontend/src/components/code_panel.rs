//! The seed's Java beside the clients: each client's badge on the line it is at, live and in
//! step mode alike; the selected client's line lit.

use shared::{ClientId, RoomView, SeedListing};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::context::{use_page, use_room, Page};
use crate::code::{badges, client_line, listings, script_badges, shown_badges};
use crate::i18n::Text;
use crate::texts::RecipeText;

#[derive(Properties, PartialEq)]
pub struct CodePanelProps {
    pub selected: Option<ClientId>,
    pub on_select: Callback<Option<ClientId>>,
    /// The line the current lesson step illustrates.
    #[prop_or_default]
    pub lesson_line: Option<(SeedListing, u32)>,
}

fn listing_name(listing: SeedListing) -> &'static str {
    match listing {
        SeedListing::DistributedClientFixed => "DistributedClient (+ 思考 fix)",
        SeedListing::DistributedClient => "DistributedClient",
        SeedListing::DistributedClient2 => "DistributedClient2",
        SeedListing::AppServer => "AppServer",
        SeedListing::AppClient => "AppClient",
    }
}

fn listing_id(listing: SeedListing) -> &'static str {
    match listing {
        SeedListing::DistributedClientFixed => "distributed-client-fixed",
        SeedListing::DistributedClient => "distributed-client",
        SeedListing::DistributedClient2 => "distributed-client2",
        SeedListing::AppServer => "app-server",
        SeedListing::AppClient => "app-client",
    }
}

/// The listings the room's clients run, and the lesson's.
fn listings_with(view: &RoomView, lesson_line: Option<(SeedListing, u32)>) -> Vec<SeedListing> {
    let mut available = listings(view);
    if let Some((listing, _)) = lesson_line {
        if !available.contains(&listing) {
            available.push(listing);
        }
    }
    available
}

/// The lines of `listing` where a waiting move stands, oldest first.
fn pending_lines(view: &RoomView, listing: SeedListing) -> Vec<u32> {
    view.time
        .pending
        .iter()
        .filter_map(|p| {
            let (runs, line) = client_line(view, p.client)?;
            (runs == listing).then_some(line)
        })
        .collect()
}

#[function_component(CodePanel)]
pub fn code_panel(props: &CodePanelProps) -> Html {
    let Page { lang, .. } = use_page();
    let view = use_room();
    let view = &view;
    let available = listings_with(view, props.lesson_line);
    // A tab of the user's, or the selected client's listing, or the lesson's, or the lock
    // recipe's.
    let tab = use_state_eq(|| None::<SeedListing>);
    let selected_line = props.selected.and_then(|c| client_line(view, c));
    {
        let tab = tab.clone();
        let follow = selected_line.or(props.lesson_line).map(|(l, _)| l);
        use_effect_with(follow, move |listing| {
            if let Some(listing) = listing {
                tab.set(Some(*listing));
            }
        });
    }
    let listing = tab
        .filter(|l| available.contains(l))
        .unwrap_or(available[0]);
    let lines = badges(view, listing);
    let pending_lines = pending_lines(view, listing);
    let lit = selected_line.filter(|(l, _)| *l == listing).map(|(_, n)| n);
    let lesson_line = props
        .lesson_line
        .filter(|(l, _)| *l == listing)
        .map(|(_, n)| n);
    // Keep the line that matters in view: the selected client's, else the lesson's, else the
    // oldest waiting move's.
    let focus = lit
        .or(lesson_line)
        .or_else(|| pending_lines.first().copied());
    let code = use_node_ref();
    use_line_in_view(code.clone(), listing, focus);
    let tabs = available.iter().map(|l| {
        let choose = {
            let (tab, l) = (tab.clone(), *l);
            Callback::from(move |_| tab.set(Some(l)))
        };
        html! {
            <button class={classes!("code-tab", (*l == listing).then_some("current"))}
                data-testid="code-listing" data-listing={listing_id(*l)} onclick={choose}>
                { listing_name(*l) }
            </button>
        }
    });
    let rows = listing.source().lines().enumerate().map(|(i, text)| {
        let n = i as u32 + 1;
        let here = lines.get(&n).map(Vec::as_slice).unwrap_or_default();
        let selected = props.selected.filter(|c| here.contains(c));
        let (clients, more) = shown_badges(here, selected, BADGES_PER_LINE);
        html! {
            <CodeLine key={n} n={n} text={AttrValue::Static(text)} clients={clients} more={more} selected={selected}
                waits_here={pending_lines.contains(&n)} lit={lit == Some(n)}
                lesson={lesson_line == Some(n)}
                on_select={props.on_select.clone()} />
        }
    });
    html! {
        <section class="code-panel" data-testid="code-panel" data-listing={listing_id(listing)}>
            <h2>{ Text::CodeTitle.get(lang) }</h2>
            <ScriptCode selected={props.selected} on_select={props.on_select.clone()} />
            <div class="code-tabs">{ for tabs }</div>
            <ol class="code" ref={code}>{ for rows }</ol>
            <p class="code-note">{ Text::CodeMended.get(lang) }</p>
        </section>
    }
}

/// The room's own recipe, while its lock clients run it: each client's badge on the line of
/// its last call.
#[function_component(ScriptCode)]
fn script_code(props: &ScriptCodeProps) -> Html {
    let Page { lang, .. } = use_page();
    let view = use_room();
    // Its lines made once per recipe, not at every event the room has.
    let texts = use_memo(view.script.source.clone(), |source| {
        let lines = source.as_deref().unwrap_or_default().lines();
        lines
            .map(|l| AttrValue::from(l.to_string()))
            .collect::<Vec<_>>()
    });
    if view.recipe != shared::LockRecipeKind::Script || texts.is_empty() {
        return html! {};
    }
    let lines = script_badges(&view);
    let rows = texts.iter().enumerate().map(|(i, text)| {
        let n = i as u32 + 1;
        let here = lines.get(&n).map(Vec::as_slice).unwrap_or_default();
        let selected = props.selected.filter(|c| here.contains(c));
        let (clients, more) = shown_badges(here, selected, BADGES_PER_LINE);
        html! {
            <CodeLine key={n} n={n} text={text.clone()} clients={clients}
                more={more} selected={selected} waits_here={false} lit={selected.is_some()}
                lesson={false} on_select={props.on_select.clone()} />
        }
    });
    html! {
        <div class="script-code" data-testid="script-code">
            <h3>{ RecipeText::RoomRuns.get(lang) }</h3>
            <ol class="code">{ for rows }</ol>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ScriptCodeProps {
    selected: Option<ClientId>,
    on_select: Callback<Option<ClientId>>,
}

/// Keeps `focus` (a line of `listing`) in view in the code list: a third of the way down.
#[hook]
fn use_line_in_view(code: NodeRef, listing: SeedListing, focus: Option<u32>) {
    use_effect_with((listing, focus), move |(_, focus)| {
        if let (Some(line), Some(list)) = (focus, code.cast::<web_sys::HtmlElement>()) {
            let row = list
                .children()
                .item(line.saturating_sub(1))
                .and_then(|row| row.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(row) = row {
                // The list is positioned, so a row's offset is from the list's own top.
                let top = row.offset_top() - list.client_height() / 3;
                list.set_scroll_top(top.max(0));
            }
        }
    });
}

/// Badges drawn on one line at most; the rest are counted.
const BADGES_PER_LINE: usize = 12;

#[derive(Properties, PartialEq)]
struct CodeLineProps {
    n: u32,
    text: AttrValue,
    /// The clients standing on this line, as many as are drawn.
    clients: Vec<ClientId>,
    /// How many more stand here.
    more: usize,
    /// The selected client, if it stands here.
    selected: Option<ClientId>,
    waits_here: bool,
    lit: bool,
    /// The line the current lesson step illustrates.
    lesson: bool,
    on_select: Callback<Option<ClientId>>,
}

/// One line of a listing. Its own component, so an event re-renders only the lines whose
/// badges changed (a listing has up to 120 lines, and a busy room has many events a second).
#[function_component(CodeLine)]
fn code_line(props: &CodeLineProps) -> Html {
    let classes = classes!(
        "code-line",
        (!props.clients.is_empty()).then_some("occupied"),
        props.waits_here.then_some("waits-here"),
        props.lit.then_some("selected"),
        props.lesson.then_some("lesson-line")
    );
    html! {
        <li class={classes} data-testid="code-line" data-line={props.n.to_string()}
            data-lesson-line={props.lesson.then_some("true")}>
            <span class="gutter">{ props.n }</span>
            <span class="badges">
                { for props.clients.iter().map(|c| {
                    let select = {
                        let (on_select, c) = (props.on_select.clone(), *c);
                        Callback::from(move |_| on_select.emit(Some(c)))
                    };
                    html! {
                        <button key={*c} class={classes!("code-badge", (props.selected == Some(*c)).then_some("selected"))}
                            data-testid="code-badge" data-client={c.to_string()} onclick={select}>
                            { c }
                        </button>
                    }
                }) }
                if props.more > 0 {
                    <span class="code-more">{ format!("+{}", props.more) }</span>
                }
            </span>
            <code>{ props.text.clone() }</code>
        </li>
    }
}
