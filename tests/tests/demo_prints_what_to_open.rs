//! The README's first command ends in `relay demo`: it prints the links to open, the bureau's
//! login, and the lesson's WHIP and WHEP URLs with their bearer tokens, and those work.

use std::process::Stdio;
use std::time::Duration;
use tests::relay::relay_binary;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn the_demo_prints_links_and_working_whip_and_whep_urls() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(relay_binary())
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .arg("demo")
        .env("RUST_LOG", "error")
        // Any free media port: the default one may be held by a relay the developer runs.
        .env("TONGPIN_MEDIA_PORT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the relay");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut out = Vec::new();
    let read = async {
        while let Ok(Some(line)) = lines.next_line().await {
            let done = line.starts_with("relay listening on ");
            out.push(line);
            if done {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the demo starts");
    let text = out.join("\n");
    for expected in [
        "/lesson#token=",
        "/console",
        "/lessons/1/whip",
        "/lessons/1/whep",
    ] {
        assert!(
            text.contains(expected),
            "the demo prints {expected}:\n{text}"
        );
    }
    // The printed WHIP token is the teacher's: it passes the bearer check (the empty offer is then
    // refused as not SDP, which proves the token got through).
    let url_after = |marker: &str| -> (String, String) {
        let i = out
            .iter()
            .position(|l| l.trim_end().ends_with(marker))
            .unwrap_or_else(|| panic!("{marker} in the output"));
        let url = out[i].trim().to_string();
        let token = out[i + 1]
            .trim()
            .strip_prefix("token: ")
            .expect("a token line after the URL")
            .to_string();
        (url, token)
    };
    let (whip, teacher) = url_after("/whip");
    let (whep, observer) = url_after("/whep");
    let status = |url: String, token: String| async move {
        let (host, path) = url
            .strip_prefix("http://")
            .and_then(|r| r.split_once('/'))
            .expect("an http URL");
        let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let request = format!(
            "POST /{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/sdp\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("read");
        response
    };
    let r = status(whip, teacher).await;
    assert!(
        r.starts_with("HTTP/1.1 400"),
        "the teacher's token is accepted for WHIP: {r}"
    );
    let r = status(whep, observer).await;
    assert!(
        r.starts_with("HTTP/1.1 400") || r.starts_with("HTTP/1.1 503"),
        "the observer's token is accepted for WHEP: {r}"
    );
    let _ = child.kill().await;
}
