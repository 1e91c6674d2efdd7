//! The two vector loops of dot-stuffing: [`find_stuff`] (where is the next
//! `.` to double?) and [`stuff_copy`] (copy while doubling them).
//!
//! A `.` is to be doubled when the byte before it is a CR or a LF (at the
//! start of the input: when the caller says so). Both loops compare a whole
//! vector against LF, CR and `.` at once and shift the line-end mask by one
//! bit, so text costs about half an instruction per byte, and a short
//! slice (a header line) costs a few dozen instructions in all: no mark
//! buffer to set up and no byte-by-byte tail.

const LF: u8 = b'\n';
const CR: u8 = b'\r';
const DOT: u8 = b'.';

#[inline]
fn is_eol(b: u8) -> bool {
    b == LF || b == CR
}

/// Index of the first `.` in `data` whose previous byte is a CR or LF (for
/// index 0: whether `prev_eol`).
#[inline]
pub fn find_stuff(data: &[u8], prev_eol: bool) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        if data.len() >= 32 && std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { find_stuff_avx2(data, prev_eol) };
        }
        if data.len() >= 16 {
            // SAFETY: SSE2 is part of the x86_64 baseline.
            return unsafe { find_stuff_sse2(data, prev_eol) };
        }
    }
    find_stuff_scalar(data, prev_eol)
}

fn find_stuff_scalar(data: &[u8], prev_eol: bool) -> Option<usize> {
    let mut prev = prev_eol;
    for (i, &b) in data.iter().enumerate() {
        if b == DOT && prev {
            return Some(i);
        }
        prev = is_eol(b);
    }
    None
}

/// Copies `src` into `dst`, writing every `.` that [`find_stuff`] would
/// find twice; `prev_eol` as there. Stops when `src` is used up or `dst`
/// is (nearly) full, never between the two dots of a pair. Returns the
/// bytes read from `src` and written to `dst`; at least one byte is read
/// when `src` is not empty and `dst` holds at least 2 bytes.
#[inline]
pub fn stuff_copy(src: &[u8], prev_eol: bool, dst: &mut [u8]) -> (usize, usize) {
    #[cfg(target_arch = "x86_64")]
    let (read, written, prev) = if std::is_x86_feature_detected!("avx512bw") {
        // SAFETY: the CPU supports AVX-512 BW (checked just above), which
        // implies AVX-512 F.
        unsafe { stuff_copy_avx512(src, prev_eol, dst) }
    } else if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        unsafe { stuff_copy_avx2(src, prev_eol, dst) }
    } else {
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe { stuff_copy_sse2(src, prev_eol, dst) }
    };
    #[cfg(not(target_arch = "x86_64"))]
    let (read, written, prev) = (0, 0, prev_eol);
    stuff_copy_scalar(src, dst, read, written, prev)
}

/// The byte-by-byte rest of [`stuff_copy`], from `src[i]` / `dst[o]`.
fn stuff_copy_scalar(
    src: &[u8],
    dst: &mut [u8],
    mut i: usize,
    mut o: usize,
    mut prev: bool,
) -> (usize, usize) {
    while let Some(&b) = src.get(i) {
        let stuff = b == DOT && prev;
        let need = if stuff { 2 } else { 1 };
        let Some(out) = dst.get_mut(o..o + need) else {
            break;
        };
        out.fill(b);
        o += need;
        i += 1;
        prev = is_eol(b);
    }
    (i, o)
}

