//! `ingest-bench`: the server's CPU per live stream, SRT next to RTMP in one run. One clip (640x360,
//! 30 fps H.264 with a 2 s GOP, 48 kHz AAC; `--seconds` long) is encoded once; then `--streams`
//! ffmpeg processes copy it (`-re -stream_loop -1 -c copy`, so they cost little and the same for both)
//! to as many channels over RTMP, and, after those stopped, over SRT (MPEG-TS with each channel's
//! passphrase, AES-128). Once every channel is live and a few seconds have passed, the server's CPU
//! time (utime + stime from /proc) is read over `--window` seconds: the figure is CPU per stream in %
//! of one core. Nobody plays the streams (the segmenters still run). The load average is printed
//! with each figure: the machine is shared.
//!
//! Recording (issue 10): `recorded` runs the RTMP case again on channels with a recording
//! configuration (the embedded default: a folder per bucket in the data dir), for the cost of
//! recording beside ingest; `s3-down` records to an in-process S3 server (s3s-fs) that is stopped
//! for `--outage` seconds once the streams are live, and prints the server's peak resident memory
//! during the outage per stream, above what it was before.
//!
//! ```sh
//! cargo build --release -p openivs && cargo run --release -p conformance --bin ingest-bench -- \
//!     [--streams 50] [--window 30] [--seconds 20] [--modes rtmp,srt,recorded,s3-down] [--outage 60]
//! ```

use conformance::Server;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// CPU seconds (user + system) of a process so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // USER_HZ is 100 on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// Resident memory of a process now, KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn usage(msg: &str) -> ! {
    eprintln!("ingest-bench: {msg}");
    eprintln!(
        "usage: ingest-bench [--streams 50] [--window 30] [--seconds 20] [--modes rtmp,srt,recorded,s3-down] [--outage 60]"
    );
    std::process::exit(2)
}

struct Publishers(Vec<Child>);

