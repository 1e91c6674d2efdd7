//! RFC 5322 date-time formatting for the generated Date header.
//!
//! libESMTP 1.1 formats with `strftime("%a, %d %b %Y %T %z")` on
//! `localtime_r`: two-digit day, unpadded year, numeric offset truncated to
//! whole minutes. Day and month names are always English here (libESMTP
//! follows LC_TIME, quirk H-11, which gives non-RFC dates; see compat.md).

use crate::sys::time::LocalTime;

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats a broken-down time like `Sun, 09 Sep 2001 01:46:40 +0000`.
pub fn format(tm: &LocalTime) -> String {
    let day = DAYS.get(tm.wday as usize).copied().unwrap_or("???");
    let month = MONTHS.get(tm.month as usize).copied().unwrap_or("???");
    // %z: whole minutes of the offset, truncated toward zero (glibc).
    let sign = if tm.gmtoff < 0 { '-' } else { '+' };
    let minutes = tm.gmtoff.unsigned_abs() / 60;
    format!(
        "{day}, {:02} {month} {} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        tm.mday,
        tm.year,
        tm.hour,
        tm.min,
        tm.sec,
        minutes / 60,
        minutes % 60
    )
}

/// The broken-down UTC time of `t` (seconds since the epoch), for when the
/// local time cannot be had.
pub fn utc(t: i64) -> LocalTime {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil-from-days (proleptic Gregorian), valid for the whole i64 range
    // of days divided by 86400.
    let z = i128::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let mday = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i128::from(month <= 2);
    LocalTime {
        year: i64::try_from(year).unwrap_or(i64::MAX),
        month: (month - 1) as u32,
        mday: mday as u32,
        hour: (secs / 3600) as u32,
        min: (secs / 60 % 60) as u32,
        sec: (secs % 60) as u32,
        // 1970-01-01 was a Thursday.
        wday: (days + 4).rem_euclid(7) as u32,
        gmtoff: 0,
        zone: Some("UTC".to_owned()),
    }
}

/// The Date header value for `t`: local time from `local`, or UTC when
/// `local` cannot represent `t`.
pub fn date_value(t: i64, local: fn(i64) -> Option<LocalTime>) -> String {
    match local(t) {
        Some(tm) => format(&tm),
        None => format(&utc(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: i64, gmtoff: i64) -> String {
        let mut tm = utc(t + gmtoff);
        tm.gmtoff = gmtoff;
        format(&tm)
    }

    #[test]
    fn utc_examples_match_strftime() {
        // Expected strings produced by glibc strftime under TZ=UTC.
        assert_eq!(at(1_000_000_000, 0), "Sun, 09 Sep 2001 01:46:40 +0000");
        assert_eq!(at(0, 0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(at(-1, 0), "Wed, 31 Dec 1969 23:59:59 +0000");
        assert_eq!(at(-59_000_000_000, 0), "Thu, 13 May 100 15:06:40 +0000");
        assert_eq!(at(-62_135_596_800, 0), "Mon, 01 Jan 1 00:00:00 +0000");
        assert_eq!(at(-62_170_156_800, 0), "Sun, 28 Nov -1 00:00:00 +0000");
        assert_eq!(at(253_402_300_800, 0), "Sat, 01 Jan 10000 00:00:00 +0000");
    }

    #[test]
    fn offsets_match_strftime() {
        // Expected strings produced by glibc strftime in the named zones.
        assert_eq!(
            at(1_000_000_000, -4 * 3600),
            "Sat, 08 Sep 2001 21:46:40 -0400"
        );
        assert_eq!(at(1_795_682_668, 19_800), "Thu, 26 Nov 2026 14:14:28 +0530");
        assert_eq!(at(1_000_000_000, -9000), "Sat, 08 Sep 2001 23:16:40 -0230");
        // Africa/Monrovia before 1972: -0:44:30, truncated to -0044.
        assert_eq!(at(0, -2670), "Wed, 31 Dec 1969 23:15:30 -0044");
        // Local mean time +0:09:21 → +0009.
        assert_eq!(at(-62_135_596_800, 561), "Mon, 01 Jan 1 00:09:21 +0009");
    }

    #[test]
    fn unrepresentable_local_time_falls_back_to_utc() {
        fn none(_: i64) -> Option<LocalTime> {
            None
        }
        assert_eq!(
            date_value(1_000_000_000, none),
            "Sun, 09 Sep 2001 01:46:40 +0000"
        );
        // Far beyond libc's range: still a date, never a panic.
        let _ = date_value(i64::MAX, none);
        let _ = date_value(i64::MIN, none);
    }
}
