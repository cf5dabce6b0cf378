//! The timeline: the room's space-time diagram ([`shared::diagram`]), drawn as the very SVG
//! Export saves, with what a click picks explained under it. A click on an arrow lights its
//! line of the seed's code; on a lane's name, keeps only that lane; on a folded band, opens
//! it; on a waiting move (step mode), lets it go.

use std::rc::Rc;

use shared::diagram::svg::{self, Part, Words};
use shared::diagram::{self, Details, Diagram, DiagramOptions, LaneId, Mark};
use shared::{CallReply, ClientMsg, RoomView, SeedListing};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::context::{use_page, use_room, Page};
use crate::i18n::{client_name, Lang, Text};
use crate::texts::{fill, TimelineText as T};

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub on_hide: Callback<MouseEvent>,
    /// The seed's line of what was picked (`None` when nothing is).
    pub on_trace: Callback<Option<(SeedListing, u32)>>,
    /// The room's history before the page came is being read.
    #[prop_or_default]
    pub reading_history: bool,
}

/// The drawing's words in `lang`.
pub fn words(lang: Lang) -> Words<'static> {
    Words {
        zookeeper: T::Zookeeper.get(lang),
        lock: Text::Client.get(lang),
        server: Text::Server.get(lang),
        app: T::App.get(lang),
        earlier: T::Earlier.get(lang),
        hand_offs: T::HandOffs.get(lang),
        idle: T::Idle.get(lang),
        forgotten: T::Forgotten.get(lang),
        order_note: T::OrderNote.get(lang),
        title: T::Title.get(lang),
        crashed: T::EndCrashed.get(lang),
        killed: T::EndKilled.get(lang),
        failed: T::EndFailed.get(lang),
        expired: T::EndExpired.get(lang),
        two_holders: T::TwoHolders.get(lang),
    }
}

/// The diagram's key for a memo: the view by identity (a new event is a new view), and what
/// the viewer asked.
#[derive(PartialEq)]
struct Drawn(usize, DiagramOptions);

/// Redraws of the timeline are at least this far apart (ms): a busy room changes hundreds of
/// times a second, and a drawing of hundreds of rows each time would cost every frame.
pub const REDRAW_MS: f64 = 250.0;

#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let Page { lang, link, .. } = use_page();
    let room = use_room();
    let view = use_drawn_view(room);
    let options = use_state_eq(DiagramOptions::default);
    let follow = use_state_eq(|| true);
    let body = use_node_ref();
    let drawn = use_drawing(view.clone(), (*options).clone(), lang);
    use_follow_newest(body.clone(), *follow, drawn.diagram.height);
    let on_body_click = on_body_click(&view, &options, &link, &props.on_trace);
    let on_head_click = on_head_click(&options);
    let on_scroll = on_scroll(&follow, &body);
    let newest = {
        let follow = follow.clone();
        Callback::from(move |_| follow.set(true))
    };
    let export = on_export(view.clone(), (*options).clone(), lang);
    let empty = view
        .spacetime
        .as_ref()
        .is_none_or(|st| st.calls.is_empty() && st.lanes.is_empty());
    let only = options.only.map(|lane| lane_name(&view, lane, lang));
    let details = options
        .picked
        .and_then(|mark| diagram::details(&view, mark))
        .map(|d| details_box(&d, &view, lang, &options, &props.on_trace));
    html! {
        <section class="timeline" data-testid="spacetime" aria-label={T::Toggle.get(lang)}
            data-seq={view.seq.to_string()}>
            <header class="timeline-bar">
                <h2 title={T::ToggleTitle.get(lang)}>{ T::Toggle.get(lang) }</h2>
                { legend(lang) }
                <button data-testid="st-export" title={T::ExportTitle.get(lang)} onclick={export}>
                    { T::Export.get(lang) }
                </button>
                if !*follow {
                    <button data-testid="st-newest" title={T::NewestTitle.get(lang)} onclick={newest}>
                        { T::Newest.get(lang) }
                    </button>
                }
                <button data-testid="st-hide" onclick={props.on_hide.clone()}>{ T::Hide.get(lang) }</button>
            </header>
            if props.reading_history {
                <p class="timeline-only" data-testid="st-reading">{ T::Reading.get(lang) }</p>
            }
            if let Some(lane) = only {
                <p class="timeline-only" data-testid="st-only">{ fill(T::Only.get(lang), &[("lane", &lane)]) }</p>
            }
            if empty {
                <p class="empty" data-testid="st-empty">{ T::Empty.get(lang) }</p>
            } else {
                <div class="timeline-scroll" ref={body} onscroll={on_scroll}>
                    <div class="timeline-head" title={T::LaneTitle.get(lang)} onclick={on_head_click}>
                        { Html::from_html_unchecked(drawn.head.clone()) }
                    </div>
                    // The layers, stacked: an event redraws only the layers it changed.
                    <div class="timeline-body" onclick={on_body_click} style={drawn.size.clone()}>
                        { for drawn.layers.iter().map(|layer| Html::from_html_unchecked(layer.clone())) }
                    </div>
                </div>
                <p class="timeline-order">{ T::OrderNote.get(lang) }</p>
            }
            { for details }
        </section>
    }
}

