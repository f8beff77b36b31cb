//! The `openivs` binary: `openivs serve` runs the server on the embedded default (SQLite in a data
//! dir); `openivs keys …` manages API keys in that data dir. The client commands talk to a server
//! (openivs or IVS) with openivs-client: `openivs ivs <operation>` calls any operation as the AWS CLI
//! does, and `playback-key`, `token` and `ingest-url` help streamers and app developers.

mod args;
mod connect;
mod dispatch;
mod error;
mod ingest;
mod ivs;
mod keys;
mod output;
mod output_table;
mod playback;
mod values;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "openivs", version, about = "A self-hostable Amazon Interactive Video Service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the IVS API) on the embedded default: SQLite in the data dir.
    Serve(Box<ServeArgs>),
    /// Manage API keys (access key id and secret) of accounts.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Call any IVS operation, as `aws ivs` does: `openivs ivs create-channel --name demo`.
    Ivs(ivs::IvsArgs),
    /// Playback key pairs of private channels.
    #[command(subcommand)]
    PlaybackKey(playback::PlaybackKeyCommand),
    /// Sign a playback token for a private channel with a playback key pair's private key.
    Token(playback::TokenArgs),
    /// Print the RTMPS URL to publish a channel to (OBS, ffmpeg).
    IngestUrl(ingest::IngestUrlArgs),
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
    /// Base URL of playback URLs (default http://<public host>:<playback port>).
    #[arg(long, env = "OPENIVS_PLAYBACK_BASE_URL")]
    playback_base_url: Option<String>,
    /// Address of HLS playback, if not the API's (port 0 picks one; its port goes into playbackUrl).
    #[arg(long, env = "OPENIVS_PLAYBACK_LISTEN")]
    playback_listen: Option<SocketAddr>,
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
    /// Address of RTMPS ingest (port 0 picks one; its port goes into ingestEndpoint).
    #[arg(long, env = "OPENIVS_RTMPS_LISTEN", default_value = "127.0.0.1:4443")]
    rtmps_listen: SocketAddr,
    /// Address of plain RTMP ingest, accepted only for channels with insecureIngest ("off" turns it off).
    #[arg(long, env = "OPENIVS_RTMP_LISTEN", default_value = "127.0.0.1:1935")]
    rtmp_listen: String,
    /// UDP address of SRT ingest (port 0 picks one; "off" turns it off). Its port goes into
    /// srt.endpoint unless it is 9000, the port of IVS's SRT URLs.
    #[arg(long, env = "OPENIVS_SRT_LISTEN", default_value = "127.0.0.1:9000")]
    srt_listen: String,
    /// PEM certificate chain for RTMPS (default: a self-signed one generated into the data dir).
    #[arg(long, env = "OPENIVS_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for RTMPS.
    #[arg(long, env = "OPENIVS_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// MaxMind-format GeoIP database (GeoLite2/GeoIP2 Country or City .mmdb) to enforce the
    /// allowedCountries of playback restriction policies; without it countries are not enforced.
    #[arg(long, env = "OPENIVS_GEOIP_DB", value_name = "PATH")]
    geoip_db: Option<PathBuf>,
    /// A reverse proxy (address or network, e.g. 10.0.0.0/8) in front of playback whose
    /// X-Forwarded-For names the viewer, for allowedCountries; repeat or comma-separate.
    #[arg(
        long = "trusted-proxy",
        env = "OPENIVS_TRUSTED_PROXIES",
        value_name = "CIDR",
        value_delimiter = ',',
        value_parser = openivs_server::playback::access::TrustedProxies::parse_net
    )]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Seconds without media after which an encoder is disconnected (IVS: 30).
    #[arg(long, env = "OPENIVS_INGEST_STARVATION_SECS", default_value_t = 30.0)]
    ingest_starvation_secs: f64,
    /// Seconds an ingest connection may take from accept to an accepted publish (TLS, handshake,
    /// connect, publish).
    #[arg(long, env = "OPENIVS_INGEST_SETUP_TIMEOUT_SECS", default_value_t = 5.0)]
    ingest_setup_timeout_secs: f64,
    /// Ingest connections one address (an IPv6 /64) may hold before they publish; more are closed at
    /// accept. Publishing encoders do not count.
    #[arg(long, env = "OPENIVS_INGEST_MAX_PENDING_PER_ADDRESS", default_value_t = 16)]
    ingest_max_pending_per_address: usize,
    /// Connections open at once on each listener (API, playback, RTMPS, RTMP); default: a quarter of
    /// the open-file limit, less 256 kept for the database and the rest.
    #[arg(long, env = "OPENIVS_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Seconds a new HTTP connection may take to send its first bytes (the whole HTTP/2 preface).
    #[arg(long, env = "OPENIVS_HTTP_FIRST_BYTES_TIMEOUT_SECS", default_value_t = 5.0)]
    http_first_bytes_timeout_secs: f64,
    /// Seconds an HTTP connection may stay without a byte read or written (keep-alive idle).
    #[arg(long, env = "OPENIVS_HTTP_IDLE_TIMEOUT_SECS", default_value_t = 60.0)]
    http_idle_timeout_secs: f64,
    /// Seconds an HTTP response may wait for a client that does not read before it is disconnected.
    #[arg(long, env = "OPENIVS_HTTP_SEND_TIMEOUT_SECS", default_value_t = 30.0)]
    http_send_timeout_secs: f64,
    /// API connections one address (an IPv6 /64) may hold at once.
    #[arg(long, env = "OPENIVS_API_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 256)]
    api_max_connections_per_address: usize,
    /// Playback connections one address (an IPv6 /64) may hold at once; raise it for viewers behind
    /// one large NAT.
    #[arg(long, env = "OPENIVS_PLAYBACK_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 1024)]
    playback_max_connections_per_address: usize,
    /// S3-compatible endpoint that recording configurations' buckets are on (e.g.
    /// http://127.0.0.1:8333); credentials come from the usual AWS chain (AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY, or the profile). Without it, a bucket is a folder under
    /// <data-dir>/buckets.
    #[arg(long, env = "OPENIVS_S3_ENDPOINT", value_name = "URL")]
    s3_endpoint: Option<String>,
    /// Region to sign S3 requests for (default: AWS_REGION, the profile's, else us-east-1).
    #[arg(long, env = "OPENIVS_S3_REGION")]
    s3_region: Option<String>,
    /// The AWS profile with the S3 credentials (default: AWS_PROFILE, else "default").
    #[arg(long, env = "OPENIVS_S3_PROFILE")]
    s3_profile: Option<String>,
    /// Address buckets as <bucket>.<host> instead of <host>/<bucket> (path style, the default).
    #[arg(long, env = "OPENIVS_S3_VIRTUAL_HOSTED")]
    s3_virtual_hosted: bool,
    /// The most the recording spool (<data-dir>/spool, where recordings wait while S3 is slow or
    /// down) may hold, in MiB; past it, recordings lose data and end with a failure.
    #[arg(long, env = "OPENIVS_RECORDING_SPOOL_MAX_MB", value_name = "MIB", default_value_t = openivs_server::app::DEFAULT_RECORDING_SPOOL_MAX >> 20)]
    recording_spool_max: u64,
}

