//! Tests of the HTTP server loop: peer addresses, sendfile bodies, shutdown, and the deadlines and
//! caps that hostile or idle clients meet.

use super::*;
use axum::routing::get;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Limits with short timeouts, so that tests see them act quickly.
fn quick() -> Limits {
    Limits {
        first_bytes_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(300),
        send_timeout: Duration::from_millis(300),
        ..Limits::default()
    }
}

async fn start(limits: Limits, grace: Duration) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let app = axum::Router::new()
        .route("/peer", get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                "done"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_until(listener, app, async move { drop(rx.await) }, grace, limits));
    (addr, tx)
}

async fn get_once(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

/// A registered body (whole, a slice of it, after unregistering) arrives byte for byte, on
/// keep-alive connections, next to small unregistered ones.
#[tokio::test]
async fn registered_bodies_arrive_whole() {
    use axum::body::Bytes;
    let data: Bytes = (0..3_000_000u32).map(|i| (i % 251) as u8).collect::<Vec<u8>>().into();
    let registration = file_backed::register(&data);
    let (whole, slice) = (data.clone(), data.slice(100_001..2_500_000));
    let app = axum::Router::new()
        .route("/whole", get(move || async move { whole.clone() }))
        .route("/slice", get(move || async move { slice.clone() }))
        .route("/small", get(|| async { "small" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_until(
        listener,
        app,
        async move { drop(rx.await) },
        Duration::from_secs(1),
        Limits::default(),
    ));
    let mut s = TcpStream::connect(addr).await.unwrap();
    // A slow reader: the socket fills and sendfile goes on where it stopped.
    let mut check = async |path: &str, want: &[u8]| {
        s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(s.read_u8().await.unwrap());
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.contains(&format!("content-length: {}\r\n", want.len())), "{head}");
        let mut body = vec![0; want.len()];
        for chunk in body.chunks_mut(200_000) {
            s.read_exact(chunk).await.unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert!(body == want, "{path}: the body differs");
    };
    assert!(!file_backed::file_made(&data), "no file before the buffer is first sent");
    let before = file_backed::sent_bytes();
    check("/whole", &data).await;
    if cfg!(target_os = "linux") {
        assert!(file_backed::sent_bytes() - before >= data.len() as u64, "not sent with sendfile");
        assert!(file_backed::file_made(&data));
    }
    check("/small", b"small").await;
    check("/slice", &data[100_001..2_500_000]).await;
    drop(registration);
    check("/whole", &data).await;
}

#[tokio::test]
async fn requests_see_the_peer_address() {
    let (addr, _stop) = start(Limits::default(), Duration::from_secs(1)).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let local = s.local_addr().unwrap();
    s.write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.ends_with(&local.to_string()), "{out}");
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    let (addr, _stop) = start(quick(), Duration::from_secs(1)).await;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    // Others are served meanwhile.
    assert!(get_once(addr, "/peer").await.starts_with("HTTP/1.1 200"));
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut buf)).await;
    let closed = matches!(read, Ok(Ok(_)) | Ok(Err(_)));
    assert!(closed, "the stalled connection is still open");
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"), "{buf:?}");
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish() {
    let (addr, stop) = start(Limits::default(), Duration::from_secs(5)).await;
    let slow = tokio::spawn(get_once(addr, "/slow"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let out = slow.await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200") && out.ends_with("done"), "{out}");
    // The listener is gone.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn shutdown_drops_stalled_connections_after_the_grace_period() {
    let (addr, stop) = start(Limits::default(), Duration::from_millis(200)).await;
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled.write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stalled.read_to_end(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(_)) | Ok(Err(_))), "the stalled connection outlived the grace period");
}

/// Whether the server closed `s` within `limit` (end of stream or a reset), reading what it sends.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = Vec::new();
    matches!(tokio::time::timeout(limit, s.read_to_end(&mut buf)).await, Ok(Ok(_)) | Ok(Err(_)))
}

async fn connect_from(from: &str, addr: SocketAddr) -> TcpStream {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(format!("{from}:0").parse().unwrap()).expect("bind a loopback address");
    sock.connect(addr).await.unwrap()
}

