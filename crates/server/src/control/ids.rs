//! Random identifiers and secrets from the operating system's CSPRNG: 12-character resource ids,
//! stream key values (`sk_<region>_<id>_<30 chars>`), SRT passphrases, stream ids (`st-` + 23).

/// Alphanumerics used by IVS ids and secrets.
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `n` random alphanumerics, uniformly distributed (rejection sampling avoids modulo bias).
pub fn alnum(n: usize) -> String {
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        getrandom::fill(&mut buf).expect("the OS random source is available");
        for &b in &buf {
            // 248 = 4 * 62: values at or above it would favour the first characters.
            if b < 248 && out.len() < n {
                out.push(char::from(ALNUM[usize::from(b % 62)]));
            }
        }
    }
    out
}

/// A resource id: 12 alphanumerics, as in every real IVS ARN.
///
/// The first 6 are the creation time in milliseconds (base 62, wrapping every 1.8 years) and the last 6
/// are random (62^6 ≈ 5.7e10 per millisecond). Ids made close in time sort close together, so the ARN
/// index takes new rows at a few hot pages instead of a random page each: that is what bounds write
/// throughput. ARNs are not secrets; stream key values, which are, stay fully random.
pub fn resource_id() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let mut t = (ms % 62u128.pow(6)) as u64;
    let mut head = [0u8; 6];
    for slot in head.iter_mut().rev() {
        *slot = ALNUM_SORTED[(t % 62) as usize];
        t /= 62;
    }
    let mut id = String::from_utf8_lossy(&head).into_owned();
    id.push_str(&alnum(6));
    id
}

/// The alphanumerics in byte order, so that time digits sort as numbers do.
const ALNUM_SORTED: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A stream key value for a stream-key resource id.
pub fn stream_key_value(region: &str, key_id: &str) -> String {
    format!("sk_{region}_{key_id}_{}", alnum(30))
}

/// An SRT passphrase (real ones are 60-80 alphanumerics).
pub fn srt_passphrase() -> String {
    alnum(64)
}

/// A stream id: `st-` and 23 alphanumerics (26 characters, the model's fixed length).
pub fn stream_id() -> String {
    format!("st-{}", alnum(23))
}

/// Random bytes.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the OS random source is available");
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = resource_id();
        assert_eq!(id.len(), 12);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        let key = stream_key_value("us-west-2", &id);
        assert!(key.starts_with(&format!("sk_us-west-2_{id}_")));
        assert_eq!(key.len(), "sk_us-west-2_".len() + 12 + 1 + 30);
        assert_eq!(stream_id().len(), 26);
        assert_ne!(resource_id(), resource_id());
        // Ids made later sort later (by their time digits), which keeps index inserts local.
        let first = resource_id();
        std::thread::sleep(std::time::Duration::from_millis(3));
        assert!(first[..6] < resource_id()[..6]);
    }
}
