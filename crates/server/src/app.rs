//! Start-up: the data dir, the database, the default account and its root key (from the environment,
//! or generated once and written as an AWS shared-credentials file), the API listener, the RTMPS and
//! RTMP ingest listeners, the SRT ingest listener, and a clean shutdown when asked.

use crate::control::{Service, Urls, ids};
use crate::store::{ApiKey, SqliteStore, Store};
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Profile name in the generated credentials and config files.
pub const PROFILE: &str = "openivs";
/// Region written into the generated config file (any region works; resources are per region).
pub const DEFAULT_REGION: &str = "us-east-1";

/// What `openivs serve` needs.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Data directory (database, generated credentials).
    pub data_dir: PathBuf,
    /// API listen address (port 0 picks one).
    pub api_listen: SocketAddr,
    /// Host in `ingestEndpoint`, `playbackUrl` and `srt.endpoint`; default: the API listen host.
    pub public_host: Option<String>,
    /// Base URL of playback URLs; default `http://<public host>:<playback port>`.
    pub playback_base_url: Option<String>,
    /// A listener of its own for HLS playback (port 0 picks one); `None` serves playback on the API
    /// listener.
    pub playback_listen: Option<SocketAddr>,
    /// RTMPS ingest listen address (port 0 picks one); its port is the one in `ingestEndpoint`.
    pub rtmps_listen: SocketAddr,
    /// Plain RTMP ingest listen address, for channels with `insecureIngest`; `None` turns it off.
    pub rtmp_listen: Option<SocketAddr>,
    /// SRT ingest listen address (UDP; port 0 picks one); its port goes into `srt.endpoint` unless it
    /// is 9000, the port IVS's SRT URLs name. `None` turns it off.
    pub srt_listen: Option<SocketAddr>,
    /// PEM certificate chain and key for RTMPS; without them a self-signed pair is generated into the
    /// data dir.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for RTMPS.
    pub tls_key: Option<PathBuf>,
    /// Ingest time limits (starvation disconnect, maximum duration, setup time).
    pub ingest_limits: openivs_media::rtmp::Limits,
    /// IVS's API rate limits.
    pub rate_limits: bool,
    /// A MaxMind-format GeoIP database (GeoLite2/GeoIP2 Country or City) for restriction policies'
    /// `allowedCountries`; without one, countries are not enforced.
    pub geoip_db: Option<PathBuf>,
    /// Reverse proxies in front of playback whose `X-Forwarded-For` names the viewer (for countries).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Root key of the default account (`OPENIVS_ROOT_ACCESS_KEY_ID` / `..._SECRET_ACCESS_KEY`).
    pub root_key: Option<(String, String)>,
    /// Account id of the default account (`OPENIVS_ACCOUNT_ID`).
    pub account_id: Option<String>,
    /// How long requests in flight may take to finish after the shutdown signal; connections still
    /// open then (a stalled or idle-mid-request client) are dropped so the server always stops.
    pub shutdown_grace: Duration,
    /// Deadlines and per-address cap of the API listener (and of playback when it shares it); its
    /// `max_connections` is replaced by [`ServeConfig::max_connections`].
    pub http: crate::http::Limits,
    /// Connections one address may hold on the playback listener (viewers behind one NAT).
    pub playback_max_per_address: usize,
    /// Connections open at once on each listener (API, playback, RTMPS, RTMP); `None` derives it
    /// from the open-file limit ([`connection_cap`]), so that one flooded listener cannot take the
    /// descriptors the others need.
    pub max_connections: Option<usize>,
    /// The S3-compatible server recordings go to; `None`: a folder per bucket under
    /// `<data-dir>/buckets`, so the embedded default records too.
    pub s3: Option<crate::recording::S3Settings>,
    /// The most the recording spool (`<data-dir>/spool`, where recordings wait while the store is
    /// slow or down) may hold, bytes.
    pub recording_spool_max: u64,
}

/// Default of [`ServeConfig::recording_spool_max`]: 4 GiB, about 90 minutes of one 6 Mbit/s stream.
pub const DEFAULT_RECORDING_SPOOL_MAX: u64 = 4 << 30;

/// Default of [`ServeConfig::shutdown_grace`].
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The database file in a data dir.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("openivs.db")
}

