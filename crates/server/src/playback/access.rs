//! Who may watch: the refusals, origin rules (a token's `aws:access-control-allow-origin` and
//! `aws:strict-origin-enforcement`, a playback restriction policy's `allowedOrigins` and
//! `enableStrictOriginEnforcement`; ivs-behaviour.md §4, §6), countries from a GeoIP database, and
//! what a channel requires, read from the store.

use crate::store::{Scope, Store};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use openivs_model::arn::{Arn, ResourceType};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::path::Path;

/// Why a playback request is refused. The messages name the rule that failed, never a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A private channel and no token (nor playback session).
    NoToken,
    /// The token (or a claim in it) is not well formed.
    Malformed(&'static str),
    /// The token's `alg` is not ES384.
    Algorithm,
    /// No playback key pair of the channel's account and region signed the token.
    Signature,
    /// `aws:channel-arn` names another channel.
    WrongChannel,
    /// `exp` has passed.
    Expired,
    /// `exp` is more than 10 minutes ahead with a viewer id or single-use id.
    TooLong,
    /// `aws:viewer-id` is empty or longer than 40 characters.
    ViewerId,
    /// The viewer's session was revoked.
    Revoked,
    /// The single-use token was already used.
    Reused,
    /// `Origin` is not among the allowed origins.
    Origin,
    /// Strict origin enforcement and no `Origin`.
    OriginRequired,
    /// The viewer's country is not allowed by the channel's restriction policy.
    Country,
    /// The playback session value is forged, damaged, or for another channel or stream.
    SessionInvalid,
    /// The playback session ended (its viewer stopped).
    SessionExpired,
    /// The store could not be read.
    Unavailable,
    /// The address sent too many tokens with bad signatures lately (429).
    Throttled,
}

impl Refusal {
    /// The plain-text reason.
    pub fn message(&self) -> &'static str {
        match self {
            Refusal::NoToken => "This channel is private: playback needs a token (?token=...)",
            Refusal::Malformed(why) => why,
            Refusal::Algorithm => "The playback token must be signed with ES384",
            Refusal::Signature => {
                "The playback token's signature matches no playback key pair of the channel's account and region"
            }
            Refusal::WrongChannel => "The playback token is for another channel (aws:channel-arn)",
            Refusal::Expired => "The playback token has expired (exp)",
            Refusal::TooLong => {
                "A playback token with aws:viewer-id or aws:single-use-uuid may expire at most 10 minutes ahead"
            }
            Refusal::ViewerId => "aws:viewer-id must have 1 to 40 characters",
            Refusal::Revoked => "This viewer's playback session was revoked",
            Refusal::Reused => "This single-use playback token was already used",
            Refusal::Origin => "This origin may not play the channel",
            Refusal::OriginRequired => "Strict origin enforcement: the request needs an Origin header",
            Refusal::Country => "Playback of this channel is not allowed from your country",
            Refusal::SessionInvalid => "The playback session is not valid for this stream",
            Refusal::SessionExpired => "The playback session has ended; start playback again",
            Refusal::Unavailable => "Playback access could not be checked; try again",
            Refusal::Throttled => {
                "Too many playback tokens with bad signatures from this address; try again in a few seconds"
            }
        }
    }

    /// The response: 403 (503 when the store failed), plain text, not cached.
    pub fn response(&self) -> Response {
        let status = match self {
            Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::Throttled => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::FORBIDDEN,
        };
        (status, [(header::CACHE_CONTROL, "no-cache"), (header::CONTENT_TYPE, "text/plain")], self.message())
            .into_response()
    }
}

/// One set of allowed origins: from a token or from a restriction policy. Both apply when both exist.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginRule {
    /// Allowed origins (empty: any); an entry may use `*` for host labels (`https://*.example.com`),
    /// or be `*` alone.
    #[serde(rename = "o", default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    /// Checked on every request (and `Origin` required), not only the multivariant playlist.
    #[serde(rename = "s", default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
}

impl OriginRule {
    /// Checks the request's `Origin`: on the multivariant playlist (`first`) and, when strict, on
    /// every request. Without `Origin` (not a browser) only strict enforcement refuses.
    pub fn check(&self, origin: Option<&str>, first: bool) -> Result<(), Refusal> {
        if !first && !self.strict {
            return Ok(());
        }
        match origin {
            None if self.strict => Err(Refusal::OriginRequired),
            None => Ok(()),
            Some(o) if self.allowed.is_empty() || self.allowed.iter().any(|a| origin_matches(a, o)) => Ok(()),
            Some(_) => Err(Refusal::Origin),
        }
    }

