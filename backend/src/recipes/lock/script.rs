//! A learner's own lock recipe, written in Rhai, run as a state machine like the built-in ones.
//!
//! The recipe is a set of handlers in the shape of the seed's Java: `on_connected()`, one
//! `on_<call>` for the answer to each ZooKeeper call (`on_create(path)`,
//! `on_get_children(children)`, `on_get_data(path, found)`, `on_exists(path, found)`), the
//! Watcher's `process(event)`, and `on_hold_over()` when `doSomething()`'s sleep ends. `this`
//! is the client's fields, kept between calls. A handler makes at most one ZooKeeper call and
//! may say `gain_lock()` or `release_lock()`. What stays with the machine, not the learner: the
//! events every recipe publishes (connected, node created, listed, watch set and fired), the
//! writes a holder makes with its node's czxid, a careful holder's suspension, and the end of
//! the session once the released node is deleted. While a client holds the lock its `process`
//! is not called: as in the seed, `doSomething()` keeps it busy until it lets go.

mod sandbox;

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rhai::Dynamic;
use shared::recipe::{RecipeError, RecipeErrorKind};
use shared::{ClientId, CloseReason, RoomEvent, WatchCall, WatchedKind, LOCK_DIR};

use self::sandbox::{missing, Effect};
pub use self::sandbox::{Program, Value};
use super::base::{self, Input, Step, ZkCall};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Stage {
    Connecting,
    Running,
    /// `release_lock()` was said: the session ends once its node is deleted.
    Released,
    Done,
}

/// The answer a client waits for: all it needs to know to take it (what the call named is the
/// answer's, and the recipe's fields keep whatever else it wants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Awaiting {
    Create,
    /// A listing; `watch`: it arms the children watch.
    List {
        watch: bool,
    },
    Watch,
    Delete,
}

impl Awaiting {
    fn of(call: &ZkCall) -> Awaiting {
        match call {
            ZkCall::CreateLockNode => Awaiting::Create,
            ZkCall::ListLockDir { watch } => Awaiting::List { watch: *watch },
            ZkCall::Watch { .. } => Awaiting::Watch,
            ZkCall::Delete { .. } => Awaiting::Delete,
        }
    }
}

/// One lock client running a learner's recipe.
#[derive(Clone, Debug)]
pub struct ScriptLock {
    program: Arc<Program>,
    client: ClientId,
    stage: Stage,
    /// The answer it waits for.
    pending: Option<Awaiting>,
    holding: bool,
    /// A careful holder whose connection dropped.
    suspended: bool,
    /// The node it created, and its czxid (the fencing token).
    node: Option<(String, i64)>,
    /// `this`: the recipe's own fields.
    fields: Value,
    /// The line of the recipe it last acted on (a call, a gain or a release).
    line: u32,
    /// The error its recipe ran into, which ended it.
    error: Option<RecipeError>,
}

/// Clients running one program differ in their state alone: the program is left out.
impl PartialEq for ScriptLock {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for ScriptLock {}

impl Hash for ScriptLock {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

type Key<'a> = (
    ClientId,
    Stage,
    Option<Awaiting>,
    bool,
    bool,
    &'a Option<(String, i64)>,
    &'a Value,
    bool,
);

impl ScriptLock {
    pub fn new(program: Arc<Program>, client: ClientId) -> Self {
        ScriptLock {
            program,
            client,
            stage: Stage::Connecting,
            pending: None,
            holding: false,
            suspended: false,
            node: None,
            fields: Value::fields(),
            line: 0,
            error: None,
        }
    }

    /// What tells two clients' states apart; the line it last acted on does not.
    fn key(&self) -> Key<'_> {
        (
            self.client,
            self.stage,
            self.pending,
            self.holding,
            self.suspended,
            &self.node,
            &self.fields,
            self.error.is_some(),
        )
    }

    pub fn this_path(&self) -> Option<&str> {
        self.node.as_ref().map(|(path, _)| path.as_str())
    }

    pub fn is_holding(&self) -> bool {
        self.holding && !self.suspended && self.stage != Stage::Done
    }

    /// At rest between calls, not holding: it waits for a notification.
    pub fn is_waiting(&self) -> bool {
        self.stage == Stage::Running && !self.holding && self.pending.is_none()
    }

    pub fn is_suspended(&self) -> bool {
        self.suspended
    }

    /// The line of the recipe it last acted on (1-based; 0 before its first call).
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The error its recipe ran into, if one ended it.
    pub fn error(&self) -> Option<&RecipeError> {
        self.error.as_ref()
    }

