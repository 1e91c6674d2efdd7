//! Byte-exact and property tests of the message data path (`send_data`,
//! `send_bdat`). Expected call/event sequences marked "observed" were
//! recorded against libESMTP 1.1.0.
//!
//! The tests work with whatever header engine `HeaderTable` is (the
//! pass-through stub, or the real one, which adds Date, From and
//! Message-Id): the headers it generates are recognised through the header
//! monitor and taken out of the event log and of the output before
//! comparing, as they were taken out of libESMTP's recordings. Inputs never
//! contain those header names themselves.

use std::collections::HashMap;

use esmtp::core::events::{Event, MessageBlock, MonitorKind, SessionHooks};
use esmtp::core::message::dotstuff::unstuff;
use esmtp::core::message::transfer::{
    send_bdat, send_data, ChunkSink, TransferContext, TransferError,
};
use esmtp::core::model::{Message, Session};

#[derive(Debug)]
enum Entry {
    Rewind,
    Read(usize),
    Event(usize),
    Monitor(Vec<u8>),
}

fn is_generated(unit: &[u8]) -> bool {
    [&b"Date: "[..], b"From: ", b"Message-Id: "]
        .iter()
        .any(|name| unit.starts_with(name))
}

/// Hands out fixed blocks and logs callback calls, events and monitor calls.
struct Hooks {
    blocks: Vec<Vec<u8>>,
    next: usize,
    calls: usize,
    /// errno left by the given (1-based) read call.
    errno_at: HashMap<usize, i32>,
    /// A monitor callback is installed, and the session asks for headers.
    monitor: bool,
    /// Show the application's header monitor calls in `log`.
    show_monitor: bool,
    entries: Vec<Entry>,
    /// After the run: the log without generated headers, as text tokens.
    log: Vec<String>,
    /// After the run: MESSAGEDATA lengths without generated headers.
    lens: Vec<usize>,
    /// After the run: the generated header units, in order.
    generated: Vec<Vec<u8>>,
}

impl Hooks {
    fn new(input: &[u8], piece: usize) -> Hooks {
        let blocks = if piece == 0 {
            vec![input.to_vec()]
        } else {
            input.chunks(piece).map(<[u8]>::to_vec).collect()
        };
        Hooks::with_blocks(blocks)
    }

    fn with_blocks(blocks: Vec<Vec<u8>>) -> Hooks {
        Hooks {
            blocks: blocks.into_iter().filter(|b| !b.is_empty()).collect(),
            next: 0,
            calls: 0,
            errno_at: HashMap::new(),
            monitor: true,
            show_monitor: false,
            entries: Vec::new(),
            log: Vec::new(),
            lens: Vec::new(),
            generated: Vec::new(),
        }
    }

    fn errno(mut self, call: usize, errno: i32) -> Hooks {
        self.errno_at.insert(call, errno);
        self
    }

    fn log(&self) -> String {
        self.log.join(" ")
    }

    /// Splits the generated headers off the recorded entries.
    fn settle(&mut self) {
        let mut i = 0;
        while i < self.entries.len() {
            match (&self.entries[i], self.entries.get(i + 1)) {
                (Entry::Event(_), Some(Entry::Monitor(text))) if is_generated(text) => {
                    self.generated.push(text.clone());
                    i += 2;
                    continue;
                }
                (Entry::Rewind, _) => self.log.push("rewind".into()),
                (Entry::Read(n), _) => self.log.push(format!("r{n}")),
                (Entry::Event(n), _) => {
                    self.log.push(format!("ev{n}"));
                    self.lens.push(*n);
                }
                (Entry::Monitor(text), _) => {
                    if self.show_monitor {
                        let text = String::from_utf8_lossy(text).escape_debug().to_string();
                        self.log.push(format!("H<{text}>"));
                    }
                }
            }
            i += 1;
        }
    }

