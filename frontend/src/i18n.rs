//! English and Chinese words of the UI, and the event log's lines.
//!
//! The lines a recipe prints (`gain lock:`, `finished:`) stay exactly as the seed's Java code
//! prints them, in both languages, so learners can match them to the tutorial.

use shared::{CloseReason, RoomEvent, SessionStatus, WatchCall, WatchedKind};

pub use shared::lesson::Lang;

/// A piece of UI text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    Title,
    Subtitle,
    AddClient,
    HoldMs,
    HoldHint,
    Crash,
    Kill,
    Pause,
    PauseMs,
    Paused,
    ResumesIn,
    Partition,
    Partitioned,
    HealsIn,
    Suspended,
    SuspendOnDisconnect,
    Resource,
    Fencing,
    Ensemble,
    NoQuorum,
    StopMember,
    StartMember,
    Connections,
    Znodes,
    Watches,
    Outstanding,
    WriteAccepted,
    WriteRejected,
    WriteCorrupted,
    Expires,
    Release,
    Queue,
    EmptyQueue,
    EventLog,
    Connecting,
    Live,
    Lost,
    Holding,
    Waiting,
    External,
    NewNode,
    Crashed,
    Notifications,
    Joining,
    BelievesHolds,
    GoneFromZk,
    Dismiss,
    Recipe,
    RecipePredecessor,
    RecipeNaive,
    RecipeChildren,
    ViolationTitle,
    ViolationWhy,
    Herd,
    HerdClients,
    HerdNotifications,
    HerdPredicted,
    HerdLastHandoff,
    HerdTotal,
    Registry,
    AddServer,
    ServerName,
    AddAppClient,
    AppClient,
    Registered,
    NoServers,
    Time,
    ModeLive,
    ModeStep,
    ModeSlow,
    SlowFactor,
    Next,
    ZkNeverWaits,
    Pending,
    NothingPending,
    CodeTitle,
    CodeMended,
    Unread,
    Client,
    Line,
}

