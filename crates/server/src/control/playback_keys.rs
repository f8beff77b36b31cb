//! Playback key pairs: ImportPlaybackKeyPair (a PEM P-384 public key; at most three per account and
//! region; the same key twice is a conflict), Get, List, Delete.
//!
//! The fingerprint is 16 colon-separated hex bytes, like the real service's. Which digest IVS uses is
//! not documented (ivs-behaviour.md §4); we use MD5 of the DER SubjectPublicKeyInfo, which is what EC2
//! reports for imported key pairs and has the same shape.

use super::*;
use md5::{Digest, Md5};
use openivs_model::*;
use p384::pkcs8::{DecodePublicKey, EncodePublicKey};
use serde::Deserialize;

/// Key pairs per account and region.
const MAX_KEY_PAIRS: usize = 3;

/// What is stored for a key pair (the public key is kept for checking playback tokens).
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredKeyPair {
    pub fingerprint: String,
    pub public_key_pem: String,
}

/// Parses a PEM P-384 public key; returns it normalized and its fingerprint.
pub(crate) fn parse_public_key(pem: &str) -> DomainResult<(String, String)> {
    let bad = |why: &str| {
        DomainError::Validation(format!(
            "publicKeyMaterial must be a PEM-encoded ECDSA P-384 (secp384r1) public key: {why}"
        ))
    };
    let pem = pem.trim();
    if pem.contains("PRIVATE KEY") {
        return Err(bad("this is a private key; import only the public half"));
    }
    if !pem.starts_with("-----BEGIN PUBLIC KEY-----") {
        return Err(bad("expected a -----BEGIN PUBLIC KEY----- block"));
    }
    let key = p384::PublicKey::from_public_key_pem(pem).map_err(|_| bad("not a P-384 public key"))?;
    let der = key.to_public_key_der().map_err(|e| DomainError::Internal(e.to_string()))?;
    let digest = Md5::digest(der.as_bytes());
    let fingerprint = digest.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":");
    let normalized = key
        .to_public_key_pem(p384::pkcs8::LineEnding::LF)
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    Ok((normalized, fingerprint))
}

impl Service {
    fn key_pair_view(&self, r: &Record) -> DomainResult<PlaybackKeyPair> {
        let k: StoredKeyPair = doc(r)?;
        Ok(PlaybackKeyPair {
            arn: Some(r.arn.clone()),
            name: Some(r.name.clone()),
            fingerprint: Some(k.fingerprint),
            tags: Some(r.tags.clone()),
        })
    }

    /// `ImportPlaybackKeyPair`.
    pub async fn import_playback_key_pair(
        &self,
        ctx: &Ctx,
        input: ImportPlaybackKeyPairRequest,
    ) -> DomainResult<ImportPlaybackKeyPairResponse> {
        let (pem, fingerprint) = parse_public_key(input.public_key_material.as_deref().unwrap_or_default())?;
        let stored = StoredKeyPair { fingerprint: fingerprint.clone(), public_key_pem: pem };
        let mut rec = self.new_record(ctx, ResourceType::PlaybackKeyPair, input.name, &stored)?;
        rec.unique = Some(fingerprint.clone());
        rec.tags = create_tags(input.tags)?;
        let r = self.insert(rec, Some(Quota::PerScope(MAX_KEY_PAIRS))).await.map_err(|e| match e {
            DomainError::Conflict(_) => DomainError::Conflict(format!(
                "A playback key pair with fingerprint {fingerprint} already exists"
            )),
            e => e,
        })?;
        Ok(ImportPlaybackKeyPairResponse { key_pair: Some(self.key_pair_view(&r)?) })
    }

    /// `GetPlaybackKeyPair`.
    pub async fn get_playback_key_pair(
        &self,
        ctx: &Ctx,
        input: GetPlaybackKeyPairRequest,
    ) -> DomainResult<GetPlaybackKeyPairResponse> {
        let r =
            self.load(ctx, ResourceType::PlaybackKeyPair, input.arn.as_deref().unwrap_or_default()).await?;
        Ok(GetPlaybackKeyPairResponse { key_pair: Some(self.key_pair_view(&r)?) })
    }

    /// `DeletePlaybackKeyPair`: tokens signed with its private half stop working.
    pub async fn delete_playback_key_pair(
        &self,
        ctx: &Ctx,
        input: DeletePlaybackKeyPairRequest,
    ) -> DomainResult<DeletePlaybackKeyPairResponse> {
        self.delete_record(ctx, ResourceType::PlaybackKeyPair, input.arn.as_deref().unwrap_or_default())
            .await?;
        Ok(DeletePlaybackKeyPairResponse {})
    }

    /// `ListPlaybackKeyPairs`.
    pub async fn list_playback_key_pairs(
        &self,
        ctx: &Ctx,
        input: ListPlaybackKeyPairsRequest,
    ) -> DomainResult<ListPlaybackKeyPairsResponse> {
        let (records, next) = self
            .page(
                ctx,
                Listing {
                    op: Operation::ListPlaybackKeyPairs,
                    kind: ResourceType::PlaybackKeyPair,
                    default_page: 100,
                },
                Filter::All,
                input.next_token.as_deref(),
                input.max_results,
            )
            .await?;
        let key_pairs = records
            .iter()
            .map(|r| PlaybackKeyPairSummary {
                arn: Some(r.arn.clone()),
                name: Some(r.name.clone()),
                tags: Some(r.tags.clone()),
            })
            .collect();
        Ok(ListPlaybackKeyPairsResponse { key_pairs: Some(key_pairs), next_token: next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A P-384 public key made for this test (openssl ecparam -name secp384r1 -genkey | openssl ec -pubout).
    const P384: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEgHe77CmcQLZiZ71gFRgLBLM4jZG+5Fyf
ManEg11ZOVsEZU7rboxlQeIwXxHcNSOsqVPYbEaCKz0Jof9SDTYdBglhMMOsRfDJ
QzlsaQ4//HpPT+ayv2I2NdeUmjIUdoEi
-----END PUBLIC KEY-----";

    #[test]
    fn fingerprint_shape_and_refusals() {
        match parse_public_key(P384) {
            Ok((pem, fp)) => {
                assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
                assert_eq!(fp.len(), 16 * 3 - 1);
                assert!(fp.split(':').all(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_hexdigit())));
            }
            Err(e) => panic!("valid key refused: {e}"),
        }
        assert!(parse_public_key("hello").is_err());
        assert!(parse_public_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err());
        // A P-256 key is refused.
        let p256 = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAELQRoZSeiBzBkZ1Ph0UHTNqy/ERCd
tuhAdRGL7jtHI98JHb2i1ieo0gab1vN2DDuWdEnsNR/ELoDfQkMQaigHlA==
-----END PUBLIC KEY-----";
        assert!(parse_public_key(p256).is_err());
    }
}
