//! The SMTP AUTH exchange against a scripted fake transport, replaying the
//! A-scenarios of the spec (observe-tls-auth/observed.txt).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use esmtp::core::error::Error;
use esmtp::core::sasl::smtp::{
    add_mechanisms, authenticate, ehlo_auth_line, monitor_view, AuthOutcome, AuthParams, AuthReply,
    AuthTransport, REDACTED,
};
use esmtp::core::sasl::{self, AuthContext, Interact, Request, Secret};

/// Answers user/secret (or `pass`), refusing the first `refusals` calls.
#[derive(Clone)]
struct App {
    calls: Rc<RefCell<Vec<&'static str>>>,
    refusals: Rc<RefCell<usize>>,
    pass: &'static str,
}

impl App {
    fn new(pass: &'static str, refusals: usize) -> App {
        App {
            calls: Rc::new(RefCell::new(Vec::new())),
            refusals: Rc::new(RefCell::new(refusals)),
            pass,
        }
    }
    /// The prompt of the pass phrase entry of each call (tells which
    /// mechanism asked: "Pass Phrase" size 255 = PLAIN, "Password" = LOGIN).
    fn calls(&self) -> Vec<&'static str> {
        self.calls.borrow().clone()
    }
}

impl Interact for App {
    fn interact(&mut self, requests: &[Request]) -> Option<Vec<Secret>> {
        let tag = match (requests[0].name, requests[1].prompt, requests[0].size) {
            ("domain", _, _) => "NTLM",
            (_, "Password", _) => "LOGIN",
            (_, _, 255) => "PLAIN",
            _ => "CRAM-MD5",
        };
        self.calls.borrow_mut().push(tag);
        let mut refusals = self.refusals.borrow_mut();
        if *refusals > 0 {
            *refusals -= 1;
            return None;
        }
        Some(
            requests
                .iter()
                .map(|r| {
                    Secret::from_slice(match r.name {
                        "user" => b"user".as_slice(),
                        "passphrase" => self.pass.as_bytes(),
                        "domain" => b"CORP".as_slice(),
                        _ => b"",
                    })
                })
                .collect(),
        )
    }
}

/// Records what the client writes; replies from a script.
struct Fake {
    replies: VecDeque<Result<AuthReply, Error>>,
    wire: Vec<String>,
    monitor: Vec<String>,
}

impl Fake {
    fn new(script: &[&str]) -> Fake {
        Fake {
            replies: script
                .iter()
                .map(|l| {
                    let code = l[..3].parse().unwrap();
                    let text = l.get(4..).unwrap_or("").as_bytes().to_vec();
                    Ok(AuthReply { code, text })
                })
                .collect(),
            wire: Vec::new(),
            monitor: Vec::new(),
        }
    }
}

impl AuthTransport for Fake {
    fn send_line(&mut self, line: &[u8], monitor: &[u8]) -> Result<(), Error> {
        assert!(line.ends_with(b"\r\n"));
        assert!(monitor.ends_with(b"\r\n"));
        let s = String::from_utf8(line[..line.len() - 2].to_vec()).unwrap();
        self.wire.push(s);
        self.monitor
            .push(String::from_utf8(monitor[..monitor.len() - 2].to_vec()).unwrap());
        Ok(())
    }
    fn read_reply(&mut self) -> Result<AuthReply, Error> {
        self.replies
            .pop_front()
            .unwrap_or(Err(Error::DroppedConnection))
    }
}

fn mechs(line: &str) -> Vec<String> {
    let mut v = Vec::new();
    add_mechanisms(&mut v, line.as_bytes());
    v
}

fn ctx(app: &App, plain_ok: bool) -> AuthContext {
    let mut c = AuthContext::new();
    c.set_interact(Some(Box::new(app.clone())));
    if plain_ok {
        c.set_mechanism_flags(sasl::AUTH_PLUGIN_PLAIN, 0);
    }
    c.set_workstation(Some(String::new()));
    c
}

