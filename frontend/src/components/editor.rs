//! The recipe's code editor: Ace (line numbers, highlighting, the error's line marked), loaded
//! from `/vendor/ace` the first time the panel opens; a plain text area where it cannot load.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Where `cargo xtask dist` puts Ace's files.
const ACE_BASE: &str = "/vendor/ace";

#[wasm_bindgen]
extern "C" {
    type AceEditor;
    type AceSession;

    #[wasm_bindgen(js_namespace = ace, js_name = edit, catch)]
    fn ace_edit(element: &web_sys::Element, options: &JsValue) -> Result<AceEditor, JsValue>;
    #[wasm_bindgen(js_namespace = ["ace", "config"], js_name = set)]
    fn ace_config_set(key: &str, value: &str);
    #[wasm_bindgen(method, js_name = getValue)]
    fn get_value(this: &AceEditor) -> String;
    #[wasm_bindgen(method, js_name = setValue)]
    fn set_value(this: &AceEditor, value: &str, cursor: i32);
    #[wasm_bindgen(method, js_name = getSession)]
    fn session(this: &AceEditor) -> AceSession;
    #[wasm_bindgen(method)]
    fn on(this: &AceEditor, event: &str, handler: &js_sys::Function);
    #[wasm_bindgen(method)]
    fn destroy(this: &AceEditor);
    #[wasm_bindgen(method, js_name = setAnnotations)]
    fn set_annotations(this: &AceSession, annotations: &JsValue);
}

/// Whether Ace is on the page, loading, or could not load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loaded {
    Loading,
    Ace,
    Plain,
}

/// A mark in the editor: an error at a line (1-based), with its words.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub line: u32,
    pub column: u32,
    pub text: String,
}

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub source: Rc<str>,
    pub on_change: Callback<String>,
    #[prop_or_default]
    pub mark: Option<Mark>,
    /// What a screen reader calls the editor.
    pub label: AttrValue,
}

fn ace_present() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"ace".into()).ok())
        .is_some_and(|ace| !ace.is_undefined())
}

/// Loads Ace's script once per page; `done` says whether it came.
fn load_ace(done: Callback<bool>) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        done.emit(false);
        return;
    };
    let Ok(script) = document.create_element("script") else {
        done.emit(false);
        return;
    };
    let _ = script.set_attribute("src", &format!("{ACE_BASE}/ace.js"));
    let (ok, failed) = (done.clone(), done);
    let onload = Closure::once_into_js(move || ok.emit(ace_present()));
    let onerror = Closure::once_into_js(move || failed.emit(false));
    let _ = js_sys::Reflect::set(&script, &"onload".into(), &onload);
    let _ = js_sys::Reflect::set(&script, &"onerror".into(), &onerror);
    if let Some(head) = document.head() {
        let _ = head.append_child(&script);
    }
}

/// The editor's options: Rhai highlighted as Rust (its `fn`, `let`, strings and comments), no
/// print margin, four-space indents.
fn options() -> JsValue {
    let options = js_sys::Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value);
    };
    set("mode", "ace/mode/rust".into());
    set("theme", "ace/theme/github_dark".into());
    set("showPrintMargin", false.into());
    set("tabSize", 4.into());
    set("useSoftTabs", true.into());
    set("fontSize", 14.into());
    // Ace measures its font to size its lines: named, it measures the one it draws (with the
    // page's own it clipped underscores).
    set(
        "fontFamily",
        "'DejaVu Sans Mono', 'Liberation Mono', ui-monospace, monospace".into(),
    );
    set("minLines", 12.into());
    set("maxLines", 26.into());
    options.into()
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let host = use_node_ref();
    let loaded = use_ace_script();
    let ace = use_ace(host.clone(), loaded, props);
    use_ace_source(ace.clone(), props.source.clone());
    use_ace_mark(ace, props.mark.clone(), loaded);
    let kind = match loaded {
        Loaded::Loading => "loading",
        Loaded::Ace => "ace",
        Loaded::Plain => "plain",
    };
    if loaded == Loaded::Plain {
        let on_change = props.on_change.clone();
        let oninput = Callback::from(move |e: InputEvent| {
            if let Some(area) = e.target_dyn_into::<web_sys::HtmlTextAreaElement>() {
                on_change.emit(area.value());
            }
        });
        return html! {
            <div class="recipe-editor" data-testid="recipe-editor" data-editor={kind}>
                <textarea class="recipe-plain" spellcheck="false" aria-label={props.label.clone()}
                    value={props.source.to_string()} {oninput} rows="24" />
            </div>
        };
    }
    html! {
        <div class="recipe-editor" data-testid="recipe-editor" data-editor={kind}>
            <div class="recipe-ace" ref={host}></div>
        </div>
    }
}

