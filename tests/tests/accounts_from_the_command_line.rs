//! `relay account` creates the first accounts of a new installation (before anyone can sign in
//! to the console), with the password from the environment or from standard input, and resets
//! them when run again; bad roles and short passwords are refused with a clear message.

use relay::accounts::{password, StaffRole};
use relay::store::Store;
use std::io::Write;
use std::process::{Command, Stdio};
use tests::relay::relay_binary;

fn account(
    data: &std::path::Path,
    args: &[&str],
    env: Option<&str>,
    stdin: &str,
) -> (bool, String) {
    let mut cmd = Command::new(relay_binary());
    cmd.arg("account")
        .args(args)
        .env("TONGPIN_DATA", data)
        .env_remove("TONGPIN_ACCOUNT_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = env {
        cmd.env("TONGPIN_ACCOUNT_PASSWORD", p);
    }
    let mut child = cmd.spawn().expect("the relay binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write the password");
    let out = child.wait_with_output().expect("it finishes");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn the_first_bureau_admin_is_made_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, said) = account(
        dir.path(),
        &[
            "--login",
            "chief",
            "--name",
            "教育局 张",
            "--role",
            "bureau",
        ],
        Some("a long first password"),
        "",
    );
    assert!(ok, "{said}");
    assert!(said.contains("account «chief» saved"), "{said}");
    // Again, with the password on standard input: the same account, a new password.
    let (ok, said) = account(
        dir.path(),
        &[
            "--login",
            "chief",
            "--name",
            "教育局 张",
            "--role",
            "bureau",
        ],
        None,
        "another long password\n",
    );
    assert!(ok, "{said}");

    let (ok, said) = account(
        dir.path(),
        &["--login", "x", "--name", "x", "--role", "admin"],
        Some("a long first password"),
        "",
    );
    assert!(
        !ok && said.contains("expected bureau, school:<id>"),
        "{said}"
    );
    let (ok, said) = account(
        dir.path(),
        &["--login", "y", "--name", "y", "--role", "bureau"],
        Some("short"),
        "",
    );
    assert!(!ok && said.contains("at least 10 characters"), "{said}");
    // The password policy: blank, common, or the login with a little added.
    for (weak, says) in [
        ("          ", "only spaces"),
        ("1234567890", "most common"),
        ("y.login.2024", "the login"),
    ] {
        let (ok, said) = account(
            dir.path(),
            &["--login", "y.login", "--name", "y", "--role", "bureau"],
            Some(weak),
            "",
        );
        assert!(!ok && said.contains(says), "{weak:?}: {said}");
    }

    let store = Store::open(&format!(
        "sqlite://{}",
        dir.path().join("tongpin.db").display()
    ))
    .await
    .expect("the relay's database");
    let (chief, hash) = store
        .account_by_login("chief")
        .await
        .unwrap()
        .expect("the account");
    assert_eq!(chief.role, StaffRole::BureauAdmin);
    assert!(password::verify("another long password", &hash));
    assert!(!password::verify("a long first password", &hash));
    assert!(store.account_by_login("y").await.unwrap().is_none());
    assert!(store.account_by_login("y.login").await.unwrap().is_none());
}
