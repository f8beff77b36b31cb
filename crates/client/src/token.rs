//! Playback authorization tokens for private channels (ivs-behaviour.md §4): a JWT signed with ES384
//! (ECDSA P-384 with SHA-384; the signature is `r || s`, 96 bytes) by the private key of a playback
//! key pair whose public key was imported with `ImportPlaybackKeyPair`. Claims carry the `aws:`
//! prefix on the wire; `exp` is in Unix seconds. The token goes in the playback URL's `token` query
//! parameter.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use serde::Serialize;

use crate::keys::{base64, pem, sec1_to_pkcs8, spki};

/// Longest lifetime of a token with a single-use id or a viewer id (ivs-behaviour.md §4).
pub const MAX_TTL_WITH_VIEWER: Duration = Duration::from_secs(600);
/// Longest viewer id.
pub const MAX_VIEWER_ID_CHARS: usize = 40;

/// Why a key could not be read or a token signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The PEM text holds no private key, or one that is not an ECDSA P-384 key.
    #[error("not a P-384 private key: {0}")]
    InvalidKey(String),
    /// A claim breaks a documented rule.
    #[error("invalid claims: {0}")]
    InvalidClaims(&'static str),
    /// The system's random source failed.
    #[error("signing failed")]
    Signing,
}

/// The claims of a playback token. Build with [`PlaybackClaims::new`] and the setters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlaybackClaims {
    #[serde(rename = "aws:channel-arn")]
    channel_arn: String,
    #[serde(rename = "aws:access-control-allow-origin", skip_serializing_if = "Option::is_none")]
    allowed_origin: Option<String>,
    #[serde(rename = "aws:strict-origin-enforcement", skip_serializing_if = "Option::is_none")]
    strict_origin_enforcement: Option<bool>,
    #[serde(rename = "aws:single-use-uuid", skip_serializing_if = "Option::is_none")]
    single_use_uuid: Option<String>,
    #[serde(rename = "aws:viewer-id", skip_serializing_if = "Option::is_none")]
    viewer_id: Option<String>,
    #[serde(rename = "aws:viewer-session-version", skip_serializing_if = "Option::is_none")]
    viewer_session_version: Option<i64>,
    #[serde(rename = "aws:maximum-resolution", skip_serializing_if = "Option::is_none")]
    maximum_resolution: Option<String>,
    exp: u64,
}

impl PlaybackClaims {
    /// Claims for `channel_arn`, valid for `ttl` from now.
    pub fn new(channel_arn: impl Into<String>, ttl: Duration) -> Self {
        let exp = (SystemTime::now() + ttl).duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Self {
            channel_arn: channel_arn.into(),
            allowed_origin: None,
            strict_origin_enforcement: None,
            single_use_uuid: None,
            viewer_id: None,
            viewer_session_version: None,
            maximum_resolution: None,
            exp,
        }
    }

    /// The allowed origin(s), comma-separated; a host may use `*` (`https://*.example.com`).
    pub fn allowed_origin(mut self, origin: impl Into<String>) -> Self {
        self.allowed_origin = Some(origin.into());
        self
    }

    /// Enforce the origin on every playback request, not only the multivariant playlist.
    pub fn strict_origin_enforcement(mut self, yes: bool) -> Self {
        self.strict_origin_enforcement = Some(yes);
        self
    }

    /// Makes the token single-use under this id (a UUID).
    pub fn single_use_uuid(mut self, id: impl Into<String>) -> Self {
        self.single_use_uuid = Some(id.into());
        self
    }

    /// The viewer, so that their session can be revoked later (at most 40 characters, no PII).
    pub fn viewer_id(mut self, id: impl Into<String>) -> Self {
        self.viewer_id = Some(id.into());
        self
    }

    /// The viewer session version that revocation compares with (default 0).
    pub fn viewer_session_version(mut self, version: i64) -> Self {
        self.viewer_session_version = Some(version);
        self
    }

    /// The highest rendition the viewer gets: `SD`, `HD` or `FULL_HD`.
    pub fn maximum_resolution(mut self, resolution: impl Into<String>) -> Self {
        self.maximum_resolution = Some(resolution.into());
        self
    }

    /// An explicit expiry time.
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.exp = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self
    }

    /// `exp`, in Unix seconds.
    pub fn expiry(&self) -> u64 {
        self.exp
    }

    fn check(&self) -> Result<(), TokenError> {
        if self.channel_arn.is_empty() {
            return Err(TokenError::InvalidClaims("the channel ARN is required"));
        }
        if self.viewer_id.as_ref().is_some_and(|v| v.chars().count() > MAX_VIEWER_ID_CHARS) {
            return Err(TokenError::InvalidClaims("the viewer id has more than 40 characters"));
        }
        if self.viewer_id.is_some() || self.single_use_uuid.is_some() {
            let limit = SystemTime::now() + MAX_TTL_WITH_VIEWER + Duration::from_secs(5);
            let limit = limit.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            if self.exp > limit {
                return Err(TokenError::InvalidClaims(
                    "a token with a viewer id or a single-use id may last at most 10 minutes",
                ));
            }
        }
        let origins = self.allowed_origin.as_deref().map_or(0, |o| o.split(',').count());
        if self.strict_origin_enforcement == Some(true) && origins > 5 {
            return Err(TokenError::InvalidClaims("strict origin enforcement allows at most 5 origins"));
        }
        Ok(())
    }
}

