//! Headless Chromium through chromedriver (Debian's `chromium` and `chromium-driver`).
//! Every browser gets a fresh profile; every process started here is ended by its PID.

use fantoccini::actions::{
    InputSource, MouseActions, PenActions, PointerAction, TouchActions, MOUSE_BUTTON_LEFT,
};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Flags that keep Chromium quiet and offline on this closed network.
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,800",
];

/// Flags for a page with a fake camera and microphone (granted without asking) whose videos may
/// play with sound.
pub const FAKE_MEDIA: &[&str] = &[
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
];

/// `media` plus the flag that lets pages from `origin` (the relay's plain-HTTP address on a test
/// network) use cameras, which browsers otherwise allow only on HTTPS or localhost.
pub fn media_flags(origin: &str, media: &[&str]) -> Vec<String> {
    let mut flags: Vec<String> = media.iter().map(|f| f.to_string()).collect();
    flags.push(format!(
        "--unsafely-treat-insecure-origin-as-secure={origin}"
    ));
    flags
}

/// A chromedriver child process on a free loopback port.
pub struct Chromedriver {
    child: Child,
    pub url: String,
}

impl Chromedriver {
    pub async fn start() -> Chromedriver {
        let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        assert!(
            Path::new(&bin).exists(),
            "chromedriver not found at {bin}: run scripts/setup.sh --with-chromium"
        );
        let port = free_port();
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + crate::WAIT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start listening"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Chromedriver {
    /// A chromedriver inside the test network `net`: the browsers it starts (and their WebRTC)
    /// see only that namespace. It accepts WebDriver connections from the host side of the pair.
    pub async fn start_in(net: &crate::netns::TestNet) -> Chromedriver {
        Self::start_in_namespace(&net.name, &net.ns_ip, &net.host_ip).await
    }

    /// A chromedriver inside namespace `ns`, reached at `ns_ip` (an address of that namespace)
    /// and accepting WebDriver connections only from `allowed_ip` (this namespace's address
    /// towards it).
    pub async fn start_in_namespace(ns: &str, ns_ip: &str, allowed_ip: &str) -> Chromedriver {
        let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = free_port();
        let child = Command::new("ip")
            .args(["netns", "exec", ns, &bin])
            .arg(format!("--port={port}"))
            .arg(format!("--allowed-ips={allowed_ip}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver in the test network");
        let deadline = Instant::now() + crate::WAIT;
        while tokio::net::TcpStream::connect((ns_ip, port)).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start listening in the test network"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Chromedriver {
            child,
            url: format!("http://{ns_ip}:{port}"),
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // Browsers it started first (a panicking test never closed its sessions), then itself.
        for pid in descendants(self.child.id()) {
            let _ = Command::new("kill")
                .arg("-9")
                .arg(pid.to_string())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// PIDs of every descendant of `root`, from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // The fields after the parenthesised command name: state, ppid, ...
            let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
                continue;
            };
            if let Some(ppid) = rest
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u32>().ok())
            {
                parent_of.push((pid, ppid));
            }
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for &(pid, ppid) in &parent_of {
            if ppid == p && !out.contains(&pid) {
                out.push(pid);
                frontier.push(pid);
            }
        }
    }
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One headless Chromium with its own fresh profile.
pub struct Browser {
    pub client: Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn open(driver: &Chromedriver, extra_flags: &[&str]) -> Browser {
        Self::open_with(driver, extra_flags.iter().map(|f| f.to_string()).collect()).await
    }

    /// [`Browser::open`] with owned flags.
    pub async fn open_with(driver: &Chromedriver, extra_flags: Vec<String>) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.extend(extra_flags);
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": "/usr/bin/chromium", "args": args }),
        );
        // Two rustls crypto providers are compiled in (webrtc-rs brings ring): choose one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = ClientBuilder::rustls()
            .expect("tls config")
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a new Chromium session");
        Browser {
            client,
            _profile: profile,
        }
    }

