//! The built client goes out in the smallest form the browser accepts (the build writes
//! `<file>.br` and `<file>.gz` beside each file), files named with Trunk's content hash are kept
//! by browsers for a year, the page itself is asked for each time, and a compressed form that
//! links out of the folder is never sent.

mod common;

use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

const WASM: &str = "/client-0123456789abcdef_bg.wasm";

struct Got {
    status: StatusCode,
    encoding: Option<String>,
    cache: Option<String>,
    vary: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

async fn get(router: &axum::Router, path: &str, accept: Option<&str>) -> Got {
    let mut req = Request::builder().uri(path);
    if let Some(a) = accept {
        req = req.header(header::ACCEPT_ENCODING, a);
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let h = |name: header::HeaderName| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (encoding, cache, vary, content_type) = (
        h(header::CONTENT_ENCODING),
        h(header::CACHE_CONTROL),
        h(header::VARY),
        h(header::CONTENT_TYPE),
    );
    let status = res.status();
    let body = to_bytes(res.into_body(), 1 << 20).await.unwrap().to_vec();
    Got {
        status,
        encoding,
        cache,
        vary,
        content_type,
        body,
    }
}

#[tokio::test]
async fn the_client_goes_out_compressed_and_hashed_files_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let file = |name: &str, body: &str| std::fs::write(dist.join(name), body).unwrap();
    file("index.html", "<html>the page</html>");
    file("index.html.br", "page as brotli");
    file("index.html.gz", "page as gzip");
    file(&WASM[1..], "the wasm");
    file(&format!("{}.br", &WASM[1..]), "wasm as brotli");
    file(&format!("{}.gz", &WASM[1..]), "wasm as gzip");
    let router = common::router(dir.path()).await;

    let year = "public, max-age=31536000, immutable";
    let br = get(&router, WASM, Some("gzip, deflate, br")).await;
    assert_eq!(br.status, StatusCode::OK);
    assert_eq!(br.encoding.as_deref(), Some("br"));
    assert_eq!(br.body, b"wasm as brotli");
    assert_eq!(br.content_type.as_deref(), Some("application/wasm"));
    assert_eq!(br.cache.as_deref(), Some(year));
    assert_eq!(br.vary.as_deref(), Some("accept-encoding"));

    let gz = get(&router, WASM, Some("gzip")).await;
    assert_eq!(gz.encoding.as_deref(), Some("gzip"));
    assert_eq!(gz.body, b"wasm as gzip");
    assert_eq!(gz.cache.as_deref(), Some(year));

    let plain = get(&router, WASM, None).await;
    assert_eq!(plain.encoding, None);
    assert_eq!(plain.body, b"the wasm");
    assert_eq!(plain.cache.as_deref(), Some(year));

    // The page, at its own path and at any route of the client: compressed, asked for each time.
    for path in ["/", "/index.html", "/console", "/lesson/7"] {
        let page = get(&router, path, Some("br, gzip")).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(page.body, b"page as brotli", "{path}");
        assert_eq!(page.cache.as_deref(), Some("no-cache"), "{path}");
    }
    // A hashed name that is not there gets the page, which must not be kept under that name.
    let missing = get(&router, "/client-fedcba9876543210.js", Some("br")).await;
    assert_eq!(missing.cache.as_deref(), Some("no-cache"));
    assert!(missing
        .content_type
        .is_some_and(|t| t.starts_with("text/html")));
}

#[tokio::test]
async fn a_compressed_form_linking_out_of_the_folder_is_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(dist.join("index.html"), "<html>the page</html>").unwrap();
    std::fs::write(dist.join("app-0123456789abcdef.js"), "the app").unwrap();
    std::fs::write(outside.join("secret"), "the secret").unwrap();
    std::os::unix::fs::symlink(
        outside.join("secret"),
        dist.join("app-0123456789abcdef.js.br"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.join("secret"), dist.join("index.html.gz")).unwrap();
    let router = common::router(dir.path()).await;

    for (path, accept) in [
        ("/app-0123456789abcdef.js", "br"),
        ("/app-0123456789abcdef.js", "identity"),
        ("/", "gzip"),
        ("/console", "gzip"),
    ] {
        let got = get(&router, path, Some(accept)).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{path} ({accept})");
        assert!(!String::from_utf8_lossy(&got.body).contains("secret"));
    }
}
