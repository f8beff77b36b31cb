//! The two time formats SigV4 uses: the ISO 8601 basic "amz date" (`20150830T123600Z`,
//! in `X-Amz-Date` and the string to sign) with its date stamp (`20150830`, in the
//! credential scope), and the RFC 1123 `Date` header a request may carry instead.
//!
//! Times are [`SystemTime`]s. The calendar arithmetic (proleptic Gregorian, UTC, no leap
//! seconds, as in Unix time) is the small civil-date code below, so the crate needs no date
//! library. Every function here is total: malformed text gives `None`, never a panic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SECS_PER_DAY: i64 = 86_400;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Formats `t` in UTC as `YYYYMMDD'T'HHMMSS'Z'`; empty for years outside 0000–9999, which
/// no request time can have (the signature then simply does not match).
pub fn format_amz_date(t: SystemTime) -> String {
    let c = Civil::from_unix_secs(unix_secs(t));
    if !(0..=9999).contains(&c.year) {
        return String::new();
    }
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", c.year, c.month, c.day, c.hour, c.minute, c.second)
}

/// Formats the UTC date of `t` as `YYYYMMDD`, the first part of a credential scope; empty for
/// years outside 0000–9999.
pub fn format_date_stamp(t: SystemTime) -> String {
    let mut amz = format_amz_date(t);
    amz.truncate(8);
    amz
}

/// Parses an `X-Amz-Date` value (`YYYYMMDD'T'HHMMSS'Z'`, UTC); `None` if malformed.
pub fn parse_amz_date(value: &str) -> Option<SystemTime> {
    let b = value.as_bytes();
    // The exact length rules out signs, extra digits and trailing text up front.
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let (year, month, day) = parse_date_stamp(&b[..8])?;
    let (hour, minute, second) = (digits(&b[9..11])?, digits(&b[11..13])?, digits(&b[13..15])?);
    Civil::new(year, month, day, hour, minute, second)?.to_system_time()
}

/// Parses an RFC 1123 `Date` header (`Sun, 30 Aug 2015 12:36:00 GMT`, surrounding
/// whitespace ignored); `None` if malformed. The weekday must be one of the seven names but,
/// as before, is not checked against the date.
pub fn parse_http_date(value: &str) -> Option<SystemTime> {
    let b = value.trim().as_bytes();
    // "Sun, 30 Aug 2015 12:36:00 GMT": every field has a fixed width.
    if b.len() != 29 || &b[3..5] != b", " || b[7] != b' ' || b[11] != b' ' || b[16] != b' ' {
        return None;
    }
    if b[19] != b':' || b[22] != b':' || &b[25..] != b" GMT" {
        return None;
    }
    if !WEEKDAYS.iter().any(|w| w.as_bytes() == &b[..3]) {
        return None;
    }
    let month = MONTHS.iter().position(|m| m.as_bytes() == &b[8..11])?;
    let (day, year) = (digits(&b[5..7])?, digits(&b[12..16])?);
    let (hour, minute, second) = (digits(&b[17..19])?, digits(&b[20..22])?, digits(&b[23..25])?);
    Civil::new(i64::from(year), month as u32 + 1, day, hour, minute, second)?.to_system_time()
}

/// True if `stamp` is a real `YYYYMMDD` date.
pub(crate) fn is_date_stamp(stamp: &str) -> bool {
    stamp.len() == 8 && parse_date_stamp(stamp.as_bytes()).is_some()
}

/// `YYYYMMDD` as `(year, month, day)`, checked against the calendar.
fn parse_date_stamp(b: &[u8]) -> Option<(i64, u32, u32)> {
    let [y @ .., m1, m2, d1, d2] = b else { return None };
    let (year, month, day) = (i64::from(digits(y)?), digits(&[*m1, *m2])?, digits(&[*d1, *d2])?);
    (y.len() == 4 && (1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day))
        .then_some((year, month, day))
}