const TLS: AuthParams = AuthParams {
    tls_active: true,
    starttls_required: false,
};
const CLEAR: AuthParams = AuthParams {
    tls_active: false,
    starttls_required: false,
};

fn code(o: &AuthOutcome) -> i32 {
    match o {
        AuthOutcome::Authenticated { reply, .. }
        | AuthOutcome::Failed { reply }
        | AuthOutcome::Quit { reply } => reply.code,
        AuthOutcome::NotAttempted => 0,
    }
}

#[test]
fn a01_plain_success() {
    let app = App::new("secret", 0);
    let mut c = ctx(&app, true);
    let mut t = Fake::new(&["235 2.7.0 Authentication successful"]);
    let o = authenticate(&mut c, &mechs("PLAIN"), &TLS, &mut t).unwrap();
    assert!(matches!(
        o,
        AuthOutcome::Authenticated {
            mechanism: "PLAIN",
            ssf: 0,
            ..
        }
    ));
    assert_eq!(t.wire, ["AUTH PLAIN AHVzZXIAc2VjcmV0"]);
    assert_eq!(app.calls(), ["PLAIN"]);
    // Credentials hidden from the monitor by default.
    assert_eq!(t.monitor, ["AUTH PLAIN <hidden>"]);
}

#[test]
fn a02_a06_login_server_order() {
    let app = App::new("secret", 0);
    let mut c = ctx(&app, true);
    let mut t = Fake::new(&["334 UGFzc3dvcmQA", "235 2.7.0 ok"]);
    let o = authenticate(&mut c, &mechs("LOGIN PLAIN"), &TLS, &mut t).unwrap();
    assert_eq!(code(&o), 235);
    assert_eq!(t.wire, ["AUTH LOGIN dXNlcg==", "c2VjcmV0"]);
    assert_eq!(t.monitor, ["AUTH LOGIN <hidden>", "<hidden>"]);
    assert_eq!(c.mechanism_name(), Some("LOGIN"));
}

#[test]
fn a03_cram_md5_now_chosen() {
    // aiosmtpd's sorted list: libESMTP on Debian skipped CRAM-MD5 (Q16).
    let app = App::new("secret", 0);
    let mut c = ctx(&app, true);
    let mut t = Fake::new(&[
        "334 PDEyMzQ1LjY3ODkwQHNlcnZlci5leGFtcGxlPg==",
        "235 2.7.0 ok",
    ]);
    let o = authenticate(&mut c, &mechs("CRAM-MD5 LOGIN PLAIN"), &TLS, &mut t).unwrap();
    assert_eq!(code(&o), 235);
    assert_eq!(
        t.wire,
        [
            "AUTH CRAM-MD5",
            "dXNlciAwYWQ2Nzc3YTk3YTlmM2M3Njg3YzhjNzQxY2M0ZWNmZQ=="
        ]
    );
    assert_eq!(t.monitor, ["AUTH CRAM-MD5", "<hidden>"]);
    assert_eq!(app.calls(), ["CRAM-MD5"]);
}

#[test]
fn a05_default_flags_refuse_plain_and_login() {
    let app = App::new("secret", 0);
    let mut c = ctx(&app, false);
    let mut t = Fake::new(&[]);
    let o = authenticate(&mut c, &mechs("PLAIN LOGIN"), &TLS, &mut t).unwrap();
    assert_eq!(o, AuthOutcome::NotAttempted);
    assert!(t.wire.is_empty());
    assert!(app.calls().is_empty());
}

#[test]
fn a07_a22_wrong_password_every_mechanism_fails() {
    let app = App::new("wrong", 0);
    let mut c = ctx(&app, true);
    let mut t = Fake::new(&[
        "535 5.7.8 Authentication credentials invalid",
        "334 UGFzc3dvcmQA",
        "535 5.7.8 Authentication credentials invalid",
    ]);
    let o = authenticate(&mut c, &mechs("PLAIN LOGIN"), &TLS, &mut t).unwrap();
    assert!(matches!(o, AuthOutcome::Failed { .. }));
    assert_eq!(code(&o), 535);
    assert_eq!(
        t.wire,
        [
            "AUTH PLAIN AHVzZXIAd3Jvbmc=",
            "AUTH LOGIN dXNlcg==",
            "d3Jvbmc="
        ]
    );
    // the callback is asked again for the second mechanism
    assert_eq!(app.calls(), ["PLAIN", "LOGIN"]);
    assert_eq!(c.mechanism_name(), Some("LOGIN"));
}

