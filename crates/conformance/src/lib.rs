//! Test harness: spawns the real `openivs serve` binary on port 0 with a fresh data dir, waits for its
//! ready line, and hands out clients: the official `aws-sdk-ivs` client and a raw signed HTTP/1.1
//! client for what SDKs cannot send (malformed bodies, odd paths, bad signatures).
//!
//! The binary is `target/<profile>/openivs` (built on first use with `cargo build -p openivs`, which is
//! a no-op when it is up to date), or `$OPENIVS_BIN`.

pub mod browser;
pub mod clock_pattern;
pub mod ffmpeg;
pub mod lossy_relay;
pub mod s3;

use aws_sdk_ivs::config::{BehaviorVersion, Credentials, Region};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// The account of the root key every test server starts with.
pub const ACCOUNT: &str = "123456789012";
/// The region test clients sign for.
pub const REGION: &str = "us-west-2";

/// Options for a test server.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Keep IVS's API rate limits on (off by default so tests run fast).
    pub rate_limits: bool,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Where the server's log (stderr) goes, appended; the test's own stderr when `None`.
    pub log_file: Option<PathBuf>,
    /// A command that runs the server (`["prlimit", "--nofile=1024:1024", "--"]`), if any.
    pub command_prefix: Vec<String>,
}

/// A running `openivs serve`, killed on drop.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    /// `rtmps://127.0.0.1:PORT` (RTMPS ingest; publish to `{rtmps_url}/app/<streamKey>`).
    pub rtmps_url: String,
    /// `rtmp://127.0.0.1:PORT` (plain RTMP ingest, for channels with insecureIngest).
    pub rtmp_url: String,
    /// `srt://127.0.0.1:PORT` (SRT ingest; the channel's `srt.endpoint` names the same port).
    pub srt_url: String,
    /// The data dir (kept across restarts of the same server).
    pub data_dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    /// Root access key id.
    pub access_key_id: String,
    /// Root secret access key.
    pub secret_access_key: String,
    opts: Options,
}

/// Path of the `openivs` binary, built once per test process.
pub fn binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Ok(p) = std::env::var("OPENIVS_BIN") {
            return PathBuf::from(p);
        }
        let exe = std::env::current_exe().expect("test executable path");
        // A test is target/<profile>/deps/<test>; a binary of this crate is target/<profile>/<bin>.
        let mut profile_dir = exe.parent().expect("target profile dir").to_path_buf();
        if profile_dir.file_name().is_some_and(|n| n == "deps") {
            profile_dir.pop();
        }
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.args(["build", "--quiet", "-p", "openivs"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("running cargo build -p openivs");
        assert!(status.success(), "cargo build -p openivs failed");
        profile_dir.join("openivs")
    })
    .clone()
}

fn random_hex(n: usize) -> String {
    let mut s = String::new();
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let mut x = nanos ^ (u128::from(std::process::id()) << 64) ^ (&s as *const String as usize as u128);
    while s.len() < n {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        s.push_str(&format!("{:x}", (x >> 64) as u64 & 0xf));
    }
    s
}

impl Server {
    /// Starts a server with default options.
    pub fn start() -> Self {
        Self::start_with(Options::default())
    }

