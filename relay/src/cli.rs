//! The `relay` command line.

use crate::accounts::{password, StaffRole};
use crate::auth::{now_secs, Signer};
use crate::http::app;
use crate::media::config::{self, IceServer, MediaConfig};
use crate::media::turn_tls::TurnTlsConfig;
use crate::state::AppState;
use crate::{demo, store::Store};
use clap::{Parser, Subcommand};
use shared::ids::{ClassroomId, LessonId, Role};
use shared::token::Claims;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "relay",
    about = "同頻互動課堂 relay: lessons, live whiteboard, join links"
)]
pub struct Cli {
    /// Address to listen on (use port 0 for any free port).
    #[arg(
        long,
        env = "TONGPIN_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: String,
    /// Folder for the database and the token key.
    #[arg(long, env = "TONGPIN_DATA", default_value = "data", global = true)]
    pub data: PathBuf,
    /// Database URL (default: a SQLite file in the data folder).
    #[arg(long, env = "TONGPIN_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// The built client (Trunk's dist folder).
    #[arg(long, env = "TONGPIN_DIST", default_value = "dist", global = true)]
    pub dist: PathBuf,
    /// The token signing key (64 hex digits); created on first run if missing.
    #[arg(long, env = "TONGPIN_TOKEN_KEY_FILE", global = true)]
    pub token_key_file: Option<PathBuf>,
    /// Mark the console's sign-in cookie Secure (when served over HTTPS, e.g. behind a proxy).
    #[arg(long, env = "TONGPIN_SECURE_COOKIES", global = true)]
    pub secure_cookies: bool,
    /// Close a lesson connection that sent nothing for this many seconds (browsers ping every 2).
    #[arg(
        long,
        env = "TONGPIN_IDLE_TIMEOUT_SECS",
        default_value_t = 20,
        global = true
    )]
    pub idle_timeout_secs: u64,
    /// Disconnect a client whose request headers have not all arrived after this many seconds.
    #[arg(
        long,
        env = "TONGPIN_HEADER_TIMEOUT_SECS",
        default_value_t = crate::server::HEADER_TIMEOUT.as_secs(),
        global = true
    )]
    pub header_timeout_secs: u64,
    /// Open connections one client address may have (0: no cap). Behind a reverse proxy every
    /// client has the proxy's address: raise it there.
    #[arg(
        long,
        env = "TONGPIN_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = crate::server::PER_ADDRESS,
        global = true
    )]
    pub max_connections_per_address: usize,
    /// Join links open this many minutes before a lesson starts.
    #[arg(
        long,
        env = "TONGPIN_OPEN_BEFORE_MINS",
        default_value_t = 15,
        global = true
    )]
    pub open_before_mins: u64,
    /// Join links close this many minutes after a lesson ends.
    #[arg(
        long,
        env = "TONGPIN_CLOSE_AFTER_MINS",
        default_value_t = 15,
        global = true
    )]
    pub close_after_mins: u64,
    /// The address media (WebRTC ICE) binds: one explicit address of this machine, reachable
    /// by the classrooms.
    #[arg(
        long,
        env = "TONGPIN_MEDIA_IP",
        default_value = "127.0.0.1",
        global = true
    )]
    pub media_ip: std::net::IpAddr,
    /// The public address to announce instead of --media-ip, behind 1:1 NAT.
    #[arg(long, env = "TONGPIN_MEDIA_ANNOUNCED_IP", global = true)]
    pub media_announced_ip: Option<std::net::IpAddr>,
    /// The one UDP port of all media connections (open it in the firewall); 0: any free port.
    #[arg(
        long,
        env = "TONGPIN_MEDIA_PORT",
        default_value_t = DEFAULT_MEDIA_PORT,
        global = true
    )]
    pub media_port: u16,
    /// How many workers run the media connections (each lesson on one, so a busy lesson does
    /// not hold up the others); 0: one per core.
    #[arg(
        long,
        env = "TONGPIN_MEDIA_WORKERS",
        default_value_t = 0,
        global = true
    )]
    pub media_workers: usize,
    /// Also run a TURN server on this port (UDP and TCP, on --media-ip), for classrooms whose
    /// firewall lets neither UDP nor TCP reach the media port; pages get their own short-lived
    /// credentials. Off by default.
    #[arg(long, env = "TONGPIN_TURN_PORT", global = true)]
    pub turn_port: Option<u16>,
    /// Also run TURN over TLS (`turns:`) on this TCP port on --media-ip, e.g. 443 on an address
    /// of its own, for classrooms whose firewall lets only HTTPS out. Needs --turn-tls-cert and
    /// --turn-tls-key; shares --turn-port's credentials. Off by default.
    #[arg(long, env = "TONGPIN_TURN_TLS_PORT", global = true)]
    pub turn_tls_port: Option<u16>,
    /// The TLS certificate chain for --turn-tls-port (PEM, server certificate first).
    #[arg(long, env = "TONGPIN_TURN_TLS_CERT", global = true)]
    pub turn_tls_cert: Option<PathBuf>,
    /// The private key of --turn-tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "TONGPIN_TURN_TLS_KEY", global = true)]
    pub turn_tls_key: Option<PathBuf>,
    /// The host name in the pages' `turns:` URLs, as the certificate names it (default: the
    /// announced, else the bound, media IP).
    #[arg(long, env = "TONGPIN_TURN_TLS_NAME", global = true)]
    pub turn_tls_name: Option<String>,
    /// A STUN or TURN server the pages use for their own connections (repeatable; same syntax),
    /// e.g. TURN over TCP/TLS for schools whose firewall blocks UDP. None by default.
    #[arg(long, value_parser = parse_ice, global = true)]
    pub client_ice_server: Vec<IceServer>,
    /// WHIP publishers and WHEP players one lesson may have at once; beyond it they are told
    /// to try again later (503).
    #[arg(
        long,
        env = "TONGPIN_WHIP_WHEP_LIMIT",
        default_value_t = 64,
        global = true
    )]
    pub whip_whep_limit: usize,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve lessons (the default).
    Serve,
    /// Add the demo school, classrooms and a lesson open now; print the join links; serve.
    Demo {
        /// More remote classrooms to add to the demo lesson (for load tests), beyond the three named ones.
        #[arg(long, default_value_t = 0)]
        extra_classrooms: u32,
        /// Print only the listening line, not the links.
        #[arg(long)]
        quiet: bool,
    },
    /// Create an account, or reset its name, role and password (e.g. the first bureau admin of a
    /// new installation). The password comes from TONGPIN_ACCOUNT_PASSWORD, else from the first
    /// line of standard input.
    Account {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// bureau, school:<id>, teacher:<id> or device:<classroom id>
        #[arg(long, value_parser = parse_staff_role)]
        role: StaffRole,
    },
    /// Print a join token for a lesson and role.
    Token {
        #[arg(long)]
        lesson: u64,
        /// teacher, observer or classroom:<id>
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// How long the token stays valid.
        #[arg(long, default_value_t = 4)]
        valid_hours: u64,
    },
}

