//! The built client is served from its folder only: a symbolic link inside dist to a file (or a
//! folder) elsewhere is answered 404, not followed.

mod common;

use axum::http::{Method, StatusCode};
use common::Console;

#[tokio::test]
async fn links_out_of_the_client_folder_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(dist.join("index.html"), "<html>client</html>").unwrap();
    std::fs::write(dist.join("assets/app.js"), "console.log(1)").unwrap();
    std::fs::write(outside.join("secret.txt"), "the secret").unwrap();
    std::fs::write(outside.join("index.html"), "the other index").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), dist.join("leak.txt")).unwrap();
    std::os::unix::fs::symlink(&outside, dist.join("elsewhere")).unwrap();
    // A link that stays inside is fine.
    std::os::unix::fs::symlink(dist.join("assets/app.js"), dist.join("app-link.js")).unwrap();

    let router = common::router(dir.path()).await;
    let get = |path: &'static str| {
        let router = router.clone();
        async move {
            Console::anonymous(&router)
                .send(Method::GET, path, None)
                .await
        }
    };
    let ok = get("/assets/app.js").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.text, "console.log(1)");
    assert_eq!(get("/app-link.js").await.status, StatusCode::OK);
    let page = get("/console").await;
    assert_eq!(page.status, StatusCode::OK, "unknown paths get the client");
    assert!(page.text.contains("client"));

    for path in [
        "/leak.txt",
        "/%6ceak.txt",
        "/elsewhere/secret.txt",
        "/elsewhere/",
        "/elsewhere",
    ] {
        let r = get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
        assert!(!r.text.contains("secret") && !r.text.contains("other index"));
    }
}
