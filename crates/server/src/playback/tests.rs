//! Admission against a real store: resources made through the control layer, requests decided by
//! [`Playback::admit`] as the router calls it. (Playing through the whole server, with ffmpeg, is in
//! crates/conformance/tests/playback/access.rs.)

use super::*;
use crate::control::{Ctx, Service, Urls};
use crate::ingest::registry::LiveEntry;
use crate::store::SqliteStore;
use openivs_model::*;
use ring::signature::EcdsaKeyPair;
use serde_json::{Value, json};
use token::tests::{key, pem, sign};

struct Env {
    pb: Playback,
    svc: Service,
    ctx: Ctx,
    key: EcdsaKeyPair,
    key_arn: String,
    policy_arn: Option<String>,
    arn: String,
    /// `<region>.<account>.channel.<id>`
    name: String,
    _dir: tempfile::TempDir,
}

const STREAM: &str = "st-unittest";

async fn env(authorized: bool, policy: Option<CreatePlaybackRestrictionPolicyRequest>) -> Env {
    env_geo(authorized, policy, None).await
}

async fn env_geo(
    authorized: bool,
    policy: Option<CreatePlaybackRestrictionPolicyRequest>,
    geo: Option<Geo>,
) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
    let registry = Arc::new(Registry::default());
    let urls = Urls {
        ingest_endpoint: "127.0.0.1:4443".into(),
        playback_base: "http://127.0.0.1:8080".into(),
        srt_endpoint: "127.0.0.1".into(),
    };
    let svc = Service::new(store.clone(), urls, registry.clone(), [1; 32], false);
    let scope = Scope { account: "123456789012".into(), region: "us-west-2".into() };
    let ctx = Ctx { scope: scope.clone() };
    let policy_arn = match policy {
        Some(p) => svc.create_playback_restriction_policy(&ctx, p).await.unwrap().playback_restriction_policy,
        None => None,
    }
    .and_then(|p| p.arn);
    let ch = svc
        .create_channel(
            &ctx,
            CreateChannelRequest {
                authorized: Some(authorized),
                playback_restriction_policy_arn: policy_arn.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .channel
        .unwrap();
    let arn = ch.arn.unwrap();
    let id = arn.rsplit('/').next().unwrap();
    let name = format!("us-west-2.123456789012.channel.{id}");
    let key = key();
    let imported = svc
        .import_playback_key_pair(
            &ctx,
            ImportPlaybackKeyPairRequest { public_key_material: Some(pem(&key)), ..Default::default() },
        )
        .await
        .unwrap();
    let key_arn = imported.key_pair.unwrap().arn.unwrap();
    // The channel is live (not yet playable: no segments), so sessions of its stream can be followed.
    assert!(registry.try_insert(Arc::new(LiveEntry::new(arn.clone(), STREAM.into(), scope, 1))));
    let pb = Playback::new(registry, store, [9; 32], geo);
    Env { pb, svc, ctx, key, key_arn, policy_arn, arn, name, _dir: dir }
}

fn claims(arn: &str, extra: Value) -> Value {
    let mut c = json!({"aws:channel-arn": arn, "exp": unix_now() + 300});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

impl Env {
    async fn start(&self, token: Option<&str>, origin: Option<&str>) -> Result<Admitted, Refusal> {
        let query = token.map(|t| format!("token={t}")).unwrap_or_default();
        self.pb.admit(&format!("{}.m3u8", self.name), &query, origin, None).await
    }

    fn token(&self, extra: Value) -> String {
        sign(&self.key, &claims(&self.arn, extra))
    }

    fn session(&self) -> Session {
        Session {
            id: 77,
            channel: self.arn.clone(),
            stream: STREAM.into(),
            viewer_id: None,
            viewer_version: 0,
            rules: vec![],
            exp: unix_now() + 30,
        }
    }

    async fn get(&self, file: &str, query: &str, origin: Option<&str>) -> Result<Admitted, Refusal> {
        self.pb.admit(&format!("{}/{STREAM}/{file}", self.name), query, origin, None).await
    }

    async fn follow(&self, s: &Session, file: &str, origin: Option<&str>) -> Result<Admitted, Refusal> {
        self.get(file, &format!("session={}", self.pb.sessions.mint(s)), origin).await
    }

    async fn revoke(&self, viewer: &str, version: i32) {
        let input = StartViewerSessionRevocationRequest {
            channel_arn: Some(self.arn.clone()),
            viewer_id: Some(viewer.into()),
            viewer_session_versions_less_than_or_equal_to: Some(version),
        };
        self.svc.start_viewer_session_revocation(&self.ctx, input).await.unwrap();
    }
}

#[tokio::test]
async fn private_channels_need_a_valid_token() {
    let e = env(true, None).await;
    assert_eq!(e.start(None, None).await.unwrap_err(), Refusal::NoToken);
    assert!(e.start(Some(&e.token(json!({}))), None).await.is_ok());
    // Each broken rule is refused with its own reason.
    let expired = e.token(json!({"exp": unix_now() - 5}));
    assert_eq!(e.start(Some(&expired), None).await.unwrap_err(), Refusal::Expired);
    let other = sign(&e.key, &claims("arn:aws:ivs:us-west-2:123456789012:channel/other", json!({})));
    assert_eq!(e.start(Some(&other), None).await.unwrap_err(), Refusal::WrongChannel);
    let stranger = sign(&key(), &claims(&e.arn, json!({})));
    assert_eq!(e.start(Some(&stranger), None).await.unwrap_err(), Refusal::Signature);
    let far = e.token(json!({"aws:viewer-id": "v", "exp": unix_now() + 3600}));
    assert_eq!(e.start(Some(&far), None).await.unwrap_err(), Refusal::TooLong);
    assert_eq!(
        e.start(Some("a.b"), None).await.unwrap_err(),
        Refusal::Malformed("a token is three base64url parts separated by dots")
    );
    // Nor does a token on a media playlist or segment asked for directly.
    assert_eq!(e.get("media.m3u8", "", None).await.unwrap_err(), Refusal::NoToken);
    assert_eq!(e.get("3.ts", &format!("token={expired}"), None).await.unwrap_err(), Refusal::Expired);
    assert!(e.get("media.m3u8", &format!("token={}", e.token(json!({}))), None).await.is_ok());
}

#[tokio::test]
async fn a_deleted_key_pair_admits_nothing() {
    let e = env(true, None).await;
    let t = e.token(json!({}));
    assert!(e.start(Some(&t), None).await.is_ok());
    let input = DeletePlaybackKeyPairRequest { arn: Some(e.key_arn.clone()) };
    e.svc.delete_playback_key_pair(&e.ctx, input).await.unwrap();
    assert_eq!(e.start(Some(&t), None).await.unwrap_err(), Refusal::Signature);
}

#[tokio::test]
async fn key_pairs_of_another_account_or_region_admit_nothing() {
    let e = env(true, None).await;
    let k = key();
    let elsewhere = Ctx { scope: Scope { account: "123456789012".into(), region: "eu-west-1".into() } };
    let input = ImportPlaybackKeyPairRequest { public_key_material: Some(pem(&k)), ..Default::default() };
    e.svc.import_playback_key_pair(&elsewhere, input).await.unwrap();
    let t = sign(&k, &claims(&e.arn, json!({})));
    assert_eq!(e.start(Some(&t), None).await.unwrap_err(), Refusal::Signature);
}

#[tokio::test]
async fn revoked_viewers_are_refused_new_and_running_sessions() {
    let e = env(true, None).await;
    let t = |version: i64| e.token(json!({"aws:viewer-id": "alice", "aws:viewer-session-version": version}));
    let running = Session { viewer_id: Some("alice".into()), viewer_version: 1, ..e.session() };
    let bob = Session { viewer_id: Some("bob".into()), ..e.session() };
    assert!(e.start(Some(&t(1)), None).await.is_ok());
    e.revoke("alice", 1).await;
    assert_eq!(e.start(Some(&t(0)), None).await.unwrap_err(), Refusal::Revoked);
    assert_eq!(e.start(Some(&t(1)), None).await.unwrap_err(), Refusal::Revoked);
    assert!(e.start(Some(&t(2)), None).await.is_ok(), "a newer session version is not revoked");
    assert_eq!(e.follow(&running, "4.ts", None).await.unwrap_err(), Refusal::Revoked);
    assert_eq!(e.follow(&running, "media.m3u8", None).await.unwrap_err(), Refusal::Revoked);
    assert!(e.follow(&bob, "4.ts", None).await.is_ok());
    let newer = Session { viewer_version: 2, ..running };
    assert!(e.follow(&newer, "media.m3u8", None).await.is_ok());
}

#[tokio::test]
async fn token_origins() {
    let e = env(true, None).await;
    let t = e.token(json!({"aws:access-control-allow-origin": "https://a.example,https://*.b.example"}));
    for ok in [None, Some("https://a.example"), Some("https://x.b.example")] {
        assert!(e.start(Some(&t), ok).await.unwrap().restricted, "{ok:?}");
    }
    assert_eq!(e.start(Some(&t), Some("https://c.example")).await.unwrap_err(), Refusal::Origin);
    let strict = e.token(json!({"aws:access-control-allow-origin": "https://a.example", "aws:strict-origin-enforcement": true}));
    assert_eq!(e.start(Some(&strict), None).await.unwrap_err(), Refusal::OriginRequired);
    assert!(e.start(Some(&strict), Some("https://a.example")).await.is_ok());
    // A session carries the rules: strict ones are checked on every request.
    let rule = OriginRule { allowed: vec!["https://a.example".into()], strict: true };
    let s = Session { rules: vec![rule.clone()], ..e.session() };
    assert_eq!(e.follow(&s, "1.ts", None).await.unwrap_err(), Refusal::OriginRequired);
    assert_eq!(e.follow(&s, "1.ts", Some("https://c.example")).await.unwrap_err(), Refusal::Origin);
    let a = e.follow(&s, "media.m3u8", Some("https://a.example")).await.unwrap();
    assert!(a.restricted);
    assert_eq!(a.session.unwrap().rules, vec![rule.clone()], "renewed with the same rules");
    let lax = Session { rules: vec![OriginRule { strict: false, ..rule }], ..e.session() };
    assert!(e.follow(&lax, "1.ts", Some("https://c.example")).await.is_ok(), "lax: first request only");
}

#[tokio::test]
async fn sessions_admit_their_stream_only_and_end() {
    let e = env(true, None).await;
    let s = e.session();
    let a = e.follow(&s, "media.m3u8", None).await.unwrap();
    let renewed = a.session.expect("a playlist renews the session");
    assert_eq!((renewed.id, renewed.stream.as_str()), (s.id, STREAM));
    assert!(renewed.exp >= s.exp);
    assert!(e.follow(&s, "12.ts", None).await.unwrap().session.is_none(), "segments name no URIs");
    // Tampered, another channel's, another stream's.
    let v = e.pb.sessions.mint(&s);
    let tampered = format!("{}A", v);
    assert_eq!(
        e.get("1.ts", &format!("session={tampered}"), None).await.unwrap_err(),
        Refusal::SessionInvalid
    );
    let other_channel =
        Session { channel: "arn:aws:ivs:us-west-2:123456789012:channel/other".into(), ..s.clone() };
    assert_eq!(e.follow(&other_channel, "1.ts", None).await.unwrap_err(), Refusal::SessionInvalid);
    let other_stream = Session { stream: "st-other".into(), ..s.clone() };
    assert_eq!(e.follow(&other_stream, "1.ts", None).await.unwrap_err(), Refusal::SessionInvalid);
    let foreign = SessionKey::new([3; 32]).mint(&s);
    assert_eq!(
        e.get("1.ts", &format!("session={foreign}"), None).await.unwrap_err(),
        Refusal::SessionInvalid
    );
    // Expired: still good while the session keeps being used, refused once it was not seen lately.
    let expired = Session { exp: unix_now() - 1, ..s.clone() };
    assert!(e.follow(&expired, "media.m3u8", None).await.is_ok(), "seen a moment ago");
    let gone = Session { id: 78, ..expired };
    assert_eq!(e.follow(&gone, "media.m3u8", None).await.unwrap_err(), Refusal::SessionExpired);
    // A token alongside a bad session still admits (a player that repeats the query string).
    let q = format!("session={tampered}&token={}", e.token(json!({})));
    assert!(e.get("media.m3u8", &q, None).await.is_ok());
}

#[tokio::test]
async fn sessions_count_viewers() {
    let e = env(false, None).await;
    let entry = e.pb.registry.entry(&e.arn).unwrap();
    assert_eq!(entry.viewers.count(Instant::now()), 0);
    for id in [1, 2, 2, 3] {
        e.follow(&Session { id, ..e.session() }, "5.ts", None).await.unwrap();
    }
    assert_eq!(entry.viewers.count(Instant::now()), 3);
    use crate::control::live::LiveStreams as _;
    assert_eq!(e.pb.registry.get(&e.arn).unwrap().viewer_count, 3);
    // Requests without a session are served but not counted.
    assert!(e.get("5.ts", "", None).await.is_ok());
    assert_eq!(entry.viewers.count(Instant::now()), 3);
}

#[tokio::test]
async fn public_channels_and_changes_for_new_viewers() {
    let e = env(false, Some(CreatePlaybackRestrictionPolicyRequest::default())).await;
    assert!(e.start(None, None).await.is_ok());
    assert!(!e.start(None, Some("https://any.example")).await.unwrap().restricted);
    assert!(e.get("media.m3u8", "", None).await.unwrap().session.is_none());
    // A bad session on a public channel is just no session.
    assert!(e.get("1.ts", "session=garbage", None).await.is_ok());
    // The policy changes while the channel is live: new viewers see the change at once.
    let input = UpdatePlaybackRestrictionPolicyRequest {
        arn: e.policy_arn.clone(),
        allowed_origins: Some(vec!["https://a.example".into()]),
        ..Default::default()
    };
    e.svc.update_playback_restriction_policy(&e.ctx, input).await.unwrap();
    assert_eq!(e.start(None, Some("https://any.example")).await.unwrap_err(), Refusal::Origin);
    assert!(
        e.follow(&e.session(), "1.ts", Some("https://any.example")).await.is_ok(),
        "running sessions go on"
    );
}

#[tokio::test]
async fn restriction_policy_origins() {
    let policy = CreatePlaybackRestrictionPolicyRequest {
        allowed_origins: Some(vec!["https://a.example".into()]),
        enable_strict_origin_enforcement: Some(true),
        allowed_countries: Some(vec!["FR".into()]),
        ..Default::default()
    };
    let e = env(false, Some(policy)).await;
    assert_eq!(e.start(None, Some("https://b.example")).await.unwrap_err(), Refusal::Origin);
    assert_eq!(e.start(None, None).await.unwrap_err(), Refusal::OriginRequired);
    assert!(e.start(None, Some("https://a.example")).await.unwrap().restricted);
    // Strict: also on requests without a session.
    assert_eq!(e.get("2.ts", "", None).await.unwrap_err(), Refusal::OriginRequired);
    assert!(e.get("2.ts", "", Some("https://a.example")).await.is_ok());
    // Countries are not enforced without a GeoIP database.
    let ip = Some("203.0.113.9".parse().unwrap());
    let a = e.pb.admit(&format!("{}.m3u8", e.name), "", Some("https://a.example"), ip).await;
    assert!(a.is_ok());
    // Token and policy rules both apply on a private channel.
    let p2 = CreatePlaybackRestrictionPolicyRequest {
        allowed_origins: Some(vec!["https://a.example".into(), "https://b.example".into()]),
        ..Default::default()
    };
    let e2 = env(true, Some(p2)).await;
    let t = e2.token(json!({"aws:access-control-allow-origin": "https://b.example,https://c.example"}));
    assert!(e2.start(Some(&t), Some("https://b.example")).await.is_ok());
    assert_eq!(e2.start(Some(&t), Some("https://a.example")).await.unwrap_err(), Refusal::Origin);
    assert_eq!(e2.start(Some(&t), Some("https://c.example")).await.unwrap_err(), Refusal::Origin);
}

#[tokio::test]
async fn restriction_policy_countries_with_a_geoip_database() {
    let db = access::tests::mmdb(&[([127, 0, 0, 0], 8, "FR"), ([203, 0, 113, 0], 24, "US")]);
    let policy = CreatePlaybackRestrictionPolicyRequest {
        allowed_countries: Some(vec!["FR".into()]),
        ..Default::default()
    };
    let e = env_geo(true, Some(policy), Some(Geo::from_bytes(db).unwrap())).await;
    let path = format!("{}.m3u8", e.name);
    let query = format!("token={}", e.token(json!({})));
    let at = |ip: &str| Some(ip.parse().unwrap());
    assert!(e.pb.admit(&path, &query, None, at("127.0.0.1")).await.is_ok());
    assert_eq!(e.pb.admit(&path, &query, None, at("203.0.113.9")).await.unwrap_err(), Refusal::Country);
    assert_eq!(e.pb.admit(&path, &query, None, at("192.0.2.1")).await.unwrap_err(), Refusal::Country);
    // Checked before the token: no token from elsewhere still says the country.
    assert_eq!(e.pb.admit(&path, "", None, at("203.0.113.9")).await.unwrap_err(), Refusal::Country);
    let seg = format!("{}/{STREAM}/1.ts", e.name);
    assert_eq!(e.pb.admit(&seg, "", None, at("203.0.113.9")).await.unwrap_err(), Refusal::Country);
}

#[tokio::test]
async fn unknown_urls_and_channels_are_left_to_serve() {
    let e = env(true, None).await;
    assert!(e.pb.admit("nonsense", "", None, None).await.is_ok());
    assert!(e.pb.admit("us-west-2.123456789012.channel.nope.m3u8", "", None, None).await.is_ok());
}

#[test]
fn query_parameters() {
    let p = Params::parse("a=1&token=abc.def.g%2Dh&session=s1&token=second");
    assert_eq!((p.token.as_deref(), p.session.as_deref()), (Some("abc.def.g-h"), Some("s1")));
    let none = Params::parse("");
    assert!(none.token.is_none() && none.session.is_none());
}

#[test]
fn cors_headers() {
    let mut h = HeaderMap::new();
    cors(&mut h, Some("https://a.example"), true);
    assert_eq!(h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "https://a.example");
    assert_eq!(h.get(header::VARY).unwrap(), "Origin");
    let mut h = HeaderMap::new();
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    cors(&mut h, Some("https://a.example"), true);
    assert_eq!(h.get_all(header::VARY).iter().collect::<Vec<_>>(), ["Accept-Encoding, Origin"]);
    let mut h = HeaderMap::new();
    cors(&mut h, Some("https://a.example"), false);
    assert_eq!(h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "*");
    assert!(h.get(header::VARY).is_none());
    let mut h = HeaderMap::new();
    cors(&mut h, None, true);
    assert_eq!(h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "*");
}

#[tokio::test]
async fn preflight_answers() {
    let mut h = HeaderMap::new();
    h.insert(header::ORIGIN, HeaderValue::from_static("https://a.example"));
    h.insert(header::ACCESS_CONTROL_REQUEST_HEADERS, HeaderValue::from_static("range"));
    let r = preflight(h).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "https://a.example");
    assert_eq!(r.headers().get(header::ACCESS_CONTROL_ALLOW_HEADERS).unwrap(), "range");
    assert!(r.headers().get(header::ACCESS_CONTROL_ALLOW_METHODS).unwrap().to_str().unwrap().contains("GET"));
}

#[tokio::test]
async fn addresses_sending_forged_tokens_are_throttled() {
    let e = env(true, None).await;
    let from = async |ip: &str, token: &str| {
        let ip = Some(ip.parse().unwrap());
        e.pb.admit(&format!("{}.m3u8", e.name), &format!("token={token}"), None, ip).await
    };
    let forged = sign(&key(), &claims(&e.arn, json!({})));
    for _ in 0..FORGED_BURST as usize {
        assert_eq!(from("198.51.100.1", &forged).await.unwrap_err(), Refusal::Signature);
    }
    assert_eq!(from("198.51.100.1", &forged).await.unwrap_err(), Refusal::Throttled);
    assert_eq!(Refusal::Throttled.response().status(), 429);
    // Until it refills, even a good token from there waits; other addresses are not affected.
    let good = e.token(json!({}));
    assert_eq!(from("198.51.100.1", &good).await.unwrap_err(), Refusal::Throttled);
    assert!(from("198.51.100.2", &good).await.is_ok());
    // Other refusals (expired, wrong channel) are cheap and not counted.
    let expired = e.token(json!({"exp": unix_now() - 5}));
    for _ in 0..(FORGED_BURST as usize + 5) {
        assert_eq!(from("198.51.100.3", &expired).await.unwrap_err(), Refusal::Expired);
    }
    assert!(from("198.51.100.3", &good).await.is_ok());
    tokio::time::sleep(FORGED_REFILL).await;
    assert!(from("198.51.100.1", &good).await.is_ok(), "refilled");
}
