//! Fast byte search for the message data path: a safe wrapper over glibc's
//! `memchr` (std has no public memchr), and [`for_each_mark`], one vectorised
//! pass that finds both the line feeds and the dots to stuff, and the
//! dot-stuffing loops of [`stuff`].

mod stuff;

pub use stuff::{find_stuff, stuff_copy};

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

use std::mem::MaybeUninit;

const LF: u8 = b'\n';
const CR: u8 = b'\r';
const DOT: u8 = b'.';

/// Marks gathered per round: a round stops when fewer than [`STEP`] free
/// slots are left (one step can add up to [`STEP`]).
const MARK_BUF: usize = 256;
/// Bytes per AVX2 step (and the most the scalar tail handles).
const STEP: usize = 64;

/// Calls `f(i, true)` for every LF in `data` and `f(i, false)` for every
/// `.` whose previous byte is a CR or a LF (for `i == 0` that is
/// `prev_eol`), in increasing order of `i`; stops at the first error.
///
/// One pass over the data (SSE2, or AVX2 when the CPU has it) that collects
/// marks into a small buffer, then the calls: the scanning loop stays tight
/// and text with a line end and a dot every few dozen bytes costs well under
/// one instruction per byte, plus a few per mark.
#[inline]
pub fn for_each_mark<E>(
    data: &[u8],
    prev_eol: bool,
    f: impl FnMut(usize, bool) -> Result<(), E>,
) -> Result<(), E> {
    marks(data, prev_eol, true, f)
}

#[inline]
fn marks<E>(
    data: &[u8],
    prev_eol: bool,
    want_lf: bool,
    mut f: impl FnMut(usize, bool) -> Result<(), E>,
) -> Result<(), E> {
    // Not zeroed: only the first `n` slots, written by the fill, are read.
    let mut buf = [MaybeUninit::<usize>::uninit(); MARK_BUF];
    let mut scan = Scan {
        pos: 0,
        carry: u32::from(prev_eol),
        want_lf,
    };
    #[cfg(target_arch = "x86_64")]
    let avx2 = std::is_x86_feature_detected!("avx2");
    loop {
        #[cfg(target_arch = "x86_64")]
        let n = if avx2 {
            // SAFETY: the CPU supports AVX2 (checked above).
            unsafe { fill_avx2(data, &mut scan, &mut buf) }
        } else {
            // SAFETY: SSE2 is part of the x86_64 baseline.
            unsafe { fill_sse2(data, &mut scan, &mut buf) }
        };
        #[cfg(not(target_arch = "x86_64"))]
        let n = fill_scalar(data, &mut scan, &mut buf, 0);
        for slot in buf.get(..n).unwrap_or_default() {
            // SAFETY: the fill functions initialise slots 0..n before
            // returning n (every slot below n is written by `put`).
            let mark = unsafe { slot.assume_init() };
            f(mark >> 1, mark & 1 != 0)?;
        }
        if scan.pos >= data.len() {
            return Ok(());
        }
    }
}

type Marks = [MaybeUninit<usize>; MARK_BUF];

/// Where a scan stands: next byte, and whether the byte before it is a CR
/// or LF (1) or not (0).
#[derive(Debug)]
struct Scan {
    pos: usize,
    carry: u32,
    /// Report line feeds too (else only the dots to stuff).
    want_lf: bool,
}

/// Appends the marks of one step (`mask`, LF bits in `lf`) at `base + bit`.
#[inline(always)]
fn push_marks(buf: &mut Marks, n: &mut usize, base: usize, lf: u64, mut mask: u64) {
    while mask != 0 {
        let bit = mask.trailing_zeros();
        mask &= mask - 1;
        if let Some(slot) = buf.get_mut(*n) {
            slot.write(((base + bit as usize) << 1) | ((lf >> bit) & 1) as usize);
            *n += 1;
        }
    }
}

