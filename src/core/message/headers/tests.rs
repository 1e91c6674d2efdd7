//! Byte-exact tests of the header engine: the observed payloads of
//! headers.md §12, the set/option return values of §4–5, and the cases
//! where we deliberately differ from libESMTP (compat.md).

use super::*;
use crate::core::message::date;
use crate::core::model::Recipient;

const NOW: i64 = 1_000_000_000;
const DATE_NOW: &str = "Sun, 09 Sep 2001 01:46:40 +0000";
const GENERATED_ID: &str = "<1795682581.563642.12591@vm>";

fn utc_zone(t: i64) -> Option<LocalTime> {
    Some(date::utc(t))
}

fn fixed_clock() -> Option<(i64, u32)> {
    Some((1_795_682_581, 563_642))
}

const ENV: Environment = Environment {
    local_time: utc_zone,
    message_id_clock: fixed_clock,
    pid: || 12_591,
};

fn message(reverse_path: Option<&str>, rcpts: &[&str]) -> Message {
    Message {
        reverse_path: reverse_path.map(Into::into),
        recipients: rcpts
            .iter()
            .map(|r| Recipient::new((*r).to_owned()))
            .collect(),
        ..Message::default()
    }
}

/// Splits a header block into units the way the data path does
/// (headers.md §7.1–7.2): lines end at CRLF; lines starting with SP/HTAB
/// join the previous unit; the first empty line ends the block.
fn header_units(stream: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut units: Vec<Vec<u8>> = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(rest.len(), |p| p + 2);
        let mut line = rest[..end].to_vec();
        rest = &rest[end..];
        if !line.ends_with(b"\r\n") {
            line.extend_from_slice(if line.ends_with(b"\r") {
                b"\n"
            } else {
                b"\r\n"
            });
        }
        if line == b"\r\n" {
            return (units, rest.to_vec());
        }
        match units.last_mut() {
            Some(last) if matches!(line.first(), Some(b' ' | b'\t')) => {
                last.extend_from_slice(&line)
            }
            _ => units.push(line),
        }
    }
    (units, Vec::new())
}

/// The header part of a payload (up to and including the separator CRLF).
fn headers_out(msg: &Message, stream: &str) -> String {
    let ctx = HeaderContext {
        message: msg,
        hostname: "vm",
        now: NOW,
    };
    let mut proc = msg.headers.start_with(ctx, ENV);
    let (units, _body) = header_units(stream.as_bytes());
    let mut out = Vec::new();
    for unit in units {
        match proc.process(&unit).expect("no fault") {
            HeaderAction::Keep => out.extend_from_slice(&unit),
            HeaderAction::Drop => {}
            HeaderAction::Replace(bytes) => out.extend_from_slice(&bytes),
        }
    }
    for unit in proc.finish().expect("no fault") {
        assert!(unit.ends_with(b"\r\n"), "every generated unit ends in CRLF");
        out.extend_from_slice(&unit);
    }
    out.extend_from_slice(b"\r\n");
    String::from_utf8(out).expect("ascii")
}

fn text(v: &str) -> HeaderValue<'_> {
    HeaderValue::Text(Some(v.as_bytes()))
}

fn mb<'a>(phrase: Option<&'a str>, mailbox: Option<&'a str>) -> HeaderValue<'a> {
    HeaderValue::Mailbox {
        phrase: phrase.map(str::as_bytes),
        mailbox: mailbox.map(str::as_bytes),
    }
}

fn set(m: &mut Message, name: &str, v: HeaderValue<'_>) -> Result<SetOutcome, HeaderSetError> {
    m.headers.set(name.as_bytes(), v)
}

fn opt(m: &mut Message, name: &str, option: i32, flag: bool) -> Result<(), HeaderSetError> {
    m.headers.set_option(name.as_bytes(), option, flag)
}

const STORED: Result<SetOutcome, HeaderSetError> = Ok(SetOutcome::Stored);
const IGNORED: Result<SetOutcome, HeaderSetError> = Ok(SetOutcome::Ignored);
const INVAL: Result<SetOutcome, HeaderSetError> = Err(HeaderSetError::Invalid);

// ---- §12 observed payloads ----

