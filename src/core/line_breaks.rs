//! Finding the bytes that would break a line on the wire (CR, LF, and for
//! commands NUL) in the short strings every session checks: eight bytes at
//! a time, since a byte-by-byte walk over every address and name of every
//! session adds up.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether some byte of `word` is zero (exact: no false positives).
#[inline]
fn has_zero_byte(word: u64) -> bool {
    word.wrapping_sub(ONES) & !word & HIGHS != 0
}

#[inline]
fn word_has(word: u64, nul: bool) -> bool {
    has_zero_byte(word ^ (ONES * u64::from(b'\r')))
        || has_zero_byte(word ^ (ONES * u64::from(b'\n')))
        || (nul && has_zero_byte(word))
}

#[inline]
fn scan(bytes: &[u8], nul: bool) -> bool {
    let mut words = bytes.chunks_exact(8);
    for chunk in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if word_has(u64::from_le_bytes(word), nul) {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| b == b'\r' || b == b'\n' || (nul && b == 0))
}

/// True if `bytes` holds a CR or a LF. (Not inlined: one copy of the scan
/// serves every caller, which keeps the code a session runs small.)
#[inline(never)]
pub fn has_cr_or_lf(bytes: &[u8]) -> bool {
    scan(bytes, false)
}

/// True if `bytes` holds a CR, a LF or a NUL.
#[inline(never)]
pub fn has_cr_lf_or_nul(bytes: &[u8]) -> bool {
    scan(bytes, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_a_byte_walk_at_every_length_and_position() {
        for len in 0..40 {
            for pos in 0..=len {
                for special in [b'\r', b'\n', 0, b'a', 0x8d, 0x0a | 0x80, 0x0c, 0x0e] {
                    let mut v = vec![b'x'; len];
                    if pos < len {
                        v[pos] = special;
                    }
                    let walk = |nul: bool| {
                        v.iter()
                            .any(|&b| b == b'\r' || b == b'\n' || (nul && b == 0))
                    };
                    assert_eq!(has_cr_or_lf(&v), walk(false), "{v:?}");
                    assert_eq!(has_cr_lf_or_nul(&v), walk(true), "{v:?}");
                }
            }
        }
        // Every byte value next to every other, across a word boundary.
        for a in 0..=255u8 {
            for b in [0u8, b'\r', b'\n', 0x7f, 0x80, 0xff, a.wrapping_add(1)] {
                let v = [b'x', b'x', b'x', b'x', b'x', b'x', b'x', a, b, b'y'];
                let walk = |nul: bool| {
                    v.iter()
                        .any(|&c| c == b'\r' || c == b'\n' || (nul && c == 0))
                };
                assert_eq!(has_cr_or_lf(&v), walk(false));
                assert_eq!(has_cr_lf_or_nul(&v), walk(true));
            }
        }
    }
}
