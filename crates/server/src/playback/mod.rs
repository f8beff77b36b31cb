//! HLS playback of live channels (ivs-behaviour.md §2, RFC 8216) at the channel's `playbackUrl`,
//! `/api/video/v1/<region>.<account>.channel.<id>.m3u8` (the multivariant playlist), with the media
//! playlist and segments under `/api/video/v1/<region>.<account>.channel.<id>/<stream id>/`.
//!
//! - [`live`]: one stream's playback state (the segmenter task and its snapshots);
//! - `serve`: playlists and segments from a snapshot;
//! - `prefetch`: the segment being written, sent as it grows (LHLS, for the Amazon IVS Player);
//! - [`access`], [`token`], [`session`], [`viewers`]: who may watch (ivs-behaviour.md §4–§6).
//!
//! # Admission
//!
//! The multivariant playlist is where playback starts. There the channel's `authorized` flag and
//! restriction policy are read from the store as they are now (so a change applies to new viewers),
//! the policy's countries and origins are checked, and on a private channel the `?token=` is verified
//! (signature against the account's playback key pairs, then its claims, revocations, origins, and
//! last its single-use id). An admitted viewer gets a playback session ([`session`]), appended as
//! `?session=…` to every URI the playlists name, which then admits the media playlist, parts and
//! segments of that stream only. Public channels get sessions too (they count viewers) but never
//! need one. A request without a session is judged by the channel's settings (cached for a second):
//! refused on a private channel unless it carries a token, checked against a strict policy otherwise.
//!
//! CORS: responses allow any origin (`*`) unless a token or policy restricts origins, in which case
//! the request's allowed `Origin` is echoed (with `Vary: Origin`); preflight (`OPTIONS`) is answered.

pub mod access;
mod gzip;
pub mod live;
mod prefetch;
mod serve;
pub mod session;
pub mod token;
pub mod viewers;

use crate::ingest::Registry;
use crate::ingest::registry::lock;
use crate::store::{Filter, Scope, Store};
use access::{ChannelAccess, Geo, OriginRule, Refusal};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use openivs_model::arn::ResourceType;
use session::{KEEPALIVE, SESSION_TTL, Session, SessionKey};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a channel's settings are reused for requests after the multivariant playlist.
const ACCESS_CACHE: Duration = Duration::from_secs(1);
/// How long a viewer's revocation state is reused for requests of a running session: a revoked
/// viewer's session stops within this (plus one request interval).
const REVOCATION_CACHE: Duration = Duration::from_secs(2);
/// Cache sizes past which the caches are emptied (they refill from the store).
const CACHE_MAX: usize = 10_000;
/// Tokens with bad signatures an address may send at once (no viewer sends one by mistake: a token
/// signed with a deleted key pair, or by an app with the wrong key, fails once per playback start)…
const FORGED_BURST: f64 = 20.0;
/// …then one more per second.
const FORGED_REFILL: Duration = Duration::from_secs(1);

/// A viewer's highest revoked session version (if any), as read at an instant.
type Revocation = (Option<i64>, Instant);

/// What the playback routes share.
pub struct Playback {
    /// The live streams.
    pub registry: Arc<Registry>,
    store: Arc<dyn Store>,
    sessions: SessionKey,
    geo: Option<Geo>,
    trusted_proxies: access::TrustedProxies,
    /// Tokens with bad signatures per viewer address.
    forged: crate::ingest::attempts::FailedAttempts,
    access: Mutex<HashMap<String, (Option<ChannelAccess>, Instant)>>,
    revocations: Mutex<HashMap<(String, String), Revocation>>,
    /// Parsed public keys by key-pair ARN (a key pair never changes; deleted ones are not listed).
    keys: Mutex<HashMap<String, Option<Vec<u8>>>>,
    /// Session values lately opened: the value → what it says, for the channel and stream it was
    /// opened for. Opening is a pure function of (value, channel, stream), so this only saves the
    /// base64, HMAC and JSON work of the requests that repeat a value (every request of a viewer's
    /// segment or playlist URI until the next reload); only values that verified are kept.
    opened: Mutex<HashMap<String, Session>>,
    /// Session values lately minted, by session id: a media playlist renews its viewer's session with
    /// an expiry in whole seconds, so all the reloads of one second get the same value.
    minted: Mutex<HashMap<u64, (Session, Arc<str>)>>,
}