#[test]
fn payload_12_1_defaults_only() {
    let m = message(
        Some("sender@example.org"),
        &["rcpt1@example.org", "rcpt2@example.org"],
    );
    assert_eq!(
        headers_out(&m, "\r\nHello body\r\n"),
        format!(
            "Date: {DATE_NOW}\r\nFrom: sender@example.org\r\nMessage-Id: {GENERATED_ID}\r\n\r\n"
        )
    );
}

#[test]
fn payload_12_2_application_headers() {
    let m = message(Some("sender@example.org"), &["rcpt1@example.org"]);
    let stream = "Return-Path: <bounce@example.org>\r\n\
        Received: from a by b; Mon, 1 Jan 2001 00:00:00 +0000\r\n\
        Received: from c by d; Mon, 1 Jan 2001 00:00:00 +0000\r\n\
        Date: Mon, 1 Jan 2001 00:00:00 +0000\r\n\
        From: App <app@example.org>\r\n\
        To: one@example.org\r\n\
        To: two@example.org\r\n\
        Subject: first\r\n\
        Subject: second\r\n\
        Bcc: hidden@example.org\r\n\
        Message-ID: <app-id@example.org>\r\n\
        Resent-Reply-To: rrt@example.org\r\n\
        Resent-From: rf@example.org\r\n\
        Resent-From: rf2@example.org\r\n\
        Original-Recipient: rfc822;x@y\r\n\
        Content-Type: text/plain;\r\n\
        \tcharset=us-ascii\r\n\
        X-Mailer: test\r\n\
        X-Mailer: test2\r\n\
        MIME-Version: 1.0\r\n\
        MIME-Version: 1.0\r\n\
        \r\n\
        Body line 1\r\n\
        Body line 2\r\n";
    let expected = "Received: from a by b; Mon, 1 Jan 2001 00:00:00 +0000\r\n\
        Received: from c by d; Mon, 1 Jan 2001 00:00:00 +0000\r\n\
        Date: Mon, 1 Jan 2001 00:00:00 +0000\r\n\
        From: App <app@example.org>\r\n\
        To: one@example.org\r\n\
        Subject: first\r\n\
        Subject: second\r\n\
        Bcc: hidden@example.org\r\n\
        Message-ID: <app-id@example.org>\r\n\
        Resent-From: rf@example.org\r\n\
        Resent-From: rf2@example.org\r\n\
        Content-Type: text/plain;\r\n\
        \tcharset=us-ascii\r\n\
        X-Mailer: test\r\n\
        X-Mailer: test2\r\n\
        MIME-Version: 1.0\r\n\
        MIME-Version: 1.0\r\n\
        \r\n";
    assert_eq!(headers_out(&m, stream), expected);
}

#[test]
fn payload_12_3_api_only() {
    let mut m = message(Some("sender@example.org"), &["rcpt1@example.org"]);
    assert_eq!(
        set(&mut m, "Date", HeaderValue::Time(Some(1_000_000_000))),
        STORED
    );
    assert_eq!(
        set(
            &mut m,
            "From",
            mb(Some("Alice Example"), Some("alice@example.org"))
        ),
        STORED
    );
    assert_eq!(
        set(&mut m, "From", mb(None, Some("bob@example.org"))),
        STORED
    );
    assert_eq!(
        set(&mut m, "Sender", mb(Some("Sec"), Some("sec@example.org"))),
        STORED
    );
    assert_eq!(
        set(&mut m, "To", mb(Some("To One"), Some("to1@example.org"))),
        STORED
    );
    assert_eq!(set(&mut m, "To", mb(None, Some("to2@example.org"))), STORED);
    assert_eq!(
        set(&mut m, "To", mb(Some("To Three"), Some("to3@example.org"))),
        STORED
    );
    assert_eq!(
        set(&mut m, "Cc", mb(Some("Cc One"), Some("cc1@example.org"))),
        STORED
    );
    assert_eq!(set(&mut m, "Cc", mb(None, Some("cc2@example.org"))), STORED);
    assert_eq!(
        set(&mut m, "Bcc", mb(None, Some("bcc1@example.org"))),
        STORED
    );
    assert_eq!(
        set(&mut m, "Reply-To", mb(Some("RT"), Some("rt@example.org"))),
        STORED
    );
    assert_eq!(
        set(
            &mut m,
            "Disposition-Notification-To",
            mb(Some("DN"), Some("dn@example.org"))
        ),
        STORED
    );
    assert_eq!(
        set(&mut m, "Message-Id", text("fixed-id@example.org")),
        STORED
    );
    assert_eq!(set(&mut m, "Subject", text("API subject")), STORED);
    assert_eq!(set(&mut m, "x-custom", text("custom value")), STORED);
    let expected = "Date: Sun, 09 Sep 2001 01:46:40 +0000\r\n\
        From: bob@example.org,\r\n    \"Alice Example\" <alice@example.org>\r\n\
        Message-Id: <fixed-id@example.org>\r\n\
        Sender: \"Sec\" <sec@example.org>\r\n\
        To: \"To Three\" <to3@example.org>,\r\n    to2@example.org,\r\n    \"To One\" <to1@example.org>\r\n\
        Cc: cc2@example.org,\r\n    \"Cc One\" <cc1@example.org>\r\n\
        Bcc: bcc1@example.org\r\n\
        Reply-To: \"RT\" <rt@example.org>\r\n\
        Disposition-Notification-To: \"DN\" <dn@example.org>\r\n\
        Subject: API subject\r\n\
        x-custom: custom value\r\n\
        \r\n";
    assert_eq!(headers_out(&m, "\r\nBody only\r\n"), expected);
}

