//! The learner's own recipe as the page keeps it: the draft in the editor, where it comes from
//! at start (a shared link, this browser, a template), the verdict that is about exactly its
//! text, and the link that shares it. Plain Rust, tested on native.

use std::rc::Rc;

use shared::recipe::{RecipeError, RecipeTemplate, Verdict, RECIPE_SOURCE_MAX};
use shared::{RoomView, TraceMove};

use crate::i18n::Lang;
use crate::texts::{fill, RecipeText as R};

/// The query parameter a shared recipe travels in.
pub const RECIPE_PARAM: &str = "recipe";

/// Where this browser keeps the draft between visits.
pub const STORED_KEY: &str = "zkplay.recipe";

/// The recipe panel's state.
#[derive(Clone, Debug, PartialEq)]
pub struct RecipeDraft {
    /// Shown or hidden by the learner; `None`: as the lesson has it.
    pub open: Option<bool>,
    /// The editor's text; empty until a template's text has come.
    pub source: Rc<str>,
    /// The template last picked, and its text: the draft is that template while it is
    /// unchanged. (The templates are fetched, `/recipes/<name>.rhai`: the page carries none.)
    pub picked: Option<(RecipeTemplate, Rc<str>)>,
    /// The template to fetch and show, when the panel is shown.
    pub wanted: Option<RecipeTemplate>,
    /// A check of this very text was asked for and has not been answered.
    pub checking: Option<Rc<str>>,
}

impl Default for RecipeDraft {
    fn default() -> Self {
        RecipeDraft {
            open: None,
            source: "".into(),
            picked: None,
            wanted: Some(RecipeTemplate::PredecessorNaive),
            checking: None,
        }
    }
}

impl RecipeDraft {
    /// The draft a page starts with: a shared link's recipe (the panel opens on it), else the
    /// one this browser kept, else the naive template.
    pub fn start(linked: Option<String>, stored: Option<String>) -> Self {
        match (linked, stored) {
            (Some(source), _) => RecipeDraft {
                open: Some(true),
                source: source.into(),
                wanted: None,
                ..RecipeDraft::default()
            },
            (None, Some(source)) if !source.trim().is_empty() => RecipeDraft {
                source: source.into(),
                wanted: None,
                ..RecipeDraft::default()
            },
            _ => RecipeDraft::default(),
        }
    }

    /// The template the draft is, word for word, if it is the one last picked.
    pub fn template(&self) -> Option<RecipeTemplate> {
        let (template, text) = self.picked.as_ref()?;
        (*text == self.source).then_some(*template)
    }

    /// A template's text has come: the editor shows it.
    pub fn picked(&mut self, template: RecipeTemplate, text: Rc<str>) {
        self.source = text.clone();
        self.picked = Some((template, text));
        self.wanted = None;
    }

    /// The room's verdict, if it is about exactly the text in the editor.
    pub fn verdict<'a>(&self, view: &'a RoomView) -> Option<&'a Verdict> {
        let checked = view.script.checked.as_ref()?;
        (checked.source == *self.source).then_some(&checked.verdict)
    }

    /// The room runs exactly this text on its lock clients.
    pub fn is_running(&self, view: &RoomView) -> bool {
        view.recipe == shared::LockRecipeKind::Script
            && view.script.source.as_deref() == Some(&*self.source)
    }

    /// Too long for the server to take: said before it is sent.
    pub fn too_long(&self) -> bool {
        self.source.len() > RECIPE_SOURCE_MAX
    }
}

/// The page's query with `recipe=` set to `source`, for a link that opens the panel on it.
pub fn query_with_recipe(query: &str, source: &str) -> String {
    let mut pairs: Vec<String> = query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with(&format!("{RECIPE_PARAM}=")))
        .map(str::to_string)
        .collect();
    pairs.push(format!("{RECIPE_PARAM}={}", percent_encode(source)));
    format!("?{}", pairs.join("&"))
}

/// The recipe a query carries, if it carries one that decodes.
pub fn recipe_from_query(query: &str) -> Option<String> {
    let value = crate::address::query_param(query, RECIPE_PARAM)?;
    percent_decode(value).filter(|s| !s.is_empty())
}

