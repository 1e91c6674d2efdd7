//! Failures and limits of the protocol engine: timeouts, dropped
//! connections, malformed or long replies, reruns, batching, addresses
//! (protocol.md sections 3, 7, 8, 9.7–9.9, 13).

mod protocol_support;

use esmtp::core::error::Error;
use esmtp::core::protocol::{run, Outcome};
use protocol_support::*;

const EHLO_PLAIN: &[&str] = &["250-fake.example", "250 ENHANCEDSTATUSCODES"];

#[test]
fn connect_refused_returns_errno() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let s = one_message(port, &["b@x"]);
    let mut hooks = Recorder::default();
    assert_eq!(
        run(&s, "h", &mut hooks),
        Outcome {
            ret: false,
            error: Some(Error::Os(libc::ECONNREFUSED))
        }
    );
    assert!(hooks.log.is_empty());
}

#[test]
fn syntax_warning_on_quit_reply() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PLAIN),
            reply("MAIL", &["250 2.1.0 ok"]),
            reply("RCPT", &["250 2.1.5 ok"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 bye"]),
        ],
    )
    .data_end(&["250 2.0.0 ok"])]);
    let s = one_message(port, &["b@x"]);
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    hooks.answers.push((6, 1));
    let (outcome, _) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(Some(Error::InvalidResponseSyntax)));
    let events = hooks.events();
    assert_eq!(
        events[events.len() - 2..],
        ["EV SYNTAXWARNING preset=0", "EV DISCONNECT"]
    );
    assert!(s.messages[0].recipients[0].complete.get());
}

#[test]
fn timeout_at_reply_start_ends_without_quit() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![reply("EHLO", EHLO_PLAIN), rule("MAIL", Action::Silent)],
    )]);
    let mut s = one_message(port, &["b@x"]);
    s.timeouts.envelope = 300;
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(Some(Error::DroppedConnection)));
    assert_eq!(
        t[0].commands(),
        vec!["EHLO client.example", "MAIL FROM:<a@x>"]
    );
    assert_eq!(hooks.events(), vec!["EV CONNECT", "EV DISCONNECT"]);
}

#[test]
fn timeout_inside_reply_writes_quit() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PLAIN),
            rule("MAIL", Action::Raw(b"250-partial\r\n".to_vec())),
            rule("QUIT", Action::Silent),
        ],
    )]);
    let mut s = one_message(port, &["b@x"]);
    s.timeouts.envelope = 300;
    let (outcome, t) = go(&s, &mut Recorder::new(vec!["x\r\n"]), server);
    assert_eq!(outcome, ok_outcome(Some(Error::DroppedConnection)));
    assert_eq!(
        t[0].commands(),
        vec!["EHLO client.example", "MAIL FROM:<a@x>", "QUIT"]
    );
    assert_eq!(s.messages[0].reverse_path_status.code(), 250);
}

#[test]
fn reply_421_to_first_pipelined_rcpt_then_close() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PIPE),
            reply("MAIL", &["250 2.1.0 ok"]),
            rule(
                "RCPT",
                Action::ReplyClose(vec!["421 4.3.0 closing".to_owned()]),
            ),
        ],
    )]);
    let s = one_message(port, &["b@x", "c@x"]);
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(Some(Error::DroppedConnection)));
    assert_eq!(
        hooks.events(),
        vec![
            "EV CONNECT",
            "EV MAILSTATUS #0",
            "EV RCPTSTATUS #0.0",
            "EV DISCONNECT"
        ]
    );
    assert!(!t[0].commands().contains(&"QUIT".to_owned()));
}

