//! A classroom whose firewall lets neither UDP nor TCP reach the relay's media port, but does
//! let TCP (or, second site, UDP) reach its TURN port, still has the lesson: its Chromium
//! allocates a relayed address on the relay's embedded TURN server (`--turn-port`) with the
//! credentials the relay handed its page, and its media goes through it. The link emulator
//! drops every TCP and UDP packet to or from the media port (and in the first site every UDP
//! packet); the teacher's school is not blocked. Each site runs on a link of its own, with its
//! own relay address.
//!
//! The third site has no plain TURN port at all, only TURN over TLS (`--turn-tls-port`, a
//! certificate made for the relay's address on the link): with UDP blocked and the media port
//! closed, `turns:` is the classroom's only way. Its Chromium trusts the test certificate by
//! its key's hash (`--ignore-certificate-errors-spki-list`), as it verifies `turns:` servers
//! like web sites.

use tests::link::pipeline::Settings;
use tests::link::profiles::{Profile, P5_UDP_BLOCKED};
use tests::rural::{Camera, Extras, RuralDsl};
use tests::tls::TestCertificate;
/// The relay listens on the link's own address, so fixed ports clash with no other test.
const MEDIA_PORT: u16 = 21_531;
const TURN_PORT: u16 = 21_532;
const TURN_TLS_PORT: u16 = 21_533;

/// One site at a time: two at once would be four Chromiums on two cores.
static ONE_SITE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// UDP blocked and the media port closed, so TURN over TCP; then only the media port closed, so
/// TURN over UDP (or TCP).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classroom_that_reaches_only_the_turn_port_has_the_lesson() {
    let _one = ONE_SITE.lock().await;
    turn_only(true).await;
    turn_only(false).await;
}

/// The link's settings with the media port closed (and UDP too if `block_udp`).
fn media_port_closed(block_udp: bool) -> Profile {
    let closed = Settings {
        block_port: MEDIA_PORT,
        block_udp,
        ..P5_UDP_BLOCKED.down
    };
    Profile {
        name: "media port closed",
        down: closed,
        up: closed,
        ..P5_UDP_BLOCKED
    }
}

/// Asserts that the link dropped the classroom's tries at the media port.
fn tried_the_media_port(site: &RuralDsl) -> serde_json::Value {
    let stats = site.link.stats();
    let blocked = |dir: &str| stats[dir]["dropped_blocked"].as_u64().unwrap_or(0);
    assert!(
        blocked("up") > 0,
        "the classroom's browser tried the media port and the link dropped it: {stats}"
    );
    stats
}

async fn turn_only(block_udp: bool) {
    let profile = media_port_closed(block_udp);
    let (media, turn) = (MEDIA_PORT.to_string(), TURN_PORT.to_string());
    let site = RuralDsl::start_with(
        &profile,
        Camera::Default,
        &["--media-port", &media, "--turn-port", &turn],
    )
    .await;

    let (from, to) = site.plays_both_ways("through TURN").await;
    let stats = tried_the_media_port(&site);
    eprintln!(
        "TURN only (UDP blocked: {block_udp}): {from:?} -> {to:?}; emulator counters {stats}"
    );
    site.close().await;
}

/// UDP blocked, the media port closed, no plain TURN port: only `turns:` on [`TURN_TLS_PORT`].
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classroom_that_reaches_only_the_tls_turn_port_has_the_lesson() {
    let _one = ONE_SITE.lock().await;
    let dir = tempfile::tempdir().expect("a folder for the certificate");
    let site = RuralDsl::start_configured(&media_port_closed(true), Camera::Default, |relay_ip| {
        let made = TestCertificate::create(dir.path(), relay_ip);
        let mut relay_options = vec!["--media-port".into(), MEDIA_PORT.to_string()];
        relay_options.extend(made.relay_options(TURN_TLS_PORT));
        Extras {
            relay_options,
            classroom_flags: vec![format!(
                "--ignore-certificate-errors-spki-list={}",
                made.spki
            )],
        }
    })
    .await;

    let (from, to) = site.plays_both_ways("through TURN over TLS").await;
    let stats = tried_the_media_port(&site);
    eprintln!("TURN over TLS only: {from:?} -> {to:?}; emulator counters {stats}");
    site.close().await;
}
