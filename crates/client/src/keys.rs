//! The little DER and PEM a playback key pair needs (RFC 5915 SEC1 `ECPrivateKey`, RFC 5208 PKCS#8,
//! RFC 5280 `SubjectPublicKeyInfo`, RFC 7468 PEM), for P-384 only: ring reads PKCS#8, so a SEC1 key
//! (`openssl ecparam -genkey` writes one) is wrapped into PKCS#8 first; the public key is written as
//! the SPKI PEM that `ImportPlaybackKeyPair` takes.

/// DER of the `AlgorithmIdentifier` body of a P-384 key: `id-ecPublicKey` and `secp384r1`.
const EC_P384_ALGORITHM: &[u8] = &[
    0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, // 1.2.840.10045.2.1
    0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, // 1.3.132.0.34
];

/// One DER element: tag, definite length, content.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend([0x81, n as u8]);
    } else {
        out.extend([0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// Wraps a SEC1 `ECPrivateKey` of a P-384 key into a PKCS#8 v1 `PrivateKeyInfo`.
pub(crate) fn sec1_to_pkcs8(sec1: &[u8]) -> Vec<u8> {
    let mut body = vec![0x02, 0x01, 0x00]; // version 0
    body.extend(tlv(0x30, EC_P384_ALGORITHM));
    body.extend(tlv(0x04, sec1));
    tlv(0x30, &body)
}

/// The `SubjectPublicKeyInfo` of a P-384 public key given as an uncompressed point.
pub(crate) fn spki(point: &[u8]) -> Vec<u8> {
    let mut bits = vec![0x00]; // no unused bits
    bits.extend_from_slice(point);
    let mut body = tlv(0x30, EC_P384_ALGORITHM);
    body.extend(tlv(0x03, &bits));
    tlv(0x30, &body)
}

/// PEM text of `der` under `label` (`PUBLIC KEY`, `PRIVATE KEY`), 64 columns.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64(der, false);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Base64 of RFC 4648: the standard alphabet with padding, or the URL-safe one without (JWT).
pub(crate) fn base64(data: &[u8], url: bool) -> String {
    let alphabet: &[u8; 64] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..4 {
            if i < chars {
                out.push(char::from(alphabet[(n >> (18 - 6 * i)) as usize & 63]));
            } else if !url {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes(), false), encoded);
            assert_eq!(base64(plain.as_bytes(), true), encoded.trim_end_matches('='));
        }
        assert_eq!(base64(&[0xfb, 0xff], true), "-_8");
        assert_eq!(base64(&[0xfb, 0xff], false), "+/8=");
    }

    #[test]
    fn der_lengths_use_the_long_form_above_127() {
        assert_eq!(tlv(0x04, &[0; 3])[..2], [0x04, 3]);
        assert_eq!(tlv(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
        // A P-384 SPKI is 120 bytes: 30 76 30 10 … 03 62 00 04 …
        let der = spki(&[4; 97]);
        assert_eq!((der.len(), &der[..4]), (120, &[0x30, 0x76, 0x30, 0x10][..]));
        let text = pem("PUBLIC KEY", &der);
        assert!(
            text.starts_with("-----BEGIN PUBLIC KEY-----\n") && text.ends_with("-----END PUBLIC KEY-----\n")
        );
        assert_eq!(text.lines().nth(1).map(str::len), Some(64));
    }
}
