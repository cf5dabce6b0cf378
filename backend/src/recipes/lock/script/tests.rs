//! Bad code of every kind, checked: each answered with a typed error at its line, in time.

use std::time::{Duration, Instant};

use shared::recipe::{BudgetKind, RecipeErrorKind, ScriptLimits, Verdict};

use crate::check::{check_source, CheckBudget};

/// A recipe whose `on_connected` is `body`, the rest as the skeleton has it.
fn connected(body: &str) -> String {
    format!(
        "fn on_connected() {{\n{body}\n}}\nfn on_create(path) {{ this.thisPath = path; get_children(\"/locks\", false); }}\n"
    )
}

/// Checks `source` and returns its error's kind and line; panics on any other verdict.
fn error_of(source: &str) -> (RecipeErrorKind, Option<u32>) {
    let started = Instant::now();
    let verdict = check_source(source, ScriptLimits::default(), CheckBudget::default());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered in time"
    );
    match verdict {
        Verdict::Error { error, .. } => {
            assert!(!error.detail.is_empty());
            (error.kind, error.line)
        }
        other => panic!("an error, not {other:?}"),
    }
}

#[test]
fn a_syntax_error_names_its_line() {
    let (kind, line) = error_of("fn on_connected() {\n  let x = ;\n}");
    assert_eq!(kind, RecipeErrorKind::Syntax);
    assert_eq!(line, Some(2));
}

#[test]
fn a_megabyte_of_source_is_refused_before_it_is_parsed() {
    let source = connected(&format!("let s = \"{}\";", "x".repeat(1 << 20)));
    let (kind, _) = error_of(&source);
    assert!(
        matches!(kind, RecipeErrorKind::TooLong { limit, .. } if limit == shared::recipe::RECIPE_SOURCE_MAX)
    );
}

#[test]
fn an_unknown_call_and_wrong_argument_types_name_the_call() {
    let (kind, line) = error_of(&connected("  make_lock(\"/locks/sub\");"));
    assert_eq!(
        kind,
        RecipeErrorKind::UnknownCall {
            name: "make_lock".into()
        }
    );
    assert_eq!(line, Some(2));
    let (kind, _) = error_of(&connected("  create(1, 2);"));
    assert_eq!(
        kind,
        RecipeErrorKind::UnknownCall {
            name: "create".into()
        }
    );
}

#[test]
fn missing_handlers_are_named() {
    let (kind, _) = error_of("fn process(event) {}");
    assert_eq!(
        kind,
        RecipeErrorKind::MissingHandler {
            name: "on_connected".into()
        }
    );
    // The answer to a listing needs its handler.
    let (kind, _) = error_of(&connected(
        "  create(\"/locks/sub\", EPHEMERAL_SEQUENTIAL);",
    ));
    assert_eq!(
        kind,
        RecipeErrorKind::MissingHandler {
            name: "on_get_children".into()
        }
    );
    let (kind, line) = error_of("fn on_connected() {}\n\nfn on_create() {}\n");
    assert_eq!(
        kind,
        RecipeErrorKind::HandlerParams {
            name: "on_create".into(),
            expected: 1
        }
    );
    assert_eq!(line, Some(3));
}

#[test]
fn an_endless_loop_runs_out_of_operations() {
    let (kind, line) = error_of(&connected("  let n = 0;\n  loop { n += 1; }"));
    assert_eq!(
        kind,
        RecipeErrorKind::Budget {
            what: BudgetKind::Operations
        }
    );
    assert!(line.is_some());
}

#[test]
fn a_recursion_bomb_runs_out_of_call_depth() {
    let source = format!("fn bomb(n) {{ bomb(n + 1) }}\n{}", connected("  bomb(0);"));
    let (kind, _) = error_of(&source);
    assert_eq!(
        kind,
        RecipeErrorKind::Budget {
            what: BudgetKind::CallDepth
        }
    );
}

#[test]
fn growing_values_run_out_of_room() {
    let (kind, _) = error_of(&connected("  let s = \"x\";\n  loop { s += s; }"));
    assert_eq!(
        kind,
        RecipeErrorKind::Budget {
            what: BudgetKind::String
        }
    );
    let (kind, _) = error_of(&connected("  let a = [];\n  loop { a.push(1); }"));
    assert_eq!(
        kind,
        RecipeErrorKind::Budget {
            what: BudgetKind::Array
        }
    );
    let (kind, _) = error_of(&connected(
        "  for i in 0..100 { this[`f${i}`] = i; }",
    ));
    assert_eq!(
        kind,
        RecipeErrorKind::Budget {
            what: BudgetKind::Map
        }
    );
}

#[test]
fn calls_outside_the_lock_are_refused() {
    let (kind, line) = error_of(&connected(
        "  create(\"/etc/passwd\", EPHEMERAL_SEQUENTIAL);",
    ));
    assert_eq!(
        kind,
        RecipeErrorKind::NotAllowed {
            call: "create".into()
        }
    );
    assert_eq!(line, Some(2));
    let (kind, _) = error_of(&connected("  create(\"/locks/sub\", \"PERSISTENT\");"));
    assert_eq!(
        kind,
        RecipeErrorKind::NotAllowed {
            call: "create".into()
        }
    );
}

#[test]
fn two_calls_in_one_handler_name_the_second() {
    let source = connected(
        "  create(\"/locks/sub\", EPHEMERAL_SEQUENTIAL);\n  get_children(\"/locks\", false);",
    );
    let (kind, line) = error_of(&source);
    assert_eq!(kind, RecipeErrorKind::TwoCalls);
    assert_eq!(line, Some(3));
}

#[test]
fn the_lock_is_gained_once_and_released_only_when_held() {
    let (kind, line) = error_of(&connected("  gain_lock();\n  gain_lock();"));
    assert_eq!(
        kind,
        RecipeErrorKind::LockMisuse {
            call: "gain_lock".into()
        }
    );
    assert_eq!(line, Some(3));
    let (kind, _) = error_of(&connected("  release_lock();"));
    assert_eq!(
        kind,
        RecipeErrorKind::LockMisuse {
            call: "release_lock".into()
        }
    );
}

#[test]
fn a_field_cannot_keep_a_function() {
    let (kind, _) = error_of(&connected("  this.later = Fn(\"on_create\");"));
    assert_eq!(
        kind,
        RecipeErrorKind::Field {
            name: "later".into()
        }
    );
}

#[test]
fn a_runtime_error_is_placed() {
    let (kind, line) = error_of(&connected("  let a = [];\n  let x = a[3] + 1;"));
    assert_eq!(kind, RecipeErrorKind::Runtime);
    assert_eq!(line, Some(3));
}

#[test]
fn a_recipe_that_never_gains_is_stuck_and_one_that_trusts_itself_has_two_holders() {
    let budget = CheckBudget::default();
    let never = "fn on_connected() { create(\"/locks/sub\", EPHEMERAL_SEQUENTIAL); }\nfn on_create(path) {}";
    match check_source(never, ScriptLimits::default(), budget) {
        Verdict::Unsafe { failure, moves, .. } => {
            assert_eq!(
                failure,
                shared::recipe::Failure::WaitsOnNothing,
                "{moves:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let greedy = "fn on_connected() { gain_lock(); }\nfn on_hold_over() { release_lock(); }";
    match check_source(greedy, ScriptLimits::default(), budget) {
        Verdict::Unsafe {
            failure,
            moves,
            clients,
            ..
        } => {
            assert_eq!(failure, shared::recipe::Failure::TwoHolders);
            assert_eq!(clients, 2);
            assert!(
                moves.is_empty(),
                "two clients hold from the start: {moves:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}
