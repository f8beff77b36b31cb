//! Task 1 of SigV4: the canonical request, one small pure function per line of it.
//!
//! ```text
//! CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n
//!                    CanonicalHeaders \n SignedHeaders \n HashedPayload
//! ```
//!
//! The rules are those of "Create a canonical request" in the AWS SigV4 documentation, for
//! every service except S3 (S3 neither normalizes nor double-encodes the path; IVS is not S3).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};

/// Everything except the RFC 3986 unreserved set `A-Z a-z 0-9 - _ . ~` is encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    crate::hex::encode(ring::digest::digest(&ring::digest::SHA256, data))
}

/// SigV4's `UriEncode`: percent-encode every byte outside `A-Za-z0-9-_.~`, with uppercase
/// hex digits. `/` is encoded too; path segments are encoded one at a time so the slashes
/// between them never reach this function.
pub fn uri_encode(input: &[u8]) -> String {
    percent_encode(input, UNRESERVED).to_string()
}

/// The canonical URI of a raw request path (the request target before `?`, exactly as it
/// was sent, still percent-encoded).
///
/// Why double encoding: for every service but S3, the SDKs take the path *after* they
/// percent-encoded it for the wire and `UriEncode` each segment again, so
/// `/tags/arn%3Aaws%3Aivs…` becomes `/tags/arn%253Aaws%253Aivs…` in the canonical request.
/// A server must therefore use the raw path, never a decoded router path.
///
/// Why normalization: the SDKs (botocore, JS v3, the Rust SDK) also drop empty and `.`
/// segments and resolve `..` before encoding, keeping a trailing slash, so `//example//`
/// signs as `/example/`. An empty path is `/`.
pub fn canonical_uri(raw_path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(raw_path.len() * 2 + 1);
    for segment in &segments {
        out.push('/');
        out.push_str(&uri_encode(segment.as_bytes()));
    }
    if segments.is_empty() || raw_path.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query string of a raw query (after `?`, without it, still encoded).
///
/// Each `name=value` pair is percent-decoded and encoded again with [`uri_encode`], so
/// a client's spelling (`%7e` vs `~`, lowercase hex) does not matter; a literal `+` stays
/// a `+` (encoded `%2B`), as in the SDKs, not a form-encoded space. A name without `=`
/// gets an empty value. Pairs are sorted by encoded name, then encoded value, and repeated
/// names are all kept (`tagKeys=k1&tagKeys=k2`).
pub fn canonical_query_string(raw_query: &str) -> String {
    canonical_query_filtered(raw_query, |_| true)
}

/// The canonical query string of a presigned URL: as [`canonical_query_string`], but
/// without `X-Amz-Signature`, which cannot sign itself.
pub fn presigned_canonical_query_string(raw_query: &str) -> String {
    canonical_query_filtered(raw_query, |name| name != b"X-Amz-Signature")
}

fn canonical_query_filtered(raw_query: &str, keep: impl Fn(&[u8]) -> bool) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .filter_map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            let name: Vec<u8> = percent_decode_str(name).collect();
            if !keep(&name) {
                return None;
            }
            let value: Vec<u8> = percent_decode_str(value).collect();
            Some((uri_encode(&name), uri_encode(&value)))
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(raw_query.len() + 16);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// A header value as it appears in the canonical headers: trimmed, with every run of
/// whitespace inside it collapsed to one space (even inside quotes, as the test suite's
/// `get-header-value-trim` shows).
pub fn normalize_header_value(value: &str) -> String {
    value.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// The lowercase, sorted, de-duplicated names of `headers`: what a client signs.
pub fn signed_header_names(headers: &[(&str, &str)]) -> Vec<String> {
    let mut names: Vec<String> = headers.iter().map(|(name, _)| name.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    names
}

/// The `SignedHeaders` line: the names joined by `;`.
pub fn signed_headers_line<S: AsRef<str>>(names: &[S]) -> String {
    names.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(";")
}

/// The canonical headers block for the headers named in `signed` (lowercase, in that
/// order): one `name:value\n` line each, where a name sent several times has its
/// normalized values joined by `,` in arrival order. Header names match case-insensitively;
/// headers not named are ignored, which is what lets a proxy add headers without breaking
/// the signature. A named header that is absent yields an empty value (and a mismatch).
pub fn canonical_headers<S: AsRef<str>>(headers: &[(&str, &str)], signed: &[S]) -> String {
    let mut out = String::new();
    for name in signed {
        let name = name.as_ref();
        let values: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| normalize_header_value(v))
            .collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// The hashed payload: the `x-amz-content-sha256` value the client signed when it sent
/// one (for example `UNSIGNED-PAYLOAD`), else the hex SHA-256 of the body.
pub fn hashed_payload(body: &[u8], content_sha256: Option<&str>) -> String {
    match content_sha256 {
        Some(value) => value.to_owned(),
        None => sha256_hex(body),
    }
}

/// Joins the six parts. `canonical_headers` already ends each line with `\n`, which is
/// why a canonical request always shows an empty line before the signed headers.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    hashed_payload: &str,
) -> String {
    format!(
        "{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{hashed_payload}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encode_keeps_only_unreserved() {
        assert_eq!(uri_encode(b"a b/c~d-e_f.g"), "a%20b%2Fc~d-e_f.g");
        assert_eq!(uri_encode("ሴ".as_bytes()), "%E1%88%B4");
        assert_eq!(uri_encode(b"%2F"), "%252F");
    }

    #[test]
    fn canonical_uri_normalizes_then_double_encodes() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("//"), "/");
        assert_eq!(canonical_uri("//example//"), "/example/");
        assert_eq!(canonical_uri("/example1/example2/../.."), "/");
        assert_eq!(canonical_uri("/./example"), "/example");
        assert_eq!(canonical_uri("/a%2Fb"), "/a%252Fb");
        assert_eq!(canonical_uri("/ListChannels"), "/ListChannels");
    }

    #[test]
    fn canonical_query_sorts_reencodes_and_keeps_repeats() {
        assert_eq!(canonical_query_string(""), "");
        assert_eq!(canonical_query_string("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(canonical_query_string("k=%7e%2f&flag"), "flag=&k=~%2F");
        assert_eq!(canonical_query_string("c+d"), "c%2Bd=");
        assert_eq!(canonical_query_string("a=%zz"), "a=%25zz");
        assert_eq!(presigned_canonical_query_string("X-Amz-Signature=ab&X-Amz-Date=1"), "X-Amz-Date=1");
    }

    #[test]
    fn headers_are_lowercased_trimmed_and_joined() {
        let headers =
            [("Host", "example.com"), ("My-Header", "  a   b "), ("my-header", "c"), ("Unsigned", "x")];
        let names = ["host", "my-header"];
        assert_eq!(canonical_headers(&headers, &names), "host:example.com\nmy-header:a b,c\n");
        assert_eq!(signed_header_names(&headers[..3]), vec!["host".to_owned(), "my-header".to_owned()]);
        assert_eq!(signed_headers_line(&names), "host;my-header");
    }
}
