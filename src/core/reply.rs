//! SMTP reply parsing (RFC 5321 multi-line replies, RFC 3463 enhanced codes),
//! keeping the reply text exactly as libESMTP records it in `smtp_status_t`.
//!
//! The parser pulls whole lines from a [`LineSource`]. Deviation from
//! libESMTP (quirk Q-LONGLINE, fixed): a line longer than 1023 bytes is read
//! whole instead of being split into two "lines", so it cannot shift the
//! replies that follow; a reply is bounded by [`MAX_REPLY_BYTES`] instead.
//! Quirk Q-BARECODE is fixed too: a line that is only the code (`250` CRLF)
//! is accepted with an empty text.

use super::error::Error;
use super::status::{Status, StatusText};

/// Upper bound on the raw bytes of one reply (all its lines).
pub const MAX_REPLY_BYTES: usize = 1 << 20;

/// libESMTP's bound on the accumulated text of a multi-line reply.
pub const MAX_CONTINUED_TEXT: usize = 4096;

/// Why a line could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFailure {
    /// No complete line arrived within the current timeout.
    Timeout,
    /// End of stream or a read error before any byte of the line.
    Closed,
    /// The line exceeds the byte budget given to `next_line`.
    TooLong,
}

/// Something that hands out lines, each up to and including its LF (the
/// last one of a stream may lack it).
pub trait LineSource {
    /// Reads one line of at most `max` bytes (borrowed until the next call).
    fn next_line(&mut self, max: usize) -> Result<&[u8], ReadFailure>;

    /// Reports SMTP_EV_SYNTAXWARNING (a first line without the enhanced
    /// code ENHANCEDSTATUSCODES promised); returns the application's `quit`.
    fn syntax_warning(&mut self) -> bool;
}

/// How one reply is parsed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplyOptions {
    /// The current EHLO listed ENHANCEDSTATUSCODES.
    pub enhanced: bool,
    /// Continuation lines go to the EHLO keyword parser instead of the text.
    pub ehlo: bool,
}

/// A reply that could not be read or parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyFailure {
    /// What smtp_errno becomes.
    pub error: Error,
    /// What the status slot keeps (fields parsed before the failure; the
    /// text is not kept, libESMTP leaves it NULL).
    pub partial: Status,
    /// The wait for the first byte of the reply timed out (libESMTP then
    /// ends the session at once, without QUIT).
    pub timeout_at_start: bool,
}

/// The result of C `strtol` on `bytes` from `pos`: leading white space and a
/// sign are accepted. `None` when no digit follows (strtol's endptr == start).
pub fn strtol(bytes: &[u8], pos: usize) -> Option<(i64, usize)> {
    let mut i = pos;
    let mut negative = false;
    // Servers put the digits right there; blanks and a sign are the rare
    // case, checked only when the first byte is not a digit.
    if !bytes.get(i).is_some_and(u8::is_ascii_digit) {
        while i < bytes.len() && is_c_space(bytes[i]) {
            i += 1;
        }
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            negative = bytes[i] == b'-';
            i += 1;
        }
    }
    // One pass; a value too large saturates, as strtol's does.
    let start = i;
    let mut value = 0i64;
    while let Some(&d) = bytes.get(i) {
        if !d.is_ascii_digit() {
            break;
        }
        value = value.saturating_mul(10).saturating_add(i64::from(d - b'0'));
        i += 1;
    }
    if i == start {
        return None;
    }
    Some((if negative { -value } else { value }, i))
}

/// C `isspace` in the "C" locale.
pub fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn clamp_i32(v: i64) -> i32 {
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// An RFC 3463 triplet parsed from `line` at `pos`: the fields that parsed
/// (missing ones 0), where parsing stopped, and whether all three parsed.
fn parse_enhanced(line: &[u8], pos: usize) -> ([i32; 3], usize, bool) {
    let mut fields = [0i32; 3];
    let mut i = pos;
    for (n, field) in fields.iter_mut().enumerate() {
        if n > 0 {
            if line.get(i) != Some(&b'.') {
                return (fields, i, false);
            }
            i += 1;
        }
        match strtol(line, i) {
            Some((v, next)) => {
                *field = clamp_i32(v);
                i = next;
            }
            None => return (fields, i, false),
        }
    }
    (fields, i, true)
}

/// The parsed first line of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstLine {
    pub code: i32,
    pub more: bool,
    /// The triplet, when it was attempted and parsed completely.
    pub enhanced: Option<[i32; 3]>,
    /// Fields of a triplet that was attempted but failed part-way.
    pub partial_enhanced: Option<[i32; 3]>,
    /// Where the text starts.
    pub text_start: usize,
}