impl Text {
    pub fn get(self, lang: Lang) -> &'static str {
        use Text::*;
        match (lang, self) {
            (Lang::En, Title) => "zkplay — distributed lock",
            (Lang::Zh, Title) => "zkplay — 分布式锁",
            (Lang::En, Subtitle) => "Each client is a real ZooKeeper session contending in /locks",
            (Lang::Zh, Subtitle) => "每个客户端都是一个真实的 ZooKeeper 会话, 在 /locks 下争抢锁",
            (Lang::En, AddClient) => "Add client",
            (Lang::Zh, AddClient) => "添加客户端",
            (Lang::En, HoldMs) => "Hold time (ms)",
            (Lang::Zh, HoldMs) => "持有时间 (毫秒)",
            (Lang::En, HoldHint) => "0 = hold until Release",
            (Lang::Zh, HoldHint) => "0 = 直到点击释放",
            (Lang::En, Crash) => "Crash",
            (Lang::Zh, Crash) => "崩溃",
            (Lang::En, Pause) => "Pause",
            (Lang::Zh, Pause) => "暂停",
            (Lang::En, PauseMs) => "Pause (ms)",
            (Lang::Zh, PauseMs) => "暂停时长 (毫秒)",
            (Lang::En, StopMember) => "Stop",
            (Lang::Zh, StopMember) => "停止",
            (Lang::En, StartMember) => "Start",
            (Lang::Zh, StartMember) => "启动",
            (Lang::En, Ensemble) => "ZooKeeper ensemble",
            (Lang::Zh, Ensemble) => "ZooKeeper 集群",
            (Lang::En, NoQuorum) => "No quorum: writes stall until a majority of members is back",
            (Lang::Zh, NoQuorum) => "没有法定人数: 写操作会停住, 直到多数成员恢复",
            (Lang::En, Connections) => "connections",
            (Lang::Zh, Connections) => "连接",
            (Lang::En, Znodes) => "znodes",
            (Lang::Zh, Znodes) => "节点",
            (Lang::En, Watches) => "watches",
            (Lang::Zh, Watches) => "监听",
            (Lang::En, Outstanding) => "outstanding",
            (Lang::Zh, Outstanding) => "排队请求",
            (Lang::En, Resource) => "Protected resource (writes by lock holders)",
            (Lang::Zh, Resource) => "受保护的资源 (锁持有者的写入)",
            (Lang::En, Fencing) => "fencing tokens: refuse a token lower than the highest accepted",
            (Lang::Zh, Fencing) => "fencing token: 拒绝低于已接受最高值的 token",
            (Lang::En, WriteAccepted) => "accepted",
            (Lang::Zh, WriteAccepted) => "已接受",
            (Lang::En, WriteRejected) => "REJECTED: a newer holder wrote with a higher token",
            (Lang::Zh, WriteRejected) => "已拒绝: 更新的持有者用更高的 token 写过了",
            (Lang::En, WriteCorrupted) => "CORRUPTION: a stale holder's write landed",
            (Lang::Zh, WriteCorrupted) => "数据损坏: 过期持有者的写入被接受了",
            (Lang::En, Partition) => "Partition",
            // A button's word; the state it leads to says 网络分区.
            (Lang::Zh, Partition) => "断网",
            (Lang::En, Partitioned) => "cut off from ZooKeeper, runs on",
            (Lang::Zh, Partitioned) => "与 ZooKeeper 断开，进程照常运行",
            (Lang::En, HealsIn) => "heals in",
            (Lang::Zh, HealsIn) => "网络恢复倒计时",
            (Lang::En, Suspended) => "holds its node, stopped: disconnected",
            (Lang::Zh, Suspended) => "节点还在，已停下：连接断开",
            (Lang::En, SuspendOnDisconnect) => {
                "careful holders: stop on Disconnected, give up when the session is lost"
            }
            (Lang::Zh, SuspendOnDisconnect) => "谨慎的持有者：连接断开即停下，会话过期即放弃锁",
            (Lang::En, ResumesIn) => "runs again in",
            (Lang::Zh, ResumesIn) => "恢复倒计时",
            (Lang::En, Paused) => "paused",
            (Lang::Zh, Paused) => "暂停中",
            (Lang::En, Kill) => "Kill",
            (Lang::Zh, Kill) => "杀死",
            (Lang::En, Expires) => "session expires in",
            (Lang::Zh, Expires) => "会话过期倒计时",
            (Lang::En, Release) => "Release",
            (Lang::Zh, Release) => "释放",
            (Lang::En, Queue) => "/locks",
            (Lang::Zh, Queue) => "/locks",
            (Lang::En, EmptyQueue) => "No one wants the lock yet. Press Add client (or A).",
            (Lang::Zh, EmptyQueue) => "还没有客户端争抢锁。点击「添加客户端」(或按 A)。",
            (Lang::En, EventLog) => "Event log",
            (Lang::Zh, EventLog) => "事件日志",
            (Lang::En, Connecting) => "connecting…",
            (Lang::Zh, Connecting) => "连接中…",
            (Lang::En, Live) => "live",
            (Lang::Zh, Live) => "已连接",
            (Lang::En, Lost) => "connection lost, retrying",
            (Lang::Zh, Lost) => "连接断开, 正在重试",
            (Lang::En, Holding) => "holds the lock",
            (Lang::Zh, Holding) => "持有锁",
            (Lang::En, Waiting) => "waiting",
            (Lang::Zh, Waiting) => "等待中",
            (Lang::En, External) => "external contender",
            (Lang::Zh, External) => "外部竞争者",
            (Lang::En, NewNode) => "new: reading whose it is",
            (Lang::Zh, NewNode) => "新节点: 正在读取所属会话",
            (Lang::En, Crashed) => "crashed: ZooKeeper still has its node",
            (Lang::Zh, Crashed) => "已崩溃: ZooKeeper 仍保留其节点",
            (Lang::En, Notifications) => "watch notifications delivered",
            (Lang::Zh, Notifications) => "已送达的 watch 通知",
            (Lang::En, BelievesHolds) => "believes it holds",
            (Lang::Zh, BelievesHolds) => "以为自己持有",
            (Lang::En, GoneFromZk) => "but ZooKeeper has deleted that node",
            (Lang::Zh, GoneFromZk) => "但 ZooKeeper 已删除该节点",
            (Lang::En, Joining) => "joining",
            (Lang::Zh, Joining) => "加入中",
            (Lang::En, Dismiss) => "dismiss",
            (Lang::Zh, Dismiss) => "关闭",
            (Lang::En, Recipe) => "Lock recipe",
            (Lang::Zh, Recipe) => "锁方案",
            (Lang::En, RecipePredecessor) => "watch predecessor, re-check (fixed)",
            (Lang::Zh, RecipePredecessor) => "监听前一节点并复查 (已修复)",
            (Lang::En, RecipeNaive) => "watch predecessor, trust it (buggy)",
            (Lang::Zh, RecipeNaive) => "监听前一节点, 直接信任 (有缺陷)",
            (Lang::En, RecipeChildren) => "every waiter watches /locks (herd)",
            (Lang::Zh, RecipeChildren) => "所有等待者监听 /locks (羊群效应)",
            (Lang::En, ViolationTitle) => "Two clients hold the lock at once",
            (Lang::Zh, ViolationTitle) => "两个客户端同时持有锁",
            (Lang::En, ViolationWhy) => "A waiting client crashed; its successor's watch fired and, trusting it, took the lock while the holder still held it.",
            (Lang::Zh, ViolationWhy) => "一个等待中的客户端崩溃了; 它的后继收到 watch 通知后直接认为自己获得了锁, 而持有者仍然持有锁。",
            (Lang::En, Herd) => "Watch notifications delivered",
            (Lang::Zh, Herd) => "已送达的 watch 通知",
            (Lang::En, HerdClients) => "clients (last round)",
            (Lang::Zh, HerdClients) => "客户端 (本轮)",
            (Lang::En, HerdNotifications) => "notifications (last round)",
            (Lang::Zh, HerdNotifications) => "通知 (本轮)",
            (Lang::En, HerdPredicted) => "predicted",
            (Lang::Zh, HerdPredicted) => "预计",
            (Lang::En, HerdLastHandoff) => "last hand-off",
            (Lang::Zh, HerdLastHandoff) => "上次交接",
            (Lang::En, HerdTotal) => "total",
            (Lang::Zh, HerdTotal) => "总计",
            (Lang::En, Registry) => "/sgroup — live server list",
            (Lang::Zh, Registry) => "/sgroup — 实时更新 server 列表",
            (Lang::En, AddServer) => "Add server",
            (Lang::Zh, AddServer) => "添加服务器",
            (Lang::En, ServerName) => "address (optional)",
            (Lang::Zh, ServerName) => "地址 (可选)",
            (Lang::En, AddAppClient) => "Add app client",
            (Lang::Zh, AddAppClient) => "添加应用客户端",
            (Lang::En, AppClient) => "app client",
            (Lang::Zh, AppClient) => "应用客户端",
            (Lang::En, Registered) => "registered",
            (Lang::Zh, Registered) => "已注册",
            (Lang::En, NoServers) => "No servers registered. Press Add server.",
            (Lang::Zh, NoServers) => "没有已注册的服务器。点击「添加服务器」。",
            (Lang::En, Time) => "Time",
            (Lang::Zh, Time) => "时间",
            (Lang::En, ModeLive) => "live",
            (Lang::Zh, ModeLive) => "实时",
            (Lang::En, ModeStep) => "step by step",
            (Lang::Zh, ModeStep) => "单步模式",
            (Lang::En, ModeSlow) => "slow motion",
            (Lang::Zh, ModeSlow) => "慢动作",
            (Lang::En, SlowFactor) => "slower by",
            (Lang::Zh, SlowFactor) => "放慢倍数",
            (Lang::En, Next) => "Next ▸",
            (Lang::Zh, Next) => "下一步 ▸",
            (Lang::En, ZkNeverWaits) => "Only our clients wait. ZooKeeper never does: sessions keep their heartbeats, expiry counts down in real time, nodes from other programs appear at once.",
            (Lang::Zh, ZkNeverWaits) => "只有页面上的客户端会停下来等待，ZooKeeper 不会：会话照常发送心跳，会话过期仍按真实时间倒计时，其他程序创建的节点会立刻出现。",
            (Lang::En, Pending) => "Next moves, waiting",
            (Lang::Zh, Pending) => "待放行的操作",
            (Lang::En, NothingPending) => "Nothing waits. In step mode, each client's next call, notification or hold waits here until you let it go.",
            (Lang::Zh, NothingPending) => "没有待放行的操作。单步模式下，每个客户端的下一次调用、通知处理或持有结束都会停在这里，等你放行。",
            (Lang::En, CodeTitle) => "The tutorial's Java",
            (Lang::Zh, CodeTitle) => "教程原文的 Java 代码",
            (Lang::En, CodeMended) => "Lines and order as the tutorial gives them. Mended: two commas the blog's copy lost (truenew Stat() → true, new Stat(); 5000new Watcher() → 5000, new Watcher()).",
            (Lang::Zh, CodeMended) => "代码行及顺序均与教程原文一致，只补回了博客转载时丢失的两个逗号：truenew Stat() → true, new Stat()，5000new Watcher() → 5000, new Watcher()。",
            (Lang::En, Unread) => "notification arrived, not acted on yet",
            (Lang::En, Client) => "client",
            (Lang::Zh, Client) => "客户端",
            (Lang::En, Line) => "line",
            (Lang::Zh, Line) => "行",
            (Lang::Zh, Unread) => "通知已送达，客户端尚未处理",
        }
    }
}

