//! Line assembly over the blocks the message callback hands out
//! (protocol.md 14.1–14.2, headers.md 7.1–7.2).
//!
//! * A line ends only at CRLF; a bare CR or LF is data. A line may span any
//!   number of blocks and has no length limit.
//! * At the end of input a partial line gets CRLF appended (only LF when its
//!   last byte is CR); the added bytes count in that line's length.
//! * Header phase ([`HeaderAssembler`]): a line followed by a line starting
//!   with SP or TAB absorbs it (folding); the unit ends when the first byte
//!   of the next line is known. The first line that is exactly CRLF ends the
//!   header block and is consumed. Input without that line is all headers.
//! * Body phase of DATA ([`LineCounter`]): lines are not assembled at all,
//!   only measured, so a line of any size streams through in bounded memory.
//!
//! Both follow libESMTP's reading discipline exactly, because the number and
//! order of callback calls is visible to the application: more input is
//! asked for only when the bytes in hand are used up; after a header line
//! the first byte of the next line is looked at (reading another block if
//! none is left), and the end of input is not remembered — every attempt to
//! read past it calls the callback again.
//!
//! A header unit is buffered up to [`UNIT_CAP`] bytes. Past that the
//! assembler reports [`Step::Full`] and the caller hands the buffered part
//! on (see `transfer.rs`) before more is appended, so memory stays bounded
//! even for input whose header block never ends (e.g. a message with Unix
//! line ends, which is one single "line").

use crate::sys::mem::memchr;

/// Header-unit bytes buffered before the caller must take them.
pub const UNIT_CAP: usize = 1 << 20;

/// What the assembler needs or has found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The block is used up; read the next one.
    NeedMore,
    /// [`UNIT_CAP`] bytes are buffered: take them ([`HeaderAssembler::unit`]
    /// then [`HeaderAssembler::drain`]) and feed again.
    Full,
    /// A header unit is complete: take it, then call
    /// [`HeaderAssembler::next_unit`].
    Unit,
    /// The header block ended, at the empty line (`separator`) or at the end
    /// of input. Bytes after the empty line are left in the block.
    End { separator: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Inside a line.
    Line,
    /// A line is complete; the first byte of the next one decides folding.
    Peek,
}

/// Assembles header units from blocks.
///
/// A unit that lies within one block is not copied: it is handed out as
/// a slice of that block (`start..end`). Only the bytes of a unit that a
/// block leaves unfinished are kept, in `unit`, and the rest of the unit
/// then joins them there.
#[derive(Debug)]
pub struct HeaderAssembler {
    /// Bytes of the current unit from earlier blocks, not yet taken by the
    /// caller (then also those of the current block, once it is complete).
    unit: Vec<u8>,
    /// The current unit's bytes in the current block, not in `unit`.
    start: usize,
    end: usize,
    /// Length of the current unit so far, including bytes already taken.
    total: usize,
    /// Length of the current line so far.
    line_len: usize,
    /// Whether the last byte of the current line is a CR.
    last_cr: bool,
    state: State,
}

impl Default for HeaderAssembler {
    fn default() -> Self {
        HeaderAssembler::new()
    }
}

/// Index of the LF that ends the first CRLF in `window`; `prev_cr` says
/// whether the byte before the window (in the same line) is a CR.
fn find_crlf(window: &[u8], prev_cr: bool) -> Option<usize> {
    let mut from = 0;
    while let Some(off) = memchr(b'\n', window.get(from..).unwrap_or_default()) {
        let lf = from + off;
        let cr = match lf.checked_sub(1) {
            Some(i) => window.get(i) == Some(&b'\r'),
            None => prev_cr,
        };
        if cr {
            return Some(lf);
        }
        from = lf + 1;
    }
    None
}

/// The header units of a header block that lies whole in `data` from its
/// first byte, as [`HeaderAssembler`] would hand them out, found in one
/// scan: fills `units` with their `(start, end)` and returns how many there
/// are and where the body starts (after the empty line). `None` when the
/// assembler has to take over: the block does not end in `data` (or needs a
/// look at the byte after `data`), it is empty, it has more units than
/// `units` holds, or it comes near [`UNIT_CAP`].
pub fn whole_header_block(data: &[u8], units: &mut [(usize, usize)]) -> Option<(usize, usize)> {
    if data.starts_with(b"\r\n") {
        return None;
    }
    let mut count = 0;
    let mut unit_start = 0;
    let mut line_start = 0;
    loop {
        // A line starts after a CRLF (or at 0), so the byte before it is no CR.
        let lf = line_start + find_crlf(data.get(line_start..)?, false)?;
        let next = lf + 1;
        match data.get(next) {
            None => return None,
            // A continuation: it joins the unit.
            Some(b' ' | b'\t') => {}
            Some(_) => {
                *units.get_mut(count)? = (unit_start, next);
                count += 1;
                if data.get(next..next + 2) == Some(b"\r\n") {
                    let body = next + 2;
                    return (body < UNIT_CAP).then_some((count, body));
                }
                unit_start = next;
            }
        }
        line_start = next;
    }
}

