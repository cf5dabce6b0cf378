//! The `/locks` queue: one card per real znode, keyed by path, with watch arrows and pulses.
//!
//! Cards are positioned with CSS transforms computed by [`crate::layout`], so when a node leaves
//! the others glide into their new slots. A pulse is an element keyed by the `watch_fired`
//! event's `seq`: its CSS animation plays once when it appears, so nothing times it.

use std::collections::HashMap;

use shared::{
    ClientId, ClientMsg, ClientPhase, Departed, Liveness, LockClientView, NodeState, RoomEvent,
    RoomView, SessionId, TimeMode, WatchedKind, Znode, DEFAULT_PAUSE_MS,
};
use yew::prelude::*;

use shared::classroom::Member;

use super::context::{use_page, use_room, Page};
use super::countdown::Countdown;
use crate::code::client_line;
use crate::i18n::{call_name, client_name, status_name, Lang, Text};
use crate::layout::{Geometry, Tenths, DEFAULT_COLUMNS};
use crate::ws::ServerLink;

/// Beyond this many nodes the queue is a crowd: only the rows near the screen are drawn, and
/// they keep still (no marching arrows, no entrance or glide), so a thousand nodes cost the
/// browser about a frame, not a second.
const CROWD_FROM: usize = 60;
/// The screen's height until it is measured.
const ASSUMED_SCREEN_PX: f64 = 1000.0;

/// How many of the latest log entries may still show a pulse.
const PULSE_WINDOW: usize = 24;

#[derive(Properties, PartialEq)]
pub struct LockQueueProps {
    /// How long a Pause freezes a client.
    #[prop_or(DEFAULT_PAUSE_MS)]
    pub pause_ms: u64,
    /// The client whose code line is lit.
    #[prop_or_default]
    pub selected: Option<ClientId>,
    #[prop_or_default]
    pub on_select: Callback<Option<ClientId>>,
    /// Drawn for a projector: larger cards.
    #[prop_or_default]
    pub presenter: bool,
}

/// Recent watch notifications per client: `(seq, kind)`.
fn recent_pulses(view: &RoomView) -> HashMap<ClientId, Vec<(u64, WatchedKind)>> {
    let mut pulses: HashMap<ClientId, Vec<(u64, WatchedKind)>> = HashMap::new();
    let skip = view.log.len().saturating_sub(PULSE_WINDOW);
    for entry in view.log.iter().skip(skip) {
        if let RoomEvent::WatchFired { client, event, .. } = &entry.event {
            pulses.entry(*client).or_default().push((entry.seq, *event));
        }
    }
    pulses
}

#[function_component(LockQueue)]
pub fn lock_queue(props: &LockQueueProps) -> Html {
    let Page { lang, member, .. } = use_page();
    let view = use_room();
    // A viewer, or a student before their name, has no Add client to press.
    let adds = member
        .may(shared::classroom::Need::AddOwn, |_| None)
        .is_ok();
    let geo = Geometry::of(props.presenter);
    let (section, stage) = (use_node_ref(), use_node_ref());
    let (columns, near) = use_rows_in_view(geo, section.clone(), stage.clone());
    let crowd = view.locks.nodes.len() > CROWD_FROM;
    let scene = Scene {
        view: &view,
        geo,
        columns,
        near: crowd.then_some(near),
        index: view
            .locks
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.path.as_str(), i))
            .collect(),
        pulses: recent_pulses(&view),
    };
    let (width, height) = geo.queue_size(view.locks.nodes.len(), columns);
    html! {
        <section class="queue" ref={section}>
            <h2>{ Text::Queue.get(lang) }</h2>
            if view.locks.nodes.is_empty() {
                <p class="empty" data-testid="empty-queue">{ empty_queue_text(&view, adds, lang) }
                    if adds {
                        <span class="key-hint">{ " " }{ crate::texts::fill(Text::OrKey.get(lang), &[("key", &"A")]) }</span>
                    }
                </p>
            }
            <div class={classes!("queue-stage", crowd.then_some("crowd"))} ref={stage}
                style={format!("width:{}px;height:{}px", Tenths(width), Tenths(height))}>
                <svg class="arrows" width={Tenths(width).to_string()} height={Tenths(height).to_string()}>
                    <defs>
                        { watch_arrowhead("arrowhead") }
                        <marker id="bolthead" viewBox="0 0 10 10" refX="8" refY="5"
                            markerUnits="userSpaceOnUse" markerWidth="16" markerHeight="16"
                            orient="auto">
                            <path d="M 0 0 L 10 5 L 0 10 z" />
                        </marker>
                    </defs>
                    { scene.arrows() }
                    { scene.notifications() }
                </svg>
                { scene.cards(props, lang, member) }
            </div>
            { joining_list(&view, &scene.index, lang) }
        </section>
    }
}

