//! The Rhai sandbox a learner's recipe runs in: an engine with a budget and no I/O, the calls a
//! lock recipe may make, and the client's fields as plain values a model checker can compare.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use rhai::packages::{Package, StandardPackage};
use rhai::{
    CallFnOptions, Dynamic, Engine, EvalAltResult, FuncArgs, NativeCallContext, ParseErrorType,
    Position, Scope, AST,
};
use shared::recipe::{
    BudgetKind, RecipeError, RecipeErrorKind, ScriptLimits, HANDLERS, RECIPE_SOURCE_MAX,
};
use shared::{WatchCall, LOCK_DIR};

use super::super::base::{ZkCall, LOCK_PREFIX};

/// The one creation mode a lock recipe uses, as the recipe names it.
const EPHEMERAL_SEQUENTIAL: &str = "EPHEMERAL_SEQUENTIAL";

/// What a handler asked for, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Effect {
    /// A ZooKeeper call, and the line it is on.
    Call(ZkCall, u32),
    /// `gain_lock()`, and its line.
    Gain(u32),
    /// `release_lock()`, and its line.
    Release(u32),
}

thread_local! {
    /// What the running handler has asked for: a handler runs to its end on one thread, and
    /// the engine is shared by every client of a check, so its calls land here, not in it.
    static EFFECTS: RefCell<Vec<Effect>> = const { RefCell::new(Vec::new()) };
    /// The typed error a call raised, if one did (Rhai carries only its text).
    static RAISED: RefCell<Option<RecipeError>> = const { RefCell::new(None) };
}

/// A learner's recipe, compiled once and shared by every client that runs it.
pub struct Program {
    engine: Engine,
    ast: AST,
    source: Arc<str>,
    limits: ScriptLimits,
    /// The handlers it defines, found once: every handler call of a check asks.
    defined: Vec<&'static str>,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Program({} bytes)", self.source.len())
    }
}

impl Program {
    /// Compiles a recipe, or says what is wrong with it and where.
    pub fn compile(source: &str, limits: ScriptLimits) -> Result<Arc<Program>, RecipeError> {
        if source.len() > RECIPE_SOURCE_MAX {
            let detail = format!("{} bytes; at most {RECIPE_SOURCE_MAX}", source.len());
            return Err(RecipeError::new(RecipeErrorKind::TooLong, detail));
        }
        let engine = engine(limits);
        let ast = engine.compile(source).map_err(|e| {
            let detail = e.0.to_string();
            let error = match *e.0 {
                ParseErrorType::ExprTooDeep => {
                    RecipeError::over(BudgetKind::ExpressionDepth, detail)
                }
                ParseErrorType::LiteralTooLarge(..) => {
                    RecipeError::over(BudgetKind::String, detail)
                }
                _ => RecipeError::new(RecipeErrorKind::Syntax, detail),
            };
            placed(error, e.1)
        })?;
        let defined = HANDLERS.iter().map(|(name, _)| *name);
        let defined = defined
            .filter(|name| ast.iter_functions().any(|f| f.name == *name))
            .collect();
        let program = Program {
            engine,
            ast,
            source: source.into(),
            limits,
            defined,
        };
        program.check_handlers()?;
        Ok(Arc::new(program))
    }

    pub fn limits(&self) -> ScriptLimits {
        self.limits
    }

    /// Every handler defined takes the parameters it is given, and `on_connected` is there.
    fn check_handlers(&self) -> Result<(), RecipeError> {
        for f in self.ast.iter_functions() {
            let Some((name, params)) = HANDLERS.iter().find(|(n, _)| *n == f.name) else {
                continue;
            };
            if f.params.len() != params.len() {
                let detail = format!("fn {name}({})", params.join(", "));
                let error = RecipeError::new(RecipeErrorKind::HandlerParams, detail).named(*name);
                return Err(self.at_definition(error, name));
            }
        }
        if !self.has("on_connected") {
            return Err(missing("on_connected"));
        }
        Ok(())
    }

