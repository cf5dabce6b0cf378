//! A learner's own lock recipe: the templates it starts from, and what a check of it answers.
//!
//! The recipe is Rhai source run by the server (`backend::recipes::lock::script`); this floor
//! holds only its words: the templates (data files in `shared/recipes/`, embedded), the limits a
//! recipe and its check run under, and the check's verdict and errors as they cross the wire.

use serde::{Deserialize, Serialize};

use crate::kinds::{LockRecipeKind, ZkOp};
use crate::time::TraceMove;

/// What a learner starts from: the seed's three recipes written as zkplay recipes, or a
/// skeleton.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecipeTemplate {
    Predecessor,
    PredecessorNaive,
    ChildrenWatch,
    Skeleton,
}

impl RecipeTemplate {
    pub const ALL: [RecipeTemplate; 4] = [
        RecipeTemplate::PredecessorNaive,
        RecipeTemplate::Predecessor,
        RecipeTemplate::ChildrenWatch,
        RecipeTemplate::Skeleton,
    ];

    /// The name on the wire, in links and in the picker's `<select>`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecipeTemplate::Predecessor => "predecessor",
            RecipeTemplate::PredecessorNaive => "predecessor-naive",
            RecipeTemplate::ChildrenWatch => "children-watch",
            RecipeTemplate::Skeleton => "skeleton",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The built-in recipe this template writes out, line for line.
    pub fn built_in(self) -> Option<LockRecipeKind> {
        match self {
            RecipeTemplate::Predecessor => Some(LockRecipeKind::Predecessor),
            RecipeTemplate::PredecessorNaive => Some(LockRecipeKind::PredecessorNaive),
            RecipeTemplate::ChildrenWatch => Some(LockRecipeKind::ChildrenWatch),
            RecipeTemplate::Skeleton => None,
        }
    }

    pub fn source(self) -> &'static str {
        match self {
            RecipeTemplate::Predecessor => include_str!("../recipes/predecessor.rhai"),
            RecipeTemplate::PredecessorNaive => include_str!("../recipes/predecessor-naive.rhai"),
            RecipeTemplate::ChildrenWatch => include_str!("../recipes/children-watch.rhai"),
            RecipeTemplate::Skeleton => include_str!("../recipes/skeleton.rhai"),
        }
    }
}

/// The longest recipe source the server takes, in bytes.
pub const RECIPE_SOURCE_MAX: usize = 16 * 1024;

/// What a recipe's handler may spend on one call: the sandbox's budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptLimits {
    /// Rhai operations per handler call (a loop's turn, a call, an expression).
    pub operations: u64,
    /// Characters in any one string.
    pub string_len: usize,
    /// Items in any one array.
    pub array_len: usize,
    /// Entries in any one map, `this` among them.
    pub map_len: usize,
    /// Nested function calls.
    pub call_depth: usize,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        ScriptLimits {
            operations: 20_000,
            string_len: 1024,
            array_len: 256,
            map_len: 64,
            call_depth: 16,
        }
    }
}

/// The handlers a recipe may define, with their parameters, in the order a client meets them.
pub const HANDLERS: [(&str, &[&str]); 7] = [
    ("on_connected", &[]),
    ("on_create", &["path"]),
    ("on_get_children", &["children"]),
    ("on_get_data", &["path", "found"]),
    ("on_exists", &["path", "found"]),
    ("process", &["event"]),
    ("on_hold_over", &[]),
];

/// How the check's failure breaks the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// Two clients hold the lock at once.
    TwoHolders,
    /// A waiter waits with no watch armed and no notification to come: for ever.
    WaitsOnNothing,
    /// No client can move, yet not every client has ended: the lock is never handed on.
    Stuck,
}

/// What went wrong with the recipe's code, as a kind the page words in the learner's language;
/// [`RecipeError::name`] names the handler, call or field where the kind has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipeErrorKind {
    /// The source does not parse.
    Syntax,
    /// The source is longer than [`RECIPE_SOURCE_MAX`].
    TooLong,
    /// A handler the recipe needs is not there (`on_connected`, or the answer to a call made).
    MissingHandler,
    /// A handler takes the wrong number of parameters ([`HANDLERS`] says how many).
    HandlerParams,
    /// A call of a function that does not exist, or with arguments of the wrong types.
    UnknownCall,
    /// A call outside what a lock recipe may do: another path, mode or watch.
    NotAllowed,
    /// A second ZooKeeper call in one handler: the first's answer comes to its own handler.
    TwoCalls,
    /// `gain_lock()` while holding, or `release_lock()` while not.
    LockMisuse,
    /// A field of `this` holds what a client cannot keep (a function).
    Field,
    /// The handler ran past its budget of operations, or a value grew past its size
    /// ([`RecipeError::budget`] says which).
    Budget,
    /// Any other error the code raised as it ran (a type mismatch, an index out of range).
    Runtime,
    /// The check could not explore even two clients within its budget of states and time.
    CheckBudget,
}

/// Which part of the sandbox's budget a handler spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetKind {
    Operations,
    String,
    Array,
    Map,
    CallDepth,
    ExpressionDepth,
    Variables,
}

/// An error in the recipe's code, where it is (1-based), and Rhai's own message. Flat on the
/// wire, as every message the page reads is (see `event::wire`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipeError {
    pub kind: RecipeErrorKind,
    /// The handler, call or field the error names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub detail: String,
}

impl RecipeError {
    pub fn new(kind: RecipeErrorKind, detail: impl Into<String>) -> Self {
        RecipeError {
            kind,
            name: None,
            budget: None,
            line: None,
            column: None,
            detail: detail.into(),
        }
    }

    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn at(mut self, line: Option<u32>, column: Option<u32>) -> Self {
        (self.line, self.column) = (line, column);
        self
    }

    pub fn over(what: BudgetKind, detail: impl Into<String>) -> Self {
        RecipeError {
            budget: Some(what),
            ..RecipeError::new(RecipeErrorKind::Budget, detail)
        }
    }
}

/// A check's answer in one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictStatus {
    /// No interleaving of `clients` clients, crashes and kills breaks the lock.
    Safe,
    /// `moves` is a shortest way to break it.
    Unsafe,
    /// The code failed: it does not compile, or a handler failed after `moves`.
    Error,
}

/// What a check of a recipe found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub status: VerdictStatus,
    /// The most clients checked to the end (safe), or the number that broke it.
    pub clients: u32,
    /// Unique states explored at that number (up to swapping clients).
    pub states: u64,
    pub ms: u64,
    /// A bigger check that did not finish within the budget, if one was tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unfinished: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// The moves to the failure or the error, as step mode plays them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moves: Vec<TraceMove>,
    /// The ZooKeeper call each `call` move of `moves` makes, in order: what the page names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<ZkOp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub herd: Option<HerdCost>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RecipeError>,
}

impl Verdict {
    /// The code failed to compile, or a handler failed after `moves`.
    pub fn error(error: RecipeError, moves: Vec<TraceMove>) -> Self {
        Verdict {
            status: VerdictStatus::Error,
            clients: 0,
            states: 0,
            ms: 0,
            unfinished: None,
            failure: None,
            moves,
            calls: Vec::new(),
            herd: None,
            error: Some(error),
        }
    }
}

/// What one hand-off costs: the notifications delivered while the lock passes from a holder
/// to the next of `waiters` queued clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HerdCost {
    pub waiters: u32,
    pub notifications: u32,
}
