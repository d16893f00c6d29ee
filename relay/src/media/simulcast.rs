//! One Subscriber's view of a simulcast Track (no IO). A Publisher that sends simulcast sends
//! the same camera as several layers (encodings of different sizes and rates, lowest first); a
//! Subscriber receives one of them, the one its link carries:
//!
//! - [`LayerChoice`] picks the layer from the Subscriber's link estimate and what each layer
//!   sends now: the highest that fits, down at once, up only after the estimate has allowed it
//!   for [`UP_HOLD`] (longer after a switch up that failed: [`FAILED_UP_WITHIN`]); no layer at
//!   all (video paused, audio goes on) when even the lowest has not fitted for [`PAUSE_HOLD`].
//! - [`LayerForwarder`] forwards the chosen layer's packets and switches only at a key frame of
//!   the layer it switches to, rewriting sequence numbers, timestamps and the VP8 picture ID and
//!   TL0PICIDX so that the Subscriber's decoder sees one continuous stream under one SSRC. On a
//!   switch down for a link that no longer carries the current layer, it holds that layer back
//!   from its next frame until the switch ([`LayerForwarder::hold`]).
//!
//! The driver's worker keeps one of each per Subscriber sink (`driver::layers`).

use super::probe::{Trial, Verdict, PROBE_LEAST_BPS, PROBE_MARGIN, PROBE_MOST_OVER};
use super::vp8::Vp8Packet;
use std::time::{Duration, Instant};

/// Most layers a simulcast Track may have (Chromium sends three); a packet of a higher layer is
/// not counted ([`LayerRates::record`] refuses it).
pub const MAX_LAYERS: usize = 4;
/// How long a higher layer must have fitted before the Subscriber is switched up to it.
pub const UP_HOLD: Duration = Duration::from_secs(5);
/// RTP clock of video (90 kHz).
const VIDEO_CLOCK_HZ: u64 = 90_000;

/// What the forwarder needs of one received packet of a simulcast Track.
#[derive(Clone, Copy, Debug)]
pub struct Incoming {
    /// Its layer: 0 the lowest.
    pub layer: usize,
    pub seq: u16,
    pub timestamp: u32,
    /// Its VP8 descriptor, if the codec is VP8 and it parsed.
    pub vp8: Option<Vp8Packet>,
}

/// What to send the Subscriber for one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forward {
    /// Send it with these numbers (the picture ID and TL0PICIDX go into the VP8 descriptor:
    /// [`super::vp8::rewrite`]).
    Send {
        seq: u16,
        timestamp: u32,
        picture_id: u16,
        tl0picidx: u8,
    },
    /// Not for this Subscriber (another layer, or before the switch point).
    Drop,
}

/// How a layer's numbers map to the Subscriber's.
#[derive(Clone, Copy, Debug)]
struct Mapping {
    layer: usize,
    seq: u16,
    timestamp: u32,
    picture_id: u16,
    tl0picidx: u8,
    /// The first sequence number forwarded from this layer: older ones are dropped.
    from_seq: u16,
    /// The timestamp (as received) of the newest frame forwarded from this layer.
    frame: u32,
}

/// The Subscriber's stream as sent so far.
#[derive(Clone, Copy, Debug)]
struct Sent {
    seq: u16,
    timestamp: u32,
    picture_id: u16,
    tl0picidx: u8,
    at: Instant,
}

/// Forwards one layer of a simulcast Track to one Subscriber.
#[derive(Clone, Debug, Default)]
pub struct LayerForwarder {
    target: Option<usize>,
    mapping: Option<Mapping>,
    sent: Option<Sent>,
    /// The current layer is held back ([`LayerForwarder::hold`]): only the rest of its frame in
    /// progress goes on, until a key frame of the target starts the stream again.
    held: bool,
}

/// `a` comes after `b` in 16-bit sequence space.
fn newer(a: u16, b: u16) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000
}

impl LayerForwarder {
    /// The layer to forward from now on (`None`: none, video paused). The switch happens at the
    /// target layer's next key frame; until then the current layer goes on.
    pub fn set_target(&mut self, layer: Option<usize>) {
        self.target = layer;
        if layer.is_none() {
            self.mapping = None;
            self.held = false;
        }
    }

    /// Stops forwarding the current layer after its frame in progress, while a switch to the
    /// target waits for its key frame: on a link too full for the current layer, its further
    /// frames would only queue ahead of that key frame (and be lost with it). The picture stands
    /// still until the key frame; the numbers go on from the last packet sent, without a gap.
    /// Nothing to hold when no switch is pending.
    pub fn hold(&mut self) {
        if self.mapping.is_some() && self.target.is_some() && self.target != self.current() {
            self.held = true;
        }
    }

    /// The current layer is held back until the target's key frame.
    pub fn held(&self) -> bool {
        self.held
    }

    pub fn target(&self) -> Option<usize> {
        self.target
    }

    /// The layer being forwarded.
    pub fn current(&self) -> Option<usize> {
        self.mapping.map(|m| m.layer)
    }

    /// The target layer is not forwarded yet: its Publisher should be asked for a key frame.
    pub fn waits_for_keyframe(&self) -> bool {
        self.target.is_some() && (self.target != self.current() || self.held)
    }

    /// What to do with `packet`, received at `now`.
    pub fn forward(&mut self, now: Instant, packet: &Incoming) -> Forward {
        let keyframe = packet.vp8.is_some_and(|v| v.keyframe);
        if Some(packet.layer) == self.target
            && (self.current() != self.target || self.held)
            && keyframe
        {
            self.switch_to(now, packet);
        }
        let Some(m) = self.mapping.as_mut() else {
            return Forward::Drop;
        };
        if packet.layer != m.layer || newer(m.from_seq, packet.seq) {
            return Forward::Drop;
        }
        let seq = packet.seq.wrapping_add(m.seq);
        let is_newest = self.sent.is_none_or(|s| newer(seq, s.seq));
        // Held: a newer frame than the one in progress waits for the switch; a late packet of
        // an earlier frame still goes (dropped, it would leave a gap behind what was sent).
        if is_newest {
            if self.held && packet.timestamp != m.frame {
                return Forward::Drop;
            }
            m.frame = packet.timestamp;
        }
        let m = *m;
        let timestamp = packet.timestamp.wrapping_add(m.timestamp);
        let (picture_id, tl0picidx) = match packet.vp8 {
            Some(v) => (
                v.picture_id
                    .map_or(0, |p| p.value().wrapping_add(m.picture_id) & 0x7FFF),
                v.tl0picidx.map_or(0, |t| t.wrapping_add(m.tl0picidx)),
            ),
            None => (0, 0),
        };
        if is_newest {
            self.sent = Some(Sent {
                seq,
                timestamp,
                picture_id,
                tl0picidx,
                at: now,
            });
        }
        Forward::Send {
            seq,
            timestamp,
            picture_id,
            tl0picidx,
        }
    }

