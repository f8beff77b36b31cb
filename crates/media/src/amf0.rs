//! AMF0 (AMF0 spec §2): a bounded decoder for metadata, and the structural check every command and
//! data payload passes before it reaches scuffle-amf0's decoder.
//!
//! That decoder pre-allocates arrays and objects from the counts on the wire and recurses into nested
//! values, so a 20-byte command announcing 4 billion elements, or a few kilobytes of nested objects,
//! would abort the whole process (allocation failure, stack overflow), before any stream key is even
//! checked. Here every count must fit in the bytes that remain, nesting is capped, and reserved or
//! AMF3 markers are refused. (scuffle-amf0 also reads an ECMA array's count as exact and misses its
//! end marker, which breaks ffmpeg's `onMetaData`; metadata is therefore decoded here.)

/// Deepest nesting of objects and arrays accepted (real commands and metadata use two or three).
pub const MAX_DEPTH: usize = 16;

/// An AMF0 value, as far as openivs reads them (metadata).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Number (and Date, its milliseconds).
    Number(f64),
    /// Boolean.
    Boolean(bool),
    /// String, long string or XML document.
    String(String),
    /// Object, typed object or ECMA array: its properties in order.
    Object(Vec<(String, Value)>),
    /// Strict array.
    Array(Vec<Value>),
    /// Null, undefined, unsupported, reference.
    Null,
}

impl Value {
    /// A property of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(props) => props.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// True when `data` is a sequence of well-formed AMF0 values within the limits.
pub fn is_sane(data: &[u8]) -> bool {
    decode(data).is_some()
}

/// Longest command payload handed to scuffle-amf0 (real commands are a few hundred bytes).
pub const MAX_COMMAND_LEN: usize = 16 * 1024;

/// True when scuffle-amf0's decoder can be given `data` safely: it is short, and walked the way that
/// decoder reads it, every value is complete and nesting is capped. Since the decoder then reads
/// exactly what was walked, what it pre-allocates from counts is backed by bytes that are really
/// there. The walk copies two quirks of scuffle-amf0 0.2.4 that make its reading part ways with
/// [`decode`]'s: an ECMA array is read as exactly its count of pairs (an end marker only maybe after
/// them), and the marker byte it peeks at after those pairs is kept for the next *marker* read while
/// raw reads (names, lengths) carry on after it. Fuzzing found both gaps (`fuzz_targets/amf0.rs`; the
/// inputs are regression tests below): strict arrays of 2^27 and more elements, pre-allocated, where
/// [`decode`] had read the bytes as part of a name.
pub fn is_safe_command(data: &[u8]) -> bool {
    if data.len() > MAX_COMMAND_LEN {
        return false;
    }
    let mut w = ScuffleWalk { data, pos: 0, pending: None };
    loop {
        match w.peek_marker() {
            Err(Eof) => return true,
            Err(Invalid) => return false,
            Ok(_) => {}
        }
        if w.value(0).is_err() {
            return false;
        }
    }
}

/// Why a walk stopped.
enum Stop {
    Eof,
    Invalid,
}
use Stop::{Eof, Invalid};

/// The end of the input inside a value is a failure too.
fn must<T>(r: Result<T, Stop>) -> Result<T, Stop> {
    r.map_err(|_| Invalid)
}

/// scuffle-amf0 0.2.4's `Amf0Decoder`, reading without building anything.
struct ScuffleWalk<'a> {
    data: &'a [u8],
    pos: usize,
    /// A marker read by a peek, returned by the next marker read (raw reads go on after it).
    pending: Option<u8>,
}

impl ScuffleWalk<'_> {
    fn raw(&mut self, n: usize) -> Result<&[u8], Stop> {
        let end = self.pos.checked_add(n).ok_or(Invalid)?;
        let s = self.data.get(self.pos..end).ok_or(Eof)?;
        self.pos = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<usize, Stop> {
        self.raw(2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn u32(&mut self) -> Result<usize, Stop> {
        let b = self.raw(4)?;
        usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])).map_err(|_| Invalid)
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// `read_marker`: the pending one, or the next byte; unknown markers (above 0x11) fail.
    fn read_marker(&mut self) -> Result<u8, Stop> {
        let m = match self.pending.take() {
            Some(m) => m,
            None => self.raw(1)?[0],
        };
        if m > 0x11 { Err(Invalid) } else { Ok(m) }
    }

    fn peek_marker(&mut self) -> Result<u8, Stop> {
        let m = self.read_marker()?;
        self.pending = Some(m);
        Ok(m)
    }

    /// A `u16`-length string (names, `decode_normal_string`).
    fn name(&mut self) -> Result<(), Stop> {
        let n = must(self.u16())?;
        must(self.raw(n)).map(drop)
    }

    /// `decode_value`; any stop inside a value is a failure.
    fn value(&mut self, depth: usize) -> Result<(), Stop> {
        if depth > MAX_DEPTH {
            return Err(Invalid);
        }
        match must(self.read_marker())? {
            0 => must(self.raw(8)).map(drop),
            1 => must(self.raw(1)).map(drop),
            11 => must(self.raw(10)).map(drop),
            2 => self.name(),
            12 | 15 => {
                let n = must(self.u32())?;
                must(self.raw(n)).map(drop)
            }
            5 | 6 => Ok(()),
            marker @ (3 | 16) => {
                if marker == 16 {
                    self.name()?;
                }
                loop {
                    let n = must(self.u16())?;
                    must(self.raw(n))?;
                    if n == 0 && must(self.peek_marker())? == 9 {
                        self.pending = None;
                        return Ok(());
                    }
                    self.value(depth + 1)?;
                }
            }
            8 => {
                let count = must(self.u32())?;
                // Pre-allocated by count; each pair takes at least a name length and a marker.
                if count > self.remaining() / 3 {
                    return Err(Invalid);
                }
                for _ in 0..count {
                    self.name()?;
                    self.value(depth + 1)?;
                }
                match self.peek_marker() {
                    Ok(9) => self.pending = None,
                    Ok(_) | Err(Eof) => {}
                    Err(Invalid) => return Err(Invalid),
                }
                Ok(())
            }
            10 => {
                let count = must(self.u32())?;
                if count > self.remaining() + usize::from(self.pending.is_some()) {
                    return Err(Invalid);
                }
                (0..count).try_for_each(|_| self.value(depth + 1))
            }
            _ => Err(Invalid),
        }
    }
}

