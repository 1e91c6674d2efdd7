//! The fuzz target bodies, shared by the cargo-fuzz targets (nightly,
//! `fuzz/fuzz_targets/*.rs`) and the stable smoke test
//! (`tests/fuzz_smoke.rs`, which includes this file with `#[path]`).
//!
//! Each function takes arbitrary bytes, drives one server- or
//! application-controlled parser of the core, and asserts the invariants
//! that must hold whatever the input: no panic, bounded output, CRLF
//! framing, no line that is a lone `.`, no bare CR/LF in a header.
//! Only the public API of the `esmtp` crate is used.

use esmtp::core::events::{Event, MessageBlock, MonitorKind, SessionHooks};
use esmtp::core::extensions::EhloInfo;
use esmtp::core::message::dotstuff::{stuff, unstuff, Stuffer};
use esmtp::core::message::headers::{Environment, HeaderContext, HeaderTable, HeaderValue};
use esmtp::core::message::transfer::{
    send_bdat, send_data, ChunkSink, TransferContext, TransferError,
};
use esmtp::core::model::{Message, Session};
use esmtp::core::reply::{
    parse_continuation, parse_first_line, read_reply, LineSource, ReadFailure, ReplyOptions,
    MAX_CONTINUED_TEXT, MAX_REPLY_BYTES,
};
use esmtp::core::sasl::{self, base64, ntlm, AuthContext, Interact, Request, Secret};
use esmtp::sys::time::LocalTime;

/// Takes bytes off the front of the input (the "control" part).
struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }
    /// A piece of at most `max` bytes, its length taken from the input.
    fn piece(&mut self, max: usize) -> &'a [u8] {
        let n = (self.byte() as usize).min(max).min(self.data.len());
        let (p, rest) = self.data.split_at(n);
        self.data = rest;
        p
    }
    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

// ------------------------------------------------------------ replies ----

/// Serves lines (up to and including LF) from a byte buffer, like the
/// transport does; `max` is honoured by returning `TooLong`.
struct Lines<'a> {
    data: &'a [u8],
    quit_on_warning: bool,
    lines_served: usize,
}

impl LineSource for Lines<'_> {
    fn next_line(&mut self, max: usize) -> Result<&[u8], ReadFailure> {
        if self.data.is_empty() {
            return Err(ReadFailure::Closed);
        }
        let end = self
            .data
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.data.len(), |i| i + 1);
        if end > max {
            return Err(ReadFailure::TooLong);
        }
        let (line, rest) = self.data.split_at(end);
        self.data = rest;
        self.lines_served += 1;
        Ok(line)
    }
    fn syntax_warning(&mut self) -> bool {
        self.quit_on_warning
    }
}

/// Reply parser (src/core/reply.rs): parse replies until the input is used
/// up. Invariants: no panic; the status text of one reply never exceeds
/// MAX_REPLY_BYTES; a multi-line reply's text stays within libESMTP's
/// 4096-byte limit plus the first line; every reply consumes a line.
pub fn reply(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.byte();
    let options = ReplyOptions {
        enhanced: flags & 1 != 0,
        ehlo: flags & 2 != 0,
    };
    let mut lines = Lines {
        data: input.rest(),
        quit_on_warning: flags & 4 != 0,
        lines_served: 0,
    };
    // Direct calls on each raw line as well.
    for line in lines.data.split_inclusive(|&b| b == b'\n').take(64) {
        if let Ok(first) = parse_first_line(line, options.enhanced) {
            assert!(first.text_start <= line.len());
            let _ = parse_continuation(line, first.code, first.enhanced);
        }
    }
    let mut ehlo = EhloInfo::default();
    for _ in 0..10_000 {
        let before = lines.lines_served;
        let r = read_reply(&mut lines, options, &mut |l: &[u8]| {
            ehlo.parse_line(l);
        });
        match r {
            Ok(status) => {
                assert!(status.text.len() <= MAX_REPLY_BYTES);
                let _ = (
                    status.code,
                    status.enh_class,
                    status.enh_subject,
                    status.enh_detail,
                );
                assert!(lines.lines_served > before, "a reply consumed no line");
            }
            Err(f) => {
                assert!(f.partial.text.len() <= MAX_REPLY_BYTES);
            }
        }
        if lines.data.is_empty() {
            break;
        }
        if lines.lines_served == before {
            // A failure that consumed nothing (TooLong): skip a byte so the
            // loop advances.
            lines.data = &lines.data[1..];
        }
    }
    let _ = MAX_CONTINUED_TEXT;
}