/// A session state, as the client sees it.
pub fn status_name(state: SessionStatus, lang: Lang) -> &'static str {
    match (state, lang) {
        (SessionStatus::Connected, Lang::En) => "connected",
        (SessionStatus::Connected, Lang::Zh) => "已连接",
        (SessionStatus::Disconnected, Lang::En) => "disconnected",
        (SessionStatus::Disconnected, Lang::Zh) => "已断开",
        (SessionStatus::Expired, Lang::En) => "expired",
        (SessionStatus::Expired, Lang::Zh) => "已过期",
        (SessionStatus::Closed, Lang::En) => "closed",
        (SessionStatus::Closed, Lang::Zh) => "已关闭",
    }
}

/// A waiting move: ZooKeeper calls by their Java names, the recipe's own steps in words.
pub fn move_name(kind: shared::MoveKind, lang: Lang) -> &'static str {
    use shared::MoveKind::*;
    match (kind, lang) {
        (Create, _) => "create",
        (GetChildren, _) => "getChildren",
        (GetData, _) => "getData",
        (Exists, _) => "exists",
        (Delete, _) => "delete",
        (Notification, Lang::En) => "act on a notification",
        (Notification, Lang::Zh) => "处理通知",
        (HoldOver, Lang::En) => "hold is over",
        (HoldOver, Lang::Zh) => "持有结束",
        (Write, Lang::En) => "write the resource",
        (Write, Lang::Zh) => "写入共享资源",
    }
}

