//! The request as SigV4 sees it: plain strings and bytes, no HTTP crate types, so a
//! server (hyper/axum) and a client (reqwest, the SDK) can both build one cheaply.

/// A borrowed view of one HTTP request.
///
/// `path` and `query` must be exactly what is (or will be) on the wire: the request target
/// split at the first `?`, still percent-encoded. A server must not pass a decoded router
/// path here, because the canonical URI encodes the raw path a second time.
///
/// `headers` are `(name, value)` pairs in arrival order; names are matched
/// case-insensitively and a name may repeat. Over HTTP/2 the caller must include the
/// `:authority` value as `host`.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method, e.g. `POST`; used as given (methods are case-sensitive).
    pub method: &'a str,
    /// The raw path, e.g. `/tags/arn%3Aaws%3Aivs%3A…`.
    pub path: &'a str,
    /// The raw query without the leading `?`; empty when there is none.
    pub query: &'a str,
    /// All request headers.
    pub headers: &'a [(&'a str, &'a str)],
    /// The request body (empty for a GET). Only hashed.
    pub body: &'a [u8],
}

impl<'a> HttpRequest<'a> {
    /// Builds a request from a raw request target (`/path?query`).
    pub fn from_target(
        method: &'a str,
        target: &'a str,
        headers: &'a [(&'a str, &'a str)],
        body: &'a [u8],
    ) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Self { method, path, query, headers, body }
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        header(self.headers, name)
    }
}

/// The first value of header `name` (case-insensitive) in `headers`.
pub(crate) fn header<'a>(headers: &[(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_splits_at_the_first_question_mark() {
        let headers = [("Host", "h"), ("X-A", "1")];
        let req = HttpRequest::from_target("GET", "/a?b=c?d", &headers, b"");
        assert_eq!((req.path, req.query), ("/a", "b=c?d"));
        assert_eq!(req.header("host"), Some("h"));
        assert_eq!(req.header("x-b"), None);
        let bare = HttpRequest::from_target("GET", "/a", &headers, b"");
        assert_eq!((bare.path, bare.query), ("/a", ""));
    }
}
