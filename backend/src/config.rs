//! The `zkplay` command line.

use crate::check::CheckBudget;
use crate::checks::CheckSettings;
use shared::recipe::ScriptLimits;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::admission::{
    parse_origin, AddressRange, AdmissionSettings, MemberControl, DEFAULT_CLASSROOMS_PER_ADDRESS,
    DEFAULT_CONNECTIONS_PER_ADDRESS, DEFAULT_OPERATORS, DEFAULT_ROOMS_PER_ADDRESS,
};
use crate::ensemble::EnsembleConfig;
use crate::http::{default_ui_dir, ServerSettings};
use crate::lesson_ensembles::{LessonEnsembles, DEFAULT_LESSON_ENSEMBLES, MAX_LESSON_ENSEMBLES};
use crate::ws::{Limits, DEFAULT_FRAME_TIMEOUT_MS};
use crate::zk::ZkSettings;

/// zkplay: ZooKeeper's lock and live-server-list recipes, live in a browser.
#[derive(Parser, Debug, Clone)]
#[command(name = "zkplay", version)]
pub struct Config {
    /// Address to serve the UI and /ws on.
    #[arg(long, env = "ZKPLAY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// An existing ZooKeeper ensemble (`host:port,host:port`). Absent: start a three-member
    /// ensemble on 127.0.0.1:<zk-port>..+2 from the installed ZooKeeper, and stop it on exit.
    #[arg(long, env = "ZKPLAY_ZK")]
    pub zk: Option<String>,

    /// First client port of the embedded ensemble (peers use +100, elections +200).
    #[arg(long, env = "ZKPLAY_ZK_PORT", default_value_t = 4180)]
    pub zk_port: u16,

    /// The built UI (what `cargo xtask dist` writes).
    #[arg(long, env = "ZKPLAY_UI_DIR", default_value_os_t = default_ui_dir())]
    pub ui_dir: PathBuf,

    /// ZooKeeper session timeout of every simulated client (the server clamps it to 2-20 ticks).
    #[arg(long, env = "ZKPLAY_SESSION_TIMEOUT_MS", default_value_t = 5000)]
    pub session_timeout_ms: u64,

    /// Lock clients a room may hold at once.
    #[arg(long, env = "ZKPLAY_MAX_LOCK_CLIENTS", default_value_t = 50)]
    pub max_lock_clients: usize,

    /// AppServers a room may run at once.
    #[arg(long, env = "ZKPLAY_MAX_SERVERS", default_value_t = 20)]
    pub max_servers: usize,

    /// AppClients a room may run at once (one starts with the room).
    #[arg(long, env = "ZKPLAY_MAX_APP_CLIENTS", default_value_t = 10)]
    pub max_app_clients: usize,

    /// Rooms the server runs at once.
    #[arg(long, env = "ZKPLAY_MAX_ROOMS", default_value_t = 64)]
    pub max_rooms: usize,

    /// A room no browser has watched for this many minutes closes its sessions and frees its
    /// slot (every `/?lesson=N` link opens a room of its own).
    #[arg(long, env = "ZKPLAY_ROOM_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub room_idle_minutes: u64,

    /// A learner's own lesson room (a `/?lesson=N` link's `lesson-…`) no browser has watched
    /// for this many minutes ends, so the rooms a class holds come back soon after it leaves.
    #[arg(long, env = "ZKPLAY_LESSON_ROOM_IDLE_MINUTES", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    pub lesson_room_idle_minutes: u64,

    /// Hold time of a new room's lock holders, in ms (0 = until released).
    #[arg(long, env = "ZKPLAY_HOLD_MS", default_value_t = 3000)]
    pub hold_ms: u64,

    /// Longest WebSocket message from a browser, in bytes.
    #[arg(long, env = "ZKPLAY_MAX_MESSAGE_BYTES", default_value_t = shared::DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,

    /// Messages per second a browser may send.
    #[arg(long, env = "ZKPLAY_MAX_MESSAGES_PER_SEC", default_value_t = 20)]
    pub max_messages_per_sec: u32,

    /// Longest wait for the rest of a WebSocket frame or message a browser has begun to send,
    /// in ms; then the connection closes (1008).
    #[arg(long, env = "ZKPLAY_FRAME_TIMEOUT_MS", default_value_t = DEFAULT_FRAME_TIMEOUT_MS, value_parser = clap::value_parser!(u64).range(1..))]
    pub frame_timeout_ms: u64,

    /// A web page's origin that may open WebSockets besides the server's own, as
    /// scheme://host[:port]; repeatable. For `trunk serve`: http://127.0.0.1:8081.
    #[arg(long, env = "ZKPLAY_ALLOW_ORIGIN", value_delimiter = ',', value_parser = parse_origin)]
    pub allow_origin: Vec<String>,

