//! English and Chinese words of the UI, and the event log's lines.
//!
//! The lines a recipe prints (`gain lock:`, `finished:`) stay exactly as the seed's Java code
//! prints them, in both languages, so learners can match them to the tutorial.

use shared::{CloseReason, RoomEvent, WatchCall, WatchedKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

/// A piece of UI text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    Title,
    Subtitle,
    AddClient,
    HoldMs,
    HoldHint,
    Crash,
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
    Crashed,
    Notifications,
    Joining,
    Dismiss,
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
            (Lang::En, Crashed) => "crashed: ZooKeeper still has its node",
            (Lang::Zh, Crashed) => "已崩溃: ZooKeeper 仍保留其节点",
            (Lang::En, Notifications) => "watch notifications delivered",
            (Lang::Zh, Notifications) => "已送达的 watch 通知",
            (Lang::En, Joining) => "joining",
            (Lang::Zh, Joining) => "加入中",
            (Lang::En, Dismiss) => "dismiss",
            (Lang::Zh, Dismiss) => "关闭",
        }
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

/// One event as a line of the event log.
pub fn describe(event: &RoomEvent, lang: Lang) -> String {
    use RoomEvent::*;
    let zh = lang == Lang::Zh;
    match event {
        ClientAdded { client } if zh => format!("客户端 {client}: 正在连接 ZooKeeper"),
        ClientAdded { client } => format!("client {client}: connecting to ZooKeeper"),
        ClientConnected { client, session } if zh => {
            format!("客户端 {client}: 会话 {session} 已建立")
        }
        ClientConnected { client, session } => {
            format!("client {client}: session {session} established")
        }
        NodeCreatedByClient { client, path } if zh => {
            format!("客户端 {client}: create {path} (EPHEMERAL_SEQUENTIAL)")
        }
        NodeCreatedByClient { client, path } => {
            format!("client {client}: create {path} (EPHEMERAL_SEQUENTIAL)")
        }
        ChildrenListed { client, children } if zh => {
            format!(
                "客户端 {client}: getChildren /locks → [{}]",
                children.join(", ")
            )
        }
        ChildrenListed { client, children } => {
            format!(
                "client {client}: getChildren /locks → [{}]",
                children.join(", ")
            )
        }
        WatchSet { client, path, call } if zh => {
            format!(
                "客户端 {client}: {}({path}, watch) — 等待前一个节点",
                call_name(*call)
            )
        }
        WatchSet { client, path, call } => format!(
            "client {client}: {}({path}, watch) — waits for its predecessor",
            call_name(*call)
        ),
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
                (CloseReason::Expired, false) => "session expired",
                (CloseReason::Expired, true) => "会话过期",
                (CloseReason::Failed, false) => "failed",
                (CloseReason::Failed, true) => "失败",
                (CloseReason::Shutdown, false) => "closed: server stopping",
                (CloseReason::Shutdown, true) => "关闭: 服务器停止",
            };
            if zh {
                format!("客户端 {client}: {why}")
            } else {
                format!("client {client}: {why}")
            }
        }
        ZnodeAdded { node } if zh => {
            format!("ZooKeeper: 新节点 {} (czxid {})", node.path, node.czxid)
        }
        ZnodeAdded { node } => format!("ZooKeeper: {} created (czxid {})", node.path, node.czxid),
        ZnodeRemoved { path } if zh => format!("ZooKeeper: {path} 已删除"),
        ZnodeRemoved { path } => format!("ZooKeeper: {path} deleted"),
        HoldChanged { hold_ms } if zh => format!("持有时间: {hold_ms} 毫秒"),
        HoldChanged { hold_ms } => format!("hold time: {hold_ms} ms"),
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
}
