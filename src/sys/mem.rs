//! Fast byte search: a safe wrapper over glibc's `memchr` (vectorised), which
//! the data path uses to find line ends and dots. std has no public memchr.

/// Index of the first `needle` in `haystack`, if any.
#[inline]
pub fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    if haystack.is_empty() {
        return None;
    }
    let base = haystack.as_ptr();
    // SAFETY: `base` and `haystack.len()` describe one live, initialised
    // slice; memchr reads at most that many bytes from it and returns either
    // NULL or a pointer into it. It neither writes nor keeps the pointer.
    let found = unsafe { libc::memchr(base.cast(), libc::c_int::from(needle), haystack.len()) };
    if found.is_null() {
        None
    } else {
        // Plain address arithmetic: `found` lies inside the slice.
        Some(found as usize - base as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::memchr;

    #[test]
    fn finds_first_or_none() {
        assert_eq!(memchr(b'\n', b""), None);
        assert_eq!(memchr(b'\n', b"abc"), None);
        assert_eq!(memchr(b'\n', b"\nabc\n"), Some(0));
        assert_eq!(memchr(b'\n', b"ab\nc\n"), Some(2));
        let big = [b'x'; 10_000];
        assert_eq!(memchr(b'x', &big[..]), Some(0));
        assert_eq!(memchr(b'y', &big[..]), None);
        let mut v = big.to_vec();
        v[9_999] = 0xff;
        assert_eq!(memchr(0xff, &v), Some(9_999));
    }
}