    /// Open WebSocket connections one address (an IPv4 address, an IPv6 /64) may hold.
    #[arg(long, env = "ZKPLAY_CONNECTIONS_PER_ADDRESS", default_value_t = DEFAULT_CONNECTIONS_PER_ADDRESS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub connections_per_address: usize,

    /// Rooms one address may hold open at once: the rooms its pages opened that still run (a
    /// class behind one address, each learner in a lesson room of their own).
    #[arg(long, env = "ZKPLAY_ROOMS_PER_ADDRESS", default_value_t = DEFAULT_ROOMS_PER_ADDRESS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub rooms_per_address: usize,

    /// Classrooms one address may make per hour.
    #[arg(long, env = "ZKPLAY_CLASSROOMS_PER_ADDRESS", default_value_t = DEFAULT_CLASSROOMS_PER_ADDRESS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub classrooms_per_address: usize,

    /// Messages a viewer may fall behind before it gets a fresh snapshot instead.
    #[arg(long, env = "ZKPLAY_VIEWER_QUEUE", default_value_t = 1024)]
    pub viewer_queue: usize,

    /// Kernel send buffer of each connection, in bytes (with the viewer queue, what a viewer
    /// that stops reading can have pending before it gets a fresh snapshot instead).
    #[arg(long, env = "ZKPLAY_SEND_BUFFER_BYTES", default_value_t = 16 * 1024)]
    pub send_buffer_bytes: usize,

    /// Lock clients and AppServers one student of a classroom may run at once.
    #[arg(long, env = "ZKPLAY_STUDENT_CLIENTS", default_value_t = shared::classroom::DEFAULT_STUDENT_CLIENTS)]
    pub student_clients: usize,

    /// Run classrooms only: the shared room `main` and ad-hoc rooms are refused, so no one
    /// without a teacher's key changes anything.
    #[arg(long, env = "ZKPLAY_CLASSROOM_ONLY")]
    pub classroom_only: bool,

    /// Recipe checks the server runs at once; one more is answered `busy`. An address runs
    /// one at a time.
    #[arg(long, env = "ZKPLAY_CHECKS_AT_ONCE", default_value_t = 2, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub checks_at_once: usize,

    /// States a recipe check explores at one number of clients before it stops there.
    #[arg(long, env = "ZKPLAY_CHECK_MAX_STATES", default_value_t = CheckBudget::default().max_states, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub check_max_states: usize,

    /// Wall time of a recipe check, in ms; the numbers of clients not finished by then are
    /// reported unfinished.
    #[arg(long, env = "ZKPLAY_CHECK_MS", default_value_t = CheckBudget::default().time.as_millis() as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub check_ms: u64,

    /// Rhai operations one handler of a learner's recipe may run (a loop's turn, a call).
    #[arg(long, env = "ZKPLAY_RECIPE_OPERATIONS", default_value_t = ScriptLimits::default().operations, value_parser = clap::value_parser!(u64).range(100..))]
    pub recipe_operations: u64,

    /// Classrooms kept (their names and key digests); beyond, the oldest idle one is forgotten.
    #[arg(long, env = "ZKPLAY_MAX_CLASSROOMS", default_value_t = 1000)]
    pub max_classrooms: usize,

    /// Events a room keeps for its recording (older ones fold into where the recording starts).
    #[arg(long, env = "ZKPLAY_ROOM_HISTORY_EVENTS", default_value_t = 20_000)]
    pub room_history_events: usize,

    /// Recordings the server keeps under --data-dir.
    #[arg(long, env = "ZKPLAY_MAX_RECORDINGS", default_value_t = 200)]
    pub max_recordings: usize,

    /// Largest recording the server keeps, in bytes.
    #[arg(long, env = "ZKPLAY_MAX_RECORDING_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_recording_bytes: usize,

    /// Where zkplay keeps what outlives it: its classrooms and their recordings.
    #[arg(long, env = "ZKPLAY_DATA_DIR", default_value_os_t = default_data_dir())]
    pub data_dir: PathBuf,

    /// Addresses whose pages may stop and start the members of the ensemble every room shares
    /// (address/prefix, comma-separated; `none` for nobody). By default the server's own
    /// machine: who runs it.
    #[arg(long, env = "ZKPLAY_OPERATORS", value_delimiter = ',', default_values_t = DEFAULT_OPERATORS.map(String::from), value_parser = parse_operator)]
    pub operators: Vec<String>,

    /// A classroom's teacher may stop and start the shared ensemble's members too.
    #[arg(long, env = "ZKPLAY_TEACHERS_STOP_MEMBERS")]
    pub teachers_stop_members: bool,

    /// Three-member ensembles the server starts for rooms whose lesson stops members (lesson
    /// 6), one per room while it runs the lesson; a room waits in line when all are taken.
    /// 0: such a lesson runs on the shared ensemble, for who may stop its members.
    #[arg(long, env = "ZKPLAY_LESSON_ENSEMBLES", default_value_t = DEFAULT_LESSON_ENSEMBLES, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=MAX_LESSON_ENSEMBLES as u64))]
    pub lesson_ensembles: usize,