    /// `bytes` without the generated headers (each removed once).
    fn strip_generated(&self, bytes: &[u8]) -> Vec<u8> {
        let mut v = bytes.to_vec();
        for unit in &self.generated {
            if let Some(at) = v.windows(unit.len()).position(|w| w == &unit[..]) {
                v.drain(at..at + unit.len());
            }
        }
        v
    }
}

impl SessionHooks for Hooks {
    fn event(&mut self, event: Event<'_>, _out: Option<&mut i32>) {
        match event {
            Event::MessageData { message, len } => {
                assert_eq!(message, 0);
                self.entries.push(Entry::Event(len));
            }
            other => panic!("unexpected event {}", other.number()),
        }
    }

    fn has_event_callback(&self) -> bool {
        true
    }

    fn monitor(&mut self, data: &[u8], kind: MonitorKind) {
        assert_eq!(kind, MonitorKind::Headers);
        self.entries.push(Entry::Monitor(data.to_vec()));
    }

    fn has_monitor(&self) -> bool {
        self.monitor
    }

    fn message_rewind(&mut self, message: usize) {
        assert_eq!(message, 0);
        self.next = 0;
        self.calls = 0;
        self.entries.push(Entry::Rewind);
    }

    fn message_read(&mut self, _message: usize) -> MessageBlock<'_> {
        self.calls += 1;
        let errno = self.errno_at.get(&self.calls).copied().unwrap_or(0);
        let data: &[u8] = match self.blocks.get(self.next) {
            Some(b) => {
                self.next += 1;
                b
            }
            None => &[],
        };
        self.entries.push(Entry::Read(data.len()));
        MessageBlock { data, errno }
    }
}

fn session(monitor_headers: bool) -> Session {
    Session {
        messages: vec![Message::default()],
        monitor_headers,
        ..Session::default()
    }
}

fn ctx(session: &Session) -> TransferContext<'_> {
    TransferContext {
        session,
        message: 0,
        hostname: "client.example",
        now: 0,
    }
}

/// Runs `send_data`; returns its result and the output without generated
/// headers.
fn data(hooks: &mut Hooks) -> (Result<(), TransferError>, Vec<u8>) {
    let s = session(hooks.monitor);
    let mut out = Vec::new();
    let r = send_data(&mut out, hooks, &ctx(&s));
    hooks.settle();
    let out = hooks.strip_generated(&out);
    (r, out)
}

#[derive(Default)]
struct Chunks {
    chunks: Vec<(Vec<u8>, bool)>,
}

impl ChunkSink for Chunks {
    fn chunk(&mut self, data: &[u8], last: bool) -> Result<(), TransferError> {
        self.chunks.push((data.to_vec(), last));
        Ok(())
    }
}

type Chunked = Vec<(Vec<u8>, bool)>;

/// Runs `send_bdat`; returns its result and the chunks, the generated
/// headers taken out of the first.
fn bdat(hooks: &mut Hooks) -> (Result<(), TransferError>, Chunked) {
    let s = session(hooks.monitor);
    let mut sink = Chunks::default();
    let r = send_bdat(hooks, &ctx(&s), &mut sink);
    hooks.settle();
    let mut chunks = sink.chunks;
    if let Some(first) = chunks.first_mut() {
        first.0 = hooks.strip_generated(&first.0);
    }
    (r, chunks)
}

// ---------------------------------------------------------------- DATA ----

#[test]
fn headers_md_12_5_dot_stuffing_payload() {
    // headers.md 12.5 without the generated Date/From/Message-Id.
    let input = b"Subject: dots\r\n.X-Dot: header starting with dot\r\nX-Fold: a\r\n.continuation starting with dot?\r\nX-Fold2: b\r\n .folded line\r\n\r\n.\r\n..two dots\r\nbare\nLF line\n.dot after bare LF\r\nno final crlf";
    let mut h = Hooks::new(input, 0);
    let (r, out) = data(&mut h);
    assert!(r.is_ok());
    let expected: &[u8] = b"Subject: dots\r\n..X-Dot: header starting with dot\r\nX-Fold: a\r\n..continuation starting with dot?\r\nX-Fold2: b\r\n .folded line\r\n\r\n..\r\n...two dots\r\nbare\nLF line\n..dot after bare LF\r\nno final crlf\r\n.\r\n";
    // Differs from libESMTP only in `..dot after bare LF` (Q-BARELF fix).
    assert_eq!(out, expected);
}