/// One vector width of the loops below: loads, and the line-end and dot
/// masks of what was loaded (bit `k` for byte `k`).
macro_rules! simd_loops {
    ($find:ident, $copy:ident, $feature:literal, $width:literal, $vec:ident,
     $load:ident, $store:ident, $set1:ident, $cmpeq:ident, $and:ident,
     $movemask:ident, $cmpgt:ident, $add:ident, $iota:expr, $eol:ident, $blend:ident) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $feature)]
        unsafe fn $find(data: &[u8], prev_eol: bool) -> Option<usize> {
            use std::arch::x86_64::*;
            const W: usize = $width;
            let dot = $set1(DOT as i8);
            let masks = |v: $vec| -> (u32, u32) {
                ($movemask($eol(v)) as u32, $movemask($cmpeq(v, dot)) as u32)
            };
            let len = data.len();
            let p = data.as_ptr();
            let mut carry = u32::from(prev_eol);
            let mut i = 0;
            while i + W <= len {
                // SAFETY: `i + W <= len`: the bytes read are inside `data`;
                // the load has no alignment requirement.
                let (eol, dots) = masks(unsafe { $load(p.add(i).cast()) });
                let m = dots & ((eol << 1) | carry);
                if m != 0 {
                    return Some(i + m.trailing_zeros() as usize);
                }
                carry = eol >> (W - 1);
                i += W;
            }
            if i < len && len >= W {
                // The last W bytes again, overlapping what was scanned: only
                // the bits of the bytes not yet seen count, and the byte
                // before each of them is inside the window.
                let start = len - W;
                // SAFETY: `start + W == len`: inside `data`.
                let (eol, dots) = masks(unsafe { $load(p.add(start).cast()) });
                let m = dots & (eol << 1) & (u32::MAX << (i - start));
                if m != 0 {
                    return Some(start + m.trailing_zeros() as usize);
                }
                return None;
            }
            find_stuff_scalar(data.get(i..).unwrap_or_default(), carry != 0).map(|k| i + k)
        }

        /// The vector part of [`stuff_copy`]: returns where it stopped and
        /// whether the byte before `src[read]` is a line end (for the rest).
        ///
        /// Every step copies one vector at a fixed stride and nothing waits
        /// on where the dots are (no branch, no load from a computed
        /// address): the vector is read twice, at `i` and one byte
        /// earlier, and with a stuffing point at `b` the bytes after `b`
        /// are taken from the earlier one, the last byte stored after the
        /// vector. A vector with two or more stuffing points (lines
        /// shorter than a vector) goes byte by byte.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $feature)]
        unsafe fn $copy(src: &[u8], prev_eol: bool, dst: &mut [u8]) -> (usize, usize, bool) {
            use std::arch::x86_64::*;
            const W: usize = $width;
            let dot = $set1(DOT as i8);
            let sp = src.as_ptr();
            let iota = $iota;
            // Bit `k`: `v[k]` is a `.` and `u[k]` (the byte before it) a
            // line end.
            let marks =
                |v: $vec, u: $vec| -> u32 { $movemask($and($cmpeq(v, dot), $eol(u))) as u32 };
            // `v` up to the stuffing point, then `u` (one byte late).
            let late = |v: $vec, u: $vec, late: $vec| $blend(v, u, late);
            // The first byte alone: from then on, the byte before each
            // vector is read along with it.
            let (mut i, mut o) =
                stuff_copy_scalar(src.get(..1).unwrap_or_default(), dst, 0, 0, prev_eol);
            if i == 0 {
                return (0, 0, prev_eol);
            }
            let iota2 = $add(iota, $set1(W as i8));
            while i + W <= src.len() && o + 2 * W < dst.len() {
                if i + 2 * W <= src.len() {
                    // Two vectors at once while they hold at most one
                    // stuffing point (lines of at least 2 W bytes).
                    // SAFETY: `1 <= i` and `i + 2 * W <= src.len()`: the
                    // bytes read (from `i - 1` on) are inside `src`; no
                    // alignment requirement.
                    let (v, u, v2, u2) = unsafe {
                        (
                            $load(sp.add(i).cast()),
                            $load(sp.add(i - 1).cast()),
                            $load(sp.add(i + W).cast()),
                            $load(sp.add(i + W - 1).cast()),
                        )
                    };
                    let m = u64::from(marks(v, u)) | u64::from(marks(v2, u2)) << W;
                    if m & m.wrapping_sub(1) == 0 {
                        // `2 W` when there is none; `2 W <= 64`.
                        let b = m.trailing_zeros().min(2 * W as u32);
                        let at = $set1(b as i8);
                        let out = late(v, u, $cmpgt(iota, at));
                        let out2 = late(v2, u2, $cmpgt(iota2, at));
                        let dp = dst.as_mut_ptr();
                        // SAFETY: `o + 2 * W < dst.len()` and
                        // `i + 2 * W <= src.len()`: the bytes written are
                        // inside `dst` (which does not overlap `src`: it
                        // is borrowed mutably); no alignment requirement.
                        unsafe {
                            $store(dp.add(o).cast(), out);
                            $store(dp.add(o + W).cast(), out2);
                            *dp.add(o + 2 * W) = *sp.add(i + 2 * W - 1);
                        }
                        i += 2 * W;
                        o += 2 * W + usize::from(m != 0);
                        continue;
                    }
                }
                // SAFETY: `1 <= i` and `i + W <= src.len()`: the bytes read
                // (from `i - 1` on) are inside `src`; no alignment
                // requirement.
                let (v, u) = unsafe { ($load(sp.add(i).cast()), $load(sp.add(i - 1).cast())) };
                let m = marks(v, u);
                if m & m.wrapping_sub(1) != 0 {
                    let chunk = src.get(..i + W).unwrap_or_default();
                    let prev = src.get(i - 1).is_some_and(|&b| is_eol(b));
                    (i, o) = stuff_copy_scalar(chunk, dst, i, o, prev);
                    continue;
                }
                // `W` when there is no stuffing point.
                let b = (u64::from(m) | (1 << W)).trailing_zeros();
                let out = late(v, u, $cmpgt(iota, $set1(b as i8)));
                // The byte pushed out of the vector goes at `o + W`
                // (overwritten next time when there was no stuffing point).
                let dp = dst.as_mut_ptr();
                // SAFETY: `o + W < dst.len()` and `i + W <= src.len()`: the
                // bytes written are inside `dst` (which does not overlap
                // `src`: it is borrowed mutably); no alignment requirement.
                unsafe {
                    $store(dp.add(o).cast(), out);
                    *dp.add(o + W) = *sp.add(i + W - 1);
                }
                i += W;
                o += W + usize::from(m != 0);
            }
            (i, o, src.get(i - 1).is_some_and(|&b| is_eol(b)))
        }
    };
}

