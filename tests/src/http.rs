//! A plain HTTP/1.1 request to the relay over a TCP socket (for WHIP/WHEP, whose bodies are SDP):
//! one request per connection, `Connection: close`, the whole response read.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response: status, header lines (lower-cased names) and body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `method path` to `base` (`http://host:port`) with `token` as bearer and `body` as
/// `application/sdp`.
pub async fn request(base: &str, method: &str, path: &str, token: &str, body: &str) -> Reply {
    let headers = format!("Authorization: Bearer {token}\r\nContent-Type: application/sdp\r\n");
    exchange(base, method, path, &headers, body).await
}

/// A staff member signed in to the relay's API, for reading reports.
pub struct Staff {
    base: String,
    cookie: String,
}

impl Staff {
    /// Signs in with `login` and `password` (`POST /api/session`).
    pub async fn sign_in(base: &str, login: &str, password: &str) -> Staff {
        let body = serde_json::json!({"login": login, "password": password}).to_string();
        let reply = exchange(
            base,
            "POST",
            "/api/session",
            "Content-Type: application/json\r\n",
            &body,
        )
        .await;
        assert_eq!(reply.status, 200, "signing in as {login}: {}", reply.body);
        let cookie = reply
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_string();
        Staff {
            base: base.to_string(),
            cookie,
        }
    }

    /// `GET path` as JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let headers = format!("Cookie: {}\r\n", self.cookie);
        let reply = exchange(&self.base, "GET", path, &headers, "").await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        serde_json::from_str(&reply.body).expect("a JSON body")
    }
}

/// One request with the given header lines (each ending in CRLF) and body.
async fn exchange(base: &str, method: &str, path: &str, headers: &str, body: &str) -> Reply {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host)
        .await
        .expect("connect to the relay");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .expect("read the response");
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}
