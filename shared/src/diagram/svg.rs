//! The diagram as SVG text: what the page shows and what Export saves are this one drawing.
//! Colours are attributes, not a stylesheet, so a saved file looks the same on a slide; test
//! ids and `data-*` attributes name what each shape is.

use std::fmt::Write as _;

use super::{
    Arrow, ArrowKind, ArrowLabel, Diagram, FoldBand, Ghost, HoldBar, IdleGap, LaneLine, Mark,
    Removal, WriteTick, ZxidDot, LANE_WIDTH, ROW_HEIGHT,
};
use crate::kinds::{CloseReason, WatchedKind, WriteOutcome, ZkOp};
use crate::view::{LaneKind, StretchKind};

/// The words a drawing needs, in the reader's language. `{n}` and `{s}` are filled in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Words<'a> {
    pub zookeeper: &'a str,
    /// `client {n}`
    pub lock: &'a str,
    pub server: &'a str,
    pub app: &'a str,
    /// A session of an earlier run: `{s}` is its id.
    pub earlier: &'a str,
    /// `×{n} hand-offs`
    pub hand_offs: &'a str,
    /// `{s} s idle`
    pub idle: &'a str,
    /// `{n} older rows not kept`
    pub forgotten: &'a str,
    /// The note on order, under the title of an exported drawing.
    pub order_note: &'a str,
    pub title: &'a str,
    /// Where a lane ends: `crashed`, `killed`, `failed`; where ZooKeeper expired a killed
    /// session: `expired`.
    pub crashed: &'a str,
    pub killed: &'a str,
    pub failed: &'a str,
    pub expired: &'a str,
    /// The band where two clients held the lock at once.
    pub two_holders: &'a str,
}

const CALL: &str = "#2563eb";
const REPLY: &str = "#0f766e";
const NOTIFY: &str = "#b45309";
const ALARM: &str = "#dc2626";
const LANE: &str = "#94a3b8";
const HOLD: &str = "#16a34a";
const INK: &str = "#1e293b";
const FAINT: &str = "#64748b";
/// A white outline behind a label, so a line under it does not strike it through.
const HALO: &str = r#"stroke="white" stroke-width="3" paint-order="stroke""#;

/// Which part of the drawing: the lane names (the page keeps them in view while the body,
/// drawn in [`layers`], scrolls), or all of it with a title, for a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Head,
    Whole,
}

/// Height of the lane names' strip, px.
pub const HEAD_HEIGHT: f32 = 30.0;

/// The drawing of `part` of `d` as an `<svg>` element.
pub fn render(d: &Diagram, words: &Words, part: Part) -> String {
    let mut s = String::with_capacity(256 + 320 * (d.arrows.len() + d.lanes.len()));
    let (top, height) = match part {
        Part::Head => (0.0, HEAD_HEIGHT),
        Part::Whole => (-40.0, d.height + 40.0),
    };
    let (top, height, w) = (Px(top), Px(height), Px(d.width));
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" viewBox="0 {top} {w} {height}" font-family="ui-monospace, Menlo, monospace" font-size="10">"#,
    );
    if part == Part::Whole {
        let _ = write!(
            s,
            r#"<rect x="0" y="{top}" width="{w}" height="{height}" fill="white"/><text x="8" y="-22" font-size="14" fill="{INK}">{}</text><text x="8" y="-6" fill="{FAINT}">{}</text>"#,
            escape(words.title),
            escape(words.order_note),
        );
    }
    for lane in &d.lanes {
        lane_name(&mut s, lane, words);
    }
    if part == Part::Whole {
        let layers = body(d, words);
        s.push_str(&layers.ground);
        for (_, band) in &layers.bands {
            s.push_str(band);
        }
        s.push_str(&layers.waiting);
    }
    s.push_str("</svg>");
    s
}

