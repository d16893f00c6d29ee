//! Pointer input on the board canvas (pen, touch, mouse), read by listeners attached to the canvas
//! itself and handed on as [`PointerInput`] in client (viewport) coordinates.

use crate::listener::Listener;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlCanvasElement, PointerEvent};
use yew::Callback;

pub enum PointerInput {
    Down(f64, f64),
    /// One or more positions (a fast pen's coalesced events).
    Move(Vec<(f64, f64)>),
    /// Lifted or cancelled.
    Up,
    Leave,
}

/// Client coordinates of a pointer event, with sub-pixel precision where the browser has it.
fn client_xy(e: &PointerEvent) -> (f64, f64) {
    let get = |name: &str, fallback: i32| {
        js_sys::Reflect::get(e, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(f64::from(fallback))
    };
    (get("clientX", e.client_x()), get("clientY", e.client_y()))
}

/// Pointer listeners attached to the board canvas itself (not delegated), so that pen, touch and
/// mouse, and events dispatched straight at `#board`, all arrive. Only the primary pointer draws.
pub fn listen(canvas: &HtmlCanvasElement, on: Callback<PointerInput>) -> Vec<Listener> {
    let primary = |e: &web_sys::Event| {
        e.dyn_ref::<PointerEvent>()
            .filter(|p| p.is_primary())
            .cloned()
    };
    let mut listeners = Vec::new();

    let l = on.clone();
    let target = canvas.clone();
    listeners.push(Listener::new(canvas, "pointerdown", move |e| {
        let Some(p) = primary(&e) else { return };
        if p.pointer_type() == "mouse" && p.button() != 0 {
            return;
        }
        p.prevent_default();
        // Fails for synthetic events with no real pointer behind them; drawing works without it.
        let _ = target.set_pointer_capture(p.pointer_id());
        let (x, y) = client_xy(&p);
        l.emit(PointerInput::Down(x, y));
    }));

    let l = on.clone();
    listeners.push(Listener::new(canvas, "pointermove", move |e| {
        let Some(p) = primary(&e) else { return };
        // A fast pen reports more points than the browser dispatches events: take them all.
        let coalesced = p.get_coalesced_events();
        let points: Vec<(f64, f64)> = if coalesced.length() > 0 {
            coalesced
                .iter()
                .filter_map(|c| c.dyn_into::<PointerEvent>().ok())
                .map(|c| client_xy(&c))
                .collect()
        } else {
            vec![client_xy(&p)]
        };
        l.emit(PointerInput::Move(points));
    }));

    for kind in ["pointerup", "pointercancel"] {
        let l = on.clone();
        listeners.push(Listener::new(canvas, kind, move |e| {
            if primary(&e).is_some() {
                l.emit(PointerInput::Up);
            }
        }));
    }

    let l = on.clone();
    listeners.push(Listener::new(canvas, "pointerleave", move |e| {
        if primary(&e).is_some() {
            l.emit(PointerInput::Leave);
        }
    }));
    listeners
}
