//! The browser client of 同頻互動課堂: the teacher's whiteboard and the classrooms' live view.
//!
//! Where to start:
//! - Pure logic (no web-sys; unit-tested natively with `cargo test -p client`):
//!   - [`state`]: the lesson session state machine (board, status, outbox, every `ServerMsg`).
//!   - [`outbox`]: the teacher's unacknowledged ops and their `cseq`s.
//!   - [`local_ink`]: the teacher's own strokes shown before the relay echoes them.
//!   - [`redraw`]: what part of the board canvas an applied batch of ops needs repainted.
//!   - [`gesture`]: pointer input (pen, highlighter, eraser, laser) turned into protocol messages.
//!   - [`tools`]: the toolbar's choices (tool, colour, width) and the palette.
//!   - [`backoff`]: reconnect delays with jitter.
//!   - [`letterbox`]: the 16:9 board fitted into a canvas, both ways.
//!   - [`link`]: the join link (token in the URL fragment) and the WebSocket URL.
//!   - [`labels`]: the Chinese texts for statuses, refusals and close codes.
//!   - [`media_plan`]: which Sources to subscribe to and which offer an answer belongs to.
//!   - [`console`]: the bureau console at `/console` (its pure parts: week math, forms, API shapes).
//! - Browser edges (wasm32 only):
//!   - [`app`]: the root component: the console at `/console`; else a lesson when the link holds a
//!     token, else a landing message.
//!   - [`lesson`]: the lesson component: owns the session, the connection and the canvases.
//!   - [`media`]: camera, microphone and videos with the browser's WebRTC (carries out `media_plan`).
//!   - [`net`] and [`socket`]: the WebSocket loop (reconnect, backoff, ping, idle timeout).
//!   - [`render`] and [`canvas`]: drawing the board and the overlay on 2D canvases.
//!   - [`listener`]: DOM event listeners owned by a component (removed on drop).
//!   - [`pointer`]: pen, touch and mouse input on the board canvas.
//!   - [`toolbar`], [`roster`], [`status`]: leaf components that only render.

// Natively only the pure modules are built (for their tests); their browser users are not.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod backoff;
mod console;
mod gesture;
mod labels;
mod letterbox;
mod link;
mod local_ink;
mod media_plan;
mod outbox;
mod redraw;
mod state;
mod tools;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod canvas;
#[cfg(target_arch = "wasm32")]
mod lesson;
#[cfg(target_arch = "wasm32")]
mod listener;
#[cfg(target_arch = "wasm32")]
mod media;
#[cfg(target_arch = "wasm32")]
mod net;
#[cfg(target_arch = "wasm32")]
mod pointer;
#[cfg(target_arch = "wasm32")]
mod render;
#[cfg(target_arch = "wasm32")]
mod roster;
#[cfg(target_arch = "wasm32")]
mod socket;
#[cfg(target_arch = "wasm32")]
mod status;
#[cfg(target_arch = "wasm32")]
mod toolbar;

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<app::App>::new().render();
}

/// Natively there is no page to mount; the binary exists so the pure modules' tests run.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    println!("the client runs in a browser: build it with `trunk build`");
}