impl Playback {
    /// Playback of `registry`'s streams; channels, key pairs, policies and revocations come from
    /// `store`; `session_key` signs playback sessions; `geo` places viewers for `allowedCountries`.
    pub fn new(
        registry: Arc<Registry>,
        store: Arc<dyn Store>,
        session_key: [u8; 32],
        geo: Option<Geo>,
    ) -> Self {
        Playback {
            registry,
            store,
            sessions: SessionKey::new(session_key),
            geo,
            trusted_proxies: access::TrustedProxies::default(),
            forged: crate::ingest::attempts::FailedAttempts::new(FORGED_BURST, FORGED_REFILL),
            access: Mutex::default(),
            revocations: Mutex::default(),
            keys: Mutex::default(),
            opened: Mutex::default(),
            minted: Mutex::default(),
        }
    }

    /// Takes viewers' addresses (for `allowedCountries`) from `X-Forwarded-For` on requests from
    /// these proxies.
    pub fn with_trusted_proxies(mut self, proxies: access::TrustedProxies) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// [`SessionKey::open`], through the `opened` cache.
    fn open_session(&self, value: &str, channel: &str, stream: &str) -> Result<Session, Refusal> {
        if let Some(s) = lock(&self.opened).get(value).filter(|s| s.channel == channel && s.stream == stream)
        {
            return Ok(s.clone());
        }
        let s = self.sessions.open(value, channel, stream)?;
        let mut cache = lock(&self.opened);
        if cache.len() > CACHE_MAX {
            cache.clear();
        }
        cache.insert(value.to_string(), s.clone());
        Ok(s)
    }

    /// The `?session=…` suffix of `s` ([`SessionKey::mint`] is a pure function of the session, so a
    /// value minted for an equal session is reused).
    fn session_suffix(&self, s: Session) -> Arc<str> {
        if let Some((_, suffix)) = lock(&self.minted).get(&s.id).filter(|(m, _)| *m == s) {
            return suffix.clone();
        }
        let suffix: Arc<str> = format!("?session={}", self.sessions.mint(&s)).into();
        let mut cache = lock(&self.minted);
        if cache.len() > CACHE_MAX {
            cache.clear();
        }
        cache.insert(s.id, (s, suffix.clone()));
        suffix
    }
}

/// The playback routes.
pub fn router(playback: Arc<Playback>) -> axum::Router {
    axum::Router::new()
        .route("/api/video/v1/{*path}", axum::routing::get(handle).options(preflight))
        .with_state(playback)
}

/// What admission decided for an admitted request.
#[derive(Debug, Default)]
struct Admitted {
    /// The session to append to the URIs of the playlist served (none for segments, or when the
    /// request is served without one).
    session: Option<Session>,
    /// A token or policy restricts origins: echo the origin instead of `*`.
    restricted: bool,
}

async fn handle(State(pb): State<Arc<Playback>>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let raw = parts.uri.path().strip_prefix("/api/video/v1/").unwrap_or_default();
    // Borrowed unless something was percent-encoded (no allocation on the usual request).
    let path = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    let query = parts.uri.query().unwrap_or_default();
    let origin = parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let ip = pb.trusted_proxies.client(peer, &parts.headers);
    let (mut resp, restricted) = match pb.admit(&path, query, origin, ip).await {
        Err(refusal) => {
            // The path only: the query holds the token.
            tracing::debug!(target: "openivs::playback", %path, reason = refusal.message(), "playback refused");
            (refusal.response(), false)
        }
        Ok(a) => {
            let suffix = a.session.map(|s| pb.session_suffix(s));
            let suffix = suffix.as_deref().unwrap_or_default();
            (serve::answer(&pb.registry, &path, query, &parts.headers, suffix).await, a.restricted)
        }
    };
    cors(resp.headers_mut(), origin, restricted);
    resp
}

