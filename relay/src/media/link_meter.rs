//! What a Subscriber's link showed lately, shared between the connection's estimator (which
//! writes it from the Subscriber's transport-wide feedback, [`super::estimator`]) and the
//! lesson (which reports it to the teacher, [`super::lesson`]). Plain atomics: the estimator
//! runs on the driver's worker, the lesson reads from anywhere, neither waits.

use shared::link::Picture;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::Notify;

/// One reading ([`LinkMeter::read`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkReading {
    /// Packets lost over the last second, per mille.
    pub loss_permille: u16,
    /// The smallest round trip of the last two seconds (queueing included), milliseconds.
    pub rtt_ms: u32,
    /// What arrived over the last second, bits per second.
    pub delivered_bps: u64,
    /// Feedback batches read so far: a reading with none is no reading.
    pub feedbacks: u64,
    /// How much of the picture the connection carries (written by the driver's worker for a
    /// simulcast Track).
    pub picture: Picture,
}

#[derive(Clone, Debug, Default)]
pub struct LinkMeter(Arc<Meter>);

#[derive(Debug, Default)]
struct Meter {
    loss_permille: AtomicU32,
    rtt_ms: AtomicU32,
    delivered_bps: AtomicU64,
    feedbacks: AtomicU64,
    /// 0: whole; 1: paused; 2 + n: layer n.
    picture: AtomicU32,
    /// The connection's packets travel over TCP (ICE-TCP, or TURN over TCP or TLS), written by
    /// the driver's worker.
    over_tcp: AtomicBool,
    /// Told when the picture changes (the lesson's, which reports it at once).
    on_picture: OnceLock<Arc<Notify>>,
    /// A queue stands on the link (the estimator says: [`super::estimator::STANDING`]).
    congested: AtomicBool,
}

impl LinkMeter {
    /// The latest reading; `None` before the first feedback.
    pub fn read(&self) -> Option<LinkReading> {
        let m = &self.0;
        let feedbacks = m.feedbacks.load(Ordering::Relaxed);
        (feedbacks > 0).then(|| LinkReading {
            loss_permille: m.loss_permille.load(Ordering::Relaxed).min(1000) as u16,
            rtt_ms: m.rtt_ms.load(Ordering::Relaxed),
            delivered_bps: m.delivered_bps.load(Ordering::Relaxed),
            feedbacks,
            picture: match m.picture.load(Ordering::Relaxed) {
                0 => Picture::Whole,
                1 => Picture::Paused,
                n => Picture::Layer((n - 2).min(u32::from(u8::MAX)) as u8),
            },
        })
    }

    /// Whether the connection's packets now travel over TCP: ICE-TCP, or TURN over TCP or TLS
    /// (the driver's worker says, for each datagram it hands the connection).
    pub fn set_over_tcp(&self, tcp: bool) {
        self.0.over_tcp.store(tcp, Ordering::Relaxed);
    }

    /// The connection's packets arrive over TCP: a lost segment holds up every packet behind it
    /// for a round trip, which the estimator must not take for a full link.
    pub fn over_tcp(&self) -> bool {
        self.0.over_tcp.load(Ordering::Relaxed)
    }

    /// Whether a queue stands on the link now: it carries less than the relay sends.
    pub fn set_congested(&self, congested: bool) {
        self.0.congested.store(congested, Ordering::Relaxed);
    }

    /// A queue stands on the link: the copy of the sound before each packet (RED) only adds to
    /// it, so the connection sends the sound plain ([`super::red::for_link`]).
    pub fn congested(&self) -> bool {
        self.0.congested.load(Ordering::Relaxed)
    }

    /// How much of the picture the connection carries now; a change is told to whoever
    /// [`LinkMeter::tell_pictures`] named.
    pub fn set_picture(&self, picture: Picture) {
        let code = match picture {
            Picture::Whole => 0,
            Picture::Paused => 1,
            Picture::Layer(n) => 2 + u32::from(n),
        };
        let before = self.0.picture.swap(code, Ordering::Relaxed);
        if before != code {
            if let Some(notify) = self.0.on_picture.get() {
                notify.notify_one();
            }
        }
    }

    /// From now on each change of the picture wakes `notify` (once: a second call is ignored).
    pub fn tell_pictures(&self, notify: Arc<Notify>) {
        let _ = self.0.on_picture.set(notify);
    }

    /// A new reading: `loss` a share (0-1), `rtt` in seconds, `delivered` bits per second.
    pub fn write(&self, loss: f64, rtt: Option<f64>, delivered: f64) {
        let m = &self.0;
        let permille = (loss.clamp(0.0, 1.0) * 1000.0).round() as u32;
        m.loss_permille.store(permille, Ordering::Relaxed);
        if let Some(rtt) = rtt.filter(|r| r.is_finite()) {
            let ms = (rtt.max(0.0) * 1000.0).round().min(f64::from(u32::MAX)) as u32;
            m.rtt_ms.store(ms, Ordering::Relaxed);
        }
        let bps = if delivered.is_finite() {
            delivered.max(0.0) as u64
        } else {
            0
        };
        m.delivered_bps.store(bps, Ordering::Relaxed);
        m.feedbacks.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_read_before_the_first_feedback() {
        assert_eq!(LinkMeter::default().read(), None);
    }

    #[test]
    fn a_reading_is_what_was_written_clamped() {
        let meter = LinkMeter::default();
        let reader = meter.clone();
        meter.write(0.0123, Some(0.0815), 1_234_567.8);
        assert_eq!(
            reader.read(),
            Some(LinkReading {
                loss_permille: 12,
                rtt_ms: 82,
                delivered_bps: 1_234_567,
                feedbacks: 1,
                picture: Picture::Whole,
            })
        );
        // Out of range or unknown: clamped, or the last round trip kept.
        meter.write(7.0, None, f64::NAN);
        assert_eq!(
            reader.read(),
            Some(LinkReading {
                loss_permille: 1000,
                rtt_ms: 82,
                delivered_bps: 0,
                feedbacks: 2,
                picture: Picture::Whole,
            })
        );
        for picture in [
            Picture::Paused,
            Picture::Layer(0),
            Picture::Layer(2),
            Picture::Whole,
        ] {
            meter.set_picture(picture);
            assert_eq!(reader.read().map(|r| r.picture), Some(picture));
        }
    }

    #[tokio::test]
    async fn a_change_of_picture_is_told_and_the_same_picture_again_is_not() {
        let meter = LinkMeter::default();
        let told = Arc::new(Notify::new());
        meter.tell_pictures(told.clone());
        let woken = || tokio::time::timeout(std::time::Duration::from_millis(20), told.notified());
        meter.set_picture(Picture::Layer(1));
        assert!(woken().await.is_ok());
        meter.set_picture(Picture::Layer(1));
        assert!(woken().await.is_err(), "the same picture is no change");
        meter.set_picture(Picture::Layer(0));
        assert!(woken().await.is_ok());
    }
}
