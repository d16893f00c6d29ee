//! Forms as typed state: a form struct (from [`super::forms`]) held in a reducer, and inputs,
//! text areas and selects whose value is that state and whose edits go straight into it. Nothing
//! reads a field back from the page by its id.
//!
//! Edits are applied in order to the latest state (a reducer, not a copy taken at render time),
//! so quick typing in several fields loses nothing.

use super::forms::shown_option;
use std::ops::Deref;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use yew::prelude::*;

/// A form's state; `T` is the form's struct.
#[derive(Default, PartialEq)]
pub struct Form<T>(T);

impl<T> Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// One edit of a form.
pub type Edit<T> = Box<dyn FnOnce(&mut T)>;

impl<T: Clone + 'static> Reducible for Form<T> {
    type Action = Edit<T>;

    fn reduce(self: Rc<Self>, edit: Edit<T>) -> Rc<Self> {
        let mut next = self.0.clone();
        edit(&mut next);
        Rc::new(Form(next))
    }
}

pub type FormHandle<T> = UseReducerHandle<Form<T>>;

/// A callback that writes what an input holds into the form with `apply`.
pub fn setter<T: Clone + 'static>(
    form: &FormHandle<T>,
    apply: fn(&mut T, String),
) -> Callback<String> {
    let form = form.clone();
    Callback::from(move |value: String| form.dispatch(Box::new(move |f: &mut T| apply(f, value))))
}

/// Changes the form with `edit` (say, clears a password after it was sent).
pub fn edit<T: Clone + 'static>(form: &FormHandle<T>, edit: impl FnOnce(&mut T) + 'static) {
    form.dispatch(Box::new(edit));
}

/// The `value` of the input, select or text area an event came from.
fn target_value(e: &Event) -> String {
    e.target()
        .and_then(|t| js_sys::Reflect::get(&t, &JsValue::from_str("value")).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

#[derive(Properties, PartialEq)]
pub struct TextProps {
    pub id: AttrValue,
    pub value: AttrValue,
    /// Told every change of the text (typing, pasting, clearing).
    pub on: Callback<String>,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    /// The input's `type` (text if none).
    #[prop_or_default]
    pub kind: Option<AttrValue>,
    #[prop_or_default]
    pub autocomplete: Option<AttrValue>,
    /// The id of a datalist of suggestions.
    #[prop_or_default]
    pub list: Option<AttrValue>,
}

/// An `<input>` whose value is the form's field.
#[function_component(TextInput)]
pub fn text_input(props: &TextProps) -> Html {
    let oninput = props.on.reform(|e: InputEvent| target_value(&e));
    let onchange = props.on.reform(|e: Event| target_value(&e));
    html! {
        <input id={props.id.clone()} type={props.kind.clone()} value={props.value.clone()}
            placeholder={props.placeholder.clone()} autocomplete={props.autocomplete.clone()}
            list={props.list.clone()} {oninput} {onchange} />
    }
}

#[derive(Properties, PartialEq)]
pub struct TextAreaProps {
    pub id: AttrValue,
    pub value: AttrValue,
    pub on: Callback<String>,
    pub rows: AttrValue,
}

/// A `<textarea>` whose value is the form's field.
#[function_component(TextArea)]
pub fn text_area(props: &TextAreaProps) -> Html {
    let oninput = props.on.reform(|e: InputEvent| target_value(&e));
    let onchange = props.on.reform(|e: Event| target_value(&e));
    html! {
        <textarea id={props.id.clone()} rows={props.rows.clone()} value={props.value.clone()}
            {oninput} {onchange} />
    }
}

#[derive(Properties, PartialEq)]
pub struct SelectProps {
    pub id: AttrValue,
    /// The option picked; the first one shows while none is (see [`shown_option`]).
    pub value: AttrValue,
    /// The options' values and texts, in order.
    pub options: Vec<(String, String)>,
    pub on: Callback<String>,
}

/// A `<select>` whose choice is the form's field. Yew inserts options last-first, so the one
/// shown is marked `selected` rather than left to the browser's default of the first.
#[function_component(Select)]
pub fn select(props: &SelectProps) -> Html {
    let onchange = props.on.reform(|e: Event| target_value(&e));
    let values: Vec<String> = props.options.iter().map(|(v, _)| v.clone()).collect();
    let shown = shown_option(&props.value, &values).to_string();
    html! {
        <select id={props.id.clone()} {onchange}>
            { for props.options.iter().map(|(value, text)| html! {
                <option value={value.clone()} selected={*value == shown}>{ text.clone() }</option>
            }) }
        </select>
    }
}