/// Signs playback tokens with the private key of a playback key pair.
pub struct PlaybackTokenSigner {
    key: EcdsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for PlaybackTokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlaybackTokenSigner").field("public_key", &self.public_key_pem()).finish()
    }
}

/// A new key pair: its signer and its private key as PKCS#8 PEM (keep it secret and safe).
#[derive(Debug)]
pub struct GeneratedKeyPair {
    /// The signer.
    pub signer: PlaybackTokenSigner,
    /// The private key, `-----BEGIN PRIVATE KEY-----` (PKCS#8).
    pub private_key_pem: String,
}

impl PlaybackTokenSigner {
    /// Reads a P-384 private key from PEM: PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE
    /// KEY`, what `openssl ecparam -name secp384r1 -genkey` writes).
    pub fn from_pem(pem: &str) -> Result<Self, TokenError> {
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| TokenError::InvalidKey(e.to_string()))?;
        match der {
            PrivateKeyDer::Pkcs8(k) => Self::from_pkcs8_der(k.secret_pkcs8_der()),
            PrivateKeyDer::Sec1(k) => Self::from_pkcs8_der(&sec1_to_pkcs8(k.secret_sec1_der())),
            _ => Err(TokenError::InvalidKey("an RSA key; playback keys are ECDSA P-384".into())),
        }
    }

    /// Reads a PKCS#8 DER private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, TokenError> {
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, der, &rng)
            .map_err(|e| TokenError::InvalidKey(e.to_string()))?;
        Ok(Self { key, rng })
    }

    /// Makes a new P-384 key pair.
    pub fn generate() -> Result<GeneratedKeyPair, TokenError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
            .map_err(|_| TokenError::Signing)?;
        let signer = Self::from_pkcs8_der(pkcs8.as_ref())?;
        Ok(GeneratedKeyPair { signer, private_key_pem: pem("PRIVATE KEY", pkcs8.as_ref()) })
    }

    /// The public key as SPKI PEM (`BEGIN PUBLIC KEY`): the `publicKeyMaterial` of
    /// `ImportPlaybackKeyPair`.
    pub fn public_key_pem(&self) -> String {
        pem("PUBLIC KEY", &spki(self.key.public_key().as_ref()))
    }

    /// Signs `claims` into a token (`header.payload.signature`, base64url).
    pub fn sign(&self, claims: &PlaybackClaims) -> Result<String, TokenError> {
        claims.check()?;
        let header = base64(br#"{"alg":"ES384","typ":"JWT"}"#, true);
        let payload = serde_json::to_vec(claims).map_err(|_| TokenError::InvalidClaims("unserializable"))?;
        let signing_input = format!("{header}.{}", base64(&payload, true));
        let sig = self.key.sign(&self.rng, signing_input.as_bytes()).map_err(|_| TokenError::Signing)?;
        Ok(format!("{signing_input}.{}", base64(sig.as_ref(), true)))
    }
}

/// The playback URL with the token added as its `token` query parameter.
pub fn playback_url_with_token(playback_url: &str, token: &str) -> String {
    let sep = if playback_url.contains('?') { '&' } else { '?' };
    format!("{playback_url}{sep}token={token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_follow_the_documented_limits() {
        let arn = "arn:aws:ivs:us-west-2:123456789012:channel/abc";
        let signer = PlaybackTokenSigner::generate().unwrap().signer;
        let long = PlaybackClaims::new(arn, Duration::from_secs(3600));
        assert!(signer.sign(&long).is_ok());
        assert!(signer.sign(&long.clone().viewer_id("v1")).is_err());
        assert!(signer.sign(&long.clone().single_use_uuid("u")).is_err());
        let short = PlaybackClaims::new(arn, Duration::from_secs(600)).viewer_id("x".repeat(40));
        assert!(signer.sign(&short).is_ok());
        assert!(signer.sign(&short.viewer_id("x".repeat(41))).is_err());
        let six = long.allowed_origin("a,b,c,d,e,f");
        assert!(signer.sign(&six.clone()).is_ok());
        assert!(signer.sign(&six.strict_origin_enforcement(true)).is_err());
        assert!(signer.sign(&PlaybackClaims::new("", Duration::from_secs(60))).is_err());
    }

    #[test]
    fn tokens_have_three_base64url_parts_and_a_96_byte_signature() {
        let signer = PlaybackTokenSigner::generate().unwrap().signer;
        let token = signer.sign(&PlaybackClaims::new("arn:c", Duration::from_secs(60))).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCJ9");
        assert_eq!(parts[2].len(), 128); // 96 bytes, unpadded base64url
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        assert_eq!(playback_url_with_token("https://p/x.m3u8", "t"), "https://p/x.m3u8?token=t");
        assert_eq!(playback_url_with_token("https://p/x.m3u8?a=1", "t"), "https://p/x.m3u8?a=1&token=t");
    }

    #[test]
    fn rsa_and_garbage_keys_are_refused() {
        assert!(matches!(PlaybackTokenSigner::from_pem("nope"), Err(TokenError::InvalidKey(_))));
    }
}
