//! `Timestamp`: the model's `timestamp` shapes. IVS marks them `timestampFormat: iso8601`, so they
//! travel as RFC 3339 strings (`"2020-05-05T21:55:38Z"`), not restJson1's default epoch seconds.
//! Input also accepts epoch seconds (a JSON number), which a client using the protocol default sends.
//!
//! The calendar arithmetic (proleptic Gregorian, UTC, no leap seconds, as in Unix time) is the few
//! lines of civil-date code at the end, so the model needs no date library. `openivs-sigv4` carries
//! the same two conversions for its own formats; neither crate depends on the other.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

const MS_PER_DAY: i64 = 86_400_000;

/// 0000-01-01T00:00:00Z in Unix milliseconds: the earliest `Timestamp`.
const MIN_MILLIS: i64 = -62_167_219_200_000;
/// 9999-12-31T23:59:59.999Z in Unix milliseconds: the latest `Timestamp`.
const MAX_MILLIS: i64 = 253_402_300_799_999;

/// A point in time, UTC, with millisecond precision, between the years 0000 and 9999 (so that it
/// always has an RFC 3339 form).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time, truncated to milliseconds.
    pub fn now() -> Self {
        let ms = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
            // A clock set before 1970: round down, like the positive case.
            Err(before) => {
                let before = before.duration();
                let ms = i64::try_from(before.as_millis()).unwrap_or(i64::MAX);
                if before.subsec_nanos() % 1_000_000 == 0 { -ms } else { -ms - 1 }
            }
        };
        Self::from_unix_millis(ms)
    }

    /// From milliseconds since the Unix epoch (values outside the years 0000–9999 clamp to the
    /// epoch).
    pub fn from_unix_millis(ms: i64) -> Self {
        Self(if (MIN_MILLIS..=MAX_MILLIS).contains(&ms) { ms } else { 0 })
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(&self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 date-time (any offset; kept as UTC), such as `2020-05-05T21:55:38Z` or
    /// `2020-05-05T23:55:38.25+02:00`. As RFC 3339 allows, `T` and `Z` may be lowercase and the
    /// separator may be a space. Fractional seconds may have any number of digits and are truncated
    /// to milliseconds; a leap second (`:60`, only at the end of a UTC month) reads as the last
    /// millisecond before it. `None` if malformed or outside the years 0000–9999 in UTC.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        if !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
        let (hour, minute, mut second) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
        let (year, month, day) = (i64::from(year), month, day);
        if !(1..=12).contains(&month) || !(1..=days_in_month(year, month)).contains(&day) {
            return None;
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let mut rest = &b[19..];
        let mut millis = 0;
        if let [b'.', tail @ ..] = rest {
            let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            millis = tail[..n.min(3)].iter().fold(0, |ms, d| ms * 10 + i64::from(d - b'0'));
            millis *= [100, 10, 1][n.min(3) - 1];
            rest = &tail[n..];
        }
        let offset_minutes = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let (h, m) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
                if h > 23 || m > 59 {
                    return None;
                }
                let minutes = i64::from(h * 60 + m);
                if *sign == b'-' { -minutes } else { minutes }
            }
            _ => return None,
        };
        let leap = second == 60;
        if leap {
            second = 59;
            millis = 999;
        }
        let local = days_from_civil(year, month, day) * MS_PER_DAY
            + i64::from(hour * 3_600 + minute * 60 + second) * 1000
            + millis;
        let ms = local - offset_minutes * 60_000;
        if !(MIN_MILLIS..=MAX_MILLIS).contains(&ms) {
            return None;
        }
        if leap {
            // Leap seconds are only ever inserted after 23:59:59 UTC on the last day of a month.
            let (y, m, d) = civil_from_days(ms.div_euclid(MS_PER_DAY));
            if ms.rem_euclid(MS_PER_DAY) != MS_PER_DAY - 1 || d != days_in_month(y, m) {
                return None;
            }
        }
        Some(Self(ms))
    }

    /// RFC 3339 in UTC with a `Z`, milliseconds only when non-zero.
    pub fn to_rfc3339(&self) -> String {
        let (days, ms_of_day) = (self.0.div_euclid(MS_PER_DAY), self.0.rem_euclid(MS_PER_DAY));
        let (year, month, day) = civil_from_days(days);
        let secs = ms_of_day / 1000;
        let base = format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        match ms_of_day % 1000 {
            0 => format!("{base}Z"),
            ms => format!("{base}.{ms:03}Z"),
        }
    }
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

/// The value of two or four ASCII digits.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
}

