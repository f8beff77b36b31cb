//! What playback admission costs per request on this machine: verifying a playback token (split,
//! ES384 signature, claims) against one and against three key pairs (the most an account and region may
//! hold, the signing one last), and following a playback session (open: HMAC-SHA256 check and JSON;
//! renew: JSON and HMAC). Prints figures and asserts nothing about speed.
//!
//! `cargo bench -p openivs-server --bench playback_access`

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openivs_server::playback::access::OriginRule;
use openivs_server::playback::session::{Session, SessionKey};
use openivs_server::playback::token;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use std::hint::black_box;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

const ARN: &str = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234";

fn key() -> EcdsaKeyPair {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng).expect("key");
    EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("key")
}

/// Runs `f` for about a second; prints and returns microseconds per call.
fn measure(what: &str, mut f: impl FnMut()) -> f64 {
    for _ in 0..10 {
        f();
    }
    let (start, mut n) = (Instant::now(), 0u64);
    while start.elapsed().as_secs_f64() < 1.0 {
        for _ in 0..10 {
            f();
        }
        n += 10;
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("{what:<64} {us:>9.2} µs/op {:>10.0} op/s per core", 1e6 / us);
    us
}

fn main() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs();
    let signing = key();
    let others = [key(), key()];
    let claims = serde_json::json!({
        "aws:channel-arn": ARN, "exp": now + 600, "aws:viewer-id": "viewer-1",
        "aws:access-control-allow-origin": "https://a.example,https://*.b.example",
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"ES384","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("json"))
    );
    let sig = signing.sign(&SystemRandom::new(), input.as_bytes()).expect("sign");
    let jwt = format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()));
    let one = vec![signing.public_key().as_ref().to_vec()];
    let three: Vec<Vec<u8>> =
        others.iter().chain([&signing]).map(|k| k.public_key().as_ref().to_vec()).collect();
    let verify = |keys: &[Vec<u8>]| {
        let p = token::parse(black_box(&jwt)).expect("parse");
        assert!(p.signed_by(keys));
        black_box(token::claims(p.payload(), ARN, now).expect("claims"));
    };
    println!(
        "playback admission, one thread ({} cores here)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    measure("token: parse + ES384 verify (1 key pair) + claims", || verify(&one));
    measure("token: parse + ES384 verify (3 key pairs, signer last) + claims", || verify(&three));

    let sessions = SessionKey::new([7; 32]);
    let s = Session {
        id: 0x1234_5678_9abc_def0,
        channel: ARN.into(),
        stream: "st-AbCdEfGhIjKlMnOpQrStUvW".into(),
        viewer_id: Some("viewer-1".into()),
        viewer_version: 0,
        rules: vec![OriginRule { allowed: vec!["https://a.example".into()], strict: false }],
        exp: now + 30,
    };
    let value = sessions.mint(&s);
    println!("session value: {} bytes in every playlist URI", value.len() + "?session=".len());
    measure("session: open (HMAC check + JSON)", || {
        black_box(sessions.open(black_box(&value), ARN, &s.stream).expect("open"));
    });
    measure("session: renew (JSON + HMAC)", || {
        black_box(sessions.mint(black_box(&s)));
    });
}
