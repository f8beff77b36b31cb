//! Playback tokens checked by independent verifiers: the `jsonwebtoken` crate, and PyJWT (Debian's
//! `/usr/bin/python3`) when it is there. Keys: openssl-made PKCS#8 and SEC1 P-384 keys (fixtures),
//! and a generated pair.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use openivs_client::token::{PlaybackClaims, PlaybackTokenSigner, TokenError};
use serde_json::{Value, json};

const PKCS8_KEY: &str = include_str!("fixtures/p384-pkcs8.key.pem");
const PKCS8_PUB: &str = include_str!("fixtures/p384-pkcs8.pub.pem");
const SEC1_KEY: &str = include_str!("fixtures/p384-sec1.key.pem");
const SEC1_PUB: &str = include_str!("fixtures/p384-sec1.pub.pem");
const RSA_KEY: &str = include_str!("fixtures/rsa.key.pem");
const ARN: &str = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdEf123456";

fn verify(token: &str, public_pem: &str) -> Value {
    let key = DecodingKey::from_ec_pem(public_pem.as_bytes()).expect("public key");
    let mut validation = Validation::new(Algorithm::ES384);
    validation.required_spec_claims = ["exp".to_string()].into();
    decode::<Value>(token, &key, &validation).expect("the token verifies").claims
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn tokens_of_pkcs8_and_sec1_keys_verify_with_jsonwebtoken() {
    for (private, public) in [(PKCS8_KEY, PKCS8_PUB), (SEC1_KEY, SEC1_PUB)] {
        let signer = PlaybackTokenSigner::from_pem(private).unwrap();
        assert_eq!(signer.public_key_pem(), public);
        let claims = PlaybackClaims::new(ARN, Duration::from_secs(300))
            .allowed_origin("https://*.example.com,https://example.org")
            .strict_origin_enforcement(true)
            .single_use_uuid("0f4d2b5e-7a57-4a0b-9d1e-2f3c4b5a6d7e")
            .viewer_id("viewer-42")
            .viewer_session_version(3)
            .maximum_resolution("HD");
        let token = signer.sign(&claims).unwrap();
        let header = decode_header(&token).unwrap();
        assert_eq!((header.alg, header.typ.as_deref()), (Algorithm::ES384, Some("JWT")));
        let got = verify(&token, public);
        let exp = got["exp"].as_u64().unwrap();
        assert!((now() + 295..=now() + 300).contains(&exp), "{exp}");
        assert_eq!(
            got,
            json!({
                "aws:channel-arn": ARN,
                "aws:access-control-allow-origin": "https://*.example.com,https://example.org",
                "aws:strict-origin-enforcement": true,
                "aws:single-use-uuid": "0f4d2b5e-7a57-4a0b-9d1e-2f3c4b5a6d7e",
                "aws:viewer-id": "viewer-42",
                "aws:viewer-session-version": 3,
                "aws:maximum-resolution": "HD",
                "exp": exp,
            })
        );
        // Another key's public half does not verify it.
        let other = if public == PKCS8_PUB { SEC1_PUB } else { PKCS8_PUB };
        let key = DecodingKey::from_ec_pem(other.as_bytes()).unwrap();
        assert!(decode::<Value>(&token, &key, &Validation::new(Algorithm::ES384)).is_err());
    }
}

#[test]
fn a_generated_pair_round_trips_and_minimal_claims_have_only_the_arn_and_exp() {
    let pair = PlaybackTokenSigner::generate().unwrap();
    let again = PlaybackTokenSigner::from_pem(&pair.private_key_pem).unwrap();
    assert_eq!(again.public_key_pem(), pair.signer.public_key_pem());
    // One clock reading for both sides: reading it twice failed in CI across a second boundary.
    let exp = now() + 3600;
    let at = UNIX_EPOCH + Duration::from_secs(exp);
    let token = pair.signer.sign(&PlaybackClaims::new(ARN, Duration::ZERO).expires_at(at)).unwrap();
    let claims = verify(&token, &pair.signer.public_key_pem());
    assert_eq!(claims, json!({ "aws:channel-arn": ARN, "exp": exp }));
    // Expired tokens fail verification (the verifier checks exp in seconds).
    let old = pair
        .signer
        .sign(&PlaybackClaims::new(ARN, Duration::ZERO).expires_at(UNIX_EPOCH + Duration::from_secs(1)));
    let key = DecodingKey::from_ec_pem(pair.signer.public_key_pem().as_bytes()).unwrap();
    assert!(decode::<Value>(&old.unwrap(), &key, &Validation::new(Algorithm::ES384)).is_err());
}

#[test]
fn other_keys_are_refused() {
    assert!(matches!(PlaybackTokenSigner::from_pem(RSA_KEY), Err(TokenError::InvalidKey(_))));
    assert!(matches!(PlaybackTokenSigner::from_pem(PKCS8_PUB), Err(TokenError::InvalidKey(_))));
}

/// PyJWT (with `cryptography`) as a second, non-Rust verifier; skipped where it is not installed.
#[test]
fn tokens_verify_with_pyjwt() {
    let python = "/usr/bin/python3";
    let probe = std::process::Command::new(python).args(["-c", "import jwt, cryptography"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipping: {python} has no PyJWT with cryptography");
        return;
    }
    let signer = PlaybackTokenSigner::from_pem(SEC1_KEY).unwrap();
    let token = signer.sign(&PlaybackClaims::new(ARN, Duration::from_secs(60)).viewer_id("v")).unwrap();
    let script = "import jwt, sys, json\n\
        claims = jwt.decode(sys.argv[1], sys.argv[2], algorithms=['ES384'])\n\
        print(json.dumps(claims, sort_keys=True))";
    let out = std::process::Command::new(python).args(["-c", script, &token, SEC1_PUB]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let claims: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (claims["aws:channel-arn"].as_str(), claims["aws:viewer-id"].as_str()),
        (Some(ARN), Some("v"))
    );
}
