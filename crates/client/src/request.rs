//! Builds the HTTP request of an operation from its input, by the operation table of the model
//! (restJson1 bindings, ivs-api.md §1): the method and URI template of the operation, path labels
//! percent-encoded (`/tags/{resourceArn}` → `/tags/arn%3Aaws%3Aivs%3A…`), list query members repeated
//! (`?tagKeys=a&tagKeys=b`), every other member in a JSON body (`{}` when a POST has none set), no body
//! for GET and DELETE. Then, for each attempt, the SigV4 headers.

use bytes::Bytes;
use openivs_model::{Location, OperationInfo};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::config::Config;
use crate::error::ConstructionError;
use crate::transport::HttpRequest;

/// Everything but the RFC 3986 unreserved characters is encoded, in labels and query values alike
/// (so the target is already in SigV4's canonical form).
pub(crate) const ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The values of an input's members bound to the URI, query string or headers (generated for every
/// input type; empty for those with JSON bodies only).
pub trait HttpBound {
    /// The value(s) of the member named `member` (model name), as text; empty when unset.
    fn bound_values(&self, member: &str) -> Vec<String> {
        let _ = member;
        Vec::new()
    }
}

/// The members of an output that travel in response headers (generated for every output type; only
/// the three batch operations have some).
pub trait HttpBoundOutput {
    /// Sets the header-bound members from the response's headers.
    fn read_headers(&mut self, headers: &http::HeaderMap) {
        let _ = headers;
    }
}

impl HttpBoundOutput for () {}

/// A header's value as text, if present and valid.
pub(crate) fn header_text(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// A request ready to be signed and sent (any number of times).
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    pub(crate) operation: &'static str,
    pub(crate) method: http::Method,
    /// `/path?query`, percent-encoded, base path of the endpoint included.
    pub(crate) target: String,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Bytes,
}

/// Builds the request of `input` for the operation `info`.
pub(crate) fn prepare<I: serde::Serialize + HttpBound>(
    info: &'static OperationInfo,
    input: &I,
    base_path: &str,
) -> Result<Prepared, ConstructionError> {
    let mut target = base_path.to_owned();
    let mut rest = info.uri;
    while let Some(open) = rest.find('{') {
        target.push_str(&rest[..open]);
        let close =
            rest[open..].find('}').map(|c| open + c).ok_or(ConstructionError::Uri(info.uri.into()))?;
        let label = rest[open + 1..close].trim_end_matches('+');
        let binding = info
            .bindings
            .iter()
            .find(|b| b.location == Location::Uri && b.name == label)
            .ok_or(ConstructionError::Uri(info.uri.into()))?;
        let value = input.bound_values(binding.member).into_iter().next().filter(|v| !v.is_empty());
        let value = value.ok_or(ConstructionError::MissingLabel(binding.member))?;
        target.extend(utf8_percent_encode(&value, ENCODE));
        rest = &rest[close + 1..];
    }
    target.push_str(rest);

    let mut query = String::new();
    let mut headers = Vec::new();
    for b in info.bindings {
        for value in input.bound_values(b.member) {
            match b.location {
                Location::Query => {
                    query.push(if query.is_empty() { '?' } else { '&' });
                    query.extend(utf8_percent_encode(b.name, ENCODE));
                    query.push('=');
                    query.extend(utf8_percent_encode(&value, ENCODE));
                }
                Location::Header => headers.push((b.name, value)),
                Location::Uri => {}
            }
        }
    }
    target.push_str(&query);

    let method = http::Method::from_bytes(info.method.as_bytes())
        .map_err(|e| ConstructionError::Uri(e.to_string()))?;
    let has_body = !matches!(method, http::Method::GET | http::Method::DELETE | http::Method::HEAD);
    let body = if has_body { Bytes::from(serde_json::to_vec(input)?) } else { Bytes::new() };
    if has_body {
        headers.push(("content-type", "application/json".into()));
    }
    Ok(Prepared { operation: info.name, method, target, headers, body })
}

/// Per-attempt values that travel with the request.
pub(crate) struct AttemptInfo<'a> {
    pub(crate) invocation_id: &'a str,
    pub(crate) attempt: u32,
    pub(crate) max_attempts: u32,
}

