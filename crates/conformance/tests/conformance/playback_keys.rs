//! Playback key pairs (ivs-api.md ImportPlaybackKeyPair/Get/List/DeletePlaybackKeyPair; ivs-behaviour.md
//! §4 and §10): a PEM P-384 public key is imported, gets a `playback-key/` ARN and a 16-byte
//! colon-separated fingerprint; the same key twice is a conflict; at most three per account and region,
//! also when the imports race.

use aws_sdk_ivs::error::ProvideErrorMetadata;
use conformance::keys::{P256, PUB1, PUB2, PUB3, PUB4};
use conformance::{ACCOUNT, Server};
use std::collections::HashMap;

/// Ten distinct P-384 public keys (fixtures p384-1..10).
const KEYS: [&str; 10] = [
    PUB1,
    PUB2,
    PUB3,
    PUB4,
    include_str!("../../fixtures/p384-5.pub.pem"),
    include_str!("../../fixtures/p384-6.pub.pem"),
    include_str!("../../fixtures/p384-7.pub.pem"),
    include_str!("../../fixtures/p384-8.pub.pem"),
    include_str!("../../fixtures/p384-9.pub.pem"),
    include_str!("../../fixtures/p384-10.pub.pem"),
];

/// A P-384 private key (PKCS#8), made with `openssl genpkey` for this test: importing it must be refused.
const PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDB8N6VUhE9gcKwEB/Yd
hOwsYziZ6Nq5cUkWMO7hD32IlLykUY6tmpcPziLNf3wPzmChZANiAAQoafvHDQ+R
R3Fr7gtjTz1Hwa/vO1J3OJ4r3Rtm0NvmmjEzdJkp3T9CiawYIQpRM6q3FITC1jKp
HryKzjCMK2rgZ8uJkNsb2SgRQ6jzSK0aPibs2cdMhoPWxp5fR5TGLQo=
-----END PRIVATE KEY-----
";

/// Asserts the shape of a playback-key ARN in `region` of the test account.
fn assert_key_arn(arn: &str, region: &str) {
    let prefix = format!("arn:aws:ivs:{region}:{ACCOUNT}:playback-key/");
    let id = arn.strip_prefix(&prefix).unwrap_or_else(|| panic!("{arn} does not start with {prefix}"));
    assert!(id.len() == 12 && id.bytes().all(|b| b.is_ascii_alphanumeric()), "resource id {id:?}");
}

/// 16 lowercase hex bytes joined by colons, like `98:0d:1a:a0:19:96:1e:ea:0a:0a:2c:9a:42:19:2b:e7`.
fn assert_fingerprint(fp: &str) {
    let bytes: Vec<&str> = fp.split(':').collect();
    assert_eq!(bytes.len(), 16, "fingerprint {fp}");
    assert!(
        bytes
            .iter()
            .all(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))),
        "fingerprint {fp}"
    );
}

#[tokio::test]
async fn import_get_list_delete_round_trip() {
    let s = Server::start();
    let c = s.client();
    let out =
        c.import_playback_key_pair().public_key_material(PUB1).name("signer-1").send().await.expect("import");
    let kp = out.key_pair().expect("keyPair");
    let arn = kp.arn().expect("arn").to_string();
    assert_key_arn(&arn, "us-west-2");
    assert_eq!(kp.name(), Some("signer-1"));
    let fp = kp.fingerprint().expect("fingerprint").to_string();
    assert_fingerprint(&fp);
    assert_eq!(kp.tags(), Some(&HashMap::new()));

    let got = c.get_playback_key_pair().arn(&arn).send().await.expect("get");
    let got = got.key_pair().expect("keyPair");
    assert_eq!(
        (got.arn(), got.name(), got.fingerprint()),
        (Some(arn.as_str()), Some("signer-1"), Some(fp.as_str()))
    );

    // A second key has its own ARN and fingerprint; tags given on import come back.
    let two = c
        .import_playback_key_pair()
        .public_key_material(PUB2)
        .tags("team", "video")
        .send()
        .await
        .expect("import second");
    let two = two.key_pair().expect("keyPair");
    assert_ne!(two.arn(), Some(arn.as_str()));
    assert_ne!(two.fingerprint(), Some(fp.as_str()));
    assert_eq!(two.tags().and_then(|t| t.get("team")).map(String::as_str), Some("video"));

    // The summary has arn, name and tags (no fingerprint in the model's PlaybackKeyPairSummary).
    let list = c.list_playback_key_pairs().send().await.expect("list");
    assert_eq!(list.key_pairs().len(), 2);
    assert!(list.next_token().is_none());
    let first = &list.key_pairs()[0];
    assert_eq!((first.arn(), first.name()), (Some(arn.as_str()), Some("signer-1")));
    assert_eq!(first.tags(), Some(&HashMap::new()));

    c.delete_playback_key_pair().arn(&arn).send().await.expect("delete");
    let err = c.get_playback_key_pair().arn(&arn).send().await.expect_err("gone").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert!(err.message().unwrap_or_default().contains(&arn), "{err:?}");
    let err = c.delete_playback_key_pair().arn(&arn).send().await.expect_err("twice").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(c.list_playback_key_pairs().send().await.expect("list").key_pairs().len(), 1);

    // Deleting frees the key itself too: it can be imported again, under a new ARN.
    let again = c.import_playback_key_pair().public_key_material(PUB1).send().await.expect("re-import");
    let again = again.key_pair().expect("keyPair");
    assert_ne!(again.arn(), Some(arn.as_str()));
    assert_eq!(again.fingerprint(), Some(fp.as_str()), "same key, same fingerprint");
}

