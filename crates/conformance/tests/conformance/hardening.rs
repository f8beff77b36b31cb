//! Hostile and idle clients of the API listener (issue 16): silent and half-preface connections are
//! closed at the first-bytes deadline while the API answers, and request bodies are not read before
//! their headers are authenticated, so stalled unsigned bodies cost the server no memory.

use conformance::{Options, Server};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The server's resident memory in KiB (`VmRSS` in /proc).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn connect_from(from: &str, to: SocketAddr) -> std::io::Result<TcpStream> {
    let sock = socket2_free_bind(from, to)?;
    Ok(sock)
}

/// A TCP connection from `from` (another loopback address) to `to`, with the standard library: bind
/// by connecting through tokio's socket would need a runtime here.
fn socket2_free_bind(from: &str, to: SocketAddr) -> std::io::Result<TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4()?;
        sock.bind(format!("{from}:0").parse().map_err(std::io::Error::other)?)?;
        let stream = sock.connect(to).await?;
        stream.into_std()
    })
    .and_then(|s| {
        s.set_nonblocking(false)?;
        Ok(s)
    })
}

/// Whether the server closed `s` within `limit`.
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    let _ = s.set_read_timeout(Some(limit));
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_half_preface_connections_are_closed_at_the_deadline_while_the_api_answers() {
    let s = Server::start_with(Options {
        env: vec![("OPENIVS_HTTP_FIRST_BYTES_TIMEOUT_SECS".into(), "1".into())],
        ..Options::default()
    });
    let api: SocketAddr = s.authority().parse().unwrap();
    let held = tokio::task::spawn_blocking(move || {
        let mut held = Vec::new();
        for i in 0..200 {
            // Ten addresses, so that the per-address cap is not what closes them.
            let Ok(mut c) = connect_from(&format!("127.0.0.{}", 2 + i % 10), api) else { continue };
            if i % 2 == 1 {
                let _ = c.write_all(b"PRI * HTTP/2.0\r\n");
            }
            held.push(c);
        }
        held
    })
    .await
    .unwrap();
    assert_eq!(held.len(), 200);
    let started = Instant::now();
    let listed = s.client().list_channels().send().await;
    assert!(listed.is_ok(), "the API did not answer while 200 connections idled: {listed:?}");
    let open = tokio::task::spawn_blocking(move || {
        held.into_iter()
            .filter_map(|mut c| (!closed_within(&mut c, Duration::from_secs(15))).then_some(()))
            .count()
    })
    .await
    .unwrap();
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
