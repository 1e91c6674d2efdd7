//! Base64 as the SMTP AUTH exchange uses it (RFC 4954): encoding through the
//! `base64` crate, decoding with libESMTP's rules for server challenges.

use ::base64::engine::general_purpose::STANDARD;
use ::base64::Engine as _;

use super::Secret;

/// Standard base64 with padding (RFC 4648 §4), as libESMTP sends it.
pub fn encode(data: &[u8]) -> Secret {
    let mut out = vec![0u8; data.len().div_ceil(3) * 4];
    // The buffer has exactly the encoded size, so this cannot fail; an
    // error would leave an empty (harmless) result.
    match STANDARD.encode_slice(data, &mut out) {
        Ok(n) => out.truncate(n),
        Err(_) => out.clear(),
    }
    Secret::new(out)
}

/// C's `isspace` in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn value(b: u8) -> Option<u32> {
    match b {
        b'A'..=b'Z' => Some(u32::from(b - b'A')),
        b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes a server challenge the way libESMTP does (tls-auth.md §10.4):
/// white space around the text is ignored, the remaining length must be a
/// multiple of 4, every character must be in the alphabet, and decoding stops
/// at the first padding (`xx==` or `xxx=`); anything after it is ignored,
/// like libESMTP. Unused trailing bits are not checked. `None` = invalid
/// (the client then cancels with `*`).
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let start = text
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |p| p + 1);
    let src = text.get(start..end).unwrap_or(&[]);
    if src.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    for quad in src.chunks_exact(4) {
        let a = value(quad[0])?;
        let b = value(quad[1])?;
        out.push(((a << 2) | (b >> 4)) as u8);
        if quad[2] == b'=' && quad[3] == b'=' {
            return Some(out);
        }
        let c = value(quad[2])?;
        out.push((((b & 0x0f) << 4) | (c >> 2)) as u8);
        if quad[3] == b'=' {
            return Some(out);
        }
        let d = value(quad[3])?;
        out.push((((c & 0x03) << 6) | d) as u8);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_basic() {
        assert_eq!(encode(b"").as_bytes(), b"");
        assert_eq!(encode(b"\0user\0secret").as_bytes(), b"AHVzZXIAc2VjcmV0");
        assert_eq!(encode(b"user").as_bytes(), b"dXNlcg==");
        assert_eq!(encode(b"ab").as_bytes(), b"YWI=");
    }

    #[test]
    fn decode_rules() {
        assert_eq!(decode(b"UGFzc3dvcmQA").as_deref(), Some(&b"Password\0"[..]));
        assert_eq!(decode(b"  dXNlcg==\r\n").as_deref(), Some(&b"user"[..]));
        assert_eq!(decode(b"").as_deref(), Some(&b""[..]));
        assert_eq!(decode(b"   ").as_deref(), Some(&b""[..]));
        assert_eq!(decode(b"YWI=").as_deref(), Some(&b"ab"[..]));
        // unpadded / wrong length
        assert_eq!(decode(b"dXNlcg"), None);
        // outside the alphabet
        assert_eq!(decode(b"dXN!cg=="), None);
        assert_eq!(decode(b"dX\xc3lcg=="), None);
        // internal white space (a multi-line 334- reply)
        assert_eq!(decode(b"dXNl\r\ncg=="), None);
        // decoding stops at the first padding, like libESMTP
        assert_eq!(decode(b"YQ==YWJj").as_deref(), Some(&b"a"[..]));
    }
}
