//! Fast byte search for the message data path: a safe wrapper over glibc's
//! `memchr` (std has no public memchr), and [`for_each_mark`], one vectorised
//! pass that finds both the line feeds and the dots to stuff.

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

const LF: u8 = b'\n';
const CR: u8 = b'\r';
const DOT: u8 = b'.';

/// Calls `f(i, true)` for every LF in `data` and `f(i, false)` for every
/// `.` whose previous byte is a CR or a LF (for `i == 0` that is
/// `prev_eol`), in increasing order of `i`; stops at the first error.
///
/// One pass over the data (SSE2, or AVX2 when the CPU has it), so text with
/// a line end and a dot every few dozen bytes costs well under one
/// instruction per byte, plus a few per mark.
#[inline]
pub fn for_each_mark<E>(
    data: &[u8],
    prev_eol: bool,
    mut f: impl FnMut(usize, bool) -> Result<(), E>,
) -> Result<(), E> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { marks_avx2(data, prev_eol, &mut f) };
        }
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe { marks_sse2(data, prev_eol, &mut f) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    marks_scalar(data, 0, prev_eol, &mut f)
}

/// Reports the marks of `mask` (LF bits in `lf`) at `base + bit`.
#[inline(always)]
fn report<E>(
    base: usize,
    lf: u32,
    mut mask: u32,
    f: &mut impl FnMut(usize, bool) -> Result<(), E>,
) -> Result<(), E> {
    while mask != 0 {
        let bit = mask.trailing_zeros();
        mask &= mask - 1;
        f(base + bit as usize, (lf >> bit) & 1 != 0)?;
    }
    Ok(())
}

/// Byte-at-a-time marks of `data[from..]`; `prev_eol` describes the byte
/// before `from`.
#[inline(always)]
fn marks_scalar<E>(
    data: &[u8],
    from: usize,
    mut prev_eol: bool,
    f: &mut impl FnMut(usize, bool) -> Result<(), E>,
) -> Result<(), E> {
    for (i, &b) in data.iter().enumerate().skip(from) {
        if b == LF {
            f(i, true)?;
        } else if b == DOT && prev_eol {
            f(i, false)?;
        }
        prev_eol = b == LF || b == CR;
    }
    Ok(())
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
unsafe fn marks_sse2<E>(
    data: &[u8],
    prev_eol: bool,
    f: &mut impl FnMut(usize, bool) -> Result<(), E>,
) -> Result<(), E> {
    use std::arch::x86_64::*;
    let lf = _mm_set1_epi8(LF as i8);
    let cr = _mm_set1_epi8(CR as i8);
    let dot = _mm_set1_epi8(DOT as i8);
    let mut carry = u32::from(prev_eol);
    let mut i = 0;
    while i + 16 <= data.len() {
        // SAFETY: `i + 16 <= data.len()`, so the 16 bytes read are inside
        // the slice; the load has no alignment requirement.
        let v = unsafe { _mm_loadu_si128(data.as_ptr().add(i).cast()) };
        let m_lf = _mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)) as u32;
        let m_cr = _mm_movemask_epi8(_mm_cmpeq_epi8(v, cr)) as u32;
        let m_dot = _mm_movemask_epi8(_mm_cmpeq_epi8(v, dot)) as u32;
        let eol = m_lf | m_cr;
        let stuff = m_dot & ((eol << 1) | carry);
        carry = (eol >> 15) & 1;
        report(i, m_lf, m_lf | stuff, f)?;
        i += 16;
    }
    marks_scalar(data, i, carry != 0, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn marks_avx2<E>(
    data: &[u8],
    prev_eol: bool,
    f: &mut impl FnMut(usize, bool) -> Result<(), E>,
) -> Result<(), E> {
    use std::arch::x86_64::*;
    let lf = _mm256_set1_epi8(LF as i8);
    let cr = _mm256_set1_epi8(CR as i8);
    let dot = _mm256_set1_epi8(DOT as i8);
    let mut carry = u32::from(prev_eol);
    let mut i = 0;
    while i + 32 <= data.len() {
        // SAFETY: `i + 32 <= data.len()`, so the 32 bytes read are inside
        // the slice; the load has no alignment requirement.
        let v = unsafe { _mm256_loadu_si256(data.as_ptr().add(i).cast()) };
        let m_lf = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, lf)) as u32;
        let m_cr = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, cr)) as u32;
        let m_dot = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, dot)) as u32;
        let eol = m_lf | m_cr;
        let stuff = m_dot & ((eol << 1) | carry);
        carry = eol >> 31;
        report(i, m_lf, m_lf | stuff, f)?;
        i += 32;
    }
    marks_scalar(data, i, carry != 0, f)
}
#[cfg(test)]
mod tests {
    use super::*;

    fn marks(data: &[u8], prev_eol: bool) -> Vec<(usize, bool)> {
        let mut v = Vec::new();
        let _ = for_each_mark::<()>(data, prev_eol, |i, lf| {
            v.push((i, lf));
            Ok(())
        });
        v
    }

    fn reference(data: &[u8], prev_eol: bool) -> Vec<(usize, bool)> {
        let mut v = Vec::new();
        let _ = marks_scalar::<()>(data, 0, prev_eol, &mut |i, lf| {
            v.push((i, lf));
            Ok(())
        });
        v
    }

    #[test]
    fn marks_match_the_scalar_reference() {
        let mut x: u32 = 12345;
        for len in 0..200 {
            for _ in 0..20 {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 17;
                        x ^= x << 5;
                        b"..\r\nab"[(x % 6) as usize]
                    })
                    .collect();
                for prev in [false, true] {
                    let want = reference(&data, prev);
                    assert_eq!(marks(&data, prev), want, "{data:?}");
                    #[cfg(target_arch = "x86_64")]
                    {
                        let mut v = Vec::new();
                        // SAFETY: SSE2 is part of the x86_64 baseline.
                        let _ = unsafe {
                            marks_sse2::<()>(&data, prev, &mut |i, lf| {
                                v.push((i, lf));
                                Ok(())
                            })
                        };
                        assert_eq!(v, want, "sse2 {data:?}");
                    }
                }
            }
        }
        assert_eq!(
            marks(b".a\n.\r.", true),
            vec![(0, false), (2, true), (3, false), (5, false)]
        );
        assert_eq!(marks(b".", false), vec![]);
    }

    #[test]
    fn marks_stop_at_the_first_error() {
        let mut n = 0;
        let r = for_each_mark(b"\n\n\n", false, |_, _| {
            n += 1;
            if n == 2 {
                Err(())
            } else {
                Ok(())
            }
        });
        assert_eq!((r, n), (Err(()), 2));
    }

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
