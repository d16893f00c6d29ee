//! The real relay, started as a child process.

use relay::auth::{now_secs, Signer};
use shared::ids::{ClassroomId, LessonId, Role};
use shared::token::Claims;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The demo lesson the relay is seeded with, and its three classrooms.
pub const LESSON: LessonId = relay::demo::DEMO_LESSON;
/// The demo admin's password when `TONGPIN_DEMO_ADMIN_PASSWORD` is not set.
pub const DEMO_ADMIN_PASSWORD: &str = "tongpin-demo-admin";
pub const CLASSROOMS: [ClassroomId; 3] = [ClassroomId(2), ClassroomId(3), ClassroomId(4)];

/// The id of the `k`th extra classroom of [`TestRelay::start_with`].
pub fn extra_classroom(k: u32) -> ClassroomId {
    ClassroomId(1000 + u64::from(k))
}

pub struct TestRelay {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    data: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl TestRelay {
    /// Starts a relay with a fresh data folder and the demo lesson.
    pub async fn start() -> TestRelay {
        Self::start_with(0).await
    }

    /// Starts a relay whose demo lesson has `extra` more classrooms (ids 1000, 1001, ...).
    pub async fn start_with(extra: u32) -> TestRelay {
        Self::start_with_options(extra, &[]).await
    }

    /// Starts a relay with extra command-line options (e.g. `--idle-timeout-secs 1`).
    pub async fn start_with_options(extra: u32, options: &[&str]) -> TestRelay {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data = tmp.path().to_path_buf();
        let mut relay = Self::spawn(&data, "127.0.0.1:0", extra, options).await;
        relay._tmp = Some(tmp);
        relay
    }

    /// Starts a relay listening (HTTP and media) on `ip`, e.g. a test network's host address.
    pub async fn start_at(ip: &str, extra: u32, options: &[&str]) -> TestRelay {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data = tmp.path().to_path_buf();
        let mut all = vec!["--media-ip", ip];
        all.extend_from_slice(options);
        let mut relay = Self::spawn(&data, &format!("{ip}:0"), extra, &all).await;
        relay._tmp = Some(tmp);
        relay
    }

    /// Starts a relay on an existing data folder (to restart after a kill).
    pub async fn start_in(data: &Path, listen: &str) -> TestRelay {
        Self::spawn(data, listen, 0, &[]).await
    }

    async fn spawn(data: &Path, listen: &str, extra: u32, options: &[&str]) -> TestRelay {
        let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
        let mut child = Command::new(relay_binary())
            .args(["--listen", listen, "--data"])
            .arg(data)
            .arg("--dist")
            .arg(dist)
            .args(options)
            .args(["demo", "--quiet", "--extra-classrooms", &extra.to_string()])
            // Any free media port, so relays of tests running at once never clash
            // (`--media-port` in `options` wins).
            .env("TONGPIN_MEDIA_PORT", "0")
            .env(
                "RUST_LOG",
                // TEST_RELAY_LOG: the relay's log filter when debugging a test.
                std::env::var("TEST_RELAY_LOG").unwrap_or_else(|_| {
                    "warn,rtc_dtls::config=error,rtc_ice::agent=error,rtc::peer_connection::handler=error"
                        .to_string()
                }),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the relay");
        let stdout = child.stdout.take().expect("relay stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = tokio::time::timeout(crate::WAIT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(base) = line.strip_prefix("relay listening on ") {
                    return base.trim().to_string();
                }
            }
            panic!("the relay exited before listening")
        })
        .await
        .expect("the relay starts within the wait");
        // Keep draining stdout so the relay never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        TestRelay {
            child,
            base,
            data: data.to_path_buf(),
            _tmp: None,
        }
    }

    /// The relay process's id (for reading its CPU time from `/proc`); `None` once it exited.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    pub fn data(&self) -> &Path {
        &self.data
    }

    pub fn ws_url(&self, lesson: LessonId) -> String {
        format!(
            "{}/lessons/{lesson}/ws",
            self.base.replacen("http://", "ws://", 1)
        )
    }

    pub fn signer(&self) -> Signer {
        Signer::load_or_create(&self.data.join("token.key")).expect("the relay's token key")
    }

    /// The demo's bureau admin, signed in to the API.
    pub async fn bureau_admin(&self) -> crate::http::Staff {
        crate::http::Staff::sign_in(&self.base, "admin", DEMO_ADMIN_PASSWORD).await
    }

    /// How long `classroom` received each picture of the teacher in the demo lesson, and its
    /// outages, as the attendance report read by `staff` says (its `link` object).
    pub async fn link_time_of(
        &self,
        staff: &crate::http::Staff,
        classroom: ClassroomId,
    ) -> serde_json::Value {
        let report = staff
            .get_json(&format!("/api/lessons/{LESSON}/attendance"))
            .await;
        report["classrooms"]
            .as_array()
            .and_then(|rows| {
                rows.iter()
                    .find(|r| r["classroom"] == serde_json::json!(classroom.0))
            })
            .map(|r| r["link"].clone())
            .unwrap_or_else(|| panic!("classroom {classroom} in the attendance report: {report}"))
    }

    /// A valid token for the demo lesson.
    pub fn token(&self, role: Role) -> String {
        self.token_for(LESSON, role)
    }

    /// A join link for the demo lesson, as the relay prints them.
    pub fn link(&self, role: Role) -> String {
        format!("{}/lesson#token={}", self.base, self.token(role))
    }

    pub fn token_for(&self, lesson: LessonId, role: Role) -> String {
        self.token_until(lesson, role, now_secs() + 3600)
    }

    /// A token that expires at `expires` (unix seconds): the lesson closes for it then.
    pub fn token_until(&self, lesson: LessonId, role: Role, expires: u64) -> String {
        self.signer().mint(&Claims {
            lesson,
            role,
            not_before: now_secs() - 60,
            expires,
            link: None,
        })
    }
    /// A WebSocket client of the demo lesson in `role`, joined: its media `Sources` arrived.
    pub async fn joined(&self, role: Role, page: u64) -> crate::client::LessonClient {
        let mut c = crate::client::LessonClient::connect(
            &self.ws_url(LESSON),
            &self.token(role),
            shared::ids::PageId(page),
            None,
        )
        .await;
        c.until("the media sources", |c| c.sources_seen > 0).await;
        c
    }

    /// Kills the relay with SIGKILL (no chance to clean up) and waits for it to be gone.
    pub async fn kill(mut self) -> PathBuf {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        // Keep the folder alive for a restart: the caller now owns it.
        if let Some(tmp) = self._tmp.take() {
            return tmp.keep();
        }
        self.data.clone()
    }
}

/// The relay binary cargo built for this package's integration tests (target/<profile>/relay-under-test).
/// The relay binary built for the tests.
pub fn relay_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    dir.join(format!("relay-under-test{}", std::env::consts::EXE_SUFFIX))
}