/// The S3 settings of `--s3-endpoint`, with region and credentials resolved as the AWS clients do.
fn s3_settings(args: &ServeArgs) -> Result<Option<openivs_server::recording::S3Settings>> {
    use openivs_client::{Config, ConfigError, Credentials};
    let Some(endpoint) = args.s3_endpoint.clone() else { return Ok(None) };
    let build = |region: Option<&str>, credentials: Option<Credentials>| {
        let mut b = Config::builder().endpoint_url(endpoint.clone());
        if let Some(r) = region.or(args.s3_region.as_deref()) {
            b = b.region(r);
        }
        if let Some(p) = &args.s3_profile {
            b = b.profile(p.clone());
        }
        if let Some(c) = credentials {
            b = b.credentials(c);
        }
        b.build()
    };
    let config = match build(None, None) {
        Err(ConfigError::MissingRegion) => build(Some("us-east-1"), None),
        other => other,
    };
    let (config, signed) = match config {
        Ok(c) => (c, true),
        Err(ConfigError::MissingCredentials(profile)) => {
            tracing::warn!(profile, "no AWS credentials found for S3: recordings are written unsigned");
            let unsigned = Some(Credentials::new("unsigned", "unsigned", None));
            let c = match build(None, unsigned.clone()) {
                Err(ConfigError::MissingRegion) => build(Some("us-east-1"), unsigned),
                other => other,
            }?;
            (c, false)
        }
        Err(e) => return Err(e.into()),
    };
    let creds = config.credentials();
    Ok(Some(openivs_server::recording::S3Settings {
        endpoint,
        region: config.region().to_string(),
        access_key_id: signed.then(|| creds.access_key_id().to_string()),
        secret_access_key: signed.then(|| creds.secret_access_key().to_string()),
        session_token: creds.session_token().filter(|_| signed).map(str::to_string),
        virtual_hosted: args.s3_virtual_hosted,
    }))
}

