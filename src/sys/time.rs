//! Local time (localtime_r), for the Date header.
//!
//! A safe wrapper that returns libc's broken-down local time as plain data,
//! including the UTC offset (`tm_gmtoff`) and the zone abbreviation.

use std::ffi::CStr;

/// Broken-down time, as `struct tm` holds it but with the full year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTime {
    /// Full year (`tm_year + 1900`); may be zero or negative.
    pub year: i64,
    /// Month, 0 = January (`tm_mon`).
    pub month: u32,
    /// Day of the month, 1..=31 (`tm_mday`).
    pub mday: u32,
    pub hour: u32,
    pub min: u32,
    /// 0..=60 (a leap second in "right/" zones).
    pub sec: u32,
    /// Day of the week, 0 = Sunday (`tm_wday`).
    pub wday: u32,
    /// Seconds east of UTC (`tm_gmtoff`).
    pub gmtoff: i64,
    /// Zone abbreviation (`tm_zone`), when libc gave one.
    pub zone: Option<String>,
}

/// The local time of `t` (seconds since the epoch) in the process's time
/// zone (TZ or the system zone), or `None` when libc cannot represent it.
// `c_long` is `i64` only on 64-bit targets.
#[allow(clippy::useless_conversion)]
pub fn local(t: i64) -> Option<LocalTime> {
    let when = libc::time_t::try_from(t).ok()?;
    // SAFETY: `libc::tm` is a plain C struct of integers and one pointer;
    // the all-zero bit pattern is a valid value of it (null `tm_zone`).
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers come from live references to properly aligned
    // values of the right types; localtime_r is thread-safe and writes only
    // into `tm`.
    let res = unsafe { libc::localtime_r(&when, &mut tm) };
    if res.is_null() {
        return None;
    }
    let zone = if tm.tm_zone.is_null() {
        None
    } else {
        // SAFETY: a non-null `tm_zone` set by localtime_r points to a
        // NUL-terminated string in libc's time zone storage, valid at least
        // until the next tzset; it is copied at once.
        Some(
            unsafe { CStr::from_ptr(tm.tm_zone) }
                .to_string_lossy()
                .into_owned(),
        )
    };
    let field = |v: libc::c_int| u32::try_from(v).ok();
    Some(LocalTime {
        year: i64::from(tm.tm_year) + 1900,
        month: field(tm.tm_mon)?,
        mday: field(tm.tm_mday)?,
        hour: field(tm.tm_hour)?,
        min: field(tm.tm_min)?,
        sec: field(tm.tm_sec)?,
        wday: field(tm.tm_wday)?,
        gmtoff: i64::from(tm.tm_gmtoff),
        zone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_is_consistent_with_its_offset() {
        // Whatever the zone, local time minus the offset is the UTC time.
        let t = 1_000_000_000;
        let lt = local(t).expect("representable");
        let secs_of_day = i64::from(lt.hour) * 3600 + i64::from(lt.min) * 60 + i64::from(lt.sec);
        let utc_secs_of_day = (secs_of_day - lt.gmtoff).rem_euclid(86_400);
        assert_eq!(utc_secs_of_day, t.rem_euclid(86_400));
    }

    #[test]
    fn unrepresentable_time_is_none() {
        assert_eq!(local(i64::MAX), None);
    }
}
