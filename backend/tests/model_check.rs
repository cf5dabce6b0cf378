//! The lock recipes, model-checked (`backend::check`): the very state machines the server runs,
//! through every interleaving of up to four clients over a small model of ZooKeeper, with any
//! client crashing or killed at any point; and each Rhai template beside its built-in recipe.

use std::time::Duration;

use backend::check::{self, explore, shortest_failure, CheckBudget, LockModel};
use backend::recipes::lock::script::{Program, ScriptLock};
use backend::recipes::lock::LockRecipe;
use shared::recipe::{RecipeTemplate, ScriptLimits, Verdict};
use shared::LockRecipeKind;

const NO_LIMIT: usize = usize::MAX;
const LONG: Duration = Duration::from_secs(600);

fn built_in(kind: LockRecipeKind) -> LockRecipe {
    LockRecipe::new(kind, 1).expect("a built-in recipe")
}

fn template(template: RecipeTemplate) -> ScriptLock {
    let program = Program::compile(template.source(), ScriptLimits::default())
        .unwrap_or_else(|e| panic!("{template:?} compiles: {e:?}"));
    ScriptLock::new(program, 1)
}

/// A correct recipe, for 1 to 4 clients: nothing broken, and the lock handed on once there
/// are two.
fn keeps_every_property(recipe: LockRecipeKind) {
    for clients in 1..=4 {
        let explored = explore(&built_in(recipe), clients, NO_LIMIT, LONG);
        println!("{recipe:?}, {clients} clients: {} states", explored.states);
        assert_eq!(explored.failure, None, "{clients} clients");
        assert!(explored.complete);
        assert_eq!(explored.hands_over, clients >= 2, "{clients} clients");
    }
}

#[test]
fn predecessor_never_has_two_holders_nor_a_waiter_on_nothing_nor_a_stuck_client() {
    keeps_every_property(LockRecipeKind::Predecessor);
}

#[test]
fn children_watch_never_has_two_holders_nor_a_waiter_on_nothing_nor_a_stuck_client() {
    keeps_every_property(LockRecipeKind::ChildrenWatch);
}

#[test]
fn predecessor_naive_has_two_holders_and_the_shortest_way_there_is_found() {
    let naive = built_in(LockRecipeKind::PredecessorNaive);
    // Two clients cannot show it: the only waiter's predecessor is the holder.
    assert_eq!(explore(&naive, 2, NO_LIMIT, LONG).failure, None);
    let (name, moves) = shortest_failure(&naive, 3, NO_LIMIT, LONG).expect("a failure");
    assert_eq!(name, "never two holders");
    println!("shortest failure ({} moves): {moves:?}", moves.len());
    // Three clients create their nodes; the third lists and watches the second's; the second
    // crashes, and its node goes; the first lists and holds; the third takes the notification
    // for the lock: eight moves.
    assert_eq!(moves.len(), 8, "{moves:?}");
    // The failure the lessons keep is one too, move by move, and as short.
    let stored = shared::lesson::action::shortest_naive_failure();
    assert_eq!(stored.len(), moves.len(), "{stored:?} against {moves:?}");
    let model = LockModel::new(naive, 4);
    let end = model.play(&stored).expect("every stored move can be made");
    assert_eq!(end.holders(), 2, "the stored moves end with two holders");
    let before = model.play(&stored[..stored.len() - 1]).expect("moves");
    assert_eq!(before.holders(), 1, "and not before the last");
}

/// Each template, checked, gives its built-in recipe's verdict: the same states explored at
/// each size, the same failure by the same moves.
#[test]
fn each_template_gives_its_built_in_recipes_verdict_and_state_count() {
    for t in RecipeTemplate::ALL {
        let Some(kind) = t.built_in() else { continue };
        let built_in = built_in(kind);
        let script = template(t);
        for clients in 1..=3 {
            let a = explore(&built_in, clients, NO_LIMIT, LONG);
            let b = explore(&script, clients, NO_LIMIT, LONG);
            println!(
                "{t:?}, {clients} clients: {} and {} states",
                a.states, b.states
            );
            assert_eq!(a.states, b.states, "{t:?} with {clients} clients");
            assert_eq!(a.failure, b.failure, "{t:?} with {clients} clients");
            assert_eq!(a.hands_over, b.hands_over, "{t:?} with {clients} clients");
        }
        let budget = CheckBudget::default();
        let (a, b) = (
            check::check_built_in(kind, budget).expect("built in"),
            check::check(script, budget),
        );
        println!("{t:?}: {a:?}\n  and {b:?}");
        // Each call move is named by the call it makes: a listing, a create, a watch.
        let call_moves = (b.moves.iter())
            .filter(|m| matches!(m, shared::TraceMove::Call(_)))
            .count();
        assert_eq!(b.calls.len(), call_moves, "{t:?}");
        if t == RecipeTemplate::PredecessorNaive {
            use shared::ZkOp::{Create, GetChildren, GetData};
            let expected = [Create, GetChildren, Create, Create, GetChildren, GetData];
            assert_eq!(b.calls, expected);
        }
        assert_eq!(without_time(a), without_time(b), "{t:?}");
    }
}

fn without_time(verdict: Verdict) -> Verdict {
    Verdict { ms: 0, ..verdict }
}
