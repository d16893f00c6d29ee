//! `performance.mark`s a page sets at the steps of its load and of its media, for the benchmarks
//! (read with `performance.getEntriesByName`): `tongpin:hello`, `tongpin:snapshot`,
//! `tongpin:drawn`, `tongpin:rendered` for the board (late-join benchmark), and
//! `tongpin:media:<step>:<target>` for each connection of the media plane (rural-links
//! benchmark), where the step is `offer` (sent to the relay), `answer` (received), `connected`
//! (the browser's connection state) or `picture` (the first decoded frame, as the page's
//! once-a-second stats see it) and the target is `publish` (this page's camera and microphone)
//! or the received Source's id (a tile's `data-tile`). A connection offered again after a failure
//! marks each step again.

/// Sets the mark `name` at the page's current time.
pub fn mark(name: &str) {
    if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
        let _ = perf.mark(name);
    }
}

/// Marks a media step of a connection (see the module's docs).
pub fn media(step: &str, target: &impl std::fmt::Display) {
    mark(&format!("tongpin:media:{step}:{target}"));
}
