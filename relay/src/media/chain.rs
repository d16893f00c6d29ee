//! The interceptors on each of the relay's peer connections (webrtc-rs's `rtc-interceptor`
//! chain), and the codecs' feedback they need negotiated.
//!
//! Every connection: sender and receiver reports, NACKs for what the relay receives, and
//! transport-wide feedback to the Publisher (so its browser estimates its uplink); its reports
//! about audio carry at least the worst loss of that audio's Subscribers ([`LossReport`]).
//!
//! A connection the relay sends media on (a Subscriber's) adds:
//! - [`BoundedNackResponder`] instead of `rtc-interceptor`'s unbounded one;
//! - congestion control over the Subscriber's transport-wide feedback ([`LinkEstimator`]), which
//!   drives
//! - [`SubscriberPacer`] instead of `rtc-interceptor`'s single-FIFO pacer;
//! - [`KeyframeRequests`], letting the Subscriber's PLI/FIR through to the relay.
//!
//! The transport-wide numbering and the congestion control's send history also follow each
//! video stream's retransmission SSRC ([`WithRtx`]): the pacer's link probes go out on it, and
//! the estimator must hear of them ([`super::probe`]).

use super::estimator::LinkEstimator;
use super::interceptor::{KeyframeRequests, SLOT};
use super::link_meter::LinkMeter;
use super::loss_report::{LossReport, WorstLoss};
use super::pacing::{Estimate, PacingLimits, SubscriberPacer};
use super::probe::LinkProbe;
use super::retransmit::{BoundedNackResponder, RetransmitLimits};
use super::rtx::WithRtx;
use super::throttle::Throttled;
use rtc::interceptor::{
    CongestionControlBuilder, NackGeneratorBuilder, Registry, Slot, TwccSenderBuilder,
};
use rtc::peer_connection::configuration::interceptor_registry::{
    configure_rtcp_reports, configure_simulcast_extension_headers, configure_twcc_receiver_only,
};
use rtc::peer_connection::configuration::media_engine::MediaEngine;
use rtc::rtp_transceiver::rtp_sender::{RTCPFeedback, RtpCodecKind, TYPE_RTCP_FB_TRANSPORT_CC};

/// How often congestion control prunes its send history (it keeps 2 s of it).
const HISTORY_PRUNE_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// What a connection's interceptors share with the driver: the [`Estimate`] of the
/// Subscriber's link, written by its pacer; the [`LinkMeter`], what its estimator last saw; and
/// the [`LinkProbe`] the layer choice orders probes on (none is used on other connections);
/// and on a Publisher's connection the [`WorstLoss`] of its audio's Subscribers, which its
/// reception reports carry.
#[derive(Clone, Debug, Default)]
pub struct LinkHandles {
    pub estimate: Estimate,
    pub meter: LinkMeter,
    pub probe: LinkProbe,
    pub worst_loss: WorstLoss,
}

/// The interceptors for one connection; registers in `engine` the feedback they use.
pub fn registry(
    retransmit: RetransmitLimits,
    pacing: PacingLimits,
    engine: &mut MediaEngine,
    sends_media: bool,
    link: &LinkHandles,
) -> Result<Registry, rtc::shared::error::Error> {
    configure_simulcast_extension_headers(engine)?;
    let registry = Registry::new().with(Slot::NackGenerator, NackGeneratorBuilder::new().build());
    let registry = configure_twcc_receiver_only(registry, engine)?;
    let registry = configure_rtcp_reports(registry).with(
        Slot::from(super::loss_report::SLOT),
        LossReport::new(link.worst_loss.clone()),
    );
    if !sends_media {
        return Ok(registry);
    }
    // What the Subscriber must report on: every packet carries a transport-wide number.
    for kind in [RtpCodecKind::Audio, RtpCodecKind::Video] {
        engine.register_feedback(
            RTCPFeedback {
                typ: TYPE_RTCP_FB_TRANSPORT_CC.to_owned(),
                parameter: String::new(),
            },
            kind,
        );
    }
    // The receive-only registration above covers both kinds' header extension already.
    let estimator = LinkEstimator::new(pacing.initial_bps, pacing.min_bps, pacing.max_bps)
        .with_meter(link.meter.clone())
        .with_probe(link.probe.clone());
    Ok(registry
        .with(Slot::NackResponder, BoundedNackResponder::new(retransmit))
        .with(
            Slot::TwccSender,
            WithRtx::new(TwccSenderBuilder::new().build()),
        )
        .with(
            Slot::CongestionControl,
            // Its history prune walks every packet sent in the last 2 s: not on every wake-up.
            Throttled::new(
                WithRtx::new(CongestionControlBuilder::new(estimator).build()),
                HISTORY_PRUNE_EVERY,
            ),
        )
        .with(
            Slot::Pacer,
            SubscriberPacer::with_probe(pacing, link.estimate.clone(), link.probe.clone()),
        )
        .with(Slot::from(SLOT), KeyframeRequests::default()))
}
