//! The browser client of 同頻互動課堂: the teacher's whiteboard and the classrooms' live view.
//!
//! Where to start (each folder's `mod.rs` maps its own files, pure ones first):
//! - Pure logic (no web-sys; unit-tested natively with `cargo test -p client`):
//!   - [`state`]: the lesson state machine, `LessonState` (board, status, outbox, every `ServerMsg`).
//!   - [`board`]: the whiteboard's pure parts: gestures turned into protocol messages, the
//!     toolbar's choices, the teacher's not-yet-echoed ink, what to repaint, the 16:9 letterbox.
//!   - [`net`]: the connection's pure parts: the join link and WebSocket URL, reconnect backoff,
//!     the teacher's outbox of unacknowledged ops.
//!   - [`media`]: its [`media::plan`], which Sources to subscribe to and which offer an answer
//!     belongs to.
//!   - [`labels`]: the Chinese texts for statuses, refusals and close codes.
//!   - [`console`]: the bureau console at `/console` (its pure parts: week math, forms, API shapes).
//! - Browser edges (wasm32 only):
//!   - [`app`]: the root component: the console at `/console`, the classroom computer's page at
//!     `/classroom`; else a lesson when the link holds a token, else a landing message. Nothing
//!     imports it but this file.
//!   - [`lesson`]: the lesson component: owns the lesson state, the connection and the canvases.
//!   - [`board`]: drawing the board and the overlay on 2D canvases, pointer input, the toolbar.
//!   - [`net`]: the WebSocket loop (reconnect, backoff, ping, idle timeout).
//!   - [`media`]: camera, microphone and videos with the browser's WebRTC (carries out the plan).
//!   - [`marks`]: the `performance.mark`s of a page's load and media steps, for the benchmarks.
//!   - [`ready`]: the marker (`window.__tongpin_ready`) each page sets once it has mounted, for
//!     browser tests.
//!   - [`listener`]: DOM event listeners owned by a component (removed on drop).
//!   - [`roster`], [`status`]: the lesson's leaf components that only render.

// Natively the pure modules are built only for their tests: the native binary mounts nothing.
#[cfg(any(target_arch = "wasm32", test))]
mod board;
#[cfg(any(target_arch = "wasm32", test))]
mod console;
#[cfg(any(target_arch = "wasm32", test))]
mod labels;
#[cfg(any(target_arch = "wasm32", test))]
mod media;
#[cfg(any(target_arch = "wasm32", test))]
mod net;
#[cfg(any(target_arch = "wasm32", test))]
mod state;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod lesson;
#[cfg(target_arch = "wasm32")]
mod listener;
#[cfg(target_arch = "wasm32")]
mod marks;
#[cfg(target_arch = "wasm32")]
mod ready;
#[cfg(target_arch = "wasm32")]
mod roster;
#[cfg(target_arch = "wasm32")]
mod status;

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<app::App>::new().render();
}

/// Natively there is no page to mount; the binary exists so the pure modules' tests run.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    println!("the client runs in a browser: build it with `trunk build`");
}