simd_loops!(
    find_stuff_avx2,
    stuff_copy_avx2,
    "avx2",
    32,
    __m256i,
    _mm256_loadu_si256,
    _mm256_storeu_si256,
    _mm256_set1_epi8,
    _mm256_cmpeq_epi8,
    _mm256_and_si256,
    _mm256_movemask_epi8,
    _mm256_cmpgt_epi8,
    _mm256_add_epi8,
    _mm256_setr_epi8(
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
        25, 26, 27, 28, 29, 30, 31
    ),
    eol_avx2,
    _mm256_blendv_epi8
);

simd_loops!(
    find_stuff_sse2,
    stuff_copy_sse2,
    "sse2",
    16,
    __m128i,
    _mm_loadu_si128,
    _mm_storeu_si128,
    _mm_set1_epi8,
    _mm_cmpeq_epi8,
    _mm_and_si128,
    _mm_movemask_epi8,
    _mm_cmpgt_epi8,
    _mm_add_epi8,
    _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    eol_sse2,
    blend_sse2
);

/// [`stuff_copy`] with 64-byte vectors: the AVX2 loop's idea (the bytes
/// after a stuffing point come from a load one byte earlier), with the
/// compares giving bit masks directly, so a step is about half as many
/// instructions per byte. Dot-heavy text, where every line starts with a
/// `.`, is copied mostly here.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn stuff_copy_avx512(src: &[u8], prev_eol: bool, dst: &mut [u8]) -> (usize, usize, bool) {
    use std::arch::x86_64::*;
    const W: usize = 64;
    const T: [i8; 16] = eol_table();
    let table = _mm512_broadcast_i32x4(_mm_setr_epi8(
        T[0], T[1], T[2], T[3], T[4], T[5], T[6], T[7], T[8], T[9], T[10], T[11], T[12], T[13],
        T[14], T[15],
    ));
    let dot = _mm512_set1_epi8(DOT as i8);
    let sp = src.as_ptr();
    // The first byte alone: from then on, the byte before each vector is
    // read along with it.
    let (mut i, mut o) = stuff_copy_scalar(src.get(..1).unwrap_or_default(), dst, 0, 0, prev_eol);
    if i == 0 {
        return (0, 0, prev_eol);
    }
    while i + W <= src.len() && o + W < dst.len() {
        // SAFETY: `1 <= i` and `i + W <= src.len()`: the bytes read (from
        // `i - 1` on) are inside `src`; no alignment requirement.
        let (v, u) = unsafe {
            (
                _mm512_loadu_si512(sp.add(i).cast()),
                _mm512_loadu_si512(sp.add(i - 1).cast()),
            )
        };
        // Bit `k`: `v[k]` is a `.` and `u[k]`, the byte before it, a line end.
        let m = _mm512_cmpeq_epi8_mask(v, dot)
            & _mm512_cmpeq_epi8_mask(_mm512_shuffle_epi8(table, u), u);
        if m & m.wrapping_sub(1) != 0 {
            // Two stuffing points or more (lines shorter than a vector).
            let chunk = src.get(..i + W).unwrap_or_default();
            let prev = src.get(i - 1).is_some_and(|&b| is_eol(b));
            (i, o) = stuff_copy_scalar(chunk, dst, i, o, prev);
            continue;
        }
        // The bytes after the stuffing point (none when there is none).
        let late = !(m | m.wrapping_sub(1));
        let out = _mm512_mask_blend_epi8(late, v, u);
        let dp = dst.as_mut_ptr();
        // SAFETY: `o + W < dst.len()` and `i + W <= src.len()`: the bytes
        // written are inside `dst` (which does not overlap `src`: it is
        // borrowed mutably); no alignment requirement. The byte pushed out
        // of the vector goes at `o + W` (overwritten next time when there
        // was no stuffing point).
        unsafe {
            _mm512_storeu_si512(dp.add(o).cast(), out);
            *dp.add(o + W) = *sp.add(i + W - 1);
        }
        i += W;
        o += W + usize::from(m != 0);
    }
    (i, o, src.get(i - 1).is_some_and(|&b| is_eol(b)))
}

