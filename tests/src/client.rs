//! A WebSocket lesson client that keeps a board exactly as the browser client does.

use crate::WAIT;
use futures_util::{SinkExt, StreamExt};
use shared::board::Board;
use shared::codec::{decode_server, encode_client};
use shared::ids::{ClassroomId, MediaId, PageId};
use shared::protocol::{ClientMsg, ClientOp, ServerMsg, Source, PROTOCOL_VERSION};
use std::collections::HashMap;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct LessonClient {
    ws: Ws,
    pub page: PageId,
    pub board: Board,
    /// Every op seq this client applied, in order (to prove none came twice or went missing).
    pub applied: Vec<u64>,
    /// The seq of every snapshot received.
    pub snapshots: Vec<u64>,
    /// The highest cseq acknowledged.
    pub acked: u32,
    pub refused: Vec<(u32, shared::protocol::Refusal)>,
    pub errors: Vec<(u16, String)>,
    pub closed: Option<(u16, String)>,
    /// Ops sent but not yet acknowledged, as the browser keeps them to send again after a reconnect.
    pub outbox: Vec<(u32, ClientOp)>,
    next_cseq: u32,
    /// The latest media sources this connection may receive, and who has the floor.
    pub sources: Vec<Source>,
    pub floor: Option<ClassroomId>,
    /// How many `Sources` messages arrived.
    pub sources_seen: u32,
    /// Media answers (`Ok((media, sdp))`) and refusals by request number.
    pub answers: HashMap<u32, Result<(MediaId, String), String>>,
    /// Publications and Subscriptions the relay ended.
    pub ended: Vec<MediaId>,
    /// The STUN/TURN servers the relay handed out for the page's connections.
    pub ice_servers: Option<Vec<shared::protocol::IceServer>>,
    next_req: u32,
}

impl LessonClient {
    /// Connects and says Hello. The Welcome and board arrive with the next `recv`s.
    pub async fn connect(
        url: &str,
        token: &str,
        page: PageId,
        resume: Option<u64>,
    ) -> LessonClient {
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("connect in time")
            .expect("connect");
        let mut client = LessonClient {
            ws,
            page,
            board: Board::new(),
            applied: Vec::new(),
            snapshots: Vec::new(),
            acked: 0,
            refused: Vec::new(),
            errors: Vec::new(),
            closed: None,
            outbox: Vec::new(),
            next_cseq: 1,
            sources: Vec::new(),
            floor: None,
            sources_seen: 0,
            answers: HashMap::new(),
            ended: Vec::new(),
            ice_servers: None,
            next_req: 1,
        };
        client
            .send(&ClientMsg::Hello {
                version: PROTOCOL_VERSION,
                token: token.to_string(),
                page,
                resume,
            })
            .await;
        client
    }

    /// Reconnects as the same page, resuming from the board it has.
    pub async fn reconnect(self, url: &str, token: &str) -> LessonClient {
        let LessonClient {
            board,
            applied,
            snapshots,
            acked,
            next_cseq,
            page,
            outbox,
            ..
        } = self;
        let resume = Some(board.seq);
        let mut c = LessonClient::connect(url, token, page, resume).await;
        c.board = board;
        c.applied = applied;
        c.snapshots = snapshots;
        c.acked = acked;
        c.next_cseq = next_cseq;
        c.outbox = outbox;
        c
    }

    /// Sends every unacknowledged op again, in order, with its original cseq.
    pub async fn resend_outbox(&mut self) {
        for (cseq, op) in self.outbox.clone() {
            self.send(&ClientMsg::Op { cseq, op }).await;
        }
    }

    pub async fn send(&mut self, msg: &ClientMsg) {
        let _ = self
            .ws
            .send(Message::Binary(encode_client(msg).into()))
            .await;
    }

    pub async fn send_raw(&mut self, msg: Message) {
        let _ = self.ws.send(msg).await;
    }

    /// Sends a board op with the next cseq; returns the cseq.
    pub async fn op(&mut self, op: ClientOp) -> u32 {
        let cseq = self.next_cseq;
        self.next_cseq += 1;
        self.outbox.push((cseq, op.clone()));
        self.send(&ClientMsg::Op { cseq, op }).await;
        cseq
    }

