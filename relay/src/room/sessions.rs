//! What the room remembers per browser session: the last op it applied (so a reconnecting client's
//! resent ops are acknowledged, not applied twice) and the stroke it is drawing.

use serde::{Deserialize, Serialize};
use shared::board::Op;
use shared::ids::{SessionId, StrokeId};
use std::collections::BTreeMap;

/// Sessions that have drawn at most this many are remembered; the oldest are forgotten first.
const MAX_SESSIONS: usize = 256;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    /// The highest `cseq` this session's ops were processed up to.
    pub last_cseq: u32,
    /// The stroke this session is drawing, if any.
    pub open: Option<StrokeId>,
    /// The board seq of this session's latest op (used to forget idle sessions first).
    pub last_seq: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sessions(BTreeMap<SessionId, SessionState>);

impl Sessions {
    pub fn get(&self, session: SessionId) -> SessionState {
        self.0.get(&session).copied().unwrap_or_default()
    }

    /// Records that `session`'s op `cseq` was applied as `op` with sequence number `seq`.
    pub fn record_applied(&mut self, session: SessionId, cseq: u32, seq: u64, op: &Op) {
        let s = self.0.entry(session).or_default();
        s.last_cseq = s.last_cseq.max(cseq);
        s.last_seq = seq;
        match op {
            Op::Begin { .. } => s.open = Some(StrokeId(seq)),
            Op::End { stroke } if s.open == Some(*stroke) => s.open = None,
            _ => {}
        }
        if self.0.len() > MAX_SESSIONS {
            if let Some(oldest) = self
                .0
                .iter()
                .min_by_key(|(_, s)| s.last_seq)
                .map(|(k, _)| *k)
            {
                self.0.remove(&oldest);
            }
        }
    }

    /// Records that `session`'s op `cseq` was refused (it will not be applied if sent again).
    pub fn record_refused(&mut self, session: SessionId, cseq: u32) {
        let s = self.0.entry(session).or_default();
        s.last_cseq = s.last_cseq.max(cseq);
    }
}