/// 0xFF in each byte of `v` that is a LF or a CR.
///
/// One lookup by the low nibble: the table entry equals the byte only for
/// LF and CR. The other entries have the high bit set, which no byte that
/// reaches them has (bytes with the high bit set look up 0, which no such
/// byte equals).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn eol_avx2(v: std::arch::x86_64::__m256i) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    const T: [i8; 16] = eol_table();
    let table = _mm256_setr_epi8(
        T[0], T[1], T[2], T[3], T[4], T[5], T[6], T[7], T[8], T[9], T[10], T[11], T[12], T[13],
        T[14], T[15], T[0], T[1], T[2], T[3], T[4], T[5], T[6], T[7], T[8], T[9], T[10], T[11],
        T[12], T[13], T[14], T[15],
    );
    _mm256_cmpeq_epi8(_mm256_shuffle_epi8(table, v), v)
}

/// The lookup table of [`eol_avx2`]: `0x80 | n`, except at LF and CR.
const fn eol_table() -> [i8; 16] {
    let mut t = [0i8; 16];
    let mut n = 0;
    while n < 16 {
        t[n] = (0x80 | n as u8) as i8;
        n += 1;
    }
    t[LF as usize] = LF as i8;
    t[CR as usize] = CR as i8;
    t
}

/// [`eol_avx2`] for SSE2 (no byte shuffle there): two compares.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn eol_sse2(v: std::arch::x86_64::__m128i) -> std::arch::x86_64::__m128i {
    use std::arch::x86_64::*;
    _mm_or_si128(
        _mm_cmpeq_epi8(v, _mm_set1_epi8(LF as i8)),
        _mm_cmpeq_epi8(v, _mm_set1_epi8(CR as i8)),
    )
}

