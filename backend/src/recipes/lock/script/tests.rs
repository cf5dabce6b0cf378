//! Bad code of every kind, checked: each answered with a typed error at its line, in time.

use std::time::{Duration, Instant};

use shared::recipe::{
    BudgetKind, Failure, RecipeError, RecipeErrorKind as K, ScriptLimits, VerdictStatus,
    RECIPE_SOURCE_MAX,
};

use crate::check::{check_source, CheckBudget};

/// A recipe whose `on_connected` is `body`, the rest as the skeleton has it.
fn connected(body: &str) -> String {
    format!(
        "fn on_connected() {{\n{body}\n}}\nfn on_create(path) {{ this.thisPath = path; get_children(\"/locks\", false); }}\n"
    )
}

/// Checks `source` and returns its error; panics on any other verdict.
fn error_of(source: &str) -> RecipeError {
    let started = Instant::now();
    let verdict = check_source(source, ScriptLimits::default(), CheckBudget::default());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered in time"
    );
    assert_eq!(verdict.status, VerdictStatus::Error, "{verdict:?}");
    let error = verdict.error.expect("an error");
    assert!(!error.detail.is_empty());
    error
}

fn kind_name_line(e: RecipeError) -> (K, Option<String>, Option<u32>) {
    (e.kind, e.name, e.line)
}

fn budget_of(source: &str) -> Option<BudgetKind> {
    let e = error_of(source);
    assert_eq!(e.kind, K::Budget);
    e.budget
}

#[test]
fn a_syntax_error_names_its_line() {
    let e = error_of("fn on_connected() {\n  let x = ;\n}");
    assert_eq!((e.kind, e.line), (K::Syntax, Some(2)));
    assert!(e.column.is_some());
}

#[test]
fn a_megabyte_of_source_is_refused_before_it_is_parsed() {
    let source = connected(&format!("let s = \"{}\";", "x".repeat(1 << 20)));
    let e = error_of(&source);
    assert_eq!(e.kind, K::TooLong);
    assert!(
        e.detail.contains(&RECIPE_SOURCE_MAX.to_string()),
        "{}",
        e.detail
    );
}

#[test]
fn an_unknown_call_and_wrong_argument_types_name_the_call() {
    let e = error_of(&connected("  make_lock(\"/locks/sub\");"));
    assert_eq!(
        kind_name_line(e),
        (K::UnknownCall, Some("make_lock".into()), Some(2))
    );
    let e = error_of(&connected("  create(1, 2);"));
    assert_eq!((e.kind, e.name), (K::UnknownCall, Some("create".into())));
}

#[test]
fn missing_handlers_are_named() {
    let e = error_of("fn process(event) {}");
    assert_eq!(
        (e.kind, e.name),
        (K::MissingHandler, Some("on_connected".into()))
    );
    // The answer to a listing needs its handler.
    let e = error_of(&connected(
        "  create(\"/locks/sub\", EPHEMERAL_SEQUENTIAL);",
    ));
    assert_eq!(
        (e.kind, e.name),
        (K::MissingHandler, Some("on_get_children".into()))
    );
    let e = error_of("fn on_connected() {}\n\nfn on_create() {}\n");
    assert_eq!(
        kind_name_line(e),
        (K::HandlerParams, Some("on_create".into()), Some(3))
    );
}

#[test]
fn an_endless_loop_runs_out_of_operations() {
    let e = error_of(&connected("  let n = 0;\n  loop { n += 1; }"));
    assert_eq!(
        (e.kind, e.budget),
        (K::Budget, Some(BudgetKind::Operations))
    );
    // Rhai cannot say where the budget ran out: the handler's own line says which.
    assert_eq!(e.line, Some(1));
}

#[test]
fn a_recursion_bomb_runs_out_of_call_depth() {
    let source = format!("fn bomb(n) {{ bomb(n + 1) }}\n{}", connected("  bomb(0);"));
    assert_eq!(budget_of(&source), Some(BudgetKind::CallDepth));
}

#[test]
fn growing_values_run_out_of_room() {
    let string = connected("  let s = \"x\";\n  loop { s += s; }");
    assert_eq!(budget_of(&string), Some(BudgetKind::String));
    let array = connected("  let a = [];\n  loop { a.push(1); }");
    assert_eq!(budget_of(&array), Some(BudgetKind::Array));
    let fields = connected("  for i in 0..100 { this[`f${i}`] = i; }");
    assert_eq!(budget_of(&fields), Some(BudgetKind::Map));
}

#[test]
fn calls_outside_the_lock_are_refused() {
    let e = error_of(&connected(
        "  create(\"/etc/passwd\", EPHEMERAL_SEQUENTIAL);",
    ));
    assert_eq!(
        kind_name_line(e),
        (K::NotAllowed, Some("create".into()), Some(2))
    );
    let e = error_of(&connected("  create(\"/locks/sub\", \"PERSISTENT\");"));
    assert_eq!((e.kind, e.name), (K::NotAllowed, Some("create".into())));
}

#[test]
fn two_calls_in_one_handler_name_the_second() {
    let source = connected(
        "  create(\"/locks/sub\", EPHEMERAL_SEQUENTIAL);\n  get_children(\"/locks\", false);",
    );
    let e = error_of(&source);
    assert_eq!((e.kind, e.line), (K::TwoCalls, Some(3)));
}

#[test]
fn the_lock_is_gained_once_and_released_only_when_held() {
    let e = error_of(&connected("  gain_lock();\n  gain_lock();"));
    assert_eq!(
        kind_name_line(e),
        (K::LockMisuse, Some("gain_lock".into()), Some(3))
    );
    let e = error_of(&connected("  release_lock();"));
    assert_eq!(
        (e.kind, e.name),
        (K::LockMisuse, Some("release_lock".into()))
    );
}

#[test]
fn a_field_cannot_keep_a_function() {
    let e = error_of(&connected("  this.later = Fn(\"on_create\");"));
    assert_eq!((e.kind, e.name), (K::Field, Some("later".into())));
}

#[test]
fn a_runtime_error_is_placed() {
    let e = error_of(&connected("  let a = [];\n  let x = a[3] + 1;"));
    assert_eq!((e.kind, e.line), (K::Runtime, Some(3)));
}

#[test]
fn a_recipe_that_never_gains_waits_on_nothing_and_one_that_trusts_itself_has_two_holders() {
    let budget = CheckBudget::default();
    let never = "fn on_connected() { create(\"/locks/sub\", EPHEMERAL_SEQUENTIAL); }\nfn on_create(path) {}";
    let verdict = check_source(never, ScriptLimits::default(), budget);
    assert_eq!(
        verdict.failure,
        Some(Failure::WaitsOnNothing),
        "{verdict:?}"
    );
    let greedy = "fn on_connected() { gain_lock(); }\nfn on_hold_over() { release_lock(); }";
    let verdict = check_source(greedy, ScriptLimits::default(), budget);
    assert_eq!(verdict.status, VerdictStatus::Unsafe);
    assert_eq!(verdict.failure, Some(Failure::TwoHolders));
    assert_eq!(verdict.clients, 2);
    assert!(
        verdict.moves.is_empty(),
        "two clients hold from the start: {verdict:?}"
    );
}