/// The diagram and its SVG: the lane names, the body's layers, the body's size.
struct Drawing {
    diagram: Diagram,
    head: AttrValue,
    layers: Vec<AttrValue>,
    size: AttrValue,
}

/// The drawing of `view`, made again only for a new view or new options.
#[hook]
fn use_drawing(view: Rc<RoomView>, options: DiagramOptions, lang: Lang) -> Rc<Drawing> {
    let words = use_memo(lang, |lang| words(*lang));
    let key = Drawn(Rc::as_ptr(&view) as usize, options);
    use_memo(key, move |Drawn(_, options)| {
        let diagram = Diagram::of(&view, options);
        let head = AttrValue::from(svg::render(&diagram, &words, Part::Head));
        let layers = svg::layers(&diagram, &words);
        let size = format!(
            "width: {}px; height: {}px",
            diagram.width.ceil() as u32,
            (diagram.height - svg::HEAD_HEIGHT).ceil() as u32
        );
        Drawing {
            head,
            layers: layers.into_iter().map(AttrValue::from).collect(),
            size: AttrValue::from(size),
            diagram,
        }
    })
}

/// The room as the timeline draws it: the newest view, at once if the last redraw is
/// [`REDRAW_MS`] old, else when it is.
#[hook]
fn use_drawn_view(view: Rc<RoomView>) -> Rc<RoomView> {
    let drawn = use_state(|| view.clone());
    let latest = use_mut_ref(|| view.clone());
    let pending = use_mut_ref(|| None::<gloo_timers::callback::Timeout>);
    let last_ms = use_mut_ref(|| 0.0_f64);
    *latest.borrow_mut() = view.clone();
    {
        let drawn = drawn.clone();
        use_effect_with(Rc::as_ptr(&view) as usize, move |_| {
            if Rc::ptr_eq(&drawn, &latest.borrow()) || pending.borrow().is_some() {
                return;
            }
            let wait = (*last_ms.borrow() + REDRAW_MS - js_sys::Date::now()).max(0.0);
            let next = pending.clone();
            let redraw = gloo_timers::callback::Timeout::new(wait as u32, move || {
                next.borrow_mut().take();
                *last_ms.borrow_mut() = js_sys::Date::now();
                drawn.set(latest.borrow().clone());
            });
            *pending.borrow_mut() = Some(redraw);
        });
    }
    (*drawn).clone()
}

/// A lane's name keeps only that lane; again, every lane.
fn on_head_click(options: &UseStateHandle<DiagramOptions>) -> Callback<MouseEvent> {
    let options = options.clone();
    Callback::from(move |e: MouseEvent| {
        let lane = picked(&e, "data-lane").and_then(|k| LaneId::parse(&k));
        let Some(lane) = lane else { return };
        let mut next = (*options).clone();
        next.only = (next.only != Some(lane) && lane != LaneId::Zk).then_some(lane);
        options.set(next);
    })
}