/// EHLO keyword parser (src/core/extensions.rs), fed one line at a time,
/// and then through the reply parser in EHLO mode. Invariants: no panic,
/// mechanism names bounded (63 chars) and unique (case-insensitively).
pub fn ehlo(data: &[u8]) {
    let mut info = EhloInfo::default();
    for line in data.split_inclusive(|&b| b == b'\n').take(4096) {
        info.parse_line(line);
    }
    let _ = info.has(info.extensions);
    for (i, m) in info.auth_mechanisms.iter().enumerate() {
        // 63 bytes kept (libESMTP), then lossy UTF-8: at most 63 chars
        // (non-ASCII bytes become U+FFFD; see the report on issue 10).
        assert!(m.chars().count() <= 63, "mechanism name too long");
        for other in &info.auth_mechanisms[i + 1..] {
            assert!(!m.eq_ignore_ascii_case(other), "duplicate mechanism");
        }
    }
    // The same bytes as a whole EHLO reply.
    let mut framed = b"250-test.local hello\r\n".to_vec();
    framed.extend_from_slice(data);
    let mut lines = Lines {
        data: &framed,
        quit_on_warning: false,
        lines_served: 0,
    };
    let mut info2 = EhloInfo::default();
    let _ = read_reply(
        &mut lines,
        ReplyOptions {
            enhanced: false,
            ehlo: true,
        },
        &mut |l: &[u8]| info2.parse_line(l),
    );
}

// ------------------------------------------------------- message path ----

/// Checks that `wire` (DATA payload, terminator included) is safe to put
/// after a 354: it ends with CRLF `.` CRLF, and that is the only line that
/// is a lone `.` — whether lines are ended by CRLF, bare LF or bare CR.
pub fn check_data_wire(wire: &[u8]) {
    assert!(
        wire.ends_with(b"\r\n.\r\n") || wire == b".\r\n",
        "DATA payload not terminated by CRLF.CRLF"
    );
    let body = &wire[..wire.len() - 3];
    let mut start = 0;
    for (i, &b) in body.iter().enumerate() {
        if b == b'\r' || b == b'\n' {
            let line = &body[start..i];
            assert!(
                line != b".",
                "a lone '.' line inside the DATA payload at {start}"
            );
            start = i + 1;
        }
    }
    assert!(&body[start..] != b".");
}

struct FakeHooks {
    blocks: Vec<Vec<u8>>,
    next: usize,
    errno_at: usize,
    monitor: bool,
    reads: usize,
}

impl SessionHooks for FakeHooks {
    fn event(&mut self, event: Event<'_>, _out: Option<&mut i32>) {
        let _ = event.number();
    }
    fn has_event_callback(&self) -> bool {
        true
    }
    fn monitor(&mut self, data: &[u8], kind: MonitorKind) {
        let _ = (data.len(), kind);
    }
    fn has_monitor(&self) -> bool {
        self.monitor
    }
    fn message_rewind(&mut self, _message: usize) {
        self.next = 0;
        self.reads = 0;
    }
    fn message_read(&mut self, _message: usize) -> MessageBlock<'_> {
        self.reads += 1;
        assert!(
            self.reads < 1_000_000,
            "the reader keeps reading past the end"
        );
        let errno = if self.reads == self.errno_at { 5 } else { 0 };
        let data: &[u8] = match self.blocks.get(self.next) {
            Some(b) => {
                self.next += 1;
                b
            }
            None => &[],
        };
        MessageBlock { data, errno }
    }
}

#[derive(Default)]
struct Chunks {
    chunks: Vec<(Vec<u8>, bool)>,
    stop_at: usize,
}

impl ChunkSink for Chunks {
    fn chunk(&mut self, data: &[u8], last: bool) -> Result<(), TransferError> {
        assert!(self.chunks.last().is_none_or(|c| !c.1), "chunk after LAST");
        self.chunks.push((data.to_vec(), last));
        if self.chunks.len() == self.stop_at {
            return Err(TransferError::Stopped);
        }
        Ok(())
    }
}

