//! What the room remembers per page (one browser page load): the last op it applied (so a
//! reconnecting client's resent ops are acknowledged, not applied twice) and the stroke it is
//! drawing. Pure; the room keeps it and the store saves it with board snapshots.

use serde::{Deserialize, Serialize};
use shared::board::Op;
use shared::ids::{PageId, StrokeId};
use std::collections::BTreeMap;

/// Pages that have drawn at most this many are remembered; the oldest are forgotten first.
const MAX_PAGES: usize = 256;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageState {
    /// The highest `cseq` this page's ops were processed up to.
    pub last_cseq: u32,
    /// The stroke this page is drawing, if any.
    pub open: Option<StrokeId>,
    /// The board seq of this page's latest op (used to forget idle pages first).
    pub last_seq: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pages(BTreeMap<PageId, PageState>);

impl Pages {
    pub fn get(&self, page: PageId) -> PageState {
        self.0.get(&page).copied().unwrap_or_default()
    }

    /// Records that `page`'s op `cseq` was applied as `op` with sequence number `seq`.
    pub fn record_applied(&mut self, page: PageId, cseq: u32, seq: u64, op: &Op) {
        let s = self.0.entry(page).or_default();
        s.last_cseq = s.last_cseq.max(cseq);
        s.last_seq = seq;
        match op {
            Op::Begin { .. } => s.open = Some(StrokeId(seq)),
            Op::End { stroke } if s.open == Some(*stroke) => s.open = None,
            _ => {}
        }
        if self.0.len() > MAX_PAGES {
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

    /// Records that `page`'s op `cseq` was refused (it will not be applied if sent again).
    pub fn record_refused(&mut self, page: PageId, cseq: u32) {
        let s = self.0.entry(page).or_default();
        s.last_cseq = s.last_cseq.max(cseq);
    }
}