#[test]
fn a08_a20_refused_once_then_answer_to_empty_challenge() {
    let app = App::new("secret", 1);
    let mut c = ctx(&app, true);
    let mut t = Fake::new(&["334 ", "334 ", "235 2.7.0 ok"]);
    let o = authenticate(&mut c, &mechs("PLAIN"), &TLS, &mut t).unwrap();
    assert_eq!(code(&o), 235);
    // A20: a second 334 after PLAIN's answer gets "*"
    assert_eq!(t.wire, ["AUTH PLAIN", "AHVzZXIAc2VjcmV0", "*"]);
    assert_eq!(t.monitor, ["AUTH PLAIN", "<hidden>", "*"]);
    assert_eq!(app.calls(), ["PLAIN", "PLAIN"]);
}

#[test]
fn a09_always_refused_cancel_then_unauthenticated() {
    let app = App::new("secret", 99);
    let mut c = ctx(&app, true);
    let mut t = Fake::new(&["334 ", "501 5.7.0 Auth aborted"]);
    let o = authenticate(&mut c, &mechs("PLAIN"), &TLS, &mut t).unwrap();
    assert!(matches!(o, AuthOutcome::Failed { .. }));
    assert_eq!(t.wire, ["AUTH PLAIN", "*"]);
    assert_eq!(app.calls(), ["PLAIN", "PLAIN"]);
}

#[test]
fn a10_no_interact_callback() {
    let mut c = AuthContext::new();
    c.set_mechanism_flags(sasl::AUTH_PLUGIN_PLAIN, 0);
    let mut t = Fake::new(&[]);
    let o = authenticate(&mut c, &mechs("PLAIN"), &TLS, &mut t).unwrap();
    assert_eq!(o, AuthOutcome::NotAttempted);
    assert!(t.wire.is_empty());
}

#[test]
fn a12_plain_in_clear_with_opt_in_still_works() {
    // libESMTP's rule kept: AUTH_PLUGIN_PLAIN is the application's opt-in.
    let app = App::new("secret", 0);
    let mut c = ctx(&app, true);
    let mut t = Fake::new(&["235 ok"]);
    let o = authenticate(&mut c, &mechs("PLAIN"), &CLEAR, &mut t).unwrap();
    assert_eq!(code(&o), 235);
}

#[test]
fn plain_never_after_failed_starttls_required() {
    let app = App::new("secret", 0);
    let mut c = ctx(&app, true);
    let params = AuthParams {
        tls_active: false,
        starttls_required: true,
    };
    let mut t = Fake::new(&[]);
    let o = authenticate(&mut c, &mechs("PLAIN LOGIN"), &params, &mut t).unwrap();
    assert_eq!(o, AuthOutcome::NotAttempted);
    assert!(app.calls().is_empty());
    // ... but CRAM-MD5 (no clear-text pass phrase) may still be used
    let mut t = Fake::new(&["334 PDE+", "235 ok"]);
    let o = authenticate(&mut c, &mechs("PLAIN CRAM-MD5"), &params, &mut t).unwrap();
    assert_eq!(code(&o), 235);
    assert_eq!(t.wire[0], "AUTH CRAM-MD5");
    // with TLS up, REQUIRED is fine
    let params = AuthParams {
        tls_active: true,
        starttls_required: true,
    };
    let mut t = Fake::new(&["235 ok"]);
    let o = authenticate(&mut c, &mechs("PLAIN"), &params, &mut t).unwrap();
    assert_eq!(code(&o), 235);
}