#[test]
fn body_edge_cases_7_byte_pieces_match_observed_sequence() {
    let input = b"X-A: 1\r\n\r\n.dot\r\n..two\r\nbare\nLF\n.after-bare-LF\r\nCR\ronly\r\n.\r\nlast line no CRLF";
    let mut h = Hooks::new(input, 7);
    h.show_monitor = true;
    let (r, out) = data(&mut h);
    assert!(r.is_ok());
    // Observed with libESMTP (-k 7), minus its three generated headers.
    assert_eq!(
        h.log(),
        "rewind r7 r7 ev8 H<X-A: 1\\r\\n> r7 ev6 r7 ev7 r7 r7 r7 ev24 r7 ev9 r7 ev3 r7 r6 r0 ev19 r0"
    );
    assert_eq!(
        out,
        b"X-A: 1\r\n\r\n..dot\r\n...two\r\nbare\nLF\n..after-bare-LF\r\nCR\ronly\r\n..\r\nlast line no CRLF\r\n.\r\n"
    );
}

#[test]
fn monitor_headers_off_without_session_flag() {
    let mut h = Hooks::new(b"A: 1\r\n\r\nb\r\n", 0);
    let s = session(false);
    let mut out = Vec::new();
    send_data(&mut out, &mut h, &ctx(&s)).unwrap();
    assert!(h.entries.iter().all(|e| !matches!(e, Entry::Monitor(_))));
    h.settle();
    // (Generated headers, if any, cannot be told apart here.)
    assert_eq!(h.lens.first(), Some(&6));
    assert_eq!(h.lens.last(), Some(&3));
}

