//! `soak`: runs zkplay through random faults drawn from a seed and checks what happened
//! (`cargo xtask soak` builds and starts it; `cargo xtask test` runs a two-minute one).

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use tests::soak::{self, SoakSettings};

#[derive(Parser)]
#[command(
    name = "soak",
    about = "zkplay through random faults, checked on what happened"
)]
struct Args {
    /// The `zkplay` binary to run.
    #[arg(long)]
    server: PathBuf,
    /// How long to inject faults, in minutes.
    #[arg(long, default_value_t = 2.0)]
    minutes: f64,
    /// The seed of the faults (default: from the clock, printed so the run can be repeated).
    #[arg(long)]
    seed: Option<u64>,
    /// Lock clients kept in the room.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..=50))]
    clients: u64,
    /// The session timeout zkplay's clients ask for, in ms.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(2_000..=30_000))]
    session_timeout_ms: u64,
    /// How long a holder keeps the lock, in ms.
    #[arg(long, default_value_t = 200)]
    hold_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.minutes > 0.0 && args.minutes <= 24.0 * 60.0,
        "--minutes must be above 0 and at most a day"
    );
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(1)
    });
    soak::run_and_judge(SoakSettings {
        seed,
        run: Duration::from_secs_f64(args.minutes * 60.0),
        clients: args.clients as usize,
        server: args.server,
        session_timeout: Duration::from_millis(args.session_timeout_ms),
        hold: Duration::from_millis(args.hold_ms),
    })
    .await
    .map(drop)
}
