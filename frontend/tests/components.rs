//! Components rendered in a real browser (wasm-bindgen-test in headless Chromium): the DOM they
//! produce must carry the test-id contract and follow the room view.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use frontend::components::context::{Page, PageProvider, PageProviderProps};
use frontend::components::controls::Controls;
use frontend::components::ensemble::EnsemblePanel;
use frontend::components::event_log::EventLog;
use frontend::components::herd::{HerdCounter, ViolationBanner};
use frontend::components::lock_queue::LockQueue;
use frontend::components::registry::Registry;
use frontend::components::resource::ResourcePanel;
use frontend::components::timeline::Timeline;
use frontend::i18n::Lang;
use shared::{CallReply, CloseReason, RoomEvent, RoomView, WatchCall, WatchedKind, ZkOp, Znode};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::{html, Callback};

wasm_bindgen_test_configure!(run_in_browser);

/// A room with a holder (client 1), a waiter watching it (client 2) and an outsider's node.
fn room() -> RoomView {
    let mut view = RoomView::new("main", 0);
    let node = |n: u32, owner: i64| {
        Znode::read(
            format!("/locks/sub{n:010}"),
            100 + i64::from(n),
            shared::SessionId(owner),
            "",
        )
    };
    let events = [
        RoomEvent::ClientAdded {
            client: 1,
            owner: None,
        },
        RoomEvent::ClientAdded {
            client: 2,
            owner: None,
        },
        RoomEvent::ClientConnected {
            client: 1,
            session: shared::SessionId(0x1),
            timeout_ms: 5000,
        },
        RoomEvent::ClientConnected {
            client: 2,
            session: shared::SessionId(0x2),
            timeout_ms: 5000,
        },
        RoomEvent::ZnodeAdded { node: node(0, 0x1) },
        RoomEvent::ZnodeAdded { node: node(1, 0x2) },
        RoomEvent::ZnodeAdded {
            node: node(2, 0x77),
        },
        RoomEvent::NodeCreatedByClient {
            client: 1,
            path: "/locks/sub0000000000".into(),
        },
        RoomEvent::NodeCreatedByClient {
            client: 2,
            path: "/locks/sub0000000001".into(),
        },
        RoomEvent::LockGained {
            client: 1,
            path: "/locks/sub0000000000".into(),
        },
        RoomEvent::WatchSet {
            client: 2,
            path: "/locks/sub0000000000".into(),
            call: WatchCall::GetData,
        },
    ];
    for (i, e) in events.iter().enumerate() {
        view.apply(i as u64 + 1, 1_700_000_000_000, e);
    }
    view
}

fn mount_point() -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div
}

/// Renders a `LockQueue` of `view` into `root` and waits for the render.
async fn render_queue(root: &web_sys::Element, view: RoomView) {
    render_in_page(
        root.clone(),
        view,
        Lang::En,
        html! { <LockQueue pause_ms={8000} selected={None} on_select={yew::Callback::noop()} presenter={false} /> },
    );
    yew::scheduler::flush().await;
}

/// Renders `content` into `root` inside a page of `view` in `lang` (no server behind it).
fn render_in_page(root: web_sys::Element, view: RoomView, lang: Lang, content: yew::Html) {
    let props = PageProviderProps {
        page: Page::detached(lang),
        room: Some(Rc::new(view)),
        children: content,
    };
    yew::Renderer::<PageProvider>::with_root_and_props(root, props).render();
}

fn texts(root: &web_sys::Element, css: &str) -> Vec<String> {
    let list = root.query_selector_all(css).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().text_content().unwrap_or_default())
        .collect()
}

fn attrs(root: &web_sys::Element, css: &str, attr: &str) -> Vec<String> {
    let list = root.query_selector_all(css).unwrap();
    (0..list.length())
        .map(|i| {
            list.item(i)
                .unwrap()
                .dyn_into::<web_sys::Element>()
                .unwrap()
                .get_attribute(attr)
                .unwrap_or_default()
        })
        .collect()
}