#[test]
fn call_sequences_match_observed() {
    // (input, piece size, libESMTP's sequence without generated headers)
    let cases: &[(&[u8], usize, &str)] = &[
        (b"Subject: x\r\n\r\nb\r\n", 0, "rewind r17 ev12 ev3 r0"),
        (b"Subject: x\r\n\r\nb", 0, "rewind r15 ev12 r0 ev3 r0"),
        (b"Subject: x\r\n", 0, "rewind r12 r0 ev12 r0 r0"),
        (b"Subject: x", 0, "rewind r10 r0 r0 ev12 r0 r0"),
        (b"", 0, "rewind r0 r0"),
        (b"Subject: x\r\n\r\n", 0, "rewind r14 ev12 r0"),
        (b"Subject: x\r\n\r\nb\r", 0, "rewind r16 ev12 r0 ev3 r0"),
        (b"Subject: x\r\n\r", 0, "rewind r13 ev12 r0 r0"),
        (
            b"Subject: x\r\n\r\nb\r\nc\r\n",
            3,
            "rewind r3 r3 r3 r3 r3 ev12 r3 ev3 r2 ev3 r0",
        ),
    ];
    for &(input, piece, expected) in cases {
        let mut h = Hooks::new(input, piece);
        let (r, _) = data(&mut h);
        assert!(r.is_ok());
        assert_eq!(
            h.log(),
            expected,
            "input {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn payload_shapes() {
    let cases: &[(&[u8], &[u8])] = &[
        (b"", b"\r\n.\r\n"),
        (b"Subject: x", b"Subject: x\r\n\r\n.\r\n"),
        (b"Subject: x\r\n", b"Subject: x\r\n\r\n.\r\n"),
        (b"A: 1\r\n\r\n", b"A: 1\r\n\r\n.\r\n"),
        (b"\r\nbody", b"\r\nbody\r\n.\r\n"),
        (b"A: 1\r\n\r\nend\r", b"A: 1\r\n\r\nend\r\n.\r\n"),
        (b".A: 1\r\n\r\n.", b"..A: 1\r\n\r\n..\r\n.\r\n"),
        // LF-only input is one header line; every LF starts a line for
        // stuffing in headers (libESMTP too).
        (
            b"Subject: lf only\nFrom: x@y\n\nbody\n.dot\n",
            b"Subject: lf only\nFrom: x@y\n\nbody\n..dot\n\r\n\r\n.\r\n",
        ),
    ];
    for &(input, expected) in cases {
        for piece in [0, 1, 2, 3] {
            let mut h = Hooks::new(input, piece);
            let (r, out) = data(&mut h);
            assert!(r.is_ok());
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(expected),
                "piece {piece}"
            );
        }
    }
}

#[test]
fn errno_rule_matches_observed() {
    // (input, piece, failing call, aborts?) — observed with libESMTP.
    let cases: &[(&[u8], usize, usize, bool)] = &[
        (b"Subject: x\r\n\r\nb\r\n", 0, 1, false),
        (b"Subject: x\r\n\r\nb\r\n", 0, 2, true),
        (b"Subject: x\r\n\r\nb\r\nc\r\n", 3, 1, false),
        (b"Subject: x\r\n\r\nb\r\nc\r\n", 3, 4, false),
        (b"Subject: x\r\n\r\nb\r\nc\r\n", 3, 5, false),
        (b"Subject: x\r\n\r\nb\r\nc\r\n", 13, 1, false),
        (b"Subject: x\r\n\r\nb\r\nc\r\n", 13, 2, true),
        (b"Subject: x\r\n\r\nb\r\nc\r\n", 12, 1, false),
        (b"Subject: x\r\n\r\nb\r\nc\r\n", 12, 2, false),
        (b"Subject: x", 0, 3, false),
        (b"Subject: x", 0, 4, true),
        (b"Subject: x\r\n\r\nb", 0, 2, false),
        (b"Subject: x\r\n\r\nb", 0, 3, true),
        // A dropped header clears errno too (Return-Path is always dropped
        // by libESMTP; with the stub engine it is kept, same rule).
        (b"Return-Path: <x>\r\n\r\nb\r\n", 18, 2, false),
        (b"Return-Path: <x>\r\n\r\nb\r\n", 19, 2, true),
    ];
    for &(input, piece, call, aborts) in cases {
        let mut h = Hooks::new(input, piece).errno(call, 5);
        let (r, out) = data(&mut h);
        let what = format!(
            "{:?} piece {piece} call {call}",
            String::from_utf8_lossy(input)
        );
        if aborts {
            assert!(
                matches!(r, Err(TransferError::Callback { errno: 5 })),
                "{what}"
            );
            assert!(!out.ends_with(b".\r\n"), "{what}");
        } else {
            assert!(r.is_ok(), "{what}");
        }
    }
    // Aborting at the separator: the header before it was reported, nothing
    // after it was.
    let mut h = Hooks::new(b"Subject: x\r\n\r\nb\r\nc\r\n", 13).errno(2, 5);
    let (_, out) = data(&mut h);
    assert_eq!(h.log(), "rewind r13 ev12 r7");
    assert_eq!(out, b"Subject: x\r\n");
}

#[test]
fn dot_lines_at_block_boundaries() {
    let input = b"A: 1\r\n\r\n.\r\n..\r\n.x\r\nx.\r\n.";
    let expected = b"A: 1\r\n\r\n..\r\n...\r\n..x\r\nx.\r\n..\r\n.\r\n";
    for piece in 1..input.len() {
        let mut h = Hooks::new(input, piece);
        let (_, out) = data(&mut h);
        assert_eq!(out, expected, "piece {piece}");
        assert_eq!(h.lens, vec![6, 3, 4, 4, 4, 3], "piece {piece}");
    }
}

#[test]
fn bare_cr_and_lf_before_dot_are_stuffed() {
    let mut h = Hooks::new(b"\r\na\n.\r\nb\r.\r\nc\r\n.\n.\r\n", 0);
    let (_, out) = data(&mut h);
    assert_eq!(out, b"\r\na\n..\r\nb\r..\r\nc\r\n..\n..\r\n.\r\n");
}

#[test]
fn unterminated_only_header_gets_crlf() {
    let mut h = Hooks::new(b"A: 1", 0);
    let (r, out) = data(&mut h);
    assert!(r.is_ok());
    assert_eq!(out, b"A: 1\r\n\r\n.\r\n");
}

// ---------------------------------------------------------------- BDAT ----

#[test]
fn bdat_like_t_d_40_byte_pieces() {
    let input = b"Subject: binary\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01\x02.binary\n.line\r\nmore data without final newline";
    let mut h = Hooks::new(input, 40);
    h.show_monitor = true;
    let (r, chunks) = bdat(&mut h);
    assert!(r.is_ok());
    let sink = Chunks { chunks };
    let header = b"Subject: binary\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n";
    let sizes: Vec<usize> = sink.chunks.iter().map(|(c, _)| c.len()).collect();
    assert_eq!(sizes, vec![header.len(), 26, 23, 0]);
    assert_eq!(sink.chunks[0].0, header);
    assert_eq!(sink.chunks[1].0, b"\x00\x01\x02.binary\n.line\r\nmore dat");
    assert!(sink.chunks[3].1 && !sink.chunks[2].1);
    // Observed order (T-d), minus the generated headers.
    assert_eq!(
        h.log(),
        "rewind r40 ev17 H<Subject: binary\\r\\n> r40 ev40 H<Content-Type: application/octet-stream\\r\\n> r40 ev35 H<Content-Transfer-Encoding: binary\\r\\n> ev26 r23 ev23 r0"
    );
}

#[test]
fn bdat_call_sequences_match_observed() {
    let cases: &[(&[u8], usize, &str, &[usize])] = &[
        (
            b"Subject: x\r\n\r\nb\r\n",
            0,
            "rewind r17 ev12 ev3 r0",
            &[14, 3, 0],
        ),
        (
            b"Subject: x\r\n\r\nb",
            0,
            "rewind r15 ev12 ev1 r0",
            &[14, 1, 0],
        ),
        (b"Subject: x", 0, "rewind r10 r0 r0 ev12 r0 r0", &[14, 0]),
        (b"", 0, "rewind r0 r0", &[2, 0]),
        (b"Subject: x\r\n\r\n", 0, "rewind r14 ev12 r0", &[14, 0]),
        (
            b"Subject: x\r\n\r\nb\r\nc\r\n",
            3,
            "rewind r3 r3 r3 r3 r3 ev12 ev1 r3 ev3 r2 ev2 r0",
            &[14, 1, 3, 2, 0],
        ),
    ];
    for &(input, piece, expected, sizes) in cases {
        let mut h = Hooks::new(input, piece);
        let (r, chunks) = bdat(&mut h);
        assert!(r.is_ok());
        assert_eq!(h.log(), expected, "{:?}", String::from_utf8_lossy(input));
        let got: Vec<usize> = chunks.iter().map(|(c, _)| c.len()).collect();
        assert_eq!(got, sizes);
    }
}

#[test]
fn bdat_errno_rule_matches_observed() {
    let mut h = Hooks::new(b"Subject: x\r\n\r\nb\r\n", 13).errno(2, 5);
    let (r, chunks) = bdat(&mut h);
    assert!(matches!(r, Err(TransferError::Callback { errno: 5 })));
    assert!(chunks.is_empty());
    assert_eq!(h.log(), "rewind r13 ev12 r4");

    let mut h = Hooks::new(b"Subject: x\r\n\r\nb\r\n", 0).errno(2, 5);
    let (r, chunks) = bdat(&mut h);
    assert!(matches!(r, Err(TransferError::Callback { errno: 5 })));
    assert_eq!(chunks.len(), 2);
    assert!(chunks.iter().all(|(_, last)| !last));

    let mut h = Hooks::new(b"Subject: x\r\n\r\nb\r\nc\r\n", 3).errno(6, 5);
    let (r, chunks) = bdat(&mut h);
    assert!(matches!(r, Err(TransferError::Callback { errno: 5 })));
    assert_eq!(h.log(), "rewind r3 r3 r3 r3 r3 ev12 ev1 r3 ev3");
    assert_eq!(chunks.len(), 2);
}

// ----------------------------------------------------------- properties ----

/// Deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn random_input(rng: &mut Rng) -> Vec<u8> {
    const ALPHABET: &[u8] = b"..\r\r\n\n\r\n \tab:\0\xff";
    let len = rng.below(60);
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        match rng.below(6) {
            0 => v.extend_from_slice(b"\r\n"),
            1 => v.extend_from_slice(b"\r\n."),
            _ => v.push(ALPHABET[rng.below(ALPHABET.len())]),
        }
    }
    v
}

