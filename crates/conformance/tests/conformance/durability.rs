//! Durability: a write acknowledged with a success status survives `kill -9`; SIGTERM stops the server
//! cleanly with its data; pagination tokens stay valid across restarts (the paging key is persisted).

use aws_sdk_ivs::types::{ChannelLatencyMode, ChannelType};
use conformance::{Options, RawResponse, Server};
use serde_json::{Value, json};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn post(s: &Server, target: &str, body: &Value) -> RawResponse {
    s.raw("POST", target, &[("content-type", "application/json")], body.to_string().as_bytes(), true)
}

/// The JSON of a successful call.
fn ok(s: &Server, target: &str, body: &Value) -> Value {
    let r = post(s, target, body);
    assert_eq!(r.status, 200, "{target}: {}", String::from_utf8_lossy(&r.body));
    r.json()
}

fn tags_path(arn: &str) -> String {
    format!("/tags/{}", arn.replace(':', "%3A").replace('/', "%2F"))
}

/// Everything the server says about the resources, as JSON, with this server's `host:port` (which
/// changes on restart, since tests listen on port 0) replaced by `HOST`.
fn snapshot(s: &Server, channels: &[String], key_pair: &str) -> Value {
    let mut out = serde_json::Map::new();
    for arn in channels {
        let channel = ok(s, "/GetChannel", &json!({ "arn": arn }));
        let keys = ok(s, "/ListStreamKeys", &json!({ "channelArn": arn, "maxResults": 50 }));
        let keys: Vec<Value> = keys["streamKeys"]
            .as_array()
            .expect("streamKeys")
            .iter()
            .map(|k| ok(s, "/GetStreamKey", &json!({ "arn": k["arn"] })))
            .collect();
        assert!(!keys.is_empty(), "channel {arn} has a stream key");
        let tags = s.raw("GET", &tags_path(arn), &[], b"", true);
        assert_eq!(tags.status, 200);
        out.insert(arn.clone(), json!({ "channel": channel, "streamKeys": keys, "tags": tags.json() }));
    }
    out.insert(key_pair.to_string(), ok(s, "/GetPlaybackKeyPair", &json!({ "arn": key_pair })));
    out.insert("list".into(), ok(s, "/ListChannels", &json!({})));
    let text = Value::Object(out).to_string().replace(s.authority(), "HOST");
    serde_json::from_str(&text).expect("json")
}

