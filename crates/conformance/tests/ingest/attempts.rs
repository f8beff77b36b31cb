//! Many wrong-key attempts from one address: after a burst they are turned away at accept, before
//! any TLS or RTMP work, while an encoder on another address goes live as usual. The hammering client
//! is a few lines of raw RTMP (simple handshake, `connect`, `publish`) bound to 127.0.0.2; Linux routes
//! all of 127.0.0.0/8 to loopback, so the server sees two source addresses.

use crate::{Publisher, channel, ffmpeg_available, wait_live};
use conformance::Server;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

fn amf_string(out: &mut Vec<u8>, s: &str) {
    out.push(0x02);
    out.extend((s.len() as u16).to_be_bytes());
    out.extend(s.as_bytes());
}

fn amf_number(out: &mut Vec<u8>, n: f64) {
    out.push(0x00);
    out.extend(n.to_be_bytes());
}

/// One AMF0 command message on chunk stream 3 (payloads here fit one 128-byte chunk).
fn command(stream: u32, body: &[u8]) -> Vec<u8> {
    assert!(body.len() <= 128);
    let len = body.len() as u32;
    let mut m = vec![0x03, 0, 0, 0, (len >> 16) as u8, (len >> 8) as u8, len as u8, 0x14];
    m.extend(stream.to_le_bytes());
    m.extend(body);
    m
}

/// What became of one attempt.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    /// Closed before the RTMP handshake was answered.
    ClosedAtAccept,
    /// Answered with `NetStream.Publish.BadName`.
    Refused,
    /// Anything else (the reply as text).
    Other(String),
}

async fn wrong_key_attempt(server: SocketAddr, from: &str, key: &str) -> Attempt {
    let sock = TcpSocket::new_v4().unwrap();
    sock.bind(format!("{from}:0").parse().unwrap()).expect("bind a second loopback address");
    let Ok(mut io) = sock.connect(server).await else { return Attempt::ClosedAtAccept };
    let mut c0c1 = vec![3u8];
    c0c1.resize(1537, 0);
    if io.write_all(&c0c1).await.is_err() {
        return Attempt::ClosedAtAccept;
    }
    let mut s0s1s2 = vec![0u8; 3073];
    match tokio::time::timeout(Duration::from_secs(5), io.read_exact(&mut s0s1s2)).await {
        Ok(Ok(_)) => {}
        _ => return Attempt::ClosedAtAccept,
    }
    let mut body = Vec::new();
    amf_string(&mut body, "connect");
    amf_number(&mut body, 1.0);
    body.push(0x03);
    body.extend(3u16.to_be_bytes());
    body.extend(b"app");
    amf_string(&mut body, "app");
    body.extend([0, 0, 9]);
    let mut out = s0s1s2[1..1537].to_vec();
    out.extend(command(0, &body));
    let mut body = Vec::new();
    amf_string(&mut body, "publish");
    amf_number(&mut body, 2.0);
    body.push(0x05);
    amf_string(&mut body, key);
    amf_string(&mut body, "live");
    out.extend(command(1, &body));
    let _ = io.write_all(&out).await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), io.read_to_end(&mut reply)).await;
    let text = String::from_utf8_lossy(&reply).into_owned();
    if text.contains("NetStream.Publish.BadName") { Attempt::Refused } else { Attempt::Other(text) }
}

#[tokio::test]
async fn wrong_keys_from_one_address_are_cut_off_while_a_publisher_goes_live() {
    if !ffmpeg_available() {
        return;
    }
    let s = Server::start();
    let c = s.client();
    let (arn, key) = channel(&c, false).await;
    let rtmp: SocketAddr = s.rtmp_url.trim_start_matches("rtmp://").parse().unwrap();
    let hammer = tokio::spawn(async move {
        let mut seen = Vec::new();
        for i in 0..60 {
            seen.push(wrong_key_attempt(rtmp, "127.0.0.2", &format!("sk_us-west-2_wrong{i:04}")).await);
        }
        seen
    });
    let mut ff = Publisher::start(&format!("{}/app/{key}", s.rtmps_url), 4);
    assert!(wait_live(&c, &arn, Duration::from_secs(15)).await.is_some(), "live despite the hammering");
    let seen = hammer.await.unwrap();
    let refused = seen.iter().filter(|a| **a == Attempt::Refused).count();
    let cut = seen.iter().filter(|a| **a == Attempt::ClosedAtAccept).count();
    assert!(seen.iter().all(|a| *a == Attempt::Refused || *a == Attempt::ClosedAtAccept), "{seen:?}");
    // A burst of 10, plus one per 6 s while the attempts last.
    assert!((10..=14).contains(&refused), "{refused} refused with BadName: {seen:?}");
    assert_eq!(refused + cut, 60);
    assert!(seen[..10].iter().all(|a| *a == Attempt::Refused), "the burst is answered: {seen:?}");
    assert_eq!(ff.wait(Duration::from_secs(20)).await, Some(true));
}