/// Ace's script, loaded once per page.
#[hook]
fn use_ace_script() -> Loaded {
    let loaded = use_state(|| {
        if ace_present() {
            Loaded::Ace
        } else {
            Loaded::Loading
        }
    });
    {
        let loaded = loaded.clone();
        use_effect_with((), move |_| {
            if *loaded == Loaded::Loading {
                let set = loaded.setter();
                load_ace(Callback::from(move |ok| {
                    set.set(if ok { Loaded::Ace } else { Loaded::Plain })
                }));
            }
        });
    }
    *loaded
}

type Shared = Rc<RefCell<Option<AceEditor>>>;

/// Ace takes the host once it is on the page, and goes with the panel.
#[hook]
fn use_ace(host: NodeRef, loaded: Loaded, props: &EditorProps) -> Shared {
    let ace: Shared = use_mut_ref(|| None);
    let (on_change, label, source) = (
        props.on_change.clone(),
        props.label.clone(),
        props.source.clone(),
    );
    let shared = ace.clone();
    use_effect_with(loaded, move |loaded| {
        let made = (*loaded == Loaded::Ace)
            .then(|| host.cast::<web_sys::Element>())
            .flatten()
            .and_then(|element| make_ace(&element, &source, &label, on_change));
        *shared.borrow_mut() = made;
        move || {
            if let Some(editor) = shared.borrow_mut().take() {
                editor.destroy();
            }
        }
    });
    ace
}

fn make_ace(
    element: &web_sys::Element,
    source: &str,
    label: &str,
    on_change: Callback<String>,
) -> Option<AceEditor> {
    ace_config_set("basePath", ACE_BASE);
    let editor = ace_edit(element, &options()).ok()?;
    editor.set_value(source, -1);
    if let Ok(Some(input)) = element.query_selector("textarea") {
        let _ = input.set_attribute("aria-label", label);
    }
    let reader: AceEditor = editor.clone().unchecked_into();
    let changed = Closure::<dyn Fn()>::new(move || on_change.emit(reader.get_value()));
    editor.on("change", changed.as_ref().unchecked_ref());
    changed.forget();
    Some(editor)
}

/// A template picked, or a link opened: the editor shows the new text.
#[hook]
fn use_ace_source(ace: Shared, source: Rc<str>) {
    use_effect_with(source, move |source| {
        if let Some(editor) = ace.borrow().as_ref() {
            if editor.get_value() != **source {
                editor.set_value(source, -1);
            }
        }
    });
}

/// The error's line marked in the gutter, with its words.
#[hook]
fn use_ace_mark(ace: Shared, mark: Option<Mark>, loaded: Loaded) {
    use_effect_with((mark, loaded), move |(mark, _)| {
        if let Some(editor) = ace.borrow().as_ref() {
            let annotations = js_sys::Array::new();
            if let Some(mark) = mark {
                let a = js_sys::Object::new();
                let set = |k: &str, v: JsValue| {
                    let _ = js_sys::Reflect::set(&a, &k.into(), &v);
                };
                set("row", mark.line.saturating_sub(1).into());
                set("column", mark.column.saturating_sub(1).into());
                set("text", mark.text.as_str().into());
                set("type", "error".into());
                annotations.push(&a);
            }
            editor.session().set_annotations(&annotations);
        }
    });
}
