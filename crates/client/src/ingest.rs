//! Ingest URLs (ivs-behaviour.md §3): an encoder publishes to `rtmps://<ingestEndpoint>:443/app/<key>`,
//! or over SRT to `srt://<srt.endpoint>:9000?streamid=<key>&passphrase=<srt.passphrase>`. IVS's
//! endpoints are bare hosts; openivs's carry a port when ingest is not on IVS's port
//! (`127.0.0.1:4443`), and then the URL keeps that port instead of adding IVS's.

use openivs_model::types::{Channel, StreamKey};

/// Why an ingest URL could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IngestUrlError {
    /// The channel has no `ingestEndpoint` (or, for SRT, no `srt.endpoint`).
    #[error("the channel has no ingest endpoint")]
    MissingEndpoint,
    /// The channel has no `srt.passphrase`.
    #[error("the channel has no SRT passphrase")]
    MissingPassphrase,
    /// The stream key has no value (`ListStreamKeys` summaries never have one; use `GetStreamKey`).
    #[error("the stream key has no value (get it with GetStreamKey)")]
    MissingKey,
    /// The stream key belongs to another channel.
    #[error("the stream key belongs to channel {0}")]
    OtherChannel(String),
}

/// `host:port` of an endpoint, with `port` added when it names none.
fn authority(endpoint: &str, port: u16) -> String {
    let endpoint = endpoint.trim().trim_end_matches('/');
    if has_port(endpoint) {
        endpoint.to_owned()
    } else if endpoint.contains(':') && !endpoint.starts_with('[') {
        // A bare IPv6 address.
        format!("[{endpoint}]:{port}")
    } else {
        format!("{endpoint}:{port}")
    }
}

/// `rtmps://<ingestEndpoint>[:443]/app/<streamKey>`.
pub fn rtmps_url(ingest_endpoint: &str, stream_key: &str) -> String {
    format!("rtmps://{}/app/{stream_key}", authority(ingest_endpoint, 443))
}

/// `srt://<srt.endpoint>[:9000]?streamid=<streamKey>&passphrase=<passphrase>`, as IVS documents it
/// (ffmpeg, OBS's server field with an empty stream key).
pub fn srt_url(srt_endpoint: &str, stream_key: &str, passphrase: &str) -> String {
    format!(
        "srt://{}?streamid={}&passphrase={}",
        authority(srt_endpoint, 9000),
        query_value(stream_key),
        query_value(passphrase)
    )
}

/// Percent-encoded as the API's query values are (everything but RFC 3986's unreserved characters);
/// keys and passphrases are alphanumerics, `_` and `-`, so this is only a guard.
fn query_value(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, crate::request::ENCODE).to_string()
}

/// The stream key's value, checked to belong to the channel.
fn key_of<'a>(channel: &Channel, stream_key: &'a StreamKey) -> Result<&'a str, IngestUrlError> {
    let key = stream_key.value.as_deref().filter(|v| !v.is_empty()).ok_or(IngestUrlError::MissingKey)?;
    if let (Some(mine), Some(theirs)) = (channel.arn.as_deref(), stream_key.channel_arn.as_deref())
        && mine != theirs
    {
        return Err(IngestUrlError::OtherChannel(theirs.to_owned()));
    }
    Ok(key)
}

/// The RTMPS URL of a channel and its stream key (from `CreateChannel`, `GetChannel`,
/// `GetStreamKey`…).
pub fn ingest_url(channel: &Channel, stream_key: &StreamKey) -> Result<String, IngestUrlError> {
    let endpoint = channel
        .ingest_endpoint
        .as_deref()
        .filter(|e| !e.is_empty())
        .ok_or(IngestUrlError::MissingEndpoint)?;
    Ok(rtmps_url(endpoint, key_of(channel, stream_key)?))
}

/// The SRT URL of a channel and its stream key.
pub fn srt_ingest_url(channel: &Channel, stream_key: &StreamKey) -> Result<String, IngestUrlError> {
    let srt = channel.srt.as_ref();
    let endpoint = srt
        .and_then(|s| s.endpoint.as_deref())
        .filter(|e| !e.is_empty())
        .ok_or(IngestUrlError::MissingEndpoint)?;
    let passphrase = srt
        .and_then(|s| s.passphrase.as_deref())
        .filter(|p| !p.is_empty())
        .ok_or(IngestUrlError::MissingPassphrase)?;
    Ok(srt_url(endpoint, key_of(channel, stream_key)?, passphrase))
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
    fn srt_urls_are_ivs_s_shape_with_port_9000_unless_the_endpoint_names_one() {
        use openivs_model::types::Srt;
        let key = StreamKey { value: Some("sk_us-west-2_k".into()), ..Default::default() };
        let mut channel = Channel {
            srt: Some(Srt {
                endpoint: Some("a1b2.srt.live-video.net".into()),
                passphrase: Some("pAss1".into()),
            }),
            ..Default::default()
        };
        assert_eq!(
            srt_ingest_url(&channel, &key).unwrap(),
            "srt://a1b2.srt.live-video.net:9000?streamid=sk_us-west-2_k&passphrase=pAss1"
        );
        channel.srt = Some(Srt { endpoint: Some("127.0.0.1:19000".into()), passphrase: Some("p".into()) });
        assert_eq!(
            srt_ingest_url(&channel, &key).unwrap(),
            "srt://127.0.0.1:19000?streamid=sk_us-west-2_k&passphrase=p"
        );
        assert_eq!(srt_url("::1", "k", "a b&"), "srt://[::1]:9000?streamid=k&passphrase=a%20b%26");
        channel.srt = Some(Srt { endpoint: Some("h".into()), passphrase: None });
        assert_eq!(srt_ingest_url(&channel, &key), Err(IngestUrlError::MissingPassphrase));
        assert_eq!(srt_ingest_url(&Channel::default(), &key), Err(IngestUrlError::MissingEndpoint));
    }

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
