//! `fleet`: a fleet of zkplay servers on one machine, with a front address (`cargo xtask fleet`
//! builds and starts it). Ctrl-C stops every server, then the ensemble.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use tests::fleet::{FleetSettings, LocalFleet};

#[derive(Parser)]
#[command(
    name = "fleet",
    about = "zkplay servers on one ZooKeeper ensemble, behind one address"
)]
struct Args {
    /// The `zkplay` binary to run.
    #[arg(long)]
    server: PathBuf,
    /// The page's files.
    #[arg(long)]
    ui_dir: Option<PathBuf>,
    /// How many servers.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=16))]
    servers: u64,
    /// Where the front listens: it hands each connection to the next server in turn.
    #[arg(long, default_value = "127.0.0.1:8080")]
    front: std::net::SocketAddr,
    /// The ensemble's first client port (three members from there).
    #[arg(long, default_value_t = 4180)]
    zk_port: u16,
    /// Where the servers' data and logs go.
    #[arg(long, default_value = "target/fleet")]
    work: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.work.exists() {
        std::fs::remove_dir_all(&args.work)?;
    }
    let fleet = LocalFleet::start(&FleetSettings {
        servers: args.servers as usize,
        binary: args.server,
        ui_dir: args.ui_dir,
        front: args.front,
        zk_port: args.zk_port,
        session_timeout: Duration::from_millis(5000),
        work: args.work.clone(),
        flags: Vec::new(),
    })
    .await?;
    println!("ZooKeeper: {}", fleet.zk);
    for (n, server) in fleet.servers.iter().flatten().enumerate() {
        println!(
            "server {n}: http://{} (log in {}/server-{n})",
            server.addr,
            args.work.display()
        );
    }
    println!(
        "the fleet is serving http://{} (the fleet page: http://{}/fleet)",
        fleet.front, fleet.front
    );
    println!("press Ctrl-C to stop");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    println!("stopping the servers, then the ensemble ...");
    fleet.stop().await?;
    println!("stopped");
    Ok(())
}