/// CORS: `*`, or the request's origin when origins are restricted (it was checked by admission).
fn cors(h: &mut HeaderMap, origin: Option<&str>, restricted: bool) {
    let allow = match origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        Some(o) if restricted => o,
        _ => HeaderValue::from_static("*"),
    };
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
    if restricted {
        // One Vary header naming everything the response varies on (serve may name Accept-Encoding).
        let mut vary: Vec<String> =
            h.get_all(header::VARY).iter().filter_map(|v| v.to_str().ok()).map(String::from).collect();
        vary.push("Origin".into());
        if let Ok(v) = HeaderValue::from_str(&vary.join(", ")) {
            h.insert(header::VARY, v);
        }
    }
}

/// CORS preflight of a playback URL. The request that follows is checked as any other, so the
/// preflight itself allows what browsers ask for a plain GET (with `Range`).
async fn preflight(headers: HeaderMap) -> Response {
    let origin = headers.get(header::ORIGIN).cloned().unwrap_or(HeaderValue::from_static("*"));
    let asked = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .filter(|v| v.as_bytes().iter().all(|b| b.is_ascii_alphanumeric() || b"-_, ".contains(b)))
        .cloned()
        .unwrap_or(HeaderValue::from_static("Range"));
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, origin),
            (header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, HEAD, OPTIONS")),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, asked),
            (header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400")),
            (header::VARY, HeaderValue::from_static("Origin")),
        ],
    )
        .into_response()
}

/// The `token` and `session` query parameters.
#[derive(Default)]
struct Params {
    token: Option<String>,
    session: Option<String>,
}

impl Params {
    fn parse(query: &str) -> Self {
        let mut p = Params::default();
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = || Some(percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned());
            match k {
                "token" if p.token.is_none() => p.token = v(),
                "session" if p.session.is_none() => p.session = v(),
                _ => {}
            }
        }
        p
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn new_session_id() -> u64 {
    u64::from_le_bytes(crate::control::ids::bytes::<8>())
}

impl Playback {
    /// Decides a request: `Ok` lets `serve` answer (which also says 404 for unknown URLs and streams
    /// not live), `Err` refuses.
    async fn admit(
        &self,
        path: &str,
        query: &str,
        origin: Option<&str>,
        ip: Option<IpAddr>,
    ) -> Result<Admitted, Refusal> {
        let Some((arn, target)) = serve::parse(path) else { return Ok(Admitted::default()) };
        let params = Params::parse(query);
        if matches!(target, serve::Target::Multivariant) {
            return self.admit_new(&arn, params.token.as_deref(), origin, ip, true, true).await;
        }
        let stream = path.split('/').nth(1).unwrap_or_default();
        let playlist = path.ends_with(".m3u8");
        let mut refused = None;
        if let Some(value) = &params.session {
            match self.follow(&arn, stream, value, playlist, origin).await {
                Ok(a) => return Ok(a),
                // A revoked viewer or a refused origin stays refused whatever else the request says.
                Err(
                    r @ (Refusal::Revoked | Refusal::Origin | Refusal::OriginRequired | Refusal::Unavailable),
                ) => {
                    return Err(r);
                }
                Err(r) => refused = Some(r),
            }
        }
        match self.admit_new(&arn, params.token.as_deref(), origin, ip, false, playlist).await {
            Err(Refusal::NoToken) => Err(refused.unwrap_or(Refusal::NoToken)),
            other => other,
        }
    }

