//! Authentication (SigV4, by `openivs-sigv4`) and authorization (a key's allowed actions).
//!
//! In two steps, so that no body byte is read for a request that cannot be authentic (issue 16: 1,000
//! stalled unsigned bodies took the server from 36 to 307 MiB). [`Authenticator::authenticate_head`]
//! runs on the headers alone: the signature must parse, be for service `ivs` and a well-formed
//! region, carry no session token (openivs has only long-term keys; AWS refuses a token it did not
//! issue the same way), name a known key (cached for a few seconds), and be dated within the
//! window. Then the body is read, and [`Authenticator::authenticate_body`] recomputes the signature
//! over it and compares in constant time. A refused request changes nothing. The region of the
//! signature's scope selects which resources the caller sees, with the key's account.

use super::error::ApiError;
use crate::control::Ctx;
use crate::store::{ApiKey, Scope, Store};
use openivs_sigv4::{HttpRequest, ParsedAuth, check_before_body, parse_authorization, verify};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a looked-up key is trusted before it is read again (so `openivs keys delete` takes
/// effect on a running server within this time).
const KEY_TTL: Duration = Duration::from_secs(5);

/// How long an unknown access key id is remembered as unknown, so that a flood of requests with made-up
/// keys costs no database reads, while a key created meanwhile works within a second.
const UNKNOWN_TTL: Duration = Duration::from_secs(1);

/// Looks up API keys, with a short-lived cache (of known and unknown ids) in front of the store.
pub struct Authenticator {
    store: Arc<dyn Store>,
    cache: Mutex<HashMap<String, (Option<ApiKey>, Instant)>>,
}

impl Authenticator {
    /// Over the store that holds the keys.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, cache: Mutex::new(HashMap::new()) }
    }

    async fn key(&self, access_key_id: &str) -> Result<Option<ApiKey>, ApiError> {
        if let Ok(cache) = self.cache.lock()
            && let Some((k, at)) = cache.get(access_key_id)
            && at.elapsed() < if k.is_some() { KEY_TTL } else { UNKNOWN_TTL }
        {
            return Ok(k.clone());
        }
        let key = self.store.get_key(access_key_id).await.map_err(|e| {
            tracing::error!(error = %e, "key lookup failed");
            ApiError::common(500, "InternalFailure", "Internal server error")
        })?;
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(access_key_id.to_owned(), (key.clone(), Instant::now()));
        }
        Ok(key)
    }

    /// The checks on a request's headers (and query): see the module's documentation.
    pub async fn authenticate_head(&self, headers: &[(&str, &str)], query: &str) -> Result<Head, ApiError> {
        let auth = parse_authorization(headers, query)?;
        if auth.scope.service != "ivs" {
            return Err(ApiError::common(
                403,
                "InvalidSignatureException",
                format!(
                    "Credential should be scoped to correct service: 'ivs', not '{}'",
                    auth.scope.service
                ),
            ));
        }
        if !valid_region(&auth.scope.region) {
            return Err(ApiError::common(
                403,
                "InvalidSignatureException",
                format!("Invalid region in credential scope: '{}'", auth.scope.region),
            ));
        }
        let unrecognized = || {
            ApiError::common(
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        };
        if auth.session_token.is_some() {
            return Err(unrecognized());
        }
        let Some(key) = self.key(&auth.access_key_id).await? else {
            return Err(unrecognized());
        };
        check_before_body(&auth, std::time::SystemTime::now())?;
        Ok(Head { auth, key })
    }

    /// Verifies the signature of a request whose headers passed [`Self::authenticate_head`], over its
    /// body, and checks that its key may call `action` (`ivs:CreateChannel`).
    pub fn authenticate_body(
        &self,
        head: Head,
        req: &HttpRequest<'_>,
        action: &str,
    ) -> Result<Ctx, ApiError> {
        let Head { auth, key } = head;
        if let Err(e) = verify(&auth, &key.secret_access_key, req, std::time::SystemTime::now()) {
            tracing::debug!(access_key_id = %auth.access_key_id, code = e.aws_code(), "signature refused");
            return Err(e.into());
        }
        if !allowed(&key.allow, action) {
            return Err(ApiError::modeled(
                openivs_model::ErrorCode::AccessDeniedException,
                format!("User with access key {} is not authorized to perform: {action}", key.access_key_id),
            ));
        }
        Ok(Ctx { scope: Scope { account: key.account, region: auth.scope.region } })
    }
}

/// A request whose headers passed the checks that need no body: its parsed authorization and key.
pub struct Head {
    auth: ParsedAuth,
    key: ApiKey,
}

fn valid_region(r: &str) -> bool {
    (1..=32).contains(&r.len())
        && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether a key with these allow patterns may call `action`; no patterns means every action.
/// Patterns use IAM's wildcards (`*`, `?`) and match case-insensitively, as IAM actions do.
pub fn allowed(patterns: &[String], action: &str) -> bool {
    patterns.is_empty()
        || patterns.iter().any(|p| glob(&p.to_ascii_lowercase(), &action.to_ascii_lowercase()))
}

fn glob(p: &str, s: &str) -> bool {
    let (p, s) = (p.as_bytes(), s.as_bytes());
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_patterns() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(allowed(&[], "ivs:DeleteChannel"));
        assert!(allowed(&p(&["ivs:*"]), "ivs:DeleteChannel"));
        assert!(allowed(&p(&["ivs:List*", "ivs:GetChannel"]), "ivs:ListStreamKeys"));
        assert!(allowed(&p(&["ivs:getchannel"]), "ivs:GetChannel"));
        assert!(!allowed(&p(&["ivs:List*", "ivs:GetChannel"]), "ivs:GetChannelX"));
        assert!(!allowed(&p(&["ivs:GetChannel"]), "ivs:PutMetadata"));
        assert!(allowed(&p(&["*"]), "ivs:PutMetadata"));
        assert!(allowed(&p(&["ivs:Get?hannel"]), "ivs:GetChannel"));
    }
}