    /// An error Rhai could not place (a budget spent) placed at the handler it happened in.
    pub(super) fn at_handler(&self, error: RecipeError, handler: &str) -> RecipeError {
        match error.line {
            Some(_) => error,
            None => self.at_definition(error, handler),
        }
    }

    /// An error placed at the line that defines `name`.
    fn at_definition(&self, error: RecipeError, name: &str) -> RecipeError {
        let line = self.source.lines().position(|l| {
            let l = l.trim_start();
            l.strip_prefix("fn ")
                .and_then(|rest| rest.trim_start().strip_prefix(name))
                .is_some_and(|rest| rest.trim_start().starts_with('('))
        });
        error.at(line.map(|l| l as u32 + 1), line.map(|_| 1))
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.defined.contains(&name)
    }

    /// Runs handler `name` with `this` bound to the client's fields: what it asked for, or the
    /// error it ran into.
    pub(super) fn run(
        &self,
        name: &str,
        this: &mut Dynamic,
        args: impl FuncArgs,
    ) -> Result<Vec<Effect>, RecipeError> {
        EFFECTS.with_borrow_mut(Vec::clear);
        RAISED.with_borrow_mut(|r| *r = None);
        let options = CallFnOptions::new()
            .eval_ast(false)
            .rewind_scope(true)
            .bind_this_ptr(this);
        let result = self.engine.call_fn_with_options::<Dynamic>(
            options,
            &mut Scope::new(),
            &self.ast,
            name,
            args,
        );
        let effects = EFFECTS.with_borrow_mut(std::mem::take);
        let raised = RAISED.with_borrow_mut(Option::take);
        match result {
            Ok(_) => Ok(effects),
            Err(e) => Err(self.at_handler(runtime_error(*e, raised), name)),
        }
    }
}

/// The engine: Rhai's standard library (strings, arrays, maps; no file, no clock, no
/// `eval`), the budget, and the lock recipe's calls.
fn engine(limits: ScriptLimits) -> Engine {
    let mut engine = Engine::new_raw();
    engine.register_global_module(StandardPackage::new().as_shared_module());
    engine
        .set_max_operations(limits.operations)
        .set_max_string_size(limits.string_len)
        .set_max_array_size(limits.array_len)
        .set_max_map_size(limits.map_len)
        .set_max_call_levels(limits.call_depth)
        .set_max_expr_depths(64, 32)
        .set_max_variables(64)
        .set_max_functions(32);
    engine.disable_symbol("eval");
    engine.on_print(|_| {}).on_debug(|_, _, _| {});
    // Functions see no global variable; a resolver gives them the mode's name. (Rhai marks the
    // resolver's API as one that may change.)
    #[allow(deprecated)]
    engine.on_var(|name, _, _| {
        Ok((name == EPHEMERAL_SEQUENTIAL).then(|| Dynamic::from(EPHEMERAL_SEQUENTIAL)))
    });
    register_calls(&mut engine);
    engine
}

