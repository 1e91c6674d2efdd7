//! Edge cases of the protocol engine: greeting and EHLO outcomes,
//! refusals, require-all, ETRN, extension checks, timeouts, dropped
//! connections (protocol.md sections 3–13).

mod protocol_support;

use esmtp::core::error::Error;
use esmtp::core::extensions::ExtSet;
use esmtp::core::model::{DeliverBy, EtrnNode, BY_NOTIFY, STARTTLS_REQUIRED};
use esmtp::core::protocol::{run, Outcome};
use esmtp::core::status::StatusCell;
use protocol_support::*;

#[test]
fn greeting_refused_quits_and_returns_0() {
    let (port, server) = serve(vec![Script::new(
        &["554 5.3.2 go away"],
        vec![reply("QUIT", &["221 bye"])],
    )]);
    let s = one_message(port, &["b@x"]);
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(
        outcome,
        Outcome {
            ret: false,
            error: None
        }
    );
    assert_eq!(t[0].commands(), vec!["QUIT"]);
    assert_eq!(hooks.events(), vec!["EV CONNECT", "EV DISCONNECT"]);
}

#[test]
fn greeting_odd_code_closes_without_quit() {
    let (port, server) = serve(vec![Script::new(&["250 weird"], vec![])]);
    let s = one_message(port, &["b@x"]);
    let (outcome, t) = go(&s, &mut Recorder::new(vec!["x\r\n"]), server);
    assert_eq!(
        outcome,
        Outcome {
            ret: false,
            error: None
        }
    );
    assert!(t[0].commands().is_empty());
}

#[test]
fn greeting_mismatch_and_timeout() {
    let (port, server) = serve(vec![Script::new(&["220-first", "221 second"], vec![])]);
    let s = one_message(port, &["b@x"]);
    let (outcome, _) = go(&s, &mut Recorder::new(vec!["x\r\n"]), server);
    assert_eq!(
        outcome,
        Outcome {
            ret: false,
            error: Some(Error::StatusMismatch)
        }
    );

    let mut script = Script::new(&[], vec![]);
    script.greeting = Action::Silent;
    let (port, server) = serve(vec![script]);
    let mut s = one_message(port, &["b@x"]);
    s.timeouts.greeting = 300;
    let (outcome, t) = go(&s, &mut Recorder::new(vec!["x\r\n"]), server);
    assert_eq!(outcome, ok_outcome(Some(Error::DroppedConnection)));
    assert!(t[0].commands().is_empty());
}

#[test]
fn ehlo_outcomes() {
    // 550: QUIT, return 1, errno unchanged.
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![reply("EHLO", &["550 no"]), reply("QUIT", &["221 bye"])],
    )]);
    let (outcome, t) = go(
        &one_message(port, &["b@x"]),
        &mut Recorder::new(vec![]),
        server,
    );
    assert_eq!(outcome, ok_outcome(None));
    assert_eq!(t[0].commands(), vec!["EHLO client.example", "QUIT"]);
    // 421: QUIT, next address (none) → 0.
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![reply("EHLO", &["421 busy"]), reply("QUIT", &["221 bye"])],
    )]);
    let (outcome, _) = go(
        &one_message(port, &["b@x"]),
        &mut Recorder::new(vec![]),
        server,
    );
    assert_eq!(
        outcome,
        Outcome {
            ret: false,
            error: None
        }
    );
    // 354: invalid status.
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![reply("EHLO", &["354 what"]), reply("QUIT", &["221 bye"])],
    )]);
    let (outcome, _) = go(
        &one_message(port, &["b@x"]),
        &mut Recorder::new(vec![]),
        server,
    );
    assert_eq!(outcome, ok_outcome(Some(Error::InvalidResponseStatus)));
    // 502 then HELO 554: next address → 0.
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", &["502 no"]),
            reply("HELO", &["554 no"]),
            reply("QUIT", &["221 bye"]),
        ],
    )]);
    let (outcome, t) = go(
        &one_message(port, &["b@x"]),
        &mut Recorder::new(vec![]),
        server,
    );
    assert_eq!(
        outcome,
        Outcome {
            ret: false,
            error: None
        }
    );
    assert_eq!(
        t[0].commands(),
        vec!["EHLO client.example", "HELO client.example", "QUIT"]
    );
}