#[test]
fn payload_12_4_override_and_prohibit() {
    let mut m = message(Some("sender@example.org"), &["rcpt1@example.org"]);
    assert_eq!(set(&mut m, "Subject", text("API subject")), STORED);
    assert_eq!(opt(&mut m, "Subject", HDR_OVERRIDE, true), Ok(()));
    assert_eq!(opt(&mut m, "X-Mailer", HDR_PROHIBIT, true), Ok(()));
    assert_eq!(
        set(&mut m, "Date", HeaderValue::Time(Some(1_000_000_000))),
        STORED
    );
    assert_eq!(opt(&mut m, "Date", HDR_OVERRIDE, true), Ok(()));
    assert_eq!(opt(&mut m, "Message-Id", HDR_PROHIBIT, true), Ok(()));
    assert_eq!(
        set(&mut m, "To", mb(Some("API To"), Some("apito@example.org"))),
        STORED
    );
    assert_eq!(set(&mut m, "X-Api", text("api only")), STORED);
    let stream = "Subject: app subject\r\nX-Mailer: app mailer\r\n\
        Date: Mon, 1 Jan 2001 00:00:00 +0000\r\nTo: app-to@example.org\r\n\
        Message-Id: <app@example.org>\r\n\r\nBody\r\n";
    let expected = "Subject: API subject\r\n\
        Date: Sun, 09 Sep 2001 01:46:40 +0000\r\n\
        To: app-to@example.org\r\n\
        From: sender@example.org\r\n\
        X-Api: api only\r\n\
        \r\n";
    assert_eq!(headers_out(&m, stream), expected);
}

#[test]
fn payload_12_5_headers_with_dots_and_folds() {
    // Dot-stuffing is the data path's; the engine passes these unchanged.
    let m = message(Some(""), &["rcpt1@example.org"]);
    let stream = "Subject: dots\r\n.X-Dot: header starting with dot\r\nX-Fold: a\r\n\
        .continuation starting with dot?\r\nX-Fold2: b\r\n .folded line\r\n\r\n.\r\n";
    let expected = format!(
        "Subject: dots\r\n.X-Dot: header starting with dot\r\nX-Fold: a\r\n\
        .continuation starting with dot?\r\nX-Fold2: b\r\n .folded line\r\n\
        Date: {DATE_NOW}\r\nFrom: <>\r\nMessage-Id: {GENERATED_ID}\r\n\r\n"
    );
    assert_eq!(headers_out(&m, stream), expected);
}