impl HeaderAssembler {
    /// Nothing fed yet since the last complete unit, and no line begun.
    pub fn is_fresh(&self) -> bool {
        self.unit.is_empty() && self.total == 0 && self.line_len == 0 && self.state == State::Line
    }

    pub fn new() -> HeaderAssembler {
        HeaderAssembler {
            unit: Vec::new(),
            start: 0,
            end: 0,
            total: 0,
            line_len: 0,
            last_cr: false,
            state: State::Line,
        }
    }

    /// The not yet taken bytes of the current unit; `data` is the block
    /// last fed.
    pub fn unit<'a>(&'a self, data: &'a [u8]) -> &'a [u8] {
        if self.unit.is_empty() {
            data.get(self.start..self.end).unwrap_or_default()
        } else {
            &self.unit
        }
    }

    /// Where the current unit lies in `data`, when it lies there whole
    /// (not assembled from several blocks).
    pub fn span(&self) -> Option<(usize, usize)> {
        self.unit.is_empty().then_some((self.start, self.end))
    }

    /// Length of the current unit, including bytes already taken.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The caller took the buffered bytes of an unfinished unit.
    pub fn drain(&mut self) {
        self.unit.clear();
        self.start = self.end;
    }

    /// The caller took a complete unit (or the separator): start afresh.
    pub fn next_unit(&mut self) {
        self.unit.clear();
        self.start = self.end;
        self.total = 0;
    }

    fn start_line(&mut self) {
        self.line_len = 0;
        self.last_cr = false;
        self.state = State::Line;
    }

    /// Bytes of the current block join the unit (`bytes` is
    /// `data[self.end..]`, not empty).
    fn take(&mut self, bytes: &[u8]) {
        let Some(&last) = bytes.last() else {
            return;
        };
        self.end += bytes.len();
        self.count(bytes.len(), last);
    }

    fn count(&mut self, len: usize, last: u8) {
        self.total += len;
        self.line_len += len;
        self.last_cr = last == b'\r';
    }

    /// Moves the unit's bytes of the block into `unit`: the block is about
    /// to go, or the unit did not start in it.
    fn keep(&mut self, data: &[u8]) {
        self.unit
            .extend_from_slice(data.get(self.start..self.end).unwrap_or_default());
        self.start = self.end;
    }

    /// A line is complete: the header block ends if it is the empty line
    /// (only possible as a unit's first line: continuations start with
    /// SP/TAB), otherwise look at the next line.
    fn line_done(&mut self) -> Option<Step> {
        if self.total == 2 && self.line_len == 2 {
            self.start_line();
            return Some(Step::End { separator: true });
        }
        self.state = State::Peek;
        None
    }

    /// Consumes bytes of `data` from `*pos` on.
    pub fn feed(&mut self, data: &[u8], pos: &mut usize) -> Step {
        // Whatever came before `*pos` is in `unit` or was taken.
        (self.start, self.end) = (*pos, *pos);
        let step = self.feed_block(data, pos);
        if step == Step::NeedMore || !self.unit.is_empty() {
            self.keep(data);
        }
        step
    }

    fn feed_block(&mut self, data: &[u8], pos: &mut usize) -> Step {
        loop {
            let avail = data.get(*pos..).unwrap_or_default();
            match self.state {
                State::Peek => {
                    let Some(&first) = avail.first() else {
                        return Step::NeedMore;
                    };
                    self.start_line();
                    if first != b' ' && first != b'\t' {
                        return Step::Unit;
                    }
                    // A continuation line: it joins the current unit.
                }
                State::Line => {
                    if avail.is_empty() {
                        return Step::NeedMore;
                    }
                    let held = self.unit.len() + (self.end - self.start);
                    let room = UNIT_CAP.saturating_sub(held);
                    if room == 0 {
                        return Step::Full;
                    }
                    let window = &avail[..avail.len().min(room)];
                    match find_crlf(window, self.last_cr) {
                        Some(lf) => {
                            self.take(window.get(..=lf).unwrap_or_default());
                            *pos += lf + 1;
                            if let Some(step) = self.line_done() {
                                return step;
                            }
                        }
                        None => {
                            self.take(window);
                            *pos += window.len();
                        }
                    }
                }
            }
        }
    }

