//! `latency-bench`: glass-to-glass latency of live playback in a real player, per latency mode, and the
//! server's ingest-to-availability latency, side by side with nginx-rtmp.
//!
//! Glass to glass: the wall-clock test pattern (`conformance::clock_pattern`: every frame shows the time
//! it was painted, piped through ffmpeg's libx264 veryfast/zerolatency, 1 s GOP, 30 fps, to RTMP) is
//! played by hls.js (lowLatencyMode on, default settings otherwise) in headless Chromium
//! (`clients/browser/run.mjs`), which reads the barcode of every frame it shows and takes
//! `Date.now() - painted` (same machine, same clock). Percentiles over the frames shown after
//! `--warmup` seconds of playing. Each `--hls-config` (hls.js settings as JSON) adds a run per server with
//! those settings after the one with hls.js's defaults. `--players hlsjs,ivs` also plays each stream
//! in the Amazon IVS Player Web SDK (same page harness, `run.mjs --player ivs`), one after the other
//! on the same stream, so the two players' figures sit side by side.
//!
//! Availability: `shared/bench/hls_latency.py` (its own publisher; the time a segment or part is listed
//! minus when its newest sample was sent), once per mode, through a proxy that drops the per-viewer
//! `?session=` from URIs (see `session_stripping_proxy`).
//!
//! `--ingest rtmp,srt` publishes each mode's pattern over RTMP and then over SRT (MPEG-TS, the
//! channel's passphrase, `latency=120` ms, libsrt's default), for the two side by side.
//!
//! nginx-rtmp (`--nginx`): `shared/bench/nginx_rtmp.sh` with each `--nginx-fragments` value (its config
//! gets `Access-Control-Allow-Origin: *` added, which hls.js on another origin needs), played the same
//! way.
//!
//! ```sh
//! cargo build --release -p openivs && cargo run --release -p conformance --bin latency-bench -- \
//!     [--seconds 60] [--warmup 10] [--modes low,normal,low-fmp4,normal-fmp4] [--nginx] \
//!     [--nginx-fragments 1s,2s] [--no-availability] [--bench-dir ../shared/bench] \
//!     [--hls-config '{"liveSyncDurationCount":2}']... [--players hlsjs,ivs] [--ingest rtmp,srt]
//! ```
//! Needs ffmpeg, node with `npm ci` done in clients/browser, Chromium, python3 (and nginx with
//! libnginx-mod-rtmp for `--nginx`). The load average is printed with every figure: the machine is
//! shared, and what else runs moves the numbers.

use aws_sdk_ivs::types::{ChannelLatencyMode, ContainerFormat};
use conformance::browser::{self, Runner};
use conformance::clock_pattern::ClockPublisher;
use conformance::{Server, raw_send};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Channel kinds: latency mode, and `-fmp4` for FRAGMENTED_MP4 segments (MPEG-TS otherwise).
const MODES: [&str; 4] = ["low", "normal", "low-fmp4", "normal-fmp4"];

struct Args {
    seconds: u32,
    warmup: u32,
    modes: Vec<String>,
    nginx: bool,
    nginx_fragments: Vec<String>,
    availability: bool,
    bench_dir: PathBuf,
    hls_configs: Vec<String>,
    players: Vec<String>,
    ingests: Vec<String>,
}

