//! Canvases sized to their CSS box times `devicePixelRatio` (so ink is crisp on any projector),
//! the board's place in them, and a watch that reports size changes.

use crate::board::letterbox::Fit;
use crate::listener::Listener;
use shared::points::Point;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ResizeObserver};
use yew::Callback;

/// A 2D canvas and where the board lies in it.
pub struct Surface {
    pub canvas: HtmlCanvasElement,
    pub ctx: CanvasRenderingContext2d,
    /// The board in canvas pixels.
    pub fit: Fit,
}

impl Surface {
    pub fn new(canvas: HtmlCanvasElement) -> Option<Self> {
        let ctx = canvas
            .get_context("2d")
            .ok()
            .flatten()?
            .dyn_into::<CanvasRenderingContext2d>()
            .ok()?;
        let fit = Fit::new(f64::from(canvas.width()), f64::from(canvas.height()));
        Some(Surface { canvas, ctx, fit })
    }

    /// Gives the canvas as many pixels as it shows on screen. Returns whether the size changed
    /// (which also cleared it).
    pub fn fit_to_box(&mut self) -> bool {
        let rect = self.canvas.get_bounding_client_rect();
        let dpr = web_sys::window()
            .map(|w| w.device_pixel_ratio())
            .filter(|r| r.is_finite() && *r > 0.0)
            .unwrap_or(1.0);
        let w = (rect.width() * dpr).round().clamp(1.0, 16384.0) as u32;
        let h = (rect.height() * dpr).round().clamp(1.0, 16384.0) as u32;
        if w == self.canvas.width() && h == self.canvas.height() {
            return false;
        }
        self.canvas.set_width(w);
        self.canvas.set_height(h);
        self.fit = Fit::new(f64::from(w), f64::from(h));
        true
    }

    /// The board point under a pointer at client (viewport) coordinates.
    pub fn board_point(&self, client_x: f64, client_y: f64) -> Point {
        let rect = self.canvas.get_bounding_client_rect();
        Fit::new(rect.width(), rect.height())
            .to_board(client_x - rect.left(), client_y - rect.top())
    }
}

/// Calls back when an element's box or the window's size (and so perhaps its pixel ratio) changes.
pub struct ResizeWatch {
    observer: Option<ResizeObserver>,
    _observed: Closure<dyn FnMut()>,
    _window: Option<Listener>,
}

impl ResizeWatch {
    pub fn new(target: &web_sys::Element, on_resize: Callback<()>) -> Self {
        let cb = on_resize.clone();
        let observed = Closure::<dyn FnMut()>::new(move || cb.emit(()));
        let observer = ResizeObserver::new(observed.as_ref().unchecked_ref()).ok();
        if let Some(o) = &observer {
            o.observe(target);
        }
        let window =
            web_sys::window().map(|w| Listener::new(&w, "resize", move |_| on_resize.emit(())));
        ResizeWatch {
            observer,
            _observed: observed,
            _window: window,
        }
    }
}

impl Drop for ResizeWatch {
    fn drop(&mut self) {
        if let Some(o) = &self.observer {
            o.disconnect();
        }
    }
}
