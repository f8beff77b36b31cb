//! Endpoints: a configured URL (`http://127.0.0.1:8080` for openivs), or the regional IVS endpoint as
//! the model's endpoint rule set builds it (`ivs-2020-07-14.botocore.endpoint-rule-set.json`):
//! `https://ivs[-fips].{region}.{dnsSuffix | dualStackDnsSuffix}` with the suffixes of the region's
//! partition.

use std::fmt;

/// Why an endpoint could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The URL is not `http(s)://host[:port][/path]`.
    #[error("invalid endpoint URL `{0}`: {1}")]
    InvalidUrl(String, &'static str),
    /// The region cannot be a host name label.
    #[error("invalid region `{0}`")]
    InvalidRegion(String),
}

/// FIPS and dual-stack choices of the regional endpoint (unset means off).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointFlags {
    /// Use the FIPS endpoint.
    pub fips: Option<bool>,
    /// Use the dual-stack endpoint.
    pub dual_stack: Option<bool>,
}

/// A parsed endpoint: scheme, authority (the `Host` header) and a path prefix.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
    scheme: &'static str,
    authority: String,
    base_path: String,
}

impl Endpoint {
    /// Parses `http(s)://authority[/base/path]` (no query or fragment).
    pub fn parse(url: &str) -> Result<Self, EndpointError> {
        let bad = |why| EndpointError::InvalidUrl(url.to_owned(), why);
        let (scheme, rest) = if let Some(r) = url.strip_prefix("https://") {
            ("https", r)
        } else if let Some(r) = url.strip_prefix("http://") {
            ("http", r)
        } else {
            return Err(bad("the scheme must be http or https"));
        };
        if rest.contains(['?', '#']) {
            return Err(bad("no query or fragment allowed"));
        }
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
            return Err(bad("the host is missing or malformed"));
        }
        if authority.parse::<http::uri::Authority>().is_err() {
            return Err(bad("the host is malformed"));
        }
        let base_path = path.trim_end_matches('/').to_owned();
        Ok(Self { url: url.to_owned(), scheme, authority: authority.to_owned(), base_path })
    }

    /// The regional IVS endpoint.
    pub fn regional(region: &str, flags: EndpointFlags) -> Result<Self, EndpointError> {
        let valid = !region.is_empty()
            && region.len() <= 63
            && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(EndpointError::InvalidRegion(region.to_owned()));
        }
        let (dns, dual) = partition_suffixes(region);
        let suffix = if flags.dual_stack == Some(true) { dual } else { dns };
        let host = if flags.fips == Some(true) { "ivs-fips" } else { "ivs" };
        Self::parse(&format!("https://{host}.{region}.{suffix}"))
    }

    /// The URL as configured.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// `host[:port]`, sent (and signed) as the `Host` header.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The path prefix (empty, or `/prefix` without a trailing slash).
    pub fn base_path(&self) -> &str {
        &self.base_path
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

/// `(dnsSuffix, dualStackDnsSuffix)` of the partition a region belongs to.
fn partition_suffixes(region: &str) -> (&'static str, &'static str) {
    if region.starts_with("cn-") {
        ("amazonaws.com.cn", "api.amazonwebservices.com.cn")
    } else if region.starts_with("us-isob-") {
        ("sc2s.sgov.gov", "sc2s.sgov.gov")
    } else if region.starts_with("us-iso-") {
        ("c2s.ic.gov", "c2s.ic.gov")
    } else {
        // aws and aws-us-gov.
        ("amazonaws.com", "api.aws")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_endpoints_follow_the_rule_set() {
        let off = EndpointFlags::default();
        let url = |r, f| Endpoint::regional(r, f).map(|e| e.url().to_owned());
        assert_eq!(url("us-west-2", off).unwrap(), "https://ivs.us-west-2.amazonaws.com");
        assert_eq!(url("cn-north-1", off).unwrap(), "https://ivs.cn-north-1.amazonaws.com.cn");
        let both = EndpointFlags { fips: Some(true), dual_stack: Some(true) };
        assert_eq!(url("us-east-1", both).unwrap(), "https://ivs-fips.us-east-1.api.aws");
        assert!(matches!(url("us west", off), Err(EndpointError::InvalidRegion(_))));
    }

    #[test]
    fn configured_urls_keep_port_and_path_prefix() {
        let e = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!((e.scheme(), e.authority(), e.base_path()), ("http", "127.0.0.1:8080", ""));
        let e = Endpoint::parse("https://proxy.example/ivs/").unwrap();
        assert_eq!((e.authority(), e.base_path()), ("proxy.example", "/ivs"));
        let e = Endpoint::parse("http://[::1]:9000").unwrap();
        assert_eq!(e.authority(), "[::1]:9000");
        for bad in ["ftp://x", "127.0.0.1:8080", "http://", "http://h/?q", "http://u@h", "http://h h"] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