/// Why the relay refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum StartRefused {
    #[error(
        "the database {database} is new or empty, but the signing key {key} already exists: the \
         database of this installation seems lost. Restore the database from a backup; to start \
         a new installation on purpose, remove the key file first"
    )]
    KeyWithoutDatabase { key: String, database: String },
    #[error("--turn-tls-port needs --turn-tls-cert and --turn-tls-key (PEM files)")]
    TurnTlsWithoutCertificate,
    #[error("--turn-tls-cert, --turn-tls-key and --turn-tls-name need --turn-tls-port")]
    TurnTlsWithoutPort,
    #[error("--turn-tls-name {0:?} is not a host name (letters, digits, '-' and '.')")]
    TurnTlsName(String),
    #[error("{0}")]
    TurnTls(#[from] crate::media::turn_tls::TurnTlsError),
}

/// A DNS name as a `turns:` URL may carry it (an IP address is one too, IPv6 excepted).
fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// TURN over TLS as the options ask: `None` without --turn-tls-port; refused when the port
/// lacks its certificate or key (or they lack the port), or when they cannot be read.
fn turn_tls(cli: &Cli) -> Result<Option<TurnTlsConfig>, StartRefused> {
    match (
        cli.turn_tls_port,
        &cli.turn_tls_cert,
        &cli.turn_tls_key,
        &cli.turn_tls_name,
    ) {
        (None, None, None, None) => Ok(None),
        (None, ..) => Err(StartRefused::TurnTlsWithoutPort),
        (Some(_), _, _, Some(name)) if !is_host_name(name) => {
            Err(StartRefused::TurnTlsName(name.clone()))
        }
        (Some(port), Some(cert), Some(key), name) => Ok(Some(TurnTlsConfig {
            port,
            name: name.clone(),
            server: crate::media::turn_tls::load(cert, key)?,
        })),
        (Some(_), ..) => Err(StartRefused::TurnTlsWithoutCertificate),
    }
}

