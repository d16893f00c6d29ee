//! The built client's folder (Trunk's dist) as static files, confined to that folder: a path
//! whose real location (symbolic links followed) leaves the folder is answered 404, so a link
//! inside dist can not publish a file from elsewhere on the machine.
//!
//! For a classroom on a slow link the files go out small and once: the build writes each file's
//! brotli and gzip forms beside it (`scripts/build-client.sh`), which the static files service
//! sends to a browser that accepts them; a file whose name carries Trunk's content hash
//! (`client-<16 hex digits>.wasm`) never changes, so browsers keep it a year without asking again
//! ([`cache_control`]), while the page itself (`index.html`, and every unknown path that gets it)
//! is checked each time, so a new build reaches every classroom at its next load.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// The client folder, as given and as its canonical path.
#[derive(Debug)]
pub struct Root {
    dir: PathBuf,
    canonical: Option<PathBuf>,
}

impl Root {
    pub fn new(dir: &Path) -> Arc<Root> {
        Arc::new(Root {
            dir: dir.to_path_buf(),
            canonical: dir.canonicalize().ok(),
        })
    }

    /// Whether the file a request path names (or, when it names nothing, the index page served
    /// instead) lies inside the folder once every link is followed.
    pub fn allows(&self, request_path: &str) -> bool {
        let Some(canonical) = &self.canonical else {
            return false;
        };
        let mut file = self.dir.clone();
        for part in Path::new(&percent_decode(request_path)).components() {
            match part {
                Component::Normal(p) => file.push(p),
                Component::RootDir | Component::CurDir => {}
                // ServeDir refuses these anyway.
                Component::ParentDir | Component::Prefix(_) => return false,
            }
        }
        if file.symlink_metadata().is_err() {
            file = self.dir.join("index.html");
        }
        let inside = |p: &Path| p.canonicalize().is_ok_and(|c| c.starts_with(canonical));
        let compressed_inside = |p: &Path| compressed_inside_of(canonical, p);
        if file.is_dir() {
            // ServeDir answers a folder with its index.html.
            let index = file.join("index.html");
            return inside(&file)
                && (!index.exists() || inside(&index))
                && compressed_inside(&index);
        }
        inside(&file) && compressed_inside(&file)
    }
}

/// The compressed forms the static files service may send instead of `file` (`file.br`,
/// `file.gz`), where they exist, lie inside the folder too.
fn compressed_inside_of(canonical: &Path, file: &Path) -> bool {
    ["br", "gz"].iter().all(|ext| {
        let mut name = file.as_os_str().to_owned();
        name.push(".");
        name.push(ext);
        let form = PathBuf::from(name);
        form.symlink_metadata().is_err()
            || form.canonicalize().is_ok_and(|c| c.starts_with(canonical))
    })
}

/// Middleware in front of the static files: 404 unless [`Root::allows`] the path.
pub async fn confine(State(root): State<Arc<Root>>, request: Request, next: Next) -> Response {
    if root.allows(request.uri().path()) {
        next.run(request).await
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// How long a browser may keep a static file: a year, without asking again, for a file whose name
/// carries Trunk's content hash (a new build has new names); otherwise it asks each time (the
/// page, whose new version names the new files).
pub fn cache_control(request_path: &str) -> &'static str {
    let name = request_path.rsplit('/').next().unwrap_or_default();
    if is_hashed(name) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// `name` is `<stem>-<16 hex digits>.<extension>`, as Trunk names what it builds with `filehash`.
fn is_hashed(name: &str) -> bool {
    let Some((stem, _extension)) = name.split_once('.') else {
        return false;
    };
    // `client-0123456789abcdef_bg.wasm`: wasm-bindgen's suffix follows the hash.
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    match stem.rsplit_once('-') {
        Some((head, hash)) => {
            !head.is_empty()
                && hash.len() == 16
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }
        None => false,
    }
}

/// Middleware after the static files: their caching headers ([`cache_control`]), and `Vary:
/// Accept-Encoding`, since the same path is sent compressed or not. A hashed name that is not in
/// the folder gets the page instead (the fallback for unknown paths): that answer is not kept.
pub async fn caching(request: Request, next: Next) -> Response {
    let mut policy = cache_control(request.uri().path());
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
        return response;
    }
    let headers = response.headers_mut();
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if html {
        policy = "no-cache";
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// `%XX` escapes decoded as bytes (as ServeDir does); a bad escape is kept as it is.
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_hashed_names_are_kept_for_a_year() {
        for path in [
            "/client-41b0fa3aa17e478d.js",
            "/client-41b0fa3aa17e478d_bg.wasm",
            "/style-6b519b967fb32987.css",
            "/fonts/noto-sans-mongolian-0123456789abcdef.ttf",
        ] {
            assert_eq!(
                cache_control(path),
                "public, max-age=31536000, immutable",
                "{path}"
            );
        }
        for path in [
            "/",
            "/index.html",
            "/console",
            "/lesson/12",
            "/client.js",
            "/client-41b0fa3aa17e478.js",
            "/client-41b0fa3aa17e478dd.js",
            "/client-41B0FA3AA17E478D.js",
            "/-41b0fa3aa17e478d.js",
            "/client-41b0fa3aa17e478d",
            "/client-41b0fa3aa17e478g.js",
        ] {
            assert_eq!(cache_control(path), "no-cache", "{path}");
        }
    }

    #[test]
    fn escapes_are_decoded() {
        assert_eq!(percent_decode("/a%20b/%2e%2E/x%"), "/a b/../x%");
        assert_eq!(percent_decode("/%zz%4"), "/%zz%4");
    }
}