/// The head of a watch arrow, as SVG `marker` `id` (the queue's and the fleet page's).
pub fn watch_arrowhead(id: &'static str) -> Html {
    html! {
        <marker id={id} viewBox="0 0 10 10" refX="8" refY="5"
            markerUnits="userSpaceOnUse" markerWidth="18" markerHeight="18"
            orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" />
        </marker>
    }
}

/// Cards per row, and the rows near the screen: measured after the first render, on resize and
/// on scroll, so that cards per row follow the queue's width and a crowd draws only the rows
/// near the screen (a thousand cards made at once cost a third of a second; the rows in view
/// and a screen's height either side, a frame).
#[hook]
fn use_rows_in_view(
    geo: Geometry,
    section: NodeRef,
    stage: NodeRef,
) -> (usize, std::ops::Range<usize>) {
    let columns = use_state_eq(|| DEFAULT_COLUMNS);
    let near = use_state_eq(|| geo.rows_within(0.0, 2.0 * ASSUMED_SCREEN_PX));
    let (columns_set, near_set) = (columns.clone(), near.clone());
    // Measured again when the cards change size (presenter mode).
    use_effect_with(geo, move |geo| {
        let geo = *geo;
        let measure = move || {
            if let Some(el) = section.cast::<web_sys::Element>() {
                columns_set.set(geo.columns_for(f64::from(el.client_width())));
            }
            let (Some(el), Some(window)) = (stage.cast::<web_sys::Element>(), web_sys::window())
            else {
                return;
            };
            let screen = window
                .inner_height()
                .ok()
                .and_then(|h| h.as_f64())
                .unwrap_or(ASSUMED_SCREEN_PX);
            let top = -el.get_bounding_client_rect().top();
            near_set.set(geo.rows_within(top - screen, top + 2.0 * screen));
        };
        measure();
        let window = web_sys::window().expect("a window");
        // Captured: the stage's own column scrolls too, and a scroll does not bubble.
        let on_scroll = {
            let measure = measure.clone();
            let options = gloo_events::EventListenerOptions {
                phase: gloo_events::EventListenerPhase::Capture,
                passive: true,
            };
            gloo_events::EventListener::new_with_options(&window, "scroll", options, move |_| {
                measure()
            })
        };
        let on_resize = gloo_events::EventListener::new(&window, "resize", move |_| measure());
        move || drop((on_scroll, on_resize))
    });
    (*columns, (*near).clone())
}

/// The queue as drawn now: which nodes are where, and which are drawn.
struct Scene<'a> {
    view: &'a RoomView,
    geo: Geometry,
    columns: usize,
    /// The rows drawn, in a crowd; `None`: every row.
    near: Option<std::ops::Range<usize>>,
    /// Each node's place, by path.
    index: HashMap<&'a str, usize>,
    pulses: HashMap<ClientId, Vec<(u64, WatchedKind)>>,
}