/// The calls of the seed's Java a lock recipe may make, each checked against what the lock's
/// world holds: `/locks`, its `sub` nodes, and watches.
fn register_calls(engine: &mut Engine) {
    engine.register_fn(
        "create",
        |ctx: NativeCallContext, path: &str, mode: &str| -> Result<(), Box<EvalAltResult>> {
            if path != LOCK_PREFIX || mode != EPHEMERAL_SEQUENTIAL {
                let detail = format!(
                    "create(\"{path}\", {mode}): a lock recipe creates \"{LOCK_PREFIX}\", EPHEMERAL_SEQUENTIAL"
                );
                return not_allowed(&ctx, "create", detail);
            }
            call(&ctx, ZkCall::CreateLockNode)
        },
    );
    engine.register_fn(
        "get_children",
        |ctx: NativeCallContext, path: &str, watch: bool| -> Result<(), Box<EvalAltResult>> {
            if path != LOCK_DIR {
                let detail =
                    format!("get_children(\"{path}\"): a lock recipe lists \"{LOCK_DIR}\"");
                return not_allowed(&ctx, "get_children", detail);
            }
            call(&ctx, ZkCall::ListLockDir { watch })
        },
    );
    for (name, watch_call) in [
        ("get_data", WatchCall::GetData),
        ("exists", WatchCall::Exists),
    ] {
        engine.register_fn(
            name,
            move |ctx: NativeCallContext, path: &str, watch: bool| -> Result<(), Box<EvalAltResult>> {
                let is_lock_node = path
                    .strip_prefix(LOCK_PREFIX)
                    .is_some_and(|seq| !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit()));
                if !watch || !is_lock_node {
                    let detail = format!(
                        "{name}(\"{path}\", {watch}): a lock recipe reads a node of {LOCK_DIR} to watch it: pass true"
                    );
                    return not_allowed(&ctx, name, detail);
                }
                let path = path.to_string();
                call(&ctx, ZkCall::Watch { path, call: watch_call })
            },
        );
    }
    engine.register_fn(
        "delete",
        |ctx: NativeCallContext, path: &str, version: i64| -> Result<(), Box<EvalAltResult>> {
            if !path.starts_with(LOCK_PREFIX) || version != -1 {
                let detail = format!(
                    "delete(\"{path}\", {version}): a lock recipe deletes a node of {LOCK_DIR}, version -1"
                );
                return not_allowed(&ctx, "delete", detail);
            }
            call(&ctx, ZkCall::Delete { path: path.to_string() })
        },
    );
    engine.register_fn("gain_lock", |ctx: NativeCallContext| {
        EFFECTS.with_borrow_mut(|e| e.push(Effect::Gain(line_of(ctx.call_position()))));
    });
    engine.register_fn("release_lock", |ctx: NativeCallContext| {
        EFFECTS.with_borrow_mut(|e| e.push(Effect::Release(line_of(ctx.call_position()))));
    });
}

/// Records a ZooKeeper call; a second in one handler is an error, at its line.
fn call(ctx: &NativeCallContext, call: ZkCall) -> Result<(), Box<EvalAltResult>> {
    let line = line_of(ctx.call_position());
    let second = EFFECTS.with_borrow(|e| e.iter().any(|e| matches!(e, Effect::Call(..))));
    if second {
        let detail = format!(
            "{}: one ZooKeeper call per handler; its answer comes to its own handler",
            ctx.fn_name()
        );
        return raise(ctx, RecipeError::new(RecipeErrorKind::TwoCalls, detail));
    }
    EFFECTS.with_borrow_mut(|e| e.push(Effect::Call(call, line)));
    Ok(())
}

fn not_allowed(
    ctx: &NativeCallContext,
    name: &str,
    detail: String,
) -> Result<(), Box<EvalAltResult>> {
    raise(
        ctx,
        RecipeError::new(RecipeErrorKind::NotAllowed, detail).named(name),
    )
}

/// Raises a typed error: Rhai carries its text and position, [`RAISED`] the rest.
fn raise(ctx: &NativeCallContext, error: RecipeError) -> Result<(), Box<EvalAltResult>> {
    let detail = error.detail.clone();
    RAISED.with_borrow_mut(|r| *r = Some(error));
    Err(EvalAltResult::ErrorRuntime(detail.into(), ctx.call_position()).into())
}

fn line_of(position: Position) -> u32 {
    position.line().unwrap_or(0) as u32
}

fn placed(error: RecipeError, position: Position) -> RecipeError {
    let (line, column) = (position.line(), position.position());
    error.at(line.map(|l| l as u32), column.map(|c| c as u32))
}

pub(super) fn missing(name: &str) -> RecipeError {
    let params = HANDLERS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(&[][..], |(_, p)| *p);
    let detail = format!("fn {name}({}) is not defined", params.join(", "));
    RecipeError::new(RecipeErrorKind::MissingHandler, detail).named(name)
}

