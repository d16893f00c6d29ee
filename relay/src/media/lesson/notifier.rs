//! Media notices to one WebSocket connection.

use super::*;
use crate::room::task::Outbound;
use bytes::Bytes;
use shared::codec::encode_server;
use shared::protocol::ServerMsg;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// Delivers media notices to one WebSocket connection without ever blocking the lesson: the
/// latest `Sources` replaces any not yet sent (only the latest matters), other notices queue in
/// order (at most a few hundred: one per Subscription). A task waits for room in the
/// connection's outbound queue, so nothing is dropped while the connection lives.
#[derive(Clone)]
pub(super) struct Notifier {
    sources: Arc<watch::Sender<Option<ServerMsg>>>,
    other: mpsc::Sender<ServerMsg>,
}

impl Notifier {
    pub(super) fn spawn(out: mpsc::Sender<Outbound>) -> Notifier {
        let (sources, sources_rx) = watch::channel(None);
        let (other, other_rx) = mpsc::channel(2 * MAX_SUBSCRIPTIONS);
        tokio::spawn(deliver(out, sources_rx, other_rx));
        Notifier {
            sources: Arc::new(sources),
            other,
        }
    }

    pub(super) fn send(&self, msg: ServerMsg) {
        match msg {
            ServerMsg::Sources { .. } => {
                self.sources.send_replace(Some(msg));
            }
            other => {
                let _ = self.other.try_send(other);
            }
        }
    }
}

pub(super) async fn deliver(
    out: mpsc::Sender<Outbound>,
    mut sources: watch::Receiver<Option<ServerMsg>>,
    mut other: mpsc::Receiver<ServerMsg>,
) {
    let frame = |msg: &ServerMsg| Outbound::Frame(Bytes::from(encode_server(msg)));
    loop {
        let msg = tokio::select! {
            biased;
            msg = other.recv() => match msg {
                Some(msg) => msg,
                None => return,
            },
            changed = sources.changed() => {
                if changed.is_err() {
                    return;
                }
                match sources.borrow_and_update().clone() {
                    Some(msg) => msg,
                    None => continue,
                }
            }
        };
        if out.send(frame(&msg)).await.is_err() {
            return;
        }
    }
}