impl Scene<'_> {
    fn drawn(&self, index: usize) -> bool {
        self.near
            .as_ref()
            .is_none_or(|near| near.contains(&(index / self.columns)))
    }

    /// Each waiter's watch, from its node to the node it watches.
    fn arrows(&self) -> Html {
        let arrows = self.view.locks.clients.iter().filter_map(|c| {
            let from = *self.index.get(c.path.as_deref()?)?;
            let watch = c.watching.as_ref()?;
            let to = *self.index.get(watch.path.as_str())?;
            if !self.drawn(from) && !self.drawn(to) {
                return None;
            }
            Some(html! {
                <path key={format!("{from}-{to}")} class="arrow" d={self.geo.arrow_path(from, to, self.columns)}
                    marker-end="url(#arrowhead)" data-testid="watch-arrow"
                    data-from={c.path.clone().unwrap_or_default()} data-to={watch.path.clone()} />
            })
        });
        html! { <>{ for arrows }</> }
    }

    /// A bolt onto each node whose client a notification reached lately.
    fn notifications(&self) -> Html {
        let bolts = self.view.locks.clients.iter().flat_map(|c| {
            let at = c
                .path
                .as_deref()
                .and_then(|p| self.index.get(p))
                .copied()
                .filter(|at| self.drawn(*at));
            let fired = at.and_then(|at| Some((at, self.pulses.get(&c.id)?)));
            fired
                .into_iter()
                .flat_map(|(at, list)| list.iter().map(move |(seq, _)| (at, *seq)))
                .map(|(at, seq)| {
                    html! {
                        <path key={format!("n{seq}")} class="notification"
                            d={self.geo.notification_path(at, self.columns)} marker-end="url(#bolthead)" />
                    }
                })
        });
        html! { <>{ for bolts }</> }
    }

    /// A card per node drawn.
    fn cards(&self, props: &LockQueueProps, lang: Lang, member: Member) -> Html {
        let view = self.view;
        // Looked up once per render: a thousand nodes each searching a thousand clients was a
        // measurable share of a large room's render.
        let owners: HashMap<SessionId, &LockClientView> = view
            .locks
            .clients
            .iter()
            .filter_map(|c| Some((c.session?, c)))
            .collect();
        let liveness: HashMap<ClientId, &Liveness> = view
            .sessions
            .liveness
            .iter()
            .map(|l| (l.client, l))
            .collect();
        let nodes = view.locks.nodes.iter().enumerate();
        html! {
            <>{ for nodes.filter(|(i, _)| self.drawn(*i)).map(|(i, node)| {
                let owner = match node.owner_session() {
                    Some(session) => owners.get(&session).copied(),
                    None => view.owner(node),
                };
                let node_pulses = owner
                    .and_then(|c| self.pulses.get(&c.id))
                    .cloned()
                    .unwrap_or_default();
                let line = owner.and_then(|c| client_line(view, c.id)).map(|(_, n)| n);
                let unread = owner.is_some_and(|c| view.time.unread(c.id).is_some());
                let selected = owner.is_some_and(|c| props.selected == Some(c.id));
                let departed = view.sessions.departed_owner(node);
                html! {
                    <LockNode key={node.path.clone()} node={node.clone()} index={i} columns={self.columns}
                        line={line} unread={unread} selected={selected} on_select={props.on_select.clone()}
                        state={view.node_state_owned(node, owner)} owner={owner.cloned()}
                        departed={departed.cloned()} who={card_name(view, owner, departed, lang)}
                        liveness={owner.and_then(|c| liveness.get(&c.id)).map(|l| (*l).clone())}
                        pause_ms={props.pause_ms}
                        owner_name={owner.and_then(|c| view.classroom.owner_name(c.id)).map(AttrValue::from)}
                        may_act={member.may_act_on(owner.and_then(|c| view.classroom.owner_of(c.id)))}
                        geometry={self.geo} show_line={view.time.mode != TimeMode::Live}
                        pulses={node_pulses} />
                }
            }) }</>
        }
    }
}

/// A card's client by the learner's number; an earlier run's by no number.
fn card_name(
    view: &RoomView,
    owner: Option<&LockClientView>,
    departed: Option<&Departed>,
    lang: Lang,
) -> Option<String> {
    match (owner, departed) {
        (Some(c), _) => Some(client_name(&view.names, c.id, lang)),
        (None, Some(d)) if d.reason == shared::CloseReason::ServerDied => {
            Some(Text::EarlierClient.get(lang).to_string())
        }
        (None, Some(d)) => Some(client_name(&view.names, d.client, lang)),
        (None, None) => None,
    }
}

