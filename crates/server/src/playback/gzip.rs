//! Gzip of per-viewer media playlists without compressing each one.
//!
//! Browsers ask for gzip, and every viewer's playlist differs only in its session suffix, repeated
//! after each URI. Compressing the whole text per request made a playlist request about five times
//! dearer (`wrk` with `Accept-Encoding: gzip`: 22,000 req/s against 112,000 without). So the fixed
//! text is compressed once per snapshot and suffix length, and a request only stitches DEFLATE
//! blocks together (RFC 1951):
//!
//! - The text between two URIs' ends ("pieces") is compressed by one raw-DEFLATE stream, each piece
//!   ended with a sync flush (so it ends on a byte boundary), with the suffix's place taken by as many
//!   `0xFF` bytes, whose compressed bytes are thrown away. A back-reference in a later piece may reach
//!   into earlier pieces (the distances hold, the real suffix being as long as the filler) but never
//!   into the filler: it is made of a byte that UTF-8 text never contains, so no match can cover it.
//! - Per request, the first suffix goes in as a stored block, and every later one as a fixed-Huffman
//!   block copying the previous suffix (one back-reference up to 258 bytes, more beyond), then an empty stored block to get
//!   back to a byte boundary. Then the final empty block, the CRC-32 of the whole text and its length.
//!
//! The result is a few hundred bytes bigger than compressing the whole text at once and costs about
//! a copy of the compressed bytes.

use flate2::{Compress, Compression, FlushCompress};
use openivs_media::hls::Spliced;

/// The suffix lengths a snapshot keeps precompressed forms for. Viewers' session values differ in
/// length by the digits of their random 64-bit id (19 or 20 for 95 % of them, fewer for the rest)
/// and base64's rounding: three or four lengths in practice, each form about 1 KB.
pub const MAX_FORMS: usize = 8;

/// The fixed text of a playlist, compressed for suffixes of one length.
pub struct Pieces {
    /// Each piece's raw DEFLATE bytes (byte aligned at both ends), one more than there are slots.
    deflated: Vec<Vec<u8>>,
    /// The pieces' text, for the CRC.
    text: Vec<std::ops::Range<usize>>,
    /// Output offset of each slot's suffix, for the back-references.
    suffix_at: Vec<usize>,
    suffix_len: usize,
}

impl Pieces {
    /// Compresses `s`'s text for suffixes of `suffix_len` bytes (at least 3, at most what a few
    /// back-references cover); `None` when that cannot be done this way.
    pub fn new(s: &Spliced, suffix_len: usize) -> Option<Pieces> {
        if !(3..=1024).contains(&suffix_len) {
            return None;
        }
        let (text, slots) = (s.text(), s.slots());
        let suffix_at = slots.iter().enumerate().map(|(i, &at)| at + i * suffix_len).collect::<Vec<_>>();
        // Each back-reference reaches the previous suffix, within DEFLATE's 32 KB window.
        if suffix_at.windows(2).any(|w| w[1] - w[0] > 32_768) {
            return None;
        }
        let mut c = Compress::new(Compression::fast(), false);
        let filler = vec![0xFFu8; suffix_len];
        let mut deflated = Vec::with_capacity(slots.len() + 1);
        let mut ranges = Vec::with_capacity(slots.len() + 1);
        let mut from = 0;
        for (i, &at) in slots.iter().chain(std::iter::once(&text.len())).enumerate() {
            deflated.push(deflate(&mut c, &text.as_bytes()[from..at])?);
            ranges.push(from..at);
            if i < slots.len() {
                deflate(&mut c, &filler)?;
            }
            from = at;
        }
        Some(Pieces { deflated, text: ranges, suffix_at, suffix_len })
    }

    /// The gzip member of `s`'s text with `suffix` after every URI (`s` is what this was made from).
    pub fn gzip(&self, s: &Spliced, suffix: &str) -> Option<Vec<u8>> {
        let suffix = suffix.as_bytes();
        if suffix.len() != self.suffix_len {
            return None;
        }
        let text = s.text().as_bytes();
        let size: usize = self.deflated.iter().map(Vec::len).sum();
        let mut out = Vec::with_capacity(size + 32 + suffix.len() + self.suffix_at.len() * 12);
        // ID1 ID2, CM deflate, no flags, no mtime, XFL 0, OS unknown (RFC 1952 §2.3).
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
        let mut crc = crc32fast::Hasher::new();
        for (i, (piece, range)) in self.deflated.iter().zip(&self.text).enumerate() {
            out.extend_from_slice(piece);
            crc.update(&text[range.clone()]);
            if i == self.suffix_at.len() {
                break;
            }
            crc.update(suffix);
            if i == 0 {
                stored(&mut out, suffix);
            } else {
                back_reference(&mut out, self.suffix_len, self.suffix_at[i] - self.suffix_at[i - 1]);
            }
        }
        // The final block: fixed Huffman, end of block at once (BFINAL 1, BTYPE 01, code 256).
        out.extend_from_slice(&[0x03, 0x00]);
        let len = text.len() + suffix.len() * self.suffix_at.len();
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        out.extend_from_slice(&(len as u32).to_le_bytes());
        Some(out)
    }
}

