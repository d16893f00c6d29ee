//! Simulcast in the driver (no IO): a Publisher's simulcast Track arrives as several layers
//! (one SSRC each, named by rid "0", "1", "2"..., lowest first); each Subscriber sink of it gets
//! one layer, chosen from its link's estimate ([`LayerChoice`]) and switched at key frames with
//! continuous numbers ([`LayerForwarder`]). This module keeps that state per Track and per sink
//! and tells the worker what to send and which key frames to ask for.

use super::demux::PeerId;
use super::routes::Sink;
use crate::media::probe::{LinkProbe, Order, PROBE_LENGTH, PROBE_MARGIN};
use crate::media::simulcast::{
    Forward, Incoming, LayerChoice, LayerForwarder, LayerRates, ProbeStep, ProbeView, MAX_LAYERS,
};
use crate::media::vp8;
use bytes::BytesMut;
use rtc::rtp;
use rtc::shared::marshal::MarshalSize;
use shared::link::Picture;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How often a sink's layer is chosen again.
const CHOOSE_EVERY: Duration = Duration::from_millis(500);
/// Key frame requests for one layer, at most this often.
const KEYFRAME_GAP: Duration = Duration::from_millis(500);
/// The share of a Subscriber's link estimate the video may take (the rest for repairs), and
/// what its audio takes off first. The estimate never grows past about twice what the link
/// delivers plus 500 kbit/s (`media::estimator`), so from the middle layer (~500 kbit/s) the
/// top one (~1.2 Mbit/s) must fit in 95% of 1.5 Mbit/s less the audio. The audio is RED of Opus
/// (`media::red`), two Opus frames per packet: the teacher's page sent 95 kbit/s of RTP for it
/// (`browser_rural_link`, headers included, UDP and IP not). The choice reckons only 50 kbit/s
/// of it: the pacer sends audio first, and the estimate sits under the link (85% of what
/// arrived after each full queue); reckoning all of it paused the picture for the whole of
/// P6's 300 kbit/s slowdown (`browser_link_slowdown`), where the low layer and the sound fit.
const VIDEO_SHARE: f64 = 0.95;
const AUDIO_BPS: f64 = 50_000.0;

/// What the layer choice knows of a sink's connection's link.
pub struct SinkLink<'a> {
    /// The estimate of what it carries, once there is one.
    pub estimate_bps: Option<f64>,
    /// Where probes of it are ordered (used once its pacer can probe).
    pub probe: &'a LinkProbe,
    pub rtt: Option<Duration>,
    /// Packets it lost over the last second, per mille.
    pub loss_permille: u16,
}

/// A long, lossy link (a satellite or long microwave hop losing a few percent): loss at least
/// this, per mille, with a round trip at least [`LONG_ROUND_TRIP`]. There every lost packet of a
/// frame holds the picture for a round trip until its retransmission arrives, and a larger
/// layer's frames have more packets to lose: on P3 (5%, 600 ms) the middle layer froze 13.7 s in
/// 30 s at 11 frames a second. Such a link gets the lowest layer, whatever its rate allows,
/// until it has been neither for [`LOSSY_HOLD`].
pub const LOSSY_PERMILLE: u16 = 30;
pub const LONG_ROUND_TRIP: Duration = Duration::from_millis(400);
pub const LOSSY_HOLD: Duration = Duration::from_secs(20);

/// The layer a rid names: "0" to "3" (lowest first). Anything else names none.
pub fn layer_of_rid(rid: &str) -> Option<usize> {
    match rid.parse::<usize>() {
        Ok(layer) if layer < MAX_LAYERS && rid.len() == 1 => Some(layer),
        _ => None,
    }
}

#[derive(Debug, Default)]
struct TrackLayers {
    ssrcs: [Option<u32>; MAX_LAYERS],
    rates: LayerRates,
    asked: [Option<Instant>; MAX_LAYERS],
}

#[derive(Debug, Default)]
struct SinkLayer {
    forwarder: LayerForwarder,
    choice: LayerChoice,
    chosen_at: Option<Instant>,
    /// The sink's link was last long and lossy then (see [`LOSSY_PERMILLE`]).
    lossy_at: Option<Instant>,
    /// Choose again at the next packet (a probe passed).
    again: bool,
}