/// The lock clients without a node in the queue: those about to create one, and those whose
/// node ZooKeeper no longer has, with what they believe beside what the server did (a paused
/// holder whose session expired).
fn joining_list(view: &RoomView, index: &HashMap<&str, usize>, lang: Lang) -> Html {
    let joining: Vec<&LockClientView> = view
        .locks
        .clients
        .iter()
        .filter(|c| c.path.as_deref().is_none_or(|p| !index.contains_key(p)))
        .collect();
    if joining.is_empty() {
        return html! {};
    }
    html! {
        <ul class="joining">
            { for joining.iter().map(|c| joining_client(view, c, lang)) }
        </ul>
    }
}

fn joining_client(view: &RoomView, c: &LockClientView, lang: Lang) -> Html {
    let creating = view.creates_next(c.id);
    let belief = match (&c.path, c.phase) {
        (None, _) if creating => Text::CreateWaits.get(lang).to_string(),
        (None, _) => Text::Joining.get(lang).to_string(),
        (Some(path), ClientPhase::Holding) => {
            format!(
                "{} {path} · {}",
                Text::BelievesHolds.get(lang),
                Text::GoneFromZk.get(lang)
            )
        }
        (Some(path), _) => format!("{path} · {}", Text::GoneFromZk.get(lang)),
    };
    let orphan = c.path.is_some();
    let liveness = view.sessions.liveness(c.id);
    let live = liveness.map(|l| {
        let state = l.state.as_str();
        html! {
            <span class={classes!("liveness", state)} data-testid="session-state" data-state={state}>
                { format!(" ● {}", status_name(l.state, lang)) }
            </span>
        }
    });
    let paused = liveness.and_then(|l| l.frozen_until).map(
        |_| html! { <span class="paused-tag">{ format!(" ⏸ {}", Text::Paused.get(lang)) }</span> },
    );
    html! {
        <li key={c.id} class={classes!(orphan.then_some("orphan"))}
            data-testid={if orphan { "orphan-client" } else { "joining-client" }}
            data-client={c.id.to_string()}>
            { format!("{} · {belief}", client_name(&view.names, c.id, lang)) }
            { for live }
            { for paused }
        </li>
    }
}

/// What the empty queue says: nobody wants the lock (and, to a page that may add a client, to
/// press Add client), or some are about to create their node (their create waits in step mode).
fn empty_queue_text(view: &RoomView, adds: bool, lang: Lang) -> String {
    match (view.about_to_create(), adds) {
        (0, true) => Text::EmptyQueue.get(lang).to_string(),
        (0, false) => Text::EmptyQueueWatching.get(lang).to_string(),
        (n, _) => crate::texts::fill(Text::AboutToCreate.get(lang), &[("n", &n)]),
    }
}

#[derive(Properties, PartialEq)]
pub struct LockNodeProps {
    pub node: Znode,
    pub index: usize,
    pub columns: usize,
    pub state: NodeState,
    pub owner: Option<LockClientView>,
    /// The client that owned it and left, while ZooKeeper still has the node.
    pub departed: Option<Departed>,
    /// Its client as the page names it (`client 2`), a departed one's too.
    pub who: Option<String>,
    /// How its owner's session is doing, as the owner sees it.
    pub liveness: Option<Liveness>,
    pub pause_ms: u64,
    pub pulses: Vec<(u64, WatchedKind)>,
    /// The seed line its client is at.
    #[prop_or_default]
    pub line: Option<u32>,
    /// ZooKeeper delivered a notification its client has not acted on yet.
    #[prop_or_default]
    pub unread: bool,
    #[prop_or_default]
    pub selected: bool,
    #[prop_or_default]
    pub on_select: Callback<Option<ClientId>>,
    /// The student whose client it is, if one's.
    #[prop_or_default]
    pub owner_name: Option<AttrValue>,
    /// Whether this page may crash, kill, pause, partition or release its client.
    #[prop_or(true)]
    pub may_act: bool,
    #[prop_or(Geometry::NORMAL)]
    pub geometry: Geometry,
    /// The code line is on the card: moves wait (step or slow motion), so lines matter.
    #[prop_or_default]
    pub show_line: bool,
}

/// How a card says its link is held: by a pause or a partition.
struct HeldLink {
    class: &'static str,
    sign: &'static str,
    what: Text,
    ends: Text,
    countdown: &'static str,
}

