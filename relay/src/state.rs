//! The application's state and configuration: what every edge (HTTP routes, the lesson
//! WebSocket, WHIP/WHEP, the bureau API) is handed. Handlers import this module, never the route
//! table in [`crate::http`]; a handler that needs only one part takes it as a substate
//! (`State<Store>`, `State<Signer>`, ... through [`FromRef`]).

use crate::accounts::hashing::Hashing;
use crate::accounts::throttle::Throttle;
use crate::auth::Signer;
use crate::media::config::MediaConfig;
use crate::media::{Media, MediaStartError};
use crate::room::registry::Rooms;
use crate::room::ConnId;
use crate::store::{Store, StoreError};
use axum::extract::FromRef;
use shared::schedule::Timetable;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Settings from the command line.
#[derive(Clone, Debug)]
pub struct Config {
    /// A lesson connection that sends nothing for this long is closed (browsers ping every 2 s),
    /// so a classroom whose link died silently does not stay "online".
    pub idle_limit: Duration,
    /// Mark the sign-in cookie `Secure` (serve over HTTPS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// Join links open this long before a lesson starts...
    pub open_before: Duration,
    /// ...and close this long after it ends.
    pub close_after: Duration,
    /// The media plane's addresses, ports and ICE servers.
    pub media: MediaConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            idle_limit: Duration::from_secs(20),
            secure_cookies: false,
            open_before: Duration::from_secs(15 * 60),
            close_after: Duration::from_secs(15 * 60),
            media: MediaConfig::default(),
        }
    }
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Store,
    rooms: Rooms,
    media: Media,
    signer: Signer,
    next_conn: AtomicU64,
    dist: PathBuf,
    config: Config,
    /// The region's booked lessons, loaded on first use. Every change to lessons goes through
    /// this lock (held across the database write, so check and write are one step).
    timetable: tokio::sync::OnceCell<tokio::sync::Mutex<Timetable>>,
    /// Failed sign-ins per login (held only for a lookup or an insert).
    sign_ins: std::sync::Mutex<Throttle>,
    /// Failed sign-ins per client address.
    sign_ins_by_address: std::sync::Mutex<Throttle>,
    /// At most one password hash per core at once.
    hashing: Hashing,
}

impl AppState {
    /// `idle_limit`: a lesson connection that sends nothing for this long is closed (browsers
    /// ping every 2 s), so a classroom whose link died silently does not stay "online".
    /// Starts the media plane on the current tokio runtime; fails if its port is taken.
    pub fn new(
        store: Store,
        signer: Signer,
        dist: PathBuf,
        idle_limit: Duration,
    ) -> Result<AppState, MediaStartError> {
        Self::with_config(
            store,
            signer,
            dist,
            Config {
                idle_limit,
                ..Config::default()
            },
        )
    }

    /// Starts the media plane on the current tokio runtime; fails if its port is taken.
    pub fn with_config(
        store: Store,
        signer: Signer,
        dist: PathBuf,
        config: Config,
    ) -> Result<AppState, MediaStartError> {
        let rooms = Rooms::new(store.clone());
        let media = Media::start(config.media.clone())?;
        media.record_link_time(link_time_writer(store.clone()));
        Ok(AppState(Arc::new(Inner {
            store,
            rooms,
            media,
            signer,
            next_conn: AtomicU64::new(1),
            dist,
            config,
            timetable: tokio::sync::OnceCell::new(),
            sign_ins: std::sync::Mutex::new(Throttle::new()),
            sign_ins_by_address: std::sync::Mutex::new(Throttle::per_address()),
            hashing: Hashing::per_core(),
        })))
    }

    /// The sign-in throttle (a poisoned lock is taken over: the counts stay usable).
    pub fn sign_ins(&self) -> std::sync::MutexGuard<'_, Throttle> {
        self.0
            .sign_ins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The sign-in throttle per client address.
    pub fn sign_ins_by_address(&self) -> std::sync::MutexGuard<'_, Throttle> {
        self.0
            .sign_ins_by_address
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The bound on password hashing.
    pub fn hashing(&self) -> &Hashing {
        &self.0.hashing
    }

    /// The timetable, loading it from the database the first time.
    pub async fn timetable(&self) -> Result<&tokio::sync::Mutex<Timetable>, StoreError> {
        self.0
            .timetable
            .get_or_try_init(|| async {
                let mut t = Timetable::new();
                for lesson in self.0.store.lessons().await? {
                    t.insert_unchecked(lesson.booking());
                }
                Ok(tokio::sync::Mutex::new(t))
            })
            .await
    }

    pub fn secure_cookies(&self) -> bool {
        self.0.config.secure_cookies
    }

    pub fn idle_limit(&self) -> Duration {
        self.0.config.idle_limit
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn rooms(&self) -> &Rooms {
        &self.0.rooms
    }

    pub fn media(&self) -> &Media {
        &self.0.media
    }

    pub fn signer(&self) -> &Signer {
        &self.0.signer
    }

    pub fn next_conn(&self) -> ConnId {
        ConnId(self.0.next_conn.fetch_add(1, Ordering::Relaxed))
    }

    /// The folder of the built client (index.html and its files).
    pub fn dist(&self) -> &Path {
        &self.0.dist
    }
}

impl FromRef<AppState> for Store {
    fn from_ref(state: &AppState) -> Store {
        state.0.store.clone()
    }
}

impl FromRef<AppState> for Signer {
    fn from_ref(state: &AppState) -> Signer {
        state.0.signer.clone()
    }
}

/// Batches of link time waiting for the database (a lesson hands one over every 10 s at most).
const LINK_TIME_QUEUE: usize = 256;

/// A task storing the lessons' link time ([`crate::media::Media::record_link_time`]) as it
/// comes; a failed write is logged and the next one tried.
fn link_time_writer(store: Store) -> tokio::sync::mpsc::Sender<crate::media::LinkTimeBatch> {
    let (to, mut from) = tokio::sync::mpsc::channel::<crate::media::LinkTimeBatch>(LINK_TIME_QUEUE);
    tokio::spawn(async move {
        while let Some((lesson, batch)) = from.recv().await {
            if let Err(e) = store.add_link_time(lesson, &batch).await {
                tracing::warn!(%lesson, error = %e, "recording link time failed");
            }
        }
    });
    to
}