    /// Starts forwarding `packet`'s layer with it (a key frame's first packet): its numbers
    /// continue the Subscriber's stream.
    fn switch_to(&mut self, now: Instant, packet: &Incoming) {
        let (picture_in, tl0_in) = packet.vp8.map_or((0, 0), |v| {
            (
                v.picture_id.map_or(0, |p| p.value()),
                v.tl0picidx.unwrap_or(0),
            )
        });
        let (seq, timestamp, picture_id, tl0picidx) = match self.sent {
            // Continue: the next number of each, the timestamp advanced by the time since.
            Some(s) => {
                let elapsed = now.saturating_duration_since(s.at);
                let ticks = (elapsed.as_micros() as u64 * VIDEO_CLOCK_HZ / 1_000_000).max(1);
                (
                    s.seq.wrapping_add(1),
                    s.timestamp.wrapping_add(ticks as u32),
                    s.picture_id.wrapping_add(1) & 0x7FFF,
                    s.tl0picidx.wrapping_add(1),
                )
            }
            // The first layer: its own numbers.
            None => (packet.seq, packet.timestamp, picture_in, tl0_in),
        };
        self.mapping = Some(Mapping {
            layer: packet.layer,
            seq: seq.wrapping_sub(packet.seq),
            timestamp: timestamp.wrapping_sub(packet.timestamp),
            picture_id: picture_id.wrapping_sub(picture_in),
            tl0picidx: tl0picidx.wrapping_sub(tl0_in),
            from_seq: packet.seq,
            frame: packet.timestamp,
        });
        self.held = false;
    }
}

/// What each layer of a simulcast Track sends: bytes over the last second, in ten slots of
/// 100 ms per layer (fixed memory, whatever the packet rate).
#[derive(Clone, Debug, Default)]
pub struct LayerRates {
    /// Per layer: (the slot's number, bytes) for the last ten slots.
    layers: [[(u64, u64); SLOTS]; MAX_LAYERS],
    epoch: Option<Instant>,
    /// Per layer: the highest rate of the last [`PEAK_HOLD`], and since when.
    peaks: [Option<(Instant, f64)>; MAX_LAYERS],
}

const SLOTS: usize = 10;
const SLOT: Duration = Duration::from_millis(100);
/// A layer is taken to send what it sent at most over this long: a layer the Publisher's encoder
/// has just started again (after a CPU or bandwidth dip) sends little for a few seconds, then all
/// it sent before, and a Subscriber switched up to it meanwhile would be switched down again.
pub const PEAK_HOLD: Duration = Duration::from_secs(20);

impl LayerRates {
    fn slot(&mut self, now: Instant) -> u64 {
        let epoch = *self.epoch.get_or_insert(now);
        (now.saturating_duration_since(epoch).as_millis() / SLOT.as_millis()) as u64 + 1
    }

    /// A packet of `bytes` of `layer` arrived at `now`; `false` (not counted) if the layer is
    /// beyond [`MAX_LAYERS`].
    pub fn record(&mut self, now: Instant, layer: usize, bytes: usize) -> bool {
        let slot = self.slot(now);
        let Some(slots) = self.layers.get_mut(layer) else {
            return false;
        };
        let cell = &mut slots[(slot % SLOTS as u64) as usize];
        if cell.0 != slot {
            *cell = (slot, 0);
        }
        cell.1 = cell.1.saturating_add(bytes as u64);
        true
    }

    /// Bits per second each layer sent over the last second, lowest first, up to the highest
    /// layer that sent anything; `None` for a layer that sent nothing in it.
    pub fn rates(&mut self, now: Instant) -> Vec<Option<f64>> {
        self.measure(now, false)
    }

    /// As [`LayerRates::rates`], but each layer at the most it sent in a second over the last
    /// [`PEAK_HOLD`]: what a switch up to it would cost.
    pub fn peaks(&mut self, now: Instant) -> Vec<Option<f64>> {
        self.measure(now, true)
    }

    fn measure(&mut self, now: Instant, peaks: bool) -> Vec<Option<f64>> {
        let slot = self.slot(now);
        let mut rates: Vec<Option<f64>> = self
            .layers
            .iter()
            .zip(self.peaks.iter_mut())
            .map(|(slots, peak)| {
                let bytes: u64 = slots
                    .iter()
                    .filter(|(s, _)| *s + (SLOTS as u64) > slot && *s <= slot)
                    .map(|(_, b)| *b)
                    .sum();
                let rate = bytes as f64 * 8.0 / (SLOT * SLOTS as u32).as_secs_f64();
                match *peak {
                    _ if bytes == 0 => None,
                    Some((at, most))
                        if most > rate && now.saturating_duration_since(at) < PEAK_HOLD =>
                    {
                        Some(if peaks { most } else { rate })
                    }
                    _ => {
                        *peak = Some((now, rate));
                        Some(rate)
                    }
                }
            })
            .collect();
        while rates.last().is_some_and(Option::is_none) {
            rates.pop();
        }
        rates
    }
}

/// Picks a Subscriber's layer.
#[derive(Clone, Debug, Default)]
pub struct LayerChoice {
    started: bool,
    chosen: Option<usize>,
    /// A higher layer than the chosen one fits, since then.
    higher_since: Option<Instant>,
    /// Not even the lowest layer fits, since then.
    nothing_since: Option<Instant>,
    /// The last switch up, while it may still fail.
    up_at: Option<Instant>,
    /// The last switch up that failed, while the longer hold lasts.
    failed_at: Option<Instant>,
    /// The hold before a switch up now (0: [`UP_HOLD`]).
    up_hold: Duration,
    /// The probe of the link before a switch up, while it runs.
    trial: Option<Trial>,
    /// The next switch up (or its probe) need not wait for the hold ([`LayerChoice::hurry`]).
    hurry: bool,
    /// The video rate the last passed step carried, while steps go on ([`PROBE_MOST_OVER`]).
    stepped_bps: Option<f64>,
}

/// What the layer choice knows of the Subscriber's link's probes ([`super::probe`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProbeView {
    /// How many times the estimator found the link full so far.
    pub fulls: u64,
    pub rtt: Option<Duration>,
}