    /// Receives and handles one message. `None` once the socket is closed or nothing came in `wait`.
    pub async fn recv(&mut self, wait: Duration) -> Option<ServerMsg> {
        loop {
            let frame = match tokio::time::timeout(wait, self.ws.next()).await {
                Err(_) => return None,
                Ok(None) | Ok(Some(Err(_))) => return None,
                Ok(Some(Ok(frame))) => frame,
            };
            match frame {
                Message::Binary(bytes) => {
                    let msg = decode_server(&bytes).expect("the relay sends valid frames");
                    self.handle(&msg);
                    return Some(msg);
                }
                Message::Close(frame) => {
                    self.closed = Some(
                        frame
                            .map(|CloseFrame { code, reason }| {
                                (u16::from(code), reason.to_string())
                            })
                            .unwrap_or((1005, String::new())),
                    );
                    return None;
                }
                _ => continue,
            }
        }
    }

    fn handle(&mut self, msg: &ServerMsg) {
        match msg {
            ServerMsg::Snapshot(board) => {
                self.board = (**board).clone();
                self.snapshots.push(board.seq);
            }
            ServerMsg::Ops { first, ops } => {
                for (i, op) in ops.iter().enumerate() {
                    let seq = first + i as u64;
                    assert!(
                        seq > self.board.seq,
                        "op {seq} received again (board at {})",
                        self.board.seq
                    );
                    self.board
                        .apply(seq, op)
                        .unwrap_or_else(|e| panic!("op {seq} does not apply: {e}"));
                    self.applied.push(seq);
                }
            }
            ServerMsg::Ink { deltas } => {
                let seq = self.board.seq + 1;
                let op = self
                    .board
                    .ink_op(deltas.clone())
                    .expect("Ink only after a Begin");
                self.board
                    .apply(seq, &op)
                    .unwrap_or_else(|e| panic!("ink op {seq} does not apply: {e}"));
                self.applied.push(seq);
            }
            ServerMsg::Ack { cseq, .. } => {
                self.acked = self.acked.max(*cseq);
                self.outbox.retain(|(c, _)| c > cseq);
            }
            ServerMsg::Refused { cseq, reason } => {
                self.refused.push((*cseq, reason.clone()));
                self.outbox.retain(|(c, _)| c != cseq);
            }
            ServerMsg::Error { code, message } => self.errors.push((*code, message.clone())),
            ServerMsg::Sources { floor, sources } => {
                self.floor = *floor;
                self.sources = sources.clone();
                self.sources_seen += 1;
            }
            ServerMsg::MediaAnswer { req, media, sdp } => {
                self.answers.insert(*req, Ok((*media, sdp.clone())));
            }
            ServerMsg::MediaRefused { req, reason } => {
                self.answers.insert(*req, Err(reason.clone()));
            }
            ServerMsg::MediaEnded { media } => self.ended.push(*media),
            ServerMsg::IceServers(servers) => self.ice_servers = Some(servers.clone()),
            _ => {}
        }
    }

    /// Sends a media offer (`Publish` with `source: None`, else `Subscribe`) and waits for the
    /// relay's answer or refusal.
    pub async fn offer(
        &mut self,
        source: Option<MediaId>,
        sdp: String,
    ) -> Result<(MediaId, String), String> {
        let req = self.next_req;
        self.next_req += 1;
        let msg = match source {
            None => ClientMsg::Publish { req, sdp },
            Some(source) => ClientMsg::Subscribe { req, source, sdp },
        };
        self.send(&msg).await;
        self.until("a media answer", |c| c.answers.contains_key(&req))
            .await;
        self.answers.remove(&req).unwrap_or(Err("no answer".into()))
    }

    /// Handles messages until `done(self)` holds; panics after the wait.
    pub async fn until(&mut self, what: &str, done: impl Fn(&LessonClient) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !done(self) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() || self.recv(left).await.is_none() && !done(self) {
                panic!(
                    "waited for {what}; board at seq {}, closed: {:?}, errors: {:?}",
                    self.board.seq, self.closed, self.errors
                );
            }
        }
    }

    /// Waits for the socket to close; returns the close code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.closed.is_none() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(!left.is_zero(), "the relay did not close the connection");
            if self.recv(left).await.is_none() && self.closed.is_none() {
                return (1006, "closed without a close frame".into());
            }
        }
        self.closed.clone().unwrap_or_default()
    }

    /// Drops the connection but keeps the board, as a page does when its link goes down.
    pub async fn disconnect(&mut self) {
        let _ = self.ws.close(None).await;
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