#[tokio::test]
async fn same_key_twice_is_a_conflict_and_a_fourth_key_exceeds_the_quota() {
    let s = Server::start();
    let c = s.client();
    let fp = c.import_playback_key_pair().public_key_material(PUB1).send().await.expect("import");
    let fp = fp.key_pair().and_then(|k| k.fingerprint()).expect("fingerprint").to_string();
    // The same key (even re-wrapped with other whitespace) is a conflict.
    let rewrapped = format!("\n{}\n", PUB1.trim());
    for material in [PUB1, rewrapped.as_str()] {
        let err = c
            .import_playback_key_pair()
            .public_key_material(material)
            .send()
            .await
            .expect_err("duplicate")
            .into_service_error();
        assert!(err.is_conflict_exception(), "{err:?}");
        assert!(err.message().unwrap_or_default().contains(&fp), "message names the fingerprint: {err:?}");
    }
    for key in [PUB2, PUB3] {
        c.import_playback_key_pair().public_key_material(key).send().await.expect("within quota");
    }
    let err = c
        .import_playback_key_pair()
        .public_key_material(PUB4)
        .send()
        .await
        .expect_err("4th")
        .into_service_error();
    assert!(err.is_service_quota_exceeded_exception(), "{err:?}");
    assert!(err.message().unwrap_or_default().contains('3'), "message gives the quota: {err:?}");
    assert_eq!(c.list_playback_key_pairs().send().await.expect("list").key_pairs().len(), 3);
}

#[tokio::test]
async fn only_p384_public_keys_are_accepted() {
    let s = Server::start();
    let c = s.client();
    let cases = [
        ("a P-256 key", P256.to_string()),
        ("a private key", PRIVATE.to_string()),
        ("garbage", "hello, I am not a key".to_string()),
        ("an empty string", String::new()),
        ("a truncated PEM", PUB1[..PUB1.len() / 2].to_string()),
    ];
    for (what, material) in cases {
        let err = c
            .import_playback_key_pair()
            .public_key_material(material)
            .send()
            .await
            .expect_err(what)
            .into_service_error();
        assert!(err.is_validation_exception(), "{what}: {err:?}");
        assert!(err.message().unwrap_or_default().contains("publicKeyMaterial"), "{what}: {err:?}");
    }
    // A missing member and a bad name are refused by the model's constraints, naming the member.
    let err = c.import_playback_key_pair().send().await.expect_err("missing").into_service_error();
    assert!(err.is_validation_exception() && err.message().unwrap_or_default().contains("publicKeyMaterial"));
    let err = c
        .import_playback_key_pair()
        .public_key_material(PUB1)
        .name("no spaces allowed")
        .send()
        .await
        .expect_err("bad name")
        .into_service_error();
    assert!(err.is_validation_exception() && err.message().unwrap_or_default().contains("name"), "{err:?}");
    assert!(c.list_playback_key_pairs().send().await.expect("list").key_pairs().is_empty());
}

#[tokio::test]
async fn quota_holds_under_concurrent_imports() {
    let s = Server::start();
    let c = s.client();
    let mut set = tokio::task::JoinSet::new();
    for key in KEYS {
        let c = c.clone();
        set.spawn(async move { c.import_playback_key_pair().public_key_material(key).send().await });
    }
    let (mut ok, mut quota) = (0, 0);
    while let Some(joined) = set.join_next().await {
        match joined.expect("task") {
            Ok(_) => ok += 1,
            Err(e) => {
                let e = e.into_service_error();
                assert!(e.is_service_quota_exceeded_exception(), "only quota errors expected: {e:?}");
                quota += 1;
            }
        }
    }
    assert_eq!((ok, quota), (3, 7));
    let list = c.list_playback_key_pairs().send().await.expect("list");
    assert_eq!(list.key_pairs().len(), 3);
}

#[tokio::test]
async fn key_pairs_are_per_account_and_region() {
    let s = Server::start();
    let west = s.client();
    let east = s.client_for("us-east-1", &s.access_key_id, &s.secret_access_key);
    let (other_id, other_secret, other_account) = s.create_key(Some("210987654321"), &[]);
    let other = s.client_for("us-west-2", &other_id, &other_secret);

    let w = west.import_playback_key_pair().public_key_material(PUB1).send().await.expect("us-west-2");
    let w_arn = w.key_pair().and_then(|k| k.arn()).expect("arn").to_string();
    // The same key in another region and in another account is no conflict.
    let e = east.import_playback_key_pair().public_key_material(PUB1).send().await.expect("us-east-1");
    let e_arn = e.key_pair().and_then(|k| k.arn()).expect("arn").to_string();
    assert_key_arn(&e_arn, "us-east-1");
    let o = other.import_playback_key_pair().public_key_material(PUB1).send().await.expect("other account");
    let o_arn = o.key_pair().and_then(|k| k.arn()).expect("arn").to_string();
    assert!(o_arn.starts_with(&format!("arn:aws:ivs:us-west-2:{other_account}:playback-key/")), "{o_arn}");

    // Each scope sees only its own key, and cannot read another scope's by ARN.
    for (client, mine) in [(&west, &w_arn), (&east, &e_arn), (&other, &o_arn)] {
        let list = client.list_playback_key_pairs().send().await.expect("list");
        let arns: Vec<_> = list.key_pairs().iter().filter_map(|k| k.arn()).collect();
        assert_eq!(arns, vec![mine.as_str()]);
    }
    let err =
        east.get_playback_key_pair().arn(&w_arn).send().await.expect_err("other region").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");

    // The quota is per scope too: us-west-2 of the test account still has room for two more.
    for key in [PUB2, PUB3] {
        west.import_playback_key_pair().public_key_material(key).send().await.expect("within quota");
    }
    east.import_playback_key_pair()
        .public_key_material(PUB2)
        .send()
        .await
        .expect("us-east-1 has its own quota");
}