/// Decodes a sequence of AMF0 values; `None` when malformed or beyond the limits. Memory is bounded
/// by the input: every value takes at least one byte of it.
pub fn decode(data: &[u8]) -> Option<Vec<Value>> {
    let mut c = Cursor { data, pos: 0 };
    let mut out = Vec::new();
    while c.pos < data.len() {
        out.push(c.value(0)?);
    }
    Some(out)
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn u16(&mut self) -> Option<usize> {
        self.take(2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn u32(&mut self) -> Option<usize> {
        self.take(4).and_then(|b| usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok())
    }

    fn text(&mut self, n: usize) -> Option<String> {
        self.take(n).map(|b| String::from_utf8_lossy(b).into_owned())
    }

    fn number(&mut self) -> Option<f64> {
        let b = self.take(8)?;
        Some(f64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let marker = *self.take(1)?.first()?;
        Some(match marker {
            0 => Value::Number(self.number()?),
            1 => Value::Boolean(self.take(1)?.first()? != &0),
            2 => {
                let n = self.u16()?;
                Value::String(self.text(n)?)
            }
            3 => Value::Object(self.properties(depth)?),
            5 | 6 | 13 => Value::Null,
            7 => {
                self.u16()?;
                Value::Null
            }
            8 => {
                // ECMA array: a count (only a hint: scuffle-amf0 pre-allocates by it, so it must fit
                // in what remains), then properties up to the end marker, as in an object.
                let hint = self.u32()?;
                if hint > self.remaining() {
                    return None;
                }
                Value::Object(self.properties(depth)?)
            }
            10 => {
                let count = self.u32()?;
                if count > self.remaining() {
                    return None;
                }
                Value::Array((0..count).map(|_| self.value(depth + 1)).collect::<Option<_>>()?)
            }
            11 => {
                let ms = self.number()?;
                self.take(2)?;
                Value::Number(ms)
            }
            12 | 15 => {
                let n = self.u32()?;
                Value::String(self.text(n)?)
            }
            16 => {
                let n = self.u16()?;
                self.take(n)?;
                Value::Object(self.properties(depth)?)
            }
            // 4 movieclip, 9 object end out of place, 14 recordset, 17 AMF3 switch, anything else.
            _ => return None,
        })
    }

    /// `(u16 name, value)*` up to the empty name and object-end marker.
    fn properties(&mut self, depth: usize) -> Option<Vec<(String, Value)>> {
        let mut props = Vec::new();
        loop {
            let n = self.u16()?;
            if n == 0 && self.data.get(self.pos) == Some(&9) {
                self.pos += 1;
                return Some(props);
            }
            let key = self.text(n)?;
            props.push((key, self.value(depth + 1)?));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use scuffle_amf0::{Amf0Decoder, Amf0Value, encoder::Amf0Encoder};

    fn encode(v: &Amf0Value<'static>) -> Vec<u8> {
        let mut out = Vec::new();
        v.encode(&mut Amf0Encoder::new(&mut out)).unwrap();
        out
    }

    #[test]
    fn real_commands_pass() {
        let obj: scuffle_amf0::Amf0Object = [
            ("app".into(), Amf0Value::String("app".into())),
            ("tcUrl".into(), Amf0Value::String("rtmp://127.0.0.1/app".into())),
            ("fpad".into(), Amf0Value::Boolean(false)),
            ("audioCodecs".into(), Amf0Value::Number(4071.0)),
        ]
        .into_iter()
        .collect();
        let mut data = encode(&Amf0Value::String("connect".into()));
        data.extend(encode(&Amf0Value::Number(1.0)));
        data.extend(encode(&Amf0Value::Object(obj)));
        data.extend(encode(&Amf0Value::Null));
        data.extend(encode(&Amf0Value::Array(vec![Amf0Value::Number(1.0)].into())));
        assert!(is_sane(&data));
        // ECMA array, as ffmpeg writes onMetaData.
        let mut ecma = vec![8, 0, 0, 0, 1, 0, 5, b'w', b'i', b'd', b't', b'h', 0];
        ecma.extend(640f64.to_be_bytes());
        ecma.extend([0, 0, 9]);
        assert!(is_sane(&ecma));
    }

    #[test]
    fn hostile_counts_and_nesting_fail() {
        assert!(!is_sane(&[10, 0xff, 0xff, 0xff, 0xff, 5]), "strict array of 4 billion");
        assert!(!is_sane(&[8, 0xff, 0xff, 0xff, 0xff, 0, 0, 9]), "ECMA array hint of 4 billion");
        assert!(!is_sane(&[2, 0, 10, b'a']), "string past the end");
        let mut deep = Vec::new();
        for _ in 0..1000 {
            deep.extend([3, 0, 1, b'a']);
        }
        assert!(!is_sane(&deep), "deep nesting");
        assert!(!is_sane(&[17, 1]), "AMF3");
    }

    /// Found by `cargo fuzz run amf0` (fuzz/fuzz_targets/amf0.rs): `is_sane` passes it, but
    /// scuffle-amf0 reads its ECMA array by count and then meets a strict array announcing 2^27
    /// elements, which it pre-allocates (7.5 GB).
    const FUZZ_OOM_ECMA_COUNT: &[u8] = &[
        0x02, 0x00, 0x07, 0x63, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6f, 0x6e, 0x29, 0x00,
        0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x92, 0x00, 0x00, 0x09, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x0a, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x92, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x3b, 0x00, 0x00,
    ];

    /// Found by the same target after the first fix: an ECMA array inside an object; the marker
    /// scuffle-amf0 peeks at after the array's pairs is skipped by the raw read of the next name,
    /// so it meets a strict array of 2^29 elements (a 30 GB pre-allocation).
    const FUZZ_OOM_PEEKED_MARKER: &[u8] = &[
        0x02, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x10, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x7a, 0x00, 0x00, 0x00, 0x00, 0x09, 0x02, 0x00, 0x01, 0x00,
        0x00, 0x0a, 0x20, 0x00, 0x00, 0x20, 0x00, 0x87, 0x05, 0x0a, 0x00, 0x00, 0x00, 0x05, 0x05, 0x05, 0x02,
        0x00, 0x07, 0x63, 0x00, 0x00, 0x02, 0x30, 0x6a, 0x01, 0x00, 0x00, 0x06, 0x06, 0x06, 0x05, 0x05, 0x05,
        0x01, 0x05,
    ];

    #[test]
    fn fuzz_regressions_are_not_safe_commands() {
        assert!(is_sane(FUZZ_OOM_ECMA_COUNT), "the gap: our reading of it is fine");
        assert!(!is_safe_command(FUZZ_OOM_ECMA_COUNT));
        assert!(!is_safe_command(FUZZ_OOM_PEEKED_MARKER));
    }

    #[test]
    fn real_commands_are_safe_and_long_ones_are_not() {
        let mut connect = encode(&Amf0Value::String("connect".into()));
        connect.extend(encode(&Amf0Value::Number(1.0)));
        let obj: scuffle_amf0::Amf0Object =
            [("app".into(), Amf0Value::String("app".into()))].into_iter().collect();
        connect.extend(encode(&Amf0Value::Object(obj)));
        assert!(is_safe_command(&connect));
        // scuffle-amf0 reads an ECMA array as its count of pairs, then takes a lone 0x09 if one follows
        // (it does not expect the empty name before it, so the usual `00 00 09` ending fails there).
        let mut ecma = vec![8, 0, 0, 0, 1, 0, 1, b'a', 5, 9];
        assert!(is_safe_command(&ecma));
        assert!(is_safe_command(&ecma[..9]));
        assert!(!is_safe_command(&[&ecma[..9], &[0, 0, 9]].concat()));
        ecma[4] = 2;
        assert!(!is_safe_command(&ecma), "a count beyond the pairs present");
        let mut long = encode(&Amf0Value::String("x".repeat(MAX_COMMAND_LEN).into()));
        assert!(!is_safe_command(&long));
        long.truncate(3);
        assert!(!is_safe_command(&long));
    }

    proptest! {
        /// Whatever passes the command check, scuffle-amf0 decodes without aborting.
        #[test]
        fn safe_commands_decode_in_full(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            if is_safe_command(&b) {
                let _ = Amf0Decoder::from_slice(&b).decode_all();
            }
        }

        /// Whatever passes the check, scuffle-amf0 decodes without aborting.
        #[test]
        fn sane_payloads_decode_safely(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            if is_sane(&b) {
                let _ = Amf0Decoder::from_slice(&b).decode_all();
            }
        }

        #[test]
        fn arrays_with_arbitrary_counts(count: u32, tail in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut b = vec![10];
            b.extend(count.to_be_bytes());
            b.extend(tail);
            if is_sane(&b) {
                let _ = Amf0Decoder::from_slice(&b).decode_all();
            }
        }
    }
}