    /// The callback reported the end of input.
    pub fn feed_eof(&mut self) -> Step {
        match self.state {
            // Nothing follows the line: the unit is complete.
            State::Peek => {
                self.start_line();
                Step::Unit
            }
            State::Line if self.line_len == 0 => Step::End { separator: false },
            State::Line => {
                let tail: &[u8] = if self.last_cr { b"\n" } else { b"\r\n" };
                (self.start, self.end) = (0, 0);
                self.unit.extend_from_slice(tail);
                self.count(tail.len(), b'\n');
                match self.line_done() {
                    Some(step) => step,
                    // libESMTP then reads again to look for a continuation.
                    None => Step::NeedMore,
                }
            }
        }
    }
}

/// Measures CRLF-terminated body lines across blocks without buffering them.
///
/// Per block: [`LineCounter::begin`], then [`LineCounter::lf`] for each LF
/// of the block in order (the caller finds them, usually in the same pass
/// that dot-stuffs), then [`LineCounter::end`].
#[derive(Debug, Default)]
pub struct LineCounter {
    /// Length of the current line before this block.
    current: usize,
    /// Whether the last byte seen, in the current line, is a CR.
    last_cr: bool,
    /// Offset in the block where the current line starts.
    start: usize,
}

impl LineCounter {
    pub fn new() -> LineCounter {
        LineCounter::default()
    }

    /// A new block begins.
    #[inline]
    pub fn begin(&mut self) {
        self.start = 0;
    }

    /// `data[lf]` is a LF: the length of the line it ends, if it ends one
    /// (i.e. the byte before it is a CR).
    #[inline]
    pub fn lf(&mut self, data: &[u8], lf: usize) -> Option<usize> {
        let cr = match lf.checked_sub(1) {
            Some(i) => data.get(i) == Some(&b'\r'),
            None => self.last_cr,
        };
        if !cr {
            return None;
        }
        let len = self.current + (lf + 1).saturating_sub(self.start);
        self.current = 0;
        self.start = lf + 1;
        Some(len)
    }

    /// The block ends.
    #[inline]
    pub fn end(&mut self, data: &[u8]) {
        self.current += data.len().saturating_sub(self.start);
        self.start = 0;
        if let Some(&last) = data.last() {
            self.last_cr = last == b'\r';
        }
    }

    /// A whole block when nobody wants the line lengths: keeps the state
    /// [`LineCounter::finish`] needs and returns whether the block completed
    /// at least one line, with a search or two instead of a look at every LF.
    pub fn skim(&mut self, data: &[u8]) -> bool {
        let Some(&last) = data.last() else {
            return false;
        };
        let any = find_crlf(data, self.last_cr).is_some();
        if any {
            // Bytes after the last CRLF (usually none: the block ends with one).
            let end = (0..data.len())
                .rev()
                .find(|&i| {
                    data.get(i) == Some(&b'\n')
                        && match i.checked_sub(1) {
                            Some(p) => data.get(p) == Some(&b'\r'),
                            None => self.last_cr,
                        }
                })
                .map_or(0, |i| i + 1);
            self.current = data.len() - end;
        } else {
            self.current += data.len();
        }
        self.start = 0;
        self.last_cr = last == b'\r';
        any
    }

    /// Reports the length of each line that `data` completes (finding the
    /// LFs itself); returns whether there was at least one.
    pub fn scan(&mut self, data: &[u8], mut line: impl FnMut(usize)) -> bool {
        self.begin();
        let mut any = false;
        let mut from = 0;
        while let Some(off) = memchr(b'\n', data.get(from..).unwrap_or_default()) {
            let lf = from + off;
            if let Some(len) = self.lf(data, lf) {
                line(len);
                any = true;
            }
            from = lf + 1;
        }
        self.end(data);
        any
    }

