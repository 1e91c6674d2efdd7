//! Properties of the reply parser on deterministic pseudo-random server
//! output: it never panics, always makes progress, and holds bounded
//! memory (a reply's text never exceeds MAX_REPLY_BYTES, a 1 MiB+ line is
//! refused rather than buffered past the budget).

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod targets;

use esmtp::core::reply::{read_reply, LineSource, ReadFailure, ReplyOptions, MAX_REPLY_BYTES};

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

#[test]
fn random_replies_never_panic() {
    let mut rng = Rng(21);
    const PARTS: [&[u8]; 14] = [
        b"250",
        b"-",
        b" ",
        b"2.1.0",
        b"5.5.5",
        b"\r\n",
        b"\n",
        b"text",
        b"\0",
        b"\xff",
        b"421",
        b"+",
        b"99999999999999999999",
        b".",
    ];
    for _ in 0..30_000 {
        let mut v = vec![rng.below(8) as u8];
        for _ in 0..rng.below(24) {
            v.extend_from_slice(PARTS[rng.below(PARTS.len() as u64) as usize]);
        }
        targets::reply(&v);
    }
}

/// A server that sends one endless line: the parser must give up at the
/// budget, not buffer without bound.
struct Endless {
    served: usize,
}

impl LineSource for Endless {
    fn next_line(&mut self, max: usize) -> Result<&[u8], ReadFailure> {
        // The transport refuses a line over `max` (it never allocates more).
        assert!(max <= MAX_REPLY_BYTES);
        self.served += 1;
        if self.served > 3 {
            return Err(ReadFailure::Closed);
        }
        Err(ReadFailure::TooLong)
    }
    fn syntax_warning(&mut self) -> bool {
        false
    }
}

#[test]
fn endless_line_is_refused_within_budget() {
    let mut src = Endless { served: 0 };
    let r = read_reply(&mut src, ReplyOptions::default(), &mut |_| {});
    assert!(r.is_err());
}

/// Many continuation lines: the text stays bounded.
struct Many {
    n: usize,
    line: Vec<u8>,
    asked: usize,
}

impl LineSource for Many {
    fn next_line(&mut self, max: usize) -> Result<&[u8], ReadFailure> {
        self.asked += 1;
        assert!(
            self.asked <= self.n + 1,
            "parser kept reading past a failure"
        );
        if self.line.len() > max {
            return Err(ReadFailure::TooLong);
        }
        Ok(&self.line)
    }
    fn syntax_warning(&mut self) -> bool {
        false
    }
}

#[test]
fn many_continuations_bounded() {
    for (n, len) in [(100_000usize, 10usize), (2_000, 1_000), (5, 400_000)] {
        let mut line = b"250-".to_vec();
        line.resize(len, b'x');
        line.extend_from_slice(b"\r\n");
        let mut src = Many { n, line, asked: 0 };
        match read_reply(&mut src, ReplyOptions::default(), &mut |_| {}) {
            Ok(s) => assert!(s.text.len() <= MAX_REPLY_BYTES),
            Err(f) => assert!(f.partial.text.len() <= MAX_REPLY_BYTES),
        }
    }
}
