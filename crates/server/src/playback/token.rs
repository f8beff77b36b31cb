//! Playback tokens of private channels (ivs-behaviour.md §4): an ES384 JWT whose signature must match
//! one of the playback key pairs imported in the channel's account and region, with the `aws:` claims.
//!
//! Verification is split so that each step can be tested alone and nothing is trusted before the
//! signature: [`parse`] reads the three parts and the header (only `ES384` is accepted, so `none` and
//! the HMAC algorithms, the classic JWT downgrade, never reach a key), [`Parsed::signed_by`] checks the
//! signature against the keys, and only then [`claims`] reads the payload. The checks that need
//! server state (revocations, single-use ids, origins) are made by the caller with the returned
//! [`Claims`]; the store remembers the used single-use ids (`Store::use_single_use_token`).
//!
//! Written with ring and base64 rather than a JWT crate: the format is three base64url parts, one
//! algorithm is allowed, and we want to say exactly which rule a token broke.

use super::access::Refusal;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{ECDSA_P384_SHA384_FIXED, UnparsedPublicKey};
use serde_json::Value;

/// Longest token accepted (real ones are about 400 bytes; this bounds the work a stranger can cause).
pub const MAX_TOKEN_LEN: usize = 8 * 1024;
/// Longest `aws:viewer-id`.
pub const MAX_VIEWER_ID_CHARS: usize = 40;
/// How far ahead `exp` may be with `aws:viewer-id` or `aws:single-use-uuid` (10 minutes)…
pub const MAX_TTL_WITH_VIEWER_SECS: u64 = 600;
/// … plus this much for the signer's clock running ahead of ours.
pub const CLOCK_SKEW_SECS: u64 = 30;
/// Most origins in `aws:access-control-allow-origin` with strict origin enforcement.
pub const MAX_STRICT_ORIGINS: usize = 5;
/// `exp` values above this are taken as milliseconds (see [`claims`]).
const MILLIS_THRESHOLD: f64 = 1e11;

/// A token split into its parts, header checked, signature not yet verified.
pub struct Parsed<'a> {
    signing_input: &'a str,
    signature: Vec<u8>,
    payload: Vec<u8>,
}

fn b64(part: &str, what: &'static str) -> Result<Vec<u8>, Refusal> {
    // Some encoders pad base64url; JWS says not to, but the padding carries no information.
    URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).map_err(|_| Refusal::Malformed(what))
}

/// Splits a token and checks its header: three base64url parts, a JSON header with `alg` `ES384`.
pub fn parse(token: &str) -> Result<Parsed<'_>, Refusal> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Refusal::Malformed("the token is too long"));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::Malformed("a token is three base64url parts separated by dots"));
    };
    let header: Value = serde_json::from_slice(&b64(header, "the token header is not base64url")?)
        .map_err(|_| Refusal::Malformed("the token header is not JSON"))?;
    match header.get("alg").and_then(Value::as_str) {
        Some("ES384") => {}
        _ => return Err(Refusal::Algorithm),
    }
    // A critical extension we do not know must make the token invalid (RFC 7515 §4.1.11).
    if header.get("crit").is_some() {
        return Err(Refusal::Malformed("the token header names critical extensions"));
    }
    let signing_input = &token[..token.len() - signature.len() - 1];
    let signature = b64(signature, "the token signature is not base64url")?;
    let payload = b64(payload, "the token payload is not base64url")?;
    Ok(Parsed { signing_input, signature, payload })
}

impl Parsed<'_> {
    /// True if one of `keys` (uncompressed P-384 points, as [`public_key_point`] gives) signed the
    /// token. ES384 signatures are `r || s`, 96 bytes (RFC 7518 §3.4), not DER.
    pub fn signed_by(&self, keys: &[Vec<u8>]) -> bool {
        self.signature.len() == 96
            && keys.iter().any(|k| {
                UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, k)
                    .verify(self.signing_input.as_bytes(), &self.signature)
                    .is_ok()
            })
    }

    /// The payload, to read with [`claims`] once the signature is verified.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
}