/// Scrolled back, the drawing stops following the newest rows; at the bottom, it follows.
fn on_scroll(follow: &UseStateHandle<bool>, body: &NodeRef) -> Callback<Event> {
    let (follow, body) = (follow.clone(), body.clone());
    Callback::from(move |_| {
        if let Some(el) = body.cast::<web_sys::Element>() {
            follow.set(el.scroll_top() + el.client_height() >= el.scroll_height() - 24);
        }
    })
}

/// Keeps the newest rows in view while the viewer has not scrolled back.
#[hook]
fn use_follow_newest(body: NodeRef, follow: bool, height: f32) {
    use_effect_with((follow, height.to_bits()), move |(follow, _)| {
        if *follow {
            if let Some(el) = body.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        }
    });
}

/// The value of `attribute` on the clicked shape or the nearest group around it.
fn picked(e: &MouseEvent, attribute: &str) -> Option<String> {
    let target = e.target()?.dyn_into::<web_sys::Element>().ok()?;
    let shape = target.closest(&format!("[{attribute}]")).ok()??;
    shape.get_attribute(attribute)
}

fn on_body_click(
    view: &Rc<RoomView>,
    options: &UseStateHandle<DiagramOptions>,
    link: &crate::ws::ServerLink,
    on_trace: &Callback<Option<(SeedListing, u32)>>,
) -> Callback<MouseEvent> {
    let (view, options, link, on_trace) = (
        view.clone(),
        options.clone(),
        link.clone(),
        on_trace.clone(),
    );
    Callback::from(move |e: MouseEvent| {
        if let Some(id) = picked(&e, "data-move").and_then(|m| m.parse().ok()) {
            link.send(ClientMsg::StepNext { id: Some(id) });
            return;
        }
        let mut next = (*options).clone();
        if let Some(row) = picked(&e, "data-fold").and_then(|r| r.parse().ok()) {
            next.opened.push(row);
        } else {
            let mark = picked(&e, "data-mark").and_then(|m| Mark::parse(&m));
            next.picked = mark.filter(|m| next.picked != Some(*m));
            on_trace.emit(next.picked.and_then(|m| seed_line(&view, m)));
        }
        options.set(next);
    })
}

/// The seed's line of a mark, as the code panel numbers it.
fn seed_line(view: &RoomView, mark: Mark) -> Option<(SeedListing, u32)> {
    let (listing, point) = diagram::details(view, mark)?.seed?;
    Some((listing, listing.line(point)?))
}

fn on_export(view: Rc<RoomView>, options: DiagramOptions, lang: Lang) -> Callback<MouseEvent> {
    Callback::from(move |_| {
        let whole = svg::render(&Diagram::of(&view, &options), &words(lang), Part::Whole);
        let href = format!(
            "data:image/svg+xml;charset=utf-8,{}",
            js_sys::encode_uri_component(&whole)
        );
        let anchor = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("a").ok())
            .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
        if let Some(a) = anchor {
            a.set_href(&href);
            a.set_download(&format!("zkplay-{}-timeline.svg", view.room));
            a.click();
        }
    })
}

/// What the shapes mean (whose order the rows are is said under the drawing).
fn legend(lang: Lang) -> Html {
    html! {
        <p class="timeline-legend" data-testid="st-legend">
            // ZooKeeper's lane is on the left: calls point left, answers and notifications right.
            <span class="st-key call">{ "← " }{ T::LegendCall.get(lang) }</span>
            <span class="st-key reply">{ "→ " }{ T::LegendReply.get(lang) }</span>
            <span class="st-key notify">{ "⇢ " }{ T::LegendNotify.get(lang) }</span>
            <span class="st-key hold">{ "▮ " }{ T::LegendHold.get(lang) }</span>
            <span class="st-key">{ "◆ " }{ T::LegendWrite.get(lang) }</span>
            <span class="st-key">{ "● " }{ T::LegendZxid.get(lang) }</span>
        </p>
    }
}