/// Message reader, dot-stuffing and BDAT framing
/// (src/core/message/{reader,dotstuff,transfer}.rs) through a fake
/// SessionHooks: the input is cut into callback blocks of varying size.
pub fn message(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.byte();
    let piece = input.byte() as usize;
    let errno_at = if flags & 1 != 0 {
        input.byte() as usize
    } else {
        0
    };
    let stop_at = if flags & 2 != 0 {
        input.byte() as usize
    } else {
        0
    };
    let body = input.rest();
    let blocks: Vec<Vec<u8>> = if piece == 0 {
        vec![body.to_vec()]
    } else {
        body.chunks(piece).map(<[u8]>::to_vec).collect()
    };
    let blocks: Vec<Vec<u8>> = blocks.into_iter().filter(|b| !b.is_empty()).collect();

    // Plain stuffing, whole and streamed, is reversible.
    let whole = stuff(body);
    assert_eq!(unstuff(&whole), body);
    let mut streamed = Vec::new();
    let mut s = Stuffer::new();
    for b in &blocks {
        s.write(&mut streamed, b).unwrap();
    }
    assert_eq!(streamed, whole);

    let mut message = Message::default();
    if flags & 4 != 0 {
        message.reverse_path = Some("a@example.org".into());
    }
    let session = Session {
        messages: vec![message],
        monitor_headers: flags & 8 != 0,
        ..Session::default()
    };
    let ctx = TransferContext {
        session: &session,
        message: 0,
        hostname: "client.example",
        now: 0,
    };
    let mut hooks = FakeHooks {
        blocks,
        next: 0,
        errno_at,
        monitor: flags & 16 != 0,
        reads: 0,
    };

    let mut out = Vec::new();
    match send_data(&mut out, &mut hooks, &ctx) {
        Ok(()) => check_data_wire(&out),
        Err(TransferError::Callback { errno }) => assert_ne!(errno, 0),
        Err(TransferError::Header(f)) => assert_ne!(f.errno, 0),
        Err(e) => panic!("send_data into a Vec failed: {e:?}"),
    }

    let mut sink = Chunks {
        chunks: Vec::new(),
        stop_at,
    };
    match send_bdat(&mut hooks, &ctx, &mut sink) {
        Ok(()) => {
            let last = sink.chunks.last().expect("no chunk");
            assert!(
                last.1 && last.0.is_empty(),
                "BDAT does not end with an empty LAST chunk"
            );
            for c in &sink.chunks[..sink.chunks.len() - 1] {
                assert!(!c.1 && !c.0.is_empty(), "empty or LAST chunk in the middle");
            }
        }
        Err(TransferError::Stopped) => assert!(stop_at > 0 && sink.chunks.len() == stop_at),
        Err(TransferError::Callback { errno }) => assert_ne!(errno, 0),
        Err(TransferError::Header(f)) => assert_ne!(f.errno, 0),
        Err(e) => panic!("send_bdat failed: {e:?}"),
    }
}

// ----------------------------------------------------- header engine ----

fn fixed_time(_t: i64) -> Option<LocalTime> {
    Some(LocalTime {
        year: 2026,
        month: 0,
        mday: 1,
        hour: 0,
        min: 0,
        sec: 0,
        wday: 4,
        gmtoff: 0,
        zone: Some("UTC".into()),
    })
}

fn fixed_clock() -> Option<(i64, u32)> {
    Some((1_767_225_600, 123_456))
}

const NAMES: [&[u8]; 16] = [
    b"Date",
    b"Message-Id",
    b"From",
    b"Sender",
    b"To",
    b"Cc",
    b"Bcc",
    b"Reply-To",
    b"Disposition-Notification-To",
    b"Subject",
    b"X-Foo",
    b"Received",
    b"Return-Path",
    b"Resent-Date",
    b"MIME-Version",
    b"x-foo",
];

/// Checks one header unit as it goes on the wire.
pub fn check_header_unit(unit: &[u8]) {
    assert!(
        unit.ends_with(b"\r\n"),
        "header unit without CRLF: {:?}",
        String::from_utf8_lossy(unit)
    );
    let mut prev = 0u8;
    for (i, &b) in unit.iter().enumerate() {
        if b == b'\r' {
            assert_eq!(unit.get(i + 1), Some(&b'\n'), "bare CR in a header unit");
        }
        if b == b'\n' {
            assert_eq!(prev, b'\r', "bare LF in a header unit");
            // A line after the first must be a folded continuation.
            if let Some(&next) = unit.get(i + 1) {
                assert!(
                    next == b' ' || next == b'\t',
                    "a value starts a new header line"
                );
            }
        }
        prev = b;
    }
}

