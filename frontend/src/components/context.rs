//! What every part of the page shares, given once by the app instead of by hand to each
//! component: who the page is and how it speaks ([`Page`]: the language, the link to the server,
//! the member), and the room as it is now.
//!
//! Two contexts under one provider: a card or a step that does not read the room takes only
//! [`use_page`], and is not drawn again at every event.

use std::rc::Rc;

use shared::classroom::Member;
use shared::RoomView;
use yew::prelude::*;

use crate::i18n::Lang;
use crate::ws::ServerLink;

/// Who the page is in its room, and how it speaks.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub lang: Lang,
    pub link: ServerLink,
    /// Open until the server says (it refuses what the role may not do anyway).
    pub member: Member,
}

impl Page {
    /// A page with no server behind it (a replay, a component drawn alone).
    pub fn detached(lang: Lang) -> Page {
        Page {
            lang,
            link: ServerLink::detached(),
            member: Member::OPEN,
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct PageProviderProps {
    pub page: Page,
    /// The room as it is; an empty one until the first snapshot.
    #[prop_or_default]
    pub room: Option<Rc<RoomView>>,
    pub children: Html,
}

/// Gives its children the page and the room.
#[function_component(PageProvider)]
pub fn page_provider(props: &PageProviderProps) -> Html {
    let room = props.room.clone().unwrap_or_default();
    html! {
        <ContextProvider<Page> context={props.page.clone()}>
            <ContextProvider<Rc<RoomView>> context={room}>
                { props.children.clone() }
            </ContextProvider<Rc<RoomView>>>
        </ContextProvider<Page>>
    }
}

/// The page, from the app's context (a detached English page outside one).
#[hook]
pub fn use_page() -> Page {
    use_context::<Page>().unwrap_or_else(|| Page::detached(Lang::En))
}

/// The room as it is now, from the app's context.
#[hook]
pub fn use_room() -> Rc<RoomView> {
    use_context::<Rc<RoomView>>().unwrap_or_default()
}