#[test]
fn payload_12_6a_derived_to_and_default_dnt() {
    let mut m = message(
        None,
        &[
            "rcpt1@example.org",
            "rcpt2@example.org",
            "rcpt3@example.org",
        ],
    );
    assert_eq!(set(&mut m, "To", mb(None, None)), STORED);
    assert_eq!(
        set(&mut m, "Disposition-Notification-To", mb(None, None)),
        STORED
    );
    assert_eq!(set(&mut m, "Message-Id", HeaderValue::Text(None)), IGNORED);
    let expected = format!(
        "Subject: x\r\nDate: {DATE_NOW}\r\nFrom: <>\r\nMessage-Id: {GENERATED_ID}\r\n\
        To: rcpt1@example.org,\r\n\trcpt2@example.org,\r\n\trcpt3@example.org\r\n\
        Disposition-Notification-To: <>\r\n\r\n"
    );
    assert_eq!(headers_out(&m, "Subject: x\r\n\r\nb\r\n"), expected);
}

#[test]
fn payload_12_6b_lf_only_input_is_one_header_line() {
    let m = message(Some("s@example.org"), &["rcpt1@example.org"]);
    let expected = format!(
        "Subject: lf only\nFrom: x@y\n\nbody\n.dot\n\r\nDate: {DATE_NOW}\r\n\
        From: s@example.org\r\nMessage-Id: {GENERATED_ID}\r\n\r\n"
    );
    assert_eq!(
        headers_out(&m, "Subject: lf only\nFrom: x@y\n\nbody\n.dot\n"),
        expected
    );
}

// ---- §4–5 return values (each also checked against libESMTP 1.1.0) ----

#[test]
fn set_return_values_and_second_calls() {
    let mut m = message(Some("sender@example.org"), &["rcpt1@example.org"]);
    assert_eq!(set(&mut m, "Date", HeaderValue::Time(Some(0))), STORED);
    assert_eq!(set(&mut m, "Date", HeaderValue::Time(Some(NOW))), STORED);
    assert_eq!(set(&mut m, "Date", HeaderValue::Time(Some(NOW))), INVAL);
    assert_eq!(set(&mut m, "From", mb(None, Some(""))), STORED);
    assert_eq!(set(&mut m, "from", mb(None, None)), IGNORED);
    assert_eq!(set(&mut m, "X-N", HeaderValue::Text(None)), IGNORED);
    assert_eq!(set(&mut m, "x-n", text("second")), STORED);
    assert_eq!(set(&mut m, "x-n", text("third")), INVAL);
    assert_eq!(set(&mut m, "TO", mb(None, Some("a@x"))), STORED);
    assert_eq!(set(&mut m, "to", mb(None, None)), STORED);
    assert_eq!(set(&mut m, "To", mb(Some("P"), Some("b@x"))), STORED);
    assert_eq!(set(&mut m, "Cc", mb(None, Some(""))), STORED);
    assert_eq!(set(&mut m, "Cc", mb(None, Some("c@x"))), STORED);
    assert_eq!(set(&mut m, "Message-Id", text("")), STORED);
    assert_eq!(set(&mut m, "Message-Id", text("x")), INVAL);
    assert_eq!(set(&mut m, "Sender", mb(Some("S"), Some("s@x"))), STORED);
    assert_eq!(set(&mut m, "Sender", mb(None, None)), INVAL);
    assert_eq!(set(&mut m, "", text("v")), Err(HeaderSetError::EmptyName));
    for refused in [
        "Content-Foo",
        "Return-Path",
        "Mime-Version",
        "Resent-From",
        "Received",
    ] {
        assert_eq!(set(&mut m, refused, text("v")), INVAL, "{refused}");
    }
    let expected = "Date: Sun, 09 Sep 2001 01:46:40 +0000\r\nFrom: <>\r\nMessage-Id: <>\r\n\
        X-N: second\r\nTO: \"P\" <b@x>\r\nCc: c@x,\r\n    \r\nSender: \"S\" <s@x>\r\n\r\n";
    assert_eq!(headers_out(&m, "\r\nbody\r\n"), expected);
}