/// Opens the store of a data dir, creating both if needed. The data dir and everything in it are
/// made private to the server's user first ([`make_private`]).
pub fn open_store(data_dir: &Path) -> Result<SqliteStore> {
    let mut dir = std::fs::DirBuilder::new();
    dir.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
    dir.create(data_dir).with_context(|| format!("creating data dir {}", data_dir.display()))?;
    make_private(data_dir);
    let db = database_path(data_dir);
    // SQLite gives the WAL and shared-memory files the database file's mode, so creating the database
    // 0600 makes them 0600 too.
    if !db.exists() {
        write_private(&db, "")?;
    }
    SqliteStore::open(&db).with_context(|| format!("opening database in {}", data_dir.display()))
}

/// Makes the data dir and every directory in it 0700, and every file 0600 (issue 16: the database and
/// its WAL, holding every secret access key, stream key and signing key, were 0644 in a 0755 dir).
/// An existing install is fixed at start, with a log line saying how many entries were tightened.
/// Symbolic links are left alone (their target may be anything the operator chose). A failure is
/// logged, not returned.
pub fn make_private(data_dir: &Path) {
    #[cfg(unix)]
    {
        let mut fixed = 0usize;
        // Not fatal (a data dir on a file system without modes, entries of another user): the server
        // still runs, and says what it could not do.
        if let Err(e) = tighten(data_dir, &mut fixed) {
            tracing::warn!(data_dir = %data_dir.display(), error = %e, "could not make everything in the data dir private");
        }
        if fixed > 0 {
            tracing::info!(
                data_dir = %data_dir.display(),
                entries = fixed,
                "tightened permissions in the data dir: directories 0700, files 0600"
            );
        }
    }
}

#[cfg(unix)]
fn tighten(path: &Path, fixed: &mut usize) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    let want = if meta.is_dir() {
        0o700
    } else if meta.is_file() {
        0o600
    } else {
        return Ok(());
    };
    if meta.permissions().mode() & 0o777 != want {
        tracing::debug!(path = %path.display(), mode = format!("{:o}", meta.permissions().mode() & 0o777), "made private");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(want))?;
        *fixed += 1;
    }
    // Recordings in local buckets are the user's media, for other tools to read: the folder is
    // private, its contents are left as written (and not walked at every start).
    if meta.is_dir() && path.file_name().is_some_and(|n| n == "buckets") {
        return Ok(());
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            tighten(&entry?.path(), fixed)?;
        }
    }
    Ok(())
}

/// A new access key id (20 characters, like AWS's, with an `OIVS` prefix so it is never mistaken for one).
pub fn new_access_key_id() -> String {
    format!("OIVS{}", ids::alnum(16).to_ascii_uppercase())
}

/// A new secret access key (40 characters).
pub fn new_secret() -> String {
    ids::alnum(40)
}

/// The default account id: `OPENIVS_ACCOUNT_ID` on first start, else 12 random digits; kept in the database.
pub async fn default_account(store: &dyn Store, wanted: Option<&str>) -> Result<String> {
    let generated: String = ids::bytes::<12>().iter().map(|b| char::from(b'0' + b % 10)).collect();
    let initial = wanted.unwrap_or(&generated);
    Ok(store.meta_get_or_init("default_account", initial).await?)
}

/// Makes sure the default account has its root key; returns where generated credentials were written.
async fn bootstrap_root_key(cfg: &ServeConfig, store: &dyn Store, account: &str) -> Result<Option<PathBuf>> {
    let now = openivs_model::Timestamp::now().unix_millis();
    if let Some((id, secret)) = &cfg.root_key {
        match store.get_key(id).await? {
            Some(k) if &k.secret_access_key == secret && k.account == account => {}
            Some(_) => {
                store.delete_key(id).await?;
                store
                    .put_key(ApiKey {
                        access_key_id: id.clone(),
                        secret_access_key: secret.clone(),
                        account: account.into(),
                        allow: vec![],
                        created_ms: now,
                    })
                    .await?;
            }
            None => {
                store
                    .put_key(ApiKey {
                        access_key_id: id.clone(),
                        secret_access_key: secret.clone(),
                        account: account.into(),
                        allow: vec![],
                        created_ms: now,
                    })
                    .await?;
            }
        }
        return Ok(None);
    }
    let id = store.meta_get_or_init("root_access_key_id", &new_access_key_id()).await?;
    let key = match store.get_key(&id).await? {
        Some(k) => k,
        None => {
            let k = ApiKey {
                access_key_id: id,
                secret_access_key: new_secret(),
                account: account.into(),
                allow: vec![],
                created_ms: now,
            };
            store.put_key(k.clone()).await?;
            k
        }
    };
    let path = cfg.data_dir.join("credentials");
    write_credentials(&path, &key)?;
    Ok(Some(path))
}