/// What to do about probes after a choice.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ProbeStep {
    /// Order a probe: `extra_bps` on top of what is sent now, for [`PROBE_LENGTH`].
    Start { extra_bps: f64 },
    /// The probe passed: the link carried this layer's `video_bps` (and what goes with it).
    Passed { video_bps: f64 },
}

/// A layer choice and what to do about probes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Choice {
    pub layer: Option<usize>,
    pub probe: Option<ProbeStep>,
}

/// How far over the budget the lowest layer still fits (see [`LayerChoice::choose`]).
pub const LOWEST_OVER: f64 = 1.25;
/// Not even the lowest layer fitting for this long pauses the picture; until then the lowest
/// layer goes on (an estimate dips while a queue drains after a drop in the link's rate).
pub const PAUSE_HOLD: Duration = Duration::from_secs(2);
/// A switch up followed by a switch down within this long failed: the next one waits twice as
/// long, up to [`UP_HOLD_MAX`], so a link just under a layer's rate does not flap.
pub const FAILED_UP_WITHIN: Duration = Duration::from_secs(10);
pub const UP_HOLD_MAX: Duration = Duration::from_secs(40);
/// This long without a failed switch up and the hold is [`UP_HOLD`] again.
pub const FORGIVEN_AFTER: Duration = Duration::from_secs(60);
/// A failed probe doubles the hold too, but only up to this: it cost a short queue, not a
/// frozen picture, and a link that came back should be found soon.
pub const PROBE_HOLD_MAX: Duration = Duration::from_secs(10);

impl LayerChoice {
    /// The layer for a Subscriber whose link carries `budget_bps` for this video now, given the
    /// bits per second each layer sends (`None`: not arriving now), lowest first. `None`: no
    /// layer fits, the video pauses.
    pub fn choose(
        &mut self,
        now: Instant,
        budget_bps: f64,
        layers: &[Option<f64>],
    ) -> Option<usize> {
        self.choose_probing(now, budget_bps, layers, None).layer
    }

    /// [`LayerChoice::choose`] on a link that can be probed (`probe`: `Some`). There a switch
    /// up is made only after a probe passed; and every hold the next layer up is probed even
    /// if the estimate does not allow it yet (a link that carries little because little was
    /// sent says nothing about the rest of it).
    pub fn choose_probing(
        &mut self,
        now: Instant,
        budget_bps: f64,
        layers: &[Option<f64>],
        probe: Option<ProbeView>,
    ) -> Choice {
        let lowest = layers.iter().position(Option::is_some);
        // The lowest layer fits a little over the budget: the pacer sends the audio first and
        // drops video that waited too long, which a person notices less than no picture.
        let fits = layers
            .iter()
            .enumerate()
            .filter_map(|(i, rate)| rate.map(|r| (i, r)))
            .filter(|(i, rate)| {
                *rate <= budget_bps || (Some(*i) == lowest && *rate <= budget_bps * LOWEST_OVER)
            })
            .map(|(i, _)| i)
            .next_back();
        let arriving = self
            .chosen
            .is_none_or(|c| layers.get(c).is_some_and(Option::is_some));
        let since = |t: Option<Instant>| t.map(|t| now.saturating_duration_since(t));
        if since(self.up_at).is_some_and(|d| d >= FAILED_UP_WITHIN) {
            self.up_at = None;
        }
        if since(self.failed_at).is_some_and(|d| d >= FORGIVEN_AFTER) {
            self.failed_at = None;
            self.up_hold = UP_HOLD;
        }
        if fits.is_some() {
            self.nothing_since = None;
        }
        let mut step = None;
        let verdict = match (self.trial, probe) {
            (Some(trial), Some(view)) => trial.verdict(now, view.fulls, view.rtt),
            _ => Verdict::Pending,
        };
        if verdict == Verdict::Failed {
            self.trial = None;
            self.stepped_bps = None;
            self.higher_since = None;
            self.failed_at = Some(now);
            self.up_hold = (self.up_hold.max(UP_HOLD) * 2).min(PROBE_HOLD_MAX);
        }
        // The next layer up that arrives.
        let next_up = layers
            .iter()
            .enumerate()
            .skip(self.chosen.map_or(0, |c| c + 1))
            .find_map(|(i, rate)| rate.map(|_| i));
        let rate = |layer: Option<usize>| {
            layer
                .and_then(|l| layers.get(l).copied().flatten())
                .unwrap_or(0.0)
        };
        // `None` (paused) orders below every layer.
        if !self.started {
            self.started = true;
            self.chosen = fits;
            self.up_hold = UP_HOLD;
        } else if fits < self.chosen || !arriving {
            // Nothing fits: the lowest layer until that has lasted, then none.
            let next = match fits {
                Some(layer) => Some(layer),
                None => {
                    let nothing = *self.nothing_since.get_or_insert(now);
                    if now.saturating_duration_since(nothing) >= PAUSE_HOLD {
                        None
                    } else {
                        lowest.filter(|l| self.chosen.is_some_and(|c| *l <= c))
                    }
                }
            };
            if next < self.chosen && self.up_at.take().is_some() {
                self.failed_at = Some(now);
                // On a probed link the switch came after a probe: the hold stays short.
                let most = if probe.is_some() {
                    PROBE_HOLD_MAX
                } else {
                    UP_HOLD_MAX
                };
                self.up_hold = (self.up_hold.max(UP_HOLD) * 2).min(most);
            }
            self.chosen = next;
            self.higher_since = None;
            self.trial = None;
            self.stepped_bps = None;
        } else if let Some(view) = probe {
            // Up only through a probe: to what the estimate allows, or else one layer.
            let up = if fits > self.chosen { fits } else { next_up };
            if up.is_none() {
                self.higher_since = None;
                self.trial = None;
            } else if let Some(trial) = self.trial {
                if verdict == Verdict::Passed {
                    self.trial = None;
                    if trial.step {
                        // The next step at once (the hold counts as done), from what this one
                        // carried.
                        self.higher_since = now.checked_sub(self.up_hold.max(UP_HOLD));
                        self.stepped_bps = Some(trial.total_bps * PROBE_MARGIN);
                    } else {
                        self.chosen = Some(trial.layer);
                        self.higher_since = None;
                        self.up_at = Some(now);
                        self.stepped_bps = None;
                    }
                    step = Some(ProbeStep::Passed {
                        video_bps: trial.total_bps,
                    });
                }
            } else {
                let since = *self.higher_since.get_or_insert(now);
                if let (Some(layer), true) = (
                    up,
                    self.hurry || now.saturating_duration_since(since) >= self.up_hold.max(UP_HOLD),
                ) {
                    self.hurry = false;
                    let (now_bps, target) = (rate(self.chosen), rate(Some(layer)));
                    let wanted = ((target - now_bps) * PROBE_MARGIN).max(PROBE_LEAST_BPS);
                    // From what the link carries now, or carried in the last step: an estimate
                    // that grew while the relay sent less than the link carries proves nothing.
                    let base = self.stepped_bps.unwrap_or(0.0).max(now_bps);
                    let most = (base * PROBE_MOST_OVER - now_bps).max(PROBE_LEAST_BPS);
                    let trial = Trial::new(layer, now, target, view.fulls);
                    self.trial = Some(if wanted > most {
                        // What the link carries during the step, as a layer's rate with the
                        // margin that a passed probe's estimate adds back.
                        trial.as_step((now_bps + most) / PROBE_MARGIN)
                    } else {
                        trial
                    });
                    step = Some(ProbeStep::Start {
                        extra_bps: wanted.min(most),
                    });
                }
            }
        } else if fits > self.chosen {
            let since = *self.higher_since.get_or_insert(now);
            if self.hurry || now.saturating_duration_since(since) >= self.up_hold.max(UP_HOLD) {
                self.hurry = false;
                self.chosen = fits;
                self.higher_since = None;
                self.up_at = Some(now);
            }
        } else {
            self.higher_since = None;
        }
        Choice {
            layer: self.chosen,
            probe: step,
        }
    }