    /// It restricts origins (so responses echo the origin instead of `*`).
    pub fn restricts(&self) -> bool {
        !self.allowed.is_empty() && !self.allowed.iter().any(|a| a == "*")
    }
}

/// Whether an `Origin` value matches an allowed entry: equal (scheme and host without regard to
/// case), `*`, or with `*` standing for one or more host labels (`https://*.example.com` matches
/// `https://a.example.com` and `https://a.b.example.com`, not `https://example.com`). An entry
/// without a scheme matches any scheme.
pub fn origin_matches(allowed: &str, origin: &str) -> bool {
    let (allowed, origin) = (allowed.trim().to_ascii_lowercase(), origin.trim().to_ascii_lowercase());
    if allowed == "*" || allowed == origin {
        return true;
    }
    let Some((o_scheme, o_host)) = origin.split_once("://") else { return false };
    let (a_scheme, a_host) = match allowed.split_once("://") {
        Some((s, h)) => (Some(s), h),
        None => (None, allowed.as_str()),
    };
    if a_scheme.is_some_and(|s| s != o_scheme) {
        return false;
    }
    match a_host.strip_prefix('*') {
        Some(rest) if rest.starts_with('.') => {
            o_host.len() > rest.len()
                && o_host.ends_with(rest)
                && !o_host[..o_host.len() - rest.len()].is_empty()
        }
        Some(_) => false,
        None => a_host == o_host,
    }
}

/// A channel's playback restriction policy, as enforced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// ISO 3166-1 alpha-2 codes (empty: all).
    pub countries: Vec<String>,
    /// Origins (and strictness).
    pub origins: OriginRule,
}

/// What a channel requires of its viewers, as stored now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelAccess {
    /// The channel's account and region (whose playback key pairs sign its tokens).
    pub scope: Option<Scope>,
    /// `authorized`: a token is required.
    pub authorized: bool,
    /// Its restriction policy, if one is attached.
    pub policy: Option<Policy>,
}

#[derive(Deserialize)]
struct StoredChannel {
    #[serde(default)]
    authorized: Option<bool>,
    #[serde(rename = "playbackRestrictionPolicyArn", default)]
    policy_arn: Option<String>,
}

/// Reads what a channel requires; `Ok(None)` if the channel does not exist.
pub async fn load(store: &dyn Store, channel_arn: &str) -> Result<Option<ChannelAccess>, Refusal> {
    let Some(arn) = Arn::parse(channel_arn) else { return Ok(None) };
    let scope = Scope { account: arn.account.clone(), region: arn.region.clone() };
    let Some(rec) = store.get(&scope, channel_arn).await.map_err(|_| Refusal::Unavailable)? else {
        return Ok(None);
    };
    if rec.kind != ResourceType::Channel {
        return Ok(None);
    }
    let ch: StoredChannel = serde_json::from_str(&rec.doc).map_err(|_| Refusal::Unavailable)?;
    let policy = match ch.policy_arn.filter(|a| !a.is_empty()) {
        None => None,
        // A policy in use cannot be deleted, so a missing one is a race with an update; none applies.
        Some(p) => match store.get(&scope, &p).await.map_err(|_| Refusal::Unavailable)? {
            Some(r) => {
                let p: openivs_model::PlaybackRestrictionPolicy =
                    serde_json::from_str(&r.doc).map_err(|_| Refusal::Unavailable)?;
                Some(Policy {
                    countries: p.allowed_countries.unwrap_or_default(),
                    origins: OriginRule {
                        allowed: p.allowed_origins.unwrap_or_default(),
                        strict: p.enable_strict_origin_enforcement.unwrap_or(false),
                    },
                })
            }
            None => None,
        },
    };
    Ok(Some(ChannelAccess { scope: Some(scope), authorized: ch.authorized.unwrap_or(false), policy }))
}

/// Countries of addresses, from a MaxMind DB (GeoIP2/GeoLite2 Country or City, or any database
/// whose records have `country.iso_code`).
pub struct Geo {
    reader: maxminddb::Reader<Vec<u8>>,
}

