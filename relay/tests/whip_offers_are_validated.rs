//! WHIP and WHEP check an offer before it reaches WebRTC: one without ICE credentials or a DTLS
//! fingerprint, without media sections, with garbage lines or malformed m= lines is a 400 with a
//! clear reason (it was a 500 from deep inside webrtc-rs), and so is a simulcast offer whose
//! layers are not named 0 to 3 or are more than four; an oversized one is a 413.

mod common;

use axum::body::{to_bytes, Body};
use axum::http::{header, Method, Request, StatusCode};
use shared::ids::Role;
use tower::ServiceExt;

const FINGERPRINT: &str = "a=fingerprint:sha-256 \
    AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n";
const ICE: &str = "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n";

fn offer(session_lines: &str) -> String {
    format!(
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n{session_lines}\
         m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=setup:actpass\r\n\
         a=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\na=sendonly\r\n"
    )
}

async fn post(router: &axum::Router, body: String) -> (StatusCode, String) {
    let path = format!("/lessons/{}/whip", relay::demo::DEMO_LESSON.0);
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/sdp")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", common::token(Role::Teacher)),
        )
        .body(Body::from(body))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn malformed_offers_are_refused_with_400_before_webrtc() {
    let dir = tempfile::tempdir().unwrap();
    let router = common::router(dir.path()).await;
    for (body, says) in [
        (offer(FINGERPRINT), "ICE credentials"),
        (offer(ICE), "fingerprint"),
        (
            offer(&format!("{ICE}{}", FINGERPRINT.replace("AB:CD", "zz"))),
            "fingerprint",
        ),
        (
            offer(&format!(
                "a=ice-ufrag:abcd\r\na=ice-pwd:short\r\n{FINGERPRINT}"
            )),
            "ICE credentials",
        ),
        (
            format!("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n{ICE}{FINGERPRINT}"),
            "no audio or video",
        ),
        (
            format!("v=0\r\n\u{7f}\u{1}binary junk\r\n{}", offer(ICE)),
            "not an SDP line",
        ),
        (
            offer(ICE).replace("m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video"),
            "m= line",
        ),
        // Simulcast: layers named other than 0 to 3, or more than four of them.
        (
            offer(&format!("{ICE}{FINGERPRINT}")).replace(
                "a=sendonly\r\n",
                "a=rid:h send\r\na=rid:m send\r\na=simulcast:send h;m\r\na=sendonly\r\n",
            ),
            "rid the relay does not know",
        ),
        (
            offer(&format!("{ICE}{FINGERPRINT}")).replace(
                "a=sendonly\r\n",
                &format!(
                    "{}a=simulcast:send 0;1;2;3;4\r\na=sendonly\r\n",
                    (0..5)
                        .map(|r| format!("a=rid:{r} send\r\n"))
                        .collect::<String>()
                ),
            ),
            "at most 4",
        ),
    ] {
        let (status, reason) = post(&router, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}: {reason}");
        assert!(reason.contains(says), "{body:?}: {reason}");
    }
    let huge = format!("{}{}", offer(ICE), "a=x\r\n".repeat(20_000));
    assert_eq!(post(&router, huge).await.0, StatusCode::PAYLOAD_TOO_LARGE);
}
