//! The whiteboard: what the teacher's pointer and toolbar do, and drawing the board.
//!
//! - Pure (unit-tested natively): [`gesture`] (pointer input turned into protocol messages),
//!   [`tools`] (the toolbar's choices and the palette), [`local_ink`] (the teacher's strokes shown
//!   before the relay echoes them), [`redraw`] (what part of the canvas a batch of ops needs
//!   repainted), [`letterbox`] (the 16:9 board fitted into a canvas, both ways).
//! - Browser (wasm32): [`canvas`] (canvases sized to their box, and a resize watch), [`render`]
//!   (drawing on them), [`pointer`] (pen, touch and mouse input on the board canvas) and
//!   [`toolbar`] (the teacher's toolbar; renders only).

pub mod gesture;
pub mod letterbox;
pub mod local_ink;
pub mod redraw;
pub mod tools;

#[cfg(target_arch = "wasm32")]
pub mod canvas;
#[cfg(target_arch = "wasm32")]
pub mod pointer;
#[cfg(target_arch = "wasm32")]
pub mod render;
#[cfg(target_arch = "wasm32")]
pub mod toolbar;