/// Writes an AWS shared-credentials file (mode 0600) holding one key under the `openivs` profile.
pub fn write_credentials(path: &Path, key: &ApiKey) -> Result<()> {
    let text = format!(
        "# openivs root key of account {}\n[{PROFILE}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        key.account, key.access_key_id, key.secret_access_key
    );
    write_private(path, &text)
}

/// Writes a file readable by its owner only (mode 0600).
pub(crate) fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// Writes an AWS config file with the `openivs` profile's region and endpoint, so that
/// `AWS_CONFIG_FILE=… AWS_SHARED_CREDENTIALS_FILE=… aws --profile openivs ivs …` needs no other flag.
fn write_config(path: &Path, endpoint: &str) -> Result<()> {
    let text = format!("[profile {PROFILE}]\nregion = {DEFAULT_REGION}\nendpoint_url = {endpoint}\n");
    write_private(path, &text)
}

/// A running server.
pub struct Running {
    /// Where the API listens.
    pub api_addr: SocketAddr,
    /// Where HLS playback is served (the API's address unless `playback_listen` was given).
    pub playback_addr: SocketAddr,
    /// Where RTMPS ingest listens.
    pub rtmps_addr: SocketAddr,
    /// Where plain RTMP ingest listens, if on.
    pub rtmp_addr: Option<SocketAddr>,
    /// Where SRT ingest listens, if on.
    pub srt_addr: Option<SocketAddr>,
    /// Generated credentials file, if the root key was generated.
    pub credentials_file: Option<PathBuf>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    playback_task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    store: Arc<SqliteStore>,
    recorder: Arc<crate::recording::Recorder>,
    grace: Duration,
}

impl Running {
    /// Waits for the server to stop (after the shutdown future resolved).
    pub async fn wait(self) -> Result<()> {
        self.task.await??;
        if let Some(t) = self.playback_task {
            t.await??;
        }
        // The streams were stopped with the listeners; their recordings end now, without waiting
        // out reconnect windows.
        let unfinished = self.recorder.stop(self.grace).await;
        if unfinished > 0 {
            tracing::warn!(
                recordings = unfinished,
                "recordings still uploading at shutdown; they end with recording-failed.json at the next start"
            );
        }
        // A clean stop leaves no WAL behind (it is copied into the database and truncated).
        if let Err(e) = self.store.checkpoint_at_shutdown().await {
            tracing::warn!(error = %e, "the checkpoint at shutdown failed; the WAL stays beside the database");
        }
        Ok(())
    }
}

fn public_host(cfg: &ServeConfig, api_addr: SocketAddr) -> String {
    cfg.public_host.clone().unwrap_or_else(|| match api_addr.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        ip => ip.to_string(),
    })
}

/// The SRT port that IVS's URLs name (`srt://<srt.endpoint>:9000?…`).
pub const SRT_PORT: u16 = 9000;

fn urls(cfg: &ServeConfig, api_addr: SocketAddr, ports: IngestPorts, playback_port: u16) -> Urls {
    let host = public_host(cfg, api_addr);
    let ingest = if ports.rtmps == 443 { host.clone() } else { format!("{host}:{}", ports.rtmps) };
    let srt = match ports.srt {
        Some(p) if p != SRT_PORT => format!("{host}:{p}"),
        _ => host.clone(),
    };
    let playback = cfg.playback_base_url.clone().unwrap_or_else(|| format!("http://{host}:{playback_port}"));
    Urls {
        ingest_endpoint: ingest,
        playback_base: playback.trim_end_matches('/').to_string(),
        srt_endpoint: srt,
    }
}

/// The ingest ports that URLs show.
#[derive(Clone, Copy)]
struct IngestPorts {
    rtmps: u16,
    srt: Option<u16>,
}

