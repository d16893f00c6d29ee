//! Tells browser tests that a page has mounted (`window.__tongpin_ready`). The root and the pages
//! that load something first (the lesson, the console, the classroom computer) set it; it is
//! here, not in `app`, so that those pages need not import the root that mounts them.

use wasm_bindgen::JsValue;

/// Sets the marker (again, if it is set already).
pub fn mark() {
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &JsValue::from_str("__tongpin_ready"), &JsValue::TRUE);
    }
}
