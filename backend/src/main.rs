//! The `zkplay` binary: parse flags, start ZooKeeper if asked, serve until Ctrl-C.

use anyhow::Context;
use backend::{Config, Ensemble, EnsembleControl, Server};
use clap::Parser;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,zookeeper_client=warn".into()),
        )
        .init();

    config.check_ports().map_err(anyhow::Error::msg)?;
    // Bind first: a busy port should fail before any JVM starts.
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {} (in use? try --listen)", config.listen))?;

    let ensemble = match &config.zk {
        Some(_) => None,
        None => {
            let ensemble_config = config.ensemble();
            println!(
                "starting a {}-member ZooKeeper ensemble on 127.0.0.1:{}-{} ...",
                ensemble_config.members,
                ensemble_config.client_port,
                ensemble_config.client_port + ensemble_config.members as u16 - 1
            );
            Some(EnsembleControl::new(
                Ensemble::start(ensemble_config).await?,
            ))
        }
    };
    let connect = match (&config.zk, &ensemble) {
        (Some(zk), _) => zk.clone(),
        (None, Some(ensemble)) => ensemble.connect_string().await,
        (None, None) => unreachable!("an ensemble is started when --zk is absent"),
    };

    let mut settings = config.server_settings(connect.clone());
    settings.ensemble = ensemble.clone();
    let server = Server::start(listener, settings)?;
    println!("ZooKeeper: {connect}");
    println!("zkplay is serving http://{}", server.addr());
    println!("press Ctrl-C to stop");

    shutdown_signal().await;
    println!("stopping: closing sessions ...");
    server.stop().await;
    if let Some(ensemble) = ensemble {
        println!("stopping the ZooKeeper ensemble ...");
        ensemble.stop().await;
    }
    println!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("install a SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}