/// Every simulcast Track of a worker and every sink's layer of one.
#[derive(Debug, Default)]
pub struct Layers {
    tracks: HashMap<(PeerId, String), TrackLayers>,
    sinks: HashMap<(PeerId, String, Sink), SinkLayer>,
    /// The highest layer any sink of a Track gets (set by the lesson; a Track may not have
    /// arrived yet).
    caps: HashMap<(PeerId, String), usize>,
}

/// Tracks whose layers are capped, per worker at most (a lesson's classrooms' cameras).
const MAX_CAPS: usize = 4_096;

/// A key frame to ask a Publisher for: its connection, Track and the layer's SSRC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyframeAsk {
    pub source: PeerId,
    pub track_id: String,
    pub ssrc: u32,
}

impl Layers {
    /// A packet of `layer` of `source`'s Track `track_id` arrived.
    pub fn received(
        &mut self,
        now: Instant,
        source: PeerId,
        track_id: &str,
        layer: usize,
        packet: &rtp::Packet,
    ) {
        let track = self
            .tracks
            .entry((source, track_id.to_owned()))
            .or_default();
        if let Some(ssrc) = track.ssrcs.get_mut(layer) {
            *ssrc = Some(packet.header.ssrc);
        }
        track.rates.record(
            now,
            layer,
            packet.payload.len() + packet.header.marshal_size(),
        );
    }

    /// Every sink of `source`'s Track `track_id` gets at most layer `highest` from now on
    /// (`None`: any). A sink on a higher layer is switched down at the next choice.
    pub fn cap(&mut self, source: PeerId, track_id: &str, highest: Option<usize>) {
        let key = (source, track_id.to_owned());
        let previous = self.caps.get(&key).copied();
        match highest {
            Some(layer) if self.caps.len() < MAX_CAPS || self.caps.contains_key(&key) => {
                self.caps.insert(key.clone(), layer);
            }
            Some(_) => tracing::warn!(conn = %source, "too many capped Tracks: not capped"),
            None => {
                self.caps.remove(&key);
            }
        }
        // The next packet chooses again; a cap raised (the classroom given the floor, shown
        // large) goes up without the usual hold.
        let raised = match (highest, previous) {
            (None, Some(_)) => true,
            (Some(h), Some(p)) => h > p,
            _ => false,
        };
        for ((s, t, _), state) in self.sinks.iter_mut() {
            if *s == source && *t == track_id {
                state.chosen_at = None;
                if raised {
                    state.choice.hurry();
                }
            }
        }
    }

    /// The SSRCs of `source`'s Track `track_id`'s layers, if it is a simulcast Track.
    pub fn ssrcs(&self, source: PeerId, track_id: &str) -> Vec<u32> {
        self.tracks
            .get(&(source, track_id.to_owned()))
            .map(|t| t.ssrcs.iter().flatten().copied().collect())
            .unwrap_or_default()
    }