    /// Starts a server with options.
    pub fn start_with(opts: Options) -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data_dir = tmp.path().to_path_buf();
        let mut s = Server {
            child: None,
            endpoint: String::new(),
            rtmps_url: String::new(),
            rtmp_url: String::new(),
            srt_url: String::new(),
            data_dir,
            _tmp: Some(tmp),
            access_key_id: format!("OIVSTEST{}", random_hex(12).to_uppercase()),
            secret_access_key: random_hex(40),
            opts,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let mut cmd = match self.opts.command_prefix.split_first() {
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg(binary());
                cmd
            }
            None => Command::new(binary()),
        };
        // A restart keeps the ingest ports, as a real deployment would (they are in ingestEndpoint).
        let again = |url: &str| match url.rsplit_once(':') {
            Some((_, port)) => format!("127.0.0.1:{port}"),
            None => "127.0.0.1:0".to_string(),
        };
        let (rtmps, rtmp, srt) = (again(&self.rtmps_url), again(&self.rtmp_url), again(&self.srt_url));
        cmd.args(["serve", "--api-listen", "127.0.0.1:0", "--rtmps-listen", &rtmps, "--rtmp-listen", &rtmp])
            .args(["--srt-listen", &srt])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .env("OPENIVS_ROOT_ACCESS_KEY_ID", &self.access_key_id)
            .env("OPENIVS_ROOT_SECRET_ACCESS_KEY", &self.secret_access_key)
            .env("OPENIVS_ACCOUNT_ID", ACCOUNT)
            .env_remove("OPENIVS_API_LISTEN")
            .env_remove("OPENIVS_DATA_DIR")
            .env_remove("OPENIVS_RTMPS_LISTEN")
            .env_remove("OPENIVS_RTMP_LISTEN")
            .env_remove("OPENIVS_SRT_LISTEN")
            .stdout(Stdio::piped());
        match self
            .opts
            .log_file
            .as_ref()
            .map(|p| std::fs::OpenOptions::new().create(true).append(true).open(p))
        {
            Some(Ok(file)) => cmd.stderr(file),
            Some(Err(e)) => panic!("opening the server's log file: {e}"),
            None => cmd.stderr(Stdio::inherit()),
        };
        if !self.opts.rate_limits {
            cmd.arg("--disable-rate-limits");
        }
        for (k, v) in &self.opts.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawning openivs serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let (mut endpoint, mut rtmps, mut rtmp, mut srt) = (None, None, None, None);
        // The API line comes first, then the ingest lines.
        while endpoint.is_none() || rtmps.is_none() || rtmp.is_none() || srt.is_none() {
            match lines.next() {
                Some(Ok(line)) => {
                    let field = |prefix: &str| line.strip_prefix(prefix).map(|u| u.trim().to_string());
                    endpoint = endpoint.or_else(|| field("openivs API listening on "));
                    rtmps = rtmps.or_else(|| field("openivs RTMPS ingest listening on "));
                    rtmp = rtmp.or_else(|| field("openivs RTMP ingest listening on "));
                    srt = srt.or_else(|| field("openivs SRT ingest listening on "));
                }
                _ => panic!("openivs serve exited before it was ready"),
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        self.endpoint = endpoint.unwrap_or_default();
        self.rtmps_url = rtmps.unwrap_or_default();
        self.rtmp_url = rtmp.unwrap_or_default();
        self.srt_url = srt.unwrap_or_default();
        self.child = Some(child);
    }

    /// Kills the server with SIGKILL (no chance to flush anything) and starts it again on the same data.
    pub fn kill9_and_restart(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.spawn();
    }

    /// The server's process id (for looking at it in /proc).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server running").id()
    }