/// A number of seconds from a flag.
/// A listen address, or `None` for "off" (or empty).
fn optional_addr(flag: &str, value: &str) -> Result<Option<SocketAddr>> {
    match value {
        "off" | "" => Ok(None),
        a => Ok(Some(a.parse().map_err(|_| anyhow::anyhow!("{flag}: {a} is not an address"))?)),
    }
}

fn secs(value: f64, flag: &str) -> Result<std::time::Duration> {
    std::time::Duration::try_from_secs_f64(value)
        .map_err(|_| anyhow::anyhow!("--{flag} must be a number of seconds >= 0"))
}

/// jemalloc instead of glibc's malloc: ingest allocates a buffer per media message and a segment
/// buffer (0.7–2.5 MB) every few seconds per stream, from both worker threads. With 100 publishers,
/// glibc's `_int_malloc` and friends were ~10 % of the server's profile; with jemalloc the steady
/// state measured 0.15 % CPU per stream against glibc's 0.16 % (docs/benchmarks.md, Ingest).
#[cfg(all(unix, not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OPENIVS_LOG").unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let client_command = match cli.command {
            Command::Serve(args) => return serve(*args).await.map(|()| ExitCode::SUCCESS),
            Command::Keys(cmd) => return keys::run(cmd).await.map(|()| ExitCode::SUCCESS),
            Command::Ivs(args) => ivs::run(args).await,
            Command::PlaybackKey(cmd) => playback::run(cmd).await,
            Command::Token(args) => playback::token(args),
            Command::IngestUrl(args) => ingest::run(args).await,
        };
        Ok(match client_command {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => ExitCode::from(failure.report()),
        })
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
    let s3 = s3_settings(&args)?;
    let cfg = openivs_server::app::ServeConfig {
        data_dir: args.data.data_dir,
        api_listen: args.api_listen,
        public_host: args.public_host,
        playback_base_url: args.playback_base_url,
        playback_listen: args.playback_listen,
        rtmps_listen: args.rtmps_listen,
        rtmp_listen: optional_addr("--rtmp-listen", &args.rtmp_listen)?,
        srt_listen: optional_addr("--srt-listen", &args.srt_listen)?,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        ingest_limits: openivs_media::rtmp::Limits {
            starvation_timeout: secs(args.ingest_starvation_secs, "ingest-starvation-secs")?,
            setup_timeout: secs(args.ingest_setup_timeout_secs, "ingest-setup-timeout-secs")?,
            max_pending_per_address: args.ingest_max_pending_per_address,
            ..Default::default()
        },
        http: openivs_server::http::Limits {
            first_bytes_timeout: secs(args.http_first_bytes_timeout_secs, "http-first-bytes-timeout-secs")?,
            idle_timeout: secs(args.http_idle_timeout_secs, "http-idle-timeout-secs")?,
            send_timeout: secs(args.http_send_timeout_secs, "http-send-timeout-secs")?,
            max_per_address: args.api_max_connections_per_address,
            ..Default::default()
        },
        playback_max_per_address: args.playback_max_connections_per_address,
        max_connections: args.max_connections,
        rate_limits: !args.disable_rate_limits,
        geoip_db: args.geoip_db,
        trusted_proxies: args.trusted_proxies,
        root_key,
        account_id: env("OPENIVS_ACCOUNT_ID"),
        shutdown_grace: secs(args.shutdown_grace_secs, "shutdown-grace-secs")?,
        s3,
        recording_spool_max: args.recording_spool_max.saturating_mul(1 << 20),
    };
    let data_dir = cfg.data_dir.clone();
    let running = openivs_server::app::start(cfg, shutdown_signal()).await?;
    let api = format!("http://{}", openivs_server::app::display_addr(running.api_addr));
    println!("openivs API listening on {api}");
    println!(
        "openivs RTMPS ingest listening on rtmps://{}",
        openivs_server::app::display_addr(running.rtmps_addr)
    );
    if running.playback_addr != running.api_addr {
        println!(
            "openivs HLS playback listening on http://{}",
            openivs_server::app::display_addr(running.playback_addr)
        );
    }
    if let Some(rtmp) = running.rtmp_addr {
        println!("openivs RTMP ingest listening on rtmp://{}", openivs_server::app::display_addr(rtmp));
    }
    if let Some(srt) = running.srt_addr {
        println!("openivs SRT ingest listening on srt://{}", openivs_server::app::display_addr(srt));
    }
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