const HELD_PAUSED: HeldLink = HeldLink {
    class: "paused",
    sign: "⏸",
    what: Text::Paused,
    ends: Text::ResumesIn,
    countdown: "pause-countdown",
};

const HELD_PARTITIONED: HeldLink = HeldLink {
    class: "partitioned",
    sign: "✂",
    what: Text::Partitioned,
    ends: Text::HealsIn,
    countdown: "partition-countdown",
};

/// The card's detail line for a held link, with the countdown to `until` (server clock).
fn held_link(held: HeldLink, until: u64, lang: Lang) -> Html {
    html! {
        <div class={classes!("detail", held.class)} data-testid={held.class}>
            <span>{ format!("{} {} ", held.sign, held.what.get(lang)) }</span>
            <Countdown deadline_ms={until} label={held.ends} testid={held.countdown} />
        </div>
    }
}

#[function_component(LockNode)]
pub fn lock_node(props: &LockNodeProps) -> Html {
    let Page { lang, link, .. } = use_page();
    let geo = props.geometry;
    let at = geo.slot(props.index, props.columns);
    let name = props
        .node
        .path
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let actions = props
        .owner
        .as_ref()
        .filter(|_| props.may_act)
        .map(|client| card_actions(client.id, props, &link, lang));
    // The client by its number: a killed one's too, while ZooKeeper keeps its node.
    let who = props.who.clone().unwrap_or_else(|| "—".to_string());
    let session = card_session(props);
    let czxid = props.node.czxid();
    // The details a learner asks for, not every card all the time: the code line while moves
    // wait (or on the selected card), czxid and session on the selected card.
    let line = props.line.filter(|_| props.show_line || props.selected);
    let select = {
        let (on_select, owner) = (props.on_select.clone(), props.owner.as_ref().map(|c| c.id));
        Callback::from(move |_: MouseEvent| {
            if owner.is_some() {
                on_select.emit(owner);
            }
        })
    };
    html! {
        <div class={classes!("lock-node", props.state.as_str(), props.selected.then_some("selected"))}
            data-testid="lock-node"
            data-path={props.node.path.clone()} data-state={props.state.as_str()}
            data-client={props.owner.as_ref().map(|c| c.id.to_string())}
            data-unread={props.unread.then_some("true")}
            title={format!("{} · session {session}", props.node.path)}
            onclick={select}
            style={format!("transform: translate({}px, {}px); width: {}px; height: {}px",
                Tenths(at.x), Tenths(at.y), Tenths(geo.card_w), Tenths(geo.card_h))}>
            <div class="name"><span class="znode">{ name }</span>
                if props.unread {
                    <span class="unread" title={Text::Unread.get(lang)}>{ "✉" }</span>
                }
            </div>
            <div class="who">{ who } { for props.liveness.as_ref().map(|l| session_badge(l, lang)) }
                if let Some(name) = &props.owner_name {
                    { " " }<span class="owner" data-testid="owner">{ name.clone() }</span>
                }
            </div>
            <div class="status"><span>{ card_status(props.state, props.departed.as_ref(), lang) }</span>
                if let Some(line) = line {
                    <span class="code-ref" data-testid="code-ref" title={format!("{} {line}", Text::Line.get(lang))}>{ format!("L{line}") }</span>
                }
            </div>
            { card_detail(props, lang) }
            if props.selected {
                if let Some(czxid) = czxid {
                    <div class="detail czxid" data-testid="czxid" data-czxid={czxid.to_string()}>
                        { format!("czxid {czxid:#x}") }
                    </div>
                }
            }
            { for actions }
            { for props.pulses.iter().map(|(seq, kind)| html! {
                <span key={*seq} class="pulse" data-testid="watch-pulse" data-seq={seq.to_string()}
                    title={format!("{kind:?}")} />
            }) }
        </div>
    }
}

