//! Ingest URLs (ivs-behaviour.md §3): an encoder publishes to `rtmps://<ingestEndpoint>:443/app/<key>`.
//! IVS's `ingestEndpoint` is a bare host; openivs's carries a port when RTMPS is not on 443
//! (`127.0.0.1:4443`), and then the URL keeps that port instead of adding `:443`.

use openivs_model::types::{Channel, StreamKey};

/// Why an ingest URL could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IngestUrlError {
    /// The channel has no `ingestEndpoint`.
    #[error("the channel has no ingest endpoint")]
    MissingEndpoint,
    /// The stream key has no value (`ListStreamKeys` summaries never have one; use `GetStreamKey`).
    #[error("the stream key has no value (get it with GetStreamKey)")]
    MissingKey,
    /// The stream key belongs to another channel.
    #[error("the stream key belongs to channel {0}")]
    OtherChannel(String),
}

/// `rtmps://<ingestEndpoint>[:443]/app/<streamKey>`.
pub fn rtmps_url(ingest_endpoint: &str, stream_key: &str) -> String {
    let endpoint = ingest_endpoint.trim().trim_end_matches('/');
    let authority = if has_port(endpoint) {
        endpoint.to_owned()
    } else if endpoint.contains(':') && !endpoint.starts_with('[') {
        // A bare IPv6 address.
        format!("[{endpoint}]:443")
    } else {
        format!("{endpoint}:443")
    };
    format!("rtmps://{authority}/app/{stream_key}")
}

/// The RTMPS URL of a channel and its stream key (from `CreateChannel`, `GetChannel`,
/// `GetStreamKey`…).
pub fn ingest_url(channel: &Channel, stream_key: &StreamKey) -> Result<String, IngestUrlError> {
    let endpoint = channel
        .ingest_endpoint
        .as_deref()
        .filter(|e| !e.is_empty())
        .ok_or(IngestUrlError::MissingEndpoint)?;
    let key = stream_key.value.as_deref().filter(|v| !v.is_empty()).ok_or(IngestUrlError::MissingKey)?;
    if let (Some(mine), Some(theirs)) = (channel.arn.as_deref(), stream_key.channel_arn.as_deref())
        && mine != theirs
    {
        return Err(IngestUrlError::OtherChannel(theirs.to_owned()));
    }
    Ok(rtmps_url(endpoint, key))
}

/// Whether `host:port` / `[v6]:port` names a port (a bare IPv6 address has colons but no port).
fn has_port(endpoint: &str) -> bool {
    let port_of = |s: &str| s.rsplit_once(':').map(|(_, p)| p.to_owned());
    let port = if endpoint.starts_with('[') {
        endpoint.rsplit_once("]:").map(|(_, p)| p.to_owned())
    } else if endpoint.matches(':').count() == 1 {
        port_of(endpoint)
    } else {
        None
    };
    port.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_443_is_added_only_when_the_endpoint_has_none() {
        let key = "sk_us-west-2_abcdABCDefgh_567890abcdef";
        assert_eq!(
            rtmps_url("a1b2c3d4e5f6.global-contribute.live-video.net", key),
            format!("rtmps://a1b2c3d4e5f6.global-contribute.live-video.net:443/app/{key}")
        );
        assert_eq!(rtmps_url("127.0.0.1:4443", "k"), "rtmps://127.0.0.1:4443/app/k");
        assert_eq!(rtmps_url("[::1]:4443", "k"), "rtmps://[::1]:4443/app/k");
        assert_eq!(rtmps_url("::1", "k"), "rtmps://[::1]:443/app/k");
        assert_eq!(rtmps_url("[::1]", "k"), "rtmps://[::1]:443/app/k");
    }

    #[test]
    fn channel_and_key_must_match_and_carry_their_values() {
        let channel = Channel {
            arn: Some("arn:c1".into()),
            ingest_endpoint: Some("ingest.example:4443".into()),
            ..Channel::default()
        };
        let key = StreamKey {
            channel_arn: Some("arn:c1".into()),
            value: Some("sk_x".into()),
            ..StreamKey::default()
        };
        assert_eq!(ingest_url(&channel, &key).unwrap(), "rtmps://ingest.example:4443/app/sk_x");
        let other = StreamKey { channel_arn: Some("arn:c2".into()), ..key.clone() };
        assert_eq!(ingest_url(&channel, &other), Err(IngestUrlError::OtherChannel("arn:c2".into())));
        assert_eq!(ingest_url(&channel, &StreamKey::default()), Err(IngestUrlError::MissingKey));
        assert_eq!(ingest_url(&Channel::default(), &key), Err(IngestUrlError::MissingEndpoint));
    }
}
