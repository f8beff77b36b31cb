//! Hostile and idle clients of the API listener (issue 16): silent and half-preface connections are
//! closed at the first-bytes deadline while the API answers, and request bodies are not read before
//! their headers are authenticated, so stalled unsigned bodies cost the server no memory.

use conformance::{Options, Server};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The server's resident memory in KiB (`VmRSS` in /proc).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A connection from `from` (another loopback address: Linux routes all of 127.0.0.0/8 to loopback)
/// to `to`.
async fn connect_from(from: &str, to: SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let sock = tokio::net::TcpSocket::new_v4()?;
    sock.bind(format!("{from}:0").parse().map_err(std::io::Error::other)?)?;
    sock.connect(to).await
}

/// Whether the server closed `s` within `limit` (end of stream or a reset), reading what it sends.
async fn closed_within(s: &mut tokio::net::TcpStream, limit: Duration) -> bool {
    let mut buf = Vec::new();
    matches!(tokio::time::timeout(limit, s.read_to_end(&mut buf)).await, Ok(Ok(_)) | Ok(Err(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_half_preface_connections_are_closed_at_the_deadline_while_the_api_answers() {
    let s = Server::start_with(Options {
        env: vec![("OPENIVS_HTTP_FIRST_BYTES_TIMEOUT_SECS".into(), "1".into())],
        ..Options::default()
    });
    let api: SocketAddr = s.authority().parse().unwrap();
    let mut held = Vec::new();
    for i in 0..200 {
        // Ten addresses, so that the per-address cap is not what closes them.
        let mut c = connect_from(&format!("127.0.0.{}", 2 + i % 10), api).await.expect("connect");
        if i % 2 == 1 {
            let _ = c.write_all(b"PRI * HTTP/2.0\r\n").await;
        }
        held.push(c);
    }
    let started = Instant::now();
    let listed = s.client().list_channels().send().await;
    assert!(listed.is_ok(), "the API did not answer while 200 connections idled: {listed:?}");
    let mut open = 0;
    for c in &mut held {
        if !closed_within(c, Duration::from_secs(15)).await {
            open += 1;
        }
    }
    println!("all idle connections closed {:.1} s after the API call", started.elapsed().as_secs_f64());
    assert_eq!(open, 0, "{open} of 200 idle connections are still open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_stalled_unsigned_bodies_cost_the_server_little_memory() {
    let s = Server::start_with(Options {
        env: vec![("OPENIVS_API_MAX_CONNECTIONS_PER_ADDRESS".into(), "2000".into())],
        ..Options::default()
    });
    let pid = s.pid();
    let api: SocketAddr = s.authority().parse().unwrap();
    // Warm up, so that the baseline includes what serving any request allocates.
    s.client().list_channels().send().await.expect("list channels");
    let before = rss_kib(pid);
    let authority = s.authority().to_string();
    let held = tokio::task::spawn_blocking(move || {
        let chunk = vec![b' '; 200 * 1024];
        let mut held = Vec::new();
        for _ in 0..1000 {
            let Ok(mut c) = TcpStream::connect(api) else { continue };
            let head = format!(
                "POST /CreateChannel HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/json\r\ncontent-length: 262000\r\n\r\n"
            );
            let _ = c.write_all(head.as_bytes());
            let _ = c.set_write_timeout(Some(Duration::from_millis(200)));
            // Most of the body, then nothing more.
            let _ = c.write_all(&chunk);
            held.push(c);
        }
        held
    })
    .await
    .unwrap();
    let during = rss_kib(pid);
    let grown = during.saturating_sub(before) / 1024;
    println!(
        "server RSS {} MiB before, {} MiB with {} stalled unsigned bodies",
        before / 1024,
        during / 1024,
        held.len()
    );
    assert!(s.client().list_channels().send().await.is_ok(), "the API still answers");
    assert!(grown < 64, "the server grew by {grown} MiB for 1,000 stalled unsigned bodies");
    drop(held);
}

/// Every entry of `dir` (itself included) whose mode is not 0700 (directories) or 0600 (files).
fn not_private(dir: &std::path::Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(p) = todo.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else { continue };
        let mode = meta.permissions().mode() & 0o777;
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        if mode != want {
            out.push(format!("{} {mode:o}", p.display()));
        }
        if meta.is_dir() {
            todo.extend(std::fs::read_dir(&p).into_iter().flatten().flatten().map(|e| e.path()));
        }
    }
    out
}

#[tokio::test]
async fn the_data_dir_is_private_after_start_and_an_old_one_is_fixed_at_restart() {
    use std::os::unix::fs::PermissionsExt;
    let mut s = Server::start();
    s.client().create_channel().send().await.expect("a write, so that the WAL exists");
    let wal = s.data_dir.join("openivs.db-wal");
    assert!(wal.exists() && s.data_dir.join("openivs.db-shm").exists());
    assert_eq!(not_private(&s.data_dir), Vec::<String>::new());
    // An install from before: everything readable by all.
    s.terminate();
    let mut entries = vec![s.data_dir.clone()];
    entries.extend(std::fs::read_dir(&s.data_dir).unwrap().flatten().map(|e| e.path()));
    for p in &entries {
        let mode = if p.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    assert!(not_private(&s.data_dir).len() >= 3);
    s.kill9_and_restart();
    s.client().list_channels().send().await.expect("serves after the restart");
    assert_eq!(not_private(&s.data_dir), Vec::<String>::new());
}

/// Lines in the server's log file.
fn log_lines(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path).map(|t| t.lines().count()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_refused_connections_add_a_few_log_lines_not_a_thousand() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let s = Server::start_with(Options {
        env: vec![
            ("OPENIVS_API_MAX_CONNECTIONS_PER_ADDRESS".into(), "1".into()),
            ("OPENIVS_INGEST_MAX_PENDING_PER_ADDRESS".into(), "1".into()),
            ("OPENIVS_HTTP_FIRST_BYTES_TIMEOUT_SECS".into(), "60".into()),
            ("OPENIVS_INGEST_SETUP_TIMEOUT_SECS".into(), "60".into()),
        ],
        log_file: Some(log.clone()),
        ..Options::default()
    });
    let api: SocketAddr = s.authority().parse().unwrap();
    let rtmp: SocketAddr = s.rtmp_url.trim_start_matches("rtmp://").parse().unwrap();
    let before = log_lines(&log);
    let mut refused = 0;
    for to in [api, rtmp] {
        // One silent connection takes the address's only place; the next 1,000 are refused.
        let _held = connect_from("127.0.0.2", to).await.expect("connect");
        tokio::time::sleep(Duration::from_millis(200)).await;
        for _ in 0..1000 {
            if let Ok(mut c) = connect_from("127.0.0.2", to).await
                && closed_within(&mut c, Duration::from_secs(10)).await
            {
                refused += 1;
            }
        }
    }
    // The refusals' lines are written as they happen; a moment for the last of them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let added = log_lines(&log) - before;
    println!("{added} log lines for {refused} refused connections");
    assert_eq!(refused, 2000, "every connection over the cap is closed");
    assert!(
        added <= 10,
        "{added} log lines for 2,000 refused connections:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}
