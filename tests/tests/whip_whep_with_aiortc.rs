//! WHIP ingest and WHEP playback, checked with aiortc (Python), a WebRTC stack other than the
//! relay's: an OBS-style publisher sends over WHIP with the teacher's token, a WHEP player with
//! an observer token decodes the video; DELETE on each Location ends its resource.
//!
//! aiortc runs inside a network namespace this test creates (it would otherwise offer this
//! machine's own addresses); the relay listens on the namespace's veth peer.

use serde_json::Value;
use shared::ids::Role;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tests::netns::TestNet;
use tests::relay::{TestRelay, LESSON};

/// The Python with aiortc that `scripts/setup.sh` installs.
fn aiortc_python() -> PathBuf {
    let path = std::env::var_os("TONGPIN_AIORTC_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_default();
            Path::new(&home).join(".cache/tongpin-tools/aiortc-venv/bin/python")
        });
    assert!(
        path.exists(),
        "aiortc is not installed at {}: run scripts/setup.sh",
        path.display()
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whip_publisher_reaches_a_whep_player_decoded() {
    let python = aiortc_python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("aiortc/whip_whep_check.py");
    let net = TestNet::create("whip");
    let relay = TestRelay::start_at(&net.host_ip, 0, &[]).await;
    let teacher = relay.token(Role::Teacher);
    let viewer = relay.token(Role::Observer);
    let run = net
        .command(&python.to_string_lossy())
        .arg(&script)
        .args([&relay.base, &LESSON.0.to_string(), &teacher, &viewer, "6"])
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the aiortc check finishes in time")
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "aiortc check failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().last().unwrap_or_default();
    let result: Value = serde_json::from_str(line).expect("a JSON line");
    let frames = result["frames"].as_u64().unwrap_or(0);
    assert!(
        frames > 30,
        "the WHEP player decoded only {frames} frames: {result}"
    );
    assert_eq!(result["width"], 640, "{result}");
    assert!(
        result["audio_frames"].as_u64().unwrap_or(0) > 50,
        "the WHEP player decoded audio: {result}"
    );
    assert_eq!(result["whep_delete"], 200, "{result}");
    assert_eq!(result["whip_delete"], 200, "{result}");
    assert_eq!(
        result["whip_delete_again"], 404,
        "a resource ended by DELETE is gone: {result}"
    );
}