/// Byte-at-a-time: the rest of `data` (less than [`STEP`] bytes after the
/// SIMD loop, or all of it without SIMD, as room allows).
#[inline(always)]
fn fill_scalar(data: &[u8], scan: &mut Scan, buf: &mut Marks, mut n: usize) -> usize {
    let mut prev_eol = scan.carry != 0;
    while let Some(&b) = data.get(scan.pos) {
        if n >= MARK_BUF {
            break;
        }
        if b == LF && scan.want_lf {
            buf[n].write((scan.pos << 1) | 1);
            n += 1;
        } else if b == DOT && prev_eol {
            buf[n].write(scan.pos << 1);
            n += 1;
        }
        prev_eol = b == LF || b == CR;
        scan.pos += 1;
    }
    scan.carry = u32::from(prev_eol);
    n
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
unsafe fn fill_sse2(data: &[u8], scan: &mut Scan, buf: &mut Marks) -> usize {
    use std::arch::x86_64::*;
    let lf = _mm_set1_epi8(LF as i8);
    let cr = _mm_set1_epi8(CR as i8);
    let dot = _mm_set1_epi8(DOT as i8);
    let mut n = 0;
    let mut i = scan.pos;
    let mut carry = scan.carry;
    let lf_mask = if scan.want_lf { u32::MAX } else { 0 };
    while i + 16 <= data.len() && n <= MARK_BUF - 16 {
        // SAFETY: `i + 16 <= data.len()`, so the 16 bytes read are inside
        // the slice; the load has no alignment requirement.
        let v = unsafe { _mm_loadu_si128(data.as_ptr().add(i).cast()) };
        let m_lf = _mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)) as u32;
        let m_cr = _mm_movemask_epi8(_mm_cmpeq_epi8(v, cr)) as u32;
        let m_dot = _mm_movemask_epi8(_mm_cmpeq_epi8(v, dot)) as u32;
        let eol = m_lf | m_cr;
        let marks = (m_lf & lf_mask) | (m_dot & ((eol << 1) | carry));
        carry = (eol >> 15) & 1;
        push_marks(buf, &mut n, i, u64::from(m_lf), u64::from(marks));
        i += 16;
    }
    scan.pos = i;
    scan.carry = carry;
    if i + 16 > data.len() && n <= MARK_BUF - 16 {
        n = fill_scalar(data, scan, buf, n);
    }
    n
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fill_avx2(data: &[u8], scan: &mut Scan, buf: &mut Marks) -> usize {
    use std::arch::x86_64::*;
    let lf = _mm256_set1_epi8(LF as i8);
    let cr = _mm256_set1_epi8(CR as i8);
    let dot = _mm256_set1_epi8(DOT as i8);
    // The three masks of 32 bytes at `p`, widened to u64.
    let masks = |v: __m256i| -> (u64, u64, u64) {
        let m_lf = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, lf)) as u32;
        let m_cr = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, cr)) as u32;
        let m_dot = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, dot)) as u32;
        (u64::from(m_lf), u64::from(m_cr), u64::from(m_dot))
    };
    let mut n = 0;
    let mut i = scan.pos;
    let mut carry = u64::from(scan.carry);
    let lf_mask = if scan.want_lf { u64::MAX } else { 0 };
    while i + STEP <= data.len() && n <= MARK_BUF - STEP {
        // SAFETY: `i + 64 <= data.len()`, so the 64 bytes read are inside
        // the slice; the loads have no alignment requirement.
        let (lo, hi) = unsafe {
            let p = data.as_ptr().add(i);
            (
                _mm256_loadu_si256(p.cast()),
                _mm256_loadu_si256(p.add(32).cast()),
            )
        };
        let (lf_lo, cr_lo, dot_lo) = masks(lo);
        let (lf_hi, cr_hi, dot_hi) = masks(hi);
        let m_lf = lf_lo | (lf_hi << 32);
        let eol = m_lf | cr_lo | (cr_hi << 32);
        let m_dot = dot_lo | (dot_hi << 32);
        let marks = (m_lf & lf_mask) | (m_dot & ((eol << 1) | carry));
        carry = eol >> 63;
        push_marks(buf, &mut n, i, m_lf, marks);
        i += STEP;
    }
    scan.pos = i;
    scan.carry = carry as u32;
    if i + STEP > data.len() && n <= MARK_BUF - STEP {
        n = fill_scalar(data, scan, buf, n);
    }
    n
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
        let mut prev = prev_eol;
        for (i, &b) in data.iter().enumerate() {
            if b == b'\n' {
                v.push((i, true));
            } else if b == b'.' && prev {
                v.push((i, false));
            }
            prev = b == b'\n' || b == b'\r';
        }
        v
    }

    #[test]
    fn marks_match_the_scalar_reference() {
        let mut x: u32 = 12345;
        for len in (0..200).chain([1000, 4000]) {
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
                        let mut scan = Scan {
                            pos: 0,
                            carry: u32::from(prev),
                            want_lf: true,
                        };
                        let mut buf = [MaybeUninit::<usize>::uninit(); MARK_BUF];
                        loop {
                            // SAFETY: SSE2 is part of the x86_64 baseline.
                            let n = unsafe { fill_sse2(&data, &mut scan, &mut buf) };
                            v.extend(buf[..n].iter().map(|m| {
                                // SAFETY: the fill wrote slots 0..n.
                                let m = unsafe { m.assume_init() };
                                (m >> 1, m & 1 != 0)
                            }));
                            if scan.pos >= data.len() {
                                break;
                            }
                        }
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