#[test]
fn nothing_to_do_and_injection_refused_before_connecting() {
    let mut s = session(1);
    s.messages.push(message(Some("a@x"), &[]));
    assert_eq!(
        run(&s, "h", &mut Recorder::default()),
        Outcome {
            ret: false,
            error: Some(Error::NothingToDo)
        }
    );
    let s = one_message(1, &["b@x>\r\nNOOP"]);
    let mut hooks = Recorder::default();
    assert_eq!(
        run(&s, "h", &mut hooks),
        Outcome {
            ret: false,
            error: Some(Error::Inval)
        }
    );
    assert!(hooks.log.is_empty());
    let s = one_message(1, &["b@x"]);
    assert_eq!(
        run(&s, "h\n", &mut Recorder::default()).error,
        Some(Error::Inval)
    );
}

#[test]
fn mail_refused_goes_straight_to_the_next_mail() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PIPE),
            reply("MAIL", &["550 5.7.1 no"]),
            // What a server says to the RCPT and DATA pipelined behind it.
            reply("RCPT", &["503 5.5.1 need MAIL"]),
            reply("DATA", &["503 5.5.1 need RCPT"]),
            reply("MAIL", &["250 2.1.0 ok"]),
            always("RCPT", &["250 2.1.5 ok"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )
    .data_end(&["250 2.0.0 queued"])]);
    let mut s = one_message(port, &["b@x"]);
    s.messages.push(message(Some("c@x"), &["d@x"]));
    let mut hooks = Recorder::new(vec!["1\r\n", "2\r\n"]);
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(None));
    // libESMTP waits for the MAIL reply alone; ours pipelines RCPT and
    // DATA behind it (compat.md) and drops their replies: the events and
    // statuses below are libESMTP's.
    assert_eq!(
        t[0].commands(),
        vec![
            "EHLO client.example",
            "MAIL FROM:<a@x>",
            "RCPT TO:<b@x>",
            "DATA",
            "MAIL FROM:<c@x>",
            "RCPT TO:<d@x>",
            "DATA",
            ".",
            "QUIT"
        ]
    );
    assert_eq!(
        hooks.events(),
        vec![
            "EV CONNECT",
            "EV MAILSTATUS #0",
            "EV MAILSTATUS #1",
            "EV RCPTSTATUS #1.0",
            "EV MESSAGESENT #1",
            "EV DISCONNECT"
        ]
    );
    assert!(!s.messages[0].recipients[0].complete.get());
}

#[test]
fn require_all_recipients_aborts_with_rset() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PIPE),
            always("MAIL", &["250 2.1.0 ok"]),
            reply("RCPT TO:<bad", &["550 5.1.1 no"]),
            always("RCPT", &["250 2.1.5 ok"]),
            reply("RSET", &["250 2.0.0 reset"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )]);
    let mut s = one_message(port, &["ok@x", "bad@x"]);
    s.messages.push(message(Some("c@x"), &["d@x"]));
    s.require_all_recipients = true;
    s.messages[0]
        .transfer_status
        .set(esmtp::core::status::Status {
            code: 999,
            ..Default::default()
        });
    let mut hooks = Recorder::new(vec!["1\r\n", "2\r\n"]);
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(None));
    let batches: Vec<&str> = t[0]
        .lines
        .iter()
        .filter(|l| l.starts_with("C: "))
        .map(String::as_str)
        .collect();
    assert_eq!(
        batches,
        vec![
            "C: EHLO client.example [#1]",
            // MAIL pipelined with the RCPTs (compat.md); DATA still waits
            // for every RCPT reply.
            "C: MAIL FROM:<a@x> [#2]",
            "C: RCPT TO:<ok@x> [#2]",
            "C: RCPT TO:<bad@x> [#2]",
            "C: RSET [#3]",
            "C: MAIL FROM:<c@x> [#3]",
            "C: RCPT TO:<d@x> [#3]",
            "C: DATA [#4]",
            "C: . [#5]",
            // Pipelined behind the last message (compat.md).
            "C: QUIT [#5]",
        ]
    );
    assert_eq!(s.messages[0].transfer_status.code(), 0);
    assert!(!s.messages[0].recipients[0].complete.get());
    assert!(s.messages[0].recipients[1].complete.get());
    assert!(!hooks.events().contains(&"EV MESSAGESENT #0".to_owned()));
}