#[test]
fn a13_external() {
    let app = App::new("secret", 0);
    let mut c = ctx(&app, false);
    c.set_external_id(Some(b"ext-id@example.org"));
    let mut t = Fake::new(&["235 2.7.0 Authentication successful"]);
    let o = authenticate(&mut c, &mechs("EXTERNAL"), &CLEAR, &mut t).unwrap();
    assert_eq!(code(&o), 235);
    assert_eq!(t.wire, ["AUTH EXTERNAL ZXh0LWlkQGV4YW1wbGUub3Jn"]);
    assert!(app.calls().is_empty());
}

#[test]
fn external_empty_identity_sends_equals() {
    let app = App::new("secret", 0);
    let mut c = ctx(&app, false);
    c.set_external_id(Some(b""));
    let mut t = Fake::new(&["235 ok"]);
    authenticate(&mut c, &mechs("EXTERNAL"), &CLEAR, &mut t).unwrap();
    assert_eq!(t.wire, ["AUTH EXTERNAL ="]);
    assert_eq!(t.monitor, ["AUTH EXTERNAL ="]);
}

#[test]
fn external_only_still_needs_interact_callback() {
    // Q26
    let mut c = AuthContext::new();
    c.set_external_id(Some(b"id"));
    let mut t = Fake::new(&[]);
    let o = authenticate(&mut c, &mechs("EXTERNAL"), &CLEAR, &mut t).unwrap();
    assert_eq!(o, AuthOutcome::NotAttempted);
}

#[test]
fn a14_min_ssf_disables_everything() {
    let app = App::new("secret", 0);
    let mut c = ctx(&app, true);
    c.set_min_ssf(1);
    c.set_external_id(Some(b"id"));
    let mut t = Fake::new(&[]);
    let o = authenticate(
        &mut c,
        &mechs("PLAIN LOGIN CRAM-MD5 NTLM EXTERNAL"),
        &TLS,
        &mut t,
    )
    .unwrap();
    assert_eq!(o, AuthOutcome::NotAttempted);
}

#[test]
fn a15_a16_534_538_quit() {
    for reply in [
        "534 5.7.9 mechanism too weak",
        "538 5.7.11 encryption required",
    ] {
        let app = App::new("secret", 0);
        let mut c = ctx(&app, true);
        let mut t = Fake::new(&[reply]);
        let o = authenticate(&mut c, &mechs("PLAIN LOGIN"), &CLEAR, &mut t).unwrap();
        assert!(matches!(o, AuthOutcome::Quit { .. }), "{reply}");
        assert_eq!(t.wire, ["AUTH PLAIN AHVzZXIAc2VjcmV0"]);
        assert_eq!(app.calls(), ["PLAIN"]);
    }
}

#[test]
fn a17_bad_base64_cancels_then_next_mechanism() {
    let app = App::new("secret", 0);
    let mut c = ctx(&app, true);
    let mut t = Fake::new(&["334 not*base64", "501 5.7.0 cancelled", "235 2.7.0 ok"]);
    let o = authenticate(&mut c, &mechs("LOGIN PLAIN"), &CLEAR, &mut t).unwrap();
    assert_eq!(code(&o), 235);
    assert_eq!(
        t.wire,
        ["AUTH LOGIN dXNlcg==", "*", "AUTH PLAIN AHVzZXIAc2VjcmV0"]
    );
    assert_eq!(app.calls(), ["LOGIN", "PLAIN"]);
}

#[test]
fn a18_334_without_text_is_an_empty_challenge() {
    // libESMTP's reply parser rejects "334" without a space (error 4); that
    // is the engine's reply parser's call. If it passes the reply on, the
    // challenge is empty.
    let app = App::new("secret", 0);
    let mut c = ctx(&app, true);
    let mut t = Fake::new(&["334", "235 ok"]);
    let o = authenticate(&mut c, &mechs("LOGIN"), &CLEAR, &mut t).unwrap();
    assert_eq!(code(&o), 235);
    assert_eq!(t.wire, ["AUTH LOGIN dXNlcg==", "c2VjcmV0"]);
}

