//! PROTOCOL.md's JSON examples are the wire format's own: every ```json block is read as the
//! type its `<!-- json: Type -->` line names, written back with serde_json, and must come out
//! as the same JSON value (a field missing, extra, misnamed, or flat where the types nest it,
//! fails). A snapshot example must also be what its own log folds to from a new room, and a
//! recording example must read back with `Recording::parse`. The rows of the Browser → server
//! table are checked as `ClientMsg`s the same way.

use std::fmt::Write as _;

use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;
use shared::lesson::LessonProgress;
use shared::recording::{Recording, RecordingHeader};
use shared::{ClientMsg, RoomEvent, RoomView, ServerMsg};

fn protocol_md() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../PROTOCOL.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The comment that names a block's type, on the line right before its fence.
const LABEL: (&str, &str) = ("<!-- json: ", " -->");

/// A fenced block of the document.
struct Block {
    /// 1-based line of its opening fence.
    line: usize,
    /// The fence's info string (`json`, `text`, ...).
    lang: String,
    /// The type named by the comment before it, if any.
    label: Option<String>,
    text: String,
}

fn blocks(doc: &str) -> Vec<Block> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut found = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let Some(info) = lines[at].trim_start().strip_prefix("```") else {
            at += 1;
            continue;
        };
        let label = at
            .checked_sub(1)
            .and_then(|before| lines[before].trim().strip_prefix(LABEL.0))
            .and_then(|rest| rest.strip_suffix(LABEL.1))
            .map(|name| name.trim().to_string());
        let end = (at + 1..lines.len())
            .find(|&i| lines[i].trim() == "```")
            .unwrap_or_else(|| panic!("PROTOCOL.md:{}: a fence that never closes", at + 1));
        found.push(Block {
            line: at + 1,
            lang: info.trim().to_string(),
            label,
            text: lines[at + 1..end].join("\n"),
        });
        at = end + 1;
    }
    found
}

/// Where two JSON values first differ, as a JSON pointer and what each side has there.
fn difference(documented: &Value, written: &Value, at: &str) -> Option<String> {
    match (documented, written) {
        (Value::Object(d), Value::Object(w)) => {
            for (key, dv) in d {
                let here = format!("{at}/{key}");
                match w.get(key) {
                    None => {
                        return Some(format!(
                            "{here}: documented, but the types write no such field"
                        ))
                    }
                    Some(wv) => {
                        if let Some(diff) = difference(dv, wv, &here) {
                            return Some(diff);
                        }
                    }
                }
            }
            w.iter()
                .find(|(key, _)| !d.contains_key(*key))
                .map(|(key, wv)| {
                    format!("{at}/{key}: the types write {wv}, the document leaves it out")
                })
        }
        (Value::Array(d), Value::Array(w)) if d.len() == w.len() => d
            .iter()
            .zip(w)
            .enumerate()
            .find_map(|(i, (dv, wv))| difference(dv, wv, &format!("{at}/{i}"))),
        _ if documented == written => None,
        _ => Some(format!(
            "{at}: documented {documented}, the types write {written}"
        )),
    }
}

/// Reads `documented` as a `T` and writes it back: the same JSON, or why not.
fn round_trip<T: Serialize + DeserializeOwned>(documented: &Value) -> Result<T, String> {
    let name = std::any::type_name::<T>()
        .rsplit("::")
        .next()
        .unwrap_or("?");
    let typed: T = serde_json::from_value(documented.clone())
        .map_err(|e| format!("does not read as a {name}: {e}"))?;
    let written = serde_json::to_value(&typed).map_err(|e| format!("{name} not written: {e}"))?;
    match difference(documented, &written, "") {
        None => Ok(typed),
        // Written in the types' own field order, to paste back into the document.
        Some(diff) => Err(format!(
            "is not what a {name} writes: {diff}\n  the {name} read from it writes:\n  {}",
            serde_json::to_string(&typed).unwrap()
        )),
    }
}

/// A snapshot example shows a room from its start: its view is what its own log folds to
/// from a new room (the presence of watchers is not in the log, so it is 0).
fn folds_from_its_log(view: &RoomView) -> Result<(), String> {
    let mut again = RoomView::new(view.room.clone(), view.hold_ms);
    for (next, entry) in (1..).zip(view.log.iter()) {
        if entry.seq != next {
            return Err(format!(
                "its log is not the room's whole history: event {} where {next} was due",
                entry.seq
            ));
        }
        again.apply(entry.seq, entry.at_ms, &entry.event);
    }
    if again != *view {
        return Err(format!(
            "its view is not what its log folds to from a new room; that is:\n  {}",
            serde_json::to_string(&again).unwrap()
        ));
    }
    Ok(())
}

fn server_msg(value: &Value) -> Result<ServerMsg, String> {
    let msg: ServerMsg = round_trip(value)?;
    if let ServerMsg::Snapshot { view } = &msg {
        folds_from_its_log(view)?;
    }
    Ok(msg)
}