/// What a snapshot keeps for one suffix length.
enum Form {
    /// No suffix: the whole member, the same for every viewer.
    Whole(Vec<u8>),
    Pieces(Pieces),
    /// A length [`Pieces`] cannot do: compressed per request.
    PerRequest,
}

/// A snapshot's precompressed media playlist, for the few suffix lengths its viewers have.
#[derive(Default)]
pub struct Forms(std::sync::Mutex<Vec<(usize, std::sync::Arc<Form>)>>);

impl Forms {
    /// The gzip member of `s` (the snapshot's rendered playlist) with `suffix` after every URI, from
    /// the form for the suffix's length (made by the first request that needs it); `None` when the
    /// caller should compress the text itself.
    pub fn gzip(&self, s: &Spliced, suffix: &str) -> Option<Vec<u8>> {
        let form = {
            let mut forms = crate::ingest::registry::lock(&self.0);
            match forms.iter().find(|f| f.0 == suffix.len()) {
                Some(f) => f.1.clone(),
                None if forms.len() < MAX_FORMS => {
                    let form = std::sync::Arc::new(if suffix.is_empty() {
                        whole(s.text().as_bytes()).map_or(Form::PerRequest, Form::Whole)
                    } else {
                        Pieces::new(s, suffix.len()).map_or(Form::PerRequest, Form::Pieces)
                    });
                    forms.push((suffix.len(), form.clone()));
                    form
                }
                None => return None,
            }
        };
        match &*form {
            Form::Whole(z) => Some(z.clone()),
            Form::Pieces(p) => p.gzip(s, suffix),
            Form::PerRequest => None,
        }
    }
}

/// `data` as one gzip member.
pub fn whole(data: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 4), Compression::fast());
    enc.write_all(data).ok()?;
    enc.finish().ok()
}

/// Compresses `data` and sync-flushes: all of it out, ending on a byte boundary.
fn deflate(c: &mut Compress, data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    let start_in = c.total_in();
    // Each round at least doubles the room; a compressor that stopped making progress gives up.
    for _ in 0..64 {
        let fed = (c.total_in() - start_in) as usize;
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(256));
        }
        c.compress_vec(&data[fed..], &mut out, FlushCompress::Sync).ok()?;
        // Flushed when all the input is in and the call had room to spare.
        if (c.total_in() - start_in) as usize == data.len() && out.len() < out.capacity() {
            return Some(out);
        }
    }
    None
}

/// A stored (uncompressed) block holding `data`, from a byte boundary (at most 65,535 bytes).
fn stored(out: &mut Vec<u8>, data: &[u8]) {
    let len = data.len() as u16;
    out.push(0); // BFINAL 0, BTYPE 00, then the bits up to the byte boundary.
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
}

/// Bits written least significant first, as DEFLATE packs them.
struct Bits<'a> {
    out: &'a mut Vec<u8>,
    acc: u32,
    n: u32,
}

impl Bits<'_> {
    fn put(&mut self, value: u32, bits: u32) {
        self.acc |= value << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code: its most significant bit first.
    fn code(&mut self, code: u32, bits: u32) {
        let reversed = code.reverse_bits() >> (32 - bits);
        self.put(reversed, bits);
    }

    /// Pads to the byte boundary with zero bits.
    fn align(&mut self) {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.acc = 0;
        self.n = 0;
    }
}

