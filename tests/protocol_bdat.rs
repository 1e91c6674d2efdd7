//! The BDAT path (protocol.md 12.6) and its two fixes: no chunk after a
//! failed one (Q-BDATFAIL) and a LAST without a reply is not delivered.
//!
//! Messages start with a 14-byte header block handed out as the first
//! callback piece, so the chunks are: the header chunk (its size depends on
//! the generated headers, shown as `H`), then one chunk per piece.

mod protocol_support;

use esmtp::core::error::Error;
use esmtp::core::protocol::{run, Outcome};
use protocol_support::*;

const HEADER: &str = "Subject: x\r\n\r\n";

fn chunking(extra: &[&str], rules: Vec<Rule>) -> Script {
    let mut ehlo = vec!["250-fake.example", "250-CHUNKING"];
    ehlo.extend_from_slice(extra);
    ehlo.push("250 ENHANCEDSTATUSCODES");
    let mut all = vec![
        reply("EHLO", &ehlo),
        always("MAIL", &["250 2.1.0 ok"]),
        always("RCPT", &["250 2.1.5 ok"]),
    ];
    all.extend(rules);
    all.push(reply("RSET", &["250 2.0.0 reset"]));
    all.push(reply("QUIT", &["221 2.0.0 bye"]));
    Script::new(&["220 x"], all)
}

fn session_with(port: u16, messages: usize) -> esmtp::core::model::Session {
    let mut s = session(port);
    for i in 0..messages {
        s.messages.push(message(Some("a@x"), &[&format!("r{i}@x")]));
    }
    s
}

/// Command lines with batch numbers; the size of each header chunk (the
/// first BDAT of a message) shown as `H`.
fn masked(t: &Transcript) -> Vec<String> {
    let mut first = true;
    t.lines
        .iter()
        .filter(|l| l.starts_with("C: "))
        .map(|l| {
            if l.starts_with("C: MAIL") {
                first = true;
            }
            match l.strip_prefix("C: BDAT ") {
                Some(rest) if first && !rest.starts_with("0 LAST") => {
                    first = false;
                    let tail = rest.split_once(' ').map_or("", |(_, t)| t);
                    format!("C: BDAT H {tail}")
                }
                _ => l.clone(),
            }
        })
        .collect()
}

fn ok() -> Outcome {
    Outcome {
        ret: true,
        error: None,
    }
}

#[test]
fn without_pipelining_each_chunk_waits() {
    let script = chunking(
        &[],
        vec![
            reply("BDAT 0 LAST", &["250 2.0.0 queued"]),
            always("BDAT", &["250 2.0.0 chunk"]),
        ],
    );
    let (port, server) = serve(vec![script]);
    let s = session_with(port, 1);
    let body = format!("{HEADER}0123456789abcd0123456789abcd");
    let mut hooks = Recorder::new(vec![body.as_str()]);
    hooks.piece = HEADER.len();
    let outcome = run(&s, "c", &mut hooks);
    let t = server.join().expect("server").remove(0);
    assert_eq!(outcome, ok());
    assert_eq!(
        masked(&t),
        vec![
            "C: EHLO c [#1]",
            "C: MAIL FROM:<a@x> [#2]",
            "C: RCPT TO:<r0@x> [#3]",
            "C: BDAT H [#4]",
            "C: BDAT 14 [#5]",
            "C: BDAT 14 [#6]",
            "C: BDAT 0 LAST [#7]",
            "C: QUIT [#8]",
        ]
    );
    assert!(s.messages[0].recipients[0].complete.get());
}

#[test]
fn failed_chunk_stops_the_message_and_rsets() {
    let script = chunking(
        &[],
        vec![
            reply("BDAT", &["554 5.6.0 bad content"]),
            always("BDAT", &["250 2.0.0 ok"]),
        ],
    );
    let (port, server) = serve(vec![script]);
    let s = session_with(port, 2);
    let one = format!("{HEADER}0123456789abcd");
    let two = format!("{HEADER}abc");
    let mut hooks = Recorder::new(vec![one.as_str(), two.as_str()]);
    hooks.piece = HEADER.len();
    let outcome = run(&s, "c", &mut hooks);
    let t = server.join().expect("server").remove(0);
    assert_eq!(outcome, ok());
    assert_eq!(
        masked(&t),
        vec![
            "C: EHLO c [#1]",
            "C: MAIL FROM:<a@x> [#2]",
            "C: RCPT TO:<r0@x> [#3]",
            "C: BDAT H [#4]",
            "C: RSET [#5]",
            "C: MAIL FROM:<a@x> [#6]",
            "C: RCPT TO:<r1@x> [#7]",
            "C: BDAT H [#8]",
            "C: BDAT 3 [#9]",
            "C: BDAT 0 LAST [#10]",
            "C: QUIT [#11]",
        ]
    );
    assert_eq!(
        status(&s.messages[0].transfer_status),
        "554 5.6.0 \"bad content\\r\\n\""
    );
    assert!(s.messages[0].recipients[0].complete.get());
    let sent: Vec<String> = hooks
        .events()
        .into_iter()
        .filter(|e| e.contains("MESSAGESENT"))
        .collect();
    assert_eq!(sent, vec!["EV MESSAGESENT #0", "EV MESSAGESENT #1"]);
}