/// Starts the server; it stops when `shutdown` resolves.
pub async fn start(
    cfg: ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running> {
    let open_files = raise_open_file_limit();
    let max_connections = cfg.max_connections.unwrap_or_else(|| connection_cap(open_files));
    tracing::debug!(max_connections, open_files, "connection cap of each listener");
    let store = Arc::new(open_store(&cfg.data_dir)?);
    let account = default_account(store.as_ref(), cfg.account_id.as_deref()).await?;
    let credentials_file = bootstrap_root_key(&cfg, store.as_ref(), &account).await?;
    let paging_hex = store.meta_get_or_init("paging_key", &hex::encode(ids::bytes::<32>())).await?;
    let mut paging_key = [0u8; 32];
    hex::decode_to_slice(&paging_hex, &mut paging_key).context("stored paging key is not 32 bytes of hex")?;
    let session_hex =
        store.meta_get_or_init("playback_session_key", &hex::encode(ids::bytes::<32>())).await?;
    let mut session_key = [0u8; 32];
    hex::decode_to_slice(&session_hex, &mut session_key)
        .context("stored session key is not 32 bytes of hex")?;
    let geo = cfg.geoip_db.as_deref().map(crate::playback::access::Geo::open).transpose()?;
    let listener = tokio::net::TcpListener::bind(cfg.api_listen)
        .await
        .with_context(|| format!("binding {}", cfg.api_listen))?;
    let api_addr = listener.local_addr()?;
    let rtmps = tokio::net::TcpListener::bind(cfg.rtmps_listen)
        .await
        .with_context(|| format!("binding RTMPS ingest {}", cfg.rtmps_listen))?;
    let rtmps_addr = rtmps.local_addr()?;
    let rtmp = match cfg.rtmp_listen {
        Some(a) => {
            Some(tokio::net::TcpListener::bind(a).await.with_context(|| format!("binding RTMP ingest {a}"))?)
        }
        None => None,
    };
    let srt = match cfg.srt_listen {
        Some(a) => Some(std::net::UdpSocket::bind(a).with_context(|| format!("binding SRT ingest {a}"))?),
        None => None,
    };
    let srt_port = srt.as_ref().map(|s| s.local_addr()).transpose()?.map(|a| a.port());
    let playback = match cfg.playback_listen {
        Some(a) => {
            Some(tokio::net::TcpListener::bind(a).await.with_context(|| format!("binding playback {a}"))?)
        }
        None => None,
    };
    let playback_addr = match &playback {
        Some(l) => l.local_addr()?,
        None => api_addr,
    };
    let ports = IngestPorts { rtmps: rtmps_addr.port(), srt: srt_port };
    let urls = urls(&cfg, api_addr, ports, playback_addr.port());
    if credentials_file.is_some() {
        write_config(&cfg.data_dir.join("config"), &format!("http://{}", display_addr(api_addr)))?;
    }
    let closed = crate::ingest::close_orphaned_sessions(store.as_ref()).await?;
    if closed > 0 {
        tracing::info!(sessions = closed, "ended the stream sessions left live by the last run");
    }
    let tls = crate::ingest::tls::acceptor(
        &cfg.data_dir,
        cfg.tls_cert.as_deref(),
        cfg.tls_key.as_deref(),
        &[public_host(&cfg, api_addr).trim_matches(['[', ']']).to_string()],
    )?;
    let registry = Arc::new(crate::ingest::Registry::default());
    let sqlite = store.clone();
    let store: Arc<dyn Store> = store;
    let storage = match &cfg.s3 {
        Some(s3) => crate::recording::Storage::S3(s3.clone()),
        None => crate::recording::Storage::Local(cfg.data_dir.join("buckets")),
    };
    let buckets = Arc::new(crate::recording::Buckets::new(storage));
    let spool =
        Arc::new(crate::recording::upload::Spool::new(cfg.data_dir.join("spool"), cfg.recording_spool_max));
    let journal = crate::recording::journal::Journal::new(crate::recording::journal::dir(&cfg.data_dir));
    let recorder = Arc::new(crate::recording::Recorder::new(buckets.clone(), spool, store.clone(), journal));
    // Recordings a killed server left open get their end (in the background: the store may be slow).
    let recovering = recorder.clone();
    tokio::spawn(async move {
        let n = recovering.recover().await;
        if n > 0 {
            tracing::info!(recordings = n, "ended the recordings left open by the last run");
        }
    });
    let svc = Arc::new(
        Service::new(store.clone(), urls, registry.clone(), paging_key, cfg.rate_limits)
            .with_destination_check(buckets),
    );
    let ingest = Arc::new(
        crate::ingest::Ingest::new(store.clone(), svc.clone(), registry.clone())
            .with_recorder(recorder.clone()),
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let limits = openivs_media::rtmp::Limits { max_connections, ..cfg.ingest_limits.clone() };
    let api_http = crate::http::Limits { max_connections, ..cfg.http.clone() };
    let playback_http = crate::http::Limits {
        max_connections,
        max_per_address: cfg.playback_max_per_address,
        ..cfg.http.clone()
    };
    openivs_media::rtmp::serve(rtmps, Some(tls), ingest.clone(), limits.clone(), stop_rx.clone())?;
    let rtmp_addr = match rtmp {
        Some(l) => Some(
            openivs_media::rtmp::serve(l, None, ingest.clone(), limits.clone(), stop_rx.clone())?.local_addr,
        ),
        None => None,
    };
    let srt_addr = match srt {
        Some(s) => Some(openivs_media::srt::serve(s, ingest, limits, stop_rx.clone())?.local_addr),
        None => None,
    };
    let grace = cfg.shutdown_grace;
    let (down_tx, mut down_rx) = tokio::sync::watch::channel(false);
    let pb = Arc::new(
        crate::playback::Playback::new(registry.clone(), store.clone(), session_key, geo)
            .with_trusted_proxies(crate::playback::access::TrustedProxies::new(cfg.trusted_proxies.clone())),
    );
    let (app, playback_task) = match playback {
        None => (crate::api::router(svc).merge(crate::playback::router(pb)), None),
        Some(l) => {
            let stopped = async move {
                let _ = down_rx.wait_for(|down| *down).await;
            };
            let task = tokio::spawn(crate::http::serve_until(
                l,
                crate::playback::router(pb),
                stopped,
                grace,
                playback_http,
            ));
            (crate::api::router(svc), Some(task))
        }
    };
    let shutdown = async move {
        shutdown.await;
        down_tx.send_replace(true);
        // Stop accepting encoders and disconnect the live ones; their sessions are written as they end.
        stop_tx.send_replace(true);
        registry.stop_all();
    };
    let task = tokio::spawn(crate::http::serve_until(listener, app, shutdown, grace, api_http));
    Ok(Running {
        api_addr,
        playback_addr,
        rtmps_addr,
        rtmp_addr,
        srt_addr,
        credentials_file,
        task,
        playback_task,
        store: sqlite,
        recorder,
        grace: cfg.shutdown_grace.max(Duration::from_secs(10)),
    })
}

/// Raises the soft limit on open files to the hard limit, as servers that hold many connections do
/// (nginx's `worker_rlimit_nofile`; Go's runtime does it at start): every encoder, every viewer's
/// connection and every live segment sent with sendfile (one memory file each) takes a descriptor,
/// and the usual soft limit of 1024 would make `accept` fail at a few hundred viewers. Returns the
/// soft limit in effect (1024, the usual default, where it cannot be read).
fn raise_open_file_limit() -> u64 {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
        if current < maximum {
            match setrlimit(Resource::Nofile, Rlimit { current: maximum, maximum }) {
                Ok(()) => {
                    tracing::debug!(from = ?current, to = ?maximum, "raised the open-file limit");
                    return maximum.unwrap_or(u64::MAX);
                }
                Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
            }
        }
        current.unwrap_or(u64::MAX)
    }
    #[cfg(not(target_os = "linux"))]
    1024
}

/// Descriptors kept for everything but connections: the database (a writer, four readers, a
/// checkpointer, each with its WAL and shared-memory files), listeners, memory files of live segments.
const RESERVED_FILES: u64 = 256;

/// The connection cap of each listener for an open-file limit: a quarter of what is left after
/// [`RESERVED_FILES`], since four listeners share the limit (192 each at the usual 1,024; issue 16:
/// 1,100 idle API connections took every descriptor, and with them ingest). Between 64 and 65,536.
pub fn connection_cap(open_files: u64) -> usize {
    let each = open_files.saturating_sub(RESERVED_FILES) / 4;
    usize::try_from(each.clamp(64, 65_536)).unwrap_or(65_536)
}

/// The address as a client would dial it (`0.0.0.0` becomes `127.0.0.1`).
pub fn display_addr(a: SocketAddr) -> String {
    match a.ip() {
        ip if ip.is_unspecified() => format!("127.0.0.1:{}", a.port()),
        _ => a.to_string(),
    }
}
