//! ID3v2.4 tags (id3.org "ID3 tag version 2.4.0 - Main Structure" §3.1, §4; "Native Frames" §4.2.6) as
//! HLS timed metadata carries them (Apple, "Timed Metadata for HTTP Live Streaming"): one `TXXX`
//! (user-defined text) frame with the payload as its UTF-8 value. IVS players expose a TXXX frame's
//! value as the cue's text (the IVS player's `TextMetadataCue` has `text` and `textDescription`,
//! which are the value and the description of a TXXX frame); hls.js gives `{key: "TXXX", info, data}`.

use bytes::Bytes;

/// A 28-bit size as four bytes of seven bits (§6.2: "synchsafe integers").
fn synchsafe(n: usize) -> [u8; 4] {
    let n = n.min((1 << 28) - 1) as u32;
    [(n >> 21) as u8 & 0x7f, (n >> 14) as u8 & 0x7f, (n >> 7) as u8 & 0x7f, n as u8 & 0x7f]
}

/// An ID3v2.4 tag with no frames: the 10-byte header with size 0 (§3.1 allows a tag without frames).
///
/// MPEG-TS segments carry one at their start on the timed-metadata PID: the PMT declares that PID
/// in every segment, and the Amazon IVS Player waits for a sample on every declared stream before it
/// starts (a channel without PutMetadata never played in it). A frameless tag gives it that sample
/// and carries no cue: the IVS Player and hls.js both report only tags with frames.
pub const EMPTY_TAG: [u8; 10] = *b"ID3\x04\x00\x00\x00\x00\x00\x00";

/// An ID3v2.4 tag with one TXXX frame: `description` (may be empty) and `value`, both UTF-8.
pub fn txxx_tag(description: &str, value: &[u8]) -> Bytes {
    let body = 1 + description.len() + 1 + value.len();
    let mut out = Vec::with_capacity(10 + 10 + body);
    out.extend_from_slice(b"ID3\x04\x00\x00");
    out.extend_from_slice(&synchsafe(10 + body));
    out.extend_from_slice(b"TXXX");
    out.extend_from_slice(&synchsafe(body));
    out.extend_from_slice(&[0, 0]);
    out.push(3); // UTF-8
    out.extend_from_slice(description.as_bytes());
    out.push(0);
    out.extend_from_slice(value);
    Bytes::from(out)
}

/// An ID3v2.4 tag of text information frames (§4.2), each `(id, text)` UTF-8 and ending with a NUL, as
/// the per-sub-segment tags of Amazon IVS recordings are written (`TRCK`, `TDTG`, …:
/// ivs-recording-events.md §1.5). Frame ids are four capital letters or digits; others are skipped.
pub fn text_tag(frames: &[(&str, &str)]) -> Bytes {
    let valid = |id: &str| id.len() == 4 && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    let mut body = Vec::new();
    for (id, text) in frames.iter().filter(|(id, _)| valid(id)) {
        body.extend_from_slice(id.as_bytes());
        body.extend_from_slice(&synchsafe(text.len() + 2));
        body.extend_from_slice(&[0, 0, 3]); // no flags, UTF-8
        body.extend_from_slice(text.as_bytes());
        body.push(0);
    }
    let mut out = Vec::with_capacity(10 + body.len());
    out.extend_from_slice(b"ID3\x04\x00\x00");
    out.extend_from_slice(&synchsafe(body.len()));
    out.extend_from_slice(&body);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_txxx_tag() {
        let tag = txxx_tag("", b"hello");
        assert_eq!(&tag[..], b"ID3\x04\x00\x00\x00\x00\x00\x11TXXX\x00\x00\x00\x07\x00\x00\x03\x00hello");
        // Sizes above 127 spread over the low seven bits of each byte.
        let long = txxx_tag("d", &[b'x'; 1000]);
        // The tag size (a 10-byte frame header and 1003 bytes of body) is 1013 = 7·128 + 117.
        assert_eq!(&long[6..10], &[0, 0, 7, 117]);
        assert_eq!(&long[14..18], &[0, 0, 7, 107]);
        assert_eq!(long.len(), 10 + 10 + 1003);
    }

    #[test]
    fn text_frames_as_an_ivs_recording_writes_them() {
        let tag = text_tag(&[("TRCK", "0"), ("TDTG", "2023-02-09T22:55:41"), ("bad", "x")]);
        // The frames' bytes as in the sample recording's first sub-segment tag.
        let mut want = b"ID3\x04\x00\x00\x00\x00\x00\x2c".to_vec();
        want.extend_from_slice(b"TRCK\x00\x00\x00\x03\x00\x00\x030\x00");
        want.extend_from_slice(b"TDTG\x00\x00\x00\x15\x00\x00\x032023-02-09T22:55:41\x00");
        assert_eq!(&tag[..], &want[..]);
        assert_eq!(&text_tag(&[])[..], &EMPTY_TAG[..]);
    }
}