fn usage(msg: &str) -> ! {
    eprintln!("latency-bench: {msg}");
    eprintln!(
        "usage: latency-bench [--seconds 60] [--warmup 10] [--modes low,normal,low-fmp4,normal-fmp4] \
         [--nginx] [--nginx-fragments 1s,2s] [--no-availability] [--bench-dir DIR] [--hls-config JSON]... \
         [--ingest rtmp,srt] \
         [--players hlsjs,ivs]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        seconds: 60,
        warmup: 10,
        modes: vec!["low".into(), "normal".into()],
        nginx: false,
        nginx_fragments: vec!["1s".into(), "2s".into()],
        availability: true,
        bench_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench"),
        hls_configs: vec!["{}".into()],
        players: vec!["hlsjs".into()],
        ingests: vec!["rtmp".into()],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let list = |v: String| v.split(',').map(|s| s.trim().to_ascii_lowercase()).collect::<Vec<_>>();
        match flag.as_str() {
            "--seconds" => a.seconds = value().parse().unwrap_or_else(|_| usage("--seconds: a number")),
            "--warmup" => a.warmup = value().parse().unwrap_or_else(|_| usage("--warmup: a number")),
            "--modes" => a.modes = list(value()),
            "--nginx" => a.nginx = true,
            "--nginx-fragments" => a.nginx_fragments = list(value()),
            "--no-availability" => a.availability = false,
            "--bench-dir" => a.bench_dir = PathBuf::from(value()),
            "--hls-config" => a.hls_configs.push(value()),
            "--players" => a.players = list(value()),
            "--ingest" => a.ingests = list(value()),
            "-h" | "--help" => usage("help"),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if let Some(p) = a.players.iter().find(|p| !["hlsjs", "ivs"].contains(&p.as_str())) {
        usage(&format!("unknown player {p} (hlsjs, ivs)"));
    }
    if let Some(i) = a.ingests.iter().find(|i| !["rtmp", "srt"].contains(&i.as_str())) {
        usage(&format!("unknown ingest {i} (rtmp, srt)"));
    }
    if let Some(m) = a.modes.iter().find(|m| !MODES.contains(&m.as_str())) {
        usage(&format!("unknown mode {m} ({})", MODES.join(", ")));
    }
    a
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Waits until an http://host:port/path URL answers 200.
fn wait_ok(url: &str, limit: Duration) -> bool {
    let rest = url.trim_start_matches("http://");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let headers = [("host".to_string(), authority.to_string())];
        if std::net::TcpStream::connect(authority).is_ok()
            && raw_send(authority, "GET", path, &headers, b"").status == 200
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// One glass-to-glass figure: plays `url` while the clock pattern goes to `ingest`.
struct Measured {
    label: String,
    latency: Value,
    hls_estimate: Value,
    load: String,
    note: String,
}

/// Runs the pattern once and plays it once per `--hls-config`; one figure each.
fn glass_to_glass(a: &Args, label: &str, ingest: &str, url: &str) -> Vec<Measured> {
    let mut publisher = ClockPublisher::start(ingest).expect("ffmpeg");
    if !wait_ok(url, Duration::from_secs(60)) {
        publisher.stop();
        let m = Measured {
            label: label.into(),
            latency: Value::Null,
            hls_estimate: Value::Null,
            load: loadavg(),
            note: format!("{url} never answered 200"),
        };
        print_measured(&m);
        return vec![m];
    }
    let (secs, warm) = (a.seconds.to_string(), a.warmup.to_string());
    let mut out = Vec::new();
    // Each hls.js configuration, then the IVS Player (which has none of hls.js's settings).
    let mut runs: Vec<(&str, &str)> = Vec::new();
    if a.players.iter().any(|p| p == "hlsjs") {
        runs.extend(a.hls_configs.iter().map(|c| ("hlsjs", c.as_str())));
    }
    if a.players.iter().any(|p| p == "ivs") {
        runs.push(("ivs", "{}"));
    }
    for (player, config) in runs {
        let label = match (player, config) {
            ("ivs", _) => format!("{label}, IVS Player"),
            (_, "{}") => label.to_string(),
            _ => format!("{label}, hls.js {config}"),
        };
        let mut runner = Runner::start(
            url,
            &[
                "--barcode",
                "--seconds",
                &secs,
                "--warmup",
                &warm,
                "--timeout",
                "60",
                "--hls-config",
                config,
                "--player",
                player,
            ],
        );
        let r = runner.result(Duration::from_secs(u64::from(a.seconds) + 180));
        let note = if r["ok"] == true {
            format!(
                "{} frames read, {} unreadable, {} dropped",
                r["clockFrames"], r["clockErrors"], r["droppedFrames"]
            )
        } else {
            format!("runner failed: {}", r["failures"])
        };
        let m = Measured {
            label,
            latency: r["latencyMs"].clone(),
            hls_estimate: r["hlsLatency"].clone(),
            load: loadavg(),
            note,
        };
        print_measured(&m);
        out.push(m);
    }
    publisher.stop();
    out
}

fn print_measured(m: &Measured) {
    let l = &m.latency;
    if l.is_null() {
        println!("{}: no latency measured ({}); load {}", m.label, m.note, m.load);
    } else {
        println!(
            "{}: glass-to-glass p50 {} ms, p90 {} ms, p99 {} ms (min {}, max {}, {} frames); \
             hls.js estimate {:.2} s; load {}; {}",
            m.label,
            l["p50"],
            l["p90"],
            l["p99"],
            l["min"],
            l["max"],
            l["count"],
            m.hls_estimate.as_f64().unwrap_or(f64::NAN),
            m.load,
            m.note
        );
    }
}

/// Runs hls_latency.py (it publishes its own 720p stream with a 1 s GOP) and prints its summary.
fn availability(a: &Args, label: &str, ingest: &str, url: &str) {
    let script = a.bench_dir.join("hls_latency.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(["--publish-url", ingest, "--playlist-url", url, "--gop", "1"])
        .args(["--seconds", &a.seconds.to_string(), "--warmup", "4"])
        .output();
    let mut lines = vec![format!("{label} availability (hls_latency.py, load {}):", loadavg())];
    match out {
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout);
            lines.extend(
                text.lines()
                    .filter(|l| !l.starts_with("segment ") && !l.starts_with("part "))
                    .map(|l| format!("  {l}")),
            );
            if !o.status.success() {
                lines.push(format!("  failed: {}", String::from_utf8_lossy(&o.stderr).trim()));
            }
        }
        Err(e) => lines.push(format!("  could not run {}: {e}", script.display())),
    }
    for l in &lines {
        println!("{l}");
    }
}

/// A loopback HTTP proxy in front of the playback server that drops the `session` query parameter from
/// requests and from the URIs in playlists; its base URL (`http://127.0.0.1:PORT`).
///
/// Why: openivs renews a viewer's playback session in every media playlist, so the `?session=…` on the
/// same segment's URI changes from one reload to the next, and hls_latency.py, which tells segments and
/// parts apart by URI, then counts one segment many times (and queues its downloads). Public channels
/// serve session-less requests, so availability is the same without them.
fn session_stripping_proxy(upstream: String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
    let base = format!("http://{}", listener.local_addr().expect("proxy address"));
    std::thread::spawn(move || {
        for conn in listener.incoming().map_while(Result::ok) {
            let upstream = upstream.clone();
            std::thread::spawn(move || {
                let _ = proxy_connection(conn, &upstream);
            });
        }
    });
    base
}

/// Drops `session=…` from a query string or from every URI in a playlist.
fn strip_session(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("session=") {
        let before = &rest[..i];
        let sep = before.chars().last();
        let after = &rest[i + "session=".len()..];
        let end =
            after.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.~%".contains(c))).unwrap_or(after.len());
        match sep {
            // `?session=x&more` keeps `?more`; `?session=x` loses the `?`; `&session=x` loses `&session=x`.
            Some('?') if after[end..].starts_with('&') => {
                out.push_str(before);
                rest = &after[end + 1..];
            }
            Some('?' | '&') => {
                out.push_str(&before[..before.len() - 1]);
                rest = &after[end..];
            }
            _ => {
                out.push_str(&rest[..i + "session=".len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn proxy_connection(mut conn: std::net::TcpStream, upstream: &str) -> std::io::Result<()> {
    use std::io::{BufRead, BufReader, Write};
    let mut reader = BufReader::new(conn.try_clone()?);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) =
            (parts.next().unwrap_or("GET").to_string(), parts.next().unwrap_or("/").to_string());
        let mut headers = vec![("host".to_string(), upstream.to_string())];
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                let k = k.trim().to_ascii_lowercase();
                if !["host", "connection", "content-length", "accept-encoding"].contains(&k.as_str()) {
                    headers.push((k, v.trim().to_string()));
                }
            }
        }
        let r = raw_send(upstream, &method, &strip_session(&target), &headers, b"");
        let playlist = r.header("content-type").is_some_and(|t| t.contains("mpegurl"));
        let body = if playlist {
            strip_session(&String::from_utf8_lossy(&r.body)).into_bytes()
        } else {
            r.body.clone()
        };
        let mut head = format!("HTTP/1.1 {} X\r\n", r.status);
        for (k, v) in &r.headers {
            if !["content-length", "transfer-encoding", "connection"].contains(&k.as_str()) {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
        conn.write_all(head.as_bytes())?;
        conn.write_all(&body)?;
    }
}

/// A private nginx-rtmp (nginx_rtmp.sh), stopped on drop.
struct Nginx {
    dir: tempfile::TempDir,
    script: PathBuf,
    ingest: String,
    hls: String,
}

impl Nginx {
    fn start(a: &Args, fragment: &str) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let script = a.bench_dir.join("nginx_rtmp.sh");
        let out = Command::new("bash")
            .arg(&script)
            .args(["start"])
            .arg(dir.path())
            .args(["--fragment", fragment, "--playlist-length", "6s"])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let line = String::from_utf8_lossy(&out.stdout).into_owned();
        let field = |k: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{k}=")))
                .map(str::to_string)
                .unwrap_or_default()
        };
        let n = Nginx { ingest: field("INGEST"), hls: field("HLS"), dir, script };
        // hls.js runs on the page's origin: nginx must allow it, as openivs does (`*`).
        let conf = n.dir.path().join("nginx.conf");
        let text = std::fs::read_to_string(&conf).map_err(|e| e.to_string())?;
        let text = text.replace(
            "add_header Cache-Control no-cache;",
            "add_header Cache-Control no-cache;\n            add_header Access-Control-Allow-Origin *;",
        );
        std::fs::write(&conf, text).map_err(|e| e.to_string())?;
        let reload = Command::new("nginx")
            .arg("-p")
            .arg(n.dir.path())
            .arg("-c")
            .arg(&conf)
            .args(["-s", "reload"])
            .output();
        if !reload.is_ok_and(|o| o.status.success()) {
            return Err("nginx -s reload failed".into());
        }
        std::thread::sleep(Duration::from_secs(1));
        Ok(n)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(&self.script).arg("stop").arg(self.dir.path()).output();
    }
}

#[tokio::main]
async fn main() {
    let a = parse_args();
    if let Some(what) = browser::missing() {
        usage(&what);
    }
    println!(
        "latency-bench: {} s per run, {} s warm-up; {} cpus; load {} at start",
        a.seconds,
        a.warmup,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        loadavg()
    );
    let mut results = Vec::new();
    let s = Server::start();
    println!("openivs: {} ({})", conformance::binary().display(), s.endpoint);
    let c = s.client();
    let proxy = session_stripping_proxy(s.authority().to_string());
    for mode in &a.modes {
        let latency = match mode.starts_with("low") {
            true => ChannelLatencyMode::LowLatency,
            false => ChannelLatencyMode::NormalLatency,
        };
        let fmp4 = mode.ends_with("-fmp4");
        let container = if fmp4 { ContainerFormat::FragmentedMp4 } else { ContainerFormat::Ts };
        let name =
            format!("{} {}", latency.as_str().replace("_LATENCY", ""), if fmp4 { "fMP4" } else { "TS" });
        let runs = a.ingests.iter().map(|i| ("glass", i.as_str()));
        for (purpose, ingest_by) in runs.chain(a.availability.then_some(("availability", "rtmp"))) {
            let out = c
                .create_channel()
                .insecure_ingest(true)
                .latency_mode(latency.clone())
                .container_format(container.clone())
                .send()
                .await
                .expect("create channel");
            let ch = out.channel().expect("channel");
            let url = ch.playback_url().expect("playbackUrl").to_string();
            let key = out.stream_key().and_then(|k| k.value()).expect("key").to_string();
            let (ingest, label) = if ingest_by == "srt" {
                let srt = ch.srt().expect("srt");
                let (endpoint, pass) =
                    (srt.endpoint().unwrap_or_default(), srt.passphrase().unwrap_or_default());
                // ffmpeg's `latency` is in µs: 120 ms, libsrt's default.
                let ingest = format!("srt://{endpoint}?streamid={key}&passphrase={pass}&latency=120000");
                (ingest, format!("openivs {name} over SRT"))
            } else {
                (format!("{}/app/{key}", s.rtmp_url), format!("openivs {name}"))
            };
            if purpose == "glass" {
                results.extend(glass_to_glass(&a, &label, &ingest, &url));
            } else {
                // Through the proxy (see session_stripping_proxy): the same path on another port.
                let path = &url[s.endpoint.len()..];
                availability(&a, &label, &ingest, &format!("{proxy}{path}"));
            }
        }
    }
    drop(s);
    if a.nginx {
        for frag in &a.nginx_fragments {
            let label = format!("nginx-rtmp hls_fragment={frag}");
            match Nginx::start(&a, frag) {
                Ok(n) => {
                    let url = format!("{}/lat.m3u8", n.hls);
                    results.extend(glass_to_glass(&a, &label, &format!("{}/lat", n.ingest), &url));
                    if a.availability {
                        let url = format!("{}/av.m3u8", n.hls);
                        availability(&a, &label, &format!("{}/av", n.ingest), &url);
                    }
                }
                Err(e) => println!("{label}: could not start: {e}"),
            }
        }
    }
    println!("\n| server | glass-to-glass p50 | p90 | p99 | frames | hls.js estimate | load |");
    println!("|---|---|---|---|---|---|---|");
    for m in &results {
        let l = &m.latency;
        let ms =
            |k: &str| l[k].as_f64().map(|v| format!("{:.2} s", v / 1000.0)).unwrap_or_else(|| "—".into());
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            m.label,
            ms("p50"),
            ms("p90"),
            ms("p99"),
            l["count"],
            m.hls_estimate.as_f64().map(|v| format!("{v:.2} s")).unwrap_or_else(|| "—".into()),
            m.load
        );
    }
}

#[cfg(test)]
mod tests {
    use super::strip_session;

    #[test]
    fn session_parameters_leave_queries_and_playlists() {
        assert_eq!(strip_session("/a/media.m3u8?session=abc.DEF_-1"), "/a/media.m3u8");
        assert_eq!(
            strip_session("/a/media.m3u8?session=abc&_HLS_msn=3&_HLS_part=1"),
            "/a/media.m3u8?_HLS_msn=3&_HLS_part=1"
        );
        assert_eq!(strip_session("/a/media.m3u8?_HLS_msn=3&session=abc"), "/a/media.m3u8?_HLS_msn=3");
        assert_eq!(
            strip_session(
                "#EXTINF:2.000,\n3.ts?session=x.y\n#EXT-X-PART:DURATION=0.333,URI=\"4.0.ts?session=x.y\"\n"
            ),
            "#EXTINF:2.000,\n3.ts\n#EXT-X-PART:DURATION=0.333,URI=\"4.0.ts\"\n"
        );
        assert_eq!(strip_session("no sessions here"), "no sessions here");
        assert_eq!(strip_session("mysession=1"), "mysession=1");
    }
}