/// A Rhai error as the recipe's error: the innermost call's position, a kind for each budget.
fn runtime_error(error: EvalAltResult, raised: Option<RecipeError>) -> RecipeError {
    let error = innermost(error);
    let position = error.position();
    let detail = match &error {
        EvalAltResult::ErrorRuntime(message, _) => message.to_string(),
        other => other.to_string(),
    };
    let over = |what| RecipeError::over(what, detail.clone());
    let typed = raised.unwrap_or_else(|| match &error {
        EvalAltResult::ErrorTooManyOperations(_) => over(BudgetKind::Operations),
        EvalAltResult::ErrorStackOverflow(_) => over(BudgetKind::CallDepth),
        EvalAltResult::ErrorTooManyVariables(_) => over(BudgetKind::Variables),
        EvalAltResult::ErrorDataTooLarge(what, _) if what.contains("string") => {
            over(BudgetKind::String)
        }
        EvalAltResult::ErrorDataTooLarge(what, _) if what.contains("map") => over(BudgetKind::Map),
        EvalAltResult::ErrorDataTooLarge(..) => over(BudgetKind::Array),
        EvalAltResult::ErrorFunctionNotFound(signature, _) => {
            let name = signature.split(['(', ' ']).next().unwrap_or_default();
            RecipeError::new(RecipeErrorKind::UnknownCall, detail.clone()).named(name)
        }
        _ => RecipeError::new(RecipeErrorKind::Runtime, detail.clone()),
    });
    placed(typed, position)
}

/// The error inside the script functions it passed through.
fn innermost(error: EvalAltResult) -> EvalAltResult {
    match error {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => innermost(*inner),
        other => other,
    }
}

/// A client's field, as a value that can be compared and hashed: what a model checker needs
/// to tell two states apart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    #[default]
    Unit,
    Bool(bool),
    Int(i64),
    Char(char),
    Str(String),
    Array(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// The client's fields before any handler ran: an empty map.
    pub(super) fn fields() -> Value {
        Value::Map(BTreeMap::new())
    }

    pub(super) fn to_dynamic(&self) -> Dynamic {
        match self {
            Value::Unit => Dynamic::UNIT,
            Value::Bool(b) => Dynamic::from(*b),
            Value::Int(i) => Dynamic::from(*i),
            Value::Char(c) => Dynamic::from(*c),
            Value::Str(s) => Dynamic::from(s.clone()),
            Value::Array(items) => {
                Dynamic::from_array(items.iter().map(Value::to_dynamic).collect())
            }
            Value::Map(entries) => Dynamic::from_map(
                entries
                    .iter()
                    .map(|(k, v)| (k.as_str().into(), v.to_dynamic()))
                    .collect(),
            ),
        }
    }

    /// Reads a value back within the limits (Rhai does not count what an index assignment
    /// adds to a map); `name` is the field it sits in, for the error.
    pub(super) fn from_dynamic(
        value: Dynamic,
        name: &str,
        limits: &ScriptLimits,
    ) -> Result<Value, RecipeError> {
        if value.is_unit() {
            return Ok(Value::Unit);
        }
        if let Ok(b) = value.as_bool() {
            return Ok(Value::Bool(b));
        }
        if let Ok(i) = value.as_int() {
            return Ok(Value::Int(i));
        }
        if let Ok(c) = value.as_char() {
            return Ok(Value::Char(c));
        }
        if value.is_string() {
            return Ok(Value::Str(value.into_string().unwrap_or_default()));
        }
        let too_big =
            |what, len: usize| RecipeError::over(what, format!("this.{name} holds {len} entries"));
        if value.is_array() {
            let items = value.into_array().unwrap_or_default();
            if items.len() > limits.array_len {
                return Err(too_big(BudgetKind::Array, items.len()));
            }
            let items = items
                .into_iter()
                .map(|v| Value::from_dynamic(v, name, limits));
            return Ok(Value::Array(items.collect::<Result<_, _>>()?));
        }
        if value.is_map() {
            let map = value.cast::<rhai::Map>();
            if map.len() > limits.map_len {
                return Err(too_big(BudgetKind::Map, map.len()));
            }
            let entries = map.into_iter().map(|(k, v)| {
                let key = k.to_string();
                Value::from_dynamic(v, &key, limits).map(|v| (key, v))
            });
            return Ok(Value::Map(entries.collect::<Result<_, _>>()?));
        }
        let detail = format!("this.{name} holds a {}", value.type_name());
        Err(RecipeError::new(RecipeErrorKind::Field, detail).named(name))
    }
}
