//! The page's words as data: `frontend/texts/{en,zh}.json`, embedded when the page is built
//! and read once per language. Each section of the files is an enum here, one variant per
//! key; templates name their blanks (`{n} watching`), filled by [`fill`].

use std::collections::BTreeMap;
use std::sync::OnceLock;

use shared::lesson::{fill_with, Lang};

/// The sections of the texts: for each, an enum whose variants are its texts (`KEYS` holds
/// their JSON keys, in the same order) and whose `get` reads a text in a language. A macro
/// rather than serde's derive: the derive made 8-9 KB of wasm per section, while here one
/// generic map read serves them all and a text is an index.
macro_rules! sections {
    ($(
        $(#[$doc:meta])*
        $name:ident = $section:literal {
            $($(#[$vdoc:meta])* $variant:ident: $key:literal,)*
        }
    )*) => {
        /// The sections, in the order of [`SECTIONS`].
        enum Section {
            $($name,)*
        }

        /// Each section's name in the JSON, and its keys.
        const SECTIONS: &[(&str, &[&str])] = &[$(($section, $name::KEYS),)*];

        $(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub enum $name {
                $($(#[$vdoc])* $variant,)*
            }

            impl $name {
                /// The JSON keys of the texts, in the order of the variants.
                pub const KEYS: &'static [&'static str] = &[$($key,)*];

                /// This text in `lang`.
                pub fn get(self, lang: Lang) -> &'static str {
                    &all(lang)[Section::$name as usize][self as usize]
                }
            }
        )*
    };
}

sections! {
    /// The page's own words: titles, buttons, labels, hints.
    Text = "page" {
        Title: "title",
        Subtitle: "subtitle",
        AddClient: "add_client",
        HoldMs: "hold_ms",
        HoldHint: "hold_hint",
        Crash: "crash",
        Kill: "kill",
        Pause: "pause",
        PauseMs: "pause_ms",
        Paused: "paused",
        ResumesIn: "resumes_in",
        /// A button's word: in Chinese a verb (cut the network); the state it leads to,
        /// `partitioned`, names the partition.
        Partition: "partition",
        Partitioned: "partitioned",
        HealsIn: "heals_in",
        Suspended: "suspended",
        SuspendOnDisconnect: "suspend_on_disconnect",
        Resource: "resource",
        Fencing: "fencing",
        Ensemble: "ensemble",
        EnsembleShared: "ensemble_shared",
        EnsembleOwn: "ensemble_own",
        EnsembleNotYours: "ensemble_not_yours",
        RoomOwner: "room_owner",
        RoomOwnerTitle: "room_owner_title",
        NoQuorum: "no_quorum",
        StopMember: "stop_member",
        StartMember: "start_member",
        Connections: "connections",
        Znodes: "znodes",
        Watches: "watches",
        Outstanding: "outstanding",
        WriteAccepted: "write_accepted",
        WriteRejected: "write_rejected",
        WriteCorrupted: "write_corrupted",
        Expires: "expires",
        Release: "release",
        Queue: "queue",
        EmptyQueue: "empty_queue",
        /// The same to a page with no Add client (a viewer, a student before their name).
        EmptyQueueWatching: "empty_queue_watching",
        /// A key that does the same, shown only where there is a keyboard: `(or {key})`.
        OrKey: "or_key",
        EventLog: "event_log",
        Connecting: "connecting",
        ConnectionTitle: "connection_title",
        Live: "live",
        Lost: "lost",
        Holding: "holding",
        Waiting: "waiting",
        External: "external",
        ExternalHint: "external_hint",
        NewNode: "new_node",
        Releasing: "releasing",
        AboutToCreate: "about_to_create",
        CreateWaits: "create_waits",
        Crashed: "crashed",
        /// A killed client's node, which ZooKeeper keeps until its session expires.
        Killed: "killed",
        Notifications: "notifications",
        Joining: "joining",
        BelievesHolds: "believes_holds",
        GoneFromZk: "gone_from_zk",
        Dismiss: "dismiss",
        Recipe: "recipe",
        RecipePredecessor: "recipe_predecessor",
        RecipeNaive: "recipe_naive",
        RecipeChildren: "recipe_children",
        RecipeScript: "recipe_script",
        ViolationTitle: "violation_title",
        /// Why two held at once, by [`shared::ViolationCause`]: `{first}`, `{second}`,
        /// `{first_node}`, `{watched}`.
        ViolationTrusted: "violation_trusted",
        ViolationPaused: "violation_paused",
        ViolationPartitioned: "violation_partitioned",
        ViolationUnknown: "violation_unknown",
        Herd: "herd",
        HerdClients: "herd_clients",
        HerdNotifications: "herd_notifications",
        HerdPredicted: "herd_predicted",
        HerdLastHandoff: "herd_last_handoff",
        HerdTotal: "herd_total",
        Registry: "registry",
        AddServer: "add_server",
        ServerName: "server_name",
        AddAppClient: "add_app_client",
        AppClient: "app_client",
        Registered: "registered",
        NoServers: "no_servers",
        Time: "time",
        SlowFactor: "slow_factor",
        Next: "next",
        ZkNeverWaits: "zk_never_waits",
        Pending: "pending",
        NothingPending: "nothing_pending",
        CodeTitle: "code_title",
        CodeMended: "code_mended",
        Unread: "unread",
        /// A lock client by its learner's number, as the seed writes it in both languages.
        Client: "client",
        Server: "server",
        /// A node's owner from the server's earlier run, whose number this run never gave.
        EarlierClient: "earlier_client",
        Line: "line",
    }

    /// The key list (`?`): what each key does.
    KeyText = "keys" {
        Title: "title",
        Add: "add",
        Crash: "crash",
        Kill: "kill",
        Freeze: "freeze",
        Release: "release",
        StepOrLive: "step_or_live",
        Next: "next",
        Speed: "speed",
        Select: "select",
        DoIt: "do_it",
        Lang: "lang",
        Presenter: "presenter",
        Resync: "resync",
        Help: "help",
        Close: "close",
        Timeline: "timeline",
        Recipe: "recipe",
        JoinScreen: "join_screen",
    }

    /// The recipe panel: the learner's own lock, its check and its run.
    RecipeText = "recipe" {
        Toggle: "toggle",
        ToggleTitle: "toggle_title",
        Title: "title",
        Hide: "hide",
        StartFrom: "start_from",
        TemplatePredecessorNaive: "template_predecessor-naive",
        TemplatePredecessor: "template_predecessor",
        TemplateChildrenWatch: "template_children-watch",
        TemplateSkeleton: "template_skeleton",
        TemplateEdited: "template_edited",
        Check: "check",
        CheckTitle: "check_title",
        Play: "play",
        PlayTitle: "play_title",
        Run: "run",
        RunTitle: "run_title",
        Running: "running",
        Share: "share",
        ShareTitle: "share_title",
        Shared: "shared",
        EditorLabel: "editor_label",
        VerdictOn: "verdict_on",
        Checking: "checking",
        Stale: "stale",
        TooLong: "too_long",
        Safe: "safe",
        SafeNumbers: "safe_numbers",
        Unfinished: "unfinished",
        Herd: "herd",
        FailureTwoHolders: "failure_two_holders",
        FailureWaitsOnNothing: "failure_waits_on_nothing",
        FailureStuck: "failure_stuck",
        FailureMoves: "failure_moves",
        Error: "error",
        ErrorAfter: "error_after",
        At: "at",
        AtLine: "at_line",
        ErrSyntax: "err_syntax",
        ErrTooLong: "err_too_long",
        ErrMissingHandler: "err_missing_handler",
        ErrHandlerParams: "err_handler_params",
        ErrUnknownCall: "err_unknown_call",
        ErrNotAllowed: "err_not_allowed",
        ErrTwoCalls: "err_two_calls",
        ErrLockMisuse: "err_lock_misuse",
        ErrField: "err_field",
        ErrBudget: "err_budget",
        ErrRuntime: "err_runtime",
        ErrCheckBudget: "err_check_budget",
        BudgetOperations: "budget_operations",
        BudgetString: "budget_string",
        BudgetArray: "budget_array",
        BudgetMap: "budget_map",
        BudgetCallDepth: "budget_call_depth",
        BudgetExpressionDepth: "budget_expression_depth",
        BudgetVariables: "budget_variables",
        MoveCall: "move_call",
        MoveCallOp: "move_call_op",
        MoveNotify: "move_notify",
        MoveHoldOver: "move_hold_over",
        MoveCrash: "move_crash",
        MoveKill: "move_kill",
        MoveExpire: "move_expire",
        Api: "api",
        ApiHandlers: "api_handlers",
        ApiCalls: "api_calls",
        ApiThis: "api_this",
        ApiFixes: "api_fixes",
        RoomRuns: "room_runs",
    }

    /// The fleet page (`/fleet`): the servers and each room's owner queue.
    FleetText = "fleet" {
        Title: "title",
        Intro: "intro",
        Reading: "reading",
        NoFleet: "no_fleet",
        Servers: "servers",
        ServersWhy: "servers_why",
        Runs: "runs",
        This: "this",
        Rooms: "rooms",
        RoomsWhy: "rooms_why",
        NoRooms: "no_rooms",
        Fenced: "fenced",
        Back: "back",
        Link: "link",
    }

    /// The timeline: its panel, its drawing's words, the details of what a click picks.
    TimelineText = "timeline" {
        Toggle: "toggle",
        ToggleTitle: "toggle_title",
        Title: "title",
        Hide: "hide",
        Export: "export",
        ExportTitle: "export_title",
        Zookeeper: "zookeeper",
        Earlier: "earlier",
        HandOffs: "hand_offs",
        Idle: "idle",
        Forgotten: "forgotten",
        OrderNote: "order_note",
        LegendCall: "legend_call",
        LegendReply: "legend_reply",
        LegendNotify: "legend_notify",
        LegendHold: "legend_hold",
        Empty: "empty",
        Only: "only",
        Newest: "newest",
        NewestTitle: "newest_title",
        LaneTitle: "lane_title",
        DetailsCall: "details_call",
        DetailsZxid: "details_zxid",
        DetailsNoZxid: "details_no_zxid",
        DetailsAnswered: "details_answered",
        DetailsUnanswered: "details_unanswered",
        DetailsNote: "details_note",
        DetailsUnread: "details_unread",
        DetailsRead: "details_read",
        DetailsTrusted: "details_trusted",
        DetailsHold: "details_hold",
        DetailsHeldFor: "details_held_for",
        DetailsHolding: "details_holding",
        DetailsOverlap: "details_overlap",
        DetailsLine: "details_line",
        Close: "close",
        Reading: "reading",
        EndCrashed: "end_crashed",
        EndKilled: "end_killed",
        EndFailed: "end_failed",
        EndExpired: "end_expired",
        TwoHolders: "two_holders",
        App: "app",
        LegendWrite: "legend_write",
        LegendZxid: "legend_zxid",
    }

    /// Presenter mode's toggle and the selected client.
    PresenterText = "presenter" {
        Toggle: "toggle",
        ToggleTitle: "toggle_title",
        Selected: "selected",
        NoneSelected: "none_selected",
        /// C, K or F pressed with no client selected.
        NeedsSelection: "needs_selection",
    }

    /// Recordings: download, store, open, and the replay's controls.
    RecordingText = "recording" {
        Download: "download",
        DownloadTitle: "download_title",
        Store: "store",
        Stored: "stored",
        StoreFailed: "store_failed",
        Open: "open",
        DropHint: "drop_hint",
        OpenFailed: "open_failed",
        Replaying: "replaying",
        Play: "play",
        Pause: "pause",
        Speed: "speed",
        Position: "position",
        Elapsed: "elapsed",
        BackLive: "back_live",
    }

    /// The classroom bar: links, presence, names.
    ClassroomText = "classroom" {
        NewRoom: "new_room",
        NewRoomTitle: "new_room_title",
        NewRoomFailed: "new_room_failed",
        Teacher: "teacher",
        TeacherLink: "teacher_link",
        StudentLink: "student_link",
        ViewerLink: "viewer_link",
        QrAlt: "qr_alt",
        Loopback: "loopback",
        Watching: "watching",
        StudentsWithClients: "students_with_clients",
        NoStudentClients: "no_student_clients",
        PickName: "pick_name",
        PickNameHint: "pick_name_hint",
        YouAre: "you_are",
        ViewerOnly: "viewer_only",
        OpenRoom: "open_room",
        ResetRoom: "reset_room",
        ResetRoomTitle: "reset_room_title",
        ResetRoomConfirm: "reset_room_confirm",
        ResetRoomYes: "reset_room_yes",
        Cancel: "cancel",
        ClientsReset: "clients_reset",
        LessonNow: "lesson_now",
        RoomMenu: "room_menu",
        JoinTitle: "join_title",
        JoinShow: "join_show",
        JoinClose: "join_close",
    }

    /// The event log's lines, as templates: one per kind of event (and state), with the
    /// pieces some lines are made of (a long listing's tail, a node's czxid).
    LogText = "log" {
        ClientAdded: "client_added",
        ClientConnected: "client_connected",
        NodeCreated: "node_created",
        ChildrenListed: "children_listed",
        ListingRest: "listing_rest",
        WatchSet: "watch_set",
        WatchFired: "watch_fired",
        ClientError: "client_error",
        ClientClosed: "client_closed",
        ZnodeAdded: "znode_added",
        ZnodeCzxid: "znode_czxid",
        ZnodeRead: "znode_read",
        ZnodeRemoved: "znode_removed",
        SessionChanged: "session_changed",
        ResourceWritten: "resource_written",
        FencingChanged: "fencing_changed",
        LinkFrozen: "link_frozen",
        LinkOpen: "link_open",
        HoldChanged: "hold_changed",
        ServerAdded: "server_added",
        AppClientAdded: "app_client_added",
        RecipeChanged: "recipe_changed",
        ScriptLoaded: "script_loaded",
        CheckedSafe: "checked_safe",
        CheckedUnsafe: "checked_unsafe",
        CheckedError: "checked_error",
        Violation: "violation",
        LockSuspended: "lock_suspended",
        LockResumed: "lock_resumed",
        Partitioned: "partitioned",
        PartitionHealed: "partition_healed",
        SuspendChanged: "suspend_changed",
        RoomReset: "room_reset",
        LessonStep: "lesson_step",
        LessonLeft: "lesson_left",
        TimeChanged: "time_changed",
        TimeSlow: "time_slow",
        MovePending: "move_pending",
        MoveReleased: "move_released",
        CallSent: "call_sent",
        CallAnswered: "call_answered",
        StudentJoined: "student_joined",
        PresenceChanged: "presence_changed",
        EarlierSession: "earlier_session",
    }

    /// Lines the seed's Java prints, as it prints them: the same in every language, so
    /// learners can match them to the tutorial.
    SeedText = "seed_prints" {
        GainLock: "gain_lock",
        Finished: "finished",
        ServerListUpdated: "server_list_updated",
    }

    /// A session's state, as the client sees it (`SessionStatus`).
    StatusText = "session_status" {
        Connected: "connected",
        Disconnected: "disconnected",
        Expired: "expired",
        Closed: "closed",
    }

    /// Why a client left the room (`CloseReason`).
    CloseText = "close_reason" {
        Finished: "finished",
        Crashed: "crashed",
        Killed: "killed",
        Expired: "expired",
        Failed: "failed",
        Shutdown: "shutdown",
        Reset: "reset",
        ServerDied: "server_died",
        RecipeSwitched: "recipe_switched",
    }

    /// A waiting move (`MoveKind`): ZooKeeper calls by their Java names, the same in every
    /// language; the recipe's own steps in words.
    MoveText = "move" {
        Create: "create",
        GetChildren: "get_children",
        GetData: "get_data",
        Exists: "exists",
        Delete: "delete",
        Notification: "notification",
        HoldOver: "hold_over",
        Write: "write",
    }

    /// A time mode's name (`TimeMode`).
    ModeText = "time_mode" {
        Live: "live",
        Step: "step",
        Slow: "slow",
    }

    /// A watch notification's kind (`WatchedKind`) by ZooKeeper's Java name, the same in
    /// every language.
    WatchedText = "watched_kind" {
        NodeCreated: "node_created",
        NodeDeleted: "node_deleted",
        NodeDataChanged: "node_data_changed",
        NodeChildrenChanged: "node_children_changed",
        Session: "session",
    }

    /// What a watch waits for: the server list, any change in `/locks`, or a predecessor.
    PurposeText = "watch_purpose" {
        Registry: "registry",
        LockDir: "lock_dir",
        Predecessor: "predecessor",
    }

    /// A setting on or off.
    OnOffText = "on_off" {
        On: "on",
        Off: "off",
    }

    /// What an error from the server means for the person at the page, by its code; the
    /// server's own message follows as the detail.
    ErrorText = "error" {
        Malformed: "malformed",
        UnknownMessage: "unknown_message",
        InvalidMessage: "invalid_message",
        TooLarge: "too_large",
        RateLimited: "rate_limited",
        HelloExpected: "hello_expected",
        ProtocolMismatch: "protocol_mismatch",
        BadRoom: "bad_room",
        RoomFull: "room_full",
        BadName: "bad_name",
        TooManyRooms: "too_many_rooms",
        TooManyNewRooms: "too_many_new_rooms",
        TooManyConnections: "too_many_connections",
        NoSuchClient: "no_such_client",
        InvalidState: "invalid_state",
        NoSuchMember: "no_such_member",
        Forbidden: "forbidden",
        NoSuchRoom: "no_such_room",
        StudentLimit: "student_limit",
        ForeignOrigin: "foreign_origin",
        Busy: "busy",
        BadRecipe: "bad_recipe",
        Elsewhere: "elsewhere",
    }
}

/// A language's texts: by section, in the order of [`SECTIONS`], then by key, in the order of
/// the section's `KEYS`.
type Texts = Vec<Vec<String>>;

/// Reads a language's file: every section and key the page has, and nothing else. (Slots
/// filled by a linear search of the keys made less wasm than removing them from the maps.)
fn parse(json: &str) -> Result<Texts, String> {
    let file: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_str(json).map_err(|e| e.to_string())?;
    let mut slots: Vec<Vec<Option<String>>> = SECTIONS
        .iter()
        .map(|(_, keys)| vec![None; keys.len()])
        .collect();
    for (section, texts) in file {
        let Some(at) = SECTIONS.iter().position(|(name, _)| *name == section) else {
            return Err(format!("{section} is no part of the page's texts"));
        };
        for (key, text) in texts {
            let Some(slot) = SECTIONS[at].1.iter().position(|k| *k == key) else {
                return Err(format!("{section}.{key} is no text of the page"));
            };
            slots[at][slot] = Some(text);
        }
    }
    let mut read = Vec::with_capacity(SECTIONS.len());
    for ((section, keys), texts) in SECTIONS.iter().zip(slots) {
        let mut section_texts = Vec::with_capacity(keys.len());
        for (key, text) in keys.iter().zip(texts) {
            match text {
                Some(text) => section_texts.push(text),
                None => return Err(format!("{section}.{key} is missing")),
            }
        }
        read.push(section_texts);
    }
    Ok(read)
}

/// A JSON file, without the whitespace between its tokens, as text: done when the page is
/// built, as the files are indented for people and the wasm need not carry that.
macro_rules! minified {
    ($file:literal) => {{
        const FILE: &[u8] = include_bytes!($file);
        const BYTES: &[u8] = &{
            let mut out = [0; minify(FILE, None)];
            minify(FILE, Some(&mut out));
            out
        };
        match std::str::from_utf8(BYTES) {
            Ok(text) => text,
            Err(_) => panic!("the texts are UTF-8"),
        }
    }};
}

/// How long `json` is without the whitespace outside its strings; with `out`, copies it there.
const fn minify(json: &[u8], mut out: Option<&mut [u8]>) -> usize {
    let (mut at, mut len, mut in_string, mut escaped) = (0, 0, false, false);
    while at < json.len() {
        let byte = json[at];
        at += 1;
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if byte == b'"' {
            in_string = true;
        } else if byte.is_ascii_whitespace() {
            continue;
        }
        if let Some(out) = &mut out {
            out[len] = byte;
        }
        len += 1;
    }
    len
}

const EN: &str = minified!("../texts/en.json");
const ZH: &str = minified!("../texts/zh.json");

/// The texts of `lang`. The files are checked by a test, so reading them cannot fail here.
fn all(lang: Lang) -> &'static Texts {
    static TEXTS: [OnceLock<Texts>; 2] = [OnceLock::new(), OnceLock::new()];
    let (at, json) = match lang {
        Lang::En => (0, EN),
        Lang::Zh => (1, ZH),
    };
    TEXTS[at].get_or_init(|| parse(json).expect("the page's texts parse"))
}

/// `template` with its `{name}`s filled from `values`.
pub fn fill(template: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    fill_with(template, |name| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blanks(template: &str) -> Vec<&str> {
        let mut names = shared::lesson::texts::placeholders(template);
        names.sort_unstable();
        names
    }

    /// Every text of every section, in English and in Chinese.
    fn pairs() -> impl Iterator<Item = (String, &'static str, &'static str)> {
        SECTIONS
            .iter()
            .enumerate()
            .flat_map(|(s, (section, keys))| {
                keys.iter().enumerate().map(move |(k, key)| {
                    let text = |lang| all(lang)[s][k].as_str();
                    (format!("{section}.{key}"), text(Lang::En), text(Lang::Zh))
                })
            })
    }

    #[test]
    fn both_languages_parse_and_every_template_has_the_same_blanks_in_both() {
        for (key, en, zh) in pairs() {
            assert_eq!(blanks(en), blanks(zh), "{key}: {en} / {zh}");
        }
        use ClassroomText::*;
        for text in [NewRoom, PickNameHint, ViewerOnly] {
            let text = text.get(Lang::Zh);
            assert!(
                !text.contains(',') && !text.contains(':'),
                "half-width punctuation: {text}"
            );
        }
    }

    #[test]
    fn every_text_differs_between_languages_except_paths_names_and_the_seeds_lines() {
        let same_in_both = |key: &str| {
            let (section, key) = key.split_once('.').unwrap();
            match section {
                "seed_prints" | "watched_kind" => true,
                "move" => ["create", "get_children", "get_data", "exists", "delete"].contains(&key),
                // The seed writes "client" and "server" in its Chinese too.
                "page" => ["queue", "client", "server"].contains(&key),
                "log" => key == "znode_czxid",
                // Names: the timeline's lanes of the ensemble and of the AppClients.
                "timeline" => ["zookeeper", "app"].contains(&key),
                _ => false,
            }
        };
        for (key, en, zh) in pairs() {
            assert_eq!(en == zh, same_in_both(&key), "{key}: {en} / {zh}");
        }
    }

    #[test]
    fn a_missing_or_unknown_text_is_named() {
        let good: serde_json::Value = serde_json::from_str(EN).unwrap();
        let mut missing = good.clone();
        missing["keys"].as_object_mut().unwrap().remove("kill");
        assert_eq!(
            parse(&missing.to_string()).unwrap_err(),
            "keys.kill is missing"
        );
        let mut missing = good.clone();
        missing["log"]
            .as_object_mut()
            .unwrap()
            .remove("client_added");
        assert_eq!(
            parse(&missing.to_string()).unwrap_err(),
            "log.client_added is missing"
        );
        let mut missing = good.clone();
        missing.as_object_mut().unwrap().remove("page");
        assert_eq!(
            parse(&missing.to_string()).unwrap_err(),
            "page.title is missing"
        );
        let mut extra = good.clone();
        extra["presenter"]["blink"] = "x".into();
        assert_eq!(
            parse(&extra.to_string()).unwrap_err(),
            "presenter.blink is no text of the page"
        );
        let mut extra = good;
        extra["footer"] = serde_json::json!({});
        assert_eq!(
            parse(&extra.to_string()).unwrap_err(),
            "footer is no part of the page's texts"
        );
    }

    #[test]
    fn the_embedded_files_are_the_files_without_their_indentation() {
        let json = |text| serde_json::from_str::<serde_json::Value>(text).unwrap();
        for (embedded, file) in [
            (EN, include_str!("../texts/en.json")),
            (ZH, include_str!("../texts/zh.json")),
        ] {
            assert_eq!(json(embedded), json(file));
            assert!(!embedded.contains("\n  "));
        }
        let indented = b"{\n  \"a b\": \"c \\\" d \\\\\",\n  \"e\" : [1, 2]\n}\n";
        let mut out = [0; 32];
        let len = minify(indented, Some(&mut out));
        assert_eq!(len, minify(indented, None));
        assert_eq!(&out[..len], b"{\"a b\":\"c \\\" d \\\\\",\"e\":[1,2]}");
    }

    #[test]
    fn a_text_is_found_by_its_key() {
        assert_eq!(Text::AddClient.get(Lang::En), "Add client");
        assert_eq!(Text::Line.get(Lang::Zh), "行");
        assert_eq!(OnOffText::Off.get(Lang::Zh), "关");
        for (section, keys) in SECTIONS {
            let mut sorted = keys.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), keys.len(), "a key twice in {section}");
        }
    }

    #[test]
    fn templates_fill_their_blanks() {
        let line = fill(
            ClassroomText::YouAre.get(Lang::En),
            &[("name", &"Ana"), ("n", &1), ("max", &3)],
        );
        assert_eq!(line, "You are Ana: 1 of 3 clients are yours.");
        let zh = fill(ClassroomText::Watching.get(Lang::Zh), &[("n", &31)]);
        assert_eq!(zh, "31 人在看");
    }
}
