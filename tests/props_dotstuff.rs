//! Properties of dot-stuffing and of the DATA payload, on deterministic
//! pseudo-random inputs (xorshift, no dependency): stuff then unstuff is the
//! identity, stuffing in pieces equals stuffing whole, no line of the
//! payload is a lone `.`, and `send_data` output is CRLF-framed.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod targets;

use esmtp::core::message::dotstuff::{stuff, unstuff, Stuffer};

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

/// Generators for this test on top of the shared `Rng`.
trait Gen {
    fn text(&mut self, max: u64) -> Vec<u8>;
}

impl Gen for Rng {
    /// Text rich in dots and line ends.
    fn text(&mut self, max: u64) -> Vec<u8> {
        const A: &[u8] = b"..\r\n\r\n\n\r.a ";
        let n = self.below(max + 1);
        (0..n)
            .map(|_| A[self.below(A.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn stuff_then_unstuff_is_identity() {
    let mut rng = Rng(7);
    for _ in 0..20_000 {
        let input = rng.text(64);
        assert_eq!(unstuff(&stuff(&input)), input, "input {input:?}");
    }
}

#[test]
fn stuffing_in_pieces_equals_whole() {
    let mut rng = Rng(8);
    for _ in 0..5_000 {
        let input = rng.text(128);
        let whole = stuff(&input);
        let mut out = Vec::new();
        let mut s = Stuffer::new();
        let mut at = 0;
        while at < input.len() {
            let n = (1 + rng.below(9) as usize).min(input.len() - at);
            s.write(&mut out, &input[at..at + n]).unwrap();
            at += n;
        }
        assert_eq!(out, whole);
    }
}

#[test]
fn no_stuffed_line_is_a_lone_dot() {
    let mut rng = Rng(9);
    for _ in 0..20_000 {
        let input = rng.text(64);
        let out = stuff(&input);
        // Lines as any server might split them: at CRLF, bare LF or bare CR.
        for line in out.split(|&b| b == b'\n' || b == b'\r') {
            assert_ne!(line, b".", "lone dot from {input:?}");
        }
    }
}

#[test]
fn crlf_only_input_stuffed_like_rfc5321() {
    // For input whose line ends are all CRLF: exactly the lines starting
    // with '.' get one more (RFC 5321 4.5.2), nothing else changes.
    let mut rng = Rng(10);
    for _ in 0..5_000 {
        let lines: Vec<Vec<u8>> = (0..rng.below(6))
            .map(|_| {
                let n = rng.below(5);
                (0..n)
                    .map(|_| if rng.below(2) == 0 { b'.' } else { b'x' })
                    .collect()
            })
            .collect();
        let input: Vec<u8> = lines
            .iter()
            .flat_map(|l| l.iter().copied().chain(*b"\r\n"))
            .collect();
        let expected: Vec<u8> = lines
            .iter()
            .flat_map(|l| {
                let mut v = Vec::new();
                if l.first() == Some(&b'.') {
                    v.push(b'.');
                }
                v.extend_from_slice(l);
                v.extend_from_slice(b"\r\n");
                v
            })
            .collect();
        assert_eq!(stuff(&input), expected);
    }
}

#[test]
fn data_payload_is_crlf_framed_and_terminated() {
    // send_data through a fake SessionHooks: checked inside targets::message
    // (terminator, no lone dot); here with inputs built from the dot/line-end
    // alphabet and all piece sizes 0..=9.
    let mut rng = Rng(11);
    for _ in 0..3_000 {
        let mut input = vec![0u8, rng.below(10) as u8];
        input.extend(b"Subject: p\r\n\r\n");
        input.extend(rng.text(80));
        targets::message(&input);
    }
}

#[test]
fn data_payload_lines_end_in_crlf_for_crlf_input() {
    // For CRLF-only input the whole payload uses CRLF and nothing else.
    let mut rng = Rng(12);
    for _ in 0..2_000 {
        let mut body = Vec::new();
        for _ in 0..rng.below(6) {
            for _ in 0..rng.below(4) {
                body.push(if rng.below(2) == 0 { b'.' } else { b'y' });
            }
            body.extend_from_slice(b"\r\n");
        }
        let out = stuff(&body);
        let mut i = 0;
        while i < out.len() {
            if out[i] == b'\n' {
                assert!(i > 0 && out[i - 1] == b'\r', "bare LF");
            }
            if out[i] == b'\r' {
                assert_eq!(out.get(i + 1), Some(&b'\n'), "bare CR");
            }
            i += 1;
        }
    }
}
