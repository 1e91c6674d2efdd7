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
//! The stuffing points are found by a vector scan (`sys::mem::find_stuff`);
//! the runs between them go to the writer as they are, so a block without
//! such dots is handed over whole (and a large one is written straight from
//! the application's buffer). Where they are frequent (every line starting
//! with a dot), the block is instead copied into our own buffer by a loop
//! that doubles the dots as it copies (`sys::mem::stuff_copy`), and the
//! buffer goes to the writer in large pieces: no call per line.
//!
//! With the event callback set, the body also needs every line feed; that
//! path finds both in one pass (`sys::mem::for_each_mark`).

use std::io::{self, Write};

use crate::sys::mem::{find_stuff, for_each_mark, stuff_copy};

#[inline]
fn is_line_end(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// A stuffing point followed by at least this many bytes switches to
/// copying: below it, writing the few runs as they are costs less than
/// setting up the copy.
const COPY_MIN: usize = 4096;

/// Our copy buffer: a whole 64 KiB block with one doubled dot per 78-byte
/// line fits, so it goes out in one piece.
const COPY_BUF: usize = 68 * 1024;

/// Streaming stuffer: remembers across calls whether the next byte starts a
/// line.
#[derive(Debug, Clone)]
pub struct Stuffer {
    at_line_start: bool,
    /// The copy buffer; allocated at the first block with a stuffing point
    /// and [`COPY_MIN`] bytes after it.
    buf: Vec<u8>,
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
            buf: Vec::new(),
        }
    }

    /// Whether the next byte written would start a line.
    pub fn at_line_start(&self) -> bool {
        self.at_line_start
    }

    /// Writes `data` to `out`, doubling every `.` that starts a line.
    pub fn write<W: Write + ?Sized>(&mut self, out: &mut W, data: &[u8]) -> io::Result<()> {
        let Some(&last) = data.last() else {
            return Ok(());
        };
        // `data[run..]` is still to be written; stuffing points are looked
        // for from `from` on, where `prev` tells about the byte before.
        let (mut run, mut from, mut prev) = (0, 0, self.at_line_start);
        while let Some(off) = find_stuff(data.get(from..).unwrap_or_default(), prev) {
            let i = from + off;
            out.write_all(data.get(run..i).unwrap_or_default())?;
            if data.len() - i < COPY_MIN {
                out.write_all(b".")?;
                // The dot itself goes out with the next run.
                (run, from, prev) = (i, i + 1, false);
                continue;
            }
            let read = self.copy(out, data.get(i..).unwrap_or_default())?;
            (run, from) = (i + read, i + read);
            prev = data
                .get(from.wrapping_sub(1))
                .is_some_and(|&b| is_line_end(b));
        }
        out.write_all(data.get(run..).unwrap_or_default())?;
        self.at_line_start = is_line_end(last);
        Ok(())
    }

    /// Stuffs `data`, which starts at a stuffing point, through the copy
    /// buffer into `out`: one buffer's worth. Returns the bytes of `data`
    /// used (at least one).
    fn copy<W: Write + ?Sized>(&mut self, out: &mut W, data: &[u8]) -> io::Result<usize> {
        // At most twice the input; no more than needed for short blocks.
        let want = COPY_BUF.min(2 * data.len() + 64);
        if self.buf.len() < want {
            self.buf = vec![0; want];
        }
        let (read, written) = stuff_copy(data, true, &mut self.buf);
        out.write_all(self.buf.get(..written).unwrap_or_default())?;
        Ok(read)
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

    /// The rule, byte by byte.
    fn reference(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev = true;
        for &b in data {
            if b == b'.' && prev {
                out.push(b'.');
            }
            out.push(b);
            prev = is_line_end(b);
        }
        out
    }

    fn text(len: usize, seed: &mut u32, alphabet: &[u8]) -> Vec<u8> {
        (0..len)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 17;
                *seed ^= *seed << 5;
                alphabet[(*seed as usize) % alphabet.len()]
            })
            .collect()
    }

    #[test]
    fn every_boundary_of_dots_and_line_ends_across_writes() {
        // Each cut of every string of up to 5 bytes over the interesting
        // alphabet, in two writes.
        let alphabet = b".\r\nx";
        for len in 0..=5u32 {
            for n in 0..4usize.pow(len) {
                let data: Vec<u8> = (0..len).map(|k| alphabet[n / 4usize.pow(k) % 4]).collect();
                let want = reference(&data);
                assert_eq!(stuff(&data), want, "{data:?}");
                for cut in 0..=data.len() {
                    assert_eq!(stuffed_in_pieces(&data, &[cut]), want, "{data:?} {cut}");
                }
            }
        }
    }

    #[test]
    fn large_blocks_with_many_or_few_dots() {
        let mut seed = 7;
        let mut lines = Vec::new();
        for k in 0..20_000 {
            lines.extend_from_slice(if k % 7 == 3 { b"x.y\r\n" } else { b".dot\r\n" });
        }
        let rare = {
            let mut v = text(300_000, &mut seed, b"abcdefgh\r\n");
            for at in [0, 5000, 5001, 90_000, 299_999] {
                v[at] = b'.';
            }
            v
        };
        let inputs = [
            text(200_000, &mut seed, b"..\r\nab"),
            text(200_000, &mut seed, b"aaaaaaaaaaaaaaaa\r\n."),
            b".\r\n".repeat(40_000),
            lines,
            rare,
        ];
        for data in &inputs {
            let want = reference(data);
            assert!(stuff(data) == want);
            let n = data.len();
            for cuts in [
                vec![1, 2, 3],
                vec![COPY_MIN, COPY_MIN + 1, n - COPY_MIN],
                vec![n / 3, n / 3 + COPY_BUF, n - 1],
                (1..n / 1000).map(|k| k * 1000 + k % 7).collect(),
            ] {
                assert!(stuffed_in_pieces(data, &cuts) == want);
            }
        }
    }

    #[test]
    fn unstuff_reverses() {
        let data = b".a\r\n..b\n.\r.\r\n.";
        assert_eq!(unstuff(&stuff(data)), data);
    }
}
