//! The SRT stream id of a publisher: the stream key itself, as IVS documents
//! (`srt://host:9000?streamid=<streamKey>&passphrase=…`), or the key in SRT's access-control syntax
//! (Haivision `docs/features/access-control.md`): `#!::u=<key>,…` (IVS's form for stream takeover,
//! `#!::u=<key>,priority=N`) or `#!::r=<key>,m=publish` (SRS's and ZLMediaKit's form). A mode other
//! than `publish` is refused: ingest takes publishers only.

/// Why a stream id was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StreamIdError {
    /// No stream id, or one that names no key.
    #[error("the stream id names no stream key")]
    NoKey,
    /// `m=request` or `m=bidirectional`: a player, not a publisher.
    #[error("ingest accepts publishers only (m=publish)")]
    NotPublish,
    /// An access-control entry without `=`.
    #[error("malformed access-control stream id")]
    Malformed,
}

/// What the stream id asks for.
#[derive(Clone, PartialEq, Eq)]
pub struct Publish {
    /// The stream key. A secret: never log it.
    pub key: String,
    /// `priority=N` (IVS stream takeover), if given.
    pub priority: Option<u32>,
}

impl std::fmt::Debug for Publish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publish").field("key", &"<redacted>").field("priority", &self.priority).finish()
    }
}

/// Parses a stream id. Percent-escapes are decoded first (libsrt passes the id as given, and some
/// clients escape `#` as `%23` in their URL; stream keys have no `%`).
pub fn parse(stream_id: &str) -> Result<Publish, StreamIdError> {
    let decoded = percent_decode(stream_id);
    let stream_id = decoded.as_str();
    let Some(entries) = stream_id.strip_prefix("#!::") else {
        let key = stream_id.trim();
        if key.is_empty() {
            return Err(StreamIdError::NoKey);
        }
        return Ok(Publish { key: key.to_string(), priority: None });
    };
    let (mut user, mut resource, mut priority) = (None, None, None);
    for entry in entries.split(',').filter(|e| !e.is_empty()) {
        let (k, v) = entry.split_once('=').ok_or(StreamIdError::Malformed)?;
        match k.trim() {
            "u" => user = Some(v.trim()),
            "r" => resource = Some(v.trim()),
            "m" if v.trim() != "publish" => return Err(StreamIdError::NotPublish),
            "priority" => priority = v.trim().parse().ok(),
            _ => {}
        }
    }
    // The key is the user when there is one (IVS), else the resource (SRS-style `r=<key>`); a
    // resource path (`live/<key>`) names the key last.
    let key = user
        .filter(|u| !u.is_empty())
        .or_else(|| resource.and_then(|r| r.rsplit('/').next()))
        .filter(|k| !k.is_empty())
        .ok_or(StreamIdError::NoKey)?;
    Ok(Publish { key: key.to_string(), priority })
}

/// `%XX` escapes decoded (a malformed escape stays as it is).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Result<String, StreamIdError> {
        parse(s).map(|p| p.key)
    }

    #[test]
    fn the_forms_ivs_and_the_access_control_convention_use() {
        let k = "sk_us-west-2_abcDEF123_xyz";
        assert_eq!(key(k).unwrap(), k);
        assert_eq!(key(&format!("#!::u={k}")).unwrap(), k);
        let p = parse(&format!("#!::u={k},priority=3")).unwrap();
        assert_eq!((p.key.as_str(), p.priority), (k, Some(3)));
        assert_eq!(key(&format!("#!::r={k},m=publish")).unwrap(), k);
        assert_eq!(key(&format!("#!::r=live/{k},m=publish")).unwrap(), k);
        assert_eq!(key(&format!("#!::h=example.com,u={k},r=ignored,s=abc,t=stream")).unwrap(), k);
        assert_eq!(key(&format!("%23!::u={k},priority=1")).unwrap(), k, "escaped as in a URL");
        assert_eq!(key("%zz%2"), Ok("%zz%2".to_string()), "malformed escapes stay");
    }

    #[test]
    fn players_and_keyless_ids_are_refused() {
        assert_eq!(key(""), Err(StreamIdError::NoKey));
        assert_eq!(key("#!::"), Err(StreamIdError::NoKey));
        assert_eq!(key("#!::m=publish"), Err(StreamIdError::NoKey));
        assert_eq!(key("#!::u=,r="), Err(StreamIdError::NoKey));
        assert_eq!(key("#!::r=k,m=request"), Err(StreamIdError::NotPublish));
        assert_eq!(key("#!::r=k,m=bidirectional"), Err(StreamIdError::NotPublish));
        assert_eq!(key("#!::u"), Err(StreamIdError::Malformed));
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let p = parse("#!::u=sk_secret_value").unwrap();
        assert!(!format!("{p:?}").contains("secret"));
    }
}