/// The value of a run of one to four ASCII digits.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 4 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// Whole seconds since the Unix epoch, rounded down (also before 1970), saturating.
fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let secs = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            if before.subsec_nanos() > 0 { -secs - 1 } else { -secs }
        }
    }
}

/// True in the leap years of the Gregorian calendar.
pub(crate) fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in `month` (1–12) of `year`.
pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the date `year-month-day` (Howard Hinnant's `days_from_civil`).
/// Exact for any valid month and day and |year| < 2^50.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let (era, yoe) = (y.div_euclid(400), y.rem_euclid(400));
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The `(year, month, day)` `days` days after 1970-01-01 (Hinnant's `civil_from_days`).
/// Exact for |days| < 2^58.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// A UTC date and time of day, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl Civil {
    /// A checked date-time: `None` unless the date exists and the time is 00:00:00–23:59:59.
    fn new(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<Self> {
        let valid = (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day)
            && hour < 24
            && minute < 60
            && second < 60;
        valid.then_some(Self { year, month, day, hour, minute, second })
    }

    fn from_unix_secs(secs: i64) -> Self {
        let (days, rem) = (secs.div_euclid(SECS_PER_DAY), secs.rem_euclid(SECS_PER_DAY) as u32);
        let (year, month, day) = civil_from_days(days);
        Self { year, month, day, hour: rem / 3600, minute: rem / 60 % 60, second: rem % 60 }
    }

    fn unix_secs(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * SECS_PER_DAY
            + i64::from(self.hour * 3600 + self.minute * 60 + self.second)
    }

    /// `None` only where the platform's `SystemTime` cannot hold the time.
    fn to_system_time(self) -> Option<SystemTime> {
        let secs = self.unix_secs();
        let span = Duration::from_secs(secs.unsigned_abs());
        if secs >= 0 { UNIX_EPOCH.checked_add(span) } else { UNIX_EPOCH.checked_sub(span) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2015-08-30T12:36:00Z, the time of the AWS test suite.
    fn suite_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }

    #[test]
    fn amz_date_round_trips() {
        let t = suite_time();
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        assert_eq!(format_date_stamp(t), "20150830");
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(t));
        // Sub-second parts are dropped, not rounded.
        assert_eq!(format_amz_date(t + Duration::from_millis(999)), "20150830T123600Z");
        assert_eq!(format_amz_date(UNIX_EPOCH), "19700101T000000Z");
        assert_eq!(format_amz_date(UNIX_EPOCH - Duration::from_millis(1)), "19691231T235959Z");
        assert_eq!(parse_amz_date("19691231T235959Z"), Some(UNIX_EPOCH - Duration::from_secs(1)));
    }

    #[test]
    fn extreme_years_format_or_give_up_quietly() {
        let last = parse_amz_date("99991231T235959Z").unwrap();
        assert_eq!(format_amz_date(last), "99991231T235959Z");
        assert_eq!(format_amz_date(last + Duration::from_secs(1)), "");
        let first = parse_amz_date("00000101T000000Z").unwrap();
        assert_eq!(format_amz_date(first), "00000101T000000Z");
        assert_eq!(format_date_stamp(first - Duration::from_secs(1)), "");
        let far = UNIX_EPOCH.checked_add(Duration::from_secs(i64::MAX as u64));
        assert_eq!(far.map(format_amz_date).unwrap_or_default(), "");
    }

    #[test]
    fn malformed_amz_dates_are_rejected() {
        for bad in [
            "",
            "20150830T123600",
            "20150830T123600Z ",
            "2015-08-30T12:36:00Z",
            "20151330T123600Z",
            "20150830T126000Z",
            "20150830T240000Z",
            "20150830T123660Z",
            "20150230T123600Z",
            "20150830t123600Z",
            "20150830T123600z",
            "+0150830T123600Z",
            "2015083 T123600Z",
            "20150830T1236+0Z",
            "2015083éT12360Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn http_date_parses() {
        let t = suite_time();
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"), Some(t));
        assert_eq!(parse_http_date("  Sun, 30 Aug 2015 12:36:00 GMT\t"), Some(t));
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(UNIX_EPOCH));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 23:59:59 GMT").map(format_amz_date).as_deref(),
            Some("20000229T235959Z")
        );
        for bad in [
            "30 Aug 2015 12:36:00",
            "Sun, 30 Aug 2015 12:36:00 UTC",
            "Sun, 30 aug 2015 12:36:00 GMT",
            "Xyz, 30 Aug 2015 12:36:00 GMT",
            "Sun, 31 Sep 2015 12:36:00 GMT",
            "Sun, 29 Feb 2100 12:36:00 GMT",
            "Sun, 30 Aug 2015 24:00:00 GMT",
            "Sun, 30 Aug 2015 12:36:60 GMT",
            "Sun, 30 Aug 2015 12:36 GMT",
            "Sun,  30 Aug 2015 12:36:00 GMT",
            "Sunday, 30-Aug-15 12:36:00 GMT",
            "Sun, 30 Aug 2015 12:36:00 GMTé",
            "Sun, 3é Aug 2015 12:36:00 GMT",
            "",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn date_stamps_are_checked() {
        assert!(is_date_stamp("20150830"));
        assert!(is_date_stamp("20000229"));
        assert!(is_date_stamp("20240229"));
        assert!(!is_date_stamp("21000229"));
        assert!(!is_date_stamp("20150230"));
        assert!(!is_date_stamp("20150431"));
        assert!(!is_date_stamp("20150800"));
        assert!(!is_date_stamp("20150001"));
        assert!(!is_date_stamp("2015083"));
        assert!(!is_date_stamp("201508301"));
        assert!(!is_date_stamp("2015083a"));
    }

    #[test]
    fn civil_conversions_match_known_days() {
        for (days, date) in [
            (0, (1970, 1, 1)),
            (-1, (1969, 12, 31)),
            (10_956, (1999, 12, 31)),
            (11_016, (2000, 2, 29)),
            (11_017, (2000, 3, 1)),
            (16_677, (2015, 8, 30)),
            (47_540, (2100, 2, 28)),
            (47_541, (2100, 3, 1)),
            (-719_528, (0, 1, 1)),
            (2_932_896, (9999, 12, 31)),
        ] {
            assert_eq!(civil_from_days(days), date, "{days}");
            assert_eq!(days_from_civil(date.0, date.1, date.2), days, "{date:?}");
        }
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 12), 31);
        assert_eq!(days_in_month(2023, 11), 30);
    }

    /// Every day from 0000-01-01 to 9999-12-31 converts both ways, one after the other.
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
    }

    /// The formats against the `time` crate (a dev-dependency) over pseudo-random instants
    /// from year 0 to 9999.
    #[test]
    fn formats_agree_with_the_time_crate() {
        use time::macros::format_description;
        let amz = format_description!("[year][month][day]T[hour][minute][second]Z");
        let http = format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        let (first, last) = (-62_167_219_200_i64, 253_402_300_799_i64);
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let secs = first + (seed % (last - first + 1) as u64) as i64;
            let theirs = time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
            let ours = SystemTime::from(theirs);
            let text = theirs.format(amz).unwrap();
            assert_eq!(format_amz_date(ours), text, "{secs}");
            assert_eq!(parse_amz_date(&text), Some(ours), "{text}");
            assert_eq!(parse_http_date(&theirs.format(http).unwrap()), Some(ours), "{secs}");
        }
    }

    #[test]
    fn hostile_input_never_panics() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let alphabet = b"0123456789TZ :,GMTSunAug+-.\xc3\xa9";
        for len in 0..40 {
            for _ in 0..200 {
                let s: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        alphabet[(seed % alphabet.len() as u64) as usize]
                    })
                    .collect();
                let s = String::from_utf8_lossy(&s);
                let _ = (parse_amz_date(&s), parse_http_date(&s), is_date_stamp(&s));
            }
        }
    }
}