#[test]
fn option_return_values() {
    let mut m = message(None, &["r@x"]);
    assert_eq!(opt(&mut m, "Date", HDR_OVERRIDE, true), Ok(()));
    assert_eq!(
        opt(&mut m, "Date", HDR_PROHIBIT, true),
        Err(HeaderSetError::Invalid)
    );
    assert_eq!(
        opt(&mut m, "From", HDR_PROHIBIT, true),
        Err(HeaderSetError::Invalid)
    );
    assert_eq!(opt(&mut m, "Message-Id", HDR_PROHIBIT, true), Ok(()));
    assert_eq!(
        opt(&mut m, "Message-Id", HDR_OVERRIDE, true),
        Err(HeaderSetError::Invalid)
    );
    assert_eq!(set(&mut m, "Message-Id", text("id")), INVAL);
    assert_eq!(opt(&mut m, "To", HDR_PROHIBIT, true), Ok(()));
    assert_eq!(set(&mut m, "To", mb(None, Some("a@x"))), INVAL);
    assert_eq!(opt(&mut m, "To", HDR_PROHIBIT, false), Ok(()));
    assert_eq!(set(&mut m, "To", mb(None, Some("a@x"))), STORED);
    assert_eq!(opt(&mut m, "X-Opt", 2, true), Err(HeaderSetError::Invalid));
    assert_eq!(
        opt(&mut m, "X-Opt2", -1, true),
        Err(HeaderSetError::Invalid)
    );
    assert_eq!(
        opt(&mut m, "Resent-Foo", HDR_OVERRIDE, true),
        Err(HeaderSetError::Invalid)
    );
    assert_eq!(
        opt(&mut m, "Received", HDR_PROHIBIT, true),
        Err(HeaderSetError::Invalid)
    );
    assert_eq!(
        opt(&mut m, "", HDR_PROHIBIT, true),
        Err(HeaderSetError::EmptyName)
    );
}

#[test]
fn option_alone_registers_name_for_duplicate_suppression() {
    // H-15, even when the option itself was refused; names are compared
    // up to the colon, whitespace included.
    let mut m = message(Some("s@x"), &["r@x"]);
    assert_eq!(opt(&mut m, "X-Opt", 2, true), Err(HeaderSetError::Invalid));
    let out = headers_out(&m, "X-Opt: 1\r\nX-Opt: 2\r\nX-A : v\r\nX-A : w\r\n\r\n");
    assert!(
        out.starts_with("X-Opt: 1\r\nX-A : v\r\nX-A : w\r\nDate: "),
        "{out}"
    );
}

#[test]
fn prefix_entries_and_generic_null_value_with_override() {
    let mut m = message(Some("s@x"), &["r@x"]);
    assert_eq!(set(&mut m, "X-N", HeaderValue::Text(None)), IGNORED);
    assert_eq!(opt(&mut m, "X-N", HDR_OVERRIDE, true), Ok(()));
    // A name ending in '-' becomes a prefix entry for X-* (as in libESMTP).
    assert_eq!(set(&mut m, "X-", text("pre")), STORED);
    let out = headers_out(&m, "X-N: app\r\nX-Foo: a\r\nX-Foo: b\r\nX-N: dup\r\n\r\n");
    assert!(out.starts_with("X-N: \r\nX-Foo: a\r\nDate: "), "{out}");
    assert!(!out.contains("pre"), "{out}");
}

#[test]
fn lists_empty_phrases_and_mailboxes() {
    let mut m = message(Some("s@x"), &["r@x"]);
    assert_eq!(set(&mut m, "Reply-To", mb(Some("Ph"), Some(""))), STORED);
    assert_eq!(set(&mut m, "Bcc", mb(Some(""), Some("b@x"))), STORED);
    assert_eq!(set(&mut m, "From", mb(Some(""), Some("f@x"))), STORED);
    assert_eq!(set(&mut m, "To", mb(None, Some(""))), STORED);
    assert_eq!(
        set(&mut m, "Cc", mb(Some("Name, With \"Comma\""), Some("rt@x"))),
        STORED
    );
    let out = headers_out(&m, "\r\n");
    assert_eq!(
        out,
        format!(
            "Date: {DATE_NOW}\r\nFrom: \"\" <f@x>\r\nMessage-Id: {GENERATED_ID}\r\n\
            Reply-To: \"Ph\" <>\r\nBcc: \"\" <b@x>\r\nTo: \r\n\
            Cc: \"Name, With \"Comma\"\" <rt@x>\r\n\r\n"
        )
    );
}