/// A time mode's name in the selector.
pub fn mode_name(mode: shared::TimeMode, lang: Lang) -> &'static str {
    match mode {
        shared::TimeMode::Live => Text::ModeLive.get(lang),
        shared::TimeMode::Step => Text::ModeStep.get(lang),
        shared::TimeMode::Slow => Text::ModeSlow.get(lang),
    }
}

/// A watch call as the seed's Java names it.
pub fn call_name(call: WatchCall) -> &'static str {
    match call {
        WatchCall::GetData => "getData",
        WatchCall::Exists => "exists",
        WatchCall::GetChildren => "getChildren",
    }
}

fn kind_name(kind: WatchedKind) -> &'static str {
    match kind {
        WatchedKind::NodeCreated => "NodeCreated",
        WatchedKind::NodeDeleted => "NodeDeleted",
        WatchedKind::NodeDataChanged => "NodeDataChanged",
        WatchedKind::NodeChildrenChanged => "NodeChildrenChanged",
        WatchedKind::Session => "Session",
    }
}

/// After a listing cut short (see `shared::LISTED_NAMES_MAX`), how many names there were.
fn listing_rest(shown: usize, total: u32, zh: bool) -> String {
    match (shown as u64) < u64::from(total) {
        false => String::new(),
        true if zh => format!(" …（共 {total} 个）"),
        true => format!(" … ({total} in all)"),
    }
}

/// What a watch on `path` waits for: a children watch on a folder waits for any change in
/// it (every waiter of `DistributedClient2`, every AppClient); a watch on a lock node waits
/// for that predecessor to go.
fn watch_purpose(path: &str, lang: Lang) -> &'static str {
    let zh = lang == Lang::Zh;
    match path {
        shared::REGISTRY_DIR if zh => "等待 server 列表变化",
        shared::REGISTRY_DIR => "waits for the server list to change",
        shared::LOCK_DIR if zh => "等待 /locks 的子节点变化",
        shared::LOCK_DIR => "waits for any change among the children of /locks",
        _ if zh => "等待前一个节点被删除",
        _ => "waits for its predecessor to go",
    }
}