#[test]
fn pipelined_failure_decides_even_if_last_succeeds() {
    let script = chunking(
        &["250-PIPELINING"],
        vec![
            reply("BDAT 0 LAST", &["250 2.0.0 queued"]),
            reply("BDAT", &["451 4.3.0 try later"]),
            always("BDAT", &["503 5.5.1 no transaction"]),
        ],
    );
    let (port, server) = serve(vec![script]);
    let s = session_with(port, 1);
    let body = format!("{HEADER}0123456789abcd");
    let mut hooks = Recorder::new(vec![body.as_str()]);
    hooks.piece = HEADER.len();
    let outcome = run(&s, "c", &mut hooks);
    let t = server.join().expect("server").remove(0);
    assert_eq!(outcome, ok());
    // Everything was queued before the first reply arrived.
    assert_eq!(
        masked(&t)[3..6],
        ["C: BDAT H [#3]", "C: BDAT 14 [#3]", "C: BDAT 0 LAST [#3]"]
    );
    // The last reply read stays in the status, the first failure decides.
    assert_eq!(s.messages[0].transfer_status.code(), 250);
    assert!(!s.messages[0].recipients[0].complete.get());
    assert!(hooks.events().contains(&"EV MESSAGESENT #0".to_owned()));
}

#[test]
fn last_chunk_without_reply_is_not_delivered() {
    let script = chunking(
        &["250-PIPELINING"],
        vec![
            rule("BDAT 0 LAST", Action::Silent),
            always("BDAT", &["250 2.0.0 chunk"]),
            // The QUIT pipelined behind the last chunk: a server that does
            // not answer the chunk does not answer it either.
            rule("QUIT", Action::Silent),
        ],
    );
    let (port, server) = serve(vec![script]);
    let mut s = session_with(port, 1);
    s.timeouts.data2 = 300;
    let body = format!("{HEADER}0123");
    let mut hooks = Recorder::new(vec![body.as_str()]);
    let outcome = run(&s, "c", &mut hooks);
    let _ = server.join();
    assert_eq!(
        outcome,
        Outcome {
            ret: true,
            error: Some(Error::DroppedConnection)
        }
    );
    assert_eq!(s.messages[0].transfer_status.code(), 0);
    assert!(!s.messages[0].recipients[0].complete.get());
    assert!(!hooks.events().iter().any(|e| e.contains("MESSAGESENT")));
}

#[test]
fn xexch50_ends_with_bdat_2_last() {
    let script = chunking(
        &["250-XEXCH50", "250-PIPELINING"],
        vec![always("BDAT", &["250 2.0.0 ok"])],
    );
    let (port, server) = serve(vec![script]);
    let s = session_with(port, 1);
    let body = format!("{HEADER}body");
    let mut hooks = Recorder::new(vec![body.as_str()]);
    hooks.piece = HEADER.len();
    let outcome = run(&s, "c", &mut hooks);
    let t = server.join().expect("server").remove(0);
    assert_eq!(outcome, ok());
    assert_eq!(
        masked(&t)[3..6],
        ["C: BDAT H [#3]", "C: BDAT 4 [#3]", "C: BDAT 2 LAST [#3]"]
    );
    assert_eq!(t.content()[1..], ["body", "\\r\\n"]);
    assert!(s.messages[0].recipients[0].complete.get());
}

#[test]
fn large_message_goes_out_whole() {
    let script = chunking(&["250-PIPELINING"], vec![always("BDAT", &["250 2.0.0 ok"])]);
    let (port, server) = serve(vec![script]);
    let s = session_with(port, 1);
    let body = format!("{HEADER}{}", "x".repeat(1 << 20));
    let mut hooks = Recorder::new(vec![body.as_str()]);
    hooks.piece = 8192;
    let outcome = run(&s, "c", &mut hooks);
    let t = server.join().expect("server").remove(0);
    assert_eq!(outcome, ok());
    let sizes: Vec<usize> = t
        .commands()
        .iter()
        .filter_map(|c| c.strip_prefix("BDAT ")?.split(' ').next()?.parse().ok())
        .collect();
    // Header chunk, body chunks, the empty LAST.
    assert_eq!(sizes[1..].iter().sum::<usize>(), 1 << 20);
    assert_eq!(sizes.iter().filter(|&&n| n == 8192).count(), 127);
    assert!(s.messages[0].recipients[0].complete.get());
}