/// The default log filter. webrtc-rs warns on every connection about things that are fine here
/// (no DTLS server name, ICE pinging before the peer's candidates are known), and on every SRTP
/// packet that arrives twice, which on a lossy rural link is every retransmission whose original
/// arrived late (a line per packet, many a second).
pub const QUIET_LOGS: &str = "info,sqlx=warn,rtc_dtls::config=error,rtc_ice::agent=error,\
    rtc::peer_connection::handler=error";

/// The media port when none is given: outside Linux's ephemeral range (32768-60999), so no
/// outgoing connection holds it.
pub const DEFAULT_MEDIA_PORT: u16 = 20_000;

fn parse_ice(s: &str) -> Result<IceServer, String> {
    config::parse_ice_server(s).map_err(|e| e.to_string())
}

fn parse_staff_role(s: &str) -> Result<StaffRole, String> {
    StaffRole::parse(s).ok_or_else(|| {
        "expected bureau, school:<id>, teacher:<id> or device:<classroom id>".to_string()
    })
}

fn parse_role(s: &str) -> Result<Role, String> {
    match s {
        "teacher" => Ok(Role::Teacher),
        "observer" => Ok(Role::Observer),
        _ => s
            .strip_prefix("classroom:")
            .and_then(|id| id.parse().ok())
            .map(|id| Role::Classroom(ClassroomId(id)))
            .ok_or_else(|| "expected teacher, observer or classroom:<id>".to_string()),
    }
}

impl Cli {
    fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data.join("tongpin.db").display()))
    }

    fn key_file(&self) -> PathBuf {
        self.token_key_file
            .clone()
            .unwrap_or_else(|| self.data.join("token.key"))
    }

    fn signer(&self) -> Result<Signer, Box<dyn std::error::Error>> {
        Ok(Signer::load_or_create(&self.key_file())?)
    }
}

/// The `relay` program: logging, then the command line. Also used by the test crate's relay binary.
pub fn main() {
    use tracing_subscriber::EnvFilter;
    crate::accounts::hashing::return_freed_memory();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(QUIET_LOGS)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("relay: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(Cli::parse())) {
        eprintln!("relay: {e}");
        std::process::exit(1);
    }
}

