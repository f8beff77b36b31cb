//! Ingest slots under a flood (issue 16): ten addresses (127.0.0.2–11; Linux routes all of
//! 127.0.0.0/8 to loopback) open silent connections to both ingest listeners as fast as they are
//! closed, while ffmpeg publishes over RTMPS from 127.0.0.1. Each address holds at most its
//! per-address share of the slots until it publishes, so the encoder still finds one. The listeners'
//! cap is set low (300) so that the flood would fill it without the per-address cap.

use crate::{Publisher, channel, ffmpeg_available, wait_live};
use conformance::{Options, Server};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::net::TcpSocket;

/// Opens silent connections from `from` to `to` at about `per_sec` a second until `stop`, each held
/// until the server closes it.
async fn flood(from: String, to: SocketAddr, per_sec: u64, stop: Arc<AtomicBool>, opened: Arc<AtomicU64>) {
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / per_sec));
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let Ok(sock) = TcpSocket::new_v4() else { continue };
        if sock.bind(format!("{from}:0").parse().expect("address")).is_err() {
            continue;
        }
        let Ok(mut io) = sock.connect(to).await else { continue };
        opened.fetch_add(1, Ordering::Relaxed);
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 64];
            while !stop.load(Ordering::Relaxed) {
                match tokio::time::timeout(Duration::from_millis(500), io.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => break,
                    _ => {}
                }
            }
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_goes_live_while_ten_addresses_flood_both_ingest_listeners() {
    publisher_goes_live_during_a_flood(10).await;
}

/// Forty addresses may hold 640 connections before they publish, more than the listeners' 300: the
/// oldest of those is closed to make room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_goes_live_while_forty_addresses_flood_more_than_the_per_address_caps_cover() {
    publisher_goes_live_during_a_flood(40).await;
}

/// Floods both ingest listeners with 800 silent connections a second from `addresses` addresses
/// (127.0.0.2 on) while ffmpeg publishes from 127.0.0.1.
async fn publisher_goes_live_during_a_flood(addresses: u64) {
    if !ffmpeg_available() {
        return;
    }
    let s = Server::start_with(Options {
        env: vec![("OPENIVS_MAX_CONNECTIONS".into(), "300".into())],
        ..Options::default()
    });
    let c = s.client();
    let (arn, key) = channel(&c, false).await;
    let rtmps: SocketAddr = s.rtmps_url.trim_start_matches("rtmps://").parse().unwrap();
    let rtmp: SocketAddr = s.rtmp_url.trim_start_matches("rtmp://").parse().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let opened = Arc::new(AtomicU64::new(0));
    let mut floods = Vec::new();
    for n in 0..addresses {
        for to in [rtmps, rtmp] {
            // 800 a second in all.
            let (from, per_sec) = (format!("127.0.0.{}", n + 2), 400 / addresses);
            floods.push(tokio::spawn(flood(from, to, per_sec, stop.clone(), opened.clone())));
        }
    }
    // Long enough for the flood to have filled every slot it can.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let started = Instant::now();
    let mut ff = Publisher::start(&format!("{}/app/{key}", s.rtmps_url), 5);
    let live = wait_live(&c, &arn, Duration::from_secs(20)).await;
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for f in floods {
        let _ = f.await;
    }
    println!(
        "{addresses} addresses: live after {:.2} s with {} flood connections opened",
        took.as_secs_f64(),
        opened.load(Ordering::Relaxed)
    );
    assert!(live.is_some(), "the publisher did not go live during the flood");
    assert_eq!(ff.wait(Duration::from_secs(20)).await, Some(true), "ffmpeg published without error");
}

/// A studio behind one address: with room for a single connection that has not published, two
/// encoders from 127.0.0.1 still both go live, one after the other (a publishing encoder no longer
/// counts against its address).
#[tokio::test]
async fn publishing_encoders_do_not_count_against_their_address() {
    if !ffmpeg_available() {
        return;
    }
    let s = Server::start_with(Options {
        env: vec![("OPENIVS_INGEST_MAX_PENDING_PER_ADDRESS".into(), "1".into())],
        ..Options::default()
    });
    let c = s.client();
    let (first_arn, first_key) = channel(&c, false).await;
    let (second_arn, second_key) = channel(&c, false).await;
    let mut first = Publisher::start(&format!("{}/app/{first_key}", s.rtmps_url), 8);
    assert!(wait_live(&c, &first_arn, Duration::from_secs(15)).await.is_some(), "the first encoder");
    let mut second = Publisher::start(&format!("{}/app/{second_key}", s.rtmps_url), 4);
    assert!(wait_live(&c, &second_arn, Duration::from_secs(15)).await.is_some(), "the second encoder");
    assert_eq!(second.wait(Duration::from_secs(20)).await, Some(true));
    assert_eq!(first.wait(Duration::from_secs(20)).await, Some(true));
}