/// The uncompressed SEC1 point of a PEM (SPKI) P-384 public key, as stored by ImportPlaybackKeyPair.
pub fn public_key_point(pem: &str) -> Option<Vec<u8>> {
    use p384::elliptic_curve::sec1::ToSec1Point as _;
    use p384::pkcs8::DecodePublicKey as _;
    let key = p384::PublicKey::from_public_key_pem(pem.trim()).ok()?;
    Some(key.to_sec1_point(false).as_bytes().to_vec())
}

/// The claims of a verified token, as the server uses them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// `aws:access-control-allow-origin`, split at commas (empty: any origin).
    pub allowed_origins: Vec<String>,
    /// `aws:strict-origin-enforcement`.
    pub strict_origin: bool,
    /// `aws:single-use-uuid`.
    pub single_use: Option<String>,
    /// `aws:viewer-id`.
    pub viewer_id: Option<String>,
    /// `aws:viewer-session-version` (0 when absent).
    pub viewer_version: i64,
    /// `aws:maximum-resolution` (`SD`, `HD`, `FULL_HD`). Checked, not applied: a channel has one
    /// rendition, so there is nothing to filter.
    pub maximum_resolution: Option<String>,
    /// `exp`, Unix seconds.
    pub exp: u64,
}

/// Reads and checks the claims of a token whose signature was verified: `aws:channel-arn` must be
/// `channel_arn`, `exp` after `now` (Unix seconds), and the other claims well formed and within their
/// limits.
///
/// `exp` is Unix seconds (RFC 7519), but the IVS guide's own Node.js example writes
/// `Date.now() + 60 * 1000`, milliseconds, and clients copy it. A value above 10^11 (the year 5138 in
/// seconds, the year 1973 in milliseconds) cannot be meant as seconds, so it is read as milliseconds:
/// such tokens then expire when their author meant, instead of working for millennia or failing.
pub fn claims(payload: &[u8], channel_arn: &str, now: u64) -> Result<Claims, Refusal> {
    let v: Value =
        serde_json::from_slice(payload).map_err(|_| Refusal::Malformed("the token payload is not JSON"))?;
    let Some(obj) = v.as_object() else {
        return Err(Refusal::Malformed("the token payload is not a JSON object"));
    };
    let string = |name: &str, what: &'static str| -> Result<Option<String>, Refusal> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Refusal::Malformed(what)),
        }
    };
    match string("aws:channel-arn", "aws:channel-arn must be a string")? {
        None => return Err(Refusal::Malformed("the token has no aws:channel-arn")),
        Some(arn) if arn != channel_arn => return Err(Refusal::WrongChannel),
        Some(_) => {}
    }
    let exp = match obj.get("exp").and_then(Value::as_f64) {
        Some(e) if e.is_finite() && e >= MILLIS_THRESHOLD => (e / 1000.0) as u64,
        Some(e) if e.is_finite() && e >= 0.0 => e as u64,
        Some(_) => return Err(Refusal::Malformed("exp must be a Unix time")),
        None => return Err(Refusal::Malformed("the token has no numeric exp")),
    };
    if exp <= now {
        return Err(Refusal::Expired);
    }
    let viewer_id = string("aws:viewer-id", "aws:viewer-id must be a string")?;
    if viewer_id.as_ref().is_some_and(|v| v.is_empty() || v.chars().count() > MAX_VIEWER_ID_CHARS) {
        return Err(Refusal::ViewerId);
    }
    let viewer_version = match obj.get("aws:viewer-session-version") {
        None | Some(Value::Null) => 0,
        Some(v) => v.as_i64().ok_or(Refusal::Malformed("aws:viewer-session-version must be an integer"))?,
    };
    let single_use = string("aws:single-use-uuid", "aws:single-use-uuid must be a string")?;
    if single_use.as_ref().is_some_and(|s| s.is_empty() || s.len() > 128) {
        return Err(Refusal::Malformed("aws:single-use-uuid must be a UUID"));
    }
    if (viewer_id.is_some() || single_use.is_some()) && exp > now + MAX_TTL_WITH_VIEWER_SECS + CLOCK_SKEW_SECS
    {
        return Err(Refusal::TooLong);
    }
    let maximum_resolution =
        string("aws:maximum-resolution", "aws:maximum-resolution must be SD, HD or FULL_HD")?;
    if maximum_resolution.as_deref().is_some_and(|r| !matches!(r, "SD" | "HD" | "FULL_HD")) {
        return Err(Refusal::Malformed("aws:maximum-resolution must be SD, HD or FULL_HD"));
    }
    let strict_origin = match obj.get("aws:strict-origin-enforcement") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(Refusal::Malformed("aws:strict-origin-enforcement must be true or false")),
    };
    let allowed_origins: Vec<String> =
        string("aws:access-control-allow-origin", "aws:access-control-allow-origin must be a string")?
            .map(|o| o.split(',').map(str::trim).filter(|o| !o.is_empty()).map(String::from).collect())
            .unwrap_or_default();
    if strict_origin && allowed_origins.len() > MAX_STRICT_ORIGINS {
        return Err(Refusal::Malformed("strict origin enforcement allows at most 5 origins"));
    }
    Ok(Claims {
        allowed_origins,
        strict_origin,
        single_use,
        viewer_id,
        viewer_version,
        maximum_resolution,
        exp,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair};

    pub(crate) const ARN: &str = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234";
    pub(crate) const NOW: u64 = 1_800_000_000;

    /// A P-384 key pair for signing test tokens.
    pub(crate) fn key() -> EcdsaKeyPair {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng).unwrap();
        EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap()
    }

    pub(crate) fn point(k: &EcdsaKeyPair) -> Vec<u8> {
        k.public_key().as_ref().to_vec()
    }

    pub(crate) fn sign_raw(k: &EcdsaKeyPair, header: &str, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
        );
        let sig = k.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }

    pub(crate) fn sign(k: &EcdsaKeyPair, claims: &Value) -> String {
        sign_raw(k, r#"{"alg":"ES384","typ":"JWT"}"#, claims)
    }

    /// Parses, verifies against `keys` and reads the claims, like admission does.
    fn check(token: &str, keys: &[Vec<u8>]) -> Result<Claims, Refusal> {
        let p = parse(token)?;
        if !p.signed_by(keys) {
            return Err(Refusal::Signature);
        }
        claims(p.payload(), ARN, NOW)
    }

    fn base() -> Value {
        serde_json::json!({"aws:channel-arn": ARN, "exp": NOW + 3600})
    }

    fn with(mut v: Value, k: &str, val: Value) -> Value {
        v[k] = val;
        v
    }

    #[test]
    fn a_good_token_and_its_claims() {
        let k = key();
        let claims = serde_json::json!({
            "aws:channel-arn": ARN, "exp": NOW + 300,
            "aws:access-control-allow-origin": "https://a.example, https://*.b.example",
            "aws:strict-origin-enforcement": true, "aws:single-use-uuid": "6d5a0b1e-6a5f-4a63-a4b6-5f3d2b7e0c11",
            "aws:viewer-id": "viewer-1", "aws:viewer-session-version": 7, "aws:maximum-resolution": "HD",
        });
        let c = check(&sign(&k, &claims), &[point(&key()), point(&k)]).unwrap();
        assert_eq!(c.allowed_origins, ["https://a.example", "https://*.b.example"]);
        assert!(c.strict_origin);
        assert_eq!(c.viewer_id.as_deref(), Some("viewer-1"));
        assert_eq!(c.viewer_version, 7);
        assert_eq!(c.exp, NOW + 300);
        assert_eq!(c.maximum_resolution.as_deref(), Some("HD"));
        let plain = check(&sign(&k, &base()), &[point(&k)]).unwrap();
        assert_eq!((plain.viewer_version, plain.strict_origin, plain.allowed_origins.len()), (0, false, 0));
    }

    #[test]
    fn expired_and_millisecond_exp() {
        let k = key();
        for exp in [NOW - 1, NOW, 0] {
            let t = sign(&k, &with(base(), "exp", exp.into()));
            assert_eq!(check(&t, &[point(&k)]), Err(Refusal::Expired), "{exp}");
        }
        // The IVS guide's example writes milliseconds: read as such.
        let ms = sign(&k, &with(base(), "exp", ((NOW + 60) * 1000).into()));
        assert_eq!(check(&ms, &[point(&k)]).unwrap().exp, NOW + 60);
        let ms_past = sign(&k, &with(base(), "exp", ((NOW - 60) * 1000).into()));
        assert_eq!(check(&ms_past, &[point(&k)]), Err(Refusal::Expired));
        let fraction = sign(&k, &with(base(), "exp", serde_json::json!(NOW as f64 + 10.5)));
        assert_eq!(check(&fraction, &[point(&k)]).unwrap().exp, NOW + 10);
        for bad in [serde_json::json!("soon"), Value::Null, serde_json::json!(-5)] {
            let t = sign(&k, &with(base(), "exp", bad.clone()));
            assert!(matches!(check(&t, &[point(&k)]), Err(Refusal::Malformed(_))), "{bad}");
        }
    }

    #[test]
    fn wrong_channel() {
        let k = key();
        let other = with(base(), "aws:channel-arn", "arn:aws:ivs:us-west-2:123456789012:channel/zzz".into());
        assert_eq!(check(&sign(&k, &other), &[point(&k)]), Err(Refusal::WrongChannel));
        let missing = serde_json::json!({"exp": NOW + 60});
        assert!(matches!(check(&sign(&k, &missing), &[point(&k)]), Err(Refusal::Malformed(_))));
    }

    #[test]
    fn wrong_key_no_key_and_bad_signatures() {
        let (k, other) = (key(), key());
        let t = sign(&k, &base());
        assert_eq!(check(&t, &[point(&other)]), Err(Refusal::Signature));
        // A deleted key pair is simply not among the keys: nothing admits.
        assert_eq!(check(&t, &[]), Err(Refusal::Signature));
        // The payload changed after signing.
        let (head, rest) = t.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let forged_payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&with(base(), "exp", (NOW + 999_999).into())).unwrap());
        let forged = format!("{head}.{forged_payload}.{sig}");
        assert_eq!(check(&forged, &[point(&k)]), Err(Refusal::Signature));
        // One flipped signature bit; a truncated and a DER-sized signature.
        let mut raw = URL_SAFE_NO_PAD.decode(sig).unwrap();
        raw[10] ^= 1;
        let flipped = format!("{head}.{}.{}", rest.split_once('.').unwrap().0, URL_SAFE_NO_PAD.encode(&raw));
        assert_eq!(check(&flipped, &[point(&k)]), Err(Refusal::Signature));
        let short =
            format!("{head}.{}.{}", rest.split_once('.').unwrap().0, URL_SAFE_NO_PAD.encode(&raw[..95]));
        assert_eq!(check(&short, &[point(&k)]), Err(Refusal::Signature));
        // A garbage key never verifies.
        assert_eq!(check(&t, &[vec![4; 97], vec![]]), Err(Refusal::Signature));
    }

    #[test]
    fn only_es384() {
        let k = key();
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&base()).unwrap());
        for header in [
            r#"{"alg":"none","typ":"JWT"}"#,
            r#"{"alg":"HS256","typ":"JWT"}"#,
            r#"{"alg":"ES256"}"#,
            r#"{"alg":"es384"}"#,
            r#"{"typ":"JWT"}"#,
        ] {
            let h = URL_SAFE_NO_PAD.encode(header);
            for sig in ["", "c2lnbmF0dXJl"] {
                assert_eq!(check(&format!("{h}.{payload}.{sig}"), &[point(&k)]), Err(Refusal::Algorithm));
            }
        }
        // A real ES384 signature under a header that names another algorithm.
        assert_eq!(
            check(&sign_raw(&k, r#"{"alg":"HS384"}"#, &base()), &[point(&k)]),
            Err(Refusal::Algorithm)
        );
        let crit = sign_raw(&k, r#"{"alg":"ES384","crit":["x"]}"#, &base());
        assert!(matches!(check(&crit, &[point(&k)]), Err(Refusal::Malformed(_))));
    }

    #[test]
    fn malformed_pieces() {
        let k = key();
        let good = sign(&k, &base());
        let (h, rest) = good.split_once('.').unwrap();
        let (p, s) = rest.split_once('.').unwrap();
        let not_json = URL_SAFE_NO_PAD.encode("not json");
        let array = URL_SAFE_NO_PAD.encode("[1,2]");
        let long = "a".repeat(MAX_TOKEN_LEN + 1);
        for bad in [
            String::new(),
            "abc".to_string(),
            format!("{h}.{p}"),
            format!("{h}.{p}.{s}.{s}"),
            format!("{h}!.{p}.{s}"),
            format!("{h}.{p}.{s}*"),
            format!("{h}.{p}%.{s}"),
            format!("{not_json}.{p}.{s}"),
            long,
        ] {
            assert!(matches!(check(&bad, &[point(&k)]), Err(Refusal::Malformed(_))), "{bad:.80}");
        }
        // Well-signed payloads that are not claim objects, or carry claims of the wrong type.
        for payload in [not_json, array] {
            let input = format!("{h}.{payload}");
            let sig = k.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
            let t = format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()));
            assert!(matches!(check(&t, &[point(&k)]), Err(Refusal::Malformed(_))));
        }
        for (claim, value) in [
            ("aws:channel-arn", serde_json::json!(5)),
            ("aws:viewer-id", serde_json::json!(5)),
            ("aws:viewer-session-version", serde_json::json!("7")),
            ("aws:viewer-session-version", serde_json::json!(1.5)),
            ("aws:strict-origin-enforcement", serde_json::json!("true")),
            ("aws:access-control-allow-origin", serde_json::json!(["https://a"])),
            ("aws:maximum-resolution", serde_json::json!("4K")),
            ("aws:single-use-uuid", serde_json::json!("")),
        ] {
            let t = sign(&k, &with(base(), claim, value.clone()));
            assert!(matches!(check(&t, &[point(&k)]), Err(Refusal::Malformed(_))), "{claim} {value}");
        }
        // Padding added after signing changes the signed text.
        let padded = format!("{h}==.{p}.{s}");
        assert_eq!(check(&padded, &[point(&k)]), Err(Refusal::Signature));
    }

    #[test]
    fn viewer_and_single_use_limits() {
        let k = key();
        let far = with(base(), "exp", (NOW + MAX_TTL_WITH_VIEWER_SECS + CLOCK_SKEW_SECS + 1).into());
        let near = with(base(), "exp", (NOW + MAX_TTL_WITH_VIEWER_SECS).into());
        for claim in ["aws:viewer-id", "aws:single-use-uuid"] {
            let t = sign(&k, &with(far.clone(), claim, "x1".into()));
            assert_eq!(check(&t, &[point(&k)]), Err(Refusal::TooLong), "{claim}");
            assert!(check(&sign(&k, &with(near.clone(), claim, "x1".into())), &[point(&k)]).is_ok());
        }
        // Without them a long token is fine.
        assert!(check(&sign(&k, &far), &[point(&k)]).is_ok());
        let forty = with(near.clone(), "aws:viewer-id", "é".repeat(40).into());
        assert!(check(&sign(&k, &forty), &[point(&k)]).is_ok());
        for bad in ["x".repeat(41), String::new()] {
            let t = sign(&k, &with(near.clone(), "aws:viewer-id", bad.into()));
            assert_eq!(check(&t, &[point(&k)]), Err(Refusal::ViewerId));
        }
        let six: Vec<String> = (0..6).map(|i| format!("https://{i}.example")).collect();
        let many = with(base(), "aws:access-control-allow-origin", six.join(",").into());
        assert!(check(&sign(&k, &many), &[point(&k)]).is_ok());
        let strict = with(many, "aws:strict-origin-enforcement", true.into());
        assert!(matches!(check(&sign(&k, &strict), &[point(&k)]), Err(Refusal::Malformed(_))));
    }

    /// A public key as ImportPlaybackKeyPair takes it: SPKI DER (the P-384 prefix, then the point) in PEM.
    pub(crate) fn pem(k: &EcdsaKeyPair) -> String {
        const SPKI_P384: [u8; 23] = [
            0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
            0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
        ];
        let der = [&SPKI_P384[..], k.public_key().as_ref()].concat();
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n"))
    }

    #[test]
    fn public_keys_from_pem() {
        let k = key();
        assert_eq!(public_key_point(&pem(&k)), Some(point(&k)));
        let t = sign(&k, &base());
        assert!(check(&t, &[public_key_point(&pem(&k)).unwrap()]).is_ok());
        assert_eq!(public_key_point("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"), None);
        assert_eq!(public_key_point(""), None);
    }
}