impl Geo {
    /// Opens a database file.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let reader = maxminddb::Reader::open_readfile(path)
            .map_err(|e| anyhow::anyhow!("reading GeoIP database {}: {e}", path.display()))?;
        Ok(Geo { reader })
    }

    /// From the bytes of a database.
    pub fn from_bytes(bytes: Vec<u8>) -> anyhow::Result<Self> {
        let reader =
            maxminddb::Reader::from_source(bytes).map_err(|e| anyhow::anyhow!("GeoIP database: {e}"))?;
        Ok(Geo { reader })
    }

    /// The ISO 3166-1 alpha-2 code of the address's country, if the database knows it. IPv4-mapped
    /// IPv6 addresses are looked up as IPv4.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let found = self.reader.lookup(ip.to_canonical()).ok()?;
        let c: maxminddb::geoip2::Country<'_> = found.decode().ok()??;
        c.country.iso_code.map(|s| s.to_ascii_uppercase())
    }
}

/// The proxies whose word on a viewer's address is taken (`--trusted-proxy`): behind a reverse proxy
/// (a TLS terminator, a CDN), every request comes from the proxy, and the viewer is in
/// `X-Forwarded-For`.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    /// Proxies at these networks (a single address is a /32 or /128).
    pub fn new(nets: Vec<ipnet::IpNet>) -> Self {
        TrustedProxies(nets)
    }

    /// Parses one network (`10.0.0.0/8`, `fd00::/8`) or address (`10.1.2.3`).
    pub fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
        let s = s.trim();
        s.parse::<ipnet::IpNet>()
            .or_else(|_| s.parse::<IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| format!("{s:?} is neither an IP address nor a network like 10.0.0.0/8"))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The viewer's address: the peer's, unless the peer is a trusted proxy; then the nearest
    /// address in `X-Forwarded-For` (all of its headers, in order) that is not a trusted proxy,
    /// reading from the right as each proxy appends the address it was reached from. Entries that are
    /// not addresses end the walk there (nothing before them can be trusted), as does a header that
    /// is not text.
    pub fn client(&self, peer: Option<IpAddr>, headers: &axum::http::HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if self.0.is_empty() || !self.trusts(peer) {
            return Some(peer);
        }
        let mut hops = Vec::new();
        for v in headers.get_all("x-forwarded-for") {
            let Ok(v) = v.to_str() else { return Some(peer) };
            hops.extend(v.split(',').map(str::trim).filter(|h| !h.is_empty()));
        }
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        Some(client)
    }
}

