//! `flood-bench`: how the API and ingest fare while silent and half-preface connections flood the API
//! listener (issue 16), at an open-file limit of 1,024 (the usual default) and at a raised one.
//!
//! For each limit a server is spawned under `prlimit` (util-linux; the limit cannot exceed the
//! bench's own hard limit, which also bounds N); then for each flood size N, N connections are
//! opened to the API listener as fast as possible from 50 loopback addresses (half send nothing, half
//! stop inside the HTTP/2 preface) and held, and meanwhile the bench counts how many of 10 API calls
//! (the official SDK, 5 s each) and of 10 RTMP handshakes (C0+C1 answered within 3 s) succeed, and how
//! many lines the server logged. Prints a table; asserts nothing.
//!
//! ```sh
//! cargo run --release -p conformance --bin flood-bench -- [--limits 1024,20000] [--floods 500,1100,2000,5000]
//! ```

use conformance::{Options, Server};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn arg(name: &str, default: &str) -> Vec<u64> {
    let args: Vec<String> = std::env::args().collect();
    let value = args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map_or(default, |v| v);
    value.split(',').filter_map(|v| v.trim().parse().ok()).collect()
}

async fn connect_from(from: &str, to: SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let sock = tokio::net::TcpSocket::new_v4()?;
    sock.bind(format!("{from}:0").parse().map_err(std::io::Error::other)?)?;
    sock.connect(to).await
}

/// Whether an RTMP server at `to` answers C0+C1 with S0+S1 within 3 s.
async fn rtmp_answers(to: SocketAddr) -> bool {
    let attempt = async {
        let mut io = tokio::net::TcpStream::connect(to).await.ok()?;
        let mut c0c1 = vec![3u8];
        c0c1.resize(1537, 0);
        io.write_all(&c0c1).await.ok()?;
        let mut s0s1 = vec![0u8; 1537];
        io.read_exact(&mut s0s1).await.ok()?;
        Some(())
    };
    matches!(tokio::time::timeout(Duration::from_secs(3), attempt).await, Ok(Some(())))
}

fn lines(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path).map(|t| t.lines().count()).unwrap_or(0)
}

#[tokio::main]
async fn main() {
    println!("| open-file limit | flood | held | API calls answered | RTMP handshakes | log lines |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for limit in arg("--limits", "1024,20000") {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("server.log");
        let s = Server::start_with(Options {
            command_prefix: vec!["prlimit".into(), format!("--nofile={limit}:{limit}"), "--".into()],
            log_file: Some(log.clone()),
            ..Options::default()
        });
        let api: SocketAddr = s.authority().parse().expect("API address");
        let rtmp: SocketAddr = s.rtmp_url.trim_start_matches("rtmp://").parse().expect("RTMP address");
        let c = s.client();
        for flood in arg("--floods", "500,1100,2000,5000") {
            let before = lines(&log);
            let mut held = Vec::new();
            for i in 0..flood {
                let Ok(mut conn) = connect_from(&format!("127.0.1.{}", 1 + i % 50), api).await else {
                    continue;
                };
                if i % 2 == 1 {
                    let _ = conn.write_all(b"PRI * HTTP/2.0\r\n").await;
                }
                held.push(conn);
            }
            let started = Instant::now();
            let (mut answered, mut handshakes) = (0, 0);
            for _ in 0..10 {
                let call = tokio::time::timeout(Duration::from_secs(5), c.list_channels().send()).await;
                answered += usize::from(matches!(call, Ok(Ok(_))));
                handshakes += usize::from(rtmp_answers(rtmp).await);
            }
            println!(
                "| {limit} | {flood} | {} | {answered}/10 | {handshakes}/10 | {} |",
                held.len(),
                lines(&log) - before
            );
            drop(held);
            // Let the server see them go before the next round.
            tokio::time::sleep(Duration::from_secs(2).saturating_sub(started.elapsed() / 10)).await;
        }
    }
}