    /// Opens a join link and waits until the lesson is connected with its board.
    pub async fn join(driver: &Chromedriver, link: &str) -> Browser {
        let b = Browser::open(driver, &[]).await;
        b.client.goto(link).await.expect("open the join link");
        b.until("the lesson connected", CONNECTED, Duration::from_secs(15))
            .await;
        b
    }

    /// A pointer gesture: if `start` is given, press at that offset from the element's centre; then
    /// `steps` moves of `step` pixels, 20 ms apart; then release if `release`.
    pub async fn drag(
        &self,
        device: Device,
        start: Option<(&Element, i64, i64)>,
        steps: usize,
        step: (i64, i64),
        release: bool,
    ) {
        let result = match device {
            Device::Mouse => {
                self.client
                    .perform_actions(gesture(
                        MouseActions::new("mouse".into()),
                        start,
                        steps,
                        step,
                        release,
                    ))
                    .await
            }
            Device::Finger => {
                self.client
                    .perform_actions(gesture(
                        TouchActions::new("finger".into()),
                        start,
                        steps,
                        step,
                        release,
                    ))
                    .await
            }
            Device::Stylus => {
                self.client
                    .perform_actions(gesture(
                        PenActions::new("stylus".into()),
                        start,
                        steps,
                        step,
                        release,
                    ))
                    .await
            }
        };
        result.expect("pointer actions");
    }

    /// Waits until `js` (an expression) is truthy; panics with `what` after the wait.
    pub async fn until(&self, what: &str, js: &str, wait: Duration) -> Duration {
        let start = Instant::now();
        loop {
            let v = self
                .client
                .execute(&format!("return !!({js});"), vec![])
                .await
                .expect("script runs");
            if v.as_bool() == Some(true) {
                return start.elapsed();
            }
            if start.elapsed() > wait {
                let state = self.eval("document.querySelector('#lesson') ? document.querySelector('#lesson').outerHTML.slice(0, 300) : document.body.innerText.slice(0, 300)").await;
                panic!("waited {wait:?} for {what}; page: {state}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn eval(&self, js: &str) -> serde_json::Value {
        self.client
            .execute(&format!("return ({js});"), vec![])
            .await
            .expect("script runs")
    }

    /// Dark pixels on the board canvas: ink, as a person would see it.
    pub async fn ink_pixels(&self) -> u64 {
        let js = "(() => { const c = document.getElementById('board'); if (!c) return 0;
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
            for (let i = 0; i < d.length; i += 4) { if (d[i + 3] > 0 && d[i] < 140 && d[i + 1] < 140 && d[i + 2] < 140) n++; }
            return n; })()";
        self.eval(js).await.as_u64().unwrap_or(0)
    }

    pub async fn element(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} on the page: {e}"))
    }

    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = artifacts();
        std::fs::create_dir_all(&dir).expect("artifacts dir");
        let path = dir.join(name);
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// A script expression: the lesson page's board holds `n` strokes (its `data-strokes`).
pub fn strokes_are(n: u32) -> String {
    format!("document.querySelector('#lesson') && document.querySelector('#lesson').dataset.strokes === '{n}'")
}

/// A script expression: the lesson page is connected and has its board.
pub const CONNECTED: &str = "document.querySelector('#lesson[data-status=connected]')";

/// What the teacher draws with.
#[derive(Clone, Copy, Debug)]
pub enum Device {
    Mouse,
    Finger,
    Stylus,
}

fn gesture<S: InputSource<Action = PointerAction>>(
    mut source: S,
    start: Option<(&Element, i64, i64)>,
    steps: usize,
    step: (i64, i64),
    release: bool,
) -> S {
    if let Some((element, x, y)) = start {
        source = source
            .then(PointerAction::MoveToElement {
                element: element.clone(),
                duration: None,
                x,
                y,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            });
    }
    for _ in 0..steps {
        source = source.then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(20)),
            x: step.0,
            y: step.1,
        });
    }
    if release {
        source = source.then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    }
    source
}

/// Where tests keep screenshots: `artifacts/` at the repository root.
pub fn artifacts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts")
}

/// The built client the relay serves; browser tests need it (scripts/build-client.sh).
pub fn dist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist")
}