#[test]
fn a19_auth_equals_form_merged() {
    let mut list = Vec::new();
    add_mechanisms(&mut list, b"LOGIN");
    add_mechanisms(&mut list, b"PLAIN login");
    assert_eq!(list, ["LOGIN", "PLAIN"]);
    let app = App::new("secret", 0);
    let mut c = ctx(&app, true);
    let mut t = Fake::new(&["334 UGFzc3dvcmQ6", "235 2.7.0 ok"]);
    authenticate(&mut c, &list, &CLEAR, &mut t).unwrap();
    assert_eq!(t.wire, ["AUTH LOGIN dXNlcg==", "c2VjcmV0"]);
}

#[test]
fn mechanism_list_parsing() {
    assert_eq!(
        mechs("  PLAIN\tLOGIN  CRAM-MD5 "),
        ["PLAIN", "LOGIN", "CRAM-MD5"]
    );
    // parsing stops at a non-atom character
    assert_eq!(mechs("PLAIN,LOGIN"), ["PLAIN"]);
    assert_eq!(mechs("PLAIN LOGIN.X NTLM"), ["PLAIN", "LOGIN"]);
    assert!(mechs("").is_empty());
    // duplicates dropped case-insensitively, first spelling kept
    assert_eq!(mechs("login LOGIN Login"), ["login"]);
    // names truncated to 63 bytes
    let long = "X".repeat(100);
    assert_eq!(mechs(&long)[0].len(), 63);
}

#[test]
fn a21_ntlm_exchange() {
    let app = App::new("secret", 0);
    let mut c = ctx(&app, false);
    let mut t = Fake::new(&[
        "334 TlRMTVNTUAACAAAAAAAAACgAAAABggAAASNFZ4mrze8AAAAAAAAAAA==",
        "235 2.7.0 ok",
    ]);
    let o = authenticate(&mut c, &mechs("NTLM"), &CLEAR, &mut t).unwrap();
    assert_eq!(code(&o), 235);
    assert_eq!(app.calls(), ["NTLM"]);
    // type 1 now carries the domain
    let t1 = sasl::ntlm::type1(b"CORP", b"");
    let want = format!(
        "AUTH NTLM {}",
        String::from_utf8(sasl::base64::encode(t1.as_bytes()).as_bytes().to_vec()).unwrap()
    );
    assert_eq!(t.wire[0], want);
    let t3 = sasl::base64::decode(t.wire[1].as_bytes()).unwrap();
    assert_eq!(&t3[..12], b"NTLMSSP\0\x03\0\0\0");
    // domain "CORP" and user "user" in UTF-16LE after the two responses
    assert_eq!(&t3[112..120], b"C\0O\0R\0P\0");
    assert_eq!(&t3[120..128], b"u\0s\0e\0r\0");
}

#[test]
fn not_offered_mechanisms_are_not_attempted() {
    let app = App::new("secret", 0);
    let mut c = ctx(&app, true);
    let mut t = Fake::new(&[]);
    let o = authenticate(
        &mut c,
        &mechs("XOAUTH2 DIGEST-MD5 GSSAPI sasl/../../x"),
        &TLS,
        &mut t,
    )
    .unwrap();
    assert_eq!(o, AuthOutcome::NotAttempted);
    let o = authenticate(&mut c, &[], &TLS, &mut t).unwrap();
    assert_eq!(o, AuthOutcome::NotAttempted);
    assert!(t.wire.is_empty());
}

#[test]
fn unknown_mechanisms_are_skipped_on_failure() {
    let app = App::new("secret", 0);
    let mut c = ctx(&app, true);
    let mut t = Fake::new(&["454 4.7.0 temporary", "235 ok"]);
    let o = authenticate(&mut c, &mechs("PLAIN GSSAPI LOGIN"), &TLS, &mut t).unwrap();
    assert_eq!(code(&o), 235);
    assert_eq!(t.wire[1], "AUTH LOGIN dXNlcg==");
}

