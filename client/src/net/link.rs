//! The join link: `http://HOST/lesson#token=<TOKEN>`. The token sits in the URL fragment so it is
//! never sent in an HTTP request or written to a server log.

use shared::ids::LessonId;

/// The token in a location's fragment (`#token=...`, other `&`-separated keys ignored).
pub fn token_from_fragment(hash: &str) -> Option<String> {
    let hash = hash.strip_prefix('#').unwrap_or(hash);
    hash.split('&')
        .filter_map(|pair| pair.strip_prefix("token="))
        .map(percent_decode)
        .find(|t| !t.is_empty())
}

/// The lesson's WebSocket URL on the host that served the page (`wss` if the page is https).
pub fn ws_url(page_protocol: &str, host: &str, lesson: LessonId) -> String {
    let scheme = if page_protocol == "https:" {
        "wss"
    } else {
        "ws"
    };
    format!("{scheme}://{host}/lessons/{lesson}/ws")
}

/// Undoes `%XX` escapes (some chat apps escape links they pass on); invalid escapes stay as they are.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_read_from_the_fragment() {
        assert_eq!(
            token_from_fragment("#token=v1.abc.def").as_deref(),
            Some("v1.abc.def")
        );
        assert_eq!(
            token_from_fragment("#x=1&token=v1.a%2Eb.c").as_deref(),
            Some("v1.a.b.c")
        );
        assert_eq!(
            token_from_fragment("#token=a%+1%zz%").as_deref(),
            Some("a%+1%zz%")
        );
        assert_eq!(token_from_fragment(""), None);
        assert_eq!(token_from_fragment("#token="), None);
        assert_eq!(token_from_fragment("#tok=1"), None);
    }

    #[test]
    fn websocket_url_follows_the_page_scheme() {
        assert_eq!(
            ws_url("http:", "10.0.0.2:8080", LessonId(7)),
            "ws://10.0.0.2:8080/lessons/7/ws"
        );
        assert_eq!(
            ws_url("https:", "class.example", LessonId(7)),
            "wss://class.example/lessons/7/ws"
        );
    }
}
