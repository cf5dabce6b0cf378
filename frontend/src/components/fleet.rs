//! The fleet page (`/fleet`): zkplay runs on the recipes it teaches. The live server list is
//! lesson 4's, drawn as the registry draws `/sgroup`; each room's owner queue is lesson 1's,
//! drawn with the lock queue's cards and watch arrows. Read from `/fleet.json` every second.

use gloo_timers::future::TimeoutFuture;
use shared::fleet::FleetView;
use shared::Znode;
use yew::prelude::*;

use super::context::{Page, PageProvider};
use super::lock_queue::{watch_arrowhead, LockNode};
use crate::fleet::{FleetPicture, RoomQueue};
use crate::i18n::Lang;
use crate::layout::{Geometry, Tenths};
use crate::page;
use crate::texts::{fill, FleetText};

/// How often the page reads the fleet again.
const REFRESH_MS: u32 = 1000;

#[function_component(FleetPage)]
pub fn fleet_page() -> Html {
    let lang = use_state(page::start_lang);
    let read = use_state(|| None::<Result<FleetPicture, String>>);
    {
        let read = read.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                loop {
                    let answer = page::fetch_json::<FleetView>("/fleet.json").await;
                    read.set(Some(answer.map(|view| FleetPicture::of(&view))));
                    TimeoutFuture::new(REFRESH_MS).await;
                }
            });
        });
    }
    let toggle_lang = {
        let lang = lang.clone();
        Callback::from(move |_| {
            let other = lang.other();
            page::remember_lang(other);
            lang.set(other);
        })
    };
    let lang = *lang;
    let body = match &*read {
        None => html! { <p class="loading">{ FleetText::Reading.get(lang) }</p> },
        Some(Err(why)) => html! {
            <p class="fleet-error" data-testid="fleet-error">{ FleetText::NoFleet.get(lang) }{ " " }<code>{ why.clone() }</code></p>
        },
        Some(Ok(picture)) => fleet_body(picture, lang),
    };
    html! {
        <PageProvider page={Page::detached(lang)}>
            <main class="fleet-page" data-testid="fleet" lang={lang.code()}>
                <header class="top">
                    <h1>{ FleetText::Title.get(lang) }</h1>
                    <div class="top-right">
                        <a href="/" data-testid="fleet-back">{ FleetText::Back.get(lang) }</a>
                        <button class="lang" onclick={toggle_lang} data-testid="lang-toggle">
                            { if lang == Lang::En { "中文" } else { "English" } }
                        </button>
                    </div>
                </header>
                <p class="fleet-intro">{ FleetText::Intro.get(lang) }</p>
                { body }
            </main>
        </PageProvider>
    }
}

fn fleet_body(picture: &FleetPicture, lang: Lang) -> Html {
    html! {
        <>
            <section class="registry fleet-servers">
                <h2>{ FleetText::Servers.get(lang) }</h2>
                <p class="fleet-why">{ FleetText::ServersWhy.get(lang) }</p>
                <ul class="servers">
                    { for picture.servers.iter().map(|node| {
                        let this = node.url == picture.this;
                        let runs = picture.runs(&node.url);
                        html! {
                            <li key={node.name.clone()} class={classes!("server-node", "registered", this.then_some("this"))}
                                data-testid="fleet-server" data-url={node.url.clone()}>
                                <span class="name">{ node.name.clone() }</span>
                                <span class="data">{ node.url.clone() }</span>
                                <span class="runs">{ fill(FleetText::Runs.get(lang), &[("rooms", &runs)]) }</span>
                                if this {
                                    <span class="owner">{ FleetText::This.get(lang) }</span>
                                }
                            </li>
                        }
                    }) }
                </ul>
            </section>
            <section class="fleet-rooms">
                <h2>{ FleetText::Rooms.get(lang) }</h2>
                <p class="fleet-why">{ FleetText::RoomsWhy.get(lang) }</p>
                if picture.rooms.is_empty() {
                    <p class="empty">{ FleetText::NoRooms.get(lang) }</p>
                }
                { for picture.rooms.iter().map(owner_queue) }
                <p class="fleet-fenced" data-testid="fleet-fenced" data-count={picture.fenced_writes.to_string()}>
                    { fill(FleetText::Fenced.get(lang), &[("count", &picture.fenced_writes)]) }
                </p>
            </section>
        </>
    }
}

/// One room's owner queue: the lock queue's cards, the first holding, each other watching the
/// one before it.
fn owner_queue(room: &RoomQueue) -> Html {
    let geo = Geometry::NORMAL;
    let columns = room.cards.len().clamp(1, 4);
    let (width, height) = geo.queue_size(room.cards.len(), columns);
    html! {
        <div key={room.room.clone()} class="fleet-room" data-testid="fleet-room" data-room={room.room.clone()}>
            <h3><code>{ shared::fleet::owner_dir(&room.room) }</code></h3>
            <div class="queue-stage" style={format!("width:{}px;height:{}px", Tenths(width), Tenths(height))}>
                <svg class="arrows" width={Tenths(width).to_string()} height={Tenths(height).to_string()}>
                    <defs>
                        { watch_arrowhead("fleet-arrowhead") }
                    </defs>
                    { for room.cards.iter().enumerate().filter_map(|(from, card)| {
                        let to = card.watches?;
                        Some(html! {
                            <path class="arrow" d={geo.arrow_path(from, to, columns)}
                                marker-end="url(#fleet-arrowhead)" data-testid="watch-arrow" />
                        })
                    }) }
                </svg>
                { for room.cards.iter().enumerate().map(|(index, card)| html! {
                    <LockNode key={card.path.clone()} node={Znode::reported(card.path.clone())}
                        index={index} columns={columns} state={card.state} owner={None}
                        departed={None} who={Some(card.who.clone())} liveness={None}
                        pause_ms={0} pulses={Vec::new()} may_act={false} />
                }) }
            </div>
        </div>
    }
}
