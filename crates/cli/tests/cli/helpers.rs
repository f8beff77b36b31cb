//! The helpers of streamers and app developers: `playback-key generate`, `token`, `ingest-url`.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde_json::Value;

use crate::{Server, s};

fn verify(token: &str, public_pem: &str) -> Value {
    let key = DecodingKey::from_ec_pem(public_pem.as_bytes()).expect("public key");
    let mut validation = Validation::new(Algorithm::ES384);
    validation.required_spec_claims = ["exp".to_string()].into();
    decode::<Value>(token, &key, &validation).expect("the token verifies with the public key").claims
}

#[test]
fn a_generated_key_pair_is_imported_and_its_private_key_signs_tokens() {
    let server = Server::start();
    let keys = server.dir().join("keys");
    std::fs::create_dir(&keys).unwrap();
    let out_dir = keys.display().to_string();
    let generated = server.cli(&[
        "playback-key",
        "generate",
        "--name",
        "web",
        "--out-dir",
        &out_dir,
        "--tags",
        "app=web",
    ]);
    let generated = generated.json();
    let arn = s(&generated, "/keyPair/arn").to_string();
    assert!(arn.contains(":playback-key/"), "{generated}");
    assert_eq!(generated["keyPair"]["name"], "web");
    assert_eq!(generated["keyPair"]["tags"]["app"], "web");
    let got = server.cli(&["ivs", "get-playback-key-pair", "--arn", &arn]).json();
    assert_eq!(got["keyPair"]["fingerprint"], generated["keyPair"]["fingerprint"]);

    let private = keys.join("private.pem");
    let public = std::fs::read_to_string(keys.join("public.pem")).unwrap();
    assert!(std::fs::read_to_string(&private).unwrap().starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // The files are never replaced without --force, and nothing is imported then.
    let again = server.cli(&["playback-key", "generate", "--out-dir", &out_dir]);
    assert_eq!(again.code, 255, "{again:?}");
    assert_eq!(std::fs::read_to_string(keys.join("public.pem")).unwrap(), public);
    let pairs = server.cli(&["ivs", "list-playback-key-pairs"]).json();
    assert_eq!(pairs["keyPairs"].as_array().map(Vec::len), Some(1), "{pairs}");

    let channel = s(&server.create_channel("private"), "/channel/arn").to_string();
    let key = private.display().to_string();
    let args = [
        "token",
        "--channel-arn",
        &channel,
        "--key",
        &key,
        "--ttl",
        "5m",
        "--viewer-id",
        "viewer-1",
        "--viewer-session-version",
        "2",
        "--origin",
        "https://a.example",
        "https://*.b.example",
        "--strict-origin",
        "--single-use",
        "--max-resolution",
        "HD",
    ];
    let token = server.cli(&args).ok().trim().to_string();
    let claims = verify(&token, &public);
    assert_eq!(claims["aws:channel-arn"], channel.as_str());
    assert_eq!(claims["aws:access-control-allow-origin"], "https://a.example,https://*.b.example");
    assert_eq!(
        (&claims["aws:strict-origin-enforcement"], &claims["aws:viewer-id"]),
        (&Value::Bool(true), &Value::from("viewer-1"))
    );
    assert_eq!(
        (&claims["aws:viewer-session-version"], &claims["aws:maximum-resolution"]),
        (&Value::from(2), &Value::from("HD"))
    );
    assert_eq!(claims["aws:single-use-uuid"].as_str().map(str::len), Some(36));
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let exp = claims["exp"].as_u64().unwrap();
    assert!((now + 290..=now + 310).contains(&exp), "exp {exp}, now {now}");

    let plain = server.cli(&["token", "--channel-arn", &channel, "--key", &key]).ok().trim().to_string();
    let claims = verify(&plain, &public);
    assert!(claims.get("aws:viewer-id").is_none());
    assert!((now + 3590..=now + 3610).contains(&claims["exp"].as_u64().unwrap()), "one hour by default");

    let too_long =
        server.cli(&["token", "--channel-arn", &channel, "--key", &key, "--viewer-id", "v", "--ttl", "1h"]);
    assert!(too_long.code == 2 && too_long.stderr.contains("10 minutes"), "{too_long:?}");
    let no_key = server.cli(&["token", "--channel-arn", &channel, "--key", "missing.pem"]);
    assert_eq!(no_key.code, 255, "{no_key:?}");
}

#[test]
fn ingest_url_is_the_rtmps_url_of_the_channel_and_its_stream_key() {
    let server = Server::start();
    let created = server.create_channel("live");
    let arn = s(&created, "/channel/arn");
    let expected =
        format!("rtmps://{}/app/{}", s(&created, "/channel/ingestEndpoint"), s(&created, "/streamKey/value"));
    // The harness listens on port 0, so the port is whatever the server printed.
    let after_port = expected.strip_prefix("rtmps://127.0.0.1:").and_then(|rest| rest.split_once('/'));
    assert!(after_port.is_some_and(|(_, path)| path.starts_with("app/sk_us-east-1_")), "{expected}");
    assert_eq!(server.cli(&["ingest-url", arn]).ok(), format!("{expected}\n"));
    assert_eq!(server.cli(&["ingest-url", "live"]).ok(), format!("{expected}\n"), "by name");

    let parts = server.cli(&["ingest-url", "live", "--output", "json"]).json();
    assert_eq!(parts["url"], expected.as_str());
    assert_eq!(parts["server"], format!("rtmps://{}/app/", s(&created, "/channel/ingestEndpoint")));
    assert_eq!(parts["streamKey"], s(&created, "/streamKey/value"));

    let insecure = server.cli(&["ingest-url", arn, "--insecure"]);
    assert_eq!(insecure.ok(), format!("rtmp://127.0.0.1:1935/app/{}\n", s(&created, "/streamKey/value")));
    assert!(insecure.stderr.contains("insecure ingest"), "{insecure:?}");

    let missing = server.cli(&["ingest-url", "arn:aws:ivs:us-east-1:123456789012:channel/abcdABCDefgh"]);
    assert!(missing.code == 254 && missing.stderr.contains("(ResourceNotFoundException)"), "{missing:?}");
    let unnamed = server.cli(&["ingest-url", "nobody"]);
    assert!(unnamed.code == 255 && unnamed.stderr.contains("no channel named"), "{unnamed:?}");

    // Without a stream key there is no URL.
    let key_arn = s(&created, "/streamKey/arn");
    server.cli(&["ivs", "delete-stream-key", "--arn", key_arn]).ok();
    let keyless = server.cli(&["ingest-url", arn]);
    assert!(keyless.code == 255 && keyless.stderr.contains("create-stream-key"), "{keyless:?}");
}
