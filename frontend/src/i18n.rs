//! Which of the page's words to show: the names of states, moves and modes, and the event
//! log's lines, built from the templates of [`crate::texts`] (the words themselves are data,
//! in `frontend/texts/{en,zh}.json`).
//!
//! The lines a recipe prints (`gain lock:`, `finished:`) stay exactly as the seed's Java code
//! prints them, in both languages, so learners can match them to the tutorial.

use shared::recipe::VerdictStatus;
use std::fmt::Display;

use shared::{
    ClientId, ClientKind, ClientNames, CloseReason, ErrorCode, RoomEvent, SessionStatus, WatchCall,
    WatchedKind,
};

use crate::texts::{
    fill, CloseText, ErrorText, LogText, ModeText, MoveText, OnOffText, PurposeText, SeedText,
    StatusText, WatchedText,
};

pub use crate::texts::Text;
pub use shared::lesson::Lang;

/// A session state, as the client sees it.
pub fn status_name(state: SessionStatus, lang: Lang) -> &'static str {
    match state {
        SessionStatus::Connected => StatusText::Connected,
        SessionStatus::Disconnected => StatusText::Disconnected,
        SessionStatus::Expired => StatusText::Expired,
        SessionStatus::Closed => StatusText::Closed,
    }
    .get(lang)
}

/// A waiting move: ZooKeeper calls by their Java names, the recipe's own steps in words.
pub fn move_name(kind: shared::MoveKind, lang: Lang) -> &'static str {
    use shared::MoveKind::*;
    match kind {
        Create => MoveText::Create,
        GetChildren => MoveText::GetChildren,
        GetData => MoveText::GetData,
        Exists => MoveText::Exists,
        Delete => MoveText::Delete,
        Notification => MoveText::Notification,
        HoldOver => MoveText::HoldOver,
        Write => MoveText::Write,
    }
    .get(lang)
}

/// A time mode's name in the selector.
pub fn mode_name(mode: shared::TimeMode, lang: Lang) -> &'static str {
    match mode {
        shared::TimeMode::Live => ModeText::Live,
        shared::TimeMode::Step => ModeText::Step,
        shared::TimeMode::Slow => ModeText::Slow,
    }
    .get(lang)
}

/// A watch call as the seed's Java names it (an identifier, the same in every language).
pub fn call_name(call: WatchCall) -> &'static str {
    match call {
        WatchCall::GetData => "getData",
        WatchCall::Exists => "exists",
        WatchCall::GetChildren => "getChildren",
    }
}

fn kind_name(kind: WatchedKind) -> WatchedText {
    match kind {
        WatchedKind::NodeCreated => WatchedText::NodeCreated,
        WatchedKind::NodeDeleted => WatchedText::NodeDeleted,
        WatchedKind::NodeDataChanged => WatchedText::NodeDataChanged,
        WatchedKind::NodeChildrenChanged => WatchedText::NodeChildrenChanged,
        WatchedKind::Session => WatchedText::Session,
    }
}

fn close_reason(reason: CloseReason) -> CloseText {
    match reason {
        CloseReason::Finished => CloseText::Finished,
        CloseReason::Crashed => CloseText::Crashed,
        CloseReason::Killed => CloseText::Killed,
        CloseReason::Expired => CloseText::Expired,
        CloseReason::Failed => CloseText::Failed,
        CloseReason::Shutdown => CloseText::Shutdown,
        CloseReason::Reset => CloseText::Reset,
        CloseReason::ServerDied => CloseText::ServerDied,
        CloseReason::RecipeSwitched => CloseText::RecipeSwitched,
    }
}

fn on_off(on: bool) -> OnOffText {
    match on {
        true => OnOffText::On,
        false => OnOffText::Off,
    }
}

/// What a watch on `path` waits for: a children watch on a folder waits for any change in
/// it (every waiter of `DistributedClient2`, every AppClient); a watch on a lock node waits
/// for that predecessor to go.
fn watch_purpose(path: &str) -> PurposeText {
    match path {
        shared::REGISTRY_DIR => PurposeText::Registry,
        shared::LOCK_DIR => PurposeText::LockDir,
        _ => PurposeText::Predecessor,
    }
}