pub async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(&cli.data)?;
    let had_key = cli.key_file().exists();
    let signer = cli.signer()?;
    if let Some(Command::Token {
        lesson,
        role,
        valid_hours,
    }) = &cli.command
    {
        let now = now_secs();
        let claims = Claims {
            lesson: LessonId(*lesson),
            role: *role,
            not_before: now.saturating_sub(60),
            expires: now + valid_hours * 3600,
            link: None,
        };
        println!("{}", signer.mint(&claims));
        return Ok(());
    }
    let store = Store::open(&cli.database_url()).await?;
    if had_key && store.was_new() {
        // An installation that has signed links has had a database: an empty one now means it
        // was lost (emptied, or the wrong path), and starting would silently begin from nothing.
        return Err(StartRefused::KeyWithoutDatabase {
            key: cli.key_file().display().to_string(),
            database: cli.database_url(),
        }
        .into());
    }
    if let Some(Command::Account { login, name, role }) = &cli.command {
        let password = match std::env::var("TONGPIN_ACCOUNT_PASSWORD") {
            Ok(p) => p,
            Err(_) => {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_string()
            }
        };
        crate::accounts::policy::check(login, &password)?;
        let hash = tokio::task::spawn_blocking(move || password::hash(&password)).await??;
        store.upsert_account(login, name, &hash, *role).await?;
        println!("account «{login}» saved ({})", role.column());
        return Ok(());
    }
    let turn_tls = turn_tls(&cli)?;
    let listener = tokio::net::TcpListener::bind(&cli.listen).await?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    if let Some(Command::Demo {
        extra_classrooms,
        quiet,
    }) = &cli.command
    {
        demo::seed(&store, *extra_classrooms).await?;
        let admin_password = demo::seed_admin(&store).await?;
        if !*quiet {
            println!("\n  Bureau console {base}/console: login «admin», password «{admin_password}» (API under {base}/api)");
            println!("  Classroom computers {base}/classroom: logins «classroom-2», «classroom-3», «classroom-4», same password");
            print_links(&demo::links(&store, &signer, &base).await?, &base);
        }
    }
    if !cli.dist.join("index.html").exists() {
        tracing::warn!(dist = %cli.dist.display(), "the client is not built; pages will say so");
    }
    let minutes = |m: u64| std::time::Duration::from_secs(m * 60);
    let config = crate::state::Config {
        idle_limit: std::time::Duration::from_secs(cli.idle_timeout_secs.max(1)),
        secure_cookies: cli.secure_cookies,
        open_before: minutes(cli.open_before_mins),
        close_after: minutes(cli.close_after_mins),
        media: MediaConfig {
            bind_ip: cli.media_ip,
            announced_ip: cli.media_announced_ip,
            port: cli.media_port,
            workers: cli.media_workers,
            turn_port: cli.turn_port,
            turn_tls,
            client_ice_servers: cli.client_ice_server.clone(),
            max_http_participants: cli.whip_whep_limit,
            ..MediaConfig::default()
        },
    };
    let state = AppState::with_config(store, signer, cli.dist.clone(), config)
        .map_err(|e| format!("media (port {}): {e}", cli.media_port))?;
    println!("relay listening on {base}");
    // Tests and scripts read the line above from a pipe: flush it now.
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let limits = crate::server::Limits {
        header_timeout: std::time::Duration::from_secs(cli.header_timeout_secs.max(1)),
        per_address: cli.max_connections_per_address,
        ..crate::server::Limits::default()
    };
    let server = crate::server::serve(listener, app(state), limits, shutdown());
    tokio::select! {
        _ = server => {}
        // Open lesson WebSockets would hold a graceful shutdown forever: give them two seconds.
        // Every acknowledged op is already stored.
        _ = async { shutdown().await; tokio::time::sleep(std::time::Duration::from_secs(2)).await } => {
            tracing::info!("stopped with lessons still connected");
        }
    }
    Ok(())
}

fn print_links(links: &demo::DemoLinks, base: &str) {
    println!("\n同頻互動課堂 demo lesson «分数的加减法» is open now. Open each link in its own browser window.\n");
    println!("  Teacher (master classroom):\n    {}\n", links.teacher);
    for (name, link) in &links.classrooms {
        println!("  Classroom {name}:\n    {link}\n");
    }
    println!("  Observer (bureau, 教研):\n    {}\n", links.observer);
    let token = |link: &str| link.split_once("#token=").map(|(_, t)| t.to_string());
    let lesson = demo::DEMO_LESSON.0;
    if let (Some(teacher), Some(observer)) = (token(&links.teacher), token(&links.observer)) {
        println!("  Broadcast from OBS or an encoder (WHIP), bearer token = the teacher's:");
        println!("    {base}/lessons/{lesson}/whip\n    token: {teacher}\n");
        println!("  Watch with any WHEP player, bearer token = the observer's:");
        println!("    {base}/lessons/{lesson}/whep\n    token: {observer}\n");
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::{is_host_name, QUIET_LOGS};

    #[test]
    fn turn_tls_names_are_host_names() {
        for good in ["turn.example.org", "relay-1", "192.0.2.7"] {
            assert!(is_host_name(good), "{good}");
        }
        for bad in [
            "",
            "a..b",
            "turn.example.org:443",
            "a b",
            "x?transport=udp",
            "[::1]",
        ] {
            assert!(!is_host_name(bad), "{bad}");
        }
    }

    #[test]
    fn the_default_log_filter_parses_and_quiets_srtp_replays() {
        let filter = tracing_subscriber::EnvFilter::try_new(QUIET_LOGS).expect("a valid filter");
        let text = filter.to_string();
        assert!(
            text.contains("rtc::peer_connection::handler=error"),
            "{text}"
        );
        assert!(!QUIET_LOGS.contains(char::is_whitespace), "{QUIET_LOGS:?}");
    }
}
