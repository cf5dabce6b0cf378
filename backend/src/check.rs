//! The model checker: a lock recipe, built in or a learner's, through every interleaving of up
//! to four clients over a small ZooKeeper, with crashes and kills at any point. One module for
//! the tests, the lessons and the recipe panel.
//!
//! A check explores 2, then 3, then 4 clients, each depth first with symmetry reduction (each
//! state once up to swapping clients), within a budget of states and time. When one finds a
//! failure, breadth first at that size finds a shortest one (every state fewer moves away has
//! been seen, so none is shorter). It runs on the calling thread: the server gives it a
//! blocking thread of its own.

mod herd;
mod model;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use shared::recipe::{RecipeError, RecipeErrorKind, ScriptLimits, Verdict, VerdictStatus};
use shared::{LockRecipeKind, TraceMove};
use stateright::{Checker, HasDiscoveries, Model};

use crate::recipes::lock::script::{Program, ScriptLock};
use crate::recipes::lock::{LockMachine, LockRecipe};

pub use self::herd::herd_cost;
pub use self::model::{Action, LockModel, State};
use self::model::{FAILURES, HANDS_OVER, RECIPE_ERROR};

/// The most clients a check tries, and the fewest it reports.
pub const MAX_CLIENTS: usize = 4;
const MIN_CLIENTS: usize = 2;

/// What one check may spend; beyond it, the bigger sizes are left unfinished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckBudget {
    /// Unique states explored at one size.
    pub max_states: usize,
    /// Wall time for the whole check.
    pub time: Duration,
}

impl Default for CheckBudget {
    fn default() -> Self {
        CheckBudget {
            max_states: 500_000,
            time: Duration::from_secs(10),
        }
    }
}

/// Checks a learner's recipe: compiles it, then checks it.
pub fn check_source(source: &str, limits: ScriptLimits, budget: CheckBudget) -> Verdict {
    match Program::compile(source, limits) {
        Ok(program) => check_program(program, budget),
        Err(error) => Verdict::error(error, Vec::new()),
    }
}

pub fn check_program(program: Arc<Program>, budget: CheckBudget) -> Verdict {
    check(ScriptLock::new(program, 1), budget)
}

/// Checks one of the built-in recipes, as the server runs it; none for a learner's (which
/// [`check_program`] checks).
pub fn check_built_in(kind: LockRecipeKind, budget: CheckBudget) -> Option<Verdict> {
    LockRecipe::new(kind, 1).map(|recipe| check(recipe, budget))
}

/// What exploring one size found.
pub struct Explored {
    pub clients: usize,
    pub states: usize,
    /// Every state was seen within the budget.
    pub complete: bool,
    /// The first failure's property and its path, if one was found.
    pub failure: Option<(&'static str, Vec<TraceMove>)>,
    /// A client held after another whose node came first: the model hands the lock on.
    pub hands_over: bool,
}

/// Explores `clients` clients depth first, symmetry reduced, within `max_states` and `time`.
pub fn explore<M: LockMachine + 'static>(
    prototype: &M,
    clients: usize,
    max_states: usize,
    time: Duration,
) -> Explored {
    // Every client starts the same: one number for all, which only names it in the events
    // the model does not keep, so that clients that differ only by number are one state.
    let model = LockModel::new(prototype.clone(), clients).until(Instant::now() + time);
    let late = model.late.clone();
    let checker = model
        .checker()
        .symmetry()
        .target_state_count(max_states)
        .spawn_dfs()
        .join();
    let states = checker.unique_state_count();
    let discoveries = checker.discoveries();
    let failure = first_failure(&discoveries);
    Explored {
        clients,
        states,
        complete: states < max_states && failure.is_none() && !late.load(Ordering::Relaxed),
        failure,
        hands_over: discoveries.contains_key(HANDS_OVER),
    }
}

