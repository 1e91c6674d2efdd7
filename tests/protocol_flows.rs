//! Main flows of the protocol engine against a scripted loopback server,
//! checked byte for byte against protocol.md section 17 (T-a … T-e).

mod protocol_support;

use esmtp::core::error::Error;
use esmtp::core::extensions::ExtSet;
use esmtp::core::model::{BODY_8BITMIME, BODY_BINARYMIME, NOTIFY_NEVER, RET_HDRS};
use esmtp::core::protocol::run;
use protocol_support::*;

const EHLO_PIPELINING: &[&str] = &[
    "250-fake.example hello",
    "250-PIPELINING",
    "250-ENHANCEDSTATUSCODES",
    "250 SIZE 1000000",
];

/// [T-a] PIPELINING, 2 messages x 2 recipients, one recipient refused.
#[test]
fn t_a_pipelining_two_messages() {
    let script = Script::new(
        &["220 fake.example ESMTP ready"],
        vec![
            reply("EHLO", EHLO_PIPELINING),
            always("MAIL", &["250 2.1.0 OK"]),
            reply(
                "RCPT TO:<bad@",
                &["550 5.1.1 <bad@example.org>: no such user"],
            ),
            always("RCPT", &["250 2.1.5 OK"]),
            always("DATA", &["354 End data with <CR><LF>.<CR><LF>"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )
    .data_end(&["250 2.0.0 queued as A1"])
    .data_end(&["250 2.0.0 queued as A2"]);
    let (port, server) = serve(vec![script]);
    let mut s = session(port);
    s.messages.push(message(
        Some("alice@example.org"),
        &["bob@example.org", "bad@example.org"],
    ));
    s.messages.push(message(
        Some("alice@example.org"),
        &["carol@example.org", "dave@example.org"],
    ));
    let mut hooks = Recorder::new(vec![
        "Subject: one\r\n\r\nHello 1\r\n",
        "Subject: two\r\n\r\nHello 2\r\n",
    ]);
    hooks.monitor = true;
    let outcome = run(&s, "client.example", &mut hooks);
    let t = server.join().expect("server").remove(0);
    assert!(outcome.ret);
    assert_eq!(outcome.error, None);

    let batches: Vec<&str> = t
        .lines
        .iter()
        .filter(|l| l.starts_with("C: "))
        .map(String::as_str)
        .collect();
    assert_eq!(
        batches,
        vec![
            "C: EHLO client.example [#1]",
            // MAIL goes with its RCPTs and DATA (compat.md).
            "C: MAIL FROM:<alice@example.org> [#2]",
            "C: RCPT TO:<bob@example.org> [#2]",
            "C: RCPT TO:<bad@example.org> [#2]",
            "C: DATA [#2]",
            "C: . [#3]",
            "C: MAIL FROM:<alice@example.org> [#4]",
            "C: RCPT TO:<carol@example.org> [#4]",
            "C: RCPT TO:<dave@example.org> [#4]",
            "C: DATA [#4]",
            "C: . [#5]",
            // QUIT goes with the last message's content (compat.md).
            "C: QUIT [#5]",
        ]
    );
    assert_eq!(
        t.content_without_generated(),
        vec!["Subject: one", "", "Hello 1", "Subject: two", "", "Hello 2"]
    );
    // MESSAGEDATA (from the data path) sits between the RCPT replies and
    // the final reply.
    let all = hooks.all_events();
    let data_at = all.iter().position(|e| e.starts_with("EV MESSAGEDATA #0"));
    let rcpt_at = all.iter().position(|e| e == "EV RCPTSTATUS #0.1");
    let sent_at = all.iter().position(|e| e == "EV MESSAGESENT #0");
    assert!(rcpt_at < data_at && data_at < sent_at, "{all:?}");
    assert_eq!(
        hooks.events(),
        vec![
            "EV CONNECT",
            "EV MAILSTATUS #0",
            "EV RCPTSTATUS #0.0",
            "EV RCPTSTATUS #0.1",
            "EV MESSAGESENT #0",
            "EV MAILSTATUS #1",
            "EV RCPTSTATUS #1.0",
            "EV RCPTSTATUS #1.1",
            "EV MESSAGESENT #1",
            "EV DISCONNECT",
        ]
    );
    // The monitor: commands as flushed, content hidden, final reply shown.
    let written: Vec<&str> = hooks
        .log
        .iter()
        .filter(|l| l.starts_with("C> "))
        .map(String::as_str)
        .collect();
    assert_eq!(
        written,
        vec![
            "C> EHLO client.example\\r\\n",
            "C> MAIL FROM:<alice@example.org>\\r\\nRCPT TO:<bob@example.org>\\r\\nRCPT TO:<bad@example.org>\\r\\nDATA\\r\\n",
            "C> MAIL FROM:<alice@example.org>\\r\\nRCPT TO:<carol@example.org>\\r\\nRCPT TO:<dave@example.org>\\r\\nDATA\\r\\n",
            "C> QUIT\\r\\n",
        ]
    );
    let read: String = hooks
        .log
        .iter()
        .filter_map(|l| l.strip_prefix("S< "))
        .collect();
    assert!(read.contains("250 2.0.0 queued as A1\\r\\n"));
    assert!(!hooks.log.iter().any(|l| l.contains("Hello")));

    let m0 = &s.messages[0];
    assert_eq!(status(&m0.reverse_path_status), "250 2.1.0 \"OK\\r\\n\"");
    assert_eq!(
        status(&m0.transfer_status),
        "250 2.0.0 \"queued as A1\\r\\n\""
    );
    assert_eq!(status(&m0.recipients[0].status), "250 2.1.5 \"OK\\r\\n\"");
    assert_eq!(
        status(&m0.recipients[1].status),
        "550 5.1.1 \"<bad@example.org>: no such user\\r\\n\""
    );
    assert!(m0.recipients.iter().all(|r| r.complete.get()));
    assert!(s.messages[1].recipients.iter().all(|r| r.complete.get()));
    // An address literal names itself: no canonical name beside the host.
    assert_eq!(s.canonical_name.borrow().as_deref(), None);
}

/// [T-b] EHLO refused with 500, HELO used, no pipelining.
#[test]
fn t_b_helo_fallback_lock_step() {
    let script = Script::new(
        &["220 old.example SMTP ready"],
        vec![
            reply("EHLO", &["500 Command unrecognized"]),
            reply("HELO", &["250 old.example"]),
            always("MAIL", &["250 OK"]),
            always("RCPT", &["250 OK"]),
            reply("DATA", &["354 go ahead"]),
            reply("QUIT", &["221 bye"]),
        ],
    )
    .data_end(&["250 accepted"]);
    let (port, server) = serve(vec![script]);
    let mut s = session(port);
    s.messages.push(message(
        Some("alice@example.org"),
        &["bob@example.org", "carol@example.org"],
    ));
    let mut hooks = Recorder::new(vec!["Subject: plain\r\n\r\nHello\r\n"]);
    let outcome = run(&s, "client.example", &mut hooks);
    let t = server.join().expect("server").remove(0);
    assert_eq!((outcome.ret, outcome.error), (true, None));
    let batches: Vec<&str> = t
        .lines
        .iter()
        .filter(|l| l.starts_with("C: "))
        .map(String::as_str)
        .collect();
    assert_eq!(
        batches,
        vec![
            "C: EHLO client.example [#1]",
            "C: HELO client.example [#2]",
            "C: MAIL FROM:<alice@example.org> [#3]",
            "C: RCPT TO:<bob@example.org> [#4]",
            "C: RCPT TO:<carol@example.org> [#5]",
            "C: DATA [#6]",
            "C: . [#7]",
            "C: QUIT [#8]",
        ]
    );
    let m = &s.messages[0];
    assert_eq!(status(&m.reverse_path_status), "250 0.0.0 \"OK\\r\\n\"");
    assert_eq!(status(&m.transfer_status), "250 0.0.0 \"accepted\\r\\n\"");
    assert!(m.recipients.iter().all(|r| r.complete.get()));
}

/// [T-c] DSN + SIZE + 8BITMIME: parameter order and xtext.
#[test]
fn t_c_dsn_size_8bitmime_parameters() {
    let script = Script::new(
        &["220 fake.example ESMTP ready"],
        vec![
            reply(
                "EHLO",
                &[
                    "250-fake.example",
                    "250-PIPELINING",
                    "250-SIZE 20000",
                    "250-DSN",
                    "250-8BITMIME",
                    "250 ENHANCEDSTATUSCODES",
                ],
            ),
            reply("MAIL", &["250 2.1.0 sender ok"]),
            always("RCPT", &["250 2.1.5 recipient ok"]),
            reply("DATA", &["354 go ahead"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )
    .data_end(&["250 2.0.0 queued"]);
    let (port, server) = serve(vec![script]);
    let mut s = session(port);
    let mut m = message(
        Some("alice@example.org"),
        &["bob@example.org", "carol@example.org"],
    );
    m.size_estimate = 5000;
    m.dsn_ret = RET_HDRS;
    m.dsn_envid = Some("id+1=2 x\u{e9}".to_owned());
    m.body = BODY_8BITMIME;
    m.recipients[0].notify = 7;
    m.recipients[0].orcpt = Some(Box::new((
        "rfc822".to_owned(),
        "bob+tag@example.org".to_owned(),
    )));
    m.recipients[1].notify = NOTIFY_NEVER;
    s.messages.push(m);
    s.required = ExtSet::DSN | ExtSet::EIGHTBITMIME;
    let mut hooks = Recorder::new(vec!["Subject: x\r\n\r\nbody\r\n"]);
    let outcome = run(&s, "client.example", &mut hooks);
    let t = server.join().expect("server").remove(0);
    assert_eq!((outcome.ret, outcome.error), (true, None));
    assert_eq!(
        t.commands(),
        vec![
            "EHLO client.example",
            "MAIL FROM:<alice@example.org> SIZE=5000 RET=HDRS ENVID=id+2B1+3D2+20x+C3+A9 BODY=8BITMIME",
            "RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;bob+2Btag@example.org",
            "RCPT TO:<carol@example.org> NOTIFY=NEVER",
            "DATA",
            ".",
            "QUIT",
        ]
    );
    assert!(!hooks.log.iter().any(|l| l.contains("EXTNA")));
}

/// [T-d] CHUNKING + BINARYMIME: BDAT chunks pipelined with the RCPTs,
/// MESSAGEDATA-free stub path, monitor detached for good (Q-BDATMON).
#[test]
fn t_d_chunking_bdat() {
    let script = Script::new(
        &["220 fake.example ESMTP ready"],
        vec![
            reply(
                "EHLO",
                &[
                    "250-fake.example",
                    "250-PIPELINING",
                    "250-CHUNKING",
                    "250-BINARYMIME",
                    "250-8BITMIME",
                    "250 ENHANCEDSTATUSCODES",
                ],
            ),
            reply("MAIL", &["250 2.1.0 sender ok"]),
            always("RCPT", &["250 2.1.5 recipient ok"]),
            reply("BDAT 0 LAST", &["250 2.0.0 message queued"]),
            always("BDAT", &["250 2.0.0 chunk received"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    );
    let (port, server) = serve(vec![script]);
    let mut s = session(port);
    let mut m = message(
        Some("alice@example.org"),
        &["bob@example.org", "carol@example.org"],
    );
    m.body = BODY_BINARYMIME;
    s.messages.push(m);
    s.required = ExtSet::BINARYMIME | ExtSet::CHUNKING;
    let mut hooks = Recorder::new(vec!["Subject: binary\r\n\r\n\x00\x01.binary\n.line"]);
    hooks.piece = 20;
    hooks.monitor = true;
    let outcome = run(&s, "client.example", &mut hooks);
    let t = server.join().expect("server").remove(0);
    assert_eq!((outcome.ret, outcome.error), (true, None));
    // The header chunk's size depends on the generated Message-Id.
    let header_chunk = t
        .commands()
        .iter()
        .find_map(|c| c.strip_prefix("BDAT ").map(str::to_owned))
        .unwrap_or_default();
    let batches: Vec<String> = t
        .lines
        .iter()
        .filter(|l| l.starts_with("C: "))
        .map(|l| l.replacen(&format!("BDAT {header_chunk} "), "BDAT <headers> ", 1))
        .collect();
    assert_eq!(
        batches,
        vec![
            "C: EHLO client.example [#1]",
            "C: MAIL FROM:<alice@example.org> BODY=BINARYMIME [#2]",
            "C: RCPT TO:<bob@example.org> [#3]",
            "C: RCPT TO:<carol@example.org> [#3]",
            "C: BDAT <headers> [#3]",
            "C: BDAT 1 [#3]",
            "C: BDAT 14 [#3]",
            "C: BDAT 0 LAST [#3]",
            "C: QUIT [#3]",
        ]
    );
    // Rest of the first callback piece, then one chunk per piece (T-d).
    let content = t.content();
    assert!(
        content[0].starts_with("Subject: binary\\r\\n") && content[0].ends_with("\\r\\n\\r\\n")
    );
    assert_eq!(content[1..], ["\\x00", "\\x01.binary\\n.line"]);
    // All MESSAGEDATA events come before the RCPT replies are read (T-d).
    let all = hooks.all_events();
    let last_data = all.iter().rposition(|e| e.starts_with("EV MESSAGEDATA"));
    let first_rcpt = all.iter().position(|e| e.starts_with("EV RCPTSTATUS"));
    assert!(last_data < first_rcpt, "{all:?}");
    let events = hooks.events();
    assert_eq!(
        events,
        vec![
            "EV CONNECT",
            "EV MAILSTATUS #0",
            "EV RCPTSTATUS #0.0",
            "EV RCPTSTATUS #0.1",
            "EV MESSAGESENT #0",
            "EV DISCONNECT",
        ]
    );
    // Nothing is shown after the MAIL reply, not even the RCPTs.
    let last_shown = hooks
        .log
        .iter()
        .rposition(|l| l.starts_with("C>") || l.starts_with("S<"));
    let mail_status = hooks.log.iter().position(|l| l == "EV MAILSTATUS #0");
    assert!(last_shown < mail_status);
    let m = &s.messages[0];
    assert_eq!(
        status(&m.transfer_status),
        "250 2.0.0 \"message queued\\r\\n\""
    );
    assert!(m.recipients.iter().all(|r| r.complete.get()));
}

/// [T-e] The server drops the connection after the first RCPT reply.
#[test]
fn t_e_drop_after_rcpt() {
    let script = Script::new(
        &["220 fake.example ESMTP ready"],
        vec![
            reply("EHLO", &["250-fake.example", "250 ENHANCEDSTATUSCODES"]),
            reply("MAIL", &["250 2.1.0 sender ok"]),
            rule(
                "RCPT",
                Action::ReplyClose(vec!["250 2.1.5 recipient ok".to_owned()]),
            ),
        ],
    );
    let (port, server) = serve(vec![script]);
    let mut s = session(port);
    s.messages.push(message(
        Some("alice@example.org"),
        &["bob@example.org", "carol@example.org"],
    ));
    s.messages
        .push(message(Some("alice@example.org"), &["dave@example.org"]));
    let mut hooks = Recorder::new(vec!["a\r\n", "b\r\n"]);
    let outcome = run(&s, "client.example", &mut hooks);
    let t = server.join().expect("server").remove(0);
    assert_eq!(
        (outcome.ret, outcome.error),
        (true, Some(Error::DroppedConnection))
    );
    assert_eq!(
        t.commands(),
        vec![
            "EHLO client.example",
            "MAIL FROM:<alice@example.org>",
            "RCPT TO:<bob@example.org>"
        ]
    );
    assert_eq!(
        hooks.events(),
        vec![
            "EV CONNECT",
            "EV MAILSTATUS #0",
            "EV RCPTSTATUS #0.0",
            "EV DISCONNECT"
        ]
    );
    let m = &s.messages[0];
    assert_eq!(status(&m.recipients[1].status), "0 0.0.0 \"\"");
    assert!(!m.recipients[0].complete.get());
    assert_eq!(status(&s.messages[1].reverse_path_status), "0 0.0.0 \"\"");
}