/// Every byte but the unreserved ones as `%XX`, as `encodeURIComponent` does.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3 / 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.bytes();
    while let Some(byte) = rest.next() {
        match byte {
            b'%' => {
                let hex = [rest.next()?, rest.next()?];
                let hex = std::str::from_utf8(&hex).ok()?;
                bytes.push(u8::from_str_radix(hex, 16).ok()?);
            }
            b'+' => bytes.push(b' '),
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).ok()
}

/// The recipe's handlers, each beside the seed's Java it stands for.
pub const API_HANDLERS: [(&str, &str); 7] = [
    (
        "fn on_connected()",
        "latch.countDown();  // KeeperState.SyncConnected",
    ),
    ("fn on_create(path)", "thisPath = zk.create(...);"),
    (
        "fn on_get_children(childrenNodes)",
        "List<String> childrenNodes = zk.getChildren(...);",
    ),
    (
        "fn on_get_data(path, found)",
        "zk.getData(waitPath, true, new Stat());  // !found: NoNodeException",
    ),
    (
        "fn on_exists(path, found)",
        "zk.exists(waitPath, true) != null",
    ),
    (
        "fn process(event)",
        "public void process(WatchedEvent event)  // event.type, event.path",
    ),
    (
        "fn on_hold_over()",
        "doSomething(): Thread.sleep(2000); is over",
    ),
];

/// The calls a recipe makes, each beside the seed's Java.
pub const API_CALLS: [(&str, &str); 7] = [
    (
        "create(\"/locks/sub\", EPHEMERAL_SEQUENTIAL)",
        "zk.create(\"/\" + groupNode + \"/\" + subNode, null, Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL)",
    ),
    ("get_children(\"/locks\", watch)", "zk.getChildren(\"/\" + groupNode, watch)"),
    ("get_data(waitPath, true)", "zk.getData(waitPath, true, new Stat())"),
    ("exists(waitPath, true)", "zk.exists(waitPath, true)"),
    ("delete(this.thisPath, -1)", "zk.delete(this.thisPath, -1)"),
    ("gain_lock()", "System.out.println(\"gain lock: \" + thisPath);"),
    ("release_lock()", "System.out.println(\"finished: \" + thisPath);"),
];

/// A verdict in the learner's words: its lines, first the answer, then the numbers.
pub fn verdict_lines(verdict: &Verdict, lang: Lang) -> Vec<String> {
    use shared::recipe::{Failure, VerdictStatus};
    let n = |v: &dyn std::fmt::Display| v.to_string();
    let mut lines = Vec::new();
    match verdict.status {
        VerdictStatus::Safe => {
            lines.push(fill(
                R::Safe.get(lang),
                &[("clients", &n(&verdict.clients))],
            ));
            let numbers = [("states", n(&verdict.states)), ("ms", n(&verdict.ms))];
            lines.push(fill(R::SafeNumbers.get(lang), &pairs(&numbers)));
            if let Some(more) = verdict.unfinished {
                lines.push(fill(R::Unfinished.get(lang), &[("n", &n(&more))]));
            }
        }
        VerdictStatus::Unsafe => {
            lines.push(
                match verdict.failure {
                    Some(Failure::TwoHolders) => R::FailureTwoHolders,
                    Some(Failure::WaitsOnNothing) => R::FailureWaitsOnNothing,
                    Some(Failure::Stuck) | None => R::FailureStuck,
                }
                .get(lang)
                .to_string(),
            );
            let numbers = [
                ("moves", n(&verdict.moves.len())),
                ("clients", n(&verdict.clients)),
            ];
            lines.push(fill(R::FailureMoves.get(lang), &pairs(&numbers)));
        }
        VerdictStatus::Error => {
            lines.push(R::Error.get(lang).to_string());
            if let Some(error) = &verdict.error {
                lines.push(error_words(error, lang));
            }
            if !verdict.moves.is_empty() {
                let moves = n(&verdict.moves.len());
                lines.push(fill(R::ErrorAfter.get(lang), &[("moves", &moves)]));
            }
        }
    }
    // What a hand-off costs matters only for a recipe that hands the lock on safely.
    if let Some(herd) = verdict
        .herd
        .filter(|_| verdict.status == VerdictStatus::Safe)
    {
        let numbers = [("waiters", n(&herd.waiters)), ("n", n(&herd.notifications))];
        lines.push(fill(R::Herd.get(lang), &pairs(&numbers)));
    }
    lines
}

fn pairs<'a>(values: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a dyn std::fmt::Display)> {
    values
        .iter()
        .map(|(k, v)| (*k, v as &dyn std::fmt::Display))
        .collect()
}

