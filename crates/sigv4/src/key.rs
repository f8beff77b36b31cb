//! Tasks 2 and 3 of SigV4: the string to sign, the derived signing key and the signature.
//!
//! ```text
//! StringToSign = "AWS4-HMAC-SHA256" \n AmzDate \n Scope \n hex(SHA256(CanonicalRequest))
//! kDate = HMAC("AWS4" + secret, YYYYMMDD); kRegion = HMAC(kDate, region)
//! kService = HMAC(kRegion, service); kSigning = HMAC(kService, "aws4_request")
//! Signature = hex(HMAC(kSigning, StringToSign))
//! ```

use std::fmt;

use crate::canonical::sha256_hex;
use crate::{ALGORITHM, SCOPE_TERMINATOR};

/// The credential scope `date/region/service/aws4_request` a signature is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CredentialScope {
    /// `YYYYMMDD`, the UTC date of the request time.
    pub date: String,
    /// The region the client signed for, e.g. `us-west-2`.
    pub region: String,
    /// The signing name of the service, e.g. `ivs`.
    pub service: String,
}

impl CredentialScope {
    /// A scope from its three variable parts.
    pub fn new(date: &str, region: &str, service: &str) -> Self {
        Self { date: date.to_owned(), region: region.to_owned(), service: service.to_owned() }
    }
}

impl fmt::Display for CredentialScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}/{}", self.date, self.region, self.service, SCOPE_TERMINATOR)
    }
}

/// The string to sign from the request time (`YYYYMMDD'T'HHMMSS'Z'`), the scope string
/// and the canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// The derived key `kSigning`. It depends only on the secret and the scope, so a server can
/// cache it per (access key id, date, region, service) and skip four HMACs per request.
/// Its `Debug` output never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// Derives `kSigning` from the secret access key and the scope parts.
    pub fn derive(secret_access_key: &str, date: &str, region: &str, service: &str) -> Self {
        let k_secret = format!("AWS4{secret_access_key}");
        let k_date = hmac(k_secret.as_bytes(), date.as_bytes());
        let k_region = hmac(&k_date, region.as_bytes());
        let k_service = hmac(&k_region, service.as_bytes());
        Self(hmac(&k_service, SCOPE_TERMINATOR.as_bytes()))
    }

    /// Derives the key for a parsed or built [`CredentialScope`].
    pub fn for_scope(secret_access_key: &str, scope: &CredentialScope) -> Self {
        Self::derive(secret_access_key, &scope.date, &scope.region, &scope.service)
    }

    /// Wraps key bytes derived elsewhere (for example a shared cache).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether `signature` is the signature of `string_to_sign`, compared in constant time.
    pub fn verify(&self, string_to_sign: &str, signature: &[u8]) -> bool {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.0);
        ring::hmac::verify(&key, string_to_sign.as_bytes(), signature).is_ok()
    }

    /// The raw signature of a string to sign.
    pub fn sign(&self, string_to_sign: &str) -> [u8; 32] {
        hmac(&self.0, string_to_sign.as_bytes())
    }

    /// The signature as it appears on the wire: 64 lowercase hex digits.
    pub fn sign_hex(&self, string_to_sign: &str) -> String {
        crate::hex::encode(self.sign(string_to_sign))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key), data);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_string() {
        let scope = CredentialScope::new("20150830", "us-east-1", "iam");
        assert_eq!(scope.to_string(), "20150830/us-east-1/iam/aws4_request");
    }

    #[test]
    fn debug_hides_the_key() {
        let key = SigningKey::derive("secret", "20150830", "us-east-1", "iam");
        assert_eq!(format!("{key:?}"), "SigningKey(<redacted>)");
        assert_eq!(SigningKey::from_bytes(*key.as_bytes()), key);
    }
}
