//! IVS ARNs: `arn:aws:ivs:<region>:<account>:<resource-type>/<id>` (ivs-behaviour.md §1).

use std::fmt;

/// The resource types of IVS, by their ARN type string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceType {
    /// `channel`
    Channel,
    /// `stream-key`
    StreamKey,
    /// `playback-key` (a playback key pair; the ARN type is not `playback-key-pair`)
    PlaybackKeyPair,
    /// `recording-configuration`
    RecordingConfiguration,
    /// `playback-restriction-policy`
    PlaybackRestrictionPolicy,
    /// `ad-configuration`
    AdConfiguration,
    /// `failover-slate-configuration`
    FailoverSlateConfiguration,
}

impl ResourceType {
    /// All resource types.
    pub const ALL: [ResourceType; 7] = [
        Self::Channel,
        Self::StreamKey,
        Self::PlaybackKeyPair,
        Self::RecordingConfiguration,
        Self::PlaybackRestrictionPolicy,
        Self::AdConfiguration,
        Self::FailoverSlateConfiguration,
    ];

    /// The type string in the ARN.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::StreamKey => "stream-key",
            Self::PlaybackKeyPair => "playback-key",
            Self::RecordingConfiguration => "recording-configuration",
            Self::PlaybackRestrictionPolicy => "playback-restriction-policy",
            Self::AdConfiguration => "ad-configuration",
            Self::FailoverSlateConfiguration => "failover-slate-configuration",
        }
    }

    /// The type with this ARN type string.
    pub fn from_arn_type(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// A human name for messages ("channel", "stream key", …).
    pub fn human(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::StreamKey => "stream key",
            Self::PlaybackKeyPair => "playback key pair",
            Self::RecordingConfiguration => "recording configuration",
            Self::PlaybackRestrictionPolicy => "playback restriction policy",
            Self::AdConfiguration => "ad configuration",
            Self::FailoverSlateConfiguration => "failover slate configuration",
        }
    }
}

/// A parsed IVS ARN.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Arn {
    /// Region, e.g. `us-west-2`.
    pub region: String,
    /// Account id, 12 digits.
    pub account: String,
    /// Resource type.
    pub resource_type: ResourceType,
    /// Resource id (the part after `/`).
    pub id: String,
}

impl Arn {
    /// Builds the ARN of a resource.
    pub fn new(region: &str, account: &str, resource_type: ResourceType, id: &str) -> Self {
        Self { region: region.into(), account: account.into(), resource_type, id: id.into() }
    }

    /// Parses `arn:aws:ivs:<region>:<account>:<type>/<id>`; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.strip_prefix("arn:aws:ivs:")?;
        let mut parts = rest.splitn(3, ':');
        let region = parts.next()?;
        let account = parts.next()?;
        let (ty, id) = parts.next()?.split_once('/')?;
        let region_ok = !region.is_empty()
            && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let account_ok = !account.is_empty() && account.bytes().all(|b| b.is_ascii_digit());
        let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !(region_ok && account_ok && id_ok) {
            return None;
        }
        Some(Self {
            region: region.into(),
            account: account.into(),
            resource_type: ResourceType::from_arn_type(ty)?,
            id: id.into(),
        })
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "arn:aws:ivs:{}:{}:{}/{}", self.region, self.account, self.resource_type.as_str(), self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let s = "arn:aws:ivs:us-west-2:123456789012:playback-key/abcd1234efgh";
        let a = Arn::parse(s).unwrap();
        assert_eq!(a.resource_type, ResourceType::PlaybackKeyPair);
        assert_eq!(a.id, "abcd1234efgh");
        assert_eq!(a.to_string(), s);
        for bad in [
            "arn:aws:ivs:us-west-2:123456789012:channel/",
            "arn:aws:ivs:us-west-2:12a:channel/x",
            "arn:aws:s3:::bucket",
            "arn:aws:ivs:us-west-2:123456789012:widget/abc",
            "arn:aws:ivs:US:1:channel/abc",
        ] {
            assert!(Arn::parse(bad).is_none(), "{bad}");
        }
    }
}