/// What went wrong with the code, in the learner's language.
pub fn error_words(error: &RecipeError, lang: Lang) -> String {
    use shared::recipe::{BudgetKind as B, RecipeErrorKind as K};
    let name = error.name.clone().unwrap_or_default();
    let text = match error.kind {
        K::Syntax => R::ErrSyntax,
        K::TooLong => R::ErrTooLong,
        K::MissingHandler => R::ErrMissingHandler,
        K::HandlerParams => R::ErrHandlerParams,
        K::UnknownCall => R::ErrUnknownCall,
        K::NotAllowed => R::ErrNotAllowed,
        K::TwoCalls => R::ErrTwoCalls,
        K::LockMisuse => R::ErrLockMisuse,
        K::Field => R::ErrField,
        K::Budget => R::ErrBudget,
        K::Runtime => R::ErrRuntime,
        K::CheckBudget => R::ErrCheckBudget,
    };
    let what = match error.budget {
        Some(B::Operations) | None => R::BudgetOperations,
        Some(B::String) => R::BudgetString,
        Some(B::Array) => R::BudgetArray,
        Some(B::Map) => R::BudgetMap,
        Some(B::CallDepth) => R::BudgetCallDepth,
        Some(B::ExpressionDepth) => R::BudgetExpressionDepth,
        Some(B::Variables) => R::BudgetVariables,
    }
    .get(lang);
    fill(text.get(lang), &[("name", &name), ("what", &what)])
}

/// Where the error is, in the learner's words, if the check could say.
pub fn error_place(error: &RecipeError, lang: Lang) -> Option<String> {
    let line = error.line?.to_string();
    Some(match error.column {
        Some(column) => fill(
            R::At.get(lang),
            &[("line", &line), ("column", &column.to_string())],
        ),
        None => fill(R::AtLine.get(lang), &[("line", &line)]),
    })
}

/// The moves of a verdict in the learner's words, each call named by the Java method it makes.
pub fn moves_words(verdict: &Verdict, lang: Lang) -> Vec<String> {
    let mut calls = verdict.calls.iter();
    verdict
        .moves
        .iter()
        .map(|step| {
            let op = match step {
                TraceMove::Call(_) => calls.next().map(|op| op.as_str()),
                _ => None,
            };
            move_words(*step, op, lang)
        })
        .collect()
}