#[wasm_bindgen_test]
async fn lock_queue_shows_every_znode_with_its_state_controls_and_arrows() {
    let root = mount_point();
    render_queue(&root, room()).await;

    assert_eq!(
        attrs(&root, "[data-testid=lock-node]", "data-path"),
        [
            "/locks/sub0000000000",
            "/locks/sub0000000001",
            "/locks/sub0000000002"
        ]
    );
    assert_eq!(
        attrs(&root, "[data-testid=lock-node]", "data-state"),
        ["holding", "waiting", "external"]
    );
    // Controls sit inside the element carrying the client's znode path.
    let holder = r#"[data-path="/locks/sub0000000000"]"#;
    assert!(root
        .query_selector(&format!("{holder} [data-testid=crash]"))
        .unwrap()
        .is_some());
    assert!(root
        .query_selector(&format!("{holder} [data-testid=release]"))
        .unwrap()
        .is_some());
    let waiter = r#"[data-path="/locks/sub0000000001"]"#;
    assert!(root
        .query_selector(&format!("{waiter} [data-testid=release]"))
        .unwrap()
        .is_none());
    let outsider = r#"[data-path="/locks/sub0000000002"]"#;
    assert!(root
        .query_selector(&format!("{outsider} [data-testid=crash]"))
        .unwrap()
        .is_none());
    // One arrow, from the waiter to the node it watches.
    assert_eq!(
        attrs(&root, "[data-testid=watch-arrow]", "data-to"),
        ["/locks/sub0000000000"]
    );
    assert_eq!(
        attrs(&root, "[data-testid=watch-arrow]", "data-from"),
        ["/locks/sub0000000001"]
    );
}