/// Checks a policy's countries for a viewer at `ip`. Without a database countries are not enforced
/// (documented in the README and `serve --help`). With one, an address it does not place (a private
/// or loopback address, an unlisted range) is refused when countries are restricted: the policy
/// names where playback is allowed, and an unknown place is not among them.
pub fn check_country(policy: &Policy, geo: Option<&Geo>, ip: Option<IpAddr>) -> Result<(), Refusal> {
    let (Some(geo), false) = (geo, policy.countries.is_empty()) else { return Ok(()) };
    match ip.and_then(|ip| geo.country(ip)) {
        Some(c) if policy.countries.iter().any(|a| a.eq_ignore_ascii_case(&c)) => Ok(()),
        _ => Err(Refusal::Country),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn viewers_behind_trusted_proxies() {
        let nets = ["10.0.0.0/8", "192.0.2.7"].map(|n| TrustedProxies::parse_net(n).unwrap());
        let t = TrustedProxies::new(nets.to_vec());
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        let headers = |values: &[&str]| {
            let mut h = axum::http::HeaderMap::new();
            for v in values {
                h.append("x-forwarded-for", v.parse().unwrap());
            }
            h
        };
        // Not from a proxy: the header is the viewer's own word, ignored.
        assert_eq!(t.client(ip("203.0.113.9"), &headers(&["198.51.100.1"])), ip("203.0.113.9"));
        // Through one proxy, then two (the inner one trusted too); spoofed entries on the left lose.
        assert_eq!(t.client(ip("10.1.1.1"), &headers(&["198.51.100.1"])), ip("198.51.100.1"));
        let chain = headers(&["6.6.6.6, 198.51.100.1", "10.2.2.2"]);
        assert_eq!(t.client(ip("192.0.2.7"), &chain), ip("198.51.100.1"));
        assert_eq!(t.client(ip("::ffff:10.1.1.1"), &headers(&["198.51.100.1"])), ip("198.51.100.1"));
        // Nothing usable: the proxy (or the last trusted hop) is what is known.
        assert_eq!(t.client(ip("10.1.1.1"), &headers(&[])), ip("10.1.1.1"));
        assert_eq!(t.client(ip("10.1.1.1"), &headers(&["garbage, 10.3.3.3"])), ip("10.3.3.3"));
        assert_eq!(TrustedProxies::default().client(ip("10.1.1.1"), &headers(&["1.2.3.4"])), ip("10.1.1.1"));
        assert!(TrustedProxies::parse_net("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse_net("proxy.example").is_err());
    }

    #[test]
    fn origins_match_exactly_or_by_host_wildcard() {
        for (allowed, origin) in [
            ("https://example.com", "https://example.com"),
            ("https://EXAMPLE.com", "https://example.COM"),
            ("*", "http://anything:8080"),
            ("https://*.example.com", "https://a.example.com"),
            ("https://*.example.com", "https://a.b.example.com"),
            ("*.example.com", "http://a.example.com"),
            ("http://localhost:3000", "http://localhost:3000"),
            ("https://*.example.com:8443", "https://a.example.com:8443"),
        ] {
            assert!(origin_matches(allowed, origin), "{allowed} {origin}");
        }
        for (allowed, origin) in [
            ("https://example.com", "http://example.com"),
            ("https://example.com", "https://example.com.evil.net"),
            ("https://example.com", "https://www.example.com"),
            ("https://*.example.com", "https://example.com"),
            ("https://*.example.com", "https://evilexample.com"),
            ("https://*.example.com", "http://a.example.com"),
            ("https://*.example.com", "https://a.example.com:8443"),
            ("https://*example.com", "https://evilexample.com"),
            ("http://localhost:3000", "http://localhost:3001"),
            ("https://example.com", "null"),
        ] {
            assert!(!origin_matches(allowed, origin), "{allowed} {origin}");
        }
    }

    #[test]
    fn origin_rules() {
        let open = OriginRule::default();
        assert_eq!(open.check(Some("https://x"), true), Ok(()));
        assert_eq!(open.check(None, true), Ok(()));
        assert!(!open.restricts());
        let rule = OriginRule { allowed: vec!["https://a.example".into()], strict: false };
        assert!(rule.restricts());
        assert_eq!(rule.check(Some("https://a.example"), true), Ok(()));
        assert_eq!(rule.check(Some("https://b.example"), true), Err(Refusal::Origin));
        assert_eq!(rule.check(None, true), Ok(()), "not a browser: nothing to check");
        assert_eq!(rule.check(Some("https://b.example"), false), Ok(()), "only the multivariant playlist");
        let strict = OriginRule { strict: true, ..rule };
        assert_eq!(strict.check(Some("https://b.example"), false), Err(Refusal::Origin));
        assert_eq!(strict.check(None, false), Err(Refusal::OriginRequired));
        assert_eq!(strict.check(None, true), Err(Refusal::OriginRequired));
        assert_eq!(strict.check(Some("https://a.example"), false), Ok(()));
        let strict_any = OriginRule { allowed: vec![], strict: true };
        assert_eq!(strict_any.check(None, false), Err(Refusal::OriginRequired));
        assert_eq!(strict_any.check(Some("https://z"), false), Ok(()));
    }

    /// A MaxMind DB (IPv4, 24-bit records) placing each network in a country: the format's search
    /// tree, data section and metadata written out by hand, so the real reader is tested.
    pub(crate) fn mmdb(networks: &[([u8; 4], u32, &str)]) -> Vec<u8> {
        #[derive(Clone, Copy)]
        enum Rec {
            Empty,
            Node(usize),
            Data(usize),
        }
        let string = |out: &mut Vec<u8>, s: &str| {
            out.push(0x40 | s.len() as u8);
            out.extend_from_slice(s.as_bytes());
        };
        let mut data = Vec::new();
        let mut offsets = Vec::new();
        for (_, _, country) in networks {
            offsets.push(data.len());
            data.push(0xE1); // a map of one entry
            string(&mut data, "country");
            data.push(0xE1);
            string(&mut data, "iso_code");
            string(&mut data, country);
        }
        let mut nodes = vec![[Rec::Empty; 2]];
        for ((ip, len, _), off) in networks.iter().zip(&offsets) {
            let bits = u32::from_be_bytes(*ip);
            let mut node = 0;
            for depth in 0..*len {
                let bit = ((bits >> (31 - depth)) & 1) as usize;
                if depth + 1 == *len {
                    nodes[node][bit] = Rec::Data(*off);
                    break;
                }
                node = match nodes[node][bit] {
                    Rec::Node(n) => n,
                    _ => {
                        nodes.push([Rec::Empty; 2]);
                        let n = nodes.len() - 1;
                        nodes[node][bit] = Rec::Node(n);
                        n
                    }
                };
            }
        }
        let count = nodes.len() as u32;
        let mut out = Vec::new();
        for rec in nodes.iter().flatten() {
            let v = match rec {
                Rec::Empty => count,
                Rec::Node(n) => *n as u32,
                Rec::Data(off) => count + 16 + *off as u32,
            };
            out.extend_from_slice(&v.to_be_bytes()[1..]);
        }
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\xab\xcd\xefMaxMind.com");
        out.push(0xE9); // the metadata: a map of nine entries
        let u16 = |out: &mut Vec<u8>, k: &str, v: u16| {
            string(out, k);
            out.push(0xA2);
            out.extend_from_slice(&v.to_be_bytes());
        };
        u16(&mut out, "binary_format_major_version", 2);
        u16(&mut out, "binary_format_minor_version", 0);
        string(&mut out, "build_epoch");
        out.extend_from_slice(&[0x08, 0x02]); // uint64 (extended type 9), 8 bytes
        out.extend_from_slice(&1_700_000_000u64.to_be_bytes());
        string(&mut out, "database_type");
        string(&mut out, "openivs-test-Country");
        string(&mut out, "description");
        out.push(0xE0);
        u16(&mut out, "ip_version", 4);
        string(&mut out, "languages");
        out.extend_from_slice(&[0x00, 0x04]); // an empty array (extended type 11)
        string(&mut out, "node_count");
        out.push(0xC4);
        out.extend_from_slice(&count.to_be_bytes());
        u16(&mut out, "record_size", 24);
        out
    }

    fn test_geo() -> Geo {
        Geo::from_bytes(mmdb(&[([127, 0, 0, 0], 8, "FR"), ([203, 0, 113, 0], 24, "US")])).unwrap()
    }

    #[test]
    fn countries_from_a_maxmind_database() {
        let geo = test_geo();
        let at = |ip: &str| geo.country(ip.parse().unwrap());
        assert_eq!(at("127.0.0.1").as_deref(), Some("FR"));
        assert_eq!(at("127.255.1.2").as_deref(), Some("FR"));
        assert_eq!(at("::ffff:127.0.0.1").as_deref(), Some("FR"), "IPv4-mapped");
        assert_eq!(at("203.0.113.77").as_deref(), Some("US"));
        assert_eq!(at("203.0.114.1"), None);
        assert_eq!(at("10.0.0.1"), None);
        assert_eq!(at("::1"), None, "IPv6 in an IPv4 database");
        assert!(Geo::from_bytes(b"not a database".to_vec()).is_err());
        assert!(Geo::open(Path::new("/nonexistent/geo.mmdb")).is_err());
    }

    #[test]
    fn countries_of_a_policy() {
        let geo = test_geo();
        let fr = Policy { countries: vec!["FR".into()], origins: OriginRule::default() };
        let ip = |s: &str| Some(s.parse().unwrap());
        assert_eq!(check_country(&fr, Some(&geo), ip("127.0.0.1")), Ok(()));
        assert_eq!(check_country(&fr, Some(&geo), ip("203.0.113.1")), Err(Refusal::Country));
        assert_eq!(check_country(&fr, Some(&geo), ip("10.0.0.1")), Err(Refusal::Country), "unknown place");
        assert_eq!(check_country(&fr, Some(&geo), None), Err(Refusal::Country));
        let any = Policy::default();
        assert_eq!(check_country(&any, Some(&geo), ip("10.0.0.1")), Ok(()), "[] is all countries");
        let lower = Policy { countries: vec!["us".into()], origins: OriginRule::default() };
        assert_eq!(check_country(&lower, Some(&geo), ip("203.0.113.1")), Ok(()));
    }

    #[test]
    fn countries_without_a_database_are_not_enforced() {
        let p = Policy { countries: vec!["US".into()], origins: OriginRule::default() };
        assert_eq!(check_country(&p, None, Some("1.2.3.4".parse().unwrap())), Ok(()));
    }

    #[test]
    fn refusals_are_403_except_store_failures() {
        assert_eq!(Refusal::Expired.response().status(), StatusCode::FORBIDDEN);
        assert_eq!(Refusal::Unavailable.response().status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