/// A word and a shape for every state, never the colour alone (a projector washes colours
/// out, and one learner in twelve tells red from green badly).
fn card_status(state: NodeState, departed: Option<&Departed>, lang: Lang) -> String {
    match state {
        NodeState::Holding => format!("● {}", Text::Holding.get(lang)),
        NodeState::Waiting => format!("○ {}", Text::Waiting.get(lang)),
        NodeState::Suspended => format!("◐ {}", Text::Suspended.get(lang)),
        NodeState::Crashed => match departed.map(|d| d.reason) {
            Some(shared::CloseReason::Killed) => format!("✕ {}", Text::Killed.get(lang)),
            _ => format!("✕ {}", Text::Crashed.get(lang)),
        },
        NodeState::External => format!("◆ {}", Text::External.get(lang)),
        NodeState::New => format!("◇ {}", Text::NewNode.get(lang)),
        NodeState::Releasing => format!("↧ {}", Text::Releasing.get(lang)),
    }
}

/// What the page may do to the card's client.
fn card_actions(id: ClientId, props: &LockNodeProps, link: &ServerLink, lang: Lang) -> Html {
    let send = |msg: ClientMsg| {
        let link = link.clone();
        Callback::from(move |_| link.send(msg.clone()))
    };
    let ms = props.pause_ms;
    html! {
        <div class="actions">
            if props.state == NodeState::Holding {
                <button class="release" data-testid="release" onclick={send(ClientMsg::Release { client: id })}>{ Text::Release.get(lang) }</button>
            }
            <button class="crash" data-testid="crash" onclick={send(ClientMsg::Crash { client: id })}>{ Text::Crash.get(lang) }</button>
            <button class="kill" data-testid="kill" onclick={send(ClientMsg::Kill { client: id })}>{ Text::Kill.get(lang) }</button>
            <button class="pause" data-testid="pause" onclick={send(ClientMsg::Pause { client: id, ms })}>{ Text::Pause.get(lang) }</button>
            <button class="partition" data-testid="partition" onclick={send(ClientMsg::Partition { client: id, ms })}>{ Text::Partition.get(lang) }</button>
        </div>
    }
}

/// One detail line, the most pressing first: a held link, a session's expiry, the watch.
fn card_detail(props: &LockNodeProps, lang: Lang) -> Html {
    let liveness = props.liveness.as_ref();
    if let Some(until) = liveness.and_then(|l| l.partitioned_until) {
        held_link(HELD_PARTITIONED, until, lang)
    } else if let Some(until) = liveness.and_then(|l| l.frozen_until) {
        held_link(HELD_PAUSED, until, lang)
    } else if let Some(deadline_ms) = props.departed.as_ref().and_then(|d| d.deadline_ms()) {
        // A killed owner's node (or an earlier run's) waits for ZooKeeper to expire the session.
        html! { <div class="detail expiry"><Countdown deadline_ms={deadline_ms} /></div> }
    } else if let Some(w) = props.owner.as_ref().and_then(|c| c.watching.as_ref()) {
        // What it waits on, shortly: the arrow shows where, this says how. A node by the end
        // of its number; the folder (a children watch) whole.
        let watched = match w.path.rsplit('/').next().unwrap_or_default() {
            _ if w.path == shared::LOCK_DIR => w.path.clone(),
            name => format!("…{}", &name[name.len().saturating_sub(4)..]),
        };
        html! { <div class="detail watching">{ format!("{} {watched}", call_name(w.call)) }</div> }
    } else if props.state == NodeState::External {
        html! { <div class="detail external">{ Text::ExternalHint.get(lang) }</div> }
    } else {
        html! {}
    }
}

/// The session that owns the card's node, as text.
fn card_session(props: &LockNodeProps) -> String {
    match (&props.owner, &props.departed) {
        (Some(c), _) => c.session.map(|s| s.to_string()).unwrap_or_default(),
        (None, Some(d)) => d.session.to_string(),
        (None, None) => props
            .node
            .owner_session()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

/// The client's own belief about its session, and the member it talks to.
fn session_badge(liveness: &Liveness, lang: Lang) -> Html {
    let member = liveness.member.as_deref().unwrap_or("–");
    let state = status_name(liveness.state, lang);
    html! {
        <span class={classes!("liveness", liveness.state.as_str())}
            data-testid="session-state" data-state={liveness.state.as_str()}
            data-member={member.to_string()} title={format!("{state} · {member}")}>
            { format!("● {}", member.rsplit(':').next().unwrap_or(member)) }
        </span>
    }
}
