//! The lesson relay: serves the client, runs each lesson's room and stores the board.
//!
//! Where to start:
//! - [`http`]: the route table (`app(state)`), the edge where requests arrive;
//!   [`client_files`] serves the built client, confined to its folder.
//! - [`state`]: [`state::AppState`] and [`state::Config`], handed to every handler.
//! - [`ws`]: the lesson WebSocket: handshake, token check, limits, pumps to and from the room.
//! - [`room`]: one task per lesson owns its [`room::state::Room`] (a plain state machine).
//! - [`pages`]: what the room remembers per page (last cseq, open stroke), stored with snapshots.
//! - [`store`]: SQLite through sqlx: lessons and board ops.
//! - [`auth`]: HMAC-signed join tokens.
//! - [`media`]: the media plane's core without IO (forwarding table, keyframe coalescing).
//! - [`demo`]: demo data and links.
//! - [`server`]: the accept loop (header deadline and size, connections per address).
//! - [`cli`]: the `relay` command line (`serve`, `demo`, `token`).

pub mod accounts;
pub mod api;
pub mod attendance;
pub mod auth;
pub mod calendar;
pub mod cli;
pub mod client_files;
pub mod demo;
pub mod http;
pub mod media;
pub mod pages;
pub mod room;
pub mod server;
pub mod state;
pub mod store;
pub mod token_bucket;
pub mod whip;
pub mod ws;