    /// What `sink` (whose connection's link is `link`) is sent of `packet` (layer `layer` of
    /// `source`'s Track `track_id`): the packet with its numbers rewritten, or nothing. A key
    /// frame the sink waits for is added to `asks`; a probe the layer choice wants is ordered
    /// on the link.
    #[allow(clippy::too_many_arguments)]
    pub fn for_sink(
        &mut self,
        now: Instant,
        source: PeerId,
        track_id: &str,
        sink: Sink,
        link: &SinkLink<'_>,
        layer: usize,
        packet: &rtp::Packet,
        asks: &mut Vec<KeyframeAsk>,
    ) -> Option<rtp::Packet> {
        let track = self.tracks.get_mut(&(source, track_id.to_owned()))?;
        let state = self
            .sinks
            .entry((source, track_id.to_owned(), sink))
            .or_default();
        // Every half second, and as soon as a probe in flight can pass: a passed step is
        // followed by the next at once (at the next packet), so a climb of several steps is not
        // held up by the choice's grain (on P6's recovery, three steps cost 2 s each at it).
        let due = std::mem::take(&mut state.again)
            || state
                .chosen_at
                .is_none_or(|t| now.saturating_duration_since(t) >= CHOOSE_EVERY)
            || state
                .choice
                .verdict_due(link.rtt)
                .is_some_and(|due| now >= due);
        if due {
            // Until the link is estimated, the middle of what arrives.
            let budget = match link.estimate_bps {
                Some(bps) => bps * VIDEO_SHARE - AUDIO_BPS,
                None => 700_000.0,
            };
            // The chosen layer and those under it at what they send now; those above at the
            // most they sent lately, what a switch up to one would cost (a layer the encoder
            // has just restarted sends little for a few seconds).
            let now_rates = track.rates.rates(now);
            let peaks = track.rates.peaks(now);
            let above = state.choice.chosen().map_or(0, |c| c + 1);
            let mut rates: Vec<Option<f64>> = now_rates
                .iter()
                .zip(&peaks)
                .enumerate()
                .map(|(i, (rate, peak))| if i < above { *rate } else { *peak })
                .collect();
            if link.loss_permille >= LOSSY_PERMILLE
                && link.rtt.is_some_and(|rtt| rtt >= LONG_ROUND_TRIP)
            {
                if state.lossy_at.is_none() {
                    tracing::debug!(conn = %sink.conn, loss_permille = link.loss_permille, rtt = ?link.rtt, "a long lossy link: the lowest layer");
                }
                state.lossy_at = Some(now);
            }
            let lossy = state
                .lossy_at
                .is_some_and(|t| now.saturating_duration_since(t) < LOSSY_HOLD);
            let cap = self.caps.get(&(source, track_id.to_owned())).copied();
            let lowest = rates.iter().position(Option::is_some);
            let highest = match (cap, lossy.then_some(lowest).flatten()) {
                (Some(c), Some(l)) => Some(c.min(l)),
                (c, l) => c.or(l),
            };
            if let Some(highest) = highest {
                for rate in rates.iter_mut().skip(highest + 1) {
                    *rate = None;
                }
            }
            let view = link.probe.able().then(|| ProbeView {
                fulls: link.probe.fulls(),
                rtt: link.rtt,
            });
            let choice = state.choice.choose_probing(now, budget, &rates, view);
            tracing::trace!(conn = %sink.conn, ?now_rates, budget, layer = ?choice.layer, "a Subscriber's layer chosen");
            if let Some(step) = choice.probe {
                tracing::debug!(conn = %sink.conn, ?step, layer = ?choice.layer, "a probe of a Subscriber's link");
            }
            state.chosen_at = Some(now);
            match choice.probe {
                Some(ProbeStep::Start { extra_bps }) => link.probe.order(Order {
                    extra_bps,
                    until: now + PROBE_LENGTH,
                }),
                // The estimate the layer needs, with the probe's margin; and the next choice
                // at the next packet (the next step, if this was one).
                Some(ProbeStep::Passed { video_bps }) => {
                    link.probe
                        .prove((video_bps * PROBE_MARGIN + AUDIO_BPS) / VIDEO_SHARE);
                    state.again = true;
                }
                None => {}
            }
            state.forwarder.set_target(choice.layer);
            // Down because the link no longer carries the current layer: its further frames
            // would queue on the link ahead of the lower layer's key frame and be lost with it
            // (on P6's drop to 300 kbit/s the key frame came 1.5 s after the switch, through a
            // full queue losing a third of what it took). Held, the queue drains while the key
            // frame is on its way. A switch down for a cap (a smaller tile) keeps the picture
            // moving until then.
            let current = state.forwarder.current();
            let overflowing = current
                .and_then(|c| now_rates.get(c).copied().flatten())
                .is_some_and(|rate| rate > budget);
            if overflowing && choice.layer < current && !state.forwarder.held() {
                tracing::debug!(conn = %sink.conn, from = ?current, to = ?choice.layer, "a Subscriber's layer held until the lower one's key frame");
                state.forwarder.hold();
            }
        }
        if state.forwarder.waits_for_keyframe() {
            if let Some(target) = state.forwarder.target() {
                let due = track.asked[target]
                    .is_none_or(|t| now.saturating_duration_since(t) >= KEYFRAME_GAP);
                if let (true, Some(ssrc)) = (due, track.ssrcs[target]) {
                    track.asked[target] = Some(now);
                    asks.push(KeyframeAsk {
                        source,
                        track_id: track_id.to_owned(),
                        ssrc,
                    });
                }
            }
        }
        let parsed = vp8::parse(&packet.payload).ok();
        let incoming = Incoming {
            layer,
            seq: packet.header.sequence_number,
            timestamp: packet.header.timestamp,
            vp8: parsed,
        };
        let before = state.forwarder.current();
        let forward = state.forwarder.forward(now, &incoming);
        if state.forwarder.current() != before {
            tracing::debug!(conn = %sink.conn, from = ?before, to = ?state.forwarder.current(), "a Subscriber's layer switched (at a key frame)");
        }
        match forward {
            Forward::Drop => None,
            Forward::Send {
                seq,
                timestamp,
                picture_id,
                tl0picidx,
            } => {
                let mut out = packet.clone();
                out.header.sequence_number = seq;
                out.header.timestamp = timestamp;
                if let Some(p) = parsed.filter(|p| p.picture_id.is_some() || p.tl0picidx.is_some())
                {
                    let mut payload = BytesMut::from(&packet.payload[..]);
                    vp8::rewrite(&mut payload, &p, picture_id, tl0picidx);
                    out.payload = payload.freeze();
                }
                Some(out)
            }
        }
    }