#[test]
fn data_refused_then_rset_and_all_refused_sends_lone_dot() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PIPE),
            always("MAIL", &["250 2.1.0 ok"]),
            reply("RCPT", &["250 2.1.5 ok"]),
            reply("DATA", &["554 5.0.0 no data"]),
            reply("RSET", &["250 2.0.0 reset"]),
            reply("RCPT", &["550 5.1.1 no"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )
    .data_end(&["554 5.5.1 no valid recipients"])]);
    let mut s = one_message(port, &["b@x"]);
    s.messages.push(message(Some("c@x"), &["d@x"]));
    let mut hooks = Recorder::new(vec!["1\r\n", "2\r\n"]);
    hooks.monitor = true;
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(None));
    assert_eq!(
        t[0].commands(),
        vec![
            "EHLO client.example",
            "MAIL FROM:<a@x>",
            "RCPT TO:<b@x>",
            "DATA",
            "RSET",
            "MAIL FROM:<c@x>",
            "RCPT TO:<d@x>",
            "DATA",
            ".",
            "QUIT"
        ]
    );
    assert!(t[0].content().is_empty());
    // The lone terminator, with the QUIT pipelined behind it.
    assert!(hooks.log.contains(&"C> .\\r\\nQUIT\\r\\n".to_owned()));
    assert!(!hooks.log.contains(&"[rewind]".to_owned()));
    assert_eq!(
        status(&s.messages[0].transfer_status),
        "554 5.0.0 \"no data\\r\\n\""
    );
    assert!(!s.messages[0].recipients[0].complete.get());
    assert!(s.messages[1].recipients[0].complete.get());
    assert_eq!(
        hooks.events(),
        vec![
            "EV CONNECT",
            "EV MAILSTATUS #0",
            "EV RCPTSTATUS #0.0",
            "EV MESSAGESENT #0",
            "EV MAILSTATUS #1",
            "EV RCPTSTATUS #1.0",
            "EV MESSAGESENT #1",
            "EV DISCONNECT"
        ]
    );
}

#[test]
fn etrn_only_session_pipelines_etrn_and_quit() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", &["250-x", "250-PIPELINING", "250 ETRN"]),
            reply("ETRN @", &["250 queuing started"]),
            reply("ETRN ", &["458 unable"]),
            reply("QUIT", &["221 bye"]),
        ],
    )]);
    let mut s = session(port);
    s.etrn_nodes.push(EtrnNode {
        option: 64,
        domain: "example.com".into(),
        status: StatusCell::default(),
    });
    s.etrn_nodes.push(EtrnNode {
        option: 0,
        domain: "example.net".into(),
        status: StatusCell::default(),
    });
    s.required = ExtSet::ETRN;
    let mut hooks = Recorder::default();
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(None));
    let batches: Vec<&str> = t[0]
        .lines
        .iter()
        .filter(|l| l.starts_with("C: "))
        .map(String::as_str)
        .collect();
    assert_eq!(
        batches,
        vec![
            "C: EHLO client.example [#1]",
            "C: ETRN @example.com [#2]",
            "C: ETRN example.net [#2]",
            "C: QUIT [#2]"
        ]
    );
    assert_eq!(
        hooks.events(),
        vec![
            "EV CONNECT",
            "EV ETRNSTATUS node=0",
            "EV ETRNSTATUS node=1",
            "EV DISCONNECT"
        ]
    );
    assert_eq!(
        status(&s.etrn_nodes[1].status),
        "458 0.0.0 \"unable\\r\\n\""
    );
}

#[test]
fn required_extensions_missing_fire_in_order_then_quit() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![reply("EHLO", &["250 x"]), reply("QUIT", &["221 bye"])],
    )]);
    let mut s = one_message(port, &["b@x"]);
    s.etrn_nodes.push(EtrnNode {
        option: 0,
        domain: "d".into(),
        status: StatusCell::default(),
    });
    s.required =
        ExtSet::DSN | ExtSet::CHUNKING | ExtSet::BINARYMIME | ExtSet::EIGHTBITMIME | ExtSet::ETRN;
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(Some(Error::ExtensionNotAvailable)));
    assert_eq!(t[0].commands(), vec!["EHLO client.example", "QUIT"]);
    assert_eq!(
        hooks.events(),
        vec![
            "EV CONNECT",
            "EV EXTNADSN preset=0",
            "EV EXTNACHUNKING preset=0",
            "EV EXTNABINARYMIME",
            "EV EXTNA8BITMIME",
            "EV EXTNAETRN preset=1",
            "EV DISCONNECT"
        ]
    );
}