    /// A request of a running session (`?session=`) for a media playlist, part or segment.
    async fn follow(
        &self,
        arn: &str,
        stream: &str,
        value: &str,
        playlist: bool,
        origin: Option<&str>,
    ) -> Result<Admitted, Refusal> {
        let s = self.open_session(value, arn, stream)?;
        let Some(entry) = self.registry.stream(arn, stream) else {
            // The stream ended a while ago: `serve` says so.
            return Ok(Admitted::default());
        };
        let (now, instant) = (unix_now(), Instant::now());
        if s.exp <= now && !entry.viewers.seen_within(s.id, KEEPALIVE, instant) {
            return Err(Refusal::SessionExpired);
        }
        if let Some(viewer) = &s.viewer_id {
            self.check_revocation(arn, viewer, s.viewer_version, false).await?;
        }
        for rule in &s.rules {
            rule.check(origin, false)?;
        }
        entry.viewers.touch(s.id, instant);
        let restricted = s.rules.iter().any(OriginRule::restricts);
        let session = playlist.then(|| Session { exp: now + SESSION_TTL.as_secs(), ..s });
        Ok(Admitted { session, restricted })
    }

    /// A request without a (valid) session: the multivariant playlist (`first`), or another URL
    /// asked for directly. Reads the channel's settings (fresh on the multivariant playlist, else
    /// cached for [`ACCESS_CACHE`]), checks the policy and, on a private channel, the token; starts a
    /// session on the multivariant playlist, and on a private channel's media playlist opened with
    /// a token (`playlist`; a segment asked for with a token is served without counting a viewer).
    async fn admit_new(
        &self,
        arn: &str,
        token: Option<&str>,
        origin: Option<&str>,
        ip: Option<IpAddr>,
        first: bool,
        playlist: bool,
    ) -> Result<Admitted, Refusal> {
        let Some(access) = self.channel_access(arn, first).await? else {
            return Ok(Admitted::default());
        };
        let mut rules = Vec::new();
        if let Some(policy) = &access.policy {
            access::check_country(policy, self.geo.as_ref(), ip)?;
            rules.push(policy.origins.clone());
        }
        let mut claims = None;
        if access.authorized {
            let token = token.ok_or(Refusal::NoToken)?;
            // A forged token costs an ECDSA verification per key pair: an address that sends many is
            // turned away before that for a while (every token from it, as none can be told apart
            // unverified).
            if let Some(ip) = ip
                && !self.forged.allows(ip, Instant::now())
            {
                return Err(Refusal::Throttled);
            }
            let c = match self.verify(arn, access.scope.as_ref(), token).await {
                Err(Refusal::Signature) => {
                    if let Some(ip) = ip
                        && self.forged.failed(ip, Instant::now())
                    {
                        tracing::info!(target: "openivs::playback", %ip, "too many forged playback tokens; throttled");
                    }
                    return Err(Refusal::Signature);
                }
                other => other?,
            };
            rules.push(OriginRule { allowed: c.allowed_origins.clone(), strict: c.strict_origin });
            claims = Some(c);
        }
        rules.retain(|r| r.strict || !r.allowed.is_empty());
        for rule in &rules {
            rule.check(origin, first)?;
        }
        let restricted = rules.iter().any(OriginRule::restricts);
        if !first && claims.is_none() {
            // A public channel's URL asked for directly: served, with no session to count.
            return Ok(Admitted { session: None, restricted });
        }
        // Only a stream that can be played uses up a single-use token or starts a session.
        let Some(entry) = self.registry.entry(arn) else { return Ok(Admitted { session: None, restricted }) };
        let playable = entry.playback.get().is_some_and(|l| l.snapshot().info.is_some());
        if !playable {
            return Ok(Admitted { session: None, restricted });
        }
        let now = unix_now();
        let (viewer_id, viewer_version) = match claims {
            Some(c) => {
                if let Some(id) = &c.single_use {
                    // In the store, so that a restart does not forget it.
                    match self.store.use_single_use_token(arn, id, c.exp, now).await {
                        Ok(true) => {}
                        Ok(false) => return Err(Refusal::Reused),
                        Err(e) => {
                            tracing::error!(error = %e, "recording a single-use token failed");
                            return Err(Refusal::Unavailable);
                        }
                    }
                }
                (c.viewer_id, c.viewer_version)
            }
            None => (None, 0),
        };
        if !playlist {
            return Ok(Admitted { session: None, restricted });
        }
        let session = Session {
            id: new_session_id(),
            channel: arn.to_string(),
            stream: entry.stream_id.clone(),
            viewer_id,
            viewer_version,
            rules,
            exp: now + SESSION_TTL.as_secs(),
        };
        entry.viewers.touch(session.id, Instant::now());
        Ok(Admitted { session: Some(session), restricted })
    }

