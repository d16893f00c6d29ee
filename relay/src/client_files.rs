//! The built client's folder (Trunk's dist) as static files, confined to that folder: a path
//! whose real location (symbolic links followed) leaves the folder is answered 404, so a link
//! inside dist can not publish a file from elsewhere on the machine.

use axum::extract::{Request, State};
use axum::http::StatusCode;
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
        if file.is_dir() {
            // ServeDir answers a folder with its index.html.
            let index = file.join("index.html");
            return inside(&file) && (!index.exists() || inside(&index));
        }
        inside(&file)
    }
}

/// Middleware in front of the static files: 404 unless [`Root::allows`] the path.
pub async fn confine(State(root): State<Arc<Root>>, request: Request, next: Next) -> Response {
    if root.allows(request.uri().path()) {
        next.run(request).await
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
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
    fn escapes_are_decoded() {
        assert_eq!(percent_decode("/a%20b/%2e%2E/x%"), "/a b/../x%");
        assert_eq!(percent_decode("/%zz%4"), "/%zz%4");
    }
}