#[test]
fn missing_dsn_may_continue_and_etrn_continue_without_message_quits() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![reply("EHLO", &["250 x"]), reply("QUIT", &["221 bye"])],
    )]);
    let mut s = session(port);
    s.etrn_nodes.push(EtrnNode {
        option: 0,
        domain: "d".into(),
        status: StatusCell::default(),
    });
    s.required = ExtSet::ETRN;
    let mut hooks = Recorder::default();
    hooks.answers.push((2003, 0));
    let (outcome, t) = go(&s, &mut hooks, server);
    // Q-ETRNCRASH fixed: plain QUIT.
    assert_eq!(outcome, ok_outcome(None));
    assert_eq!(t[0].commands(), vec!["EHLO client.example", "QUIT"]);
}

#[test]
fn starttls_required_without_tls_support() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", &["250-x", "250 STARTTLS"]),
            reply("QUIT", &["221 bye"]),
        ],
    )]);
    let mut s = one_message(port, &["b@x"]);
    s.starttls = STARTTLS_REQUIRED;
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    // No TLS context can be had: EXTNA_STARTTLS although it is offered.
    let outcome = esmtp::core::protocol::run_with(
        &s,
        "client.example",
        &mut hooks,
        &mut esmtp::core::protocol::security::NoSecurity,
    );
    let t = server.join().expect("server");
    assert_eq!(outcome, ok_outcome(Some(Error::ExtensionNotAvailable)));
    assert_eq!(t[0].commands(), vec!["EHLO client.example", "QUIT"]);
    assert_eq!(
        hooks.events(),
        vec!["EV CONNECT", "EV EXTNASTARTTLS", "EV DISCONNECT"]
    );
}

#[test]
fn xusr_and_deliverby() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", &["250-x", "250-XUSR", "250 DELIVERBY 240"]),
            reply("XUSR", &["250 ok"]),
            reply("MAIL", &["250 ok"]),
            reply("RCPT", &["250 ok"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 bye"]),
        ],
    )]);
    let mut s = one_message(port, &["b@x"]);
    s.messages[0].deliver_by = Some(DeliverBy {
        time: 100,
        mode: BY_NOTIFY,
        trace: true,
    });
    let mut hooks = Recorder::new(vec!["x\r\n"]);
    hooks.answers.push((3000, 30));
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(None));
    assert_eq!(t[0].commands()[1..3], ["XUSR", "MAIL FROM:<a@x> BY=270NT"]);
    assert_eq!(hooks.events()[1], "EV DELIVERBY_EXPIRED 140 preset=0");
}

/// QUIT goes with the content of the last message that is sent: a later
/// message with nothing pending does not count. Without PIPELINING it is
/// never pipelined.
#[test]
fn quit_is_pipelined_after_the_last_message_sent() {
    for pipelining in [true, false] {
        let ehlo: &[&str] = if pipelining {
            EHLO_PIPE
        } else {
            &["250-fake.example", "250 ENHANCEDSTATUSCODES"]
        };
        let (port, server) = serve(vec![Script::new(
            &["220 x"],
            vec![
                reply("EHLO", ehlo),
                always("MAIL", &["250 2.1.0 ok"]),
                always("RCPT", &["250 2.1.5 ok"]),
                always("DATA", &["354 go"]),
                reply("QUIT", &["221 2.0.0 bye"]),
            ],
        )
        .data_end(&["250 2.0.0 one"])]);
        let mut s = one_message(port, &["b@x"]);
        // Nothing pending: skipped without a command (spec 5).
        s.messages.push(message(Some("c@x"), &[]));
        let mut hooks = Recorder::new(vec!["1\r\n"]);
        let (outcome, t) = go(&s, &mut hooks, server);
        assert_eq!(outcome, ok_outcome(None));
        let tail: Vec<&str> = t[0]
            .lines
            .iter()
            .filter(|l| l.starts_with("C: ") && !l.starts_with("C: EHLO"))
            .map(String::as_str)
            .collect();
        let want = if pipelining {
            [
                "C: MAIL FROM:<a@x> [#2]",
                "C: RCPT TO:<b@x> [#2]",
                "C: DATA [#2]",
                "C: . [#3]",
                "C: QUIT [#3]",
            ]
        } else {
            [
                "C: MAIL FROM:<a@x> [#2]",
                "C: RCPT TO:<b@x> [#3]",
                "C: DATA [#4]",
                "C: . [#5]",
                "C: QUIT [#6]",
            ]
        };
        assert_eq!(tail, want, "pipelining {pipelining}");
        assert!(s.messages[0].recipients[0].complete.get());
    }
}