    /// First client port of the lesson ensembles: each uses three, the next starts 10 on
    /// (peers +100, elections +200).
    #[arg(long, env = "ZKPLAY_LESSON_ENSEMBLE_PORT", default_value_t = 4190)]
    pub lesson_ensemble_port: u16,

    /// The address students' devices reach this server at (`http://192.168.1.20:8080`), for
    /// the links and the QR code. Absent: the server's network address when it listens on
    /// every interface, else the address the teacher's page uses.
    #[arg(long, env = "ZKPLAY_PUBLIC_URL")]
    pub public_url: Option<String>,
}

/// An `--operators` entry: an address range, or `none`.
fn parse_operator(text: &str) -> Result<String, String> {
    match text {
        "none" => Ok(String::new()),
        range => range.parse::<AddressRange>().map(|_| range.to_string()),
    }
}

/// `$XDG_DATA_HOME/zkplay`, or `~/.local/share/zkplay`, or `./zkplay-data`.
fn default_data_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share"));
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or(home)
        .map_or_else(|| PathBuf::from("zkplay-data"), |d| d.join("zkplay"))
}

impl Config {
    pub fn ensemble(&self) -> EnsembleConfig {
        EnsembleConfig {
            client_port: self.zk_port,
            ..EnsembleConfig::classic()
        }
    }

    /// The lesson ensembles' ports must not be the shared ensemble's (each takes three ports
    /// at +0, +100 and +200).
    pub fn check_ports(&self) -> Result<(), String> {
        let shared = i32::from(self.zk_port);
        for k in 0..self.lesson_ensembles as i32 {
            let first = i32::from(self.lesson_ensemble_port) + 10 * k;
            if (first - shared).abs() < 3 || first + 2 > i32::from(u16::MAX) - 200 {
                return Err(format!(
                    "lesson ensemble {} would use ports {first}-{}, which clash with the shared \
                     ensemble's at {shared} or run out; choose another --lesson-ensemble-port",
                    k + 1,
                    first + 2
                ));
            }
        }
        Ok(())
    }

    pub fn server_settings(&self, zk_connect: String) -> ServerSettings {
        ServerSettings {
            zk: ZkSettings::new(zk_connect, Duration::from_millis(self.session_timeout_ms)),
            ui_dir: self.ui_dir.clone(),
            limits: Limits {
                max_message_bytes: self.max_message_bytes,
                max_messages_per_sec: self.max_messages_per_sec,
                frame_timeout: Duration::from_millis(self.frame_timeout_ms),
            },
            admission: AdmissionSettings {
                allow_origins: self.allow_origin.clone(),
                connections_per_address: self.connections_per_address,
                rooms_per_address: self.rooms_per_address,
                classrooms_per_address: self.classrooms_per_address,
            },
            max_lock_clients: self.max_lock_clients,
            max_servers: self.max_servers,
            max_app_clients: self.max_app_clients,
            max_rooms: self.max_rooms,
            viewer_queue: self.viewer_queue,
            send_buffer_bytes: self.send_buffer_bytes,
            default_hold_ms: self.hold_ms,
            room_idle: Duration::from_secs(self.room_idle_minutes * 60),
            lesson_room_idle: Duration::from_secs(self.lesson_room_idle_minutes * 60),
            student_clients: self.student_clients,
            classroom_only: self.classroom_only,
            max_classrooms: self.max_classrooms,
            history_events: self.room_history_events,
            max_recordings: self.max_recordings,
            max_recording_bytes: self.max_recording_bytes,
            data_dir: Some(self.data_dir.clone()),
            public_url: self.public_url.clone(),
            ensemble: None,
            member_control: MemberControl {
                operators: self
                    .operators
                    .iter()
                    .filter(|r| !r.is_empty())
                    .filter_map(|r| r.parse().ok())
                    .collect(),
                teachers: self.teachers_stop_members,
            },
            checks: CheckSettings {
                budget: CheckBudget {
                    max_states: self.check_max_states,
                    time: Duration::from_millis(self.check_ms),
                },
                limits: ScriptLimits {
                    operations: self.recipe_operations,
                    ..ScriptLimits::default()
                },
                at_once: self.checks_at_once,
            },
            lesson_ensembles: (self.lesson_ensembles > 0).then(|| {
                let base = EnsembleConfig {
                    client_port: self.lesson_ensemble_port,
                    ..EnsembleConfig::classic()
                };
                LessonEnsembles::on_ports(&base, self.lesson_ensembles)
            }),
            // Servers on one ensemble named with --zk make a fleet; a server that starts its
            // own ensemble is alone on it.
            fleet: self.zk.is_some(),
        }
    }
}