/// One move of a failure, as the learner reads it; clients numbered from 1; `op`: the call a
/// `call` move makes.
pub fn move_words(step: TraceMove, op: Option<&str>, lang: Lang) -> String {
    let n = (step.client() + 1).to_string();
    let text = match step {
        TraceMove::Call(_) if op.is_some() => R::MoveCallOp,
        TraceMove::Call(_) => R::MoveCall,
        TraceMove::Notify(_) => R::MoveNotify,
        TraceMove::HoldOver(_) => R::MoveHoldOver,
        TraceMove::Crash(_) => R::MoveCrash,
        TraceMove::Kill(_) => R::MoveKill,
        TraceMove::Expire(_) => R::MoveExpire,
    };
    fill(
        text.get(lang),
        &[("n", &n), ("op", &op.unwrap_or_default())],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::recipe::{VerdictStatus, RECIPE_SOURCE_MAX};
    use shared::{CheckedRecipe, LockRecipeKind};

    #[test]
    fn a_shared_link_round_trips_every_character_and_opens_the_panel() {
        let source = RecipeTemplate::Predecessor.source();
        let query = query_with_recipe("?lang=zh&recipe=old", source);
        assert!(query.starts_with("?lang=zh&recipe="), "{query}");
        assert!(!query.contains(' ') && !query.contains('\n') && !query.contains('#'));
        assert_eq!(recipe_from_query(&query).as_deref(), Some(source));
        let draft = RecipeDraft::start(recipe_from_query(&query), Some("stored".into()));
        assert_eq!(draft.open, Some(true));
        assert_eq!(&*draft.source, source);
        assert_eq!(
            draft.wanted, None,
            "a link's recipe is not replaced by a template"
        );
        assert_eq!(
            recipe_from_query("?recipe=%E4%BD%A0%zz"),
            None,
            "a broken escape"
        );
    }

    #[test]
    fn the_draft_comes_from_the_link_then_this_browser_then_the_naive_template() {
        let stored = RecipeDraft::start(None, Some("fn on_connected() {}".into()));
        assert_eq!(&*stored.source, "fn on_connected() {}");
        assert_eq!((stored.open, stored.wanted), (None, None));
        assert_eq!(stored.template(), None);
        let mut fresh = RecipeDraft::start(None, Some("  ".into()));
        assert_eq!(fresh.wanted, Some(RecipeTemplate::PredecessorNaive));
        let text: Rc<str> = RecipeTemplate::PredecessorNaive.source().into();
        fresh.picked(RecipeTemplate::PredecessorNaive, text.clone());
        assert_eq!(fresh.template(), Some(RecipeTemplate::PredecessorNaive));
        fresh.source = format!("{text}\n").into();
        assert_eq!(fresh.template(), None, "edited");
    }

    #[test]
    fn a_verdict_counts_for_exactly_the_text_it_was_given() {
        let mut view = RoomView::new("main", 0);
        let draft = RecipeDraft {
            source: RecipeTemplate::PredecessorNaive.source().into(),
            ..RecipeDraft::default()
        };
        let verdict = Verdict::error(
            shared::recipe::RecipeError::new(shared::recipe::RecipeErrorKind::Syntax, "x"),
            Vec::new(),
        );
        view.script.checked = Some(CheckedRecipe {
            source: draft.source.to_string(),
            verdict,
        });
        assert_eq!(
            draft.verdict(&view).map(|v| v.status),
            Some(VerdictStatus::Error)
        );
        let edited = RecipeDraft {
            source: format!("{} ", draft.source).into(),
            ..draft.clone()
        };
        assert_eq!(edited.verdict(&view), None, "an edit makes the verdict old");
        assert!(!draft.is_running(&view));
        view.recipe = LockRecipeKind::Script;
        view.script.source = Some(draft.source.to_string());
        assert!(draft.is_running(&view) && !edited.is_running(&view));
        let long = RecipeDraft {
            source: "x".repeat(RECIPE_SOURCE_MAX + 1).into(),
            ..draft
        };
        assert!(long.too_long());
    }

    #[test]
    fn verdicts_and_errors_read_in_both_languages() {
        use shared::recipe::{Failure, HerdCost, RecipeErrorKind, VerdictStatus};
        let unsafe_ = Verdict {
            status: VerdictStatus::Unsafe,
            clients: 3,
            states: 3156,
            ms: 40,
            unfinished: None,
            failure: Some(Failure::TwoHolders),
            moves: shared::lesson::action::shortest_naive_failure(),
            calls: Vec::new(),
            herd: Some(HerdCost {
                waiters: 3,
                notifications: 1,
            }),
            error: None,
        };
        let en = verdict_lines(&unsafe_, Lang::En);
        assert_eq!(en[0], "Unsafe: two clients hold the lock at once.");
        assert!(en[1].contains("8 moves with 3 clients"), "{en:?}");
        assert_eq!(en.len(), 2, "no herd cost for an unsafe recipe: {en:?}");
        let safe = verdict_lines(
            &Verdict {
                status: VerdictStatus::Safe,
                ..unsafe_.clone()
            },
            Lang::En,
        );
        assert!(safe[2].contains("3 waiters: 1"), "{safe:?}");
        let zh = verdict_lines(&unsafe_, Lang::Zh);
        assert!(zh[1].contains("3 个 client，8 步"), "{zh:?}");
        assert_eq!(
            move_words(TraceMove::Crash(1), None, Lang::En),
            "client 2 crashes"
        );
        let named = Verdict {
            calls: vec![shared::ZkOp::Create],
            moves: vec![TraceMove::Call(0), TraceMove::Kill(0)],
            ..unsafe_.clone()
        };
        assert_eq!(
            moves_words(&named, Lang::En),
            ["client 1 calls create", "client 1 is killed"]
        );
        let error = RecipeError::new(RecipeErrorKind::MissingHandler, "x")
            .named("on_exists")
            .at(Some(12), Some(5));
        assert!(error_words(&error, Lang::En).contains("fn on_exists is missing"));
        assert_eq!(
            error_place(&error, Lang::Zh).as_deref(),
            Some("第 12 行，第 5 列")
        );
        let over = RecipeError::over(shared::recipe::BudgetKind::Operations, "x");
        assert!(error_words(&over, Lang::En).contains("(operations)"));
    }
}
