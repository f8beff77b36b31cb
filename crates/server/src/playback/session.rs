//! Playback sessions: what lets a viewer admitted on the multivariant playlist fetch the media
//! playlist, parts and segments without repeating the token (most players, ffmpeg among them, do not
//! carry the playback URL's query string over to the URIs a playlist names).
//!
//! # Design
//!
//! A session is a value the server signs (HMAC-SHA256 with a key kept in the database, so sessions
//! survive a restart) and appends as `?session=…` to every URI of the playlists it serves. It holds a
//! random session id, the viewer id and version of the token (so revocations reach sessions already
//! running), the origin rules in force at admission, and its own expiry. The channel and stream it is
//! good for are signed but not written in it: they are in every URL it is appended to, so the value is
//! checked against the URL's (a value moved to another channel or stream fails its signature), and stays
//! short — a public channel's is under 100 bytes, and a low-latency playlist names some 70 URIs.
//!
//! IVS checks a token's `exp` only when playback starts, so a session must outlive its token: a viewer
//! may watch a stream for hours. But a URI copied out of a playlist must not work forever. Hence:
//!
//! - each session value expires [`SESSION_TTL`] after it was minted;
//! - every media playlist response mints a fresh value (same session id, new expiry) into the segment
//!   and part URIs it lists, so those are always fresh while the viewer watches;
//! - the media-playlist URI itself comes from the multivariant playlist and a player keeps reusing it,
//!   so an expired value is still accepted while its session id was seen within [`KEEPALIVE`]
//!   (the stream's viewer table, [`super::viewers`]): a watching player reloads the playlist every
//!   target duration (2 or 6 s) and so keeps its session alive.
//!
//! A viewer who stops therefore leaves URIs that work at most `max(SESSION_TTL, KEEPALIVE)` (30 s)
//! longer, and a copy made while they watch works only as long as someone keeps using it, like the
//! original. Stream ids are never reused, so no session outlives its stream. After a server restart
//! the keep-alive table is empty: sessions then last until their value expires, and players start
//! again from the playback URL (with a new token on private channels).

use super::access::{OriginRule, Refusal};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// How long one session value is good for after it was minted.
pub const SESSION_TTL: Duration = Duration::from_secs(30);
/// How long after its last request an expired session value is still accepted.
pub const KEEPALIVE: Duration = Duration::from_secs(30);
/// Bytes of the HMAC kept (128 bits).
const TAG_LEN: usize = 16;
/// Longest session value accepted.
const MAX_LEN: usize = 4096;

/// What a session value says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Session id: random, the same across the session's renewals (viewer counting, keep-alive).
    #[serde(rename = "i")]
    pub id: u64,
    /// The channel ARN (signed, not written: see the module's design).
    #[serde(skip)]
    pub channel: String,
    /// The stream id (signed, not written).
    #[serde(skip)]
    pub stream: String,
    /// The token's `aws:viewer-id`.
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    pub viewer_id: Option<String>,
    /// The token's `aws:viewer-session-version`.
    #[serde(rename = "n", default, skip_serializing_if = "is_zero")]
    pub viewer_version: i64,
    /// The origin rules that hold for the whole session (token and restriction policy).
    #[serde(rename = "r", default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<OriginRule>,
    /// Expiry of this value, Unix seconds.
    #[serde(rename = "e")]
    pub exp: u64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Signs and opens session values.
pub struct SessionKey {
    key: [u8; 32],
}