/// Checks one block's JSON values as its label says.
fn check_block(label: &str, text: &str, values: &[Value]) -> Result<(), String> {
    let each = |check: &dyn Fn(&Value) -> Result<(), String>| {
        values
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check(v).map_err(|e| format!("value {} {e}", i + 1)))
    };
    match label {
        "ClientMsg" => each(&|v| round_trip::<ClientMsg>(v).map(drop)),
        "ServerMsg" => each(&|v| server_msg(v).map(drop)),
        "RoomEvent" => each(&|v| round_trip::<RoomEvent>(v).map(drop)),
        "LessonProgress" => each(&|v| round_trip::<LessonProgress>(v).map(drop)),
        "recording" => {
            let (header, lines) = values.split_first().ok_or("an empty recording")?;
            round_trip::<RecordingHeader>(header).map_err(|e| format!("its header {e}"))?;
            lines.iter().enumerate().try_for_each(|(i, v)| {
                server_msg(v)
                    .map(drop)
                    .map_err(|e| format!("line {} {e}", i + 2))
            })?;
            Recording::parse(text)
                .map(drop)
                .map_err(|e| format!("is no recording zkplay plays: {e}"))
        }
        other => Err(format!(
            "names {other:?}; a block is one of ClientMsg, ServerMsg, RoomEvent, \
             LessonProgress, recording"
        )),
    }
}

#[test]
fn every_json_example_is_what_the_types_write() {
    let doc = protocol_md();
    let mut problems = String::new();
    let mut checked = 0;
    for block in blocks(&doc) {
        let at = block.line;
        if block.lang != "json" {
            if block.label.is_some() || block.text.trim_start().starts_with('{') {
                let _ = writeln!(
                    problems,
                    "PROTOCOL.md:{at}: JSON in a ```{} block: make it ```json, with its type named",
                    block.lang
                );
            }
            continue;
        }
        let Some(label) = &block.label else {
            let _ = writeln!(
                problems,
                "PROTOCOL.md:{at}: a ```json block without `{}Type{}` on the line before",
                LABEL.0, LABEL.1
            );
            continue;
        };
        let values: Result<Vec<Value>, _> = serde_json::Deserializer::from_str(&block.text)
            .into_iter::<Value>()
            .collect();
        let result = match values {
            Err(e) => Err(format!("is not JSON: {e}")),
            Ok(values) if values.is_empty() => Err("is empty".to_string()),
            Ok(values) => check_block(label, &block.text, &values),
        };
        match result {
            Ok(()) => checked += 1,
            Err(e) => {
                let _ = writeln!(problems, "PROTOCOL.md:{at} ({label}): {e}");
            }
        }
    }
    let labels = doc
        .lines()
        .filter(|l| l.trim().starts_with(LABEL.0))
        .count();
    let labelled = blocks(&doc).iter().filter(|b| b.label.is_some()).count();
    if labels != labelled {
        let _ = writeln!(
            problems,
            "{} `{}` line(s) not right before a fence",
            labels - labelled,
            LABEL.0.trim()
        );
    }
    assert!(problems.is_empty(), "\n{problems}");
    assert!(
        checked >= 8,
        "only {checked} JSON examples found in PROTOCOL.md"
    );
}

/// The Browser → server table's first column: every `{"type":...}` there is a whole
/// `ClientMsg`.
#[test]
fn every_intent_in_the_table_is_a_client_message() {
    let doc = protocol_md();
    let mut problems = String::new();
    let mut checked = 0;
    for (i, line) in doc.lines().enumerate() {
        let Some(first_cell) = line.strip_prefix('|').and_then(|l| l.split('|').next()) else {
            continue;
        };
        for span in first_cell.split('`').skip(1).step_by(2) {
            if !span.starts_with("{\"type\"") {
                continue;
            }
            let result = serde_json::from_str::<Value>(span)
                .map_err(|e| format!("is not JSON: {e}"))
                .and_then(|v| round_trip::<ClientMsg>(&v).map(drop));
            match result {
                Ok(()) => checked += 1,
                Err(e) => {
                    let _ = writeln!(problems, "PROTOCOL.md:{}: `{span}` {e}", i + 1);
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{problems}");
    assert!(checked >= 20, "only {checked} intents found in the table");
}

/// A snapshot flattened as PROTOCOL.md once showed it (`nodes` and `clients` beside `room`,
/// not under `locks`) is refused, even next to the nested parts.
#[test]
fn a_flat_snapshot_fails() {
    let view = RoomView::new("main", 3000);
    let nested = serde_json::json!({"type": "snapshot", "view": view});
    assert!(server_msg(&nested).is_ok());
    let mut flat = nested.clone();
    let v = flat["view"].as_object_mut().unwrap();
    let locks = v.remove("locks").unwrap();
    v.insert("nodes".into(), locks["nodes"].clone());
    v.insert("clients".into(), locks["clients"].clone());
    let e = server_msg(&flat).unwrap_err();
    assert!(e.contains("missing field `locks`"), "{e}");
    // Flat fields beside the nested ones are not silently dropped either.
    let mut both = nested.clone();
    both["view"]["nodes"] = serde_json::json!([]);
    let e = server_msg(&both).unwrap_err();
    assert!(e.contains("/view/nodes"), "{e}");
    let mut outside = nested;
    outside["seq"] = serde_json::json!(3);
    let e = server_msg(&outside).unwrap_err();
    assert!(e.contains("/seq"), "{e}");
}