#[test]
fn sender_and_dnt_later_calls() {
    let mut m = message(Some("s@x"), &["r@x"]);
    assert_eq!(set(&mut m, "Sender", mb(None, None)), IGNORED);
    assert_eq!(set(&mut m, "Sender", mb(Some("S"), Some("s@x"))), STORED);
    assert_eq!(
        set(&mut m, "Disposition-Notification-To", mb(None, None)),
        STORED
    );
    assert_eq!(
        set(&mut m, "Disposition-Notification-To", mb(None, None)),
        STORED
    );
    assert_eq!(
        set(
            &mut m,
            "Disposition-Notification-To",
            mb(Some("D"), Some("d@x"))
        ),
        STORED
    );
    assert_eq!(
        set(&mut m, "Disposition-Notification-To", mb(None, None)),
        INVAL
    );
    let out = headers_out(&m, "\r\n");
    assert!(
        out.ends_with("Sender: \"S\" <s@x>\r\nDisposition-Notification-To: \"D\" <d@x>\r\n\r\n")
    );
}

#[test]
fn override_with_defaults_replaces_in_place() {
    let mut m = message(Some("s@x"), &["a@x", "b@x"]);
    for name in ["Date", "From", "Message-Id", "To"] {
        assert_eq!(opt(&mut m, name, HDR_OVERRIDE, true), Ok(()));
    }
    assert_eq!(set(&mut m, "To", mb(None, None)), STORED);
    let stream =
        "To: old\r\n  folded\r\nFrom: old\r\nDate: old\r\nMessage-Id: <old>\r\nDate: dup\r\n\r\n";
    let expected = format!(
        "To: a@x,\r\n\tb@x\r\nFrom: s@x\r\nDate: {DATE_NOW}\r\nMessage-Id: {GENERATED_ID}\r\n\r\n"
    );
    assert_eq!(headers_out(&m, stream), expected);
}

#[test]
fn prohibit_does_not_stop_api_value_when_absent() {
    // H-3.
    let mut m = message(Some("s@x"), &["r@x"]);
    assert_eq!(set(&mut m, "X-P", text("v")), STORED);
    assert_eq!(opt(&mut m, "X-P", HDR_PROHIBIT, true), Ok(()));
    assert_eq!(opt(&mut m, "Message-Id", HDR_PROHIBIT, true), Ok(()));
    let out = headers_out(&m, "\r\n");
    assert!(out.contains(&format!("Message-Id: {GENERATED_ID}\r\n")) && out.contains("X-P: v\r\n"));
}

#[test]
fn generated_message_id_is_truncated_to_63() {
    let m = message(None, &["r@x"]);
    let host = "h".repeat(80);
    let ctx = HeaderContext {
        message: &m,
        hostname: &host,
        now: NOW,
    };
    let mut proc = m.headers.start_with(ctx, ENV);
    let units = proc.finish().expect("no fault");
    let id = String::from_utf8(units[2].clone()).expect("ascii");
    let inner = id
        .trim_start_matches("Message-Id: <")
        .trim_end_matches(">\r\n");
    assert_eq!(inner.len(), 63);
    assert!(inner.starts_with("1795682581.563642.12591@hhh"));
}

#[test]
fn calls_after_transfer_affect_next_transfer_only() {
    let mut m = message(Some("s@x"), &["r@x"]);
    let first = headers_out(&m, "\r\n");
    assert_eq!(set(&mut m, "Subject", text("later")), STORED);
    assert!(!first.contains("Subject"));
    assert!(headers_out(&m, "\r\n").contains("Subject: later\r\n"));
}

// ---- Deliberate differences from libESMTP (compat.md) ----

#[test]
fn fix_line_breaks_in_values_are_refused() {
    let mut m = message(Some("s@x"), &["r@x"]);
    for bad in [
        "a\r\nBcc: x@y",
        "a\nb",
        "a\rb",
        "a\r\n",
        "a\r\n \r\nb",
        "a\0b",
        "a\r\n\r\nbody",
    ] {
        assert_eq!(set(&mut m, "Subject", text(bad)), INVAL, "{bad:?}");
    }
    for bad in ["x\r\ny", "x\n", "x\r"] {
        assert_eq!(set(&mut m, "Message-Id", text(bad)), INVAL);
        assert_eq!(set(&mut m, "To", mb(Some(bad), Some("a@x"))), INVAL);
        assert_eq!(set(&mut m, "Cc", mb(None, Some(bad))), INVAL);
        assert_eq!(set(&mut m, "Sender", mb(Some(bad), Some("a@x"))), INVAL);
        assert_eq!(set(&mut m, "From", mb(None, Some(bad))), INVAL);
    }
    assert_eq!(set(&mut m, "X-Evil\r\nBcc", text("v")), INVAL);
    // Refused calls leave nothing behind.
    assert_eq!(
        headers_out(&m, "\r\n"),
        format!("Date: {DATE_NOW}\r\nFrom: s@x\r\nMessage-Id: {GENERATED_ID}\r\n\r\n")
    );
}