impl SessionKey {
    /// With the server's secret.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn tag(&self, channel: &str, stream: &str, body: &[u8]) -> [u8; TAG_LEN] {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key length");
        // Domain separation from the other uses of HMAC in the server, then each part with its length.
        mac.update(b"openivs playback session v1\0");
        for part in [channel.as_bytes(), stream.as_bytes(), body] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        let full = mac.finalize().into_bytes();
        let mut t = [0u8; TAG_LEN];
        t.copy_from_slice(&full[..TAG_LEN]);
        t
    }

    /// The value of a session (URL-safe: base64url and a dot).
    pub fn mint(&self, s: &Session) -> String {
        let body = serde_json::to_vec(s).unwrap_or_default();
        let tag = self.tag(&s.channel, &s.stream, &body);
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&body), URL_SAFE_NO_PAD.encode(tag))
    }

    /// Opens a value this server minted for `channel` and `stream` (the URL's); `SessionInvalid` for
    /// anything else. Expiry is the caller's business (see the module's design).
    pub fn open(&self, value: &str, channel: &str, stream: &str) -> Result<Session, Refusal> {
        if value.len() > MAX_LEN {
            return Err(Refusal::SessionInvalid);
        }
        let (body, tag) = value.split_once('.').ok_or(Refusal::SessionInvalid)?;
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| Refusal::SessionInvalid)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| Refusal::SessionInvalid)?;
        if tag.len() != TAG_LEN || !bool::from(self.tag(channel, stream, &body).ct_eq(&tag)) {
            return Err(Refusal::SessionInvalid);
        }
        let mut s: Session = serde_json::from_slice(&body).map_err(|_| Refusal::SessionInvalid)?;
        s.channel = channel.to_string();
        s.stream = stream.to_string();
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            id: 42,
            channel: "arn:aws:ivs:us-west-2:123456789012:channel/abc".into(),
            stream: "st-1".into(),
            viewer_id: Some("v".into()),
            viewer_version: 3,
            rules: vec![OriginRule { allowed: vec!["https://a.example".into()], strict: true }],
            exp: 1_800_000_000,
        }
    }

    #[test]
    fn round_trip_and_url_safe() {
        let k = SessionKey::new([7; 32]);
        let v = k.mint(&session());
        assert!(v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{v}");
        let s = session();
        assert_eq!(k.open(&v, &s.channel, &s.stream), Ok(session()));
        let plain = Session { viewer_id: None, viewer_version: 0, rules: vec![], ..session() };
        let pv = k.mint(&plain);
        assert!(pv.len() < 100, "{} bytes: {pv}", pv.len());
        assert_eq!(k.open(&pv, &s.channel, &s.stream), Ok(plain));
    }

    #[test]
    fn tampered_or_foreign_values_are_refused() {
        let k = SessionKey::new([7; 32]);
        let s = session();
        let open = |v: &str| k.open(v, &s.channel, &s.stream);
        let v = k.mint(&s);
        let (body, tag) = v.split_once('.').unwrap();
        // Another key (another server).
        assert_eq!(SessionKey::new([8; 32]).open(&v, &s.channel, &s.stream), Err(Refusal::SessionInvalid));
        // The URL of another stream or channel.
        assert_eq!(k.open(&v, &s.channel, "st-2"), Err(Refusal::SessionInvalid));
        assert_eq!(
            k.open(&v, "arn:aws:ivs:us-west-2:123456789012:channel/abd", &s.stream),
            Err(Refusal::SessionInvalid)
        );
        // Parts shifted between channel and stream do not collide.
        let shifted = Session { channel: "ab".into(), stream: "c".into(), ..session() };
        assert_eq!(k.open(&k.mint(&shifted), "a", "bc"), Err(Refusal::SessionInvalid));
        // A body changed to a later expiry, another viewer or other rules, keeping the tag.
        for forged in [
            Session { exp: session().exp + 3600, ..session() },
            Session { viewer_id: None, ..session() },
            Session { rules: vec![], ..session() },
        ] {
            let b = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
            assert_eq!(open(&format!("{b}.{tag}")), Err(Refusal::SessionInvalid));
        }
        // Flipped tag bits, a short tag, garbage.
        let mut t = URL_SAFE_NO_PAD.decode(tag).unwrap();
        t[0] ^= 0x80;
        assert_eq!(open(&format!("{body}.{}", URL_SAFE_NO_PAD.encode(&t))), Err(Refusal::SessionInvalid));
        assert_eq!(
            open(&format!("{body}.{}", URL_SAFE_NO_PAD.encode(&t[..8]))),
            Err(Refusal::SessionInvalid)
        );
        for bad in ["", ".", "abc", "a.b.c", body, &format!("{body}.{tag}x"), &"a".repeat(5000)] {
            assert_eq!(open(bad), Err(Refusal::SessionInvalid), "{bad:.40}");
        }
        // A validly tagged body that is not a session.
        let junk = b"[1]";
        let junk_tag = k.tag(&s.channel, &s.stream, junk);
        let forged = format!("{}.{}", URL_SAFE_NO_PAD.encode(junk), URL_SAFE_NO_PAD.encode(junk_tag));
        assert_eq!(open(&forged), Err(Refusal::SessionInvalid));
    }
}
