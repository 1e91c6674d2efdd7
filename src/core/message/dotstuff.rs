//! Dot-stuffing for the DATA path (RFC 5321 4.5.2), hardened against SMTP
//! smuggling.
//!
//! Rule: a `.` is doubled when it is the first byte of the stream or when
//! the byte before it is a LF **or a CR** — whether that LF/CR is part of a
//! CRLF or stands alone. libESMTP stuffs only a `.` that starts a
//! CRLF-delimited line in the body (and one after any LF in headers), so a
//! `.` after a bare LF or bare CR reached the wire unstuffed (quirk
//! Q-BARELF). For input whose CRs and LFs all come in CRLF pairs the two
//! rules stuff exactly the same dots, so the output is byte-identical to
//! libESMTP's; otherwise ours only adds dots. Either way no line the server
//! could see — ended by CRLF, bare LF or bare CR — is a lone `.`, and
//! removing one `.` after every line start gives the input back.
//!
//! The hot path finds the stuffing points (and, for the body, the line feeds)
//! in one vectorised pass (`sys::mem::for_each_mark`) and copies the runs
//! between the (rare) stuffing points with one `write_all` each: no per-byte
//! loop.

use std::io::{self, Write};

use crate::sys::mem::for_each_mark;

#[inline]
fn is_line_end(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// Streaming stuffer: remembers across calls whether the next byte starts a
/// line.
#[derive(Debug, Clone)]
pub struct Stuffer {
    at_line_start: bool,
}

impl Default for Stuffer {
    fn default() -> Self {
        Stuffer::new()
    }
}

impl Stuffer {
    /// A stuffer at the start of the content.
    pub fn new() -> Stuffer {
        Stuffer {
            at_line_start: true,
        }
    }

    /// Whether the next byte written would start a line.
    pub fn at_line_start(&self) -> bool {
        self.at_line_start
    }

    /// Writes `data` to `out`, doubling every `.` that starts a line.
    pub fn write<W: Write + ?Sized>(&mut self, out: &mut W, data: &[u8]) -> io::Result<()> {
        self.write_with_lf(out, data, |_| {})
    }

    /// Like [`Stuffer::write`], and reports the index in `data` of every LF
    /// to `on_lf`, from the same single pass over the bytes.
    #[inline]
    pub fn write_with_lf<W: Write + ?Sized>(
        &mut self,
        out: &mut W,
        data: &[u8],
        mut on_lf: impl FnMut(usize),
    ) -> io::Result<()> {
        let Some(&last) = data.last() else {
            return Ok(());
        };
        let mut run = 0;
        for_each_mark(data, self.at_line_start, |i, is_lf| {
            if is_lf {
                on_lf(i);
            } else {
                out.write_all(data.get(run..i).unwrap_or_default())?;
                out.write_all(b".")?;
                // The dot itself goes out with the next run.
                run = i;
            }
            Ok::<(), io::Error>(())
        })?;
        out.write_all(data.get(run..).unwrap_or_default())?;
        self.at_line_start = is_line_end(last);
        Ok(())
    }
}

/// Dot-stuffs a whole buffer (convenience for tests and small payloads).
pub fn stuff(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 8);
    // Writing into a Vec cannot fail.
    let _ = Stuffer::new().write(&mut out, data);
    out
}

/// Reverses [`stuff`]: drops the `.` at every line start (after the stream
/// start, a CR or a LF).
pub fn unstuff(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut at_line_start = true;
    for &b in data {
        if at_line_start && b == b'.' {
            at_line_start = false;
            continue;
        }
        out.push(b);
        at_line_start = is_line_end(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stuffed_in_pieces(data: &[u8], cut: &[usize]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut s = Stuffer::new();
        let mut at = 0;
        for &c in cut {
            s.write(&mut out, &data[at..c]).unwrap();
            at = c;
        }
        s.write(&mut out, &data[at..]).unwrap();
        out
    }

    #[test]
    fn crlf_lines_like_libesmtp() {
        assert_eq!(stuff(b".\r\n"), b"..\r\n");
        assert_eq!(
            stuff(b".dot\r\n..two\r\nx.y\r\n"),
            b"..dot\r\n...two\r\nx.y\r\n"
        );
        assert_eq!(stuff(b"a\r\n.\r\n"), b"a\r\n..\r\n");
        assert_eq!(stuff(b"no dots\r\n"), b"no dots\r\n");
        assert_eq!(stuff(b""), b"");
    }

    #[test]
    fn bare_lf_and_cr_are_line_starts_too() {
        assert_eq!(stuff(b"bare\n.after\r\n"), b"bare\n..after\r\n");
        assert_eq!(stuff(b"bare\r.after\r\n"), b"bare\r..after\r\n");
        assert_eq!(stuff(b"x\r\n.\r.\n.\r\n"), b"x\r\n..\r..\n..\r\n");
    }

    #[test]
    fn state_carries_across_writes() {
        let data = b"a\r\n.b\n.c\r.d.e\r\n..";
        let whole = stuff(data);
        for cut in 0..=data.len() {
            assert_eq!(stuffed_in_pieces(data, &[cut]), whole, "cut {cut}");
        }
        assert_eq!(stuffed_in_pieces(data, &[1, 2, 3, 4, 7, 8]), whole);
    }

    #[test]
    fn unstuff_reverses() {
        let data = b".a\r\n..b\n.\r.\r\n.";
        assert_eq!(unstuff(&stuff(data)), data);
    }
}
