//! Hex: lowercase encoding of digests and signatures, and decoding of a received signature
//! into a fixed-size buffer. The few lines SigV4 needs, instead of a dependency.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lowercase hex, two digits per byte.
pub(crate) fn encode(bytes: impl AsRef<[u8]>) -> String {
    let bytes = bytes.as_ref();
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Decodes `text` (upper- or lowercase digits) into `out`, which it must fill exactly;
/// `None` on a wrong length or any non-hex character.
pub(crate) fn decode_to_slice(text: &str, out: &mut [u8]) -> Option<()> {
    let text = text.as_bytes();
    if text.len() != out.len() * 2 {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(())
}

fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_lowercase() {
        assert_eq!(encode([]), "");
        assert_eq!(encode([0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        let all: Vec<u8> = (0..=255).collect();
        let text = encode(&all);
        assert_eq!(text.len(), 512);
        assert!(text.starts_with("000102") && text.ends_with("fdfeff"));
        let mut back = [0u8; 256];
        assert_eq!(decode_to_slice(&text, &mut back), Some(()));
        assert_eq!(back.to_vec(), all);
    }

    #[test]
    fn decodes_either_case_and_rejects_the_rest() {
        let mut out = [0u8; 2];
        assert_eq!(decode_to_slice("aBcD", &mut out), Some(()));
        assert_eq!(out, [0xab, 0xcd]);
        for bad in ["", "abc", "abcde", "abcdef", "abcg", "ab d", "+abc", "éab", "ab\0d"] {
            assert_eq!(decode_to_slice(bad, &mut out), None, "{bad:?}");
        }
    }
}