fn random_split(rng: &mut Rng, input: &[u8]) -> Vec<Vec<u8>> {
    let mut blocks = Vec::new();
    let mut at = 0;
    while at < input.len() {
        let n = 1 + rng.below(input.len() - at);
        let n = if rng.below(3) == 0 { n.min(3) } else { n };
        blocks.push(input[at..at + n].to_vec());
        at += n;
    }
    blocks
}

fn has_separator(b: &[u8]) -> bool {
    b.starts_with(b"\r\n") || b.windows(4).any(|w| w == b"\r\n\r\n")
}

/// The input with the final CRLF repaired, as the library sends it (with the
/// pass-through header engine).
fn normalised(input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    if !v.is_empty() && !v.ends_with(b"\r\n") {
        if v.ends_with(b"\r") {
            v.push(b'\n');
        } else {
            v.extend_from_slice(b"\r\n");
        }
    }
    if !has_separator(&v) {
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// libESMTP's own stuffing: headers after every LF, body only at the start
/// of CRLF lines. Input must be normalised.
fn libesmtp_stuffing(v: &[u8]) -> Vec<u8> {
    let sep = if v.starts_with(b"\r\n") {
        0
    } else {
        v.windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(v.len(), |p| p + 2)
    };
    let mut out = Vec::new();
    for (i, &b) in v.iter().enumerate() {
        let line_start = if i == 0 {
            true
        } else if i <= sep {
            v[i - 1] == b'\n'
        } else {
            // Body: start of a CRLF-delimited line.
            i >= 2 && v[i - 2] == b'\r' && v[i - 1] == b'\n'
        };
        if line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
    }
    out
}

fn only_crlf_pairs(v: &[u8]) -> bool {
    v.iter().enumerate().all(|(i, &b)| match b {
        b'\r' => v.get(i + 1) == Some(&b'\n'),
        b'\n' => i > 0 && v[i - 1] == b'\r',
        _ => true,
    })
}

#[test]
fn property_data_path() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..3000 {
        let input = random_input(&mut rng);
        let expected = normalised(&input);
        let mut reference: Option<(Vec<u8>, Vec<usize>)> = None;
        for split in 0..4 {
            let blocks = if split == 0 {
                vec![input.clone()]
            } else {
                random_split(&mut rng, &input)
            };
            let mut h = Hooks::with_blocks(blocks.clone());
            let (r, out) = data(&mut h);
            assert!(r.is_ok());
            let what = format!("case {case} input {input:?} blocks {blocks:?}");
            assert!(out.ends_with(b"\r\n.\r\n"), "{what}");
            let payload = &out[..out.len() - 3];
            assert_eq!(unstuff(payload), expected, "{what}");
            // No line (ended by CRLF, LF or CR) is a lone dot.
            for (i, &b) in payload.iter().enumerate() {
                let starts = i == 0 || payload[i - 1] == b'\n' || payload[i - 1] == b'\r';
                if starts && b == b'.' {
                    assert_eq!(payload.get(i + 1), Some(&b'.'), "{what}");
                }
            }
            assert_eq!(h.lens.iter().sum::<usize>() + 2, expected.len(), "{what}");
            if only_crlf_pairs(&expected) {
                assert_eq!(payload, libesmtp_stuffing(&expected), "{what}");
            }
            match &reference {
                None => reference = Some((out, h.lens)),
                Some((o, l)) => {
                    assert_eq!(&out, o, "{what}");
                    assert_eq!(&h.lens, l, "{what}");
                }
            }
        }
    }
}

#[test]
fn property_bdat_path() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for case in 0..3000 {
        let input = random_input(&mut rng);
        let blocks = random_split(&mut rng, &input);
        let mut h = Hooks::with_blocks(blocks.clone());
        let (r, chunks) = bdat(&mut h);
        assert!(r.is_ok());
        let what = format!("case {case} input {input:?} blocks {blocks:?}");
        let all: Vec<u8> = chunks.iter().flat_map(|(c, _)| c.clone()).collect();
        let expected = if has_separator(&input) {
            input.clone()
        } else {
            normalised(&input)
        };
        assert_eq!(all, expected, "{what}");
        let (last, rest) = chunks.split_last().unwrap();
        assert!(last.1 && last.0.is_empty(), "{what}");
        assert!(rest.iter().all(|(_, l)| !l), "{what}");
        // Every body chunk is a suffix of one block or a whole block.
        for (c, _) in &rest[1..] {
            assert!(blocks.iter().any(|b| b.ends_with(c)), "{what}");
        }
        assert_eq!(h.lens.iter().sum::<usize>() + 2, all.len(), "{what}");
    }
}