/// One event as a line of the event log.
pub fn describe(event: &RoomEvent, lang: Lang) -> String {
    use RoomEvent::*;
    let zh = lang == Lang::Zh;
    match event {
        ClientAdded { client, .. } if zh => format!("客户端 {client}: 正在连接 ZooKeeper"),
        ClientAdded { client, .. } => format!("client {client}: connecting to ZooKeeper"),
        ClientConnected {
            client,
            session,
            timeout_ms,
        } if zh => format!("客户端 {client}: 会话 {session} 已建立 (超时 {timeout_ms} 毫秒)"),
        ClientConnected {
            client,
            session,
            timeout_ms,
        } => format!("client {client}: session {session} established (timeout {timeout_ms} ms)"),
        NodeCreatedByClient { client, path } if zh => {
            format!("客户端 {client}: create {path} (EPHEMERAL_SEQUENTIAL)")
        }
        NodeCreatedByClient { client, path } => {
            format!("client {client}: create {path} (EPHEMERAL_SEQUENTIAL)")
        }
        ChildrenListed {
            client,
            dir,
            children,
            total,
        } if zh => {
            format!(
                "客户端 {client}: getChildren {dir} → [{}]{}",
                children.join(", "),
                listing_rest(children.len(), *total, true)
            )
        }
        ChildrenListed {
            client,
            dir,
            children,
            total,
        } => {
            format!(
                "client {client}: getChildren {dir} → [{}]{}",
                children.join(", "),
                listing_rest(children.len(), *total, false)
            )
        }
        WatchSet { client, path, call } => {
            let call = call_name(*call);
            let waits = watch_purpose(path, lang);
            if zh {
                format!("客户端 {client}: {call}({path}, watch) 注册监听，{waits}")
            } else {
                format!("client {client}: {call}({path}, watch) — {waits}")
            }
        }
        WatchFired {
            client,
            path,
            event,
        } if zh => format!(
            "客户端 {client}: 收到 watch 通知 {} {path}",
            kind_name(*event)
        ),
        WatchFired {
            client,
            path,
            event,
        } => format!("client {client}: watch fired: {} {path}", kind_name(*event)),
        LockGained { path, .. } => format!("gain lock: {path}"),
        LockReleased { path, .. } => format!("finished: {path}"),
        ClientError { client, message } if zh => format!("客户端 {client}: 错误: {message}"),
        ClientError { client, message } => format!("client {client}: error: {message}"),
        ClientClosed { client, reason } => {
            let why = match (reason, zh) {
                (CloseReason::Finished, false) => "done, session closed",
                (CloseReason::Finished, true) => "完成, 会话已关闭",
                (CloseReason::Crashed, false) => "crashed: session closed, its node is gone",
                (CloseReason::Crashed, true) => "崩溃: 会话关闭, 其节点随之删除",
                (CloseReason::Killed, false) => {
                    "killed: the process died without closing its session; its nodes stay until the session expires"
                }
                (CloseReason::Killed, true) => "被杀死: 进程未关闭会话就退出了; 其节点保留到会话过期",
                (CloseReason::Expired, false) => "session expired",
                (CloseReason::Expired, true) => "会话过期",
                (CloseReason::Failed, false) => "failed",
                (CloseReason::Failed, true) => "失败",
                (CloseReason::Shutdown, false) => "closed: server stopping",
                (CloseReason::Shutdown, true) => "关闭: 服务器停止",
                (CloseReason::RecipeSwitched, false) => "closed: the room switched recipes",
                (CloseReason::RecipeSwitched, true) => "关闭: 房间切换了锁方案",
                (CloseReason::Reset, false) => "closed: the room was emptied for the lesson",
                (CloseReason::Reset, true) => "关闭: 开始课程前已清空房间",
                (CloseReason::ServerDied, false) => {
                    "its server died without closing its session; its nodes stay until the session expires"
                }
                (CloseReason::ServerDied, true) => "其服务器未关闭会话就退出了; 其节点保留到会话过期",
            };
            if zh {
                format!("客户端 {client}: {why}")
            } else {
                format!("client {client}: {why}")
            }
        }
        ZnodeAdded { node } => {
            let czxid = node.czxid().map(|z| format!(" (czxid {z})")).unwrap_or_default();
            if zh {
                format!("ZooKeeper: 新节点 {}{czxid}", node.path)
            } else {
                format!("ZooKeeper: {} created{czxid}", node.path)
            }
        }
        ZnodeRead { path, read } if zh => {
            format!("ZooKeeper: {path} 已读取: czxid {}", read.czxid)
        }
        ZnodeRead { path, read } => format!("ZooKeeper: {path} read: czxid {}", read.czxid),
        ZnodeRemoved { path } if zh => format!("ZooKeeper: {path} 已删除"),
        ZnodeRemoved { path } => format!("ZooKeeper: {path} deleted"),
        SessionChanged {
            client,
            state,
            member,
        } => {
            let member = member.as_deref().unwrap_or("–");
            if zh {
                format!(
                    "客户端 {client}: 会话 {} (连接 {member})",
                    status_name(*state, lang)
                )
            } else {
                format!(
                    "client {client}: session {} (via {member})",
                    status_name(*state, lang)
                )
            }
        }
        LinkChanged {
            client,
            frozen: true,
            ..
        } if zh => format!("客户端 {client}: 暂停 (连接被冻结)"),
        LinkChanged {
            client,
            frozen: true,
            ..
        } => format!("client {client}: paused (its connection is frozen)"),
        LinkChanged { client, .. } if zh => format!("客户端 {client}: 恢复运行"),
        LinkChanged { client, .. } => format!("client {client}: runs again"),
        ResourceWritten {
            client,
            token,
            outcome,
            ..
        } => {
            let what = match outcome {
                shared::WriteOutcome::Accepted => Text::WriteAccepted,
                shared::WriteOutcome::Rejected => Text::WriteRejected,
                shared::WriteOutcome::Corrupted => Text::WriteCorrupted,
            };
            if zh {
                format!(
                    "客户端 {client}: 写入资源, token {token} → {}",
                    what.get(lang)
                )
            } else {
                format!(
                    "client {client}: writes the resource, token {token} → {}",
                    what.get(lang)
                )
            }
        }
        FencingChanged { on } if zh => format!("fencing: {}", if *on { "开" } else { "关" }),
        FencingChanged { on } => format!("fencing: {}", if *on { "on" } else { "off" }),
        HoldChanged { hold_ms } if zh => format!("持有时间: {hold_ms} 毫秒"),
        HoldChanged { hold_ms } => format!("hold time: {hold_ms} ms"),
        ServerAdded { client, name, .. } if zh => format!("服务器 {client}: 启动, 地址 {name}"),
        ServerAdded { client, name, .. } => format!("server {client}: starting at {name}"),
        AppClientAdded { client } if zh => format!("应用客户端 {client}: 启动"),
        AppClientAdded { client } => format!("app client {client}: starting"),
        RecipeChanged { recipe } if zh => format!("锁方案: {}", recipe.as_str()),
        RecipeChanged { recipe } => format!("lock recipe: {}", recipe.as_str()),
        // The seed's AppClient line, as it prints it.
        ServerListUpdated { servers, .. } => {
            format!("server list updated: [{}]", servers.join(", "))
        }
        Violation {
            first_path,
            second_path,
            ..
        } if zh => format!("违规: {first_path} 与 {second_path} 同时持有锁"),
        Violation {
            first_path,
            second_path,
            ..
        } => format!("VIOLATION: {first_path} and {second_path} both hold the lock"),
        TimeChanged { mode, slow_factor } => {
            let name = mode_name(*mode, lang);
            let mode = match mode {
                shared::TimeMode::Slow => format!("{name} ×{slow_factor}"),
                _ => name.to_string(),
            };
            if zh {
                format!("时间: {mode}")
            } else {
                format!("time: {mode}")
            }
        }
        MovePending { pending } if zh => format!(
            "客户端 {}: 下一步「{}」等待放行",
            pending.client,
            move_name(pending.kind, lang)
        ),
        MovePending { pending } => format!(
            "client {}: next move waits: {}",
            pending.client,
            move_name(pending.kind, lang)
        ),
        MoveReleased { client, .. } if zh => format!("客户端 {client}: 已放行"),
        MoveReleased { client, .. } => format!("client {client}: goes"),
        LockSuspended { client, path } if zh => {
            format!("客户端 {client}：连接断开，停止一切持锁操作（{path}）")
        }
        LockSuspended { client, path } => {
            format!("client {client}: disconnected, stops acting as the holder of {path}")
        }
        LockResumed { client, path } if zh => {
            format!("客户端 {client}：连接恢复，会话仍有效，继续持有 {path}")
        }
        LockResumed { client, path } => {
            format!("client {client}: reconnected with its session alive, holds {path} again")
        }
        PartitionChanged {
            client,
            partitioned: true,
            ..
        } if zh => format!("客户端 {client}：网络分区，与 ZooKeeper 断开（进程照常运行）"),
        PartitionChanged {
            client,
            partitioned: true,
            ..
        } => format!("client {client}: partitioned from ZooKeeper (its process runs on)"),
        PartitionChanged { client, .. } if zh => format!("客户端 {client}：网络分区解除"),
        PartitionChanged { client, .. } => format!("client {client}: the partition heals"),
        SuspendChanged { on } if zh => {
            format!("谨慎的持有者：{}", if *on { "开" } else { "关" })
        }
        SuspendChanged { on } => {
            format!("careful holders: {}", if *on { "on" } else { "off" })
        }
        RoomReset if zh => "房间已清空：所有会话已关闭，所有节点已删除".to_string(),
        RoomReset => "the room was emptied: every session closed, every node gone".to_string(),
        LessonChanged { progress: Some(p) } if zh => {
            format!("第 {} 课：第 {} 步", p.lesson, p.step + 1)
        }
        LessonChanged { progress: Some(p) } => {
            format!("lesson {}: step {}", p.lesson, p.step + 1)
        }
        LessonChanged { progress: None } if zh => "已退出课程".to_string(),
        LessonChanged { progress: None } => "the room left its lesson".to_string(),
        StudentJoined { name, .. } if zh => format!("学生 {name} 加入"),
        StudentJoined { name, .. } => format!("student {name} joined"),
        EarlierSession {
            client, session, ..
        } if zh => format!(
            "上一次运行的客户端 {client} (会话 {session}): 服务器未关闭会话就退出了; 其节点保留到会话过期"
        ),
        EarlierSession {
            client, session, ..
        } => format!(
            "client {client} of the server's earlier run (session {session}): the server died without closing it; its nodes stay until the session expires"
        ),
        PresenceChanged { watching, .. } if zh => format!("{watching} 人在看"),
        PresenceChanged { watching, .. } => format!("{watching} watching"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipe_lines_are_the_seeds_in_every_language() {
        for lang in [Lang::En, Lang::Zh] {
            assert_eq!(
                describe(
                    &RoomEvent::LockGained {
                        client: 1,
                        path: "/locks/sub0000000000".into()
                    },
                    lang
                ),
                "gain lock: /locks/sub0000000000"
            );
            assert_eq!(
                describe(
                    &RoomEvent::LockReleased {
                        client: 1,
                        path: "/locks/sub0000000000".into()
                    },
                    lang
                ),
                "finished: /locks/sub0000000000"
            );
        }
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
            describe(&servers, Lang::En),
            "client 4: getChildren /sgroup → [sub0000000000]"
        );
        let watch = |path: &str, call| RoomEvent::WatchSet {
            client: 2,
            path: path.into(),
            call,
        };
        let line = describe(&watch("/sgroup", WatchCall::GetChildren), Lang::En);
        assert!(
            line.ends_with("waits for the server list to change"),
            "{line}"
        );
        let line = describe(&watch("/locks", WatchCall::GetChildren), Lang::En);
        assert!(line.ends_with("children of /locks"), "{line}");
        let line = describe(&watch("/locks/sub0000000001", WatchCall::GetData), Lang::En);
        assert!(line.ends_with("waits for its predecessor to go"), "{line}");
    }

    #[test]
    fn a_long_listing_shows_its_first_names_and_the_count() {
        let names: Vec<String> = (0..40).map(|n| format!("sub{n:010}")).collect();
        let event = RoomEvent::children_listed(7, "/locks", &names);
        let line = describe(&event, Lang::En);
        assert!(line.starts_with("client 7: getChildren /locks → [sub0000000000, "));
        assert!(line.contains("sub0000000031]"), "{line}");
        assert!(!line.contains("sub0000000032"), "{line}");
        assert!(line.ends_with(" … (40 in all)"), "{line}");
        let short = RoomEvent::children_listed(7, "/locks", &names[..2]);
        assert_eq!(
            describe(&short, Lang::En),
            "client 7: getChildren /locks → [sub0000000000, sub0000000001]"
        );
    }
}
