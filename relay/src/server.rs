//! The HTTP server: our own accept loop over hyper's HTTP/1 connection, because `axum::serve`
//! exposes none of the limits a public server needs against slow or greedy clients:
//!
//! - a deadline for a request's headers ([`Limits::header_timeout`]; a slowloris client that
//!   trickles them is disconnected);
//! - a cap on their size ([`Limits::max_header_bytes`]; larger ones get 431);
//! - a cap on open connections per client address ([`Limits::per_address`]; past it a new
//!   connection is closed at once). The address is the TCP peer's: behind a reverse proxy every
//!   client is the proxy, so raise the cap there (0 = none).
//!
//! Each request carries the peer address as `ConnectInfo<SocketAddr>`. HTTP/1.1 only, as before
//! (axum's default features). Graceful shutdown: stop accepting, let requests in flight finish;
//! upgraded connections (lesson WebSockets) are not waited for here (the caller gives them time).

use axum::extract::connect_info::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tower::ServiceExt;

/// Limits on clients of the HTTP server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A request's headers must arrive within this long of the connection (or of the previous
    /// request) being ready for them.
    pub header_timeout: Duration,
    /// The most bytes a request's line and headers may take (at least 8 KiB: hyper's minimum).
    pub max_header_bytes: usize,
    /// Open connections one address may have; 0 for no cap.
    pub per_address: usize,
}

pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Generous for a school behind one NAT address (each browser holds a lesson WebSocket and a few
/// HTTP connections); 1,000 slow connections from one address are not.
pub const PER_ADDRESS: usize = 512;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: HEADER_TIMEOUT,
            max_header_bytes: MAX_HEADER_BYTES,
            per_address: PER_ADDRESS,
        }
    }
}

/// Open connections per address; a [`Slot`] gives its place back when dropped.
#[derive(Clone, Default)]
struct Open(Arc<Mutex<HashMap<IpAddr, usize>>>);

struct Slot {
    open: Open,
    ip: IpAddr,
}

impl Open {
    fn admit(&self, ip: IpAddr, cap: usize) -> Option<Slot> {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = map.entry(ip).or_insert(0);
        if cap != 0 && *n >= cap {
            return None;
        }
        *n += 1;
        Some(Slot {
            open: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self
            .open
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then waits for the requests in
/// flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8 * 1024));
    let open = Open::default();
    let (stop, stopping) = watch::channel(false);
    // Every connection task holds a sender: when all are gone, every connection has ended.
    let (alive, mut all_ended) = mpsc::channel::<()>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(slot) = open.admit(peer.ip(), limits.per_address) else {
            tracing::debug!(%peer, "too many connections from this address; closed");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request
            });
        let connection = http
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades();
        let mut stopping = stopping.clone();
        let alive = alive.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let _alive = alive;
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = async { let _ = stopping.wait_for(|stop| *stop).await; } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    drop(alive);
    let _ = all_ended.recv().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_counted_per_address_and_given_back() {
        let open = Open::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = open.admit(a, 2).unwrap();
        let _second = open.admit(a, 2).unwrap();
        assert!(open.admit(a, 2).is_none(), "the third from one address");
        assert!(
            open.admit(b, 2).is_some(),
            "another address is not affected"
        );
        drop(first);
        assert!(
            open.admit(a, 2).is_some(),
            "a place given back is taken again"
        );
        assert!(open.admit(a, 0).is_some(), "0 means no cap");
    }
}