/// `b` where `mask` is set, else `a` (SSE2 has no byte blend).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn blend_sse2(
    a: std::arch::x86_64::__m128i,
    b: std::arch::x86_64::__m128i,
    mask: std::arch::x86_64::__m128i,
) -> std::arch::x86_64::__m128i {
    use std::arch::x86_64::*;
    _mm_or_si128(_mm_and_si128(mask, b), _mm_andnot_si128(mask, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random(len: usize, seed: &mut u32, alphabet: &[u8]) -> Vec<u8> {
        (0..len)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 17;
                *seed ^= *seed << 5;
                alphabet[(*seed as usize) % alphabet.len()]
            })
            .collect()
    }

    fn reference_copy(src: &[u8], prev_eol: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev = prev_eol;
        for &b in src {
            if b == DOT && prev {
                out.push(DOT);
            }
            out.push(b);
            prev = is_eol(b);
        }
        out
    }

    /// Every variant of the finder, on every start of `data`.
    fn all_finds(data: &[u8], prev: bool) -> Vec<Option<usize>> {
        let mut v = vec![find_stuff(data, prev), find_stuff_scalar(data, prev)];
        #[cfg(target_arch = "x86_64")]
        {
            if data.len() >= 16 {
                // SAFETY: SSE2 is part of the x86_64 baseline.
                v.push(unsafe { find_stuff_sse2(data, prev) });
            }
            if data.len() >= 32 && std::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 checked just above.
                v.push(unsafe { find_stuff_avx2(data, prev) });
            }
        }
        v
    }

    #[test]
    fn find_matches_the_scalar_rule() {
        let mut seed = 2463534242;
        for len in (0..140).chain([500, 1000]) {
            for alphabet in [&b"..\r\nab"[..], b"aaaaaaaaaaaaaaaaaa\r\n.", b"a.a"] {
                for _ in 0..20 {
                    let data = random(len, &mut seed, alphabet);
                    for prev in [false, true] {
                        let want = find_stuff_scalar(&data, prev);
                        for got in all_finds(&data, prev) {
                            assert_eq!(got, want, "{data:?} {prev}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn find_sees_every_position_of_a_window() {
        // One stuffable dot at each position, with and without a vector's
        // worth of text before the window.
        for len in 1..100 {
            for at in 0..len {
                let mut data = vec![b'x'; len];
                data[at] = DOT;
                if at > 0 {
                    data[at - 1] = LF;
                }
                let want = Some(at);
                for got in all_finds(&data, true) {
                    let want = if data[0] == DOT { Some(0) } else { want };
                    assert_eq!(got, want, "len {len} at {at}");
                }
                if at == 0 {
                    assert!(all_finds(&data, false).iter().all(Option::is_none));
                }
            }
        }
    }

    /// Every variant of the copier, all at once into buffers of `room`.
    fn copies(src: &[u8], prev: bool, room: usize) -> Vec<(usize, Vec<u8>)> {
        let run = |f: &dyn Fn(&mut [u8]) -> (usize, usize)| {
            let mut dst = vec![0u8; room];
            let (read, written) = f(&mut dst);
            dst.truncate(written);
            (read, dst)
        };
        let mut v = vec![
            run(&|d| stuff_copy(src, prev, d)),
            run(&|d| stuff_copy_scalar(src, d, 0, 0, prev)),
        ];
        #[cfg(target_arch = "x86_64")]
        {
            v.push(run(&|d| {
                // SAFETY: SSE2 is part of the x86_64 baseline.
                let (i, o, p) = unsafe { stuff_copy_sse2(src, prev, d) };
                stuff_copy_scalar(src, d, i, o, p)
            }));
            if std::is_x86_feature_detected!("avx2") {
                v.push(run(&|d| {
                    // SAFETY: AVX2 checked just above.
                    let (i, o, p) = unsafe { stuff_copy_avx2(src, prev, d) };
                    stuff_copy_scalar(src, d, i, o, p)
                }));
            }
            if std::is_x86_feature_detected!("avx512bw") {
                v.push(run(&|d| {
                    // SAFETY: AVX-512 BW checked just above.
                    let (i, o, p) = unsafe { stuff_copy_avx512(src, prev, d) };
                    stuff_copy_scalar(src, d, i, o, p)
                }));
            }
        }
        v
    }

    #[test]
    fn copy_matches_the_reference_in_any_room() {
        let mut seed = 88172645;
        for len in (0..100).chain([257, 1000, 3000]) {
            let long = [&[b'a'; 60][..], b"\r\n."].concat();
            // Lines longer than a 64-byte vector, most of them stuffed.
            let longer = [&[b'a'; 200][..], b"\r\n.", b"\n."].concat();
            for alphabet in [
                &b"..\r\nab"[..],
                b"aaaaaaaaaaaaa\r\n.",
                b".\n",
                &long,
                &longer,
            ] {
                let src = random(len, &mut seed, alphabet);
                for prev in [false, true] {
                    let want = reference_copy(&src, prev);
                    for room in [0, 1, 2, 3, 17, 33, 34, 40, 64, 65, 66, 100, 130, 3000, 7000] {
                        for (read, out) in copies(&src, prev, room) {
                            // What was written is the stuffed form of what
                            // was read: never half a pair.
                            assert_eq!(out, reference_copy(&src[..read], prev));
                            assert!(out.len() <= room);
                            if room >= 2 && !src.is_empty() {
                                assert!(read > 0);
                            }
                            if room >= 2 * len {
                                assert_eq!((read, &out), (len, &want));
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn copy_resumes_where_it_stopped() {
        let src = b".a\r\n.b\r\n..\n.\r.x\r\n".repeat(40);
        let want = reference_copy(&src, true);
        for room in [2, 3, 33, 34, 50, 99] {
            let mut out = Vec::new();
            let (mut at, mut prev) = (0, true);
            while at < src.len() {
                let mut dst = vec![0u8; room];
                let (read, written) = stuff_copy(&src[at..], prev, &mut dst);
                out.extend_from_slice(&dst[..written]);
                at += read;
                prev = is_eol(src[at - 1]);
            }
            assert_eq!(out, want, "room {room}");
        }
    }
}