/// What an error from the server means, in the page's words (its message is the detail).
pub fn error_text(code: ErrorCode) -> ErrorText {
    match code {
        ErrorCode::Malformed => ErrorText::Malformed,
        ErrorCode::UnknownMessage => ErrorText::UnknownMessage,
        ErrorCode::InvalidMessage => ErrorText::InvalidMessage,
        ErrorCode::TooLarge => ErrorText::TooLarge,
        ErrorCode::RateLimited => ErrorText::RateLimited,
        ErrorCode::HelloExpected => ErrorText::HelloExpected,
        ErrorCode::ProtocolMismatch => ErrorText::ProtocolMismatch,
        ErrorCode::BadRoom => ErrorText::BadRoom,
        ErrorCode::RoomFull => ErrorText::RoomFull,
        ErrorCode::BadName => ErrorText::BadName,
        ErrorCode::TooManyRooms => ErrorText::TooManyRooms,
        ErrorCode::TooManyNewRooms => ErrorText::TooManyNewRooms,
        ErrorCode::TooManyConnections => ErrorText::TooManyConnections,
        ErrorCode::NoSuchClient => ErrorText::NoSuchClient,
        ErrorCode::InvalidState => ErrorText::InvalidState,
        ErrorCode::NoSuchMember => ErrorText::NoSuchMember,
        ErrorCode::Forbidden => ErrorText::Forbidden,
        ErrorCode::NoSuchRoom => ErrorText::NoSuchRoom,
        ErrorCode::StudentLimit => ErrorText::StudentLimit,
        ErrorCode::ForeignOrigin => ErrorText::ForeignOrigin,
        ErrorCode::Busy => ErrorText::Busy,
        ErrorCode::BadRecipe => ErrorText::BadRecipe,
        ErrorCode::Elsewhere => ErrorText::Elsewhere,
    }
}

/// A client as the page names it: `client 2`, `server 1`, `app client 1`, by its learner's
/// number in the room (see `shared::ClientNames`).
pub fn client_name(names: &ClientNames, client: ClientId, lang: Lang) -> String {
    let n = names.number(client);
    match names.get(client).map(|name| name.kind) {
        Some(ClientKind::App) => format!("{} {n}", Text::AppClient.get(lang)),
        Some(ClientKind::Server) => fill(Text::Server.get(lang), &[("n", &n)]),
        Some(ClientKind::Lock) | None => fill(Text::Client.get(lang), &[("n", &n)]),
    }
}