#[tokio::test]
async fn silent_and_half_preface_connections_are_closed_at_the_first_bytes_deadline_while_others_are_served()
{
    let (addr, _stop) =
        start(Limits { idle_timeout: Duration::from_secs(600), ..quick() }, Duration::from_secs(1)).await;
    let mut held = Vec::new();
    for i in 0..100 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        if i % 2 == 1 {
            // Stops inside the HTTP/2 preface, where protocol detection waits.
            s.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
        }
        held.push(s);
    }
    assert!(get_once(addr, "/peer").await.starts_with("HTTP/1.1 200"), "served meanwhile");
    for (i, s) in held.iter_mut().enumerate() {
        assert!(closed_within(s, Duration::from_secs(20)).await, "connection {i} is still open");
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let (addr, _stop) = start(quick(), Duration::from_secs(1)).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    assert!(closed_within(&mut s, Duration::from_secs(20)).await, "the idle connection is still open");
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed_after_the_idle_timeout() {
    let (addr, _stop) =
        start(Limits { idle_timeout: Duration::from_millis(500), ..quick() }, Duration::from_secs(1)).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    // The preface and an empty SETTINGS frame, then nothing: the server's SETTINGS and its ack
    // arrive, then the connection must close.
    s.write_all(H2_PREFACE).await.unwrap();
    s.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await.unwrap();
    assert!(closed_within(&mut s, Duration::from_secs(20)).await, "the idle HTTP/2 connection is still open");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_after_the_send_timeout() {
    use axum::body::Bytes;
    // Far more than the socket buffers of both ends hold.
    let big: Bytes = vec![7u8; 64 << 20].into();
    let len = big.len();
    let app = axum::Router::new().route("/big", get(move || async move { big.clone() }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
    let limits = Limits { idle_timeout: Duration::from_secs(600), ..quick() };
    tokio::spawn(serve_until(listener, app, async move { drop(rx.await) }, Duration::from_secs(1), limits));
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /big HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    // The viewer stalls well past the send timeout, then reads what it can.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut got)).await;
    assert!(matches!(read, Ok(Ok(_)) | Ok(Err(_))), "the stalled viewer is still connected");
    assert!(got.len() < len, "the whole body arrived ({} bytes) to a viewer that stalled", got.len());
}

#[tokio::test]
async fn connections_over_the_per_address_cap_are_closed_at_accept_and_other_addresses_are_served() {
    let limits =
        Limits { first_bytes_timeout: Duration::from_secs(600), max_per_address: 3, ..Limits::default() };
    let (addr, _stop) = start(limits, Duration::from_secs(1)).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from("127.0.0.1", addr).await);
    }
    let mut fourth = connect_from("127.0.0.1", addr).await;
    assert!(closed_within(&mut fourth, Duration::from_secs(20)).await, "a fourth connection was kept");
    let mut other = connect_from("127.0.0.2", addr).await;
    other.write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut out = String::new();
    other.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    // A closed connection frees its place (once the server has seen it close).
    drop(held.pop());
    let mut served = false;
    for _ in 0..100 {
        let mut again = connect_from("127.0.0.1", addr).await;
        let _ = again.write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await;
        let mut out = Vec::new();
        let _ = again.read_to_end(&mut out).await;
        if out.starts_with(b"HTTP/1.1 200") {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served, "the freed place was not given to a new connection");
}

#[tokio::test]
async fn silent_connections_hold_half_the_listener_oldest_out_and_clients_that_talk_are_served() {
    let limits =
        Limits { first_bytes_timeout: Duration::from_secs(600), max_connections: 4, ..Limits::default() };
    let (addr, _stop) = start(limits, Duration::from_secs(1)).await;
    let ask = async |s: &mut TcpStream| {
        s.write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(s.read_u8().await.unwrap());
        }
        let len = String::from_utf8_lossy(&head)
            .lines()
            .find_map(|l| l.strip_prefix("content-length: ").map(|n| n.trim().parse::<usize>().unwrap()))
            .unwrap();
        let mut body = vec![0; len];
        s.read_exact(&mut body).await.unwrap();
        head.starts_with(b"HTTP/1.1 200")
    };
    let mut flood = Vec::new();
    for i in 0..10 {
        flood.push(connect_from(&format!("127.0.0.{}", 10 + i), addr).await);
    }
    let mut talker = connect_from("127.0.0.2", addr).await;
    assert!(ask(&mut talker).await, "a client that talks is served during the flood");
    for i in 0..10 {
        flood.push(connect_from(&format!("127.0.0.{}", 30 + i), addr).await);
    }
    assert!(ask(&mut talker).await, "a client that talked is not closed to make room for silent ones");
    let mut open = 0;
    for s in &mut flood {
        if !closed_within(s, Duration::from_millis(100)).await {
            open += 1;
        }
    }
    assert!(open <= 2, "{open} silent connections are open; at most half the listener's four places");
}

#[tokio::test]
async fn connections_over_the_listener_cap_are_closed_at_accept() {
    let limits = Limits { max_connections: 4, ..Limits::default() };
    let (addr, _stop) = start(limits, Duration::from_secs(1)).await;
    let mut held = Vec::new();
    for i in 0..4 {
        // Kept alive after a request, so that none is silent.
        let mut s = connect_from(&format!("127.0.0.{}", i + 1), addr).await;
        s.write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
        let mut head = [0u8; 12];
        s.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        held.push(s);
    }
    let mut fifth = connect_from("127.0.0.9", addr).await;
    assert!(closed_within(&mut fifth, Duration::from_secs(20)).await, "a fifth connection was kept");
}