/// The body as layers, each an `<svg>` of the whole body's size: the lanes and what spans the
/// drawing, then the shapes band by band (a shape in the band it begins in), then the moves
/// that wait. The page stacks them: when the room moves on, only the bands whose shapes changed
/// are drawn again (the newest, mostly), not hundreds of rows each time.
pub fn layers(d: &Diagram, words: &Words) -> Vec<String> {
    let layers = body(d, words);
    let bands = layers.bands.into_iter().map(|(_, shapes)| shapes);
    // No size of its own (its shapes overflow it, at the body's coordinates): a layer's text
    // changes only when its shapes do, not each time the drawing grows or gains a lane.
    std::iter::once(layers.ground)
        .chain(bands)
        .chain(std::iter::once(layers.waiting))
        .map(|content| {
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1" overflow="visible" style="top:-{}px" font-family="ui-monospace, Menlo, monospace" font-size="10">{content}</svg>"#,
                Px(HEAD_HEIGHT),
            )
        })
        .collect()
}

/// How tall a band of the body's layers is, px.
const BAND_PX: f32 = 720.0;

/// The body's shapes, sorted into layers.
#[derive(Default)]
struct Layers {
    ground: String,
    /// By band number, in order.
    bands: Vec<(u32, String)>,
    waiting: String,
}

impl Layers {
    /// The layer of the band `y` is in.
    fn at(&mut self, y: f32) -> &mut String {
        let band = (y.max(0.0) / BAND_PX) as u32;
        let at = match self.bands.iter().position(|(b, _)| *b >= band) {
            Some(i) if self.bands[i].0 == band => i,
            Some(i) => {
                self.bands.insert(i, (band, String::new()));
                i
            }
            None => {
                self.bands.push((band, String::new()));
                self.bands.len() - 1
            }
        };
        &mut self.bands[at].1
    }
}

fn body(d: &Diagram, words: &Words) -> Layers {
    let mut layers = Layers::default();
    ground(&mut layers.ground, d, words);
    for hold in &d.holds {
        hold_bar(layers.at(hold.y1), hold, d.picked, &d.two_holders);
    }
    let zk_x = d.lanes.first().map_or(0.0, |l| l.x);
    for gone in &d.removals {
        removal(layers.at(gone.y), gone, zk_x);
    }
    for dot in &d.zxids {
        zxid_dot(layers.at(dot.y), dot, zk_x);
    }
    for arrow in &d.arrows {
        arrow_shape(layers.at(arrow.y1.min(arrow.y2)), arrow, d.picked);
    }
    for write in &d.writes {
        write_tick(layers.at(write.y), write);
    }
    for ghost in &d.ghosts {
        ghost_shape(&mut layers.waiting, ghost);
    }
    layers
}

/// What spans the drawing: the arrowheads, the lanes, the bands and gaps.
fn ground(s: &mut String, d: &Diagram, words: &Words) {
    let ends = |lane: &LaneLine| ends(lane, words);
    s.push_str(&markers());
    if d.forgotten.rows > 0 {
        let text = words
            .forgotten
            .replace("{n}", &d.forgotten.rows.to_string());
        let _ = write!(
            s,
            r#"<text data-testid="st-forgotten" x="8" y="{}" fill="{FAINT}">{}</text>"#,
            Px(HEAD_HEIGHT + 10.0),
            escape(&text)
        );
    }
    for fold in &d.folds {
        fold_band(s, fold, d.width, words);
    }
    for gap in &d.gaps {
        idle_gap(s, gap, d.width, words);
    }
    for (from, to) in &d.two_holders {
        two_holders(s, (*from, *to), d.width, words);
    }
    for lane in &d.lanes {
        lane_line(s, lane, &ends(lane));
    }
}

fn markers() -> String {
    let head = |id: &str, colour: &str| {
        format!(
            r#"<marker id="st-{id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>"#
        )
    };
    format!(
        "<defs>{}{}{}{}</defs>",
        head("call", CALL),
        head("reply", REPLY),
        head("notify", NOTIFY),
        head("alarm", ALARM)
    )
}

fn lane_name(s: &mut String, lane: &LaneLine, words: &Words) {
    let name = match (lane.kind, lane.number) {
        (None, _) => words.zookeeper.to_string(),
        (Some(LaneKind::Earlier), _) => words.earlier.replace("{s}", &lane.id.key()[8..]),
        (Some(kind), number) => {
            let template = match kind {
                LaneKind::Lock => words.lock,
                LaneKind::Server => words.server,
                _ => words.app,
            };
            let name = template.replace("{n}", &number.map(|n| n.to_string()).unwrap_or_default());
            match &lane.node {
                Some(node) => format!("{name} · {}", seq(short(node))),
                None => name,
            }
        }
    };
    let _ = write!(
        s,
        r#"<text data-testid="st-lane-name" data-lane="{key}" x="{x}" y="18" text-anchor="middle" font-size="11" font-weight="600" fill="{INK}">{name}</text>"#,
        key = lane.id.key(),
        x = Px(lane.x),
        name = escape(&name),
    );
}