/// The code of a line in the form every server sends: three digits, then
/// a space or a hyphen. Returns the code and whether more lines follow;
/// `None` sends the line to the general parser.
#[inline]
fn usual_code(line: &[u8]) -> Option<(i32, bool)> {
    let [a, b, c, sep, ..] = *line else {
        return None;
    };
    let more = match sep {
        b' ' => false,
        b'-' => true,
        _ => return None,
    };
    let digit = |d: u8| d.is_ascii_digit().then(|| i32::from(d - b'0'));
    Some((digit(a)? * 100 + digit(b)? * 10 + digit(c)?, more))
}

/// An enhanced code at `pos` in the form every server sends: three fields
/// of one to three digits joined by dots. Returns the fields and where they
/// end; `None` sends the line to the general parser.
#[inline]
fn usual_triplet(line: &[u8], pos: usize) -> Option<([i32; 3], usize)> {
    let mut fields = [0i32; 3];
    let mut i = pos;
    for (n, field) in fields.iter_mut().enumerate() {
        if n > 0 {
            if line.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        while let Some(&d) = line.get(i).filter(|d| d.is_ascii_digit()) {
            if i - start == 3 {
                return None;
            }
            *field = *field * 10 + i32::from(d - b'0');
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    Some((fields, i))
}

/// [`parse_first_line`] for a line in the usual form, which most are;
/// `None` for any other, which the general parser takes.
fn parse_usual_first_line(line: &[u8], enhanced: bool) -> Option<FirstLine> {
    let (code, more) = usual_code(line)?;
    let mut pos = 4;
    let mut triplet = None;
    if enhanced && matches!(code / 100, 2 | 4 | 5) {
        let (fields, end) = usual_triplet(line, pos)?;
        triplet = Some(fields);
        pos = end;
    }
    while pos < line.len() && is_c_space(line[pos]) {
        pos += 1;
    }
    Some(FirstLine {
        code,
        more,
        enhanced: triplet,
        partial_enhanced: None,
        text_start: pos,
    })
}

/// Parses the first line of a reply (spec 8.2). `Err` is the syntax error
/// together with the code parsed so far.
pub fn parse_first_line(line: &[u8], enhanced: bool) -> Result<FirstLine, (Error, i32)> {
    if let Some(parsed) = parse_usual_first_line(line, enhanced) {
        return Ok(parsed);
    }
    let (code, after_code) = match strtol(line, 0) {
        Some((v, next)) => (clamp_i32(v), next),
        None => (0, 0),
    };
    let more = match line.get(after_code) {
        Some(b' ') => false,
        Some(b'-') => true,
        // Q-BARECODE fixed: the code alone, then the line end.
        Some(b'\r') | Some(b'\n') | None if after_code > 0 => false,
        _ => return Err((Error::InvalidResponseSyntax, code)),
    };
    let sep_end = (after_code + 1).min(line.len());
    let mut result = FirstLine {
        code,
        more,
        enhanced: None,
        partial_enhanced: None,
        text_start: sep_end,
    };
    let mut pos = sep_end;
    if enhanced && matches!(code / 100, 2 | 4 | 5) {
        let (fields, end, ok) = parse_enhanced(line, sep_end);
        if ok {
            result.enhanced = Some(fields);
            pos = end;
        } else {
            result.partial_enhanced = Some(fields);
        }
    }
    while pos < line.len() && is_c_space(line[pos]) {
        pos += 1;
    }
    result.text_start = pos;
    Ok(result)
}

/// Checks one continuation line (spec 8.3) and returns where its text starts
/// and whether more lines follow.
pub fn parse_continuation(
    line: &[u8],
    code: i32,
    enhanced: Option<[i32; 3]>,
) -> Result<(usize, bool), Error> {
    if let Some(parsed) = parse_usual_continuation(line, code, enhanced) {
        return Ok(parsed);
    }
    let (this_code, after_code) = match strtol(line, 0) {
        Some((v, next)) => (clamp_i32(v), next),
        None => (0, 0),
    };
    if this_code != code {
        return Err(Error::StatusMismatch);
    }
    let more = match line.get(after_code) {
        Some(b' ') => false,
        Some(b'-') => true,
        Some(b'\r') | Some(b'\n') | None if after_code > 0 => false,
        _ => return Err(Error::InvalidResponseSyntax),
    };
    let mut pos = (after_code + 1).min(line.len());
    if let Some(expected) = enhanced {
        let (fields, end, ok) = parse_enhanced(line, pos);
        if !ok {
            return Err(Error::InvalidResponseSyntax);
        }
        if fields != expected {
            return Err(Error::StatusMismatch);
        }
        pos = end;
    }
    while pos < line.len() && line[pos] == b' ' {
        pos += 1;
    }
    if pos >= line.len() || line.last() != Some(&b'\n') {
        return Err(Error::UnterminatedResponse);
    }
    Ok((pos, more))
}

/// [`parse_continuation`] for a well-formed line in the usual form;
/// `None` for any other (errors included), which the general parser takes.
fn parse_usual_continuation(
    line: &[u8],
    code: i32,
    enhanced: Option<[i32; 3]>,
) -> Option<(usize, bool)> {
    let (_, more) = usual_code(line).filter(|&(c, _)| c == code)?;
    let mut pos = 4;
    if let Some(expected) = enhanced {
        (_, pos) = usual_triplet(line, pos).filter(|&(f, _)| f == expected)?;
    }
    while pos < line.len() && line[pos] == b' ' {
        pos += 1;
    }
    (pos < line.len() && line.last() == Some(&b'\n')).then_some((pos, more))
}

/// Reads and parses one reply.
///
/// `source.syntax_warning` is asked when a 2xx/4xx/5xx first line lacks
/// the enhanced code that ENHANCEDSTATUSCODES promised. `ehlo_line` receives the text of every EHLO
/// continuation line (only with `options.ehlo`).
pub fn read_reply(
    source: &mut dyn LineSource,
    options: ReplyOptions,
    ehlo_line: &mut dyn FnMut(&[u8]),
) -> Result<Status, ReplyFailure> {
    let mut partial = Status::default();
    let fail = |error: Error, partial: &Status| ReplyFailure {
        error,
        partial: Status {
            text_null: true,
            ..partial.clone()
        },
        timeout_at_start: false,
    };
    let first = match source.next_line(MAX_REPLY_BYTES) {
        Ok(line) => line,
        Err(ReadFailure::Timeout) => {
            return Err(ReplyFailure {
                error: Error::DroppedConnection,
                partial,
                timeout_at_start: true,
            })
        }
        Err(ReadFailure::Closed) => return Err(fail(Error::DroppedConnection, &partial)),
        Err(ReadFailure::TooLong) => return Err(fail(Error::UnterminatedResponse, &partial)),
    };
    let mut budget = MAX_REPLY_BYTES.saturating_sub(first.len());
    let parsed = match parse_first_line(first, options.enhanced) {
        Ok(parsed) => parsed,
        Err((error, code)) => {
            partial.code = code;
            return Err(fail(error, &partial));
        }
    };
    let mut text = StatusText::from(&first[parsed.text_start..]);
    partial.code = parsed.code;
    let enhanced = parsed.enhanced;
    if let Some(fields) = parsed.partial_enhanced {
        [partial.enh_class, partial.enh_subject, partial.enh_detail] = fields;
        if source.syntax_warning() {
            return Err(fail(Error::InvalidResponseSyntax, &partial));
        }
    }
    if let Some(fields) = enhanced {
        [partial.enh_class, partial.enh_subject, partial.enh_detail] = fields;
    }
    let mut more = parsed.more;
    while more {
        let line = match source.next_line(budget) {
            Ok(line) => line,
            Err(ReadFailure::TooLong) => return Err(fail(Error::UnterminatedResponse, &partial)),
            Err(_) => return Err(fail(Error::DroppedConnection, &partial)),
        };
        budget = budget.saturating_sub(line.len());
        let (start, next_more) = match parse_continuation(line, partial.code, enhanced) {
            Ok(v) => v,
            Err(error) => return Err(fail(error, &partial)),
        };
        if options.ehlo {
            ehlo_line(&line[start..]);
        } else {
            if text.len() + (line.len() - start) > MAX_CONTINUED_TEXT {
                return Err(fail(Error::UnterminatedResponse, &partial));
            }
            text.extend_from_slice(&line[start..]);
        }
        more = next_more;
    }
    partial.text = text;
    Ok(partial)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    struct Lines(VecDeque<Result<Vec<u8>, ReadFailure>>, bool, usize, Vec<u8>);

    impl LineSource for Lines {
        fn syntax_warning(&mut self) -> bool {
            self.2 += 1;
            self.1
        }

        fn next_line(&mut self, max: usize) -> Result<&[u8], ReadFailure> {
            match self.0.pop_front() {
                Some(Ok(line)) if line.len() > max => Err(ReadFailure::TooLong),
                Some(Ok(line)) => {
                    self.3 = line;
                    Ok(&self.3)
                }
                Some(Err(e)) => Err(e),
                None => Err(ReadFailure::Closed),
            }
        }
    }

    fn lines(raw: &[&str]) -> Lines {
        Lines(
            raw.iter().map(|l| Ok(l.as_bytes().to_vec())).collect(),
            false,
            0,
            Vec::new(),
        )
    }

    fn parse(raw: &[&str], enhanced: bool) -> Result<Status, ReplyFailure> {
        let mut src = lines(raw);
        read_reply(
            &mut src,
            ReplyOptions {
                enhanced,
                ehlo: false,
            },
            &mut |_| {},
        )
    }

    fn ok(raw: &[&str], enhanced: bool) -> Status {
        match parse(raw, enhanced) {
            Ok(s) => s,
            Err(f) => panic!("parse failed: {f:?}"),
        }
    }

    fn err(raw: &[&str], enhanced: bool) -> ReplyFailure {
        match parse(raw, enhanced) {
            Ok(s) => panic!("unexpected success: {s:?}"),
            Err(f) => f,
        }
    }

    /// The general parsers, without the fast paths in front of them.
    fn general_first_line(line: &[u8], enhanced: bool) -> Result<FirstLine, (Error, i32)> {
        let mut padded = b" ".to_vec();
        padded.extend_from_slice(line);
        // A leading blank is skipped by strtol and fails the usual form, so
        // the general parser reads the line; positions shift by one.
        parse_first_line(&padded, enhanced).map(|mut f| {
            f.text_start -= 1;
            f
        })
    }

    #[test]
    fn usual_form_parses_as_the_general_parser_does() {
        let codes = ["250", "354", "220", "500", "421", "199", "600", "025"];
        let seps = [" ", "-"];
        let triplets = [
            "",
            "2.0.0 ",
            "2.1.5",
            "5.7.1 ",
            "4.4.2\t",
            "2.0.00 ",
            "2.0.000 ",
            "2.0.0000 ",
            "25.100.999 ",
            "2..0 ",
            "2.0 ",
            "2.0.x ",
            "x.0.0 ",
            "2.0.0.0 ",
            "002.0.0 ",
            "2.0.0ok",
        ];
        let texts = ["", "ok", "  ok", "queued as X", "\t"];
        for code in codes {
            for sep in seps {
                for triplet in triplets {
                    for text in texts {
                        for end in ["\r\n", "\n", ""] {
                            let line = format!("{code}{sep}{triplet}{text}{end}");
                            for enhanced in [false, true] {
                                let fast = parse_usual_first_line(line.as_bytes(), enhanced);
                                if let Some(fast) = fast {
                                    assert_eq!(
                                        Ok(fast),
                                        general_first_line(line.as_bytes(), enhanced),
                                        "{line:?} {enhanced}"
                                    );
                                }
                            }
                            for expected in [None, Some([2, 0, 0]), Some([2, 1, 5])] {
                                let fast = parse_usual_continuation(line.as_bytes(), 250, expected);
                                if let Some(fast) = fast {
                                    let mut padded = b" ".to_vec();
                                    padded.extend_from_slice(line.as_bytes());
                                    let general = parse_continuation(&padded, 250, expected)
                                        .map(|(p, more)| (p - 1, more));
                                    assert_eq!(Ok(fast), general, "{line:?} {expected:?}");
                                }
                            }
                        }
                    }
                }
            }
        }
        // The usual lines do take the fast path.
        assert!(parse_usual_first_line(b"250 2.1.0 ok\r\n", true).is_some());
        assert!(parse_usual_first_line(b"250-PIPELINING\r\n", false).is_some());
        assert!(parse_usual_continuation(b"250 2.0.0 ok\r\n", 250, Some([2, 0, 0])).is_some());
    }

    #[test]
    fn single_line_keeps_crlf() {
        let s = ok(&["250 OK\r\n"], false);
        assert_eq!((s.code, s.text.as_slice()), (250, &b"OK\r\n"[..]));
        assert_eq!((s.enh_class, s.enh_subject, s.enh_detail), (0, 0, 0));
    }

    #[test]
    fn enhanced_code_is_split_off() {
        let s = ok(&["250 2.1.0 OK\r\n"], true);
        assert_eq!(s.text, b"OK\r\n");
        assert_eq!((s.enh_class, s.enh_subject, s.enh_detail), (2, 1, 0));
        let s = ok(&["250 2.1.0 OK\r\n"], false);
        assert_eq!(s.text, b"2.1.0 OK\r\n");
        let s = ok(&["250  2.1.0  spaced\r\n"], true);
        assert_eq!((s.text.as_slice(), s.enh_subject), (&b"spaced\r\n"[..], 1));
        // Not attempted for class 3.
        let s = ok(&["354 go ahead\r\n"], true);
        assert_eq!(s.text, b"go ahead\r\n");
    }

    #[test]
    fn multiline_text() {
        let s = ok(
            &["250-first\r\n", "250- second\r\n", "250 third\r\n"],
            false,
        );
        assert_eq!(s.text, b"first\r\nsecond\r\nthird\r\n");
        let s = ok(
            &["250-first\r\n", "250-\tsecond\r\n", "250 third\r\n"],
            false,
        );
        assert_eq!(s.text, b"first\r\n\tsecond\r\nthird\r\n");
        let s = ok(&["250-\r\n", "250 \r\n"], false);
        assert_eq!(s.text, b"\r\n");
        let s = ok(&["250-2.0.0 a\r\n", "250 2.0.0 b\r\n"], true);
        assert_eq!(s.text, b"a\r\nb\r\n");
    }

    #[test]
    fn empty_and_bare_code() {
        assert_eq!(ok(&["250 \r\n"], false).text, b"");
        // Q-BARECODE fixed.
        let s = ok(&["250\r\n"], false);
        assert_eq!((s.code, s.text.as_slice()), (250, &b""[..]));
        // Cut by end of stream: no terminator.
        assert_eq!(ok(&["250 first"], false).text, b"first");
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(
            err(&["250OK\r\n"], false).error,
            Error::InvalidResponseSyntax
        );
        assert_eq!(
            err(&["hello there\r\n"], false).error,
            Error::InvalidResponseSyntax
        );
        let f = err(&["250-first\r\n", "251 second\r\n"], false);
        assert_eq!(
            (f.error, f.partial.code, f.partial.text.len()),
            (Error::StatusMismatch, 250, 0)
        );
        assert_eq!(
            err(&["250-a\r\n", "250x\r\n"], false).error,
            Error::InvalidResponseSyntax
        );
        assert_eq!(
            err(&["250-a\r\n", "250 b"], false).error,
            Error::UnterminatedResponse
        );
        assert_eq!(
            err(&["250-a\r\n", "250    \r"], false).error,
            Error::UnterminatedResponse
        );
        assert_eq!(err(&["250-a\r\n"], false).error, Error::DroppedConnection);
        assert_eq!(
            err(&["250-2.0.0 a\r\n", "250 b\r\n"], true).error,
            Error::InvalidResponseSyntax
        );
        assert_eq!(
            err(&["250-2.0.0 a\r\n", "250 2.0.1 b\r\n"], true).error,
            Error::StatusMismatch
        );
    }

    #[test]
    fn timeout_at_start_is_flagged() {
        let mut src = Lines(
            VecDeque::from([Err(ReadFailure::Timeout)]),
            false,
            0,
            Vec::new(),
        );
        let f = read_reply(&mut src, ReplyOptions::default(), &mut |_| {});
        assert!(matches!(
            f,
            Err(ReplyFailure {
                timeout_at_start: true,
                ..
            })
        ));
        let mut src = Lines(
            VecDeque::from([Ok(b"250-a\r\n".to_vec()), Err(ReadFailure::Timeout)]),
            false,
            0,
            Vec::new(),
        );
        let f = read_reply(&mut src, ReplyOptions::default(), &mut |_| {});
        assert!(matches!(
            f,
            Err(ReplyFailure {
                timeout_at_start: false,
                error: Error::DroppedConnection,
                ..
            })
        ));
    }

    #[test]
    fn syntax_warning_continue_and_quit() {
        let enhanced = ReplyOptions {
            enhanced: true,
            ehlo: false,
        };
        let mut src = lines(&["250 2.1 sender ok\r\n"]);
        let s = read_reply(&mut src, enhanced, &mut |_| {}).unwrap_or_default();
        assert_eq!(src.2, 1);
        assert_eq!(s.text, b"2.1 sender ok\r\n");
        assert_eq!((s.enh_class, s.enh_subject, s.enh_detail), (2, 1, 0));
        // Continuation lines are then not checked for a code.
        let mut src = lines(&["221-bye\r\n", "221 now\r\n"]);
        let s = read_reply(&mut src, enhanced, &mut |_| {});
        assert_eq!(s.map(|s| s.text).unwrap_or_default(), b"bye\r\nnow\r\n");
        let mut src = lines(&["221 bye\r\n"]);
        src.1 = true;
        let f = read_reply(&mut src, enhanced, &mut |_| {});
        assert_eq!(f.map_err(|f| f.error), Err(Error::InvalidResponseSyntax));
    }

    #[test]
    fn ehlo_continuations_go_to_the_keyword_parser() {
        let mut seen = Vec::new();
        let mut src = lines(&[
            "250-fake.example hello\r\n",
            "250-PIPELINING\r\n",
            "250 SIZE 100\r\n",
        ]);
        let s = read_reply(
            &mut src,
            ReplyOptions {
                enhanced: false,
                ehlo: true,
            },
            &mut |l| seen.push(l.to_vec()),
        );
        assert_eq!(
            s.map(|s| s.text).unwrap_or_default(),
            b"fake.example hello\r\n"
        );
        assert_eq!(
            seen,
            vec![b"PIPELINING\r\n".to_vec(), b"SIZE 100\r\n".to_vec()]
        );
    }

    #[test]
    fn long_lines_are_whole_and_text_is_bounded() {
        let long = format!("250 {}\r\n", "x".repeat(1100));
        assert_eq!(ok(&[&long], false).text.len(), 1102);
        let line = format!("250-{}\r\n", "y".repeat(1000));
        let many: Vec<&str> = std::iter::repeat_n(line.as_str(), 5).collect();
        assert_eq!(err(&many, false).error, Error::UnterminatedResponse);
        let huge = format!("250 {}\r\n", "z".repeat(MAX_REPLY_BYTES));
        assert_eq!(err(&[&huge], false).error, Error::UnterminatedResponse);
    }

    #[test]
    fn strtol_semantics() {
        assert_eq!(strtol(b"  -12x", 0), Some((-12, 5)));
        assert_eq!(strtol(b"x", 0), None);
        assert_eq!(strtol(b"+7", 0), Some((7, 2)));
        assert_eq!(strtol(b"250 ok", 0), Some((250, 3)));
        assert_eq!(strtol(b"2.1.5", 2), Some((1, 3)));
        assert_eq!(strtol(b"- 1", 0), None);
        assert_eq!(strtol(b"", 0), None);
        assert_eq!(strtol(b"12", 5), None);
        assert_eq!(strtol(b"99999999999999999999999", 0), Some((i64::MAX, 23)));
        assert_eq!(
            strtol(b"-99999999999999999999999", 0),
            Some((-i64::MAX, 24))
        );
    }

    #[test]
    fn random_input_never_panics() {
        // A small LCG: deterministic, no dependency.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) as u8
        };
        let alphabet = b"0123456789 -.\r\n\tx";
        for _ in 0..5000 {
            let lines: Vec<Result<Vec<u8>, ReadFailure>> = (0..(next() % 4 + 1))
                .map(|_| {
                    let len = usize::from(next() % 24);
                    Ok((0..len)
                        .map(|_| alphabet[usize::from(next()) % alphabet.len()])
                        .collect())
                })
                .collect();
            let enhanced = next() % 2 == 0;
            let mut src = Lines(lines.into(), next() % 2 == 0, 0, Vec::new());
            let mut info = crate::core::extensions::EhloInfo::default();
            let _ = read_reply(
                &mut src,
                ReplyOptions {
                    enhanced,
                    ehlo: !enhanced,
                },
                &mut |l| info.parse_line(l),
            );
        }
    }
}