#[test]
fn long_reply_line_does_not_shift_replies() {
    let long = format!("250 2.1.0 {}", "y".repeat(1100));
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PLAIN),
            reply("MAIL", &[&long]),
            reply("RCPT", &["250 2.1.5 ok"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )
    .data_end(&["250 2.0.0 queued"])]);
    let s = one_message(port, &["b@x"]);
    let (outcome, _) = go(&s, &mut Recorder::new(vec!["x\r\n"]), server);
    assert_eq!(outcome, ok_outcome(None));
    assert_eq!(
        s.messages[0].reverse_path_status.with(|s| s.text.len()),
        1102
    );
    assert_eq!(
        status(&s.messages[0].transfer_status),
        "250 2.0.0 \"queued\\r\\n\""
    );
}

#[test]
fn message_callback_errno_drops_the_connection() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PLAIN),
            reply("MAIL", &["250 ok"]),
            reply("RCPT", &["250 ok"]),
            reply("DATA", &["354 go"]),
        ],
    )]);
    let s = one_message(port, &["b@x"]);
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    hooks.end_errno = 5;
    let (outcome, _) = go(&s, &mut hooks, server);
    let _ = outcome;
    // The stub data path ignores errno; the real one reports Os(5). Either
    // way the session ends with return 1.
    assert!(hooks.events().ends_with(&["EV DISCONNECT".to_owned()]));
}

#[test]
fn rerun_sends_only_pending_recipients() {
    let first = Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PIPE),
            reply("MAIL", &["250 2.1.0 ok"]),
            reply("RCPT TO:<perm", &["550 5.1.1 no"]),
            reply("RCPT TO:<temp", &["450 4.2.0 later"]),
            reply("RCPT", &["250 2.1.5 ok"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )
    .data_end(&["250 2.0.0 queued"]);
    let second = Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PIPE),
            reply("MAIL", &["250 2.1.0 ok"]),
            reply("RCPT", &["250 2.1.5 ok"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )
    .data_end(&["250 2.0.0 queued"]);
    let (port, server) = serve(vec![first, second]);
    let s = one_message(port, &["ok@x", "perm@x", "temp@x"]);
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    assert_eq!(run(&s, "client.example", &mut hooks), ok_outcome(None));
    let complete: Vec<bool> = s.messages[0]
        .recipients
        .iter()
        .map(|r| r.complete.get())
        .collect();
    assert_eq!(complete, vec![true, true, false]);
    assert_eq!(run(&s, "client.example", &mut hooks), ok_outcome(None));
    let t = server.join().expect("server");
    assert_eq!(
        t[1].commands(),
        vec![
            "EHLO client.example",
            "MAIL FROM:<a@x>",
            "RCPT TO:<temp@x>",
            "DATA",
            ".",
            "QUIT"
        ]
    );
    assert!(s.messages[0].recipients.iter().all(|r| r.complete.get()));
    assert!(!s.has_work());
}

#[test]
fn hundred_recipients_are_batched_like_libesmtp() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PIPE),
            reply("MAIL", &["250 2.1.0 ok"]),
            always("RCPT", &["250 2.1.5 ok"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )
    .data_end(&["250 2.0.0 queued"])]);
    let names: Vec<String> = (1..=100)
        .map(|i| format!("recipient{i}@example.org"))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let s = one_message(port, &refs);
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    hooks.monitor = true;
    let outcome = run(&s, "client.example", &mut hooks);
    let t = server.join().expect("server");
    assert_eq!(outcome, ok_outcome(None));
    assert_eq!(t[0].commands().len(), 105);
    // libESMTP 1.1.0 observed: 21 (EHLO), 17 (MAIL), 2021, 1477, 6 (QUIT).
    // Ours sends MAIL with the first 8 RCPTs (compat.md): the same bytes.
    assert_eq!(hooks.writes, vec![21, 17 + 8 * 34, 2029, 1197, 6]);
    assert_eq!(
        hooks.writes.iter().sum::<usize>(),
        21 + 17 + 2021 + 1477 + 6
    );
    assert!(hooks
        .log
        .iter()
        .filter(|l| l.starts_with("C> "))
        .all(|l| l.replace("\\r\\n", "..").len() <= 2048 + 3));
    assert_eq!(
        hooks
            .events()
            .iter()
            .filter(|e| e.starts_with("EV RCPTSTATUS"))
            .count(),
        100
    );
    assert!(s.messages[0].recipients.iter().all(|r| r.complete.get()));
}