/// The signed HTTP request of one attempt.
pub(crate) fn signed(
    p: &Prepared,
    config: &Config,
    a: &AttemptInfo<'_>,
) -> Result<HttpRequest, ConstructionError> {
    let endpoint = &config.endpoint;
    let mut headers: Vec<(&str, String)> = vec![("host", endpoint.authority().to_owned())];
    if !p.body.is_empty() || p.method == http::Method::POST {
        headers.push(("content-length", p.body.len().to_string()));
    }
    headers.extend(p.headers.iter().map(|(k, v)| (*k, v.clone())));
    headers.push(("amz-sdk-invocation-id", a.invocation_id.to_owned()));
    headers.push(("amz-sdk-request", format!("attempt={}; max={}", a.attempt, a.max_attempts)));

    let creds = &config.credentials;
    let borrowed: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let req = openivs_sigv4::HttpRequest::from_target(p.method.as_str(), &p.target, &borrowed, &p.body);
    let params = openivs_sigv4::SigningParams {
        credentials: openivs_sigv4::Credentials {
            access_key_id: creds.access_key_id(),
            secret_access_key: creds.secret_access_key(),
            session_token: creds.session_token(),
        },
        region: &config.region,
        service: "ivs",
        time: std::time::SystemTime::now(),
    };
    let signature = openivs_sigv4::sign(&req, &params, openivs_sigv4::PayloadSigning::Hashed)?;

    let uri = format!("{}://{}{}", endpoint.scheme(), endpoint.authority(), p.target);
    let mut builder = http::Request::builder().method(p.method.clone()).uri(uri);
    for (k, v) in headers
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(signature.headers.iter().map(|(k, v)| (*k, v.as_str())))
    {
        builder = builder.header(k, v);
    }
    builder = builder.header("user-agent", concat!("openivs-client/", env!("CARGO_PKG_VERSION")));
    builder.body(p.body.clone()).map_err(|e| ConstructionError::Uri(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openivs_model::types::*;
    use openivs_model::{Operation, OperationInput};

    fn info<I: OperationInput>() -> &'static OperationInfo {
        I::OPERATION.info()
    }

    #[test]
    fn labels_are_encoded_and_list_query_members_repeat() {
        let arn = "arn:aws:ivs:us-west-2:123456789012:channel/abc";
        let input = UntagResourceRequest {
            resource_arn: Some(arn.into()),
            tag_keys: Some(vec!["a b".into(), "c/d".into()]),
        };
        let p = prepare(info::<UntagResourceRequest>(), &input, "").unwrap();
        assert_eq!(p.method, http::Method::DELETE);
        assert_eq!(
            p.target,
            "/tags/arn%3Aaws%3Aivs%3Aus-west-2%3A123456789012%3Achannel%2Fabc?tagKeys=a%20b&tagKeys=c%2Fd"
        );
        assert!(p.body.is_empty() && p.headers.is_empty());
        let input = UntagResourceRequest { resource_arn: Some(String::new()), tag_keys: None };
        let err = prepare(info::<UntagResourceRequest>(), &input, "").unwrap_err();
        assert!(matches!(err, ConstructionError::MissingLabel("resourceArn")));
    }

    #[test]
    fn posts_have_json_bodies_even_when_empty_and_keep_the_base_path() {
        let p = prepare(Operation::ListChannels.info(), &ListChannelsRequest::default(), "/ivs").unwrap();
        assert_eq!(
            (p.method.as_str(), p.target.as_str(), &p.body[..]),
            ("POST", "/ivs/ListChannels", &b"{}"[..])
        );
        let input = TagResourceRequest {
            resource_arn: Some("arn:x".into()),
            tags: Some([("k".to_string(), "v".to_string())].into()),
        };
        let p = prepare(info::<TagResourceRequest>(), &input, "").unwrap();
        assert_eq!((p.target.as_str(), &p.body[..]), ("/tags/arn%3Ax", &br#"{"tags":{"k":"v"}}"#[..]));
        let p = prepare(
            info::<ListTagsForResourceRequest>(),
            &ListTagsForResourceRequest { resource_arn: Some("a".into()) },
            "",
        )
        .unwrap();
        assert_eq!((p.method.as_str(), p.body.len()), ("GET", 0));
    }
}