/// Creates channels of every kind of setting, tags one, imports a key pair; returns their ARNs.
async fn populate(s: &Server) -> (Vec<String>, String) {
    let c = s.client();
    let mut arns = Vec::new();
    let settings = [
        ("basic", ChannelType::BasicChannelType, ChannelLatencyMode::NormalLatency, false),
        ("standard", ChannelType::StandardChannelType, ChannelLatencyMode::LowLatency, true),
        ("hd", ChannelType::AdvancedHdChannelType, ChannelLatencyMode::LowLatency, false),
        ("sd", ChannelType::AdvancedSdChannelType, ChannelLatencyMode::NormalLatency, true),
        ("plain", ChannelType::StandardChannelType, ChannelLatencyMode::LowLatency, false),
    ];
    for (name, kind, latency, authorized) in settings {
        let out = c
            .create_channel()
            .name(name)
            .r#type(kind)
            .latency_mode(latency)
            .authorized(authorized)
            .insecure_ingest(authorized)
            .tags("created", name)
            .send()
            .await
            .expect("create channel");
        let key = out.stream_key().and_then(|k| k.value()).unwrap_or_default();
        assert!(key.starts_with("sk_"), "{key}");
        arns.push(out.channel().and_then(|c| c.arn()).unwrap().to_string());
    }
    c.tag_resource()
        .resource_arn(&arns[0])
        .tags("team", "blue")
        .tags("env", "prod")
        .send()
        .await
        .expect("tag");
    let pair = c
        .import_playback_key_pair()
        .name("kp")
        .public_key_material(conformance::keys::PUB1)
        .tags("k", "v")
        .send()
        .await
        .expect("import key pair");
    (arns, pair.key_pair().and_then(|k| k.arn()).unwrap().to_string())
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let mut s = Server::start();
    let (arns, key_pair) = populate(&s).await;
    let before = snapshot(&s, &arns, &key_pair);
    assert_eq!(before[&arns[0]]["tags"]["tags"], json!({"created": "basic", "team": "blue", "env": "prod"}));
    assert_eq!(before["list"]["channels"].as_array().map(Vec::len), Some(5));
    for arn in &arns {
        let value = before[arn]["streamKeys"][0]["streamKey"]["value"].as_str().unwrap_or_default();
        assert!(value.starts_with("sk_"), "stream key value of {arn}: {value:?}");
    }
    assert_eq!(before[&key_pair]["keyPair"]["name"], "kp");

    // The last write, acknowledged just before the kill.
    let last = s.client().create_channel().name("last").send().await.expect("create");
    let last_arn = last.channel().and_then(|c| c.arn()).unwrap().to_string();
    let last_key = last.stream_key().and_then(|k| k.value()).unwrap().to_string();
    s.kill9_and_restart();

    let got = s.client().get_channel().arn(&last_arn).send().await.expect("last write survived");
    assert_eq!(got.channel().and_then(|c| c.name()), Some("last"));
    let keys = s.client().list_stream_keys().channel_arn(&last_arn).send().await.expect("keys");
    let key_arn = keys.stream_keys()[0].arn().unwrap();
    let key = s.client().get_stream_key().arn(key_arn).send().await.expect("key");
    assert_eq!(key.stream_key().and_then(|k| k.value()), Some(last_key.as_str()));

    s.client().delete_channel().arn(&last_arn).send().await.expect("delete last");
    let after = snapshot(&s, &arns, &key_pair);
    assert_eq!(after, before);

    // A deletion is as durable as a creation.
    s.kill9_and_restart();
    let err = s.client().get_channel().arn(&last_arn).send().await.expect_err("stays deleted");
    assert!(err.into_service_error().is_resource_not_found_exception());
    assert_eq!(snapshot(&s, &arns, &key_pair), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_write_is_lost_over_five_kill_9_rounds_of_unthrottled_writes() {
    let mut s = Server::start();
    let mut acked = Vec::new();
    for _ in 0..5 {
        let (c, before) = (s.client(), acked.len());
        let writer = {
            let acked_now = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
            let mut callers = Vec::new();
            for _ in 0..16 {
                let (c, acked_now) = (c.clone(), acked_now.clone());
                callers.push(tokio::spawn(async move {
                    while let Ok(out) = c.create_channel().send().await {
                        if let Some(arn) = out.channel().and_then(|ch| ch.arn()) {
                            acked_now.lock().unwrap().push(arn.to_string());
                        }
                    }
                }));
            }
            (callers, acked_now)
        };
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // Killed while the callers still write: whatever was acknowledged must be there after.
        s.kill9_and_restart();
        // Their clients name the old port, so they would only retry; an answer they had not
        // recorded yet is simply not counted.
        for caller in writer.0 {
            caller.abort();
        }
        acked.extend(writer.1.lock().unwrap().drain(..));
        assert!(acked.len() > before, "no write was acknowledged in this round");
    }
    let c = s.client();
    let mut present = std::collections::HashSet::new();
    let mut pages = c.list_channels().max_results(100).into_paginator().send();
    while let Some(page) = pages.next().await {
        present.extend(page.expect("list").channels().iter().filter_map(|ch| ch.arn().map(str::to_string)));
    }
    let lost = acked.iter().filter(|arn| !present.contains(*arn)).count();
    println!("{} acknowledged writes over five kill -9 rounds, {lost} lost", acked.len());
    assert_eq!(lost, 0);
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly_and_keeps_the_data() {
    let mut s = Server::start();
    let (arns, key_pair) = populate(&s).await;
    let before = snapshot(&s, &arns, &key_pair);
    let status = s.terminate();
    assert!(status.success(), "exit status {status:?}");
    // The WAL was copied into the database and truncated at the stop.
    let wal = std::fs::metadata(s.data_dir.join("openivs.db-wal")).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal, 0, "a clean stop left a WAL of {wal} bytes");
    // Start again on the same data dir (there is nothing left to kill).
    s.kill9_and_restart();
    assert_eq!(snapshot(&s, &arns, &key_pair), before);
    // And the restarted server takes writes.
    s.client().create_channel().name("after").send().await.expect("create after restart");
    let status = s.terminate();
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn pagination_tokens_survive_a_restart() {
    let mut s = Server::start();
    let c = s.client();
    for i in 0..5 {
        c.create_channel().name(format!("ch{i}")).send().await.expect("create");
    }
    let names = |out: &aws_sdk_ivs::operation::list_channels::ListChannelsOutput| -> Vec<String> {
        out.channels().iter().filter_map(|c| c.name()).map(str::to_string).collect()
    };
    let first = c.list_channels().max_results(2).send().await.expect("page 1");
    let token = first.next_token().expect("a next token").to_string();
    let second_before = c.list_channels().max_results(2).next_token(&token).send().await.expect("page 2");
    let token2 = second_before.next_token().expect("a third page").to_string();
    let mut seen = names(&first);
    seen.extend(names(&second_before));

    s.kill9_and_restart();
    let c = s.client();
    let second_after = c.list_channels().max_results(2).next_token(&token).send().await.expect("old token");
    assert_eq!(names(&second_after), names(&second_before));
    assert_eq!(second_after.next_token(), Some(token2.as_str()));
    let third = c.list_channels().max_results(2).next_token(&token2).send().await.expect("page 3");
    assert_eq!(third.next_token(), None);
    seen.extend(names(&third));
    seen.sort();
    assert_eq!(seen, ["ch0", "ch1", "ch2", "ch3", "ch4"]);

    // A token the server never issued is still refused after the restart.
    let err = c.list_channels().next_token("bm90LWEtdG9rZW4").send().await.expect_err("forged token");
    assert!(err.into_service_error().is_validation_exception());
}

/// Sends SIGTERM and waits for the exit status, failing (instead of hanging) after `limit`.
fn terminate_within(s: Server, limit: Duration) -> (Server, std::process::ExitStatus) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = s;
        let status = s.terminate();
        let _ = tx.send((s, status));
    });
    rx.recv_timeout(limit).unwrap_or_else(|_| panic!("the server did not stop within {limit:?} of SIGTERM"))
}