/// What a lane's end says, and where: a crash, a kill (and ZooKeeper's expiry of it), a failure.
fn ends<'w>(lane: &LaneLine, words: &Words<'w>) -> Vec<(&'w str, f32)> {
    let Some((reason, at)) = lane.ended else {
        return Vec::new();
    };
    let expiry = lane
        .stretches
        .iter()
        .find(|s| s.kind == StretchKind::Expiring);
    match reason {
        CloseReason::Crashed => vec![(words.crashed, at)],
        CloseReason::Failed => vec![(words.failed, at)],
        CloseReason::Killed | CloseReason::ServerDied => {
            let mut ends = vec![(words.killed, at)];
            // Expired once the stretch ended above the bottom of the lane's drawing.
            if let Some(s) = expiry.filter(|s| !s.open) {
                ends.push((words.expired, s.y2));
            }
            ends
        }
        _ => Vec::new(),
    }
}

fn lane_line(s: &mut String, lane: &LaneLine, ends: &[(&str, f32)]) {
    let kind = lane.kind.map_or("zk", |k| match k {
        LaneKind::Lock => "lock",
        LaneKind::Server => "server",
        LaneKind::App => "app",
        LaneKind::Earlier => "earlier",
    });
    let _ = write!(
        s,
        r#"<g data-testid="st-lane" data-lane="{}" data-kind="{kind}" data-open="{}">"#,
        lane.id.key(),
        lane.open
    );
    let (x, width) = (lane.x, if lane.kind.is_none() { 3.0 } else { 1.5 });
    let solid_from = lane.connecting_to.unwrap_or(lane.y1).max(lane.y1);
    if solid_from > lane.y1 {
        line(s, x, lane.y1, x, solid_from, LANE, 1.0, Some("2 3"));
    }
    line(s, x, solid_from, x, lane.y2, LANE, width, None);
    for seg in &lane.stretches {
        let (colour, dash, width) = match seg.kind {
            StretchKind::Expiring => (FAINT, "6 4", 2.0),
            StretchKind::Disconnected => (NOTIFY, "2 3", 3.0),
            StretchKind::Partitioned => ("#7c3aed", "4 2", 4.0),
            StretchKind::Frozen => ("#0891b2", "1 0", 5.0),
        };
        let _ = write!(
            s,
            r#"<g data-testid="st-stretch" data-kind="{}">"#,
            seg.kind.as_str()
        );
        // An expiring session is dead on the page's side: its stretch replaces the line.
        if seg.kind == StretchKind::Expiring {
            line(s, x, seg.y1, x, seg.y2, "white", width + 2.0, None);
        }
        line(s, x, seg.y1, x, seg.y2, colour, width, Some(dash));
        s.push_str("</g>");
    }
    if !lane.open {
        line(s, x - 6.0, lane.y2, x + 6.0, lane.y2, LANE, 2.0, None);
    }
    for (word, y) in ends {
        let _ = write!(
            s,
            r#"<text data-testid="st-end" x="{}" y="{}" fill="{ALARM}">{}</text>"#,
            Px(x + 5.0),
            Px(y + 11.0),
            escape(word)
        );
    }
    s.push_str("</g>");
}