#[test]
fn bad_status_class_is_an_error() {
    for reply in ["100 what", "600 what"] {
        let app = App::new("secret", 0);
        let mut c = ctx(&app, true);
        let mut t = Fake::new(&[reply]);
        let r = authenticate(&mut c, &mechs("PLAIN"), &TLS, &mut t);
        assert_eq!(r, Err(Error::InvalidResponseStatus));
    }
}

#[test]
fn transport_errors_propagate() {
    let app = App::new("secret", 0);
    let mut c = ctx(&app, true);
    let mut t = Fake::new(&[]);
    t.replies.push_back(Err(Error::InvalidResponseSyntax));
    let r = authenticate(&mut c, &mechs("PLAIN"), &TLS, &mut t);
    assert_eq!(r, Err(Error::InvalidResponseSyntax));
    let mut t = Fake::new(&["334 "]);
    let r = authenticate(&mut c, &mechs("LOGIN"), &TLS, &mut t);
    assert_eq!(r, Err(Error::DroppedConnection));
}

#[test]
fn oversized_initial_response_is_deferred_not_dropped() {
    struct Big;
    impl Interact for Big {
        fn interact(&mut self, r: &[Request]) -> Option<Vec<Secret>> {
            Some(r.iter().map(|_| Secret::new(vec![b'p'; 6000])).collect())
        }
    }
    let mut c = AuthContext::new();
    c.set_interact(Some(Box::new(Big)));
    c.set_mechanism_flags(sasl::AUTH_PLUGIN_PLAIN, 0);
    let mut t = Fake::new(&["334 ", "235 ok"]);
    let o = authenticate(&mut c, &mechs("PLAIN"), &TLS, &mut t).unwrap();
    assert_eq!(code(&o), 235);
    assert_eq!(t.wire[0], "AUTH PLAIN");
    let sent = sasl::base64::decode(t.wire[1].as_bytes()).unwrap();
    assert_eq!(sent.len(), 12002);
    assert_eq!(t.monitor[1], "<hidden>");
}

#[test]
fn monitor_view_opt_in() {
    assert_eq!(
        monitor_view(b"AUTH PLAIN ", b"AHVz", false),
        b"AUTH PLAIN <hidden>\r\n"
    );
    assert_eq!(
        monitor_view(b"AUTH PLAIN ", b"AHVz", true),
        b"AUTH PLAIN AHVz\r\n"
    );
    assert_eq!(monitor_view(b"", b"", false), b"\r\n");
    assert_eq!(REDACTED, b"<hidden>");
}

#[test]
fn ehlo_auth_lines() {
    let mut list = Vec::new();
    assert!(!ehlo_auth_line(&mut list, b"SIZE 1000"));
    assert!(!ehlo_auth_line(&mut list, b"AUTHX PLAIN"));
    assert!(!ehlo_auth_line(&mut list, b"STARTTLS"));
    assert!(list.is_empty());
    // A19: AUTH=LOGIN then AUTH PLAIN login -> LOGIN, PLAIN
    assert!(ehlo_auth_line(&mut list, b"AUTH=LOGIN"));
    assert!(ehlo_auth_line(&mut list, b"auth PLAIN login"));
    assert_eq!(list, ["LOGIN", "PLAIN"]);
    // AUTH= form with more names after the first
    let mut list = Vec::new();
    assert!(ehlo_auth_line(&mut list, b"AUTH=CRAM-MD5 NTLM"));
    assert_eq!(list, ["CRAM-MD5", "NTLM"]);
    // bare AUTH offers AUTH with no mechanism
    let mut list = Vec::new();
    assert!(ehlo_auth_line(&mut list, b"AUTH"));
    assert!(list.is_empty());
    // the keyword token keeps 31 bytes: the first AUTH= name is cut to 26
    let mut list = Vec::new();
    let line = format!("AUTH={} PLAIN", "M".repeat(40));
    assert!(ehlo_auth_line(&mut list, line.as_bytes()));
    assert_eq!(list, ["M".repeat(26), "PLAIN".to_string()]);
}