    /// The layer `sink` receives of `source`'s Track `track_id` now, if any.
    pub fn current(&self, source: PeerId, track_id: &str, sink: Sink) -> Option<usize> {
        self.sinks
            .get(&(source, track_id.to_owned(), sink))
            .and_then(|s| s.forwarder.current())
    }

    /// How much of the picture `sink` gets of `source`'s Track `track_id`: paused when no layer
    /// fits its link, the layer it receives, or `None` while it waits for its first key frame.
    pub fn picture(&self, source: PeerId, track_id: &str, sink: Sink) -> Option<Picture> {
        let state = self.sinks.get(&(source, track_id.to_owned(), sink))?;
        match (state.forwarder.target(), state.forwarder.current()) {
            (None, _) if state.chosen_at.is_some() => Some(Picture::Paused),
            (_, Some(layer)) => Some(Picture::Layer(layer.min(usize::from(u8::MAX)) as u8)),
            _ => None,
        }
    }

    /// A connection closed: its Tracks and its sinks go.
    pub fn forget(&mut self, conn: PeerId) {
        self.tracks.retain(|(source, _), _| *source != conn);
        self.caps.retain(|(source, _), _| *source != conn);
        self.sinks
            .retain(|(source, _, sink), _| *source != conn && sink.conn != conn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::probe::PROBE_SETTLE;
    use bytes::Bytes;

    /// A link estimated at `bps` that cannot be probed.
    fn estimated(bps: f64, probe: &LinkProbe) -> SinkLink<'_> {
        SinkLink {
            estimate_bps: Some(bps),
            probe,
            rtt: None,
            loss_permille: 0,
        }
    }

    /// Step `i` of a two-layer Track from `source` (a packet per layer every 20 ms after `t`, a
    /// key frame every 0.5 s), received and offered to `sink` over `link`.
    #[allow(clippy::too_many_arguments)]
    fn two_layer_step(
        layers: &mut Layers,
        t: Instant,
        i: u32,
        source: PeerId,
        sink: Sink,
        link: &SinkLink<'_>,
        asks: &mut Vec<KeyframeAsk>,
    ) {
        let at = t + Duration::from_millis(u64::from(i) * 20);
        let (seq, key) = (i as u16, i.is_multiple_of(25));
        let low = vp8_packet(100, seq, key, 400);
        let high = vp8_packet(300, 1000u16.wrapping_add(seq), key, 1000);
        layers.received(at, source, "cam", 0, &low);
        layers.received(at, source, "cam", 1, &high);
        for (layer, p) in [(0, &low), (1, &high)] {
            layers.for_sink(at, source, "cam", sink, link, layer, p, asks);
        }
    }

    #[test]
    fn rids_name_layers_zero_to_three_only() {
        assert_eq!(layer_of_rid("0"), Some(0));
        assert_eq!(layer_of_rid("3"), Some(3));
        for bad in ["4", "q", "", "00", "-1", "1 ", "999999999999999999999"] {
            assert_eq!(layer_of_rid(bad), None, "{bad:?}");
        }
    }

    fn vp8_packet(ssrc: u32, seq: u16, key: bool, size: usize) -> rtp::Packet {
        let mut payload = vec![
            0x90,
            0xC0,
            0x80,
            seq as u8,
            1,
            if key { 0x10 } else { 0x11 },
        ];
        payload.resize(size, 0);
        rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                payload_type: 96,
                sequence_number: seq,
                timestamp: u32::from(seq) * 3000,
                ssrc,
                ..Default::default()
            },
            payload: Bytes::from(payload),
        }
    }

    #[test]
    fn a_weak_sink_gets_the_low_layer_and_a_strong_one_the_high() {
        let t = Instant::now();
        let source = PeerId(1);
        let weak = Sink {
            conn: PeerId(2),
            track: 0,
        };
        let strong = Sink {
            conn: PeerId(3),
            track: 0,
        };
        let mut layers = Layers::default();
        let unprobed = LinkProbe::default();
        let mut asks = Vec::new();
        // A second of both layers: layer 0 ~160 kbit/s, layer 2 ~1.2 Mbit/s.
        let mut sent = (0, 0);
        for i in 0..50u16 {
            let at = t + Duration::from_millis(u64::from(i) * 20);
            let low = vp8_packet(100, i, i % 25 == 0, 400);
            let high = vp8_packet(300, 1000 + i, i % 25 == 0, 3000);
            layers.received(at, source, "cam", 0, &low);
            layers.received(at, source, "cam", 2, &high);
            if i < 25 {
                continue; // the rates cover half a second first
            }
            for (sink, est) in [(weak, 400_000.0), (strong, 3_000_000.0)] {
                for (layer, p) in [(0, &low), (2, &high)] {
                    if let Some(out) = layers.for_sink(
                        at,
                        source,
                        "cam",
                        sink,
                        &estimated(est, &unprobed),
                        layer,
                        p,
                        &mut asks,
                    ) {
                        if sink == weak {
                            assert_eq!(out.header.ssrc, 100);
                            sent.0 += 1;
                        } else {
                            assert_eq!(out.header.ssrc, 300);
                            sent.1 += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(layers.current(source, "cam", weak), Some(0));
        assert_eq!(layers.current(source, "cam", strong), Some(2));
        assert_eq!(layers.picture(source, "cam", weak), Some(Picture::Layer(0)));
        // A link that carries not even the lowest layer: paused.
        let hopeless = Sink {
            conn: PeerId(4),
            track: 0,
        };
        let at = t + Duration::from_secs(1);
        let p = vp8_packet(100, 60, false, 400);
        assert!(layers
            .for_sink(
                at,
                source,
                "cam",
                hopeless,
                &estimated(60_000.0, &unprobed),
                0,
                &p,
                &mut asks
            )
            .is_none());
        assert_eq!(
            layers.picture(source, "cam", hopeless),
            Some(Picture::Paused)
        );
        assert_eq!(sent, (25, 25));
        assert_eq!(layers.ssrcs(source, "cam").len(), 2);
        layers.forget(source);
        assert!(layers.ssrcs(source, "cam").is_empty());
        assert!(layers.sinks.is_empty());
    }

    /// A two-layer Track (layer 0 ~170 kbit/s, layer 1 ~420 kbit/s, a packet each per 20 ms, a
    /// key frame each every 0.8 s) to `sink`, whose link is estimated at `estimate(i)` at step
    /// `i`; `before(layers, i)` runs first at each step. Returns, per step, the SSRC and number
    /// of the packet sent, if any.
    fn sent_over_steps(
        steps: u16,
        estimate: impl Fn(u16) -> f64,
        mut before: impl FnMut(&mut Layers, u16),
    ) -> Vec<Option<(u32, u16)>> {
        let t = Instant::now();
        let (source, sink) = (
            PeerId(1),
            Sink {
                conn: PeerId(2),
                track: 0,
            },
        );
        let mut layers = Layers::default();
        let probe = LinkProbe::default();
        let mut asks = Vec::new();
        (0..steps)
            .map(|i| {
                before(&mut layers, i);
                let at = t + Duration::from_millis(u64::from(i) * 20);
                let key = i % 40 == 0;
                let low = vp8_packet(100, i, key, 400);
                let high = vp8_packet(300, 1000 + i, key, 1000);
                layers.received(at, source, "cam", 0, &low);
                layers.received(at, source, "cam", 1, &high);
                let link = estimated(estimate(i), &probe);
                let mut out = None;
                for (layer, p) in [(0, &low), (1, &high)] {
                    if let Some(copy) =
                        layers.for_sink(at, source, "cam", sink, &link, layer, p, &mut asks)
                    {
                        out = Some((copy.header.ssrc, copy.header.sequence_number));
                    }
                }
                out
            })
            .collect()
    }

    #[test]
    fn a_layer_the_link_no_longer_carries_is_held_until_the_lower_one_s_key_frame() {
        // The link drops from 3 Mbit/s to 300 kbit/s at step 30; the next choice (step 50)
        // picks layer 0, whose next key frame is at step 80.
        let sent = sent_over_steps(90, |i| if i < 30 { 3e6 } else { 3e5 }, |_, _| {});
        assert!(sent[..50]
            .iter()
            .all(|s| s.is_some_and(|(ssrc, _)| ssrc == 300)));
        assert!(
            sent[50..80].iter().all(Option::is_none),
            "layer 1's frames after the choice are held back: {:?}",
            &sent[50..80]
        );
        let last = sent[49].map(|(_, seq)| seq);
        assert_eq!(sent[80], last.map(|seq| (100, seq.wrapping_add(1))));
    }

    #[test]
    fn a_switch_down_for_a_cap_keeps_the_picture_moving_until_the_key_frame() {
        let sent = sent_over_steps(
            90,
            |_| 3e6,
            |layers, i| {
                if i == 30 {
                    layers.cap(PeerId(1), "cam", Some(0));
                }
            },
        );
        // Capped at step 30; layer 0's next key frame is at step 40.
        assert!(sent[..40]
            .iter()
            .all(|s| s.is_some_and(|(ssrc, _)| ssrc == 300)));
        assert_eq!(sent[40].map(|(ssrc, _)| ssrc), Some(100));
    }

    #[test]
    fn on_a_link_that_can_be_probed_the_switch_up_comes_after_a_probe_that_passed() {
        let t = Instant::now();
        let source = PeerId(1);
        let sink = Sink {
            conn: PeerId(2),
            track: 0,
        };
        let mut layers = Layers::default();
        let mut asks = Vec::new();
        let probe = LinkProbe::default();
        probe.set_able();
        let mut estimate = 400_000.0;
        let mut ordered = None;
        let mut orders = 0;
        let mut proven = None;
        // 30 s of two layers (key frames every second), on a link estimated at 400 kbit/s: the
        // low layer. After the hold the next layer that arrives, the high one, is probed, in
        // steps of at most 1.15 times the video budget, each raising the estimate.
        for i in 0..1500u16 {
            let at = t + Duration::from_millis(u64::from(i) * 20);
            let low = vp8_packet(100, i, i % 50 == 0, 400);
            let high = vp8_packet(300, 1000 + i, i % 50 == 0, 3000);
            layers.received(at, source, "cam", 0, &low);
            layers.received(at, source, "cam", 2, &high);
            let link = SinkLink {
                estimate_bps: Some(estimate),
                probe: &probe,
                rtt: Some(Duration::from_millis(50)),
                loss_permille: 0,
            };
            for (layer, p) in [(0, &low), (2, &high)] {
                layers.for_sink(at, source, "cam", sink, &link, layer, p, &mut asks);
            }
            if let Some(bps) = probe.take_proven() {
                let (started, order): (Instant, Order) = ordered.expect("a probe before it passed");
                // Passed as soon as its packets' feedback can have come (a round trip of 50
                // ms), within a packet's 20 ms.
                let settled = PROBE_LENGTH + PROBE_SETTLE + Duration::from_millis(50);
                let took = at.saturating_duration_since(started);
                assert!(
                    took >= settled && took <= settled + Duration::from_millis(20),
                    "passed {took:?} after it started"
                );
                if proven.is_none() {
                    assert!(at > order.until, "only once its packets settled");
                    assert_eq!(layers.current(source, "cam", sink), Some(0), "a step");
                }
                proven = Some((at, bps));
                estimate = estimate.max(bps);
            }
            if let Some(order) = probe.order_at(at) {
                if ordered.is_none_or(|(_, o): (Instant, Order)| o != order) {
                    orders += 1;
                    if let Some((passed_at, _)) = proven {
                        // The next step follows a passed one at once, not at the choice's
                        // half-second grain.
                        assert!(
                            at.saturating_duration_since(passed_at) <= Duration::from_millis(40),
                            "the next step {:?} after the last passed",
                            at.saturating_duration_since(passed_at)
                        );
                    }
                    if ordered.is_none() {
                        assert_eq!(layers.current(source, "cam", sink), Some(0));
                        assert!(
                            (150_000.0..300_000.0).contains(&order.extra_bps),
                            "the first step: {order:?}"
                        );
                        assert_eq!(order.until, at + PROBE_LENGTH);
                    }
                    ordered = Some((at, order));
                }
            }
        }
        // The high layer sends 3,012-byte packets 50 times a second (~1.2 Mbit/s), the low one
        // 412-byte ones (~165 kbit/s): the switch would add ~1.2 Mbit/s with margin, but the
        // first step adds only what takes the video to 1.15 x the budget (330 kbit/s).
        assert!(orders >= 3, "{orders} probes");
        let (_, bps) = proven.expect("the probes passed");
        assert!(bps > 1_200_000.0, "{bps}");
        assert_eq!(layers.current(source, "cam", sink), Some(2));
    }

    #[test]
    fn a_capped_track_sends_no_sink_above_its_cap() {
        let t = Instant::now();
        let source = PeerId(1);
        let sink = Sink {
            conn: PeerId(2),
            track: 0,
        };
        let mut layers = Layers::default();
        let unprobed = LinkProbe::default();
        let mut asks = Vec::new();
        // Capped before the Track arrives (a classroom's camera, small in the teacher's grid).
        layers.cap(source, "cam", Some(0));
        let link = estimated(5_000_000.0, &unprobed);
        let mut run = |layers: &mut Layers, from: u32, count: u32| {
            for i in from..from + count {
                two_layer_step(layers, t, i, source, sink, &link, &mut asks);
            }
        };
        run(&mut layers, 0, 50);
        assert_eq!(layers.current(source, "cam", sink), Some(0));
        // The classroom takes the floor: the layer its link carries (the high one), at the next
        // key frame, without the 5 s hold of a switch up (a key frame every 0.5 s here).
        layers.cap(source, "cam", None);
        run(&mut layers, 50, 30);
        assert_eq!(layers.current(source, "cam", sink), Some(1));
        // And gives it back: down at the next key frame, without a hold.
        layers.cap(source, "cam", Some(0));
        run(&mut layers, 80, 50);
        assert_eq!(layers.current(source, "cam", sink), Some(0));
        layers.forget(source);
        assert!(layers.caps.is_empty());
    }

    #[test]
    fn a_sink_waiting_for_its_layer_asks_for_a_key_frame_at_most_every_half_second() {
        let t = Instant::now();
        let source = PeerId(1);
        let sink = Sink {
            conn: PeerId(2),
            track: 0,
        };
        let mut layers = Layers::default();
        let unprobed = LinkProbe::default();
        let mut asks = Vec::new();
        for i in 0..100u16 {
            let at = t + Duration::from_millis(u64::from(i) * 20);
            let p = vp8_packet(100, i, false, 400);
            layers.received(at, source, "cam", 0, &p);
            assert!(layers
                .for_sink(
                    at,
                    source,
                    "cam",
                    sink,
                    &estimated(1_000_000.0, &unprobed),
                    0,
                    &p,
                    &mut asks
                )
                .is_none());
        }
        // Two seconds without a key frame: asked at 0, 0.5, 1 and 1.5 s.
        assert_eq!(asks.len(), 4, "{asks:?}");
        assert!(asks.iter().all(|a| a.ssrc == 100 && a.source == source));
    }

    #[test]
    fn a_long_lossy_link_gets_the_lowest_layer_for_a_while() {
        let t = Instant::now();
        let source = PeerId(1);
        let sink = Sink {
            conn: PeerId(2),
            track: 0,
        };
        let mut layers = Layers::default();
        let unprobed = LinkProbe::default();
        let mut asks = Vec::new();
        // 5 Mbit/s estimated: room for both layers. `loss` per mille, 600 ms round trip.
        let mut run = |layers: &mut Layers, from: u32, count: u32, loss: u16| {
            let link = SinkLink {
                estimate_bps: Some(5_000_000.0),
                probe: &unprobed,
                rtt: Some(Duration::from_millis(600)),
                loss_permille: loss,
            };
            for i in from..from + count {
                two_layer_step(layers, t, i, source, sink, &link, &mut asks);
            }
        };
        // 1% loss: the high layer.
        run(&mut layers, 0, 50, 10);
        assert_eq!(layers.current(source, "cam", sink), Some(1));
        // 5%: down to the low one at the next key frame.
        run(&mut layers, 50, 50, 50);
        assert_eq!(layers.current(source, "cam", sink), Some(0));
        // The loss readings dip under 3% now and then: it stays down for 20 s after the last
        // lossy one, then goes up (after the usual hold).
        run(&mut layers, 100, 500, 20);
        assert_eq!(layers.current(source, "cam", sink), Some(0), "held 10 s on");
        run(&mut layers, 600, 1000, 20);
        assert_eq!(
            layers.current(source, "cam", sink),
            Some(1),
            "up once it has passed"
        );
    }
}