// ----------------------------------------------------- recorded sequences ----

/// Decodes a hex string (fixture format).
fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Each fixture line: input (hex), piece size (0 = all at once), the DATA
/// payload libESMTP 1.1.0 put on the wire after the 354, terminator
/// included (hex; `-` on the BDAT path), then its sequence of callback reads
/// (`rN`) and MESSAGEDATA events (`evN`). Its generated Date, From and
/// Message-Id headers are removed from both, since the stub header engine
/// adds none. Recorded with random inputs over `X: a`, `.`, `..`, CRLF,
/// bare CR/LF, SP, TAB.
fn check_recorded(fixture: &str, bdat_path: bool) {
    let mut cases = 0;
    let mut wire_compared = 0;
    for line in fixture.lines().filter(|l| !l.trim().is_empty()) {
        let mut fields = line.split(' ');
        let input = unhex(fields.next().unwrap_or_default());
        let piece: usize = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let wire = unhex(fields.next().unwrap_or_default());
        let expected: Vec<&str> = fields.collect();
        let mut h = Hooks::new(&input, piece);
        let what = format!("input {input:?} piece {piece}");
        if bdat_path {
            assert!(bdat(&mut h).0.is_ok());
        } else {
            let (r, out) = data(&mut h);
            assert!(r.is_ok());
            // Byte-identical unless a dot follows a bare CR or LF (Q-BARELF).
            if only_crlf_pairs(&normalised(&input)) {
                assert_eq!(out, wire, "{what}");
                wire_compared += 1;
            } else {
                // libESMTP's own stuffing, as modelled for the property
                // tests, and ours undone, both give the input back.
                let expected = normalised(&input);
                let mut model = libesmtp_stuffing(&expected);
                model.extend_from_slice(b".\r\n");
                assert_eq!(wire, model, "{what}");
                assert_eq!(unstuff(&out[..out.len() - 3]), expected, "{what}");
            }
        }
        assert_eq!(h.log, expected, "{what}");
        cases += 1;
    }
    assert!(cases >= 100);
    assert!(bdat_path || wire_compared >= 20, "{wire_compared}");
}

#[test]
fn matches_libesmtp_recorded_sequences_data() {
    check_recorded(include_str!("datapath_libesmtp_data.txt"), false);
}

#[test]
fn matches_libesmtp_recorded_sequences_bdat() {
    check_recorded(include_str!("datapath_libesmtp_bdat.txt"), true);
}