/// A lane as the page names it.
fn lane_name(view: &RoomView, lane: LaneId, lang: Lang) -> String {
    match lane {
        LaneId::Zk => T::Zookeeper.get(lang).to_string(),
        LaneId::Client(client) => client_name(&view.names, client, lang),
        LaneId::Earlier(session) => fill(T::Earlier.get(lang), &[("s", &session)]),
    }
}

fn details_box(
    d: &Details,
    view: &RoomView,
    lang: Lang,
    options: &UseStateHandle<DiagramOptions>,
    on_trace: &Callback<Option<(SeedListing, u32)>>,
) -> Html {
    let close = {
        let (options, on_trace) = (options.clone(), on_trace.clone());
        Callback::from(move |_| {
            let mut next = (*options).clone();
            next.picked = None;
            options.set(next);
            on_trace.emit(None);
        })
    };
    html! {
        <div class="timeline-details" data-testid="st-details" data-mark={d.mark.key()}>
            { for details_lines(d, view, lang).into_iter().map(|l| html! { <p>{ l }</p> }) }
            <button onclick={close}>{ T::Close.get(lang) }</button>
        </div>
    }
}

/// What a picked mark is, line by line, in the reader's words.
pub fn details_lines(d: &Details, view: &RoomView, lang: Lang) -> Vec<String> {
    let who = client_name(&view.names, d.client, lang);
    let ms = |to: Option<u64>| to.zip(d.from_ms).map(|(to, from)| to.saturating_sub(from));
    let line = |text: T, values: &[(&str, &dyn std::fmt::Display)]| fill(text.get(lang), values);
    let mut lines: Vec<String> = Vec::new();
    match d.mark {
        Mark::Call(_) => {
            let op = d.op.map_or("", |op| op.as_str());
            lines.push(line(
                T::DetailsCall,
                &[("client", &who), ("op", &op), ("path", &d.path)],
            ));
            lines.push(match d.zxid {
                Some(zxid) => line(T::DetailsZxid, &[("zxid", &svg::hex(zxid))]),
                None => T::DetailsNoZxid.get(lang).to_string(),
            });
            lines.push(match (ms(d.to_ms), d.reply) {
                (Some(ms), Some(reply)) => line(
                    T::DetailsAnswered,
                    &[("ms", &ms), ("reply", &reply_word(reply))],
                ),
                _ => T::DetailsUnanswered.get(lang).to_string(),
            });
        }
        Mark::Note(_) => {
            let event = d.event.map_or("?", svg::event_name);
            let told = [
                ("client", &who as &dyn std::fmt::Display),
                ("event", &event),
                ("path", &d.path),
            ];
            lines.push(line(T::DetailsNote, &told));
            lines.push(match ms(d.to_ms) {
                Some(ms) => line(T::DetailsRead, &[("ms", &ms)]),
                None => T::DetailsUnread.get(lang).to_string(),
            });
            if d.flagged {
                lines.push(T::DetailsTrusted.get(lang).to_string());
            }
        }
        Mark::Hold(_) => {
            let held = match ms(d.to_ms) {
                Some(ms) => line(T::DetailsHeldFor, &[("ms", &ms)]),
                None => T::DetailsHolding.get(lang).to_string(),
            };
            let hold = line(T::DetailsHold, &[("client", &who), ("path", &d.path)]);
            lines.push(format!("{hold} {held}"));
            if d.flagged {
                lines.push(T::DetailsOverlap.get(lang).to_string());
            }
        }
    }
    let seed = d
        .seed
        .and_then(|(listing, point)| Some((listing, listing.line(point)?)));
    if let Some((listing, n)) = seed {
        lines.push(line(
            T::DetailsLine,
            &[("listing", &listing.class()), ("line", &n)],
        ));
    }
    lines
}

/// How ZooKeeper answered, in Java's words.
fn reply_word(reply: CallReply) -> &'static str {
    match reply {
        CallReply::Ok => "OK",
        CallReply::NoNode => "NONODE",
        CallReply::Failed => "KeeperException",
    }
}