    /// At the end of input: the bytes to append to an unfinished last line
    /// and that line's full length, or `None` when the input ended with
    /// CRLF.
    pub fn finish(&mut self) -> Option<(&'static [u8], usize)> {
        if self.current == 0 {
            return None;
        }
        let tail: &'static [u8] = if self.last_cr { b"\n" } else { b"\r\n" };
        let len = self.current + tail.len();
        self.current = 0;
        self.last_cr = false;
        Some((tail, len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the assembler over blocks; returns units and how it ended, plus
    /// the bytes left in the block where the header block ended.
    fn assemble(blocks: &[&[u8]]) -> (Vec<Vec<u8>>, Option<bool>, Vec<u8>, usize) {
        let mut a = HeaderAssembler::new();
        let mut units = Vec::new();
        let mut current = Vec::new();
        let mut reads = 0;
        let empty: &[u8] = b"";
        let mut iter = blocks.iter();
        loop {
            let block = iter.next().copied().unwrap_or(empty);
            reads += 1;
            let mut pos = 0;
            loop {
                let step = if block.is_empty() {
                    a.feed_eof()
                } else {
                    a.feed(block, &mut pos)
                };
                match step {
                    Step::NeedMore => break,
                    Step::Full => {
                        current.extend_from_slice(a.unit(block));
                        a.drain();
                    }
                    Step::Unit => {
                        current.extend_from_slice(a.unit(block));
                        units.push(std::mem::take(&mut current));
                        a.next_unit();
                        if block.is_empty() {
                            break;
                        }
                    }
                    Step::End { separator } => {
                        return (units, Some(separator), block[pos..].to_vec(), reads);
                    }
                }
            }
        }
    }

    #[test]
    fn units_and_separator() {
        let (u, end, rest, reads) = assemble(&[b"A: 1\r\nB: 2\r\n \tfold\r\n\r\nbody"]);
        assert_eq!(
            u,
            vec![b"A: 1\r\n".to_vec(), b"B: 2\r\n \tfold\r\n".to_vec()]
        );
        assert_eq!(end, Some(true));
        assert_eq!(rest, b"body");
        assert_eq!(reads, 1);
    }

    #[test]
    fn call_counts_match_libesmtp() {
        // Observed against libESMTP 1.1.0 (see the module doc).
        assert_eq!(assemble(&[b"Subject: x\r\n"]).3, 3);
        assert_eq!(assemble(&[b"Subject: x"]).3, 4);
        assert_eq!(assemble(&[b""]).3, 1);
        let (u, end, _, reads) = assemble(&[b"Subject: x\r\n\r"]);
        assert_eq!((u.len(), end, reads), (1, Some(true), 2));
    }

    #[test]
    fn crlf_appended_and_bare_lf_is_data() {
        let (u, end, _, _) = assemble(&[b"X: a\nb\r"]);
        assert_eq!(u, vec![b"X: a\nb\r\n".to_vec()]);
        assert_eq!(end, Some(false));
        let (u, _, _, _) = assemble(&[b"X: a"]);
        assert_eq!(u, vec![b"X: a\r\n".to_vec()]);
    }

    #[test]
    fn split_crlf_and_split_separator() {
        let (u, end, rest, _) = assemble(&[b"A: 1\r", b"\n", b"\r", b"\nx"]);
        assert_eq!(u, vec![b"A: 1\r\n".to_vec()]);
        assert_eq!((end, rest), (Some(true), b"x".to_vec()));
        let (u, end, _, _) = assemble(&[b"A: 1\r\n", b" c\r\n", b"\r\n"]);
        assert_eq!(u, vec![b"A: 1\r\n c\r\n".to_vec()]);
        assert_eq!(end, Some(true));
    }

    #[test]
    fn oversized_unit_is_handed_out_in_pieces() {
        let mut big = b"X: ".to_vec();
        big.resize(UNIT_CAP * 2 + 17, b'a');
        big.extend_from_slice(b"\r\n\r\n");
        let (u, end, _, _) = assemble(&[&big]);
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].len(), big.len() - 2);
        assert_eq!(end, Some(true));
    }

    #[test]
    fn skim_keeps_the_state_scan_keeps() {
        let data = b"ab\r\nc\nd\r\n\rx\r\r\n\ny\r";
        for cut in 0..=data.len() {
            for cut2 in cut..=data.len() {
                let pieces = [&data[..cut], &data[cut..cut2], &data[cut2..]];
                let (mut a, mut b) = (LineCounter::new(), LineCounter::new());
                for p in pieces {
                    assert_eq!(a.scan(p, |_| {}), b.skim(p), "{cut} {cut2}");
                }
                assert_eq!(a.finish(), b.finish(), "{cut} {cut2}");
            }
        }
    }

    #[test]
    fn line_counter() {
        let mut c = LineCounter::new();
        let mut lens = Vec::new();
        assert!(c.scan(b"ab\r\nc\nd\r", |l| lens.push(l)));
        assert!(c.scan(b"\n", |l| lens.push(l)));
        assert!(!c.scan(b"tail\r", |l| lens.push(l)));
        assert_eq!(lens, vec![4, 5]);
        assert_eq!(c.finish(), Some((&b"\n"[..], 6)));
        assert_eq!(c.finish(), None);
        assert!(!c.scan(b"x", |_| {}));
        assert_eq!(c.finish(), Some((&b"\r\n"[..], 3)));
    }
}