#[tokio::test]
async fn sigterm_stops_the_server_even_with_stalled_clients() {
    let opts =
        Options { env: vec![("OPENIVS_SHUTDOWN_GRACE_SECS".into(), "1".into())], ..Options::default() };
    let s = Server::start_with(opts);
    let c = s.client();
    c.create_channel().name("kept").send().await.expect("create");
    // A client that sent half a request head, one that sent the head and part of the body, and an
    // idle keep-alive connection of the SDK.
    let mut half_head = TcpStream::connect(s.authority()).expect("connect");
    write!(half_head, "POST /ListChannels HTTP/1.1\r\nhost: {}", s.authority()).expect("write");
    let mut half_body = TcpStream::connect(s.authority()).expect("connect");
    write!(
        half_body,
        "POST /ListChannels HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{",
        s.authority()
    )
    .expect("write");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let (mut s, status) = terminate_within(s, Duration::from_secs(20));
    assert!(status.success(), "exit status {status:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "stopped after {:?}", started.elapsed());
    drop((half_head, half_body, c));

    s.kill9_and_restart();
    let names: Vec<String> = s
        .client()
        .list_channels()
        .send()
        .await
        .expect("list")
        .channels()
        .iter()
        .filter_map(|c| c.name().map(str::to_string))
        .collect();
    assert_eq!(names, ["kept"]);
}
