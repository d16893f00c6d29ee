//! Reading and clearing the console's form fields by element id.

use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};

fn element(id: &str) -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id(id)
}

/// The value of the `<input>`, `<textarea>` or `<select>` with this id ("" if there is none).
pub fn value(id: &str) -> String {
    let Some(el) = element(id) else {
        return String::new();
    };
    if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
        return input.value();
    }
    if let Some(select) = el.dyn_ref::<HtmlSelectElement>() {
        return select.value();
    }
    // A textarea: read its `value` property without another web-sys feature.
    js_sys::Reflect::get(&el, &"value".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Empties the `<input>` with this id.
pub fn clear(id: &str) {
    if let Some(input) = element(id).and_then(|e| e.dyn_into::<HtmlInputElement>().ok()) {
        input.set_value("");
    }
}