#[test]
fn fix_folded_generic_value_still_accepted() {
    // libESMTP passes folding through (headers.md §9); it injects nothing.
    let mut m = message(Some("s@x"), &["r@x"]);
    assert_eq!(
        set(&mut m, "Subject", text("line1\r\n continued\r\n\tagain")),
        STORED
    );
    assert!(headers_out(&m, "\r\n").contains("Subject: line1\r\n continued\r\n\tagain\r\n"));
}

#[test]
fn fix_sender_null_null_emits_nothing() {
    // H-5: libESMTP returns 1, then crashes in the transfer.
    let mut m = message(Some("s@x"), &["r@x"]);
    assert_eq!(set(&mut m, "Sender", mb(None, None)), IGNORED);
    assert_eq!(opt(&mut m, "Sender", HDR_OVERRIDE, true), Ok(()));
    assert!(!headers_out(&m, "\r\n").contains("Sender"));
    assert!(headers_out(&m, "Sender: app@x\r\n\r\n").starts_with("Sender: app@x\r\nDate: "));
}

#[test]
fn fix_null_mailbox_list_emits_no_broken_header() {
    // H-7: libESMTP writes "Cc: " without CRLF and aborts the transfer.
    let mut m = message(Some("s@x"), &["r@x"]);
    for name in ["Cc", "Bcc", "Reply-To"] {
        assert_eq!(set(&mut m, name, mb(None, None)), IGNORED);
        assert_eq!(set(&mut m, name, mb(Some("Ph"), None)), IGNORED);
    }
    let out = headers_out(&m, "\r\n");
    assert_eq!(
        out,
        format!("Date: {DATE_NOW}\r\nFrom: s@x\r\nMessage-Id: {GENERATED_ID}\r\n\r\n")
    );
    // A later mailbox is still added.
    assert_eq!(set(&mut m, "Cc", mb(None, Some("c@x"))), STORED);
    assert!(headers_out(&m, "\r\n").contains("Cc: c@x\r\n"));
}

#[test]
fn fix_phrase_with_null_mailbox_is_ignored() {
    // libESMTP crashes for From, To, Sender and Disposition-Notification-To.
    let mut m = message(Some("s@x"), &["r@x"]);
    for name in ["From", "To", "Sender", "Disposition-Notification-To"] {
        assert_eq!(set(&mut m, name, mb(Some("P"), None)), IGNORED, "{name}");
    }
    assert_eq!(
        headers_out(&m, "\r\n"),
        format!("Date: {DATE_NOW}\r\nFrom: s@x\r\nMessage-Id: {GENERATED_ID}\r\n\r\n")
    );
}

#[test]
fn fix_date_null_pointer_is_ignored() {
    // libESMTP crashes on a NULL `const time_t *`.
    let mut m = message(Some("s@x"), &["r@x"]);
    assert_eq!(set(&mut m, "Date", HeaderValue::Time(None)), IGNORED);
    assert_eq!(set(&mut m, "Date", HeaderValue::Time(Some(5))), STORED);
}

#[test]
fn fix_override_without_value_keeps_message_header() {
    // H-6: libESMTP aborts on an assertion.
    let mut m = message(Some("s@x"), &["r@x"]);
    for name in ["X-Foo", "Subject", "To", "Cc"] {
        assert_eq!(opt(&mut m, name, HDR_OVERRIDE, true), Ok(()));
    }
    let stream = "X-Foo: 1\r\nSubject: s\r\nTo: t@x\r\nCc: c@x\r\nX-Foo: 2\r\n\r\n";
    let out = headers_out(&m, stream);
    assert!(
        out.starts_with("X-Foo: 1\r\nSubject: s\r\nTo: t@x\r\nCc: c@x\r\nDate: "),
        "{out}"
    );
}

