//! The `openivs` binary: `openivs serve` runs the server on the embedded default (SQLite in a data
//! dir); `openivs keys …` manages API keys in that data dir.

mod keys;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "openivs", version, about = "A self-hostable Amazon Interactive Video Service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the IVS API) on the embedded default: SQLite in the data dir.
    Serve(ServeArgs),
    /// Manage API keys (access key id and secret) of accounts.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
}

/// Options shared by the commands that use the data dir.
#[derive(clap::Args, Clone)]
pub struct DataDir {
    /// Where openivs keeps its database and generated credentials.
    #[arg(long, env = "OPENIVS_DATA_DIR", default_value = "./openivs-data")]
    pub data_dir: PathBuf,
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    data: DataDir,
    /// Address of the IVS API (port 0 picks a free port; the bound address is printed).
    #[arg(long, env = "OPENIVS_API_LISTEN", default_value = "127.0.0.1:8080")]
    api_listen: SocketAddr,
    /// Host that clients use to reach this server, used in ingestEndpoint, playbackUrl and srt.endpoint.
    #[arg(long, env = "OPENIVS_PUBLIC_HOST")]
    public_host: Option<String>,
    /// Base URL of playback URLs (default http://<public host>:<API port>).
    #[arg(long, env = "OPENIVS_PLAYBACK_BASE_URL")]
    playback_base_url: Option<String>,
    /// Turn off IVS's API rate limits (for load tests).
    #[arg(long, env = "OPENIVS_DISABLE_RATE_LIMITS")]
    disable_rate_limits: bool,
    /// Seconds that requests in flight may take to finish after SIGTERM/Ctrl-C before the server stops anyway.
    #[arg(
        long,
        env = "OPENIVS_SHUTDOWN_GRACE_SECS",
        default_value_t = openivs_server::app::DEFAULT_SHUTDOWN_GRACE.as_secs_f64()
    )]
    shutdown_grace_secs: f64,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OPENIVS_LOG").unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Keys(cmd) => keys::run(cmd).await,
        }
    })
}

async fn serve(args: ServeArgs) -> Result<()> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let root_key = match (env("OPENIVS_ROOT_ACCESS_KEY_ID"), env("OPENIVS_ROOT_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => Some((id, secret)),
        (None, None) => None,
        _ => anyhow::bail!(
            "set both OPENIVS_ROOT_ACCESS_KEY_ID and OPENIVS_ROOT_SECRET_ACCESS_KEY, or neither"
        ),
    };
    let cfg = openivs_server::app::ServeConfig {
        data_dir: args.data.data_dir,
        api_listen: args.api_listen,
        public_host: args.public_host,
        playback_base_url: args.playback_base_url,
        rtmps_port: 4443,
        rate_limits: !args.disable_rate_limits,
        root_key,
        account_id: env("OPENIVS_ACCOUNT_ID"),
        shutdown_grace: std::time::Duration::try_from_secs_f64(args.shutdown_grace_secs)
            .map_err(|_| anyhow::anyhow!("--shutdown-grace-secs must be a number of seconds >= 0"))?,
    };
    let data_dir = cfg.data_dir.clone();
    let running = openivs_server::app::start(cfg, shutdown_signal()).await?;
    let api = format!("http://{}", openivs_server::app::display_addr(running.api_addr));
    println!("openivs API listening on {api}");
    match &running.credentials_file {
        Some(creds) => {
            let config = data_dir.join("config");
            println!("root credentials: {} (profile {})", creds.display(), openivs_server::app::PROFILE);
            println!(
                "try: AWS_SHARED_CREDENTIALS_FILE={} AWS_CONFIG_FILE={} aws --profile {} ivs list-channels",
                creds.display(),
                config.display(),
                openivs_server::app::PROFILE
            );
        }
        None => println!("root credentials: from OPENIVS_ROOT_ACCESS_KEY_ID"),
    }
    running.wait().await?;
    println!("openivs stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
