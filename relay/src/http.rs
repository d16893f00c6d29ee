//! The route table: which path goes to which handler, and the built client as static files.
//! `app(state)` is a plain Router, so tests can call it without a server. Nothing imports this
//! module but the command line (and tests): handlers take [`crate::state::AppState`].

use crate::state::AppState;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use tower::Layer;
use tower_http::services::{ServeDir, ServeFile};

pub fn app(state: AppState) -> Router {
    let dist = state.dist().to_path_buf();
    let index = dist.join("index.html");
    // The build writes `<file>.br` and `<file>.gz` beside each file (scripts/build-client.sh).
    let client = ServeDir::new(&dist)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(
            ServeFile::new(&index)
                .precompressed_br()
                .precompressed_gzip(),
        );
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/lessons/{lesson}/ws", get(crate::ws::upgrade))
        .merge(crate::whip::routes())
        .nest("/api", crate::api::routes());
    router = if index.exists() {
        let confined = axum::middleware::from_fn_with_state(
            crate::client_files::Root::new(&dist),
            crate::client_files::confine,
        );
        let cached = axum::middleware::from_fn(crate::client_files::caching);
        router.fallback_service(cached.layer(confined.layer(client)))
    } else {
        router.fallback(|| async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The client is not built: run scripts/run.sh (or trunk build --release).",
            )
        })
    };
    router.with_state(state)
}