#[allow(clippy::too_many_arguments)]
fn line(
    s: &mut String,
    x1: f32,
    y1: f32,
    x2: f32,
    y2: f32,
    colour: &str,
    width: f32,
    dash: Option<&str>,
) {
    let (x1, y1, x2, y2, width) = (Px(x1), Px(y1), Px(x2), Px(y2), Px(width));
    let _ = write!(
        s,
        r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{colour}" stroke-width="{width}""#
    );
    if let Some(dash) = dash {
        let _ = write!(s, r#" stroke-dasharray="{dash}""#);
    }
    s.push_str("/>");
}

/// A hold: green, and red where another client held the lock at the same time.
fn hold_bar(s: &mut String, hold: &HoldBar, picked: Option<Mark>, two_holders: &[(f32, f32)]) {
    let outline = if picked == Some(hold.mark) {
        format!(r#" stroke="{INK}" stroke-width="2""#)
    } else {
        String::new()
    };
    let _ = write!(
        s,
        r#"<rect data-testid="st-hold" data-mark="{mark}" data-client="{client}" data-node="{node}" data-overlap="{overlap}" x="{x}" y="{y}" width="8" height="{h}" rx="2" fill="{HOLD}" fill-opacity="0.75"{outline}/>"#,
        mark = hold.mark.key(),
        client = hold.client,
        node = escape(&hold.node),
        overlap = hold.overlap,
        x = Px(hold.x - 4.0),
        y = Px(hold.y1),
        h = Px((hold.y2 - hold.y1).max(3.0)),
    );
    let both = two_holders.iter().filter(|_| hold.overlap);
    for (from, to) in both {
        let (from, to) = (from.max(hold.y1), to.min(hold.y2));
        if to > from {
            let _ = write!(
                s,
                r#"<rect x="{}" y="{}" width="8" height="{}" fill="{ALARM}" pointer-events="none"/>"#,
                Px(hold.x - 4.0),
                Px(from),
                Px(to - from),
            );
        }
    }
}

/// A band across the drawing where two clients held the lock at once.
fn two_holders(s: &mut String, (from, to): (f32, f32), width: f32, words: &Words) {
    let _ = write!(
        s,
        r##"<g data-testid="st-two-holders"><rect x="0" y="{}" width="{}" height="{}" fill="#fee2e2"/><text x="4" y="{}" fill="{ALARM}" font-weight="600">{}</text></g>"##,
        Px(from),
        Px(width),
        Px((to - from).max(2.0)),
        Px(from + 11.0),
        escape(words.two_holders),
    );
}

/// A node that left the tree, on ZooKeeper's lane.
fn removal(s: &mut String, gone: &Removal, zk_x: f32) {
    let _ = write!(
        s,
        r#"<text data-testid="st-removed" data-path="{path}" x="{}" y="{}" fill="{FAINT}" {HALO}>✕ {}</text>"#,
        Px(zk_x + 5.0),
        Px(gone.y + 3.0),
        seq(short(&gone.path)),
        path = escape(&gone.path),
    );
}

fn zxid_dot(s: &mut String, dot: &ZxidDot, zk_x: f32) {
    let _ = write!(
        s,
        r#"<g data-testid="st-zxid" data-zxid="{zxid}"><circle cx="{zk_x}" cy="{y}" r="3" fill="{INK}"/><text x="{tx}" y="{ty}" text-anchor="end" fill="{INK}">{zxid}</text></g>"#,
        zxid = hex(dot.zxid),
        zk_x = Px(zk_x),
        y = Px(dot.y),
        tx = Px(zk_x - 6.0),
        ty = Px(dot.y + 3.0),
    );
}

fn arrow_shape(s: &mut String, a: &Arrow, picked: Option<Mark>) {
    let (colour, head) = match (a.kind, a.trusted) {
        (ArrowKind::Notify, true) => (ALARM, "alarm"),
        (ArrowKind::Call, _) => (CALL, "call"),
        (ArrowKind::Reply, _) => (REPLY, "reply"),
        (ArrowKind::Notify, false) => (NOTIFY, "notify"),
    };
    let _ = write!(
        s,
        r#"<g data-testid="st-arrow" data-kind="{}" data-client="{}" data-mark="{}" data-path="{}""#,
        a.kind.as_str(),
        a.client,
        a.mark.key(),
        escape(&a.path)
    );
    if let Some(op) = a.op {
        let _ = write!(s, r#" data-op="{}""#, op.as_str());
    }
    if let Some(zxid) = a.zxid {
        let _ = write!(s, r#" data-zxid="{}""#, hex(zxid));
    }
    if let ArrowLabel::Notified {
        event: Some(event), ..
    } = &a.label
    {
        let _ = write!(s, r#" data-event="{}""#, event_name(*event));
    }
    if a.kind == ArrowKind::Notify {
        let _ = write!(
            s,
            r#" data-unread="{}" data-trusted="{}""#,
            a.unread, a.trusted
        );
    }
    s.push('>');
    let width = if a.trusted || picked == Some(a.mark) {
        "2.5"
    } else {
        "1.2"
    };
    let dash = match (a.kind, a.unread) {
        (ArrowKind::Notify, true) => r#" stroke-dasharray="2 3""#,
        (ArrowKind::Notify, false) => r#" stroke-dasharray="5 3""#,
        _ => "",
    };
    // A wide invisible line under it: an easy target for a click.
    let _ = write!(
        s,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="transparent" stroke-width="9"/><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{colour}" stroke-width="{width}"{dash} marker-end="url(#st-{head})"/>"#,
        Px(a.x1),
        Px(a.y1),
        Px(a.x2),
        Px(a.y2),
        Px(a.x1),
        Px(a.y1),
        Px(a.x2),
        Px(a.y2),
    );
    // The label sits by the client's lane, where the arrow leaves or arrives.
    let (lx, ly) = match a.kind {
        ArrowKind::Call => (a.x1 - 8.0, a.y1 - 3.0),
        ArrowKind::Reply | ArrowKind::Notify => (a.x2 - 8.0, a.y2 - 3.0),
    };
    let (lx, ly) = (Px(lx), Px(ly));
    let _ = write!(
        s,
        r#"<text x="{lx}" y="{ly}" text-anchor="end" fill="{colour}" {HALO}>{}</text></g>"#,
        escape(&label_text(&a.label))
    );
}

/// An arrow's words: Java's names, a node's last name, a zxid in hex.
pub fn label_text(label: &ArrowLabel) -> String {
    match label {
        ArrowLabel::Call { op, path } => format!("{} {}", op.as_str(), short(path)),
        ArrowLabel::Created { path, zxid } => match zxid {
            Some(zxid) => format!("{} {}", short(path), hex(*zxid)),
            None => short(path).to_string(),
        },
        ArrowLabel::Listed(listed) => {
            let mut names: Vec<String> = listed.names.iter().take(3).map(|n| seq(n)).collect();
            let more = listed.total as usize - names.len().min(listed.total as usize);
            if more > 0 {
                names.push(format!("+{more}"));
            }
            format!("[{}]", names.join(", "))
        }
        // The watch the call asked for is armed: what makes the notification come later.
        ArrowLabel::Found {
            op: ZkOp::GetData,
            exists: true,
        } => "data +watch".to_string(),
        ArrowLabel::Found { exists: true, .. } => "stat +watch".to_string(),
        ArrowLabel::Found { exists: false, .. } => "null".to_string(),
        ArrowLabel::Deleted => "ok".to_string(),
        ArrowLabel::Failed => "KeeperException".to_string(),
        ArrowLabel::InFlight => "…".to_string(),
        ArrowLabel::Notified { event, path } => match event {
            Some(event) => format!("{} {}", event_name(*event), short(path)),
            None => format!("? {}", short(path)),
        },
    }
}

/// `NodeDeleted`, as Java's `Event.EventType` names it.
pub fn event_name(event: WatchedKind) -> &'static str {
    match event {
        WatchedKind::NodeCreated => "NodeCreated",
        WatchedKind::NodeDeleted => "NodeDeleted",
        WatchedKind::NodeDataChanged => "NodeDataChanged",
        WatchedKind::NodeChildrenChanged => "NodeChildrenChanged",
        WatchedKind::Session => "None",
    }
}

/// A node's last name (`sub0000000003`); a folder (`/locks`) whole, as the page names it.
fn short(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some((dir, name)) if !dir.is_empty() && !name.is_empty() => name,
        _ => path,
    }
}

/// A sequence node's name shortened to its last digits: `sub0000000012` → `sub…12`.
fn seq(name: &str) -> String {
    let digits = name.trim_start_matches(|c: char| !c.is_ascii_digit());
    let prefix = &name[..name.len() - digits.len()];
    let number = digits.trim_start_matches('0');
    match (prefix.is_empty(), digits.len() > 4) {
        (false, true) => format!("{prefix}…{}", if number.is_empty() { "0" } else { number }),
        _ => name.to_string(),
    }
}

/// A zxid as ZooKeeper's tools print it: `0x1000000a3`.
pub fn hex(zxid: i64) -> String {
    format!("{zxid:#x}")
}

fn write_tick(s: &mut String, w: &WriteTick) {
    let colour = match w.outcome {
        WriteOutcome::Accepted => INK,
        WriteOutcome::Rejected => FAINT,
        WriteOutcome::Corrupted => ALARM,
    };
    let _ = write!(
        s,
        r#"<g data-testid="st-write" data-client="{}" data-token="{}" data-outcome="{}"><rect x="{}" y="{}" width="8" height="8" transform="rotate(45 {} {})" fill="{colour}"/><text x="{}" y="{}" fill="{colour}">{} {}</text></g>"#,
        w.client,
        hex(w.token),
        w.outcome.as_str(),
        Px(w.x - 4.0),
        Px(w.y - 4.0),
        Px(w.x),
        Px(w.y),
        Px(w.x + 8.0),
        Px(w.y + 3.0),
        hex(w.token),
        w.outcome.as_str(),
    );
}

fn fold_band(s: &mut String, fold: &FoldBand, width: f32, words: &Words) {
    let width = Px(width);
    let text = words.hand_offs.replace("{n}", &fold.hand_offs.to_string());
    let _ = write!(
        s,
        r##"<g data-testid="st-fold" data-fold="{}"><rect x="0" y="{}" width="{width}" height="18" fill="#f1f5f9"/><text x="{}" y="{}" fill="{FAINT}">{}</text></g>"##,
        fold.first,
        Px(fold.y - 9.0),
        Px(LANE_WIDTH * 0.9),
        Px(fold.y + 3.0),
        escape(&text)
    );
}

fn idle_gap(s: &mut String, gap: &IdleGap, width: f32, words: &Words) {
    let width = Px(width);
    let secs = Px(gap.ms as f32 / 1000.0).to_string();
    let text = words.idle.replace("{s}", &secs);
    let _ = write!(
        s,
        r#"<g data-testid="st-gap" data-ms="{}"><line x1="0" y1="{y}" x2="{width}" y2="{y}" stroke="{LANE}" stroke-dasharray="1 4"/><text x="{}" y="{}" fill="{FAINT}">⋯ {}</text></g>"#,
        gap.ms,
        Px(LANE_WIDTH * 0.9),
        Px(gap.y - 2.0),
        escape(&text),
        y = Px(gap.y),
    );
}

fn ghost_shape(s: &mut String, g: &Ghost) {
    let _ = write!(
        s,
        r#"<g data-testid="st-ghost" data-move="{}" data-client="{}" data-kind="{}""#,
        g.id,
        g.client,
        g.kind.as_str()
    );
    if let Some(op) = g.op {
        let _ = write!(s, r#" data-op="{}""#, op.as_str());
    }
    s.push_str(r#" opacity="0.45">"#);
    let text = match (g.op, &g.path) {
        (Some(op), Some(path)) => format!("{} {}", op.as_str(), short(path)),
        (Some(op), None) => op.as_str().to_string(),
        (None, _) => g.kind.as_str().replace('_', " "),
    };
    if g.op.is_some() {
        line(
            s,
            g.x,
            g.y,
            g.to_x,
            g.y + ROW_HEIGHT / 2.0,
            CALL,
            1.2,
            Some("4 3"),
        );
    } else {
        let _ = write!(
            s,
            r#"<circle cx="{}" cy="{}" r="4" fill="none" stroke="{CALL}" stroke-dasharray="2 2"/>"#,
            Px(g.x),
            Px(g.y)
        );
    }
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="end" fill="{CALL}">{}</text></g>"#,
        Px(g.x - 8.0),
        Px(g.y - 3.0),
        escape(&text)
    );
}

/// Text made safe for SVG.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// A length in px to a tenth, written without Rust's float formatting, which would cost the
/// page's wasm tens of KB (the page writes its own lengths the same way, `layout::Tenths`).
struct Px(f32);

impl std::fmt::Display for Px {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenths = (self.0 * 10.0).round() as i64;
        let sign = if tenths < 0 { "-" } else { "" };
        let abs = tenths.unsigned_abs();
        match abs % 10 {
            0 => write!(f, "{sign}{}", abs / 10),
            t => write!(f, "{sign}{}.{t}", abs / 10),
        }
    }
}