#[wasm_bindgen_test]
async fn a_fired_watch_pulses_on_the_watcher_and_a_removed_node_leaves() {
    let root = mount_point();
    let mut view = room();
    let seq = view.seq;
    view.apply(
        seq + 1,
        0,
        &RoomEvent::LockReleased {
            client: 1,
            path: "/locks/sub0000000000".into(),
        },
    );
    view.apply(
        seq + 2,
        0,
        &RoomEvent::ZnodeRemoved {
            path: "/locks/sub0000000000".into(),
        },
    );
    view.apply(
        seq + 3,
        0,
        &RoomEvent::WatchFired {
            client: 2,
            path: "/locks/sub0000000000".into(),
            event: WatchedKind::NodeDeleted,
        },
    );
    render_queue(&root, view).await;

    assert!(root
        .query_selector(r#"[data-path="/locks/sub0000000000"]"#)
        .unwrap()
        .is_none());
    assert_eq!(
        attrs(
            &root,
            r#"[data-path="/locks/sub0000000001"] [data-testid=watch-pulse]"#,
            "data-seq"
        ),
        [(seq + 3).to_string()]
    );
    assert!(root
        .query_selector("[data-testid=watch-arrow]")
        .unwrap()
        .is_none());
}

#[wasm_bindgen_test]
async fn event_log_is_newest_first_with_the_seeds_lines() {
    let root = mount_point();
    render_in_page(root.clone(), room(), Lang::En, html! { <EventLog /> });
    yew::scheduler::flush().await;
    let log = root
        .query_selector("[data-testid=event-log]")
        .unwrap()
        .unwrap();
    let first = log
        .query_selector("li")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(
        first.contains("getData(/locks/sub0000000000, watch)"),
        "{first}"
    );
    assert!(log
        .text_content()
        .unwrap()
        .contains("gain lock: /locks/sub0000000000"));
}

#[wasm_bindgen_test]
async fn controls_show_the_hold_time_and_the_add_button() {
    let root = mount_point();
    let mut view = room();
    view.apply(view.seq + 1, 0, &RoomEvent::HoldChanged { hold_ms: 2500 });
    render_in_page(
        root.clone(),
        view,
        Lang::Zh,
        html! { <Controls pause_ms={8000} on_pause_ms={yew::Callback::noop()} /> },
    );
    yew::scheduler::flush().await;
    let hold = root
        .query_selector("[data-testid=hold-ms]")
        .unwrap()
        .unwrap()
        .dyn_into::<web_sys::HtmlInputElement>()
        .unwrap();
    assert_eq!(hold.value(), "2500");
    let add = root
        .query_selector("[data-testid=add-lock-client]")
        .unwrap()
        .unwrap();
    assert!(add.text_content().unwrap().contains("添加客户端"));
}

#[wasm_bindgen_test]
async fn two_holders_raise_the_violation_banner_naming_both_and_why_while_they_overlap() {
    let mut view = room();
    let seq = view.seq;
    for (i, event) in [
        RoomEvent::LockGained {
            client: 2,
            path: "/locks/sub0000000001".into(),
        },
        RoomEvent::Violation {
            first: 1,
            first_path: "/locks/sub0000000000".into(),
            second: 2,
            second_path: "/locks/sub0000000001".into(),
        },
    ]
    .iter()
    .enumerate()
    {
        view.apply(seq + 1 + i as u64, 0, event);
    }
    let banner_of = |view: &shared::RoomView| {
        let root = mount_point();
        render_in_page(
            root.clone(),
            view.clone(),
            Lang::En,
            html! { <ViolationBanner /> },
        );
        root
    };
    let root = banner_of(&view);
    yew::scheduler::flush().await;
    let banner = root
        .query_selector("[data-testid=violation]")
        .unwrap()
        .unwrap();
    let text = banner.text_content().unwrap();
    assert!(
        text.contains("/locks/sub0000000000") && text.contains("/locks/sub0000000001"),
        "{text}"
    );
    // The holder's node is still there: client 2 trusted a notification.
    assert_eq!(
        banner.get_attribute("data-cause").as_deref(),
        Some("trusted_notification")
    );
    assert!(text.contains("Client 1 still holds"), "{text}");
    // The first lets go: the overlap is over, and the banner leaves.
    view.apply(
        view.seq + 1,
        0,
        &RoomEvent::LockReleased {
            client: 1,
            path: "/locks/sub0000000000".into(),
        },
    );
    let after = banner_of(&view);
    yew::scheduler::flush().await;
    assert!(after
        .query_selector("[data-testid=violation]")
        .unwrap()
        .is_none());

    // No violation, no banner.
    let quiet = mount_point();
    render_in_page(
        quiet.clone(),
        room(),
        Lang::En,
        html! { <ViolationBanner /> },
    );
    yew::scheduler::flush().await;
    assert!(quiet
        .query_selector("[data-testid=violation]")
        .unwrap()
        .is_none());
}

#[wasm_bindgen_test]
async fn the_herd_counter_shows_the_count_and_the_prediction() {
    let root = mount_point();
    let mut view = room();
    let seq = view.seq;
    view.apply(
        seq + 1,
        0,
        &RoomEvent::WatchFired {
            client: 2,
            path: "/locks/sub0000000000".into(),
            event: WatchedKind::NodeDeleted,
        },
    );
    render_in_page(root.clone(), view, Lang::En, html! { <HerdCounter /> });
    yew::scheduler::flush().await;
    assert_eq!(
        attrs(&root, "[data-testid=herd-counter]", "data-notifications"),
        ["1"]
    );
    // Two clients in this round of the predecessor recipe: one notification predicted.
    let row = root
        .query_selector("tr[data-recipe=predecessor]")
        .unwrap()
        .unwrap();
    let cells: Vec<String> = (0..row.children().length())
        .map(|i| row.children().item(i).unwrap().text_content().unwrap())
        .collect();
    assert_eq!(cells, ["predecessor", "2", "1", "1", "1"]);
}

#[wasm_bindgen_test]
async fn the_registry_shows_servers_and_each_app_clients_lines() {
    let root = mount_point();
    let mut view = room();
    let mut seq = view.seq;
    let mut apply = |view: &mut RoomView, e: RoomEvent| {
        seq += 1;
        view.apply(seq, 0, &e);
    };
    apply(&mut view, RoomEvent::AppClientAdded { client: 7 });
    apply(
        &mut view,
        RoomEvent::ServerAdded {
            client: 8,
            name: "server0000".into(),
            owner: None,
        },
    );
    apply(
        &mut view,
        RoomEvent::ClientConnected {
            client: 8,
            session: shared::SessionId(0x8),
            timeout_ms: 5000,
        },
    );
    apply(
        &mut view,
        RoomEvent::ZnodeAdded {
            node: Znode::read(
                "/sgroup/sub0000000000",
                9,
                shared::SessionId(0x8),
                "server0000",
            ),
        },
    );
    apply(
        &mut view,
        RoomEvent::ServerListUpdated {
            client: 7,
            servers: vec![],
        },
    );
    apply(
        &mut view,
        RoomEvent::ServerListUpdated {
            client: 7,
            servers: vec!["server0000".into()],
        },
    );
    render_in_page(root.clone(), view.clone(), Lang::En, html! { <Registry /> });
    yew::scheduler::flush().await;
    assert_eq!(
        attrs(&root, "[data-testid=server-node]", "data-path"),
        ["/sgroup/sub0000000000"]
    );
    assert_eq!(
        attrs(&root, "[data-testid=server-node]", "data-state"),
        ["registered"]
    );
    let node = root
        .query_selector("[data-testid=server-node]")
        .unwrap()
        .unwrap();
    assert!(node.text_content().unwrap().contains("server0000"));
    assert!(node
        .query_selector("[data-testid=crash]")
        .unwrap()
        .is_some());
    let log = root
        .query_selector("[data-testid=app-client-log]")
        .unwrap()
        .unwrap();
    assert_eq!(log.children().length(), 2);
    assert_eq!(
        log.last_element_child().unwrap().text_content().unwrap(),
        "server list updated: [server0000]"
    );

    // The server crashes: until ZooKeeper removes the node, it is drawn crashed.
    apply(
        &mut view,
        RoomEvent::ClientClosed {
            client: 8,
            reason: CloseReason::Crashed,
        },
    );
    let after = mount_point();
    render_in_page(after.clone(), view, Lang::En, html! { <Registry /> });
    yew::scheduler::flush().await;
    assert_eq!(
        attrs(&after, "[data-testid=server-node]", "data-state"),
        ["crashed"]
    );
}

#[wasm_bindgen_test]
async fn a_paused_holder_shows_its_session_state_member_and_pause() {
    let root = mount_point();
    let mut view = room();
    let seq = view.seq;
    view.apply(
        seq + 1,
        0,
        &RoomEvent::SessionChanged {
            client: 1,
            state: shared::SessionStatus::Disconnected,
            member: Some("127.0.0.1:4181".into()),
        },
    );
    view.apply(
        seq + 2,
        0,
        &RoomEvent::LinkChanged {
            client: 1,
            frozen: true,
            until_ms: Some(u64::MAX / 2),
        },
    );
    render_queue(&root, view).await;
    let holder = r#"[data-path="/locks/sub0000000000"]"#;
    assert_eq!(
        attrs(
            &root,
            &format!("{holder} [data-testid=session-state]"),
            "data-state"
        ),
        ["disconnected"]
    );
    assert_eq!(
        attrs(
            &root,
            &format!("{holder} [data-testid=session-state]"),
            "data-member"
        ),
        ["127.0.0.1:4181"]
    );
    assert!(root
        .query_selector(&format!("{holder} [data-testid=paused]"))
        .unwrap()
        .is_some());
    assert!(root
        .query_selector(&format!("{holder} [data-testid=pause]"))
        .unwrap()
        .is_some());
    // It still believes it holds the lock.
    assert_eq!(attrs(&root, holder, "data-state"), ["holding"]);
}

#[wasm_bindgen_test]
async fn the_resource_log_shows_each_write_and_the_fencing_switch() {
    let root = mount_point();
    let mut view = room();
    let seq = view.seq;
    view.apply(seq + 1, 0, &RoomEvent::FencingChanged { on: true });
    for (i, (client, token, outcome)) in [
        (1, 100, shared::WriteOutcome::Accepted),
        (2, 101, shared::WriteOutcome::Accepted),
        (1, 100, shared::WriteOutcome::Rejected),
    ]
    .into_iter()
    .enumerate()
    {
        view.apply(
            seq + 2 + i as u64,
            0,
            &RoomEvent::ResourceWritten {
                client,
                path: "/locks/sub0000000000".into(),
                token,
                outcome,
            },
        );
    }
    render_in_page(root.clone(), view, Lang::En, html! { <ResourcePanel /> });
    yew::scheduler::flush().await;
    let toggle = root
        .query_selector("[data-testid=fencing-toggle]")
        .unwrap()
        .unwrap()
        .dyn_into::<web_sys::HtmlInputElement>()
        .unwrap();
    assert!(toggle.checked());
    // Newest first.
    assert_eq!(
        attrs(&root, "[data-testid=resource-log] li", "data-outcome"),
        ["rejected", "accepted", "accepted"]
    );
    assert_eq!(
        attrs(&root, "[data-testid=resource-log] li", "data-token"),
        ["100", "101", "100"]
    );
}

#[wasm_bindgen_test]
async fn the_ensemble_panel_shows_each_members_mode_and_a_lost_quorum() {
    use shared::{EnsembleView, MemberMode, MemberView};
    let member = |id, mode| MemberView {
        id,
        address: format!("127.0.0.1:418{}", id - 1),
        mode,
        connections: Some(3),
        znodes: Some(9),
        watches: Some(2),
        outstanding: Some(0),
    };
    let render = |ensemble: EnsembleView, stops_shared: bool| async move {
        let root = mount_point();
        render_in_page(
            root.clone(),
            RoomView::new("r", 0),
            Lang::En,
            html! { <EnsemblePanel ensemble={ensemble} stops_shared={stops_shared} /> },
        );
        yew::scheduler::flush().await;
        root
    };
    let three = EnsembleView {
        members: vec![
            member(1, MemberMode::Follower),
            member(2, MemberMode::Leader),
            member(3, MemberMode::Down),
        ],
        quorum: true,
        embedded: true,
        own: true,
    };
    let root = render(three.clone(), false).await;
    assert_eq!(
        attrs(&root, "[data-testid=zk-member]", "data-member"),
        ["1", "2", "3"]
    );
    assert_eq!(
        attrs(&root, "[data-testid=zk-member]", "data-mode"),
        ["follower", "leader", "down"]
    );
    assert!(root
        .query_selector("[data-testid=no-quorum]")
        .unwrap()
        .is_none());
    // The room's own ensemble: running members can be stopped, stopped ones started.
    let stops = |root: &web_sys::Element| {
        root.query_selector_all("[data-testid=zk-member] [data-testid=stop-member]")
            .unwrap()
            .length()
    };
    assert_eq!(stops(&root), 2);
    assert!(root
        .query_selector("[data-member=\"3\"] [data-testid=start-member]")
        .unwrap()
        .is_some());
    // The one every room shares: no Stop for a page that may not, and it says why.
    let shared = EnsembleView {
        own: false,
        ..three
    };
    let root = render(shared.clone(), false).await;
    assert_eq!(stops(&root), 0);
    let whose = texts(&root, "[data-testid=ensemble-whose]");
    assert!(
        whose[0].contains("Every room") && whose[0].contains("Only whoever runs the server"),
        "{whose:?}"
    );
    // The operator's page may.
    let root = render(shared, true).await;
    assert_eq!(stops(&root), 2);
    let lost = render(
        EnsembleView {
            members: vec![
                member(1, MemberMode::Looking),
                member(2, MemberMode::Down),
                member(3, MemberMode::Down),
            ],
            quorum: false,
            embedded: true,
            own: false,
        },
        true,
    )
    .await;
    assert!(lost
        .query_selector("[data-testid=no-quorum]")
        .unwrap()
        .is_some());
}

#[wasm_bindgen_test]
async fn a_holder_whose_node_zookeeper_deleted_still_shows_what_it_believes() {
    let root = mount_point();
    let mut view = room();
    let seq = view.seq;
    // The paused holder's session expired: ZooKeeper deleted its node; it knows nothing yet.
    view.apply(
        seq + 1,
        0,
        &RoomEvent::SessionChanged {
            client: 1,
            state: shared::SessionStatus::Connected,
            member: Some("127.0.0.1:4180".into()),
        },
    );
    view.apply(
        seq + 2,
        0,
        &RoomEvent::LinkChanged {
            client: 1,
            frozen: true,
            until_ms: Some(1),
        },
    );
    view.apply(
        seq + 3,
        0,
        &RoomEvent::ZnodeRemoved {
            path: "/locks/sub0000000000".into(),
        },
    );
    render_queue(&root, view).await;
    assert!(root
        .query_selector(r#"[data-path="/locks/sub0000000000"]"#)
        .unwrap()
        .is_none());
    let orphan = root
        .query_selector("[data-testid=orphan-client]")
        .unwrap()
        .unwrap();
    let text = orphan.text_content().unwrap();
    assert!(
        text.contains("believes it holds /locks/sub0000000000"),
        "{text}"
    );
    assert!(text.contains("paused"), "{text}");
}

#[wasm_bindgen_test]
async fn a_crowd_draws_the_rows_near_the_screen_and_follows_the_scroll() {
    const NODES: u32 = 300;
    let mut view = RoomView::new("crowd", 0);
    for n in 0..NODES {
        let node = Znode::read(
            format!("/locks/sub{n:010}"),
            100 + i64::from(n),
            shared::SessionId(0x99),
            "",
        );
        view.apply(
            u64::from(n) + 1,
            1_700_000_000_000,
            &RoomEvent::ZnodeAdded { node },
        );
    }
    // At the top of the page, whatever other tests have mounted below it.
    let window = web_sys::window().unwrap();
    let body = window.document().unwrap().body().unwrap();
    let root = window.document().unwrap().create_element("div").unwrap();
    body.prepend_with_node_1(&root).unwrap();
    window.scroll_to_with_x_and_y(0.0, 0.0);
    render_queue(&root, view).await;

    assert!(root.query_selector(".queue-stage.crowd").unwrap().is_some());
    let drawn = attrs(&root, "[data-testid=lock-node]", "data-path");
    assert!(
        !drawn.is_empty() && drawn.len() < NODES as usize,
        "{} of {NODES} drawn",
        drawn.len()
    );
    assert_eq!(drawn[0], "/locks/sub0000000000");
    let last = format!("/locks/sub{:010}", NODES - 1);
    assert!(!drawn.contains(&last));

    // Scrolled to the queue's end, its last rows are drawn and its first are not.
    let (scrolled, on_scroll) = futures::channel::oneshot::channel::<()>();
    let _listener = gloo_events::EventListener::once(&window, "scroll", move |_| {
        let _ = scrolled.send(());
    });
    let screen = window.inner_height().unwrap().as_f64().unwrap();
    let end = root.get_bounding_client_rect().bottom() + window.scroll_y().unwrap();
    window.scroll_to_with_x_and_y(0.0, end - screen);
    on_scroll.await.unwrap();
    yew::scheduler::flush().await;
    let drawn = attrs(&root, "[data-testid=lock-node]", "data-path");
    assert!(drawn.contains(&last), "{drawn:?}");
    assert!(!drawn.contains(&"/locks/sub0000000000".to_string()));
    window.scroll_to_with_x_and_y(0.0, 0.0);
    root.remove();
}

/// `room()` in step mode, with a notification delivered to the waiter and not yet read.
fn room_with_unread_notification() -> RoomView {
    let mut view = room();
    let seq = view.seq;
    view.apply(
        seq + 1,
        1_700_000_000_000,
        &RoomEvent::TimeChanged {
            mode: shared::TimeMode::Step,
            slow_factor: 5,
        },
    );
    view.apply(
        seq + 2,
        1_700_000_000_000,
        &RoomEvent::MovePending {
            pending: shared::PendingMove {
                id: 7,
                client: 2,
                kind: shared::MoveKind::Notification,
                point: shared::SeedPoint::Notified,
                path: Some("/locks/sub0000000000".into()),
                since_ms: 1_700_000_000_000,
                due_ms: None,
            },
        },
    );
    view
}

#[wasm_bindgen_test]
async fn a_delivered_notification_waits_unread_on_its_card_and_in_the_pending_list() {
    use frontend::components::time_control::PendingList;
    let view = room_with_unread_notification();
    let root = mount_point();
    render_queue(&root, view.clone()).await;
    assert_eq!(
        attrs(&root, "[data-testid=lock-node][data-unread]", "data-path"),
        ["/locks/sub0000000001"],
        "only the waiter has an unread notification"
    );
    // Its card names the line it is at: the fix's `if (event.getType() == NodeDeleted ...)`.
    let notified = shared::SeedListing::DistributedClientFixed
        .line(shared::SeedPoint::Notified)
        .unwrap();
    assert_eq!(
        texts(&root, "[data-client=\"2\"] [data-testid=code-ref]"),
        [format!("L{notified}")]
    );

    let list = mount_point();
    render_in_page(
        list.clone(),
        view,
        Lang::En,
        html! { <PendingList selected={None} on_select={yew::Callback::noop()} /> },
    );
    yew::scheduler::flush().await;
    assert_eq!(
        attrs(&list, "[data-testid=pending-step]", "data-move"),
        ["notification"]
    );
    assert_eq!(
        attrs(&list, "[data-testid=pending-step]", "data-line"),
        [notified.to_string()]
    );
}

#[wasm_bindgen_test]
async fn the_code_panel_puts_each_client_on_its_line() {
    use frontend::components::code_panel::CodePanel;
    let root = mount_point();
    render_in_page(
        root.clone(),
        room_with_unread_notification(),
        Lang::En,
        html! { <CodePanel selected={Some(1)} on_select={yew::Callback::noop()} lesson_line={None} /> },
    );
    yew::scheduler::flush().await;
    let fixed = shared::SeedListing::DistributedClientFixed;
    let line_of = |client: &str| {
        attrs(
            &root,
            &format!(
                "[data-testid=code-line]:has([data-testid=code-badge][data-client=\"{client}\"])"
            ),
            "data-line",
        )
    };
    assert_eq!(
        line_of("1"),
        [fixed.line(shared::SeedPoint::Hold).unwrap().to_string()]
    );
    assert_eq!(
        line_of("2"),
        [fixed.line(shared::SeedPoint::Notified).unwrap().to_string()]
    );
    // The selected holder's line is lit; the waiting move's line is marked.
    assert_eq!(
        attrs(&root, "[data-testid=code-line].selected", "data-line"),
        line_of("1")
    );
    assert_eq!(
        attrs(&root, "[data-testid=code-line].waits-here", "data-line"),
        line_of("2")
    );
    assert_eq!(
        attrs(&root, "[data-testid=code-panel]", "data-listing"),
        ["distributed-client-fixed"]
    );
    let lines = root
        .query_selector_all("[data-testid=code-line]")
        .unwrap()
        .length();
    assert_eq!(lines as usize, fixed.source().lines().count());
}

/// A room in lesson 2, with step 1 done and step 2 (the crash, with a question) current.
fn room_in_lesson_two(answered: bool, decided: bool) -> (RoomView, frontend::lesson::Answers) {
    use shared::lesson::{
        CheckReport, CheckStatus, LessonId, LessonProgress, StepProgress, StepStatus,
    };
    let mut view = room();
    // The lesson's third lock client, which the texts name.
    view.apply(
        view.seq + 1,
        0,
        &RoomEvent::ClientAdded {
            client: 3,
            owner: None,
        },
    );
    let step = |status, check, found: shared::lesson::Found, happened: Vec<usize>| StepProgress {
        status,
        check: CheckReport {
            status: check,
            found,
            why: None,
            happened,
        },
        acted: false,
    };
    let queued = shared::lesson::Found {
        other: Some(1),
        client: Some(3),
        count: Some(2),
        watched: Some("/locks/sub0000000001".into()),
        ..Default::default()
    };
    let crash = if decided {
        step(
            StepStatus::Done,
            CheckStatus::Passed,
            shared::lesson::Found {
                client: Some(1),
                node: Some("/locks/sub0000000000".into()),
                other: Some(3),
                watched: Some("/locks/sub0000000002".into()),
                ..Default::default()
            },
            vec![1],
        )
    } else {
        step(
            StepStatus::Current,
            CheckStatus::Waiting,
            Default::default(),
            vec![],
        )
    };
    let todo = || {
        step(
            StepStatus::Todo,
            CheckStatus::Waiting,
            Default::default(),
            vec![],
        )
    };
    let progress = LessonProgress {
        lesson: LessonId(2),
        attempt: 1,
        step: if decided { 2 } else { 1 },
        steps: vec![
            step(StepStatus::Done, CheckStatus::Passed, queued, vec![]),
            crash,
            if decided {
                step(
                    StepStatus::Current,
                    CheckStatus::Waiting,
                    Default::default(),
                    vec![],
                )
            } else {
                todo()
            },
            todo(),
        ],
        busy: None,
    };
    view.apply(
        view.seq + 1,
        0,
        &RoomEvent::LessonChanged {
            progress: Some(progress),
        },
    );
    let mut answers = frontend::lesson::Answers::new();
    if answered {
        answers.insert((LessonId(2), 1, 1), 1);
    }
    (view, answers)
}

async fn render_lessons(
    root: &web_sys::Element,
    view: RoomView,
    answers: frontend::lesson::Answers,
) {
    use frontend::components::lessons::Lessons;
    let course: shared::lesson::CourseOutline =
        serde_json::from_str(shared::lesson::COURSE_JSON).unwrap();
    let texts: shared::lesson::LessonTexts =
        serde_json::from_str(shared::lesson::TEXTS_EN).unwrap();
    render_in_page(
        root.clone(),
        RoomView::new("r", 0),
        Lang::En,
        html! { <Lessons progress={view.lesson.clone()} names={view.names.clone()} course={Some(Rc::new(course))} texts={Some(Rc::new(texts))} answers={answers} on_answer={yew::Callback::noop()} classroom={false} /> },
    );
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn the_lessons_panel_lists_the_ten_lessons_until_one_runs() {
    let root = mount_point();
    render_lessons(&root, room(), Default::default()).await;
    assert_eq!(
        attrs(&root, "[data-testid=lesson]", "data-lesson"),
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
    );
    assert_eq!(texts(&root, "[data-testid=lesson-open]").len(), 10);
    assert!(texts(&root, "[data-testid=lesson] h3")[1].contains("The crash bug and its fix"));
}

#[wasm_bindgen_test]
async fn a_lesson_step_asks_first_then_marks_the_answer_against_what_zookeeper_did() {
    let root = mount_point();
    let (view, answers) = room_in_lesson_two(false, false);
    render_lessons(&root, view, answers).await;
    assert_eq!(
        attrs(&root, "[data-testid=lesson-step]", "data-status"),
        ["done", "current", "todo", "todo"]
    );
    let check = texts(&root, "[data-testid=lesson-check]");
    assert!(
        check[0].contains("client 3 watches /locks/sub0000000001"),
        "{check:?}"
    );
    // Before Do it the question's step says nothing of what it waits for.
    assert_eq!(
        attrs(&root, "[data-testid=lesson-check]", "data-status"),
        ["passed"]
    );
    let do_it = root
        .query_selector("[data-testid=lesson-do]")
        .unwrap()
        .unwrap();
    assert!(do_it.has_attribute("disabled"), "predict first");
    assert_eq!(
        attrs(&root, "[data-testid=lesson-quiz-option]", "data-option"),
        ["one_holder", "two_holders"]
    );
    let narration = root
        .query_selector("[data-testid=lesson-narration] code")
        .unwrap()
        .unwrap();
    assert_eq!(
        narration.text_content().unwrap(),
        "event.getType() == EventType.NodeDeleted"
    );

    let root = mount_point();
    let (view, answers) = room_in_lesson_two(true, false);
    render_lessons(&root, view, answers).await;
    let do_it = root
        .query_selector("[data-testid=lesson-do]")
        .unwrap()
        .unwrap();
    assert!(!do_it.has_attribute("disabled"));
    assert_eq!(
        attrs(&root, "[data-testid=lesson-quiz-option]", "data-chosen"),
        ["false", "true"]
    );

    let root = mount_point();
    let (view, answers) = room_in_lesson_two(true, true);
    render_lessons(&root, view, answers).await;
    assert_eq!(
        attrs(&root, "[data-testid=lesson-step]", "data-status"),
        ["done", "done", "current", "todo"]
    );
    assert_eq!(
        attrs(&root, "[data-testid=lesson-quiz-option]", "data-happened"),
        ["false", "true"]
    );
    let check = texts(&root, "[data-testid=lesson-check]");
    assert!(
        check[1].contains(
            "Client 3 took the lock with /locks/sub0000000002 while client 1 still holds"
        ),
        "{check:?}"
    );
    assert!(texts(&root, "[data-testid=lesson-step-of]")[0].contains("Step 3 of 4"));
}

#[wasm_bindgen_test]
async fn a_waiters_card_says_what_it_watches_a_node_by_its_end_the_folder_whole() {
    let root = mount_point();
    let mut view = room();
    let seq = view.seq;
    // Client 2 of a children-watch room waits on the folder itself.
    view.apply(
        seq + 1,
        1_700_000_000_000,
        &RoomEvent::WatchSet {
            client: 2,
            path: "/locks".into(),
            call: WatchCall::GetChildren,
        },
    );
    render_queue(&root, view).await;
    assert_eq!(texts(&root, ".detail.watching"), ["getChildren /locks"]);
    let other = mount_point();
    render_queue(&other, room()).await;
    assert_eq!(texts(&other, ".detail.watching"), ["getData …0000"]);
}

/// A room where client 1 created its node and listed `/locks`, both answered.
fn room_with_calls() -> RoomView {
    let mut view = RoomView::new("t", 0);
    view.spacetime = Some(Default::default());
    let node = "/locks/sub0000000000";
    let events = [
        RoomEvent::ClientAdded {
            client: 1,
            owner: None,
        },
        RoomEvent::CallSent {
            client: 1,
            op: ZkOp::Create,
            path: "/locks/sub".into(),
            line: None,
        },
        RoomEvent::CallAnswered {
            client: 1,
            op: ZkOp::Create,
            path: node.into(),
            reply: CallReply::Ok,
            zxid: Some(0x1_0000_0002),
        },
        RoomEvent::CallSent {
            client: 1,
            op: ZkOp::GetChildren,
            path: "/locks".into(),
            line: None,
        },
        RoomEvent::CallAnswered {
            client: 1,
            op: ZkOp::GetChildren,
            path: "/locks".into(),
            reply: CallReply::Ok,
            zxid: None,
        },
        RoomEvent::LockGained {
            client: 1,
            path: node.into(),
        },
    ];
    for (i, e) in events.iter().enumerate() {
        view.apply(i as u64 + 1, 1_000 + i as u64 * 10, e);
    }
    view
}

#[wasm_bindgen_test]
async fn the_timeline_draws_each_call_and_answer_and_a_click_explains_one() {
    let root = mount_point();
    let traced = Rc::new(std::cell::RefCell::new(None));
    let on_trace = {
        let traced = traced.clone();
        Callback::from(move |line| *traced.borrow_mut() = Some(line))
    };
    render_in_page(
        root.clone(),
        room_with_calls(),
        Lang::En,
        html! { <Timeline on_hide={Callback::noop()} on_trace={on_trace} /> },
    );
    yew::scheduler::flush().await;
    assert_eq!(
        attrs(&root, "[data-testid=st-lane]", "data-lane"),
        ["zk", "1"]
    );
    assert_eq!(
        attrs(&root, "[data-testid=st-arrow]", "data-kind"),
        ["call", "reply", "call", "reply"]
    );
    assert_eq!(
        attrs(&root, "[data-testid=st-arrow]", "data-op"),
        ["create", "create", "getChildren", "getChildren"]
    );
    assert_eq!(
        attrs(
            &root,
            "[data-testid=st-arrow][data-kind=reply]",
            "data-zxid"
        ),
        ["0x100000002", ""]
    );
    assert_eq!(
        attrs(&root, "[data-testid=st-hold]", "data-overlap"),
        ["false"]
    );
    // Each lane is named with its client's node.
    assert!(texts(&root, "[data-testid=st-lane-name]").contains(&"client 1 · sub…0".to_string()));
    // A click on the create's answer: its details, and the seed's create line lit.
    let answer = root
        .query_selector("[data-testid=st-arrow][data-kind=reply] line:last-of-type")
        .unwrap()
        .unwrap();
    let click = web_sys::MouseEventInit::new();
    click.set_bubbles(true);
    answer
        .dispatch_event(
            &web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &click).unwrap(),
        )
        .unwrap();
    yew::scheduler::flush().await;
    let details = texts(&root, "[data-testid=st-details] p").join(" | ");
    assert!(details.contains("create /locks/sub0000000000"), "{details}");
    assert!(details.contains("0x100000002"), "{details}");
    let line = shared::SeedListing::DistributedClientFixed.line(shared::SeedPoint::Create);
    assert_eq!(
        *traced.borrow(),
        Some(line.map(|n| (shared::SeedListing::DistributedClientFixed, n)))
    );
}