    /// The Subscriber needs a larger layer than before (its classroom was given the floor and is
    /// shown large): the next switch up, or its probe, goes without waiting for the hold. On a
    /// probed link the switch still waits for a probe that passed.
    pub fn hurry(&mut self) {
        self.hurry = true;
    }

    /// When the probe in flight can pass (see [`Trial::due`]), if there is one.
    pub fn verdict_due(&self, rtt: Option<Duration>) -> Option<Instant> {
        self.trial.map(|t| t.due(rtt))
    }

    /// The layer chosen last (`None`: paused, or not chosen yet).
    pub fn chosen(&self) -> Option<usize> {
        self.chosen
    }

    /// The hold before the next switch up.
    pub fn up_hold(&self) -> Duration {
        self.up_hold.max(UP_HOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::vp8::{self, PictureId};
    use proptest::prelude::*;

    /// A VP8 packet of `layer` as Chromium sends it (15-bit picture ID, TL0PICIDX).
    fn packet(layer: usize, seq: u16, ts: u32, pid: u16, tl0: u8, key: bool) -> Incoming {
        let bytes = [
            0x90,
            0xC0,
            0x80 | (pid >> 8) as u8,
            (pid & 0xFF) as u8,
            tl0,
            if key { 0x10 } else { 0x11 },
        ];
        Incoming {
            layer,
            seq,
            timestamp: ts,
            vp8: Some(vp8::parse(&bytes).expect("parses")),
        }
    }

    fn sent(f: Forward) -> (u16, u32, u16, u8) {
        match f {
            Forward::Send {
                seq,
                timestamp,
                picture_id,
                tl0picidx,
            } => (seq, timestamp, picture_id, tl0picidx),
            Forward::Drop => panic!("dropped"),
        }
    }

    #[test]
    fn nothing_goes_until_the_target_layer_s_key_frame() {
        let t = Instant::now();
        let mut f = LayerForwarder::default();
        f.set_target(Some(1));
        assert!(f.waits_for_keyframe());
        assert_eq!(
            f.forward(t, &packet(1, 10, 900, 5, 1, false)),
            Forward::Drop
        );
        assert_eq!(f.forward(t, &packet(0, 70, 900, 9, 3, true)), Forward::Drop);
        // The first layer keeps its own numbers.
        assert_eq!(
            sent(f.forward(t, &packet(1, 11, 3900, 6, 2, true))),
            (11, 3900, 6, 2)
        );
        assert!(!f.waits_for_keyframe());
        assert_eq!(
            sent(f.forward(t, &packet(1, 12, 3900, 6, 2, false))),
            (12, 3900, 6, 2)
        );
        assert_eq!(
            f.forward(t, &packet(0, 71, 3900, 10, 3, false)),
            Forward::Drop
        );
    }

    #[test]
    fn a_switch_continues_every_number_of_the_stream() {
        let t = Instant::now();
        let mut f = LayerForwarder::default();
        f.set_target(Some(2));
        sent(f.forward(t, &packet(2, 100, 1000, 300, 40, true)));
        sent(f.forward(t, &packet(2, 101, 4000, 301, 41, false)));
        // Down to layer 0: layer 2 goes on until layer 0's key frame.
        f.set_target(Some(0));
        let later = t + Duration::from_millis(33);
        assert_eq!(
            sent(f.forward(later, &packet(2, 102, 7000, 302, 42, false))).0,
            102
        );
        assert_eq!(
            f.forward(later, &packet(0, 5000, 50, 77, 9, false)),
            Forward::Drop
        );
        let at = later + Duration::from_millis(20);
        let (seq, ts, pid, tl0) = sent(f.forward(at, &packet(0, 5001, 60, 78, 10, true)));
        assert_eq!((seq, pid, tl0), (103, 303, 43));
        assert_eq!(
            ts,
            7000 + 20 * 90,
            "the time since the last packet, at 90 kHz"
        );
        assert_eq!(
            sent(f.forward(at, &packet(0, 5002, 3060, 79, 10, false))),
            (104, 3000 + ts, 304, 43)
        );
        // The old layer, and the new one's packets from before the switch, are dropped.
        assert_eq!(
            f.forward(at, &packet(2, 103, 10000, 303, 43, false)),
            Forward::Drop
        );
        assert_eq!(
            f.forward(at, &packet(0, 5000, 50, 77, 9, false)),
            Forward::Drop
        );
    }

    #[test]
    fn a_held_layer_finishes_its_frame_and_the_switch_goes_on_without_a_gap() {
        let t = Instant::now();
        let mut f = LayerForwarder::default();
        f.set_target(Some(2));
        sent(f.forward(t, &packet(2, 100, 1000, 300, 40, true)));
        // Nothing to hold without a switch pending.
        f.hold();
        assert!(!f.held());
        f.set_target(Some(0));
        f.hold();
        assert!(f.held() && f.waits_for_keyframe());
        // The frame in progress (timestamp 1000) goes on; the next frame does not.
        assert_eq!(
            sent(f.forward(t, &packet(2, 101, 1000, 300, 40, false))).0,
            101
        );
        assert_eq!(
            f.forward(t, &packet(2, 102, 4000, 301, 41, false)),
            Forward::Drop
        );
        assert_eq!(
            f.forward(t, &packet(2, 103, 4000, 301, 41, false)),
            Forward::Drop
        );
        // Layer 0's key frame continues the numbers from the last packet sent.
        let (seq, _, pid, tl0) = sent(f.forward(t, &packet(0, 7, 50, 9, 3, true)));
        assert_eq!((seq, pid, tl0), (102, 301, 41));
        assert!(!f.held() && !f.waits_for_keyframe());
        assert_eq!(sent(f.forward(t, &packet(0, 8, 3050, 10, 3, false))).0, 103);
    }

    #[test]
    fn a_late_packet_of_an_earlier_frame_goes_while_held() {
        let t = Instant::now();
        let mut f = LayerForwarder::default();
        f.set_target(Some(1));
        sent(f.forward(t, &packet(1, 10, 0, 1, 1, true)));
        // Packet 11 (of the key frame) is overtaken by packet 12, the next frame's first.
        sent(f.forward(t, &packet(1, 12, 3000, 2, 1, false)));
        f.set_target(Some(0));
        f.hold();
        assert_eq!(sent(f.forward(t, &packet(1, 11, 0, 1, 1, true))).0, 11);
        assert_eq!(sent(f.forward(t, &packet(1, 13, 3000, 2, 1, false))).0, 13);
        assert_eq!(
            f.forward(t, &packet(1, 14, 6000, 3, 1, false)),
            Forward::Drop
        );
        assert_eq!(sent(f.forward(t, &packet(0, 50, 90, 7, 2, true))).0, 14);
    }

    #[test]
    fn a_held_layer_chosen_again_resumes_at_its_own_key_frame() {
        let t = Instant::now();
        let mut f = LayerForwarder::default();
        f.set_target(Some(1));
        sent(f.forward(t, &packet(1, 10, 0, 1, 1, true)));
        f.set_target(Some(0));
        f.hold();
        assert_eq!(
            f.forward(t, &packet(1, 11, 3000, 2, 1, false)),
            Forward::Drop
        );
        // Layer 1 chosen again: its frames after the dropped one would not decode, so it goes
        // on only from its next key frame.
        f.set_target(Some(1));
        assert!(f.waits_for_keyframe());
        assert_eq!(
            f.forward(t, &packet(1, 12, 6000, 3, 1, false)),
            Forward::Drop
        );
        assert_eq!(sent(f.forward(t, &packet(1, 13, 9000, 4, 2, true))).0, 11);
        assert!(!f.waits_for_keyframe());
    }

    #[test]
    fn numbers_wrap_around() {
        let t = Instant::now();
        let mut f = LayerForwarder::default();
        f.set_target(Some(0));
        sent(f.forward(t, &packet(0, 65535, u32::MAX, 0x7FFF, 255, true)));
        assert_eq!(
            sent(f.forward(t, &packet(0, 0, 2999, 0, 0, false))),
            (0, 2999, 0, 0)
        );
        f.set_target(Some(1));
        let (seq, _, pid, tl0) = sent(f.forward(t, &packet(1, 40, 10, 12, 7, true)));
        assert_eq!((seq, pid, tl0), (1, 1, 1));
    }

    #[test]
    fn no_target_pauses_the_video() {
        let t = Instant::now();
        let mut f = LayerForwarder::default();
        f.set_target(Some(0));
        sent(f.forward(t, &packet(0, 1, 0, 1, 1, true)));
        f.set_target(None);
        assert!(!f.waits_for_keyframe());
        assert_eq!(f.forward(t, &packet(0, 2, 0, 1, 1, true)), Forward::Drop);
        // Back on: from the next key frame, continuing the numbers.
        f.set_target(Some(0));
        assert_eq!(f.forward(t, &packet(0, 3, 0, 2, 1, false)), Forward::Drop);
        assert_eq!(sent(f.forward(t, &packet(0, 9, 90, 3, 2, true))).0, 2);
    }

    const RATES: [Option<f64>; 3] = [Some(150_000.0), Some(500_000.0), Some(1_500_000.0)];

    #[test]
    fn the_first_choice_is_the_highest_that_fits_at_once() {
        let t = Instant::now();
        assert_eq!(
            LayerChoice::default().choose(t, 2_000_000.0, &RATES),
            Some(2)
        );
        assert_eq!(LayerChoice::default().choose(t, 600_000.0, &RATES), Some(1));
        assert_eq!(LayerChoice::default().choose(t, 100_000.0, &RATES), None);
        // The lowest layer fits up to a quarter over the budget; no other does.
        assert_eq!(LayerChoice::default().choose(t, 130_000.0, &RATES), Some(0));
        assert_eq!(LayerChoice::default().choose(t, 450_000.0, &RATES), Some(0));
    }

    /// A choice on a probed link whose estimator found it full `fulls` times, 100 ms round trip.
    fn probed(c: &mut LayerChoice, at: Instant, budget: f64, fulls: u64) -> Choice {
        c.choose_probing(
            at,
            budget,
            &RATES,
            Some(ProbeView {
                fulls,
                rtt: Some(Duration::from_millis(100)),
            }),
        )
    }

    /// Choices every 0.5 s from `from` on a link with `budget`, until `layer` is chosen (at most
    /// 30 s): the probes' extra rates, what each passed one proved, and when the switch came.
    fn climb(
        c: &mut LayerChoice,
        from: Instant,
        budget: f64,
        layer: usize,
    ) -> (Vec<f64>, Vec<f64>, Instant) {
        let (mut extras, mut proved) = (Vec::new(), Vec::new());
        for i in 0..60 {
            let at = from + Duration::from_millis(500 * i);
            let choice = probed(c, at, budget, 0);
            match choice.probe {
                Some(ProbeStep::Start { extra_bps }) => extras.push(extra_bps),
                Some(ProbeStep::Passed { video_bps }) => proved.push(video_bps),
                None => {}
            }
            if choice.layer == Some(layer) {
                return (extras, proved, at);
            }
        }
        panic!("never up to {layer}: probes {extras:?}, proved {proved:?}");
    }

    #[test]
    fn on_a_probed_link_a_switch_up_waits_for_a_probe_that_passed() {
        let t = Instant::now();
        let s = Duration::from_secs;
        let mut c = LayerChoice::default();
        assert_eq!(probed(&mut c, t, 600_000.0, 0).layer, Some(1));
        // Room for the top layer by the estimate: after the hold, a probe.
        assert_eq!(probed(&mut c, t + s(1), 2_000_000.0, 0).probe, None);
        let start = probed(&mut c, t + s(1) + UP_HOLD, 2_000_000.0, 0);
        assert_eq!(start.layer, Some(1), "not before the probe passed");
        assert!(matches!(start.probe, Some(ProbeStep::Start { .. })));
        let started = t + s(1) + UP_HOLD;
        let pending = probed(&mut c, started + Duration::from_millis(500), 2_000_000.0, 0);
        assert_eq!(
            pending,
            Choice {
                layer: Some(1),
                probe: None
            }
        );
        // The switch would add 1.2 Mbit/s with margin; the link carries 500 kbit/s of video:
        // steps to 1.5 times what it carried (at least 200 kbit/s more), each at once after the
        // last passed, then the switch's own probe.
        let mut c = LayerChoice::default();
        probed(&mut c, t, 600_000.0, 0);
        probed(&mut c, t + s(1), 2_000_000.0, 0);
        let (extras, proved, up_at) = climb(&mut c, t + s(1) + UP_HOLD, 2_000_000.0, 2);
        assert_eq!(extras, vec![250_000.0, 625_000.0, 1_187_500.0, 1_200_000.0]);
        let carried: Vec<f64> = proved.iter().map(|v| v * PROBE_MARGIN).collect();
        assert_eq!(
            carried,
            vec![750_000.0, 1_125_000.0, 1_687_500.0, 1_800_000.0]
        );
        assert!(
            up_at <= t + s(1) + UP_HOLD + s(8),
            "four probes, about 2 s each: {up_at:?}"
        );
    }

    #[test]
    fn a_hurried_choice_probes_at_once_and_still_waits_for_the_probe() {
        let t = Instant::now();
        let s = Duration::from_secs;
        let mut c = LayerChoice::default();
        assert_eq!(probed(&mut c, t, 600_000.0, 0).layer, Some(1));
        // Without a hurry, a second later: no probe (the hold is 5 s).
        assert_eq!(probed(&mut c, t + s(1), 2_000_000.0, 0).probe, None);
        c.hurry();
        let start = probed(&mut c, t + s(2), 2_000_000.0, 0);
        assert_eq!(start.layer, Some(1), "not before the probe passed");
        assert!(
            matches!(start.probe, Some(ProbeStep::Start { .. })),
            "{start:?}"
        );
        assert_eq!(
            probed(&mut c, t + s(4), 2_000_000.0, 0).layer,
            Some(1),
            "a step"
        );
        let (_, _, up_at) = climb(&mut c, t + s(4), 2_000_000.0, 2);
        assert!(up_at <= t + s(10), "{up_at:?}");
        // Once used, the hurry is gone: the next change waits as usual.
        let mut plain = LayerChoice::default();
        plain.hurry();
        assert_eq!(plain.choose(t, 600_000.0, &RATES), Some(1));
        assert_eq!(plain.choose(t + s(1), 2_000_000.0, &RATES), Some(2));
        assert_eq!(plain.choose(t + s(2), 600_000.0, &RATES), Some(1));
        assert_eq!(plain.choose(t + s(3), 2_000_000.0, &RATES), Some(1));
    }

    #[test]
    fn a_failed_probe_keeps_the_layer_and_the_next_waits_longer() {
        let t = Instant::now();
        let s = Duration::from_secs;
        let mut c = LayerChoice::default();
        probed(&mut c, t, 600_000.0, 0);
        probed(&mut c, t + s(1), 2_000_000.0, 0);
        let started = t + s(1) + UP_HOLD;
        assert!(probed(&mut c, started, 2_000_000.0, 0).probe.is_some());
        // The estimator found the link full while the probe was in flight.
        let failed = probed(&mut c, started + Duration::from_millis(500), 2_000_000.0, 1);
        assert_eq!(
            failed,
            Choice {
                layer: Some(1),
                probe: None
            }
        );
        assert_eq!(c.up_hold(), UP_HOLD * 2);
        // The next probe after twice the hold (from the failure), not before.
        let failed_at = started + Duration::from_millis(500);
        assert_eq!(
            probed(
                &mut c,
                failed_at + Duration::from_millis(100),
                2_000_000.0,
                1
            )
            .probe,
            None
        );
        assert_eq!(
            probed(&mut c, failed_at + UP_HOLD, 2_000_000.0, 1).probe,
            None
        );
        let again = failed_at + Duration::from_millis(100) + UP_HOLD * 2;
        assert!(matches!(
            probed(&mut c, again, 2_000_000.0, 1).probe,
            Some(ProbeStep::Start { .. })
        ));
        // Failures double the hold only up to PROBE_HOLD_MAX
        // (the hold counts from each failure).
        let mut at = again;
        for fulls in 2..6 {
            at += Duration::from_millis(500);
            assert_eq!(probed(&mut c, at, 2_000_000.0, fulls).probe, None);
            at += PROBE_HOLD_MAX;
            assert!(matches!(
                probed(&mut c, at, 2_000_000.0, fulls).probe,
                Some(ProbeStep::Start { .. })
            ));
        }
        assert_eq!(c.up_hold(), PROBE_HOLD_MAX);
        let pending = probed(&mut c, at + Duration::from_millis(100), 2_000_000.0, 5);
        assert_eq!(pending.layer, Some(1));
    }

    #[test]
    fn a_probed_link_tries_the_next_layer_even_when_the_estimate_does_not_allow_it() {
        let t = Instant::now();
        let s = Duration::from_secs;
        let mut c = LayerChoice::default();
        // Only the low layer fits; its sender sends little, so the estimate learns little.
        assert_eq!(probed(&mut c, t, 300_000.0, 0).layer, Some(0));
        assert_eq!(probed(&mut c, t + s(1), 300_000.0, 0).probe, None);
        let start = probed(&mut c, t + s(1) + UP_HOLD, 300_000.0, 0);
        // One layer up would add the middle one's rate less the low one's, with margin (420
        // kbit/s); a step adds only what takes the video to 1.5 x what it is (at least 200).
        let step = PROBE_LEAST_BPS;
        assert_eq!(start.probe, Some(ProbeStep::Start { extra_bps: step }));
        // Passed, the step switches nothing; it proves what the link carried, and the next
        // step follows at once.
        let passed = probed(&mut c, t + s(3) + UP_HOLD, 300_000.0, 0);
        assert_eq!(
            passed,
            Choice {
                layer: Some(0),
                probe: Some(ProbeStep::Passed {
                    video_bps: (150_000.0 + step) / PROBE_MARGIN
                })
            }
        );
        let next = probed(
            &mut c,
            t + s(3) + UP_HOLD + Duration::from_millis(500),
            450_000.0,
            0,
        );
        assert!(
            matches!(next.probe, Some(ProbeStep::Start { extra_bps }) if extra_bps < 350_000.0 * PROBE_MARGIN),
            "{next:?}"
        );
        // Once a step has carried enough, the whole switch is probed, and made.
        let (extras, _, _) = climb(&mut c, t + s(4) + UP_HOLD, 450_000.0, 1);
        assert_eq!(extras, vec![350_000.0 * PROBE_MARGIN]);
        // Paused, the lowest layer is what is tried (a step of the least a probe adds).
        let mut c = LayerChoice::default();
        assert_eq!(probed(&mut c, t, 50_000.0, 0).layer, None);
        probed(&mut c, t + s(1), 50_000.0, 0);
        let start = probed(&mut c, t + s(1) + UP_HOLD, 50_000.0, 0);
        assert_eq!(
            start.probe,
            Some(ProbeStep::Start {
                extra_bps: PROBE_LEAST_BPS
            })
        );
        // The top layer has nothing above it: no probe.
        let mut c = LayerChoice::default();
        probed(&mut c, t, 2_000_000.0, 0);
        for i in 1..30 {
            assert_eq!(probed(&mut c, t + s(i), 2_000_000.0, 0).probe, None);
        }
        // A drop while a probe runs ends it: no switch up when it would have passed.
        let mut c = LayerChoice::default();
        probed(&mut c, t, 600_000.0, 0);
        probed(&mut c, t + s(1), 2_000_000.0, 0);
        assert!(probed(&mut c, t + s(1) + UP_HOLD, 2_000_000.0, 0)
            .probe
            .is_some());
        assert_eq!(probed(&mut c, t + s(7), 300_000.0, 0).layer, Some(0));
        assert_eq!(probed(&mut c, t + s(8), 2_000_000.0, 0).layer, Some(0));
    }

    #[test]
    fn a_probe_is_never_of_almost_nothing_and_a_failed_switch_after_one_holds_briefly() {
        let t = Instant::now();
        let s = Duration::from_secs;
        // The top layer just started again and sends little.
        let restarting = [Some(150_000.0), Some(500_000.0), Some(20_000.0)];
        let view = Some(ProbeView {
            fulls: 0,
            rtt: Some(Duration::from_millis(100)),
        });
        // Paused, then the top layer (20 kbit/s now) fits: its probe adds 150 kbit/s, not 24.
        let mut c = LayerChoice::default();
        assert_eq!(c.choose_probing(t, 10_000.0, &restarting, view).layer, None);
        c.choose_probing(t + s(1), 100_000.0, &restarting, view);
        let start = c.choose_probing(t + s(1) + UP_HOLD, 100_000.0, &restarting, view);
        assert_eq!(
            start.probe,
            Some(ProbeStep::Start {
                extra_bps: PROBE_LEAST_BPS
            })
        );
        // It passed, the layer grew past the link, the Subscriber is switched down within the
        // 10 s: the next try waits twice the hold, not the 40 s of a link without probes.
        let up = c.choose_probing(t + s(3) + UP_HOLD, 100_000.0, &restarting, view);
        assert_eq!(up.layer, Some(2));
        let down = c.choose_probing(t + s(4) + UP_HOLD, 100_000.0, &RATES, view);
        assert_eq!(down.layer, Some(0));
        assert_eq!(c.up_hold(), UP_HOLD * 2);
        let at = t + s(5) + UP_HOLD;
        for _ in 0..4 {
            c.up_at = Some(at);
            c.chosen = Some(1);
            c.choose_probing(at, 100_000.0, &RATES, view);
        }
        assert_eq!(c.up_hold(), PROBE_HOLD_MAX);
    }

    #[test]
    fn down_at_once_up_after_the_hold() {
        let t = Instant::now();
        let mut c = LayerChoice::default();
        assert_eq!(c.choose(t, 2_000_000.0, &RATES), Some(2));
        assert_eq!(
            c.choose(t + Duration::from_secs(1), 600_000.0, &RATES),
            Some(1)
        );
        // Nothing fits: the lowest layer, then none once that has lasted.
        assert_eq!(
            c.choose(t + Duration::from_secs(2), 100_000.0, &RATES),
            Some(0)
        );
        assert_eq!(
            c.choose(t + Duration::from_secs(2) + PAUSE_HOLD, 100_000.0, &RATES),
            None
        );
        // Room again: not before the hold.
        let back = t + Duration::from_secs(5);
        assert_eq!(c.choose(back, 2_000_000.0, &RATES), None);
        assert_eq!(
            c.choose(
                back + UP_HOLD - Duration::from_millis(1),
                2_000_000.0,
                &RATES
            ),
            None
        );
        assert_eq!(c.choose(back + UP_HOLD, 2_000_000.0, &RATES), Some(2));
        // A dip during the hold starts it again.
        let mut c = LayerChoice::default();
        c.choose(t, 600_000.0, &RATES);
        c.choose(t + Duration::from_secs(1), 2_000_000.0, &RATES);
        c.choose(t + Duration::from_secs(2), 600_000.0, &RATES);
        assert_eq!(
            c.choose(t + Duration::from_secs(6), 2_000_000.0, &RATES),
            Some(1)
        );
        assert_eq!(
            c.choose(t + Duration::from_secs(11), 2_000_000.0, &RATES),
            Some(2)
        );
    }

    #[test]
    fn a_switch_up_that_fails_makes_the_next_wait_longer_until_it_is_forgiven() {
        let t = Instant::now();
        let at = |secs: u64| t + Duration::from_secs(secs);
        let mut c = LayerChoice::default();
        assert_eq!(c.choose(at(0), 600_000.0, &RATES), Some(1));
        // Room for the top layer for the hold: up; the link cannot carry it after all: down.
        c.choose(at(1), 2_000_000.0, &RATES);
        assert_eq!(c.choose(at(6), 2_000_000.0, &RATES), Some(2));
        assert_eq!(c.choose(at(8), 600_000.0, &RATES), Some(1));
        assert_eq!(c.up_hold(), 2 * UP_HOLD);
        // The next switch up waits twice as long.
        c.choose(at(9), 2_000_000.0, &RATES);
        assert_eq!(c.choose(at(9) + UP_HOLD, 2_000_000.0, &RATES), Some(1));
        assert_eq!(c.choose(at(9) + 2 * UP_HOLD, 2_000_000.0, &RATES), Some(2));
        // Failing again doubles it again, up to the most.
        assert_eq!(c.choose(at(20), 600_000.0, &RATES), Some(1));
        assert_eq!(c.up_hold(), 4 * UP_HOLD);
        for k in 0..6 {
            let from = at(30 + 50 * k);
            c.choose(from, 2_000_000.0, &RATES);
            c.choose(from + UP_HOLD_MAX, 2_000_000.0, &RATES);
            c.choose(
                from + UP_HOLD_MAX + Duration::from_secs(1),
                600_000.0,
                &RATES,
            );
        }
        assert_eq!(c.up_hold(), UP_HOLD_MAX);
        // A switch down long after the switch up is the link changing, not a failed switch; and
        // a minute without a failure forgives the failures.
        let later = at(1_000);
        assert_eq!(c.choose(later, 600_000.0, &RATES), Some(1));
        assert_eq!(c.up_hold(), UP_HOLD);
        c.choose(later, 2_000_000.0, &RATES);
        assert_eq!(c.choose(later + UP_HOLD, 2_000_000.0, &RATES), Some(2));
        assert_eq!(
            c.choose(later + UP_HOLD + FAILED_UP_WITHIN, 600_000.0, &RATES),
            Some(1)
        );
        assert_eq!(c.up_hold(), UP_HOLD);
    }

    #[test]
    fn nothing_fitting_for_a_moment_keeps_the_lowest_layer() {
        let t = Instant::now();
        let mut c = LayerChoice::default();
        assert_eq!(c.choose(t, 2_000_000.0, &RATES), Some(2));
        // A dip under every layer after a drop, shorter than the pause hold: the lowest layer.
        assert_eq!(
            c.choose(t + Duration::from_secs(1), 50_000.0, &RATES),
            Some(0)
        );
        assert_eq!(
            c.choose(t + Duration::from_millis(2_500), 200_000.0, &RATES),
            Some(0)
        );
        // A second dip starts its own hold.
        assert_eq!(
            c.choose(t + Duration::from_secs(3), 50_000.0, &RATES),
            Some(0)
        );
        assert_eq!(
            c.choose(t + Duration::from_millis(4_900), 50_000.0, &RATES),
            Some(0)
        );
        assert_eq!(c.choose(t + Duration::from_secs(5), 50_000.0, &RATES), None);
    }

    #[test]
    fn a_layer_that_stops_arriving_is_left_at_once() {
        let t = Instant::now();
        let mut c = LayerChoice::default();
        assert_eq!(c.choose(t, 2_000_000.0, &RATES), Some(2));
        let no_top = [RATES[0], RATES[1], None];
        assert_eq!(
            c.choose(t + Duration::from_secs(1), 2_000_000.0, &no_top),
            Some(1)
        );
    }

    #[test]
    fn layer_rates_cover_the_last_second() {
        let t = Instant::now();
        let mut r = LayerRates::default();
        for ms in (0..1000).step_by(20) {
            let at = t + Duration::from_millis(ms);
            assert!(r.record(at, 0, 375)); // 150 kbit/s
            assert!(r.record(at, 2, 3750)); // 1.5 Mbit/s
        }
        let rates = r.rates(t + Duration::from_millis(999));
        assert_eq!(rates.len(), 3);
        assert!((rates[0].unwrap() - 150_000.0).abs() < 1.0, "{rates:?}");
        assert_eq!(rates[1], None);
        assert!((rates[2].unwrap() - 1_500_000.0).abs() < 1.0, "{rates:?}");
        // A second later with nothing more: nothing arrives.
        assert!(r.rates(t + Duration::from_millis(2_100)).is_empty());
        assert!(!r.record(t, MAX_LAYERS, 100), "too many layers");
    }

    #[test]
    fn a_layer_that_restarts_small_counts_at_what_it_sent_lately() {
        let t = Instant::now();
        let mut r = LayerRates::default();
        let second = |r: &mut LayerRates, from: u64, bytes: usize| {
            for ms in (0..1000).step_by(20) {
                r.record(t + Duration::from_millis(from + ms), 2, bytes);
            }
            r.rates(t + Duration::from_millis(from + 999))[2]
        };
        let full = second(&mut r, 0, 3750).expect("arriving");
        assert!((full - 1_500_000.0).abs() < 1.0);
        // The encoder restarts it: 20 kbit/s for a while, its peak 1.5 Mbit/s.
        let small = second(&mut r, 1_000, 50).expect("arriving");
        assert!((small - 20_000.0).abs() < 1.0, "{small}");
        let peak = r.peaks(t + Duration::from_millis(1_999))[2].expect("arriving");
        assert!((peak - 1_500_000.0).abs() < 1.0, "{peak}");
        // Once PEAK_HOLD has passed since that second, the peak is what it sends now.
        second(&mut r, 21_000, 50);
        let later = r.peaks(t + Duration::from_millis(21_999))[2].expect("arriving");
        assert!((later - 20_000.0).abs() < 1.0, "{later}");
    }

    proptest! {
        /// Whatever the layers do, the Subscriber's sequence numbers go up by one from packet to
        /// packet it is sent (in arrival order, without reordering), across every switch and hold.
        #[test]
        fn the_subscriber_s_sequence_has_no_gap_and_no_repeat(
            steps in proptest::collection::vec((0usize..3, any::<bool>(), 0u8..4), 1..300)
        ) {
            let t = Instant::now();
            let mut f = LayerForwarder::default();
            let mut seqs = [1000u16, 20_000, 65_000];
            let mut last: Option<u16> = None;
            for (i, (layer, key, retarget)) in steps.into_iter().enumerate() {
                match retarget {
                    0 => f.set_target(Some(i % 3)),
                    1 => f.hold(),
                    _ => {}
                }
                seqs[layer] = seqs[layer].wrapping_add(1);
                let p = packet(layer, seqs[layer], i as u32 * 90, i as u16, 0, key);
                if let Forward::Send { seq, .. } = f.forward(t + Duration::from_millis(i as u64), &p) {
                    if let Some(l) = last {
                        prop_assert_eq!(seq, l.wrapping_add(1));
                    }
                    last = Some(seq);
                }
            }
        }
    }

    #[test]
    fn picture_ids_read_back_from_a_rewritten_packet() {
        let mut bytes = vec![0x90, 0xC0, 0x80 | 0x12, 0x34, 9, 0x10];
        let p = vp8::parse(&bytes).unwrap();
        vp8::rewrite(&mut bytes, &p, 0x0102, 200);
        assert_eq!(
            vp8::parse(&bytes).unwrap().picture_id,
            Some(PictureId::Long(0x0102))
        );
    }
}
