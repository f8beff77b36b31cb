//! Control of live streams: StopStream disconnects the encoder at once, a second publisher is refused,
//! a live channel cannot be deleted, an encoder that vanishes ends its session, and sessions (even one
//! cut short by a killed server) survive a restart.

use crate::{Publisher, channel, event_names, ffmpeg_available, wait_live, wait_offline};
use aws_sdk_ivs::types::{StreamFilters, StreamHealth};
use conformance::{Options, Server};
use std::time::Duration;

#[tokio::test]
async fn stop_stream_disconnects_and_a_second_publisher_is_refused() {
    if !ffmpeg_available() {
        return;
    }
    let s = Server::start();
    let c = s.client();
    let (arn, key) = channel(&c, false).await;
    let url = format!("{}/app/{key}", s.rtmps_url);
    let mut first = Publisher::start(&url, 60);
    let id = wait_live(&c, &arn, Duration::from_secs(15)).await.expect("live");

    let mut second = Publisher::start(&url, 5);
    assert_eq!(second.wait(Duration::from_secs(10)).await, Some(false), "the second publisher is refused");
    let still = c.get_stream().channel_arn(&arn).send().await.unwrap();
    assert_eq!(
        still.stream().and_then(|s| s.stream_id()),
        Some(id.as_str()),
        "the first one keeps the channel"
    );

    let err = c.delete_channel().arn(&arn).send().await.expect_err("a live channel cannot be deleted");
    assert!(err.into_service_error().is_conflict_exception());

    c.stop_stream().channel_arn(&arn).send().await.expect("StopStream");
    let err = c.get_stream().channel_arn(&arn).send().await.expect_err("offline right after StopStream");
    assert!(err.into_service_error().is_channel_not_broadcasting());
    assert!(first.wait(Duration::from_secs(5)).await.is_some(), "ffmpeg was disconnected");
    let session = c.get_stream_session().channel_arn(&arn).stream_id(&id).send().await.unwrap();
    let session = session.stream_session().unwrap();
    let ended = session.truncated_events().iter().find(|e| e.name() == Some("Session Ended"));
    assert_eq!(ended.and_then(|e| e.code()), Some("StreamStopped"));
    c.delete_channel().arn(&arn).send().await.expect("deletable once offline");
}

#[tokio::test]
async fn an_encoder_that_vanishes_ends_its_stream() {
    if !ffmpeg_available() {
        return;
    }
    let s = Server::start();
    let c = s.client();
    let (arn, key) = channel(&c, false).await;
    let mut ff = Publisher::start(&format!("{}/app/{key}", s.rtmps_url), 60);
    let id = wait_live(&c, &arn, Duration::from_secs(15)).await.expect("live");
    ff.kill();
    assert!(wait_offline(&c, &arn, Duration::from_secs(5)).await, "offline after SIGKILL of the encoder");
    let session = c.get_stream_session().channel_arn(&arn).send().await.unwrap();
    let session = session.stream_session().unwrap();
    assert_eq!(session.stream_id(), Some(id.as_str()));
    assert!(session.end_time().is_some());
    // And the channel takes a new encoder at once.
    let mut again = Publisher::start(&format!("{}/app/{key}", s.rtmps_url), 3);
    let next = wait_live(&c, &arn, Duration::from_secs(15)).await.expect("live again");
    assert_ne!(next, id, "a new stream id for each stream");
    assert_eq!(again.wait(Duration::from_secs(20)).await, Some(true));
    let list = c.list_stream_sessions().channel_arn(&arn).send().await.unwrap();
    let ids: Vec<_> = list.stream_sessions().iter().filter_map(|s| s.stream_id()).collect();
    assert_eq!(ids, [next.as_str(), id.as_str()], "newest first");
}

