//! The relay refuses to start on a database it would silently lose or fail on: one emptied to 0
//! bytes while the installation's signing key exists (it would start as a new installation),
//! and one with garbage in the middle (it would start, then fail every join). The message names
//! the file.

use clap::Parser;
use relay::cli::{run, Cli};
use std::path::Path;
use std::time::Duration;

/// Runs `relay serve` on `data`; the error it stops with (it must not start serving).
async fn refused(data: &Path) -> String {
    let cli = Cli::parse_from([
        "relay",
        "--listen",
        "127.0.0.1:0",
        "--data",
        data.to_str().unwrap(),
        "--dist",
        data.join("no-dist").to_str().unwrap(),
        "serve",
    ]);
    match tokio::time::timeout(Duration::from_secs(30), run(cli)).await {
        Ok(Err(e)) => e.to_string(),
        Ok(Ok(())) => panic!("the relay stopped without an error"),
        Err(_) => panic!("the relay started serving"),
    }
}

/// A database like a running installation's: key, migrations, demo data, then closed.
async fn installation(data: &Path) {
    relay::auth::Signer::load_or_create(&data.join("token.key")).unwrap();
    let store =
        relay::store::Store::open(&format!("sqlite://{}", data.join("tongpin.db").display()))
            .await
            .unwrap();
    relay::demo::seed(&store, 40).await.unwrap();
    // Everything into the main file, as after a clean stop.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .unwrap();
    store.pool().close().await;
    for leftover in ["tongpin.db-wal", "tongpin.db-shm"] {
        let _ = std::fs::remove_file(data.join(leftover));
    }
}

#[tokio::test]
async fn an_emptied_database_with_a_signing_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    installation(dir.path()).await;
    std::fs::write(dir.path().join("tongpin.db"), b"").unwrap();
    let said = refused(dir.path()).await;
    assert!(said.contains("new or empty"), "{said}");
    assert!(said.contains("tongpin.db"), "{said}");
    assert!(said.contains("token.key"), "{said}");
    assert!(said.contains("backup"), "{said}");
}

#[tokio::test]
async fn a_database_with_garbage_in_the_middle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    installation(dir.path()).await;
    let file = dir.path().join("tongpin.db");
    let mut bytes = std::fs::read(&file).unwrap();
    assert!(bytes.len() >= 8 * 4096, "{} bytes", bytes.len());
    // Keep the header page; scribble over the pages after it.
    let end = bytes.len() - 4096;
    for (i, b) in bytes[2 * 4096..end].iter_mut().enumerate() {
        *b = (i * 7 + 13) as u8;
    }
    std::fs::write(&file, &bytes).unwrap();
    let said = refused(dir.path()).await;
    assert!(said.contains("damaged"), "{said}");
    assert!(said.contains("tongpin.db"), "{said}");
}
