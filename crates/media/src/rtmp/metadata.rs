//! `@setDataFrame("onMetaData", {…})` and `onMetaData({…})` data messages (AMF0), as ffmpeg, OBS and
//! librtmp send them before the first frame.

use crate::ingest::StreamMetadata;
use bytes::Bytes;
use scuffle_amf0::{Amf0Decoder, Amf0Value};

/// The metadata in an AMF0 data message, if it is `onMetaData`.
pub fn parse(data: Bytes) -> Option<StreamMetadata> {
    if !crate::amf0::is_sane(&data) {
        return None;
    }
    let values = Amf0Decoder::from_buf(data).decode_all().ok()?;
    let mut it = values.into_iter().peekable();
    if matches!(it.peek(), Some(Amf0Value::String(s)) if s.as_str() == "@setDataFrame") {
        it.next();
    }
    match it.next() {
        Some(Amf0Value::String(s)) if s.as_str() == "onMetaData" => {}
        _ => return None,
    }
    let Some(Amf0Value::Object(obj)) = it.next() else { return None };
    let get = |k: &'static str| obj.get(&scuffle_bytes_util::StringCow::from(k));
    let num = |k: &'static str| match get(k) {
        Some(Amf0Value::Number(n)) if n.is_finite() => Some(*n),
        _ => None,
    };
    let encoder = match get("encoder") {
        Some(Amf0Value::String(s)) => Some(s.as_str().chars().take(128).collect()),
        _ => None,
    };
    Some(StreamMetadata {
        encoder,
        width: num("width"),
        height: num("height"),
        frame_rate: num("framerate"),
        video_kbps: num("videodatarate"),
        audio_kbps: num("audiodatarate"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use scuffle_amf0::encoder::Amf0Encoder;

    fn encode(values: &[Amf0Value<'static>]) -> Bytes {
        let mut out = Vec::new();
        let mut enc = Amf0Encoder::new(&mut out);
        for v in values {
            v.encode(&mut enc).unwrap();
        }
        Bytes::from(out)
    }

    #[test]
    fn set_data_frame_on_metadata() {
        let obj = [
            ("encoder".into(), Amf0Value::String("Lavf59.27.100".into())),
            ("width".into(), Amf0Value::Number(640.0)),
            ("framerate".into(), Amf0Value::Number(30.0)),
        ]
        .into_iter()
        .collect();
        let data = encode(&[
            Amf0Value::String("@setDataFrame".into()),
            Amf0Value::String("onMetaData".into()),
            Amf0Value::Object(obj),
        ]);
        let m = parse(data).unwrap();
        assert_eq!(m.encoder.as_deref(), Some("Lavf59.27.100"));
        assert_eq!((m.width, m.frame_rate, m.height), (Some(640.0), Some(30.0), None));
        assert_eq!(parse(encode(&[Amf0Value::String("onCuePoint".into())])), None);
    }

    proptest! {
        #[test]
        fn arbitrary_data_never_panics(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(Bytes::from(b));
        }
    }
}
