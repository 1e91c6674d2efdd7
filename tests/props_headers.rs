//! Properties of the header engine: whatever values the application sets
//! (including CR, LF, NUL and 8-bit bytes) and whatever header units the
//! message has, every unit the engine writes ends in CRLF and contains no
//! bare CR/LF and no line that is not a folded continuation (checked in
//! `targets::check_header_unit`).

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod targets;

use esmtp::core::message::headers::{HeaderTable, HeaderValue};

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

/// Generators for this test on top of the shared `Rng`.
trait Gen {
    fn text(&mut self, max: u64) -> Vec<u8>;
}

impl Gen for Rng {
    fn text(&mut self, max: u64) -> Vec<u8> {
        const A: &[u8] = b"ab \t\r\n\r\n:<>@\"\\,.\0\xff";
        let n = self.below(max + 1);
        (0..n)
            .map(|_| A[self.below(A.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn generated_units_are_crlf_clean() {
    let mut rng = Rng(31);
    for _ in 0..20_000 {
        let mut v = vec![rng.below(16) as u8];
        for _ in 0..rng.below(40) {
            v.push(rng.next() as u8);
            v.push(rng.below(30) as u8);
        }
        v.extend(rng.text(60));
        v.extend(b"\r\nFrom: x\r\nTo: y\r\nX-Foo: z\r\nDate: d\r\n");
        targets::headers(&v);
    }
}

#[test]
fn values_with_line_breaks_are_refused_or_folded() {
    let mut rng = Rng(32);
    let names: [&[u8]; 6] = [b"Subject", b"X-Foo", b"Message-Id", b"From", b"To", b"Cc"];
    for _ in 0..5_000 {
        let mut t = HeaderTable::default();
        let name = names[rng.below(6) as usize];
        let value = rng.text(30);
        let r = if matches!(name, b"From" | b"To" | b"Cc") {
            t.set(
                name,
                HeaderValue::Mailbox {
                    phrase: Some(&value),
                    mailbox: Some(b"a@b"),
                },
            )
        } else {
            t.set(name, HeaderValue::Text(Some(&value)))
        };
        // Accepted or not, rendering happens in targets::headers; here we
        // check that a bare CR or LF (not CRLF + WSP folding) is refused.
        let bare = value.iter().enumerate().any(|(i, &b)| {
            (b == b'\r' && value.get(i + 1) != Some(&b'\n'))
                || (b == b'\n' && (i == 0 || value[i - 1] != b'\r'))
        });
        if bare {
            assert!(
                r.is_err(),
                "{:?} accepted a value with a bare CR/LF: {:?}",
                String::from_utf8_lossy(name),
                value
            );
        }
    }
}