impl Drop for Publishers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts one copying publisher of `clip` to `url` in `format`.
fn publish(clip: &std::path::Path, url: &str, format: &str) -> Child {
    Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i"])
        .arg(clip)
        .args(["-c", "copy", "-f", format, url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning ffmpeg")
}

/// Publishes to `streams` new channels with `url_of(key, srt endpoint, passphrase)`; the server's CPU
/// per stream over the window, in % of a core.
/// What runs while the streams are live: the CPU window, or an S3 outage with memory sampled.
enum During<'a> {
    Cpu,
    Outage(&'a mut conformance::s3::S3Server, u64),
}

/// A recording configuration for `bucket`, once ACTIVE.
async fn recording(c: &aws_sdk_ivs::Client, bucket: &str) -> String {
    use aws_sdk_ivs::types::{
        DestinationConfiguration, RecordingConfigurationState, S3DestinationConfiguration,
    };
    let dest = DestinationConfiguration::builder()
        .s3(S3DestinationConfiguration::builder().bucket_name(bucket).build().expect("bucket"))
        .build();
    let out =
        c.create_recording_configuration().destination_configuration(dest).send().await.expect("config");
    let arn = out.recording_configuration().expect("config").arn().to_string();
    for _ in 0..100 {
        let got = c.get_recording_configuration().arn(&arn).send().await.expect("get config");
        if got.recording_configuration().map(|r| r.state()) == Some(&RecordingConfigurationState::Active) {
            return arn;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("recording configuration for {bucket} did not become ACTIVE");
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    s: &Server,
    label: &str,
    streams: usize,
    window: u64,
    clip: &std::path::Path,
    record: Option<&str>,
    during: During<'_>,
    url_of: impl Fn(&str, &str, &str) -> (String, &'static str),
) -> f64 {
    let c = s.client();
    let mut arns = Vec::new();
    let mut publishers = Publishers(Vec::new());
    for _ in 0..streams {
        let mut create = c.create_channel().insecure_ingest(true);
        if let Some(config) = record {
            create = create.recording_configuration_arn(config);
        }
        let out = create.send().await.expect("create channel");
        let ch = out.channel().expect("channel");
        let key = out.stream_key().and_then(|k| k.value()).expect("key");
        let srt = ch.srt().expect("srt");
        let (url, format) =
            url_of(key, srt.endpoint().unwrap_or_default(), srt.passphrase().unwrap_or_default());
        publishers.0.push(publish(clip, &url, format));
        arns.push(ch.arn().expect("arn").to_string());
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut live = 0;
        for arn in &arns {
            live += usize::from(c.get_stream().channel_arn(arn).send().await.is_ok());
        }
        if live == streams {
            break;
        }
        if Instant::now() >= deadline {
            println!("{label}: only {live} of {streams} streams went live");
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let pid = s.pid();
    let figure = match during {
        During::Cpu => {
            let (t0, w0) = (Instant::now(), cpu_seconds(pid));
            tokio::time::sleep(Duration::from_secs(window)).await;
            let cpu = (cpu_seconds(pid) - w0) / t0.elapsed().as_secs_f64();
            let per_stream = cpu * 100.0 / streams as f64;
            println!(
                "{label}: {streams} streams, server CPU {:.1} % of a core, {per_stream:.2} % per stream; load {}",
                cpu * 100.0,
                loadavg()
            );
            per_stream
        }
        During::Outage(s3, outage) => {
            let before = rss_kib(pid);
            s3.stop();
            let (t0, mut peak) = (Instant::now(), before);
            while t0.elapsed() < Duration::from_secs(outage) {
                tokio::time::sleep(Duration::from_millis(500)).await;
                peak = peak.max(rss_kib(pid));
            }
            s3.restart();
            let per_stream_mib = (peak.saturating_sub(before)) as f64 / 1024.0 / streams as f64;
            println!(
                "{label}: {streams} recorded streams, S3 down {outage} s: server RSS {:.0} MiB before, peak {:.0} MiB, +{per_stream_mib:.2} MiB per stream; load {}",
                before as f64 / 1024.0,
                peak as f64 / 1024.0,
                loadavg()
            );
            per_stream_mib
        }
    };
    drop(publishers);
    for arn in &arns {
        let _ = c.stop_stream().channel_arn(arn).send().await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    figure
}

#[tokio::main]
async fn main() {
    let (mut streams, mut window, mut seconds, mut outage) = (50usize, 30u64, 20u32, 60u64);
    let mut modes = vec!["rtmp".to_string(), "srt".into(), "recorded".into(), "s3-down".into()];
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let mut number =
            || -> u64 { value().parse().unwrap_or_else(|_| usage(&format!("{flag} needs a number"))) };
        match flag.as_str() {
            "--streams" => streams = number() as usize,
            "--window" => window = number(),
            "--seconds" => seconds = number() as u32,
            "--outage" => outage = number(),
            "--modes" => modes = value().split(',').map(str::to_string).collect(),
            "-h" | "--help" => usage("help"),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let clip = dir.path().join("clip.mkv");
    let made = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", &seconds.to_string()])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p", "-b:v", "1500k"])
        .args(["-c:a", "aac", "-b:a", "96k"])
        .arg(&clip)
        .status()
        .expect("ffmpeg");
    assert!(made.success(), "encoding the clip failed");
    println!(
        "ingest-bench: {streams} streams each, {window} s window; {} cpus; load {} at start",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        loadavg()
    );
    let s = Server::start();
    let rtmp_base = s.rtmp_url.clone();
    let rtmp_url = |key: &str, _: &str, _: &str| (format!("{rtmp_base}/app/{key}"), "flv");
    let mut rows = Vec::new();
    for mode in &modes {
        let figure = match mode.as_str() {
            "rtmp" => measure(&s, "RTMP", streams, window, &clip, None, During::Cpu, rtmp_url).await,
            "srt" => {
                measure(&s, "SRT", streams, window, &clip, None, During::Cpu, |key, endpoint, pass| {
                    (format!("srt://{endpoint}?streamid={key}&passphrase={pass}"), "mpegts")
                })
                .await
            }
            "recorded" => {
                let config = recording(&s.client(), "bench").await;
                measure(&s, "RTMP recorded", streams, window, &clip, Some(&config), During::Cpu, rtmp_url)
                    .await
            }
            "s3-down" => {
                let mut s3 = conformance::s3::S3Server::start(&["bench"]);
                let down =
                    Server::start_with(conformance::Options { env: s3.serve_env(), ..Default::default() });
                let config = recording(&down.client(), "bench").await;
                let base = down.rtmp_url.clone();
                let url = |key: &str, _: &str, _: &str| (format!("{base}/app/{key}"), "flv");
                let during = During::Outage(&mut s3, outage);
                measure(&down, "RTMP recorded to S3", streams, window, &clip, Some(&config), during, url)
                    .await
            }
            other => usage(&format!("unknown mode {other}")),
        };
        rows.push((mode.clone(), figure));
    }
    println!("\n| case | streams | figure |");
    println!("|---|---|---|");
    for (mode, figure) in &rows {
        let unit = if mode == "s3-down" {
            "MiB peak RSS per stream while S3 is down"
        } else {
            "% of a core per stream"
        };
        println!("| {mode} | {streams} | {figure:.2} {unit} |");
    }
    let get = |m: &str| rows.iter().find(|(k, _)| k == m).map(|(_, f)| *f);
    if let (Some(rtmp), Some(srt)) = (get("rtmp"), get("srt")) {
        println!("SRT / RTMP: {:.2} (target ≤ 1.5)", srt / rtmp.max(f64::MIN_POSITIVE));
    }
    if let (Some(rtmp), Some(rec)) = (get("rtmp"), get("recorded")) {
        println!("recorded / RTMP: {:.2} (target ≤ 1.15)", rec / rtmp.max(f64::MIN_POSITIVE));
    }
}
