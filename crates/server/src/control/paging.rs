//! Pagination tokens: opaque, tamper-evident and bound to the operation and its filter.
//!
//! A token is base64url (no padding, so it fits the model's `[a-zA-Z0-9+/=_-]*`) of: version byte,
//! operation index, the `seq` of the last record returned, a hash of the filter, and a 16-byte
//! HMAC-SHA256 tag over those under a per-deployment key. Listing resumes strictly after that `seq`,
//! so records created or deleted meanwhile never make a page skip or repeat another's records.

use super::error::{DomainError, DomainResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use openivs_model::Operation;
use sha2::{Digest, Sha256};

const VERSION: u8 = 1;
const TAG_LEN: usize = 16;

/// Signs and checks pagination tokens.
pub struct Paging {
    key: [u8; 32],
}

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// List records after this `seq`.
    pub after_seq: i64,
    /// At most this many records.
    pub limit: usize,
}

impl Paging {
    /// With the deployment's secret key.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn tag(&self, body: &[u8]) -> [u8; TAG_LEN] {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(body);
        let full = mac.finalize().into_bytes();
        let mut t = [0u8; TAG_LEN];
        t.copy_from_slice(&full[..TAG_LEN]);
        t
    }

    fn body(op: Operation, seq: i64, filter: &str) -> Vec<u8> {
        let mut b = vec![VERSION, u8::try_from(op as usize).unwrap_or(u8::MAX)];
        b.extend_from_slice(&seq.to_be_bytes());
        b.extend_from_slice(&Sha256::digest(filter.as_bytes())[..8]);
        b
    }

    /// The token that resumes `op` with `filter` after `seq`.
    pub fn token(&self, op: Operation, filter: &str, seq: i64) -> String {
        let mut b = Self::body(op, seq, filter);
        let tag = self.tag(&b);
        b.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(b)
    }

    /// Reads `nextToken` and `maxResults` for `op` (`default` items when no `maxResults`).
    pub fn request(
        &self,
        op: Operation,
        filter: &str,
        token: Option<&str>,
        max: Option<i32>,
        default: usize,
    ) -> DomainResult<PageRequest> {
        let limit = max.and_then(|m| usize::try_from(m).ok()).unwrap_or(default);
        let after_seq = match token.filter(|t| !t.is_empty()) {
            None => 0,
            Some(t) => self.check(op, filter, t)?,
        };
        Ok(PageRequest { after_seq, limit })
    }

    fn check(&self, op: Operation, filter: &str, token: &str) -> DomainResult<i64> {
        let invalid = || DomainError::Validation("The nextToken is not valid for this request".into());
        let raw = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).map_err(|_| invalid())?;
        if raw.len() != 2 + 8 + 8 + TAG_LEN {
            return Err(invalid());
        }
        let (body, tag) = raw.split_at(raw.len() - TAG_LEN);
        let seq = i64::from_be_bytes(body[2..10].try_into().map_err(|_| invalid())?);
        let expected = Self::body(op, seq, filter);
        let good_tag: bool = subtle::ConstantTimeEq::ct_eq(&self.tag(body)[..], tag).into();
        if !good_tag || body != expected.as_slice() {
            return Err(invalid());
        }
        Ok(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tampering() {
        let p = Paging::new([7; 32]);
        let t = p.token(Operation::ListChannels, "name=a", 42);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let r = p.request(Operation::ListChannels, "name=a", Some(&t), Some(5), 100).unwrap();
        assert_eq!(r, PageRequest { after_seq: 42, limit: 5 });
        assert_eq!(p.request(Operation::ListChannels, "", None, None, 100).unwrap().limit, 100);
        // Another operation, another filter, another key, or a flipped character: all refused.
        assert!(p.request(Operation::ListStreamKeys, "name=a", Some(&t), None, 1).is_err());
        assert!(p.request(Operation::ListChannels, "name=b", Some(&t), None, 1).is_err());
        assert!(Paging::new([8; 32]).request(Operation::ListChannels, "name=a", Some(&t), None, 1).is_err());
        let mut bad = t.clone().into_bytes();
        bad[5] = if bad[5] == b'A' { b'B' } else { b'A' };
        assert!(
            p.request(Operation::ListChannels, "name=a", Some(std::str::from_utf8(&bad).unwrap()), None, 1)
                .is_err()
        );
        assert!(p.request(Operation::ListChannels, "name=a", Some("garbage!"), None, 1).is_err());
    }
}
