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
pub fn resource_id() -> String {
    alnum(12)
}

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
    }
}