/// One event as a line of the event log, each client by its learner's number in `names`.
pub fn describe(event: &RoomEvent, names: &ClientNames, lang: Lang) -> String {
    use LogText as L;
    use RoomEvent::*;
    let line = |text: L, values: &[(&str, &dyn Display)]| fill(text.get(lang), values);
    // The client the line is about, as the page names it.
    let who = event
        .client()
        .map(|c| client_name(names, c, lang))
        .unwrap_or_default();
    match event {
        ClientAdded { .. } => line(L::ClientAdded, &[("client", &who)]),
        ClientConnected {
            session,
            timeout_ms,
            ..
        } => line(
            L::ClientConnected,
            &[
                ("client", &who),
                ("session", session),
                ("timeout_ms", timeout_ms),
            ],
        ),
        NodeCreatedByClient { path, .. } => {
            line(L::NodeCreated, &[("client", &who), ("path", path)])
        }
        ChildrenListed {
            dir,
            children,
            total,
            ..
        } => {
            // A listing cut short (see `shared::LISTED_NAMES_MAX`) tells how many names there were.
            let rest = match (children.len() as u64) < u64::from(*total) {
                true => line(L::ListingRest, &[("total", total)]),
                false => String::new(),
            };
            line(
                L::ChildrenListed,
                &[
                    ("client", &who),
                    ("dir", dir),
                    ("children", &children.join(", ")),
                    ("rest", &rest),
                ],
            )
        }
        WatchSet { path, call, .. } => line(
            L::WatchSet,
            &[
                ("client", &who),
                ("call", &call_name(*call)),
                ("path", path),
                ("waits", &watch_purpose(path).get(lang)),
            ],
        ),
        WatchFired { path, event, .. } => line(
            L::WatchFired,
            &[
                ("client", &who),
                ("event", &kind_name(*event).get(lang)),
                ("path", path),
            ],
        ),
        LockGained { path, .. } => fill(SeedText::GainLock.get(lang), &[("path", path)]),
        LockReleased { path, .. } => fill(SeedText::Finished.get(lang), &[("path", path)]),
        ClientError { message, .. } => {
            line(L::ClientError, &[("client", &who), ("message", message)])
        }
        ClientClosed { reason, .. } => line(
            L::ClientClosed,
            &[("client", &who), ("why", &close_reason(*reason).get(lang))],
        ),
        ZnodeAdded { node } => {
            let czxid = node
                .czxid()
                .map(|z| line(L::ZnodeCzxid, &[("czxid", &z)]))
                .unwrap_or_default();
            line(L::ZnodeAdded, &[("path", &node.path), ("czxid", &czxid)])
        }
        ZnodeRead { path, read } => line(L::ZnodeRead, &[("path", path), ("czxid", &read.czxid)]),
        ZnodeRemoved { path } => line(L::ZnodeRemoved, &[("path", path)]),
        SessionChanged { state, member, .. } => line(
            L::SessionChanged,
            &[
                ("client", &who),
                ("state", &status_name(*state, lang)),
                // No member: a dash, in every language.
                ("member", &member.as_deref().unwrap_or("–")),
            ],
        ),
        LinkChanged { frozen: true, .. } => line(L::LinkFrozen, &[("client", &who)]),
        LinkChanged { .. } => line(L::LinkOpen, &[("client", &who)]),
        ResourceWritten { token, outcome, .. } => {
            let outcome = match outcome {
                shared::WriteOutcome::Accepted => Text::WriteAccepted,
                shared::WriteOutcome::Rejected => Text::WriteRejected,
                shared::WriteOutcome::Corrupted => Text::WriteCorrupted,
            };
            line(
                L::ResourceWritten,
                &[
                    ("client", &who),
                    ("token", token),
                    ("outcome", &outcome.get(lang)),
                ],
            )
        }
        FencingChanged { on } => line(L::FencingChanged, &[("on_off", &on_off(*on).get(lang))]),
        HoldChanged { hold_ms } => line(L::HoldChanged, &[("hold_ms", hold_ms)]),
        ServerAdded { name, .. } => line(L::ServerAdded, &[("client", &who), ("name", name)]),
        AppClientAdded { .. } => line(L::AppClientAdded, &[("client", &who)]),
        RecipeChanged { recipe } => line(L::RecipeChanged, &[("recipe", &recipe.as_str())]),
        ScriptLoaded { source } => line(L::ScriptLoaded, &[("lines", &source.lines().count())]),
        RecipeChecked { verdict, .. } => {
            let (clients, states, moves) = (verdict.clients, verdict.states, verdict.moves.len());
            let values: [(&str, &dyn Display); 3] = [
                ("clients", &clients),
                ("states", &states),
                ("moves", &moves),
            ];
            let text = match verdict.status {
                VerdictStatus::Safe => L::CheckedSafe,
                VerdictStatus::Unsafe => L::CheckedUnsafe,
                VerdictStatus::Error => L::CheckedError,
            };
            line(text, &values)
        }
        ServerListUpdated { servers, .. } => fill(
            SeedText::ServerListUpdated.get(lang),
            &[("servers", &servers.join(", "))],
        ),
        Violation {
            first_path,
            second_path,
            ..
        } => line(
            L::Violation,
            &[("first_path", first_path), ("second_path", second_path)],
        ),
        TimeChanged { mode, slow_factor } => {
            let text = match mode {
                shared::TimeMode::Slow => L::TimeSlow,
                _ => L::TimeChanged,
            };
            line(
                text,
                &[
                    ("mode", &mode_name(*mode, lang)),
                    ("slow_factor", slow_factor),
                ],
            )
        }
        MovePending { pending } => line(
            L::MovePending,
            &[("client", &who), ("move", &move_name(pending.kind, lang))],
        ),
        MoveReleased { .. } => line(L::MoveReleased, &[("client", &who)]),
        CallSent { op, path, .. } => line(
            L::CallSent,
            &[("client", &who), ("op", &op.as_str()), ("path", path)],
        ),
        CallAnswered { op, path, .. } => line(
            L::CallAnswered,
            &[("client", &who), ("op", &op.as_str()), ("path", path)],
        ),
        LockSuspended { path, .. } => line(L::LockSuspended, &[("client", &who), ("path", path)]),
        LockResumed { path, .. } => line(L::LockResumed, &[("client", &who), ("path", path)]),
        PartitionChanged {
            partitioned: true, ..
        } => line(L::Partitioned, &[("client", &who)]),
        PartitionChanged { .. } => line(L::PartitionHealed, &[("client", &who)]),
        SuspendChanged { on } => line(L::SuspendChanged, &[("on_off", &on_off(*on).get(lang))]),
        RoomReset => line(L::RoomReset, &[]),
        LessonChanged { progress: Some(p) } => line(
            L::LessonStep,
            &[("lesson", &p.lesson), ("step", &(p.step + 1))],
        ),
        LessonChanged { progress: None } => line(L::LessonLeft, &[]),
        StudentJoined { name, .. } => line(L::StudentJoined, &[("name", name)]),
        // Its client's id is the earlier run's: no number of this run names it.
        EarlierSession { session, .. } => line(L::EarlierSession, &[("session", session)]),
        PresenceChanged { watching, .. } => line(L::PresenceChanged, &[("watching", watching)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line as a room shows it whose lock clients 2 to 9 are its clients 1 to 8 (the
    /// AppClient took id 1).
    fn say(event: &RoomEvent, lang: Lang) -> String {
        let mut names = ClientNames::default();
        names.apply(&RoomEvent::AppClientAdded { client: 1 }, false);
        for client in 2..=9 {
            names.apply(
                &RoomEvent::ClientAdded {
                    client,
                    owner: None,
                },
                false,
            );
        }
        describe(event, &names, lang)
    }

    #[test]
    fn recipe_lines_are_the_seeds_in_every_language() {
        for lang in [Lang::En, Lang::Zh] {
            assert_eq!(
                say(
                    &RoomEvent::LockGained {
                        client: 1,
                        path: "/locks/sub0000000000".into()
                    },
                    lang
                ),
                "gain lock: /locks/sub0000000000"
            );
            assert_eq!(
                say(
                    &RoomEvent::LockReleased {
                        client: 1,
                        path: "/locks/sub0000000000".into()
                    },
                    lang
                ),
                "finished: /locks/sub0000000000"
            );
            let listed = RoomEvent::ServerListUpdated {
                client: 3,
                servers: vec!["a:1".into(), "b:2".into()],
            };
            assert_eq!(say(&listed, lang), "server list updated: [a:1, b:2]");
        }
    }

    #[test]
    fn a_servers_error_is_said_in_the_pages_language() {
        let limit = error_text(ErrorCode::StudentLimit);
        assert!(
            limit.get(Lang::Zh).contains("上限"),
            "{}",
            limit.get(Lang::Zh)
        );
        assert!(limit.get(Lang::En).contains("Crash or kill one"));
        assert_eq!(
            error_text(ErrorCode::ForeignOrigin),
            ErrorText::ForeignOrigin
        );
    }

    #[test]
    fn every_text_differs_between_languages_except_paths() {
        assert_ne!(Text::AddClient.get(Lang::En), Text::AddClient.get(Lang::Zh));
        assert_eq!(Text::Queue.get(Lang::En), Text::Queue.get(Lang::Zh));
    }

    #[test]
    fn a_listing_names_its_folder_and_a_watch_what_it_waits_for() {
        let servers = RoomEvent::children_listed(4, "/sgroup", &["sub0000000000".to_string()]);
        assert_eq!(
            say(&servers, Lang::En),
            "client 3: getChildren /sgroup → [sub0000000000]"
        );
        let watch = |path: &str, call| RoomEvent::WatchSet {
            client: 2,
            path: path.into(),
            call,
        };
        let line = say(&watch("/sgroup", WatchCall::GetChildren), Lang::En);
        assert!(
            line.ends_with("waits for the server list to change"),
            "{line}"
        );
        let line = say(&watch("/locks", WatchCall::GetChildren), Lang::En);
        assert!(line.ends_with("children of /locks"), "{line}");
        let line = say(&watch("/locks/sub0000000001", WatchCall::GetData), Lang::En);
        assert!(line.ends_with("waits for its predecessor to go"), "{line}");
    }

    #[test]
    fn a_long_listing_shows_its_first_names_and_the_count() {
        let names: Vec<String> = (0..40).map(|n| format!("sub{n:010}")).collect();
        let event = RoomEvent::children_listed(7, "/locks", &names);
        let line = say(&event, Lang::En);
        assert!(line.starts_with("client 6: getChildren /locks → [sub0000000000, "));
        assert!(line.contains("sub0000000031]"), "{line}");
        assert!(!line.contains("sub0000000032"), "{line}");
        assert!(line.ends_with(" … (40 in all)"), "{line}");
        assert!(say(&event, Lang::Zh).ends_with(" …（共 40 个）"));
        let short = RoomEvent::children_listed(7, "/locks", &names[..2]);
        assert_eq!(
            say(&short, Lang::En),
            "client 6: getChildren /locks → [sub0000000000, sub0000000001]"
        );
    }

    /// One event of every kind (and state).
    fn every_kind_of_event() -> Vec<RoomEvent> {
        use shared::{SessionId, Znode};
        use RoomEvent::*;
        let (client, path) = (1, || "/locks/sub0000000001".to_string());
        let progress = serde_json::json!({"lesson": 2, "step": 0, "steps": []});
        let pending = serde_json::json!({"id": 1, "client": 1, "kind": "write",
            "point": "connect", "path": null, "since_ms": 0, "due_ms": null});
        vec![
            ClientAdded {
                client,
                owner: None,
            },
            ServerAdded {
                client,
                name: "a:1".into(),
                owner: None,
            },
            AppClientAdded { client },
            ClientConnected {
                client,
                session: SessionId(0x10),
                timeout_ms: 5000,
            },
            NodeCreatedByClient {
                client,
                path: path(),
            },
            RoomEvent::children_listed(client, "/locks", &vec!["sub".to_string(); 40]),
            WatchSet {
                client,
                path: path(),
                call: WatchCall::Exists,
            },
            WatchFired {
                client,
                path: path(),
                event: WatchedKind::NodeDeleted,
            },
            LockGained {
                client,
                path: path(),
            },
            LockReleased {
                client,
                path: path(),
            },
            ClientError {
                client,
                message: "ConnectionLoss".into(),
            },
            ClientClosed {
                client,
                reason: CloseReason::Killed,
            },
            ZnodeAdded {
                node: Znode::read(path(), 7, SessionId(0x10), ""),
            },
            ZnodeRead {
                path: path(),
                read: shared::ZnodeRead {
                    czxid: 7,
                    owner_session: SessionId(0x10),
                    data: String::new(),
                },
            },
            ZnodeRemoved { path: path() },
            SessionChanged {
                client,
                state: SessionStatus::Expired,
                member: None,
            },
            ResourceWritten {
                client,
                path: path(),
                token: 7,
                outcome: shared::WriteOutcome::Rejected,
            },
            FencingChanged { on: true },
            LinkChanged {
                client,
                frozen: true,
                until_ms: None,
            },
            LinkChanged {
                client,
                frozen: false,
                until_ms: None,
            },
            HoldChanged { hold_ms: 0 },
            RecipeChanged {
                recipe: shared::LockRecipeKind::ChildrenWatch,
            },
            ServerListUpdated {
                client,
                servers: vec![],
            },
            Violation {
                first: 1,
                first_path: path(),
                second: 2,
                second_path: path(),
            },
            LockSuspended {
                client,
                path: path(),
            },
            LockResumed {
                client,
                path: path(),
            },
            PartitionChanged {
                client,
                partitioned: true,
                until_ms: None,
            },
            PartitionChanged {
                client,
                partitioned: false,
                until_ms: None,
            },
            SuspendChanged { on: false },
            RoomReset,
            LessonChanged {
                progress: Some(serde_json::from_value(progress).unwrap()),
            },
            LessonChanged { progress: None },
            TimeChanged {
                mode: shared::TimeMode::Step,
                slow_factor: 4,
            },
            TimeChanged {
                mode: shared::TimeMode::Slow,
                slow_factor: 4,
            },
            MovePending {
                pending: serde_json::from_value(pending).unwrap(),
            },
            MoveReleased { id: 1, client },
            StudentJoined {
                student: 1,
                name: "Ana".into(),
            },
            PresenceChanged {
                watching: 3,
                here: vec![],
            },
            EarlierSession {
                client,
                session: SessionId(0x11),
                timeout_ms: 5000,
                expires_at_ms: None,
            },
        ]
    }

    #[test]
    fn every_event_line_fills_all_its_blanks() {
        for lang in Lang::ALL {
            for event in every_kind_of_event() {
                let line = say(&event, lang);
                assert!(!line.contains(['{', '}']), "{line}");
            }
        }
        let time = |mode, lang| {
            say(
                &RoomEvent::TimeChanged {
                    mode,
                    slow_factor: 4,
                },
                lang,
            )
        };
        assert_eq!(time(shared::TimeMode::Slow, Lang::Zh), "时间：慢动作 ×4");
        assert_eq!(time(shared::TimeMode::Live, Lang::En), "time: live");
        // Id 2 is the room's first lock client.
        let session = RoomEvent::SessionChanged {
            client: 2,
            state: SessionStatus::Expired,
            member: None,
        };
        assert_eq!(say(&session, Lang::En), "client 1: session expired (via –)");
        let app = RoomEvent::AppClientAdded { client: 1 };
        assert_eq!(say(&app, Lang::En), "app client 1: starting");
    }
}
