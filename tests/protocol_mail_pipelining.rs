//! MAIL pipelined with its RCPTs and DATA (docs/compat.md): the batches,
//! the bound on what follows an unanswered MAIL, and a refused MAIL, whose
//! followers' replies are dropped so that events, statuses and the commands
//! after it are libESMTP's.

mod protocol_support;

use esmtp::core::error::Error;
use protocol_support::*;

/// Command lines with their batch numbers.
fn batches(t: &Transcript) -> Vec<String> {
    t.lines
        .iter()
        .filter_map(|l| l.strip_prefix("C: "))
        .map(str::to_owned)
        .collect()
}

/// One message from a@x to r0@x … r{n-1}@x.
fn one_message_to(port: u16, n: usize) -> esmtp::core::model::Session {
    let to: Vec<String> = (0..n).map(|i| format!("r{i}@x")).collect();
    let to: Vec<&str> = to.iter().map(String::as_str).collect();
    one_message(port, &to)
}

/// EHLO, then MAIL with the first 8 RCPTs in the second write.
fn mail_with_eight_rcpts() -> Vec<String> {
    let mut want = vec![
        "EHLO client.example [#1]".to_owned(),
        "MAIL FROM:<a@x> [#2]".to_owned(),
    ];
    want.extend((0..8).map(|i| format!("RCPT TO:<r{i}@x> [#2]")));
    want
}

#[test]
fn mail_rcpt_and_data_share_one_write() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PIPE),
            always("MAIL", &["250 2.1.0 ok"]),
            always("RCPT", &["250 2.1.5 ok"]),
            always("DATA", &["354 go"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )
    .data_end(&["250 2.0.0 one"])
    .data_end(&["250 2.0.0 two"])]);
    let mut s = one_message(port, &["b@x", "c@x"]);
    s.messages.push(message(Some("d@x"), &["e@x"]));
    let mut hooks = Recorder::new(vec!["1\r\n", "2\r\n"]);
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(None));
    assert_eq!(
        batches(&t[0]),
        vec![
            "EHLO client.example [#1]",
            "MAIL FROM:<a@x> [#2]",
            "RCPT TO:<b@x> [#2]",
            "RCPT TO:<c@x> [#2]",
            "DATA [#2]",
            ". [#3]",
            "MAIL FROM:<d@x> [#4]",
            "RCPT TO:<e@x> [#4]",
            "DATA [#4]",
            ". [#5]",
            "QUIT [#5]",
        ]
    );
    // The events keep the commands' order.
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
            "EV MESSAGESENT #1",
            "EV DISCONNECT"
        ]
    );
}

#[test]
fn at_most_eight_rcpts_follow_an_unanswered_mail() {
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
    let s = one_message_to(port, 12);
    let mut hooks = Recorder::new(vec!["1\r\n"]);
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(None));
    let got = batches(&t[0]);
    let mut want = mail_with_eight_rcpts();
    want.extend((8..12).map(|i| format!("RCPT TO:<r{i}@x> [#3]")));
    want.extend(["DATA [#3]", ". [#4]", "QUIT [#4]"].map(str::to_owned));
    assert_eq!(got, want);
    assert!(s.messages[0].recipients.iter().all(|r| r.complete.get()));
}

#[test]
fn a_refused_mail_wastes_at_most_eight_rcpts_and_reports_none() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PIPE),
            reply("MAIL", &["550 5.7.1 not you"]),
            always("RCPT", &["503 5.5.1 need MAIL"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )]);
    let s = one_message_to(port, 20);
    let mut hooks = Recorder::new(vec!["1\r\n"]);
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(None));
    let got = batches(&t[0]);
    let mut want = mail_with_eight_rcpts();
    // libESMTP's next command after a refused MAIL: QUIT, no RSET.
    want.push("QUIT [#3]".to_owned());
    assert_eq!(got, want);
    assert_eq!(
        hooks.events(),
        vec!["EV CONNECT", "EV MAILSTATUS #0", "EV DISCONNECT"]
    );
    assert_eq!(s.messages[0].reverse_path_status.code(), 550);
    for r in &s.messages[0].recipients {
        assert_eq!(r.status.code(), 0, "the 503 is not the recipient's status");
        assert!(
            !r.complete.get(),
            "still pending, as after libESMTP's refusal"
        );
    }
    assert_eq!(s.messages[0].transfer_status.code(), 0);
}