#[test]
fn fix_envelope_values_with_line_breaks_are_not_injected() {
    let mut m = message(Some("s@x\r\nBcc: evil@x"), &["a@x", "b@x\r\nX: y"]);
    assert_eq!(set(&mut m, "To", mb(None, None)), STORED);
    let ctx = HeaderContext {
        message: &m,
        hostname: "vm\r\nX-Host: y",
        now: NOW,
    };
    let mut proc = m.headers.start_with(ctx, ENV);
    let units = proc.finish().expect("no fault");
    let all: Vec<u8> = units.concat();
    let text = String::from_utf8(all).expect("ascii");
    assert_eq!(
        text,
        format!("Date: {DATE_NOW}\r\nFrom: <>\r\nMessage-Id: <1795682581.563642.12591@vmX-Host: y>\r\nTo: a@x\r\n")
    );
}

#[test]
fn arg_shapes_follow_the_table() {
    let mut m = message(None, &[]);
    assert_eq!(m.headers.arg_shape(b"date"), Ok(ArgShape::Time));
    assert_eq!(m.headers.arg_shape(b"Message-ID"), Ok(ArgShape::Text));
    assert_eq!(m.headers.arg_shape(b"X-Anything"), Ok(ArgShape::Text));
    for name in [
        "From",
        "sender",
        "TO",
        "Cc",
        "Bcc",
        "Reply-To",
        "Disposition-Notification-To",
    ] {
        assert_eq!(
            m.headers.arg_shape(name.as_bytes()),
            Ok(ArgShape::PhraseMailbox),
            "{name}"
        );
    }
    assert_eq!(m.headers.arg_shape(b""), Err(HeaderSetError::EmptyName));
    assert_eq!(
        m.headers.arg_shape(b"Content-Type"),
        Err(HeaderSetError::Invalid)
    );
    assert_eq!(opt(&mut m, "X-P", HDR_PROHIBIT, true), Ok(()));
    assert_eq!(m.headers.arg_shape(b"x-p"), Err(HeaderSetError::Invalid));
    // A value of the wrong shape is refused rather than misread.
    assert_eq!(set(&mut m, "Date", text("x")), INVAL);
}

#[test]
fn merge_matches_libesmtp_on_mixed_message() {
    // Payload observed from libESMTP 1.1.0 with the same calls and message.
    let mut m = message(Some("sender@example.org"), &["rcpt1@example.org"]);
    assert_eq!(set(&mut m, "From", mb(Some("F"), Some("f@x"))), STORED);
    assert_eq!(opt(&mut m, "From", HDR_OVERRIDE, true), Ok(()));
    assert_eq!(set(&mut m, "X-P", text("api")), STORED);
    assert_eq!(opt(&mut m, "X-P", HDR_OVERRIDE, true), Ok(()));
    assert_eq!(opt(&mut m, "X-P", HDR_PROHIBIT, true), Ok(()));
    assert_eq!(set(&mut m, "X-A", text("api-a")), STORED);
    assert_eq!(set(&mut m, "Cc", mb(None, Some("c@x"))), STORED);
    assert_eq!(opt(&mut m, "cc", HDR_OVERRIDE, true), Ok(()));
    let stream = "Return-Path: <a>\r\n  folded\r\nfrom: one\r\nFROM: two\r\nX-P: m1\r\n\
        x-a: m\r\nresent-reply-to: r\r\n\tmore\r\nmime-version: 1\r\nMIME-Version: 2\r\n\
        Content-: x\r\nContent-: y\r\nCC: old\r\n cont\r\nNo colon line\r\n.dot: x\r\n\r\nbody\r\n";
    let expected = format!(
        "From: \"F\" <f@x>\r\nx-a: m\r\nmime-version: 1\r\nMIME-Version: 2\r\nContent-: x\r\n\
        Content-: y\r\nCc: c@x\r\nNo colon line\r\n.dot: x\r\nDate: {DATE_NOW}\r\n\
        Message-Id: {GENERATED_ID}\r\n\r\n"
    );
    assert_eq!(headers_out(&m, stream), expected);
}