const LEN_BASE: [u32; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
    227, 258,
];
const LEN_EXTRA: [u32; 29] =
    [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE: [u32; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
    4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u32; 30] =
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

/// A fixed-Huffman block copying `len` bytes from `distance` back, then an empty stored block so the
/// next piece starts on a byte boundary.
fn back_reference(out: &mut Vec<u8>, mut len: usize, distance: usize) {
    let mut b = Bits { out, acc: 0, n: 0 };
    b.put(0b010, 3); // BFINAL 0, BTYPE 01 (fixed Huffman codes)
    while len > 0 {
        // At most 258 per match, and never leave fewer than 3 for the next one.
        let take = if len > 258 { if len - 258 < 3 { len - 3 } else { 258 } } else { len };
        len -= take;
        let i = LEN_BASE.iter().rposition(|&base| base as usize <= take).unwrap_or(0);
        let i = if take == 258 { 28 } else { i.min(27) };
        let symbol = 257 + i as u32;
        // Literal/length symbols 256-279 have 7-bit codes from 0, 280-287 8-bit codes from 0xC0.
        if symbol <= 279 {
            b.code(symbol - 256, 7);
        } else {
            b.code(0xC0 + symbol - 280, 8);
        }
        b.put(take as u32 - LEN_BASE[i], LEN_EXTRA[i]);
        let d = DIST_BASE.iter().rposition(|&base| base as usize <= distance).unwrap_or(0);
        b.code(d as u32, 5);
        b.put(distance as u32 - DIST_BASE[d], DIST_EXTRA[d]);
    }
    b.code(0, 7); // end of block
    b.put(0b000, 3); // BFINAL 0, BTYPE 00: an empty stored block
    b.align();
    b.out.extend_from_slice(&[0x00, 0x00, 0xFF, 0xFF]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(data: &[u8]) -> String {
        let mut s = String::new();
        flate2::read::GzDecoder::new(data).read_to_string(&mut s).expect("a valid gzip member");
        s
    }

    fn check(s: &Spliced, suffix: &str) -> usize {
        let pieces = Pieces::new(s, suffix.len()).expect("precompressed");
        let zipped = pieces.gzip(s, suffix).expect("gzip");
        assert_eq!(gunzip(&zipped), s.with_suffix(suffix));
        zipped.len()
    }

    #[test]
    fn stitched_members_decompress_to_the_spliced_text() {
        let suffix =
            "?session=eyJpIjoxNjgwNDg2MDYwNDM2NjY3MzY3MCwiZSI6MTc5NTczODg0NX0.OdlcxGcRFtmxrLi3XWh8wQ";
        let mut text = String::from("#EXTM3U\n#EXT-X-VERSION:9\n");
        let mut slots = Vec::new();
        for seq in 100..108 {
            text.push_str(&format!(
                "#EXT-X-PROGRAM-DATE-TIME:2026-11-27T00:00:{seq:02}.000Z\n#EXTINF:2.000,\n"
            ));
            text.push_str(&format!("{seq}.ts"));
            slots.push(text.len());
            text.push('\n');
        }
        let s = Spliced::from_parts(text, slots);
        let size = check(&s, suffix);
        let whole = {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(s.with_suffix(suffix).as_bytes()).unwrap();
            e.finish().unwrap().len()
        };
        assert!(size < s.with_suffix(suffix).len() / 2, "{size} bytes: it still compresses");
        assert!(size < whole + 40 * s.uris(), "{size} against {whole} for the whole text");
        // Other lengths, the shortest, and long ones spanning several matches.
        for len in [3, 4, 257, 258, 259, 260, 261, 516, 517, 1024] {
            check(&s, &"x".repeat(len));
        }
        assert!(Pieces::new(&s, 2).is_none() && Pieces::new(&s, 1025).is_none());
        assert!(Pieces::new(&s, 10).unwrap().gzip(&s, "too short").is_none(), "other lengths refused");
    }

    #[test]
    fn forms_per_suffix_length() {
        let s = Spliced::from_parts("#EXTM3U\n1.ts\n2.ts\n".into(), vec![12, 17]);
        let forms = Forms::default();
        for suffix in
            ["", "?session=abc", "?session=abcd", "", "?session=abc", "?s=1", "xy", "?session=abcde"]
        {
            match forms.gzip(&s, suffix) {
                Some(z) => assert_eq!(gunzip(&z), s.with_suffix(suffix)),
                // A fifth length, or one too short to copy: the caller compresses.
                None => assert!(suffix == "?session=abcde" || suffix.len() < 3, "{suffix}"),
            }
        }
    }

    #[test]
    fn every_distance_and_text_shape() {
        // Slots at the very start, back to back and at the end; text that repeats the suffix's bytes.
        let cases: [(&str, Vec<usize>); 4] = [
            ("abcabcabc", vec![0, 3, 3, 9]),
            ("", vec![0]),
            ("no slots at all", vec![]),
            ("?s=xyz?s=xyz", vec![6, 12]),
        ];
        for (text, slots) in cases {
            let s = Spliced::from_parts(text.to_string(), slots);
            check(&s, "?s=xyz");
        }
        // Distances across every distance code (up to 32 KB between suffixes).
        for gap in [1usize, 5, 9, 17, 33, 65, 129, 257, 513, 1025, 2049, 4097, 8193, 16385, 32_000] {
            let text: String = (0..2 * gap + 10).map(|i| (b'a' + (i * 7 % 26) as u8) as char).collect();
            let s = Spliced::from_parts(text, vec![0, gap, 2 * gap]);
            check(&s, "0123456789");
        }
        let far = Spliced::from_parts("y".repeat(70_000), vec![0, 40_000]);
        assert!(Pieces::new(&far, 10).is_none(), "beyond DEFLATE's window");
    }
}