#[test]
fn bracketed_ipv6_server_and_resolver_failures() {
    if let Ok(listener) = std::net::TcpListener::bind("[::1]:0") {
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let (mut c, _) = listener.accept().expect("accept");
            let _ = c.write_all(b"554 not here\r\n");
            let mut buf = [0u8; 64];
            let n = c.read(&mut buf).unwrap_or(0);
            let _ = c.write_all(b"221 bye\r\n");
            buf[..n].to_vec()
        });
        let mut s = one_message(port, &["b@x"]);
        if let Some(server) = s.server.as_mut() {
            server.host = "[::1]".to_owned();
        }
        let outcome = run(&s, "c", &mut Recorder::new(vec!["x\r\n"]));
        assert_eq!(
            outcome,
            Outcome {
                ret: false,
                error: None
            }
        );
        assert_eq!(server.join().expect("server"), b"QUIT\r\n");
    }
    let mut s = one_message(25, &["b@x"]);
    if let Some(server) = s.server.as_mut() {
        server.service = "no-such-service-here".to_owned();
    }
    assert_eq!(
        run(&s, "c", &mut Recorder::default()),
        Outcome {
            ret: false,
            error: Some(Error::Resolver {
                eai: libc::EAI_SERVICE,
                errno: 0
            })
        }
    );
}

/// One message over PIPELINING, every envelope reply 2xx; the final reply
/// and the QUIT reply as given.
fn pipelined_exchange(
    quit_reply: &str,
    final_reply: &str,
) -> (u16, std::thread::JoinHandle<Vec<Transcript>>) {
    serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PIPE),
            reply("MAIL", &["250 2.1.0 ok"]),
            reply("RCPT", &["250 2.1.5 ok"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &[quit_reply]),
        ],
    )
    .data_end(&[final_reply])])
}

/// With PIPELINING, QUIT leaves with the last message's terminator
/// (compat.md), yet its reply is read after MESSAGESENT: a syntax warning
/// on it still comes last, and QUIT is written once.
#[test]
fn pipelined_quit_reply_is_handled_after_messagesent() {
    let (port, server) = pipelined_exchange("221 bye", "554 5.0.0 refused");
    let s = one_message(port, &["b@x"]);
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    hooks.answers.push((6, 1));
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(Some(Error::InvalidResponseSyntax)));
    assert_eq!(
        t[0].lines
            .iter()
            .filter(|l| l.starts_with("C: ") && !l.starts_with("C: EHLO"))
            .map(String::as_str)
            .collect::<Vec<_>>(),
        [
            "C: MAIL FROM:<a@x> [#2]",
            "C: RCPT TO:<b@x> [#2]",
            "C: DATA [#2]",
            "C: . [#3]",
            "C: QUIT [#3]"
        ]
    );
    let events = hooks.events();
    assert_eq!(
        events[events.len() - 3..],
        [
            "EV MESSAGESENT #0",
            "EV SYNTAXWARNING preset=0",
            "EV DISCONNECT"
        ]
    );
    // A 5xx final reply completes every recipient (spec 9.4).
    assert!(s.messages[0].recipients[0].complete.get());
}

/// A final reply that cannot be parsed ends the session; the QUIT already
/// went out with the terminator, so it is not written again and the next
/// reply is taken as its reply.
#[test]
fn unreadable_final_reply_with_pipelined_quit_writes_quit_once() {
    let (port, server) = pipelined_exchange("221 2.0.0 bye", "garbage");
    let s = one_message(port, &["b@x"]);
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(Some(Error::InvalidResponseSyntax)));
    assert_eq!(t[0].commands().iter().filter(|c| *c == "QUIT").count(), 1);
    assert!(!hooks.events().iter().any(|e| e.contains("MESSAGESENT")));
    assert!(!s.messages[0].recipients[0].complete.get());
}
