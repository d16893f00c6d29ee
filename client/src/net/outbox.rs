//! The teacher's ops that the relay has not acknowledged yet, in order, with their `cseq`s.
//! After every (re)connect the whole outbox is sent again with the same `cseq`s; the relay
//! ignores (but acknowledges again) the ones it already applied.

use shared::protocol::{ClientMsg, ClientOp};
use std::collections::VecDeque;

#[derive(Debug, Default)]
pub struct Outbox {
    /// The last `cseq` handed out; the first op of a session is 1.
    last: u32,
    queue: VecDeque<(u32, ClientOp)>,
}

impl Outbox {
    /// Queues an op and returns its `cseq`.
    pub fn push(&mut self, op: ClientOp) -> u32 {
        self.last += 1;
        self.queue.push_back((self.last, op));
        self.last
    }

    /// The relay stored every op up to `cseq`.
    pub fn ack(&mut self, cseq: u32) {
        while self.queue.front().is_some_and(|(c, _)| *c <= cseq) {
            self.queue.pop_front();
        }
    }

    /// The relay will never apply `cseq`: forget it.
    pub fn refuse(&mut self, cseq: u32) -> Option<ClientOp> {
        let i = self.queue.iter().position(|(c, _)| *c == cseq)?;
        self.queue.remove(i).map(|(_, op)| op)
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Every queued op as a message, oldest first.
    pub fn messages(&self) -> impl Iterator<Item = ClientMsg> + '_ {
        self.queue.iter().map(|(cseq, op)| ClientMsg::Op {
            cseq: *cseq,
            op: op.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cseqs(o: &Outbox) -> Vec<u32> {
        o.messages()
            .map(|m| match m {
                ClientMsg::Op { cseq, .. } => cseq,
                other => panic!("not an op: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn cseq_counts_from_one() {
        let mut o = Outbox::default();
        assert_eq!(o.push(ClientOp::Undo), 1);
        assert_eq!(o.push(ClientOp::Redo), 2);
        assert_eq!(cseqs(&o), [1, 2]);
    }

    #[test]
    fn ack_is_cumulative_and_refuse_removes_one() {
        let mut o = Outbox::default();
        for _ in 0..5 {
            o.push(ClientOp::AddPage);
        }
        o.ack(2);
        assert_eq!(cseqs(&o), [3, 4, 5]);
        assert_eq!(o.refuse(4), Some(ClientOp::AddPage));
        assert_eq!(o.refuse(4), None);
        assert_eq!(cseqs(&o), [3, 5]);
        o.ack(9);
        assert_eq!(o.len(), 0);
        assert_eq!(o.push(ClientOp::Undo), 6);
    }
}
