//! Viewers that stop reading, and many connections from one address (issue 16: 20 stalled readers
//! stayed connected after 75 s, pinning old segments). A viewer that pipelines segment requests and
//! reads none of the answers is disconnected after the send timeout (1 s here, by flag), and one
//! address holds at most the playback listener's per-address cap (4 here) while others are served.

use crate::{channel, target, text, tools_available};
use conformance::ffmpeg::Publisher;
use conformance::{Server, raw_send};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// GETs `url` on the playback listener `authority` until it answers 200 or `limit` passes.
fn get_ok(authority: &str, url: &str, limit: Duration) -> conformance::RawResponse {
    let deadline = Instant::now() + limit;
    loop {
        let r = raw_send(authority, "GET", target(url), &[("host".into(), authority.into())], b"");
        if r.status == 200 || Instant::now() >= deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The URL of a line of a playlist at `url`, relative to it.
fn resolve(url: &str, line: &str) -> String {
    format!("{}{line}", &url[..url.rfind('/').expect("a slash") + 1])
}

async fn connect_from(from: &str, to: SocketAddr) -> tokio::net::TcpStream {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(format!("{from}:0").parse().unwrap()).expect("bind a loopback address");
    sock.connect(to).await.expect("connect")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_that_stops_reading_is_disconnected_and_one_address_holds_at_most_its_cap() {
    if !tools_available() {
        return;
    }
    let s = Server::start_with(conformance::Options {
        env: vec![
            ("OPENIVS_PLAYBACK_LISTEN".into(), "127.0.0.1:0".into()),
            ("OPENIVS_HTTP_SEND_TIMEOUT_SECS".into(), "1".into()),
            ("OPENIVS_PLAYBACK_MAX_CONNECTIONS_PER_ADDRESS".into(), "4".into()),
            // Silent connections are then closed by the cap alone.
            ("OPENIVS_HTTP_FIRST_BYTES_TIMEOUT_SECS".into(), "60".into()),
        ],
        ..Default::default()
    });
    let c = s.client();
    let (_, url, key) = channel(&c, false).await;
    let authority = url.trim_start_matches("http://").split('/').next().unwrap_or_default().to_string();
    let _ff = Publisher::with_gop(&format!("{}/app/{key}", s.rtmp_url), 30, 30);
    let multivariant = get_ok(&authority, &url, Duration::from_secs(20));
    assert_eq!(multivariant.status, 200, "{}", text(&multivariant));
    let mv = text(&multivariant);
    let media_url =
        resolve(&url, mv.lines().find(|l| !l.starts_with('#') && !l.is_empty()).expect("rendition"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let media = get_ok(&authority, &media_url, Duration::from_secs(10));
    let mp = text(&media);
    let segment = mp.lines().find(|l| !l.starts_with('#') && !l.is_empty()).expect("a segment");
    let seg_url = resolve(&media_url, segment);
    let seg = get_ok(&authority, &seg_url, Duration::from_secs(5));
    assert_eq!(seg.status, 200);

    let addr: SocketAddr = authority.parse().unwrap();
    // 200 requests for the segment in one go, and not a byte read: far more than socket buffers hold.
    let mut stalled = connect_from("127.0.0.2", addr).await;
    let request = format!("GET {} HTTP/1.1\r\nhost: {authority}\r\n\r\n", target(&seg_url));
    stalled.write_all(request.repeat(200).as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stalled.read_to_end(&mut got)).await;
    assert!(matches!(read, Ok(Ok(_)) | Ok(Err(_))), "the stalled viewer is still connected");
    assert!(got.len() < 200 * seg.body.len(), "every answer reached a viewer that did not read");

    // Four silent connections from one address fill its share; a fifth is closed at once, while
    // another address is served.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect_from("127.0.0.3", addr).await);
    }
    let mut fifth = connect_from("127.0.0.3", addr).await;
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), fifth.read_to_end(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(_)) | Ok(Err(_))), "a fifth connection from one address was kept");
    let other = get_ok(&authority, &media_url, Duration::from_secs(5));
    assert_eq!(other.status, 200, "another address is served");
    drop(held);
}