/// The shortest failure at `clients` clients, breadth first; the property and its moves.
pub fn shortest_failure<M: LockMachine + 'static>(
    prototype: &M,
    clients: usize,
    max_states: usize,
    time: Duration,
) -> Option<(&'static str, Vec<TraceMove>)> {
    let names = FAILURES.iter().map(|(name, _)| *name);
    let model = LockModel::new(prototype.clone(), clients).until(Instant::now() + time);
    let checker = model
        .checker()
        .finish_when(HasDiscoveries::AnyOf(names.collect::<BTreeSet<_>>()))
        .target_state_count(max_states)
        .spawn_bfs()
        .join();
    let discoveries = checker.discoveries();
    first_failure(&discoveries)
}

/// The first failure property discovered (in the order of [`FAILURES`]), with its moves.
fn first_failure<M: LockMachine + 'static>(
    discoveries: &HashMap<&'static str, stateright::Path<State<M>, Action>>,
) -> Option<(&'static str, Vec<TraceMove>)> {
    FAILURES.iter().find_map(|(name, _)| {
        let path = discoveries.get(name)?;
        let moves = path.clone().into_actions().into_iter().map(Action::trace);
        Some((*name, moves.collect()))
    })
}

/// Checks a recipe: the verdict, as the recipe panel shows it.
pub fn check<M: LockMachine + 'static>(prototype: M, budget: CheckBudget) -> Verdict {
    let started = Instant::now();
    let left = || budget.time.saturating_sub(started.elapsed());
    let ms = || started.elapsed().as_millis() as u64;
    let mut safe: Option<Explored> = None;
    for clients in MIN_CLIENTS..=MAX_CLIENTS {
        let explored = explore(&prototype, clients, budget.max_states, left());
        if let Some(found) = explored.failure.clone() {
            let (name, moves) =
                shortest_failure(&prototype, clients, budget.max_states, left()).unwrap_or(found);
            return failed(&prototype, clients, explored.states, name, moves, ms());
        }
        if !explored.complete {
            return match safe {
                Some(done) => Verdict {
                    unfinished: Some(clients as u32),
                    ..safe_verdict(&prototype, &done, ms())
                },
                None => Verdict::error(over_budget(budget), Vec::new()),
            };
        }
        safe = Some(explored);
    }
    let done = safe.expect("at least one size was explored");
    safe_verdict(&prototype, &done, ms())
}

fn safe_verdict<M: LockMachine + 'static>(prototype: &M, done: &Explored, ms: u64) -> Verdict {
    Verdict {
        status: VerdictStatus::Safe,
        clients: done.clients as u32,
        states: done.states as u64,
        ms,
        unfinished: None,
        failure: None,
        moves: Vec::new(),
        calls: Vec::new(),
        herd: herd_cost(prototype),
        error: None,
    }
}

fn over_budget(budget: CheckBudget) -> RecipeError {
    let detail = format!(
        "two clients take more than {} states or {} ms",
        budget.max_states,
        budget.time.as_millis()
    );
    RecipeError::new(RecipeErrorKind::CheckBudget, detail)
}

/// The verdict of a failure found: a recipe's error, or the lock broken.
fn failed<M: LockMachine + 'static>(
    prototype: &M,
    clients: usize,
    states: usize,
    name: &'static str,
    moves: Vec<TraceMove>,
    ms: u64,
) -> Verdict {
    let model = LockModel::new(prototype.clone(), clients);
    let calls = model.calls(&moves);
    if name == RECIPE_ERROR {
        let error = model
            .play(&moves)
            .ok()
            .and_then(|s| s.failed().and_then(|r| r.error().cloned()));
        if let Some(error) = error {
            return Verdict {
                calls,
                ..Verdict::error(error, moves)
            };
        }
    }
    let failure = FAILURES
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, f)| *f)
        .unwrap_or(shared::recipe::Failure::Stuck);
    Verdict {
        status: VerdictStatus::Unsafe,
        clients: clients as u32,
        states: states as u64,
        ms,
        unfinished: None,
        failure: Some(failure),
        moves,
        calls,
        herd: herd_cost(prototype),
        error: None,
    }
}