#[tokio::test]
async fn sessions_survive_a_restart_and_one_cut_by_a_kill_is_ended() {
    if !ffmpeg_available() {
        return;
    }
    let mut s = Server::start();
    let c = s.client();
    let (arn, key) = channel(&c, false).await;
    let mut ff = Publisher::start(&format!("{}/app/{key}", s.rtmps_url), 60);
    let id = wait_live(&c, &arn, Duration::from_secs(15)).await.expect("live");
    s.kill9_and_restart();
    ff.kill();
    let c = s.client();
    assert!(wait_offline(&c, &arn, Duration::from_secs(2)).await);
    let session = c.get_stream_session().channel_arn(&arn).send().await.expect("kept across the restart");
    let session = session.stream_session().unwrap();
    assert_eq!(session.stream_id(), Some(id.as_str()));
    assert!(session.end_time().is_some(), "a session cut by the kill is ended at start-up");
    let names = event_names(session);
    assert!(
        names.iter().any(|n| n == "Session Created") && names.iter().any(|n| n == "Stream End"),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_frozen_encoder_is_starving_then_disconnected() {
    if !ffmpeg_available() {
        return;
    }
    let env = vec![("OPENIVS_INGEST_STARVATION_SECS".to_string(), "6".to_string())];
    let s = Server::start_with(Options { env, ..Options::default() });
    let c = s.client();
    let (arn, key) = channel(&c, false).await;
    let ff = Publisher::start(&format!("{}/app/{key}", s.rtmps_url), 60);
    let id = wait_live(&c, &arn, Duration::from_secs(15)).await.expect("live");
    ff.signal("STOP");
    let mut starving = false;
    for _ in 0..50 {
        let got = c.get_stream().channel_arn(&arn).send().await;
        if got.ok().and_then(|g| g.stream().and_then(|s| s.health().cloned())) == Some(StreamHealth::Starving)
        {
            starving = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(starving, "STARVING a few seconds after the data stopped");
    let filter = StreamFilters::builder().health(StreamHealth::Starving).build();
    let listed = c.list_streams().filter_by(filter).send().await.unwrap();
    assert_eq!(listed.streams().iter().filter_map(|s| s.stream_id()).collect::<Vec<_>>(), [id.as_str()]);
    assert!(
        wait_offline(&c, &arn, Duration::from_secs(8)).await,
        "disconnected after the starvation timeout"
    );
    let session = c.get_stream_session().channel_arn(&arn).send().await.unwrap();
    let session = session.stream_session().unwrap();
    let names = event_names(session);
    assert!(names.iter().any(|n| n == "Starvation Start"), "{names:?}");
    let ended = session.truncated_events().iter().find(|e| e.name() == Some("Session Ended"));
    assert_eq!(ended.and_then(|e| e.code()), Some("StreamStarved"));
}

#[tokio::test]
async fn stalled_and_wrong_key_connections_do_not_hold_up_a_publisher() {
    if !ffmpeg_available() {
        return;
    }
    use std::io::Write;
    let s = Server::start();
    let c = s.client();
    let (arn, key) = channel(&c, false).await;
    let rtmp = s.rtmp_url.trim_start_matches("rtmp://").to_string();
    // 200 connections that stop mid-handshake, and 50 that send garbage.
    let mut held = Vec::new();
    for i in 0..250 {
        let mut sock = std::net::TcpStream::connect(&rtmp).expect("connect");
        let bytes: &[u8] = if i < 200 { &[3u8; 700] } else { &[0xffu8; 4000] };
        let _ = sock.write_all(bytes);
        held.push(sock);
    }
    let mut wrong = Publisher::start(&format!("{}/app/sk_us-west-2_wrong", s.rtmps_url), 5);
    let mut ff = Publisher::start(&format!("{}/app/{key}", s.rtmps_url), 4);
    assert!(wait_live(&c, &arn, Duration::from_secs(15)).await.is_some(), "live despite the others");
    assert_eq!(wrong.wait(Duration::from_secs(10)).await, Some(false));
    assert_eq!(ff.wait(Duration::from_secs(20)).await, Some(true));
    drop(held);
}

/// Connections that are abandoned in every way an encoder can abandon one (mid-handshake, after the
/// handshake, with garbage, killed mid-stream, frozen until starved) leave no file handle behind: the
/// server's open descriptors return to what they were (each connection's task owns its socket, so a
/// leaked task would show here too).
#[tokio::test]
async fn abandoned_connections_leave_no_descriptors_behind() {
    if !ffmpeg_available() || !std::path::Path::new("/proc/self/fd").exists() {
        return;
    }
    use std::io::Write;
    let s = Server::start_with(Options {
        env: vec![("OPENIVS_INGEST_STARVATION_SECS".into(), "3".into())],
        ..Default::default()
    });
    let c = s.client();
    let (arn, key) = channel(&c, false).await;
    let url = format!("{}/app/{key}", s.rtmps_url);
    let fds = || std::fs::read_dir(format!("/proc/{}/fd", s.pid())).map(|d| d.count()).unwrap_or(0);
    // One whole publish first, so whatever the server opens once (database readers) is open.
    let mut warm = Publisher::start(&url, 3);
    assert!(wait_live(&c, &arn, Duration::from_secs(15)).await.is_some());
    assert_eq!(warm.wait(Duration::from_secs(20)).await, Some(true));
    assert!(wait_offline(&c, &arn, Duration::from_secs(10)).await);
    let baseline = fds();

    let rtmp = s.rtmp_url.trim_start_matches("rtmp://").to_string();
    let mut held = Vec::new();
    for i in 0..150 {
        let mut sock = std::net::TcpStream::connect(&rtmp).expect("connect");
        let bytes: Vec<u8> = match i % 3 {
            0 => vec![3u8; 700],                                    // half a C0+C1
            1 => [&[3u8][..], &[0u8; 1536], &[0u8; 1536]].concat(), // C0+C1+C2, then silence
            _ => vec![0xffu8; 4000],                                // not RTMP
        };
        let _ = sock.write_all(&bytes);
        held.push(sock);
    }
    let mut killed = Publisher::start(&url, 60);
    assert!(wait_live(&c, &arn, Duration::from_secs(15)).await.is_some());
    assert!(fds() > baseline, "the connections are open");
    killed.kill();
    assert!(wait_offline(&c, &arn, Duration::from_secs(10)).await, "a killed encoder ends its stream");
    let frozen = Publisher::start(&url, 60);
    assert!(wait_live(&c, &arn, Duration::from_secs(15)).await.is_some());
    frozen.signal("STOP");
    assert!(wait_offline(&c, &arn, Duration::from_secs(15)).await, "a frozen encoder is starved out");
    drop(held);
    drop(frozen);

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while fds() > baseline && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after = fds();
    assert!(after <= baseline, "descriptors left behind: {after} open, {baseline} before");
    // And the server still takes a publisher.
    let mut again = Publisher::start(&url, 3);
    assert!(wait_live(&c, &arn, Duration::from_secs(15)).await.is_some());
    assert_eq!(again.wait(Duration::from_secs(20)).await, Some(true));
}
