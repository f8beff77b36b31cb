//! `api-bench`: requests per second and latency percentiles of signed IVS API calls against a spawned
//! `openivs serve` (or a running server), at several concurrencies.
//!
//! Each worker keeps one HTTP/1.1 keep-alive connection and replays one pre-signed request (a SigV4
//! signature stays valid for 15 minutes, and the server verifies it in full every time), like the
//! `wrk`-based harness in `shared/bench`, so the load generator costs little CPU next to the server.
//!
//! ```sh
//! cargo run --release -p conformance --bin api-bench -- [--seconds 5] [--concurrency 1,16,64] [--ops get,list,create]
//!     [--endpoint URL --key ID --secret S]
//! ```

use conformance::{Options, REGION, Server};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Target {
    authority: String,
    key: String,
    secret: String,
}

fn signed_request(t: &Target, path: &str, body: &str) -> Vec<u8> {
    let len = body.len().to_string();
    let headers: Vec<(&str, &str)> =
        vec![("host", &t.authority), ("content-type", "application/json"), ("content-length", &len)];
    let req = openivs_sigv4::HttpRequest {
        method: "POST",
        path,
        query: "",
        headers: &headers,
        body: body.as_bytes(),
    };
    let credentials = openivs_sigv4::Credentials {
        access_key_id: &t.key,
        secret_access_key: &t.secret,
        session_token: None,
    };
    let params = openivs_sigv4::SigningParams {
        credentials,
        region: REGION,
        service: "ivs",
        time: std::time::SystemTime::now(),
    };
    let out = openivs_sigv4::sign(&req, &params, openivs_sigv4::PayloadSigning::Hashed).expect("sign");
    let mut text = format!("POST {path} HTTP/1.1\r\n");
    for (k, v) in headers.iter().copied().chain(out.headers.iter().map(|(k, v)| (*k, v.as_str()))) {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    text.into_bytes()
}

/// Reads one response; returns its status.
async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    buf.clear();
    let mut chunk = [0u8; 16384];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let status = head.split(' ').nth(1).and_then(|x| x.parse().ok()).unwrap_or(0);
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(status);
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn worker(authority: String, request: Vec<u8>, until: Instant) -> (Vec<u32>, usize) {
    let mut lat = Vec::new();
    let mut errors = 0;
    let mut s = TcpStream::connect(&authority).await.expect("connect");
    s.set_nodelay(true).ok();
    let mut buf = Vec::with_capacity(16384);
    while Instant::now() < until {
        let t0 = Instant::now();
        if s.write_all(&request).await.is_err() {
            break;
        }
        match read_response(&mut s, &mut buf).await {
            Ok(200) => lat.push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX)),
            Ok(_) => errors += 1,
            Err(_) => break,
        }
    }
    (lat, errors)
}

async fn run(t: &Target, name: &str, path: &str, body: &str, concurrency: usize, seconds: u64) {
    let request = signed_request(t, path, body);
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> =
        (0..concurrency).map(|_| tokio::spawn(worker(t.authority.clone(), request.clone(), until))).collect();
    let mut lat = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await.expect("worker");
        lat.extend(l);
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or(0)
    };
    println!(
        "{name:<14} c={concurrency:<3} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} ok, {errors} errors)",
        lat.len() as f64 / secs,
        f64::from(pct(0.50)) / 1000.0,
        f64::from(pct(0.99)) / 1000.0,
        lat.len()
    );
}

/// Creates a channel; returns its ARN.
async fn create(target: &Target, body: &str) -> String {
    let mut s = TcpStream::connect(&target.authority).await.expect("connect");
    s.write_all(&signed_request(target, "/CreateChannel", body)).await.expect("write");
    let mut buf = Vec::new();
    read_response(&mut s, &mut buf).await.expect("create");
    let text = String::from_utf8_lossy(&buf).to_string();
    let start = text.find("\"arn\":\"").map(|i| i + 7).expect("arn in response");
    text[start..].split('"').next().unwrap_or_default().to_string()
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = arg(&args, "--seconds").and_then(|s| s.parse().ok()).unwrap_or(5);
    let concurrency: Vec<usize> = arg(&args, "--concurrency")
        .unwrap_or_else(|| "1,16,64".into())
        .split(',')
        .filter_map(|c| c.parse().ok())
        .collect();
    let (_server, target) = match arg(&args, "--endpoint") {
        Some(e) => (
            None,
            Target {
                authority: e.trim_start_matches("http://").trim_end_matches('/').to_string(),
                key: arg(&args, "--key").expect("--key"),
                secret: arg(&args, "--secret").expect("--secret"),
            },
        ),
        None => {
            let s = Server::start_with(Options { rate_limits: false, ..Default::default() });
            let t = Target {
                authority: s.authority().to_string(),
                key: s.access_key_id.clone(),
                secret: s.secret_access_key.clone(),
            };
            (Some(s), t)
        }
    };
    // A channel to read, and some to list (one page of 100).
    let arn = create(&target, "{\"name\":\"bench\"}").await;
    for i in 0..99 {
        create(&target, &format!("{{\"name\":\"bench-{i}\"}}")).await;
    }
    let ops = arg(&args, "--ops").unwrap_or_else(|| "get,list,create".into());
    println!("openivs API benchmark: {seconds} s per run, server {}", target.authority);
    for &c in &concurrency {
        for op in ops.split(',') {
            match op {
                "get" => {
                    run(&target, "GetChannel", "/GetChannel", &format!("{{\"arn\":\"{arn}\"}}"), c, seconds)
                        .await
                }
                "list" => {
                    run(&target, "ListChannels", "/ListChannels", "{\"maxResults\":10}", c, seconds).await
                }
                "create" => {
                    run(&target, "CreateChannel", "/CreateChannel", "{\"name\":\"load\"}", c, seconds).await
                }
                other => eprintln!("unknown operation {other:?} (get, list, create)"),
            }
        }
    }
}
