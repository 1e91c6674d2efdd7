//! Status pointers through the C exports: a pointer taken before a run shows
//! the run's results afterwards (the application keeps it, as libESMTP's
//! struct lives in the recipient), and pointers first asked for after the
//! run are filled then. Mirrors are only refreshed once one was handed out,
//! so both orders are checked.
//!
//! Every pointer handed to the exports here is created by the test itself
//! (C string literals, handles from the API), which is the safety argument
//! for all the `unsafe` blocks in this file.
#![allow(clippy::undocumented_unsafe_blocks)]

mod protocol_support;

use std::ffi::{c_char, c_void, CStr, CString};

use esmtp::capi::message::{
    _smtp_message_str_cb, smtp_add_message, smtp_message_transfer_status, smtp_reverse_path_status,
    smtp_set_messagecb, smtp_set_reverse_path,
};
use esmtp::capi::recipient::{smtp_add_recipient, smtp_recipient_status};
use esmtp::capi::session::{
    smtp_create_session, smtp_destroy_session, smtp_set_hostname, smtp_set_server,
    smtp_start_session,
};
use esmtp::capi::status::smtp_status;
use protocol_support::*;

const EHLO: &[&str] = &[
    "250-fake.example hello",
    "250-PIPELINING",
    "250 ENHANCEDSTATUSCODES",
];

static CONTENT: &CStr = c"Subject: statuses\r\n\r\nbody\r\n";

fn script() -> Script {
    Script::new(
        &["220 fake.example ESMTP ready"],
        vec![
            reply("EHLO", EHLO),
            reply("MAIL", &["250 2.1.0 sender ok"]),
            reply("RCPT TO:<good@", &["250 2.1.5 good ok"]),
            reply("RCPT TO:<bad@", &["550 5.1.1 no such user"]),
            reply("DATA", &["354 go ahead"]),
            reply("QUIT", &["221 2.0.0 bye"]),
        ],
    )
    .data_end(&["250 2.0.0 queued as Q1"])
}

fn show(st: *const smtp_status) -> String {
    assert!(!st.is_null());
    let st = unsafe { &*st };
    let text = if st.text.is_null() {
        "NULL".to_owned()
    } else {
        unsafe { CStr::from_ptr(st.text) }
            .to_string_lossy()
            .into_owned()
    };
    format!(
        "{} {}.{}.{} {text:?}",
        st.code, st.enh_class, st.enh_subject, st.enh_detail
    )
}

/// Runs one message to good@ and bad@; `before` takes status pointers
/// before the run. Returns (pointers taken before, pointers asked for after),
/// each as rendered after the run: reverse path, transfer, good, bad.
fn run(before: bool) -> (Vec<String>, Vec<String>) {
    let (port, server) = serve(vec![script()]);
    let server_spec = CString::new(format!("127.0.0.1:{port}")).unwrap();
    unsafe {
        let s = smtp_create_session();
        assert_eq!(smtp_set_server(s, server_spec.as_ptr()), 1);
        assert_eq!(smtp_set_hostname(s, c"client.example".as_ptr()), 1);
        let m = smtp_add_message(s);
        assert_eq!(smtp_set_reverse_path(m, c"alice@example.org".as_ptr()), 1);
        let good = smtp_add_recipient(m, c"good@example.org".as_ptr());
        let bad = smtp_add_recipient(m, c"bad@example.org".as_ptr());
        assert_eq!(
            smtp_set_messagecb(
                m,
                Some(_smtp_message_str_cb),
                CONTENT.as_ptr() as *mut c_char as *mut c_void
            ),
            1
        );
        let held = before.then(|| {
            [
                smtp_reverse_path_status(m),
                smtp_message_transfer_status(m),
                smtp_recipient_status(good),
                smtp_recipient_status(bad),
            ]
        });
        if let Some(held) = &held {
            // Nothing has happened yet.
            assert!(held.iter().all(|&st| (*st).code == 0));
        }
        assert_eq!(smtp_start_session(s), 1);
        let held_after: Vec<String> = held.iter().flatten().map(|&st| show(st)).collect();
        let asked_after = vec![
            show(smtp_reverse_path_status(m)),
            show(smtp_message_transfer_status(m)),
            show(smtp_recipient_status(good)),
            show(smtp_recipient_status(bad)),
        ];
        if let Some(held) = &held {
            // The same objects: the pointers do not move.
            assert_eq!(held[2], smtp_recipient_status(good));
            assert_eq!(held[1], smtp_message_transfer_status(m));
        }
        smtp_destroy_session(s);
        server.join().unwrap();
        (held_after, asked_after)
    }
}

fn expected() -> Vec<String> {
    vec![
        "250 2.1.0 \"sender ok\\r\\n\"".to_owned(),
        "250 2.0.0 \"queued as Q1\\r\\n\"".to_owned(),
        "250 2.1.5 \"good ok\\r\\n\"".to_owned(),
        "550 5.1.1 \"no such user\\r\\n\"".to_owned(),
    ]
}

#[test]
fn pointers_taken_before_the_run_show_its_results() {
    let (held, asked) = run(true);
    assert_eq!(held, expected());
    assert_eq!(asked, expected());
}

#[test]
fn pointers_first_asked_for_after_the_run_show_its_results() {
    let (held, asked) = run(false);
    assert!(held.is_empty());
    assert_eq!(asked, expected());
}