/// The number of days in `month` (1–12) of `year`, leap years included.
fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the date `year-month-day` (Howard Hinnant's `days_from_civil`).
/// Exact for any valid month and day and |year| < 2^50.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let (era, yoe) = (y.div_euclid(400), y.rem_euclid(400));
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The `(year, month, day)` `days` days after 1970-01-01 (Hinnant's `civil_from_days`).
/// Exact for |days| < 2^58.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc(s: &str) -> Option<String> {
        Timestamp::parse_rfc3339(s).map(|t| t.to_rfc3339())
    }

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

    #[test]
    fn known_instants() {
        assert_eq!(Timestamp::from_unix_millis(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp::from_unix_millis(-1).to_rfc3339(), "1969-12-31T23:59:59.999Z");
        let suite = Timestamp::parse_rfc3339("2015-08-30T12:36:00Z").unwrap();
        assert_eq!(suite.unix_millis(), 1_440_938_160_000);
        assert_eq!(Timestamp::from_unix_millis(951_782_400_000).to_rfc3339(), "2000-02-29T00:00:00Z");
        assert_eq!(Timestamp::from_unix_millis(4_107_456_000_000).to_rfc3339(), "2100-02-28T00:00:00Z");
        assert_eq!(Timestamp::from_unix_millis(4_107_542_400_000).to_rfc3339(), "2100-03-01T00:00:00Z");
        assert_eq!(Timestamp::from_unix_millis(MIN_MILLIS).to_rfc3339(), "0000-01-01T00:00:00Z");
        assert_eq!(Timestamp::from_unix_millis(MAX_MILLIS).to_rfc3339(), "9999-12-31T23:59:59.999Z");
        assert_eq!(Timestamp::from_unix_millis(MAX_MILLIS + 1).unix_millis(), 0);
        assert_eq!(Timestamp::from_unix_millis(MIN_MILLIS - 1).unix_millis(), 0);
        assert_eq!(Timestamp::from_unix_millis(i64::MIN).unix_millis(), 0);
        assert!(Timestamp::now().unix_millis() > 1_700_000_000_000);
    }

    #[test]
    fn leap_years_and_ends_of_months() {
        for (ok, s) in [
            (true, "2000-02-29T00:00:00Z"),
            (true, "2024-02-29T00:00:00Z"),
            (false, "2100-02-29T00:00:00Z"),
            (false, "1900-02-29T00:00:00Z"),
            (false, "2023-02-29T00:00:00Z"),
            (true, "2023-01-31T00:00:00Z"),
            (true, "2023-04-30T00:00:00Z"),
            (false, "2023-04-31T00:00:00Z"),
            (false, "2023-06-31T00:00:00Z"),
            (false, "2023-09-31T00:00:00Z"),
            (false, "2023-11-31T00:00:00Z"),
            (true, "2023-12-31T23:59:59Z"),
            (false, "2023-12-32T00:00:00Z"),
            (false, "2023-00-10T00:00:00Z"),
            (false, "2023-13-10T00:00:00Z"),
            (false, "2023-01-00T00:00:00Z"),
        ] {
            assert_eq!(Timestamp::parse_rfc3339(s).is_some(), ok, "{s}");
        }
        assert_eq!(rfc("2023-12-31T23:59:59.999-00:01").as_deref(), Some("2024-01-01T00:00:59.999Z"));
        assert_eq!(rfc("2000-03-01T00:30:00+01:00").as_deref(), Some("2000-02-29T23:30:00Z"));
    }

    #[test]
    fn offsets_fractions_and_spellings() {
        assert_eq!(rfc("2015-08-30T05:36:00-07:00").as_deref(), Some("2015-08-30T12:36:00Z"));
        assert_eq!(rfc("2015-08-30T00:00:00-23:59").as_deref(), Some("2015-08-30T23:59:00Z"));
        assert_eq!(rfc("2015-08-30T23:30:00+05:30").as_deref(), Some("2015-08-30T18:00:00Z"));
        assert_eq!(rfc("2015-08-30T12:36:00+00:00").as_deref(), Some("2015-08-30T12:36:00Z"));
        assert_eq!(rfc("2015-08-30T12:36:00-00:00").as_deref(), Some("2015-08-30T12:36:00Z"));
        assert_eq!(rfc("2015-08-30t12:36:00z").as_deref(), Some("2015-08-30T12:36:00Z"));
        assert_eq!(rfc("2015-08-30 12:36:00Z").as_deref(), Some("2015-08-30T12:36:00Z"));
        assert_eq!(rfc("2015-08-30T12:36:00.5Z").as_deref(), Some("2015-08-30T12:36:00.500Z"));
        assert_eq!(rfc("2015-08-30T12:36:00.05Z").as_deref(), Some("2015-08-30T12:36:00.050Z"));
        assert_eq!(rfc("2015-08-30T12:36:00.000Z").as_deref(), Some("2015-08-30T12:36:00Z"));
        assert_eq!(rfc("2015-08-30T12:36:00.123999999999Z").as_deref(), Some("2015-08-30T12:36:00.123Z"));
        assert_eq!(rfc("1969-12-31T23:59:59.9995Z").as_deref(), Some("1969-12-31T23:59:59.999Z"));
        // A leap second only where one can be: the last second of a UTC month.
        assert_eq!(rfc("2016-12-31T23:59:60Z").as_deref(), Some("2016-12-31T23:59:59.999Z"));
        assert_eq!(rfc("2017-01-01T00:59:60+01:00").as_deref(), Some("2016-12-31T23:59:59.999Z"));
        assert_eq!(rfc("2016-12-30T23:59:60Z"), None);
        assert_eq!(rfc("2016-12-31T23:58:60Z"), None);
    }

    #[test]
    fn malformed_input_is_rejected() {
        for bad in [
            "",
            "2015-08-30",
            "2015-08-30T12:36:00",
            "2015-08-30T12:36Z",
            "2015-08-30T12:36:00ZZ",
            "2015-08-30T12:36:00 Z",
            "2015-08-30T12:36:00.Z",
            "2015-08-30T12:36:00,5Z",
            "2015-08-30T12:36:00+0200",
            "2015-08-30T12:36:00+02",
            "2015-08-30T12:36:00+24:00",
            "2015-08-30T12:36:00+02:60",
            "2015-08-30T24:00:00Z",
            "2015-08-30T12:60:00Z",
            "2015-08-30T12:36:61Z",
            "2015-08-30X12:36:00Z",
            "2015/08/30T12:36:00Z",
            "+2015-08-30T12:36:00Z",
            "15-08-30T12:36:00Z",
            "2015-8-30T12:36:00Z",
            "2015-08-30T1:36:00Z",
            "-015-08-30T12:36:00Z",
            "2015-08-30T12:36:0éZ",
            "é015-08-30T12:36:00Z",
            "0000-01-01T00:00:00+00:01",
            "9999-12-31T23:59:59-00:01",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn civil_conversions_are_inverse_and_contiguous() {
        let mut expected = (0, 1, 1);
        for days in days_from_civil(0, 1, 1)..=days_from_civil(9999, 12, 31) {
            let date = civil_from_days(days);
            assert_eq!(date, expected, "{days}");
            assert_eq!(days_from_civil(date.0, date.1, date.2), days);
            expected = match date {
                (y, 12, 31) => (y + 1, 1, 1),
                (y, m, d) if d == days_in_month(y, m) => (y, m + 1, 1),
                (y, m, d) => (y, m, d + 1),
            };
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2015, 8, 30), 16_677);
    }

    mod against_time {
        use super::super::*;
        use proptest::prelude::*;
        use time::format_description::well_known::Rfc3339;

        /// `time`'s reading of an RFC 3339 string, in our range and precision (milliseconds,
        /// rounded down).
        fn oracle(s: &str) -> Option<i64> {
            let t = time::OffsetDateTime::parse(s, &Rfc3339).ok()?;
            let ms = i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).ok()?;
            (MIN_MILLIS..=MAX_MILLIS).contains(&ms).then_some(ms)
        }

        /// Near-valid RFC 3339 strings: every field in and just outside its range.
        fn near_valid() -> impl Strategy<Value = String> {
            let date = (0u32..=9999, 0u32..=13, 0u32..=32);
            let clock = (0u32..=24, 0u32..=60, 0u32..=61);
            let fraction = proptest::option::of("[0-9]{1,12}");
            let offset = prop_oneof![
                Just("Z".to_owned()),
                Just("z".to_owned()),
                (prop_oneof![Just('+'), Just('-')], 0u32..=24, 0u32..=60)
                    .prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}")),
            ];
            let sep = prop_oneof![Just('T'), Just('t'), Just(' ')];
            (date, sep, clock, fraction, offset).prop_map(|((y, mo, d), sep, (h, mi, s), f, off)| {
                let f = f.map(|f| format!(".{f}")).unwrap_or_default();
                format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}{f}{off}")
            })
        }

        proptest! {
            #[test]
            fn parse_agrees_with_the_time_crate(s in near_valid()) {
                prop_assert_eq!(Timestamp::parse_rfc3339(&s).map(|t| t.unix_millis()), oracle(&s), "{}", s);
            }

            #[test]
            fn format_agrees_with_the_time_crate(ms in MIN_MILLIS..=MAX_MILLIS) {
                let ours = Timestamp::from_unix_millis(ms).to_rfc3339();
                prop_assert_eq!(oracle(&ours), Some(ms), "{}", ours);
                let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap();
                let date = format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day());
                prop_assert!(ours.starts_with(&date), "{} {}", ours, date);
                prop_assert_eq!(Timestamp::parse_rfc3339(&ours), Some(Timestamp::from_unix_millis(ms)));
            }

            #[test]
            fn any_text_parses_or_not_without_panicking(s in "\\PC{0,40}") {
                let _ = Timestamp::parse_rfc3339(&s);
            }

            #[test]
            fn any_ascii_near_the_shape_parses_or_not_without_panicking(s in "[0-9Tt:+.Zz -]{15,40}") {
                let _ = Timestamp::parse_rfc3339(&s);
            }
        }
    }
}