    /// Stops the server with SIGTERM and returns its exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("server running");
        let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
        c.wait().expect("wait")
    }

    /// The official SDK client for the root key, signing for [`REGION`].
    pub fn client(&self) -> aws_sdk_ivs::Client {
        self.client_for(REGION, &self.access_key_id, &self.secret_access_key)
    }

    /// The official SDK client for another region or key.
    pub fn client_for(&self, region: &str, access_key_id: &str, secret: &str) -> aws_sdk_ivs::Client {
        let conf = aws_sdk_ivs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(access_key_id, secret, None, None, "openivs-test"))
            .build();
        aws_sdk_ivs::Client::from_conf(conf)
    }

    /// openivs's own client (`openivs-client`) for the root key, for what the AWS SDKs skip (openivs's
    /// extension members).
    pub fn openivs_client(&self) -> openivs_client::Client {
        let config = openivs_client::Config::builder()
            .region(REGION)
            .endpoint_url(&self.endpoint)
            .credentials(openivs_client::Credentials::new(&self.access_key_id, &self.secret_access_key, None))
            .environment(openivs_client::Environment::from_vars(Vec::<(String, String)>::new()))
            .build()
            .expect("openivs client config");
        openivs_client::Client::new(config)
    }

    /// Runs `openivs keys create` on this server's data dir; returns (access key id, secret, account).
    pub fn create_key(&self, account: Option<&str>, allow: &[&str]) -> (String, String, String) {
        let mut cmd = Command::new(binary());
        cmd.args(["keys", "create", "--data-dir"]).arg(&self.data_dir);
        if let Some(a) = account {
            cmd.args(["--account-id", a]);
        }
        if !allow.is_empty() {
            cmd.arg("--allow").arg(allow.join(","));
        }
        let out = cmd.output().expect("openivs keys create");
        assert!(out.status.success(), "keys create failed: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("keys create prints JSON");
        let s = |k: &str| v[k].as_str().expect("field").to_string();
        (s("accessKeyId"), s("secretAccessKey"), s("accountId"))
    }

    /// Host and port, for raw requests.
    pub fn authority(&self) -> &str {
        self.endpoint.trim_start_matches("http://")
    }

    /// Sends a raw HTTP/1.1 request, signed with the root key unless `sign` is false.
    pub fn raw(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        sign: bool,
    ) -> RawResponse {
        let mut all: Vec<(String, String)> =
            vec![("host".into(), self.authority().into()), ("content-length".into(), body.len().to_string())];
        all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        if sign {
            for (k, v) in sign_headers(self, method, target, &all, body, REGION, "ivs") {
                all.push((k, v));
            }
        }
        raw_send(self.authority(), method, target, &all, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The SigV4 headers for a raw request, by the openivs-sigv4 signer.
pub fn sign_headers(
    s: &Server,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
    region: &str,
    service: &str,
) -> Vec<(String, String)> {
    sign_at(s, method, target, headers, body, region, service, std::time::SystemTime::now())
}

/// Like [`sign_headers`] at a given time.
#[allow(clippy::too_many_arguments)]
pub fn sign_at(
    s: &Server,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
    region: &str,
    service: &str,
    at: std::time::SystemTime,
) -> Vec<(String, String)> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let hdrs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let req = openivs_sigv4::HttpRequest { method, path, query, headers: &hdrs, body };
    let credentials = openivs_sigv4::Credentials {
        access_key_id: &s.access_key_id,
        secret_access_key: &s.secret_access_key,
        session_token: None,
    };
    let params = openivs_sigv4::SigningParams { credentials, region, service, time: at };
    let out = openivs_sigv4::sign(&req, &params, openivs_sigv4::PayloadSigning::Hashed).expect("signing");
    out.headers.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A raw HTTP response.
#[derive(Debug)]
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// Headers, lowercase names.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Sends one request on a fresh connection and reads the whole response.
pub fn raw_send(
    authority: &str,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> RawResponse {
    let mut stream = TcpStream::connect(authority).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut req = format!("{method} {target} HTTP/1.1\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("connection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).expect("write head");
    stream.write_all(body).ok();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).ok();
    parse_response(&buf)
}

fn parse_response(buf: &[u8]) -> RawResponse {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("response head");
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
        body = dechunk(&body);
    }
    RawResponse { status, headers, body }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..pos]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = pos + 2;
        out.extend_from_slice(&b[start..(start + size).min(b.len())]);
        b = &b[(start + size + 2).min(b.len())..];
    }
    out
}

/// A P-384 public key (PEM) and its private key (PKCS#8 PEM), made with openssl for these tests.
pub mod keys {
    /// Public key 1.
    pub const PUB1: &str = include_str!("../fixtures/p384-1.pub.pem");
    /// Public key 2.
    pub const PUB2: &str = include_str!("../fixtures/p384-2.pub.pem");
    /// Public key 3.
    pub const PUB3: &str = include_str!("../fixtures/p384-3.pub.pem");
    /// Public key 4.
    pub const PUB4: &str = include_str!("../fixtures/p384-4.pub.pem");
    /// A P-256 public key (must be refused).
    pub const P256: &str = include_str!("../fixtures/p256.pub.pem");
}