#[test]
fn a_server_that_opens_data_after_a_refused_mail_gets_a_lone_dot() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PIPE),
            reply("MAIL", &["451 4.3.0 later"]),
            // A broken server: it takes the RCPT and opens DATA anyway.
            reply("RCPT", &["250 2.1.5 ok"]),
            reply("DATA", &["354 go"]),
            reply("MAIL", &["250 2.1.0 ok"]),
            reply("RCPT", &["250 2.1.5 ok"]),
            reply("DATA", &["354 go"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )
    .data_end(&["554 5.5.1 no valid recipients"])
    .data_end(&["250 2.0.0 queued"])]);
    let mut s = one_message(port, &["b@x"]);
    s.messages.push(message(Some("c@x"), &["d@x"]));
    let mut hooks = Recorder::new(vec!["2\r\n"]);
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(None));
    assert_eq!(
        t[0].commands(),
        vec![
            "EHLO client.example",
            "MAIL FROM:<a@x>",
            "RCPT TO:<b@x>",
            "DATA",
            ".",
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
    let first = &s.messages[0];
    assert_eq!(first.recipients[0].status.code(), 0);
    assert_eq!(first.transfer_status.code(), 0);
    assert!(!first.recipients[0].complete.get());
    assert_eq!(s.messages[1].transfer_status.code(), 250);
}

#[test]
fn a_refused_mail_then_close_ends_like_libesmtp() {
    // libESMTP: MAILSTATUS(421), its next command's reply cannot be read:
    // SMTP_ERR_DROPPED_CONNECTION, return 1 (spec 9.7).
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PIPE),
            rule("MAIL", Action::ReplyClose(vec!["421 4.3.2 bye".into()])),
        ],
    )]);
    let mut s = one_message(port, &["b@x"]);
    s.messages.push(message(Some("c@x"), &["d@x"]));
    let mut hooks = Recorder::new(vec!["1\r\n", "2\r\n"]);
    let (outcome, _) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(Some(Error::DroppedConnection)));
    assert_eq!(
        hooks.events(),
        vec!["EV CONNECT", "EV MAILSTATUS #0", "EV DISCONNECT"]
    );
    assert_eq!(s.messages[0].recipients[0].status.code(), 0);
    assert_eq!(s.messages[1].reverse_path_status.code(), 0);
}

#[test]
fn an_unreadable_mail_reply_writes_quit() {
    // libESMTP has nothing outstanding behind MAIL, so it writes QUIT and
    // takes the next reply as QUIT's: the followers' replies must not be
    // mistaken for it.
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply("EHLO", EHLO_PIPE),
            reply("MAIL", &["2x0 garbled"]),
            reply("RCPT", &["503 5.5.1 need MAIL"]),
            reply("DATA", &["503 5.5.1 need RCPT"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )]);
    let s = one_message(port, &["b@x"]);
    let mut hooks = Recorder::new(vec!["1\r\n"]);
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(Some(Error::InvalidResponseSyntax)));
    assert_eq!(
        t[0].commands(),
        vec![
            "EHLO client.example",
            "MAIL FROM:<a@x>",
            "RCPT TO:<b@x>",
            "DATA",
            "QUIT"
        ]
    );
    assert_eq!(hooks.events(), vec!["EV CONNECT", "EV DISCONNECT"]);
}

#[test]
fn chunking_keeps_libesmtps_wait_for_the_mail_reply() {
    let (port, server) = serve(vec![Script::new(
        &["220 x"],
        vec![
            reply(
                "EHLO",
                &[
                    "250-fake.example",
                    "250-PIPELINING",
                    "250-CHUNKING",
                    "250 ENHANCEDSTATUSCODES",
                ],
            ),
            reply("MAIL", &["250 2.1.0 ok"]),
            always("RCPT", &["250 2.1.5 ok"]),
            always("BDAT", &["250 2.0.0 ok"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )]);
    let s = one_message(port, &["b@x"]);
    let mut hooks = Recorder::new(vec!["1\r\n"]);
    let (outcome, t) = go(&s, &mut hooks, server);
    assert_eq!(outcome, ok_outcome(None));
    let got = batches(&t[0]);
    assert_eq!(got[1], "MAIL FROM:<a@x> [#2]");
    assert!(got[2].starts_with("RCPT TO:<b@x> [#3]"), "{got:?}");
}