/// Header engine (src/core/message/headers): a program of
/// HeaderTable::set / set_option calls from the input, then
/// start/process/finish on header units from the rest of it.
/// Invariants: no panic; every generated or replacing unit ends in CRLF and
/// has no bare CR/LF and no line that is not a continuation.
pub fn headers(data: &[u8]) {
    let mut input = Input { data };
    let ops = input.byte() % 16;
    let mut table = HeaderTable::default();
    for _ in 0..ops {
        let op = input.byte();
        let name: Vec<u8> = if op & 0x80 != 0 {
            input.piece(40).to_vec()
        } else {
            NAMES[(op & 15) as usize].to_vec()
        };
        match (op >> 4) & 7 {
            0 | 1 => {
                let v = input.piece(80);
                let _ = table.set(&name, HeaderValue::Text(Some(v)));
            }
            2 => {
                let _ = table.set(&name, HeaderValue::Text(None));
            }
            3 => {
                let p = input.piece(40);
                let m = input.piece(40);
                let phrase = if p.first() == Some(&0) { None } else { Some(p) };
                let mailbox = if m.first() == Some(&0) { None } else { Some(m) };
                let _ = table.set(&name, HeaderValue::Mailbox { phrase, mailbox });
            }
            4 => {
                let t = input.byte();
                let v = if t == 0 {
                    None
                } else {
                    Some(i64::from(t) * 86_400 * 97 - 1_000_000)
                };
                let _ = table.set(&name, HeaderValue::Time(v));
            }
            5 => {
                let _ = table.set_option(&name, 0, true);
            }
            6 => {
                let _ = table.set_option(&name, 1, input.byte() & 1 != 0);
            }
            _ => {
                let _ = table.arg_shape(&name);
                let _ = table.set_option(&name, i32::from(input.byte()) - 2, true);
            }
        }
    }
    let message = Message {
        headers: table,
        reverse_path: Some("sender@example.org".into()),
        ..Message::default()
    };
    let ctx = HeaderContext {
        message: &message,
        hostname: "client.example",
        now: 1_767_225_600,
    };
    let env = Environment {
        local_time: fixed_time,
        message_id_clock: fixed_clock,
        pid: || 4242,
    };
    let mut p = message.headers.start_with(ctx, env);
    let units = input.rest();
    for unit in units.split_inclusive(|&b| b == b'\n').take(1000) {
        match p.process(unit) {
            Ok(esmtp::core::message::headers::HeaderAction::Replace(bytes)) => {
                check_header_unit(&bytes)
            }
            Ok(_) => {}
            Err(f) => assert_ne!(f.errno, 0),
        }
    }
    if let Ok(added) = p.finish() {
        for unit in &added {
            check_header_unit(unit);
        }
    }
}

// -------------------------------------------------------------- SASL ----

struct Answers(Vec<u8>);

impl Interact for Answers {
    fn interact(&mut self, r: &[Request]) -> Option<Vec<Secret>> {
        if self.0.first() == Some(&0xff) {
            return None;
        }
        Some(r.iter().map(|_| Secret::from_slice(&self.0)).collect())
    }
}

/// SASL challenge decoding (src/core/sasl): base64 decoding of server
/// challenges, NTLM type-2 parsing, and each mechanism answering a
/// sequence of (decoded) challenges. Invariants: no panic, responses bounded.
pub fn sasl(data: &[u8]) {
    let mut input = Input { data };
    let which = input.byte();
    let answer = input.piece(32).to_vec();
    let rest = input.rest();
    if let Some(decoded) = base64::decode(rest) {
        assert!(decoded.len() <= rest.len());
        let re = base64::encode(&decoded);
        assert_eq!(base64::decode(re.as_bytes()).as_deref(), Some(&decoded[..]));
    }
    let _ = ntlm::parse_type2(rest);
    let mut t2 = b"NTLMSSP\0\x02\0\0\0".to_vec();
    t2.extend_from_slice(rest);
    let _ = ntlm::parse_type2(&t2);

    let names = ["PLAIN", "LOGIN", "CRAM-MD5", "NTLM", "EXTERNAL"];
    let mut ctx = AuthContext::new();
    ctx.set_interact(Some(Box::new(Answers(answer))));
    ctx.set_mechanism_flags(sasl::AUTH_PLUGIN_PLAIN, 0);
    ctx.set_external_id(Some(b"id"));
    ctx.set_workstation(Some("WS".into()));
    if !ctx.set_mechanism(names[(which as usize) % names.len()]) {
        return;
    }
    let _ = ctx.response(None).map(<[u8]>::len);
    for challenge in rest.split(|&b| b == b'\n').take(16) {
        let decoded = base64::decode(challenge).unwrap_or_else(|| challenge.to_vec());
        if let Some(r) = ctx.response(Some(&decoded)) {
            assert!(r.len() <= 1 << 16, "response too large");
        }
        let _ = ctx.response_nul(Some(challenge));
    }
}
