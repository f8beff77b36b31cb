//! `Timestamp`: the model's `timestamp` shapes. IVS marks them `timestampFormat: iso8601`, so they
//! travel as RFC 3339 strings (`"2020-05-05T21:55:38Z"`), not restJson1's default epoch seconds.
//! Input also accepts epoch seconds (a JSON number), which a client using the protocol default sends.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time, UTC, with millisecond precision on the wire.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The current time, truncated to milliseconds.
    pub fn now() -> Self {
        Self::from_unix_millis(unix_millis(OffsetDateTime::now_utc()))
    }

    /// From milliseconds since the Unix epoch (out-of-range values clamp to the epoch).
    pub fn from_unix_millis(ms: i64) -> Self {
        let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Self(t)
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(&self) -> i64 {
        unix_millis(self.0)
    }

    /// The underlying date-time.
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }

    /// Parses an RFC 3339 date-time (any offset; kept as UTC).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        OffsetDateTime::parse(s, &Rfc3339).ok().map(|t| Self::from_unix_millis(unix_millis(t)))
    }

    /// RFC 3339 in UTC with a `Z`, milliseconds only when non-zero.
    pub fn to_rfc3339(&self) -> String {
        let t = self.0;
        let base = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        match t.millisecond() {
            0 => format!("{base}Z"),
            ms => format!("{base}.{ms:03}Z"),
        }
    }
}

fn unix_millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw<'a> {
            Text(std::borrow::Cow<'a, str>),
            Seconds(f64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(s) => Self::parse_rfc3339(&s).ok_or_else(|| {
                serde::de::Error::custom(format!("invalid date-time {s:?}, expected RFC 3339"))
            }),
            Raw::Seconds(secs) if secs.is_finite() && secs.abs() < 1e13 => {
                Ok(Self::from_unix_millis((secs * 1000.0).round() as i64))
            }
            Raw::Seconds(_) => Err(serde::de::Error::custom("epoch seconds out of range")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = Timestamp::parse_rfc3339("2020-05-05T21:55:38Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2020-05-05T21:55:38Z");
        let t = Timestamp::parse_rfc3339("2020-05-05T23:55:38.250+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2020-05-05T21:55:38.250Z");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"2020-05-05T21:55:38.250Z\"");
    }

    #[test]
    fn accepts_epoch_seconds_and_rejects_garbage() {
        let t: Timestamp = serde_json::from_str("1588715738.5").unwrap();
        assert_eq!(t.to_rfc3339(), "2020-05-05T21:55:38.500Z");
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("1e300").is_err());
    }
}