    /// Verifies a token for the channel: header, signature against the playback key pairs of the
    /// channel's account and region, claims, revocation.
    async fn verify(&self, arn: &str, scope: Option<&Scope>, token: &str) -> Result<token::Claims, Refusal> {
        let parsed = token::parse(token)?;
        let keys = match scope {
            Some(scope) => self.public_keys(scope).await?,
            None => Vec::new(),
        };
        if !parsed.signed_by(&keys) {
            return Err(Refusal::Signature);
        }
        let claims = token::claims(parsed.payload(), arn, unix_now())?;
        if let Some(viewer) = &claims.viewer_id {
            self.check_revocation(arn, viewer, claims.viewer_version, true).await?;
        }
        Ok(claims)
    }

    /// The public keys (uncompressed points) of the playback key pairs that exist now in `scope`.
    async fn public_keys(&self, scope: &Scope) -> Result<Vec<Vec<u8>>, Refusal> {
        #[derive(serde::Deserialize)]
        struct StoredKeyPair {
            public_key_pem: String,
        }
        // At most three per account and region; ask for a few more in case the quota ever grows.
        let records = self
            .store
            .list(scope, ResourceType::PlaybackKeyPair, &Filter::All, 0, 20)
            .await
            .map_err(|_| Refusal::Unavailable)?;
        let mut cache = lock(&self.keys);
        if cache.len() > CACHE_MAX {
            cache.clear();
        }
        Ok(records
            .iter()
            .filter_map(|r| {
                cache
                    .entry(r.arn.clone())
                    .or_insert_with(|| {
                        serde_json::from_str::<StoredKeyPair>(&r.doc)
                            .ok()
                            .and_then(|k| token::public_key_point(&k.public_key_pem))
                    })
                    .clone()
            })
            .collect())
    }

    /// Refuses a viewer whose session version is at most the revoked one. `fresh` reads the store;
    /// otherwise a value up to [`REVOCATION_CACHE`] old is used.
    async fn check_revocation(
        &self,
        arn: &str,
        viewer: &str,
        version: i64,
        fresh: bool,
    ) -> Result<(), Refusal> {
        let key = (arn.to_string(), viewer.to_string());
        let cached =
            lock(&self.revocations).get(&key).filter(|(_, at)| at.elapsed() < REVOCATION_CACHE).map(|e| e.0);
        let revoked = match cached {
            Some(r) if !fresh => r,
            _ => {
                let r = self.store.viewer_revocation(arn, viewer).await.map_err(|_| Refusal::Unavailable)?;
                let mut cache = lock(&self.revocations);
                if cache.len() > CACHE_MAX {
                    cache.clear();
                }
                cache.insert(key, (r, Instant::now()));
                r
            }
        };
        match revoked {
            Some(max) if version <= max => Err(Refusal::Revoked),
            _ => Ok(()),
        }
    }

    /// The channel's settings: read now when `fresh`, else reused for up to [`ACCESS_CACHE`].
    async fn channel_access(&self, arn: &str, fresh: bool) -> Result<Option<ChannelAccess>, Refusal> {
        if !fresh
            && let Some((a, at)) = lock(&self.access).get(arn)
            && at.elapsed() < ACCESS_CACHE
        {
            return Ok(a.clone());
        }
        let a = access::load(self.store.as_ref(), arn).await?;
        let mut cache = lock(&self.access);
        if cache.len() > CACHE_MAX {
            cache.clear();
        }
        cache.insert(arn.to_string(), (a.clone(), Instant::now()));
        Ok(a)
    }
}

#[cfg(test)]
mod tests;
