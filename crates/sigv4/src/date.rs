//! The two time formats SigV4 uses: the ISO 8601 basic "amz date" (`20150830T123600Z`,
//! in `X-Amz-Date` and the string to sign) with its date stamp (`20150830`, in the
//! credential scope), and the RFC 1123 `Date` header a request may carry instead.

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

const AMZ_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");
const DATE_STAMP: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]");
const HTTP_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT");

/// Formats `t` (converted to UTC) as `YYYYMMDD'T'HHMMSS'Z'`.
pub fn format_amz_date(t: OffsetDateTime) -> String {
    let utc = t.to_offset(UtcOffset::UTC);
    // A four-digit year always fits this format; the fallback only covers years < 0 or
    // > 9999, which no request time can have.
    utc.format(AMZ_DATE).unwrap_or_default()
}

/// Formats the UTC date of `t` as `YYYYMMDD`, the first part of a credential scope.
pub fn format_date_stamp(t: OffsetDateTime) -> String {
    let utc = t.to_offset(UtcOffset::UTC);
    utc.format(DATE_STAMP).unwrap_or_default()
}

/// Parses an `X-Amz-Date` value (`YYYYMMDD'T'HHMMSS'Z'`, UTC); `None` if malformed.
pub fn parse_amz_date(value: &str) -> Option<OffsetDateTime> {
    // The exact length rules out signs, extra digits and trailing text up front.
    if value.len() != 16 {
        return None;
    }
    PrimitiveDateTime::parse(value, AMZ_DATE).ok().map(PrimitiveDateTime::assume_utc)
}

/// Parses an RFC 1123 `Date` header (`Sun, 30 Aug 2015 12:36:00 GMT`); `None` if malformed.
pub fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(value.trim(), HTTP_DATE).ok().map(PrimitiveDateTime::assume_utc)
}

/// True if `stamp` is a real `YYYYMMDD` date.
pub(crate) fn is_date_stamp(stamp: &str) -> bool {
    stamp.len() == 8 && time::Date::parse(stamp, DATE_STAMP).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn amz_date_round_trips() {
        let t = datetime!(2015-08-30 12:36:00 UTC);
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        assert_eq!(format_date_stamp(t), "20150830");
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(t));
        let shifted = datetime!(2015-08-30 14:36:00 +2);
        assert_eq!(format_amz_date(shifted), "20150830T123600Z");
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
            "+0150830T123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn http_date_parses() {
        let t = datetime!(2015-08-30 12:36:00 UTC);
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"), Some(t));
        assert_eq!(parse_http_date("30 Aug 2015 12:36:00"), None);
    }

    #[test]
    fn date_stamps_are_checked() {
        assert!(is_date_stamp("20150830"));
        assert!(!is_date_stamp("20150230"));
        assert!(!is_date_stamp("2015083"));
    }
}