    pub fn on(&mut self, input: Input) -> Vec<Step> {
        let client = self.client;
        match input {
            Input::Failed { message } => {
                self.stage = Stage::Done;
                base::failed(client, message)
            }
            Input::Connected {
                session,
                timeout_ms,
            } if self.stage == Stage::Connecting => {
                self.stage = Stage::Running;
                let connected = base::connected(client, session, timeout_ms);
                self.handle(vec![connected], "on_connected", ())
            }
            Input::Created { path, czxid } => {
                self.pending = None;
                self.node = Some((path.clone(), czxid));
                let created = Step::Publish(RoomEvent::NodeCreatedByClient {
                    client,
                    path: path.clone(),
                });
                self.handle(vec![created], "on_create", (path,))
            }
            Input::Children { names } => self.listed(names),
            Input::WatchArmed { path, call, exists } => {
                let mut steps = Vec::new();
                if exists {
                    let (path, call) = (path.clone(), call);
                    steps.push(Step::Publish(RoomEvent::WatchSet { client, path, call }));
                }
                self.pending = None;
                let handler = match call {
                    WatchCall::GetData => "on_get_data",
                    _ => "on_exists",
                };
                self.handle(steps, handler, (path, exists))
            }
            Input::WatchFired { path, kind } => self.notified(path, kind),
            Input::HoldOver if self.is_holding() => self.handle(Vec::new(), "on_hold_over", ()),
            Input::Deleted => {
                self.pending = None;
                if self.stage == Stage::Released {
                    self.stage = Stage::Done;
                    vec![Step::Close(CloseReason::Finished)]
                } else {
                    Vec::new()
                }
            }
            Input::Connection { connected, careful } => self.connection(connected, careful),
            // Anything else is stale (a release of a client that does not hold).
            _ => Vec::new(),
        }
    }

    fn listed(&mut self, names: Vec<String>) -> Vec<Step> {
        let client = self.client;
        let watch = self.pending.take() == Some(Awaiting::List { watch: true });
        let mut sorted = names.clone();
        sorted.sort();
        let mut steps = vec![Step::Publish(RoomEvent::children_listed(
            client, LOCK_DIR, &sorted,
        ))];
        if watch {
            steps.push(Step::Publish(RoomEvent::WatchSet {
                client,
                path: LOCK_DIR.into(),
                call: WatchCall::GetChildren,
            }));
        }
        // The names as ZooKeeper gave them: sorting them is the recipe's own line, as in the seed.
        let names: rhai::Array = names.into_iter().map(Dynamic::from).collect();
        self.handle(steps, "on_get_children", (names,))
    }

    fn notified(&mut self, path: String, kind: WatchedKind) -> Vec<Step> {
        let fired = Step::Publish(RoomEvent::WatchFired {
            client: self.client,
            path: path.clone(),
            event: kind,
        });
        if !self.is_waiting() || !self.program.has("process") {
            return vec![fired];
        }
        let mut event = rhai::Map::new();
        event.insert("type".into(), Dynamic::from(kind.java_name().to_string()));
        event.insert("path".into(), Dynamic::from(path));
        self.handle(vec![fired], "process", (event,))
    }

    /// A careful holder's lost connection, as every recipe takes it.
    fn connection(&mut self, connected: bool, careful: bool) -> Vec<Step> {
        let who = (
            self.client,
            self.this_path().unwrap_or_default().to_string(),
        );
        let state = (self.is_holding(), self.suspended);
        let Some((suspended, said)) = base::careful_holder(who, state, connected, careful) else {
            return Vec::new();
        };
        self.suspended = suspended;
        vec![said]
    }

    /// Runs a handler after the machine's own `steps`, and carries out what it asked for; an
    /// error ends the client.
    fn handle(&mut self, mut steps: Vec<Step>, name: &str, args: impl rhai::FuncArgs) -> Vec<Step> {
        match self.run(name, args) {
            Ok(more) => steps.extend(more),
            Err(error) => {
                self.stage = Stage::Done;
                self.holding = false;
                let message = match error.line {
                    Some(line) => format!("recipe line {line}: {}", error.detail),
                    None => format!("recipe: {}", error.detail),
                };
                self.error = Some(error);
                steps.extend(base::failed(self.client, message));
            }
        }
        steps
    }

    fn run(&mut self, name: &str, args: impl rhai::FuncArgs) -> Result<Vec<Step>, RecipeError> {
        if !self.program.has(name) {
            return Err(missing(name));
        }
        let mut this = self.fields.to_dynamic();
        let effects = self.program.run(name, &mut this, args)?;
        let fields = Value::from_dynamic(this, "this", &self.program.limits());
        self.fields = fields.map_err(|e| self.program.at_handler(e, name))?;
        let mut steps = Vec::new();
        for effect in effects {
            steps.extend(self.apply(effect)?);
        }
        Ok(steps)
    }

    fn apply(&mut self, effect: Effect) -> Result<Vec<Step>, RecipeError> {
        let client = self.client;
        let (path, token) = self.node.clone().unwrap_or_default();
        let misuse = |call: &str, line: u32, detail: &str| {
            let error = RecipeError::new(RecipeErrorKind::LockMisuse, detail).named(call);
            error.at(Some(line), None)
        };
        Ok(match effect {
            Effect::Call(call, line) => {
                self.line = line;
                self.pending = Some(Awaiting::of(&call));
                vec![Step::Call(call)]
            }
            Effect::Gain(line) => {
                if self.holding || self.stage != Stage::Running {
                    return Err(misuse(
                        "gain_lock",
                        line,
                        "gain_lock() while it holds the lock",
                    ));
                }
                self.line = line;
                self.holding = true;
                base::gained(client, path, token)
            }
            Effect::Release(line) => {
                if !self.holding {
                    return Err(misuse(
                        "release_lock",
                        line,
                        "release_lock() while it does not hold the lock",
                    ));
                }
                self.line = line;
                self.holding = false;
                self.stage = Stage::Released;
                base::letting_go(client, path, token)
            }
        })
    }
}

#[cfg(test)]
mod tests;
